/*
 * stats — month bounds and nearest-rank percentiles (see stats.h).
 */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

/* Where the Paris month (year, month 1..12) starts, as a UTC instant. */
static time_t month_start(int year, int month)
{
	char date[32];
	int64_t days = 0;
	snprintf(date, sizeof date, "%04d-%02d-01", year, month);
	util_parse_date(date, &days);
	time_t local = (time_t)(days * 86400);
	/* An hour before: the clocks never change around midnight, the offset is the day's. */
	return local - util_paris_offset(local - 3600);
}

void stats_months_to(time_t now, stats_months *out)
{
	time_t local = now + util_paris_offset(now);
	struct tm tm;
	gmtime_r(&local, &tm);
	/* Months counted from year 0, so that stepping back crosses years by itself. */
	int cur = (tm.tm_year + 1900) * 12 + tm.tm_mon;
	for (int i = 0; i <= STATS_MONTHS; i++) {
		int m = cur - (STATS_MONTHS - 1) + i;
		int year = m / 12, month = m % 12 + 1;
		util_iso_datetime(month_start(year, month), out->bound[i]);
		char label[32];
		snprintf(label, sizeof label, "%04d-%02d", year, month);
		if (i < STATS_MONTHS)
			snprintf(out->label[i], sizeof out->label[i], "%.7s", label);
	}
}

void stats_hist_add(stats_hist *h, int64_t value, int64_t n)
{
	if (n <= 0)
		return;
	if (h->len && h->value[h->len - 1] == value) {
		h->n[h->len - 1] += n;
	} else {
		if (h->len == h->cap) {
			h->cap = h->cap ? 2 * h->cap : 32;
			h->value = xrealloc(h->value, h->cap * sizeof *h->value);
			h->n = xrealloc(h->n, h->cap * sizeof *h->n);
		}
		h->value[h->len] = value;
		h->n[h->len++] = n;
	}
	h->total += n;
}

int64_t stats_rank(const stats_hist *h, int permille)
{
	if (h->total <= 0)
		return -1;
	int64_t rank = (h->total * permille + 999) / 1000;
	if (rank < 1)
		rank = 1;
	int64_t seen = 0;
	for (size_t i = 0; i < h->len; i++) {
		seen += h->n[i];
		if (seen >= rank)
			return h->value[i];
	}
	return h->value[h->len - 1];
}

void stats_hist_free(stats_hist *h)
{
	free(h->value);
	free(h->n);
	memset(h, 0, sizeof *h);
}
