/*
 * sandbox_pool — threads, per-app queues, shares and the breaker (see sandbox_pool.h).
 *
 * One mutex guards everything; jobs run without it. Apps are kept in an array in the
 * order they were first seen; `next` is where the round-robin resumes, so each free
 * thread looks at the apps after the one it served last.
 * Times are the wall clock (time()): a suspension is about real seconds, whatever
 * SMALLAPPS_NOW says.
 */
#include "sandbox_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sandbox.h"

#define WINDOW	      60 /* seconds in which trip_count overruns suspend */
#define FIRST_PENALTY 30
#define MAX_PENALTY   600
#define MAX_TRIP      16 /* overrun times an app remembers */

typedef struct job {
	struct job *next;
	void (*fn)(void *arg);
	void (*refused)(void *arg, int retry_after);
	void *arg;
} job;

typedef struct app_q {
	char id[48];
	uint64_t gen;
	job *head, *tail;
	int queued, running;
	time_t overrun_at[MAX_TRIP]; /* ring of the latest overruns */
	int ring;
	time_t suspended_until;
	time_t last_trip;
	int penalty;
	uint64_t overruns, refused, trips;
} app_q;

struct sandbox_pool {
	sandbox_pool_config cfg;
	pthread_mutex_t mu;
	pthread_cond_t work;
	pthread_t *threads;
	int nthreads;
	app_q *apps;
	size_t napps, cap;
	size_t next;
	bool stopping;
};

static app_q *find_app(sandbox_pool *p, const char *id)
{
	for (size_t i = 0; i < p->napps; i++)
		if (strcmp(p->apps[i].id, id) == 0)
			return &p->apps[i];
	return NULL;
}

/* The app's entry, made on first sight; a new version forgets the old one's record. */
static app_q *app_entry(sandbox_pool *p, const char *id, uint64_t gen)
{
	app_q *a = find_app(p, id);
	if (!a) {
		if (p->napps == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 8;
			p->apps = xrealloc(p->apps, p->cap * sizeof *p->apps);
		}
		a = &p->apps[p->napps++];
		memset(a, 0, sizeof *a);
		snprintf(a->id, sizeof a->id, "%s", id);
		a->gen = gen;
	} else if (a->gen != gen) {
		a->gen = gen;
		memset(a->overrun_at, 0, sizeof a->overrun_at);
		a->suspended_until = 0;
		a->last_trip = 0;
		a->penalty = 0;
	}
	return a;
}

static int wait_left(const app_q *a, time_t now)
{
	return a->suspended_until > now ? (int)(a->suspended_until - now) : 0;
}

/* Drops the app's queued jobs: they would wait for nothing. Called with the lock held;
 * returns the list, whose `refused` callbacks the caller runs without the lock. */
static job *take_queue(app_q *a)
{
	job *j = a->head;
	a->head = a->tail = NULL;
	a->queued = 0;
	return j;
}

static void refuse_all(job *j, int retry_after)
{
	while (j) {
		job *next = j->next;
		if (j->refused)
			j->refused(j->arg, retry_after);
		free(j);
		j = next;
	}
}

/* One more overrun of app a at now; may suspend it. Lock held. Returns dropped jobs. */
static job *note_overrun(sandbox_pool *p, app_q *a, time_t now)
{
	a->overruns++;
	a->overrun_at[a->ring] = now;
	a->ring = (a->ring + 1) % MAX_TRIP;
	int recent = 0;
	for (int i = 0; i < MAX_TRIP; i++)
		recent += a->overrun_at[i] && a->overrun_at[i] > now - WINDOW;
	if (recent < p->cfg.trip_count || wait_left(a, now))
		return NULL;
	a->penalty = a->last_trip && now - a->last_trip < MAX_PENALTY
			 ? (a->penalty * 2 > MAX_PENALTY ? MAX_PENALTY : a->penalty * 2)
			 : FIRST_PENALTY;
	a->suspended_until = now + a->penalty;
	a->last_trip = now;
	a->trips++;
	memset(a->overrun_at, 0, sizeof a->overrun_at);
	log_message("lua",
		    "%s: app code ran past its budget %d times within %d s: its calls are "
		    "refused for %d s (503), then tried again",
		    a->id, recent, WINDOW, a->penalty);
	return take_queue(a);
}

/* The next job a free thread should run, or NULL. Lock held. */
static job *pick(sandbox_pool *p, app_q **owner)
{
	for (size_t k = 0; k < p->napps; k++) {
		size_t i = (p->next + k) % p->napps;
		app_q *a = &p->apps[i];
		if (!a->head || a->running >= p->cfg.share)
			continue;
		job *j = a->head;
		a->head = j->next;
		if (!a->head)
			a->tail = NULL;
		a->queued--;
		a->running++;
		p->next = (i + 1) % p->napps;
		*owner = a;
		return j;
	}
	return NULL;
}

static bool idle(const sandbox_pool *p)
{
	for (size_t i = 0; i < p->napps; i++)
		if (p->apps[i].head)
			return false;
	return true;
}

static void *worker(void *arg)
{
	sandbox_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	while (true) {
		app_q *a = NULL;
		job *j = pick(p, &a);
		if (!j) {
			if (p->stopping && idle(p))
				break;
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		char id[48];
		memcpy(id, a->id, sizeof id);
		pthread_mutex_unlock(&p->mu);
		unsigned long before = sandbox_thread_overruns();
		j->fn(j->arg);
		unsigned long overran = sandbox_thread_overruns() - before;
		free(j);
		pthread_mutex_lock(&p->mu);
		a = find_app(p, id); /* the array may have moved */
		a->running--;
		job *dropped = NULL;
		time_t now = time(NULL);
		for (unsigned long i = 0; i < overran && !dropped; i++)
			dropped = note_overrun(p, a, now);
		int wait = wait_left(a, now);
		/* A share freed: another thread may take this app's next job. */
		pthread_cond_broadcast(&p->work);
		if (dropped) {
			pthread_mutex_unlock(&p->mu);
			refuse_all(dropped, wait);
			pthread_mutex_lock(&p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
	sandbox_thread_cleanup();
	return NULL;
}

sandbox_pool *sandbox_pool_open(const sandbox_pool_config *cfg)
{
	sandbox_pool *p = xcalloc(1, sizeof *p);
	p->cfg = *cfg;
	if (p->cfg.threads < 1)
		p->cfg.threads = 1;
	if (p->cfg.share <= 0)
		p->cfg.share = p->cfg.threads / 2 > 0 ? p->cfg.threads / 2 : 1;
	if (p->cfg.queue <= 0)
		p->cfg.queue = 64;
	if (p->cfg.trip_count <= 0)
		p->cfg.trip_count = 3;
	if (p->cfg.trip_count > MAX_TRIP)
		p->cfg.trip_count = MAX_TRIP;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	p->threads = xcalloc((size_t)p->cfg.threads, sizeof *p->threads);
	for (int i = 0; i < p->cfg.threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		sandbox_pool_close(p);
		return NULL;
	}
	return p;
}

void sandbox_pool_close(sandbox_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (size_t i = 0; i < p->napps; i++)
		refuse_all(take_queue(&p->apps[i]), 1);
	free(p->threads);
	free(p->apps);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	free(p);
}

int sandbox_pool_submit(sandbox_pool *p, const char *app, uint64_t gen, void (*fn)(void *arg),
			void (*refused)(void *arg, int retry_after), void *arg, int *retry_after)
{
	int rc = SANDBOX_POOL_OK, wait = 0;
	pthread_mutex_lock(&p->mu);
	app_q *a = app_entry(p, app, gen);
	time_t now = time(NULL);
	if ((wait = wait_left(a, now)) > 0) {
		rc = SANDBOX_POOL_SUSPENDED;
	} else if (p->stopping || a->queued >= p->cfg.queue) {
		rc = SANDBOX_POOL_FULL;
		wait = 1;
	} else {
		job *j = xcalloc(1, sizeof *j);
		j->fn = fn;
		j->refused = refused;
		j->arg = arg;
		if (a->tail)
			a->tail->next = j;
		else
			a->head = j;
		a->tail = j;
		a->queued++;
		pthread_cond_signal(&p->work);
	}
	if (rc != SANDBOX_POOL_OK)
		a->refused++;
	pthread_mutex_unlock(&p->mu);
	if (retry_after)
		*retry_after = wait;
	return rc;
}

bool sandbox_pool_suspended(sandbox_pool *p, const char *app, uint64_t gen, int *retry_after)
{
	pthread_mutex_lock(&p->mu);
	app_q *a = find_app(p, app);
	int wait = a && a->gen == gen ? wait_left(a, time(NULL)) : 0;
	if (wait)
		a->refused++;
	pthread_mutex_unlock(&p->mu);
	if (retry_after)
		*retry_after = wait;
	return wait > 0;
}

static int cmp_app(const void *x, const void *y)
{
	return strcmp(((const sandbox_pool_app *)x)->app, ((const sandbox_pool_app *)y)->app);
}

size_t sandbox_pool_apps(sandbox_pool *p, sandbox_pool_app **out)
{
	pthread_mutex_lock(&p->mu);
	time_t now = time(NULL);
	size_t n = p->napps;
	*out = xcalloc(n ? n : 1, sizeof **out);
	for (size_t i = 0; i < n; i++) {
		const app_q *a = &p->apps[i];
		sandbox_pool_app *o = &(*out)[i];
		memcpy(o->app, a->id, sizeof o->app);
		o->overruns = a->overruns;
		o->refused = a->refused;
		o->trips = a->trips;
		o->suspended_until = wait_left(a, now) ? a->suspended_until : 0;
		o->running = a->running;
		o->queued = a->queued;
	}
	pthread_mutex_unlock(&p->mu);
	if (n)
		qsort(*out, n, sizeof **out, cmp_app);
	return n;
}

void sandbox_pool_metrics(sandbox_pool *p, buf *out)
{
	sandbox_pool_app *v;
	size_t n = sandbox_pool_apps(p, &v);
	time_t now = time(NULL);
	static const struct {
		const char *name, *type, *help;
	} m[] = {
	    {"smallapps_lua_budget_aborts_total", "counter",
	     "App code calls stopped past their instruction or memory budget."},
	    {"smallapps_lua_refused_total", "counter",
	     "Requests answered 503: the app's code suspended or its queue full."},
	    {"smallapps_lua_suspensions_total", "counter", "Times an app's code was suspended."},
	    {"smallapps_lua_suspended_seconds", "gauge", "Seconds left of an app's suspension."},
	    {"smallapps_lua_queued", "gauge", "Calls waiting for a thread, per app."},
	};
	for (size_t k = 0; k < sizeof m / sizeof *m; k++) {
		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name,
			   m[k].type);
		for (size_t i = 0; i < n; i++) {
			unsigned long long val =
			    k == 0   ? v[i].overruns
			    : k == 1 ? v[i].refused
			    : k == 2 ? v[i].trips
			    : k == 3 ? (unsigned long long)(v[i].suspended_until
								? v[i].suspended_until - now
								: 0)
				     : (unsigned long long)v[i].queued;
			buf_printf(out, "%s{app=\"%s\"} %llu\n", m[k].name, v[i].app, val);
		}
	}
	free(v);
}
