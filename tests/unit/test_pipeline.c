/*
 * test_pipeline — the write pipeline of SPEC 4.7, step by step, on tests/apps/essai:
 * parsing by type (HTML pairs and JSON objects agree), fields the person may not
 * write, defaults, visible_if, compute, required and required_if, the form's
 * validate, on_create, and app code that fails or never ends. Nothing is written:
 * the pipeline only builds the record (usecase_write writes it).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testdb.h"

#include "log.h"
#include "pipeline.h"
#include "util.h"

typedef struct fx {
	store_backend *b;
	char dir[64];
	registry *reg;
	app_rt *app;
	const def_form *demande;
	actor alice, agent;
} fx;

static const char *const demandeur_roles[] = {"demandeur"};
static const char *const agent_roles[] = {"agent"};

static int setup(void **state)
{
	fx *x = calloc(1, sizeof *x);
	strcpy(x->dir, "/tmp/test_pipeline.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	char apps[128], data[128], target[PATH_MAX], link[192];
	snprintf(apps, sizeof apps, "%s/apps", x->dir);
	snprintf(data, sizeof data, "%s/data", x->dir);
	assert_int_equal(mkdir(apps, 0700), 0);
	assert_int_equal(mkdir(data, 0700), 0);
	assert_non_null(realpath("tests/apps/essai", target));
	snprintf(link, sizeof link, "%s/essai", apps);
	assert_int_equal(symlink(target, link), 0);
	x->b = testdb_open(data);
	registry_opts ro = {.backend = x->b, .apps_dir = apps, .data_dir = data, .stdlib_dir = "stdlib-lua",
	                    .quiet = true};
	x->reg = registry_open(&ro);
	assert_int_equal(registry_scan(x->reg), 1);
	x->app = registry_get(x->reg, "essai");
	x->demande = def_find_form(x->app->def, "demande");
	x->alice = (actor){.login = "alice", .name = "Alice", .roles = demandeur_roles, .nroles = 1};
	x->agent = (actor){.login = "agathe", .name = "Agathe", .roles = agent_roles, .nroles = 1};
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;
	registry_release(x->app);
	registry_close(x->reg);
	testdb_close(x->b);
	sandbox_thread_cleanup();
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

static pipe_ctx ctx(fx *x, const actor *who, const char *form)
{
	return (pipe_ctx){.app = x->app, .form = def_find_form(x->app->def, form), .who = who,
	                  .lg = LANG_FR, .now = util_now()};
}

static const value *val(const pipe_ctx *c, const record *r, const char *name)
{
	int col = def_find_col(c->form, name);
	assert_true(col >= 0);
	return &r->values[col];
}

/* A create from a JSON body; the status, errors in *errs (cleared by the caller). */
static int create_json(const pipe_ctx *c, const char *json, record *out, field_errors *errs,
                       char err[SANDBOX_ERR])
{
	json_t *body = json_loads(json, 0, NULL);
	assert_non_null(body);
	write_in in = {.json = body};
	memset(errs, 0, sizeof *errs);
	err[0] = '\0';
	int rc = pipeline_create(c, &in, out, errs, err);
	json_decref(body);
	return rc;
}

static int create_pairs(const pipe_ctx *c, const pipe_pair *p, size_t n, record *out,
                        field_errors *errs, char err[SANDBOX_ERR])
{
	write_in in = {.pairs = p, .npairs = n};
	memset(errs, 0, sizeof *errs);
	err[0] = '\0';
	return pipeline_create(c, &in, out, errs, err);
}

static void html_and_json_build_the_same_record(void **state)
{
	fx *x = *state;
	pipe_ctx c = ctx(x, &x->alice, "demande");
	const pipe_pair p[] = {
		{"objet", "Chaises"}, {"quantite", "12"},      {"taux", "1,5"},
		{"montant", "99,90"}, {"urgent", "on"},        {"motif", "Salle comble"},
		{"le", "2027-01-15"}, {"tags", "x"},           {"tags", "z"},
		{"cp", "34200"},      {"categorie", "b"},      {"precision", "pliantes"},
		{"_csrf", "ignored"}, {"courriel", "a@ex.fr"},
	};
	record h, j;
	field_errors eh, ej;
	char err[SANDBOX_ERR];
	assert_int_equal(create_pairs(&c, p, sizeof p / sizeof *p, &h, &eh, err), PIPE_OK);
	assert_int_equal(create_json(&c,
	                             "{\"objet\": \"Chaises\", \"quantite\": 12, \"taux\": 1.5, "
	                             "\"montant\": 99.90, \"urgent\": true, \"motif\": \"Salle comble\", "
	                             "\"le\": \"2027-01-15\", \"tags\": [\"x\", \"z\"], \"cp\": \"34200\", "
	                             "\"categorie\": \"b\", \"precision\": \"pliantes\", "
	                             "\"courriel\": \"a@ex.fr\"}",
	                             &j, &ej, err),
	                 PIPE_OK);
	for (size_t col = 0; col < c.form->ncols; col++)
		if (!value_equal(&h.values[col], &j.values[col]))
			fail_msg("column %s differs between the doors", c.form->cols[col]->name);
	assert_int_equal(val(&c, &h, "montant")->i, 9990); /* cents */
	assert_int_equal(val(&c, &h, "total")->i, 24);     /* computed */
	assert_string_equal(val(&c, &h, "reference")->s, "REF-alice"); /* on_create */
	assert_string_equal(h.state, "deposee");
	assert_string_equal(h.created_by, "alice");
	record_clear(&h);
	record_clear(&j);
}

static void each_bad_value_is_named_and_no_app_code_runs(void **state)
{
	fx *x = *state;
	pipe_ctx c = ctx(x, &x->alice, "demande");
	record r;
	field_errors e;
	char err[SANDBOX_ERR];
	/* quantite "abc" cannot be typed: validate (which would see it) does not run, and
	 * the other fields are still checked. */
	const pipe_pair p[] = {{"objet", "interdit"}, {"quantite", "abc"}, {"cp", "342"},
	                       {"tags", "x"},         {"tags", "y"},       {"tags", "z"},
	                       {"le", "2019-12-31"}};
	assert_int_equal(create_pairs(&c, p, sizeof p / sizeof *p, &r, &e, err), PIPE_INVALID);
	assert_non_null(field_errors_get(&e, "quantite"));
	assert_non_null(field_errors_get(&e, "cp"));
	assert_non_null(field_errors_get(&e, "tags"));
	assert_non_null(field_errors_get(&e, "le"));
	assert_null(field_errors_get(&e, "objet")); /* validate's message: not reached */
	/* What was typed stays, to be shown again. */
	assert_string_equal(val(&c, &r, "quantite")->s, "abc");
	field_errors_clear(&e);
	record_clear(&r);
	/* JSON is typed: a number in a string, an unknown key, a typo. */
	assert_int_equal(create_json(&c, "{\"objet\": \"x\", \"quantite\": \"3\", \"inconnu\": 1}",
	                             &r, &e, err),
	                 PIPE_INVALID);
	assert_non_null(field_errors_get(&e, "quantite"));
	assert_string_equal(field_errors_get(&e, "inconnu"), "Champ inconnu.");
	field_errors_clear(&e);
	record_clear(&r);
}

static void fields_the_person_may_not_write_are_refused_by_both_doors(void **state)
{
	fx *x = *state;
	pipe_ctx c = ctx(x, &x->alice, "demande");
	record r;
	field_errors e;
	char err[SANDBOX_ERR];
	/* computed, read-only, and private to agents (unknown to alice, like a typo) */
	assert_int_equal(create_json(&c, "{\"objet\": \"x\", \"quantite\": 1, \"total\": 99, "
	                                 "\"reference\": \"FAUX\", \"note_interne\": \"n\"}",
	                             &r, &e, err),
	                 PIPE_INVALID);
	assert_string_equal(field_errors_get(&e, "total"), "Vous ne pouvez pas modifier ce champ.");
	assert_string_equal(field_errors_get(&e, "reference"), "Vous ne pouvez pas modifier ce champ.");
	assert_string_equal(field_errors_get(&e, "note_interne"), "Champ inconnu.");
	field_errors_clear(&e);
	record_clear(&r);
	const pipe_pair p[] = {{"objet", "x"}, {"quantite", "1"}, {"note_interne", "n"}};
	assert_int_equal(create_pairs(&c, p, 3, &r, &e, err), PIPE_INVALID);
	assert_non_null(field_errors_get(&e, "note_interne"));
	field_errors_clear(&e);
	record_clear(&r);
	/* An agent may write note_interne (editable_by agent) on an existing record. */
	pipe_ctx a = ctx(x, &x->agent, "demande");
	record old;
	assert_int_equal(create_json(&c, "{\"objet\": \"x\", \"quantite\": 1}", &old, &e, err),
	                 PIPE_OK);
	json_t *body = json_pack("{s:s}", "note_interne", "vu");
	write_in in = {.json = body};
	memset(&e, 0, sizeof e);
	assert_int_equal(pipeline_update(&a, &old, &in, &r, &e, err), PIPE_OK);
	assert_string_equal(val(&a, &r, "note_interne")->s, "vu");
	assert_string_equal(val(&a, &r, "objet")->s, "x"); /* not submitted: kept */
	assert_string_equal(r.updated_by, "agathe");
	assert_string_equal(r.created_by, "alice");
	json_decref(body);
	record_clear(&r);
	record_clear(&old);
}

static void defaults_fill_only_what_a_create_did_not_carry(void **state)
{
	fx *x = *state;
	pipe_ctx c = ctx(x, &x->alice, "demande");
	record r, u;
	field_errors e;
	char err[SANDBOX_ERR];
	assert_int_equal(create_json(&c, "{\"objet\": \"x\", \"quantite\": 1}", &r, &e, err), PIPE_OK);
	assert_string_equal(val(&c, &r, "categorie")->s, "a"); /* default */
	/* An edit that does not mention it keeps the stored value, even if it differs. */
	value_clear((value *)val(&c, &r, "categorie"));
	value_set_text((value *)val(&c, &r, "categorie"), "b");
	value_set_text((value *)val(&c, &r, "precision"), "p");
	json_t *body = json_pack("{s:i}", "quantite", 2);
	write_in in = {.json = body};
	memset(&e, 0, sizeof e);
	assert_int_equal(pipeline_update(&c, &r, &in, &u, &e, err), PIPE_OK);
	assert_string_equal(val(&c, &u, "categorie")->s, "b");
	assert_int_equal(val(&c, &u, "total")->i, 4); /* recomputed */
	json_decref(body);
	record_clear(&r);
	record_clear(&u);
}

static void hidden_fields_are_cleared_and_required_only_when_shown(void **state)
{
	fx *x = *state;
	pipe_ctx c = ctx(x, &x->alice, "demande");
	record r;
	field_errors e;
	char err[SANDBOX_ERR];
	/* motif shows when urgent: sent while hidden, it is dropped (even if malformed). */
	assert_int_equal(create_json(&c, "{\"objet\": \"x\", \"quantite\": 1, \"urgent\": false, "
	                                 "\"motif\": 12}",
	                             &r, &e, err),
	                 PIPE_OK);
	assert_int_equal(val(&c, &r, "motif")->kind, VAL_NULL);
	record_clear(&r);
	/* Shown, it is required. */
	assert_int_equal(create_json(&c, "{\"objet\": \"x\", \"quantite\": 1, \"urgent\": true}", &r,
	                             &e, err),
	                 PIPE_INVALID);
	assert_string_equal(field_errors_get(&e, "motif"), "Ce champ est obligatoire.");
	assert_int_equal(e.n, 1);
	field_errors_clear(&e);
	record_clear(&r);
	/* required_if: precision when categorie is b. */
	assert_int_equal(create_json(&c, "{\"objet\": \"x\", \"quantite\": 1, \"categorie\": \"b\"}",
	                             &r, &e, err),
	                 PIPE_INVALID);
	assert_non_null(field_errors_get(&e, "precision"));
	field_errors_clear(&e);
	record_clear(&r);
}

static void validate_speaks_for_a_field_or_the_whole_form(void **state)
{
	fx *x = *state;
	pipe_ctx c = ctx(x, &x->alice, "demande");
	record r;
	field_errors e;
	char err[SANDBOX_ERR];
	assert_int_equal(create_json(&c, "{\"objet\": \"interdit\", \"quantite\": 1}", &r, &e, err),
	                 PIPE_INVALID);
	assert_string_equal(field_errors_get(&e, "objet"), "Cet objet est interdit.");
	field_errors_clear(&e);
	record_clear(&r);
	assert_int_equal(create_json(&c, "{\"objet\": \"x\", \"quantite\": 13}", &r, &e, err),
	                 PIPE_INVALID);
	assert_string_equal(field_errors_get(&e, "_"), "Pas de 13.");
	field_errors_clear(&e);
	record_clear(&r);
}

static void app_code_that_never_ends_is_an_error_not_a_hang(void **state)
{
	fx *x = *state;
	pipe_ctx c = ctx(x, &x->alice, "lent");
	record r;
	field_errors e;
	char err[SANDBOX_ERR];
	assert_int_equal(create_json(&c, "{\"x\": \"y\"}", &r, &e, err), PIPE_ERROR);
	assert_true(err[0] != '\0');
	assert_int_equal(e.n, 0);
	field_errors_clear(&e);
	record_clear(&r);
	/* The thread's state for this app is sound afterwards: the next call works. */
	pipe_ctx d = ctx(x, &x->alice, "demande");
	assert_int_equal(create_json(&d, "{\"objet\": \"x\", \"quantite\": 1}", &r, &e, err), PIPE_OK);
	record_clear(&r);
}

static void echo_parses_and_checks_nothing(void **state)
{
	fx *x = *state;
	pipe_ctx c = ctx(x, &x->alice, "demande");
	const pipe_pair p[] = {{"objet", "Écho"}, {"quantite", "500"}};
	write_in in = {.pairs = p, .npairs = 2};
	record r;
	pipeline_echo(&c, &in, &r);
	assert_string_equal(val(&c, &r, "objet")->s, "Écho");
	assert_int_equal(val(&c, &r, "quantite")->i, 500); /* over max: not checked */
	assert_int_equal(val(&c, &r, "categorie")->kind, VAL_NULL); /* no default */
	assert_int_equal(val(&c, &r, "total")->kind, VAL_NULL);     /* no compute */
	record_clear(&r);
}

static void changes_name_each_differing_column_old_and_new(void **state)
{
	fx *x = *state;
	pipe_ctx c = ctx(x, &x->alice, "demande");
	record a, b;
	field_errors e;
	char err[SANDBOX_ERR];
	assert_int_equal(create_json(&c, "{\"objet\": \"x\", \"quantite\": 2}", &a, &e, err), PIPE_OK);
	json_t *ch = pipeline_changes(c.form, NULL, &a);
	assert_non_null(json_object_get(ch, "objet"));
	assert_true(json_is_null(json_array_get(json_object_get(ch, "objet"), 0)));
	assert_null(json_object_get(ch, "details")); /* null before and after */
	json_decref(ch);
	record_copy(&b, &a);
	value_clear((value *)val(&c, &b, "quantite"));
	value_set_int((value *)val(&c, &b, "quantite"), 3);
	ch = pipeline_changes(c.form, &a, &b);
	assert_int_equal(json_object_size(ch), 1);
	json_t *q = json_object_get(ch, "quantite");
	assert_int_equal(json_integer_value(json_array_get(q, 0)), 2);
	assert_int_equal(json_integer_value(json_array_get(q, 1)), 3);
	json_decref(ch);
	record_clear(&a);
	record_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(html_and_json_build_the_same_record),
		cmocka_unit_test(each_bad_value_is_named_and_no_app_code_runs),
		cmocka_unit_test(fields_the_person_may_not_write_are_refused_by_both_doors),
		cmocka_unit_test(defaults_fill_only_what_a_create_did_not_carry),
		cmocka_unit_test(hidden_fields_are_cleared_and_required_only_when_shown),
		cmocka_unit_test(validate_speaks_for_a_field_or_the_whole_form),
		cmocka_unit_test(app_code_that_never_ends_is_an_error_not_a_hang),
		cmocka_unit_test(echo_parses_and_checks_nothing),
		cmocka_unit_test(changes_name_each_differing_column_old_and_new),
	};
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, setup, teardown);
}
