/*
 * test_geo — the administrative divisions (geo.c over geo/geo_data.c): codes, labels,
 * folding, postal codes, names shared by several communes, restrictions, communes
 * déléguées, every entry's input text read back as itself, and hostile input.
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
