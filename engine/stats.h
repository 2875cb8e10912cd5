/*
 * stats — the dashboard's arithmetic (SPEC 6, 7), apart from storage and doors: the
 * twelve months it counts records in, and percentiles by nearest rank over a
 * histogram of durations in tenths of a day.
 *
 * Months are French civil months (Europe/Paris), as the people reading the dashboard
 * count them; their bounds are UTC instants, as the store compares times. Pure
 * functions; a histogram belongs to its caller (stats_hist_free).
 */
#ifndef SMALLAPPS_STATS_H
#define SMALLAPPS_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STATS_MONTHS 12

typedef struct stats_months {
	char label[STATS_MONTHS][8]; /* "2026-01", oldest first, the month of `now` last */
	/* ISO UTC instants: where each month starts in Paris, then where the next one does */
	char bound[STATS_MONTHS + 1][32];
} stats_months;

/* The twelve months up to the one `now` falls in, in Paris. */
void stats_months_to(time_t now, stats_months *out);

/* Counts per value (tenths of a day), added by increasing value. */
typedef struct stats_hist {
	int64_t *value, *n;
	size_t len, cap;
	int64_t total;
} stats_hist;

/* Adds n durations of `value` tenths; values must come in increasing order. */
void stats_hist_add(stats_hist *h, int64_t value, int64_t n);
/* The nearest-rank percentile: the ceil(permille * total / 1000)-th smallest value
 * (at least the first); -1 when the histogram is empty. */
int64_t stats_rank(const stats_hist *h, int permille);
void stats_hist_free(stats_hist *h);

#endif
