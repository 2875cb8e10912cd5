/*
 * store — connections and the writer of every database (see store.h, store_int.h).
 *
 * Owns: the writer connection and its thread (group commit), a pool of read-only
 * connections, one prepared-statement cache per connection, and opening (with the
 * app databases' system tables) and closing. Records, migrations, system.db and the
 * outbox are the other store_*.c files'.
 * Does not own: definitions (borrowed from the caller for the length of a call) and
 * the records it hands out (the caller clears them).
 *
 * Rules kept in this file:
 * - values are always bound; identifiers come only from definition names that pass
 *   store_ident_ok() and are always double-quoted by store_put_ident();
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "store_int.h"
#include "util.h"
#include "validate.h"

/* ------------------------------------------------------------------ connections */

int store_seterr(char *err, int rc, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, STORE_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Logs an SQLite failure on c; returns STORE_ERROR. */
int store_sqlfail(conn *c, const char *what)
{
	log_message("store", "sqlite error=\"%s\" during=%s",
		    c && c->db ? sqlite3_errmsg(c->db) : "?", what);
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
 * release it with store_stmt_done before taking another statement from c.
 */
int store_stmt(conn *c, const char *sql, sqlite3_stmt **out)
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

void store_stmt_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Runs a cached statement without parameters to its end. */
int store_exec(conn *c, const char *sql)
{
	sqlite3_stmt *st;
	int rc = store_stmt(c, sql, &st);
	if (rc != SQLITE_OK)
		return rc;
	do
		rc = sqlite3_step(st);
	while (rc == SQLITE_ROW);
	store_stmt_done(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void store_conn_close(conn *c)
{
	if (!c)
		return;
	cache_flush(c);
	if (c->db && sqlite3_close(c->db) != SQLITE_OK)
		log_message("store", "close failed error=\"%s\"", sqlite3_errmsg(c->db));
	c->db = NULL;
}

conn *store_reader_take(store *s)
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
		store_sqlfail(c, "open reader");
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	sqlite3_busy_timeout(c->db, BUSY_MS);
	return c;
}

void store_reader_give(store *s, conn *c)
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
bool store_ident_ok(const char *s)
{
	if (!s || *s < 'a' || *s > 'z')
		return false;
	size_t n = 0;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return n <= 64;
}

void store_put_ident(buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

bool store_form_ok(const def_form *f)
{
	if (!f || !store_ident_ok(f->id) || strncmp(f->id, "sqlite_", 7) == 0)
		return false;
	for (size_t i = 0; i < f->ncols; i++)
		if (!f->cols[i] || !store_ident_ok(f->cols[i]->name) ||
		    !def_type_sql(f->cols[i]->type))
			return false;
	return true;
}

/* ------------------------------------------------------------------ writer thread */

static void run_group(store *s, job **v, size_t n)
{
	store_tx tx = {s, &s->w};
	conn *c = &s->w;
	bool ok = store_exec(c, "BEGIN IMMEDIATE") == SQLITE_OK;
	if (!ok)
		store_sqlfail(c, "begin");
	for (size_t i = 0; i < n; i++) {
		if (!ok) {
			v[i]->rc = STORE_ERROR;
			continue;
		}
		if (store_exec(c, "SAVEPOINT \"job\"") != SQLITE_OK) {
			ok = false;
			v[i]->rc = store_sqlfail(c, "savepoint");
			continue;
		}
		int rc = v[i]->apply ? v[i]->apply(&tx, v[i]->arg) : STORE_OK;
		if (sqlite3_get_autocommit(c->db)) {
			/* The transaction was rolled back under us (I/O error, disk full). */
			ok = false;
			rc = STORE_ERROR;
		} else if (rc == STORE_OK) {
			if (store_exec(c, "RELEASE \"job\"") != SQLITE_OK) {
				ok = false;
				rc = store_sqlfail(c, "release");
			}
		} else if (store_exec(c, "ROLLBACK TO \"job\"") != SQLITE_OK ||
			   store_exec(c, "RELEASE \"job\"") != SQLITE_OK) {
			ok = false;
			store_sqlfail(c, "rollback to");
		}
		v[i]->rc = rc;
	}
	if (ok && store_exec(c, "COMMIT") != SQLITE_OK) {
		ok = false;
		store_sqlfail(c, "commit");
	}
	if (!ok) {
		if (!sqlite3_get_autocommit(c->db) && store_exec(c, "ROLLBACK") != SQLITE_OK)
			store_sqlfail(c, "rollback");
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
		log_message("store",
			    "store_write_sync called on the writer thread (would deadlock)");
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
    "CREATE TABLE IF NOT EXISTS \"_history\" ("
    " \"id\" INTEGER PRIMARY KEY, \"form\" TEXT NOT NULL, \"record_id\" INTEGER NOT NULL,"
    " \"at\" TEXT NOT NULL, \"actor\" TEXT, \"action\" TEXT NOT NULL, \"from_state\" TEXT,"
    " \"to_state\" TEXT, \"transition\" TEXT, \"comment\" TEXT, \"changes\" TEXT);"
    "CREATE INDEX IF NOT EXISTS \"_history:record\" ON \"_history\" (\"form\", \"record_id\", "
    "\"id\");"
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
    " WITHOUT ROWID;";

int store_meta_set(conn *c, const char *key, const char *val)
{
	sqlite3_stmt *st = NULL;
	int src;
	if ((src = store_stmt(c,
			      "INSERT INTO \"_meta\" (\"key\", \"value\") VALUES (?, ?) "
			      "ON CONFLICT (\"key\") DO UPDATE SET \"value\" = excluded.\"value\"",
			      &st)) == SQLITE_OK &&
	    (src = store_bind_str(st, 1, key)) == SQLITE_OK &&
	    (src = store_bind_str(st, 2, val)) == SQLITE_OK)
		src = sqlite3_step(st);
	store_stmt_done(st);
	return src == SQLITE_DONE ? STORE_OK : store_sqlfail(c, "meta");
}

/* The app databases' own tables, created inside the opening transaction. */
static int app_bootstrap(conn *w, char *err)
{
	char *emsg = NULL;
	if (sqlite3_exec(w->db, BOOTSTRAP, NULL, NULL, &emsg) != SQLITE_OK) {
		store_seterr(err, STORE_ERROR, "cannot create the system tables: %s",
			     emsg ? emsg : sqlite3_errmsg(w->db));
		sqlite3_free(emsg);
		return STORE_ERROR;
	}
	if (store_meta_set(w, "format", "1") != STORE_OK)
		return store_seterr(err, STORE_ERROR, "cannot write _meta");
	return STORE_OK;
}

/* The writer connection in WAL mode with synchronous=FULL: a COMMIT is on disk. */
static const char *open_writer(store *s, const char *path)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(path, &s->w.db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return "cannot open";
	sqlite3_extended_result_codes(s->w.db, 1);
	sqlite3_busy_timeout(s->w.db, BUSY_MS);
	const char *fail = NULL;
	if (store_stmt(&s->w, "PRAGMA journal_mode=WAL", &st) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		fail = "cannot set the journal mode";
	else if (strcasecmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
		fail = "cannot switch to WAL mode";
	store_stmt_done(st);
	if (!fail && store_exec(&s->w, "PRAGMA synchronous=FULL") != SQLITE_OK)
		fail = "cannot set synchronous=FULL";
	/* system.db's cascades (a user's grants, sessions, tokens) need it; harmless elsewhere. */
	if (!fail && store_exec(&s->w, "PRAGMA foreign_keys=ON") != SQLITE_OK)
		fail = "cannot enable foreign keys";
	return fail;
}

store *store_open_with(const char *path, int (*bootstrap)(conn *w, char *err),
		       char err[STORE_ERR_LEN])
{
	store *s = xcalloc(1, sizeof *s);
	char why[STORE_ERR_LEN] = "";
	s->path = xstrdup(path);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_init(&s->pool_mu, NULL);
	const char *fail = open_writer(s, path);
	if (!fail && store_exec(&s->w, "BEGIN IMMEDIATE") != SQLITE_OK)
		fail = "cannot begin";
	if (!fail && bootstrap(&s->w, why) != STORE_OK)
		fail = why;
	if (!fail && store_exec(&s->w, "COMMIT") != SQLITE_OK)
		fail = "cannot commit the tables";
	if (!fail && pthread_create(&s->thread, NULL, writer_main, s) != 0)
		fail = "cannot start the writer thread";
	s->started = !fail;
	if (fail) {
		store_seterr(err, 0, "%s: %s%s%s", path, fail, fail == why ? "" : ": ",
			     fail == why ? ""
			     : s->w.db	 ? sqlite3_errmsg(s->w.db)
					 : "out of memory");
		if (s->w.db && !sqlite3_get_autocommit(s->w.db))
			sqlite3_exec(s->w.db, "ROLLBACK", NULL, NULL, NULL);
		store_close(s);
		return NULL;
	}
	return s;
}

store *store_open(const char *path, char err[STORE_ERR_LEN])
{
	return store_open_with(path, app_bootstrap, err);
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
		store_conn_close(c);
		free(c);
	}
	store_conn_close(&s->w); /* last connection: checkpoints the WAL */
	pthread_mutex_destroy(&s->pool_mu);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s);
}
