/*
 * metrics — request counters and a latency histogram (see metrics.h).
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const double bounds_ms[] = {1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000};
#define NB (sizeof bounds_ms / sizeof *bounds_ms)

/* Kinds of request, by what they ask for (the label `kind`). */
static const char *const kind_names[] = {"page",     "api",    "static", "admin",
					 "tracking", "health", "metrics"};
#define NK (sizeof kind_names / sizeof *kind_names)

static atomic_uint_fast64_t by_class[NK][6]; /* 1xx..5xx, index 0 unused */
static atomic_uint_fast64_t buckets[NK][NB + 1];
static atomic_uint_fast64_t sum_us[NK];
static atomic_uint_fast64_t lua_errors;
static atomic_uint_fast64_t conn_refused, conn_timed_out;

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int metrics_kind(const char *path)
{
	if (!path)
		return 0;
	if (starts(path, "/api/"))
		return 1;
	if (starts(path, "/static/"))
		return 2;
	if (strcmp(path, "/admin") == 0 || starts(path, "/admin/"))
		return 3;
	if (starts(path, "/suivi/"))
		return 4;
	if (strcmp(path, "/healthz") == 0)
		return 5;
	if (strcmp(path, "/metrics") == 0)
		return 6;
	return 0;
}

void metrics_request(int kind, int status, double ms)
{
	size_t k = kind >= 0 && (size_t)kind < NK ? (size_t)kind : 0;
	int c = status / 100;
	if (c >= 1 && c <= 5)
		atomic_fetch_add(&by_class[k][c], 1);
	size_t i = 0;
	while (i < NB && ms > bounds_ms[i])
		i++;
	atomic_fetch_add(&buckets[k][i], 1);
	atomic_fetch_add(&sum_us[k], (uint_fast64_t)(ms * 1000));
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
	buf_puts(out, "# HELP smallapps_http_requests_total HTTP requests by kind and status "
		      "class.\n"
		      "# TYPE smallapps_http_requests_total counter\n");
	for (size_t k = 0; k < NK; k++)
		for (int c = 1; c <= 5; c++)
			buf_printf(
			    out,
			    "smallapps_http_requests_total{kind=\"%s\",status=\"%dxx\"} %llu\n",
			    kind_names[k], c, (unsigned long long)atomic_load(&by_class[k][c]));
	buf_puts(out, "# HELP smallapps_http_request_duration_seconds Request latency by kind.\n"
		      "# TYPE smallapps_http_request_duration_seconds histogram\n");
	for (size_t k = 0; k < NK; k++) {
		uint64_t cum = 0;
		for (size_t i = 0; i <= NB; i++) {
			cum += atomic_load(&buckets[k][i]);
			if (i < NB)
				buf_printf(
				    out,
				    "smallapps_http_request_duration_seconds_bucket{kind=\"%s\","
				    "le=\"%g\"} %llu\n",
				    kind_names[k], bounds_ms[i] / 1000, (unsigned long long)cum);
		}
		buf_printf(
		    out,
		    "smallapps_http_request_duration_seconds_bucket{kind=\"%s\",le=\"+Inf\"} "
		    "%llu\n"
		    "smallapps_http_request_duration_seconds_sum{kind=\"%s\"} %.6f\n"
		    "smallapps_http_request_duration_seconds_count{kind=\"%s\"} %llu\n",
		    kind_names[k], (unsigned long long)cum, kind_names[k],
		    (double)atomic_load(&sum_us[k]) / 1e6, kind_names[k], (unsigned long long)cum);
	}
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
