/*
 * metrics — request counters and a latency histogram (see metrics.h).
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdint.h>

static const double bounds_ms[] = {1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000};
#define NB (sizeof bounds_ms / sizeof *bounds_ms)

static atomic_uint_fast64_t by_class[6]; /* 1xx..5xx, index 0 unused */
static atomic_uint_fast64_t buckets[NB + 1];
static atomic_uint_fast64_t sum_us;
static atomic_uint_fast64_t lua_errors;
static atomic_uint_fast64_t conn_refused, conn_timed_out;

void metrics_request(int status, double ms)
{
	int c = status / 100;
	if (c >= 1 && c <= 5)
		atomic_fetch_add(&by_class[c], 1);
	size_t i = 0;
	while (i < NB && ms > bounds_ms[i])
		i++;
	atomic_fetch_add(&buckets[i], 1);
	atomic_fetch_add(&sum_us, (uint_fast64_t)(ms * 1000));
}

void metrics_lua_error(void)
{
	atomic_fetch_add(&lua_errors, 1);
}

void metrics_conn_refused(void)
{
	atomic_fetch_add(&conn_refused, 1);
}

void metrics_conn_timed_out(void)
{
	atomic_fetch_add(&conn_timed_out, 1);
}

void metrics_write(buf *out)
{
	buf_puts(out, "# HELP smallapps_http_requests_total HTTP requests by status class.\n"
		      "# TYPE smallapps_http_requests_total counter\n");
	uint64_t total = 0;
	for (int c = 1; c <= 5; c++) {
		uint64_t n = atomic_load(&by_class[c]);
		buf_printf(out, "smallapps_http_requests_total{code=\"%dxx\"} %llu\n", c,
			   (unsigned long long)n);
	}
	buf_puts(out, "# HELP smallapps_http_request_duration_seconds Request latency.\n"
		      "# TYPE smallapps_http_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t i = 0; i <= NB; i++) {
		cum += atomic_load(&buckets[i]);
		if (i < NB)
			buf_printf(
			    out, "smallapps_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			    bounds_ms[i] / 1000, (unsigned long long)cum);
	}
	total = cum;
	buf_printf(out, "smallapps_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		   (unsigned long long)total);
	buf_printf(out, "smallapps_http_request_duration_seconds_sum %.6f\n",
		   (double)atomic_load(&sum_us) / 1e6);
	buf_printf(out, "smallapps_http_request_duration_seconds_count %llu\n",
		   (unsigned long long)total);
	buf_printf(out,
		   "# HELP smallapps_lua_errors_total Errors raised by app code.\n"
		   "# TYPE smallapps_lua_errors_total counter\nsmallapps_lua_errors_total %llu\n",
		   (unsigned long long)atomic_load(&lua_errors));
	buf_printf(out,
		   "# HELP smallapps_connections_refused_total Connections refused: their address "
		   "held its maximum already.\n"
		   "# TYPE smallapps_connections_refused_total counter\n"
		   "smallapps_connections_refused_total %llu\n"
		   "# HELP smallapps_connections_header_timeouts_total Connections closed: request "
		   "headers not complete in time.\n"
		   "# TYPE smallapps_connections_header_timeouts_total counter\n"
		   "smallapps_connections_header_timeouts_total %llu\n",
		   (unsigned long long)atomic_load(&conn_refused),
		   (unsigned long long)atomic_load(&conn_timed_out));
}
