/*
 * test_lmatch — Lua 5.4's matcher without Lua (lmatch.h): captures, position
 * captures, %b, %f, back-references, Lua's error messages, the depth limit, and the
 * meter (what a step costs, how it stops a pathological pattern). What the sandbox's
 * string functions make of it is test_sandbox's (a differential test against lua5.4),
 * what `pattern` makes of it test_validate's.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lmatch.h"

/* A meter with a budget: counts what it is charged and how often it is asked. */
typedef struct budget {
	long left;    /* negative once spent */
	long charged; /* steps charged in all */
	long calls;
	long largest; /* most steps charged at once */
} budget;

static long meter(void *arg, long steps)
{
	budget *b = arg;
	b->calls++;
	b->charged += steps;
	if (steps > b->largest)
		b->largest = steps;
	b->left -= steps;
	return b->left;
}

/* Matches p against s from offset `at`; returns the end offset, or -1. */
static long match_at(lmatch_state *ms, const char *s, const char *p, size_t at, int flags,
		     budget *b)
{
	lmatch_init(ms, s, strlen(s), p, strlen(p), flags, b ? meter : NULL, b);
	const char *e = lmatch_match(ms, s + at, *p == '^' ? p + 1 : p);
	lmatch_settle(ms);
	return e ? e - s : -1;
}

/* Capture i of the last match (from s + at to s + end) as text; "" for none. */
static void capture_is(lmatch_state *ms, const char *s, size_t at, long end, int i,
		       const char *want)
{
	lmatch_cap c;
	assert_int_equal(lmatch_capture(ms, i, s + at, s + end, &c), 0);
	assert_int_equal(c.pos, 0);
	assert_int_equal(c.len, strlen(want));
	assert_memory_equal(c.s, want, c.len);
}

/* The error of matching p against s at offset 0: its code and Lua's message. */
static void error_is(const char *s, const char *p, lmatch_err err, const char *msg)
{
	lmatch_state ms;
	assert_int_equal(match_at(&ms, s, p, 0, 0, NULL), -1);
	assert_int_equal(ms.err, err);
	assert_string_equal(ms.msg, msg);
}

static void captures_come_back_as_in_lua(void **st)
{
	(void)st;
	lmatch_state ms;
	const char *s = "cle = 42;";
	long e = match_at(&ms, s, "(%a+)%s*=%s*(%d+)", 0, 0, NULL);
	assert_int_equal(e, 8);
	assert_int_equal(lmatch_ncaptures(&ms, true), 2);
	capture_is(&ms, s, 0, e, 0, "cle");
	capture_is(&ms, s, 0, e, 1, "42");
	/* No captures: the whole match is capture 0; find asks for real ones only. */
	e = match_at(&ms, s, "%d+", 6, 0, NULL);
	assert_int_equal(e, 8);
	assert_int_equal(lmatch_ncaptures(&ms, true), 1);
	assert_int_equal(lmatch_ncaptures(&ms, false), 0);
	capture_is(&ms, s, 6, e, 0, "42");
	/* Nested captures are numbered by their opening parenthesis. */
	s = "2026-03-15";
	e = match_at(&ms, s, "((%d+)-(%d+))-(%d+)", 0, 0, NULL);
	assert_int_equal(e, 10);
	capture_is(&ms, s, 0, e, 0, "2026-03");
	capture_is(&ms, s, 0, e, 1, "2026");
	capture_is(&ms, s, 0, e, 2, "03");
	capture_is(&ms, s, 0, e, 3, "15");
	/* A new match forgets the captures of the last one. */
	assert_int_equal(match_at(&ms, s, "%d", 0, 0, NULL), 1);
	assert_int_equal(lmatch_ncaptures(&ms, false), 0);
}

static void position_captures_give_1_based_positions(void **st)
{
	(void)st;
	lmatch_state ms;
	const char *s = "hello";
	long e = match_at(&ms, s, "()ll()", 2, 0, NULL);
	assert_int_equal(e, 4);
	lmatch_cap c;
	assert_int_equal(lmatch_capture(&ms, 0, s + 2, s + e, &c), 0);
	assert_int_equal(c.pos, 3);
	assert_int_equal(lmatch_capture(&ms, 1, s + 2, s + e, &c), 0);
	assert_int_equal(c.pos, 5);
	/* the empty pattern "()" at the end of the subject */
	assert_int_equal(match_at(&ms, s, "()", 5, 0, NULL), 5);
	assert_int_equal(lmatch_capture(&ms, 0, s + 5, s + 5, &c), 0);
	assert_int_equal(c.pos, 6);
}

static void balance_and_frontier(void **st)
{
	(void)st;
	lmatch_state ms;
	const char *s = "a(b(c)d)e";
	assert_int_equal(match_at(&ms, s, "%b()", 1, 0, NULL), 8);
	assert_int_equal(match_at(&ms, s, "%b()", 3, 0, NULL), 6);
	assert_int_equal(match_at(&ms, s, "%b()", 0, 0, NULL), -1);
	assert_int_equal(match_at(&ms, "f(a(b)", "%b()", 1, 0, NULL), -1); /* out of balance */
	assert_int_equal(ms.err, LMATCH_OK);
	/* %f[set]: the previous byte is out of the set, the next in it ('\0' around). */
	s = "THE (quick) fox";
	assert_int_equal(match_at(&ms, s, "%f[%a]%a+", 0, 0, NULL), 3);
	assert_int_equal(match_at(&ms, s, "%f[%a]%a+", 5, 0, NULL), 10);
	assert_int_equal(match_at(&ms, s, "%f[%a]%a+", 6, 0, NULL), -1);
	assert_int_equal(match_at(&ms, s, "%f[%A]", 15, 0, NULL), 15); /* at the end */
	assert_int_equal(match_at(&ms, s, "%f[%z]", 15, 0, NULL), 15);
}

static void back_references_match_the_same_text(void **st)
{
	(void)st;
	lmatch_state ms;
	assert_int_equal(match_at(&ms, "abcabc", "(abc)%1", 0, 0, NULL), 6);
	assert_int_equal(match_at(&ms, "aaba", "(a+)b%1", 0, 0, NULL), -1);
	assert_int_equal(match_at(&ms, "aaba", "(a+)b%1", 1, 0, NULL), 4);
	const char *s = "x \"hi\" y";
	long e = match_at(&ms, s, "([\"'])(.-)%1", 2, 0, NULL);
	assert_int_equal(e, 6);
	capture_is(&ms, s, 2, e, 1, "hi");
	/* a position capture has no text: nothing matches it again */
	assert_int_equal(match_at(&ms, "aa", "()a%1", 0, 0, NULL), -1);
	assert_int_equal(ms.err, LMATCH_OK);
}

static void classes_are_the_c_locales(void **st)
{
	(void)st;
	lmatch_state ms;
	assert_int_equal(match_at(&ms, "aB3 _!\t~", "%a%a%d%s%p%p%c%p", 0, 0, NULL), 8);
	assert_int_equal(match_at(&ms, "\xc3\xa9", "%a", 0, 0, NULL), -1); /* é is not a letter */
	assert_int_equal(match_at(&ms, "\xc3\xa9", "[\x80-\xff]+", 0, 0, NULL), 2);
	assert_int_equal(match_at(&ms, "a]b", "[]]", 1, 0, NULL), 2);
	assert_int_equal(match_at(&ms, "x-y", "[a-]", 1, 0, NULL), 2);
	assert_int_equal(match_at(&ms, "ab", "[^b-y]", 0, 0, NULL), 1);
	assert_int_equal(match_at(&ms, "0x1F", "%x+", 2, 0, NULL), 4);
	/* the subject may hold NULs (%z is Lua's deprecated class of '\0') */
	const char nul[] = "a\0b";
	lmatch_init(&ms, nul, 3, "%z", 2, 0, NULL, NULL);
	assert_ptr_equal(lmatch_match(&ms, nul + 1, "%z"), nul + 2);
}

static void anchor_end_makes_the_pattern_cover_the_subject(void **st)
{
	(void)st;
	lmatch_state ms;
	assert_int_equal(match_at(&ms, "aaab", "a-", 0, 0, NULL), 0);
	assert_int_equal(match_at(&ms, "aaa", "a-", 0, LMATCH_ANCHOR_END, NULL), 3);
	assert_int_equal(match_at(&ms, "aaab", "a-", 0, LMATCH_ANCHOR_END, NULL), -1);
	assert_int_equal(match_at(&ms, "<a><b>", "<(.-)>", 0, LMATCH_ANCHOR_END, NULL), 6);
	/* a pattern ending in '%' stays malformed (appending "$" would have hidden it) */
	error_is("a%", "a%", LMATCH_ENDS_WITH_ESCAPE, "malformed pattern (ends with '%')");
}

static void malformed_patterns_give_luas_messages(void **st)
{
	(void)st;
	error_is("a", "%", LMATCH_ENDS_WITH_ESCAPE, "malformed pattern (ends with '%')");
	error_is("a", "[a", LMATCH_MISSING_BRACKET, "malformed pattern (missing ']')");
	error_is("a", "[^", LMATCH_MISSING_BRACKET, "malformed pattern (missing ']')");
	error_is("a", "%b", LMATCH_BALANCE_ARGUMENTS,
		 "malformed pattern (missing arguments to '%b')");
	error_is("a", "%f", LMATCH_FRONTIER_BRACKET, "missing '[' after '%f' in pattern");
	error_is("a", "%fa", LMATCH_FRONTIER_BRACKET, "missing '[' after '%f' in pattern");
	error_is("a", "(%1)", LMATCH_CAPTURE_INDEX, "invalid capture index %1");
	error_is("a", "%0", LMATCH_CAPTURE_INDEX, "invalid capture index %0");
	error_is("a", "(a))", LMATCH_PATTERN_CAPTURE, "invalid pattern capture");
	char many[80] = "";
	for (int i = 0; i < 33; i++)
		strcat(many, "()");
	error_is("a", many, LMATCH_TOO_MANY_CAPTURES, "too many captures");
	/* errors show only where the matcher gets to, as in Lua */
	lmatch_state ms;
	assert_int_equal(match_at(&ms, "a", "b[", 0, 0, NULL), -1);
	assert_int_equal(ms.err, LMATCH_OK);
	assert_int_equal(match_at(&ms, "a", "a)", 0, 0, NULL), -1);
	assert_int_equal(ms.err, LMATCH_PATTERN_CAPTURE);
	/* the first error wins, and the next match starts clean */
	assert_int_equal(match_at(&ms, "a", "a", 0, 0, NULL), 1);
	assert_int_equal(ms.err, LMATCH_OK);
	assert_string_equal(ms.msg, "");
}

static void capture_requests_give_luas_messages(void **st)
{
	(void)st;
	lmatch_state ms;
	lmatch_cap c;
	const char *s = "ab";
	long e = match_at(&ms, s, "(a)(b)", 0, 0, NULL);
	assert_int_equal(lmatch_capture(&ms, 2, s, s + e, &c), -1);
	assert_int_equal(ms.err, LMATCH_CAPTURE_INDEX);
	assert_string_equal(ms.msg, "invalid capture index %3");
	s = "a";
	e = match_at(&ms, s, "(a", 0, 0, NULL); /* matches, capture left open */
	assert_int_equal(e, 1);
	assert_int_equal(lmatch_capture(&ms, 0, s, s + e, &c), -1);
	assert_int_equal(ms.err, LMATCH_UNFINISHED_CAPTURE);
	assert_string_equal(ms.msg, "unfinished capture");
}

/* ("a?"):rep(n) .. ("a"):rep(n) against ("a"):rep(n): Lua's exponential classic. */
static char *exponential(int n, char **subject)
{
	char *p = malloc((size_t)n * 3 + 1), *s = malloc((size_t)n + 1);
	for (int i = 0; i < n; i++) {
		memcpy(p + 2 * i, "a?", 2);
		p[2 * n + i] = 'a';
		s[i] = 'a';
	}
	p[3 * n] = s[n] = '\0';
	*subject = s;
	return p;
}

static void depth_is_limited_to_maxccalls(void **st)
{
	(void)st;
	char *s, *p = exponential(150, &s);
	p[300] = '\0'; /* ("a?"):rep(150): one level per item, under the limit */
	lmatch_state ms;
	assert_int_equal(match_at(&ms, s, p, 0, 0, NULL), 150);
	free(p);
	free(s);
	p = exponential(250, &s);
	p[500] = '\0';
	assert_int_equal(match_at(&ms, s, p, 0, 0, NULL), -1);
	assert_int_equal(ms.err, LMATCH_TOO_COMPLEX);
	assert_string_equal(ms.msg, "pattern too complex");
	/* the depth is whole again for the next match */
	assert_int_equal(match_at(&ms, s, "a?a?a", 0, 0, NULL), 3);
	free(p);
	free(s);
}

static void a_step_is_an_item_tried_and_scans_cost_by_size(void **st)
{
	(void)st;
	lmatch_state ms;
	budget b = {LONG_MAX / 2, 0, 0, 0};
	/* three items and the end of the pattern: four steps */
	assert_int_equal(match_at(&ms, "abc", "abc", 0, 0, &b), 3);
	assert_int_equal(b.charged, 4);
	/* a run of 800 letters: one step per 8 bytes scanned, plus the two tries */
	char s[801];
	memset(s, 'x', 800);
	s[800] = '\0';
	b = (budget){LONG_MAX / 2, 0, 0, 0};
	assert_int_equal(match_at(&ms, s, "%a*", 0, 0, &b), 800);
	assert_int_equal(b.charged, 102);
	/* a plain search: one step per 64 bytes that memchr goes through */
	b = (budget){LONG_MAX / 2, 0, 0, 0};
	lmatch_init(&ms, s, 800, "y", 1, 0, meter, &b);
	assert_null(lmatch_find_plain(&ms, s, 800, "y", 1));
	lmatch_settle(&ms);
	assert_int_equal(b.charged, 12);
	/* no meter: no limit */
	assert_int_equal(match_at(&ms, s, "x-$", 0, 0, NULL), 800);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void the_meter_stops_a_pathological_pattern(void **st)
{
	(void)st;
	char *s, *p = exponential(30, &s); /* 2^30 tries in Lua */
	lmatch_state ms;
	budget b = {100000, 0, 0, 0};
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(match_at(&ms, s, p, 0, 0, &b), -1);
	assert_true(seconds_since(&t0) < 0.5);
	assert_int_equal(ms.err, LMATCH_STOPPED);
	/* asked at least every LMATCH_GRANT steps, and not again once it said stop */
	assert_true(b.largest <= LMATCH_GRANT + 1); /* the grant, and the step that asked */
	assert_true(b.charged > 100000 && b.charged <= 100000 + LMATCH_GRANT + 1);
	long calls = b.calls;
	assert_false(lmatch_settle(&ms));
	assert_int_equal(b.calls, calls);
	free(p);
	free(s);
	/* quadratic: ("a"):rep(20000):find(".-b") */
	s = malloc(20001);
	memset(s, 'a', 20000);
	s[20000] = '\0';
	b = (budget){100000, 0, 0, 0};
	lmatch_init(&ms, s, 20000, ".-b", 3, 0, meter, &b);
	const char *e = NULL;
	for (const char *s1 = s; s1 <= s + 20000 && !e && !ms.err; s1++)
		e = lmatch_match(&ms, s1, ".-b");
	assert_null(e);
	assert_int_equal(ms.err, LMATCH_STOPPED);
	free(s);
}

/*
 * A meter that grants nothing stops the match at its first step; one that ends up
 * negative at settle time tells the caller so.
 */
static void settle_reports_a_budget_spent_at_the_end(void **st)
{
	(void)st;
	lmatch_state ms;
	budget b = {0, 0, 0, 0};
	lmatch_init(&ms, "abc", 3, "abc", 3, 0, meter, &b);
	assert_null(lmatch_match(&ms, "abc", "abc"));
	assert_int_equal(ms.err, LMATCH_STOPPED);
	b = (budget){3, 0, 0, 0}; /* four steps needed */
	lmatch_init(&ms, "abc", 3, "abc", 3, 0, meter, &b);
	const char *e = lmatch_match(&ms, "abc", "abc");
	bool ok = lmatch_settle(&ms);
	assert_true(e == NULL || !ok);
	assert_int_equal(ms.err, LMATCH_STOPPED);
	b = (budget){4, 0, 0, 0};
	lmatch_init(&ms, "abc", 3, "abc", 3, 0, meter, &b);
	assert_non_null(lmatch_match(&ms, "abc", "abc"));
	assert_true(lmatch_settle(&ms));
	assert_int_equal(b.left, 0);
}

static void specials_and_plain_search(void **st)
{
	(void)st;
	lmatch_state ms;
	const char *s = "a+b.c";
	lmatch_init(&ms, s, 5, "+b", 2, 0, NULL, NULL);
	assert_true(lmatch_has_specials(&ms, "+b", 2));
	assert_false(lmatch_has_specials(&ms, "b\0c", 3));
	assert_true(lmatch_has_specials(&ms, "b\0.", 3)); /* after a NUL too */
	assert_ptr_equal(lmatch_find_plain(&ms, s, 5, "+b", 2), s + 1);
	assert_ptr_equal(lmatch_find_plain(&ms, s, 5, "", 0), s);
	assert_null(lmatch_find_plain(&ms, s, 5, "c.", 2));
	assert_null(lmatch_find_plain(&ms, s, 1, "a+", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(captures_come_back_as_in_lua),
	    cmocka_unit_test(position_captures_give_1_based_positions),
	    cmocka_unit_test(balance_and_frontier),
	    cmocka_unit_test(back_references_match_the_same_text),
	    cmocka_unit_test(classes_are_the_c_locales),
	    cmocka_unit_test(anchor_end_makes_the_pattern_cover_the_subject),
	    cmocka_unit_test(malformed_patterns_give_luas_messages),
	    cmocka_unit_test(capture_requests_give_luas_messages),
	    cmocka_unit_test(depth_is_limited_to_maxccalls),
	    cmocka_unit_test(a_step_is_an_item_tried_and_scans_cost_by_size),
	    cmocka_unit_test(the_meter_stops_a_pathological_pattern),
	    cmocka_unit_test(settle_reports_a_budget_spent_at_the_end),
	    cmocka_unit_test(specials_and_plain_search),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
