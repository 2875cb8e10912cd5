/*
 * scheduler — the periodic work of `serve` (SPEC 8): every minute, what `smallapps
 * tick` does once — due automatic transitions (uc_tick).
 *
 * One thread, started after the registry is loaded and stopped before it closes.
 */
#ifndef SMALLAPPS_SCHEDULER_H
#define SMALLAPPS_SCHEDULER_H

#include "usecase.h"

typedef struct scheduler scheduler;

/* period_s: seconds between runs (60 in production); the first run is at once. */
scheduler *scheduler_start(const uc_env *env, int period_s);
/* Finishes the run in progress, if any, then joins the thread. NULL is fine. */
void scheduler_stop(scheduler *s);

#endif
