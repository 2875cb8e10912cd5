/*
 * test_usecase — the one core every door calls (SPEC 2.2): who may read, write and
 * trigger what, in which state, at which version, how often, and what reaches the
 * disk when app code fails or loops. The doors' tests (tests/http) check the same
 * rules through HTTP; these check them at the layer that decides them, on a real
 * registry serving tests/apps/flux and tests/apps/boucle (copied by symlink into a
 * temporary apps folder), a real system.db and real app databases.
 *
 * Most tests call without go_async (the command line's way: everything on the calling
 * thread). The pool tests call as the server does: UC_PENDING, then done on another
 * thread.
 */
#include <limits.h>
#include <pthread.h>
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
#include "sandbox.h"
#include "usecase.h"
#include "util.h"
#include "workflow.h"

typedef struct fx {
	store_backend *b;
	char dir[64];
	char apps[96], data[96];
	uc_env env;
	app_rt *flux;
	const def_form *dossier;
	arena mem;
} fx;

static const struct {
	const char *login, *role;
} people[] = {
	{"alice", "demandeur"}, {"bob", "demandeur"}, {"agathe", "agent"},
	{"charles", "chef"},    {"dora", "agent"},    {"dora", "demandeur"},
};

static void add_people(fx *x)
{
	char err[AUTH_ERR_LEN];
	for (size_t i = 0; i < sizeof people / sizeof *people; i++) {
		char email[96];
		snprintf(email, sizeof email, "%s@example.org", people[i].login);
		int rc = auth_user_add(x->env.au, people[i].login, people[i].login, email, false, "pw",
		                       "test", err);
		assert_true(rc == AUTH_OK || rc == AUTH_EXISTS);
		assert_int_equal(auth_grant(x->env.au, people[i].login, "flux", people[i].role, "test"),
		                 AUTH_OK);
	}
	assert_int_equal(auth_user_add(x->env.au, "root", "Root", NULL, true, "pw", "test", err),
	                 AUTH_OK);
}

static void link_app(const fx *x, const char *id)
{
	char target[PATH_MAX], src[128], dst[192];
	snprintf(src, sizeof src, "tests/apps/%s", id);
	assert_non_null(realpath(src, target));
	snprintf(dst, sizeof dst, "%s/%s", x->apps, id);
	assert_int_equal(symlink(target, dst), 0);
}

static int setup(void **state)
{
	fx *x = calloc(1, sizeof *x);
	strcpy(x->dir, "/tmp/test_usecase.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->apps, sizeof x->apps, "%s/apps", x->dir);
	snprintf(x->data, sizeof x->data, "%s/data", x->dir);
	assert_int_equal(mkdir(x->apps, 0700), 0);
	assert_int_equal(mkdir(x->data, 0700), 0);
	link_app(x, "flux");
	link_app(x, "boucle");
	char err[AUTH_ERR_LEN];
	x->b = testdb_open(x->data);
	x->env.au = auth_open(x->b, err);
	assert_non_null(x->env.au);
	registry_opts ro = {.backend = x->b, .apps_dir = x->apps, .data_dir = x->data, .stdlib_dir = "stdlib-lua",
	                    .quiet = true};
	x->env.reg = registry_open(&ro);
	assert_int_equal(registry_scan(x->env.reg), 2);
	snprintf(x->env.base_url, sizeof x->env.base_url, "https://demarches.example.org");
	x->flux = registry_get(x->env.reg, "flux");
	assert_non_null(x->flux);
	x->dossier = def_find_form(x->flux->def, "dossier");
	add_people(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;
	registry_release(x->flux);
	sandbox_pool_close(x->env.lua);
	registry_close(x->env.reg);
	auth_close(x->env.au);
	testdb_close(x->b);
	throttle_close(x->env.th);
	arena_free(&x->mem);
	sandbox_thread_cleanup();
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

/* A call by `login` (NULL: anonymous) on flux/dossier. */
static void call_as(fx *x, uc_call *c, const char *login)
{
	auth_user u = {0};
	if (login)
		assert_int_equal(auth_user_get(x->env.au, login, &u), AUTH_OK);
	uc_call_init(c, &x->env, x->flux, x->dossier, login ? &u : NULL, LANG_FR, &x->mem);
	auth_user_clear(&u);
}

static int col(const fx *x, const char *name)
{
	int c = def_find_col(x->dossier, name);
	assert_true(c >= 0);
	return c;
}

static const char *text(const fx *x, const record *r, const char *name)
{
	const value *v = &r->values[col(x, name)];
	return v->kind == VAL_TEXT ? v->s : NULL;
}

/* A create through the API door: json is the body. */
static uc_status create_json(fx *x, const char *login, const char *json, uc_result *res)
{
	uc_call c;
	call_as(x, &c, login);
	json_t *body = json_loads(json, 0, NULL);
	assert_non_null(body);
	write_in in = {.json = body};
	uc_status st = uc_create(&c, &in, res);
	json_decref(body);
	return st;
}

/* A dossier by alice; its id. */
static int64_t new_dossier(fx *x, const char *objet)
{
	char json[256];
	snprintf(json, sizeof json,
	         "{\"objet\": \"%s\", \"montant\": 500, \"courriel\": \"alice@example.org\"}", objet);
	uc_result res;
	assert_int_equal(create_json(x, "alice", json, &res), UC_OK);
	int64_t id = res.rec.id;
	assert_true(id > 0);
	uc_result_clear(&res);
	return id;
}

static uc_status trigger(fx *x, const char *login, int64_t id, const char *tid,
                         const char *json, const char *comment, uc_result *res)
{
	uc_call c;
	call_as(x, &c, login);
	json_t *body = json ? json_loads(json, 0, NULL) : json_object();
	write_in in = {.json = body};
	uc_status st = uc_trigger(&c, id, tid, -1, &in, comment, res);
	json_decref(body);
	return st;
}

/* The record as an agent (who reads all) sees it now. */
static void stored(fx *x, int64_t id, uc_result *res)
{
	uc_call c;
	call_as(x, &c, "agathe");
	assert_int_equal(uc_read(&c, id, res), UC_OK);
}

static size_t outbox_count(fx *x)
{
	outbox_row *rows = NULL;
	size_t n = 0;
	assert_int_equal(uc_outbox_recent(x->flux, 100, &rows, &n), 0);
	store_outbox_rows_free(rows, n);
	return n;
}

/* ---- creates ---- */

static void a_create_is_stored_in_the_initial_state_and_its_author_reads_it(void **state)
{
	fx *x = *state;
	uc_result res;
	assert_int_equal(create_json(x, "alice", "{\"objet\": \"Toiture\", \"montant\": 1200}", &res),
	                 UC_OK);
	assert_true(res.rec.id > 0);
	assert_string_equal(res.rec.state, "depose");
	assert_string_equal(res.rec.created_by, "alice");
	assert_int_equal(res.rec.version, 1);
	assert_true(res.creator_can_read);
	assert_string_equal(res.tracking, ""); /* a signed-in author follows it in the app */
	int64_t id = res.rec.id;
	uc_result_clear(&res);
	uc_call c;
	call_as(x, &c, "alice");
	assert_int_equal(uc_read(&c, id, &res), UC_OK);
	assert_string_equal(text(x, &res.rec, "objet"), "Toiture");
	assert_int_equal(res.rec.values[col(x, "montant")].i, 1200);
	uc_result_clear(&res);
}

static void an_invalid_create_names_each_field_and_writes_nothing(void **state)
{
	fx *x = *state;
	uc_result res;
	assert_int_equal(create_json(x, "alice", "{\"montant\": 0, \"courriel\": \"pas une adresse\"}",
	                             &res),
	                 UC_INVALID);
	assert_non_null(field_errors_get(&res.errs, "objet"));
	assert_non_null(field_errors_get(&res.errs, "montant"));
	assert_non_null(field_errors_get(&res.errs, "courriel"));
	/* What was typed comes back, to show again. */
	assert_string_equal(text(x, &res.rec, "courriel"), "pas une adresse");
	uc_result_clear(&res);
	uc_call c;
	call_as(x, &c, "agathe");
	uc_list_query q = {.limit = 10};
	store_page page;
	int64_t total = -1;
	assert_int_equal(uc_list_page(&c, &q, &page, &total, &res), UC_OK);
	assert_int_equal(total, 0);
	store_page_free(&page);
}

static void who_may_not_create_is_refused_before_any_check(void **state)
{
	fx *x = *state;
	/* boucle/interne: create = user, and a validate hook that never ends. Refused
	 * before any app code: the answer comes at once, not after the hook's budget. */
	app_rt *boucle = registry_get(x->env.reg, "boucle");
	uc_call c;
	uc_call_init(&c, &x->env, boucle, def_find_form(boucle->def, "interne"), NULL, LANG_FR,
	             &x->mem);
	json_t *body = json_pack("{s:s}", "x", "y");
	write_in in = {.json = body};
	uc_result res;
	assert_int_equal(uc_create(&c, &in, &res), UC_FORBIDDEN);
	assert_int_equal(res.errs.n, 0);
	uc_result_clear(&res);
	json_decref(body);
	registry_release(boucle);
}

static void an_anonymous_create_gets_a_tracking_link_that_shows_states_only(void **state)
{
	fx *x = *state;
	uc_result res;
	assert_int_equal(create_json(x, NULL, "{\"objet\": \"Anonyme\", \"montant\": 10, "
	                                      "\"courriel\": \"c@example.org\"}",
	                             &res),
	                 UC_OK);
	assert_null(res.rec.created_by); /* owned by nobody: no signed-in owner may claim it */
	assert_false(res.creator_can_read);
	assert_int_equal(strlen(res.tracking), TRACKING_TOKEN_LEN - 1);
	char token[TRACKING_TOKEN_LEN];
	strcpy(token, res.tracking);
	int64_t id = res.rec.id;
	uc_result_clear(&res);

	uc_tracking t;
	assert_int_equal(uc_track(&x->env, token, &t), UC_OK);
	assert_int_equal(t.rec.id, id);
	assert_int_equal(t.nsteps, 1);
	assert_string_equal(t.steps[0].state, "depose");
	record_clear(&t.rec);
	registry_release(t.app);

	/* The link follows the record: a refusal shows, its comment does not (states only). */
	assert_int_equal(trigger(x, "agathe", id, "refuser", NULL, "motif interne", &res), UC_OK);
	uc_result_clear(&res);
	assert_int_equal(uc_track(&x->env, token, &t), UC_OK);
	assert_int_equal(t.nsteps, 2);
	assert_string_equal(t.steps[1].state, "refuse");
	record_clear(&t.rec);
	registry_release(t.app);

	/* A token one digit off, a short one, one with other characters: nothing. */
	token[0] = token[0] == '0' ? '1' : '0';
	assert_int_equal(uc_track(&x->env, token, &t), UC_NOT_FOUND);
	assert_int_equal(uc_track(&x->env, "abc", &t), UC_NOT_FOUND);
	memset(token, 'Z', sizeof token - 1);
	assert_int_equal(uc_track(&x->env, token, &t), UC_NOT_FOUND);
	assert_null(t.app);
}

static void anonymous_creates_are_counted_per_address_as_attempted(void **state)
{
	fx *x = *state;
	x->env.th = throttle_open();
	uc_result res;
	/* Invalid attempts count too: failing is no way around the limit. */
	for (int i = 0; i < THROTTLE_SUBMIT_PER_ADDR; i++) {
		uc_call c;
		call_as(x, &c, NULL);
		c.client = "203.0.113.7";
		json_t *body = json_pack("{s:s}", "objet", "sans montant");
		write_in in = {.json = body};
		assert_int_equal(uc_create(&c, &in, &res), UC_INVALID);
		uc_result_clear(&res);
		json_decref(body);
	}
	uc_call c;
	call_as(x, &c, NULL);
	c.client = "203.0.113.7";
	json_t *body = json_pack("{s:s,s:i}", "objet", "valide", "montant", 5);
	write_in in = {.json = body};
	assert_int_equal(uc_create(&c, &in, &res), UC_TOO_MANY);
	assert_int_equal(res.retry_after, 60);
	assert_non_null(strstr(res.msg, "patientez"));
	assert_string_equal(text(x, &res.rec, "objet"), "valide"); /* shown again */
	uc_result_clear(&res);
	/* Another address, and a signed-in person from the same one, go on. */
	c.client = "203.0.113.8";
	assert_int_equal(uc_create(&c, &in, &res), UC_OK);
	uc_result_clear(&res);
	call_as(x, &c, "alice");
	c.client = "203.0.113.7";
	assert_int_equal(uc_create(&c, &in, &res), UC_OK);
	uc_result_clear(&res);
	json_decref(body);
}

/* ---- reads ---- */

static void another_persons_record_does_not_exist_for_a_demandeur(void **state)
{
	fx *x = *state;
	int64_t id = new_dossier(x, "Privé");
	uc_result res;
	uc_call c;
	call_as(x, &c, "bob");
	assert_int_equal(uc_read(&c, id, &res), UC_NOT_FOUND);
	uc_result_clear(&res);
	/* Nor can it be edited, triggered or deleted by him: the same answer, no hint. */
	json_t *body = json_pack("{s:s}", "objet", "piraté");
	write_in in = {.json = body};
	assert_int_equal(uc_edit(&c, id, -1, &in, &res), UC_NOT_FOUND);
	uc_result_clear(&res);
	assert_int_equal(uc_trigger(&c, id, "completer", -1, &in, NULL, &res), UC_NOT_FOUND);
	uc_result_clear(&res);
	assert_int_equal(uc_delete(&c, id, &res), UC_NOT_FOUND);
	uc_result_clear(&res);
	json_decref(body);
	/* A list shows him none of alice's; an agent sees it. */
	uc_list_query q = {.limit = 50};
	store_page page;
	int64_t total = -1;
	assert_int_equal(uc_list_page(&c, &q, &page, &total, &res), UC_OK);
	assert_int_equal(total, 0);
	assert_int_equal(page.n, 0);
	store_page_free(&page);
	call_as(x, &c, "agathe");
	assert_int_equal(uc_list_page(&c, &q, &page, &total, &res), UC_OK);
	assert_int_equal(total, 1);
	store_page_free(&page);
	stored(x, id, &res);
	assert_string_equal(text(x, &res.rec, "objet"), "Privé");
	uc_result_clear(&res);
}

static void lists_refuse_filters_and_sorts_on_fields_the_reader_may_not_see(void **state)
{
	fx *x = *state;
	new_dossier(x, "Un");
	uc_call c;
	call_as(x, &c, "alice");
	uc_result res = {0};
	store_page page;
	int64_t total;
	uc_list_query q = {.limit = 10, .sort = "-note_interne"};
	assert_int_equal(uc_list_page(&c, &q, &page, &total, &res), UC_BAD_QUERY);
	assert_int_equal(res.bad, STORE_BAD_SORT);
	memset(&res, 0, sizeof res);
	store_eq eq = {.col = col(x, "note_interne"), .value = "instruit par agathe"};
	uc_list_query f = {.limit = 10, .eq = &eq, .neq = 1};
	assert_int_equal(uc_list_page(&c, &f, &page, &total, &res), UC_BAD_QUERY);
	assert_int_equal(res.bad, STORE_BAD_FILTER);
	memset(&res, 0, sizeof res);
	uc_list_query unknown = {.limit = 10, .sort = "inconnu"};
	assert_int_equal(uc_list_page(&c, &unknown, &page, &total, &res), UC_BAD_QUERY);
	memset(&res, 0, sizeof res);
	/* An agent may read note_interne, so may sort on it. */
	call_as(x, &c, "agathe");
	assert_int_equal(uc_list_page(&c, &q, &page, &total, &res), UC_OK);
	assert_int_equal(total, 1);
	store_page_free(&page);
}

static void history_hides_private_changes_from_those_who_may_not_read_them(void **state)
{
	fx *x = *state;
	int64_t id = new_dossier(x, "Historique");
	uc_result res;
	/* The action writes note_interne (private to agent and chef). */
	assert_int_equal(trigger(x, "agathe", id, "instruire", NULL, NULL, &res), UC_OK);
	uc_result_clear(&res);
	/* An edit of note_interne alone, by an agent. */
	uc_call c;
	call_as(x, &c, "agathe");
	json_t *body = json_pack("{s:s}", "note_interne", "à rappeler");
	write_in in = {.json = body};
	assert_int_equal(uc_edit(&c, id, -1, &in, &res), UC_OK);
	uc_result_clear(&res);
	json_decref(body);

	store_history_line *h;
	size_t n;
	stored(x, id, &res);
	assert_int_equal(uc_history(&c, &res.rec, &h, &n), UC_OK);
	assert_int_equal(n, 3); /* create, transition, update */
	assert_non_null(json_object_get(h[1].changes, "note_interne"));
	store_history_free(h, n);

	call_as(x, &c, "alice");
	assert_int_equal(uc_history(&c, &res.rec, &h, &n), UC_OK);
	assert_int_equal(n, 2); /* the private edit is not even listed */
	assert_string_equal(h[1].action, "transition");
	assert_null(json_object_get(h[1].changes, "note_interne"));
	store_history_free(h, n);
	uc_result_clear(&res);
}

/* ---- edits ---- */

static void an_edit_at_a_stale_version_conflicts_and_shows_both_versions(void **state)
{
	fx *x = *state;
	int64_t id = new_dossier(x, "Version");
	uc_call c;
	call_as(x, &c, "alice");
	uc_result res;
	json_t *first = json_pack("{s:s}", "objet", "Version 2");
	write_in in = {.json = first};
	assert_int_equal(uc_edit(&c, id, 1, &in, &res), UC_OK);
	assert_int_equal(res.rec.version, 2);
	uc_result_clear(&res);
	/* A second edit made from the page at version 1. */
	json_t *second = json_pack("{s:s}", "objet", "Version B");
	in.json = second;
	assert_int_equal(uc_edit(&c, id, 1, &in, &res), UC_CONFLICT);
	assert_string_equal(text(x, &res.rec, "objet"), "Version B");
	assert_string_equal(text(x, &res.current, "objet"), "Version 2");
	assert_int_equal(res.current.version, 2);
	uc_result_clear(&res);
	stored(x, id, &res);
	assert_string_equal(text(x, &res.rec, "objet"), "Version 2");
	uc_result_clear(&res);
	json_decref(first);
	json_decref(second);
}

static void the_owner_may_not_edit_once_the_state_says_agents_only(void **state)
{
	fx *x = *state;
	int64_t id = new_dossier(x, "Etat");
	uc_result res;
	assert_int_equal(trigger(x, "agathe", id, "instruire", NULL, NULL, &res), UC_OK);
	uc_result_clear(&res);
	uc_call c;
	call_as(x, &c, "alice");
	json_t *body = json_pack("{s:s}", "objet", "trop tard");
	write_in in = {.json = body};
	assert_int_equal(uc_edit(&c, id, -1, &in, &res), UC_FORBIDDEN);
	assert_non_null(strstr(res.msg, "état actuel"));
	uc_result_clear(&res);
	json_decref(body);
	/* Nor delete it: flux declares no delete right, only admins have it. */
	assert_int_equal(uc_delete(&c, id, &res), UC_FORBIDDEN);
	uc_result_clear(&res);
	call_as(x, &c, "root");
	assert_int_equal(uc_delete(&c, id, &res), UC_OK);
	uc_result_clear(&res);
	call_as(x, &c, "agathe");
	assert_int_equal(uc_read(&c, id, &res), UC_NOT_FOUND);
	uc_result_clear(&res);
}

/* ---- transitions ---- */

static void a_transition_runs_its_guard_action_and_mail_in_one_write(void **state)
{
	fx *x = *state;
	int64_t id = new_dossier(x, "Chantier");
	uc_result res;
	assert_int_equal(trigger(x, "agathe", id, "instruire", NULL, NULL, &res), UC_OK);
	assert_string_equal(res.rec.state, "instruit");
	assert_string_equal(text(x, &res.rec, "note_interne"), "instruit par agathe");
	assert_true(res.mail_queued);
	assert_int_equal(res.rec.version, 2);
	uc_result_clear(&res);
	assert_int_equal(outbox_count(x), 1);

	/* The guard refuses a blocked dossier with its reason; nothing is written. */
	int64_t blocked = new_dossier(x, "bloque");
	assert_int_equal(trigger(x, "agathe", blocked, "instruire", NULL, NULL, &res), UC_GUARD);
	assert_string_equal(res.msg, "Un dossier bloqué ne peut pas être instruit.");
	uc_result_clear(&res);
	stored(x, blocked, &res);
	assert_string_equal(res.rec.state, "depose");
	assert_int_equal(res.rec.version, 1);
	uc_result_clear(&res);
	assert_int_equal(outbox_count(x), 1);
}

static void a_transition_checks_role_state_fields_and_comment(void **state)
{
	fx *x = *state;
	int64_t id = new_dossier(x, "Règles");
	uc_result res;
	/* Role: a demandeur may not instruct, and is told why. */
	assert_int_equal(trigger(x, "alice", id, "instruire", NULL, NULL, &res), UC_FORBIDDEN);
	assert_true(res.msg[0] != '\0');
	uc_result_clear(&res);
	/* State: accorder starts from instruit only. */
	assert_int_equal(trigger(x, "charles", id, "accorder", "{\"accorde\": 10, "
	                                               "\"accorde_le\": \"2026-12-01\"}",
	                         NULL, &res),
	                 UC_CONFLICT);
	uc_result_clear(&res);
	/* Unknown transition. */
	assert_int_equal(trigger(x, "agathe", id, "envoler", NULL, NULL, &res), UC_NOT_FOUND);
	uc_result_clear(&res);
	/* A required comment. */
	assert_int_equal(trigger(x, "agathe", id, "refuser", NULL, NULL, &res), UC_INVALID);
	assert_int_equal(res.errs.n, 1);
	uc_result_clear(&res);
	/* The transition's required fields, and its guard on them. */
	assert_int_equal(trigger(x, "agathe", id, "instruire", NULL, NULL, &res), UC_OK);
	uc_result_clear(&res);
	assert_int_equal(trigger(x, "charles", id, "accorder", "{}", NULL, &res), UC_INVALID);
	assert_non_null(field_errors_get(&res.errs, "accorde"));
	assert_non_null(field_errors_get(&res.errs, "accorde_le"));
	uc_result_clear(&res);
	assert_int_equal(trigger(x, "charles", id, "accorder", "{\"accorde\": 200000, "
	                                               "\"accorde_le\": \"2026-12-01\"}",
	                         NULL, &res),
	                 UC_GUARD);
	uc_result_clear(&res);
	/* The form's validate sees the granted amount (over the request: refused). */
	assert_int_equal(trigger(x, "charles", id, "accorder", "{\"accorde\": 600, "
	                                               "\"accorde_le\": \"2026-12-01\"}",
	                         NULL, &res),
	                 UC_INVALID);
	assert_non_null(field_errors_get(&res.errs, "accorde"));
	uc_result_clear(&res);
	assert_int_equal(trigger(x, "charles", id, "accorder", "{\"accorde\": 300, "
	                                               "\"accorde_le\": \"2026-12-01\"}",
	                         NULL, &res),
	                 UC_OK);
	assert_string_equal(res.rec.state, "accorde");
	assert_int_equal(res.rec.values[col(x, "reste")].i, 200); /* recomputed */
	assert_true(res.mail_queued);
	uc_result_clear(&res);
}

static void nobody_approves_their_own_dossier_not_even_an_agent(void **state)
{
	fx *x = *state;
	uc_result res;
	/* dora is agent and demandeur: she files, then instructs (allowed), then grants. */
	assert_int_equal(create_json(x, "dora", "{\"objet\": \"Le mien\", \"montant\": 50}", &res),
	                 UC_OK);
	int64_t id = res.rec.id;
	uc_result_clear(&res);
	assert_int_equal(trigger(x, "dora", id, "instruire", NULL, NULL, &res), UC_OK);
	uc_result_clear(&res);
	uc_call c;
	call_as(x, &c, "dora");
	const def_transition *t = NULL;
	assert_int_equal(uc_trigger_check(&c, id, "accorder", &t, &res), UC_FORBIDDEN);
	assert_non_null(t);
	assert_true(res.msg[0] != '\0');
	uc_result_clear(&res);
	assert_int_equal(trigger(x, "dora", id, "accorder", "{\"accorde\": 50, "
	                                            "\"accorde_le\": \"2026-12-01\"}",
	                         NULL, &res),
	                 UC_FORBIDDEN);
	uc_result_clear(&res);
	/* Nor is it offered to her. */
	stored(x, id, &res);
	const def_transition *avail[16];
	size_t n = uc_transitions(&c, &res.rec, avail);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(avail[i]->id, "accorder");
	uc_result_clear(&res);
}

static void a_failing_action_writes_nothing_and_queues_no_mail(void **state)
{
	fx *x = *state;
	int64_t id = new_dossier(x, "Panne");
	uc_result res;
	assert_int_equal(trigger(x, "agathe", id, "casser", NULL, NULL, &res), UC_ERROR);
	assert_false(res.mail_queued);
	uc_result_clear(&res);
	stored(x, id, &res);
	assert_string_equal(res.rec.state, "depose");
	assert_null(text(x, &res.rec, "note_interne"));
	assert_int_equal(res.rec.version, 1);
	uc_result_clear(&res);
	assert_int_equal(outbox_count(x), 0);
}

static void a_looping_action_is_stopped_and_writes_nothing(void **state)
{
	fx *x = *state;
	int64_t id = new_dossier(x, "Boucle");
	uc_result res;
	assert_int_equal(trigger(x, "agathe", id, "boucler", NULL, NULL, &res), UC_ERROR);
	uc_result_clear(&res);
	stored(x, id, &res);
	assert_string_equal(res.rec.state, "depose");
	uc_result_clear(&res);
}

static void the_tick_moves_overdue_records_as_system_once(void **state)
{
	fx *x = *state;
	int64_t id = new_dossier(x, "Oublié");
	new_dossier(x, "Aussi oublié");
	/* expirer: after 5 days in depose. Four days on, nothing is due. */
	tick_result r = {0};
	uc_tick(&x->env, util_now() + 4 * 86400, NULL, &r);
	assert_int_equal(r.moved, 0);
	uc_tick(&x->env, util_now() + 5 * 86400 + 60, NULL, &r);
	assert_int_equal(r.moved, 2);
	assert_int_equal(r.failed, 0);
	uc_result res;
	stored(x, id, &res);
	assert_string_equal(res.rec.state, "expire");
	assert_string_equal(res.rec.updated_by, WF_SYSTEM);
	uc_result_clear(&res);
	/* The expiry mail went to the dossier's address, twice (one per dossier). */
	assert_int_equal(outbox_count(x), 2);
	/* Nothing left to move. */
	tick_result again = {0};
	uc_tick(&x->env, util_now() + 6 * 86400, NULL, &again);
	assert_int_equal(again.moved, 0);
}

static void metrics_count_records_and_the_writers_work(void **state)
{
	fx *x = *state;
	new_dossier(x, "Un");
	new_dossier(x, "Deux");
	uc_result res;
	assert_int_equal(create_json(x, "alice", "{}", &res), UC_INVALID); /* no write */
	uc_result_clear(&res);
	buf m = BUF_INIT;
	uc_metrics(&x->env, &m);
	const char *t = buf_cstr(&m);
	assert_non_null(strstr(t, "smallapps_records{app=\"flux\",form=\"dossier\"} 2\n"));
	/* Each writer's first job was its migration, at load; then flux's two creates. */
	assert_non_null(strstr(t, "smallapps_store_jobs_total{app=\"flux\"} 3\n"));
	assert_non_null(strstr(t, "smallapps_store_failed_commits_total{app=\"flux\"} 0\n"));
	assert_non_null(strstr(t, "smallapps_store_jobs_total{app=\"boucle\"} 1\n"));
	buf_free(&m);
}

/* ---- sign-in ---- */

static void sign_in_is_throttled_per_address_and_a_session_works(void **state)
{
	fx *x = *state;
	x->env.th = throttle_open();
	uc_session s;
	uc_result res = {0};
	assert_int_equal(uc_login(&x->env, "198.51.100.1", "198.51.100.1", "alice", "faux", &s, &res),
	                 UC_FORBIDDEN);
	memset(&res, 0, sizeof res);
	assert_int_equal(uc_login(&x->env, "198.51.100.1", "198.51.100.1", "alice", "pw", &s, &res),
	                 UC_OK);
	auth_user u = {0};
	char csrf[AUTH_TOKEN_LEN];
	assert_int_equal(uc_session_user(&x->env, s.token, &u, csrf), UC_OK);
	assert_string_equal(u.login, "alice");
	assert_string_equal(csrf, s.csrf);
	auth_user_clear(&u);
	uc_logout(&x->env, s.token, "alice", "198.51.100.1");
	assert_int_equal(uc_session_user(&x->env, s.token, &u, csrf), UC_FORBIDDEN);
	auth_user_clear(&s.user);
	/* Spraying from one address: after the per-address limit, even a right password waits. */
	for (int i = 0; i < THROTTLE_LOGIN_PER_ADDR; i++) {
		char login[16];
		snprintf(login, sizeof login, "u%d", i);
		memset(&res, 0, sizeof res);
		assert_int_equal(uc_login(&x->env, "198.51.100.2", "198.51.100.2", login, "x", &s, &res),
		                 UC_FORBIDDEN);
	}
	memset(&res, 0, sizeof res);
	assert_int_equal(uc_login(&x->env, "198.51.100.2", "198.51.100.2", "bob", "pw", &s, &res),
	                 UC_TOO_MANY);
	assert_true(res.retry_after > 0);
	/* Bob, from his own address, is not locked out. */
	memset(&res, 0, sizeof res);
	assert_int_equal(uc_login(&x->env, "198.51.100.3", "198.51.100.3", "bob", "pw", &s, &res),
	                 UC_OK);
	auth_user_clear(&s.user);
}

/* ---- the pool: the server's way ---- */

typedef struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool async, done;
	uc_status status;
} waiter;

static void w_go_async(void *arg)
{
	((waiter *)arg)->async = true;
}

static void w_done(void *arg, uc_result *res)
{
	waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->status = res->status;
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Runs a create or trigger as the server does; the final status. */
static uc_status on_pool(uc_call *c, int64_t id, const char *tid, json_t *body, uc_result *res)
{
	waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	c->go_async = w_go_async;
	c->done = w_done;
	c->arg = &w;
	write_in in = {.json = body};
	uc_status st = tid ? uc_trigger(c, id, tid, -1, &in, NULL, res) : uc_create(c, &in, res);
	if (st != UC_PENDING) {
		assert_false(w.async);
		return st;
	}
	assert_true(w.async);
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	assert_int_equal(res->status, w.status);
	return w.status;
}

static void with_a_pool_writes_answer_later_and_the_same(void **state)
{
	fx *x = *state;
	x->env.lua = sandbox_pool_open(&(sandbox_pool_config){.threads = 2});
	assert_non_null(x->env.lua);
	uc_call c;
	uc_result res;
	call_as(x, &c, "alice");
	json_t *body = json_pack("{s:s,s:i}", "objet", "Par le pool", "montant", 70);
	assert_int_equal(on_pool(&c, 0, NULL, body, &res), UC_OK);
	int64_t id = res.rec.id;
	uc_result_clear(&res);
	json_decref(body);
	call_as(x, &c, "agathe");
	json_t *none = json_object();
	assert_int_equal(on_pool(&c, id, "instruire", none, &res), UC_OK);
	assert_string_equal(res.rec.state, "instruit");
	uc_result_clear(&res);
	/* Checks that need no app code still answer at once. */
	call_as(x, &c, "bob");
	assert_int_equal(on_pool(&c, id, "completer", none, &res), UC_NOT_FOUND);
	uc_result_clear(&res);
	json_decref(none);
}

static void an_app_whose_code_keeps_looping_is_suspended_alone(void **state)
{
	fx *x = *state;
	x->env.lua = sandbox_pool_open(&(sandbox_pool_config){.threads = 2});
	app_rt *boucle = registry_get(x->env.reg, "boucle");
	assert_non_null(boucle);
	const def_form *pub = def_find_form(boucle->def, "public");
	uc_result res;
	json_t *body = json_pack("{s:s}", "x", "y");
	/* Three overruns within a minute trip the breaker. */
	for (int i = 0; i < 3; i++) {
		uc_call c;
		uc_call_init(&c, &x->env, boucle, pub, NULL, LANG_FR, &x->mem);
		assert_int_equal(on_pool(&c, 0, NULL, body, &res), UC_ERROR);
		uc_result_clear(&res);
	}
	uc_call c;
	uc_call_init(&c, &x->env, boucle, pub, NULL, LANG_FR, &x->mem);
	assert_int_equal(on_pool(&c, 0, NULL, body, &res), UC_UNAVAILABLE);
	assert_true(res.retry_after >= 1 && res.retry_after <= 30);
	uc_result_clear(&res);
	/* Its form without code goes on, and so does the other app's code. */
	auth_user u = {0};
	assert_int_equal(auth_user_get(x->env.au, "alice", &u), AUTH_OK);
	uc_call_init(&c, &x->env, boucle, def_find_form(boucle->def, "sobre"), &u, LANG_FR, &x->mem);
	assert_int_equal(on_pool(&c, 0, NULL, body, &res), UC_OK);
	uc_result_clear(&res);
	auth_user_clear(&u);
	call_as(x, &c, "alice");
	json_t *ok = json_pack("{s:s,s:i}", "objet", "Voisin", "montant", 3);
	assert_int_equal(on_pool(&c, 0, NULL, ok, &res), UC_OK);
	uc_result_clear(&res);
	json_decref(ok);
	json_decref(body);
	/* Nothing of boucle's public form was written. */
	uc_call_init(&c, &x->env, boucle, pub, NULL, LANG_FR, &x->mem);
	c.who.admin = true;
	uc_list_query q = {.limit = 10};
	store_page page;
	int64_t total = -1;
	assert_int_equal(uc_list_page(&c, &q, &page, &total, &res), UC_OK);
	assert_int_equal(total, 0);
	store_page_free(&page);
	registry_release(boucle);
}

/* ---- exports ---- */

typedef struct seen_rows {
	int64_t n, last_id;
	bool in_order, note; /* ids ascending; a note_interne value was seen */
	int note_col;
} seen_rows;

static void seen_row(void *arg, const record *r)
{
	seen_rows *s = arg;
	s->in_order = s->in_order && r->id > s->last_id;
	s->last_id = r->id;
	s->note = s->note || r->values[s->note_col].kind != VAL_NULL;
	s->n++;
}

/* Every page of an export by login; the rows seen. */
static uc_status export_all(fx *x, const char *login, const uc_export_opts *o, seen_rows *s,
                            bool *note_col_exported)
{
	uc_call c;
	call_as(x, &c, login);
	uc_list_query q = {.limit = 1, .sort = "id"};
	uc_result res;
	uc_export *e;
	uc_status st = uc_export_open(&c, &q, o, &e, &res);
	if (st != UC_OK)
		return st;
	*s = (seen_rows){.in_order = true, .note_col = col(x, "note_interne")};
	*note_col_exported = uc_export_cols(e)[s->note_col];
	int n, pages = 0;
	while ((n = uc_export_next(e, seen_row, s)) > 0)
		pages++;
	assert_int_equal(n, 0);
	assert_int_equal(uc_export_rows(e), s->n);
	assert_true(pages >= 1);
	uc_export_close(e);
	return UC_OK;
}

static void count_exports(void *arg, const char *at, const char *who, const char *action,
                          const char *target, const char *detail)
{
	(void)at, (void)who, (void)target, (void)detail;
	*(int *)arg += strcmp(action, "export") == 0;
}

static void an_export_reads_every_page_of_what_the_reader_may_read(void **state)
{
	fx *x = *state;
	for (int i = 0; i < 1100; i++) /* more than two pages of 500 */
		new_dossier(x, "lot");
	uc_result res;
	assert_int_equal(create_json(x, "bob", "{\"objet\": \"de bob\", \"montant\": 3}", &res),
	                 UC_OK);
	uc_result_clear(&res);
	int64_t id = new_dossier(x, "noté");
	assert_int_equal(trigger(x, "agathe", id, "instruire", NULL, NULL, &res), UC_OK);
	uc_result_clear(&res);
	seen_rows s;
	bool note;
	uc_export_opts csv = {.format = "csv", .door = "test"};
	assert_int_equal(export_all(x, "alice", &csv, &s, &note), UC_OK);
	assert_int_equal(s.n, 1101); /* hers only */
	assert_true(s.in_order);
	assert_false(note); /* private to agents and chefs: not a column for her */
	assert_int_equal(export_all(x, "agathe", &csv, &s, &note), UC_OK);
	assert_int_equal(s.n, 1102);
	assert_true(note && s.note);
	/* open data: not for one who reads her own only; without personal or private fields */
	uc_export_opts od = {.open_data = true, .format = "csv", .door = "test"};
	assert_int_equal(export_all(x, "alice", &od, &s, &note), UC_FORBIDDEN);
	assert_int_equal(export_all(x, "agathe", &od, &s, &note), UC_OK);
	assert_int_equal(s.n, 1102);
	assert_false(note);
	assert_false(uc_open_data_col(&x->dossier->fields[2])); /* courriel: personal */
	assert_true(uc_open_data_col(&x->dossier->fields[0]));
	/* a bad query is refused at open, before anything is sent */
	uc_call c;
	call_as(x, &c, "agathe");
	uc_list_query bad = {.limit = 1, .sort = "inconnu"};
	uc_export *e = NULL;
	assert_int_equal(uc_export_open(&c, &bad, &csv, &e, &res), UC_BAD_QUERY);
	assert_null(e);
	int audits = 0;
	assert_int_equal(auth_audit_list(x->env.au, 100, count_exports, &audits), AUTH_OK);
	assert_int_equal(audits, 3); /* one per export that ran */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_create_is_stored_in_the_initial_state_and_its_author_reads_it),
		T(an_invalid_create_names_each_field_and_writes_nothing),
		T(who_may_not_create_is_refused_before_any_check),
		T(an_anonymous_create_gets_a_tracking_link_that_shows_states_only),
		T(anonymous_creates_are_counted_per_address_as_attempted),
		T(another_persons_record_does_not_exist_for_a_demandeur),
		T(lists_refuse_filters_and_sorts_on_fields_the_reader_may_not_see),
		T(history_hides_private_changes_from_those_who_may_not_read_them),
		T(an_edit_at_a_stale_version_conflicts_and_shows_both_versions),
		T(the_owner_may_not_edit_once_the_state_says_agents_only),
		T(a_transition_runs_its_guard_action_and_mail_in_one_write),
		T(a_transition_checks_role_state_fields_and_comment),
		T(nobody_approves_their_own_dossier_not_even_an_agent),
		T(a_failing_action_writes_nothing_and_queues_no_mail),
		T(a_looping_action_is_stopped_and_writes_nothing),
		T(the_tick_moves_overdue_records_as_system_once),
		T(metrics_count_records_and_the_writers_work),
		T(sign_in_is_throttled_per_address_and_a_session_works),
		T(with_a_pool_writes_answer_later_and_the_same),
		T(an_app_whose_code_keeps_looping_is_suspended_alone),
		T(an_export_reads_every_page_of_what_the_reader_may_read),
	};
#undef T
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
