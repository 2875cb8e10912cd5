/* util: calendar, clock zones, UTF-8, edit distance, buffers and escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "util.h"

static void real_calendar_dates_only(void **st)
{
	(void)st;
	int64_t d;
	assert_true(util_parse_date("2024-02-29", &d));
	assert_false(util_parse_date("2023-02-29", &d));
	assert_false(util_parse_date("1900-02-29", &d));
	assert_true(util_parse_date("2000-02-29", &d));
	assert_false(util_parse_date("2026-13-01", &d));
	assert_false(util_parse_date("2026-1-01", &d));
	assert_true(util_parse_date("1970-01-01", &d));
	assert_int_equal(d, 0);
	char out[11];
	util_parse_date("2026-11-23", &d);
	util_days_to_date(d, out);
	assert_string_equal(out, "2026-11-23");
}

static void datetimes_with_offsets_are_utc(void **st)
{
	(void)st;
	time_t a, b;
	assert_true(util_parse_datetime("2026-11-23T10:00:00Z", &a));
	assert_true(util_parse_datetime("2026-11-23T11:00:00+01:00", &b));
	assert_int_equal((long)a, (long)b);
	assert_true(util_parse_datetime("2026-11-23 10:00", &b));
	assert_int_equal((long)a, (long)b);
	assert_false(util_parse_datetime("2026-11-23T25:00", &b));
	assert_false(util_parse_datetime("2026-11-23T10:00junk", &b));
	char iso[32];
	util_iso_datetime(a, iso);
	assert_string_equal(iso, "2026-11-23T10:00:00Z");
}

static void paris_time_follows_the_eu_summer_rule(void **st)
{
	(void)st;
	time_t t;
	util_parse_datetime("2026-03-29T00:59:59Z", &t);
	assert_int_equal(util_paris_offset(t), 3600);
	util_parse_datetime("2026-03-29T01:00:00Z", &t);
	assert_int_equal(util_paris_offset(t), 7200);
	util_parse_datetime("2026-10-25T00:59:59Z", &t);
	assert_int_equal(util_paris_offset(t), 7200);
	util_parse_datetime("2026-10-25T01:00:00Z", &t);
	assert_int_equal(util_paris_offset(t), 3600);
	/* 23:30 UTC on 23 November is already the 24th in Paris. */
	util_parse_datetime("2026-11-23T23:30:00Z", &t);
	int64_t d;
	util_parse_date("2026-11-24", &d);
	assert_int_equal(util_local_days(t), d);
}

static void utf8_validation_rejects_overlongs_surrogates_and_truncation(void **st)
{
	(void)st;
	assert_true(util_utf8_valid("été ✓ 𝄞", strlen("été ✓ 𝄞")));
	assert_false(util_utf8_valid("\xc0\xaf", 2));          /* overlong '/' */
	assert_false(util_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
	assert_false(util_utf8_valid("\xe2\x82", 2));          /* truncated */
	assert_false(util_utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
	assert_false(util_utf8_valid("\xff", 1));
	assert_int_equal(util_utf8_len("éé"), 2);
}

static void edit_distance_is_capped(void **st)
{
	(void)st;
	assert_int_equal(util_edit_distance("label", "lable", 2), 2);
	assert_int_equal(util_edit_distance("label", "label", 2), 0);
	assert_int_equal(util_edit_distance("required", "requierd", 2), 2);
	assert_int_equal(util_edit_distance("a", "completely", 2), 3);
}

static void html_escaping_covers_the_five_characters(void **st)
{
	(void)st;
	buf b = BUF_INIT;
	buf_html(&b, "<a href=\"x\">'&'</a>");
	assert_string_equal(buf_cstr(&b), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	buf_reset(&b);
	buf_urlenc(&b, "a b/é&=");
	assert_string_equal(buf_cstr(&b), "a%20b%2F%C3%A9%26%3D");
	buf_free(&b);
}

static void ct_streq_compares_whole_strings(void **st)
{
	(void)st;
	assert_true(util_ct_streq("abc", "abc"));
	assert_false(util_ct_streq("abc", "abd"));
	assert_false(util_ct_streq("abc", "abcd"));
	assert_false(util_ct_streq(NULL, "a"));
}

static void arena_strings_survive_until_freed(void **st)
{
	(void)st;
	arena a = ARENA_INIT;
	char *s = NULL;
	for (int i = 0; i < 10000; i++)
		s = arena_printf(&a, "ligne %d", i);
	assert_string_equal(s, "ligne 9999");
	arena_free(&a);
}


/* Redirect targets as browsers read them (WHATWG URL parser): only this site's paths pass. */
static void local_paths_refuse_every_way_to_another_host(void **st)
{
	(void)st;
	char out[256];
	static const char *const refused[] = {
		"//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
		"/\r/evil.example", "\t//evil.example", " //evil.example", "\x0b//evil.example",
		"\x01//evil.example", "//evil.example\t", "/\t\\evil.example", "\\\\evil.example",
		"https://evil.example/", "javascript:alert(1)", "evil.example", "", " ", "\t",
		"/\x0b/evil.example", "/a\x7f",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		assert_false(util_local_path(refused[i], out, sizeof out));
	assert_true(util_local_path("/a/vaccins/", out, sizeof out));
	assert_string_equal(out, "/a/vaccins/");
	/* What passes is what the browser will read: controls stripped as it strips them. */
	assert_true(util_local_path(" /a/\tb\n ", out, sizeof out));
	assert_string_equal(out, "/a/b");
	assert_true(util_local_path("/%2F%2Fevil.example", out, sizeof out)); /* a path, encoded */
	assert_true(util_local_path("/", out, sizeof out));
	assert_false(util_local_path("/aaaaaaaaaa", out, 5)); /* too long for out */
	assert_false(util_local_path(NULL, out, sizeof out));
}

static void fold_drops_accents_and_case_of_latin_letters_only(void **state)
{
	(void)state;
	const char *cases[][2] = {
		{"Pont de Sète", "pont de sete"}, {"ŒUVRE Æther", "oeuvre aether"},
		{"Straße", "strasse"},            {"Ça déçoit, élève", "ca decoit, eleve"},
		{"Łódź Ñandú", "lodz nandu"},     {"100 % € ×", "100 % € ×"},
		{"日本 Ωμέγα", "日本 Ωμέγα"},     {"", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		buf b = BUF_INIT;
		util_fold(cases[i][0], &b);
		assert_string_equal(buf_cstr(&b), cases[i][1]);
		buf_free(&b);
	}
}

int main(void)
{
	util_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fold_drops_accents_and_case_of_latin_letters_only),
		cmocka_unit_test(real_calendar_dates_only),
		cmocka_unit_test(local_paths_refuse_every_way_to_another_host),
		cmocka_unit_test(datetimes_with_offsets_are_utc),
		cmocka_unit_test(paris_time_follows_the_eu_summer_rule),
		cmocka_unit_test(utf8_validation_rejects_overlongs_surrogates_and_truncation),
		cmocka_unit_test(edit_distance_is_capped),
		cmocka_unit_test(html_escaping_covers_the_five_characters),
		cmocka_unit_test(ct_streq_compares_whole_strings),
		cmocka_unit_test(arena_strings_survive_until_freed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
