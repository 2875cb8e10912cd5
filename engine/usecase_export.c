/*
 * usecase_export — exporting a form's records (SPEC 8), for every door: the web page's
 * links, the API and `smallapps export` (see usecase.h).
 *
 * An export is the records list without pages: the same query (filters, state, search,
 * sort), the same rows (the person's read scope), the columns the person may read, read
 * page after page by the list's keyset cursor, so a million records cost the memory of
 * one page. Open data leaves out every personal field, every field with private
 * readers and every file, and the people (created_by, updated_by); only admins and
 * roles that read every record may ask for it. Each export ends with an audit line:
 * who, which form, how many rows, in which format, open data or not, cut short or not.
 *
 * An export outlives the request that asked for it (its body is sent after the handler
 * returns), so it owns everything it uses: a reference to the app version, copies of the
 * query's strings, its column choice. It is used by one thread at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "usecase.h"
#include "util.h"

#define EXPORT_PAGE 500 /* rows read at a time */

struct uc_export {
	const uc_env *env;
	app_rt *app; /* held */
	const def_form *form;
	store_query q;	/* strings below owned */
	store_eq *eq;	/* owned, with their values */
	bool *readable; /* per data column: what q may search (private fields of others not) */
	bool *cols;	/* per data column: exported */
	bool open_data;
	char *cursor; /* the next page's, NULL before the first and after the last */
	bool started, finished, failed;
	int64_t rows;
	char *who, *format, *door;
	/* references: the exporter (their roles, owned) reads the targets' labels, a page's
	 * at a time, into refs (valid while its rows are given) */
	actor reader;
	char **roles;
	ref_view refs;
};

bool uc_export_may_open_data(const def_form *f, const actor *who)
{
	store_scope sc = access_read_scope(f, who);
	return who->admin || (!sc.none && !sc.owner);
}

bool uc_open_data_col(const def_field *fd)
{
	return !fd->personal && !fd->has_private && fd->type != FT_FILE;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static uc_status refuse(uc_result *res, uc_status st, const char *msg)
{
	res->status = st;
	if (msg)
		snprintf(res->msg, sizeof res->msg, "%s", msg);
	return st;
}

/* Copies lq into x->q with x's own strings; the checks of a list (uc_list_page). */
static uc_status take_query(uc_export *x, const uc_call *c, const uc_list_query *lq, uc_result *res)
{
	const def_form *f = c->form;
	store_query *q = &x->q;
	q->scope = access_read_scope(f, &c->who);
	q->scope.owner = dup_or_null(q->scope.owner);
	q->now = c->now;
	q->state = dup_or_null(lq->state);
	q->q = dup_or_null(lq->q);
	q->overdue_only = lq->overdue_only;
	q->sort = dup_or_null(lq->sort);
	q->limit = EXPORT_PAGE;
	q->why = &res->bad;
	x->readable = xcalloc(f->ncols ? f->ncols : 1, sizeof *x->readable);
	for (size_t col = 0; col < f->ncols; col++)
		x->readable[col] = access_can_read_col(f->cols[col], &c->who);
	q->readable = x->readable;
	x->eq = xcalloc(lq->neq ? lq->neq : 1, sizeof *x->eq);
	for (size_t i = 0; i < lq->neq; i++) {
		int col = lq->eq[i].col;
		if (col < 0 || (size_t)col >= f->ncols || !x->readable[col]) {
			res->bad = STORE_BAD_FILTER;
			return refuse(res, UC_BAD_QUERY, NULL);
		}
		x->eq[i] = (store_eq){col, dup_or_null(lq->eq[i].value)};
		q->neq = i + 1;
	}
	q->eq = x->eq;
	if (q->sort) {
		int col = def_find_col(f, q->sort[0] == '-' ? q->sort + 1 : q->sort);
		if (col >= 0 && !x->readable[col]) {
			res->bad = STORE_BAD_SORT;
			return refuse(res, UC_BAD_QUERY, NULL);
		}
	}
	return UC_OK;
}

/* A page's rows go to the door's function, and are counted. */
typedef struct counted {
	store_row_fn fn;
	void *arg;
	int64_t *rows;
} counted;

static void count_row(void *arg, const record *rec)
{
	counted *c = arg;
	c->fn(c->arg, rec);
	(*c->rows)++;
}

/* The exporter as access.h knows them, for the labels of references, owned by x. */
static void keep_reader(uc_export *x, const actor *who)
{
	x->roles = xcalloc(who->nroles ? who->nroles : 1, sizeof *x->roles);
	for (size_t i = 0; i < who->nroles; i++)
		x->roles[i] = xstrdup(who->roles[i]);
	x->reader = (actor){.login = x->who,
			    .admin = who->admin,
			    .roles = (const char *const *)x->roles,
			    .nroles = who->nroles};
	if (!who->login)
		x->reader.login = NULL;
}

/* Whether an exported column is a reference: its page is then read whole, its labels
 * looked up at once, before its rows are given. */
static bool exports_references(const uc_export *x)
{
	for (size_t col = 0; col < x->form->ncols; col++)
		if (x->cols[col] && x->form->cols[col]->type == FT_REFERENCE)
			return true;
	return false;
}

/* A page with the labels of its references (uc_export_refs), then its rows to fn. */
static int page_with_refs(uc_export *x, counted *cnt, char **next, char *err)
{
	store_page page;
	int rc = store_list(x->app->db, x->form, &x->q, &page, err);
	if (rc != STORE_OK)
		return rc;
	ref_view_clear(&x->refs);
	ref_reader rr = {.db = x->app->db, .who = &x->reader, .now = x->q.now};
	rc = reference_labels(&rr, x->form, page.v, page.n, x->cols, &x->refs);
	for (size_t i = 0; rc == STORE_OK && i < page.n; i++)
		count_row(cnt, &page.v[i]);
	*next = page.next;
	page.next = NULL;
	store_page_free(&page);
	return rc;
}

const ref_view *uc_export_refs(const uc_export *x)
{
	return &x->refs;
}

static void export_free(uc_export *x)
{
	if (!x)
		return;
	free((char *)x->q.scope.owner);
	free((char *)x->q.state);
	free((char *)x->q.q);
	free((char *)x->q.sort);
	for (size_t i = 0; i < x->q.neq; i++)
		free((char *)x->eq[i].value);
	free(x->eq);
	free(x->readable);
	free(x->cols);
	free(x->cursor);
	free(x->who);
	for (size_t i = 0; i < x->reader.nroles; i++)
		free(x->roles[i]);
	free(x->roles);
	ref_view_clear(&x->refs);
	free(x->format);
	free(x->door);
	registry_release(x->app);
	free(x);
}

uc_status uc_export_open(uc_call *c, const uc_list_query *lq, const uc_export_opts *o,
			 uc_export **out, uc_result *res)
{
	memset(res, 0, sizeof *res);
	*out = NULL;
	if (c->unavailable)
		return uc_unavailable(res);
	const def_form *f = c->form;
	if (!access_can_read_any(f, &c->who))
		return refuse(res, UC_FORBIDDEN, NULL);
	if (o->open_data && !uc_export_may_open_data(f, &c->who))
		return refuse(res, UC_FORBIDDEN,
			      c->lg == LANG_EN ? "Open data is for those who read every record."
					       : "Les données ouvertes sont réservées à qui lit "
						 "tous les enregistrements.");
	uc_export *x = xcalloc(1, sizeof *x);
	x->env = c->env;
	x->app = registry_retain(c->app);
	x->form = f;
	x->open_data = o->open_data;
	x->who = xstrdup(c->who.login ? c->who.login : "anonyme");
	keep_reader(x, &c->who);
	x->format = xstrdup(o->format ? o->format : "?");
	x->door = xstrdup(o->door ? o->door : "?");
	if (take_query(x, c, lq, res) != UC_OK) {
		export_free(x);
		return res->status;
	}
	x->cols = xcalloc(f->ncols ? f->ncols : 1, sizeof *x->cols);
	for (size_t col = 0; col < f->ncols; col++)
		x->cols[col] =
		    x->readable[col] && (!o->open_data || uc_open_data_col(f->cols[col]));
	/* A malformed sort, state or filter is a 400 now, not a body cut after its start. */
	store_query probe = x->q;
	probe.limit = 1;
	store_page pg;
	char err[STORE_ERR_LEN] = "";
	int rc = store_list(x->app->db, f, &probe, &pg, err);
	store_page_free(&pg);
	if (rc != STORE_OK) {
		export_free(x);
		if (rc == STORE_BADQUERY)
			return refuse(res, UC_BAD_QUERY, NULL);
		if (rc == STORE_UNAVAILABLE)
			return uc_unavailable(res);
		log_message("export", "%s/%s: %s", c->app->def->id, f->id, err);
		return refuse(res, UC_ERROR, "lecture de la liste impossible");
	}
	*out = x;
	return res->status = UC_OK;
}

const def_form *uc_export_form(const uc_export *x)
{
	return x->form;
}

const def_app *uc_export_app(const uc_export *x)
{
	return x->app->def;
}

const bool *uc_export_cols(const uc_export *x)
{
	return x->cols;
}

bool uc_export_is_open_data(const uc_export *x)
{
	return x->open_data;
}

int64_t uc_export_rows(const uc_export *x)
{
	return x->rows;
}

int uc_export_next(uc_export *x, store_row_fn fn, void *arg)
{
	if (x->finished || x->failed)
		return 0;
	if (x->started && !x->cursor) {
		x->finished = true;
		return 0;
	}
	x->started = true;
	char *next = NULL, err[STORE_ERR_LEN] = "";
	x->q.after = x->cursor;
	int64_t before = x->rows;
	counted cnt = {fn, arg, &x->rows};
	int rc = exports_references(x)
		     ? page_with_refs(x, &cnt, &next, err)
		     : store_list_each(x->app->db, x->form, &x->q, count_row, &cnt, &next, err);
	x->q.after = NULL;
	free(x->cursor);
	x->cursor = next;
	if (rc != STORE_OK) {
		log_message("export", "%s/%s after %lld rows: %s", x->app->def->id, x->form->id,
			    (long long)x->rows, err);
		x->failed = true;
		return -1;
	}
	if (!next)
		x->finished = true;
	return (int)(x->rows - before);
}

void uc_export_close(uc_export *x)
{
	if (!x)
		return;
	char target[160], detail[200];
	snprintf(target, sizeof target, "%s/%s", x->app->def->id, x->form->id);
	snprintf(detail, sizeof detail, "%lld ligne(s), %s, %s%s, via %s", (long long)x->rows,
		 x->format, x->open_data ? "données ouvertes" : "complet",
		 x->finished ? "" : ", interrompu", x->door);
	if (x->env->au)
		auth_audit(x->env->au, x->who, "export", target, detail);
	export_free(x);
}
