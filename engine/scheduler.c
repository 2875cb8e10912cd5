/*
 * scheduler — periodic runs of the workflow's automatic transitions (see scheduler.h).
 */
#include "scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "sandbox.h"
#include "util.h"

struct scheduler {
	const uc_env *env;
	int period_s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* signalled on stop; waits use CLOCK_MONOTONIC */
	bool stopping;	   /* under mu, for the wait */
	atomic_bool stop;  /* read by the tick between records */
};

static void *run(void *arg)
{
	scheduler *s = arg;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->mu);
		tick_result res = {0};
		uc_tick(s->env, util_now(), &s->stop, &res);
		if (res.moved > 0)
			log_message("tick", "%d record(s) moved by automatic transitions",
				    res.moved);
		pthread_mutex_lock(&s->mu);
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += s->period_s;
		while (!s->stopping && pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->mu);
	/* Lua states this thread opened for guards and actions. */
	sandbox_thread_cleanup();
	return NULL;
}

scheduler *scheduler_start(const uc_env *env, int period_s)
{
	scheduler *s = xcalloc(1, sizeof *s);
	s->env = env;
	s->period_s = period_s > 0 ? period_s : 60;
	atomic_init(&s->stop, false);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->mu, NULL);
	/* The thread takes no signal: SIGTERM must reach the thread that waits for it. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&s->thread, NULL, run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_message("tick", "cannot start the scheduler thread");
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return NULL;
	}
	return s;
}

void scheduler_stop(scheduler *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
