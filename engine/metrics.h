/*
 * metrics — process-wide counters for /metrics (Prometheus text format, SPEC 12).
 * Lock-free atomics; safe from any thread.
 */
#ifndef SMALLAPPS_METRICS_H
#define SMALLAPPS_METRICS_H

#include "buf.h"

/* The kind of a request by its path: page, api, static, admin, tracking, health, metrics. */
int metrics_kind(const char *path);
void metrics_request(int kind, int status, double ms);
void metrics_lua_error(void);
/* A connection refused (its address at its limit) / shut down (headers too slow). */
void metrics_conn_refused(void);
void metrics_conn_timed_out(void);
void metrics_write(
    buf *out); /* appends the exposition text (records per app added by the caller) */

#endif
