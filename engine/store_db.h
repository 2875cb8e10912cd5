/*
 * store_db — the one interface through which the store's files speak SQL, whatever
 * the engine underneath: SQLite (store_sqlite.c, a file per database) or PostgreSQL
 * (store_pg.c, through libpq). Internal to the store: nothing outside store*.c sees
 * it, and only those two files include their engine's header.
 *
 * SQL is written once, in the dialect both engines share, with these conventions:
 *  - parameters are `?` (in order) or `?N` (numbered); PostgreSQL gets `$N`;
 *  - tables are named `{name}` in templates (store_sql): `"name"` on SQLite (a file
 *    per app), `"schema"."name"` on PostgreSQL (a schema per app), always quoted;
 *  - times are ISO 8601 UTC text compared as text (one representation, no engine
 *    date functions); booleans are integers 0/1 compared with = and <>; TRUE/FALSE
 *    literals; `IS NOT DISTINCT FROM` for NULL-safe equality; NULLS FIRST/LAST
 *    written out wherever order matters; RETURNING for generated ids;
 *  - what truly differs (DDL, catalog queries, JSON containment) asks db_kind().
 * Values are always bound, never spliced: the engine sees text, integers and reals.
 *
 * A connection (conn) belongs to one thread at a time: the store hands it out and
 * takes it back (store_int.h). Its statements are prepared once and cached by text.
 */
#ifndef SMALLAPPS_STORE_DB_H
#define SMALLAPPS_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "store.h"

typedef enum db_kind { DB_SQLITE, DB_PG } db_kind;

/* A bound value: 's' text (NULL s binds NULL), 'i' integer, 'd' real, 'n' NULL. */
typedef struct db_arg {
	char kind;
	const char *s;
	int64_t i;
	double d;
} db_arg;

#define DB_S(x) ((db_arg){.kind = 's', .s = (x)})
#define DB_I(x) ((db_arg){.kind = 'i', .i = (int64_t)(x)})
#define DB_D(x) ((db_arg){.kind = 'd', .d = (x)})
#define DB_NULL ((db_arg){.kind = 'n'})
/* An argument list for db_query/db_exec: DB_ARGS(DB_S(a), DB_I(b)). */
#define DB_ARGS(...)                                                                               \
	(const db_arg[]){__VA_ARGS__}, (int)(sizeof((const db_arg[]){__VA_ARGS__}) / sizeof(db_arg))
#define DB_NOARGS NULL, 0

typedef struct db_slot db_slot;

/* A connection and its statement cache (open addressing, keyed by SQL text). */
typedef struct conn {
	db_kind kind;
	void *h; /* sqlite3 * or PGconn * */
	db_slot *slots;
	size_t cap, n;
	unsigned next_name; /* PostgreSQL: names of prepared statements */
	bool broken;	    /* PostgreSQL: the link is gone; the pool drops it */
	time_t since;	    /* when it was opened (pools renew old ones) */
	struct conn *next;  /* pool free list */
} conn;

/* The rows of one statement, read one at a time. */
typedef struct db_rows {
	conn *c;
	void *st;	 /* sqlite3_stmt * (cached) or PGresult * */
	int row, nrows;	 /* PostgreSQL: the current row of the result */
	int64_t changes; /* rows an INSERT, UPDATE or DELETE touched */
	int rc;		 /* STORE_OK, or why the rows stopped */
} db_rows;

/* Column classes, as stored (SQLite) or declared (PostgreSQL). */
enum { DB_T_NULL, DB_T_INT, DB_T_REAL, DB_T_TEXT };

/*
 * Runs sql with its arguments; its rows come with db_next. Returns STORE_OK, or:
 * STORE_CONFLICT (a unique or primary key constraint), STORE_UNAVAILABLE (the
 * database cannot be reached or is busy past the timeout: a 503, try again),
 * STORE_ERROR (anything else; logged with the statement). out is always safe to
 * db_done.
 */
int db_query(conn *c, const char *sql, const db_arg *a, int n, db_rows *out);
/* The next row: false at the end, or on an error (then r->rc says which). */
bool db_next(db_rows *r);
int db_type(const db_rows *r, int col);
int64_t db_int(const db_rows *r, int col);
double db_real(const db_rows *r, int col);
/* NULL for SQL NULL; valid until the next db_next or db_done. */
const char *db_text(const db_rows *r, int col);
size_t db_len(const db_rows *r, int col);
/* A heap copy of db_text (NULL stays NULL). */
char *db_dup(const db_rows *r, int col);
/* Releases the statement (cached statements are reset); returns r->rc. */
int db_done(db_rows *r);

/* A statement run to its end; *changes (may be NULL) gets the rows it touched. */
int db_exec(conn *c, const char *sql, const db_arg *a, int n, int64_t *changes);
/* One integer from a one-row query (STORE_NOTFOUND: no row). */
int db_int_query(conn *c, const char *sql, const db_arg *a, int n, int64_t *out);
/* Statements without parameters, ';'-separated (DDL). err gets the engine's message. */
int db_script(conn *c, const char *sql, char err[STORE_ERR_LEN]);

/* Is a transaction open on c? (After some failures SQLite rolls back by itself.) */
bool db_in_tx(conn *c);
const char *db_errmsg(conn *c);
/* Logs a failure on c with what was being done; returns rc. */
int db_fail(conn *c, int rc, const char *what);

/* Closes c and frees its statements (not c itself). */
void db_close(conn *c);

/* ---- SQL text ---- */

/* Appends s double-quoted (quotes doubled). */
void db_put_ident(buf *b, const char *s);

/* SQL text plus the values of its `?`s, in order, for queries built piece by piece. */
typedef struct qb {
	buf sql;
	db_arg *v;
	size_t n, cap;
	char **owned;
	size_t nowned;
} qb;
#define QB_INIT                                                                                    \
	{                                                                                          \
		BUF_INIT, NULL, 0, 0, NULL, 0                                                      \
	}
void qb_text(qb *b, const char *s); /* borrowed: must outlive the query */
void qb_text_own(qb *b, char *s);   /* freed by qb_free */
void qb_int(qb *b, int64_t i);
void qb_real(qb *b, double d);
void qb_arg(qb *b, db_arg a); /* a text one is borrowed */
void qb_free(qb *b);
int qb_query(conn *c, const qb *b, db_rows *out);
int qb_exec(conn *c, const qb *b, int64_t *changes);

/* ---- the two drivers (store_sqlite.c, store_pg.c) ---- */

int lite_open(const char *path, bool readonly, conn *c, char err[STORE_ERR_LEN]);
int lite_query(conn *c, const char *sql, const db_arg *a, int n, db_rows *out);
bool lite_next(db_rows *r);
int lite_type(const db_rows *r, int col);
int64_t lite_int(const db_rows *r, int col);
double lite_real(const db_rows *r, int col);
const char *lite_text(const db_rows *r, int col);
size_t lite_len(const db_rows *r, int col);
void lite_done(db_rows *r);
int lite_script(conn *c, const char *sql, char err[STORE_ERR_LEN]);
bool lite_in_tx(conn *c);
const char *lite_errmsg(conn *c);
void lite_close(conn *c);
/* The writer's settings: WAL, synchronous=FULL, foreign keys. NULL or what failed. */
const char *lite_writer_setup(conn *c);
/* A copy of the database file from into to, by the online backup API, checked by
 * PRAGMA integrity_check. */
int lite_backup(const char *from, const char *to, char err[STORE_ERR_LEN]);

int pg_connect(const char *conninfo, conn *c, char err[STORE_ERR_LEN]);
int pg_query(conn *c, const char *sql, const db_arg *a, int n, db_rows *out);
bool pg_next(db_rows *r);
int pg_type(const db_rows *r, int col);
int64_t pg_int(const db_rows *r, int col);
double pg_real(const db_rows *r, int col);
const char *pg_text(const db_rows *r, int col);
size_t pg_len(const db_rows *r, int col);
void pg_done(db_rows *r);
int pg_script(conn *c, const char *sql, char err[STORE_ERR_LEN]);
bool pg_in_tx(conn *c);
const char *pg_errmsg(conn *c);
void pg_close(conn *c);
/* Is the link still up (a cheap check, no round trip)? */
bool pg_alive(conn *c);
/* LISTEN on channel; then pg_wait_notify: 1 notified, 0 nothing within ms, -1 link lost. */
int pg_listen(conn *c, const char *channel);
int pg_wait_notify(conn *c, int ms);

/* A cached statement: its SQL, and the engine's handle (sqlite3_stmt *, or the
 * number of the PostgreSQL prepared statement "sN"). */
struct db_slot {
	char *sql;
	uint64_t hash;
	void *st;
	unsigned id;
};
db_slot *db_cache_get(conn *c, const char *sql);
/* A new slot for sql; the driver fills st or id. The driver empties a full cache first. */
db_slot *db_cache_put(conn *c, const char *sql);
/* Forgets every slot (the driver has released their statements). */
void db_cache_clear(conn *c);

/* `?` and `?N` to `$N`, outside quotes. Caller frees. */
char *db_pg_placeholders(const char *sql);

#endif
