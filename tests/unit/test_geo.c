/*
 * test_geo — the administrative divisions (geo.c over geo/geo_data.c) and the territory
 * fields (validate_geo.c): codes, labels, folding, postal codes, names shared by several
 * communes, restrictions, communes déléguées, every entry's input text read back as
 * itself, and hostile input. tests/http/geo.py checks the fields through both doors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geo.h"
#include "geo_data.h"
#include "outbox.h"
#include "validate.h"
#include "validate_geo.h"

static geo_ref must_find(geo_kind k, const char *code)
{
	geo_ref e = {k, -1};
	assert_true(geo_find(k, code, &e));
	return e;
}

static void assert_label(geo_ref e, const char *want)
{
	buf b = BUF_INIT;
	geo_label(e, &b);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void codes_names_and_labels(void **state)
{
	(void)state;
	geo_ref sete = must_find(GEO_COMMUNE, "34301");
	assert_string_equal(geo_name(sete), "Sète");
	assert_label(sete, "Sète (34)");
	assert_string_equal(geo_commune_type(sete), "commune-actuelle");
	assert_label(must_find(GEO_DEPARTEMENT, "34"), "Hérault (34)");
	assert_label(must_find(GEO_DEPARTEMENT, "2A"), "Corse-du-Sud (2A)");
	assert_label(must_find(GEO_DEPARTEMENT, "971"), "Guadeloupe (971)");
	assert_label(must_find(GEO_REGION, "76"), "Occitanie");
	assert_label(must_find(GEO_EPCI, "200066355"), "CA Sète Agglopôle Méditerranée");
	assert_label(must_find(GEO_COMMUNE, "2A004"), "Ajaccio (2A)");
	assert_string_equal(geo_epci_type(must_find(GEO_EPCI, "200066355")), "CA");

	geo_ref d, r, epci;
	assert_true(geo_departement_of(sete, &d) && strcmp(geo_code(d), "34") == 0);
	assert_true(geo_region_of(sete, &r) && strcmp(geo_code(r), "76") == 0);
	assert_true(geo_epci_of(sete, &epci) && strcmp(geo_code(epci), "200066355") == 0);
	assert_int_equal(geo_postal_count(sete), 1);
	char cp[6];
	geo_postal_code(sete, 0, cp);
	assert_string_equal(cp, "34200");
	geo_postal_code(sete, 1, cp); /* past the end */
	assert_string_equal(cp, "");
	/* the collectivités d'outre-mer have départements but no région */
	assert_false(geo_region_of(must_find(GEO_DEPARTEMENT, "987"), &r));
	assert_int_equal(geo_count(GEO_REGION), 18);

	/* unknown, malformed, hostile codes */
	const char *bad[] = {"", "99999", "3430", "343011", "34301 ", "2C", "Sète", "0", NULL};
	for (size_t i = 0; bad[i]; i++) {
		geo_ref e;
		assert_false(geo_find(GEO_COMMUNE, bad[i], &e));
	}
	geo_ref e;
	assert_false(geo_find(GEO_COMMUNE, NULL, &e));
	assert_false(geo_find(GEO_REGION, "975", &e));
	assert_false(geo_find(GEO_EPCI, "2000663550000", &e));
	assert_string_equal(geo_code((geo_ref){GEO_COMMUNE, -1}), "");
	assert_string_equal(geo_name((geo_ref){GEO_EPCI, 1 << 20}), "");
}

static void article_of_names(void **state)
{
	(void)state;
	const struct {
		geo_kind k;
		const char *code, *want;
	} cases[] = {{GEO_DEPARTEMENT, "34", "de l'Hérault"},
		     {GEO_DEPARTEMENT, "30", "du Gard"},
		     {GEO_DEPARTEMENT, "48", "de la Lozère"},
		     {GEO_DEPARTEMENT, "66", "des Pyrénées-Orientales"},
		     {GEO_DEPARTEMENT, "75", "de Paris"},
		     {GEO_DEPARTEMENT, "28", "d'Eure-et-Loir"},
		     {GEO_REGION, "11", "d'Île-de-France"}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		buf b = BUF_INIT;
		geo_put_of(must_find(cases[i].k, cases[i].code), &b);
		assert_string_equal(buf_cstr(&b), cases[i].want);
		buf_free(&b);
	}
}

/* What the binary searches rely on: every table in code order, postal codes in order. */
static void tables_are_in_the_order_searches_need(void **state)
{
	(void)state;
	for (int k = 0; k < GEO__KINDS; k++)
		for (size_t i = 1; i < geo_count((geo_kind)k); i++) {
			int c = strcmp(geo_code((geo_ref){(geo_kind)k, (int)i - 1}),
				       geo_code((geo_ref){(geo_kind)k, (int)i}));
			assert_true(k == GEO_COMMUNE ? c <= 0 : c < 0);
			if (k == GEO_COMMUNE && c == 0) /* a shared code: the commune actuelle first */
				assert_true(geo_communes[i - 1].kind <= geo_communes[i].kind);
		}
	for (size_t i = 1; i < geo_npostal_codes; i++)
		assert_true(geo_postal_codes[geo_postal_order[i - 1]] <=
			    geo_postal_codes[geo_postal_order[i]]);
	assert_true(strlen(geo_version()) >= 5);
}

static void assert_fold(const char *in, const char *want)
{
	char out[GEO_FOLD_SIZE];
	assert_true(geo_fold(in, strlen(in), out, sizeof out));
	assert_string_equal(out, want);
}

static void folding_ignores_case_accents_and_separators(void **state)
{
	(void)state;
	assert_fold("Sète", "sete");
	assert_fold("SÈTE", "sete");
	assert_fold("Saint-Étienne", "saintetienne");
	assert_fold("saint etienne", "saintetienne");
	assert_fold("St Étienne", "saintetienne");
	assert_fold("st-etienne", "saintetienne");
	assert_fold("Ste-Colombe", "saintecolombe");
	assert_fold("St", "st"); /* a word of its own: maybe Stenay */
	assert_fold("Stenay", "stenay");
	assert_fold("L'Haÿ-les-Roses", "lhaylesroses");
	assert_fold("L’Haÿ les Roses", "lhaylesroses"); /* typographic apostrophe */
	assert_fold("Œuilly", "oeuilly");
	assert_fold("Château-Chinon (Ville)", "chateauchinonville");
	assert_fold("  ÎLE\xc2\xa0" "DE\xe2\x80\xaf" "France ", "iledefrance");
	assert_fold("Łódź", "lodz");
	assert_fold("Αθήνα", "Αθήνα"); /* other scripts kept as they are */
	assert_fold("", "");
	assert_fold("- ' .", "");

	char out[GEO_FOLD_SIZE], small[4];
	assert_false(geo_fold("S\xc3", 2, out, sizeof out));     /* cut sequence */
	assert_false(geo_fold("\xff\xfe", 2, out, sizeof out));  /* not UTF-8 */
	assert_false(geo_fold("\xc0\xaf", 2, out, sizeof out));  /* overlong */
	assert_false(geo_fold("ab\0cd", 5, out, sizeof out));    /* a NUL inside */
	assert_false(geo_fold("Sainte", 6, small, sizeof small)); /* no room */
	assert_string_equal(small, "");
	assert_false(geo_fold(NULL, 0, out, sizeof out));
	char big[GEO_FOLD_SIZE + 1];
	memset(big, 'a', sizeof big);
	assert_false(geo_fold(big, sizeof big, out, sizeof out)); /* longer than any name */
	assert_string_equal(out, "");
}

static geo_match resolve(geo_kind k, const char *text, const geo_scope *s, geo_ref *out,
			 size_t max, size_t *n)
{
	return geo_resolve(k, text, s, out, max, n);
}

static void postal_codes_resolve_to_their_communes(void **state)
{
	(void)state;
	geo_ref c[50];
	size_t n;
	/* 34200 is Sète's postal code and Pézènes-les-Mines' INSEE code: people mean the first */
	assert_int_equal(resolve(GEO_COMMUNE, "34200", NULL, c, 50, &n), GEO_ONE);
	assert_string_equal(geo_code(c[0]), "34301");
	assert_int_equal(resolve(GEO_COMMUNE, " 42000 ", NULL, c, 50, &n), GEO_ONE);
	assert_string_equal(geo_name(c[0]), "Saint-Étienne");
	/* an INSEE code that is no postal code */
	assert_int_equal(resolve(GEO_COMMUNE, "34301", NULL, c, 50, &n), GEO_ONE);
	assert_string_equal(geo_name(c[0]), "Sète");
	/* 46 communes share 51300 */
	assert_int_equal(resolve(GEO_COMMUNE, "51300", NULL, c, 50, &n), GEO_SEVERAL);
	assert_int_equal(n, 46);
	for (size_t i = 0; i < n; i++) {
		bool has = false;
		char cp[6];
		for (size_t k = 0; k < geo_postal_count(c[i]); k++) {
			geo_postal_code(c[i], k, cp);
			has = has || strcmp(cp, "51300") == 0;
		}
		assert_true(has);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(c[i].row, c[j].row);
	}
	assert_int_equal(resolve(GEO_COMMUNE, "51300", NULL, c, 10, &n), GEO_TOO_MANY);
	assert_int_equal(n, 10);
	/* 13001: Marseille; with the arrondissements, its 1st too */
	assert_int_equal(resolve(GEO_COMMUNE, "13001", NULL, c, 50, &n), GEO_ONE);
	assert_string_equal(geo_code(c[0]), "13055");
	geo_scope all = {.deleguees = true};
	assert_int_equal(resolve(GEO_COMMUNE, "13001", &all, c, 50, &n), GEO_SEVERAL);
	assert_int_equal(n, 2);
	/* a postal code outside the restriction: nothing, not the INSEE code of the same digits */
	geo_scope gard = {.departement = "30"};
	assert_int_equal(resolve(GEO_COMMUNE, "34200", &gard, c, 50, &n), GEO_NONE);
	assert_int_equal(resolve(GEO_COMMUNE, "00000", NULL, c, 50, &n), GEO_NONE);
}

static void names_shared_by_several_communes(void **state)
{
	(void)state;
	geo_ref c[50];
	size_t n;
	assert_int_equal(resolve(GEO_COMMUNE, "Saint-Aubin", NULL, c, 50, &n), GEO_SEVERAL);
	assert_int_equal(n, 10);
	assert_int_equal(resolve(GEO_COMMUNE, "saint aubin (02)", NULL, c, 50, &n), GEO_ONE);
	assert_string_equal(geo_code(c[0]), "02671");
	geo_scope aisne = {.departement = "02"};
	assert_int_equal(resolve(GEO_COMMUNE, "ST AUBIN", &aisne, c, 50, &n), GEO_ONE);
	assert_string_equal(geo_code(c[0]), "02671");
	/* exact names win over longer ones; a name's start is only offered */
	assert_int_equal(resolve(GEO_COMMUNE, "montpellier", NULL, c, 50, &n), GEO_ONE);
	assert_string_equal(geo_code(c[0]), "34172");
	assert_int_equal(resolve(GEO_COMMUNE, "Montpel", NULL, c, 50, &n), GEO_SEVERAL);
	assert_int_equal(n, 2);
	assert_int_equal(resolve(GEO_COMMUNE, "Sete", NULL, c, 50, &n), GEO_ONE);
	assert_int_equal(resolve(GEO_COMMUNE, "Sète (34)", NULL, c, 50, &n), GEO_ONE);
	assert_int_equal(resolve(GEO_COMMUNE, "Sète (34301)", NULL, c, 50, &n), GEO_ONE);
	assert_int_equal(resolve(GEO_COMMUNE, "Sète (30)", NULL, c, 50, &n), GEO_NONE);
	assert_int_equal(resolve(GEO_COMMUNE, "Saint", NULL, c, 50, &n), GEO_TOO_MANY);
	assert_int_equal(resolve(GEO_COMMUNE, "Château-Chinon (Ville)", NULL, c, 50, &n), GEO_ONE);
	assert_int_equal(resolve(GEO_COMMUNE, "Château-Chinon (Ville) (58)", NULL, c, 50, &n),
			 GEO_ONE);
	/* two EPCI share a name: their codes tell them apart */
	assert_int_equal(resolve(GEO_EPCI, "CC des Quatre Rivières", NULL, c, 50, &n), GEO_SEVERAL);
	assert_int_equal(n, 2);
	assert_int_equal(resolve(GEO_EPCI, "CC des Quatre Rivières (247400666)", NULL, c, 50, &n),
			 GEO_ONE);
	assert_int_equal(resolve(GEO_DEPARTEMENT, "herault", NULL, c, 50, &n), GEO_ONE);
	assert_int_equal(resolve(GEO_DEPARTEMENT, "2a", NULL, c, 50, &n), GEO_ONE);
	assert_string_equal(geo_code(c[0]), "2A");
	assert_int_equal(resolve(GEO_REGION, "ile de france", NULL, c, 50, &n), GEO_ONE);
	assert_int_equal(resolve(GEO_REGION, "76", NULL, c, 50, &n), GEO_ONE);
}

static void restrictions(void **state)
{
	(void)state;
	geo_ref nimes = must_find(GEO_COMMUNE, "30189"), sete = must_find(GEO_COMMUNE, "34301");
	geo_scope herault = {.departement = "34"}, occitanie = {.region = "76"},
		  idf = {.region = "11"};
	assert_int_equal(geo_in_scope(sete, &herault), GEO_IN);
	assert_int_equal(geo_in_scope(nimes, &herault), GEO_OUT_DEPARTEMENT);
	assert_int_equal(geo_in_scope(nimes, &occitanie), GEO_IN);
	assert_int_equal(geo_in_scope(nimes, &idf), GEO_OUT_REGION);
	assert_int_equal(geo_in_scope(must_find(GEO_DEPARTEMENT, "34"), &idf), GEO_OUT_REGION);
	assert_int_equal(geo_in_scope(must_find(GEO_DEPARTEMENT, "987"), &idf), GEO_OUT_REGION);
	geo_ref epci = must_find(GEO_EPCI, "200066355");
	assert_int_equal(geo_in_scope(epci, &herault), GEO_IN);
	assert_int_equal(geo_in_scope(epci, &(geo_scope){.departement = "30"}),
			 GEO_OUT_DEPARTEMENT);
	assert_int_equal(geo_in_scope(epci, &idf), GEO_OUT_REGION);
	/* an EPCI across départements is in each */
	geo_ref deps[GEO_EPCI_MAXDEPS];
	size_t nd = 0;
	for (size_t i = 0; i < geo_count(GEO_EPCI) && nd < 2; i++) {
		epci = (geo_ref){GEO_EPCI, (int)i};
		nd = geo_epci_departements(epci, deps, GEO_EPCI_MAXDEPS);
	}
	assert_true(nd >= 2);
	for (size_t i = 0; i < nd; i++)
		assert_int_equal(geo_in_scope(epci, &(geo_scope){.departement = geo_code(deps[i])}),
				 GEO_IN);

	geo_ref c[8];
	size_t n;
	assert_int_equal(resolve(GEO_COMMUNE, "Nîmes", &herault, c, 8, &n), GEO_NONE);
	assert_int_equal(resolve(GEO_COMMUNE, "Nîmes", &occitanie, c, 8, &n), GEO_ONE);
	assert_int_equal(resolve(GEO_DEPARTEMENT, "Gard", &idf, c, 8, &n), GEO_NONE);
	assert_int_equal(geo_search(GEO_COMMUNE, "saint", &herault, c, 8), 8);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(geo_in_scope(c[i], &herault), GEO_IN);
}

static void communes_deleguees(void **state)
{
	(void)state;
	geo_ref beon = must_find(GEO_COMMUNE, "01039"), parent, c[4];
	size_t n;
	assert_string_equal(geo_commune_type(beon), "commune-deleguee");
	assert_false(geo_is_current(beon));
	assert_true(geo_parent(beon, &parent));
	assert_string_equal(geo_code(parent), "01138");
	assert_int_equal(geo_in_scope(beon, NULL), GEO_IN);
	assert_int_equal(geo_in_scope(beon, &(geo_scope){0}), GEO_NOT_CURRENT);
	geo_scope all = {.deleguees = true};
	assert_int_equal(geo_in_scope(beon, &all), GEO_IN);
	/* current communes only: a déléguée's name is offered as its commune, to confirm */
	assert_int_equal(resolve(GEO_COMMUNE, "Béon (01)", NULL, c, 4, &n), GEO_SEVERAL);
	assert_int_equal(n, 1);
	assert_string_equal(geo_code(c[0]), "01138");
	assert_int_equal(resolve(GEO_COMMUNE, "Béon (01)", &all, c, 4, &n), GEO_ONE);
	assert_string_equal(geo_code(c[0]), "01039");
	/* a déléguée sharing its commune nouvelle's code is that commune */
	geo_ref shared = must_find(GEO_COMMUNE, "01015");
	assert_string_equal(geo_name(shared), "Arboys en Bugey");
	assert_true(geo_is_current(shared));
	assert_int_equal(resolve(GEO_COMMUNE, "Arbignieu", &all, c, 4, &n), GEO_SEVERAL);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].row, shared.row);
	/* a name a commune and a déléguée of another code share */
	assert_int_equal(resolve(GEO_COMMUNE, "Bernwiller (68)", NULL, c, 4, &n), GEO_ONE);
	assert_int_equal(resolve(GEO_COMMUNE, "Bernwiller (68)", &all, c, 4, &n), GEO_SEVERAL);
	assert_int_equal(n, 2);
	assert_string_equal(geo_commune_type(must_find(GEO_COMMUNE, "13201")),
			    "arrondissement-municipal");
}

/* Every entry's input text reads back as that entry: an edited record keeps its value. */
static void every_input_text_reads_back(void **state)
{
	(void)state;
	geo_scope current = {0}, all = {.deleguees = true};
	for (int k = 0; k < GEO__KINDS; k++) {
		for (size_t i = 0; i < geo_count((geo_kind)k); i++) {
			geo_ref e = {(geo_kind)k, (int)i}, same, c[2];
			geo_find(e.kind, geo_code(e), &same);
			if (same.row != e.row)
				continue; /* a déléguée under its commune nouvelle's code */
			const geo_scope *s = geo_is_current(e) ? &current : &all;
			buf b = BUF_INIT;
			geo_input_text(e, s, &b);
			size_t n;
			geo_match m = geo_resolve(e.kind, buf_cstr(&b), s, c, 2, &n);
			if (m != GEO_ONE || c[0].row != e.row)
				fail_msg("%s %s: \"%s\" reads back as %d", geo_code(e), geo_name(e),
					 buf_cstr(&b), (int)m);
			buf_free(&b);
		}
	}
	buf b = BUF_INIT;
	geo_input_text(must_find(GEO_COMMUNE, "34301"), &current, &b);
	assert_string_equal(buf_cstr(&b), "Sète (34)");
	buf_reset(&b);
	geo_input_text(must_find(GEO_EPCI, "247400666"), &current, &b);
	assert_string_equal(buf_cstr(&b), "CC des Quatre Rivières (247400666)");
	buf_free(&b);
}

static void search_for_suggestions(void **state)
{
	(void)state;
	geo_ref c[20];
	size_t n = geo_search(GEO_COMMUNE, "sete", NULL, c, 20);
	assert_true(n >= 1);
	assert_string_equal(geo_code(c[0]), "34301"); /* the exact name first */
	n = geo_search(GEO_COMMUNE, "342", NULL, c, 20);
	assert_int_equal(n, 20);
	for (size_t i = 0; i < n; i++) {
		char cp[6];
		bool has = false;
		for (size_t k = 0; k < geo_postal_count(c[i]); k++) {
			geo_postal_code(c[i], k, cp);
			has = has || strncmp(cp, "342", 3) == 0;
		}
		assert_true(has);
	}
	assert_int_equal(geo_search(GEO_COMMUNE, "34301", NULL, c, 20), 1);
	n = geo_search(GEO_DEPARTEMENT, "2", NULL, c, 20);
	assert_true(n >= 10);
	assert_int_equal(geo_search(GEO_REGION, "occ", NULL, c, 20), 1);
	assert_int_equal(geo_search(GEO_EPCI, "200066355", NULL, c, 20), 1);
	assert_int_equal(geo_search(GEO_COMMUNE, "saint", NULL, c, 5), 5);
}

static void hostile_input_matches_nothing(void **state)
{
	(void)state;
	char big[10000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	const char *bad[] = {"", "   ", "\t\n", big, "S\xc3", "\xff\xfe\xfd", "\xed\xa0\x80",
			     "()", "(34)", " (", "zzzzzzzz", "%", "'; DROP TABLE", NULL};
	geo_ref c[4];
	size_t n = 9;
	for (int k = 0; k < GEO__KINDS; k++)
		for (size_t i = 0; bad[i]; i++) {
			geo_match m = geo_resolve((geo_kind)k, bad[i], NULL, c, 4, &n);
			if (m != GEO_NONE)
				fail_msg("kind %d, input %zu: %d", k, i, (int)m);
			assert_int_equal(n, 0);
			assert_int_equal(geo_search((geo_kind)k, bad[i], NULL, c, 4), 0);
		}
	assert_int_equal(geo_resolve(GEO_COMMUNE, NULL, NULL, c, 4, &n), GEO_NONE);
	assert_int_equal(geo_resolve(GEO__KINDS, "34", NULL, c, 4, &n), GEO_NONE);
	assert_int_equal(geo_resolve(GEO_COMMUNE, "Sète", NULL, c, 0, &n), GEO_NONE);
	assert_int_equal(geo_search(GEO_COMMUNE, NULL, NULL, c, 4), 0);
	/* white space around does not count; past GEO_TEXT_MAX bytes, nothing is read */
	memset(big, ' ', 300);
	strcpy(big + 300, "Sète");
	assert_int_equal(geo_resolve(GEO_COMMUNE, big, NULL, c, 4, &n), GEO_ONE);
	memset(big, 'x', 201);
	big[201] = '\0';
	assert_int_equal(geo_resolve(GEO_COMMUNE, big, NULL, c, 4, &n), GEO_NONE);
}

/* ---- the fields ---- */

static def_field field(field_type t, const char *dep, const char *region, bool deleguees)
{
	def_field f;
	memset(&f, 0, sizeof f);
	f.name = "lieu";
	f.label = "Lieu";
	f.type = t;
	f.geo_departement = dep;
	f.geo_region = region;
	f.geo_deleguees = deleguees;
	return f;
}

static int check(const def_field *f, const char *code, char *msg, char **normalised)
{
	value v = {VAL_NULL, 0, 0, NULL};
	value_set_text(&v, code);
	int rc = validate_check(f, &v, 0, LANG_FR, msg);
	if (normalised)
		*normalised = v.s ? strdup(v.s) : NULL;
	value_clear(&v);
	return rc;
}

static void fields_check_codes_with_clear_messages(void **state)
{
	(void)state;
	char msg[VALIDATE_MSG];
	def_field herault = field(FT_COMMUNE, "34", NULL, false);
	assert_int_equal(check(&herault, "34301", msg, NULL), 0);
	assert_int_equal(check(&herault, "30189", msg, NULL), -1);
	assert_string_equal(msg, "Cette commune n'est pas dans le département de l'Hérault (34).");
	assert_int_equal(check(&herault, "99999", msg, NULL), -1);
	assert_string_equal(msg,
			    "« 99999 » n'est pas un code de commune (code INSEE, par exemple 34301).");
	def_field occitanie = field(FT_COMMUNE, NULL, "76", false);
	assert_int_equal(check(&occitanie, "75056", msg, NULL), -1);
	assert_string_equal(msg, "Cette commune n'est pas dans la région Occitanie.");
	def_field any = field(FT_COMMUNE, NULL, NULL, false);
	assert_int_equal(check(&any, "01039", msg, NULL), -1);
	assert_string_equal(msg, "Béon (01) est une commune déléguée : indiquez sa commune, "
				 "Culoz-Béon (01), code 01138.");
	def_field all = field(FT_COMMUNE, NULL, NULL, true);
	assert_int_equal(check(&all, "01039", msg, NULL), 0);
	char *norm = NULL;
	assert_int_equal(check(&any, "2a004", msg, &norm), 0);
	assert_string_equal(norm, "2A004");
	free(norm);
	def_field dep = field(FT_DEPARTEMENT, NULL, "76", false);
	assert_int_equal(check(&dep, "34", msg, NULL), 0);
	assert_int_equal(check(&dep, "2B", msg, NULL), -1);
	assert_string_equal(msg, "Ce département n'est pas dans la région Occitanie.");
	def_field epci = field(FT_EPCI, "30", NULL, false);
	assert_int_equal(check(&epci, "200066355", msg, NULL), -1);
	assert_string_equal(msg, "Cet EPCI n'a aucune commune dans le département du Gard (30).");
	def_field reg = field(FT_REGION, NULL, NULL, false);
	assert_int_equal(check(&reg, "975", msg, NULL), -1);
	assert_string_equal(msg, "« 975 » n'est pas un code de région (par exemple 76).");
	/* a long hostile value is cut in the message, on a character boundary */
	char big[300];
	memset(big, 'e', sizeof big - 1);
	memcpy(big + 59, "é", 2); /* across the cut at 60 bytes */
	big[sizeof big - 1] = '\0';
	assert_int_equal(check(&reg, big, msg, NULL), -1);
	assert_non_null(strstr(msg, "e…"));
	assert_true(strlen(msg) < 120);
	value v = {VAL_INT, 34, 0, NULL};
	assert_int_equal(validate_check(&dep, &v, 0, LANG_FR, msg), -1);
}

static int parse(const def_field *f, const char *const *in, size_t nin, char *msg, buf *code)
{
	value v;
	int rc = validate_parse_form(f, in, nin, &v, LANG_FR, msg);
	if (code && v.kind == VAL_TEXT)
		buf_puts(code, v.s);
	value_clear(&v);
	return rc;
}

static void form_input_resolves_or_asks(void **state)
{
	(void)state;
	char msg[VALIDATE_MSG];
	buf code = BUF_INIT;
	def_field any = field(FT_COMMUNE, NULL, NULL, false);
	const char *postal[] = {"34200"};
	assert_int_equal(parse(&any, postal, 1, msg, &code), 0);
	assert_string_equal(buf_cstr(&code), "34301");
	const char *blank[] = {"  "};
	buf_reset(&code);
	assert_int_equal(parse(&any, blank, 1, msg, &code), 0);
	assert_string_equal(buf_cstr(&code), ""); /* NULL: blank */
	const char *shared[] = {"Saint-Aubin"};
	assert_int_equal(parse(&any, shared, 1, msg, NULL), -1);
	assert_string_equal(msg, "Plusieurs communes correspondent à « Saint-Aubin » : choisissez "
				 "la bonne ci-dessous.");
	geo_ref c[VALIDATE_GEO_CHOICES];
	assert_int_equal(validate_geo_choices(&any, "Saint-Aubin", c, VALIDATE_GEO_CHOICES), 10);
	assert_int_equal(validate_geo_choices(&any, "Sète", c, VALIDATE_GEO_CHOICES), 0);
	/* a chosen candidate comes first, the text box after it */
	const char *chosen[] = {"Saint-Aubin (02)", "Saint-Aubin"};
	buf_reset(&code);
	assert_int_equal(parse(&any, chosen, 2, msg, &code), 0);
	assert_string_equal(buf_cstr(&code), "02671");
	const char *none[] = {"Zzyzx"};
	assert_int_equal(parse(&any, none, 1, msg, NULL), -1);
	assert_string_equal(msg, "Aucune commune ne correspond à « Zzyzx » : saisissez son nom, "
				 "son code postal ou son code INSEE.");
	def_field herault = field(FT_COMMUNE, "34", NULL, false);
	const char *paris[] = {"Paris"};
	assert_int_equal(parse(&herault, paris, 1, msg, NULL), -1);
	assert_string_equal(msg, "Aucune commune du département de l'Hérault (34) ne correspond à "
				 "« Paris » : saisissez son nom, son code postal ou son code INSEE.");
	const char *many[] = {"Saint"};
	assert_int_equal(parse(&any, many, 1, msg, NULL), -1);
	assert_non_null(strstr(msg, "Trop de communes"));
	const char *bad[] = {"S\xc3"};
	assert_int_equal(parse(&any, bad, 1, msg, NULL), -1);
	def_field epci = field(FT_EPCI, NULL, NULL, false);
	const char *one[] = {"CA Sète Agglopôle"};
	assert_int_equal(parse(&epci, one, 1, msg, NULL), -1);
	assert_string_equal(msg, "Un EPCI correspond à « CA Sète Agglopôle » : confirmez-le "
				 "ci-dessous, ou saisissez-en un autre.");

	/* display, sheet and input text: the label; an unknown code as it is */
	value v = {VAL_NULL, 0, 0, NULL};
	value_set_text(&v, "34301");
	buf_reset(&code);
	validate_display(&any, &v, LANG_FR, &code);
	assert_string_equal(buf_cstr(&code), "Sète (34)");
	buf_reset(&code);
	validate_sheet(&any, &v, &code);
	assert_string_equal(buf_cstr(&code), "Sète (34)");
	buf_reset(&code);
	validate_input_text(&any, &v, &code);
	assert_string_equal(buf_cstr(&code), "Sète (34)");
	value_set_text(&v, "99999");
	buf_reset(&code);
	validate_display(&any, &v, LANG_FR, &code);
	assert_string_equal(buf_cstr(&code), "99999");
	value_clear(&v);

	/* a list filter: a code as it is (34200: Pézènes-les-Mines), else a name's code */
	bool or_null;
	const char *filters[][2] = {{"Sète", "34301"}, {"34200", "34200"}, {"sete (34)", "34301"},
				    {"Saint-Aubin", "Saint-Aubin"}, {"zz", "zz"}};
	for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
		assert_int_equal(validate_filter(&any, filters[i][0], &v, &or_null), FILTER_VALUE);
		assert_string_equal(v.s, filters[i][1]);
		value_clear(&v);
	}
	buf_free(&code);
}

/* Mails name the territories as pages do. */
static void mails_show_the_label(void **state)
{
	(void)state;
	def_field fields[2] = {field(FT_COMMUNE, NULL, NULL, false),
			       field(FT_DEPARTEMENT, NULL, NULL, false)};
	fields[0].col = 0;
	fields[1].name = "dep";
	fields[1].col = 1;
	const def_field *cols[2] = {&fields[0], &fields[1]};
	def_form form = {.id = "f", .title = "F", .fields = fields, .nfields = 2, .cols = cols,
			 .ncols = 2};
	def_app app = {.id = "a", .title = "A", .forms = &form, .nforms = 1};
	record r;
	record_init(&r, &form);
	value_set_text(&r.values[0], "34301");
	value_set_text(&r.values[1], "2A");
	outbox_list out = {0};
	char err[OUTBOX_ERR_LEN];
	assert_int_equal(outbox_render(&app, &form, &r, "a@example.org", "{{lieu}}",
				       "{{lieu}}, {{dep}}", NULL, &out, err),
			 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].subject, "Sète (34)");
	assert_string_equal(out.v[0].body, "Sète (34), Corse-du-Sud (2A)");
	outbox_list_clear(&out);
	record_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(codes_names_and_labels),
	    cmocka_unit_test(article_of_names),
	    cmocka_unit_test(tables_are_in_the_order_searches_need),
	    cmocka_unit_test(folding_ignores_case_accents_and_separators),
	    cmocka_unit_test(postal_codes_resolve_to_their_communes),
	    cmocka_unit_test(names_shared_by_several_communes),
	    cmocka_unit_test(restrictions),
	    cmocka_unit_test(communes_deleguees),
	    cmocka_unit_test(every_input_text_reads_back),
	    cmocka_unit_test(search_for_suggestions),
	    cmocka_unit_test(hostile_input_matches_nothing),
	    cmocka_unit_test(fields_check_codes_with_clear_messages),
	    cmocka_unit_test(form_input_resolves_or_asks),
	    cmocka_unit_test(mails_show_the_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
