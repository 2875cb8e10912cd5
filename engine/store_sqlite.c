/*
 * store_sqlite — the SQLite driver of store_db.h: a file per database, statements
 * prepared once (persistent) and cached per connection, values bound in place.
 *
 * Result codes: a unique or primary key violation is STORE_CONFLICT; a database
 * still busy after BUSY_MS is STORE_UNAVAILABLE (the request may be retried); the
 * rest is STORE_ERROR, logged with the statement when it did not compile.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "store_db.h"
#include "store_int.h"
#include "util.h"

static int map_rc(int src)
{
	switch (src) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return STORE_OK;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return STORE_CONFLICT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_UNAVAILABLE;
	default:
		return (src & 0xff) == SQLITE_BUSY ? STORE_UNAVAILABLE : STORE_ERROR;
	}
}

static sqlite3 *db_of(conn *c)
{
	return c->h;
}

/* sa_fold(x): util_fold in SQL, for searches (PostgreSQL: lower(unaccent(x))). */
static void fold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	if (!t) {
		sqlite3_result_null(ctx);
		return;
	}
	buf b = BUF_INIT;
	util_fold(t, &b);
	sqlite3_result_text(ctx, buf_cstr(&b), (int)b.len, SQLITE_TRANSIENT);
	buf_free(&b);
}

int lite_open(const char *path, bool readonly, conn *c, char err[STORE_ERR_LEN])
{
	memset(c, 0, sizeof *c);
	c->kind = DB_SQLITE;
	sqlite3 *db = NULL;
	int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
		    SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		store_seterr(err, STORE_ERROR, "%s: cannot open: %s", path,
			     db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return STORE_ERROR;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BUSY_MS);
	/* "name" is a name, never a string: a misspelt column is an error, not a constant. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
	sqlite3_create_function(db, "sa_fold", 1,
				SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				fold_fn, NULL, NULL);
	c->h = db;
	c->since = time(NULL);
	return STORE_OK;
}

const char *lite_writer_setup(conn *c)
{
	db_rows r;
	const char *fail = NULL;
	if (db_query(c, "PRAGMA journal_mode=WAL", DB_NOARGS, &r) != STORE_OK || !db_next(&r))
		fail = "cannot set the journal mode";
	else if (strcasecmp(db_text(&r, 0) ? db_text(&r, 0) : "", "wal") != 0)
		fail = "cannot switch to WAL mode";
	db_done(&r);
	if (!fail && db_exec(c, "PRAGMA synchronous=FULL", DB_NOARGS, NULL) != STORE_OK)
		fail = "cannot set synchronous=FULL";
	/* system.db's cascades (a user's grants, sessions, tokens) need it; harmless elsewhere. */
	if (!fail && db_exec(c, "PRAGMA foreign_keys=ON", DB_NOARGS, NULL) != STORE_OK)
		fail = "cannot enable foreign keys";
	return fail;
}

static void flush_cache(conn *c)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].sql)
			sqlite3_finalize(c->slots[i].st);
	db_cache_clear(c);
}

/* The cached statement for sql, prepared (persistent) on first use. */
static int statement(conn *c, const char *sql, sqlite3_stmt **out)
{
	db_slot *sl = db_cache_get(c, sql);
	if (sl) {
		*out = sl->st;
		return SQLITE_OK;
	}
	if (c->n >= CACHE_MAX)
		flush_cache(c);
	sqlite3_stmt *st = NULL;
	int src = sqlite3_prepare_v3(db_of(c), sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (src != SQLITE_OK || !st) {
		/* A statement that does not compile is a bug to see; a file that is not a
		 * database, or is busy, is the caller's to report. */
		if ((src & 0xff) == SQLITE_ERROR)
			log_message("store", "prepare failed error=\"%s\" sql=\"%s\"",
				    sqlite3_errmsg(db_of(c)), sql);
		sqlite3_finalize(st);
		return src != SQLITE_OK ? src : SQLITE_MISUSE;
	}
	db_cache_put(c, sql)->st = st;
	*out = st;
	return SQLITE_OK;
}

static int bind(sqlite3_stmt *st, const db_arg *a, int n)
{
	for (int i = 0; i < n; i++) {
		int src;
		switch (a[i].kind) {
		case 'i':
			src = sqlite3_bind_int64(st, i + 1, a[i].i);
			break;
		case 'd':
			src = sqlite3_bind_double(st, i + 1, a[i].d);
			break;
		case 's':
			src = a[i].s ? sqlite3_bind_text(st, i + 1, a[i].s, -1, SQLITE_STATIC)
				     : sqlite3_bind_null(st, i + 1);
			break;
		default:
			src = sqlite3_bind_null(st, i + 1);
			break;
		}
		if (src != SQLITE_OK)
			return src;
	}
	return SQLITE_OK;
}

int lite_query(conn *c, const char *sql, const db_arg *a, int n, db_rows *out)
{
	sqlite3_stmt *st = NULL;
	int src = statement(c, sql, &st);
	if (src == SQLITE_OK && (src = bind(st, a, n)) != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (src != SQLITE_OK)
		return map_rc(src);
	out->st = st;
	return STORE_OK;
}

bool lite_next(db_rows *r)
{
	int src = sqlite3_step(r->st);
	if (src == SQLITE_ROW)
		return true;
	if (src == SQLITE_DONE)
		r->changes = sqlite3_changes64(db_of(r->c));
	else
		r->rc = map_rc(src);
	return false;
}

int lite_type(const db_rows *r, int col)
{
	switch (sqlite3_column_type(r->st, col)) {
	case SQLITE_INTEGER:
		return DB_T_INT;
	case SQLITE_FLOAT:
		return DB_T_REAL;
	case SQLITE_NULL:
		return DB_T_NULL;
	default:
		return DB_T_TEXT;
	}
}

int64_t lite_int(const db_rows *r, int col)
{
	return sqlite3_column_int64(r->st, col);
}

double lite_real(const db_rows *r, int col)
{
	return sqlite3_column_double(r->st, col);
}

const char *lite_text(const db_rows *r, int col)
{
	return (const char *)sqlite3_column_text(r->st, col);
}

size_t lite_len(const db_rows *r, int col)
{
	return (size_t)sqlite3_column_bytes(r->st, col);
}

void lite_done(db_rows *r)
{
	sqlite3_reset(r->st);
	sqlite3_clear_bindings(r->st);
}

int lite_script(conn *c, const char *sql, char err[STORE_ERR_LEN])
{
	char *emsg = NULL;
	int src = sqlite3_exec(db_of(c), sql, NULL, NULL, &emsg);
	if (src != SQLITE_OK) {
		store_seterr(err, STORE_ERROR, "%s", emsg ? emsg : sqlite3_errstr(src));
		log_message("store", "sqlite script failed error=\"%s\" sql=\"%.300s\"",
			    emsg ? emsg : sqlite3_errstr(src), sql);
	}
	sqlite3_free(emsg);
	return map_rc(src);
}

bool lite_in_tx(conn *c)
{
	return !sqlite3_get_autocommit(db_of(c));
}

const char *lite_errmsg(conn *c)
{
	return sqlite3_errmsg(db_of(c));
}

void lite_close(conn *c)
{
	flush_cache(c);
	if (sqlite3_close(db_of(c)) != SQLITE_OK)
		log_message("store", "close failed error=\"%s\"", sqlite3_errmsg(db_of(c)));
	c->h = NULL;
}

int lite_backup(const char *from, const char *to, char err[STORE_ERR_LEN])
{
	conn src, dst;
	if (lite_open(from, true, &src, err) != STORE_OK)
		return STORE_ERROR;
	if (lite_open(to, false, &dst, err) != STORE_OK) {
		lite_close(&src);
		return STORE_ERROR;
	}
	/* One step over every page: the copy is the source as of one read transaction,
	 * whatever the writers do meanwhile (WAL lets them go on). */
	int rc = STORE_ERROR;
	sqlite3_backup *b = sqlite3_backup_init(db_of(&dst), "main", db_of(&src), "main");
	if (!b) {
		store_seterr(err, STORE_ERROR, "%s: %s", to, sqlite3_errmsg(db_of(&dst)));
	} else {
		int step = sqlite3_backup_step(b, -1);
		int fin = sqlite3_backup_finish(b);
		if (step == SQLITE_DONE && fin == SQLITE_OK)
			rc = STORE_OK;
		else
			store_seterr(err, map_rc(step == SQLITE_DONE ? fin : step), "%s: %s", from,
				     sqlite3_errstr(step == SQLITE_DONE ? fin : step));
	}
	if (rc == STORE_OK) {
		db_rows r;
		rc = db_query(&dst, "PRAGMA integrity_check", DB_NOARGS, &r);
		const char *ok = rc == STORE_OK && db_next(&r) ? db_text(&r, 0) : NULL;
		if (!ok || strcmp(ok, "ok") != 0)
			rc = store_seterr(err, STORE_ERROR,
					  "%s: the copy fails its integrity check: %s", to,
					  ok ? ok : sqlite3_errmsg(db_of(&dst)));
		db_done(&r);
	}
	lite_close(&dst);
	lite_close(&src);
	return rc;
}
