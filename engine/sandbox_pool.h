/*
 * sandbox_pool — the threads on which app code runs while serving (SPEC 9, 12).
 *
 * App code (hooks, guards, actions) never runs on an HTTP worker: a request that
 * needs it is suspended and its work queued here, so a hook that spins costs one of
 * these threads, never the workers that answer every other app. Three rules keep one
 * app from taking them all:
 *  - a share: at most `share` jobs of one app run at once (the other threads stay for
 *    the other apps), and at most `queue` wait (more: refused at once);
 *  - fairness: a free thread takes the next job of the app that has waited longest
 *    among those under their share, so a busy app cannot starve a quiet one;
 *  - a breaker: an app whose calls run past their budget (instructions or memory)
 *    `trip_count` times within a minute is suspended for a while (30 s, doubling while
 *    it keeps happening, 10 min at most): its jobs are refused at once with the time
 *    to wait, logged once, shown on /admin and counted in /metrics. A new version of
 *    the app (another `gen`) starts afresh.
 * Jobs run in the order each app queued them. A job learns nothing of the pool; it
 * reports nothing either: overruns are seen through sandbox_thread_overruns.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef SMALLAPPS_SANDBOX_POOL_H
#define SMALLAPPS_SANDBOX_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

typedef struct sandbox_pool sandbox_pool;

typedef struct sandbox_pool_config {
	int threads;	/* >= 1 */
	int share;	/* jobs of one app running at once; 0: threads / 2, at least 1 */
	int queue;	/* jobs of one app waiting at most; 0: 64 */
	int trip_count; /* overruns a minute that suspend an app; 0: 3 */
} sandbox_pool_config;

sandbox_pool *sandbox_pool_open(const sandbox_pool_config *cfg);
/* Runs the jobs already queued, then stops the threads. NULL is fine. */
void sandbox_pool_close(sandbox_pool *p);

enum {
	SANDBOX_POOL_OK = 0,
	SANDBOX_POOL_SUSPENDED = -1, /* the app is suspended: *retry_after seconds */
	SANDBOX_POOL_FULL = -2	     /* the app's queue is full (or the pool is closing) */
};

/*
 * Queues fn(arg) for app `app` (version gen). On refusal fn is not called and
 * *retry_after (may be NULL) gets the seconds to wait before trying again. A job
 * accepted but dropped before it ran (its app was suspended meanwhile) gets
 * refused(arg, retry_after) instead of fn, on a pool thread.
 */
int sandbox_pool_submit(sandbox_pool *p, const char *app, uint64_t gen, void (*fn)(void *arg),
			void (*refused)(void *arg, int retry_after), void *arg, int *retry_after);
/* Whether app (version gen) is suspended now, and for how long (*retry_after). */
bool sandbox_pool_suspended(sandbox_pool *p, const char *app, uint64_t gen, int *retry_after);

typedef struct sandbox_pool_app {
	char app[48];
	uint64_t overruns;	/* calls past their budget, since start */
	uint64_t refused;	/* jobs refused: suspended or queue full */
	uint64_t trips;		/* times suspended */
	time_t suspended_until; /* wall clock; 0 when not suspended now */
	int running, queued;
} sandbox_pool_app;
/* The apps the pool has seen, sorted by id; *out: caller frees. */
size_t sandbox_pool_apps(sandbox_pool *p, sandbox_pool_app **out);
/* Prometheus text for /metrics. */
void sandbox_pool_metrics(sandbox_pool *p, buf *out);

#endif
