/*
 * pages_app — the pages of an app (SPEC 6): home, list, new, record, edit, delete and
 * transitions, under /a/<app>/<form>/....
 *
 * Each handler checks what only the door can: the app and form exist, the caller is
 * signed in when the page needs it (else a redirect to /login), the method, CSRF on
 * POST. Everything else (scope, rights, state, versions, the pipeline) is the
 * use-case layer's; its result becomes a page, a redirect, or an error page.
 */
#include "download.h"
#include "export.h"
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct page_ctx {
	app_rt *app;
	const def_form *form;
	uc_call call;
	uc_result res;
	const char *path_base;	      /* /a/<app>/<form>/ */
	int64_t id;		      /* the record of the page (0: none) */
	const def_transition *t;      /* the transition of a /do/ page */
	record stored;		      /* a /do/ page: the record as stored, shown with the form */
	const field_errors *warnings; /* the form's warnings, to confirm */
	int step;		      /* a multi-step form: the step shown (nsteps: the summary) */
	const char *focus_line;	      /* a repeat's line to focus (page.focus_line) */
	write_in in;
	const char *comment;
	bool editing;
	ref_view refs; /* what the page's references show */
	/* drafts (pages_drafts.c): the key of the draft resumed (its id, or an anonymous
	 * link's token), its page, and the draft read to send it */
	const char *draft;
	const char *draft_href;
	uc_draft sent;
	const uc_draft *shown; /* the draft page: its dates */
} page_ctx;

static void page_ctx_cleanup(void *p)
{
	page_ctx *c = p;
	uc_result_clear(&c->res);
	uc_draft_clear(&c->sent);
	if (c->stored.values)
		record_clear(&c->stored);
	ref_view_clear(&c->refs);
}

/* The page's references (labels, and a form's inputs when writable): a failure to read
 * them shows numbers, never more. */
static void page_refs(page_ctx *c, page *p, const record *recs, size_t n, const bool *readable,
		      const bool *writable)
{
	ref_view_clear(&c->refs);
	uc_references(&c->call, recs, n, readable, writable, &c->refs);
	p->refs = &c->refs;
}

/* "Confirmer quand même": the person saw the form's warnings (SPEC 4.2 `warn`). */
static bool confirmed(const req_kvs *kv)
{
	const char *v = req_kvs_get(kv, "_confirm");
	return v && strcmp(v, "1") == 0;
}

static bool is(const req *r, const char *method)
{
	return strcmp(r->method, method) == 0;
}

static const actor *who(const page_ctx *c)
{
	return &c->call.who;
}

/* The record's page, to go back to after a refusal. */
static const char *record_href(req *r, const page_ctx *c)
{
	return arena_printf(&r->mem, "%s%lld", c->path_base, (long long)c->id);
}

/* A refusal: a login for an anonymous person, a 403 (with why) for a signed-in one. */
static void refuse(req *r, const page_ctx *c, const char *msg, const char *back)
{
	if (!who(c)->login)
		pages_need_login(r);
	else
		pages_error_back(r, 403, msg && *msg ? msg : NULL, back);
}

/* What the person may see and write, per column, for rec (NULL: a new record). */
static void masks(req *r, page_ctx *c, const record *rec, bool **readable, bool **writable)
{
	const def_form *f = c->form;
	*readable = arena_alloc(&r->mem, (f->ncols ? f->ncols : 1) * sizeof(bool));
	*writable = arena_alloc(&r->mem, (f->ncols ? f->ncols : 1) * sizeof(bool));
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		bool form_col = fd >= f->fields && fd < f->fields + f->nfields;
		(*readable)[col] = access_can_read_col(fd, who(c));
		(*writable)[col] = form_col && access_can_write_col(f, fd, who(c), rec);
	}
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

/* ---- files ---- */

/* Whose kept uploads these are: the person, or an anonymous browser by its CSRF cookie. */
static const char *keeper(req *r, const page_ctx *c)
{
	return c->call.who.login ? c->call.who.login : arena_printf(&r->mem, "anon:%s", r->csrf);
}

/*
 * The files of the form: those sent now, and those kept from the same person's try
 * sent back with errors (<field>__keep), for fields that got no new file.
 */
static void files_in(req *r, page_ctx *c, const req_kvs *kv, const def_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const def_field *fd = &fields[i];
		if (fd->type != FT_FILE || upload_list_find(&r->uploads, fd->name))
			continue;
		const char *token = req_kvs_get(kv, arena_printf(&r->mem, "%s__keep", fd->name));
		upload *u =
		    token ? upload_resume(r->env->upload_dir, token, fd->name, keeper(r, c)) : NULL;
		if (u)
			upload_list_add(&r->uploads, u);
	}
	c->in.files = &r->uploads;
}

/* The form comes back: what was received waits for the next try (24 h at most). */
static const upload_list *keep_files(req *r, const page_ctx *c)
{
	for (size_t i = 0; i < r->uploads.n; i++)
		if (!r->uploads.v[i]->token[0])
			upload_keep(r->uploads.v[i], r->env->upload_dir, keeper(r, c));
	return &r->uploads;
}

/* The write went through: kept files are in the store now. */
static void used_files(req *r)
{
	for (size_t i = 0; i < r->uploads.n; i++)
		if (r->uploads.v[i]->token[0])
			upload_forget(r->env->upload_dir, r->uploads.v[i]->token);
}

static const char *files_href(req *r, const page_ctx *c, int64_t id)
{
	return id ? arena_printf(&r->mem, "%s%lld/files/", c->path_base, (long long)id) : NULL;
}

/* GET /a/<app>/<form>/<id>/files/<field>: the file, for those who may read it there. */
static void file_page(req *r, page_ctx *c, const char *field)
{
	if (!is(r, "GET")) {
		pages_error(r, 405, NULL);
		return;
	}
	uc_file f;
	if (uc_file_open(&c->call, c->id, field, &f, &c->res) == UC_OK) {
		download_answer(r, &f);
		return;
	}
	if (c->res.status == UC_UNAVAILABLE) {
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", c->res.retry_after));
		pages_error(r, 503, NULL);
	} else if (c->res.status == UC_NOT_FOUND && !who(c)->login) {
		pages_need_login(r);
	} else {
		pages_error(r, c->res.status == UC_NOT_FOUND ? 404 : 500, NULL);
	}
}

/* The version the page was shown at, from its hidden input; false (answered 400) if absent. */
static bool posted_version(req *r, const req_kvs *kv, int64_t *out)
{
	const char *ver = req_kvs_get(kv, "version");
	char *end = NULL;
	long long v = ver ? strtoll(ver, &end, 10) : -1;
	if (!ver || !*ver || *end || v < 0) {
		pages_error(r, 400,
			    pages_tr(r, "Version du formulaire absente.", "Missing form version."));
		return false;
	}
	*out = v;
	return true;
}

/* ---- home ---- */

static void app_home(req *r, page_ctx *c)
{
	const def_app *app = c->app->def;
	home_form *hf = arena_alloc(&r->mem, (app->nforms ? app->nforms : 1) * sizeof *hf);
	size_t k = 0;
	for (size_t i = 0; i < app->nforms; i++) {
		const def_form *f = &app->forms[i];
		bool cr = access_can_create(f, who(c));
		bool rd = access_can_read_any(f, who(c));
		if (!cr && !rd)
			continue;
		size_t ns = f->workflow ? f->workflow->nstates : 1, got = 0;
		store_state_count *counts = arena_alloc(&r->mem, ns * sizeof *counts);
		if (rd)
			uc_state_counts(&c->call, f, counts, &got);
		hf[k++] = (home_form){f,
				      cr,
				      rd,
				      counts,
				      got,
				      uc_stats_covers(&c->call, f),
				      cr && f->drafts_days > 0 && who(c)->login};
	}
	if (k == 0) {
		refuse(r, c, NULL, NULL);
		return;
	}
	page p;
	pages_page(r, &p);
	render_app_home(&r->out, &p, app, hf, k);
	req_html(r, 200);
}

/* ---- list ---- */

/* The list's query string; unknown or unreadable parameters are ignored (a browser's). */
static bool list_query(req *r, page_ctx *c, uc_list_query *q, store_eq *eq)
{
	const def_form *f = c->form;
	for (size_t i = 0; i < r->query.n; i++) {
		const char *key = r->query.v[i].name, *val = r->query.v[i].value;
		if (!*val)
			continue; /* empty filter inputs of the GET form */
		if (!util_utf8_valid(val, strlen(val)))
			return false;
		if (strcmp(key, "q") == 0) {
			q->q = val;
		} else if (strcmp(key, "state") == 0) {
			if (f->workflow && def_find_state(f->workflow, val) >= 0)
				q->state = val;
		} else if (strcmp(key, "overdue") == 0) {
			q->overdue_only = true;
		} else if (strcmp(key, "sort") == 0) {
			int col = def_find_col(f, val[0] == '-' ? val + 1 : val);
			if (col < 0 || access_can_read_col(f->cols[col], who(c)))
				q->sort = val;
		} else if (strcmp(key, "after") == 0) {
			q->after = val;
		} else if (strcmp(key, "lang") != 0) {
			int col = def_find_col(f, key);
			if (col >= 0 && q->neq < 16 && access_can_read_col(f->cols[col], who(c))) {
				eq[q->neq].col = col;
				eq[q->neq].value = val;
				q->neq++;
			}
		}
	}
	return true;
}

/*
 * /a/<app>/<form>/export.csv, export.jsonl (the list's query; open_data=1 for open
 * data), schema.json (the Table Schema of the open-data CSV).
 */
static void export_page(req *r, page_ctx *c, const char *what)
{
	const def_form *f = c->form;
	if (!is(r, "GET")) {
		pages_error(r, 405, NULL);
		return;
	}
	if (!access_can_read_any(f, who(c))) {
		refuse(r, c, NULL, NULL);
		return;
	}
	if (strcmp(what, "schema.json") == 0) {
		req_json(r, 200, export_table_schema(c->app->def, f));
		return;
	}
	store_eq *eq = arena_alloc(&r->mem, 16 * sizeof *eq);
	uc_list_query q = {.limit = 1, .eq = eq};
	if (!list_query(r, c, &q, eq)) {
		pages_error(r, 400, NULL);
		return;
	}
	const char *od = req_query(r, "open_data");
	bool open_data = od && (strcmp(od, "1") == 0 || strcmp(od, "true") == 0);
	export_format fmt = strcmp(what, "export.csv") == 0 ? EXPORT_CSV : EXPORT_JSONL;
	const char *ln = req_query(r, "lines");
	const def_field *lines = ln && fmt == EXPORT_CSV ? export_lines_field(f, who(c), ln) : NULL;
	if (ln && fmt == EXPORT_CSV && !lines) {
		pages_error(r, 400,
			    pages_tr(r, "Aucun groupe de lignes lisible de ce nom (lines).",
				     "No readable group of lines of that name (lines)."));
		return;
	}
	switch (export_answer(r, &c->call, &q, fmt, open_data, lines, "web", &c->res)) {
	case UC_OK:
		return;
	case UC_BAD_QUERY:
		pages_error(r, 400,
			    pages_tr(r, "Paramètres d'export invalides (tri ou filtre).",
				     "Invalid export parameters (sort or filter)."));
		return;
	case UC_FORBIDDEN:
		refuse(r, c, c->res.msg, c->path_base);
		return;
	case UC_UNAVAILABLE:
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", c->res.retry_after));
		pages_error(r, 503, NULL);
		return;
	default:
		pages_error(r, 500, c->res.msg);
		return;
	}
}

static void list_page(req *r, page_ctx *c)
{
	const def_form *f = c->form;
	if (!access_can_read_any(f, who(c))) {
		refuse(r, c, NULL, NULL);
		return;
	}
	store_eq *eq = arena_alloc(&r->mem, 16 * sizeof *eq);
	uc_list_query q = {.limit = f->list.page_size > 0 ? f->list.page_size : 25, .eq = eq};
	if (!list_query(r, c, &q, eq)) {
		pages_error(r, 400, NULL);
		return;
	}
	store_page sp = {0};
	int64_t total = 0;
	uc_status st = uc_list_page(&c->call, &q, &sp, &total, &c->res);
	if (st == UC_BAD_QUERY) {
		pages_error(r, 400,
			    pages_tr(r, "Paramètres de liste invalides (tri ou page).",
				     "Invalid list parameters (sort or page)."));
		return;
	}
	if (st != UC_OK) {
		pages_error(r, 500, c->res.msg);
		return;
	}
	bool *readable, *writable;
	masks(r, c, NULL, &readable, &writable);
	list_view v = {
	    .app = c->app->def,
	    .form = f,
	    .readable = readable,
	    .records = &sp,
	    .total = total,
	    .total_cap = UC_COUNT_CAP,
	    .can_open_data = uc_export_may_open_data(f, who(c)),
	    .can_create = access_can_create(f, who(c)),
	    .q = q.q,
	    .state = q.state,
	    .overdue_only = q.overdue_only,
	    .sort = q.sort,
	    .eq = eq,
	    .neq = q.neq,
	    .after = q.after,
	};
	page p;
	pages_page(r, &p);
	page_refs(c, &p, sp.v, sp.n, readable, NULL);
	render_list(&r->out, &p, &v);
	req_html(r, 200);
	store_page_free(&sp);
}

/* ---- new and edit ---- */

/* A new record of a multi-step form: the files received travel with the steps. */
static bool v_stepped(const page_ctx *c)
{
	return c->form->nsteps > 0 && !c->editing;
}

/* Which steps apply to what was typed, for the summary. */
static const bool *steps_apply(req *r, const page_ctx *c, const record *values)
{
	if (!v_stepped(c) || !values)
		return NULL;
	bool *on = arena_alloc(&r->mem, (size_t)c->form->nsteps * sizeof *on);
	for (int s = 0; s < c->form->nsteps; s++)
		on[s] = uc_step_applies(c->form, values, s);
	return on;
}

/* The form page: blank, with what was typed (and its errors), or beside the stored version. */
static void form_page(req *r, page_ctx *c, int status, const record *values,
		      const field_errors *errs, const record *theirs)
{
	page p;
	pages_page(r, &p);
	p.focus_line = c->focus_line;
	bool *readable, *writable;
	masks(r, c, c->editing ? (theirs ? theirs : values) : NULL, &readable, &writable);
	const char *action =
	    c->editing ? arena_printf(&r->mem, "%s%lld/edit", c->path_base, (long long)c->id)
		       : arena_printf(&r->mem, "%snew", c->path_base);
	form_view v = {
	    .app = c->app->def,
	    .form = c->form,
	    .values = values,
	    .errors = errs,
	    .writable = writable,
	    .readable = readable,
	    .editing = c->editing,
	    .id = c->editing ? c->id : 0,
	    .version = theirs ? theirs->version : (values ? values->version : 0),
	    .theirs = theirs,
	    .warnings = c->warnings,
	    .stepped = c->form->nsteps > 0 && !c->editing,
	    .step = c->step,
	    .steps_apply = steps_apply(r, c, values),
	    .action = action,
	    .files = {.href = c->editing ? files_href(r, c, c->id) : NULL,
		      .kept = status >= 400 || v_stepped(c) ? keep_files(r, c) : NULL},
	    .drafts = !c->editing && uc_drafts_on(&c->call),
	    .draft = c->draft,
	    .draft_saved = c->shown ? c->shown->updated_at : NULL,
	    .draft_expires = c->shown ? c->shown->expires_at : NULL,
	    .draft_delete =
		c->draft_href ? arena_printf(&r->mem, "%s/supprimer", c->draft_href) : NULL,
	};
	buf_reset(&r->out);
	if (values)
		page_refs(c, &p, values, 1, readable, writable);
	render_form(&r->out, &p, &v);
	req_html(r, status);
}

/* ---- multi-step forms (SPEC 4.3: sections with page = true) ---- */

static void after_create(req *r);

static int field_step(const def_form *f, const char *name)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (name && strcmp(f->fields[i].name, name) == 0)
			return f->fields[i].step;
	return -1; /* "_": the form's own, said on the summary */
}

static int first_error_step(const def_form *f, const field_errors *errs)
{
	int first = f->nsteps;
	for (size_t i = 0; i < errs->n; i++) {
		int s = field_step(f, errs->v[i].field);
		if (s >= 0 && s < first)
			first = s;
	}
	return first;
}

/* The next step from `from` (dir 1, or the summary after the last) or the previous one
 * (dir -1), skipping steps whose section's visible_if does not hold on rec. */
static int step_toward(const page_ctx *c, const record *rec, int from, int dir)
{
	for (int s = from + dir; s >= 0 && s < c->form->nsteps; s += dir)
		if (uc_step_applies(c->form, rec, s))
			return s;
	return dir > 0 ? c->form->nsteps : from;
}

/* "Suivant": every rule ran on what was typed so far; only this step's errors hold the
 * person here (the other steps' come when they get there). */
static void after_step(req *r)
{
	page_ctx *c = r->cleanup_arg;
	uc_result *res = &c->res;
	if (res->status != UC_OK && res->status != UC_INVALID && res->status != UC_WARN) {
		after_create(r);
		return;
	}
	field_errors mine = {0};
	for (size_t i = 0; res->status == UC_INVALID && i < res->errs.n; i++)
		if (field_step(c->form, res->errs.v[i].field) == c->step)
			field_errors_add(&mine, res->errs.v[i].field, res->errs.v[i].message);
	if (mine.n) {
		form_page(r, c, 422, &res->rec, &mine, NULL);
	} else {
		c->step = step_toward(c, &res->rec, c->step, 1);
		if (c->step == c->form->nsteps && res->status == UC_WARN)
			c->warnings = &res->errs;
		form_page(r, c, 200, &res->rec, NULL, NULL);
	}
	field_errors_clear(&mine);
}

static int posted_step(const page_ctx *c, const req_kvs *kv, const char *key)
{
	const char *s = req_kvs_get(kv, key);
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 3)
		return -1;
	int n = (int)strtol(s, NULL, 10);
	return n > c->form->nsteps ? c->form->nsteps : n;
}

/* A POST of a multi-step form: "Suivant" checks and goes on, "Précédent" and "Modifier"
 * (from the summary) go back with what was typed, "Envoyer" creates. False: not a step
 * move (the caller creates). */
static bool step_post(req *r, page_ctx *c, const req_kvs *kv)
{
	const char *nav = req_kvs_get(kv, "_nav");
	int at = posted_step(c, kv, "_step"), go = posted_step(c, kv, "_goto");
	if (at < 0)
		at = 0;
	c->step = at;
	if (go >= 0 || (nav && strcmp(nav, "prev") == 0)) {
		record typed;
		uc_echo(&c->call, &c->in, &typed);
		c->step = go >= 0 ? go : step_toward(c, &typed, at, -1);
		form_page(r, c, 200, &typed, NULL, NULL);
		record_clear(&typed);
		return true;
	}
	if (nav && strcmp(nav, "next") == 0 && at < c->form->nsteps) {
		r->cont = after_step;
		if (uc_check(&c->call, &c->in, &c->res) != UC_PENDING)
			after_step(r);
		return true;
	}
	return false;
}

/*
 * "Ajouter une ligne" / "Supprimer la ligne k" of a repeat (_add=<field>,
 * _remove=<field>[k]): the form comes back with what was typed, blank lines kept, one
 * line more or less, nothing checked or saved. On an edit (old set), what the person
 * may not write stays the record's. False when the post is no such button.
 */
static bool lines_post(req *r, page_ctx *c, const req_kvs *kv, const record *old)
{
	const char *add = req_kvs_get(kv, "_add"), *rm = req_kvs_get(kv, "_remove");
	if (!add && !rm)
		return false;
	c->in.keep_blank_lines = true;
	record typed;
	if (old)
		uc_echo_edit(&c->call, &c->in, old, &typed);
	else
		uc_echo(&c->call, &c->in, &typed);
	for (size_t col = 0; col < c->form->ncols; col++) {
		const def_field *fd = c->form->cols[col];
		if (fd->type != FT_REPEAT)
			continue;
		json_t *lines = validate_repeat_lines(&typed.values[col]);
		size_t n = json_array_size(lines);
		json_decref(lines);
		size_t k = 0; /* the line to focus: the new one, or the one before the removed */
		if (add && strcmp(add, fd->name) == 0) {
			validate_repeat_add(fd, &typed.values[col]);
			k = n + 1;
		} else if (rm && validate_repeat_remove(fd, &typed.values[col], rm)) {
			k = strtoul(rm + strlen(fd->name) + 1, NULL, 10);
			k = k > 1 ? k - 1 : 1;
		}
		if (k)
			c->focus_line = arena_printf(&r->mem, "%s[%zu]", fd->name, k);
	}
	if (v_stepped(c)) {
		int at = posted_step(c, kv, "_step");
		c->step = at < 0 ? 0 : at;
	}
	form_page(r, c, 200, &typed, NULL, NULL);
	record_clear(&typed);
	return true;
}

static void after_create(req *r)
{
	page_ctx *c = r->cleanup_arg;
	uc_result *res = &c->res;
	if (v_stepped(c) && (res->status == UC_INVALID || res->status == UC_WARN)) {
		/* Back to the first step with an error; warnings on the summary. */
		c->step = res->status == UC_WARN ? c->form->nsteps
						 : first_error_step(c->form, &res->errs);
		if (res->status == UC_WARN)
			c->warnings = &res->errs;
		form_page(r, c, 422, &res->rec, res->status == UC_WARN ? NULL : &res->errs, NULL);
		return;
	}
	switch (res->status) {
	case UC_OK:
		break;
	case UC_INVALID:
		form_page(r, c, 422, &res->rec, &res->errs, NULL);
		return;
	case UC_WARN: /* shown again with the warnings and "Confirmer quand même" */
		c->warnings = &res->errs;
		form_page(r, c, 422, &res->rec, NULL, NULL);
		return;
	case UC_TOO_MANY:
		/* What the citizen typed stays in the form, with the reason on top. */
		field_errors_add(
		    &res->errs, "_",
		    pages_tr(r,
			     "Trop de demandes envoyées depuis votre adresse en une minute : "
			     "patientez une minute, puis renvoyez ce formulaire (ce que vous "
			     "avez saisi est conservé).",
			     "Too many submissions from your address in a minute: wait a "
			     "minute, then send this form again (what you typed is kept)."));
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", res->retry_after));
		form_page(r, c, 429, &res->rec, &res->errs, NULL);
		return;
	case UC_UNAVAILABLE:
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", res->retry_after));
		pages_error(r, 503, NULL);
		return;
	case UC_FORBIDDEN:
		refuse(r, c, res->msg, NULL);
		return;
	default:
		pages_error(r, 500, res->msg);
		return;
	}
	used_files(r);
	if (!res->creator_can_read && res->tracking[0]) {
		/* The receipt is the tracking page itself: its address is the only key. */
		req_redirect(r, 303, arena_printf(&r->mem, "/suivi/%s?recu=1", res->tracking));
		return;
	}
	req_redirect(
	    r, 303,
	    res->creator_can_read
		? arena_printf(&r->mem, "%s%lld", c->path_base, (long long)res->rec.id)
		: arena_printf(&r->mem, "%snew?envoye=%lld", c->path_base, (long long)res->rec.id));
}

/* ---- drafts (SPEC 4.2 `drafts`) ---- */

/* A draft call refused: a login for an anonymous person asked for an id, else 404/403/503. */
static void draft_refused(req *r, page_ctx *c)
{
	switch (c->res.status) {
	case UC_NOT_FOUND:
		if (!who(c)->login && c->draft &&
		    strspn(c->draft, "0123456789") == strlen(c->draft))
			pages_need_login(r);
		else
			pages_error(r, 404, NULL);
		break;
	case UC_FORBIDDEN:
		refuse(r, c, NULL, NULL);
		break;
	case UC_UNAVAILABLE:
	case UC_TOO_MANY:
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", c->res.retry_after));
		pages_error(r, c->res.status == UC_TOO_MANY ? 429 : 503,
			    c->res.msg[0] ? c->res.msg : NULL);
		break;
	default:
		pages_error(r, 500, c->res.msg);
		break;
	}
}

/* The page of a draft: the id's for its owner, the token's for an anonymous person. */
static const char *draft_path(req *r, const page_ctx *c, const uc_draft *d, const char *key)
{
	return d->anonymous
		   ? arena_printf(&r->mem, "%sbrouillon/%s", c->path_base, key)
		   : arena_printf(&r->mem, "%sbrouillons/%lld", c->path_base, (long long)d->id);
}

/* "Enregistrer le brouillon": what was typed, kept without checks, then its page. */
static void draft_save(req *r, page_ctx *c, int step)
{
	uc_draft *d = arena_alloc(&r->mem, sizeof *d);
	c->step = step < 0 ? 0 : step;
	uc_status st = uc_draft_save(&c->call, c->draft, &c->in, c->step, d, &c->res);
	if (st == UC_INVALID || st == UC_TOO_MANY) {
		/* What was typed stays in the form, with why it was not kept. */
		if (st == UC_TOO_MANY) {
			field_errors_add(&c->res.errs, "_", c->res.msg);
			req_add_header(r, "Retry-After",
				       arena_printf(&r->mem, "%d", c->res.retry_after));
		}
		record typed;
		uc_echo(&c->call, &c->in, &typed);
		form_page(r, c, st == UC_INVALID ? 422 : 429, &typed, &c->res.errs, NULL);
		record_clear(&typed);
		return;
	}
	if (st != UC_OK) {
		draft_refused(r, c);
		return;
	}
	if (d->token[0]) {
		/* An anonymous person's first save: their link, once; only its hash is kept. */
		page p;
		pages_page(r, &p);
		const char *path = draft_path(r, c, d, d->token);
		render_draft_link(&r->out, &p, c->app->def, c->form,
				  arena_printf(&r->mem, "%s%s", r->env->base_url, path),
				  d->expires_at);
		req_html(r, 200);
	} else {
		req_redirect(r, 303, draft_path(r, c, d, c->draft ? c->draft : ""));
	}
	uc_draft_clear(d);
}

/* GET …/brouillons/<id> and …/brouillon/<token>: the form filled with the draft. */
static void draft_page(req *r, page_ctx *c, const char *key)
{
	if (!is(r, "GET")) {
		pages_error(r, 405, NULL);
		return;
	}
	c->draft = key;
	if (uc_draft_get(&c->call, key, &c->sent, &c->res) != UC_OK) {
		draft_refused(r, c);
		return;
	}
	record values;
	uc_draft_record(&c->call, &c->sent, &values);
	c->step = c->sent.step;
	c->shown = &c->sent;
	c->draft_href = draft_path(r, c, &c->sent, key);
	form_page(r, c, 200, &values, NULL, NULL);
	record_clear(&values);
}

/* POST …/brouillons/<id>/supprimer (and the token's): gone, back to the drafts. */
static void draft_delete_page(req *r, page_ctx *c, const char *key)
{
	if (!is(r, "POST")) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!pages_read_post(r, &kv))
		return;
	c->draft = key;
	if (uc_draft_delete(&c->call, key, &c->res) != UC_OK) {
		draft_refused(r, c);
		return;
	}
	req_redirect(r, 303,
		     who(c)->login ? arena_printf(&r->mem, "/a/%s/brouillons", c->app->def->id)
				   : arena_printf(&r->mem, "%snew", c->path_base));
}

static void new_page(req *r, page_ctx *c)
{
	if (c->call.unavailable) { /* rights that could not be read are not a refusal */
		req_add_header(r, "Retry-After", "2");
		pages_error(r, 503, NULL);
		return;
	}
	if (!access_can_create(c->form, who(c))) {
		refuse(r, c, NULL, NULL);
		return;
	}
	if (is(r, "GET")) {
		record blank;
		uc_blank(&c->call, &blank);
		page p;
		pages_page(r, &p);
		const char *sent = req_query(r, "envoye");
		if (sent && *sent && strspn(sent, "0123456789") == strlen(sent) &&
		    strlen(sent) < 19)
			p.flash = arena_printf(&r->mem,
					       r->lg == LANG_EN
						   ? "Your submission no. %s has been recorded."
						   : "Votre demande n° %s a bien été enregistrée.",
					       sent);
		bool *readable, *writable;
		masks(r, c, NULL, &readable, &writable);
		form_view v = {.app = c->app->def,
			       .form = c->form,
			       .values = &blank,
			       .writable = writable,
			       .readable = readable,
			       .stepped = c->form->nsteps > 0,
			       .action = arena_printf(&r->mem, "%snew", c->path_base),
			       .drafts = uc_drafts_on(&c->call)};
		page_refs(c, &p, &blank, 1, readable, writable);
		render_form(&r->out, &p, &v);
		req_html(r, 200);
		record_clear(&blank);
		return;
	}
	if (!is(r, "POST")) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!pages_read_post(r, &kv))
		return;
	c->in = (write_in){.pairs = pairs_of(r, &kv), .npairs = kv.n, .confirm = confirmed(&kv)};
	files_in(r, c, &kv, c->form->fields, c->form->nfields);
	/* A resumed draft travels as "_draft"; "Enregistrer le brouillon" saves it. */
	const char *dk = req_kvs_get(&kv, "_draft");
	c->draft = dk && *dk ? dk : NULL;
	if (req_kvs_get(&kv, "_brouillon") && c->form->drafts_days > 0) {
		draft_save(r, c, posted_step(c, &kv, "_step"));
		return;
	}
	if (lines_post(r, c, &kv, NULL) || (v_stepped(c) && step_post(r, c, &kv)))
		return;
	if (c->draft) {
		/* "Envoyer" on a draft: a create that deletes the draft when it succeeds. */
		if (uc_draft_get(&c->call, c->draft, &c->sent, &c->res) != UC_OK) {
			draft_refused(r, c);
			return;
		}
		r->cont = after_create;
		if (uc_draft_submit(&c->call, &c->sent, &c->in, &c->res) != UC_PENDING)
			after_create(r);
		return;
	}
	r->cont = after_create;
	if (uc_create(&c->call, &c->in, &c->res) != UC_PENDING)
		after_create(r);
}

static void after_edit(req *r)
{
	page_ctx *c = r->cleanup_arg;
	uc_result *res = &c->res;
	switch (res->status) {
	case UC_OK:
		used_files(r);
		req_redirect(r, 303,
			     arena_printf(&r->mem, "%s%lld?ok=1", c->path_base, (long long)c->id));
		return;
	case UC_INVALID:
		form_page(r, c, 422, &res->rec, &res->errs, NULL);
		return;
	case UC_WARN: /* shown again with the warnings and "Confirmer quand même" */
		c->warnings = &res->errs;
		form_page(r, c, 422, &res->rec, NULL, NULL);
		return;
	case UC_CONFLICT:
		/* Someone saved meanwhile: both versions, nothing typed is lost. */
		if (res->current.values && res->rec.values)
			form_page(r, c, 409, &res->rec, NULL, &res->current);
		else
			pages_error_back(r, 409, res->msg, record_href(r, c));
		return;
	case UC_NOT_FOUND:
		pages_error(r, 404, NULL);
		return;
	case UC_FORBIDDEN:
		refuse(r, c, res->msg, record_href(r, c));
		return;
	case UC_UNAVAILABLE:
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", res->retry_after));
		pages_error(r, 503, NULL);
		return;
	default:
		pages_error(r, 500, res->msg);
		return;
	}
}

static void edit_page(req *r, page_ctx *c)
{
	c->editing = true;
	if (is(r, "GET")) {
		if (uc_read(&c->call, c->id, &c->res) != UC_OK) {
			pages_error(r, c->res.status == UC_NOT_FOUND ? 404 : 500, c->res.msg);
			return;
		}
		if (!access_can_edit(c->form, who(c), &c->res.rec)) {
			refuse(r, c,
			       pages_tr(r,
					"Vous ne pouvez pas modifier cet enregistrement dans son "
					"état actuel.",
					"You may not edit this record in its current state."),
			       record_href(r, c));
			return;
		}
		form_page(r, c, 200, &c->res.rec, NULL, NULL);
		return;
	}
	if (!is(r, "POST")) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	int64_t expect;
	if (!pages_read_post(r, &kv) || !posted_version(r, &kv, &expect))
		return;
	c->in = (write_in){.pairs = pairs_of(r, &kv), .npairs = kv.n, .confirm = confirmed(&kv)};
	files_in(r, c, &kv, c->form->fields, c->form->nfields);
	if (req_kvs_get(&kv, "_add") || req_kvs_get(&kv, "_remove")) {
		if (uc_read(&c->call, c->id, &c->res) != UC_OK) {
			pages_error(r, c->res.status == UC_NOT_FOUND ? 404 : 500, c->res.msg);
			return;
		}
		if (!access_can_edit(c->form, who(c), &c->res.rec)) {
			refuse(r, c, NULL, record_href(r, c));
			return;
		}
		c->res.rec.version = expect; /* saving still means "over the version I saw" */
		lines_post(r, c, &kv, &c->res.rec);
		return;
	}
	r->cont = after_edit;
	if (uc_edit(&c->call, c->id, expect, &c->in, &c->res) != UC_PENDING)
		after_edit(r);
}

static void after_delete(req *r)
{
	page_ctx *c = r->cleanup_arg;
	switch (c->res.status) {
	case UC_OK:
		req_redirect(r, 303, c->path_base);
		return;
	case UC_NOT_FOUND:
		pages_error(r, 404, NULL);
		return;
	case UC_FORBIDDEN:
		refuse(r, c, NULL, record_href(r, c));
		return;
	default:
		pages_error(r, 500, c->res.msg);
		return;
	}
}

static void delete_page(req *r, page_ctx *c)
{
	if (!is(r, "POST")) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!pages_read_post(r, &kv))
		return;
	r->cont = after_delete;
	if (uc_delete(&c->call, c->id, &c->res) != UC_PENDING)
		after_delete(r);
}

/* ---- record ---- */

/* The quorums under way on rec: transitions with approvals possible from its state. */
static record_approvals *quorums(req *r, const def_form *f, const record *rec,
				 const store_history_line *h, size_t nh, size_t *n)
{
	*n = 0;
	size_t nt = f->workflow ? f->workflow->ntransitions : 0;
	record_approvals *out = arena_alloc(&r->mem, (nt ? nt : 1) * sizeof *out);
	for (size_t i = 0; i < nt; i++) {
		const def_transition *t = &f->workflow->transitions[i];
		if (!t->approvals || !rec->state || !def_strlist_has(&t->from, rec->state))
			continue;
		record_approvals *a = &out[(*n)++];
		a->t = t;
		a->n = uc_approvers(t, h, nh, a->who, DEF_MAX_APPROVALS);
	}
	return out;
}

static void record_page(req *r, page_ctx *c)
{
	const def_form *f = c->form;
	store_history_line *h = NULL;
	size_t nh = 0;
	if (uc_read(&c->call, c->id, &c->res) != UC_OK ||
	    uc_history(&c->call, &c->res.rec, &h, &nh) != UC_OK) {
		pages_error(r, c->res.status == UC_NOT_FOUND ? 404 : 500, c->res.msg);
		return;
	}
	const record *rec = &c->res.rec;
	bool *readable, *writable;
	masks(r, c, rec, &readable, &writable);
	size_t nt = f->workflow && f->workflow->ntransitions ? f->workflow->ntransitions : 1;
	const def_transition **ts = arena_alloc(&r->mem, nt * sizeof *ts);
	char now[32];
	util_iso_datetime(util_now(), now);
	size_t na = 0;
	record_approvals *ap = quorums(r, f, rec, h, nh, &na);
	record_view v = {
	    .approvals = ap,
	    .napprovals = na,
	    .transitions = ts,
	    .ntransitions = uc_transitions(&c->call, rec, ts),
	    .app = c->app->def,
	    .form = f,
	    .rec = rec,
	    .readable = readable,
	    .can_edit = access_can_edit(f, who(c), rec),
	    .can_delete = access_can_delete(f, who(c), rec),
	    .history = h,
	    .nhistory = nh,
	    .files_href = files_href(r, c, c->id),
	    .printed_at = now,
	};
	page p;
	pages_page(r, &p);
	const char *done = req_query(r, "ok");
	if (done && strcmp(done, "1") == 0)
		p.flash = pages_tr(r, "Modifications enregistrées.", "Changes saved.");
	const char *fait = req_query(r, "fait");
	const def_transition *did = f->workflow && fait ? def_find_transition(f, fait) : NULL;
	if (did)
		p.flash = arena_printf(
		    &r->mem, r->lg == LANG_EN ? "Done: %s." : "Action effectuée : %s.", did->label);
	const char *approved = req_query(r, "approbation");
	did = f->workflow && approved ? def_find_transition(f, approved) : NULL;
	if (did)
		p.flash =
		    arena_printf(&r->mem,
				 r->lg == LANG_EN ? "Your approval of %s is recorded."
						  : "Votre approbation de « %s » est enregistrée.",
				 did->label);
	page_refs(c, &p, rec, 1, readable, NULL);
	render_record(&r->out, &p, &v);
	req_html(r, 200);
	store_history_free(h, nh);
}

/* ---- transitions ---- */

static void transition_page(req *r, page_ctx *c, int status, const record *values,
			    const field_errors *errs)
{
	page p;
	pages_page(r, &p);
	const def_transition *t = c->t;
	bool *writable = arena_alloc(&r->mem, (t->nfields ? t->nfields : 1) * sizeof *writable);
	uc_transition_writable(&c->call, t, &c->stored, writable);
	/* its references' inputs: a select of the readable records, as a form has */
	bool *cols = arena_alloc(&r->mem, (c->form->ncols ? c->form->ncols : 1) * sizeof *cols);
	for (size_t i = 0; i < t->nfields; i++)
		if (writable[i] && t->fields[i].col >= 0)
			cols[t->fields[i].col] = true;
	page_refs(c, &p, values ? values : &c->stored, 1, cols, cols);
	transition_view v = {
	    .writable = writable,
	    .app = c->app->def,
	    .form = c->form,
	    .rec = &c->stored,
	    .transition = t,
	    .values = values,
	    .comment = c->comment,
	    .errors = errs,
	    .action = arena_printf(&r->mem, "%s%lld/do/%s", c->path_base, (long long)c->id, t->id),
	    .files = {.href = files_href(r, c, c->id),
		      .kept = status >= 400 ? keep_files(r, c) : NULL},
	};
	buf_reset(&r->out);
	render_transition(&r->out, &p, &v);
	req_html(r, status);
}

static void after_trigger(req *r)
{
	page_ctx *c = r->cleanup_arg;
	uc_result *res = &c->res;
	switch (res->status) {
	case UC_OK:
		used_files(r);
		req_redirect(
		    r, 303,
		    arena_printf(&r->mem, "%s%lld?%s=%s", c->path_base, (long long)c->id,
				 res->approvals < res->approvals_needed ? "approbation" : "fait",
				 c->t->id));
		return;
	case UC_GUARD:
		/* The guard's reason, shown where the person can act on it. */
		field_errors_add(&res->errs, "_",
				 res->msg[0] ? res->msg
					     : pages_tr(r, "Action refusée.", "Action refused."));
		transition_page(r, c, 409, res->rec.values ? &res->rec : NULL, &res->errs);
		return;
	case UC_INVALID:
		transition_page(r, c, 422, res->rec.values ? &res->rec : NULL, &res->errs);
		return;
	case UC_CONFLICT:
		pages_error_back(r, 409, res->msg, record_href(r, c));
		return;
	case UC_FORBIDDEN:
		refuse(r, c, res->msg, record_href(r, c));
		return;
	case UC_NOT_FOUND:
		pages_error(r, 404, NULL);
		return;
	case UC_UNAVAILABLE:
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", res->retry_after));
		pages_error_back(r, 503, NULL, record_href(r, c));
		return;
	default:
		pages_error(r, 500, res->msg);
		return;
	}
}

/* GET/POST /a/<app>/<form>/<id>/do/<t>: the transition's small form, and triggering it. */
static void do_page(req *r, page_ctx *c, const char *tid)
{
	bool get = is(r, "GET");
	if (!get && !is(r, "POST")) {
		pages_error(r, 405, NULL);
		return;
	}
	/* Who may, in which state: decided before anything is read from the form. */
	uc_status st = uc_trigger_check(&c->call, c->id, tid, &c->t, &c->res);
	if (st != UC_OK) {
		after_trigger(r);
		return;
	}
	/* The stored record stays beside the result, for the page shown again. */
	c->stored = c->res.rec;
	memset(&c->res.rec, 0, sizeof c->res.rec);
	if (get) {
		transition_page(r, c, 200, NULL, NULL);
		return;
	}
	req_kvs kv;
	int64_t expect;
	if (!pages_read_post(r, &kv) || !posted_version(r, &kv, &expect))
		return;
	c->in = (write_in){.pairs = pairs_of(r, &kv), .npairs = kv.n};
	files_in(r, c, &kv, c->t->fields, c->t->nfields);
	c->comment = req_kvs_get(&kv, "_comment");
	r->cont = after_trigger;
	if (uc_trigger(&c->call, c->id, tid, expect, &c->in, c->comment, &c->res) != UC_PENDING)
		after_trigger(r);
}

/* ---- routing ---- */

static bool parse_id(const char *s, int64_t *out)
{
	char *end;
	long long id = strtoll(s, &end, 10);
	if (!*s || *end || id <= 0 || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
		return false;
	*out = id;
	return true;
}

/* /a/<app>/<form>/<id>[/edit | /delete | /do/<t>] */
static void record_routes(req *r, page_ctx *c, const char **seg, int nseg)
{
	if (nseg > 5 || (nseg == 5 && strcmp(seg[3], "do") != 0 && strcmp(seg[3], "files") != 0) ||
	    !parse_id(seg[2], &c->id)) {
		pages_error(r, 404, NULL);
		return;
	}
	/* A page about a record is for signed-in people, unless the form is readable by all. */
	store_scope sc = access_read_scope(c->form, who(c));
	if (sc.none && !who(c)->login) {
		pages_need_login(r);
		return;
	}
	if (nseg == 5 && seg[3][0] == 'f')
		file_page(r, c, seg[4]);
	else if (nseg == 5)
		do_page(r, c, seg[4]);
	else if (nseg == 3 && is(r, "GET"))
		record_page(r, c);
	else if (nseg == 3)
		pages_error(r, 405, NULL);
	else if (strcmp(seg[3], "edit") == 0)
		edit_page(r, c);
	else if (strcmp(seg[3], "delete") == 0)
		delete_page(r, c);
	else
		pages_error(r, 404, NULL);
}

void pages_app(req *r, const char **seg, int nseg)
{
	app_rt *app = registry_get(r->env->reg, seg[0]);
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
	c->form = nseg >= 2 && seg[1][0] ? def_find_form(app->def, seg[1]) : NULL;
	req_call(r, &c->call, app, c->form, NULL);
	r->cleanup = page_ctx_cleanup;
	r->cleanup_arg = c;
	if (nseg == 2 && seg[1][0] == '\0') {
		app_home(r, c);
		return;
	}
	/* (a form id has no hyphen: no form is called so) */
	if (nseg == 2 && strcmp(seg[1], "donnees-personnelles") == 0) {
		pages_privacy(r, app->def);
		return;
	}
	/* The dashboard; a form called "stats" keeps its list at /a/<app>/stats/. */
	if (nseg == 2 && strcmp(seg[1], "stats") == 0) {
		pages_stats(r, &c->call);
		return;
	}
	/* "Mes brouillons"; a form called "brouillons" keeps its list at …/brouillons/. */
	if (nseg == 2 && strcmp(seg[1], "brouillons") == 0) {
		pages_drafts(r, &c->call);
		return;
	}
	if (!c->form) {
		pages_error(r, 404, NULL);
		return;
	}
	c->path_base = arena_printf(&r->mem, "/a/%s/%s/", app->def->id, c->form->id);
	if (nseg == 2)
		req_redirect(r, 301, c->path_base);
	else if (nseg == 3 && seg[2][0] == '\0' && is(r, "GET"))
		list_page(r, c);
	else if (nseg == 3 && seg[2][0] == '\0')
		pages_error(r, 405, NULL);
	else if (nseg == 3 && strcmp(seg[2], "new") == 0)
		new_page(r, c);
	else if ((nseg == 4 || (nseg == 5 && strcmp(seg[4], "supprimer") == 0)) &&
		 (strcmp(seg[2], "brouillons") == 0 || strcmp(seg[2], "brouillon") == 0))
		(nseg == 4 ? draft_page : draft_delete_page)(r, c, seg[3]);
	else if (nseg == 3 &&
		 (strcmp(seg[2], "export.csv") == 0 || strcmp(seg[2], "export.jsonl") == 0 ||
		  strcmp(seg[2], "schema.json") == 0))
		export_page(r, c, seg[2]);
	else
		record_routes(r, c, seg, nseg);
}
