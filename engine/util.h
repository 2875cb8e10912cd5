/*
 * util — the process clock, randomness, UTF-8 and small text helpers.
 *
 * The clock is injectable: SMALLAPPS_NOW (an ISO datetime, read once by util_init)
 * fixes "now" for the whole process, so tests and demos are reproducible. Every
 * module asks util_now() and never calls time() itself.
 * Thread-safety: util_init runs once at start-up, before threads; the rest is
 * reentrant.
 */
#ifndef SMALLAPPS_UTIL_H
#define SMALLAPPS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

/* Reads SMALLAPPS_NOW. Returns -1 (with a message on stderr) if it is malformed. */
int util_init(void);
time_t util_now(void);				/* seconds since epoch, UTC */
void util_iso_datetime(time_t t, char out[32]); /* 2026-11-23T10:31:09Z */
/* Parses YYYY-MM-DD (a real calendar date) into days since 1970-01-01. */
bool util_parse_date(const char *s, int64_t *days);
/* Parses YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM] (also with a space); returns UTC seconds. */
bool util_parse_datetime(const char *s, time_t *t);
void util_days_to_date(int64_t days, char out[11]);
/*
 * Offset of French local time (Europe/Paris) from UTC at t, in seconds: CET/CEST
 * with the EU rule, computed rather than read from TZ so output never depends on
 * the machine's settings.
 */
int util_paris_offset(time_t t);
/* "Today" for a French user at t, in days since 1970-01-01. */
int64_t util_local_days(time_t t);

/* Cryptographically secure random bytes (getrandom). */
void util_random(void *p, size_t n);
/* n random bytes as 2n lowercase hex chars + NUL into out (size 2n+1). */
void util_random_hex(char *out, size_t nbytes);
void util_hex(const unsigned char *in, size_t n, char *out); /* out: 2n+1 */
/* SHA-256 of s as 64 hex chars + NUL. */
void util_sha256_hex(const void *s, size_t n, char out[65]);
/* Constant-time equality of two NUL-terminated strings (time depends on length only). */
bool util_ct_streq(const char *a, const char *b);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool util_utf8_valid(const char *s, size_t n);
size_t util_utf8_len(const char *s); /* code points; s must be valid */
/* Levenshtein distance, capped: returns cap+1 once it is known to exceed cap. */
int util_edit_distance(const char *a, const char *b, int cap);

/*
 * Text as search compares it: Latin letters without their accents (é -> e, œ -> oe,
 * ß -> ss), ASCII lowercase; other characters kept. Appended to out. The same folding
 * as PostgreSQL's lower(unaccent(x)) on French text, so both backends find the same.
 */
void util_fold(const char *s, buf *out);
/* Trims ASCII whitespace in place; returns s. */
char *util_trim(char *s);
/*
 * A redirect target that stays on this site: true when `in`, read as a browser reads
 * a Location (WHATWG URL parser), is a path of this origin; out (outlen bytes) then
 * holds it as the browser reads it. False for "//host", "/\host", their TAB/LF/CR
 * and leading-space variants, any other control character, or a too long text.
 */
bool util_local_path(const char *in, char *out, size_t outlen);

#endif
