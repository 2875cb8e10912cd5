/*
 * store_records — records, lists, counts, history and tracking links of the app
 * databases (see store.h).
 *
 * One WHERE compiler (compile_where) serves get, list, count and count_states, so a
 * list never shows what a get refuses. Lists page by keyset: a cursor carries the
 * sort key and the last row's sort value and id, so a page costs an index range scan
 * however deep it is, and a cursor made for another sort order is refused.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "store_int.h"
#include "util.h"

/* STORE_BADQUERY with its reason for the caller (q->why) and a detail for the log (err). */
static int bad(const store_query *q, store_bad why, char *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(const store_query *q, store_bad why, char *err, const char *fmt, ...)
{
	if (q->why)
		*q->why = why;
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, STORE_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return STORE_BADQUERY;
}

/* ------------------------------------------------------------------ values and rows */

enum { C_ID, C_STATE, C_SINCE, C_VERSION, C_CAT, C_CBY, C_UAT, C_UBY, C_HASH, C_DATA };

static const char SYS_SELECT[] = "\"id\", \"_state\", \"_state_since\", \"_version\", "
				 "\"_created_at\", \"_created_by\", \"_updated_at\", "
				 "\"_updated_by\", \"_def_hash\"";

static void put_select(buf *b, const def_form *f)
{
	buf_puts(b, "SELECT ");
	buf_puts(b, SYS_SELECT);
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(b, ", ");
		store_put_ident(b, f->cols[i]->name);
	}
	buf_puts(b, " FROM ");
	store_put_ident(b, f->id);
}

int store_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int bind_value(sqlite3_stmt *st, int i, const value *v)
{
	switch (v->kind) {
	case VAL_INT:
		return sqlite3_bind_int64(st, i, v->i);
	case VAL_REAL:
		return sqlite3_bind_double(st, i, v->d);
	case VAL_TEXT:
		return store_bind_str(st, i, v->s);
	case VAL_NULL:
		break;
	}
	return sqlite3_bind_null(st, i);
}

/*
 * A column into a value. The field type says the expected class (INTEGER, REAL,
 * TEXT); a stored value of another class is kept as stored, except integers in a
 * REAL field (integer -> decimal migration, or an integral decimal), read as reals.
 */
/* A text value: copied, or (borrow) pointing into SQLite's row until the next step. */
static void set_text(value *v, const char *t, bool borrow)
{
	if (!borrow) {
		value_set_text(v, t);
		return;
	}
	v->kind = t ? VAL_TEXT : VAL_NULL;
	v->s = (char *)t;
}

static void read_value(sqlite3_stmt *st, int i, const def_field *fd, value *v, bool borrow)
{
	const char *sql = def_type_sql(fd->type);
	bool want_real = sql && sql[0] == 'R'; /* "REAL" */
	bool want_text = sql && sql[0] == 'T'; /* "TEXT" */
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		if (want_real)
			value_set_real(v, (double)sqlite3_column_int64(st, i));
		else if (want_text)
			set_text(v, (const char *)sqlite3_column_text(st, i), borrow);
		else
			value_set_int(v, sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT:
		if (want_text)
			set_text(v, (const char *)sqlite3_column_text(st, i), borrow);
		else
			value_set_real(v, sqlite3_column_double(st, i));
		break;
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const char *t = (const char *)sqlite3_column_text(st, i);
		if (t)
			set_text(v, t, borrow);
		break;
	}
	default:
		break;
	}
}

/* The C twin of put_overdue(): keep the two in step. */
static bool is_overdue(const def_form *f, const char *state, const char *since, time_t now)
{
	if (!f->workflow || !state || !since)
		return false;
	int k = def_find_state(f->workflow, state);
	if (k < 0 || f->workflow->states[k].due_days < 0)
		return false;
	time_t t;
	if (!util_parse_datetime(since, &t))
		return false;
	return (int64_t)t < (int64_t)now - (int64_t)f->workflow->states[k].due_days * DAY;
}

static void set_col_text(char **slot_, sqlite3_stmt *st, int i, bool borrow)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	if (borrow)
		*slot_ = (char *)t;
	else
		record_set_sys(slot_, t);
}

/*
 * The current row (selected by put_select) into r, whose values must all be NULL.
 * borrow: r's strings point into SQLite's row, valid until the next step; such a
 * record is read only, never cleared.
 */
static void fill_row(sqlite3_stmt *st, const def_form *f, time_t now, record *r, bool borrow)
{
	r->id = sqlite3_column_int64(st, C_ID);
	r->version = sqlite3_column_int64(st, C_VERSION);
	if (f->workflow)
		set_col_text(&r->state, st, C_STATE, borrow);
	set_col_text(&r->state_since, st, C_SINCE, borrow);
	set_col_text(&r->created_at, st, C_CAT, borrow);
	set_col_text(&r->created_by, st, C_CBY, borrow);
	set_col_text(&r->updated_at, st, C_UAT, borrow);
	set_col_text(&r->updated_by, st, C_UBY, borrow);
	set_col_text(&r->def_hash, st, C_HASH, borrow);
	for (size_t i = 0; i < f->ncols; i++)
		read_value(st, C_DATA + (int)i, f->cols[i], &r->values[i], borrow);
	r->overdue = is_overdue(f, r->state, r->state_since, now);
}

/* The current row into r, which is initialised here and owns its strings. */
static void read_row(sqlite3_stmt *st, const def_form *f, time_t now, record *r)
{
	record_init(r, f);
	fill_row(st, f, now, r, false);
}

/* ------------------------------------------------------------------ query builder */

enum { ARG_TEXT, ARG_INT, ARG_REAL };

typedef struct qarg {
	int kind;
	const char *s; /* borrowed, or == owned */
	char *owned;
	int64_t i;
	double d;
} qarg;

/* SQL text plus the values for its `?`s, in order. */
typedef struct qb {
	buf sql;
	qarg *v;
	size_t n, cap;
} qb;

static qarg *qb_push(qb *b, int kind)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->v = xrealloc(b->v, b->cap * sizeof *b->v);
	}
	qarg *a = &b->v[b->n++];
	memset(a, 0, sizeof *a);
	a->kind = kind;
	return a;
}

static void qb_text(qb *b, const char *s)
{
	qb_push(b, ARG_TEXT)->s = s;
}
static void qb_int(qb *b, int64_t i)
{
	qb_push(b, ARG_INT)->i = i;
}
static void qb_real(qb *b, double d)
{
	qb_push(b, ARG_REAL)->d = d;
}

static void qb_text_own(qb *b, char *s)
{
	qarg *a = qb_push(b, ARG_TEXT);
	a->s = a->owned = s;
}

static int qb_bind(const qb *b, sqlite3_stmt *st)
{
	for (size_t i = 0; i < b->n; i++) {
		const qarg *a = &b->v[i];
		int rc;
		if (a->kind == ARG_INT)
			rc = sqlite3_bind_int64(st, (int)i + 1, a->i);
		else if (a->kind == ARG_REAL)
			rc = sqlite3_bind_double(st, (int)i + 1, a->d);
		else
			rc = store_bind_str(st, (int)i + 1, a->s);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static void qb_free(qb *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].owned);
	free(b->v);
	buf_free(&b->sql);
	memset(b, 0, sizeof *b);
}

/*
 * "((state = ? AND since < ?) OR ...)" over the states with due_days, or "0": the
 * SQL twin of is_overdue().
 */
static void put_overdue(qb *b, const def_form *f, time_t now)
{
	const def_workflow *w = f->workflow;
	bool any = false;
	for (size_t i = 0; w && i < w->nstates; i++) {
		if (w->states[i].due_days < 0)
			continue;
		buf_puts(&b->sql, any ? " OR " : "(");
		buf_puts(&b->sql, "(\"_state\" = ? AND "
				  "CAST(strftime('%s', \"_state_since\") AS INTEGER) < ?)");
		qb_text(b, w->states[i].id);
		qb_int(b, (int64_t)now - (int64_t)w->states[i].due_days * DAY);
		any = true;
	}
	buf_puts(&b->sql, any ? ")" : "0");
}

/* '%' + s with %, _ and \ escaped by \ + '%'; caller frees. */
static char *like_pattern(const char *s)
{
	buf p = BUF_INIT;
	buf_putc(&p, '%');
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			buf_putc(&p, '\\');
		buf_putc(&p, *s);
	}
	buf_putc(&p, '%');
	return buf_steal(&p);
}

/*
 * The one WHERE clause of every read: the scope (read rule), then the filters of q.
 * Appends " WHERE ..." to b. err may be NULL.
 */
static int compile_where(qb *b, const def_form *f, const store_query *q, char *err)
{
	buf *sql = &b->sql;
	buf_puts(sql, " WHERE ");
	if (q->scope.none) {
		buf_puts(sql, "0");
		return STORE_OK;
	}
	buf_puts(sql, "1");
	if (q->scope.owner) {
		buf_puts(sql, " AND \"_created_by\" = ?");
		qb_text(b, q->scope.owner);
	}
	if (q->state) {
		if (def_find_state(f->workflow, q->state) < 0)
			return bad(q, STORE_BAD_STATE, err, "unknown state \"%.100s\"", q->state);
		buf_puts(sql, " AND \"_state\" = ?");
		qb_text(b, q->state);
	}
	for (size_t i = 0; i < q->neq; i++) {
		const store_eq *e = &q->eq[i];
		if (e->col < 0 || (size_t)e->col >= f->ncols)
			return bad(q, STORE_BAD_FILTER, err, "unknown filter field");
		const def_field *fd = f->cols[e->col];
		buf_puts(sql, " AND ");
		if (!e->value) {
			store_put_ident(sql, fd->name);
			buf_puts(sql, " IS NULL");
		} else if (fd->type == FT_MULTICHOICE) {
			buf_puts(sql, "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(");
			store_put_ident(sql, fd->name);
			buf_puts(sql, ") THEN ");
			store_put_ident(sql, fd->name);
			buf_puts(sql, " END) WHERE \"value\" = ?)");
			qb_text(b, e->value);
		} else if (fd->type == FT_BOOLEAN) {
			bool t = strcmp(e->value, "true") == 0 || strcmp(e->value, "1") == 0;
			bool fl = strcmp(e->value, "false") == 0 || strcmp(e->value, "0") == 0;
			if (!t && !fl)
				return bad(q, STORE_BAD_FILTER, err,
					   "filter \"%s\" takes true or false", fd->name);
			store_put_ident(sql, fd->name);
			buf_puts(sql, " = ?");
			qb_int(b, t);
		} else {
			store_put_ident(sql, fd->name);
			buf_puts(sql, " = ?");
			qb_text(b, e->value);
		}
	}
	if (q->q && q->q[0]) {
		if (strlen(q->q) > SEARCH_MAX)
			return bad(q, STORE_BAD_SEARCH, err, "search text is too long");
		char *pat = NULL;
		bool any = false;
		for (size_t i = 0; i < f->list.search.n; i++) {
			int c = def_find_col(f, f->list.search.v[i]);
			if (c < 0 || (q->readable && !q->readable[c]))
				continue;
			buf_puts(sql, any ? " OR " : " AND (");
			store_put_ident(sql, f->cols[c]->name);
			buf_puts(sql, " LIKE ? ESCAPE '\\'");
			if (!pat) {
				pat = like_pattern(q->q);
				qb_text_own(b, pat);
			} else {
				qb_text(b, pat);
			}
			any = true;
		}
		buf_puts(sql, any ? ")" : " AND 0");
	}
	if (q->overdue_only) {
		buf_puts(sql, " AND ");
		put_overdue(b, f, q->now);
	}
	if (q->entered_before) {
		buf_puts(sql, " AND CAST(strftime('%s', \"_state_since\") AS INTEGER) <= ?");
		qb_int(b, (int64_t)q->entered_before);
	}
	return STORE_OK;
}

/* ------------------------------------------------------------------ sort and cursor */

int store_parse_sort(const def_form *f, const char *sort, sortkey *k, char *err)
{
	if (!sort || !*sort)
		sort = f->list.sort && *f->list.sort ? f->list.sort : "-created_at";
	k->desc = sort[0] == '-';
	const char *name = sort + (sort[0] == '-' || sort[0] == '+' || sort[0] == ' ');
	static const struct {
		const char *name, *col;
		int sel;
	} sys[] = {{"id", "id", C_ID},
		   {"created_at", "_created_at", C_CAT},
		   {"updated_at", "_updated_at", C_UAT},
		   {"state", "_state", C_STATE}};
	k->col = NULL;
	for (size_t i = 0; i < sizeof sys / sizeof *sys; i++) {
		if (strcmp(name, sys[i].name) == 0) {
			k->col = sys[i].col;
			k->sel = sys[i].sel;
		}
	}
	if (!k->col) {
		int c = def_find_col(f, name);
		if (c < 0)
			return store_seterr(err, STORE_BADQUERY, "unknown sort field \"%.100s\"",
					    name);
		k->col = f->cols[c]->name;
		k->sel = C_DATA + c;
	}
	snprintf(k->key, sizeof k->key, "%s%s", k->desc ? "-" : "", name);
	return STORE_OK;
}

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64url_encode(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = B64URL[(v >> 18) & 63];
		out[o++] = B64URL[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = B64URL[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = B64URL[v & 63];
	}
	out[o] = '\0';
	return out;
}

static int b64url_val(char c)
{
	const char *p = c ? strchr(B64URL, c) : NULL;
	return p ? (int)(p - B64URL) : -1;
}

/* Strict: only the URL-safe alphabet, no padding, no stray trailing bits. */
static bool b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outn)
{
	if (n % 4 == 1)
		return false;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_val(s[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return false;
	*outn = o;
	return true;
}

/* Cursor of the current row: base64url of ["<sort key>", <sort value>, <id>]. Caller frees. */
static char *make_cursor(const sortkey *k, sqlite3_stmt *st)
{
	json_t *v = NULL;
	switch (sqlite3_column_type(st, k->sel)) {
	case SQLITE_INTEGER:
		v = json_integer(sqlite3_column_int64(st, k->sel));
		break;
	case SQLITE_FLOAT:
		v = json_real(sqlite3_column_double(st, k->sel));
		break;
	case SQLITE_NULL:
		v = json_null();
		break;
	default: {
		const char *t = (const char *)sqlite3_column_text(st, k->sel);
		v = t ? json_stringn(t, (size_t)sqlite3_column_bytes(st, k->sel)) : NULL;
		break;
	}
	}
	if (!v)
		return NULL;
	json_t *a = json_pack("[s o I]", k->key, v, (json_int_t)sqlite3_column_int64(st, C_ID));
	char *txt = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	if (!txt)
		return NULL;
	char *out = b64url_encode((const unsigned char *)txt, strlen(txt));
	free(txt);
	return out;
}

/* Checks and decodes a cursor made by make_cursor for the same sort key; *out: new ref. */
static int parse_cursor(const char *after, const sortkey *k, json_t **out, char *err)
{
	unsigned char raw[CURSOR_MAX];
	size_t n = strlen(after), rn = 0;
	*out = NULL;
	if (n == 0 || n > CURSOR_MAX || !b64url_decode(after, n, raw, &rn))
		return store_seterr(err, STORE_BADQUERY, "malformed cursor");
	json_error_t je;
	json_t *a = json_loadb((const char *)raw, rn, 0, &je);
	json_t *key = json_array_get(a, 0), *v = json_array_get(a, 1), *id = json_array_get(a, 2);
	if (!json_is_array(a) || json_array_size(a) != 3 || !json_is_string(key) ||
	    !json_is_integer(id) ||
	    !(json_is_null(v) || json_is_integer(v) || json_is_real(v) || json_is_string(v))) {
		json_decref(a);
		return store_seterr(err, STORE_BADQUERY, "malformed cursor");
	}
	if (strcmp(json_string_value(key), k->key) != 0) {
		json_decref(a);
		return store_seterr(err, STORE_BADQUERY, "cursor belongs to another sort order");
	}
	*out = a;
	return STORE_OK;
}

/*
 * Rows strictly after the cursor row in the order (col, id) ASC or DESC. SQLite
 * sorts NULL first ascending and last descending, so a NULL sort value continues
 * among the NULLs by id, then (ascending) into the non-NULLs; a non-NULL value
 * continues among equal values by id, then (descending) into the NULLs.
 */
static void put_after(qb *b, const sortkey *k, json_t *cur)
{
	json_t *v = json_array_get(cur, 1);
	int64_t id = json_integer_value(json_array_get(cur, 2));
	buf *sql = &b->sql;
	const char *cmp = k->desc ? "<" : ">";
	if (k->sel == C_ID) {
		buf_printf(sql, " AND \"id\" %s ?", cmp);
		qb_int(b, id);
		return;
	}
	if (json_is_null(v)) {
		buf_puts(sql, " AND ((");
		store_put_ident(sql, k->col);
		buf_printf(sql, " IS NULL AND \"id\" %s ?)", cmp);
		if (!k->desc) {
			buf_puts(sql, " OR ");
			store_put_ident(sql, k->col);
			buf_puts(sql, " IS NOT NULL");
		}
		buf_puts(sql, ")");
		qb_int(b, id);
		return;
	}
	buf_puts(sql, " AND ((");
	store_put_ident(sql, k->col);
	buf_printf(sql, ", \"id\") %s (?, ?)", cmp);
	if (k->desc) {
		buf_puts(sql, " OR ");
		store_put_ident(sql, k->col);
		buf_puts(sql, " IS NULL");
	}
	buf_puts(sql, ")");
	if (json_is_integer(v))
		qb_int(b, json_integer_value(v));
	else if (json_is_real(v))
		qb_real(b, json_real_value(v));
	else
		qb_text(b, json_string_value(v));
	qb_int(b, id);
}

/* ------------------------------------------------------------------ reads */

static const store_scope ALL = {false, NULL};

int store_get(store *s, const def_form *f, int64_t id, const store_scope *scope, time_t now,
	      record *out)
{
	int rc = STORE_OK, src;
	qb b = {BUF_INIT, NULL, 0, 0};
	conn *c = NULL;
	sqlite3_stmt *st = NULL;
	store_query q;
	memset(out, 0, sizeof *out);
	memset(&q, 0, sizeof q);
	q.scope = scope ? *scope : ALL;
	if (!store_form_ok(f)) {
		rc = STORE_ERROR;
		goto done;
	}
	put_select(&b.sql, f);
	if ((rc = compile_where(&b, f, &q, NULL)) != STORE_OK)
		goto done;
	buf_puts(&b.sql, " AND \"id\" = ?");
	qb_int(&b, id);
	if (!(c = store_reader_take(s))) {
		rc = STORE_ERROR;
		goto done;
	}
	if ((src = store_stmt(c, b.sql.data, &st)) != SQLITE_OK ||
	    (src = qb_bind(&b, st)) != SQLITE_OK) {
		rc = store_sqlfail(c, "get");
		goto done;
	}
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		read_row(st, f, now, out);
	else if (src == SQLITE_DONE)
		rc = STORE_NOTFOUND;
	else
		rc = store_sqlfail(c, "get");
done:
	store_stmt_done(st);
	store_reader_give(s, c);
	qb_free(&b);
	return rc;
}

/*
 * The rows of one page go to fn with borrowed strings (store_list_each), or are
 * copied into page->v (store_list). next gets the cursor of the next page (caller frees).
 */
static int list_rows(store *s, const def_form *f, const store_query *q, store_page *page,
		     store_row_fn fn, void *arg, char **next_out, char err[STORE_ERR_LEN])
{
	int rc = STORE_OK, src = SQLITE_OK;
	qb b = {BUF_INIT, NULL, 0, 0};
	conn *c = NULL;
	sqlite3_stmt *st = NULL;
	json_t *cur = NULL;
	char *next = NULL;
	bool more = false;
	size_t n = 0;
	record tmp = {0};
	sortkey k;
	*next_out = NULL;
	if (err)
		err[0] = '\0';
	if (!store_form_ok(f)) {
		rc = store_seterr(err, STORE_ERROR, "form cannot be queried");
		goto done;
	}
	if (q->limit < 1 || q->limit > LIMIT_MAX) {
		rc = bad(q, STORE_BAD_LIMIT, err, "limit must be between 1 and %d", LIMIT_MAX);
		goto done;
	}
	if ((rc = store_parse_sort(f, q->sort, &k, err)) != STORE_OK && q->why)
		*q->why = STORE_BAD_SORT;
	if (rc != STORE_OK)
		goto done;
	if (q->after && (rc = parse_cursor(q->after, &k, &cur, err)) != STORE_OK && q->why)
		*q->why = STORE_BAD_CURSOR;
	if (rc != STORE_OK)
		goto done;
	put_select(&b.sql, f);
	if ((rc = compile_where(&b, f, q, err)) != STORE_OK)
		goto done;
	if (cur)
		put_after(&b, &k, cur);
	const char *dir = k.desc ? "DESC" : "ASC";
	buf_puts(&b.sql, " ORDER BY ");
	if (k.sel != C_ID) {
		store_put_ident(&b.sql, k.col);
		buf_printf(&b.sql, " %s, ", dir);
	}
	buf_printf(&b.sql, "\"id\" %s LIMIT ?", dir);
	qb_int(&b, (int64_t)q->limit + 1);

	if (!(c = store_reader_take(s))) {
		rc = store_seterr(err, STORE_ERROR, "cannot open the database");
		goto done;
	}
	if ((src = store_stmt(c, b.sql.data, &st)) != SQLITE_OK ||
	    (src = qb_bind(&b, st)) != SQLITE_OK) {
		rc = store_sqlfail(c, "list");
		goto done;
	}
	if (page)
		page->v = xcalloc((size_t)q->limit, sizeof *page->v);
	else
		record_init(&tmp, f); /* one values array for every row */
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == (size_t)q->limit) {
			more = true;
			break;
		}
		if (page) {
			read_row(st, f, q->now, &page->v[n]);
			page->n = n + 1;
		} else {
			value *vals = tmp.values;
			memset(vals, 0, f->ncols * sizeof *vals);
			tmp = (record){.nvalues = f->ncols, .values = vals};
			fill_row(st, f, q->now, &tmp, true);
			fn(arg, &tmp);
		}
		n++;
		if (n == (size_t)q->limit && !(next = make_cursor(&k, st))) {
			rc = store_seterr(err, STORE_ERROR, "cannot build the cursor");
			goto done;
		}
	}
	if (!more && src != SQLITE_DONE) {
		rc = store_sqlfail(c, "list");
		goto done;
	}
	if (more) {
		*next_out = next;
		next = NULL;
	}
done:
	free(tmp.values); /* the borrowed strings are SQLite's */
	store_stmt_done(st);
	store_reader_give(s, c);
	free(next);
	json_decref(cur);
	qb_free(&b);
	return rc;
}

int store_list(store *s, const def_form *f, const store_query *q, store_page *out,
	       char err[STORE_ERR_LEN])
{
	memset(out, 0, sizeof *out);
	int rc = list_rows(s, f, q, out, NULL, NULL, &out->next, err);
	if (rc != STORE_OK)
		store_page_free(out);
	return rc;
}

int store_list_each(store *s, const def_form *f, const store_query *q, store_row_fn fn, void *arg,
		    char **next, char err[STORE_ERR_LEN])
{
	return list_rows(s, f, q, NULL, fn, arg, next, err);
}

void store_page_free(store_page *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		record_clear(&p->v[i]);
	free(p->v);
	free(p->next);
	memset(p, 0, sizeof *p);
}

/* Runs b (one row, first column an integer) on a reader. */
static int read_int(store *s, qb *b, int64_t *out, const char *what)
{
	int rc = STORE_OK, src;
	conn *c = store_reader_take(s);
	sqlite3_stmt *st = NULL;
	if (!c)
		return STORE_ERROR;
	if ((src = store_stmt(c, b->sql.data, &st)) != SQLITE_OK ||
	    (src = qb_bind(b, st)) != SQLITE_OK || (src = sqlite3_step(st)) != SQLITE_ROW) {
		rc = store_sqlfail(c, what);
		goto done;
	}
	*out = sqlite3_column_int64(st, 0);
done:
	store_stmt_done(st);
	store_reader_give(s, c);
	return rc;
}

int store_count(store *s, const def_form *f, const store_query *q, int64_t *out)
{
	int rc;
	qb b = {BUF_INIT, NULL, 0, 0};
	*out = 0;
	if (!store_form_ok(f))
		return STORE_ERROR;
	if (q->scope.none)
		return STORE_OK;
	buf_puts(&b.sql, "SELECT count(*) FROM ");
	store_put_ident(&b.sql, f->id);
	if ((rc = compile_where(&b, f, q, NULL)) == STORE_OK)
		rc = read_int(s, &b, out, "count");
	qb_free(&b);
	return rc;
}

int store_count_states(store *s, const def_form *f, const store_scope *scope, time_t now,
		       store_state_count *out)
{
	int rc = STORE_OK, src;
	qb b = {BUF_INIT, NULL, 0, 0};
	conn *c = NULL;
	sqlite3_stmt *st = NULL;
	store_query q;
	const def_workflow *w = f ? f->workflow : NULL;
	size_t ns = w ? w->nstates : 1;
	if (!store_form_ok(f))
		return STORE_ERROR;
	for (size_t i = 0; i < ns; i++) {
		out[i].state = w ? w->states[i].id : NULL;
		out[i].total = out[i].overdue = 0;
	}
	memset(&q, 0, sizeof q);
	q.scope = scope ? *scope : ALL;
	if (q.scope.none)
		return (int)ns;
	buf_puts(&b.sql, "SELECT \"_state\", count(*), sum(");
	put_overdue(&b, f, now);
	buf_puts(&b.sql, ") FROM ");
	store_put_ident(&b.sql, f->id);
	if ((rc = compile_where(&b, f, &q, NULL)) != STORE_OK)
		goto done;
	buf_puts(&b.sql, " GROUP BY \"_state\"");
	if (!(c = store_reader_take(s))) {
		rc = STORE_ERROR;
		goto done;
	}
	if ((src = store_stmt(c, b.sql.data, &st)) != SQLITE_OK ||
	    (src = qb_bind(&b, st)) != SQLITE_OK) {
		rc = store_sqlfail(c, "count_states");
		goto done;
	}
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		int k = 0;
		if (w && (k = def_find_state(w, (const char *)sqlite3_column_text(st, 0))) < 0)
			continue; /* a state migration has not moved yet: not shown */
		out[k].total += sqlite3_column_int64(st, 1);
		out[k].overdue += sqlite3_column_int64(st, 2);
	}
	if (src != SQLITE_DONE)
		rc = store_sqlfail(c, "count_states");
done:
	store_stmt_done(st);
	store_reader_give(s, c);
	qb_free(&b);
	return rc == STORE_OK ? (int)ns : rc;
}

char *store_col_dup(sqlite3_stmt *st, int i)
{
	return xstrdup((const char *)sqlite3_column_text(st, i));
}

int store_history(store *s, const def_form *f, int64_t record_id, store_history_line **out,
		  size_t *n)
{
	static const char sql[] =
	    "SELECT \"id\", \"at\", \"actor\", \"action\", \"from_state\", \"to_state\", "
	    "\"transition\", \"comment\", \"changes\" FROM \"_history\" "
	    "WHERE \"form\" = ? AND \"record_id\" = ? ORDER BY \"id\"";
	int rc = STORE_OK, src;
	conn *c = NULL;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (!store_form_ok(f))
		return STORE_ERROR;
	if (!(c = store_reader_take(s)))
		return STORE_ERROR;
	if ((src = store_stmt(c, sql, &st)) != SQLITE_OK ||
	    (src = store_bind_str(st, 1, f->id)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 2, record_id)) != SQLITE_OK) {
		rc = store_sqlfail(c, "history");
		goto done;
	}
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		store_history_line *h = &(*out)[(*n)++];
		memset(h, 0, sizeof *h);
		h->id = sqlite3_column_int64(st, 0);
		h->at = store_col_dup(st, 1);
		h->actor = store_col_dup(st, 2);
		h->action = store_col_dup(st, 3);
		h->from_state = store_col_dup(st, 4);
		h->to_state = store_col_dup(st, 5);
		h->transition = store_col_dup(st, 6);
		h->comment = store_col_dup(st, 7);
		const char *ch = (const char *)sqlite3_column_text(st, 8);
		if (ch) {
			json_error_t je;
			h->changes = json_loads(ch, 0, &je);
		}
	}
	if (src != SQLITE_DONE)
		rc = store_sqlfail(c, "history");
done:
	store_stmt_done(st);
	store_reader_give(s, c);
	if (rc != STORE_OK) {
		store_history_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void store_history_line_clear(store_history_line *l)
{
	free(l->at);
	free(l->actor);
	free(l->action);
	free(l->from_state);
	free(l->to_state);
	free(l->transition);
	free(l->comment);
	json_decref(l->changes);
	memset(l, 0, sizeof *l);
}

void store_history_free(store_history_line *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_history_line_clear(&v[i]);
	free(v);
}

/* ------------------------------------------------------------------ writes */

int store_tx_insert(store_tx *tx, const def_form *f, record *r)
{
	conn *c = tx->c;
	buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK, src;
	if (!store_form_ok(f) || r->nvalues != f->ncols)
		return STORE_ERROR;
	buf_puts(&sql, "INSERT INTO ");
	store_put_ident(&sql, f->id);
	buf_puts(&sql, " (\"_state\", \"_state_since\", \"_version\", \"_created_at\", "
		       "\"_created_by\", \"_updated_at\", \"_updated_by\", \"_def_hash\"");
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(&sql, ", ");
		store_put_ident(&sql, f->cols[i]->name);
	}
	buf_puts(&sql, ") VALUES (?, ?, 1, ?, ?, ?, ?, ?");
	for (size_t i = 0; i < f->ncols; i++)
		buf_puts(&sql, ", ?");
	buf_puts(&sql, ")");
	if ((src = store_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = store_bind_str(st, 1, f->workflow ? r->state : NULL)) != SQLITE_OK ||
	    (src = store_bind_str(st, 2, r->state_since)) != SQLITE_OK ||
	    (src = store_bind_str(st, 3, r->created_at)) != SQLITE_OK ||
	    (src = store_bind_str(st, 4, r->created_by)) != SQLITE_OK ||
	    (src = store_bind_str(st, 5, r->updated_at)) != SQLITE_OK ||
	    (src = store_bind_str(st, 6, r->updated_by)) != SQLITE_OK ||
	    (src = store_bind_str(st, 7, r->def_hash)) != SQLITE_OK) {
		rc = store_sqlfail(c, "insert");
		goto done;
	}
	for (size_t i = 0; i < f->ncols; i++) {
		if ((src = bind_value(st, 8 + (int)i, &r->values[i])) != SQLITE_OK) {
			rc = store_sqlfail(c, "insert");
			goto done;
		}
	}
	if ((src = sqlite3_step(st)) != SQLITE_DONE) {
		rc = store_sqlfail(c, "insert");
		goto done;
	}
	r->id = sqlite3_last_insert_rowid(c->db);
	r->version = 1;
done:
	store_stmt_done(st);
	buf_free(&sql);
	return rc;
}

/* NOTFOUND or CONFLICT for a row an UPDATE/DELETE did not touch. */
static int why_untouched(conn *c, const def_form *f, int64_t id)
{
	buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc, src;
	buf_puts(&sql, "SELECT \"_version\" FROM ");
	store_put_ident(&sql, f->id);
	buf_puts(&sql, " WHERE \"id\" = ?");
	if ((src = store_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		rc = store_sqlfail(c, "update check");
		goto done;
	}
	src = sqlite3_step(st);
	rc = src == SQLITE_ROW	  ? STORE_CONFLICT
	     : src == SQLITE_DONE ? STORE_NOTFOUND
				  : store_sqlfail(c, "update check");
done:
	store_stmt_done(st);
	buf_free(&sql);
	return rc;
}

int store_tx_update(store_tx *tx, const def_form *f, record *r, int64_t expect_version)
{
	conn *c = tx->c;
	buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK, src;
	int n = (int)f->ncols;
	if (!store_form_ok(f) || r->nvalues != f->ncols)
		return STORE_ERROR;
	buf_puts(&sql, "UPDATE ");
	store_put_ident(&sql, f->id);
	buf_puts(&sql,
		 " SET \"_state\" = ?, \"_state_since\" = ?, \"_version\" = \"_version\" + 1, "
		 "\"_updated_at\" = ?, \"_updated_by\" = ?, \"_def_hash\" = ?");
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(&sql, ", ");
		store_put_ident(&sql, f->cols[i]->name);
		buf_puts(&sql, " = ?");
	}
	buf_puts(&sql, " WHERE \"id\" = ? AND \"_version\" = ?");
	if ((src = store_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = store_bind_str(st, 1, f->workflow ? r->state : NULL)) != SQLITE_OK ||
	    (src = store_bind_str(st, 2, r->state_since)) != SQLITE_OK ||
	    (src = store_bind_str(st, 3, r->updated_at)) != SQLITE_OK ||
	    (src = store_bind_str(st, 4, r->updated_by)) != SQLITE_OK ||
	    (src = store_bind_str(st, 5, r->def_hash)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 6 + n, r->id)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 7 + n, expect_version)) != SQLITE_OK) {
		rc = store_sqlfail(c, "update");
		goto done;
	}
	for (int i = 0; i < n; i++) {
		if ((src = bind_value(st, 6 + i, &r->values[i])) != SQLITE_OK) {
			rc = store_sqlfail(c, "update");
			goto done;
		}
	}
	if ((src = sqlite3_step(st)) != SQLITE_DONE) {
		rc = store_sqlfail(c, "update");
		goto done;
	}
	if (sqlite3_changes64(c->db) == 0) {
		store_stmt_done(st);
		st = NULL;
		rc = why_untouched(c, f, r->id);
		goto done;
	}
	r->version = expect_version + 1;
done:
	store_stmt_done(st);
	buf_free(&sql);
	return rc;
}

int store_tx_delete(store_tx *tx, const def_form *f, int64_t id)
{
	conn *c = tx->c;
	buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK, src;
	if (!store_form_ok(f))
		return STORE_ERROR;
	buf_puts(&sql, "DELETE FROM ");
	store_put_ident(&sql, f->id);
	buf_puts(&sql, " WHERE \"id\" = ?");
	if ((src = store_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (src = sqlite3_step(st)) != SQLITE_DONE) {
		rc = store_sqlfail(c, "delete");
		goto done;
	}
	if (sqlite3_changes64(c->db) == 0)
		rc = STORE_NOTFOUND;
done:
	store_stmt_done(st);
	buf_free(&sql);
	return rc;
}

int store_tx_get(store_tx *tx, const def_form *f, int64_t id, record *out)
{
	conn *c = tx->c;
	buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK, src;
	memset(out, 0, sizeof *out);
	if (!store_form_ok(f))
		return STORE_ERROR;
	put_select(&sql, f);
	buf_puts(&sql, " WHERE \"id\" = ?");
	if ((src = store_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		rc = store_sqlfail(c, "tx get");
		goto done;
	}
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		read_row(st, f, util_now(), out);
	else if (src == SQLITE_DONE)
		rc = STORE_NOTFOUND;
	else
		rc = store_sqlfail(c, "tx get");
done:
	store_stmt_done(st);
	buf_free(&sql);
	return rc;
}

int store_tx_history(store_tx *tx, const def_form *f, int64_t record_id, const char *at,
		     const char *actor, const char *action, const char *from_state,
		     const char *to_state, const char *transition, const char *comment,
		     json_t *changes)
{
	static const char sql[] =
	    "INSERT INTO \"_history\" (\"form\", \"record_id\", \"at\", \"actor\", \"action\", "
	    "\"from_state\", \"to_state\", \"transition\", \"comment\", \"changes\") "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	conn *c = tx->c;
	sqlite3_stmt *st = NULL;
	char *ch = NULL;
	int rc = STORE_OK, src;
	if (!store_form_ok(f) || !at || !action)
		return STORE_ERROR;
	if (changes && !(ch = json_dumps(changes, JSON_COMPACT)))
		return STORE_ERROR;
	if ((src = store_stmt(c, sql, &st)) != SQLITE_OK ||
	    (src = store_bind_str(st, 1, f->id)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 2, record_id)) != SQLITE_OK ||
	    (src = store_bind_str(st, 3, at)) != SQLITE_OK ||
	    (src = store_bind_str(st, 4, actor)) != SQLITE_OK ||
	    (src = store_bind_str(st, 5, action)) != SQLITE_OK ||
	    (src = store_bind_str(st, 6, from_state)) != SQLITE_OK ||
	    (src = store_bind_str(st, 7, to_state)) != SQLITE_OK ||
	    (src = store_bind_str(st, 8, transition)) != SQLITE_OK ||
	    (src = store_bind_str(st, 9, comment)) != SQLITE_OK ||
	    (src = store_bind_str(st, 10, ch)) != SQLITE_OK ||
	    (src = sqlite3_step(st)) != SQLITE_DONE)
		rc = store_sqlfail(c, "history insert");
	store_stmt_done(st);
	free(ch);
	return rc;
}

/* ------------------------------------------------------------------ tracking links */

int store_tx_tracking_add(store_tx *tx, const char *hash, const char *form, int64_t id)
{
	static const char sql[] = "INSERT OR REPLACE INTO \"_tracking\" (\"token_hash\", \"form\", "
				  "\"record_id\") VALUES (?, ?, ?)";
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK;
	if (store_stmt(tx->c, sql, &st) != SQLITE_OK || store_bind_str(st, 1, hash) != SQLITE_OK ||
	    store_bind_str(st, 2, form) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, id) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlfail(tx->c, "tracking insert");
	store_stmt_done(st);
	return rc;
}

int store_tx_tracking_remove(store_tx *tx, const char *hash)
{
	static const char sql[] = "DELETE FROM \"_tracking\" WHERE \"token_hash\" = ?";
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK;
	if (store_stmt(tx->c, sql, &st) != SQLITE_OK || store_bind_str(st, 1, hash) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlfail(tx->c, "tracking delete");
	store_stmt_done(st);
	return rc;
}

int store_tracking_find(store *s, const char *hash, char form[64], int64_t *id)
{
	static const char sql[] =
	    "SELECT \"form\", \"record_id\" FROM \"_tracking\" WHERE \"token_hash\" = ?";
	conn *c = store_reader_take(s);
	if (!c)
		return STORE_ERROR;
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR, step;
	if (store_stmt(c, sql, &st) == SQLITE_OK && store_bind_str(st, 1, hash) == SQLITE_OK) {
		step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			snprintf(form, 64, "%s", t ? (const char *)t : "");
			*id = sqlite3_column_int64(st, 1);
			rc = STORE_OK;
		} else if (step == SQLITE_DONE) {
			rc = STORE_NOTFOUND;
		} else {
			store_sqlfail(c, "tracking lookup");
		}
	}
	store_stmt_done(st);
	store_reader_give(s, c);
	return rc;
}
