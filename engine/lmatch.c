/*
 * lmatch — Lua 5.4's pattern matcher with a step meter, without the Lua API (see
 * lmatch.h).
 *
 * The matcher follows the pattern-matching section of Lua 5.4.4's lstrlib.c function
 * by function (classEnd, match_class, matchbracketclass, singlematch, matchbalance,
 * max_expand, min_expand, start/end_capture, match_capture, match, lmemfind,
 * nospecials, get_onecapture), with the same results and the same messages. What
 * differs, and why:
 *  - lstrlib.c raises (longjmp) on an error; here fail() records the first error and
 *    every caller of something that can fail checks ms->err and returns NULL, so the
 *    recursion unwinds to lmatch_match. match() never returns a match with err set.
 *  - The meter: STEP() where work is done; every LMATCH_GRANT steps refill() charges
 *    the steps to the caller's meter, whose negative answer stops the match
 *    (LMATCH_STOPPED, unwound like an error). lmatch_settle() charges what is left.
 *  - lmatch_match() resets the depth along with the captures (lstrlib.c only asserts
 *    it), so a gmatch iterator whose previous call was stopped halfway starts again
 *    with the full depth.
 *  - Reading the subject past its end gives '\0' (Lua strings have one there), so the
 *    subject need not be NUL-terminated; the pattern must be.
 *  - LMATCH_ANCHOR_END, for text fields: the end of the pattern only matches at the
 *    end of the subject, as if the pattern ended with '$' (appending "$" to the text
 *    would not do: "a%" would become the valid "a%$").
 *
 * Copyright (C) 1994-2022 Lua.org, PUC-Rio (the matcher).
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy of
 * this software and associated documentation files (the "Software"), to deal in
 * the Software without restriction, including without limitation the rights to
 * use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
 * the Software, and to permit persons to whom the Software is furnished to do so,
 * subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in all
 * copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
 * FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
 * COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
 * IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
 * CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 */
#include "lmatch.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define L_ESC	       '%'
#define SPECIALS       "^$*+?.([%-"
#define CAP_UNFINISHED (-1)
#define CAP_POSITION   (-2)

#define uchar(c) ((unsigned char)(c))

/* ------------------------------------------------------------------ errors and the meter */

/* Records the first error; index is the capture number of LMATCH_CAPTURE_INDEX. */
static void fail(lmatch_state *ms, lmatch_err e, int index)
{
	static const char *const text[] = {
	    [LMATCH_ENDS_WITH_ESCAPE] = "malformed pattern (ends with '%')",
	    [LMATCH_MISSING_BRACKET] = "malformed pattern (missing ']')",
	    [LMATCH_BALANCE_ARGUMENTS] = "malformed pattern (missing arguments to '%b')",
	    [LMATCH_FRONTIER_BRACKET] = "missing '[' after '%f' in pattern",
	    [LMATCH_PATTERN_CAPTURE] = "invalid pattern capture",
	    [LMATCH_UNFINISHED_CAPTURE] = "unfinished capture",
	    [LMATCH_TOO_MANY_CAPTURES] = "too many captures",
	    [LMATCH_TOO_COMPLEX] = "pattern too complex",
	    [LMATCH_STOPPED] = "pattern matching stopped (step budget spent)",
	};
	if (ms->err != LMATCH_OK)
		return;
	ms->err = e;
	if (e == LMATCH_CAPTURE_INDEX)
		snprintf(ms->msg, sizeof ms->msg, "invalid capture index %%%d", index);
	else
		snprintf(ms->msg, sizeof ms->msg, "%s", text[e]);
}

/* Charges the steps of the grant spent so far; false once the meter said stop. */
static bool refill(lmatch_state *ms)
{
	long used = ms->grant - ms->tick;
	long left = LONG_MAX;
	ms->grant = ms->tick = 0;
	if (ms->err == LMATCH_STOPPED)
		return false; /* asked once: the meter is not called again for this match */
	if (ms->meter)
		left = ms->meter(ms->meter_arg, used); /* may also raise (sandbox) */
	if (left < 0) {
		fail(ms, LMATCH_STOPPED, 0);
		return false;
	}
	ms->grant = ms->tick = left < LMATCH_GRANT ? left : LMATCH_GRANT;
	return true;
}

/* Spends n steps (n >= 0); false when the meter stopped the match. */
#define STEP(ms, n) (((ms)->tick -= (long)(n)) >= 0 || refill(ms))

/* memcmp(a, b, n) == 0 in blocks of LMATCH_BULK bytes, one step each. */
static bool same_bytes(lmatch_state *ms, const char *a, const char *b, size_t n)
{
	while (n > LMATCH_BULK) {
		if (!STEP(ms, 1) || memcmp(a, b, LMATCH_BULK) != 0)
			return false;
		a += LMATCH_BULK;
		b += LMATCH_BULK;
		n -= LMATCH_BULK;
	}
	return STEP(ms, 1) && memcmp(a, b, n) == 0;
}

/* ------------------------------------------------------------------ classes */

static bool is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return is_lower(c) || is_upper(c);
}

static bool is_graph(int c)
{
	return c > 32 && c < 127;
}

/* Lua's match_class with <ctype.h> of the "C" locale. */
static bool match_class(int c, int cl)
{
	bool res;
	switch (is_upper(cl) ? cl - 'A' + 'a' : cl) {
	case 'a':
		res = is_alpha(c);
		break;
	case 'c':
		res = c < 32 || c == 127;
		break;
	case 'd':
		res = is_digit(c);
		break;
	case 'g':
		res = is_graph(c);
		break;
	case 'l':
		res = is_lower(c);
		break;
	case 'p':
		res = is_graph(c) && !is_alpha(c) && !is_digit(c);
		break;
	case 's':
		res = c == ' ' || (c >= '\t' && c <= '\r');
		break;
	case 'u':
		res = is_upper(c);
		break;
	case 'w':
		res = is_alpha(c) || is_digit(c);
		break;
	case 'x':
		res = is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		break;
	case 'z':
		res = c == 0;
		break; /* deprecated option, still in 5.4 */
	default:
		return cl == c;
	}
	return is_lower(cl) ? res : !res;
}

/* The end of the single-character class at p; p itself (with err set) when malformed. */
static const char *class_end(lmatch_state *ms, const char *p)
{
	switch (*p++) {
	case L_ESC:
		if (p == ms->p_end) {
			fail(ms, LMATCH_ENDS_WITH_ESCAPE, 0);
			return p;
		}
		return p + 1;
	case '[': {
		const char *set = p;
		if (*p == '^')
			p++;
		do { /* look for a ']' */
			if (p == ms->p_end) {
				fail(ms, LMATCH_MISSING_BRACKET, 0);
				return p;
			}
			if (*(p++) == L_ESC && p < ms->p_end)
				p++; /* skip escapes (e.g. '%]') */
		} while (*p != ']');
		if (!STEP(ms, (p - set) / LMATCH_SCAN))
			return p; /* stopped: err is set */
		return p + 1;
	}
	default:
		return p;
	}
}

/* p at the '[' of a set, ec at its ']'. */
static bool match_bracket_class(int c, const char *p, const char *ec)
{
	bool sig = true;
	if (*(p + 1) == '^') {
		sig = false;
		p++; /* skip the '^' */
	}
	while (++p < ec) {
		if (*p == L_ESC) {
			p++;
			if (match_class(c, uchar(*p)))
				return sig;
		} else if (*(p + 1) == '-' && (p + 2 < ec)) {
			p += 2;
			if (uchar(*(p - 2)) <= c && c <= uchar(*p))
				return sig;
		} else if (uchar(*p) == c) {
			return sig;
		}
	}
	return !sig;
}

/* Whether the class p..ep matches the subject's byte at s; false too once stopped. */
static bool single_match(lmatch_state *ms, const char *s, const char *p, const char *ep)
{
	if (s >= ms->src_end)
		return false;
	int c = uchar(*s);
	switch (*p) {
	case '.':
		return true; /* matches any char */
	case L_ESC:
		return match_class(c, uchar(*(p + 1)));
	case '[':
		return STEP(ms, (ep - p) / LMATCH_SCAN) && match_bracket_class(c, p, ep - 1);
	default:
		return uchar(*p) == c;
	}
}

/* The subject's byte at s, '\0' at its end as in a Lua string. */
static int byte_at(const lmatch_state *ms, const char *s)
{
	return s < ms->src_end ? uchar(*s) : 0;
}

/* ------------------------------------------------------------------ the matcher */

static const char *match(lmatch_state *ms, const char *s, const char *p);

static const char *match_balance(lmatch_state *ms, const char *s, const char *p)
{
	if (p >= ms->p_end - 1) {
		fail(ms, LMATCH_BALANCE_ARGUMENTS, 0);
		return NULL;
	}
	if (s >= ms->src_end || *s != *p)
		return NULL;
	const char *from = s, *res = NULL;
	int b = *p, e = *(p + 1), cont = 1;
	while (++s < ms->src_end) {
		if (*s == e) {
			if (--cont == 0) {
				res = s + 1;
				break;
			}
		} else if (*s == b) {
			cont++;
		}
	}
	if (!STEP(ms, (s - from) / LMATCH_SCAN))
		return NULL;
	return res; /* NULL: the subject ends out of balance */
}

static const char *max_expand(lmatch_state *ms, const char *s, const char *p, const char *ep)
{
	ptrdiff_t i = 0; /* counts maximum expand for item */
	while (single_match(ms, s + i, p, ep))
		i++;
	if (ms->err || !STEP(ms, i / LMATCH_SCAN)) /* each try below is a step of match() */
		return NULL;
	/* keeps trying to match with the maximum repetitions */
	while (i >= 0) {
		const char *res = match(ms, s + i, ep + 1);
		if (res || ms->err)
			return res;
		i--; /* else didn't match; reduce 1 repetition to try again */
	}
	return NULL;
}

static const char *min_expand(lmatch_state *ms, const char *s, const char *p, const char *ep)
{
	for (;;) {
		const char *res = match(ms, s, ep + 1);
		if (res || ms->err)
			return res;
		if (!single_match(ms, s, p, ep))
			return NULL; /* no match, or stopped */
		s++;		     /* try with one more repetition */
	}
}

static const char *start_capture(lmatch_state *ms, const char *s, const char *p, int what)
{
	int level = ms->level;
	if (level >= LMATCH_MAXCAPTURES) {
		fail(ms, LMATCH_TOO_MANY_CAPTURES, 0);
		return NULL;
	}
	ms->capture[level].init = s;
	ms->capture[level].len = what;
	ms->level = (unsigned char)(level + 1);
	const char *res = match(ms, s, p);
	if (res == NULL)
		ms->level--; /* undo capture */
	return res;
}

static const char *end_capture(lmatch_state *ms, const char *s, const char *p)
{
	int l = ms->level - 1; /* the innermost capture still open */
	while (l >= 0 && ms->capture[l].len != CAP_UNFINISHED)
		l--;
	if (l < 0) {
		fail(ms, LMATCH_PATTERN_CAPTURE, 0);
		return NULL;
	}
	ms->capture[l].len = s - ms->capture[l].init; /* close capture */
	const char *res = match(ms, s, p);
	if (res == NULL)
		ms->capture[l].len = CAP_UNFINISHED; /* undo capture */
	return res;
}

/* %1 .. %9 (and %0, always refused): the text of a closed capture, again. */
static const char *match_capture(lmatch_state *ms, const char *s, int c)
{
	int l = c - '1';
	if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED) {
		fail(ms, LMATCH_CAPTURE_INDEX, l + 1);
		return NULL;
	}
	size_t len = (size_t)ms->capture[l].len;
	if ((size_t)(ms->src_end - s) >= len && same_bytes(ms, ms->capture[l].init, s, len))
		return s + len;
	return NULL;
}

/* %f[set]: p after the "%f". */
static const char *match_frontier(lmatch_state *ms, const char *s, const char **pp)
{
	const char *p = *pp;
	if (*p != '[') {
		fail(ms, LMATCH_FRONTIER_BRACKET, 0);
		return NULL;
	}
	const char *ep = class_end(ms, p); /* points to what is next */
	if (ms->err || !STEP(ms, 2 * ((ep - p) / LMATCH_SCAN)))
		return NULL;
	int previous = (s == ms->src_init) ? 0 : uchar(*(s - 1));
	if (!match_bracket_class(previous, p, ep - 1) &&
	    match_bracket_class(byte_at(ms, s), p, ep - 1)) {
		*pp = ep;
		return s;
	}
	return NULL;
}

/*
 * A single-character class (p..ep) with its optional suffix. Returns the end of the
 * match, or NULL; *again set when the match goes on from (*sp, *pp), which is how
 * lstrlib.c's match() continues without recursion.
 */
static const char *match_item(lmatch_state *ms, const char **sp, const char **pp, bool *again)
{
	const char *s = *sp, *p = *pp;
	const char *ep = class_end(ms, p); /* points to optional suffix */
	if (ms->err)
		return NULL;
	if (!single_match(ms, s, p, ep)) { /* does not match at least once? */
		if (ms->err || (*ep != '*' && *ep != '?' && *ep != '-'))
			return NULL; /* '+' or no suffix: fail */
		*pp = ep + 1;	     /* accept empty */
		*again = true;
		return s;
	}
	switch (*ep) { /* matched once; handle optional suffix */
	case '?': {
		const char *res = match(ms, s + 1, ep + 1);
		if (res || ms->err)
			return res;
		*pp = ep + 1; /* else go on without it */
		*again = true;
		return s;
	}
	case '+': /* 1 or more repetitions */
		return max_expand(ms, s + 1, p, ep);
	case '*': /* 0 or more repetitions */
		return max_expand(ms, s, p, ep);
	case '-': /* 0 or more repetitions (minimum) */
		return min_expand(ms, s, p, ep);
	default: /* no suffix */
		*sp = s + 1;
		*pp = ep;
		*again = true;
		return s + 1;
	}
}

/* lstrlib.c's '%' escapes that are not a class: %b, %f, %0-%9. NULL *again: a class. */
static const char *match_escape(lmatch_state *ms, const char *s, const char **pp, bool *again)
{
	const char *p = *pp;
	switch (*(p + 1)) {
	case 'b': /* balanced string? */
		s = match_balance(ms, s, p + 2);
		*pp = p + 4;
		break;
	case 'f': /* frontier? */
		*pp = p + 2;
		s = match_frontier(ms, s, pp);
		break;
	default: /* capture results (%0-%9) */
		s = match_capture(ms, s, uchar(*(p + 1)));
		*pp = p + 2;
		break;
	}
	*again = s != NULL;
	return s;
}

static bool is_escape_item(const char *p)
{
	return *p == L_ESC && (p[1] == 'b' || p[1] == 'f' || is_digit(uchar(p[1])));
}

static const char *match(lmatch_state *ms, const char *s, const char *p)
{
	if (ms->matchdepth-- == 0) {
		fail(ms, LMATCH_TOO_COMPLEX, 0);
		return NULL;
	}
	bool again = true;
	while (again && s) { /* lstrlib.c's "goto init": tail calls without recursion */
		again = false;
		if (!STEP(ms, 1)) {
			s = NULL;
		} else if (p == ms->p_end) { /* end of pattern */
			if (ms->anchor_end && s != ms->src_end)
				s = NULL;
		} else if (*p == '(') { /* start capture, or position capture "()" */
			if (*(p + 1) == ')')
				s = start_capture(ms, s, p + 2, CAP_POSITION);
			else
				s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
		} else if (*p == ')') { /* end capture */
			s = end_capture(ms, s, p + 1);
		} else if (*p == '$' && p + 1 == ms->p_end) { /* '$' as the last char: the end */
			s = (s == ms->src_end) ? s : NULL;
		} else if (is_escape_item(p)) {
			s = match_escape(ms, s, &p, &again);
		} else {
			s = match_item(ms, &s, &p, &again);
		}
	}
	ms->matchdepth++;
	return ms->err ? NULL : s;
}

/* ------------------------------------------------------------------ the interface */

void lmatch_init(lmatch_state *ms, const char *s, size_t ls, const char *p, size_t lp, int flags,
		 lmatch_meter meter, void *meter_arg)
{
	memset(ms, 0, sizeof *ms);
	ms->src_init = s;
	ms->src_end = s + ls;
	ms->p_end = p + lp;
	ms->matchdepth = LMATCH_MAXCCALLS;
	ms->anchor_end = (flags & LMATCH_ANCHOR_END) != 0;
	ms->meter = meter;
	ms->meter_arg = meter_arg;
}

const char *lmatch_match(lmatch_state *ms, const char *s, const char *p)
{
	ms->level = 0;
	ms->matchdepth = LMATCH_MAXCCALLS;
	ms->err = LMATCH_OK;
	ms->msg[0] = '\0';
	return match(ms, s, p);
}

int lmatch_ncaptures(const lmatch_state *ms, bool whole)
{
	return (ms->level == 0 && whole) ? 1 : ms->level;
}

int lmatch_capture(lmatch_state *ms, int i, const char *s, const char *e, lmatch_cap *out)
{
	if (i >= ms->level) {
		if (i != 0) {
			fail(ms, LMATCH_CAPTURE_INDEX, i + 1);
			return -1;
		}
		*out = (lmatch_cap){s, (size_t)(e - s), 0}; /* the whole match */
		return 0;
	}
	ptrdiff_t l = ms->capture[i].len;
	const char *init = ms->capture[i].init;
	if (l == CAP_UNFINISHED) {
		fail(ms, LMATCH_UNFINISHED_CAPTURE, 0);
		return -1;
	}
	if (l == CAP_POSITION)
		*out = (lmatch_cap){init, 0, (size_t)(init - ms->src_init) + 1};
	else
		*out = (lmatch_cap){init, (size_t)l, 0};
	return 0;
}

bool lmatch_has_specials(lmatch_state *ms, const char *p, size_t lp)
{
	size_t upto = 0;
	if (!STEP(ms, lp / LMATCH_SCAN))
		return true; /* stopped: err is set */
	do {
		if (strpbrk(p + upto, SPECIALS))
			return true;	      /* pattern has a special character */
		upto += strlen(p + upto) + 1; /* may have more after \0 */
	} while (upto <= lp);
	return false;
}

const char *lmatch_find_plain(lmatch_state *ms, const char *s1, size_t l1, const char *s2,
			      size_t l2)
{
	if (l2 == 0)
		return s1; /* empty strings are everywhere */
	if (l2 > l1)
		return NULL; /* avoids a negative 'l1' */
	l2--;		     /* 1st char will be checked by 'memchr' */
	l1 = l1 - l2;	     /* 's2' cannot be found after that */
	while (l1 > 0) {
		const char *init = memchr(s1, *s2, l1);
		size_t seen = init ? (size_t)(init - s1) : l1;
		if (!STEP(ms, seen / LMATCH_BULK) || init == NULL)
			return NULL;
		init++; /* 1st char is already checked */
		if (same_bytes(ms, init, s2 + 1, l2))
			return init - 1;
		if (ms->err)
			return NULL;
		/* correct 'l1' and 's1' to try again */
		l1 -= (size_t)(init - s1);
		s1 = init;
	}
	return NULL; /* not found */
}

bool lmatch_charge(lmatch_state *ms, long steps)
{
	return STEP(ms, steps);
}

bool lmatch_settle(lmatch_state *ms)
{
	long used = ms->grant - ms->tick;
	ms->grant = ms->tick = 0;
	if (ms->err == LMATCH_STOPPED)
		return false;
	if (used > 0 && ms->meter && ms->meter(ms->meter_arg, used) < 0) {
		fail(ms, LMATCH_STOPPED, 0);
		return false;
	}
	return true;
}
