/*
 * store — backends, connections and the writer of every database (see store.h,
 * store_int.h). Records, migrations, people and the outbox are the other store_*.c
 * files'; the engines' drivers are store_sqlite.c and store_pg.c.
 *
 * Owns: the backend (a folder of SQLite files, or a pool of PostgreSQL connections
 * shared by every store of the process), each store's writer thread (group commit)
 * and, on SQLite, its writer connection and pool of read-only connections.
 * Does not own: definitions (borrowed from the caller for the length of a call) and
 * the records it hands out (the caller clears them).
 *
 * Rules kept in this file:
 * - values are always bound; identifiers come only from definition names that pass
 *   store_ident_ok() and are always double-quoted;
 * - every statement is released before the function that took it returns, so no
 *   reader keeps an old snapshot open and no binding points at freed memory;
 * - one-off DDL (bootstrap, migration) carries only checked, quoted identifiers and
 *   constant SQL, never a value.
 *
 * Group commit: store_submit queues a job; the writer thread takes everything queued
 * (up to GROUP_MAX), runs it in one transaction with a savepoint per job, and calls
 * the `done` callbacks only after COMMIT returned. SQLite: WAL + synchronous=FULL,
 * the commit's fsync makes the group durable. PostgreSQL: the commit returns once
 * the server has flushed its WAL (synchronous_commit, the server's setting).
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "util.h"

#define PG_POOL_MAX	48   /* connections to PostgreSQL per process */
#define PG_POOL_WAIT	4    /* seconds a request waits for one before a 503 */
#define PG_CONN_MAX_AGE 3600 /* seconds: older idle connections are renewed */

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

/* ------------------------------------------------------------------ backends */

/*
 * An extension searches use (unaccent folds private search fields): created when this
 * role may, else said once with the DBA's command; meanwhile searches fold case only.
 */
static bool pg_extension(conn *c, const char *name, const char *why)
{
	int64_t n = 0;
	if (db_int_query(c, "SELECT count(*) FROM pg_extension WHERE extname = ?",
			 DB_ARGS(DB_S(name)), &n) == STORE_OK &&
	    n > 0)
		return true;
	char sql[96], err[STORE_ERR_LEN] = "";
	snprintf(sql, sizeof sql, "CREATE EXTENSION IF NOT EXISTS %s", name);
	if (db_script(c, sql, err) == STORE_OK)
		return true;
	log_message("store",
		    "postgresql: %s until the %s extension is installed; as its owner or a "
		    "superuser, run in this database: CREATE EXTENSION %s;",
		    why, name, name);
	return false;
}

store_backend *store_backend_open(const char *database, const char *data_dir,
				  char err[STORE_ERR_LEN])
{
	store_backend *b = xcalloc(1, sizeof *b);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->data_dir = xstrdup(data_dir ? data_dir : "data");
	b->max = PG_POOL_MAX;
	if (!database || !*database) {
		b->kind = DB_SQLITE;
		return b;
	}
	b->kind = DB_PG;
	b->conninfo = xstrdup(database);
	/* One connection now: a wrong URL or password is said at start, not at the first request.
	 */
	conn *c = xcalloc(1, sizeof *c);
	if (pg_connect(database, c, err) != STORE_OK) {
		free(c);
		store_backend_close(b);
		return NULL;
	}
	if (store_cluster_prepare(c, err) != STORE_OK) {
		db_close(c);
		free(c);
		store_backend_close(b);
		return NULL;
	}
	b->open = 1;
	/* A trusted extension: the database's owner may create it. */
	b->unaccent =
	    pg_extension(c, "unaccent", "searches in private fields will not ignore accents");
	store_pg_give(b, c);
	return b;
}

void store_backend_close(store_backend *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->mu);
	b->closing = true;
	while (b->idle) {
		conn *c = b->idle;
		b->idle = c->next;
		db_close(c);
		free(c);
		b->open--;
	}
	pthread_mutex_unlock(&b->mu);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b->data_dir);
	free(b->conninfo);
	free(b);
}

bool store_backend_shared(const store_backend *b)
{
	return b->kind == DB_PG;
}

const char *store_backend_data_dir(const store_backend *b)
{
	return b->data_dir;
}

int store_pg_take(store_backend *b, conn **out)
{
	*out = NULL;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PG_POOL_WAIT;
	pthread_mutex_lock(&b->mu);
	for (;;) {
		conn *c = b->idle;
		if (c) {
			b->idle = c->next;
			pthread_mutex_unlock(&b->mu);
			c->next = NULL;
			if (pg_alive(c) && time(NULL) - c->since < PG_CONN_MAX_AGE) {
				*out = c;
				return STORE_OK;
			}
			/* Gone while idle (server restarted), or old: a fresh one instead. */
			db_close(c);
			free(c);
			pthread_mutex_lock(&b->mu);
			b->open--;
			continue;
		}
		if (b->open < b->max)
			break;
		if (pthread_cond_timedwait(&b->cv, &b->mu, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&b->mu);
			log_message("store", "postgresql: every connection of the pool is busy");
			return STORE_UNAVAILABLE;
		}
	}
	b->open++;
	pthread_mutex_unlock(&b->mu);
	conn *c = xcalloc(1, sizeof *c);
	char err[STORE_ERR_LEN] = "";
	int rc = pg_connect(b->conninfo, c, err);
	if (rc != STORE_OK) {
		free(c);
		pthread_mutex_lock(&b->mu);
		b->open--;
		pthread_cond_signal(&b->cv);
		pthread_mutex_unlock(&b->mu);
		return rc;
	}
	*out = c;
	return STORE_OK;
}

void store_pg_give(store_backend *b, conn *c)
{
	if (!c)
		return;
	/* A link that broke, or one left inside a transaction by a failure, is not reused. */
	bool reuse = pg_alive(c) && !db_in_tx(c);
	pthread_mutex_lock(&b->mu);
	if (reuse && !b->closing) {
		c->next = b->idle;
		b->idle = c;
	} else {
		b->open--;
	}
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	if (!reuse || b->closing) {
		db_close(c);
		free(c);
	}
}

int store_pg_xact_lock(conn *c, const char *key)
{
	return db_exec(c, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
		       DB_ARGS(DB_S(key)), NULL);
}

int store_ping(store_backend *b)
{
	if (b->kind != DB_PG)
		return STORE_OK;
	conn *c = NULL;
	int rc = store_pg_take(b, &c);
	if (rc == STORE_OK)
		rc = db_exec(c, "SELECT 1", DB_NOARGS, NULL);
	store_pg_give(b, c);
	return rc;
}

/* ------------------------------------------------------------------ connections */

int store_reader_take(store *s, conn **out)
{
	*out = NULL;
	if (s->b->kind == DB_PG)
		return store_pg_take(s->b, out);
	pthread_mutex_lock(&s->pool_mu);
	conn *c = s->pool;
	if (c)
		s->pool = c->next;
	pthread_mutex_unlock(&s->pool_mu);
	if (c) {
		c->next = NULL;
		*out = c;
		return STORE_OK;
	}
	c = xcalloc(1, sizeof *c);
	char err[STORE_ERR_LEN];
	if (lite_open(s->name, true, c, err) != STORE_OK) {
		log_message("store", "%s", err);
		free(c);
		return STORE_ERROR;
	}
	*out = c;
	return STORE_OK;
}

void store_reader_give(store *s, conn *c)
{
	if (!c)
		return;
	if (s->b->kind == DB_PG) {
		store_pg_give(s->b, c);
		return;
	}
	pthread_mutex_lock(&s->pool_mu);
	c->next = s->pool;
	s->pool = c;
	pthread_mutex_unlock(&s->pool_mu);
}

/* ------------------------------------------------------------------ SQL text */

void store_put_table(buf *b, const store *s, const char *name)
{
	buf_puts(b, s->schema);
	store_put_ident(b, name);
}

const char *store_sql(const store *s, buf *b, const char *tmpl)
{
	buf_reset(b);
	for (const char *p = tmpl; *p; p++) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		if (!end) {
			buf_putc(b, *p);
			continue;
		}
		char name[IDENT_MAX + 1];
		size_t n = (size_t)(end - p - 1);
		if (n > IDENT_MAX)
			n = IDENT_MAX;
		memcpy(name, p + 1, n);
		name[n] = '\0';
		store_put_table(b, s, name);
		p = end;
	}
	return buf_cstr(b);
}

int store_exec(store_tx *tx, const char *tmpl, const db_arg *a, int n, int64_t *changes)
{
	buf sql = BUF_INIT;
	int rc = db_exec(tx->c, store_sql(tx->s, &sql, tmpl), a, n, changes);
	buf_free(&sql);
	return rc;
}

/* ------------------------------------------------------------------ identifiers */

bool store_ident_ok(const char *s)
{
	if (!s || *s < 'a' || *s > 'z')
		return false;
	size_t n = 0;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return n <= IDENT_MAX;
}

void store_put_ident(buf *b, const char *s)
{
	db_put_ident(b, s);
}

bool store_form_ok(const def_form *f)
{
	if (!f || !store_ident_ok(f->id) || strncmp(f->id, "sqlite_", 7) == 0 ||
	    strncmp(f->id, "pg_", 3) == 0)
		return false;
	for (size_t i = 0; i < f->ncols; i++)
		if (!f->cols[i] || !store_ident_ok(f->cols[i]->name) ||
		    !def_type_sql(f->cols[i]->type))
			return false;
	return true;
}

/* ------------------------------------------------------------------ writer thread */

/* The writer's connection for one group (SQLite: its own; PostgreSQL: one of the pool). */
static int writer_take(store *s, conn **c)
{
	if (s->b->kind == DB_PG)
		return store_pg_take(s->b, c);
	*c = &s->w;
	return STORE_OK;
}

static void writer_give(store *s, conn *c)
{
	if (s->b->kind == DB_PG)
		store_pg_give(s->b, c);
}

/* Runs each job in its savepoint; false when the transaction itself failed. */
static bool run_jobs(store *s, conn *c, job **v, size_t n, int *fail_rc)
{
	store_tx tx = {s, c};
	for (size_t i = 0; i < n; i++) {
		size_t gone_mark = s->ngone; /* a job rolled back takes back its notes */
		int rc = db_exec(c, "SAVEPOINT \"job\"", DB_NOARGS, NULL);
		if (rc != STORE_OK) {
			*fail_rc = db_fail(c, rc, "savepoint");
			return false;
		}
		rc = v[i]->apply ? v[i]->apply(&tx, v[i]->arg) : STORE_OK;
		if (!db_in_tx(c) || (c->kind == DB_PG && c->broken)) {
			/* The transaction was rolled back under us (I/O error, disk full, link
			 * lost). */
			*fail_rc =
			    rc == STORE_UNAVAILABLE || c->broken ? STORE_UNAVAILABLE : STORE_ERROR;
			return false;
		}
		if (rc == STORE_OK) {
			if ((rc = db_exec(c, "RELEASE \"job\"", DB_NOARGS, NULL)) != STORE_OK) {
				*fail_rc = db_fail(c, rc, "release");
				return false;
			}
		} else if (db_exec(c, "ROLLBACK TO \"job\"", DB_NOARGS, NULL) != STORE_OK ||
			   db_exec(c, "RELEASE \"job\"", DB_NOARGS, NULL) != STORE_OK) {
			*fail_rc = db_fail(c, STORE_ERROR, "rollback to");
			return false;
		}
		if (rc != STORE_OK)
			s->ngone = gone_mark;
		v[i]->rc = rc;
	}
	return true;
}

static void run_group(store *s, job **v, size_t n)
{
	conn *c = NULL;
	int fail_rc = writer_take(s, &c);
	bool ok = fail_rc == STORE_OK;
	if (ok) {
		fail_rc =
		    db_exec(c, s->b->kind == DB_PG ? "BEGIN" : "BEGIN IMMEDIATE", DB_NOARGS, NULL);
		ok = fail_rc == STORE_OK;
		if (!ok)
			db_fail(c, fail_rc, "begin");
	}
	ok = ok && run_jobs(s, c, v, n, &fail_rc);
	if (ok && (fail_rc = db_exec(c, "COMMIT", DB_NOARGS, NULL)) != STORE_OK) {
		ok = false;
		db_fail(c, fail_rc, "commit");
	}
	if (!ok) {
		if (c && db_in_tx(c) && db_exec(c, "ROLLBACK", DB_NOARGS, NULL) != STORE_OK)
			db_fail(c, STORE_ERROR, "rollback");
		for (size_t i = 0; i < n; i++)
			v[i]->rc = fail_rc == STORE_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_ERROR;
	}
	if (c)
		store_files_after(s, c, ok);
	else
		s->ngone = 0;
	if (c)
		writer_give(s, c);
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

/* The engine's own tables of an app database, created inside the opening transaction. */
static const char APP_TABLES_SQLITE[] =
    "CREATE TABLE IF NOT EXISTS {_history} ("
    " \"id\" INTEGER PRIMARY KEY, \"form\" TEXT NOT NULL, \"record_id\" INTEGER NOT NULL,"
    " \"at\" TEXT NOT NULL, \"actor\" TEXT, \"action\" TEXT NOT NULL, \"from_state\" TEXT,"
    " \"to_state\" TEXT, \"transition\" TEXT, \"comment\" TEXT, \"changes\" TEXT);"
    "CREATE INDEX IF NOT EXISTS \"_history:record\" ON \"_history\" (\"form\", \"record_id\", "
    "\"id\");"
    "CREATE TABLE IF NOT EXISTS {_schema} ("
    " \"form\" TEXT NOT NULL, \"column\" TEXT NOT NULL, \"type\" TEXT NOT NULL,"
    " \"removed\" INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (\"form\", \"column\")) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS {_meta} (\"key\" TEXT PRIMARY KEY, \"value\" TEXT) WITHOUT ROWID;"
    /* Mails written in the same transaction as the change that caused them (outbox.h). */
    "CREATE TABLE IF NOT EXISTS {_outbox} ("
    " \"id\" INTEGER PRIMARY KEY, \"form\" TEXT NOT NULL, \"record_id\" INTEGER NOT NULL,"
    " \"created_at\" TEXT NOT NULL, \"to_spec\" TEXT NOT NULL, \"subject\" TEXT NOT NULL,"
    " \"body\" TEXT NOT NULL, \"status\" TEXT NOT NULL DEFAULT 'pending',"
    " \"attempts\" INTEGER NOT NULL DEFAULT 0, \"next_attempt_at\" TEXT NOT NULL,"
    " \"last_error\" TEXT, \"sent_at\" TEXT, \"smtp_reply\" TEXT);"
    "CREATE INDEX IF NOT EXISTS \"_outbox:due\" ON \"_outbox\" (\"status\", \"next_attempt_at\");"
    /* Public tracking links: only a hash of each token is kept (tracking.h). */
    "CREATE TABLE IF NOT EXISTS {_tracking} ("
    " \"token_hash\" TEXT PRIMARY KEY, \"form\" TEXT NOT NULL, \"record_id\" INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    /* API creates with an Idempotency-Key: the first answer, for the retries (24 h). */
    "CREATE TABLE IF NOT EXISTS {_idempotency} ("
    " \"key\" TEXT PRIMARY KEY, \"body\" TEXT NOT NULL, \"form\" TEXT NOT NULL,"
    " \"record_id\" INTEGER NOT NULL, \"at\" INTEGER NOT NULL, \"status\" INTEGER,"
    " \"location\" TEXT, \"response\" TEXT) WITHOUT ROWID;"
    /* Durations of stays in states and of the way to each state, counted per tenth of a
     * day as history lines are written (store_gov.c): the dashboard reads these few
     * rows, not the history. */
    "CREATE TABLE IF NOT EXISTS {_durations} ("
    " \"form\" TEXT NOT NULL, \"kind\" TEXT NOT NULL, \"state\" TEXT NOT NULL,"
    " \"tenths\" INTEGER NOT NULL, \"shard\" INTEGER NOT NULL, \"n\" INTEGER NOT NULL,"
    " PRIMARY KEY (\"form\", \"kind\", \"state\", \"tenths\", \"shard\")) WITHOUT ROWID;"
    /* The dashboard's counts per state, hour of creation and choice value, kept by
     * each form's triggers (store_tally.c). */
    "CREATE TABLE IF NOT EXISTS {_tallies} ("
    " \"form\" TEXT NOT NULL, \"dim\" TEXT NOT NULL, \"value\" TEXT NOT NULL,"
    " \"shard\" INTEGER NOT NULL, \"n\" INTEGER NOT NULL,"
    " PRIMARY KEY (\"form\", \"dim\", \"value\", \"shard\")) WITHOUT ROWID;"
    /* Which record uses which file content (store_files.c); contents under data/files. */
    "CREATE TABLE IF NOT EXISTS {_files} ("
    " \"form\" TEXT NOT NULL, \"record_id\" INTEGER NOT NULL, \"field\" TEXT NOT NULL,"
    " \"sha256\" TEXT NOT NULL, PRIMARY KEY (\"form\", \"record_id\", \"field\")) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS \"_files:sha256\" ON \"_files\" (\"sha256\");"
    /* Drafts of forms with drafts (store_drafts.h): not records, kept until they expire. */
    "CREATE TABLE IF NOT EXISTS {_drafts} ("
    " \"id\" INTEGER PRIMARY KEY, \"form\" TEXT NOT NULL, \"owner\" TEXT,"
    " \"token_hash\" TEXT UNIQUE, \"fields\" TEXT NOT NULL, \"step\" INTEGER NOT NULL DEFAULT 0,"
    " \"created_at\" TEXT NOT NULL, \"updated_at\" TEXT NOT NULL, \"expires_at\" TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS \"_drafts:owner\" ON \"_drafts\" (\"owner\", \"updated_at\");"
    "CREATE INDEX IF NOT EXISTS \"_drafts:expires\" ON \"_drafts\" (\"expires_at\");";

/* The same tables on PostgreSQL: text sorts byte by byte (COLLATE "C"), as on SQLite. */
static const char APP_TABLES_PG[] =
    "CREATE TABLE IF NOT EXISTS {_history} ("
    " \"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \"form\" text NOT NULL,"
    " \"record_id\" bigint NOT NULL, \"at\" text NOT NULL, \"actor\" text,"
    " \"action\" text NOT NULL, \"from_state\" text, \"to_state\" text, \"transition\" text,"
    " \"comment\" text, \"changes\" text);"
    "CREATE INDEX IF NOT EXISTS \"_history_record\" ON {_history} (\"form\", \"record_id\", "
    "\"id\");"
    "CREATE TABLE IF NOT EXISTS {_schema} ("
    " \"form\" text NOT NULL, \"column\" text NOT NULL, \"type\" text NOT NULL,"
    " \"removed\" integer NOT NULL DEFAULT 0, PRIMARY KEY (\"form\", \"column\"));"
    "CREATE TABLE IF NOT EXISTS {_meta} (\"key\" text PRIMARY KEY, \"value\" text);"
    "CREATE TABLE IF NOT EXISTS {_outbox} ("
    " \"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \"form\" text NOT NULL,"
    " \"record_id\" bigint NOT NULL, \"created_at\" text NOT NULL, \"to_spec\" text NOT NULL,"
    " \"subject\" text NOT NULL, \"body\" text NOT NULL,"
    " \"status\" text NOT NULL DEFAULT 'pending', \"attempts\" integer NOT NULL DEFAULT 0,"
    " \"next_attempt_at\" text NOT NULL, \"last_error\" text, \"sent_at\" text,"
    " \"smtp_reply\" text, \"lease_until\" bigint, \"lease_by\" text);"
    "CREATE INDEX IF NOT EXISTS \"_outbox_due\" ON {_outbox} (\"status\", \"next_attempt_at\");"
    "CREATE TABLE IF NOT EXISTS {_tracking} ("
    " \"token_hash\" text PRIMARY KEY, \"form\" text NOT NULL, \"record_id\" bigint NOT NULL);"
    "CREATE TABLE IF NOT EXISTS {_idempotency} ("
    " \"key\" text PRIMARY KEY, \"body\" text NOT NULL, \"form\" text NOT NULL,"
    " \"record_id\" bigint NOT NULL, \"at\" bigint NOT NULL, \"status\" integer,"
    " \"location\" text, \"response\" text);"
    /* shard: the writing connection's (pg_backend_pid() % 64), so that transactions of
     * several engines seldom update one row, and never wait on each other in a cycle. */
    "CREATE TABLE IF NOT EXISTS {_durations} ("
    " \"form\" text COLLATE \"C\" NOT NULL, \"kind\" text COLLATE \"C\" NOT NULL,"
    " \"state\" text COLLATE \"C\" NOT NULL, \"tenths\" bigint NOT NULL,"
    " \"shard\" integer NOT NULL, \"n\" bigint NOT NULL,"
    " PRIMARY KEY (\"form\", \"kind\", \"state\", \"tenths\", \"shard\"));"
    "CREATE TABLE IF NOT EXISTS {_tallies} ("
    " \"form\" text COLLATE \"C\" NOT NULL, \"dim\" text COLLATE \"C\" NOT NULL,"
    " \"value\" text COLLATE \"C\" NOT NULL, \"shard\" integer NOT NULL,"
    " \"n\" bigint NOT NULL, PRIMARY KEY (\"form\", \"dim\", \"value\", \"shard\"));"
    /* File contents in the database, shared by every engine (store_files.c). */
    "CREATE TABLE IF NOT EXISTS {_blobs} (\"sha256\" text PRIMARY KEY, \"size\" bigint NOT NULL);"
    "CREATE TABLE IF NOT EXISTS {_blob_parts} ("
    " \"sha256\" text NOT NULL REFERENCES {_blobs} ON DELETE CASCADE, \"n\" integer NOT NULL,"
    " \"data\" bytea NOT NULL, PRIMARY KEY (\"sha256\", \"n\"));"
    "CREATE TABLE IF NOT EXISTS {_files} ("
    " \"form\" text NOT NULL, \"record_id\" bigint NOT NULL, \"field\" text NOT NULL,"
    " \"sha256\" text NOT NULL REFERENCES {_blobs}, PRIMARY KEY (\"form\", \"record_id\", "
    "\"field\"));"
    "CREATE INDEX IF NOT EXISTS \"_files_sha256\" ON {_files} (\"sha256\");"
    "CREATE TABLE IF NOT EXISTS {_drafts} ("
    " \"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \"form\" text NOT NULL,"
    " \"owner\" text, \"token_hash\" text UNIQUE, \"fields\" text NOT NULL,"
    " \"step\" integer NOT NULL DEFAULT 0, \"created_at\" text NOT NULL,"
    " \"updated_at\" text NOT NULL, \"expires_at\" text NOT NULL);"
    "CREATE INDEX IF NOT EXISTS \"_drafts_owner\" ON {_drafts} (\"owner\", \"updated_at\");"
    "CREATE INDEX IF NOT EXISTS \"_drafts_expires\" ON {_drafts} (\"expires_at\");";

int store_meta_set(store *s, conn *c, const char *key, const char *val)
{
	buf sql = BUF_INIT;
	int rc =
	    db_exec(c,
		    store_sql(s, &sql,
			      "INSERT INTO {_meta} (\"key\", \"value\") VALUES (?, ?) "
			      "ON CONFLICT (\"key\") DO UPDATE SET \"value\" = excluded.\"value\""),
		    DB_ARGS(DB_S(key), DB_S(val)), NULL);
	buf_free(&sql);
	return rc == STORE_OK ? STORE_OK : db_fail(c, rc, "meta");
}

int store_table_exists(store_tx *tx, const char *name, bool *out)
{
	int64_t n = 0;
	int rc = tx->c->kind == DB_PG
		     ? db_int_query(tx->c,
				    "SELECT count(*) FROM information_schema.tables WHERE "
				    "table_schema = ? AND table_name = ?",
				    DB_ARGS(DB_S(tx->s->name), DB_S(name)), &n)
		     : db_int_query(tx->c,
				    "SELECT count(*) FROM \"sqlite_master\" WHERE \"type\" = "
				    "'table' AND \"name\" = ?",
				    DB_ARGS(DB_S(name)), &n);
	*out = n > 0;
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "table exists");
}

int store_meta_get(store *s, conn *c, const char *key, char **out)
{
	*out = NULL;
	buf sql = BUF_INIT;
	db_rows r = {0};
	int rc = db_query(c, store_sql(s, &sql, "SELECT \"value\" FROM {_meta} WHERE \"key\" = ?"),
			  DB_ARGS(DB_S(key)), &r);
	if (rc == STORE_OK) {
		if (db_next(&r))
			*out = db_dup(&r, 0);
		rc = db_done(&r);
	}
	buf_free(&sql);
	return rc;
}

/* The tables of an app database, created inside the opening transaction. */
static int app_bootstrap(store *s, conn *w, char *err)
{
	buf sql = BUF_INIT;
	int rc = db_script(
	    w, store_sql(s, &sql, w->kind == DB_PG ? APP_TABLES_PG : APP_TABLES_SQLITE), err);
	buf_free(&sql);
	if (rc != STORE_OK)
		return rc;
	if (store_meta_set(s, w, "format", "1") != STORE_OK)
		return store_seterr(err, STORE_ERROR, "cannot write _meta");
	return STORE_OK;
}

/* SQLite: the writer connection of the file, in WAL mode with synchronous=FULL. */
static int open_sqlite(store *s, char *why)
{
	if (lite_open(s->name, false, &s->w, why) != STORE_OK)
		return STORE_ERROR;
	const char *fail = lite_writer_setup(&s->w);
	if (fail)
		return store_seterr(why, STORE_ERROR, "%s: %s", fail, db_errmsg(&s->w));
	return STORE_OK;
}

/* Creates or checks the tables in one transaction, on w. */
static int bootstrap_tx(store *s, conn *w, store_bootstrap_fn bootstrap, char *why)
{
	int rc = db_exec(w, w->kind == DB_PG ? "BEGIN" : "BEGIN IMMEDIATE", DB_NOARGS, NULL);
	if (rc != STORE_OK)
		return store_seterr(why, rc, "cannot begin: %s", db_errmsg(w));
	if (w->kind == DB_PG) {
		/* Engines starting together on an empty database: one creates, the others wait and
		 * see. */
		char schema[IDENT_MAX + 2];
		snprintf(schema, sizeof schema, "%s", s->name);
		buf ddl = BUF_INIT;
		buf_puts(&ddl, "CREATE SCHEMA IF NOT EXISTS ");
		db_put_ident(&ddl, schema);
		if ((rc = store_pg_xact_lock(w, "smallapps:schema")) != STORE_OK ||
		    (rc = db_script(w, buf_cstr(&ddl), why)) != STORE_OK) {
			buf_free(&ddl);
			db_exec(w, "ROLLBACK", DB_NOARGS, NULL);
			return rc;
		}
		buf_free(&ddl);
	}
	if ((rc = bootstrap(s, w, why)) != STORE_OK ||
	    (rc = db_exec(w, "COMMIT", DB_NOARGS, NULL)) != STORE_OK) {
		if (!why[0])
			store_seterr(why, rc, "cannot create the tables: %s", db_errmsg(w));
		if (db_in_tx(w))
			db_exec(w, "ROLLBACK", DB_NOARGS, NULL);
		return rc;
	}
	return STORE_OK;
}

store *store_open_with(store_backend *b, const char *name, store_bootstrap_fn bootstrap,
		       char err[STORE_ERR_LEN])
{
	store *s = xcalloc(1, sizeof *s);
	char why[STORE_ERR_LEN] = "";
	s->b = b;
	s->name = xstrdup(name);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_init(&s->pool_mu, NULL);
	int rc;
	if (b->kind == DB_PG) {
		buf q = BUF_INIT;
		db_put_ident(&q, name);
		buf_putc(&q, '.');
		s->schema = buf_steal(&q);
		conn *c = NULL;
		if ((rc = store_pg_take(b, &c)) != STORE_OK)
			store_seterr(why, rc, "PostgreSQL cannot be reached");
		else
			rc = bootstrap_tx(s, c, bootstrap, why);
		store_pg_give(b, c);
	} else {
		s->schema = xstrdup("");
		rc = open_sqlite(s, why);
		if (rc == STORE_OK)
			rc = bootstrap_tx(s, &s->w, bootstrap, why);
	}
	if (rc == STORE_OK && pthread_create(&s->thread, NULL, writer_main, s) != 0)
		rc = store_seterr(why, STORE_ERROR, "cannot start the writer thread");
	s->started = rc == STORE_OK;
	if (rc != STORE_OK) {
		store_seterr(err, rc, "%s: %s", name, why[0] ? why : "cannot open");
		store_close(s);
		return NULL;
	}
	return s;
}

store *store_open(store_backend *b, const char *app_id, char err[STORE_ERR_LEN])
{
	char name[4096];
	if (b->kind == DB_PG) {
		snprintf(name, sizeof name, "app_%s", app_id);
		return store_open_with(b, name, app_bootstrap, err);
	}
	snprintf(name, sizeof name, "%s/apps", b->data_dir);
	mkdir(name, 0700);
	snprintf(name, sizeof name, "%s/apps/%s.db", b->data_dir, app_id);
	store *s = store_open_with(b, name, app_bootstrap, err);
	if (s) { /* before any job: the writer reads it after taking one from the queue */
		snprintf(name, sizeof name, "%s/files", b->data_dir);
		mkdir(name, 0700);
		snprintf(name, sizeof name, "%s/files/%s", b->data_dir, app_id);
		s->files_dir = xstrdup(name);
	}
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
		db_close(c);
		free(c);
	}
	db_close(&s->w); /* last connection: checkpoints the WAL */
	pthread_mutex_destroy(&s->pool_mu);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->name);
	free(s->files_dir);
	free(s->gone);
	free(s->schema);
	free(s);
}
