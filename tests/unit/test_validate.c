/*
 * test_validate — field types of SPEC 4.3 and JSON value forms of SPEC 7, through
 * validate.h only: form input, JSON input, rules, normalisation, output forms.
 *
 * French identifiers are tested with real numbers (SIREN 732829320, La Poste's
 * 35600000000048, a published sample IBAN) and with forgeries one digit away.
 * "Today" is fixed at 2026-11-23 so date bounds are reproducible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "validate.h"
#include "validate_repeat.h"

#define NNBSP "\xe2\x80\xaf"
#define NBSP  "\xc2\xa0"
#define THIN  "\xe2\x80\x89"

static int64_t today; /* 2026-11-23 */

static def_field field(field_type t)
{
	def_field f;
	memset(&f, 0, sizeof f);
	f.name = "f";
	f.label = "Champ";
	f.type = t;
	f.col = 0;
	f.min_length = -1;
	f.max_length = t == FT_TEXT ? 200 : t == FT_TEXTAREA ? 10000 : -1;
	f.scale = -1;
	f.max_size = -1;
	return f;
}

static def_option colours[] = {
    {"rouge", "Rouge vif"},
    {"vert", "Vert"},
    {"bleu", "Bleu ciel"},
    {"noir", "Noir"},
};

static def_field choice_field(field_type t)
{
	def_field f = field(t);
	f.options = colours;
	f.noptions = 4;
	return f;
}

/* Form door: parse one string, then check. Returns 0 or -1; msg holds the error. */
static int form_in(const def_field *f, const char *s, value *v, char *msg)
{
	const char *in[1] = {s};
	memset(v, 0, sizeof *v);
	if (validate_parse_form(f, in, 1, v, LANG_FR, msg) != 0)
		return -1;
	return validate_check(f, v, today, LANG_FR, msg);
}

/* JSON door: parse the JSON text, then check. */
static int json_in(const def_field *f, const char *json, value *v, char *msg)
{
	json_error_t e;
	json_t *j = json_loads(json, JSON_DECODE_ANY, &e);
	assert_non_null(j);
	memset(v, 0, sizeof *v);
	int rc = validate_parse_json(f, j, v, LANG_FR, msg);
	if (rc == 0)
		rc = validate_check(f, v, today, LANG_FR, msg);
	json_decref(j);
	return rc;
}

static bool form_ok(const def_field *f, const char *s)
{
	value v;
	char msg[VALIDATE_MSG];
	int rc = form_in(f, s, &v, msg);
	value_clear(&v);
	return rc == 0;
}

static bool json_ok(const def_field *f, const char *json)
{
	value v;
	char msg[VALIDATE_MSG];
	int rc = json_in(f, json, &v, msg);
	value_clear(&v);
	return rc == 0;
}

/* The stored text after form input (must be accepted); caller frees. */
static char *form_text(const def_field *f, const char *s)
{
	value v;
	char msg[VALIDATE_MSG];
	int rc = form_in(f, s, &v, msg);
	if (rc != 0)
		fail_msg("refused %s: %s", s, msg);
	assert_int_equal(v.kind, VAL_TEXT);
	return v.s;
}

static int64_t form_int(const def_field *f, const char *s)
{
	value v;
	char msg[VALIDATE_MSG];
	if (form_in(f, s, &v, msg) != 0)
		fail_msg("refused %s: %s", s, msg);
	assert_int_equal(v.kind, VAL_INT);
	return v.i;
}

/* The error message for a refused form input. */
static void form_msg(const def_field *f, const char *s, char *msg)
{
	value v;
	if (form_in(f, s, &v, msg) != -1)
		fail_msg("accepted %s", s);
	value_clear(&v);
}

static void display_is(const def_field *f, const value *v, lang lg, const char *want)
{
	buf b = BUF_INIT;
	validate_display(f, v, lg, &b);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void input_is(const def_field *f, const value *v, const char *want)
{
	buf b = BUF_INIT;
	validate_input_text(f, v, &b);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void json_is(const def_field *f, const value *v, const char *want)
{
	json_t *j = validate_to_json(f, v);
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_string_equal(s, want);
	free(s);
	json_decref(j);
}

/* ------------------------------------------------------------------ text */

static void text_blank_is_null_and_is_trimmed(void **state)
{
	(void)state;
	def_field f = field(FT_TEXT);
	value v;
	char msg[VALIDATE_MSG];
	assert_int_equal(form_in(&f, "   ", &v, msg), 0);
	assert_int_equal(v.kind, VAL_NULL);
	char *s = form_text(&f, "  Mairie de Sète \t");
	assert_string_equal(s, "Mairie de Sète");
	free(s);
	assert_int_equal(validate_parse_form(&f, NULL, 0, &v, LANG_FR, msg), 0);
	assert_int_equal(v.kind, VAL_NULL);
}

static void text_length_counts_code_points_not_bytes(void **state)
{
	(void)state;
	def_field f = field(FT_TEXT);
	f.max_length = 5;
	assert_true(form_ok(&f, "ééééé")); /* 10 bytes, 5 characters */
	assert_false(form_ok(&f, "éééééé"));
	char msg[VALIDATE_MSG];
	form_msg(&f, "abcdef", msg);
	assert_string_equal(msg, "Ce texte dépasse 5 caractères.");
	f.max_length = 200;
	f.min_length = 3;
	assert_false(form_ok(&f, "ab"));
	assert_true(form_ok(&f, "été"));
}

static void text_default_limit_is_200_characters(void **state)
{
	(void)state;
	def_field f = field(FT_TEXT);
	char big[202];
	memset(big, 'a', 201);
	big[201] = '\0';
	char msg[VALIDATE_MSG];
	form_msg(&f, big, msg);
	assert_string_equal(msg, "Ce texte dépasse 200 caractères.");
	big[200] = '\0';
	assert_true(form_ok(&f, big));
}

static void text_refuses_broken_utf8(void **state)
{
	(void)state;
	def_field f = field(FT_TEXT);
	char msg[VALIDATE_MSG];
	form_msg(&f, "caf\xc3", msg); /* truncated sequence */
	assert_string_equal(msg, "Ce texte contient des caractères non valides.");
	assert_false(form_ok(&f, "\xc0\xaf"));	   /* overlong '/' */
	assert_false(form_ok(&f, "\xed\xa0\x80")); /* surrogate */
	assert_false(form_ok(&f, "\xff"));
	def_field i = field(FT_INTEGER);
	assert_false(form_ok(&i, "1\xff"));
}

static void text_refuses_control_characters_textarea_keeps_line_breaks(void **state)
{
	(void)state;
	def_field t = field(FT_TEXT);
	def_field a = field(FT_TEXTAREA);
	assert_false(json_ok(&t, "\"ligne 1\\nligne 2\""));
	assert_false(json_ok(&t, "\"bip\\u0007\""));
	assert_false(json_ok(&t, "\"c1 \\u0085\""));
	assert_true(json_ok(&a, "\"ligne 1\\nligne 2\\tfin\""));
	assert_false(json_ok(&a, "\"bip\\u0007\""));
	/* Browsers send CRLF; stored as LF, so the length is what the user sees. */
	char *s = form_text(&a, "un\r\ndeux");
	assert_string_equal(s, "un\ndeux");
	free(s);
}

static void text_pattern_is_a_lua_pattern_anchored_at_both_ends(void **state)
{
	(void)state;
	def_field f = field(FT_TEXT);
	f.pattern = "%u%u%-%d%d%d";
	assert_true(form_ok(&f, "AB-123"));
	assert_false(form_ok(&f, "xAB-123")); /* anchored at the start */
	assert_false(form_ok(&f, "AB-1234")); /* and at the end */
	assert_false(form_ok(&f, "ab-123"));
	char msg[VALIDATE_MSG];
	form_msg(&f, "AB123", msg);
	assert_string_equal(msg, "Ce texte n'a pas le format attendu.");
	f.pattern_message = "Format attendu : deux lettres, un tiret, trois chiffres.";
	form_msg(&f, "AB123", msg);
	assert_string_equal(msg, "Format attendu : deux lettres, un tiret, trois chiffres.");
}

static void text_pattern_classes_sets_and_quantifiers(void **state)
{
	(void)state;
	def_field f = field(FT_TEXT);
	f.pattern = "[%a_][%w_]*";
	assert_true(form_ok(&f, "nom_2"));
	assert_false(form_ok(&f, "2nom"));
	f.pattern = "[^%s]+";
	assert_true(form_ok(&f, "sans-espace"));
	assert_false(form_ok(&f, "avec espace"));
	f.pattern = "[A-F0-9]+";
	assert_true(form_ok(&f, "DEADBEEF09"));
	assert_false(form_ok(&f, "DEADBEEG"));
	f.pattern = "a-b"; /* lazy: still must reach the end */
	assert_true(form_ok(&f, "aaab"));
	assert_true(form_ok(&f, "b"));
	f.pattern = "^%d+$"; /* explicit anchors are fine */
	assert_true(form_ok(&f, "2026"));
	assert_false(form_ok(&f, "20 26"));
	f.pattern = "colou?r";
	assert_true(form_ok(&f, "color"));
	assert_true(form_ok(&f, "colour"));
	f.pattern = "(%d%d)/(%d%d)"; /* captures are ignored */
	assert_true(form_ok(&f, "12/34"));
	f.pattern = "%x+%.%X";
	assert_true(form_ok(&f, "af.g"));
	assert_false(form_ok(&f, "af.0"));
	f.pattern = "%b() ok";
	assert_true(form_ok(&f, "(a(b)c) ok"));
	f.pattern = ".-%f[%w]mot%f[%W].*";
	assert_true(form_ok(&f, "un mot ici"));
	assert_false(form_ok(&f, "un motif ici"));
}

static void text_malformed_or_runaway_pattern_never_matches(void **state)
{
	(void)state;
	def_field f = field(FT_TEXT);
	f.pattern = "[abc";
	assert_false(form_ok(&f, "a"));
	f.pattern = "abc%";
	assert_false(form_ok(&f, "abc"));
	f.pattern = "(a%1)"; /* a back-reference to a capture still open */
	assert_false(form_ok(&f, "aa"));
	f.pattern = "a)";
	assert_false(form_ok(&f, "a"));
	/* Catastrophic backtracking stops on the step budget instead of hanging. */
	f.pattern = "a*a*a*a*a*a*a*a*b";
	char s[201];
	memset(s, 'a', 200);
	s[200] = '\0';
	assert_false(form_ok(&f, s));
}

/* The matcher is Lua's own (lmatch.c): what string.match does in a hook, `pattern` does. */
static void text_pattern_back_references_and_classes_are_luas(void **state)
{
	(void)state;
	def_field f = field(FT_TEXT);
	f.pattern = "(a)%1";
	assert_true(form_ok(&f, "aa"));
	assert_false(form_ok(&f, "ab"));
	f.pattern = "(%a+)=%1";
	assert_true(form_ok(&f, "mot=mot"));
	assert_false(form_ok(&f, "mot=mou"));
	f.pattern = "()%d+()"; /* position captures match nothing */
	assert_true(form_ok(&f, "2026"));
	f.pattern = "a-"; /* the end of the pattern only matches at the end of the text */
	assert_true(form_ok(&f, "aaa"));
	f.pattern = "%z"; /* Lua's deprecated class of "\0", not the letter z */
	assert_false(form_ok(&f, "z"));
	f.pattern = "[%w ]+$";
	assert_true(form_ok(&f, "Mairie 2"));
	assert_false(form_ok(&f, "Mairie $"));
}

/* ------------------------------------------------------------------ integer */

static void integer_accepts_sign_and_thousands_spaces(void **state)
{
	(void)state;
	def_field f = field(FT_INTEGER);
	assert_int_equal(form_int(&f, "42"), 42);
	assert_int_equal(form_int(&f, " -7 "), -7);
	assert_int_equal(form_int(&f, "+7"), 7);
	assert_int_equal(form_int(&f, "1 234 567"), 1234567);
	assert_int_equal(form_int(&f, "1" NBSP "234"), 1234);
	assert_int_equal(form_int(&f, "1" NNBSP "234"), 1234);
	assert_int_equal(form_int(&f, "-0"), 0);
}

static void integer_refuses_fractions_words_and_bad_grouping(void **state)
{
	(void)state;
	def_field f = field(FT_INTEGER);
	char msg[VALIDATE_MSG];
	form_msg(&f, "12,5", msg);
	assert_string_equal(msg, "Saisissez un nombre entier.");
	assert_false(form_ok(&f, "12.5"));
	assert_false(form_ok(&f, "douze"));
	assert_false(form_ok(&f, "1e3"));
	assert_false(form_ok(&f, "12 34")); /* groups of three only */
	assert_false(form_ok(&f, "1  234"));
	assert_false(form_ok(&f, "--1"));
	assert_false(form_ok(&f, "-"));
}

static void integer_overflow_is_detected(void **state)
{
	(void)state;
	def_field f = field(FT_INTEGER);
	assert_true(form_int(&f, "9223372036854775807") == INT64_MAX);
	assert_true(form_int(&f, "-9223372036854775808") == INT64_MIN);
	char msg[VALIDATE_MSG];
	form_msg(&f, "9223372036854775808", msg);
	assert_string_equal(msg, "Ce nombre est trop grand.");
	assert_false(form_ok(&f, "-9223372036854775809"));
	assert_false(form_ok(&f, "99999999999999999999999"));
}

static void integer_range_uses_min_and_max(void **state)
{
	(void)state;
	def_field f = field(FT_INTEGER);
	f.has_min = f.has_max = true;
	f.min = 10;
	f.max = 5000;
	char msg[VALIDATE_MSG];
	form_msg(&f, "9", msg);
	assert_string_equal(msg, "La valeur doit être au moins 10.");
	form_msg(&f, "5001", msg);
	assert_string_equal(msg, "La valeur doit être au plus 5" NNBSP "000.");
	assert_true(form_ok(&f, "10"));
	assert_true(form_ok(&f, "5 000"));
	value v;
	const char *in[1] = {"9"};
	assert_int_equal(validate_parse_form(&f, in, 1, &v, LANG_EN, msg), 0);
	assert_int_equal(validate_check(&f, &v, today, LANG_EN, msg), -1);
	assert_string_equal(msg, "The value must be at least 10.");
}

static void integer_json_takes_integral_numbers_only(void **state)
{
	(void)state;
	def_field f = field(FT_INTEGER);
	value v;
	char msg[VALIDATE_MSG];
	assert_int_equal(json_in(&f, "12", &v, msg), 0);
	assert_int_equal(v.i, 12);
	assert_int_equal(json_in(&f, "12.0", &v, msg), 0);
	assert_int_equal(v.i, 12);
	assert_int_equal(json_in(&f, "12.5", &v, msg), -1);
	assert_string_equal(msg, "La valeur doit être un nombre entier.");
	assert_false(json_ok(&f, "\"12\"")); /* strings are errors */
	assert_false(json_ok(&f, "true"));
	assert_false(json_ok(&f, "1e300"));
	assert_int_equal(json_in(&f, "null", &v, msg), 0);
	assert_int_equal(v.kind, VAL_NULL);
}

/* ------------------------------------------------------------------ decimal */

static void decimal_comma_and_point_mean_the_same(void **state)
{
	(void)state;
	def_field f = field(FT_DECIMAL);
	value a, b;
	char msg[VALIDATE_MSG];
	assert_int_equal(form_in(&f, "12,5", &a, msg), 0);
	assert_int_equal(form_in(&f, "12.5", &b, msg), 0);
	assert_int_equal(a.kind, VAL_REAL);
	assert_true(a.d == 12.5 && b.d == 12.5);
	assert_int_equal(form_in(&f, "1 234,75", &a, msg), 0);
	assert_true(a.d == 1234.75);
	assert_int_equal(form_in(&f, "1.234,75", &a, msg), 0); /* both: the last is decimal */
	assert_true(a.d == 1234.75);
	assert_int_equal(form_in(&f, "-0,1", &a, msg), 0);
	assert_true(a.d == -0.1);
	assert_int_equal(form_in(&f, ",5", &a, msg), 0);
	assert_true(a.d == 0.5);
	assert_false(form_ok(&f, "12,5,3"));
	assert_false(form_ok(&f, "12,"));
	assert_false(form_ok(&f, "abc"));
	form_msg(&f, "1,2.3.4", msg);
	assert_string_equal(msg, "Saisissez un nombre, par exemple 12,5.");
}

static void decimal_scale_limits_digits_after_the_point(void **state)
{
	(void)state;
	def_field f = field(FT_DECIMAL);
	f.scale = 2;
	assert_true(form_ok(&f, "12,55"));
	assert_true(form_ok(&f, "12,500")); /* trailing zeros say nothing */
	char msg[VALIDATE_MSG];
	form_msg(&f, "12,555", msg);
	assert_string_equal(msg, "Saisissez au plus 2 chiffres après la virgule.");
	f.scale = 0;
	assert_false(form_ok(&f, "1,5"));
	assert_true(form_ok(&f, "15"));
	f.scale = -1;
	f.has_min = true;
	f.min = 2.5;
	form_msg(&f, "2,4", msg);
	assert_string_equal(msg, "La valeur doit être au moins 2,5.");
	assert_false(json_ok(&f, "\"3,5\"")); /* JSON: numbers only */
	assert_true(json_ok(&f, "3"));
}

/* ------------------------------------------------------------------ money */

static void money_accepts_french_and_plain_forms_as_cents(void **state)
{
	(void)state;
	def_field f = field(FT_MONEY);
	assert_int_equal(form_int(&f, "1 234,56 €"), 123456);
	assert_int_equal(form_int(&f, "1" NBSP "234,56" NBSP "€"), 123456);
	assert_int_equal(form_int(&f, "1234.56"), 123456);
	assert_int_equal(form_int(&f, "1234"), 123400);
	assert_int_equal(form_int(&f, "-5,5"), -550);
	assert_int_equal(form_int(&f, "12 EUR"), 1200);
	assert_int_equal(form_int(&f, "€12,30"), 1230);
	char msg[VALIDATE_MSG];
	form_msg(&f, "12,345", msg);
	assert_string_equal(msg, "Un montant a au plus 2 chiffres après la virgule.");
	form_msg(&f, "douze euros", msg);
	assert_string_equal(msg, "Saisissez un montant en euros, par exemple 1 234,56.");
	assert_false(form_ok(&f, "12 $"));
	assert_false(form_ok(&f, "€"));
}

static void money_json_accepts_strings_and_numbers(void **state)
{
	(void)state;
	def_field f = field(FT_MONEY);
	value v;
	char msg[VALIDATE_MSG];
	assert_int_equal(json_in(&f, "\"1234.50\"", &v, msg), 0);
	assert_int_equal(v.i, 123450);
	assert_int_equal(json_in(&f, "\"1 234,50\"", &v, msg), 0);
	assert_int_equal(v.i, 123450);
	assert_int_equal(json_in(&f, "1234.56", &v, msg), 0);
	assert_int_equal(v.i, 123456);
	assert_int_equal(json_in(&f, "12", &v, msg), 0);
	assert_int_equal(v.i, 1200);
	assert_false(json_ok(&f, "0.125")); /* fractions of a cent */
	assert_false(json_ok(&f, "true"));
	assert_false(json_ok(&f, "[1]"));
}

static void money_bounds_are_in_euros(void **state)
{
	(void)state;
	def_field f = field(FT_MONEY);
	f.has_min = f.has_max = true;
	f.min = 10.10;
	f.max = 1000;
	char msg[VALIDATE_MSG];
	form_msg(&f, "10,09", msg);
	assert_string_equal(msg, "Le montant doit être au moins 10,10" NNBSP "€.");
	assert_true(form_ok(&f, "10,10"));
	assert_true(form_ok(&f, "1 000"));
	assert_false(form_ok(&f, "1 000,01"));
}

static void money_outputs_json_display_and_input_forms(void **state)
{
	(void)state;
	def_field f = field(FT_MONEY);
	value v = {VAL_INT, 123450, 0, NULL};
	json_is(&f, &v, "\"1234.50\"");
	display_is(&f, &v, LANG_FR, "1" NNBSP "234,50" NNBSP "€");
	display_is(&f, &v, LANG_EN, "€1,234.50");
	input_is(&f, &v, "1234,50");
	value n = {VAL_INT, -550, 0, NULL};
	json_is(&f, &n, "\"-5.50\"");
	display_is(&f, &n, LANG_FR, "-5,50" NNBSP "€");
	value m = {VAL_INT, INT64_MIN, 0, NULL};
	json_is(&f, &m, "\"-92233720368547758.08\"");
}

/* ------------------------------------------------------------------ boolean */

static void boolean_form_is_true_for_any_non_false_value(void **state)
{
	(void)state;
	def_field f = field(FT_BOOLEAN);
	value v;
	char msg[VALIDATE_MSG];
	const char *checked[2] = {"0", "on"}; /* hidden input + checkbox */
	assert_int_equal(validate_parse_form(&f, checked, 2, &v, LANG_FR, msg), 0);
	assert_int_equal(v.kind, VAL_INT);
	assert_int_equal(v.i, 1);
	const char *unchecked[1] = {"0"};
	assert_int_equal(validate_parse_form(&f, unchecked, 1, &v, LANG_FR, msg), 0);
	assert_int_equal(v.i, 0);
	assert_int_equal(validate_parse_form(&f, NULL, 0, &v, LANG_FR, msg), 0);
	assert_int_equal(v.i, 0);
	const char *words[2] = {"false", "off"};
	assert_int_equal(validate_parse_form(&f, words, 2, &v, LANG_FR, msg), 0);
	assert_int_equal(v.i, 0);
}

static void boolean_json_takes_true_false_only(void **state)
{
	(void)state;
	def_field f = field(FT_BOOLEAN);
	value v;
	char msg[VALIDATE_MSG];
	assert_int_equal(json_in(&f, "true", &v, msg), 0);
	assert_int_equal(v.i, 1);
	assert_int_equal(json_in(&f, "1", &v, msg), -1); /* a number is not a boolean */
	assert_string_equal(msg, "La valeur doit être true ou false.");
	assert_false(json_ok(&f, "\"true\""));
	display_is(&f, &(value){VAL_INT, 1, 0, NULL}, LANG_FR, "Oui");
	display_is(&f, &(value){VAL_INT, 0, 0, NULL}, LANG_EN, "No");
	json_is(&f, &(value){VAL_INT, 0, 0, NULL}, "false");
	assert_true(validate_matches(&f, &(value){VAL_INT, 1, 0, NULL}, "true"));
	assert_false(validate_matches(&f, &(value){VAL_INT, 1, 0, NULL}, "false"));
	assert_true(validate_matches(&f, &(value){VAL_NULL, 0, 0, NULL}, "false"));
}

/* ------------------------------------------------------------------ dates */

static void date_accepts_iso_and_french_forms(void **state)
{
	(void)state;
	def_field f = field(FT_DATE);
	char *s = form_text(&f, "23/11/2026");
	assert_string_equal(s, "2026-11-23");
	free(s);
	s = form_text(&f, "2026-11-23");
	assert_string_equal(s, "2026-11-23");
	free(s);
	s = form_text(&f, "1/2/2026");
	assert_string_equal(s, "2026-02-01");
	free(s);
	assert_false(form_ok(&f, "23/11/26"));	 /* two-digit years are ambiguous */
	assert_false(form_ok(&f, "11/23/2026")); /* no 23rd month */
	assert_false(form_ok(&f, "2026-11-23T10:00"));
	assert_false(json_ok(&f, "\"23/11/2026\"")); /* the API speaks ISO only */
	assert_true(json_ok(&f, "\"2026-11-23\""));
	assert_false(json_ok(&f, "20261123"));
}

static void date_must_be_a_real_calendar_date(void **state)
{
	(void)state;
	def_field f = field(FT_DATE);
	assert_true(form_ok(&f, "2024-02-29"));	 /* leap year */
	assert_true(form_ok(&f, "2000-02-29"));	 /* divisible by 400 */
	assert_false(form_ok(&f, "1900-02-29")); /* divisible by 100 */
	assert_false(form_ok(&f, "2026-04-31"));
	assert_false(form_ok(&f, "2026-13-01"));
	assert_false(form_ok(&f, "2026-00-10"));
	char msg[VALIDATE_MSG];
	form_msg(&f, "2023-02-29", msg);
	assert_string_equal(msg, "Saisissez une date réelle au format JJ/MM/AAAA.");
	form_msg(&f, "29/02/2023", msg);
}

static void date_bounds_resolve_today_plus_and_minus(void **state)
{
	(void)state;
	int64_t d;
	assert_true(validate_date_bound("today", today, &d));
	assert_true(d == today);
	assert_true(validate_date_bound("today+7", today, &d));
	assert_true(d == today + 7);
	assert_true(validate_date_bound("today-3", today, &d));
	assert_true(d == today - 3);
	assert_true(validate_date_bound("1970-01-02", today, &d));
	assert_true(d == 1);
	assert_false(validate_date_bound("tomorrow", today, &d));
	assert_false(validate_date_bound("today+", today, &d));
	assert_false(validate_date_bound("today*2", today, &d));
	assert_false(validate_date_bound("2026-02-30", today, &d));
	assert_false(validate_date_bound(NULL, today, &d));
}

static void date_min_today_refuses_the_past(void **state)
{
	(void)state;
	def_field f = field(FT_DATE);
	f.min_date = "today";
	f.max_date = "today+7";
	char msg[VALIDATE_MSG];
	form_msg(&f, "22/11/2026", msg);
	assert_string_equal(msg, "La date doit être au plus tôt le 23/11/2026.");
	assert_true(form_ok(&f, "23/11/2026"));
	assert_true(form_ok(&f, "30/11/2026"));
	form_msg(&f, "01/12/2026", msg);
	assert_string_equal(msg, "La date doit être au plus tard le 30/11/2026.");
	f.min_date = "2027-01-01";
	f.max_date = NULL;
	assert_false(form_ok(&f, "31/12/2026"));
}

static void datetime_is_stored_as_french_local_time(void **state)
{
	(void)state;
	def_field f = field(FT_DATETIME);
	char *s = form_text(&f, "2026-11-23T10:30");
	assert_string_equal(s, "2026-11-23T10:30:00");
	free(s);
	s = form_text(&f, "23/11/2026 9h05");
	assert_string_equal(s, "2026-11-23T09:05:00");
	free(s);
	s = form_text(&f, "2026-11-23 10:30:15");
	assert_string_equal(s, "2026-11-23T10:30:15");
	free(s);
	assert_false(form_ok(&f, "2026-11-23T24:00"));
	assert_false(form_ok(&f, "2026-11-23T10:60"));
	assert_false(form_ok(&f, "2026-11-23"));
	assert_true(json_ok(&f, "\"2026-11-23T10:30:00.000\""));
	/* An ISO 8601 zone is an instant: stored as the French local time it is. */
	static const char *const zoned[][2] = {
	    {"2026-11-23T10:30:00Z", "2026-11-23T11:30:00"}, /* winter: UTC+1 */
	    {"2026-07-01T08:00:00Z", "2026-07-01T10:00:00"}, /* summer: UTC+2 */
	    {"2026-07-01T10:00:00+02:00", "2026-07-01T10:00:00"},
	    {"2026-11-23T10:00:00-05:00", "2026-11-23T16:00:00"},
	    {"2026-11-23T10:00+0530", "2026-11-23T05:30:00"},
	    {"2026-12-31T23:30:00Z", "2027-01-01T00:30:00"}, /* the next day, and year */
	    {"2026-03-29T00:59:59Z", "2026-03-29T01:59:59"}, /* just before the change */
	    {"2026-03-29T01:00:00Z", "2026-03-29T03:00:00"},
	    {"2026-11-23T10:30:00.250z", "2026-11-23T11:30:00"},
	};
	for (size_t i = 0; i < sizeof zoned / sizeof *zoned; i++) {
		s = form_text(&f, zoned[i][0]);
		assert_string_equal(s, zoned[i][1]);
		free(s);
	}
	assert_true(json_ok(&f, "\"2026-11-23T10:30:00+01:00\""));
	static const char *const bad_zones[] = {
	    "2026-11-23T10:30:00+25:00", "2026-11-23T10:30Zjunk",     "2026-11-23T10:30:00+1",
	    "2026-11-23T10:30:00+01:",	 "2026-11-23T10:30:00+01:60", "2026-11-23T10:30ZZ",
	    "2026-11-23T10:30+013",	 "2026-11-23T10:30+01300"};
	for (size_t i = 0; i < sizeof bad_zones / sizeof *bad_zones; i++)
		assert_false(form_ok(&f, bad_zones[i]));
	value v = {VAL_TEXT, 0, 0, (char *)"2026-11-23T10:30:00"};
	display_is(&f, &v, LANG_FR, "23/11/2026 10:30");
	input_is(&f, &v, "2026-11-23T10:30");
	f.min_date = "today+1";
	assert_false(form_ok(&f, "2026-11-23T23:59")); /* bounds compare the date part */
	assert_true(form_ok(&f, "2026-11-24T00:00"));
}

/* ------------------------------------------------------------------ French identifiers */

static void siret_real_numbers_pass_forged_fail(void **state)
{
	(void)state;
	assert_true(validate_luhn("73282932000074"));
	assert_true(validate_siret("73282932000074"));
	assert_false(validate_siret("73282932000075")); /* last digit changed */
	assert_false(validate_siret("73282932100074")); /* a middle digit changed */
	assert_false(validate_siret("7328293200007"));	/* 13 digits */
	assert_false(validate_siret("7328293200007A"));
	assert_true(validate_siret("732 829 320 00074"));
	def_field f = field(FT_SIRET);
	char *s = form_text(&f, "732 829 320 00074");
	assert_string_equal(s, "73282932000074"); /* stored as digits only */
	free(s);
	char msg[VALIDATE_MSG];
	form_msg(&f, "73282932000075", msg);
	assert_string_equal(msg, "Ce numéro SIRET n'est pas valide (clé de contrôle).");
	form_msg(&f, "7328293200007", msg);
	assert_string_equal(msg, "Un numéro SIRET comporte 14 chiffres.");
}

static void siret_la_poste_uses_the_sum_of_digits_rule(void **state)
{
	(void)state;
	assert_true(validate_siret("35600000000048")); /* La Poste head office */
	/* Not Luhn-valid, but La Poste's: valid when the digit sum is a multiple of 5. */
	assert_false(validate_luhn("35600000000010"));
	assert_true(validate_siret("35600000000010"));	/* 3+5+6+1 = 15 */
	assert_false(validate_siret("35600000000011")); /* 16 */
	/* The exception belongs to La Poste only: same digit sum 15, another SIREN. */
	assert_false(validate_luhn("35700000000000"));
	assert_false(validate_siret("35700000000000"));
}

static void siren_uses_luhn(void **state)
{
	(void)state;
	assert_true(validate_siren("732829320"));
	assert_false(validate_siren("732829321"));
	assert_false(validate_siren("73282932"));
	assert_false(validate_luhn(""));
	assert_false(validate_luhn("12a"));
	def_field f = field(FT_SIREN);
	char msg[VALIDATE_MSG];
	form_msg(&f, "732829322", msg);
	assert_string_equal(msg, "Ce numéro SIREN n'est pas valide (clé de contrôle).");
	value v = {VAL_TEXT, 0, 0, (char *)"732829320"};
	display_is(&f, &v, LANG_FR, "732 829 320");
	def_field g = field(FT_SIRET);
	value w = {VAL_TEXT, 0, 0, (char *)"73282932000074"};
	display_is(&g, &w, LANG_FR, "732 829 320 00074");
}

static void iban_checks_mod97_and_country_length(void **state)
{
	(void)state;
	assert_true(validate_iban("FR7630006000011234567890189"));
	assert_true(validate_iban("FR76 3000 6000 0112 3456 7890 189"));
	assert_true(validate_iban("fr76 3000 6000 0112 3456 7890 189"));
	assert_false(validate_iban("FR7630006000011234567890188")); /* forged key */
	assert_false(validate_iban("FR7630006000011234567890819")); /* swapped digits */
	assert_false(validate_iban("FR763000600001123456789018"));  /* FR is 27 long */
	assert_true(validate_iban("DE89370400440532013000"));
	assert_true(validate_iban("GB82WEST12345698765432"));
	assert_true(validate_iban("FR1420041010050500013M02606")); /* letters in the BBAN */
	assert_false(validate_iban("FR14"));
	assert_false(validate_iban("7630006000011234567890189FR"));
	def_field f = field(FT_IBAN);
	char *s = form_text(&f, "fr76 3000 6000 0112 3456 7890 189");
	assert_string_equal(s, "FR7630006000011234567890189");
	free(s);
	char msg[VALIDATE_MSG];
	form_msg(&f, "FR7630006000011234567890188", msg);
	assert_string_equal(msg, "Cet IBAN n'est pas valide (clé de contrôle).");
	value v = {VAL_TEXT, 0, 0, (char *)"FR7630006000011234567890189"};
	display_is(&f, &v, LANG_FR, "FR76 3000 6000 0112 3456 7890 189");
}

static void phone_french_forms_are_stored_e164(void **state)
{
	(void)state;
	char out[16];
	const char *forms[] = {
	    "01 23 45 67 89",	  "0123456789",
	    "+33 1 23 45 67 89",  "+33123456789",
	    "0033 1 23 45 67 89", "01.23.45.67.89",
	    "01-23-45-67-89",	  "+33 (0)1 23 45 67 89",
	    "+33 01 23 45 67 89", "01" NBSP "23" NBSP "45" NBSP "67" NBSP "89",
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		assert_true(validate_phone_fr(forms[i], out));
		assert_string_equal(out, "+33123456789");
	}
	assert_true(validate_phone_fr("06 12 34 56 78", out));
	assert_string_equal(out, "+33612345678");
	assert_true(validate_phone_fr("0262 12 34 56", out)); /* La Réunion */
	assert_string_equal(out, "+262262123456");
	assert_true(validate_phone_fr("+596 696 12 34 56", out));
	assert_string_equal(out, "+596696123456");
	assert_false(validate_phone_fr("01 23 45 67 8", out));
	assert_false(validate_phone_fr("00 23 45 67 89", out));
	assert_false(validate_phone_fr("+44 20 7946 0958", out));
	assert_false(validate_phone_fr("01 23 45 67 89 ext 2", out));
	assert_false(validate_phone_fr("", out));
}

static void phone_field_normalises_and_displays_nationally(void **state)
{
	(void)state;
	def_field f = field(FT_PHONE);
	char *s = form_text(&f, "01.23.45.67.89");
	assert_string_equal(s, "+33123456789");
	value v = {VAL_TEXT, 0, 0, s};
	display_is(&f, &v, LANG_FR, "01 23 45 67 89");
	input_is(&f, &v, "01 23 45 67 89");
	json_is(&f, &v, "\"+33123456789\"");
	free(s);
	char msg[VALIDATE_MSG];
	form_msg(&f, "12345", msg);
	assert_string_equal(
	    msg, "Saisissez un numéro de téléphone français, par exemple 01 23 45 67 89.");
}

static void postal_code_is_five_digits(void **state)
{
	(void)state;
	assert_true(validate_postal_code("34200"));
	assert_true(validate_postal_code("20000")); /* Ajaccio */
	assert_true(validate_postal_code("97400"));
	assert_false(validate_postal_code("3420"));
	assert_false(validate_postal_code("342000"));
	assert_false(validate_postal_code("34 200"));
	assert_false(validate_postal_code("2A000"));
	assert_false(validate_postal_code("00000"));
	def_field f = field(FT_POSTAL_CODE);
	char msg[VALIDATE_MSG];
	form_msg(&f, "342", msg);
	assert_string_equal(msg, "Saisissez un code postal à 5 chiffres.");
}

/*
 * Where the field types and Lua's smallapps.fr used to disagree, the stricter rule
 * was kept (U+2009 aside, a digit-group separator): both now run this code.
 */
static void french_checks_keep_the_stricter_of_the_two_old_rules(void **state)
{
	(void)state;
	char msg[VALIDATE_MSG], out[16];
	def_field f = field(FT_IBAN);
	assert_false(form_ok(&f, "FR76-3000-6000-0112-3456-7890-189"));
	form_msg(&f, "FR0630006000011234567890188", msg); /* mod 97 right, RIB key wrong */
	assert_string_equal(msg, "Cet IBAN n'est pas valide (clé de contrôle).");
	assert_true(validate_iban("DE98370400445320130039"));
	assert_false(validate_iban("DE01370400445320130039")); /* 01 is never issued: 98's twin */
	assert_true(validate_iban("DE02370400445320130021"));
	assert_false(validate_iban("DE99370400445320130021")); /* and 99 is 02's */
	assert_true(validate_iban("AE070331234567890123456"));
	assert_false(validate_iban("AE07033123456789012345")); /* AE is 23 long */
	/* A newline is no separator; U+2009 (thin space) is one. */
	assert_false(validate_siren("732\n829320"));
	assert_false(validate_iban("FR76 3000 6000\n0112 3456 7890 189"));
	assert_true(validate_siren("732" THIN "829" THIN "320"));
	assert_true(validate_siret("732" THIN "829" THIN "320" THIN "00074"));
	f = field(FT_POSTAL_CODE);
	form_msg(&f, "96000", msg);
	assert_string_equal(msg, "Ce code postal n'existe pas en France.");
	assert_false(form_ok(&f, "99000"));
	assert_false(form_ok(&f, "34 200"));
	char *t = form_text(&f, " 34200 ");
	assert_string_equal(t, "34200");
	free(t);
	/* +262 and the other overseas codes take the numbers of their territory only. */
	assert_false(validate_phone_fr("+262 123 45 67 89", out));
	assert_false(validate_phone_fr("+262 0692 12 34 56", out)); /* trunk 0 kept */
	assert_true(validate_phone_fr("+262 (0)692 12 34 56", out));
	assert_string_equal(out, "+262692123456");
	assert_true(validate_phone_fr("+33 692 12 34 56", out)); /* 06 92 is La Réunion's */
	assert_string_equal(out, "+262692123456");
	assert_false(validate_phone_fr("(0)1 23 45 67 89", out)); /* "(0)" after a country code */
	assert_false(validate_phone_fr("(+33) 1 23 45 67 89", out));
	assert_true(validate_phone_fr(NBSP "+33" THIN "1 23 45 67 89", out));
	assert_string_equal(out, "+33123456789");
}

static void french_checks_say_why_they_refuse(void **state)
{
	(void)state;
	validate_fr r;
	assert_int_equal(validate_fr_siren("732829320", 9, &r), VALIDATE_FR_OK);
	assert_string_equal(r.value, "732829320");
	assert_int_equal(validate_fr_siren("732829321", 9, &r), VALIDATE_FR_KEY);
	assert_int_equal(validate_fr_siren("73282932", 8, &r), VALIDATE_FR_FORMAT);
	assert_int_equal(validate_fr_siren("732\08293200", 11, &r), VALIDATE_FR_FORMAT);
	assert_int_equal(validate_fr_siret(" 356 000 000 00010\n", 19, &r), VALIDATE_FR_OK);
	assert_string_equal(r.value, "35600000000010");
	assert_int_equal(validate_fr_iban("fr76 3000", 9, &r), VALIDATE_FR_LENGTH);
	assert_string_equal(r.country, "FR");
	assert_int_equal(r.want, 27);
	assert_int_equal(r.got, 8);
	assert_int_equal(validate_fr_iban("ZZ76 3000 6", 11, &r), VALIDATE_FR_LENGTH);
	assert_int_equal(r.want, 0); /* not in the table: 15 to 34 */
	assert_int_equal(validate_fr_iban("ZZ76 3000 6000 0112", 19, &r), VALIDATE_FR_KEY);
	assert_int_equal(validate_fr_iban("FR0630006000011234567890188", 27, &r),
			 VALIDATE_FR_RIB_KEY);
	assert_int_equal(validate_fr_iban("76FR30006000011234567890189", 27, &r),
			 VALIDATE_FR_FORMAT);
	assert_int_equal(validate_fr_iban("FR76 3000 6000 0112 3456 7890 189", 33, &r),
			 VALIDATE_FR_OK);
	assert_string_equal(r.value, "FR7630006000011234567890189");
	assert_int_equal(validate_fr_phone("01 23 45 67 8", 13, &r), VALIDATE_FR_LENGTH);
	assert_int_equal(validate_fr_phone("+44 20 7946 0958", 16, &r), VALIDATE_FR_FORMAT);
	assert_int_equal(validate_fr_phone("01 23 45 67 89 ext 2", 20, &r), VALIDATE_FR_FORMAT);
	assert_int_equal(validate_fr_phone(" 0123456789\t", 12, &r), VALIDATE_FR_OK);
	assert_string_equal(r.value, "+33123456789");
	assert_int_equal(validate_fr_postal_code("96000", 5, &r), VALIDATE_FR_UNKNOWN);
	assert_int_equal(validate_fr_postal_code("9600", 4, &r), VALIDATE_FR_FORMAT);
	assert_int_equal(validate_fr_postal_code("\t06000 ", 7, &r), VALIDATE_FR_OK);
	assert_string_equal(r.value, "06000");
	assert_true(validate_fr_luhn("79927398713", 11));
	assert_false(validate_fr_luhn("7992739871\0", 11));
	assert_false(validate_fr_luhn("7992 7398 713", 13));
	char cc[3];
	size_t n = 0, fr = 0, len;
	for (size_t i = 0; (len = validate_iban_length(i, cc)) > 0; i++, n++)
		if (strcmp(cc, "FR") == 0)
			fr = len;
	assert_true(n > 80);
	assert_int_equal(fr, 27);
}

static void email_syntax_is_pragmatic(void **state)
{
	(void)state;
	assert_true(validate_email("agent@sete.fr"));
	assert_true(validate_email("prenom.nom+tag@mairie.sete.fr"));
	assert_true(validate_email("élise@exemple.fr"));
	assert_false(validate_email("agent@sete")); /* no top-level domain */
	assert_false(validate_email("agent sete@sete.fr"));
	assert_false(validate_email("a@b@sete.fr"));
	assert_false(validate_email("@sete.fr"));
	assert_false(validate_email("agent.@sete.fr"));
	assert_false(validate_email("ag..ent@sete.fr"));
	assert_false(validate_email("agent@-sete.fr"));
	assert_false(validate_email("agent@sete..fr"));
	assert_false(validate_email("agent@sete.f"));
	char longer[300];
	memset(longer, 'a', 250);
	strcpy(longer + 250, "@b.fr");
	assert_false(validate_email(longer));
	def_field f = field(FT_EMAIL);
	char *s = form_text(&f, "  agent@sete.fr ");
	assert_string_equal(s, "agent@sete.fr");
	free(s);
}

static void url_must_be_http_or_https_with_a_host(void **state)
{
	(void)state;
	assert_true(validate_url("https://www.sete.fr"));
	assert_true(validate_url("http://localhost:8080/a/b?q=1#x"));
	assert_true(validate_url("HTTPS://exemple.fr/"));
	assert_true(validate_url("https://[::1]:8443/"));
	assert_false(validate_url("ftp://exemple.fr"));
	assert_false(validate_url("javascript:alert(1)"));
	assert_false(validate_url("https://"));
	assert_false(validate_url("https:///chemin"));
	assert_false(validate_url("https://exemple .fr"));
	assert_false(validate_url("https://exemple.fr:99999/"));
	assert_false(validate_url("https://impots.gouv.fr@ailleurs.example/"));
	assert_false(validate_url("exemple.fr"));
}

/* ------------------------------------------------------------------ choices */

static void choice_value_must_be_an_option_value(void **state)
{
	(void)state;
	def_field f = choice_field(FT_CHOICE);
	assert_true(form_ok(&f, "vert"));
	char msg[VALIDATE_MSG];
	form_msg(&f, "Vert", msg); /* the label is not the value */
	assert_string_equal(msg, "Choisissez une des options proposées.");
	assert_false(json_ok(&f, "\"violet\""));
	assert_false(json_ok(&f, "3"));
	value v = {VAL_TEXT, 0, 0, (char *)"bleu"};
	display_is(&f, &v, LANG_FR, "Bleu ciel");
	input_is(&f, &v, "bleu");
	assert_true(validate_matches(&f, &v, "bleu"));
	assert_false(validate_matches(&f, &v, "Bleu ciel"));
}

static void multichoice_is_stored_in_option_order(void **state)
{
	(void)state;
	def_field f = choice_field(FT_MULTICHOICE);
	value v;
	char msg[VALIDATE_MSG];
	const char *in[3] = {"noir", "rouge", ""};
	assert_int_equal(validate_parse_form(&f, in, 3, &v, LANG_FR, msg), 0);
	assert_int_equal(validate_check(&f, &v, today, LANG_FR, msg), 0);
	assert_string_equal(v.s, "[\"rouge\",\"noir\"]");
	display_is(&f, &v, LANG_FR, "Rouge vif, Noir");
	assert_true(validate_matches(&f, &v, "noir"));
	assert_false(validate_matches(&f, &v, "vert"));
	json_is(&f, &v, "[\"rouge\",\"noir\"]");
	value_clear(&v);
	assert_int_equal(validate_parse_form(&f, NULL, 0, &v, LANG_FR, msg), 0);
	assert_int_equal(v.kind, VAL_NULL);
}

static void multichoice_refuses_unknown_duplicate_and_counts(void **state)
{
	(void)state;
	def_field f = choice_field(FT_MULTICHOICE);
	value v;
	char msg[VALIDATE_MSG];
	assert_int_equal(json_in(&f, "[\"rouge\",\"violet\"]", &v, msg), -1);
	assert_string_equal(msg, "Choisissez uniquement parmi les options proposées.");
	value_clear(&v);
	assert_int_equal(json_in(&f, "[\"rouge\",\"rouge\"]", &v, msg), -1);
	value_clear(&v);
	assert_false(json_ok(&f, "\"rouge\"")); /* an array is required */
	assert_false(json_ok(&f, "[\"rouge\",1]"));
	assert_true(json_ok(&f, "[]"));
	f.has_min = f.has_max = true;
	f.min = 2;
	f.max = 3;
	assert_int_equal(json_in(&f, "[\"vert\"]", &v, msg), -1);
	assert_string_equal(msg, "Choisissez au moins 2 options.");
	value_clear(&v);
	assert_false(json_ok(&f, "[\"vert\",\"bleu\",\"noir\",\"rouge\"]"));
	assert_true(json_ok(&f, "[\"vert\",\"bleu\"]"));
}

/* ------------------------------------------------------------------ file */

static void file_json_object_is_checked_and_forms_refuse_uploads(void **state)
{
	(void)state;
	def_field f = field(FT_FILE);
	const char *ok = "{\"name\":\"plan.pdf\",\"size\":1200,\"type\":\"application/pdf\","
			 "\"sha256\":\""
			 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			 "\"}";
	assert_true(json_ok(&f, ok));
	assert_false(json_ok(&f, "{\"name\":\"plan.pdf\"}"));
	assert_false(json_ok(&f, "\"plan.pdf\""));
	f.max_size = 1000;
	assert_false(json_ok(&f, ok));
	f.max_size = -1;
	const char *acc[1] = {"image/*"};
	f.accept.v = acc;
	f.accept.n = 1;
	assert_false(json_ok(&f, ok));
	char msg[VALIDATE_MSG];
	form_msg(&f, "plan.pdf", msg);
	assert_true(strlen(msg) > 0);
}

/* ------------------------------------------------------------------ round trips, misc */

/* parse form -> check -> to_json -> parse JSON -> check gives the same value. */
static void round_trip(const def_field *f, const char *form)
{
	value a, b;
	char msg[VALIDATE_MSG];
	if (form_in(f, form, &a, msg) != 0)
		fail_msg("refused %s: %s", form, msg);
	json_t *j = validate_to_json(f, &a);
	memset(&b, 0, sizeof b);
	assert_int_equal(validate_parse_json(f, j, &b, LANG_FR, msg), 0);
	assert_int_equal(validate_check(f, &b, today, LANG_FR, msg), 0);
	assert_true(value_equal(&a, &b));
	/* and the text of an <input> parses back to the same value */
	buf t = BUF_INIT;
	validate_input_text(f, &a, &t);
	value c;
	assert_int_equal(form_in(f, buf_cstr(&t), &c, msg), 0);
	assert_true(value_equal(&a, &c));
	buf_free(&t);
	json_decref(j);
	value_clear(&a);
	value_clear(&b);
	value_clear(&c);
}

static void values_survive_json_and_input_round_trips(void **state)
{
	(void)state;
	def_field t = field(FT_TEXT), i = field(FT_INTEGER), d = field(FT_DECIMAL),
		  m = field(FT_MONEY), da = field(FT_DATE), dt = field(FT_DATETIME),
		  p = field(FT_PHONE), s = field(FT_SIRET), ib = field(FT_IBAN),
		  mc = choice_field(FT_MULTICHOICE), b = field(FT_BOOLEAN);
	round_trip(&t, "Sète — « guillemets »");
	round_trip(&i, "-1 234");
	round_trip(&d, "12,5");
	round_trip(&d, "0,1");
	round_trip(&m, "1 234,56 €");
	round_trip(&m, "-0,05");
	round_trip(&da, "29/02/2024");
	round_trip(&dt, "23/11/2026 10:30");
	round_trip(&p, "06 12 34 56 78");
	round_trip(&s, "732 829 320 00074");
	round_trip(&ib, "FR76 3000 6000 0112 3456 7890 189");
	round_trip(&b, "on");
	value v;
	char msg[VALIDATE_MSG];
	const char *in[2] = {"vert", "bleu"};
	assert_int_equal(validate_parse_form(&mc, in, 2, &v, LANG_FR, msg), 0);
	assert_int_equal(validate_check(&mc, &v, today, LANG_FR, msg), 0);
	json_t *j = validate_to_json(&mc, &v);
	value w;
	assert_int_equal(validate_parse_json(&mc, j, &w, LANG_FR, msg), 0);
	assert_int_equal(validate_check(&mc, &w, today, LANG_FR, msg), 0);
	assert_true(value_equal(&v, &w));
	json_decref(j);
	value_clear(&v);
	value_clear(&w);
}

static void json_wrong_types_are_refused_with_a_message(void **state)
{
	(void)state;
	struct {
		field_type t;
		const char *json;
	} cases[] = {
	    {FT_TEXT, "12"},
	    {FT_TEXT, "[\"a\"]"},
	    {FT_INTEGER, "\"12\""},
	    {FT_INTEGER, "1.5"},
	    {FT_DECIMAL, "\"1.5\""},
	    {FT_DECIMAL, "false"},
	    {FT_BOOLEAN, "0"},
	    {FT_BOOLEAN, "\"oui\""},
	    {FT_DATE, "20261123"},
	    {FT_EMAIL, "{}"},
	    {FT_MULTICHOICE, "{\"a\":1}"},
	    {FT_FILE, "[]"},
	    {FT_TEXT, "\"nul\\u0000\""},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		def_field f = field(cases[k].t);
		value v;
		char msg[VALIDATE_MSG] = "";
		json_t *j = json_loads(cases[k].json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		assert_non_null(j);
		if (validate_parse_json(&f, j, &v, LANG_EN, msg) == 0)
			fail_msg("accepted %s for %s", cases[k].json, def_type_name(cases[k].t));
		assert_true(strlen(msg) > 0);
		assert_int_equal(v.kind, VAL_NULL);
		json_decref(j);
	}
}

static void check_converts_lossless_kinds_from_hooks(void **state)
{
	(void)state;
	char msg[VALIDATE_MSG];
	def_field i = field(FT_INTEGER);
	value v = {VAL_REAL, 0, 42.0, NULL}; /* a Lua float from compute */
	assert_int_equal(validate_check(&i, &v, today, LANG_FR, msg), 0);
	assert_int_equal(v.kind, VAL_INT);
	assert_int_equal(v.i, 42);
	value w = {VAL_REAL, 0, 42.5, NULL};
	assert_int_equal(validate_check(&i, &w, today, LANG_FR, msg), -1);
	def_field d = field(FT_DECIMAL);
	value x = {VAL_INT, 3, 0, NULL};
	assert_int_equal(validate_check(&d, &x, today, LANG_FR, msg), 0);
	assert_int_equal(x.kind, VAL_REAL);
	def_field b = field(FT_BOOLEAN);
	value y = {VAL_INT, 2, 0, NULL};
	assert_int_equal(validate_check(&b, &y, today, LANG_FR, msg), -1);
	def_field t = field(FT_TEXT);
	value z = {VAL_INT, 2, 0, NULL};
	assert_int_equal(validate_check(&t, &z, today, LANG_FR, msg), -1);
}

static void display_formats_numbers_and_dates_the_french_way(void **state)
{
	(void)state;
	def_field i = field(FT_INTEGER), d = field(FT_DECIMAL), da = field(FT_DATE);
	display_is(&i, &(value){VAL_INT, -1234567, 0, NULL}, LANG_FR, "-1" NNBSP "234" NNBSP "567");
	display_is(&i, &(value){VAL_INT, 1234567, 0, NULL}, LANG_EN, "1,234,567");
	display_is(&d, &(value){VAL_REAL, 0, 1234.5, NULL}, LANG_FR, "1" NNBSP "234,5");
	display_is(&d, &(value){VAL_REAL, 0, 0.1, NULL}, LANG_FR, "0,1");
	input_is(&d, &(value){VAL_REAL, 0, 1234.5, NULL}, "1234,5");
	json_is(&d, &(value){VAL_REAL, 0, 12.5, NULL}, "12.5");
	value v = {VAL_TEXT, 0, 0, (char *)"2026-11-23"};
	display_is(&da, &v, LANG_FR, "23/11/2026");
	input_is(&da, &v, "2026-11-23");
	display_is(&da, &(value){VAL_NULL, 0, 0, NULL}, LANG_FR, "");
	json_is(&da, &(value){VAL_NULL, 0, 0, NULL}, "null");
}

/* tests/conditions/cases.json: the cases web/conditions.js also runs (tests/browser), so
 * the page and the server cannot drift apart on visible_if / required_if. */
static void conditions_agree_with_the_shared_table(void **state)
{
	(void)state;
	json_error_t je;
	json_t *doc = json_load_file("tests/conditions/cases.json", 0, &je);
	assert_non_null(doc);
	json_t *cases = json_object_get(doc, "cases"), *c;
	size_t i, n = 0;
	json_array_foreach(cases, i, c)
	{
		const char *type = json_string_value(json_object_get(c, "type"));
		static const struct {
			const char *name;
			field_type t;
		} types[] = {{"choice", FT_CHOICE},   {"text", FT_TEXT},
			     {"boolean", FT_BOOLEAN}, {"yes_no", FT_BOOLEAN},
			     {"integer", FT_INTEGER}, {"decimal", FT_DECIMAL},
			     {"money", FT_MONEY},     {"multichoice", FT_MULTICHOICE}};
		def_field f = field(FT_TEXT);
		bool known = false;
		for (size_t k = 0; k < sizeof types / sizeof *types; k++)
			if (strcmp(types[k].name, type) == 0) {
				f = choice_field(types[k].t);
				f.yes_no = strcmp(type, "yes_no") == 0;
				known = true;
			}
		assert_true(known);
		json_t *input = json_object_get(c, "input");
		const char *in[8];
		size_t nin = json_array_size(input);
		assert_true(nin <= 8);
		for (size_t k = 0; k < nin; k++)
			in[k] = json_string_value(json_array_get(input, k));
		value v;
		memset(&v, 0, sizeof v);
		char msg[VALIDATE_MSG];
		if (validate_parse_form(&f, in, nin, &v, LANG_FR, msg) != 0)
			value_clear(&v); /* refused input: the record holds nothing */
		bool want = json_is_true(json_object_get(c, "holds"));
		const char *w = json_string_value(json_object_get(c, "want"));
		if (validate_matches(&f, &v, w) != want)
			fail_msg("case %zu (%s, want \"%s\"): expected %s", i, type, w,
				 want ? "holds" : "does not hold");
		value_clear(&v);
		n++;
	}
	assert_true(n >= 30);
	json_decref(doc);
}

static void matches_compares_canonical_text(void **state)
{
	(void)state;
	def_field i = field(FT_INTEGER), m = field(FT_MONEY), t = field(FT_TEXT);
	value v = {VAL_INT, 20, 0, NULL};
	assert_true(validate_matches(&i, &v, "20"));
	assert_false(validate_matches(&i, &v, "2"));
	assert_false(validate_matches(&i, &v, "20x"));
	value c = {VAL_INT, 1250, 0, NULL};
	assert_true(validate_matches(&m, &c, "12.5"));
	value s = {VAL_TEXT, 0, 0, (char *)"oui"};
	assert_true(validate_matches(&t, &s, "oui"));
	assert_false(validate_matches(&t, &s, "Oui"));
	assert_true(validate_matches(&t, &(value){VAL_NULL, 0, 0, NULL}, ""));
}

static void messages_switch_to_english(void **state)
{
	(void)state;
	def_field f = field(FT_INTEGER);
	value v;
	char msg[VALIDATE_MSG];
	const char *in[1] = {"abc"};
	assert_int_equal(validate_parse_form(&f, in, 1, &v, LANG_EN, msg), -1);
	assert_string_equal(msg, "Enter a whole number.");
	assert_string_equal(validate_required_msg(LANG_FR), "Ce champ est obligatoire.");
	assert_string_equal(validate_required_msg(LANG_EN), "This field is required.");
	def_field s = field(FT_SIRET);
	const char *bad[1] = {"73282932000075"};
	assert_int_equal(validate_parse_form(&s, bad, 1, &v, LANG_EN, msg), 0);
	assert_int_equal(validate_check(&s, &v, today, LANG_EN, msg), -1);
	assert_string_equal(msg, "This SIRET number is not valid (check digit).");
	value_clear(&v);
}

/* ---- repeat ---- */

/* lignes: article (choice, required), quantite (integer 1..500, required), urgent (box) */
static def_field line_subs[3];
static def_field lines_field(void)
{
	line_subs[0] = choice_field(FT_CHOICE);
	line_subs[0].name = "article";
	line_subs[0].label = "Article";
	line_subs[0].required = true;
	line_subs[1] = field(FT_INTEGER);
	line_subs[1].name = "quantite";
	line_subs[1].label = "Quantité";
	line_subs[1].required = true;
	line_subs[1].has_min = line_subs[1].has_max = true;
	line_subs[1].min = 1;
	line_subs[1].max = 500;
	line_subs[2] = field(FT_BOOLEAN);
	line_subs[2].name = "urgent";
	line_subs[2].label = "Urgent";
	def_field f = field(FT_REPEAT);
	f.name = "lignes";
	f.label = "Lignes";
	f.sub = line_subs;
	f.nsub = 3;
	f.has_min = f.has_max = true;
	f.min = 1;
	f.max = 2;
	return f;
}

static void repeat_form_drops_blank_lines_and_numbers_the_rest_again(void **state)
{
	(void)state;
	def_field f = lines_field();
	const char *names[] = {"lignes[1].article",
			       "lignes[1].quantite",
			       "lignes[3].article",
			       "lignes[3].quantite",
			       "lignes[3].urgent",
			       "lignes[7].quantite",
			       "autre",
			       "lignes[x].quantite"};
	const char *vals[] = {"", "", "vert", "12", "1", "douze", "?", "1"};
	value v = {0};
	field_errors errs = {0};
	assert_int_equal(validate_repeat_parse_form(&f, names, vals, 8, false, &v, LANG_FR, &errs),
			 1);
	/* line 1 was blank (dropped), 3 became 1, 7 became 2 and keeps what was typed */
	assert_string_equal(v.s, "[{\"article\":\"vert\",\"quantite\":12,\"urgent\":true},"
				 "{\"article\":null,\"quantite\":\"douze\",\"urgent\":false}]");
	assert_string_equal(field_errors_get(&errs, "lignes[2].quantite"),
			    "Saisissez un nombre entier.");
	field_errors_clear(&errs);
	value_clear(&v);
	/* kept blank when the form comes back for "Ajouter une ligne" */
	assert_int_equal(validate_repeat_parse_form(&f, names, vals, 2, true, &v, LANG_FR, &errs),
			 0);
	assert_string_equal(v.s, "[{\"article\":null,\"quantite\":null,\"urgent\":false}]");
	value_clear(&v);
	assert_int_equal(validate_repeat_parse_form(&f, names, vals, 2, false, &v, LANG_FR, &errs),
			 0);
	assert_int_equal(v.kind, VAL_NULL);
}

static void repeat_check_counts_lines_and_checks_each_sub_field(void **state)
{
	(void)state;
	def_field f = lines_field();
	json_t *in = json_loads("[{\"article\":\"vert\",\"quantite\":0},{\"quantite\":3},"
				"{\"article\":\"bleu\",\"quantite\":1}]",
				0, NULL);
	value v = {0};
	field_errors errs = {0};
	assert_int_equal(validate_repeat_parse_json(&f, in, &v, LANG_FR, &errs), 0);
	assert_true(validate_repeat_check(&f, &v, today, LANG_FR, &errs) >= 3);
	assert_string_equal(field_errors_get(&errs, "lignes"), "Au plus 2 lignes.");
	assert_string_equal(field_errors_get(&errs, "lignes[1].quantite"),
			    "La valeur doit être au moins 1.");
	assert_string_equal(field_errors_get(&errs, "lignes[2].article"),
			    "Ce champ est obligatoire.");
	assert_null(field_errors_get(&errs, "lignes[3].article"));
	field_errors_clear(&errs);
	value_clear(&v);
	json_decref(in);
	/* min 1 holds for a field that is not required too */
	value none = {0};
	assert_int_equal(validate_repeat_check(&f, &none, today, LANG_FR, &errs), 1);
	assert_string_equal(field_errors_get(&errs, "lignes"), "Ajoutez au moins 1 ligne.");
	field_errors_clear(&errs);
	/* the name of a line's control reads back as its sub-field and line */
	size_t k = 0;
	assert_ptr_equal(validate_repeat_sub_of(&f, "lignes[12].quantite", &k), &line_subs[1]);
	assert_int_equal(k, 12);
	assert_null(validate_repeat_sub_of(&f, "lignes[0].quantite", &k));
	assert_null(validate_repeat_sub_of(&f, "lignes[1]quantite", &k));
	assert_null(validate_repeat_sub_of(&f, "lignes[1].prix", &k));
	assert_null(validate_repeat_sub_of(&f, "lignesx[1].quantite", &k));
}

static void repeat_diff_says_which_line_changed(void **state)
{
	(void)state;
	def_field f = lines_field();
	json_t *a = json_loads("[{\"article\":\"vert\",\"quantite\":3,\"urgent\":false},"
			       "{\"article\":\"noir\",\"quantite\":1,\"urgent\":false}]",
			       0, NULL);
	json_t *b = json_loads("[{\"article\":\"vert\",\"quantite\":4,\"urgent\":false}]", 0, NULL);
	buf out = BUF_INIT;
	validate_repeat_diff(&f, a, b, LANG_FR, &out);
	assert_string_equal(buf_cstr(&out),
			    "ligne 1, Quantité : 3 → 4 ; ligne 2 retirée (Article : "
			    "Noir, Quantité : 1, Urgent : Non)");
	buf_reset(&out);
	validate_repeat_diff(&f, NULL, b, LANG_EN, &out);
	assert_string_equal(buf_cstr(&out),
			    "line 1 added (Article : Vert, Quantité : 4, Urgent : No)");
	buf_free(&out);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	if (!validate_date_bound("2026-11-23", 0, &today))
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(text_blank_is_null_and_is_trimmed),
	    cmocka_unit_test(text_length_counts_code_points_not_bytes),
	    cmocka_unit_test(text_default_limit_is_200_characters),
	    cmocka_unit_test(text_refuses_broken_utf8),
	    cmocka_unit_test(text_refuses_control_characters_textarea_keeps_line_breaks),
	    cmocka_unit_test(text_pattern_is_a_lua_pattern_anchored_at_both_ends),
	    cmocka_unit_test(text_pattern_classes_sets_and_quantifiers),
	    cmocka_unit_test(text_malformed_or_runaway_pattern_never_matches),
	    cmocka_unit_test(text_pattern_back_references_and_classes_are_luas),
	    cmocka_unit_test(integer_accepts_sign_and_thousands_spaces),
	    cmocka_unit_test(integer_refuses_fractions_words_and_bad_grouping),
	    cmocka_unit_test(integer_overflow_is_detected),
	    cmocka_unit_test(integer_range_uses_min_and_max),
	    cmocka_unit_test(integer_json_takes_integral_numbers_only),
	    cmocka_unit_test(decimal_comma_and_point_mean_the_same),
	    cmocka_unit_test(decimal_scale_limits_digits_after_the_point),
	    cmocka_unit_test(money_accepts_french_and_plain_forms_as_cents),
	    cmocka_unit_test(money_json_accepts_strings_and_numbers),
	    cmocka_unit_test(money_bounds_are_in_euros),
	    cmocka_unit_test(money_outputs_json_display_and_input_forms),
	    cmocka_unit_test(boolean_form_is_true_for_any_non_false_value),
	    cmocka_unit_test(boolean_json_takes_true_false_only),
	    cmocka_unit_test(date_accepts_iso_and_french_forms),
	    cmocka_unit_test(date_must_be_a_real_calendar_date),
	    cmocka_unit_test(date_bounds_resolve_today_plus_and_minus),
	    cmocka_unit_test(date_min_today_refuses_the_past),
	    cmocka_unit_test(datetime_is_stored_as_french_local_time),
	    cmocka_unit_test(siret_real_numbers_pass_forged_fail),
	    cmocka_unit_test(siret_la_poste_uses_the_sum_of_digits_rule),
	    cmocka_unit_test(siren_uses_luhn),
	    cmocka_unit_test(iban_checks_mod97_and_country_length),
	    cmocka_unit_test(phone_french_forms_are_stored_e164),
	    cmocka_unit_test(phone_field_normalises_and_displays_nationally),
	    cmocka_unit_test(postal_code_is_five_digits),
	    cmocka_unit_test(french_checks_keep_the_stricter_of_the_two_old_rules),
	    cmocka_unit_test(french_checks_say_why_they_refuse),
	    cmocka_unit_test(email_syntax_is_pragmatic),
	    cmocka_unit_test(url_must_be_http_or_https_with_a_host),
	    cmocka_unit_test(choice_value_must_be_an_option_value),
	    cmocka_unit_test(multichoice_is_stored_in_option_order),
	    cmocka_unit_test(multichoice_refuses_unknown_duplicate_and_counts),
	    cmocka_unit_test(file_json_object_is_checked_and_forms_refuse_uploads),
	    cmocka_unit_test(values_survive_json_and_input_round_trips),
	    cmocka_unit_test(json_wrong_types_are_refused_with_a_message),
	    cmocka_unit_test(check_converts_lossless_kinds_from_hooks),
	    cmocka_unit_test(display_formats_numbers_and_dates_the_french_way),
	    cmocka_unit_test(matches_compares_canonical_text),
	    cmocka_unit_test(conditions_agree_with_the_shared_table),
	    cmocka_unit_test(messages_switch_to_english),
	    cmocka_unit_test(repeat_form_drops_blank_lines_and_numbers_the_rest_again),
	    cmocka_unit_test(repeat_check_counts_lines_and_checks_each_sub_field),
	    cmocka_unit_test(repeat_diff_says_which_line_changed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
