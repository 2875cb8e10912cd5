/*
 * list_query — fuzz target: list queries and cursors against a real app database.
 *
 * Set-up: essai's definition (loader_load on tests/apps/essai), a fresh database in a
 * temporary folder (store_open, store_migrate) and a few dozen records written through
 * the writer (store_write_sync, store_tx_insert): NULLs and ties in every sort column,
 * LIKE's special characters in text, several owners, states and ages (overdue). Only
 * values the pipeline can store: no empty text (a blank value is stored as NULL).
 *
 * The input is a query string, as the API's list receives it: limit, after (the
 * cursor), sort, q, state, overdue, and any other name as a field filter ("!name"
 * filters on NULL). Names the API does not have choose what it fixes itself: _form
 * (demande, signalement, lent), _scope (own: dem1's records; none; or an owner's
 * login), _readable (0/1: which columns q may search), _entered (entered_before).
 *
 * What must hold, whatever the query:
 *   - store_list, store_list_each and store_count answer STORE_OK or STORE_BADQUERY
 *     (with a reason and a message), nothing else; list and list_each give the same
 *     rows and cursor; count refuses only what list refuses, for the same reasons;
 *   - the rows of a page: at most `limit`, inside the scope, in the state asked,
 *     matching the filters (filter_holds: validate_matches, the C twin of the SQL),
 *     overdue when asked (is_overdue's twin), in the order asked with ties broken by
 *     id, and holding the search text once folded (util_fold, the twin of sa_fold);
 *   - from the first page, following each `next` cursor visits exactly the records
 *     store_count counts, each once, in order, and ends; and the records flagged
 *     overdue among them are exactly those the overdue count finds;
 *   - the filters miss nothing: the rows filter_holds accepts among the unfiltered
 *     ones are as many as the filtered count.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "def.h"
#include "diag.h"
#include "fuzz.h"
#include "loader.h"
#include "record.h"
#include "req.h"
#include "store.h"
#include "util.h"
#include "validate.h"

static def_app *app;
static store *db;

/* ---- the records ---- */

typedef struct seed_rec {
	const char *objet, *details, *categorie, *tags, *state, *by, *at, *since;
	int quantite; /* 0: NULL */
	double taux;  /* NAN-free; 0: NULL */
	int urgent;   /* -1: NULL */
} seed_rec;

static const seed_rec demandes[] = {
    {"Tables", "Pour la salle", "a", "[\"x\"]", "deposee", "dem1", "2026-11-20T10:00:00Z",
     "2026-11-20T10:00:00Z", 3, 12.5, 0},
    {"Chaises", NULL, "b", "[\"x\",\"y\"]", "deposee", "dem2", "2026-11-20T10:00:00Z",
     "2026-11-23T09:00:00Z", 3, 0, 1},
    {"100% _coton_", "a\\b", NULL, NULL, "traitee", "dem1", "2026-11-21T08:00:00Z",
     "2026-11-22T08:00:00Z", 0, -1.25, -1},
    {"tables", "TABLES", "a", "[]", "deposee", "agent1", "2026-11-01T00:00:00Z",
     "2026-11-01T00:00:00Z", 100, 12.5, 1},
    {"Été", "ÉTÉ", "b", "[\"z\"]", "traitee", "dem2", "2026-11-22T23:59:59Z",
     "2026-11-22T23:59:59Z", 7, 0, 0},
    {"Bancs", NULL, "a", "[\"y\"]", "deposee", "dem1", "2026-11-23T10:00:00Z",
     "2026-11-23T10:00:00Z", 1, 1e300, -1},
    {NULL, NULL, NULL, NULL, "deposee", "dem3", "2026-11-19T10:00:00Z", "2026-11-19T10:00:00Z", 0,
     0, -1},
    {"Tables", "Pour la salle", "a", "[\"x\"]", "deposee", "dem1", "2026-11-20T10:00:00Z",
     "2026-11-20T10:00:00Z", 3, 12.5, 0},
    {"x", "%", "b", "[\"x\",\"z\"]", "deposee", "dem2", "2026-11-21T10:00:00Z",
     "2026-11-21T10:00:00Z", 42, -0.5, 1},
    {"zz", "_", "a", "[\"y\",\"z\"]", "traitee", "dem1", "2026-11-18T10:00:00Z",
     "2026-11-18T10:00:00Z", 5, 2, 0},
    {"Quai", "'; DROP TABLE demande; --", "b", "[\"x\"]", "deposee", "dem1", "2026-11-17T10:00:00Z",
     "2026-11-17T10:00:00Z", 9, 0, 1},
    {"A", "a", "a", "[\"x\"]", "deposee", "dem4", "2026-11-23T10:00:00Z", "2026-11-21T10:00:00Z", 3,
     3, 0},
};

static void set_text(const def_form *f, record *r, const char *name, const char *s)
{
	int col = def_find_col(f, name);
	FUZZ_CHECK(col >= 0, "essai has no field %s", name);
	if (s)
		value_set_text(&r->values[col], s);
}

typedef struct batch {
	const def_form *f;
	record *r;
	size_t n;
} batch;

static int insert_all(store_tx *tx, void *arg)
{
	batch *b = arg;
	for (size_t i = 0; i < b->n; i++) {
		int rc = store_tx_insert(tx, b->f, &b->r[i]);
		if (rc != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

static void insert_demandes(void)
{
	const def_form *f = def_find_form(app, "demande");
	FUZZ_CHECK(f != NULL, "essai has no form demande");
	size_t n = sizeof demandes / sizeof *demandes;
	record *r = calloc(n, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		const seed_rec *s = &demandes[i];
		record_init(&r[i], f);
		set_text(f, &r[i], "objet", s->objet);
		set_text(f, &r[i], "details", s->details);
		set_text(f, &r[i], "categorie", s->categorie);
		set_text(f, &r[i], "tags", s->tags);
		if (s->quantite)
			value_set_int(&r[i].values[def_find_col(f, "quantite")], s->quantite);
		if (s->taux != 0)
			value_set_real(&r[i].values[def_find_col(f, "taux")], s->taux);
		if (s->urgent >= 0)
			value_set_int(&r[i].values[def_find_col(f, "urgent")], s->urgent);
		record_set_sys(&r[i].created_by, s->by);
		record_set_sys(&r[i].updated_by, s->by);
		record_set_sys(&r[i].created_at, s->at);
		record_set_sys(&r[i].updated_at, s->since);
		record_set_sys(&r[i].state, s->state);
		record_set_sys(&r[i].state_since, s->since);
		record_set_sys(&r[i].def_hash, app->hash);
	}
	batch b = {f, r, n};
	FUZZ_CHECK(store_write_sync(db, insert_all, &b) == STORE_OK, "inserting the records");
	for (size_t i = 0; i < n; i++)
		record_clear(&r[i]);
	free(r);

	/* A form without workflow, for state and overdue queries where there is none. */
	const def_form *g = def_find_form(app, "signalement");
	FUZZ_CHECK(g != NULL, "essai has no form signalement");
	record s[3];
	static const char *const lieux[] = {"Quai", "quai d'Alger", NULL};
	for (size_t i = 0; i < 3; i++) {
		record_init(&s[i], g);
		set_text(g, &s[i], "lieu", lieux[i]);
		set_text(g, &s[i], "description", "Trou");
		record_set_sys(&s[i].created_by, i ? NULL : "dem1");
		record_set_sys(&s[i].created_at, "2026-11-20T10:00:00Z");
		record_set_sys(&s[i].updated_at, "2026-11-20T10:00:00Z");
		record_set_sys(&s[i].def_hash, app->hash);
	}
	batch c = {g, s, 3};
	FUZZ_CHECK(store_write_sync(db, insert_all, &c) == STORE_OK, "inserting the reports");
	for (size_t i = 0; i < 3; i++)
		record_clear(&s[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine_init();
	char dir[PATH_MAX], err[STORE_ERR_LEN] = "";
	snprintf(dir, sizeof dir, "%s/tests/apps/essai", fuzz_root());
	diags d = {0};
	app = loader_load(dir, fuzz_stdlib(), NULL, &d);
	FUZZ_CHECK(app != NULL, "tests/apps/essai does not load (%zu problems)", d.n);
	diags_free(&d);
	store_backend *backend = store_backend_open(NULL, fuzz_tempdir("list"), err);
	FUZZ_CHECK(backend != NULL, "store_backend_open: %s", err);
	db = store_open(backend, "essai", err);
	FUZZ_CHECK(db != NULL, "store_open: %s", err);
	FUZZ_CHECK(store_migrate(db, app, util_now(), err) == STORE_OK, "store_migrate: %s", err);
	insert_demandes();
	return 0;
}

/* ---- the query from the input ---- */

typedef struct query {
	const def_form *f;
	store_query q;
	store_eq eq[16];
	bool readable[64];
	bool has_readable;
} query;

static bool parse_query(const req_kvs *kv, query *out)
{
	memset(out, 0, sizeof *out);
	out->f = def_find_form(app, "demande");
	const char *form = req_kvs_get(kv, "_form");
	if (form) {
		out->f = def_find_form(app, form);
		if (!out->f)
			return false;
	}
	store_query *q = &out->q;
	q->limit = 50; /* the API's default */
	q->now = util_now();
	for (size_t i = 0; i < kv->n; i++) {
		const char *k = kv->v[i].name, *v = kv->v[i].value;
		if (strcmp(k, "limit") == 0) {
			char *end;
			long l = strtol(v, &end, 10);
			q->limit = *v && !*end && l >= INT_MIN && l <= INT_MAX ? (int)l : 0;
		} else if (strcmp(k, "after") == 0) {
			q->after = v;
		} else if (strcmp(k, "sort") == 0) {
			q->sort = v;
		} else if (strcmp(k, "q") == 0) {
			q->q = v;
		} else if (strcmp(k, "state") == 0) {
			q->state = v;
		} else if (strcmp(k, "overdue") == 0) {
			q->overdue_only = strcmp(v, "true") == 0;
		} else if (strcmp(k, "_scope") == 0) {
			q->scope.none = strcmp(v, "none") == 0;
			q->scope.owner = strcmp(v, "own") == 0	? "dem1"
					 : *v && !q->scope.none ? v
								: NULL;
		} else if (strcmp(k, "_readable") == 0) {
			out->has_readable = true;
			for (size_t c = 0; c < 64; c++)
				out->readable[c] = strcmp(v, "0") != 0;
			q->readable = out->readable;
		} else if (strcmp(k, "_entered") == 0) {
			q->entered_before = (time_t)strtoll(v, NULL, 10);
		} else if (strcmp(k, "_form") != 0 && strcmp(k, "lang") != 0 && q->neq < 16) {
			bool null = k[0] == '!';
			out->eq[q->neq].col = def_find_col(out->f, k + null);
			out->eq[q->neq].value = null ? NULL : v;
			q->neq++;
		}
	}
	q->eq = out->eq;
	FUZZ_CHECK(out->f->ncols <= 64, "essai grew past 64 columns");
	return true;
}

/* ---- checking rows ---- */

/* The sort key as store.c reads it: "-name" descending, "name" or "+name" ascending. */
typedef struct order {
	bool desc;
	int col;	 /* data column, or -1 for a system one */
	const char *sys; /* id, created_at, updated_at, state */
} order;

static bool parse_order(const def_form *f, const char *sort, order *o)
{
	if (!sort || !*sort)
		sort = f->list.sort && *f->list.sort ? f->list.sort : "-created_at";
	o->desc = sort[0] == '-';
	const char *name = sort + (sort[0] == '-' || sort[0] == '+' || sort[0] == ' ');
	static const char *const sys[] = {"id", "created_at", "updated_at", "state"};
	o->sys = NULL;
	o->col = -1;
	for (size_t i = 0; i < 4; i++)
		if (strcmp(name, sys[i]) == 0)
			o->sys = sys[i];
	if (!o->sys)
		o->col = def_find_col(f, name);
	return o->sys || o->col >= 0;
}

/* SQLite's order of values: NULL, then numbers, then text (bytes). */
static int cmp_values(const value *a, const value *b)
{
	int ra = a->kind == VAL_NULL ? 0 : a->kind == VAL_TEXT ? 2 : 1;
	int rb = b->kind == VAL_NULL ? 0 : b->kind == VAL_TEXT ? 2 : 1;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 0)
		return 0;
	if (ra == 1) {
		double x = a->kind == VAL_INT ? (double)a->i : a->d;
		double y = b->kind == VAL_INT ? (double)b->i : b->d;
		if (a->kind == VAL_INT && b->kind == VAL_INT)
			return a->i < b->i ? -1 : a->i > b->i;
		return x < y ? -1 : x > y;
	}
	int c = strcmp(a->s, b->s);
	return c < 0 ? -1 : c > 0;
}

static value sys_value(const record *r, const char *sys)
{
	value v = {VAL_NULL, 0, 0, NULL};
	const char *s = strcmp(sys, "created_at") == 0	 ? r->created_at
			: strcmp(sys, "updated_at") == 0 ? r->updated_at
							 : r->state;
	if (strcmp(sys, "id") == 0) {
		v.kind = VAL_INT;
		v.i = r->id;
	} else if (s) {
		v.kind = VAL_TEXT;
		v.s = (char *)s;
	}
	return v;
}

/* <0 when a comes first in the order (ties broken by id, in the same direction). */
static int cmp_rows(const order *o, const record *a, const record *b)
{
	value va = o->sys ? sys_value(a, o->sys) : a->values[o->col];
	value vb = o->sys ? sys_value(b, o->sys) : b->values[o->col];
	int c = cmp_values(&va, &vb);
	if (c == 0)
		c = a->id < b->id ? -1 : a->id > b->id;
	return o->desc ? -c : c;
}

/* Does hay hold needle once both are folded as search folds them (util_fold)? */
static bool token_char(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/*
 * SPEC 6's search, written again from its words: the word (folded) is in the text
 * (folded), and when it begins with a letter or digit, where a word of the text begins.
 */
static bool word_in(const char *hay, const char *word, size_t wn)
{
	buf h = BUF_INIT, n = BUF_INIT;
	char *w = strndup(word, wn);
	util_fold(hay, &h);
	util_fold(w, &n);
	free(w);
	const char *t = buf_cstr(&h), *x = buf_cstr(&n);
	bool found = false;
	for (const char *at = strstr(t, x); at && !found; at = strstr(at + 1, x))
		found = !token_char((unsigned char)x[0]) || at == t ||
			!token_char((unsigned char)at[-1]);
	buf_free(&h);
	buf_free(&n);
	return found;
}

/*
 * Does v pass the filter `want`, by the C rules: no value or the empty text asks for
 * records without a value (validate_filter's FILTER_EMPTY), anything else is compared
 * as validate_matches does (visible_if's rule, the one filters follow).
 */
static bool filter_holds(const def_field *fd, const value *v, const char *want)
{
	if (!want || !want[0])
		return v->kind == VAL_NULL;
	return validate_matches(fd, v, want);
}

static void check_row(const query *qq, const record *r)
{
	const store_query *q = &qq->q;
	const def_form *f = qq->f;
	FUZZ_CHECK(!q->scope.none, "a row for a reader who may read nothing");
	FUZZ_CHECK(!q->scope.owner || (r->created_by && strcmp(r->created_by, q->scope.owner) == 0),
		   "row %lld of %s for reader limited to %s", (long long)r->id,
		   r->created_by ? r->created_by : "nobody", q->scope.owner);
	FUZZ_CHECK(!q->state || (r->state && strcmp(r->state, q->state) == 0),
		   "row %lld in state %s, asked %s", (long long)r->id, r->state, q->state);
	FUZZ_CHECK(!q->overdue_only || r->overdue, "row %lld is not overdue", (long long)r->id);
	for (size_t i = 0; i < q->neq; i++) {
		const def_field *fd = f->cols[q->eq[i].col];
		const value *v = &r->values[q->eq[i].col];
		FUZZ_CHECK(filter_holds(fd, v, q->eq[i].value),
			   "row %lld: %s does not match the filter \"%s\"", (long long)r->id,
			   fd->name, q->eq[i].value ? q->eq[i].value : "(none)");
	}
	/* every word of q, in any order, in one of the search fields the reader may read */
	const char *p = q->q ? q->q : "";
	for (;;) {
		p += strspn(p, " \t\r\n\f\v");
		size_t wn = strcspn(p, " \t\r\n\f\v");
		if (!wn)
			break;
		bool any = false;
		for (size_t i = 0; i < f->list.search.n && !any; i++) {
			int c = def_find_col(f, f->list.search.v[i]);
			if (c >= 0 && (!q->readable || q->readable[c]) &&
			    r->values[c].kind == VAL_TEXT)
				any = word_in(r->values[c].s, p, wn);
		}
		FUZZ_CHECK(any, "row %lld does not hold the word \"%.*s\" of \"%s\"",
			   (long long)r->id, (int)wn, p, q->q);
		p += wn;
	}
}

typedef struct collected {
	int64_t *ids;
	size_t n, cap;
} collected;

static void collect_row(void *arg, const record *r)
{
	collected *c = arg;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->ids = realloc(c->ids, c->cap * sizeof *c->ids);
	}
	c->ids[c->n++] = r->id;
}

/* list and list_each agree: same verdict, rows, cursor. Returns list's rc. */
static int list_both(const query *qq, store_page *page)
{
	store_bad why1 = STORE_BAD_NONE, why2 = STORE_BAD_NONE;
	store_query q = qq->q;
	char err[STORE_ERR_LEN] = "";
	q.why = &why1;
	int rc = store_list(db, qq->f, &q, page, err);
	FUZZ_CHECK(rc == STORE_OK || rc == STORE_BADQUERY, "store_list: %d (%s)", rc, err);
	FUZZ_CHECK(rc == STORE_OK || (why1 != STORE_BAD_NONE && err[0]),
		   "a refused list without a reason (why %d, \"%s\")", (int)why1, err);
	q.why = &why2;
	collected c = {0};
	char *next = NULL;
	int rc2 = store_list_each(db, qq->f, &q, collect_row, &c, &next, err);
	FUZZ_CHECK(rc2 == rc && why1 == why2, "store_list says %d (%d), store_list_each %d (%d)",
		   rc, (int)why1, rc2, (int)why2);
	if (rc == STORE_OK) {
		FUZZ_CHECK(c.n == page->n, "store_list: %zu rows, store_list_each: %zu", page->n,
			   c.n);
		for (size_t i = 0; i < c.n; i++)
			FUZZ_CHECK(c.ids[i] == page->v[i].id, "row %zu: %lld against %lld", i,
				   (long long)page->v[i].id, (long long)c.ids[i]);
		FUZZ_CHECK((!next && !page->next) ||
			       (next && page->next && strcmp(next, page->next) == 0),
			   "the two lists give different cursors");
	}
	free(next);
	free(c.ids);
	return rc;
}

static void check_page(const query *qq, const order *o, const store_page *p)
{
	FUZZ_CHECK(p->n <= (size_t)qq->q.limit, "%zu rows for limit %d", p->n, qq->q.limit);
	FUZZ_CHECK(!p->next || p->n == (size_t)qq->q.limit, "a next page after a short one");
	for (size_t i = 0; i < p->n; i++) {
		check_row(qq, &p->v[i]);
		if (i)
			FUZZ_CHECK(cmp_rows(o, &p->v[i - 1], &p->v[i]) < 0,
				   "rows %lld and %lld out of order", (long long)p->v[i - 1].id,
				   (long long)p->v[i].id);
	}
}

/* From the first page, the cursors visit every counted record once, in order. */
static void walk(const query *first, const order *o, store_page *page, int64_t count)
{
	query qq = *first;
	qq.q.eq = qq.eq;
	qq.q.readable = first->has_readable ? qq.readable : NULL;
	size_t seen = 0, overdue = 0, pages = 0;
	int64_t *ids = calloc((size_t)count + 1, sizeof *ids);
	record last = {0};
	bool has_last = false;
	size_t max_pages = (size_t)count / (size_t)qq.q.limit + 2;
	for (;;) {
		for (size_t i = 0; i < page->n; i++) {
			FUZZ_CHECK(seen < (size_t)count,
				   "the pages hold more than the %lld counted", (long long)count);
			for (size_t k = 0; k < seen; k++)
				FUZZ_CHECK(ids[k] != page->v[i].id, "record %lld on two pages",
					   (long long)ids[k]);
			ids[seen++] = page->v[i].id;
			overdue += page->v[i].overdue;
		}
		if (has_last && page->n)
			FUZZ_CHECK(cmp_rows(o, &last, &page->v[0]) < 0,
				   "page %zu starts before the end of the one before", pages);
		if (page->n) {
			record_clear(&last);
			record_copy(&last, &page->v[page->n - 1]);
			has_last = true;
		}
		if (!page->next)
			break;
		FUZZ_CHECK(++pages <= max_pages, "the cursors go on past %zu pages", max_pages);
		char *cursor = page->next;
		page->next = NULL;
		store_page_free(page);
		qq.q.after = cursor;
		int rc = list_both(&qq, page);
		FUZZ_CHECK(rc == STORE_OK, "the store refuses its own cursor %s", cursor);
		check_page(&qq, o, page);
		free(cursor);
	}
	FUZZ_CHECK(seen == (size_t)count, "the pages hold %zu records, the count says %lld", seen,
		   (long long)count);
	if (!qq.q.overdue_only) {
		query oq = qq;
		oq.q.overdue_only = true;
		oq.q.eq = oq.eq;
		oq.q.readable = qq.q.readable == qq.readable ? oq.readable : NULL;
		int64_t n = -1;
		FUZZ_CHECK(store_count(db, oq.f, &oq.q, &n) == STORE_OK, "overdue count refused");
		FUZZ_CHECK(n == (int64_t)overdue,
			   "%zu rows flagged overdue, the overdue count says %lld", overdue,
			   (long long)n);
	}
	record_clear(&last);
	free(ids);
}

/*
 * The filters find every row they should: among the rows of the same query without
 * filters, those filter_holds accepts for every filter are as many as the count
 * with the filters (validate_filter makes the SQL compare typed values, as
 * validate_matches does).
 */
static void check_filters_complete(const query *qq, int64_t count)
{
	if (qq->q.neq == 0)
		return;
	for (size_t i = 0; i < qq->q.neq; i++) {
		if (qq->eq[i].col < 0)
			return; /* accepted only for a reader who reads nothing: nothing to find */
	}
	store_query all = qq->q;
	all.neq = 0;
	all.eq = NULL;
	all.after = NULL;
	all.sort = "id";
	all.limit = 500;
	all.why = NULL;
	store_page p;
	char err[STORE_ERR_LEN] = "";
	FUZZ_CHECK(store_list(db, qq->f, &all, &p, err) == STORE_OK, "the unfiltered list: %s",
		   err);
	int64_t want = 0;
	for (size_t r = 0; r < p.n; r++) {
		bool all_match = true;
		for (size_t i = 0; i < qq->q.neq && all_match; i++) {
			const value *v = &p.v[r].values[qq->eq[i].col];
			all_match = filter_holds(qq->f->cols[qq->eq[i].col], v, qq->eq[i].value);
		}
		want += all_match;
	}
	FUZZ_CHECK(count == want, "the filters find %lld rows, %lld match them", (long long)count,
		   (long long)want);
	store_page_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16 * 1024)
		return 0;
	arena a = ARENA_INIT;
	req_kvs kv;
	query qq;
	if (req_parse_urlencoded(&a, (const char *)data, size, &kv) != 0 ||
	    !parse_query(&kv, &qq)) {
		arena_free(&a);
		return 0;
	}
	qq.q.readable = qq.has_readable ? qq.readable : NULL;
	store_page page;
	int rc = list_both(&qq, &page);

	store_bad why = STORE_BAD_NONE;
	store_query cq = qq.q;
	cq.why = &why;
	int64_t count = -1;
	int crc = store_count(db, qq.f, &cq, &count);
	FUZZ_CHECK(crc == STORE_OK || crc == STORE_BADQUERY, "store_count: %d", crc);
	/* The same WHERE: count refuses exactly the state, filter and search list refuses. */
	FUZZ_CHECK(crc == STORE_OK || rc == STORE_BADQUERY, "count refuses what list accepts");
	FUZZ_CHECK(crc == STORE_OK || why != STORE_BAD_NONE, "count refused without a reason");
	if (rc == STORE_OK) {
		order o;
		FUZZ_CHECK(parse_order(qq.f, qq.q.sort, &o), "list accepted sort \"%s\"",
			   qq.q.sort);
		check_page(&qq, &o, &page);
		if (!qq.q.after)
			walk(&qq, &o, &page, count);
		check_filters_complete(&qq, count);
	}
	store_page_free(&page);
	arena_free(&a);
	return 0;
}
