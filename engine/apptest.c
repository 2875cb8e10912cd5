/*
 * apptest — `smallapps test` (SPEC 13).
 *
 * Each test file (tests/NAME.lua) gets a throw-away folder: a data folder (SQLite) and an apps
 * folder holding a link to the app's own folder, served by a registry of its own, as `serve` would
 * serve it. The file runs in the sandbox (sandbox_test_run); what its actors do comes back here as
 * a verb and JSON arguments and goes through the use cases, the very rules an HTTP request goes
 * through (access, validation, hooks, workflow, mail), on the clock the test sets. Results are
 * given as the API gives records. After each file its history says which transitions and states it
 * reached (--coverage).
 */
#include "apptest.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "api.h"
#include "auth.h"
#include "log.h"
#include "registry.h"
#include "sandbox.h"
#include "store.h"
#include "usecase.h"
#include "util.h"

#define TEST_PASSWORD "smallapps-test-password-0123456789"
#define MAX_MAILS     10000

/* What the app's tests reached, as "t:form/transition" and "s:form/state". */
typedef struct cover {
	char **v;
	size_t n, cap;
} cover;

static bool cover_has(const cover *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], key) == 0)
			return true;
	return false;
}

static void cover_add(cover *c, char kind, const char *form, const char *id)
{
	buf k = BUF_INIT;
	buf_printf(&k, "%c:%s/%s", kind, form, id);
	if (cover_has(c, buf_cstr(&k))) {
		buf_free(&k);
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = buf_steal(&k);
}

static void cover_free(cover *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
}

/* One test file's world. */
typedef struct run {
	uc_env env;
	app_rt *app;
	time_t now;
	FILE *out;
} run;

/* ------------------------------------------------------------------ results */

static const char *status_name(uc_status st)
{
	switch (st) {
	case UC_OK:
		return "ok";
	case UC_INVALID:
		return "invalid";
	case UC_WARN:
		return "warning";
	case UC_FORBIDDEN:
		return "forbidden";
	case UC_NOT_FOUND:
		return "not_found";
	case UC_CONFLICT:
	case UC_GUARD:
		return "conflict";
	default:
		return "error";
	}
}

/* A use case's answer as the test sees it: the record as the API gives it, the
 * status, the field errors, and what the refusal or the app's error says. */
static json_t *result_json(uc_status st, const def_form *f, const uc_call *c, const uc_result *res)
{
	json_t *o = json_object();
	if (st == UC_OK && res->rec.id > 0) {
		json_t *rec = api_record_json(f, &res->rec, &c->who);
		json_object_update(o, rec);
		json_decref(rec);
	}
	json_object_set_new(o, "status", json_string(status_name(st)));
	json_t *errs = json_object();
	for (size_t i = 0; i < res->errs.n; i++)
		json_object_set_new(errs, res->errs.v[i].field,
				    json_string(res->errs.v[i].message));
	json_object_set_new(o, "errors", errs);
	if (st != UC_OK && res->msg[0])
		json_object_set_new(o, "message", json_string(res->msg));
	return o;
}

/* ------------------------------------------------------------------ the verbs */

static const char *str_arg(const json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static bool has_role(const def_app *app, const char *role)
{
	for (size_t i = 0; i < app->nroles; i++)
		if (strcmp(app->roles[i].id, role) == 0)
			return true;
	return false;
}

/* T.user(login, roles) and T.admin(login): the person, made once, and the grants. */
static json_t *do_user(run *r, const json_t *args, bool admin, char err[SANDBOX_ERR])
{
	const char *login = str_arg(args, "login");
	const json_t *roles = json_object_get(args, "roles");
	if (!login || !*login) {
		snprintf(err, SANDBOX_ERR, "T.user : identifiant attendu (un texte)");
		return NULL;
	}
	size_t i;
	const json_t *v;
	json_array_foreach(roles, i, v)
	{
		if (!json_is_string(v) || !has_role(r->app->def, json_string_value(v))) {
			buf known = BUF_INIT;
			for (size_t k = 0; k < r->app->def->nroles; k++)
				buf_printf(&known, "%s%s", k ? ", " : "", r->app->def->roles[k].id);
			snprintf(err, SANDBOX_ERR,
				 "T.user : rôle inconnu « %s » (rôles de l'app : %s)",
				 json_is_string(v) ? json_string_value(v) : "?", buf_cstr(&known));
			buf_free(&known);
			return NULL;
		}
	}
	char why[AUTH_ERR_LEN] = "";
	auth_user u = {0};
	if (auth_user_get(r->env.au, login, &u) != AUTH_OK &&
	    auth_user_add(r->env.au, login, login, NULL, admin, TEST_PASSWORD, "test", why) !=
		AUTH_OK) {
		snprintf(err, SANDBOX_ERR, "T.user « %s » : %s", login, why);
		return NULL;
	}
	auth_user_clear(&u);
	json_array_foreach(roles, i, v)
	{
		if (auth_grant(r->env.au, login, r->app->def->id, json_string_value(v), "test") !=
		    AUTH_OK) {
			snprintf(err, SANDBOX_ERR, "T.user « %s » : le rôle n'a pas pu être donné",
				 login);
			return NULL;
		}
	}
	return json_object();
}

/* The form and the person of an action, and its call on the test's clock. */
static bool begin(run *r, const char *verb, const json_t *args, uc_call *c, auth_user *u,
		  arena *mem, const def_form **f, char err[SANDBOX_ERR])
{
	const char *form = str_arg(args, "form"), *login = str_arg(args, "login");
	*f = form ? def_find_form(r->app->def, form) : NULL;
	if (!*f) {
		buf known = BUF_INIT;
		for (size_t k = 0; k < r->app->def->nforms; k++)
			buf_printf(&known, "%s%s", k ? ", " : "", r->app->def->forms[k].id);
		snprintf(err, SANDBOX_ERR, "%s : formulaire inconnu « %s » (formulaires : %s)",
			 verb, form ? form : "", buf_cstr(&known));
		buf_free(&known);
		return false;
	}
	memset(u, 0, sizeof *u);
	if (login && auth_user_get(r->env.au, login, u) != AUTH_OK) {
		snprintf(err, SANDBOX_ERR, "%s : « %s » n'existe pas (créez-le avec T.user)", verb,
			 login);
		return false;
	}
	uc_call_init(c, &r->env, r->app, *f, u, LANG_FR, mem);
	c->now = r->now;
	return true;
}

static bool id_arg(const json_t *args, const char *verb, int64_t *id, char err[SANDBOX_ERR])
{
	const json_t *v = json_object_get(args, "id");
	if (!json_is_integer(v)) {
		snprintf(err, SANDBOX_ERR, "%s : id attendu (un entier, le r.id d'un résultat)",
			 verb);
		return false;
	}
	*id = json_integer_value(v);
	return true;
}

/* The fields of an action as the API takes them (a new object): Lua cannot tell an empty
 * list from an empty table, so {} is an empty list for a multichoice field. */
static json_t *lists_as_arrays(const def_form *f, const json_t *fields)
{
	json_t *out = json_is_object(fields) ? json_deep_copy(fields) : json_object();
	const char *k;
	json_t *v;
	json_object_foreach(out, k, v)
	{
		int col = def_find_col(f, k);
		if (col >= 0 && f->cols[col]->type == FT_MULTICHOICE && json_is_object(v) &&
		    json_object_size(v) == 0)
			json_object_set_new(out, k, json_array());
	}
	return out;
}

/* create, edit, trigger, read, delete: one use case each. */
static json_t *do_record(run *r, const char *verb, const json_t *args, char err[SANDBOX_ERR])
{
	uc_call c;
	auth_user u = {0};
	arena mem = {0};
	const def_form *f;
	int64_t id = 0;
	json_t *out = NULL;
	if (!begin(r, verb, args, &c, &u, &mem, &f, err) ||
	    (strcmp(verb, "create") != 0 && !id_arg(args, verb, &id, err))) {
		auth_user_clear(&u);
		arena_free(&mem);
		return NULL;
	}
	json_t *fields = lists_as_arrays(f, json_object_get(args, "fields"));
	write_in in = {.json = fields, .confirm = json_is_true(json_object_get(args, "confirm"))};
	uc_result res = {0};
	uc_status st;
	if (strcmp(verb, "create") == 0)
		st = uc_create(&c, &in, &res);
	else if (strcmp(verb, "edit") == 0)
		st = uc_edit(&c, id, -1, &in, &res);
	else if (strcmp(verb, "trigger") == 0)
		st = uc_trigger(&c, id,
				str_arg(args, "transition") ? str_arg(args, "transition") : "", -1,
				&in, str_arg(args, "comment"), &res);
	else if (strcmp(verb, "read") == 0)
		st = uc_read(&c, id, &res);
	else
		st = uc_delete(&c, id, &res);
	out = result_json(st, f, &c, &res);
	uc_result_clear(&res);
	json_decref(fields);
	auth_user_clear(&u);
	arena_free(&mem);
	return out;
}

/* A list query from the test's table: state, q, sort, limit, overdue, field = value. */
static bool list_query(const json_t *query, const def_form *f, const actor *who, arena *mem,
		       uc_list_query *q, store_eq *eq, char err[SANDBOX_ERR])
{
	const char *k;
	const json_t *v;
	q->limit = 500;
	json_object_foreach((json_t *)query, k, v)
	{
		char *text = json_is_string(v) ? arena_strdup(mem, json_string_value(v)) : NULL;
		if (json_is_integer(v) || json_is_boolean(v)) {
			text = arena_alloc(mem, 32);
			if (json_is_integer(v))
				snprintf(text, 32, "%lld", (long long)json_integer_value(v));
			else
				snprintf(text, 32, "%s", json_is_true(v) ? "true" : "false");
		}
		int col = def_find_col(f, k);
		if (strcmp(k, "limit") == 0 && json_is_integer(v)) {
			q->limit = (int)json_integer_value(v);
		} else if (strcmp(k, "overdue") == 0 && json_is_boolean(v)) {
			q->overdue_only = json_is_true(v);
		} else if (text && strcmp(k, "state") == 0) {
			q->state = text;
		} else if (text && strcmp(k, "q") == 0) {
			q->q = text;
		} else if (text && strcmp(k, "sort") == 0) {
			q->sort = text;
		} else if (text && col >= 0 && access_can_read_col(f->cols[col], who) &&
			   q->neq < 16) {
			eq[q->neq].col = col;
			eq[q->neq++].value = text;
		} else {
			snprintf(err, SANDBOX_ERR, "list : critère inconnu ou illisible « %s »", k);
			return false;
		}
	}
	q->eq = eq;
	return true;
}

static json_t *do_list(run *r, const json_t *args, char err[SANDBOX_ERR])
{
	uc_call c;
	auth_user u = {0};
	arena mem = {0};
	const def_form *f;
	json_t *out = NULL;
	store_eq eq[16];
	uc_list_query q = {0};
	bool ok = begin(r, "list", args, &c, &u, &mem, &f, err);
	if (ok && !access_can_read_any(f, &c.who)) {
		/* as both doors answer one who may read no record of the form */
		uc_result res = {0};
		out = result_json(UC_FORBIDDEN, f, &c, &res);
		json_object_set_new(out, "records", json_array());
		json_object_set_new(out, "total", json_integer(0));
	} else if (ok && list_query(json_object_get(args, "query"), f, &c.who, &mem, &q, eq, err)) {
		store_page page = {0};
		int64_t total = 0;
		uc_result res = {0};
		uc_status st = uc_list_page(&c, &q, &page, &total, &res);
		if (st == UC_BAD_QUERY) {
			snprintf(err, SANDBOX_ERR, "list : requête invalide (%.900s)",
				 res.msg[0] ? res.msg : "état, tri ou critère");
		} else {
			out = result_json(st, f, &c, &res);
			json_t *recs = json_array();
			for (size_t i = 0; st == UC_OK && i < page.n; i++)
				json_array_append_new(recs, api_record_json(f, &page.v[i], &c.who));
			json_object_set_new(out, "records", recs);
			json_object_set_new(out, "total", json_integer(total));
		}
		store_page_free(&page);
		uc_result_clear(&res);
	}
	auth_user_clear(&u);
	arena_free(&mem);
	return out;
}

static json_t *do_mails(run *r, char err[SANDBOX_ERR])
{
	outbox_row *rows = NULL;
	size_t n = 0;
	if (uc_outbox_queued(r->app, MAX_MAILS, &rows, &n) != 0) {
		snprintf(err, SANDBOX_ERR, "T.mails : file des courriels illisible");
		return NULL;
	}
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_object();
		json_object_set_new(m, "to", json_string(rows[i].to ? rows[i].to : ""));
		json_object_set_new(m, "subject",
				    json_string(rows[i].subject ? rows[i].subject : ""));
		json_object_set_new(m, "body", json_string(rows[i].body ? rows[i].body : ""));
		json_object_set_new(m, "form", json_string(rows[i].form ? rows[i].form : ""));
		json_object_set_new(m, "record_id", json_integer(rows[i].record_id));
		json_array_append_new(out, m);
	}
	store_outbox_rows_free(rows, n);
	return out;
}

static json_t *do_time(run *r, const char *verb, const json_t *args, char err[SANDBOX_ERR])
{
	if (strcmp(verb, "clock") == 0) {
		const char *at = str_arg(args, "at");
		time_t t;
		if (!at || !util_parse_datetime(at, &t)) {
			snprintf(
			    err, SANDBOX_ERR,
			    "T.clock : date et heure attendues, comme \"2026-11-23T10:00:00Z\"");
			return NULL;
		}
		r->now = t;
	} else if (strcmp(verb, "advance") == 0) {
		const json_t *d = json_object_get(args, "days");
		if (!json_is_number(d) || json_number_value(d) < 0 ||
		    json_number_value(d) > 36500) {
			snprintf(err, SANDBOX_ERR, "T.advance : un nombre de jours (0 à 36 500)");
			return NULL;
		}
		r->now += (time_t)llround(json_number_value(d) * 86400.0); /* 1.4 days: 120,960 s */
	} else {
		tick_result t = {0};
		uc_tick(&r->env, r->now, NULL, &t);
		json_t *o = json_object();
		json_object_set_new(o, "moved", json_integer(t.moved));
		json_object_set_new(o, "purged", json_integer(t.purged));
		return o;
	}
	return json_object();
}

static json_t *host(void *arg, const char *verb, const json_t *args, char err[SANDBOX_ERR])
{
	run *r = arg;
	if (strcmp(verb, "user") == 0 || strcmp(verb, "admin") == 0)
		return do_user(r, args, strcmp(verb, "admin") == 0, err);
	if (strcmp(verb, "list") == 0)
		return do_list(r, args, err);
	if (strcmp(verb, "mails") == 0)
		return do_mails(r, err);
	if (strcmp(verb, "clock") == 0 || strcmp(verb, "advance") == 0 || strcmp(verb, "tick") == 0)
		return do_time(r, verb, args, err);
	static const char *const records[] = {"create", "edit", "trigger", "read", "delete"};
	for (size_t i = 0; i < sizeof records / sizeof *records; i++)
		if (strcmp(verb, records[i]) == 0)
			return do_record(r, verb, args, err);
	snprintf(err, SANDBOX_ERR, "action inconnue « %s »", verb);
	return NULL;
}

/* ------------------------------------------------------------------ a file */

static void say(void *arg, const char *line)
{
	run *r = arg;
	fprintf(r->out, "%s\n", line);
}

static void reached(void *arg, const char *form, const char *transition, const char *state)
{
	cover *c = arg;
	if (!form)
		return;
	if (transition)
		cover_add(c, 't', form, transition);
	if (state)
		cover_add(c, 's', form, state);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* The app id of a folder (its name) and its absolute path; false if not an app. */
static bool app_of(const char *dir, char id[64], char abs[PATH_MAX])
{
	char file[PATH_MAX + 16];
	snprintf(file, sizeof file, "%s/app.lua", dir);
	struct stat st;
	if (stat(file, &st) != 0 || !realpath(dir, abs))
		return false;
	const char *slash = strrchr(abs, '/');
	snprintf(id, 64, "%s", slash ? slash + 1 : abs);
	return true;
}

/* Serves the app alone from a throw-away folder; false (said) if it does not load. */
static bool world_open(run *r, const apptest_opts *o, const char *tmp, const char *id,
		       const char *abs)
{
	char apps[PATH_MAX + 8], data[PATH_MAX + 8], link[PATH_MAX + 80], err[STORE_ERR_LEN] = "";
	snprintf(apps, sizeof apps, "%s/apps", tmp);
	snprintf(data, sizeof data, "%s/data", tmp);
	snprintf(link, sizeof link, "%s/%s", apps, id);
	if (mkdir(apps, 0700) != 0 || mkdir(data, 0700) != 0 || symlink(abs, link) != 0) {
		fprintf(r->out, "%s: %s\n", tmp, strerror(errno));
		return false;
	}
	r->env.backend = store_backend_open(NULL, data, err);
	char why[AUTH_ERR_LEN] = "";
	r->env.au = r->env.backend ? auth_open(r->env.backend, why) : NULL;
	if (!r->env.au) {
		fprintf(r->out, "%s: %s%s\n", data, err, why);
		return false;
	}
	registry_opts ro = {.apps_dir = apps,
			    .data_dir = data,
			    .backend = r->env.backend,
			    .stdlib_dir = o->stdlib_dir,
			    .quiet = true,
			    .no_publish = true};
	r->env.reg = registry_open(&ro);
	registry_scan(r->env.reg);
	snprintf(r->env.base_url, sizeof r->env.base_url, "http://localhost");
	if ((r->app = registry_get(r->env.reg, id)))
		return true;
	registry_problem *p = NULL;
	size_t n = registry_problems(r->env.reg, &p);
	fprintf(r->out, "%s: l'application ne se charge pas :\n%s\n", abs,
		n ? p[0].text : "(raison inconnue)");
	registry_problems_free(p, n);
	return false;
}

static void world_close(run *r, const char *tmp)
{
	/* The states this thread keeps for the app's hooks belong to this registry's
	 * definition: the next file's may be made at the same address. */
	sandbox_thread_cleanup();
	if (r->app)
		registry_release(r->app);
	if (r->env.reg)
		registry_close(r->env.reg);
	if (r->env.au)
		auth_close(r->env.au);
	if (r->env.backend)
		store_backend_close(r->env.backend);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* "coverage <app>: transitions N/M, states K/L", then what no test reached. */
static void coverage(const apptest_opts *o, const char *id, const def_app *app, const cover *cov)
{
	size_t nt = 0, mt = 0, ns = 0, ms = 0;
	buf missing = BUF_INIT, key = BUF_INIT;
	for (size_t i = 0; i < app->nforms; i++) {
		const def_form *f = &app->forms[i];
		const def_workflow *w = f->workflow;
		for (size_t k = 0; w && k < w->ntransitions; k++) {
			buf_reset(&key);
			buf_printf(&key, "t:%s/%s", f->id, w->transitions[k].id);
			mt++;
			if (cover_has(cov, buf_cstr(&key)))
				nt++;
			else
				buf_printf(&missing, "  transition %s.%s never triggered\n", f->id,
					   w->transitions[k].id);
		}
		for (size_t k = 0; w && k < w->nstates; k++) {
			buf_reset(&key);
			buf_printf(&key, "s:%s/%s", f->id, w->states[k].id);
			ms++;
			if (cover_has(cov, buf_cstr(&key)))
				ns++;
			else
				buf_printf(&missing, "  state %s.%s never reached\n", f->id,
					   w->states[k].id);
		}
	}
	fprintf(o->out, "coverage %s: transitions %zu/%zu, states %zu/%zu\n%s", id, nt, mt, ns, ms,
		buf_cstr(&missing));
	buf_free(&missing);
	buf_free(&key);
}

typedef struct tally {
	int passed, failed;
} tally;

/* One test file: its counts join t, its history joins cov; after the last one, the
 * coverage of the app's definition as it loaded. */
static void run_file(const apptest_opts *o, const char *dir, const char *id, const char *abs,
		     const char *name, bool last, tally *t, cover *cov)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	const char *base = getenv("TMPDIR");
	snprintf(tmp, sizeof tmp, "%s/smallapps-test.XXXXXX", base && *base ? base : "/tmp");
	snprintf(path, sizeof path, "%s/tests/%s", dir, name);
	run r = {.now = util_now(), .out = o->out};
	if (!mkdtemp(tmp)) {
		fprintf(o->out, "%s: %s\n", tmp, strerror(errno));
		t->failed++;
		return;
	}
	if (!world_open(&r, o, tmp, id, abs)) {
		t->failed++;
		world_close(&r, tmp);
		return;
	}
	sandbox_test st = {.app_dir = dir,
			   .stdlib_dir = o->stdlib_dir,
			   .path = path,
			   .host = host,
			   .say = say,
			   .arg = &r};
	char err[SANDBOX_ERR] = "";
	int rc = sandbox_test_run(&st, err);
	if (rc != 0)
		fprintf(o->out, "%s\n", err);
	fprintf(o->out, "%s %s: %d passed, %d failed%s\n", rc == 0 && !st.failed ? "ok  " : "FAIL",
		path, st.passed, st.failed, rc ? " (stopped by an error)" : "");
	t->passed += st.passed;
	t->failed += st.failed + (rc != 0);
	uc_reached(r.app, reached, cov);
	if (last && o->coverage)
		coverage(o, id, r.app->def, cov);
	world_close(&r, tmp);
}

static int is_lua_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 4 && strcmp(e->d_name + n - 4, ".lua") == 0;
}

/* Every test file of the app in dir, in name order. */
static void run_app(const apptest_opts *o, const char *dir, tally *t)
{
	char id[64], abs[PATH_MAX], tests[PATH_MAX + 8];
	if (!app_of(dir, id, abs))
		return;
	snprintf(tests, sizeof tests, "%s/tests", dir);
	struct dirent **names = NULL;
	int n = scandir(tests, &names, is_lua_file, alphasort);
	if (n <= 0) {
		fprintf(o->out, "%s: pas de tests (%s/*.lua)\n", dir, tests);
		free(names);
		return;
	}
	cover cov = {0};
	for (int i = 0; i < n; i++) {
		run_file(o, dir, id, abs, names[i]->d_name, i == n - 1, t, &cov);
		free(names[i]);
	}
	free(names);
	cover_free(&cov);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int apptest_run(const apptest_opts *o)
{
	tally t = {0};
	/* What the tests do is their output: the engine's log lines (a transition made by
	 * the scheduler, an app loaded) would only bury it. */
	log_set_quiet(1);
	for (size_t i = 0; i < o->ndirs; i++) {
		char id[64], abs[PATH_MAX];
		if (!app_of(o->dirs[i], id, abs)) {
			fprintf(stderr,
				"smallapps test: %s n'est pas le dossier d'une app (app.lua)\n",
				o->dirs[i]);
			return 2;
		}
	}
	for (size_t i = 0; i < o->ndirs; i++)
		run_app(o, o->dirs[i], &t);
	if (!o->ndirs) {
		DIR *d = opendir(o->apps_dir);
		char **dirs = NULL;
		size_t n = 0;
		for (struct dirent *e; d && (e = readdir(d));) {
			if (e->d_name[0] == '.')
				continue;
			dirs = xrealloc(dirs, (n + 1) * sizeof *dirs);
			buf p = BUF_INIT;
			buf_printf(&p, "%s/%s", o->apps_dir, e->d_name);
			dirs[n++] = buf_steal(&p);
		}
		if (d)
			closedir(d);
		qsort(dirs, n, sizeof *dirs, by_name);
		for (size_t i = 0; i < n; i++) {
			run_app(o, dirs[i], &t);
			free(dirs[i]);
		}
		free(dirs);
	}
	fprintf(o->out, "%d passed, %d failed\n", t.passed, t.failed);
	return t.failed ? 1 : 0;
}
