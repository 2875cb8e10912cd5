/*
 * jsonw — streaming JSON writer and compact-JSON checker (see jsonw.h).
 *
 * The escaping loop copies runs of bytes that need nothing with one memcpy and checks
 * UTF-8 sequences as it meets them, so a string is read once. The formats follow
 * jansson 2.14's dump.c and strconv.c (the %.17g path), which tests/unit/test_jsonw.c
 * compares byte for byte.
 */
#include "jsonw.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n > 0 bytes left, s[0] >= 0x80); 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0xC2)
		return 0; /* continuation byte, or overlong 2-byte lead */
	if (c < 0xE0)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c < 0xF0) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 0; /* overlong, surrogate */
		return 3;
	}
	if (c < 0xF5) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
			return 0; /* overlong, past U+10FFFF */
		return 4;
	}
	return 0;
}

bool jsonw_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq(u + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* Byte classes: 0 copied as is, 1 escaped, 2 starts a UTF-8 sequence (checked). */
#define ROW(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char byte_class[256] = {
    ROW(1), ROW(1), /* 0x00-0x1f: control characters */
    0,	    0,	    1,	    0,	    0,	    0,	    0,	    0,
    0,	    0,	    0,	    0,	    0,	    0,	    0,	    0, /* 0x20-0x2f: '"' */
    ROW(0), ROW(0),					       /* 0x30-0x4f */
    0,	    0,	    0,	    0,	    0,	    0,	    0,	    0,
    0,	    0,	    0,	    0,	    1,	    0,	    0,	    0, /* 0x50-0x5f: '\\' */
    ROW(0), ROW(0),					       /* 0x60-0x7f: DEL is not escaped */
    ROW(2), ROW(2), ROW(2), ROW(2), ROW(2), ROW(2), ROW(2), ROW(2),
};
#undef ROW

/* Where to write n more bytes (the NUL after them included); the caller bumps len. */
static inline char *room(buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_reserve(b, n);
	return b->data + b->len;
}

static inline void put(buf *b, const char *s, size_t n)
{
	char *d = room(b, n);
	memcpy(d, s, n);
	d[n] = '\0';
	b->len += n;
}

/*
 * Appends pre (unless 0), s as a JSON string, then post (unless 0). On invalid UTF-8
 * appends nothing and returns false. Reserves the worst case (every byte as \u00XX)
 * once and writes in place.
 */
static bool put_string(buf *b, char pre, const char *s, size_t n, char post)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;
	char *start = room(b, 6 * n + 4), *d = start;
	size_t i = 0;
	if (pre)
		*d++ = pre;
	*d++ = '"';
	while (i < n) {
		size_t run = i;
		while (i < n && byte_class[u[i]] == 0)
			i++;
		memcpy(d, s + run, i - run);
		d += i - run;
		if (i == n)
			break;
		unsigned c = u[i];
		if (byte_class[c] == 2) {
			size_t k = utf8_seq(u + i, n - i);
			if (!k) {
				*start = '\0'; /* nothing was added */
				return false;
			}
			memcpy(d, s + i, k);
			d += k;
			i += k;
			continue;
		}
		*d++ = '\\';
		switch (c) {
		case '"':
			*d++ = '"';
			break;
		case '\\':
			*d++ = '\\';
			break;
		case '\b':
			*d++ = 'b';
			break;
		case '\f':
			*d++ = 'f';
			break;
		case '\n':
			*d++ = 'n';
			break;
		case '\r':
			*d++ = 'r';
			break;
		case '\t':
			*d++ = 't';
			break;
		default:
			*d++ = 'u';
			*d++ = '0';
			*d++ = '0';
			*d++ = hex[c >> 4];
			*d++ = hex[c & 15];
			break;
		}
		i++;
	}
	*d++ = '"';
	if (post)
		*d++ = post;
	*d = '\0';
	b->len = (size_t)(d - b->data);
	return true;
}

void jsonw_init(jsonw *w, buf *out)
{
	w->out = out;
	w->comma = false;
	w->depth = 0;
}

/* Writes a scalar's text, after a comma when one is due. */
static void put_value(jsonw *w, const char *s, size_t n)
{
	char *d = room(w->out, n + 1);
	if (w->comma)
		*d++ = ',';
	memcpy(d, s, n);
	d[n] = '\0';
	w->out->len = (size_t)(d + n - w->out->data);
	w->comma = true;
}

static void open_level(jsonw *w, char c)
{
	char t[2] = {',', c};
	if (w->comma)
		put(w->out, t, 2);
	else
		put(w->out, t + 1, 1);
	w->comma = false;
	w->depth++;
}

static void close_level(jsonw *w, char c)
{
	assert(w->depth > 0);
	put(w->out, &c, 1);
	w->comma = true;
	w->depth--;
}

void jsonw_object_begin(jsonw *w)
{
	open_level(w, '{');
}

void jsonw_object_end(jsonw *w)
{
	close_level(w, '}');
}

void jsonw_array_begin(jsonw *w)
{
	open_level(w, '[');
}

void jsonw_array_end(jsonw *w)
{
	close_level(w, ']');
}

void jsonw_key(jsonw *w, const char *k)
{
	assert(w->depth > 0);
	if (!put_string(w->out, w->comma ? ',' : 0, k, strlen(k), ':'))
		put_value(w, "\"\":", 3);
	w->comma = false;
}

bool jsonw_strn(jsonw *w, const char *s, size_t n)
{
	if (s && put_string(w->out, w->comma ? ',' : 0, s, n, 0)) {
		w->comma = true;
		return true;
	}
	put_value(w, "null", 4);
	return s == NULL;
}

bool jsonw_str(jsonw *w, const char *s)
{
	return jsonw_strn(w, s, s ? strlen(s) : 0);
}

void jsonw_int(jsonw *w, int64_t i)
{
	char t[24];
	char *p = t + sizeof t;
	uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		*--p = '-';
	put_value(w, p, (size_t)(t + sizeof t - p));
}

void jsonw_real(jsonw *w, double d)
{
	if (!isfinite(d)) {
		jsonw_null(w);
		return;
	}
	char t[48];
	int r = snprintf(t, sizeof t - 3, "%.17g", d);
	if (r < 0 || (size_t)r >= sizeof t - 3) {
		jsonw_null(w); /* cannot happen: %.17g of a finite double is at most 24 bytes */
		return;
	}
	size_t len = (size_t)r;
	/* Like jansson: a real must not read back as an integer. */
	if (!memchr(t, '.', len) && !memchr(t, 'e', len)) {
		memcpy(t + len, ".0", 3);
		len += 2;
	}
	/* "1e+20" -> "1e20", "1e-05" -> "1e-5" (jansson's exponent clean-up). */
	char *e = memchr(t, 'e', len);
	if (e) {
		char *start = e + 1, *end = e + 2;
		if (*start == '-')
			start++;
		while (end < t + len && *end == '0')
			end++;
		if (end != start) {
			memmove(start, end, len - (size_t)(end - t));
			len -= (size_t)(end - start);
		}
	}
	put_value(w, t, len);
}

void jsonw_bool(jsonw *w, bool b)
{
	if (b)
		put_value(w, "true", 4);
	else
		put_value(w, "false", 5);
}

void jsonw_null(jsonw *w)
{
	put_value(w, "null", 4);
}

void jsonw_raw(jsonw *w, const char *json, size_t n)
{
	put_value(w, json, n);
}

/* ---- compact-JSON check ---- */

#define CANON_MAX_DEPTH 32
#define CANON_MAX_KEYS	64

typedef struct scan {
	const unsigned char *p, *end;
} scan;

static bool canon_value(scan *s, unsigned depth);

static int hexval(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 'A' && c <= 'F')
		return (int)(c - 'A' + 10);
	return -1; /* lower case is not what jansson writes */
}

/* A string as json_dumps writes it; s->p is on the opening quote. */
static bool canon_string(scan *s)
{
	const unsigned char *p = s->p + 1, *end = s->end;
	while (p < end) {
		unsigned c = *p;
		if (c == '"') {
			s->p = p + 1;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			size_t k = utf8_seq(p, (size_t)(end - p));
			if (!k)
				return false;
			p += k;
			continue;
		}
		if (c != '\\') {
			p++;
			continue;
		}
		if (end - p < 2)
			return false;
		switch (p[1]) {
		case '"':
		case '\\':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			continue;
		case 'u': {
			/* Only control characters without a short form, as \u00XX; not NUL
			 * (json_loads refuses it). */
			if (end - p < 6 || p[2] != '0' || p[3] != '0')
				return false;
			int hi = hexval(p[4]), lo = hexval(p[5]);
			if (hi < 0 || hi > 1 || lo < 0)
				return false;
			int v = hi * 16 + lo;
			if (v == 0 || v == '\b' || v == '\t' || v == '\n' || v == '\f' || v == '\r')
				return false;
			p += 6;
			continue;
		}
		default:
			return false; /* "\/" and the rest are not what jansson writes */
		}
	}
	return false;
}

/* An integer that json_loads keeps as an integer and json_dumps writes back the same. */
static bool canon_number(scan *s)
{
	const unsigned char *p = s->p, *end = s->end;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	const unsigned char *digits = p;
	if (p == end || *p < '0' || *p > '9')
		return false;
	if (*p == '0') {
		p++;
		if (neg)
			return false; /* -0 is written back as 0 */
	} else {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')))
		return false; /* a real (left to jansson), or a leading zero */
	if (p - digits > 18)
		return false; /* might not fit in 64 bits: left to jansson */
	s->p = p;
	return true;
}

static bool canon_literal(scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool canon_array(scan *s, unsigned depth)
{
	s->p++;
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		if (!canon_value(s, depth + 1) || s->p == s->end)
			return false;
		if (*s->p == ']') {
			s->p++;
			return true;
		}
		if (*s->p != ',')
			return false;
		s->p++;
	}
}

static bool canon_object(scan *s, unsigned depth)
{
	const unsigned char *key[CANON_MAX_KEYS];
	size_t keylen[CANON_MAX_KEYS], nkeys = 0;
	s->p++;
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		if (s->p == s->end || *s->p != '"' || nkeys == CANON_MAX_KEYS)
			return false;
		const unsigned char *k = s->p;
		if (!canon_string(s))
			return false;
		size_t kn = (size_t)(s->p - k);
		/* json_loads keeps the last of duplicate keys in the first one's place. */
		for (size_t i = 0; i < nkeys; i++)
			if (keylen[i] == kn && memcmp(key[i], k, kn) == 0)
				return false;
		key[nkeys] = k;
		keylen[nkeys++] = kn;
		if (s->p == s->end || *s->p != ':')
			return false;
		s->p++;
		if (!canon_value(s, depth + 1) || s->p == s->end)
			return false;
		if (*s->p == '}') {
			s->p++;
			return true;
		}
		if (*s->p != ',')
			return false;
		s->p++;
	}
}

static bool canon_value(scan *s, unsigned depth)
{
	if (s->p == s->end || depth > CANON_MAX_DEPTH)
		return false;
	switch (*s->p) {
	case '{':
		return canon_object(s, depth);
	case '[':
		return canon_array(s, depth);
	case '"':
		return canon_string(s);
	case 't':
		return canon_literal(s, "true", 4);
	case 'f':
		return canon_literal(s, "false", 5);
	case 'n':
		return canon_literal(s, "null", 4);
	default:
		return canon_number(s);
	}
}

bool jsonw_is_compact(const char *s, size_t n)
{
	if (!s || n == 0 || (s[0] != '[' && s[0] != '{'))
		return false;
	scan sc = {(const unsigned char *)s, (const unsigned char *)s + n};
	return canon_value(&sc, 1) && sc.p == sc.end;
}
