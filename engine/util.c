/*
 * util — clock, randomness, hashing, UTF-8 and text helpers (see util.h).
 *
 * The fixed clock (SMALLAPPS_NOW) is written once by util_init before any thread
 * starts and only read afterwards, so it needs no lock.
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static time_t fixed_now = (time_t)-1;

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t yy = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
	static const unsigned md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : md[m - 1];
}

/* Reads exactly n digits. */
static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool util_parse_date(const char *s, int64_t *days)
{
	int y, m, d;
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1 || (unsigned)d > month_days(y, (unsigned)m))
		return false;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return true;
}

bool util_parse_datetime(const char *s, time_t *t)
{
	int64_t days;
	int hh, mm, ss = 0;
	if (!s || strlen(s) < 16)
		return false;
	char date[11];
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!util_parse_date(date, &days) || (s[10] != 'T' && s[10] != ' '))
		return false;
	const char *p = s + 11;
	if (!digits(p, 2, &hh) || p[2] != ':' || !digits(p + 3, 2, &mm))
		return false;
	p += 5;
	if (*p == ':') {
		if (!digits(p + 1, 2, &ss))
			return false;
		p += 3;
		if (*p == '.') /* fractions are accepted and dropped */
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (hh > 23 || mm > 59 || ss > 60)
		return false;
	int64_t offset = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
			return false;
		offset = (oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
		p += 6;
	}
	if (*p)
		return false;
	*t = (time_t)(days * 86400 + hh * 3600 + mm * 60 + ss - offset);
	return true;
}

int util_init(void)
{
	const char *now = getenv("SMALLAPPS_NOW");
	if (sodium_init() < 0) {
		fputs("smallapps: libsodium failed to initialise\n", stderr);
		return -1;
	}
	if (!now || !*now)
		return 0;
	time_t t;
	int64_t days;
	if (util_parse_datetime(now, &t)) {
		fixed_now = t;
	} else if (util_parse_date(now, &days)) {
		fixed_now = (time_t)(days * 86400);
	} else {
		fprintf(stderr,
			"smallapps: SMALLAPPS_NOW=\"%s\" is not an ISO datetime "
			"(e.g. 2026-11-23T10:00:00Z)\n",
			now);
		return -1;
	}
	return 0;
}

time_t util_now(void)
{
	return fixed_now != (time_t)-1 ? fixed_now : time(NULL);
}

void util_days_to_date(int64_t days, char out[11])
{
	int y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y < 0 ? 0 : y) % 10000u, m % 100u, d % 100u);
}

/* Last Sunday of a month (0-based) at 01:00 UTC: when EU summer time starts or ends. */
static int64_t last_sunday_0100_utc(int year, unsigned mon)
{
	int64_t days = days_from_civil(year, mon + 1, month_days(year, mon + 1));
	int64_t wday = ((days % 7) + 11) % 7; /* 1970-01-01 was a Thursday (4) */
	return (days - wday) * 86400 + 3600;
}

int util_paris_offset(time_t t)
{
	int y;
	unsigned m, d;
	int64_t days = (int64_t)t >= 0 ? (int64_t)t / 86400 : ((int64_t)t - 86399) / 86400;
	civil_from_days(days, &y, &m, &d);
	int64_t start = last_sunday_0100_utc(y, 2), end = last_sunday_0100_utc(y, 9);
	return (int64_t)t >= start && (int64_t)t < end ? 7200 : 3600;
}

int64_t util_local_days(time_t t)
{
	int64_t l = (int64_t)t + util_paris_offset(t);
	return l >= 0 ? l / 86400 : (l - 86399) / 86400;
}

void util_iso_datetime(time_t t, char out[32])
{
	int64_t days = (int64_t)t >= 0 ? (int64_t)t / 86400 : ((int64_t)t - 86399) / 86400;
	int64_t secs = (int64_t)t - days * 86400;
	char date[11];
	util_days_to_date(days, date);
	snprintf(out, 32, "%sT%02d:%02d:%02dZ", date, (int)(secs / 3600), (int)(secs / 60 % 60),
		 (int)(secs % 60));
}

void util_random(void *p, size_t n)
{
	randombytes_buf(p, n);
}

void util_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void util_random_hex(char *out, size_t nbytes)
{
	unsigned char tmp[64];
	while (nbytes > 0) {
		size_t k = nbytes > sizeof tmp ? sizeof tmp : nbytes;
		util_random(tmp, k);
		util_hex(tmp, k, out);
		out += 2 * k;
		nbytes -= k;
	}
	*out = '\0';
}

void util_sha256_hex(const void *s, size_t n, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, s, n);
	util_hex(h, sizeof h, out);
}

bool util_ct_streq(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

bool util_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp;
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

size_t util_utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

int util_edit_distance(const char *a, const char *b, int cap)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > (size_t)cap)
		return cap + 1;
	int prev[65], cur[65];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		int rowmin = cur[0];
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			cur[j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (rowmin > cap)
			return cap + 1;
		memcpy(prev, cur, sizeof(int) * (lb + 1));
	}
	return prev[lb] > cap ? cap + 1 : prev[lb];
}

char *util_trim(char *s)
{
	if (!s)
		return s;
	char *p = s;
	while (*p && isspace((unsigned char)*p))
		p++;
	size_t n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	memmove(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * Browsers read a Location as the WHATWG URL parser does: leading and trailing C0
 * controls and spaces are stripped, TAB, LF and CR are removed anywhere, and a
 * backslash counts as a slash. "/\t/evil.example" is thus "//evil.example", another
 * host. The check runs on the text as the browser will see it, and what is returned
 * is that text, so nothing the check did not see reaches the header.
 */
bool util_local_path(const char *in, char *out, size_t outlen)
{
	if (!in || outlen < 2)
		return false;
	size_t start = 0, end = strlen(in);
	while (start < end && (unsigned char)in[start] <= 0x20)
		start++;
	while (end > start && (unsigned char)in[end - 1] <= 0x20)
		end--;
	size_t k = 0;
	for (size_t i = start; i < end; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		/* Any other control character: not a path a form of ours would send. */
		if (c < 0x20 || c == 0x7f || k + 1 >= outlen)
			return false;
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return k >= 1 && out[0] == '/' && out[1] != '/' && out[1] != '\\';
}

/* Base letters of U+00C0..U+017F (NULL: not a letter, kept). */
static const char *const fold_c0[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c",  "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",	NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c",  "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",	NULL, "o", "u", "u", "u", "u", "y", "th", "y"};
static const char *const fold_100[128] = {
    "a", "a", "a",  "a",  "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    "d", "d", "e",  "e",  "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    "g", "g", "g",  "g",  "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    "l", "l", "l",  "n",  "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    "s", "s", "t",  "t",  "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    "u", "u", "u",  "u",  "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};

void util_fold(const char *s, buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp = 0;
		size_t n = 1;
		if (p[0] >= 0xc3 && p[0] <= 0xc5 && (p[1] & 0xc0) == 0x80) {
			cp = ((unsigned)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
			n = 2;
		}
		const char *base = cp >= 0xc0 && cp < 0x100    ? fold_c0[cp - 0xc0]
				   : cp >= 0x100 && cp < 0x180 ? fold_100[cp - 0x100]
							       : NULL;
		if (base)
			buf_puts(out, base);
		else if (n == 1)
			buf_putc(out, (char)(*p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p));
		else
			buf_add(out, (const char *)p, n);
		p += n;
	}
}
