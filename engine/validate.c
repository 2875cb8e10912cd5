/*
 * validate — field values: parsing input, checking rules, formatting output
 * (SPEC 4.3 field types, SPEC 7 JSON value forms).
 *
 * Owns: the syntax of every field type as typed in a form or sent as JSON, the
 * rules of the type and of the field's keys, the canonical stored form, and the
 * three outward forms of a value (JSON, human display, text for an <input>).
 * Does not own: `required` / `required_if` / `visible_if` (the write pipeline),
 * file uploads (the HTTP layer stores the bytes and gives us the JSON object),
 * app `validate` hooks.
 *
 * Split of work: validate_parse_* read syntax into a typed `value` (numbers,
 * dates, booleans become typed; text-like values are kept as trimmed text);
 * validate_check applies rules and normalises (phone E.164, IBAN, SIRET, the
 * canonical order of a multichoice). Check accepts any value kind, because values
 * also come from defaults and `compute` hooks: lossless kinds are converted
 * (an integral REAL for an integer), others are refused with a message.
 *
 * Stored forms: money as int64 cents; date "YYYY-MM-DD"; datetime
 * "YYYY-MM-DDTHH:MM:SS", French local wall-clock time (Europe/Paris): as typed, or,
 * for an input with an ISO 8601 zone (Z, +01:00), the Paris time of that instant;
 * multichoice as a compact
 * JSON array in option order; file as a compact JSON object.
 *
 * Typography: numbers are grouped with U+202F (narrow no-break space) and the
 * euro sign follows a U+202F ("1 234,56 €"); identifiers people copy (phone,
 * SIRET, SIREN, IBAN) are grouped with plain spaces. Both are accepted back on
 * input.
 *
 * `text` patterns are Lua patterns, matched by lmatch.c (Lua 5.4's matcher, so
 * captures and back-references work as in Lua) and anchored at both ends. A step
 * budget bounds backtracking; a malformed pattern, or one over budget, counts as a
 * mismatch.
 *
 * The French identifiers (SIREN, SIRET, IBAN, phone, postal code) are checked here
 * for the field types and for Lua's smallapps.fr alike (see "French rules").
 *
 * Numbers are read without the C library's locale (strtod only as a fallback for
 * more than 15 significant digits; the engine never changes LC_NUMERIC).
 *
 * Memory: the `out` of the parse functions must be clear (VAL_NULL) or
 * uninitialised: it is overwritten, not freed. On error it is left VAL_NULL.
 * Strings in values are malloc'ed (freed by value_clear). Thread-safe: no state.
 */
#include "validate.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmatch.h"
#include "util.h"
#include "validate_geo.h"
#include "validate_repeat.h"

#define NNBSP "\xe2\x80\xaf" /* U+202F narrow no-break space */
#define EURO  "\xe2\x82\xac" /* U+20AC */

/* Picks the message of the language; both arms are literals, so formats stay checked. */
#define L(fr, en) (lg == LANG_EN ? (en) : (fr))

#define MAX_NUMBER_TEXT 64 /* longest number input we read, in bytes */
#define MAX_EMAIL	254
#define MAX_URL		2048

/* ------------------------------------------------------------------ helpers */

static int fail(char *msg, const char *text)
{
	snprintf(msg, VALIDATE_MSG, "%s", text);
	return -1;
}

static void set_null(value *v)
{
	v->kind = VAL_NULL;
	v->i = 0;
	v->d = 0;
	v->s = NULL;
}

/* Takes ownership of s. */
static void set_text_own(value *v, char *s)
{
	set_null(v);
	v->kind = VAL_TEXT;
	v->s = s;
}

static void set_int(value *v, int64_t i)
{
	set_null(v);
	v->kind = VAL_INT;
	v->i = i;
}

static void set_real(value *v, double d)
{
	set_null(v);
	v->kind = VAL_REAL;
	v->d = d;
}

/* Replaces the text of an existing value (frees the old one); takes ownership of s. */
static void replace_text(value *v, char *s)
{
	char *old = v->s;
	set_text_own(v, s);
	free(old);
}

static void make_null(value *v)
{
	free(v->s);
	set_null(v);
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alpha(int c)
{
	return is_upper(c) || is_lower(c);
}

static bool is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_xdigit(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_ascii_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int to_upper(int c)
{
	return is_lower(c) ? c - 'a' + 'A' : c;
}

/*
 * Length in bytes of a space-like character at p inside a number or an
 * identifier: ASCII space or tab, U+00A0, U+202F, U+2009 (thin space); else 0.
 */
static size_t space_len(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	if (u[0] == ' ' || u[0] == '\t')
		return 1;
	if (u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xaf || u[2] == 0x89))
		return 3;
	return 0;
}

static const char *skip_spaces(const char *p)
{
	size_t k;
	while ((k = space_len(p)) > 0 || (*p && is_ascii_space((unsigned char)*p)))
		p += k ? k : 1;
	return p;
}

/* Copy of s without leading and trailing ASCII whitespace; caller frees. */
static char *dup_trimmed(const char *s)
{
	while (*s && is_ascii_space((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_ascii_space((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Textarea input from browsers has CRLF line ends; keep LF only. In place. */
static void crlf_to_lf(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Appends the decimal digits of u, grouped by three with sep (NULL: no grouping). */
static void put_grouped(buf *out, uint64_t u, const char *sep)
{
	char d[24];
	int n = 0;
	do {
		d[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (int i = n - 1; i >= 0; i--) {
		buf_putc(out, d[i]);
		if (sep && i > 0 && i % 3 == 0)
			buf_puts(out, sep);
	}
}

static uint64_t magnitude(int64_t i)
{
	return i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
}

/* ------------------------------------------------------------------ numbers */

/*
 * The shortest fixed-point text of d with '.' (at most 17 decimals) that reads
 * back as d; "%.17g" for numbers that have none.
 */
static void fmt_real(double d, char out[400])
{
	if (!isfinite(d) || fabs(d) >= 1e300) {
		snprintf(out, 400, "%.17g", d);
		return;
	}
	for (int p = 0; p <= 17; p++) {
		snprintf(out, 400, "%.*f", p, d);
		if (strtod(out, NULL) == d)
			return;
	}
	snprintf(out, 400, "%.17g", d);
}

/*
 * Appends a plain number text ("-1234.5", as made by fmt_real or "%lld") in
 * human form: grouped with U+202F and a decimal comma (FR), or grouped with ','
 * and a decimal point (EN). Text in exponent form is appended unchanged.
 */
static void put_human_number(buf *out, const char *plain, lang lg)
{
	if (strchr(plain, 'e') || strchr(plain, 'n') || strchr(plain, 'i')) {
		buf_puts(out, plain);
		return;
	}
	const char *p = plain;
	if (*p == '-') {
		buf_putc(out, '-');
		p++;
	}
	size_t nint = strspn(p, "0123456789");
	for (size_t i = 0; i < nint; i++) {
		buf_putc(out, p[i]);
		size_t left = nint - 1 - i;
		if (left > 0 && left % 3 == 0)
			buf_puts(out, lg == LANG_EN ? "," : NNBSP);
	}
	p += nint;
	if (*p == '.') {
		buf_putc(out, lg == LANG_EN ? '.' : ',');
		buf_puts(out, p + 1);
	}
}

enum money_style { MONEY_JSON, MONEY_INPUT, MONEY_FR, MONEY_EN };

static void put_money(buf *out, int64_t cents, enum money_style st)
{
	uint64_t u = magnitude(cents);
	if (cents < 0)
		buf_putc(out, '-');
	if (st == MONEY_EN)
		buf_puts(out, EURO);
	if (st == MONEY_FR)
		put_grouped(out, u / 100, NNBSP);
	else if (st == MONEY_EN)
		put_grouped(out, u / 100, ",");
	else
		put_grouped(out, u / 100, NULL);
	buf_printf(out, "%c%02u", st == MONEY_JSON || st == MONEY_EN ? '.' : ',',
		   (unsigned)(u % 100));
	if (st == MONEY_FR)
		buf_puts(out, NNBSP EURO);
}

typedef enum { NUM_INTEGER, NUM_DECIMAL, NUM_MONEY } num_kind;

typedef enum { NUM_OK, NUM_SYNTAX, NUM_TOO_LARGE, NUM_FRACTION } num_err;

/* A number as read from text: sign, integer digits, fraction digits. */
typedef struct numtext {
	bool neg;
	char ip[MAX_NUMBER_TEXT + 1]; /* integer digits, leading zeros removed, "" for 0 */
	char fp[MAX_NUMBER_TEXT + 1]; /* fraction digits, trailing zeros removed */
} numtext;

/* Skips a currency mark at *p ("€", "EUR", "eur"); true when one was there. */
static bool skip_currency(const char **p)
{
	if (strncmp(*p, EURO, 3) == 0) {
		*p += 3;
		return true;
	}
	if (to_upper((unsigned char)(*p)[0]) == 'E' && to_upper((unsigned char)(*p)[1]) == 'U' &&
	    to_upper((unsigned char)(*p)[2]) == 'R' && !is_alpha((unsigned char)(*p)[3])) {
		*p += 3;
		return true;
	}
	return false;
}

/*
 * The body of a number in s: [*body, *end) holds its digits, separators and inner
 * spaces; around it only spaces, a sign (nt->neg) and, for money, one currency mark.
 */
static num_err number_body(const char *s, num_kind kind, numtext *nt, const char **body,
			   const char **end)
{
	const char *p = skip_spaces(s);
	bool cur = false;
	if (kind == NUM_MONEY && skip_currency(&p)) {
		cur = true;
		p = skip_spaces(p);
	}
	if (*p == '-' || *p == '+') {
		nt->neg = *p == '-';
		p++;
	} else if (strncmp(p, "\xe2\x88\x92", 3) == 0) {
		nt->neg = true;
		p += 3;
	}
	if (kind == NUM_MONEY && !cur && skip_currency(&p))
		cur = true;

	/* The body: digits, ',', '.', single space-likes between digits. */
	*body = p;
	for (;;) {
		size_t k = space_len(p);
		if (k && is_digit((unsigned char)p[k]) && p > *body &&
		    is_digit((unsigned char)p[-1])) {
			p += k;
			continue;
		}
		if (is_digit((unsigned char)*p) || *p == ',' || *p == '.') {
			p++;
			continue;
		}
		break;
	}
	*end = p;
	p = skip_spaces(p);
	if (kind == NUM_MONEY && !cur && skip_currency(&p))
		p = skip_spaces(p);
	if (*p || *end == *body)
		return NUM_SYNTAX;
	if ((size_t)(*end - *body) > MAX_NUMBER_TEXT)
		return NUM_TOO_LARGE;
	return NUM_OK;
}

/*
 * Which punctuation of [body, end) is the decimal separator (*dec, or NULL) and which
 * groups thousands (*group, or 0).
 */
static num_err separators(const char *body, const char *end, const char **dec, char *group)
{
	int ndot = 0, ncomma = 0;
	const char *lastdot = NULL, *lastcomma = NULL;
	for (const char *q = body; q < end; q++) {
		if (*q == '.') {
			ndot++;
			lastdot = q;
		} else if (*q == ',') {
			ncomma++;
			lastcomma = q;
		}
	}
	*dec = NULL;
	*group = 0;
	if (ndot && ncomma) {
		*dec = lastdot > lastcomma ? lastdot : lastcomma;
		*group = **dec == '.' ? ',' : '.';
		if ((**dec == '.' ? ndot : ncomma) != 1)
			return NUM_SYNTAX;
	} else if (ndot + ncomma == 1) {
		*dec = ndot ? lastdot : lastcomma;
	} else if (ndot + ncomma > 1) {
		*group = ndot ? '.' : ',';
	}
	return NUM_OK;
}

/*
 * The integer part [body, end) into nt->ip, leading zeros dropped: groups of three after
 * the first once any separator is used.
 */
static num_err integer_digits(const char *body, const char *end, char group, numtext *nt)
{
	bool grouped = false;
	int glen = 0, ngroups = 0;
	size_t ni = 0;
	for (const char *q = body; q < end;) {
		size_t k = space_len(q);
		if (k || *q == group) {
			if (glen == 0 || (ngroups == 0 ? glen > 3 : glen != 3))
				return NUM_SYNTAX;
			grouped = true;
			ngroups++;
			glen = 0;
			q += k ? k : 1;
			continue;
		}
		if (!is_digit((unsigned char)*q))
			return NUM_SYNTAX;
		if (ni > 0 || *q != '0')
			nt->ip[ni++] = *q;
		glen++;
		q++;
	}
	if (grouped && glen != 3)
		return NUM_SYNTAX;
	if (group && !grouped)
		return NUM_SYNTAX;
	nt->ip[ni] = '\0';
	return NUM_OK;
}

/* Fraction part [start, end) into nt->fp: digits only, at least one. */
static num_err fraction_digits(const char *start, const char *end, numtext *nt)
{
	size_t nf = 0;
	for (const char *q = start; q < end; q++) {
		if (!is_digit((unsigned char)*q))
			return NUM_SYNTAX;
		nt->fp[nf++] = *q;
	}
	if (nf == 0)
		return NUM_SYNTAX; /* "5," */
	while (nf > 0 && nt->fp[nf - 1] == '0')
		nf--;
	nt->fp[nf] = '\0';
	return NUM_OK;
}

/*
 * Reads a number typed by a person: optional sign ('+', '-', U+2212), digits
 * grouped by spaces (ASCII, U+00A0, U+202F, U+2009) in groups of three, one
 * decimal separator ',' or '.'. When both ',' and '.' appear, the last one is the
 * decimal separator and the other groups thousands ("1.234,56", "1,234.56"); the
 * same punctuation repeated ("1.234.567") groups thousands. Money may carry "€" or
 * "EUR" before or after. Integers take no decimal separator at all.
 */
static num_err read_number(const char *s, num_kind kind, numtext *nt)
{
	const char *body, *end, *dec;
	char group;
	num_err e;
	memset(nt, 0, sizeof *nt);
	if ((e = number_body(s, kind, nt, &body, &end)) != NUM_OK ||
	    (e = separators(body, end, &dec, &group)) != NUM_OK)
		return e;
	if (dec && kind == NUM_INTEGER)
		return NUM_FRACTION;
	if ((e = integer_digits(body, dec ? dec : end, group, nt)) != NUM_OK)
		return e;
	if (dec && (e = fraction_digits(dec + 1, end, nt)) != NUM_OK)
		return e;
	if (!nt->ip[0] && !nt->fp[0])
		nt->neg = false; /* "-0" is 0 */
	return NUM_OK;
}

/* Integer value of nt (no fraction); NUM_TOO_LARGE outside int64. */
static num_err numtext_int(const numtext *nt, int64_t *out)
{
	if (nt->fp[0])
		return NUM_FRACTION;
	uint64_t limit = nt->neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t u = 0;
	for (const char *q = nt->ip; *q; q++) {
		unsigned d = (unsigned)(*q - '0');
		if (u > (limit - d) / 10)
			return NUM_TOO_LARGE;
		u = u * 10 + d;
	}
	if (nt->neg)
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	else
		*out = (int64_t)u;
	return NUM_OK;
}

/* Decimal value of nt, correctly rounded; at most 15 integer digits. */
static num_err numtext_real(const numtext *nt, double *out)
{
	size_t ni = strlen(nt->ip), nf = strlen(nt->fp);
	if (ni > 15)
		return NUM_TOO_LARGE;
	double d;
	if (ni + nf <= 15 && nf <= 22) {
		/* Both the mantissa and 10^nf are exact doubles: one correctly rounded division. */
		uint64_t m = 0;
		for (const char *q = nt->ip; *q; q++)
			m = m * 10 + (uint64_t)(*q - '0');
		for (const char *q = nt->fp; *q; q++)
			m = m * 10 + (uint64_t)(*q - '0');
		d = (double)m;
		if (nf)
			d /= pow(10.0, (double)nf);
	} else {
		char t[2 * MAX_NUMBER_TEXT + 4];
		snprintf(t, sizeof t, "%s.%s", ni ? nt->ip : "0", nt->fp);
		d = strtod(t, NULL);
	}
	if (!isfinite(d))
		return NUM_TOO_LARGE;
	*out = nt->neg ? -d : d;
	return NUM_OK;
}

/* Money value of nt in cents; at most 2 fraction digits and 15 integer digits. */
static num_err numtext_cents(const numtext *nt, int64_t *out)
{
	size_t ni = strlen(nt->ip), nf = strlen(nt->fp);
	if (nf > 2)
		return NUM_FRACTION;
	if (ni > 15)
		return NUM_TOO_LARGE;
	int64_t c = 0;
	for (const char *q = nt->ip; *q; q++)
		c = c * 10 + (*q - '0');
	c *= 100;
	if (nf >= 1)
		c += 10 * (nt->fp[0] - '0');
	if (nf == 2)
		c += nt->fp[1] - '0';
	*out = nt->neg ? -c : c;
	return NUM_OK;
}

/* Cents of a JSON number in euros; false when it has fractions of cents or is huge. */
static bool real_to_cents(double d, int64_t *out)
{
	if (!isfinite(d) || fabs(d) > 1e12)
		return false;
	double x = d * 100.0;
	double c = nearbyint(x);
	double tol = fmax(1e-6, fabs(x) * 4 * DBL_EPSILON);
	if (fabs(x - c) > tol)
		return false;
	*out = (int64_t)c;
	return true;
}

/* Cents of a bound in euros, clamped so that comparisons never overflow. */
static int64_t bound_cents(double euros)
{
	double x = nearbyint(euros * 100.0);
	if (x >= 9e18)
		return INT64_MAX;
	if (x <= -9e18)
		return INT64_MIN;
	return (int64_t)x;
}

/* Parses the whole of `want` as a canonical int64 ("-12"); false otherwise. */
static bool parse_plain_int(const char *s, int64_t *out)
{
	numtext nt;
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!*p || strspn(p, "0123456789") != strlen(p))
		return false;
	if (read_number(s, NUM_INTEGER, &nt) != NUM_OK)
		return false;
	return numtext_int(&nt, out) == NUM_OK;
}

/* ------------------------------------------------------------------ dates */

typedef struct stamp {
	int y, mo, d, h, mi, s;
} stamp;

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

static bool ymd_ok(const stamp *t)
{
	return t->y >= 1 && t->y <= 9999 && t->mo >= 1 && t->mo <= 12 && t->d >= 1 &&
	       t->d <= month_days(t->y, t->mo);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, stamp *t)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	t->d = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->mo = (int)(mp < 10 ? mp + 3 : mp - 9);
	t->y = (int)(yoe + era * 400 + (t->mo <= 2));
}

/* Reads between min and max digits at *p; advances. */
static bool read_digits(const char **p, int min, int max, int *out)
{
	int n = 0, v = 0;
	while (n < max && is_digit((unsigned char)(*p)[n])) {
		v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	if (n < min || is_digit((unsigned char)(*p)[n]))
		return false;
	*p += n;
	*out = v;
	return true;
}

/* "YYYY-MM-DD" at *p. */
static bool read_iso_date(const char **p, stamp *t)
{
	const char *q = *p;
	if (!read_digits(&q, 4, 4, &t->y) || *q++ != '-' || !read_digits(&q, 2, 2, &t->mo) ||
	    *q++ != '-' || !read_digits(&q, 2, 2, &t->d))
		return false;
	*p = q;
	return true;
}

/* "D/M/YYYY" at *p, with '/', '.' or '-' between the parts (the same twice). */
static bool read_fr_date(const char **p, stamp *t)
{
	const char *q = *p;
	if (!read_digits(&q, 1, 2, &t->d))
		return false;
	char sep = *q;
	if (sep != '/' && sep != '.' && sep != '-')
		return false;
	q++;
	if (!read_digits(&q, 1, 2, &t->mo) || *q++ != sep || !read_digits(&q, 4, 4, &t->y))
		return false;
	*p = q;
	return true;
}

static bool read_date(const char **p, bool french, stamp *t)
{
	return read_iso_date(p, t) || (french && read_fr_date(p, t));
}

/* A whole date text (surrounding spaces allowed); a real calendar date. */
static bool parse_date_text(const char *s, bool french, stamp *t)
{
	const char *p = skip_spaces(s);
	memset(t, 0, sizeof *t);
	if (!read_date(&p, french, t))
		return false;
	p = skip_spaces(p);
	return *p == '\0' && ymd_ok(t);
}

/*
 * A zone after the time: 'Z', or +HH:MM / -HH:MM / +HHMM / +HH. Sets *offset to the
 * zone's offset from UTC in minutes. The text must then end (spaces allowed).
 */
static bool read_zone(const char **p, int *offset)
{
	const char *q = *p;
	if (*q == 'Z' || *q == 'z') {
		*offset = 0;
		*p = q + 1;
		return true;
	}
	if (*q != '+' && *q != '-')
		return false;
	int sign = *q == '-' ? -1 : 1, h, m = 0, n;
	const char *digits = ++q;
	if (!read_digits(&q, 2, 4, &n) || q - digits == 3) /* +HH or +HHMM, not +HHM */
		return false;
	if (q - digits == 4) {
		h = n / 100;
		m = n % 100;
	} else {
		h = n;
		if (*q == ':') {
			q++;
			if (!read_digits(&q, 2, 2, &m))
				return false;
		}
	}
	if (h > 14 || m > 59)
		return false;
	*offset = sign * (h * 60 + m);
	*p = q;
	return true;
}

/*
 * The instant at `t` in a zone `offset` minutes east of UTC, as French local time
 * (Europe/Paris, util_paris_offset), which is how datetimes are stored.
 */
static void zone_to_paris(stamp *t, int offset)
{
	int64_t utc =
	    (days_from_civil(t->y, t->mo, t->d) * 86400 + t->h * 3600 + t->mi * 60 + t->s) -
	    (int64_t)offset * 60;
	int64_t local = utc + util_paris_offset((time_t)utc);
	int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t secs = local - days * 86400;
	civil_from_days(days, t);
	t->h = (int)(secs / 3600);
	t->mi = (int)(secs / 60 % 60);
	t->s = (int)(secs % 60);
}

/*
 * A whole datetime text: a date, 'T' or spaces, HH:MM, optional :SS and a
 * fraction (dropped), and an optional ISO 8601 zone (Z, +01:00): a zoned instant is
 * stored as the French local time it is. Forms also take "23/11/2026 10:30" and
 * "10h30".
 */
static bool parse_datetime_text(const char *s, bool french, stamp *t)
{
	const char *p = skip_spaces(s);
	memset(t, 0, sizeof *t);
	if (!read_date(&p, french, t))
		return false;
	if (*p == 'T' || *p == 't') {
		p++;
	} else {
		const char *q = skip_spaces(p);
		if (q == p)
			return false;
		p = q;
	}
	if (!read_digits(&p, french ? 1 : 2, 2, &t->h))
		return false;
	if (*p == ':' || (french && *p == 'h')) {
		p++;
	} else {
		return false;
	}
	if (!read_digits(&p, 2, 2, &t->mi))
		return false;
	if (*p == ':') {
		p++;
		if (!read_digits(&p, 2, 2, &t->s))
			return false;
		if (*p == '.' || *p == ',') {
			p++;
			if (!is_digit((unsigned char)*p))
				return false;
			while (is_digit((unsigned char)*p))
				p++;
		}
	}
	int offset = 0;
	bool zoned = read_zone(&p, &offset);
	p = skip_spaces(p);
	if (*p != '\0' || !ymd_ok(t) || t->h > 23 || t->mi > 59 || t->s > 59)
		return false;
	if (zoned)
		zone_to_paris(t, offset);
	return true;
}

static char *iso_date_text(const stamp *t)
{
	char b[16];
	snprintf(b, sizeof b, "%04d-%02d-%02d", t->y, t->mo, t->d);
	return xstrdup(b);
}

static char *iso_datetime_text(const stamp *t)
{
	char b[32];
	snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d", t->y, t->mo, t->d, t->h, t->mi,
		 t->s);
	return xstrdup(b);
}

static void put_date_human(buf *out, const stamp *t, lang lg)
{
	if (lg == LANG_EN)
		buf_printf(out, "%04d-%02d-%02d", t->y, t->mo, t->d);
	else
		buf_printf(out, "%02d/%02d/%04d", t->d, t->mo, t->y);
}

bool validate_date_bound(const char *bound, int64_t today_days, int64_t *days)
{
	if (!bound)
		return false;
	if (strncmp(bound, "today", 5) == 0) {
		const char *p = bound + 5;
		if (*p == '\0') {
			*days = today_days;
			return true;
		}
		if (*p != '+' && *p != '-')
			return false;
		bool neg = *p == '-';
		p++;
		int n;
		if (!read_digits(&p, 1, 6, &n) || *p)
			return false;
		*days = neg ? today_days - n : today_days + n;
		return true;
	}
	stamp t;
	memset(&t, 0, sizeof t);
	const char *p = bound;
	if (!read_iso_date(&p, &t) || *p || !ymd_ok(&t))
		return false;
	*days = days_from_civil(t.y, t.mo, t.d);
	return true;
}

/* ------------------------------------------------------------------ Lua patterns */

/*
 * Steps a `pattern` may take on one value (see lmatch.h): a few milliseconds. Ample
 * for what patterns are written for (a 10 000-character textarea against "[^<>]*"
 * takes some 1 300), and it stops catastrophic backtracking ("a*a*a*a*a*a*b").
 */
#define PATTERN_MAX_STEPS 1000000L

static long pattern_meter(void *arg, long steps)
{
	long *left = arg;
	*left -= steps;
	return *left; /* negative: over the budget, which stops the match */
}

/*
 * 1 when the whole of s matches the Lua pattern pat (anchored at both ends, a
 * leading '^' allowed), 0 when not, -1 for a malformed pattern or one over budget.
 */
static int pattern_match(const char *pat, const char *s)
{
	long left = PATTERN_MAX_STEPS;
	lmatch_state ms;
	lmatch_init(&ms, s, strlen(s), pat, strlen(pat), LMATCH_ANCHOR_END, pattern_meter, &left);
	const char *e = lmatch_match(&ms, s, *pat == '^' ? pat + 1 : pat);
	if (!lmatch_settle(&ms) || ms.err != LMATCH_OK)
		return -1;
	return e != NULL;
}

/* ------------------------------------------------------------------ French rules */

/*
 * SIREN, SIRET, IBAN, phone and postal code: one implementation for the field types
 * (check_french) and for Lua's smallapps.fr (sandbox_fr.c). fr.lua used to have its
 * own copy; where the two disagreed the stricter rule was kept (no newline inside a
 * number, no dash in an IBAN, RIB key, check digits 00/01/99, no 96xxx or 99xxx
 * postal code, "+262" with numbers of La Réunion only...), with one exception:
 * U+2009 (thin space, the ISO 80000 digit-group separator) stays a separator.
 * Inputs are n bytes with s[n] == '\0' (C and Lua strings); a NUL among them is a
 * character like any other, hence refused.
 */

/* s..*end without the ASCII white space at both ends (what a form field gets trimmed of). */
static const char *trim_span(const char *s, const char **end)
{
	while (s < *end && is_ascii_space((unsigned char)*s))
		s++;
	while (*end > s && is_ascii_space((unsigned char)(*end)[-1]))
		(*end)--;
	return s;
}

/*
 * Copies the digits of s..end into out (want digits + NUL), skipping space-like
 * separators (space_len). False on any other byte or on a count other than want.
 */
static bool collect_digits(const char *s, const char *end, size_t want, char *out)
{
	size_t n = 0;
	while (s < end) {
		size_t k = space_len(s);
		if (k) {
			s += k;
			continue;
		}
		if (!is_digit((unsigned char)*s) || n == want)
			return false;
		out[n++] = *s++;
	}
	out[n] = '\0';
	return n == want;
}

static bool luhn_ok(const char *d, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)d[n - 1 - i];
		if (!is_digit(c))
			return false;
		unsigned v = (unsigned)(c - '0');
		if (i % 2)
			v = v * 2 > 9 ? v * 2 - 9 : v * 2;
		sum = (sum + v) % 10;
	}
	return n > 0 && sum == 0;
}

bool validate_fr_luhn(const char *s, size_t n)
{
	return s && luhn_ok(s, n);
}

bool validate_luhn(const char *digits)
{
	return digits && luhn_ok(digits, strlen(digits));
}

/* Digits of a SIREN (9) or SIRET (14) into r->value; VALIDATE_FR_FORMAT when not so many. */
static validate_fr_why siren_digits(const char *s, size_t n, size_t want, validate_fr *r)
{
	const char *end = s + n;
	memset(r, 0, sizeof *r);
	s = trim_span(s, &end);
	return collect_digits(s, end, want, r->value) ? VALIDATE_FR_OK : VALIDATE_FR_FORMAT;
}

validate_fr_why validate_fr_siren(const char *s, size_t n, validate_fr *r)
{
	validate_fr_why why = siren_digits(s, n, 9, r);
	if (why == VALIDATE_FR_OK && !luhn_ok(r->value, 9))
		why = VALIDATE_FR_KEY;
	return why;
}

validate_fr_why validate_fr_siret(const char *s, size_t n, validate_fr *r)
{
	validate_fr_why why = siren_digits(s, n, 14, r);
	if (why != VALIDATE_FR_OK || luhn_ok(r->value, 14))
		return why;
	/*
	 * La Poste's establishments (SIREN 356000000) are too many for the NIC to keep a
	 * Luhn key: INSEE checks that the sum of their 14 digits is a multiple of 5.
	 */
	if (strncmp(r->value, "356000000", 9) == 0) {
		int sum = 0;
		for (int i = 0; i < 14; i++)
			sum += r->value[i] - '0';
		if (sum % 5 == 0)
			return VALIDATE_FR_OK;
	}
	return VALIDATE_FR_KEY;
}

bool validate_siren(const char *s)
{
	validate_fr r;
	return s && validate_fr_siren(s, strlen(s), &r) == VALIDATE_FR_OK;
}

bool validate_siret(const char *s)
{
	validate_fr r;
	return s && validate_fr_siret(s, strlen(s), &r) == VALIDATE_FR_OK;
}

/* ---- IBAN */

/*
 * IBAN length per country (ISO 13616 registry, SWIFT), then the French overseas
 * territories with their own ISO code, which use the French format.
 */
static const struct {
	char cc[3];
	unsigned char len;
} iban_lengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
    {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SC", 31},
    {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"GF", 27}, {"GP", 27}, {"MQ", 27},
    {"RE", 27}, {"YT", 27}, {"PM", 27}, {"BL", 27}, {"MF", 27}, {"NC", 27}, {"PF", 27}, {"WF", 27},
    {"TF", 27},
};

/* Countries whose IBAN holds a French RIB (bank, branch, account, RIB key). */
static const char rib_countries[] = "FR MC GF GP MQ RE YT PM BL MF NC PF WF TF";

size_t validate_iban_length(size_t i, char cc[3])
{
	if (i >= sizeof iban_lengths / sizeof iban_lengths[0])
		return 0;
	memcpy(cc, iban_lengths[i].cc, 3);
	return iban_lengths[i].len;
}

static size_t iban_length(const char *cc)
{
	for (size_t i = 0; i < sizeof iban_lengths / sizeof iban_lengths[0]; i++)
		if (memcmp(cc, iban_lengths[i].cc, 2) == 0)
			return iban_lengths[i].len;
	return 0;
}

/* ISO 7064 mod 97 of the IBAN with its first four characters moved to the end. */
static unsigned iban_mod97(const char *t, size_t n)
{
	unsigned r = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)t[(i + 4) % n];
		if (is_digit(c))
			r = (r * 10 + (unsigned)(c - '0')) % 97;
		else
			r = (r * 100 + (unsigned)(c - 'A' + 10)) % 97; /* A = 10 ... Z = 35 */
	}
	return r;
}

/*
 * The RIB key of a French BBAN (bank 5, branch 5, account 11, key 2): letters of
 * the account count as digits (A,J=1 B,K,S=2 ... I,R,Z=9) and the key is
 * 97 - (89 bank + 15 branch + 3 account) mod 97.
 */
static bool rib_key_ok(const char *b)
{
	int64_t bank = 0, branch = 0, account = 0, key = 0;
	for (int i = 0; i < 23; i++) {
		int c = (unsigned char)b[i];
		if (!is_digit(c) && (i < 10 || i >= 21))
			return false;
		int64_t d = c - '0';
		if (!is_digit(c)) {
			int k = c - 'A' + 1;
			d = ((k >= 19 ? k + 1 : k) - 1) % 9 + 1; /* S..Z shift by one: S = 2 */
		}
		if (i < 5)
			bank = bank * 10 + d;
		else if (i < 10)
			branch = branch * 10 + d;
		else if (i < 21)
			account = account * 10 + d;
		else
			key = key * 10 + d;
	}
	return 97 - (89 * bank + 15 * branch + 3 * account) % 97 == key;
}

validate_fr_why validate_fr_iban(const char *s, size_t n, validate_fr *r)
{
	const char *end = s + n;
	char *t = r->value;
	size_t len = 0;
	memset(r, 0, sizeof *r);
	for (s = trim_span(s, &end); s < end;) {
		size_t k = space_len(s);
		if (k) {
			s += k;
			continue;
		}
		int c = to_upper((unsigned char)*s);
		if (!is_alnum(c))
			return VALIDATE_FR_FORMAT;
		if (len < VALIDATE_FR_VALUE - 1)
			t[len] = (char)c;
		len++;
		s++;
	}
	if (len < 5 || !is_upper(t[0]) || !is_upper(t[1]) || !is_digit(t[2]) || !is_digit(t[3]))
		return VALIDATE_FR_FORMAT;
	memcpy(r->country, t, 2);
	r->got = len;
	r->want = iban_length(t);
	if (r->want ? len != r->want : (len < 15 || len > VALIDATE_FR_VALUE - 1))
		return VALIDATE_FR_LENGTH;
	/* Check digits 00, 01 and 99 are never issued (01 and 98 share the remainder). */
	if ((t[2] == '0' && (t[3] == '0' || t[3] == '1')) || (t[2] == '9' && t[3] == '9'))
		return VALIDATE_FR_KEY;
	if (iban_mod97(t, len) != 1)
		return VALIDATE_FR_KEY;
	if (strstr(rib_countries, r->country) && !rib_key_ok(t + 4))
		return VALIDATE_FR_RIB_KEY;
	return VALIDATE_FR_OK;
}

bool validate_iban(const char *s)
{
	validate_fr r;
	return s && validate_fr_iban(s, strlen(s), &r) == VALIDATE_FR_OK;
}

/* ---- phone */

/* National numbers (without the trunk 0) whose country code is not +33: overseas. */
static const struct {
	char prefix[4];
	char cc[4];
} overseas[] = {
    {"262", "262"}, {"263", "262"}, {"692", "262"}, {"693", "262"}, /* La Réunion */
    {"269", "262"}, {"639", "262"},				    /* Mayotte */
    {"590", "590"}, {"690", "590"}, {"691", "590"}, /* Guadeloupe, St-Martin, St-Barthélemy */
    {"594", "594"}, {"694", "594"},		    /* Guyane */
    {"596", "596"}, {"696", "596"}, {"697", "596"}, /* Martinique */
};

/* The country code of a national number (its first three digits), NULL for +33. */
static const char *overseas_of(const char *national)
{
	for (size_t i = 0; i < sizeof overseas / sizeof overseas[0]; i++)
		if (memcmp(national, overseas[i].prefix, 3) == 0)
			return overseas[i].cc;
	return NULL;
}

static bool overseas_cc(const char *cc)
{
	return strcmp(cc, "262") == 0 || strcmp(cc, "590") == 0 || strcmp(cc, "594") == 0 ||
	       strcmp(cc, "596") == 0;
}

/* The digits of a phone number as typed. */
typedef struct phone_digits {
	char d[24];	 /* the first ones */
	size_t n;	 /* how many in all */
	bool plus;	 /* it started with '+' */
	bool trunk_mark; /* a "(0)" was seen (its 0 is not in d) */
} phone_digits;

/* s past the space-like separators from s on. */
static const char *skip_separators(const char *s, const char *end)
{
	size_t k;
	while (s < end && (k = space_len(s)) > 0)
		s += k;
	return s;
}

/* The end of a "(0)" at s (spaces allowed inside), or NULL. */
static const char *trunk_mark_end(const char *s, const char *end)
{
	const char *zero = skip_separators(s + 1, end);
	if (zero == end || *zero != '0')
		return NULL;
	const char *close = skip_separators(zero + 1, end);
	return close < end && *close == ')' ? close + 1 : NULL;
}

/*
 * Reads s..end: an optional '+' first (white space before it aside), then digits and
 * the separators people type (space-likes, . - / and parentheses). "(0)", spaces
 * allowed inside, is the trunk 0 of an international number ("+33 (0)1 23 ..."):
 * noted, its 0 dropped wherever it is, as fr.lua did (the C check only knew it
 * right after a '+'). False on any other character.
 */
static bool phone_read(const char *s, const char *end, phone_digits *pd)
{
	memset(pd, 0, sizeof *pd);
	s = skip_spaces(s); /* white space of any kind before the '+' */
	if (s > end)
		s = end;
	if (s < end && *s == '+') {
		pd->plus = true;
		s++;
	}
	while ((s = skip_separators(s, end)) < end) {
		const char *after = *s == '(' ? trunk_mark_end(s, end) : NULL;
		if (after) {
			pd->trunk_mark = true;
			s = after;
		} else if (is_digit((unsigned char)*s)) {
			if (pd->n < sizeof pd->d - 1)
				pd->d[pd->n] = *s;
			pd->n++;
			s++;
		} else if (*s && strchr(".-/()", *s)) {
			s++;
		} else {
			return false;
		}
	}
	return true;
}

/* A national number (9 digits, no trunk 0) as E.164 in r->value. */
static validate_fr_why phone_national_e164(const char *national, size_t nn, validate_fr *r)
{
	if (nn != 9 || national[0] == '0')
		return VALIDATE_FR_LENGTH;
	const char *cc = overseas_of(national);
	snprintf(r->value, sizeof r->value, "+%s%.9s", cc ? cc : "33", national);
	return VALIDATE_FR_OK;
}

validate_fr_why validate_fr_phone(const char *s, size_t n, validate_fr *r)
{
	const char *end = s + n;
	phone_digits pd;
	memset(r, 0, sizeof *r);
	s = trim_span(s, &end);
	if (!phone_read(s, end, &pd))
		return VALIDATE_FR_FORMAT;
	const char *d = pd.d;
	size_t nd = pd.n;
	bool international = pd.plus;
	if (!international && nd >= 2 && d[0] == '0' && d[1] == '0') {
		international = true; /* 0033 ... */
		d += 2;
		nd -= 2;
	}
	if (international && nd > 2 && d[0] == '3' && d[1] == '3') {
		if (nd == 12 && d[2] == '0') /* "+33 01 23 ...": the trunk 0 typed anyway */
			return phone_national_e164(d + 3, 9, r);
		return phone_national_e164(d + 2, nd - 2, r);
	}
	if (international) {
		/* +262, +590, +594, +596: the overseas numbers of that territory only. */
		const char *cc = nd == 12 ? overseas_of(d + 3) : NULL;
		if (!cc || memcmp(cc, d, 3) != 0)
			return VALIDATE_FR_FORMAT;
		snprintf(r->value, sizeof r->value, "+%.12s", d);
		return VALIDATE_FR_OK;
	}
	if (nd < 2 || d[0] != '0' || pd.trunk_mark)
		return VALIDATE_FR_FORMAT;
	return phone_national_e164(d + 1, nd - 1, r);
}

bool validate_phone_fr(const char *s, char out[16])
{
	validate_fr r;
	if (!s || validate_fr_phone(s, strlen(s), &r) != VALIDATE_FR_OK)
		return false;
	snprintf(out, 16, "%.15s", r.value); /* E.164: 15 characters at most */
	return true;
}

/* "0X XX XX XX XX" from a French E.164 number; false for anything else. */
static bool phone_national(const char *e164, buf *out)
{
	const char *rest;
	if (strncmp(e164, "+33", 3) == 0) {
		rest = e164 + 3;
	} else if (e164[0] == '+' && strlen(e164) == 13) {
		char cc[4];
		memcpy(cc, e164 + 1, 3);
		cc[3] = '\0';
		if (!overseas_cc(cc))
			return false;
		rest = e164 + 4;
	} else {
		return false;
	}
	if (strlen(rest) != 9 || strspn(rest, "0123456789") != 9)
		return false;
	buf_putc(out, '0');
	buf_putc(out, rest[0]);
	for (int i = 1; i < 9; i += 2) {
		buf_putc(out, ' ');
		buf_add(out, rest + i, 2);
	}
	return true;
}

validate_fr_why validate_fr_postal_code(const char *s, size_t n, validate_fr *r)
{
	const char *end = s + n;
	memset(r, 0, sizeof *r);
	s = trim_span(s, &end);
	if (end - s != 5 || strspn(s, "0123456789") < 5)
		return VALIDATE_FR_FORMAT; /* no separator: La Poste writes "34200" */
	memcpy(r->value, s, 5);
	/* Metropolitan 01-95 (Corsica 20), overseas 97 and 98; no code starts 00, 96 or 99. */
	int d2 = (s[0] - '0') * 10 + (s[1] - '0');
	if (d2 < 1 || d2 == 96 || d2 > 98)
		return VALIDATE_FR_UNKNOWN;
	return VALIDATE_FR_OK;
}

bool validate_postal_code(const char *s)
{
	validate_fr r;
	return s && validate_fr_postal_code(s, strlen(s), &r) == VALIDATE_FR_OK;
}

/* A byte allowed in the local part of an address (RFC 5322 atext), or UTF-8. */
static bool email_local_char(int c)
{
	return is_alnum(c) || c >= 0x80 || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

/* Domain labels: 1..63 of letters, digits, '-' (not at the ends) or UTF-8 (IDN). */
static bool domain_ok(const char *s, size_t n, bool need_dot)
{
	size_t start = 0, labels = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			int c = (unsigned char)s[i];
			if (!is_alnum(c) && c != '-' && c < 0x80)
				return false;
			continue;
		}
		size_t len = i - start;
		if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-')
			return false;
		labels++;
		if (i == n && need_dot) {
			/* The top-level domain: letters (or an IDN), at least two. */
			if (len < 2)
				return false;
			if (strncmp(s + start, "xn--", 4) != 0)
				for (size_t j = start; j < i; j++)
					if (is_digit((unsigned char)s[j]) || s[j] == '-')
						return false;
		}
		start = i + 1;
	}
	return !need_dot || labels >= 2;
}

bool validate_email(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n < 6 || n > MAX_EMAIL || !util_utf8_valid(s, n))
		return false;
	const char *at = strchr(s, '@');
	if (!at || strchr(at + 1, '@'))
		return false;
	size_t local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || at[-1] == '.')
		return false;
	for (size_t i = 0; i < local; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !email_local_char((unsigned char)s[i]))
			return false;
	}
	return domain_ok(at + 1, strlen(at + 1), true);
}

/* Whether s starts with the lower-case ASCII prefix, whatever the case of s. */
static bool prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (*s != *prefix && *s != to_upper((unsigned char)*prefix))
			return false;
	return true;
}

bool validate_url(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n > MAX_URL || !util_utf8_valid(s, n))
		return false;
	const char *p;
	if (prefix_ci(s, "http://"))
		p = s + 7;
	else if (prefix_ci(s, "https://"))
		p = s + 8;
	else
		return false;
	for (const unsigned char *q = (const unsigned char *)s; *q; q++)
		if (*q <= 0x20 || *q == 0x7f || *q == '"' || *q == '<' || *q == '>' || *q == '\\')
			return false;
	size_t alen = strcspn(p, "/?#");
	if (alen == 0 || memchr(p, '@', alen))
		return false; /* no user info: "https://impots.gouv.fr@ailleurs.example" */
	const char *host = p, *port = NULL;
	size_t hlen = alen;
	if (*p == '[') {
		const char *close = memchr(p, ']', alen);
		if (!close || close == p + 1)
			return false;
		for (const char *q = p + 1; q < close; q++)
			if (!is_xdigit((unsigned char)*q) && *q != ':' && *q != '.')
				return false;
		if (close + 1 < p + alen) {
			if (close[1] != ':')
				return false;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(p, ':', alen);
		if (colon) {
			hlen = (size_t)(colon - p);
			port = colon + 1;
		}
		if (hlen > 0 && host[hlen - 1] == '.')
			hlen--; /* "exemple.fr." is the same host */
		if (!domain_ok(host, hlen, false))
			return false;
	}
	if (port) {
		size_t plen = (size_t)(p + alen - port);
		if (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen)
			return false;
		if (strtol(port, NULL, 10) > 65535) /* 1 to 5 digits, checked above */
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ messages */

const char *validate_required_msg(lang lg)
{
	return L("Ce champ est obligatoire.", "This field is required.");
}

static int msg_utf8(lang lg, char *msg)
{
	return fail(msg, L("Ce texte contient des caractères non valides.",
			   "This text contains invalid characters."));
}

static int msg_integer(lang lg, char *msg)
{
	return fail(msg, L("Saisissez un nombre entier.", "Enter a whole number."));
}

static int msg_too_large(lang lg, char *msg)
{
	return fail(msg, L("Ce nombre est trop grand.", "This number is too large."));
}

static int msg_decimal(lang lg, char *msg)
{
	return fail(
	    msg, L("Saisissez un nombre, par exemple 12,5.", "Enter a number, for example 12.5."));
}

static int msg_money(lang lg, char *msg)
{
	return fail(msg, L("Saisissez un montant en euros, par exemple 1 234,56.",
			   "Enter an amount in euros, for example 1,234.56."));
}

static int msg_cents(lang lg, char *msg)
{
	return fail(msg, L("Un montant a au plus 2 chiffres après la virgule.",
			   "An amount has at most 2 digits after the decimal point."));
}

static int msg_date(lang lg, char *msg)
{
	return fail(msg, L("Saisissez une date réelle au format JJ/MM/AAAA.",
			   "Enter a real date as DD/MM/YYYY."));
}

static int msg_datetime(lang lg, char *msg)
{
	return fail(msg, L("Saisissez une date et une heure réelles, par exemple 23/11/2026 10:30.",
			   "Enter a real date and time, for example 23/11/2026 10:30."));
}

static int msg_string(lang lg, char *msg)
{
	return fail(
	    msg, L("La valeur doit être une chaîne de caractères.", "The value must be a string."));
}

static int msg_choice(lang lg, char *msg)
{
	return fail(
	    msg, L("Choisissez une des options proposées.", "Choose one of the options offered."));
}

/* Reports the result of read_number / numtext_* for the field's type. */
static int number_error(num_err e, num_kind k, lang lg, char *msg)
{
	if (e == NUM_TOO_LARGE)
		return msg_too_large(lg, msg);
	if (k == NUM_INTEGER)
		return msg_integer(lg, msg);
	if (k == NUM_MONEY)
		return e == NUM_FRACTION ? msg_cents(lg, msg) : msg_money(lg, msg);
	return msg_decimal(lg, msg);
}

/* A bound (integer or decimal) in human form, into b (caller frees). */
static void put_bound(buf *b, double x, lang lg)
{
	char t[400];
	fmt_real(x, t);
	put_human_number(b, t, lg);
}

/* ------------------------------------------------------------------ parsing */

static bool is_text_like(field_type t)
{
	switch (t) {
	case FT_TEXT:
	case FT_TEXTAREA:
	case FT_EMAIL:
	case FT_PHONE:
	case FT_POSTAL_CODE:
	case FT_SIRET:
	case FT_SIREN:
	case FT_IBAN:
	case FT_URL:
	case FT_CHOICE:
	case FT_COMMUNE:
	case FT_DEPARTEMENT:
	case FT_REGION:
	case FT_EPCI:
		return true;
	default:
		return false;
	}
}

/* Trimmed text value (textarea: LF line ends); blank gives NULL. */
static int parse_text(const def_field *f, const char *s, size_t n, value *out, lang lg, char *msg)
{
	if (strlen(s) != n || !util_utf8_valid(s, n))
		return msg_utf8(lg, msg);
	char *t = dup_trimmed(s);
	if (f->type == FT_TEXTAREA)
		crlf_to_lf(t);
	if (!*t) {
		free(t);
		return 0;
	}
	set_text_own(out, t);
	return 0;
}

static int parse_number_text(const def_field *f, const char *s, value *out, lang lg, char *msg)
{
	num_kind k = f->type == FT_INTEGER ? NUM_INTEGER
		     : f->type == FT_MONEY ? NUM_MONEY
					   : NUM_DECIMAL;
	numtext nt;
	num_err e = read_number(s, k, &nt);
	if (e == NUM_OK) {
		if (k == NUM_INTEGER) {
			int64_t i = 0;
			if ((e = numtext_int(&nt, &i)) == NUM_OK)
				set_int(out, i);
		} else if (k == NUM_MONEY) {
			int64_t c = 0;
			if ((e = numtext_cents(&nt, &c)) == NUM_OK)
				set_int(out, c);
		} else {
			double d = 0;
			if ((e = numtext_real(&nt, &d)) == NUM_OK)
				set_real(out, d);
		}
	}
	return e == NUM_OK ? 0 : number_error(e, k, lg, msg);
}

static int parse_date_value(const def_field *f, const char *s, bool french, value *out, lang lg,
			    char *msg)
{
	stamp t;
	if (f->type == FT_DATE) {
		if (!parse_date_text(s, french, &t)) {
			if (french)
				return msg_date(lg, msg);
			return fail(msg, L("Saisissez une date réelle au format AAAA-MM-JJ.",
					   "Enter a real date as YYYY-MM-DD."));
		}
		set_text_own(out, iso_date_text(&t));
		return 0;
	}
	if (!parse_datetime_text(s, french, &t)) {
		if (french)
			return msg_datetime(lg, msg);
		return fail(
		    msg, L("Saisissez une date et une heure au format AAAA-MM-JJTHH:MM[:SS], "
			   "éventuellement avec un fuseau (Z, +01:00).",
			   "Enter a date and time as YYYY-MM-DDTHH:MM[:SS], optionally with a zone "
			   "(Z, +01:00)."));
	}
	set_text_own(out, iso_datetime_text(&t));
	return 0;
}

static bool is_blank(const char *s)
{
	while (*s && is_ascii_space((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* Compact JSON text of j, malloc'ed. */
static char *json_text(const json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	char *c = xstrdup(t ? t : "null");
	free(t);
	return c;
}

/* A reference typed in a form: a number ("12", "n° 12") is the id; other text is a
 * search among the target's records, left as text for the pipeline to resolve (it
 * alone may read them). */
static int parse_reference_text(const def_field *f, const char *s, value *out, lang lg, char *msg)
{
	(void)f;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return 0;
	const char *p = s;
	if (strncmp(p, "n\xc2\xb0", 3) == 0 || strncmp(p, "N\xc2\xb0", 3) == 0)
		for (p += 3; *p == ' '; p++)
			;
	char num[32];
	size_t n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	int64_t id;
	if (n < sizeof num && (memcpy(num, p, n), num[n] = '\0', parse_plain_int(num, &id))) {
		set_int(out, id);
		return 0;
	}
	if (strlen(s) > 200)
		return fail(msg, L("Texte de recherche trop long (200 caractères au plus).",
				   "Search text too long (200 characters at most)."));
	value_set_text(out, s);
	return 0;
}

/* A repeat read or checked through the one-message functions: its first error, named. */
static int repeat_first(field_errors *errs, int nerr, char *msg)
{
	if (nerr > 0 && errs->n > 0)
		snprintf(msg, VALIDATE_MSG, "%s : %s", errs->v[0].field, errs->v[0].message);
	field_errors_clear(errs);
	return nerr > 0 ? -1 : 0;
}

int validate_parse_form(const def_field *f, const char *const *in, size_t nin, value *out, lang lg,
			char msg[VALIDATE_MSG])
{
	set_null(out);
	msg[0] = '\0';
	if (!def_type_holds_data(f->type))
		return 0;
	if (f->type == FT_BOOLEAN && f->yes_no) {
		/* two radios: "1" or "0", or nothing yet (NULL: unanswered) */
		const char *s = nin ? in[nin - 1] : NULL;
		if (!s || !*s)
			return 0;
		if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "oui") == 0)
			set_int(out, 1);
		else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0 || strcmp(s, "non") == 0)
			set_int(out, 0);
		else
			return fail(msg, L("Répondez par Oui ou par Non.", "Answer Yes or No."));
		return 0;
	}
	if (f->type == FT_BOOLEAN) {
		bool on = false;
		for (size_t i = 0; i < nin; i++) {
			const char *s = in[i];
			if (s && *s && strcmp(s, "0") != 0 && strcmp(s, "false") != 0 &&
			    strcmp(s, "off") != 0)
				on = true;
		}
		set_int(out, on);
		return 0;
	}
	if (f->type == FT_MULTICHOICE) {
		json_t *a = json_array();
		for (size_t i = 0; i < nin; i++) {
			if (!in[i])
				continue;
			if (!util_utf8_valid(in[i], strlen(in[i]))) {
				json_decref(a);
				return msg_utf8(lg, msg);
			}
			char *t = dup_trimmed(in[i]);
			if (*t)
				json_array_append_new(a, json_string(t));
			free(t);
		}
		if (json_array_size(a) > 0)
			set_text_own(out, json_text(a));
		json_decref(a);
		return 0;
	}
	if (def_type_is_geo(f->type))
		return validate_geo_parse_form(f, in, nin, out, lg, msg);
	const char *s = nin > 0 && in && in[0] ? in[0] : "";
	if (!util_utf8_valid(s, strlen(s)))
		return msg_utf8(lg, msg);
	if (f->type == FT_REFERENCE)
		return parse_reference_text(f, s, out, lg, msg);
	if (is_text_like(f->type))
		return parse_text(f, s, strlen(s), out, lg, msg);
	if (is_blank(s))
		return 0;
	switch (f->type) {
	case FT_INTEGER:
	case FT_DECIMAL:
	case FT_MONEY:
		return parse_number_text(f, s, out, lg, msg);
	case FT_DATE:
	case FT_DATETIME:
		return parse_date_value(f, s, true, out, lg, msg);
	case FT_FILE:
		return fail(msg,
			    L("Le dépôt de fichiers n'est pas encore possible dans ce formulaire.",
			      "File upload is not available in this form yet."));
	default:
		return fail(msg, L("Type de champ inconnu.", "Unknown field type."));
	}
}

/* A JSON file object: name, size, type, sha256; stored with these keys only. */
static int parse_json_file(const json_t *in, value *out, lang lg, char *msg)
{
	const json_t *name = json_object_get(in, "name"), *size = json_object_get(in, "size"),
		     *type = json_object_get(in, "type"), *sha = json_object_get(in, "sha256");
	if (!json_is_object(in) || !json_is_string(name) || !json_is_integer(size) ||
	    json_integer_value(size) < 0 || !json_is_string(type) || !json_is_string(sha) ||
	    json_string_length(sha) != 64 ||
	    strspn(json_string_value(sha), "0123456789abcdef") != 64 ||
	    json_string_length(name) == 0 ||
	    strlen(json_string_value(name)) != json_string_length(name))
		return fail(msg,
			    L("La valeur doit être un objet fichier (name, size, type, sha256).",
			      "The value must be a file object (name, size, type, sha256)."));
	json_t *o = json_pack("{s:O, s:O, s:O, s:O}", "name", name, "size", size, "type", type,
			      "sha256", sha);
	set_text_own(out, json_text(o));
	json_decref(o);
	return 0;
}

/* A JSON integer, or a real with an integral value inside int64. */
static int parse_json_integer(const json_t *in, value *out, lang lg, char *msg)
{
	if (json_is_integer(in)) {
		set_int(out, json_integer_value(in));
		return 0;
	}
	if (json_is_real(in)) {
		double d = json_real_value(in);
		if (isfinite(d) && d == floor(d) && d >= -9223372036854775808.0 &&
		    d < 9223372036854775808.0) {
			set_int(out, (int64_t)d);
			return 0;
		}
	}
	return fail(msg,
		    L("La valeur doit être un nombre entier.", "The value must be an integer."));
}

static int parse_json_decimal(const json_t *in, value *out, lang lg, char *msg)
{
	if (!json_is_number(in))
		return fail(msg,
			    L("La valeur doit être un nombre.", "The value must be a number."));
	double d = json_number_value(in);
	if (!isfinite(d))
		return msg_too_large(lg, msg);
	set_real(out, d);
	return 0;
}

/* Euros as a JSON number (whole cents) or as text typed as in a form. */
static int parse_json_money(const def_field *f, const json_t *in, value *out, lang lg, char *msg)
{
	if (json_is_integer(in)) {
		json_int_t i = json_integer_value(in);
		if (i > 999999999999999LL || i < -999999999999999LL)
			return msg_too_large(lg, msg);
		set_int(out, (int64_t)i * 100);
		return 0;
	}
	if (json_is_real(in)) {
		int64_t c;
		if (!real_to_cents(json_real_value(in), &c))
			return msg_cents(lg, msg);
		set_int(out, c);
		return 0;
	}
	if (json_is_string(in)) {
		if (is_blank(json_string_value(in)))
			return 0;
		return parse_number_text(f, json_string_value(in), out, lg, msg);
	}
	return fail(msg, L("La valeur doit être un montant, par exemple \"1234.50\".",
			   "The value must be an amount, for example \"1234.50\"."));
}

/* An array of strings (without NULs); the options are checked by validate_check. */
static int parse_json_multichoice(const json_t *in, value *out, lang lg, char *msg)
{
	size_t i;
	const json_t *e;
	if (!json_is_array(in))
		return fail(msg, L("La valeur doit être une liste de chaînes.",
				   "The value must be an array of strings."));
	json_array_foreach(in, i, e)
	{
		if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
			return fail(msg, L("La valeur doit être une liste de chaînes.",
					   "The value must be an array of strings."));
	}
	if (json_array_size(in) > 0)
		set_text_own(out, json_text(in));
	return 0;
}

int validate_parse_json(const def_field *f, const json_t *in, value *out, lang lg,
			char msg[VALIDATE_MSG])
{
	set_null(out);
	msg[0] = '\0';
	if (!in || json_is_null(in) || !def_type_holds_data(f->type))
		return 0;
	/* Strings with an embedded NUL (\u0000) are refused whatever the type. */
	if (json_is_string(in) && strlen(json_string_value(in)) != json_string_length(in))
		return msg_utf8(lg, msg);
	if (f->type == FT_REPEAT) {
		field_errors errs = {0};
		return repeat_first(&errs, validate_repeat_parse_json(f, in, out, lg, &errs), msg);
	}
	switch (f->type) {
	case FT_INTEGER:
	case FT_REFERENCE:
		return parse_json_integer(in, out, lg, msg);
	case FT_DECIMAL:
		return parse_json_decimal(in, out, lg, msg);
	case FT_MONEY:
		return parse_json_money(f, in, out, lg, msg);
	case FT_BOOLEAN:
		if (!json_is_boolean(in))
			return fail(msg, L("La valeur doit être true ou false.",
					   "The value must be true or false."));
		set_int(out, json_is_true(in));
		return 0;
	case FT_DATE:
	case FT_DATETIME:
		if (!json_is_string(in))
			return msg_string(lg, msg);
		if (is_blank(json_string_value(in)))
			return 0;
		return parse_date_value(f, json_string_value(in), false, out, lg, msg);
	case FT_MULTICHOICE:
		return parse_json_multichoice(in, out, lg, msg);
	case FT_FILE:
		return parse_json_file(in, out, lg, msg);
	default:
		if (!is_text_like(f->type))
			return fail(msg, L("Type de champ inconnu.", "Unknown field type."));
		if (!json_is_string(in))
			return msg_string(lg, msg);
		return parse_text(f, json_string_value(in), json_string_length(in), out, lg, msg);
	}
}

/* ------------------------------------------------------------------ checking */

/* Control characters: C0, DEL and C1; textarea keeps \n, \r and \t. */
static bool has_controls(const char *s, bool multiline)
{
	const unsigned char *u = (const unsigned char *)s;
	for (; *u; u++) {
		if (*u < 0x20 || *u == 0x7f) {
			if (multiline && (*u == '\n' || *u == '\r' || *u == '\t'))
				continue;
			return true;
		}
		if (*u == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
			return true;
	}
	return false;
}

static int check_text(const def_field *f, value *v, lang lg, char *msg, validate_rule *rule)
{
	const char *s = v->s;
	size_t n = strlen(s);
	if (!util_utf8_valid(s, n))
		return msg_utf8(lg, msg);
	if (has_controls(s, f->type == FT_TEXTAREA))
		return fail(msg, L("Ce texte contient des caractères non autorisés.",
				   "This text contains characters that are not allowed."));
	long len = (long)util_utf8_len(s);
	if (f->max_length >= 0 && len > f->max_length) {
		snprintf(msg, VALIDATE_MSG,
			 L("Ce texte dépasse %ld caractères.",
			   "This text is longer than %ld characters."),
			 f->max_length);
		*rule = VR_MAX_LENGTH;
		return -1;
	}
	if (f->min_length > 0 && len < f->min_length) {
		snprintf(msg, VALIDATE_MSG,
			 L("Ce texte doit comporter au moins %ld caractère%s.",
			   "This text must be at least %ld character%s long."),
			 f->min_length, f->min_length > 1 ? "s" : "");
		*rule = VR_MIN_LENGTH;
		return -1;
	}
	if (f->pattern && pattern_match(f->pattern, s) != 1) {
		*rule = VR_PATTERN;
		if (f->pattern_message && *f->pattern_message)
			return fail(msg, f->pattern_message);
		return fail(msg, L("Ce texte n'a pas le format attendu.",
				   "This text does not have the expected format."));
	}
	return 0;
}

static int range_error(bool at_least, double bound, lang lg, char *msg, validate_rule *rule)
{
	*rule = at_least ? VR_MIN : VR_MAX;
	buf b = BUF_INIT;
	put_bound(&b, bound, lg);
	if (at_least)
		snprintf(msg, VALIDATE_MSG,
			 L("La valeur doit être au moins %s.", "The value must be at least %s."),
			 buf_cstr(&b));
	else
		snprintf(msg, VALIDATE_MSG,
			 L("La valeur doit être au plus %s.", "The value must be at most %s."),
			 buf_cstr(&b));
	buf_free(&b);
	return -1;
}

static int check_integer(const def_field *f, value *v, lang lg, char *msg, validate_rule *rule)
{
	if (v->kind == VAL_REAL && isfinite(v->d) && v->d == floor(v->d) &&
	    v->d >= -9223372036854775808.0 && v->d < 9223372036854775808.0)
		set_int(v, (int64_t)v->d);
	if (v->kind != VAL_INT)
		return msg_integer(lg, msg);
	/* Compare in the integer domain when the bound is integral, so huge values stay exact. */
	if (f->has_min) {
		double m = ceil(f->min);
		if (m > 9.2e18 || (m >= -9.2e18 && v->i < (int64_t)m))
			return range_error(true, f->min, lg, msg, rule);
	}
	if (f->has_max) {
		double m = floor(f->max);
		if (m < -9.2e18 || (m <= 9.2e18 && v->i > (int64_t)m))
			return range_error(false, f->max, lg, msg, rule);
	}
	return 0;
}

/* Only the shape of a record's number: whether the person may read that record is the
 * pipeline's to ask (reference.h). */
static int check_reference(value *v, lang lg, char *msg)
{
	if (v->kind != VAL_INT || v->i < 1)
		return fail(msg,
			    L("Indiquez le numéro d'un enregistrement (un entier à partir de 1).",
			      "Give a record's number (an integer from 1)."));
	return 0;
}

static int check_decimal(const def_field *f, value *v, lang lg, char *msg, validate_rule *rule)
{
	if (v->kind == VAL_INT)
		set_real(v, (double)v->i);
	if (v->kind != VAL_REAL)
		return msg_decimal(lg, msg);
	if (!isfinite(v->d) || fabs(v->d) >= 1e15)
		return msg_too_large(lg, msg);
	if (f->scale >= 0 && f->scale <= 15) {
		double x = v->d * pow(10.0, f->scale);
		double tol = fmax(1e-9, fabs(x) * 8 * DBL_EPSILON);
		if (fabs(x - nearbyint(x)) > tol) {
			if (f->scale == 0)
				return fail(msg, L("Saisissez un nombre sans décimales.",
						   "Enter a number without decimals."));
			snprintf(msg, VALIDATE_MSG,
				 L("Saisissez au plus %d chiffre%s après la virgule.",
				   "Enter at most %d digit%s after the decimal point."),
				 f->scale, f->scale > 1 ? "s" : "");
			return -1;
		}
	}
	if (f->has_min && v->d < f->min)
		return range_error(true, f->min, lg, msg, rule);
	if (f->has_max && v->d > f->max)
		return range_error(false, f->max, lg, msg, rule);
	return 0;
}

static int check_money(const def_field *f, value *v, lang lg, char *msg, validate_rule *rule)
{
	if (v->kind != VAL_INT)
		return msg_money(lg, msg);
	bool low = f->has_min && v->i < bound_cents(f->min);
	bool high = f->has_max && v->i > bound_cents(f->max);
	if (!low && !high)
		return 0;
	*rule = low ? VR_MIN : VR_MAX;
	buf b = BUF_INIT;
	put_money(&b, bound_cents(low ? f->min : f->max), lg == LANG_EN ? MONEY_EN : MONEY_FR);
	if (low)
		snprintf(msg, VALIDATE_MSG,
			 L("Le montant doit être au moins %s.", "The amount must be at least %s."),
			 buf_cstr(&b));
	else
		snprintf(msg, VALIDATE_MSG,
			 L("Le montant doit être au plus %s.", "The amount must be at most %s."),
			 buf_cstr(&b));
	buf_free(&b);
	return -1;
}

static int date_bound_error(bool after, int64_t days, lang lg, char *msg, validate_rule *rule)
{
	*rule = after ? VR_MIN : VR_MAX;
	stamp t;
	buf b = BUF_INIT;
	civil_from_days(days, &t);
	put_date_human(&b, &t, lg);
	if (after)
		snprintf(
		    msg, VALIDATE_MSG,
		    L("La date doit être au plus tôt le %s.", "The date must be on or after %s."),
		    buf_cstr(&b));
	else
		snprintf(
		    msg, VALIDATE_MSG,
		    L("La date doit être au plus tard le %s.", "The date must be on or before %s."),
		    buf_cstr(&b));
	buf_free(&b);
	return -1;
}

static int check_date(const def_field *f, value *v, int64_t today, lang lg, char *msg,
		      validate_rule *rule)
{
	stamp t;
	if (v->kind != VAL_TEXT)
		return f->type == FT_DATE ? msg_date(lg, msg) : msg_datetime(lg, msg);
	if (f->type == FT_DATE) {
		if (!parse_date_text(v->s, false, &t))
			return msg_date(lg, msg);
		replace_text(v, iso_date_text(&t));
	} else {
		if (!parse_datetime_text(v->s, false, &t))
			return msg_datetime(lg, msg);
		replace_text(v, iso_datetime_text(&t));
	}
	int64_t days = days_from_civil(t.y, t.mo, t.d), b;
	if (validate_date_bound(f->min_date, today, &b) && days < b)
		return date_bound_error(true, b, lg, msg, rule);
	if (validate_date_bound(f->max_date, today, &b) && days > b)
		return date_bound_error(false, b, lg, msg, rule);
	return 0;
}

static int option_index(const def_field *f, const char *val)
{
	for (size_t i = 0; i < f->noptions; i++)
		if (f->options[i].value && strcmp(f->options[i].value, val) == 0)
			return (int)i;
	return -1;
}

static int check_multichoice(const def_field *f, value *v, lang lg, char *msg, validate_rule *rule)
{
	json_t *a = v->kind == VAL_TEXT ? json_loads(v->s, 0, NULL) : NULL;
	int rc = -1;
	bool *chosen = xcalloc(f->noptions + 1, sizeof *chosen);
	if (!json_is_array(a)) {
		fail(msg, L("La valeur doit être une liste de chaînes.",
			    "The value must be an array of strings."));
		goto done;
	}
	size_t i, count = 0;
	const json_t *e;
	json_array_foreach(a, i, e)
	{
		int k = json_is_string(e) ? option_index(f, json_string_value(e)) : -1;
		if (k < 0) {
			fail(msg, L("Choisissez uniquement parmi les options proposées.",
				    "Choose only among the options offered."));
			goto done;
		}
		if (chosen[k]) {
			fail(msg, L("Chaque option ne peut être choisie qu'une fois.",
				    "Each option can be chosen only once."));
			goto done;
		}
		chosen[k] = true;
		count++;
	}
	if (count == 0) {
		make_null(v);
		rc = 0;
		goto done;
	}
	if (f->has_min && (double)count < f->min) {
		*rule = VR_MIN;
		long m = (long)ceil(f->min);
		snprintf(msg, VALIDATE_MSG,
			 L("Choisissez au moins %ld option%s.", "Choose at least %ld option%s."), m,
			 m > 1 ? "s" : "");
		goto done;
	}
	if (f->has_max && (double)count > f->max) {
		*rule = VR_MAX;
		long m = (long)floor(f->max);
		snprintf(msg, VALIDATE_MSG,
			 L("Choisissez au plus %ld option%s.", "Choose at most %ld option%s."), m,
			 m > 1 ? "s" : "");
		goto done;
	}
	json_t *canon = json_array();
	for (size_t k = 0; k < f->noptions; k++)
		if (chosen[k])
			json_array_append_new(canon, json_string(f->options[k].value));
	replace_text(v, json_text(canon));
	json_decref(canon);
	rc = 0;
done:
	free(chosen);
	json_decref(a);
	return rc;
}

/* A MIME type against an accept list ("application/pdf", or "image/" followed by a star). */
static bool mime_accepted(const def_strlist *accept, const char *type)
{
	if (accept->n == 0)
		return true;
	for (size_t i = 0; i < accept->n; i++) {
		const char *a = accept->v[i];
		size_t n = strlen(a);
		if (n >= 2 && strcmp(a + n - 2, "/*") == 0) {
			if (strncmp(type, a, n - 1) == 0)
				return true;
		} else if (strcmp(a, type) == 0) {
			return true;
		}
	}
	return false;
}

/* ---- names of file types, for messages and pages ---- */

static const struct {
	const char *mime, *fr, *en;
} KNOWN[] = {
    {"image/png", "image PNG", "PNG image"},
    {"image/jpeg", "image JPEG", "JPEG image"},
    {"image/gif", "image GIF", "GIF image"},
    {"image/webp", "image WebP", "WebP image"},
    {"image/svg+xml", "image SVG", "SVG image"},
    {"image/tiff", "image TIFF", "TIFF image"},
    {"application/pdf", "document PDF", "PDF document"},
    {"text/plain", "texte", "text"},
    {"text/csv", "tableau CSV", "CSV table"},
    {"application/zip", "archive ZIP", "ZIP archive"},
    {"application/vnd.oasis.opendocument.text", "document OpenDocument (ODT)",
     "OpenDocument text (ODT)"},
    {"application/vnd.oasis.opendocument.spreadsheet", "tableur OpenDocument (ODS)",
     "OpenDocument spreadsheet (ODS)"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "document Word (DOCX)", "Word document (DOCX)"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "tableur Excel (XLSX)",
     "Excel spreadsheet (XLSX)"},
    {"application/msword", "document Word (DOC)", "Word document (DOC)"},
    {"audio/mpeg", "son MP3", "MP3 audio"},
    {"video/mp4", "vidéo MP4", "MP4 video"},
};

const char *validate_type_label(const char *mime, char *out, size_t size, bool english)
{
	for (size_t i = 0; i < sizeof KNOWN / sizeof *KNOWN; i++)
		if (strcmp(mime, KNOWN[i].mime) == 0) {
			snprintf(out, size, "%s", english ? KNOWN[i].en : KNOWN[i].fr);
			return out;
		}
	size_t n = strlen(mime);
	if (n >= 2 && strcmp(mime + n - 2, "/*") == 0) {
		const char *fam = strncmp(mime, "image/", 6) == 0   ? (english ? "image" : "image")
				  : strncmp(mime, "audio/", 6) == 0 ? (english ? "audio" : "son")
				  : strncmp(mime, "video/", 6) == 0 ? (english ? "video" : "vidéo")
				  : strncmp(mime, "text/", 5) == 0  ? (english ? "text" : "texte")
								    : NULL;
		if (fam) {
			snprintf(out, size, "%s", fam);
			return out;
		}
	}
	snprintf(out, size, "%s", mime);
	return out;
}

/* "une image PNG ou JPEG": the accepted types, the shared word said once. */
void validate_accept_names(const def_field *f, lang lg, char *out, size_t size)
{
	bool en = lg == LANG_EN;
	char names[16][96];
	size_t n = f->accept.n < 16 ? f->accept.n : 16;
	for (size_t i = 0; i < n; i++)
		validate_type_label(f->accept.v[i], names[i], sizeof names[i], en);
	size_t w0 = strcspn(names[0], " ");
	bool shared = n > 1 && names[0][w0] == ' ';
	for (size_t i = 1; shared && i < n; i++)
		shared = strncmp(names[i], names[0], w0 + 1) == 0;
	buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_puts(&b, i + 1 == n ? (en ? " or " : " ou ") : ", ");
		const char *name = names[i];
		if (!en && (i == 0 || !shared))
			buf_puts(&b, strncmp(name, "image", 5) == 0 ||
					     strncmp(name, "archive", 7) == 0 ||
					     strncmp(name, "vidéo", 6) == 0
					 ? "une "
					 : "un ");
		if (en && i == 0)
			buf_puts(&b, "a ");
		buf_puts(&b, shared && i > 0 ? name + w0 + 1 : name);
	}
	snprintf(out, size, "%s", buf_cstr(&b));
	buf_free(&b);
}

void validate_accept_text(const def_field *f, lang lg, char *msg)
{
	char names[VALIDATE_MSG - 64];
	validate_accept_names(f, lg, names, sizeof names);
	snprintf(msg, VALIDATE_MSG,
		 lg == LANG_EN ? "This file is not %s." : "Ce fichier n'est pas %s.", names);
}

static int check_file(const def_field *f, value *v, lang lg, char *msg)
{
	json_t *o = v->kind == VAL_TEXT ? json_loads(v->s, 0, NULL) : NULL;
	value tmp;
	int rc = parse_json_file(o, &tmp, lg, msg);
	if (rc == 0) {
		json_int_t size = json_integer_value(json_object_get(o, "size"));
		const char *type = json_string_value(json_object_get(o, "type"));
		if (f->max_size >= 0 && size > f->max_size) {
			buf b = BUF_INIT;
			if (f->max_size >= 1024 * 1024)
				put_bound(&b, floor(f->max_size / 104857.6) / 10, lg);
			else
				put_bound(&b, ceil(f->max_size / 1024.0), lg);
			snprintf(msg, VALIDATE_MSG,
				 L("Ce fichier dépasse %s %s.", "This file is larger than %s %s."),
				 buf_cstr(&b),
				 f->max_size >= 1024 * 1024 ? L("Mo", "MB") : L("Ko", "KB"));
			buf_free(&b);
			rc = -1;
		} else if (!mime_accepted(&f->accept, type)) {
			validate_accept_text(f, lg, msg);
			rc = -1;
		}
		if (rc == 0)
			replace_text(v, tmp.s);
		else
			free(tmp.s);
	}
	json_decref(o);
	return rc;
}

/* The French identifiers (see "French rules"): normalised, or refused with the reason. */
static int check_french(const def_field *f, value *v, lang lg, char *msg)
{
	validate_fr r;
	validate_fr_why why;
	size_t n = strlen(v->s);
	switch (f->type) {
	case FT_PHONE:
		if (validate_fr_phone(v->s, n, &r) == VALIDATE_FR_OK)
			break;
		return fail(msg,
			    L("Saisissez un numéro de téléphone français, par exemple 01 23 45 "
			      "67 89.",
			      "Enter a French phone number, for example 01 23 45 67 89."));
	case FT_POSTAL_CODE:
		why = validate_fr_postal_code(v->s, n, &r);
		if (why == VALIDATE_FR_UNKNOWN)
			return fail(msg, L("Ce code postal n'existe pas en France.",
					   "This postal code does not exist in France."));
		if (why != VALIDATE_FR_OK)
			return fail(msg, L("Saisissez un code postal à 5 chiffres.",
					   "Enter a 5-digit postal code."));
		break;
	case FT_SIRET:
		why = validate_fr_siret(v->s, n, &r);
		if (why == VALIDATE_FR_FORMAT)
			return fail(msg, L("Un numéro SIRET comporte 14 chiffres.",
					   "A SIRET number has 14 digits."));
		if (why != VALIDATE_FR_OK)
			return fail(msg, L("Ce numéro SIRET n'est pas valide (clé de contrôle).",
					   "This SIRET number is not valid (check digit)."));
		break;
	case FT_SIREN:
		why = validate_fr_siren(v->s, n, &r);
		if (why == VALIDATE_FR_FORMAT)
			return fail(msg, L("Un numéro SIREN comporte 9 chiffres.",
					   "A SIREN number has 9 digits."));
		if (why != VALIDATE_FR_OK)
			return fail(msg, L("Ce numéro SIREN n'est pas valide (clé de contrôle).",
					   "This SIREN number is not valid (check digit)."));
		break;
	default: /* FT_IBAN */
		why = validate_fr_iban(v->s, n, &r);
		if (why == VALIDATE_FR_KEY || why == VALIDATE_FR_RIB_KEY)
			return fail(msg, L("Cet IBAN n'est pas valide (clé de contrôle).",
					   "This IBAN is not valid (check digits)."));
		if (why != VALIDATE_FR_OK)
			return fail(msg, L("Saisissez un IBAN complet, par exemple FR76 3000 6000 "
					   "0112 3456 7890 189.",
					   "Enter a complete IBAN, for example FR76 3000 6000 0112 "
					   "3456 7890 189."));
		break;
	}
	replace_text(v, xstrdup(r.value));
	return 0;
}

int validate_check(const def_field *f, value *v, int64_t today_days, lang lg,
		   char msg[VALIDATE_MSG])
{
	validate_rule rule;
	return validate_check_rule(f, v, today_days, lg, msg, &rule);
}

const char *validate_message(const def_field *f, validate_rule r, lang lg)
{
	if (!f->messages || r < 0 || r >= VR__COUNT)
		return NULL;
	const char *en = f->messages->en[r], *fr = f->messages->fr[r];
	return lg == LANG_EN && en ? en : fr;
}

int validate_check_rule(const def_field *f, value *v, int64_t today_days, lang lg,
			char msg[VALIDATE_MSG], validate_rule *rule)
{
	msg[0] = '\0';
	*rule = VR_FORMAT;
	if (v->kind == VAL_NULL || !def_type_holds_data(f->type))
		return 0;
	if (v->kind == VAL_TEXT && !v->s)
		return fail(msg, L("Valeur manquante.", "Missing value."));
	if (is_text_like(f->type) && v->kind != VAL_TEXT)
		return msg_string(lg, msg);
	if (v->kind == VAL_TEXT && f->type != FT_TEXTAREA && f->type != FT_TEXT &&
	    !util_utf8_valid(v->s, strlen(v->s)))
		return msg_utf8(lg, msg);

	switch (f->type) {
	case FT_TEXT:
	case FT_TEXTAREA:
		return check_text(f, v, lg, msg, rule);
	case FT_INTEGER:
		return check_integer(f, v, lg, msg, rule);
	case FT_REFERENCE:
		return check_reference(v, lg, msg);
	case FT_DECIMAL:
		return check_decimal(f, v, lg, msg, rule);
	case FT_MONEY:
		return check_money(f, v, lg, msg, rule);
	case FT_BOOLEAN:
		if (v->kind != VAL_INT || (v->i != 0 && v->i != 1))
			return fail(msg, L("La valeur doit être vrai ou faux.",
					   "The value must be true or false."));
		return 0;
	case FT_DATE:
	case FT_DATETIME:
		return check_date(f, v, today_days, lg, msg, rule);
	case FT_EMAIL: {
		char *t = dup_trimmed(v->s);
		replace_text(v, t);
		/* The domain takes any byte from 0x80 on (IDN): C1 controls among them too. */
		if (has_controls(v->s, false) || !validate_email(v->s))
			return fail(
			    msg, L("Saisissez une adresse électronique valide, par exemple "
				   "nom@exemple.fr.",
				   "Enter a valid email address, for example name@example.com."));
		return 0;
	}
	case FT_PHONE:
	case FT_POSTAL_CODE:
	case FT_SIRET:
	case FT_SIREN:
	case FT_IBAN:
		return check_french(f, v, lg, msg);
	case FT_URL:
		/* validate_url refuses C0 and DEL; C1 controls are refused as in text. */
		if (has_controls(v->s, false) || !validate_url(v->s))
			return fail(
			    msg, L("Saisissez une adresse web commençant par http:// ou https://.",
				   "Enter a web address starting with http:// or https://."));
		return 0;
	case FT_CHOICE:
		if (option_index(f, v->s) < 0)
			return msg_choice(lg, msg);
		return 0;
	case FT_MULTICHOICE:
		return check_multichoice(f, v, lg, msg, rule);
	case FT_FILE:
		return check_file(f, v, lg, msg);
	case FT_COMMUNE:
	case FT_DEPARTEMENT:
	case FT_REGION:
	case FT_EPCI:
		return validate_geo_check(f, v, lg, msg);
	case FT_REPEAT: {
		field_errors errs = {0};
		return repeat_first(&errs, validate_repeat_check(f, v, today_days, lg, &errs), msg);
	}
	default:
		return fail(msg, L("Type de champ inconnu.", "Unknown field type."));
	}
}

/* ------------------------------------------------------------------ output */

/* The canonical text of a value of an unexpected kind (kept, never lost). */
static void put_plain(buf *out, const value *v)
{
	char t[400];
	switch (v->kind) {
	case VAL_INT:
		buf_printf(out, "%" PRId64, v->i);
		break;
	case VAL_REAL:
		fmt_real(v->d, t);
		buf_puts(out, t);
		break;
	case VAL_TEXT:
		buf_puts(out, v->s ? v->s : "");
		break;
	default:
		break;
	}
}

static json_t *plain_json(const value *v)
{
	switch (v->kind) {
	case VAL_INT:
		return json_integer(v->i);
	case VAL_REAL:
		return isfinite(v->d) ? json_real(v->d) : json_null();
	case VAL_TEXT: {
		json_t *j = v->s ? json_string(v->s) : NULL; /* NULL for invalid UTF-8 */
		return j ? j : json_null();
	}
	default:
		return json_null();
	}
}

json_t *validate_to_json(const def_field *f, const value *v)
{
	if (v->kind == VAL_NULL)
		return json_null();
	switch (f->type) {
	case FT_BOOLEAN:
		if (v->kind == VAL_INT)
			return json_boolean(v->i != 0);
		break;
	case FT_MONEY:
		if (v->kind == VAL_INT) {
			buf b = BUF_INIT;
			put_money(&b, v->i, MONEY_JSON);
			json_t *j = json_string(buf_cstr(&b));
			buf_free(&b);
			return j;
		}
		break;
	case FT_DECIMAL:
		if (v->kind == VAL_INT)
			return json_real((double)v->i);
		break;
	case FT_MULTICHOICE:
	case FT_FILE:
	case FT_REPEAT:
		if (v->kind == VAL_TEXT && v->s) {
			json_t *j = json_loads(v->s, 0, NULL);
			if (j && (f->type == FT_FILE ? json_is_object(j) : json_is_array(j)))
				return j;
			json_decref(j);
		}
		break;
	default:
		break;
	}
	return plain_json(v);
}

static const char *option_label(const def_field *f, const char *val)
{
	int k = option_index(f, val);
	return k >= 0 && f->options[k].label ? f->options[k].label : val;
}

/* Groups separated by spaces: first the sizes in groups[], then every `every` (0: the rest). */
static void put_spaced(buf *out, const char *s, const int *groups, size_t ngroups, size_t every)
{
	size_t n = strlen(s), pos = 0, g = 0;
	while (pos < n) {
		size_t len = g < ngroups ? (size_t)groups[g] : every ? every : n - pos;
		if (len > n - pos)
			len = n - pos;
		if (pos)
			buf_putc(out, ' ');
		buf_add(out, s + pos, len);
		pos += len;
		g++;
	}
}

/* Numbers grouped, money with its euro sign, booleans in words. */
static bool display_number(const def_field *f, const value *v, lang lg, buf *out)
{
	char t[400];
	switch (f->type) {
	case FT_INTEGER:
		if (v->kind != VAL_INT)
			return false;
		snprintf(t, sizeof t, "%" PRId64, v->i);
		put_human_number(out, t, lg);
		return true;
	case FT_DECIMAL:
		if (v->kind != VAL_REAL && v->kind != VAL_INT)
			return false;
		fmt_real(v->kind == VAL_REAL ? v->d : (double)v->i, t);
		put_human_number(out, t, lg);
		return true;
	case FT_MONEY:
		if (v->kind != VAL_INT)
			return false;
		put_money(out, v->i, lg == LANG_EN ? MONEY_EN : MONEY_FR);
		return true;
	case FT_BOOLEAN:
		if (v->kind != VAL_INT)
			return false;
		buf_puts(out, v->i ? L("Oui", "Yes") : L("Non", "No"));
		return true;
	default:
		return false;
	}
}

/* Dates in words, datetimes with the time after them. */
static bool display_date(const def_field *f, const value *v, lang lg, buf *out)
{
	stamp st;
	if (v->kind != VAL_TEXT)
		return false;
	if (f->type == FT_DATE) {
		if (!parse_date_text(v->s, false, &st))
			return false;
		put_date_human(out, &st, lg);
		return true;
	}
	if (!parse_datetime_text(v->s, false, &st))
		return false;
	put_date_human(out, &st, lg);
	buf_printf(out, " %02d:%02d", st.h, st.mi);
	if (st.s)
		buf_printf(out, ":%02d", st.s);
	return true;
}

/* Identifiers people copy, in groups: phone, SIRET, SIREN, IBAN. */
static bool display_identifier(const def_field *f, const value *v, buf *out)
{
	static const int g[] = {3, 3, 3};
	if (v->kind != VAL_TEXT)
		return false;
	switch (f->type) {
	case FT_PHONE:
		return phone_national(v->s, out);
	case FT_SIRET:
	case FT_SIREN:
		if (strspn(v->s, "0123456789") != strlen(v->s) ||
		    strlen(v->s) != (f->type == FT_SIRET ? 14u : 9u))
			return false;
		put_spaced(out, v->s, g, 3, 0);
		return true;
	case FT_IBAN:
		if (strchr(v->s, ' '))
			return false;
		put_spaced(out, v->s, NULL, 0, 4);
		return true;
	default:
		return false;
	}
}

/* A multichoice as its option labels, a file as its name. */
static bool display_json(const def_field *f, const value *v, buf *out)
{
	if (v->kind != VAL_TEXT)
		return false;
	json_t *j = json_loads(v->s, 0, NULL);
	bool done = false;
	if (json_is_array(j) && f->type == FT_MULTICHOICE) {
		size_t i;
		json_t *e;
		json_array_foreach(j, i, e)
		{
			if (i)
				buf_puts(out, ", ");
			if (json_is_string(e))
				buf_puts(out, option_label(f, json_string_value(e)));
		}
		done = true;
	} else if (json_is_object(j) && json_is_string(json_object_get(j, "name"))) {
		buf_puts(out, json_string_value(json_object_get(j, "name")));
		done = true;
	}
	json_decref(j);
	return done;
}

void validate_display(const def_field *f, const value *v, lang lg, buf *out)
{
	if (v->kind == VAL_NULL)
		return;
	bool done = false;
	switch (f->type) {
	case FT_INTEGER:
	case FT_DECIMAL:
	case FT_MONEY:
	case FT_BOOLEAN:
		done = display_number(f, v, lg, out);
		break;
	case FT_DATE:
	case FT_DATETIME:
		done = display_date(f, v, lg, out);
		break;
	case FT_PHONE:
	case FT_SIRET:
	case FT_SIREN:
	case FT_IBAN:
		done = display_identifier(f, v, out);
		break;
	case FT_CHOICE:
		done = v->kind == VAL_TEXT;
		if (done)
			buf_puts(out, option_label(f, v->s));
		break;
	case FT_MULTICHOICE:
	case FT_FILE:
		done = display_json(f, v, out);
		break;
	case FT_REPEAT:
		validate_repeat_display(f, v, lg, out);
		done = true;
		break;
	case FT_COMMUNE:
	case FT_DEPARTEMENT:
	case FT_REGION:
	case FT_EPCI:
		done = v->kind == VAL_TEXT;
		if (done)
			validate_geo_display(f, v, out); /* "Sète (34)" */
		break;
	default:
		break;
	}
	if (!done)
		put_plain(out, v);
}

void validate_sheet(const def_field *f, const value *v, buf *out)
{
	char t[400];
	stamp st;
	if (v->kind == VAL_NULL)
		return;
	switch (f->type) {
	case FT_INTEGER:
	case FT_DECIMAL:
		if (v->kind == VAL_INT || v->kind == VAL_REAL) {
			if (v->kind == VAL_INT)
				snprintf(t, sizeof t, "%" PRId64, v->i);
			else
				fmt_real(v->d, t);
			char *dot = strchr(t, '.');
			if (dot)
				*dot = ',';
			buf_puts(out, t);
			return;
		}
		break;
	case FT_BOOLEAN:
		if (v->kind == VAL_INT) {
			buf_puts(out, v->i ? "oui" : "non");
			return;
		}
		break;
	case FT_DATE:
		if (v->kind == VAL_TEXT && parse_date_text(v->s, false, &st)) {
			put_date_human(out, &st, LANG_FR);
			return;
		}
		break;
	case FT_DATETIME:
		if (v->kind == VAL_TEXT && parse_datetime_text(v->s, false, &st)) {
			put_date_human(out, &st, LANG_FR);
			buf_printf(out, " %02d:%02d", st.h, st.mi);
			return;
		}
		break;
	case FT_CHOICE:
		if (v->kind == VAL_TEXT) {
			buf_puts(out, option_label(f, v->s));
			return;
		}
		break;
	case FT_PHONE: /* 04 77 12 34 56: a leading + would read as a formula */
		if (v->kind == VAL_TEXT && phone_national(v->s, out))
			return;
		break;
	case FT_MONEY:
	case FT_MULTICHOICE:
	case FT_FILE:
		validate_input_text(f, v, out); /* 1234,50; labels; the file's name */
		return;
	case FT_COMMUNE:
	case FT_DEPARTEMENT:
	case FT_REGION:
	case FT_EPCI:
		if (v->kind == VAL_TEXT) {
			validate_geo_display(f, v, out); /* "Sète (34)" */
			return;
		}
		break;
	case FT_REPEAT: /* one cell: the lines as read (exports give a column per sub-field) */
		validate_repeat_display(f, v, LANG_FR, out);
		return;
	default:
		break;
	}
	put_plain(out, v);
}

void validate_input_text(const def_field *f, const value *v, buf *out)
{
	if (v->kind == VAL_NULL)
		return;
	char t[400];
	stamp st;
	switch (f->type) {
	case FT_DECIMAL:
		if (v->kind == VAL_REAL || v->kind == VAL_INT) {
			fmt_real(v->kind == VAL_REAL ? v->d : (double)v->i, t);
			char *dot = strchr(t, '.');
			if (dot)
				*dot = ',';
			buf_puts(out, t);
			return;
		}
		break;
	case FT_MONEY:
		if (v->kind == VAL_INT) {
			put_money(out, v->i, MONEY_INPUT);
			return;
		}
		break;
	case FT_BOOLEAN:
		if (v->kind == VAL_INT) {
			buf_puts(out, v->i ? "true" : "false");
			return;
		}
		break;
	case FT_DATETIME:
		if (v->kind == VAL_TEXT && parse_datetime_text(v->s, false, &st)) {
			buf_printf(out, "%04d-%02d-%02dT%02d:%02d", st.y, st.mo, st.d, st.h, st.mi);
			if (st.s)
				buf_printf(out, ":%02d", st.s);
			return;
		}
		break;
	case FT_PHONE:
		if (v->kind == VAL_TEXT && phone_national(v->s, out))
			return;
		break;
	case FT_MULTICHOICE:
	case FT_FILE:
		validate_display(f, v, LANG_FR, out);
		return;
	case FT_COMMUNE:
	case FT_DEPARTEMENT:
	case FT_REGION:
	case FT_EPCI:
		if (v->kind == VAL_TEXT) {
			validate_geo_input_text(f, v, out); /* what reads back as the code */
			return;
		}
		break;
	default:
		break;
	}
	put_plain(out, v);
}

filter_kind validate_filter(const def_field *f, const char *want, value *out, bool *or_null)
{
	memset(out, 0, sizeof *out);
	*or_null = false;
	if (f->type == FT_REPEAT) /* lines are not a value to compare */
		return FILTER_BAD;
	if (!want || !want[0])
		return FILTER_EMPTY;
	numtext nt;
	switch (f->type) {
	case FT_BOOLEAN: {
		bool t = strcmp(want, "true") == 0 || strcmp(want, "1") == 0;
		if (!t && strcmp(want, "false") != 0 && strcmp(want, "0") != 0)
			return FILTER_BAD;
		value_set_int(out, t);
		*or_null = !t;
		return FILTER_VALUE;
	}
	case FT_INTEGER:
	case FT_REFERENCE: {
		int64_t w;
		if (!parse_plain_int(want, &w))
			return FILTER_NONE;
		value_set_int(out, w);
		return FILTER_VALUE;
	}
	case FT_DECIMAL: {
		double w;
		if (read_number(want, NUM_DECIMAL, &nt) != NUM_OK ||
		    numtext_real(&nt, &w) != NUM_OK)
			return FILTER_NONE;
		value_set_real(out, w);
		return FILTER_VALUE;
	}
	case FT_MONEY: {
		int64_t w;
		if (read_number(want, NUM_MONEY, &nt) != NUM_OK || numtext_cents(&nt, &w) != NUM_OK)
			return FILTER_NONE;
		value_set_int(out, w);
		return FILTER_VALUE;
	}
	case FT_COMMUNE:
	case FT_DEPARTEMENT:
	case FT_REGION:
	case FT_EPCI:
		validate_geo_filter(f, want, out); /* "Sète" filters on 34301 */
		return FILTER_VALUE;
	default:
		value_set_text(out, want);
		return FILTER_VALUE;
	}
}

bool validate_matches(const def_field *f, const value *v, const char *want)
{
	if (!want)
		want = "";
	if (v->kind == VAL_NULL) {
		if (f->type == FT_BOOLEAN)
			return strcmp(want, "false") == 0 || strcmp(want, "0") == 0;
		return want[0] == '\0';
	}
	switch (f->type) {
	case FT_BOOLEAN:
		if (v->kind == VAL_INT) {
			if (v->i)
				return strcmp(want, "true") == 0 || strcmp(want, "1") == 0;
			return strcmp(want, "false") == 0 || strcmp(want, "0") == 0;
		}
		break;
	case FT_INTEGER:
	case FT_REFERENCE:
		if (v->kind == VAL_INT) {
			int64_t w;
			return parse_plain_int(want, &w) && w == v->i;
		}
		break;
	case FT_DECIMAL:
		if (v->kind == VAL_REAL) {
			numtext nt;
			double w;
			return read_number(want, NUM_DECIMAL, &nt) == NUM_OK &&
			       numtext_real(&nt, &w) == NUM_OK && w == v->d;
		}
		break;
	case FT_MONEY:
		if (v->kind == VAL_INT) {
			numtext nt;
			int64_t w;
			return read_number(want, NUM_MONEY, &nt) == NUM_OK &&
			       numtext_cents(&nt, &w) == NUM_OK && w == v->i;
		}
		break;
	case FT_MULTICHOICE:
		if (v->kind == VAL_TEXT) {
			json_t *a = json_loads(v->s, 0, NULL);
			bool found = false;
			size_t i;
			json_t *e;
			json_array_foreach(a, i, e)
			{
				if (json_is_string(e) && strcmp(json_string_value(e), want) == 0)
					found = true;
			}
			json_decref(a);
			return found;
		}
		break;
	default:
		break;
	}
	buf b = BUF_INIT;
	put_plain(&b, v);
	bool eq = strcmp(buf_cstr(&b), want) == 0;
	buf_free(&b);
	return eq;
}
