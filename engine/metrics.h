/*
 * metrics — process-wide counters for /metrics (Prometheus text format, SPEC 12).
 * Lock-free atomics; safe from any thread.
 */
#ifndef SMALLAPPS_METRICS_H
#define SMALLAPPS_METRICS_H

#include "buf.h"

void metrics_request(int status, double ms);
void metrics_lua_error(void);
/* A connection refused (its address at its limit) / shut down (headers too slow). */
void metrics_conn_refused(void);
void metrics_conn_timed_out(void);
void metrics_write(
    buf *out); /* appends the exposition text (records per app added by the caller) */

#endif
