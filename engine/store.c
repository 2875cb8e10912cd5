/*
 * store — the only module that speaks SQL to app databases (see store.h).
 *
 * Owns: the writer connection and its thread (group commit), a pool of read-only
 * connections, one prepared-statement cache per connection, and schema migration.
 * Does not own: definitions (borrowed from the caller for the length of a call) and
 * the records it hands out (the caller clears them).
 *
 * Rules kept in this file:
 * - values are always bound; identifiers come only from definition names that pass
 *   ident_ok() and are always double-quoted by put_ident();
 * - every statement comes from its connection's cache and is reset (bindings
 *   cleared) before the function that took it returns, so no reader keeps an old
 *   snapshot open and no binding points at freed memory;
 * - a statement is finished and released before the next one is taken from the same
 *   connection (the cache may finalize statements when it is full);
 * - one WHERE compiler (compile_where) serves get, list, count and count_states, so
 *   a list never shows what a get refuses;
 * - one-off DDL (bootstrap, migration) goes through sqlite3_exec: it carries only
 *   checked, quoted identifiers and constant SQL, never a value.
 *
 * Group commit: store_submit queues a job; the writer thread takes everything queued
 * (up to GROUP_MAX), runs it in one BEGIN IMMEDIATE ... COMMIT with a savepoint per
 * job, and calls the `done` callbacks only after COMMIT returned (WAL +
 * synchronous=FULL: the commit's fsync makes the whole group durable).
 */
#include "store.h"

#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "util.h"
#include "validate.h"

#define GROUP_MAX 512        /* jobs per transaction */
#define CACHE_MAX 256        /* statements per connection before the cache is flushed */
#define BUSY_MS 5000
#define CURSOR_MAX 1024      /* characters of an `after` cursor */
#define SEARCH_MAX 1000      /* bytes of a `q` search */
#define LIMIT_MAX 500
#define DAY 86400

/* ------------------------------------------------------------------ connections */

typedef struct slot {
	char *sql;               /* owned; NULL: empty slot */
	uint64_t hash;
	sqlite3_stmt *st;
} slot;

/* A connection and its statement cache (open addressing, keyed by SQL text). */
typedef struct conn {
	sqlite3 *db;
	slot *slots;
	size_t cap, n;
	struct conn *next;       /* read pool free list */
} conn;

typedef struct job {
	store_apply_fn apply;
	store_done_fn done;
	void *arg;
	int rc;
	struct job *next;
} job;

struct store {
	char *path;
	conn w;                  /* the writer: used by the writer thread only (and store_open) */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;      /* guards the queue, stopping and the counters */
	pthread_cond_t cv;
	job *head, *tail;
	bool stopping;
	uint64_t groups, jobs, failed_groups;
	pthread_mutex_t pool_mu; /* guards pool */
	conn *pool;
};

struct store_tx {
	store *s;
	conn *c;
};

static int seterr(char *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int seterr(char *err, int rc, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, STORE_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return rc;
}

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

/* Logs an SQLite failure on c; returns STORE_ERROR. */
static int sqlfail(conn *c, const char *what)
{
	log_message("store", "sqlite error=\"%s\" during=%s", c && c->db ? sqlite3_errmsg(c->db) : "?",
	            what);
	return STORE_ERROR;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void cache_flush(conn *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		if (c->slots[i].sql) {
			sqlite3_finalize(c->slots[i].st);
			free(c->slots[i].sql);
		}
	}
	free(c->slots);
	c->slots = NULL;
	c->cap = c->n = 0;
}

static void cache_put(conn *c, char *sql, uint64_t h, sqlite3_stmt *st)
{
	if ((c->n + 1) * 2 > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;
		slot *ns = xcalloc(ncap, sizeof *ns);
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->slots[i].sql)
				continue;
			size_t j = c->slots[i].hash & (ncap - 1);
			while (ns[j].sql)
				j = (j + 1) & (ncap - 1);
			ns[j] = c->slots[i];
		}
		free(c->slots);
		c->slots = ns;
		c->cap = ncap;
	}
	size_t j = h & (c->cap - 1);
	while (c->slots[j].sql)
		j = (j + 1) & (c->cap - 1);
	c->slots[j].sql = sql;
	c->slots[j].hash = h;
	c->slots[j].st = st;
	c->n++;
}

/*
 * The cached statement for `sql` on c, prepared (persistent) on first use. Borrowed:
 * release it with stmt_release before taking another statement from c.
 */
static int conn_stmt(conn *c, const char *sql, sqlite3_stmt **out)
{
	uint64_t h = hash_str(sql);
	*out = NULL;
	if (c->cap) {
		for (size_t j = h & (c->cap - 1); c->slots[j].sql; j = (j + 1) & (c->cap - 1)) {
			if (c->slots[j].hash == h && strcmp(c->slots[j].sql, sql) == 0) {
				*out = c->slots[j].st;
				return SQLITE_OK;
			}
		}
	}
	if (c->n >= CACHE_MAX)
		cache_flush(c);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		/* A statement that does not compile is a bug to see; a file that is not a
		 * database, or is busy, is the caller's to report (it retries every second). */
		if ((rc & 0xff) == SQLITE_ERROR)
			log_message("store", "prepare failed error=\"%s\" sql=\"%s\"",
			            sqlite3_errmsg(c->db), sql);
		sqlite3_finalize(st);
		return rc;
	}
	if (!st)
		return SQLITE_MISUSE;
	cache_put(c, xstrdup(sql), h, st);
	*out = st;
	return SQLITE_OK;
}

static void stmt_release(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Runs a cached statement without parameters to its end. */
static int conn_exec(conn *c, const char *sql)
{
	sqlite3_stmt *st;
	int rc = conn_stmt(c, sql, &st);
	if (rc != SQLITE_OK)
		return rc;
	do
		rc = sqlite3_step(st);
	while (rc == SQLITE_ROW);
	stmt_release(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void conn_close(conn *c)
{
	if (!c)
		return;
	cache_flush(c);
	if (c->db && sqlite3_close(c->db) != SQLITE_OK)
		log_message("store", "close failed error=\"%s\"", sqlite3_errmsg(c->db));
	c->db = NULL;
}

static conn *reader_take(store *s)
{
	pthread_mutex_lock(&s->pool_mu);
	conn *c = s->pool;
	if (c)
		s->pool = c->next;
	pthread_mutex_unlock(&s->pool_mu);
	if (c) {
		c->next = NULL;
		return c;
	}
	c = xcalloc(1, sizeof *c);
	int rc = sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sqlfail(c, "open reader");
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	sqlite3_busy_timeout(c->db, BUSY_MS);
	return c;
}

static void reader_give(store *s, conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&s->pool_mu);
	c->next = s->pool;
	s->pool = c;
	pthread_mutex_unlock(&s->pool_mu);
}

/* ------------------------------------------------------------------ identifiers */

/* Definition names usable as SQL identifiers: [a-z][a-z0-9_]*, at most 64 bytes. */
static bool ident_ok(const char *s)
{
	if (!s || *s < 'a' || *s > 'z')
		return false;
	size_t n = 0;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return n <= 64;
}

static void put_ident(buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static bool form_ok(const def_form *f)
{
	if (!f || !ident_ok(f->id) || strncmp(f->id, "sqlite_", 7) == 0)
		return false;
	for (size_t i = 0; i < f->ncols; i++)
		if (!f->cols[i] || !ident_ok(f->cols[i]->name) || !def_type_sql(f->cols[i]->type))
			return false;
	return true;
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
		put_ident(b, f->cols[i]->name);
	}
	buf_puts(b, " FROM ");
	put_ident(b, f->id);
}

static int bind_str(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int bind_value(sqlite3_stmt *st, int i, const value *v)
{
	switch (v->kind) {
	case VAL_INT: return sqlite3_bind_int64(st, i, v->i);
	case VAL_REAL: return sqlite3_bind_double(st, i, v->d);
	case VAL_TEXT: return bind_str(st, i, v->s);
	case VAL_NULL: break;
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
	const char *s;           /* borrowed, or == owned */
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

static void qb_text(qb *b, const char *s) { qb_push(b, ARG_TEXT)->s = s; }
static void qb_int(qb *b, int64_t i) { qb_push(b, ARG_INT)->i = i; }
static void qb_real(qb *b, double d) { qb_push(b, ARG_REAL)->d = d; }

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
			rc = bind_str(st, (int)i + 1, a->s);
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
			put_ident(sql, fd->name);
			buf_puts(sql, " IS NULL");
		} else if (fd->type == FT_MULTICHOICE) {
			buf_puts(sql, "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(");
			put_ident(sql, fd->name);
			buf_puts(sql, ") THEN ");
			put_ident(sql, fd->name);
			buf_puts(sql, " END) WHERE \"value\" = ?)");
			qb_text(b, e->value);
		} else if (fd->type == FT_BOOLEAN) {
			bool t = strcmp(e->value, "true") == 0 || strcmp(e->value, "1") == 0;
			bool fl = strcmp(e->value, "false") == 0 || strcmp(e->value, "0") == 0;
			if (!t && !fl)
				return bad(q, STORE_BAD_FILTER, err, "filter \"%s\" takes true or false",
				           fd->name);
			put_ident(sql, fd->name);
			buf_puts(sql, " = ?");
			qb_int(b, t);
		} else {
			put_ident(sql, fd->name);
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
			put_ident(sql, f->cols[c]->name);
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

typedef struct sortkey {
	char key[80];            /* normalised: "name" or "-name"; stamped into cursors */
	bool desc;
	int sel;                 /* index in the select list */
	const char *col;         /* column name, unquoted */
} sortkey;

static int parse_sort(const def_form *f, const char *sort, sortkey *k, char *err)
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
			return seterr(err, STORE_BADQUERY, "unknown sort field \"%.100s\"", name);
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
	case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(st, k->sel)); break;
	case SQLITE_FLOAT: v = json_real(sqlite3_column_double(st, k->sel)); break;
	case SQLITE_NULL: v = json_null(); break;
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
		return seterr(err, STORE_BADQUERY, "malformed cursor");
	json_error_t je;
	json_t *a = json_loadb((const char *)raw, rn, 0, &je);
	json_t *key = json_array_get(a, 0), *v = json_array_get(a, 1), *id = json_array_get(a, 2);
	if (!json_is_array(a) || json_array_size(a) != 3 || !json_is_string(key) ||
	    !json_is_integer(id) ||
	    !(json_is_null(v) || json_is_integer(v) || json_is_real(v) || json_is_string(v))) {
		json_decref(a);
		return seterr(err, STORE_BADQUERY, "malformed cursor");
	}
	if (strcmp(json_string_value(key), k->key) != 0) {
		json_decref(a);
		return seterr(err, STORE_BADQUERY, "cursor belongs to another sort order");
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
		put_ident(sql, k->col);
		buf_printf(sql, " IS NULL AND \"id\" %s ?)", cmp);
		if (!k->desc) {
			buf_puts(sql, " OR ");
			put_ident(sql, k->col);
			buf_puts(sql, " IS NOT NULL");
		}
		buf_puts(sql, ")");
		qb_int(b, id);
		return;
	}
	buf_puts(sql, " AND ((");
	put_ident(sql, k->col);
	buf_printf(sql, ", \"id\") %s (?, ?)", cmp);
	if (k->desc) {
		buf_puts(sql, " OR ");
		put_ident(sql, k->col);
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
	if (!form_ok(f)) {
		rc = STORE_ERROR;
		goto done;
	}
	put_select(&b.sql, f);
	if ((rc = compile_where(&b, f, &q, NULL)) != STORE_OK)
		goto done;
	buf_puts(&b.sql, " AND \"id\" = ?");
	qb_int(&b, id);
	if (!(c = reader_take(s))) {
		rc = STORE_ERROR;
		goto done;
	}
	if ((src = conn_stmt(c, b.sql.data, &st)) != SQLITE_OK || (src = qb_bind(&b, st)) != SQLITE_OK) {
		rc = sqlfail(c, "get");
		goto done;
	}
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		read_row(st, f, now, out);
	else if (src == SQLITE_DONE)
		rc = STORE_NOTFOUND;
	else
		rc = sqlfail(c, "get");
done:
	stmt_release(st);
	reader_give(s, c);
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
	if (!form_ok(f)) {
		rc = seterr(err, STORE_ERROR, "form cannot be queried");
		goto done;
	}
	if (q->limit < 1 || q->limit > LIMIT_MAX) {
		rc = bad(q, STORE_BAD_LIMIT, err, "limit must be between 1 and %d", LIMIT_MAX);
		goto done;
	}
	if ((rc = parse_sort(f, q->sort, &k, err)) != STORE_OK && q->why)
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
		put_ident(&b.sql, k.col);
		buf_printf(&b.sql, " %s, ", dir);
	}
	buf_printf(&b.sql, "\"id\" %s LIMIT ?", dir);
	qb_int(&b, (int64_t)q->limit + 1);

	if (!(c = reader_take(s))) {
		rc = seterr(err, STORE_ERROR, "cannot open the database");
		goto done;
	}
	if ((src = conn_stmt(c, b.sql.data, &st)) != SQLITE_OK || (src = qb_bind(&b, st)) != SQLITE_OK) {
		rc = sqlfail(c, "list");
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
			rc = seterr(err, STORE_ERROR, "cannot build the cursor");
			goto done;
		}
	}
	if (!more && src != SQLITE_DONE) {
		rc = sqlfail(c, "list");
		goto done;
	}
	if (more) {
		*next_out = next;
		next = NULL;
	}
done:
	free(tmp.values); /* the borrowed strings are SQLite's */
	stmt_release(st);
	reader_give(s, c);
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

int store_list_each(store *s, const def_form *f, const store_query *q, store_row_fn fn,
                    void *arg, char **next, char err[STORE_ERR_LEN])
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
	conn *c = reader_take(s);
	sqlite3_stmt *st = NULL;
	if (!c)
		return STORE_ERROR;
	if ((src = conn_stmt(c, b->sql.data, &st)) != SQLITE_OK || (src = qb_bind(b, st)) != SQLITE_OK ||
	    (src = sqlite3_step(st)) != SQLITE_ROW) {
		rc = sqlfail(c, what);
		goto done;
	}
	*out = sqlite3_column_int64(st, 0);
done:
	stmt_release(st);
	reader_give(s, c);
	return rc;
}

int store_count(store *s, const def_form *f, const store_query *q, int64_t *out)
{
	int rc;
	qb b = {BUF_INIT, NULL, 0, 0};
	*out = 0;
	if (!form_ok(f))
		return STORE_ERROR;
	if (q->scope.none)
		return STORE_OK;
	buf_puts(&b.sql, "SELECT count(*) FROM ");
	put_ident(&b.sql, f->id);
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
	if (!form_ok(f))
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
	put_ident(&b.sql, f->id);
	if ((rc = compile_where(&b, f, &q, NULL)) != STORE_OK)
		goto done;
	buf_puts(&b.sql, " GROUP BY \"_state\"");
	if (!(c = reader_take(s))) {
		rc = STORE_ERROR;
		goto done;
	}
	if ((src = conn_stmt(c, b.sql.data, &st)) != SQLITE_OK || (src = qb_bind(&b, st)) != SQLITE_OK) {
		rc = sqlfail(c, "count_states");
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
		rc = sqlfail(c, "count_states");
done:
	stmt_release(st);
	reader_give(s, c);
	qb_free(&b);
	return rc == STORE_OK ? (int)ns : rc;
}

static char *col_dup(sqlite3_stmt *st, int i)
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
	if (!form_ok(f))
		return STORE_ERROR;
	if (!(c = reader_take(s)))
		return STORE_ERROR;
	if ((src = conn_stmt(c, sql, &st)) != SQLITE_OK || (src = bind_str(st, 1, f->id)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 2, record_id)) != SQLITE_OK) {
		rc = sqlfail(c, "history");
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
		h->at = col_dup(st, 1);
		h->actor = col_dup(st, 2);
		h->action = col_dup(st, 3);
		h->from_state = col_dup(st, 4);
		h->to_state = col_dup(st, 5);
		h->transition = col_dup(st, 6);
		h->comment = col_dup(st, 7);
		const char *ch = (const char *)sqlite3_column_text(st, 8);
		if (ch) {
			json_error_t je;
			h->changes = json_loads(ch, 0, &je);
		}
	}
	if (src != SQLITE_DONE)
		rc = sqlfail(c, "history");
done:
	stmt_release(st);
	reader_give(s, c);
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

json_t *store_changes(const def_form *f, const record *before, const record *after)
{
	static const value none = {VAL_NULL, 0, 0, NULL};
	json_t *o = json_object();
	for (size_t i = 0; i < f->ncols; i++) {
		const value *a = before && i < before->nvalues ? &before->values[i] : &none;
		const value *b = after && i < after->nvalues ? &after->values[i] : &none;
		if (value_equal(a, b))
			continue;
		json_object_set_new(o, f->cols[i]->name,
		                    json_pack("[oo]", validate_to_json(f->cols[i], a),
		                              validate_to_json(f->cols[i], b)));
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------------ writes */

sqlite3 *store_tx_db(store_tx *tx)
{
	return tx->c->db;
}

int store_tx_insert(store_tx *tx, const def_form *f, record *r)
{
	conn *c = tx->c;
	buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK, src;
	if (!form_ok(f) || r->nvalues != f->ncols)
		return STORE_ERROR;
	buf_puts(&sql, "INSERT INTO ");
	put_ident(&sql, f->id);
	buf_puts(&sql, " (\"_state\", \"_state_since\", \"_version\", \"_created_at\", "
	               "\"_created_by\", \"_updated_at\", \"_updated_by\", \"_def_hash\"");
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(&sql, ", ");
		put_ident(&sql, f->cols[i]->name);
	}
	buf_puts(&sql, ") VALUES (?, ?, 1, ?, ?, ?, ?, ?");
	for (size_t i = 0; i < f->ncols; i++)
		buf_puts(&sql, ", ?");
	buf_puts(&sql, ")");
	if ((src = conn_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = bind_str(st, 1, f->workflow ? r->state : NULL)) != SQLITE_OK ||
	    (src = bind_str(st, 2, r->state_since)) != SQLITE_OK ||
	    (src = bind_str(st, 3, r->created_at)) != SQLITE_OK ||
	    (src = bind_str(st, 4, r->created_by)) != SQLITE_OK ||
	    (src = bind_str(st, 5, r->updated_at)) != SQLITE_OK ||
	    (src = bind_str(st, 6, r->updated_by)) != SQLITE_OK ||
	    (src = bind_str(st, 7, r->def_hash)) != SQLITE_OK) {
		rc = sqlfail(c, "insert");
		goto done;
	}
	for (size_t i = 0; i < f->ncols; i++) {
		if ((src = bind_value(st, 8 + (int)i, &r->values[i])) != SQLITE_OK) {
			rc = sqlfail(c, "insert");
			goto done;
		}
	}
	if ((src = sqlite3_step(st)) != SQLITE_DONE) {
		rc = sqlfail(c, "insert");
		goto done;
	}
	r->id = sqlite3_last_insert_rowid(c->db);
	r->version = 1;
done:
	stmt_release(st);
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
	put_ident(&sql, f->id);
	buf_puts(&sql, " WHERE \"id\" = ?");
	if ((src = conn_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		rc = sqlfail(c, "update check");
		goto done;
	}
	src = sqlite3_step(st);
	rc = src == SQLITE_ROW ? STORE_CONFLICT : src == SQLITE_DONE ? STORE_NOTFOUND
	                                                              : sqlfail(c, "update check");
done:
	stmt_release(st);
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
	if (!form_ok(f) || r->nvalues != f->ncols)
		return STORE_ERROR;
	buf_puts(&sql, "UPDATE ");
	put_ident(&sql, f->id);
	buf_puts(&sql, " SET \"_state\" = ?, \"_state_since\" = ?, \"_version\" = \"_version\" + 1, "
	               "\"_updated_at\" = ?, \"_updated_by\" = ?, \"_def_hash\" = ?");
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(&sql, ", ");
		put_ident(&sql, f->cols[i]->name);
		buf_puts(&sql, " = ?");
	}
	buf_puts(&sql, " WHERE \"id\" = ? AND \"_version\" = ?");
	if ((src = conn_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = bind_str(st, 1, f->workflow ? r->state : NULL)) != SQLITE_OK ||
	    (src = bind_str(st, 2, r->state_since)) != SQLITE_OK ||
	    (src = bind_str(st, 3, r->updated_at)) != SQLITE_OK ||
	    (src = bind_str(st, 4, r->updated_by)) != SQLITE_OK ||
	    (src = bind_str(st, 5, r->def_hash)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 6 + n, r->id)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 7 + n, expect_version)) != SQLITE_OK) {
		rc = sqlfail(c, "update");
		goto done;
	}
	for (int i = 0; i < n; i++) {
		if ((src = bind_value(st, 6 + i, &r->values[i])) != SQLITE_OK) {
			rc = sqlfail(c, "update");
			goto done;
		}
	}
	if ((src = sqlite3_step(st)) != SQLITE_DONE) {
		rc = sqlfail(c, "update");
		goto done;
	}
	if (sqlite3_changes64(c->db) == 0) {
		stmt_release(st);
		st = NULL;
		rc = why_untouched(c, f, r->id);
		goto done;
	}
	r->version = expect_version + 1;
done:
	stmt_release(st);
	buf_free(&sql);
	return rc;
}

int store_tx_delete(store_tx *tx, const def_form *f, int64_t id)
{
	conn *c = tx->c;
	buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK, src;
	if (!form_ok(f))
		return STORE_ERROR;
	buf_puts(&sql, "DELETE FROM ");
	put_ident(&sql, f->id);
	buf_puts(&sql, " WHERE \"id\" = ?");
	if ((src = conn_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (src = sqlite3_step(st)) != SQLITE_DONE) {
		rc = sqlfail(c, "delete");
		goto done;
	}
	if (sqlite3_changes64(c->db) == 0)
		rc = STORE_NOTFOUND;
done:
	stmt_release(st);
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
	if (!form_ok(f))
		return STORE_ERROR;
	put_select(&sql, f);
	buf_puts(&sql, " WHERE \"id\" = ?");
	if ((src = conn_stmt(c, sql.data, &st)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		rc = sqlfail(c, "tx get");
		goto done;
	}
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		read_row(st, f, util_now(), out);
	else if (src == SQLITE_DONE)
		rc = STORE_NOTFOUND;
	else
		rc = sqlfail(c, "tx get");
done:
	stmt_release(st);
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
	if (!form_ok(f) || !at || !action)
		return STORE_ERROR;
	if (changes && !(ch = json_dumps(changes, JSON_COMPACT)))
		return STORE_ERROR;
	if ((src = conn_stmt(c, sql, &st)) != SQLITE_OK || (src = bind_str(st, 1, f->id)) != SQLITE_OK ||
	    (src = sqlite3_bind_int64(st, 2, record_id)) != SQLITE_OK ||
	    (src = bind_str(st, 3, at)) != SQLITE_OK || (src = bind_str(st, 4, actor)) != SQLITE_OK ||
	    (src = bind_str(st, 5, action)) != SQLITE_OK ||
	    (src = bind_str(st, 6, from_state)) != SQLITE_OK ||
	    (src = bind_str(st, 7, to_state)) != SQLITE_OK ||
	    (src = bind_str(st, 8, transition)) != SQLITE_OK ||
	    (src = bind_str(st, 9, comment)) != SQLITE_OK || (src = bind_str(st, 10, ch)) != SQLITE_OK ||
	    (src = sqlite3_step(st)) != SQLITE_DONE)
		rc = sqlfail(c, "history insert");
	stmt_release(st);
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
	if (conn_stmt(tx->c, sql, &st) != SQLITE_OK || bind_str(st, 1, hash) != SQLITE_OK ||
	    bind_str(st, 2, form) != SQLITE_OK || sqlite3_bind_int64(st, 3, id) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = sqlfail(tx->c, "tracking insert");
	stmt_release(st);
	return rc;
}

int store_tx_tracking_remove(store_tx *tx, const char *hash)
{
	static const char sql[] = "DELETE FROM \"_tracking\" WHERE \"token_hash\" = ?";
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK;
	if (conn_stmt(tx->c, sql, &st) != SQLITE_OK || bind_str(st, 1, hash) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = sqlfail(tx->c, "tracking delete");
	stmt_release(st);
	return rc;
}

int store_tracking_find(store *s, const char *hash, char form[64], int64_t *id)
{
	static const char sql[] =
		"SELECT \"form\", \"record_id\" FROM \"_tracking\" WHERE \"token_hash\" = ?";
	conn *c = reader_take(s);
	if (!c)
		return STORE_ERROR;
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR, step;
	if (conn_stmt(c, sql, &st) == SQLITE_OK && bind_str(st, 1, hash) == SQLITE_OK) {
		step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			snprintf(form, 64, "%s", t ? (const char *)t : "");
			*id = sqlite3_column_int64(st, 1);
			rc = STORE_OK;
		} else if (step == SQLITE_DONE) {
			rc = STORE_NOTFOUND;
		} else {
			sqlfail(c, "tracking lookup");
		}
	}
	stmt_release(st);
	reader_give(s, c);
	return rc;
}

/* ------------------------------------------------------------------ writer thread */

static void run_group(store *s, job **v, size_t n)
{
	store_tx tx = {s, &s->w};
	conn *c = &s->w;
	bool ok = conn_exec(c, "BEGIN IMMEDIATE") == SQLITE_OK;
	if (!ok)
		sqlfail(c, "begin");
	for (size_t i = 0; i < n; i++) {
		if (!ok) {
			v[i]->rc = STORE_ERROR;
			continue;
		}
		if (conn_exec(c, "SAVEPOINT \"job\"") != SQLITE_OK) {
			ok = false;
			v[i]->rc = sqlfail(c, "savepoint");
			continue;
		}
		int rc = v[i]->apply ? v[i]->apply(&tx, v[i]->arg) : STORE_OK;
		if (sqlite3_get_autocommit(c->db)) {
			/* The transaction was rolled back under us (I/O error, disk full). */
			ok = false;
			rc = STORE_ERROR;
		} else if (rc == STORE_OK) {
			if (conn_exec(c, "RELEASE \"job\"") != SQLITE_OK) {
				ok = false;
				rc = sqlfail(c, "release");
			}
		} else if (conn_exec(c, "ROLLBACK TO \"job\"") != SQLITE_OK ||
		           conn_exec(c, "RELEASE \"job\"") != SQLITE_OK) {
			ok = false;
			sqlfail(c, "rollback to");
		}
		v[i]->rc = rc;
	}
	if (ok && conn_exec(c, "COMMIT") != SQLITE_OK) {
		ok = false;
		sqlfail(c, "commit");
	}
	if (!ok) {
		if (!sqlite3_get_autocommit(c->db) && conn_exec(c, "ROLLBACK") != SQLITE_OK)
			sqlfail(c, "rollback");
		for (size_t i = 0; i < n; i++)
			v[i]->rc = STORE_ERROR;
	}
	pthread_mutex_lock(&s->mu);
	s->groups++;
	s->jobs += n;
	s->failed_groups += !ok;
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++) {
		if (v[i]->done)
			v[i]->done(v[i]->arg, v[i]->rc);
		free(v[i]);
	}
}

static void *writer_main(void *arg)
{
	store *s = arg;
	job *batch[GROUP_MAX];
	for (;;) {
		size_t n = 0;
		pthread_mutex_lock(&s->mu);
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->cv, &s->mu);
		while (s->head && n < GROUP_MAX) {
			batch[n++] = s->head;
			s->head = s->head->next;
		}
		if (!s->head)
			s->tail = NULL;
		pthread_mutex_unlock(&s->mu);
		if (n == 0)
			break; /* stopping and drained */
		run_group(s, batch, n);
	}
	return NULL;
}

void store_submit(store *s, store_apply_fn apply, store_done_fn done, void *arg)
{
	job *j = xcalloc(1, sizeof *j);
	j->apply = apply;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		free(j);
		if (done)
			done(arg, STORE_ERROR);
		return;
	}
	if (s->tail)
		s->tail->next = j;
	else
		s->head = j;
	s->tail = j;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

typedef struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int rc;
	store_apply_fn apply;
	void *arg;
} waiter;

static int sync_apply(store_tx *tx, void *arg)
{
	waiter *w = arg;
	return w->apply(tx, w->arg);
}

static void sync_done(void *arg, int rc)
{
	waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int store_write_sync(store *s, store_apply_fn apply, void *arg)
{
	if (s->started && pthread_equal(pthread_self(), s->thread)) {
		log_message("store", "store_write_sync called on the writer thread (would deadlock)");
		return STORE_ERROR;
	}
	waiter w;
	memset(&w, 0, sizeof w);
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	w.apply = apply;
	w.arg = arg;
	store_submit(s, sync_apply, sync_done, &w);
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return w.rc;
}

void store_get_stats(store *s, store_stats *out)
{
	pthread_mutex_lock(&s->mu);
	out->groups = s->groups;
	out->jobs = s->jobs;
	out->failed_groups = s->failed_groups;
	pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------ open / close */

static const char BOOTSTRAP[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS \"_history\" ("
	" \"id\" INTEGER PRIMARY KEY, \"form\" TEXT NOT NULL, \"record_id\" INTEGER NOT NULL,"
	" \"at\" TEXT NOT NULL, \"actor\" TEXT, \"action\" TEXT NOT NULL, \"from_state\" TEXT,"
	" \"to_state\" TEXT, \"transition\" TEXT, \"comment\" TEXT, \"changes\" TEXT);"
	"CREATE INDEX IF NOT EXISTS \"_history:record\" ON \"_history\" (\"form\", \"record_id\", \"id\");"
	"CREATE TABLE IF NOT EXISTS \"_schema\" ("
	" \"form\" TEXT NOT NULL, \"column\" TEXT NOT NULL, \"type\" TEXT NOT NULL,"
	" \"removed\" INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (\"form\", \"column\")) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS \"_meta\" (\"key\" TEXT PRIMARY KEY, \"value\" TEXT) WITHOUT ROWID;"
	/* Mails written in the same transaction as the change that caused them (outbox.h). */
	"CREATE TABLE IF NOT EXISTS \"_outbox\" ("
	" \"id\" INTEGER PRIMARY KEY, \"form\" TEXT NOT NULL, \"record_id\" INTEGER NOT NULL,"
	" \"created_at\" TEXT NOT NULL, \"to_spec\" TEXT NOT NULL, \"subject\" TEXT NOT NULL,"
	" \"body\" TEXT NOT NULL, \"status\" TEXT NOT NULL DEFAULT 'pending',"
	" \"attempts\" INTEGER NOT NULL DEFAULT 0, \"next_attempt_at\" TEXT NOT NULL,"
	" \"last_error\" TEXT, \"sent_at\" TEXT, \"smtp_reply\" TEXT);"
	"CREATE INDEX IF NOT EXISTS \"_outbox:due\" ON \"_outbox\" (\"status\", \"next_attempt_at\");"
	/* Public tracking links: only a hash of each token is kept (tracking.h). */
	"CREATE TABLE IF NOT EXISTS \"_tracking\" ("
	" \"token_hash\" TEXT PRIMARY KEY, \"form\" TEXT NOT NULL, \"record_id\" INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"COMMIT;";

static int meta_set(conn *c, const char *key, const char *val)
{
	sqlite3_stmt *st = NULL;
	int src;
	if ((src = conn_stmt(c,
	                     "INSERT INTO \"_meta\" (\"key\", \"value\") VALUES (?, ?) "
	                     "ON CONFLICT (\"key\") DO UPDATE SET \"value\" = excluded.\"value\"",
	                     &st)) == SQLITE_OK &&
	    (src = bind_str(st, 1, key)) == SQLITE_OK && (src = bind_str(st, 2, val)) == SQLITE_OK)
		src = sqlite3_step(st);
	stmt_release(st);
	return src == SQLITE_DONE ? STORE_OK : sqlfail(c, "meta");
}

int store_read(store *s, int (*fn)(struct sqlite3 *db, void *arg), void *arg)
{
	conn *c = reader_take(s);
	if (!c)
		return STORE_ERROR;
	int rc = fn(c->db, arg);
	reader_give(s, c);
	return rc;
}

store *store_open(const char *path, char err[STORE_ERR_LEN])
{
	store *s = xcalloc(1, sizeof *s);
	sqlite3_stmt *st = NULL;
	char *emsg = NULL;
	const char *fail = NULL; /* what failed; NULL: success */
	int src = SQLITE_OK;
	s->path = xstrdup(path);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_init(&s->pool_mu, NULL);
	src = sqlite3_open_v2(path, &s->w.db,
	                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (src != SQLITE_OK) {
		fail = "cannot open";
		goto done;
	}
	sqlite3_busy_timeout(s->w.db, BUSY_MS);
	if ((src = conn_stmt(&s->w, "PRAGMA journal_mode=WAL", &st)) != SQLITE_OK ||
	    (src = sqlite3_step(st)) != SQLITE_ROW) {
		fail = "cannot set the journal mode";
		goto done;
	}
	if (strcasecmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
		fail = "cannot switch to WAL mode";
		src = SQLITE_ERROR;
		goto done;
	}
	stmt_release(st);
	st = NULL;
	if ((src = conn_exec(&s->w, "PRAGMA synchronous=FULL")) != SQLITE_OK) {
		fail = "cannot set synchronous=FULL";
		goto done;
	}
	if ((src = sqlite3_exec(s->w.db, BOOTSTRAP, NULL, NULL, &emsg)) != SQLITE_OK) {
		fail = "cannot create the system tables";
		goto done;
	}
	if (meta_set(&s->w, "format", "1") != STORE_OK) {
		fail = "cannot write _meta";
		src = SQLITE_ERROR;
		goto done;
	}

	if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
		fail = "cannot start the writer thread";
		goto done;
	}
	s->started = true;
done:
	stmt_release(st);
	if (fail) {
		seterr(err, 0, "%s: %s: %s", path, fail,
		       emsg ? emsg : s->w.db ? sqlite3_errmsg(s->w.db) : sqlite3_errstr(src));
		if (s->w.db && !sqlite3_get_autocommit(s->w.db))
			sqlite3_exec(s->w.db, "ROLLBACK", NULL, NULL, NULL);
		store_close(s);
		s = NULL;
	}
	sqlite3_free(emsg);
	return s;
}

void store_close(store *s)
{
	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stopping = true;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	while (s->pool) {
		conn *c = s->pool;
		s->pool = c->next;
		conn_close(c);
		free(c);
	}
	conn_close(&s->w); /* last connection: checkpoints the WAL */
	pthread_mutex_destroy(&s->pool_mu);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s);
}

/* ------------------------------------------------------------------ migration */

typedef struct colinfo {
	char *name;
	char *decl;              /* declared SQL type */
	char *type;              /* field type name remembered in _schema, or NULL */
} colinfo;

typedef struct statecount {
	char *state;             /* NULL: records without a state */
	int64_t n;
} statecount;

typedef struct mig {
	const def_app *app;
	time_t now;
	char *err;
} mig;

/* The type changes that cannot lose or reinterpret stored data. */
static bool type_change_ok(int from, int to)
{
	if (from == to)
		return true;
	if ((from == FT_TEXT || from == FT_TEXTAREA) && (to == FT_TEXT || to == FT_TEXTAREA))
		return true;
	if (from == FT_INTEGER && to == FT_DECIMAL)
		return true;
	if (from == FT_CHOICE && (to == FT_TEXT || to == FT_TEXTAREA))
		return true;
	return false;
}

static colinfo *find_colinfo(colinfo *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static int ddl(conn *c, buf *sql, const def_form *f, char *err)
{
	char *emsg = NULL;
	int src = sqlite3_exec(c->db, buf_cstr(sql), NULL, NULL, &emsg);
	int rc = STORE_OK;
	if (src != SQLITE_OK) {
		rc = seterr(err, STORE_ERROR, "form \"%s\": %s", f->id, emsg ? emsg : sqlite3_errstr(src));
		log_message("store", "migration failed sql=\"%s\" error=\"%s\"", buf_cstr(sql),
		            emsg ? emsg : sqlite3_errstr(src));
	}
	sqlite3_free(emsg);
	buf_reset(sql);
	return rc;
}

/* Runs a cached statement with text parameters (NULL binds NULL) to its end. */
static int exec_args(conn *c, const char *sql, const char *what, int nargs, ...)
{
	sqlite3_stmt *st = NULL;
	int src = conn_stmt(c, sql, &st);
	va_list ap;
	va_start(ap, nargs);
	for (int i = 0; src == SQLITE_OK && i < nargs; i++)
		src = bind_str(st, i + 1, va_arg(ap, const char *));
	va_end(ap);
	if (src == SQLITE_OK) {
		do
			src = sqlite3_step(st);
		while (src == SQLITE_ROW);
	}
	stmt_release(st);
	return src == SQLITE_DONE ? STORE_OK : sqlfail(c, what);
}

static int schema_set(conn *c, const def_form *f, const def_field *fd)
{
	return exec_args(c,
	                 "INSERT INTO \"_schema\" (\"form\", \"column\", \"type\", \"removed\") "
	                 "VALUES (?, ?, ?, 0) ON CONFLICT (\"form\", \"column\") DO UPDATE SET "
	                 "\"type\" = excluded.\"type\", \"removed\" = 0",
	                 "schema", 3, f->id, fd->name, def_type_name(fd->type));
}

static int refuse_type(const def_form *f, const def_field *fd, const char *old, char *err)
{
	if (fd->renamed_from && strcmp(fd->renamed_from, fd->name) != 0)
		return seterr(err, STORE_REFUSED,
		              "formulaire \"%s\" : le champ \"%s\" (renommé depuis \"%s\") change de type "
		              "%s -> %s, ce qui pourrait réinterpréter les données enregistrées ; gardez "
		              "l'ancien type ou ajoutez un nouveau champ",
		              f->id, fd->name, fd->renamed_from, old, def_type_name(fd->type));
	return seterr(err, STORE_REFUSED,
	              "formulaire \"%s\" : le champ \"%s\" change de type %s -> %s, ce qui pourrait "
	              "réinterpréter les données enregistrées ; gardez l'ancien type ou ajoutez un "
	              "nouveau champ",
	              f->id, fd->name, old, def_type_name(fd->type));
}

static int check_type(const def_form *f, const def_field *fd, const colinfo *ci, char *err)
{
	if (ci->type) {
		int old = def_type_from_name(ci->type);
		if (old >= 0 && type_change_ok(old, (int)fd->type))
			return STORE_OK;
		return refuse_type(f, fd, ci->type, err);
	}
	/* A column _schema does not describe (made by hand): only the same SQL type. */
	if (ci->decl && strcasecmp(ci->decl, def_type_sql(fd->type)) == 0)
		return STORE_OK;
	return refuse_type(f, fd, ci->decl && *ci->decl ? ci->decl : "untyped", err);
}

static int table_exists(conn *c, const char *name, bool *out)
{
	sqlite3_stmt *st = NULL;
	int src;
	if ((src = conn_stmt(c, "SELECT count(*) FROM \"sqlite_master\" WHERE \"type\" = 'table' "
	                        "AND \"name\" = ?",
	                     &st)) == SQLITE_OK &&
	    (src = bind_str(st, 1, name)) == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0) > 0;
	stmt_release(st);
	return src == SQLITE_ROW ? STORE_OK : sqlfail(c, "table exists");
}

/* The table's columns with their declared types and remembered field types. */
static int load_columns(conn *c, const def_form *f, colinfo **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int src;
	*out = NULL;
	*n = 0;
	if ((src = conn_stmt(c, "SELECT \"name\", \"type\" FROM pragma_table_info(?)", &st)) == SQLITE_OK &&
	    (src = bind_str(st, 1, f->id)) == SQLITE_OK) {
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				*out = xrealloc(*out, cap * sizeof **out);
			}
			colinfo *ci = &(*out)[(*n)++];
			ci->name = col_dup(st, 0);
			ci->decl = col_dup(st, 1);
			ci->type = NULL;
			if (!ci->name)
				ci->name = xstrdup("");
		}
	}
	stmt_release(st);
	if (src != SQLITE_DONE)
		return sqlfail(c, "table info");
	st = NULL;
	if ((src = conn_stmt(c, "SELECT \"column\", \"type\" FROM \"_schema\" WHERE \"form\" = ?",
	                     &st)) == SQLITE_OK &&
	    (src = bind_str(st, 1, f->id)) == SQLITE_OK) {
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			colinfo *ci = name ? find_colinfo(*out, *n, name) : NULL;
			if (ci && !ci->type)
				ci->type = col_dup(st, 1);
		}
	}
	stmt_release(st);
	return src == SQLITE_DONE ? STORE_OK : sqlfail(c, "schema rows");
}

static void free_columns(colinfo *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].decl);
		free(v[i].type);
	}
	free(v);
}

static int create_table(conn *c, const def_form *f, char *err)
{
	buf sql = BUF_INIT;
	int rc;
	buf_puts(&sql, "CREATE TABLE ");
	put_ident(&sql, f->id);
	buf_puts(&sql, " (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"_state\" TEXT, "
	               "\"_state_since\" TEXT, \"_version\" INTEGER NOT NULL, \"_created_at\" TEXT, "
	               "\"_created_by\" TEXT, \"_updated_at\" TEXT, \"_updated_by\" TEXT, "
	               "\"_def_hash\" TEXT");
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(&sql, ", ");
		put_ident(&sql, f->cols[i]->name);
		buf_printf(&sql, " %s", def_type_sql(f->cols[i]->type));
	}
	buf_puts(&sql, ")");
	if ((rc = ddl(c, &sql, f, err)) != STORE_OK)
		goto done;
	if ((rc = exec_args(c, "DELETE FROM \"_schema\" WHERE \"form\" = ?", "schema", 1, f->id)) !=
	    STORE_OK)
		goto done;
	for (size_t i = 0; i < f->ncols; i++)
		if ((rc = schema_set(c, f, f->cols[i])) != STORE_OK)
			goto done;
done:
	buf_free(&sql);
	return rc;
}

/*
 * Indexes serve the queries the engine makes: lists in the form's default order, for
 * readers of every record and for "own" readers (created_by first), so a page is read
 * in index order and never sorts the table; states for counts and the scheduler.
 */
static int create_indexes(conn *c, const def_form *f, char *err)
{
	sortkey k;
	if (parse_sort(f, NULL, &k, err) != STORE_OK)
		return STORE_ERROR;
	bool by_id = strcmp(k.col, "id") == 0;
	char sort_cols[128], own_cols[160];
	if (by_id) {
		snprintf(sort_cols, sizeof sort_cols, "(\"id\")");
		snprintf(own_cols, sizeof own_cols, "(\"_created_by\", \"id\")");
	} else {
		snprintf(sort_cols, sizeof sort_cols, "(\"%s\", \"id\")", k.col);
		snprintf(own_cols, sizeof own_cols, "(\"_created_by\", \"%s\", \"id\")", k.col);
	}
	char sort_name[96], own_name[96];
	snprintf(sort_name, sizeof sort_name, "sort:%s", k.col);
	snprintf(own_name, sizeof own_name, "own:%s", k.col);
	const struct {
		const char *suffix, *cols;
	} ix[] = {{"created_at", "(\"_created_at\", \"id\")"},
	          {"created_by", "(\"_created_by\")"},
	          {"state", "(\"_state\")"},
	          {sort_name, sort_cols},
	          {own_name, own_cols}};
	buf sql = BUF_INIT;
	int rc = STORE_OK;
	for (size_t i = 0; rc == STORE_OK && i < sizeof ix / sizeof *ix; i++) {
		/* The rowid, or the created_at index, already is that one. */
		if (i == 3 && (by_id || strcmp(k.col, "_created_at") == 0))
			continue;
		/* ':' cannot occur in a form id, so these names never meet a table's. */
		buf_printf(&sql, "CREATE INDEX IF NOT EXISTS \"_ix:%s:%s\" ON ", f->id, ix[i].suffix);
		put_ident(&sql, f->id);
		buf_printf(&sql, " %s", ix[i].cols);
		rc = ddl(c, &sql, f, err);
	}
	buf_free(&sql);
	return rc;
}

/* Brings an existing table's columns in line with f. */
static int migrate_columns(conn *c, const def_form *f, char *err)
{
	colinfo *cols = NULL;
	size_t ncols = 0;
	buf sql = BUF_INIT;
	int rc;
	if ((rc = load_columns(c, f, &cols, &ncols)) != STORE_OK)
		goto done;
	for (size_t i = 0; i < f->ncols; i++) {
		const def_field *fd = f->cols[i];
		colinfo *ci = find_colinfo(cols, ncols, fd->name);
		if (ci) {
			if ((rc = check_type(f, fd, ci, err)) != STORE_OK)
				goto done;
		} else if (fd->renamed_from && ident_ok(fd->renamed_from) &&
		           def_find_col(f, fd->renamed_from) < 0 &&
		           (ci = find_colinfo(cols, ncols, fd->renamed_from))) {
			if ((rc = check_type(f, fd, ci, err)) != STORE_OK)
				goto done;
			buf_puts(&sql, "ALTER TABLE ");
			put_ident(&sql, f->id);
			buf_puts(&sql, " RENAME COLUMN ");
			put_ident(&sql, fd->renamed_from);
			buf_puts(&sql, " TO ");
			put_ident(&sql, fd->name);
			if ((rc = ddl(c, &sql, f, err)) != STORE_OK)
				goto done;
			if ((rc = exec_args(c, "DELETE FROM \"_schema\" WHERE \"form\" = ? AND \"column\" = ?",
			                    "schema", 2, f->id, fd->renamed_from)) != STORE_OK)
				goto done;
			free(ci->name);
			ci->name = xstrdup(fd->name);
		} else {
			buf_puts(&sql, "ALTER TABLE ");
			put_ident(&sql, f->id);
			buf_puts(&sql, " ADD COLUMN ");
			put_ident(&sql, fd->name);
			buf_printf(&sql, " %s", def_type_sql(fd->type));
			if ((rc = ddl(c, &sql, f, err)) != STORE_OK)
				goto done;
		}
		if ((rc = schema_set(c, f, fd)) != STORE_OK)
			goto done;
	}
	/* Columns of removed fields stay, with their data; _schema remembers them. */
	for (size_t i = 0; i < ncols; i++) {
		const char *name = cols[i].name;
		if (name[0] == '_' || strcmp(name, "id") == 0 || def_find_col(f, name) >= 0)
			continue;
		if ((rc = exec_args(c,
		                    "UPDATE \"_schema\" SET \"removed\" = 1 WHERE \"form\" = ? AND "
		                    "\"column\" = ?",
		                    "schema", 2, f->id, name)) != STORE_OK)
			goto done;
	}
done:
	if (rc == STORE_ERROR && err && !err[0])
		seterr(err, rc, "form \"%s\": %s", f->id, sqlite3_errmsg(c->db));
	free_columns(cols, ncols);
	buf_free(&sql);
	return rc;
}

/* Moves every record in state `from` (NULL: no state) to `to`, with a history line each. */
static int move_state(conn *c, const def_form *f, const char *from, const char *to, time_t now)
{
	char at[32];
	buf sql = BUF_INIT;
	int rc;
	util_iso_datetime(now, at);
	buf_puts(&sql, "INSERT INTO \"_history\" (\"form\", \"record_id\", \"at\", \"actor\", "
	               "\"action\", \"from_state\", \"to_state\") SELECT ?, \"id\", ?, ?, ?, "
	               "\"_state\", ? FROM ");
	put_ident(&sql, f->id);
	buf_puts(&sql, " WHERE \"_state\" IS ? ORDER BY \"id\"");
	rc = exec_args(c, buf_cstr(&sql), "move history", 6, f->id, at, "system", "move", to, from);
	buf_reset(&sql);
	if (rc != STORE_OK)
		goto done;
	buf_puts(&sql, "UPDATE ");
	put_ident(&sql, f->id);
	buf_puts(&sql, " SET \"_state\" = ?, \"_state_since\" = ?, \"_version\" = \"_version\" + 1 "
	               "WHERE \"_state\" IS ?");
	rc = exec_args(c, buf_cstr(&sql), "move", 3, to, at, from);
done:
	buf_free(&sql);
	return rc;
}

/* States held by records that the new workflow does not know: moved or refused. */
static int migrate_states(conn *c, const def_form *f, time_t now, char *err)
{
	const def_workflow *w = f->workflow;
	statecount *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	buf sql = BUF_INIT;
	int rc = STORE_OK, src;
	if (!w)
		return STORE_OK; /* states stay stored, unused, until a workflow comes back */
	buf_puts(&sql, "SELECT \"_state\", count(*) FROM ");
	put_ident(&sql, f->id);
	buf_puts(&sql, " GROUP BY \"_state\"");
	if ((src = conn_stmt(c, buf_cstr(&sql), &st)) == SQLITE_OK) {
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				v = xrealloc(v, cap * sizeof *v);
			}
			v[n].state = col_dup(st, 0);
			v[n].n = sqlite3_column_int64(st, 1);
			n++;
		}
	}
	stmt_release(st);
	if (src != SQLITE_DONE) {
		rc = seterr(err, sqlfail(c, "states"), "form \"%s\": %s", f->id, sqlite3_errmsg(c->db));
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const char *to = NULL;
		if (!v[i].state) {
			to = w->initial; /* records from before the form had a workflow */
		} else if (def_find_state(w, v[i].state) >= 0) {
			continue;
		} else {
			for (size_t m = 0; m < w->nmoves; m++)
				if (w->moves[m].from && strcmp(w->moves[m].from, v[i].state) == 0)
					to = w->moves[m].to;
			if (!to) {
				rc = seterr(err, STORE_REFUSED,
				            "formulaire \"%s\" : l'état \"%s\" a été retiré mais %" PRId64
				            " enregistrement(s) s'y trouvent ; indiquez où les déplacer avec "
				            "workflow.state_moves = { %s = \"<état>\" }",
				            f->id, v[i].state, v[i].n, v[i].state);
				goto done;
			}
		}
		if (!to || def_find_state(w, to) < 0) {
			rc = seterr(err, STORE_REFUSED,
			            "formulaire \"%s\" : state_moves envoie \"%s\" vers \"%s\", qui n'est "
			            "pas un état",
			            f->id, v[i].state ? v[i].state : "(none)", to ? to : "(none)");
			goto done;
		}
		if ((rc = move_state(c, f, v[i].state, to, now)) != STORE_OK) {
			seterr(err, rc, "form \"%s\": %s", f->id, sqlite3_errmsg(c->db));
			goto done;
		}
	}
done:
	for (size_t i = 0; i < n; i++)
		free(v[i].state);
	free(v);
	buf_free(&sql);
	return rc;
}

static int migrate_form(conn *c, const def_form *f, time_t now, char *err)
{
	bool exists = false;
	int rc;
	if (!form_ok(f))
		return seterr(err, STORE_REFUSED,
		              "formulaire \"%.60s\" : son id ou un nom de champ ne peut pas nommer une "
		              "table ou une colonne",
		              f && f->id ? f->id : "?");
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i]->renamed_from && !ident_ok(f->cols[i]->renamed_from))
			return seterr(err, STORE_REFUSED,
			              "formulaire \"%s\" : champ \"%s\" : renamed_from invalide",
			              f->id, f->cols[i]->name);
	if ((rc = table_exists(c, f->id, &exists)) != STORE_OK)
		return seterr(err, rc, "form \"%s\": %s", f->id, sqlite3_errmsg(c->db));
	rc = exists ? migrate_columns(c, f, err) : create_table(c, f, err);
	if (rc == STORE_OK)
		rc = create_indexes(c, f, err);
	if (rc == STORE_OK)
		rc = migrate_states(c, f, now, err);
	if (rc == STORE_ERROR && err && !err[0])
		seterr(err, rc, "form \"%s\": %s", f->id, sqlite3_errmsg(c->db));
	return rc;
}

static int migrate_apply(store_tx *tx, void *arg)
{
	mig *m = arg;
	int rc = STORE_OK;
	for (size_t i = 0; rc == STORE_OK && i < m->app->nforms; i++)
		rc = migrate_form(tx->c, &m->app->forms[i], m->now, m->err);
	if (rc == STORE_OK && m->app->hash)
		rc = meta_set(tx->c, "app_hash", m->app->hash);
	return rc;
}

int store_migrate(store *s, const def_app *app, time_t now, char err[STORE_ERR_LEN])
{
	char local[STORE_ERR_LEN];
	mig m = {app, now, err ? err : local};
	m.err[0] = '\0';
	int rc = store_write_sync(s, migrate_apply, &m);
	if (rc != STORE_OK && !m.err[0])
		seterr(m.err, rc, "the schema change could not be saved");
	return rc;
}
