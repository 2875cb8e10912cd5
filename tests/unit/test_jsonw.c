/*
 * test_jsonw — the streaming JSON writer gives jansson's text, byte for byte.
 *
 * The API answers records through jsonw (api_record_write) while other code builds
 * them as jansson trees (api_record_json); these tests keep the two from drifting:
 * for a form with every field type, private fields and odd stored values, the
 * writer's output must parse to an equal value AND be identical to
 * json_dumps(api_record_json(...), REQ_JSON_FLAGS). The primitives (escapes, doubles,
 * integers) and the compact-JSON check are compared with jansson on their own, and
 * the API list path (rows streamed from SQLite by store_list_each, with borrowed
 * strings) against pages copied by store_list, cursors included.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api.h"
#include "jsonw.h"
#include "testdb.h"
#include "store.h"

/* Dumps j as the server does; caller frees. */
static char *dump(const json_t *j)
{
	char *s = json_dumps(j, REQ_JSON_FLAGS);
	assert_non_null(s);
	return s;
}

/* ---- primitives ---- */

static void strings_are_escaped_like_jansson(void **st)
{
	(void)st;
	static const char *const samples[] = {
		"",
		"plain ascii",
		"quote \" backslash \\ slash / done",
		"tab\tnew\nline\rcr\bback\fform",
		"\x01\x02\x07\x0b\x0e\x1f end",
		"del \x7f stays raw",
		"UTF-8: é à ç œ € “guillemets” — 日本語 😀 \xf4\x8f\xbf\xbf",
		"\"\"\\\\\n\n",
		"</script>",
	};
	buf b = BUF_INIT;
	jsonw w;
	jsonw_init(&w, &b);
	json_t *a = json_array();
	jsonw_array_begin(&w);
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		assert_true(jsonw_str(&w, samples[i]));
		json_array_append_new(a, json_string(samples[i]));
	}
	/* every control character alone */
	for (int c = 1; c < 0x20; c++) {
		char s[2] = {(char)c, 0};
		jsonw_str(&w, s);
		json_array_append_new(a, json_string(s));
	}
	jsonw_str(&w, NULL);
	json_array_append_new(a, json_null());
	jsonw_array_end(&w);
	char *want = dump(a);
	assert_string_equal(buf_cstr(&b), want);
	free(want);
	json_decref(a);
	buf_free(&b);
}

static void invalid_utf8_is_written_as_null(void **st)
{
	(void)st;
	static const char *const bad[] = {
		"\x80", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xff", "ok \xe2\x82 cut",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_null(json_string(bad[i])); /* jansson refuses them too */
		assert_false(jsonw_utf8_valid(bad[i], strlen(bad[i])));
		buf b = BUF_INIT;
		jsonw w;
		jsonw_init(&w, &b);
		jsonw_array_begin(&w);
		jsonw_int(&w, 1);
		assert_false(jsonw_str(&w, bad[i]));
		jsonw_int(&w, 2);
		jsonw_array_end(&w);
		assert_string_equal(buf_cstr(&b), "[1,null,2]");
		buf_free(&b);
	}
	assert_true(jsonw_utf8_valid("é😀\xef\xbf\xbf", strlen("é😀\xef\xbf\xbf")));
}

/* xorshift64*, so the random doubles are the same on every run */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void numbers_are_written_like_jansson(void **st)
{
	(void)st;
	static const double reals[] = {
		0.0, -0.0, 0.1, 0.2, 0.3, 1.0, -1.0, 2.5, 3.0, 100.0, 1234.5, 12345.678, 1e15, 1e16,
		1e17, 1e20, 1e21, 1e22, 1e100, 1e300, -1e300, 1e-4, 1e-5, 1.5e-7, 5e-324, 2.2250738585072014e-308,
		DBL_MAX, -DBL_MAX, DBL_MIN, 123456789012345678.0, 9007199254740993.0, 0.1 + 0.2,
		1.0 / 3.0, -2.0 / 3.0, 4.35, 1e-300,
	};
	static const int64_t ints[] = {0, 1, -1, 9, 10, -10, 1234567890, INT64_MAX, INT64_MIN,
	                               INT64_MIN + 1, 1000000000000000000LL};
	buf b = BUF_INIT;
	jsonw w;
	jsonw_init(&w, &b);
	json_t *a = json_array();
	jsonw_array_begin(&w);
	for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) {
		jsonw_real(&w, reals[i]);
		json_array_append_new(a, json_real(reals[i]));
	}
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	for (int i = 0; i < 20000; i++) {
		uint64_t bits = rnd(&seed);
		double d;
		memcpy(&d, &bits, sizeof d);
		if (!isfinite(d))
			continue;
		jsonw_real(&w, d);
		json_array_append_new(a, json_real(d));
		/* and values like those people type */
		double t = (double)(int64_t)(bits % 2000001) / 100.0 - 10000.0;
		jsonw_real(&w, t);
		json_array_append_new(a, json_real(t));
	}
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		jsonw_int(&w, ints[i]);
		json_array_append_new(a, json_integer(ints[i]));
	}
	jsonw_bool(&w, true);
	jsonw_bool(&w, false);
	jsonw_null(&w);
	json_array_append_new(a, json_true());
	json_array_append_new(a, json_false());
	json_array_append_new(a, json_null());
	jsonw_array_end(&w);
	char *want = dump(a);
	assert_string_equal(buf_cstr(&b), want);
	free(want);
	json_decref(a);
	buf_free(&b);

	/* jansson has no non-finite reals; the writer says null */
	buf_reset(&b);
	jsonw_init(&w, &b);
	jsonw_array_begin(&w);
	jsonw_real(&w, NAN);
	jsonw_real(&w, INFINITY);
	jsonw_array_end(&w);
	assert_string_equal(buf_cstr(&b), "[null,null]");
	buf_free(&b);
}

static void commas_and_nesting_match_jansson(void **st)
{
	(void)st;
	buf b = BUF_INIT;
	jsonw w;
	jsonw_init(&w, &b);
	jsonw_object_begin(&w);
	jsonw_key(&w, "a");
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_key(&w, "b");
	jsonw_object_begin(&w);
	jsonw_object_end(&w);
	jsonw_key(&w, "c\"\n");
	jsonw_array_begin(&w);
	jsonw_object_begin(&w);
	jsonw_key(&w, "x");
	jsonw_int(&w, 1);
	jsonw_object_end(&w);
	jsonw_object_begin(&w);
	jsonw_object_end(&w);
	jsonw_array_begin(&w);
	jsonw_raw(&w, "[1,\"2\"]", 7);
	jsonw_str(&w, "s");
	jsonw_array_end(&w);
	jsonw_array_end(&w);
	jsonw_key(&w, "é");
	jsonw_null(&w);
	jsonw_object_end(&w);
	assert_int_equal(w.depth, 0);
	json_t *j = json_pack("{s:[],s:{},s:[{s:i},{},[[i,s],s]],s:n}", "a", "b", "c\"\n", "x", 1,
	                      1, "2", "s", "é");
	assert_non_null(j);
	char *want = dump(j);
	assert_string_equal(buf_cstr(&b), want);
	free(want);
	json_decref(j);
	buf_free(&b);
}

/* ---- compact check ---- */

/* When the check says yes, jansson must read the text back and write it unchanged. */
static void assert_sound(const char *s)
{
	if (!jsonw_is_compact(s, strlen(s)))
		return;
	json_t *j = json_loads(s, 0, NULL);
	if (!j)
		fail_msg("accepted but json_loads refuses: %s", s);
	char *back = dump(j);
	if (strcmp(back, s) != 0)
		fail_msg("accepted but jansson writes %s for %s", back, s);
	free(back);
	json_decref(j);
}

static void compact_check_accepts_what_jansson_writes(void **st)
{
	(void)st;
	static const char *const yes[] = {
		"[]", "{}", "[\"a\"]", "[\"a\",\"b\"]", "[\"é\",\"\\\"\",\"\\\\\",\"\\n\\t\"]",
		"[\"\\u0001\\u001F\"]", "[1,-1,0,123456789012345678,true,false,null]",
		"{\"name\":\"f.pdf\",\"sha256\":\"ab\",\"size\":12,\"type\":\"application/pdf\"}",
		"{\"a\":{\"b\":[{}]}}", "[[[[]]]]", "[\"/\"]", "[\"\x7f\"]",
	};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (!jsonw_is_compact(yes[i], strlen(yes[i])))
			fail_msg("refused %s", yes[i]);
		assert_sound(yes[i]);
	}
	static const char *const no[] = {
		"", "\"a\"", "1", "null", "[ ]", "[\"a\", \"b\"]", "[\"a\"] ", " []", "[\"\\/\"]",
		"[\"\\u00e9\"]", "[\"\\u001f\"]", "[\"\\u0000\"]", "[\"\\u000A\"]", "[\"\\n\"",
		"[\"a\",]", "[,]", "[1.0]", "[1e3]", "[-0]", "[01]", "[1234567890123456789]",
		"{\"a\":1,\"a\":2}", "{\"a\"}", "{a:1}", "[\"\x80\"]", "[\"\xed\xa0\x80\"]",
		"[\"tab\there\"]", "[tru]", "[true", "{\"a\":1", "[]]", "[][]", "[\"\\x\"]",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		if (jsonw_is_compact(no[i], strlen(no[i])))
			fail_msg("accepted %s", no[i]);
}

static void compact_check_is_sound_on_random_text(void **st)
{
	(void)st;
	static const char *const tok[] = {
		"[", "]", "{", "}", ",", ":", "\"", "\"a\"", "\"b\"", "1", "-", "0", "12", ".", "e",
		"true", "null", " ", "\\", "\\n", "\\u00", "1F", "0a", "é", "\xc3", "/", "x",
	};
	uint64_t seed = 42;
	char s[128];
	int accepted = 0;
	for (int i = 0; i < 200000; i++) {
		size_t n = 0, k = 1 + rnd(&seed) % 12;
		s[n++] = rnd(&seed) & 1 ? '[' : '{';
		for (size_t t = 0; t < k; t++) {
			const char *p = tok[rnd(&seed) % (sizeof tok / sizeof *tok)];
			size_t l = strlen(p);
			if (n + l + 2 >= sizeof s)
				break;
			memcpy(s + n, p, l);
			n += l;
		}
		s[n++] = s[0] == '[' ? ']' : '}';
		s[n] = '\0';
		accepted += jsonw_is_compact(s, n);
		assert_sound(s);
	}
	assert_true(accepted > 100); /* the generator does reach valid text */
}

/* ---- records: api_record_write against api_record_json ---- */

enum {
	C_TEXT, C_TEXTAREA, C_INTEGER, C_DECIMAL, C_MONEY, C_BOOLEAN, C_DATE, C_DATETIME,
	C_EMAIL, C_PHONE, C_CP, C_SIRET, C_SIREN, C_IBAN, C_URL, C_CHOICE, C_MULTI, C_FILE,
	C_SECRET, C_SECRET_ADMIN, NCOLS
};

static const char *pharma_roles[] = {"pharmacie"};
static def_option choice_opts[] = {{"a", "A"}, {"b", "B"}};
static def_field fields[NCOLS + 1];
static const def_field *cols[NCOLS];
static def_form form;

static void build_form(void)
{
	static const struct {
		const char *name;
		field_type type;
	} spec[NCOLS] = {
		{"texte", FT_TEXT}, {"long", FT_TEXTAREA}, {"entier", FT_INTEGER},
		{"decimal", FT_DECIMAL}, {"montant", FT_MONEY}, {"oui", FT_BOOLEAN},
		{"date", FT_DATE}, {"quand", FT_DATETIME}, {"courriel", FT_EMAIL},
		{"tel", FT_PHONE}, {"cp", FT_POSTAL_CODE}, {"siret", FT_SIRET}, {"siren", FT_SIREN},
		{"iban", FT_IBAN}, {"site", FT_URL}, {"choix", FT_CHOICE}, {"publics", FT_MULTICHOICE},
		{"piece", FT_FILE}, {"note_interne", FT_TEXTAREA}, {"note_admin", FT_TEXT},
	};
	memset(fields, 0, sizeof fields);
	fields[0] = (def_field){.name = "s", .label = "Section", .type = FT_SECTION, .col = -1};
	for (int i = 0; i < NCOLS; i++) {
		def_field *f = &fields[i + 1];
		*f = (def_field){.name = spec[i].name, .label = spec[i].name, .type = spec[i].type,
		                 .col = i, .min_length = -1, .max_length = -1, .scale = -1,
		                 .max_size = -1};
		if (f->type == FT_CHOICE || f->type == FT_MULTICHOICE) {
			f->options = choice_opts;
			f->noptions = 2;
		}
		cols[i] = f;
	}
	fields[C_SECRET + 1].has_private = true;
	fields[C_SECRET + 1].private_roles = (def_strlist){pharma_roles, 1};
	fields[C_SECRET_ADMIN + 1].has_private = true; /* empty list: admins only */
	form = (def_form){.id = "commande", .title = "Commande", .fields = fields,
	                  .nfields = NCOLS + 1, .cols = cols, .ncols = NCOLS};
}

static void set_text(record *r, int col, const char *s)
{
	value_set_text(&r->values[col], s);
}

static void set_int(record *r, int col, int64_t i)
{
	value_set_int(&r->values[col], i);
}

static void set_real(record *r, int col, double d)
{
	value_set_real(&r->values[col], d);
}

/* Compares both doors for one record and one reader. */
static void check_record(const record *rec, const actor *who)
{
	json_t *tree = api_record_json(&form, rec, who);
	char *want = dump(tree);
	buf b = BUF_INIT;
	jsonw w;
	jsonw_init(&w, &b);
	api_record_write(&w, &form, rec, who);
	assert_int_equal(w.depth, 0);
	json_error_t je;
	json_t *back = json_loads(buf_cstr(&b), 0, &je);
	if (!back)
		fail_msg("writer output does not parse (%s): %s", je.text, buf_cstr(&b));
	if (!json_equal(back, tree))
		fail_msg("values differ:\n writer %s\n jansson %s", buf_cstr(&b), want);
	assert_string_equal(buf_cstr(&b), want);
	json_decref(back);
	json_decref(tree);
	free(want);
	buf_free(&b);
}

static const char *r_pharma[] = {"pharmacie"};
static const char *r_centre[] = {"centre"};

static void check_all_readers(const record *rec)
{
	const actor readers[] = {
		{.login = NULL},                                             /* anonymous */
		{.login = "alice", .roles = r_centre, .nroles = 1},          /* without the role */
		{.login = "bob", .roles = r_pharma, .nroles = 1},            /* with it */
		{.login = "root", .admin = true},                            /* sees everything */
	};
	for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
		check_record(rec, &readers[i]);
}

static void record_full(record *r)
{
	record_init(r, &form);
	r->id = 42;
	r->version = 3;
	record_set_sys(&r->state, "soumise");
	record_set_sys(&r->created_at, "2026-11-23T10:15:00+01:00");
	record_set_sys(&r->created_by, "alice");
	record_set_sys(&r->updated_at, "2026-11-24T08:00:00+01:00");
	record_set_sys(&r->updated_by, "bob \"the\" pharmacist");
	r->overdue = true;
	set_text(r, C_TEXT, "Centre « Saint-Étienne » \"quoted\" back\\slash tab\there\x01\x1f 😀");
	set_text(r, C_TEXTAREA, "line 1\nline 2\r\n\tindented\b\f");
	set_int(r, C_INTEGER, -1234567890123LL);
	set_real(r, C_DECIMAL, 0.1);
	set_int(r, C_MONEY, 123456);
	set_int(r, C_BOOLEAN, 1);
	set_text(r, C_DATE, "2026-12-01");
	set_text(r, C_DATETIME, "2026-12-01T09:30:00+01:00");
	set_text(r, C_EMAIL, "camille.martin@example.org");
	set_text(r, C_PHONE, "+33477123456");
	set_text(r, C_CP, "42000");
	set_text(r, C_SIRET, "73282932000074");
	set_text(r, C_SIREN, "732829320");
	set_text(r, C_IBAN, "FR7630006000011234567890189");
	set_text(r, C_URL, "https://example.org/rdv?x=1&y=</script>");
	set_text(r, C_CHOICE, "b");
	set_text(r, C_MULTI, "[\"a\",\"b\",\"é\\\"\"]");
	set_text(r, C_FILE, "{\"name\":\"bon de commande.pdf\",\"sha256\":\"0123456789abcdef0123456789"
	                    "abcdef0123456789abcdef0123456789abcdef\",\"size\":12345,"
	                    "\"type\":\"application/pdf\"}");
	set_text(r, C_SECRET, "réservé à la pharmacie");
	set_text(r, C_SECRET_ADMIN, "admins only");
}

static void record_with_every_type_matches_api_record_json(void **st)
{
	(void)st;
	build_form();
	record r;
	record_full(&r);
	check_all_readers(&r);
	record_clear(&r);
}

static void null_values_and_null_system_fields_match(void **st)
{
	(void)st;
	build_form();
	record r;
	record_init(&r, &form); /* every value NULL, no state, no authors */
	r.id = 1;
	r.version = 1;
	check_all_readers(&r);
	record_set_sys(&r.created_at, "2026-11-23T10:15:00+01:00");
	check_all_readers(&r);
	record_clear(&r);
}

static void number_forms_match(void **st)
{
	(void)st;
	build_form();
	static const double decimals[] = {0.1, 3.0, 0.0, -0.0, -2.5, 1e20, 1e-7, 12345.678,
	                                  1.0 / 3.0, 9007199254740993.0, NAN, INFINITY};
	static const int64_t cents[] = {0, 5, -5, 99, -100, 100, 123456, -123456789,
	                                INT64_MAX, INT64_MIN};
	record r;
	record_init(&r, &form);
	for (size_t i = 0; i < sizeof decimals / sizeof *decimals; i++) {
		value_clear(&r.values[C_DECIMAL]);
		set_real(&r, C_DECIMAL, decimals[i]);
		check_all_readers(&r);
	}
	/* a decimal stored as an integer (SQLite's REAL affinity gives back 3 for 3.0) */
	static const int64_t integral[] = {0, 3, -7, 1000000, INT64_MAX};
	for (size_t i = 0; i < sizeof integral / sizeof *integral; i++) {
		value_clear(&r.values[C_DECIMAL]);
		set_int(&r, C_DECIMAL, integral[i]);
		check_all_readers(&r);
	}
	for (size_t i = 0; i < sizeof cents / sizeof *cents; i++) {
		value_clear(&r.values[C_MONEY]);
		set_int(&r, C_MONEY, cents[i]);
		check_all_readers(&r);
	}
	for (int b = 0; b < 3; b++) {
		value_clear(&r.values[C_BOOLEAN]);
		set_int(&r, C_BOOLEAN, b);
		check_all_readers(&r);
	}
	/* values of an unexpected kind fall back to their plain form, on both doors */
	value_clear(&r.values[C_MONEY]);
	set_real(&r, C_MONEY, 12.5);
	value_clear(&r.values[C_BOOLEAN]);
	set_text(&r, C_BOOLEAN, "yes");
	value_clear(&r.values[C_INTEGER]);
	set_text(&r, C_INTEGER, "12");
	value_clear(&r.values[C_TEXT]);
	set_int(&r, C_TEXT, 7);
	check_all_readers(&r);
	record_clear(&r);
}

static void stored_json_text_matches_in_every_shape(void **st)
{
	(void)st;
	build_form();
	static const char *const multi[] = {
		"[]", "[\"a\"]", "[\"a\",\"b\"]",
		"[ \"a\" , \"b\" ]",                 /* spaces: re-dumped */
		"[\"\\u00e9t\\u00E9\",\"\\/\"]",     /* escapes jansson writes differently */
		"[\"a\",1,2.50,true,null,{\"k\":[]}]", /* not only strings */
		"{\"a\":1}",                         /* an object where an array is due */
		"not json",                          /* plain text */
		"[\"a\"",                            /* truncated */
		"[\"\\u0000\"]",                     /* NUL: json_loads refuses it */
		"[\"\xff\"]",                        /* invalid UTF-8 */
		"[\"x\"] ",                          /* trailing space */
		"[1e400]",                           /* overflow */
		"[12345678901234567890]",            /* integer too large */
		"[\"\\ud83d\\ude00\"]",              /* surrogate pair */
	};
	static const char *const files[] = {
		"{\"name\":\"a.pdf\",\"sha256\":\"00\",\"size\":1,\"type\":\"application/pdf\"}",
		"{\"size\":1.5,\"name\":\"b\"}", "{\"a\":1,\"a\":2}", "{ }", "[]", "{\"n\":-0}",
		"{\"n\":0.1,\"m\":1E2,\"k\":-0.0}",
	};
	record r;
	record_init(&r, &form);
	for (size_t i = 0; i < sizeof multi / sizeof *multi; i++) {
		value_clear(&r.values[C_MULTI]);
		set_text(&r, C_MULTI, multi[i]);
		check_all_readers(&r);
	}
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		value_clear(&r.values[C_FILE]);
		set_text(&r, C_FILE, files[i]);
		check_all_readers(&r);
	}
	/* a multichoice stored as a number */
	value_clear(&r.values[C_MULTI]);
	set_int(&r, C_MULTI, 5);
	check_all_readers(&r);
	record_clear(&r);
}

static void invalid_utf8_matches(void **st)
{
	(void)st;
	build_form();
	record r;
	record_full(&r);
	value_clear(&r.values[C_TEXT]);
	set_text(&r, C_TEXT, "bad \xc3\x28 byte");
	/* jansson drops a system key whose string it refuses; the writer does the same */
	record_set_sys(&r.updated_by, "\xff");
	record_set_sys(&r.state, "\xe2\x82");
	check_all_readers(&r);
	record_clear(&r);
}

static void list_of_records_matches(void **st)
{
	(void)st;
	build_form();
	record recs[3];
	record_full(&recs[0]);
	record_init(&recs[1], &form);
	recs[1].id = 2;
	record_full(&recs[2]);
	recs[2].id = 3;
	const actor who = {.login = "bob", .roles = r_pharma, .nroles = 1};

	json_t *arr = json_array();
	for (int i = 0; i < 3; i++)
		json_array_append_new(arr, api_record_json(&form, &recs[i], &who));
	json_t *body = json_object();
	json_object_set_new(body, "records", arr);
	json_object_set_new(body, "next", json_string("eyJpZCI6M30"));
	char *want = dump(body);

	buf b = BUF_INIT;
	jsonw w;
	jsonw_init(&w, &b);
	jsonw_object_begin(&w);
	jsonw_key(&w, "records");
	jsonw_array_begin(&w);
	for (int i = 0; i < 3; i++)
		api_record_write(&w, &form, &recs[i], &who);
	jsonw_array_end(&w);
	jsonw_key(&w, "next");
	jsonw_str(&w, "eyJpZCI6M30");
	jsonw_object_end(&w);
	assert_string_equal(buf_cstr(&b), want);

	free(want);
	json_decref(body);
	buf_free(&b);
	for (int i = 0; i < 3; i++)
		record_clear(&recs[i]);
}

/* ---- the list path: rows streamed from SQLite give the same text as copied pages ---- */

static int apply_insert(store_tx *tx, void *arg)
{
	record *recs = arg;
	for (int i = 0; i < 5; i++) {
		int rc = store_tx_insert(tx, &form, &recs[i]);
		if (rc != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

typedef struct streamed {
	jsonw w;
	const actor *who;
	int rows;
} streamed;

static void stream_row(void *arg, const record *rec)
{
	streamed *x = arg;
	api_record_write(&x->w, &form, rec, x->who);
	x->rows++;
}

static void streamed_pages_match_copied_pages(void **st)
{
	(void)st;
	build_form();
	form.list.sort = "-created_at";
	char dir[] = "/tmp/test_jsonw.XXXXXX", err[STORE_ERR_LEN] = "";
	assert_non_null(mkdtemp(dir));
	store_backend *backend = testdb_open(dir);
	store *db = store_open(backend, "test", err);
	if (!db)
		fail_msg("store_open: %s", err);
	def_app app = {.id = "test", .hash = "0123", .forms = &form, .nforms = 1};
	if (store_migrate(db, &app, 1700000000, err) != STORE_OK)
		fail_msg("store_migrate: %s", err);

	record recs[5];
	for (int i = 0; i < 5; i++) {
		record_full(&recs[i]);
		record_set_sys(&recs[i].def_hash, "0123");
		record_set_sys(&recs[i].state_since, "2026-11-23T10:15:00+01:00");
	}
	/* stored odd values: an integral decimal, NULLs, spaced multichoice JSON, a real in a file */
	value_set_real(&recs[1].values[C_DECIMAL], 3.0);
	value_clear(&recs[2].values[C_TEXT]);
	value_clear(&recs[2].values[C_SECRET]);
	record_set_sys(&recs[2].updated_by, NULL);
	value_set_text(&recs[3].values[C_MULTI], "[ \"a\" ]");
	value_set_text(&recs[3].values[C_FILE], "{\"size\":1.5}");
	/* a file value naming a content must find it in the store: the others have none */
	for (int i = 0; i < 5; i++)
		if (i != 3)
			value_clear(&recs[i].values[C_FILE]);
	value_set_int(&recs[4].values[C_DECIMAL], 7);
	if (!testdb_pg()) /* SQLite keeps what it is given; PostgreSQL's columns are typed */
		value_set_text(&recs[4].values[C_INTEGER], "not a number");
	assert_int_equal(store_write_sync(db, apply_insert, recs), STORE_OK);

	const actor readers[] = {
		{.login = "alice", .roles = r_centre, .nroles = 1},
		{.login = "bob", .roles = r_pharma, .nroles = 1},
	};
	for (size_t k = 0; k < sizeof readers / sizeof *readers; k++) {
		const char *after = NULL;
		char *after_copy = NULL;
		int pages = 0, total = 0;
		do {
			store_query q = {.now = 1800000000, .limit = 2, .after = after};
			/* copied: store_list, then json_t records */
			store_page page;
			assert_int_equal(store_list(db, &form, &q, &page, err), STORE_OK);
			json_t *arr = json_array();
			for (size_t i = 0; i < page.n; i++)
				json_array_append_new(arr, api_record_json(&form, &page.v[i], &readers[k]));
			char *want = dump(arr);
			json_decref(arr);
			/* streamed: store_list_each into jsonw */
			buf b = BUF_INIT;
			streamed x = {.who = &readers[k]};
			char *next = NULL;
			jsonw_init(&x.w, &b);
			jsonw_array_begin(&x.w);
			assert_int_equal(store_list_each(db, &form, &q, stream_row, &x, &next, err),
			                 STORE_OK);
			jsonw_array_end(&x.w);
			assert_int_equal(x.rows, (int)page.n);
			assert_string_equal(buf_cstr(&b), want);
			assert_true((next == NULL) == (page.next == NULL));
			if (next)
				assert_string_equal(next, page.next);
			buf_free(&b);
			free(want);
			total += (int)page.n;
			free(after_copy);
			after_copy = next;
			after = next;
			store_page_free(&page);
			pages++;
		} while (after);
		assert_int_equal(total, 5);
		assert_int_equal(pages, 3);
	}
	for (int i = 0; i < 5; i++)
		record_clear(&recs[i]);
	store_close(db);
	testdb_close(backend);
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strings_are_escaped_like_jansson),
		cmocka_unit_test(invalid_utf8_is_written_as_null),
		cmocka_unit_test(numbers_are_written_like_jansson),
		cmocka_unit_test(commas_and_nesting_match_jansson),
		cmocka_unit_test(compact_check_accepts_what_jansson_writes),
		cmocka_unit_test(compact_check_is_sound_on_random_text),
		cmocka_unit_test(record_with_every_type_matches_api_record_json),
		cmocka_unit_test(null_values_and_null_system_fields_match),
		cmocka_unit_test(number_forms_match),
		cmocka_unit_test(stored_json_text_matches_in_every_shape),
		cmocka_unit_test(invalid_utf8_matches),
		cmocka_unit_test(list_of_records_matches),
		cmocka_unit_test(streamed_pages_match_copied_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
