/*
 * pages — HTML route handlers (see pages.h, SPEC 6).
 *
 * Each handler checks, in this order: the app and form exist, the caller is
 * identified when the page needs it (else a redirect to /login), the record is
 * within the caller's read scope (else 404, so ids leak nothing), the caller holds
 * the right (else 403), CSRF on POST (else 403), then parses and runs the shared
 * pipeline. Rendering is render.c's; rights come from access.c.
 */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "pipeline.h"
#include "render.h"
#include "tracking.h"
#include "util.h"
#include "workflow.h"

void pages_page(req *r, page *p)
{
	memset(p, 0, sizeof *p);
	p->lg = r->lg;
	p->path = r->path;
	p->user_login = r->user.login;
	p->user_name = r->user.name ? r->user.name : r->user.login;
	p->user_admin = r->user.admin;
	p->csrf = r->csrf;
}

static const char *tr(req *r, const char *fr, const char *en)
{
	return r->lg == LANG_EN ? en : fr;
}

/* An error page, with a link back to `back` (a page the user came from) when not NULL. */
static void error_page(req *r, int status, const char *message, const char *back)
{
	page p;
	pages_page(r, &p);
	buf_reset(&r->out);
	if (status >= 500)
		log_message("error", "id=%s %s", r->id, message ? message : "");
	render_error(&r->out, &p, status, status >= 500 ? NULL : message, r->id, back);
	req_html(r, status);
}

void pages_error(req *r, int status, const char *message)
{
	error_page(r, status, message, NULL);
}

static void need_login(req *r)
{
	buf loc = BUF_INIT;
	buf_puts(&loc, "/login?next=");
	buf_urlenc(&loc, r->path);
	req_redirect(r, 303, buf_cstr(&loc));
	buf_free(&loc);
}

/* Parses an urlencoded POST and checks its CSRF token; answers and returns false on failure. */
static bool read_post(req *r, req_kvs *kv)
{
	const char *ct = req_header(r, "Content-Type");
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		pages_error(r, 415, tr(r, "Ce formulaire doit être envoyé en application/x-www-form-urlencoded.",
		                        "This form must be sent as application/x-www-form-urlencoded."));
		return false;
	}
	if (req_parse_form(r, kv) != 0) {
		pages_error(r, 400, tr(r, "Le formulaire envoyé est mal encodé (UTF-8 invalide).",
		                        "The form data is malformed (invalid UTF-8)."));
		return false;
	}
	const char *tok = req_kvs_get(kv, "_csrf");
	if (!tok || !r->csrf[0] || !util_ct_streq(tok, r->csrf)) {
		pages_error(r, 403, tr(r, "Le jeton de sécurité du formulaire est absent ou périmé. "
		                          "Rechargez la page et recommencez.",
		                        "The form's security token is missing or expired. "
		                        "Reload the page and try again."));
		return false;
	}
	return true;
}

/* ---- portal, login, logout ---- */

void pages_portal(req *r)
{
	app_rt **apps;
	size_t n = registry_list(req_registry(r), &apps);
	portal_app *pa = arena_alloc(&r->mem, (n ? n : 1) * sizeof *pa);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const def_app *app = apps[i]->def;
		actor who;
		req_actor(r, app->id, &who);
		portal_form *pf = arena_alloc(&r->mem, (app->nforms ? app->nforms : 1) * sizeof *pf);
		size_t m = 0;
		for (size_t f = 0; f < app->nforms; f++) {
			bool c = access_can_create(&app->forms[f], &who);
			bool rd = access_can_read_any(&app->forms[f], &who);
			if (c || rd)
				pf[m++] = (portal_form){&app->forms[f], c, rd};
		}
		if (m)
			pa[k++] = (portal_app){app, pf, m};
	}
	page p;
	pages_page(r, &p);
	render_portal(&r->out, &p, pa, k);
	req_html(r, 200);
	for (size_t i = 0; i < n; i++)
		registry_release(apps[i]);
	free(apps);
}

/* Only paths of this site, as the browser will read them: never an open redirect. */
static const char *safe_next(req *r, const char *next)
{
	size_t n = next ? strlen(next) + 1 : 0;
	if (n < 2 || n > 2048)
		return "/";
	char *out = arena_alloc(&r->mem, n);
	return util_local_path(next, out, n) ? out : "/";
}

void pages_login(req *r)
{
	page p;
	pages_page(r, &p);
	if (strcmp(r->method, "GET") == 0) {
		render_login(&r->out, &p, NULL, NULL, safe_next(r, req_query(r, "next")));
		req_html(r, 200);
		return;
	}
	if (strcmp(r->method, "POST") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!read_post(r, &kv))
		return;
	const char *login = req_kvs_get(&kv, "login");
	const char *password = req_kvs_get(&kv, "password");
	const char *next = safe_next(r, req_kvs_get(&kv, "next"));
	auth *au = req_auth(r);
	time_t now = util_now();
	if (!login || !password || !*login || !*password) {
		render_login(&r->out, &p, login,
		             tr(r, "Saisissez votre identifiant et votre mot de passe.",
		                "Enter your login and password."),
		             next);
		req_html(r, 422);
		return;
	}
	/* Real time, not util_now: a rate is about the clock on the wall. */
	int wait = 0;
	if (!throttle_login_allow(req_throttle(r), r->client_key, login, time(NULL), &wait)) {
		auth_audit(au, login, "login_throttled", r->client_addr, NULL);
		render_login(&r->out, &p, login,
		             arena_printf(&r->mem,
		                          r->lg == LANG_EN
		                              ? "Too many failed attempts: wait %d second%s before trying again."
		                              : "Trop de tentatives échouées : patientez %d seconde%s avant de réessayer.",
		                          wait, wait > 1 ? "s" : ""),
		             next);
		req_html(r, 429);
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", wait));
		return;
	}
	auth_user u = {0};
	if (auth_check_password(au, login, password, &u) != AUTH_OK) {
		throttle_login_failed(req_throttle(r), r->client_key, login, time(NULL));
		auth_audit(au, login, "login_failed", r->client_addr, NULL);
		render_login(&r->out, &p, login,
		             tr(r, "Identifiant ou mot de passe incorrect.", "Wrong login or password."),
		             next);
		req_html(r, 401);
		return;
	}
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN];
	if (auth_session_create(au, u.login, now, token, csrf) != AUTH_OK) {
		auth_user_clear(&u);
		pages_error(r, 500, "session creation failed");
		return;
	}
	throttle_login_succeeded(req_throttle(r), r->client_key, login);
	auth_audit(au, u.login, "login", r->client_addr, NULL);
	char cookie[200];
	snprintf(cookie, sizeof cookie, "sa_session=%s; Path=/; HttpOnly; SameSite=Lax%s", token,
	         strncmp(req_base_url(r), "https:", 6) == 0 ? "; Secure" : "");
	auth_user_clear(&u);
	req_redirect(r, 303, next);
	req_add_header(r, "Set-Cookie", cookie);
}

void pages_logout(req *r)
{
	if (strcmp(r->method, "POST") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!read_post(r, &kv))
		return;
	const char *sess = req_cookie(r, "sa_session");
	if (sess)
		auth_session_delete(req_auth(r), sess);
	if (r->user.login)
		auth_audit(req_auth(r), r->user.login, "logout", r->client_addr, NULL);
	req_redirect(r, 303, "/");
	req_add_header(r, "Set-Cookie", "sa_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
}

/* ---- app pages ---- */

typedef struct page_ctx {
	app_rt *app;
	const def_form *form;
	actor who;
	pipe_job job;
	bool *readable;
	bool *writable;
	char *path_base;          /* /a/<app>/<form>/ */
	record old;               /* the stored record (edit) */
	bool have_old;
	const pipe_pair *pairs;
	size_t npairs;
	wf_job wf;                /* a transition being written */
} page_ctx;

static void page_ctx_cleanup(void *p)
{
	page_ctx *c = p;
	pipe_job_free(&c->job);
	wf_job_free(&c->wf);
	if (c->have_old)
		record_clear(&c->old);
}

static void masks(req *r, page_ctx *c, const record *rec)
{
	const def_form *f = c->form;
	c->readable = arena_alloc(&r->mem, (f->ncols ? f->ncols : 1) * sizeof(bool));
	c->writable = arena_alloc(&r->mem, (f->ncols ? f->ncols : 1) * sizeof(bool));
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		bool form_col = fd >= f->fields && fd < f->fields + f->nfields;
		c->readable[col] = access_can_read_col(fd, &c->who);
		c->writable[col] = form_col && access_can_write_col(f, fd, &c->who, rec);
	}
}

static void app_home(req *r, page_ctx *c)
{
	const def_app *app = c->app->def;
	home_form *hf = arena_alloc(&r->mem, (app->nforms ? app->nforms : 1) * sizeof *hf);
	size_t k = 0;
	time_t now = util_now();
	for (size_t i = 0; i < app->nforms; i++) {
		const def_form *f = &app->forms[i];
		bool cr = access_can_create(f, &c->who);
		bool rd = access_can_read_any(f, &c->who);
		if (!cr && !rd)
			continue;
		size_t ns = f->workflow ? f->workflow->nstates : 1;
		store_state_count *counts = arena_alloc(&r->mem, ns * sizeof *counts);
		int got = 0;
		if (rd) {
			store_scope sc = access_read_scope(f, &c->who);
			got = store_count_states(c->app->db, f, &sc, now, counts);
			if (got < 0)
				got = 0;
		}
		hf[k++] = (home_form){f, cr, rd, counts, (size_t)got};
	}
	if (k == 0) {
		if (!c->who.login)
			need_login(r);
		else
			pages_error(r, 403, NULL);
		return;
	}
	page p;
	pages_page(r, &p);
	render_app_home(&r->out, &p, app, hf, k);
	req_html(r, 200);
}

typedef struct list_params {
	req *r;
	page_ctx *c;
	store_query *q;
	store_eq *eq;
	size_t neq;
	bool bad;
} list_params;

static bool list_param(void *arg, const char *key, const char *val)
{
	list_params *lp = arg;
	if (!val || !*val)
		return true; /* empty filter inputs of the GET form */
	if (!util_utf8_valid(val, strlen(val))) {
		lp->bad = true;
		return false;
	}
	if (strcmp(key, "q") == 0)
		lp->q->q = val;
	else if (strcmp(key, "state") == 0)
		lp->q->state = val;
	else if (strcmp(key, "overdue") == 0)
		lp->q->overdue_only = true;
	else if (strcmp(key, "sort") == 0)
		lp->q->sort = val;
	else if (strcmp(key, "after") == 0)
		lp->q->after = val;
	else if (strcmp(key, "lang") == 0)
		;
	else {
		int col = def_find_col(lp->c->form, key);
		if (col >= 0 && lp->neq < 16 && access_can_read_col(lp->c->form->cols[col], &lp->c->who)) {
			lp->eq[lp->neq].col = col;
			lp->eq[lp->neq].value = val;
			lp->neq++;
		}
	}
	return true;
}

static void list_page(req *r, page_ctx *c)
{
	const def_form *f = c->form;
	if (!access_can_read_any(f, &c->who)) {
		if (!c->who.login)
			need_login(r);
		else
			pages_error(r, 403, NULL);
		return;
	}
	store_query q = {0};
	store_eq *eq = arena_alloc(&r->mem, 16 * sizeof *eq);
	q.scope = access_read_scope(f, &c->who);
	q.now = util_now();
	q.limit = f->list.page_size > 0 ? f->list.page_size : 25;
	list_params lp = {.r = r, .c = c, .q = &q, .eq = eq};
	req_query_each(r, list_param, &lp);
	if (lp.bad) {
		pages_error(r, 400, NULL);
		return;
	}
	if (q.state && (!f->workflow || def_find_state(f->workflow, q.state) < 0))
		q.state = NULL;
	q.eq = eq;
	q.neq = lp.neq;
	/* Private fields of others are neither searched nor sorted on: either would reveal them. */
	masks(r, c, NULL);
	q.readable = c->readable;
	if (q.sort) {
		int col = def_find_col(f, q.sort[0] == '-' ? q.sort + 1 : q.sort);
		if (col >= 0 && !c->readable[col])
			q.sort = NULL;
	}
	store_page sp = {0};
	char err[STORE_ERR_LEN] = "";
	int rc = store_list(c->app->db, f, &q, &sp, err);
	if (rc == STORE_BADQUERY) {
		pages_error(r, 400, tr(r, "Paramètres de liste invalides (tri ou page).",
		                        "Invalid list parameters (sort or page)."));
		return;
	}
	int64_t total = 0;
	if (rc != STORE_OK || store_count(c->app->db, f, &q, &total) != STORE_OK) {
		store_page_free(&sp);
		pages_error(r, 500, err);
		return;
	}
	masks(r, c, NULL);
	list_view v = {
		.app = c->app->def,
		.form = f,
		.readable = c->readable,
		.records = &sp,
		.total = total,
		.can_create = access_can_create(f, &c->who),
		.q = q.q,
		.state = q.state,
		.overdue_only = q.overdue_only,
		.sort = q.sort,
		.eq = eq,
		.neq = lp.neq,
		.after = q.after,
	};
	page p;
	pages_page(r, &p);
	render_list(&r->out, &p, &v);
	req_html(r, 200);
	store_page_free(&sp);
}

static pipe_pair *pairs_of(req *r, const req_kvs *kv)
{
	pipe_pair *pp = arena_alloc(&r->mem, (kv->n ? kv->n : 1) * sizeof *pp);
	for (size_t i = 0; i < kv->n; i++) {
		pp[i].name = kv->v[i].name;
		pp[i].value = kv->v[i].value;
	}
	return pp;
}

static void render_form_page(req *r, page_ctx *c, int status, const record *values,
                             const field_errors *errs, bool editing, const record *theirs)
{
	page p;
	pages_page(r, &p);
	char *action = editing ? arena_printf(&r->mem, "%s%lld/edit", c->path_base,
	                                      (long long)values->id)
	                       : arena_printf(&r->mem, "%snew", c->path_base);
	form_view v = {
		.app = c->app->def,
		.form = c->form,
		.values = values,
		.errors = errs,
		.writable = c->writable,
		.readable = c->readable,
		.editing = editing,
		.id = editing ? values->id : 0,
		.version = theirs ? theirs->version : (values ? values->version : 0),
		.theirs = theirs,
		.action = action,
	};
	buf_reset(&r->out);
	render_form(&r->out, &p, &v);
	req_html(r, status);
}

static void after_create(req *r, int rc)
{
	page_ctx *c = r->cleanup_arg;
	if (rc != STORE_OK) {
		pages_error(r, 500, "insert failed");
		return;
	}
	store_scope sc = access_read_scope(c->form, &c->who);
	bool can_read = !sc.none && (!sc.owner || (c->who.login && c->job.rec.created_by &&
	                                           strcmp(c->who.login, c->job.rec.created_by) == 0));
	char token[TRACKING_TOKEN_LEN];
	if (!can_read && !c->job.rec.created_by && tracking_enabled(c->form) &&
	    tracking_token(c->app, c->form, c->job.rec.id, token) == 0) {
		/* The receipt is the tracking page itself: its address is the only key. */
		req_redirect(r, 303, arena_printf(&r->mem, "/suivi/%s?recu=1", token));
		return;
	}
	char *loc = can_read ? arena_printf(&r->mem, "%s%lld", c->path_base, (long long)c->job.rec.id)
	                     : arena_printf(&r->mem, "%snew?envoye=%lld", c->path_base,
	                                    (long long)c->job.rec.id);
	req_redirect(r, 303, loc);
}

static void new_page(req *r, page_ctx *c)
{
	const def_form *f = c->form;
	if (!access_can_create(f, &c->who)) {
		if (!c->who.login)
			need_login(r);
		else
			pages_error(r, 403, NULL);
		return;
	}
	masks(r, c, NULL);
	if (strcmp(r->method, "GET") == 0) {
		/* A blank form shows the defaults. */
		record blank;
		record_init(&blank, f);
		char msg[VALIDATE_MSG];
		for (size_t col = 0; col < f->ncols; col++)
			if (f->cols[col]->default_value)
				validate_parse_json(f->cols[col], f->cols[col]->default_value,
				                    &blank.values[col], r->lg, msg);
		const char *sent = req_query(r, "envoye");
		page p;
		pages_page(r, &p);
		char *flash = NULL;
		if (sent && strspn(sent, "0123456789") == strlen(sent) && strlen(sent) < 19)
			flash = arena_printf(&r->mem,
			                     r->lg == LANG_EN ? "Your submission no. %s has been recorded."
			                                      : "Votre demande n° %s a bien été enregistrée.",
			                     sent);
		p.flash = flash;
		form_view v = {.app = c->app->def, .form = f, .values = &blank,
		               .writable = c->writable, .readable = c->readable,
		               .action = arena_printf(&r->mem, "%snew", c->path_base)};
		render_form(&r->out, &p, &v);
		req_html(r, 200);
		record_clear(&blank);
		return;
	}
	if (strcmp(r->method, "POST") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!read_post(r, &kv))
		return;
	pipe_ctx pc = {.app = c->app, .form = f, .who = &c->who, .lg = r->lg, .now = util_now()};
	write_in in = {.pairs = pairs_of(r, &kv), .npairs = kv.n};
	field_errors errs = {0};
	char err[SANDBOX_ERR] = "";
	int rc = pipeline_create(&pc, &in, &c->job.rec, &errs, err);
	if (rc == PIPE_INVALID) {
		render_form_page(r, c, 422, &c->job.rec, &errs, false, NULL);
		field_errors_clear(&errs);
		return;
	}
	field_errors_clear(&errs);
	if (rc != PIPE_OK) {
		pages_error(r, 500, err);
		return;
	}
	/* Real time, not util_now: a rate is about the clock on the wall. */
	if (!c->who.login && !throttle_submit(req_throttle(r), r->client_key, time(NULL))) {
		field_errors_add(&errs, "_", tr(r, "Trop de demandes envoyées depuis votre adresse en une "
		                                   "minute : patientez une minute, puis renvoyez ce "
		                                   "formulaire (ce que vous avez saisi est conservé).",
		                                "Too many submissions from your address in a minute: "
		                                "wait a minute, then send this form again (what you "
		                                "typed is kept)."));
		req_add_header(r, "Retry-After", "60");
		render_form_page(r, c, 429, &c->job.rec, &errs, false, NULL);
		field_errors_clear(&errs);
		return;
	}
	c->job.app = c->app;
	c->job.form = f;
	c->job.at = arena_strdup(&r->mem, c->job.rec.created_at);
	c->job.actor = c->who.login ? c->who.login : "anonyme";
	c->job.changes = pipeline_changes(f, NULL, &c->job.rec);
	req_write(r, c->app->db, pipeline_apply_insert, &c->job, after_create);
}

/* Loads the record within the caller's read scope; answers 404 (or login) when out of it. */
static bool load_record(req *r, page_ctx *c, const char *idtxt)
{
	char *end;
	long long id = strtoll(idtxt, &end, 10);
	if (!*idtxt || *end || id <= 0 || strspn(idtxt, "0123456789") != strlen(idtxt)) {
		pages_error(r, 404, NULL);
		return false;
	}
	store_scope sc = access_read_scope(c->form, &c->who);
	if (sc.none && !c->who.login) {
		need_login(r);
		return false;
	}
	int rc = store_get(c->app->db, c->form, id, &sc, util_now(), &c->old);
	if (rc == STORE_NOTFOUND) {
		pages_error(r, 404, NULL);
		return false;
	}
	if (rc != STORE_OK) {
		pages_error(r, 500, "store_get failed");
		return false;
	}
	c->have_old = true;
	return true;
}

static void filter_history(const def_form *f, const actor *who, store_history_line *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!h[i].changes)
			continue;
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(h[i].changes, tmp, k, v) {
			int col = def_find_col(f, k);
			if (col >= 0 ? !access_can_read_col(f->cols[col], who) : !who->admin)
				json_object_del(h[i].changes, k);
		}
	}
}

static void record_page(req *r, page_ctx *c)
{
	const def_form *f = c->form;
	masks(r, c, &c->old);
	store_history_line *h = NULL;
	size_t nh = 0;
	if (store_history(c->app->db, f, c->old.id, &h, &nh) != STORE_OK) {
		pages_error(r, 500, "store_history failed");
		return;
	}
	filter_history(f, &c->who, h, nh);
	const def_transition **ts = arena_alloc(
		&r->mem, (f->workflow && f->workflow->ntransitions ? f->workflow->ntransitions : 1) *
		             sizeof *ts);
	size_t nts = workflow_available(f, &c->who, &c->old, ts);
	record_view v = {
		.transitions = ts,
		.ntransitions = nts,
		.app = c->app->def,
		.form = f,
		.rec = &c->old,
		.readable = c->readable,
		.can_edit = access_can_edit(f, &c->who, &c->old),
		.can_delete = access_can_delete(f, &c->who, &c->old),
		.history = h,
		.nhistory = nh,
	};
	page p;
	pages_page(r, &p);
	const char *done = req_query(r, "ok");
	if (done && strcmp(done, "1") == 0)
		p.flash = tr(r, "Modifications enregistrées.", "Changes saved.");
	const def_transition *did = f->workflow ? def_find_transition(f, req_query(r, "fait") ? req_query(r, "fait") : "") : NULL;
	if (did)
		p.flash = arena_printf(&r->mem, r->lg == LANG_EN ? "Done: %s." : "Action effectuée : %s.",
		                       did->label);
	render_record(&r->out, &p, &v);
	req_html(r, 200);
	store_history_free(h, nh);
}

static void after_update(req *r, int rc)
{
	page_ctx *c = r->cleanup_arg;
	if (rc == STORE_CONFLICT || rc == STORE_NOTFOUND) {
		/* Someone saved meanwhile: show both versions. */
		record cur;
		store_scope sc = access_read_scope(c->form, &c->who);
		if (store_get(c->app->db, c->form, c->old.id, &sc, util_now(), &cur) != STORE_OK) {
			pages_error(r, 404, NULL);
			return;
		}
		masks(r, c, &cur);
		render_form_page(r, c, 409, &c->job.rec, NULL, true, &cur);
		record_clear(&cur);
		return;
	}
	if (rc != STORE_OK) {
		pages_error(r, 500, "update failed");
		return;
	}
	req_redirect(r, 303, arena_printf(&r->mem, "%s%lld?ok=1", c->path_base,
	                                  (long long)c->job.rec.id));
}

static void edit_page(req *r, page_ctx *c)
{
	const def_form *f = c->form;
	if (!access_can_edit(f, &c->who, &c->old)) {
		pages_error(r, 403, tr(r, "Vous ne pouvez pas modifier cet enregistrement dans son état actuel.",
		                        "You may not edit this record in its current state."));
		return;
	}
	masks(r, c, &c->old);
	if (strcmp(r->method, "GET") == 0) {
		render_form_page(r, c, 200, &c->old, NULL, true, NULL);
		return;
	}
	if (strcmp(r->method, "POST") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!read_post(r, &kv))
		return;
	const char *ver = req_kvs_get(&kv, "version");
	char *end = NULL;
	long long expect = ver ? strtoll(ver, &end, 10) : -1;
	if (!ver || !*ver || *end) {
		pages_error(r, 400, tr(r, "Version du formulaire absente.", "Missing form version."));
		return;
	}
	pipe_ctx pc = {.app = c->app, .form = f, .who = &c->who, .lg = r->lg, .now = util_now()};
	write_in in = {.pairs = pairs_of(r, &kv), .npairs = kv.n};
	field_errors errs = {0};
	char err[SANDBOX_ERR] = "";
	int rc = pipeline_update(&pc, &c->old, &in, &c->job.rec, &errs, err);
	if (rc == PIPE_INVALID) {
		render_form_page(r, c, 422, &c->job.rec, &errs, true, NULL);
		field_errors_clear(&errs);
		return;
	}
	field_errors_clear(&errs);
	if (rc != PIPE_OK) {
		pages_error(r, 500, err);
		return;
	}
	if (expect != c->old.version) {
		render_form_page(r, c, 409, &c->job.rec, NULL, true, &c->old);
		return;
	}
	c->job.form = f;
	c->job.at = arena_strdup(&r->mem, c->job.rec.updated_at);
	c->job.actor = c->who.login;
	c->job.changes = pipeline_changes(f, &c->old, &c->job.rec);
	c->job.expect_version = expect;
	req_write(r, c->app->db, pipeline_apply_update, &c->job, after_update);
}

static void after_delete(req *r, int rc)
{
	page_ctx *c = r->cleanup_arg;
	if (rc == STORE_NOTFOUND) {
		pages_error(r, 404, NULL);
		return;
	}
	if (rc != STORE_OK) {
		pages_error(r, 500, "delete failed");
		return;
	}
	req_redirect(r, 303, c->path_base);
}

static void delete_page(req *r, page_ctx *c)
{
	if (strcmp(r->method, "POST") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!read_post(r, &kv))
		return;
	if (!access_can_delete(c->form, &c->who, &c->old)) {
		pages_error(r, 403, NULL);
		return;
	}
	char now[32];
	util_iso_datetime(util_now(), now);
	c->job.app = c->app;
	c->job.form = c->form;
	c->job.id = c->old.id;
	c->job.at = arena_strdup(&r->mem, now);
	c->job.actor = c->who.login;
	req_write(r, c->app->db, pipeline_apply_delete, &c->job, after_delete);
}

static void render_do_page(req *r, page_ctx *c, const def_transition *t, int status,
                           const record *values, const char *comment, const field_errors *errs)
{
	page p;
	pages_page(r, &p);
	bool *writable = arena_alloc(&r->mem, (t->nfields ? t->nfields : 1) * sizeof *writable);
	for (size_t i = 0; i < t->nfields; i++)
		writable[i] = workflow_field_writable(c->form, &t->fields[i], &c->who, &c->old);
	transition_view v = {
		.writable = writable,
		.app = c->app->def,
		.form = c->form,
		.rec = &c->old,
		.transition = t,
		.values = values,
		.comment = comment,
		.errors = errs,
		.action = arena_printf(&r->mem, "%s%lld/do/%s", c->path_base, (long long)c->old.id, t->id),
	};
	buf_reset(&r->out);
	render_transition(&r->out, &p, &v);
	req_html(r, status);
}

/* The record's page, to go back to after a refusal. */
static const char *record_href(req *r, const page_ctx *c)
{
	return arena_printf(&r->mem, "%s%lld", c->path_base, (long long)c->old.id);
}

static void after_transition(req *r, int rc)
{
	page_ctx *c = r->cleanup_arg;
	if (rc == STORE_CONFLICT || rc == STORE_NOTFOUND) {
		error_page(r, 409, tr(r, "L'enregistrement a changé entre-temps : rechargez la page et recommencez.",
		                       "The record changed meanwhile: reload the page and try again."),
		           record_href(r, c));
		return;
	}
	if (rc != STORE_OK) {
		pages_error(r, 500, "transition write failed");
		return;
	}
	if (c->wf.mail.n)
		req_mail_queued(r);
	req_redirect(r, 303, arena_printf(&r->mem, "%s%lld?fait=%s", c->path_base,
	                                  (long long)c->old.id, c->wf.t->id));
}

/* GET/POST /a/<app>/<form>/<id>/do/<t>: the transition's small form, and triggering it. */
static void do_page(req *r, page_ctx *c, const char *tid)
{
	const def_transition *t = c->form->workflow ? def_find_transition(c->form, tid) : NULL;
	if (!t) {
		pages_error(r, 404, NULL);
		return;
	}
	bool get = strcmp(r->method, "GET") == 0;
	if (!get && strcmp(r->method, "POST") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	access_trigger why = access_trigger_check(t, &c->who, &c->old);
	if (why != ACCESS_TRIGGER_OK) {
		pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = r->lg};
		char msg[SANDBOX_ERR];
		workflow_refusal_message(&pc, t, why, msg);
		error_page(r, 403, msg, record_href(r, c));
		return;
	}
	if (!c->old.state || !def_strlist_has(&t->from, c->old.state)) {
		error_page(r, 409, tr(r, "Cette action n'est pas possible dans l'état actuel de l'enregistrement.",
		                       "This action is not possible in the record's current state."),
		           record_href(r, c));
		return;
	}
	if (get) {
		render_do_page(r, c, t, 200, NULL, NULL, NULL);
		return;
	}
	req_kvs kv;
	if (!read_post(r, &kv))
		return;
	const char *ver = req_kvs_get(&kv, "version");
	char *end = NULL;
	long long expect = ver ? strtoll(ver, &end, 10) : -1;
	if (!ver || !*ver || *end) {
		pages_error(r, 400, tr(r, "Version du formulaire absente.", "Missing form version."));
		return;
	}
	if (expect != c->old.version) {
		error_page(r, 409, tr(r, "L'enregistrement a changé depuis l'affichage de cette page : rechargez-la et recommencez.",
		                       "The record changed since this page was shown: reload it and try again."),
		           record_href(r, c));
		return;
	}
	pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = r->lg, .now = util_now()};
	write_in in = {.pairs = pairs_of(r, &kv), .npairs = kv.n};
	const char *comment = req_kvs_get(&kv, WF_COMMENT);
	field_errors errs = {0};
	char msg[SANDBOX_ERR] = "";
	int rc = workflow_prepare(&pc, &c->old, t, &in, comment, req_base_url(r), &c->wf, &errs, msg);
	switch (rc) {
	case WF_OK:
		req_write(r, c->app->db, workflow_apply, &c->wf, after_transition);
		break;
	case WF_FORBIDDEN:
		error_page(r, 403, msg[0] ? msg : NULL, record_href(r, c));
		break;
	case WF_CONFLICT:
		error_page(r, 409, NULL, record_href(r, c));
		break;
	case WF_GUARD:
		/* The guard's reason, shown where the user can act on it. */
		field_errors_add(&errs, "_", msg[0] ? msg : tr(r, "Action refusée.", "Action refused."));
		render_do_page(r, c, t, 409, c->wf.rec.values ? &c->wf.rec : NULL, comment, &errs);
		break;
	case WF_INVALID:
		render_do_page(r, c, t, 422, c->wf.rec.values ? &c->wf.rec : NULL, comment, &errs);
		break;
	default:
		pages_error(r, 500, msg);
		break;
	}
	field_errors_clear(&errs);
}

void pages_app(req *r, const char **seg, int nseg)
{
	app_rt *app = registry_get(req_registry(r), seg[0]);
	if (!app) {
		pages_error(r, 404, NULL);
		return;
	}
	r->app = app;
	if (nseg == 1) {
		req_redirect(r, 301, arena_printf(&r->mem, "/a/%s/", app->def->id));
		return;
	}
	page_ctx *c = arena_alloc(&r->mem, sizeof *c);
	c->app = app;
	req_actor(r, app->def->id, &c->who);
	r->cleanup = page_ctx_cleanup;
	r->cleanup_arg = c;
	if (nseg == 2 && seg[1][0] == '\0') {
		app_home(r, c);
		return;
	}
	c->form = def_find_form(app->def, seg[1]);
	if (!c->form) {
		pages_error(r, 404, NULL);
		return;
	}
	c->path_base = arena_printf(&r->mem, "/a/%s/%s/", app->def->id, c->form->id);
	if (nseg == 2) {
		req_redirect(r, 301, c->path_base);
		return;
	}
	if (nseg == 3 && seg[2][0] == '\0') {
		if (strcmp(r->method, "GET") != 0) {
			pages_error(r, 405, NULL);
			return;
		}
		list_page(r, c);
		return;
	}
	if (nseg == 3 && strcmp(seg[2], "new") == 0) {
		new_page(r, c);
		return;
	}
	if (nseg > 5 || (nseg == 5 && strcmp(seg[3], "do") != 0)) {
		pages_error(r, 404, NULL);
		return;
	}
	if (!load_record(r, c, seg[2]))
		return;
	if (nseg == 5) {
		do_page(r, c, seg[4]);
		return;
	}
	if (nseg == 3) {
		if (strcmp(r->method, "GET") != 0)
			pages_error(r, 405, NULL);
		else
			record_page(r, c);
	} else if (strcmp(seg[3], "edit") == 0) {
		edit_page(r, c);
	} else if (strcmp(seg[3], "delete") == 0) {
		delete_page(r, c);
	} else {
		pages_error(r, 404, NULL);
	}
}

/* GET /suivi/<token>: what an anonymous submitter may know of their request. */
void pages_tracking(req *r, const char *token)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	const def_form *f = NULL;
	int64_t id = 0;
	app_rt *app = tracking_find(req_registry(r), token, &f, &id);
	if (!app) {
		pages_error(r, 404, tr(r, "Ce lien de suivi n'existe pas. Vérifiez qu'il a été recopié en entier.",
		                        "This tracking link does not exist. Check that it was copied in full."));
		return;
	}
	r->app = app;
	record rec;
	int rc = store_get(app->db, f, id, NULL, util_now(), &rec);
	if (rc != STORE_OK) {
		/* Deleted (or purged) since: the link no longer leads anywhere. */
		pages_error(r, rc == STORE_NOTFOUND ? 404 : 500, rc == STORE_NOTFOUND ? NULL : "store_get failed");
		return;
	}
	store_history_line *h = NULL;
	size_t nh = 0;
	if (store_history(app->db, f, id, &h, &nh) != STORE_OK) {
		record_clear(&rec);
		pages_error(r, 500, "store_history failed");
		return;
	}
	tracking_step *steps = arena_alloc(&r->mem, (nh ? nh : 1) * sizeof *steps);
	size_t ns = 0;
	for (size_t i = 0; i < nh; i++)
		if (h[i].to_state && (strcmp(h[i].action, "create") == 0 ||
		                      strcmp(h[i].action, "transition") == 0 ||
		                      strcmp(h[i].action, "move") == 0))
			steps[ns++] = (tracking_step){h[i].at, h[i].to_state};
	const char *recu = req_query(r, "recu");
	page p;
	pages_page(r, &p);
	tracking_view v = {
		.app = app->def,
		.form = f,
		.rec = &rec,
		.steps = steps,
		.nsteps = ns,
		.receipt = recu && strcmp(recu, "1") == 0,
		.link = arena_printf(&r->mem, "%s/suivi/%s", req_base_url(r), token),
	};
	render_tracking(&r->out, &p, &v);
	/* The token is the key: every answer is no-store, and the Referrer-Policy keeps
	 * the URL out of other sites' logs (server.c). */
	req_html(r, 200);
	store_history_free(h, nh);
	record_clear(&rec);
}

/* GET /admin/outbox: the latest mails of every app served, for global admins. */
static void admin_outbox(req *r)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	page p;
	pages_page(r, &p);
	app_rt **apps;
	size_t n = registry_list(req_registry(r), &apps);
	outbox_view *v = xcalloc(n ? n : 1, sizeof *v);
	outbox_row **rows = xcalloc(n ? n : 1, sizeof *rows);
	for (size_t i = 0; i < n; i++) {
		v[i].app = apps[i]->def;
		v[i].unreadable = outbox_recent(apps[i]->db, 200, &rows[i], &v[i].nrows) != STORE_OK;
		v[i].rows = rows[i];
	}
	render_admin_outbox(&r->out, &p, v, n);
	req_html(r, 200);
	for (size_t i = 0; i < n; i++) {
		outbox_rows_free(rows[i], v[i].nrows);
		registry_release(apps[i]);
	}
	free(rows);
	free(v);
	free(apps);
}

void pages_admin(req *r)
{
	if (!r->user.login) {
		need_login(r);
		return;
	}
	if (!r->user.admin) {
		pages_error(r, 403, NULL);
		return;
	}
	if (strcmp(r->path, "/admin/outbox") == 0) {
		admin_outbox(r);
		return;
	}
	if (strcmp(r->path, "/admin") != 0 && strcmp(r->path, "/admin/") != 0) {
		pages_error(r, 404, NULL);
		return;
	}
	page p;
	pages_page(r, &p);
	app_rt **apps;
	size_t n = registry_list(req_registry(r), &apps);
	registry_problem *pb;
	size_t npb = registry_problems(req_registry(r), &pb);
	render_admin(&r->out, &p, (const app_rt *const *)apps, n, pb, npb);
	req_html(r, 200);
	registry_problems_free(pb, npb);
	for (size_t i = 0; i < n; i++)
		registry_release(apps[i]);
	free(apps);
}
