/*
 * test_workflow — transitions (SPEC 4.5) below the use-case layer, on
 * tests/apps/flux: what is offered to whom, the order of the checks, what a prepared
 * transition carries (state, fields, action's changes, mails with their link), what
 * its write does at a stale version, and the refusal messages. Records are written
 * through the store's writer, as usecase_write does.
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
#include "util.h"
#include "workflow.h"

typedef struct fx {
	store_backend *b;
	char dir[64];
	registry *reg;
	app_rt *app;
	const def_form *f;
	actor alice, bob, agent, chef, root;
} fx;

static const char *const demandeur[] = {"demandeur"};
static const char *const agent[] = {"agent"};
static const char *const chef[] = {"chef"};

static int setup(void **state)
{
	fx *x = calloc(1, sizeof *x);
	strcpy(x->dir, "/tmp/test_workflow.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	char apps[128], data[128], target[PATH_MAX], link[192];
	snprintf(apps, sizeof apps, "%s/apps", x->dir);
	snprintf(data, sizeof data, "%s/data", x->dir);
	assert_int_equal(mkdir(apps, 0700), 0);
	assert_int_equal(mkdir(data, 0700), 0);
	assert_non_null(realpath("tests/apps/flux", target));
	snprintf(link, sizeof link, "%s/flux", apps);
	assert_int_equal(symlink(target, link), 0);
	x->b = testdb_open(data);
	registry_opts ro = {.backend = x->b, .apps_dir = apps, .data_dir = data, .stdlib_dir = "stdlib-lua",
	                    .quiet = true};
	x->reg = registry_open(&ro);
	assert_int_equal(registry_scan(x->reg), 1);
	x->app = registry_get(x->reg, "flux");
	x->f = def_find_form(x->app->def, "dossier");
	x->alice = (actor){.login = "alice", .roles = demandeur, .nroles = 1};
	x->bob = (actor){.login = "bob", .roles = demandeur, .nroles = 1};
	x->agent = (actor){.login = "agathe", .roles = agent, .nroles = 1};
	x->chef = (actor){.login = "charles", .roles = chef, .nroles = 1};
	x->root = (actor){.login = "root", .admin = true};
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

static pipe_ctx ctx(fx *x, const actor *who)
{
	return (pipe_ctx){.app = x->app, .form = x->f, .who = who, .lg = LANG_FR, .now = util_now()};
}

typedef struct ins {
	const def_form *f;
	record *r;
} ins;

static int insert_rec(store_tx *tx, void *arg)
{
	ins *i = arg;
	return store_tx_insert(tx, i->f, i->r);
}

/* A stored dossier by alice with this objet; out: as stored (id, version 1). */
static void new_dossier(fx *x, const char *objet, record *out)
{
	pipe_ctx c = ctx(x, &x->alice);
	json_t *body = json_pack("{s:s,s:i,s:s}", "objet", objet, "montant", 500, "courriel",
	                         "alice@example.org");
	write_in in = {.json = body};
	field_errors e = {0};
	char err[SANDBOX_ERR];
	assert_int_equal(pipeline_create(&c, &in, out, &e, err), PIPE_OK);
	json_decref(body);
	ins i = {x->f, out};
	assert_int_equal(store_write_sync(x->app->db, insert_rec, &i), STORE_OK);
	assert_true(out->id > 0);
}

static const def_transition *tr(fx *x, const char *id)
{
	const def_transition *t = def_find_transition(x->f, id);
	assert_non_null(t);
	return t;
}

/* workflow_prepare with a JSON body (NULL: none); job freed unless kept. */
static int prepare(fx *x, const actor *who, const record *old, const char *tid,
                   const char *json, const char *comment, wf_job *job, field_errors *e,
                   char msg[SANDBOX_ERR])
{
	pipe_ctx c = ctx(x, who);
	json_t *body = json ? json_loads(json, 0, NULL) : json_object();
	write_in in = {.json = body};
	memset(e, 0, sizeof *e);
	msg[0] = '\0';
	int rc = workflow_prepare(&c, old, tr(x, tid), &in, comment, "https://ex.org", job, e, msg);
	json_decref(body);
	return rc;
}

static bool offered(const fx *x, const actor *a, const record *r, const char *tid)
{
	const def_transition *v[32];
	size_t n = workflow_available(x->f, a, r, v);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->id, tid) == 0)
			return true;
	return false;
}

static void each_person_is_offered_what_their_role_and_the_state_allow(void **state)
{
	fx *x = *state;
	record r;
	new_dossier(x, "Offres", &r);
	assert_true(offered(x, &x->agent, &r, "instruire"));
	assert_true(offered(x, &x->agent, &r, "refuser"));
	assert_false(offered(x, &x->agent, &r, "accorder")); /* from instruit only */
	assert_false(offered(x, &x->agent, &r, "expirer"));  /* automatic: nobody's button */
	assert_true(offered(x, &x->alice, &r, "completer")); /* owner */
	assert_false(offered(x, &x->bob, &r, "completer"));  /* not his */
	assert_false(offered(x, &x->alice, &r, "instruire"));
	record_clear(&r);
}

static void the_checks_answer_in_the_documented_order(void **state)
{
	fx *x = *state;
	record r;
	new_dossier(x, "bloque", &r);
	wf_job job;
	field_errors e;
	char msg[SANDBOX_ERR];
	/* role before state: a demandeur asking to grant a deposited dossier */
	assert_int_equal(prepare(x, &x->bob, &r, "accorder", NULL, NULL, &job, &e, msg),
	                 WF_FORBIDDEN);
	assert_string_equal(msg, "Cette action est réservée à : Agent, Chef.");
	wf_job_free(&job);
	/* state before guard and fields */
	assert_int_equal(prepare(x, &x->chef, &r, "accorder", NULL, NULL, &job, &e, msg), WF_CONFLICT);
	wf_job_free(&job);
	/* guard before the comment check */
	assert_int_equal(prepare(x, &x->agent, &r, "instruire", NULL, NULL, &job, &e, msg), WF_GUARD);
	assert_string_equal(msg, "Un dossier bloqué ne peut pas être instruit.");
	wf_job_free(&job);
	/* a required comment, blank */
	assert_int_equal(prepare(x, &x->agent, &r, "refuser", NULL, "   ", &job, &e, msg), WF_INVALID);
	assert_non_null(field_errors_get(&e, WF_COMMENT));
	field_errors_clear(&e);
	wf_job_free(&job);
	record_clear(&r);
}

static void a_prepared_transition_carries_state_changes_and_mail(void **state)
{
	fx *x = *state;
	record r;
	new_dossier(x, "Préparé", &r);
	wf_job job;
	field_errors e;
	char msg[SANDBOX_ERR];
	/* instruire takes no comment: one sent is refused, not dropped */
	assert_int_equal(prepare(x, &x->agent, &r, "instruire", NULL, "vu", &job, &e, msg), WF_INVALID);
	assert_non_null(field_errors_get(&e, WF_COMMENT));
	field_errors_clear(&e);
	wf_job_free(&job);
	assert_int_equal(prepare(x, &x->agent, &r, "instruire", NULL, NULL, &job, &e, msg), WF_OK);
	assert_string_equal(job.rec.state, "instruit");
	assert_string_equal(job.from_state, "depose");
	assert_null(job.comment);
	assert_string_equal(job.actor, "agathe");
	assert_int_equal(job.expect_version, r.version);
	/* The action's write is a change of the history line. */
	json_t *ch = json_object_get(job.changes, "note_interne");
	assert_non_null(ch);
	assert_string_equal(json_string_value(json_array_get(ch, 1)), "instruit par agathe");
	/* Its notify: to the role, placeholders filled, a link to the record appended. */
	assert_int_equal(job.mail.n, 1);
	assert_string_equal(job.mail.v[0].to, "role:chef");
	char subject[64];
	snprintf(subject, sizeof subject, "Dossier %lld à suivre", (long long)r.id);
	assert_string_equal(job.mail.v[0].subject, subject);
	char link[96];
	snprintf(link, sizeof link, "https://ex.org/a/flux/dossier/%lld", (long long)r.id);
	assert_non_null(strstr(job.mail.v[0].body, link));
	/* Written: the state moves, with one history line. */
	assert_int_equal(store_write_sync(x->app->db, workflow_apply, &job), STORE_OK);
	wf_job_free(&job);
	store_history_line *h;
	size_t n;
	assert_int_equal(store_history(x->app->db, x->f, r.id, &h, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].action, "transition");
	assert_string_equal(h[0].transition, "instruire");
	assert_null(h[0].comment);
	store_history_free(h, n);
	record_clear(&r);
}

static void a_transition_written_at_a_stale_version_is_refused(void **state)
{
	fx *x = *state;
	record r;
	new_dossier(x, "Course", &r);
	wf_job a, b;
	field_errors e;
	char msg[SANDBOX_ERR];
	/* Two agents prepare on the same version; the first to commit wins. */
	assert_int_equal(prepare(x, &x->agent, &r, "instruire", NULL, NULL, &a, &e, msg), WF_OK);
	assert_int_equal(prepare(x, &x->agent, &r, "refuser", NULL, "non", &b, &e, msg), WF_OK);
	assert_int_equal(store_write_sync(x->app->db, workflow_apply, &a), STORE_OK);
	assert_int_equal(store_write_sync(x->app->db, workflow_apply, &b), STORE_CONFLICT);
	wf_job_free(&a);
	wf_job_free(&b);
	record now;
	assert_int_equal(store_get(x->app->db, x->f, r.id, NULL, util_now(), &now), STORE_OK);
	assert_string_equal(now.state, "instruit");
	assert_int_equal(now.version, r.version + 1);
	record_clear(&now);
	record_clear(&r);
}

static void a_transition_is_no_back_door_to_a_column(void **state)
{
	fx *x = *state;
	record r;
	new_dossier(x, "Porte", &r);
	const def_transition *t = tr(x, "completer");
	/* completer's field writes avis_agent, which only agents may edit. */
	assert_false(workflow_field_writable(x->f, &t->fields[0], &x->alice, &r));
	wf_job job;
	field_errors e;
	char msg[SANDBOX_ERR];
	int rc = prepare(x, &x->alice, &r, "completer", "{\"avis_agent\": \"favorable\"}", NULL, &job,
	                 &e, msg);
	assert_int_equal(rc, WF_INVALID);
	assert_non_null(field_errors_get(&e, "avis_agent"));
	field_errors_clear(&e);
	wf_job_free(&job);
	record_clear(&r);
}

static void separation_of_duties_binds_admins_and_says_so(void **state)
{
	fx *x = *state;
	/* A dossier created by root, instructed, then granted by root: refused. */
	pipe_ctx c = ctx(x, &x->root);
	json_t *body = json_pack("{s:s,s:i}", "objet", "Le sien", "montant", 5);
	write_in in = {.json = body};
	field_errors e = {0};
	char msg[SANDBOX_ERR];
	record r;
	assert_int_equal(pipeline_create(&c, &in, &r, &e, msg), PIPE_OK);
	json_decref(body);
	ins i = {x->f, &r};
	assert_int_equal(store_write_sync(x->app->db, insert_rec, &i), STORE_OK);
	record_set_sys(&r.state, "instruit");
	wf_job job;
	assert_int_equal(prepare(x, &x->root, &r, "accorder",
	                         "{\"accorde\": 5, \"accorde_le\": \"2026-12-01\"}", NULL, &job, &e,
	                         msg),
	                 WF_FORBIDDEN);
	assert_non_null(strstr(msg, "séparation des tâches"));
	wf_job_free(&job);
	pipe_ctx en = ctx(x, &x->root);
	en.lg = LANG_EN;
	workflow_refusal_message(&en, tr(x, "accorder"), ACCESS_TRIGGER_SELF_APPROVAL, msg);
	assert_non_null(strstr(msg, "separation of duties"));
	record_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_person_is_offered_what_their_role_and_the_state_allow),
		cmocka_unit_test(the_checks_answer_in_the_documented_order),
		cmocka_unit_test(a_prepared_transition_carries_state_changes_and_mail),
		cmocka_unit_test(a_transition_written_at_a_stale_version_is_refused),
		cmocka_unit_test(a_transition_is_no_back_door_to_a_column),
		cmocka_unit_test(separation_of_duties_binds_admins_and_says_so),
	};
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, setup, teardown);
}
