/*
 * usecase — reads, people, tracking and operations (see usecase.h); the writes are
 * usecase_write.c's.
 *
 * Every read goes through the person's read scope (access.h), the one predicate that
 * lists, counts and look-ups share, so a record a list would not show does not exist
 * for them: its id answers NOT_FOUND. Private fields are filtered here for history;
 * record values are filtered by the doors' column masks (access_can_read_col).
 */
#include "usecase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "workflow.h"

void uc_result_clear(uc_result *r)
{
	if (!r)
		return;
	if (r->rec.values)
		record_clear(&r->rec);
	if (r->current.values)
		record_clear(&r->current);
	field_errors_clear(&r->errs);
	free(r->replay_location);
	free(r->replay_body);
	memset(r, 0, sizeof *r);
}

void uc_idem_make(const actor *who, const char *key, const json_t *fields, uc_idem *out)
{
	buf b = BUF_INIT;
	/* Whose key: a person's login, or, for anonymous submissions, nobody's in particular. */
	buf_printf(&b, "%s\n%s", who->login ? who->login : "", key);
	util_sha256_hex(b.data, b.len, out->key);
	buf_free(&b);
	char *canon = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	util_sha256_hex(canon ? canon : "", canon ? strlen(canon) : 0, out->body);
	free(canon);
}

void uc_idem_answer(uc_call *c, int status, const char *location, const char *body)
{
	if (c->idem)
		store_idem_answer(c->app->db, c->idem->key, status, location, body);
}

static int actor_of(const uc_env *env, const auth_user *user, const char *app_id, arena *mem,
		    actor *out)
{
	memset(out, 0, sizeof *out);
	if (!user || !user->login)
		return AUTH_OK;
	out->login = arena_strdup(mem, user->login);
	out->name = arena_strdup(mem, user->name);
	out->email = arena_strdup(mem, user->email);
	out->admin = user->admin;
	char **roles = NULL;
	size_t n = 0;
	int rc = auth_roles(env->au, user->login, app_id, &roles, &n);
	if (rc != AUTH_OK)
		return rc; /* no roles: shown less, never more */
	const char **v = arena_alloc(mem, (n ? n : 1) * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = arena_strdup(mem, roles[i]);
	auth_roles_free(roles, n);
	out->roles = v;
	out->nroles = n;
	return AUTH_OK;
}

void uc_actor(const uc_env *env, const auth_user *user, const char *app_id, arena *mem, actor *out)
{
	actor_of(env, user, app_id, mem, out);
}

void uc_call_init(uc_call *c, const uc_env *env, app_rt *app, const def_form *form,
		  const auth_user *user, lang lg, arena *mem)
{
	memset(c, 0, sizeof *c);
	c->env = env;
	c->app = app;
	c->form = form;
	c->lg = lg;
	c->now = util_now();
	c->mem = mem;
	/* Roles that could not be read must not become fewer rights for this call: a 403
	 * where a 503 (try again) is the truth. */
	int rc = actor_of(env, user, app->def->id, mem, &c->who);
	/* Any failure to read them (a database going down may answer an error before it is
	 * seen as gone): a 503, never a 403 for rights the person has. */
	c->unavailable = rc != AUTH_OK && rc != AUTH_NOTFOUND;
}

/* The store's failures as a result: a database out of reach is a 503, not a 500. */
static uc_status store_failed(uc_result *res, int rc, const char *msg)
{
	if (rc == STORE_UNAVAILABLE) {
		res->retry_after = 2;
		return res->status = UC_UNAVAILABLE;
	}
	res->status = UC_ERROR;
	snprintf(res->msg, sizeof res->msg, "%s", msg);
	return UC_ERROR;
}

uc_status uc_unavailable(uc_result *res)
{
	res->retry_after = 2;
	return res->status = UC_UNAVAILABLE;
}

static uc_status fail(uc_result *res, uc_status st, const char *msg)
{
	res->status = st;
	if (msg)
		snprintf(res->msg, sizeof res->msg, "%s", msg);
	return st;
}

/* ---- reads ---- */

uc_status uc_read(uc_call *c, int64_t id, uc_result *res)
{
	memset(res, 0, sizeof *res);
	if (c->unavailable)
		return uc_unavailable(res);
	store_scope scope = access_read_scope(c->form, &c->who);
	int rc = store_get(c->app->db, c->form, id, &scope, c->now, &res->rec);
	if (rc == STORE_NOTFOUND)
		return fail(res, UC_NOT_FOUND, NULL);
	if (rc != STORE_OK)
		return store_failed(res, rc, "lecture de l'enregistrement impossible");
	return res->status = UC_OK;
}

/* The store query of a list, with the person's scope and what they may search and sort. */
static uc_status compile_list(uc_call *c, const uc_list_query *lq, store_query *q, uc_result *res)
{
	const def_form *f = c->form;
	memset(q, 0, sizeof *q);
	q->scope = access_read_scope(f, &c->who);
	q->now = c->now;
	q->state = lq->state;
	q->eq = lq->eq;
	q->neq = lq->neq;
	q->q = lq->q;
	q->overdue_only = lq->overdue_only;
	q->sort = lq->sort;
	q->limit = lq->limit;
	q->after = lq->after;
	q->why = &res->bad;
	/* Private fields of others are neither searched nor sorted on: either would reveal them. */
	bool *readable = arena_alloc(c->mem, (f->ncols ? f->ncols : 1) * sizeof *readable);
	for (size_t col = 0; col < f->ncols; col++)
		readable[col] = access_can_read_col(f->cols[col], &c->who);
	q->readable = readable;
	for (size_t i = 0; i < lq->neq; i++)
		if (lq->eq[i].col < 0 || (size_t)lq->eq[i].col >= f->ncols ||
		    !readable[lq->eq[i].col]) {
			res->bad = STORE_BAD_FILTER;
			return fail(res, UC_BAD_QUERY, NULL);
		}
	if (q->sort) {
		int col = def_find_col(f, q->sort[0] == '-' ? q->sort + 1 : q->sort);
		if (col >= 0 && !readable[col]) {
			res->bad = STORE_BAD_SORT;
			return fail(res, UC_BAD_QUERY, NULL);
		}
	}
	return UC_OK;
}

static uc_status list_outcome(int rc, const char *err, uc_result *res)
{
	if (rc == STORE_BADQUERY)
		return fail(res, UC_BAD_QUERY, NULL);
	if (rc != STORE_OK)
		return store_failed(res, rc, err);
	return res->status = UC_OK;
}

uc_status uc_list_each(uc_call *c, const uc_list_query *lq, store_row_fn fn, void *arg, char **next,
		       uc_result *res)
{
	store_query q;
	memset(res, 0, sizeof *res);
	*next = NULL;
	if (c->unavailable)
		return uc_unavailable(res);
	if (compile_list(c, lq, &q, res) != UC_OK)
		return res->status;
	char err[STORE_ERR_LEN] = "";
	int rc = store_list_each(c->app->db, c->form, &q, fn, arg, next, err);
	return list_outcome(rc, err, res);
}

uc_status uc_list_page(uc_call *c, const uc_list_query *lq, store_page *page, int64_t *total,
		       uc_result *res)
{
	store_query q;
	memset(res, 0, sizeof *res);
	memset(page, 0, sizeof *page);
	*total = 0;
	if (c->unavailable)
		return uc_unavailable(res);
	if (compile_list(c, lq, &q, res) != UC_OK)
		return res->status;
	char err[STORE_ERR_LEN] = "";
	int rc = store_list(c->app->db, c->form, &q, page, err);
	if (rc == STORE_OK &&
	    (rc = store_count_upto(c->app->db, c->form, &q, UC_COUNT_CAP, total)) != STORE_OK)
		store_page_free(page);
	return list_outcome(rc, err, res);
}

size_t uc_approvers(const def_transition *t, const store_history_line *h, size_t n,
		    const char **who, size_t max)
{
	return workflow_approvers(t, h, n, who, max);
}

uc_status uc_history(uc_call *c, const record *rec, store_history_line **lines, size_t *n)
{
	*lines = NULL;
	*n = 0;
	int rc = store_history(c->app->db, c->form, rec->id, lines, n);
	if (rc != STORE_OK)
		return rc == STORE_UNAVAILABLE ? UC_UNAVAILABLE : UC_ERROR;
	const def_form *f = c->form;
	size_t w = 0;
	for (size_t i = 0; i < *n; i++) {
		store_history_line *h = &(*lines)[i];
		const char *k;
		json_t *v;
		void *tmp;
		if (h->changes)
			json_object_foreach_safe(h->changes, tmp, k, v)
			{
				int col = def_find_col(f, k);
				/* Removed fields' history stays for admins only; private stays
				 * private. */
				if (col >= 0 ? !access_can_read_col(f->cols[col], &c->who)
					     : !c->who.admin)
					json_object_del(h->changes, k);
			}
		/* An edit of fields this reader may not see: not even the fact that it happened. */
		if (strcmp(h->action, "update") == 0 &&
		    (!h->changes || json_object_size(h->changes) == 0)) {
			store_history_line_clear(h);
			continue;
		}
		(*lines)[w++] = *h;
	}
	*n = w;
	return UC_OK;
}

uc_status uc_state_counts(uc_call *c, const def_form *f, store_state_count *out, size_t *n)
{
	*n = 0;
	if (!access_can_read_any(f, &c->who))
		return UC_FORBIDDEN;
	store_scope sc = access_read_scope(f, &c->who);
	int got = store_count_states(c->app->db, f, &sc, c->now, out);
	if (got < 0)
		return got == STORE_UNAVAILABLE ? UC_UNAVAILABLE : UC_ERROR;
	*n = (size_t)got;
	return UC_OK;
}

void uc_echo(uc_call *c, const write_in *in, record *out)
{
	pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = c->lg, .now = c->now};
	pipeline_echo(&pc, in, out);
}

void uc_echo_edit(uc_call *c, const write_in *in, const record *old, record *out)
{
	pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = c->lg, .now = c->now};
	pipeline_echo_edit(&pc, in, old, out);
}

bool uc_step_applies(const def_form *f, const record *rec, int s)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (f->fields[i].step == s)
			return f->fields[i].type != FT_SECTION ||
			       pipeline_field_visible(f, rec, &f->fields[i]);
	return false;
}

uc_status uc_references(uc_call *c, const record *recs, size_t n, const bool *readable,
			const bool *writable, ref_view *out)
{
	if (c->unavailable)
		return UC_UNAVAILABLE;
	ref_reader rr = {.db = c->app->db, .who = &c->who, .now = c->now};
	int rc = reference_labels(&rr, c->form, recs, n, readable, out);
	if (rc == STORE_OK && writable && n == 1)
		rc = reference_inputs(&rr, c->form, recs, writable, out);
	if (rc == STORE_OK)
		return UC_OK;
	return rc == STORE_UNAVAILABLE ? UC_UNAVAILABLE : UC_ERROR;
}

void uc_blank(uc_call *c, record *out)
{
	const def_form *f = c->form;
	record_init(out, f);
	char msg[VALIDATE_MSG];
	for (size_t col = 0; col < f->ncols; col++)
		if (f->cols[col]->default_value)
			validate_parse_json(f->cols[col], f->cols[col]->default_value,
					    &out->values[col], c->lg, msg);
}

size_t uc_transitions(uc_call *c, const record *rec, const def_transition **out)
{
	return workflow_available(c->form, &c->who, rec, out);
}

void uc_transition_writable(uc_call *c, const def_transition *t, const record *rec, bool *writable)
{
	for (size_t i = 0; i < t->nfields; i++)
		writable[i] = workflow_field_writable(c->form, &t->fields[i], &c->who, rec);
}

uc_status uc_trigger_check(uc_call *c, int64_t id, const char *tid, const def_transition **t,
			   uc_result *res)
{
	*t = c->form->workflow && tid ? def_find_transition(c->form, tid) : NULL;
	if (uc_read(c, id, res) != UC_OK)
		return res->status;
	if (!*t)
		return fail(res, UC_NOT_FOUND, NULL);
	pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = c->lg, .now = c->now};
	access_trigger why = access_trigger_check(*t, &c->who, &res->rec);
	if (why != ACCESS_TRIGGER_OK) {
		workflow_refusal_message(&pc, *t, why, res->msg);
		res->status = UC_FORBIDDEN;
		return UC_FORBIDDEN;
	}
	if (!res->rec.state || !def_strlist_has(&(*t)->from, res->rec.state))
		return fail(res, UC_CONFLICT,
			    c->lg == LANG_EN
				? "This action is not possible in the record's current state."
				: "Cette action n'est pas possible dans l'état actuel de "
				  "l'enregistrement.");
	return res->status = UC_OK;
}

/* ---- people and sessions ---- */

/* A refused sign-in: counted against the address and the login, audited. */
static uc_status login_refused(const uc_env *env, const char *client, const char *client_addr,
			       const char *login, const char *how, uc_result *res)
{
	if (env->th)
		throttle_login_failed(env->th, client, login, time(NULL));
	auth_audit(env->au, login, "login_failed", client_addr, how);
	return fail(res, UC_FORBIDDEN, NULL);
}

/* The person is who they say: a session for them. */
static uc_status signed_in(const uc_env *env, const char *client, const char *client_addr,
			   const char *login, const char *how, uc_session *out, uc_result *res)
{
	if (auth_session_create(env->au, out->user.login, util_now(), out->token, out->csrf) !=
	    AUTH_OK) {
		auth_user_clear(&out->user);
		return fail(res, UC_ERROR, "session creation failed");
	}
	if (env->th)
		throttle_login_succeeded(env->th, client, login);
	auth_audit(env->au, out->user.login, "login", client_addr, how);
	return res->status = UC_OK;
}

/*
 * Through the directory (SPEC 12): the password checked by a bind, the account made or
 * brought up to date — name, e-mail, and grants exactly those its groups give.
 */
static uc_status directory_login(const uc_env *env, const char *client, const char *client_addr,
				 const char *login, const char *password, uc_session *out,
				 uc_result *res)
{
	directory_person p;
	char why[DIRECTORY_ERR];
	directory_rc drc = directory_check(env->dir, login, password, &p, why);
	if (drc == DIRECTORY_UNAVAILABLE) {
		log_message("auth", "%s", why);
		res->retry_after = 5;
		return fail(res, UC_UNAVAILABLE, "sign-in: the directory cannot be reached");
	}
	if (drc != DIRECTORY_OK)
		return login_refused(env, client, client_addr, login, "annuaire", res);
	store_directory_user d = {.login = login,
				  .name = p.name,
				  .email = p.email,
				  .apps = (const char *const *)p.apps,
				  .roles = (const char *const *)p.roles,
				  .ngrants = p.ngrants};
	int arc = auth_directory_signin(env->au, &d, &out->user);
	directory_person_clear(&p);
	if (arc == AUTH_UNAVAILABLE || arc == AUTH_ERROR) {
		res->retry_after = 2;
		return fail(res, arc == AUTH_UNAVAILABLE ? UC_UNAVAILABLE : UC_ERROR,
			    "sign-in: the database cannot be written");
	}
	if (arc != AUTH_OK)
		return login_refused(env, client, client_addr, login, "annuaire", res);
	return signed_in(env, client, client_addr, login, "annuaire", out, res);
}

uc_status uc_login(const uc_env *env, const char *client, const char *client_addr,
		   const char *login, const char *password, uc_session *out, uc_result *res)
{
	memset(out, 0, sizeof *out);
	/* Real time, not util_now: a rate is about the clock on the wall. */
	int wait = 0;
	if (env->th && !throttle_login_allow(env->th, client, login, time(NULL), &wait)) {
		auth_audit(env->au, login, "login_throttled", client_addr, NULL);
		res->retry_after = wait;
		return fail(res, UC_TOO_MANY, NULL);
	}
	/* An account with a password signs in here; any other, through the directory. */
	bool local = true;
	int arc = env->dir ? auth_has_password(env->au, login, &local) : AUTH_OK;
	if (arc == AUTH_OK || arc == AUTH_NOTFOUND) {
		if (!local)
			return directory_login(env, client, client_addr, login, password, out, res);
		arc = auth_check_password(env->au, login, password, &out->user);
	}
	if (arc == AUTH_UNAVAILABLE || arc == AUTH_ERROR) {
		/* Not a wrong password: nothing counted, nothing audited as a failure. */
		res->retry_after = 2;
		return fail(res, arc == AUTH_UNAVAILABLE ? UC_UNAVAILABLE : UC_ERROR,
			    "sign-in: the database cannot be read");
	}
	if (arc != AUTH_OK)
		return login_refused(env, client, client_addr, login, NULL, res);
	return signed_in(env, client, client_addr, login, NULL, out, res);
}

void uc_logout(const uc_env *env, const char *session_token, const char *login,
	       const char *client_addr)
{
	if (session_token)
		auth_session_delete(env->au, session_token);
	if (login)
		auth_audit(env->au, login, "logout", client_addr, NULL);
}

static uc_status from_auth(int rc)
{
	return rc == AUTH_OK		? UC_OK
	       : rc == AUTH_UNAVAILABLE ? UC_UNAVAILABLE
	       : rc == AUTH_ERROR	? UC_ERROR
					: UC_FORBIDDEN;
}

uc_status uc_session_user(const uc_env *env, const char *token, auth_user *out,
			  char csrf[AUTH_TOKEN_LEN])
{
	return from_auth(auth_session_lookup(env->au, token, util_now(), out, csrf));
}

uc_status uc_token_user(const uc_env *env, const char *token, auth_user *out)
{
	return from_auth(auth_token_lookup(env->au, token, out));
}

/* ---- public tracking ---- */

static bool tracking_token_shape(const char *token)
{
	if (strlen(token) != TRACKING_TOKEN_LEN - 1)
		return false;
	for (const char *p = token; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* The app and record behind a token's hash, among the apps served; a reference is kept. */
static app_rt *find_tracked(const uc_env *env, const char *hash, const def_form **f, int64_t *id)
{
	app_rt **apps = NULL;
	size_t n = registry_list(env->reg, &apps);
	app_rt *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		char form[64];
		if (!hit && store_tracking_find(apps[i]->db, hash, form, id) == STORE_OK &&
		    (*f = def_find_form(apps[i]->def, form)) != NULL) {
			hit = apps[i];
			continue; /* keep this reference */
		}
		registry_release(apps[i]);
	}
	free(apps);
	return hit;
}

uc_status uc_track(const uc_env *env, const char *token, uc_tracking *out)
{
	memset(out, 0, sizeof *out);
	if (!tracking_token_shape(token))
		return UC_NOT_FOUND;
	char hash[65];
	tracking_hash(token, hash);
	int64_t id = 0;
	out->app = find_tracked(env, hash, &out->form, &id);
	if (!out->app)
		return UC_NOT_FOUND;
	int rc = store_get(out->app->db, out->form, id, NULL, util_now(), &out->rec);
	if (rc != STORE_OK) {
		/* Deleted (or purged) since: the link no longer leads anywhere. */
		registry_release(out->app);
		out->app = NULL;
		return rc == STORE_NOTFOUND ? UC_NOT_FOUND : UC_ERROR;
	}
	store_history_line *h = NULL;
	size_t nh = 0;
	if (store_history(out->app->db, out->form, id, &h, &nh) != STORE_OK) {
		record_clear(&out->rec);
		registry_release(out->app);
		out->app = NULL;
		return UC_ERROR;
	}
	/* State changes only: never who did what, nor comments or values. */
	for (size_t i = 0; i < nh && out->nsteps < sizeof out->steps / sizeof *out->steps; i++)
		if (h[i].to_state &&
		    (strcmp(h[i].action, "create") == 0 || strcmp(h[i].action, "transition") == 0 ||
		     strcmp(h[i].action, "move") == 0)) {
			snprintf(out->steps[out->nsteps].at, sizeof out->steps[0].at, "%s",
				 h[i].at);
			snprintf(out->steps[out->nsteps].state, sizeof out->steps[0].state, "%s",
				 h[i].to_state);
			out->nsteps++;
		}
	store_history_free(h, nh);
	return UC_OK;
}

/* ---- operations ---- */

bool uc_healthy(const uc_env *env)
{
	return !env->backend || store_ping(env->backend) == STORE_OK;
}

int uc_outbox_recent(app_rt *app, int limit, outbox_row **rows, size_t *n)
{
	return store_outbox_recent(app->db, limit, rows, n);
}

int uc_outbox_queued(app_rt *app, int limit, outbox_row **rows, size_t *n)
{
	return store_outbox_due(app->db, "9999-12-31T23:59:59Z", limit, rows, n);
}

int uc_reached(app_rt *app, store_reached_fn fn, void *arg)
{
	return store_reached(app->db, fn, arg);
}

size_t uc_lua_status(const uc_env *env, sandbox_pool_app **out)
{
	if (!env->lua) {
		*out = NULL;
		return 0;
	}
	return sandbox_pool_apps(env->lua, out);
}

void uc_metrics(const uc_env *env, buf *out)
{
	metrics_write(out);
	app_rt **apps;
	size_t n = registry_list(env->reg, &apps);
	/* From the tallies, as /admin: a scrape costs a few rows per form, not a count. */
	arena mem = {0};
	uc_form_stats *fs = NULL;
	size_t nf = uc_activity(env, apps, n, &mem, &fs);
	buf_puts(out, "# HELP smallapps_records Records per app and form.\n"
		      "# TYPE smallapps_records gauge\n");
	for (size_t i = 0; i < nf; i++)
		if (fs[i].total >= 0)
			buf_printf(out, "smallapps_records{app=\"%s\",form=\"%s\"} %lld\n",
				   fs[i].app->id, fs[i].form->id, (long long)fs[i].total);
	buf_puts(out, "# HELP smallapps_overdue_records Records past their state's due days.\n"
		      "# TYPE smallapps_overdue_records gauge\n");
	for (size_t i = 0; i < nf; i++)
		if (fs[i].total >= 0 && fs[i].form->workflow)
			buf_printf(out, "smallapps_overdue_records{app=\"%s\",form=\"%s\"} %lld\n",
				   fs[i].app->id, fs[i].form->id, (long long)fs[i].overdue);
	arena_free(&mem);
	/* The group commit at work: jobs per transaction is the batching, failed groups
	 * the disk's refusals (each of their jobs answered 500). */
	buf_puts(out, "# HELP smallapps_store_jobs_total Writes run by each app's writer.\n"
		      "# TYPE smallapps_store_jobs_total counter\n"
		      "# HELP smallapps_store_commits_total Transactions (group commits) of each "
		      "app's writer.\n"
		      "# TYPE smallapps_store_commits_total counter\n"
		      "# HELP smallapps_store_failed_commits_total Group commits that failed.\n"
		      "# TYPE smallapps_store_failed_commits_total counter\n");
	for (size_t i = 0; i < n; i++) {
		store_stats st;
		store_get_stats(apps[i]->db, &st);
		const char *id = apps[i]->def->id;
		buf_printf(out,
			   "smallapps_store_jobs_total{app=\"%s\"} %llu\n"
			   "smallapps_store_commits_total{app=\"%s\"} %llu\n"
			   "smallapps_store_failed_commits_total{app=\"%s\"} %llu\n",
			   id, (unsigned long long)st.jobs, id, (unsigned long long)st.groups, id,
			   (unsigned long long)st.failed_groups);
	}
	buf_puts(out, "# HELP smallapps_outbox_pending Mails waiting to be sent, per app.\n"
		      "# TYPE smallapps_outbox_pending gauge\n");
	for (size_t i = 0; i < n; i++) {
		int64_t pending = 0;
		if (store_outbox_pending(apps[i]->db, &pending) == STORE_OK)
			buf_printf(out, "smallapps_outbox_pending{app=\"%s\"} %lld\n",
				   apps[i]->def->id, (long long)pending);
		registry_release(apps[i]);
	}
	free(apps);
	registry_problem *pb;
	size_t npb = registry_problems(env->reg, &pb);
	buf_puts(out, "# HELP smallapps_app_load_errors Apps whose folder does not load (1: "
		      "refused; the previous version may still serve).\n"
		      "# TYPE smallapps_app_load_errors gauge\n");
	for (size_t i = 0; i < npb; i++)
		buf_printf(out, "smallapps_app_load_errors{app=\"%s\"} 1\n", pb[i].app);
	registry_problems_free(pb, npb);
	if (env->lua)
		sandbox_pool_metrics(env->lua, out);
}

void uc_health(const uc_env *env, bool *ok, size_t *loaded, size_t *failing)
{
	*ok = uc_healthy(env);
	app_rt **apps;
	*loaded = registry_list(env->reg, &apps);
	for (size_t i = 0; i < *loaded; i++)
		registry_release(apps[i]);
	free(apps);
	registry_problem *pb;
	*failing = registry_problems(env->reg, &pb);
	registry_problems_free(pb, *failing);
}

/* ---- the audit log ---- */

uc_status uc_audit_page(const uc_env *env, const store_audit_query *q, uc_audit *out)
{
	memset(out, 0, sizeof *out);
	if (q->kind && !store_audit_kind_ok(q->kind))
		return UC_BAD_QUERY;
	store_audit_query one_more = *q;
	one_more.limit = q->limit + 1;
	if (auth_audit_page(env->au, &one_more, &out->lines, &out->n) != AUTH_OK ||
	    auth_audit_verify(env->au, &out->chain) != AUTH_OK) {
		uc_audit_clear(out);
		return UC_ERROR;
	}
	if (out->n > (size_t)q->limit) {
		out->more = true;
		for (size_t i = (size_t)q->limit; i < out->n; i++) {
			free(out->lines[i].at);
			free(out->lines[i].actor);
			free(out->lines[i].action);
			free(out->lines[i].target);
			free(out->lines[i].detail);
		}
		out->n = (size_t)q->limit;
	}
	return UC_OK;
}

void uc_audit_clear(uc_audit *a)
{
	store_audit_lines_free(a->lines, a->n);
	memset(a, 0, sizeof *a);
}
