/*
 * store_int — what the store's files share, and nobody else sees (see store.h).
 *
 * The store is one module in several files: store.c (connections, statement cache,
 * the writer thread and its group commit, open/close), store_records.c (records,
 * lists, history, tracking links), store_migrate.c (schema changes), store_auth.c
 * (system.db: people, rights, sessions, audit), store_outbox.c (the mail queue).
 * Only these files include sqlite3.h. The rules of store.c's header hold in all of
 * them: values are bound, identifiers checked and quoted, statements released
 * before the function that took them returns.
 */
#ifndef SMALLAPPS_STORE_INT_H
#define SMALLAPPS_STORE_INT_H

#include <sqlite3.h>
#include <stdarg.h>

#include "buf.h"
#include "store.h"

#define GROUP_MAX  512 /* jobs per transaction */
#define CACHE_MAX  256 /* statements per connection before the cache is flushed */
#define BUSY_MS	   5000
#define CURSOR_MAX 1024 /* characters of an `after` cursor */
#define SEARCH_MAX 1000 /* bytes of a `q` search */
#define LIMIT_MAX  500
#define DAY	   86400

typedef struct slot {
	char *sql; /* owned; NULL: empty slot */
	uint64_t hash;
	sqlite3_stmt *st;
} slot;

/* A connection and its statement cache (open addressing, keyed by SQL text). */
typedef struct conn {
	sqlite3 *db;
	slot *slots;
	size_t cap, n;
	struct conn *next; /* read pool free list */
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
	conn w; /* the writer: used by the writer thread only (and store_open) */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu; /* guards the queue, stopping and the counters */
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

/* err gets the message (STORE_ERR_LEN); returns rc. */
int store_seterr(char *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Logs an SQLite failure on c; returns STORE_ERROR. */
int store_sqlfail(conn *c, const char *what);
/*
 * The cached statement for `sql` on c, prepared (persistent) on first use. Borrowed:
 * release it with store_stmt_done before taking another statement from c.
 */
int store_stmt(conn *c, const char *sql, sqlite3_stmt **out);
void store_stmt_done(sqlite3_stmt *st);
/* Runs a cached statement without parameters to its end. */
int store_exec(conn *c, const char *sql);
void store_conn_close(conn *c);
/* A read-only connection of s's pool (opened when none is free); NULL on failure. */
conn *store_reader_take(store *s);
void store_reader_give(store *s, conn *c);
int store_bind_str(sqlite3_stmt *st, int i, const char *s);
/* A heap copy of a text column (NULL stays NULL). */
char *store_col_dup(sqlite3_stmt *st, int i);
/* Sets key in the app database's _meta table. */
int store_meta_set(conn *c, const char *key, const char *val);

/* Definition names usable as SQL identifiers: [a-z][a-z0-9_]*, at most 64 bytes. */
bool store_ident_ok(const char *s);
/* Appends s double-quoted (it passed store_ident_ok). */
void store_put_ident(buf *b, const char *s);
/* The form's id and every column name are usable identifiers. */
bool store_form_ok(const def_form *f);

/*
 * Opens the database at path: WAL, synchronous=FULL, then bootstrap(w) creates or
 * checks its tables inside one transaction; starts the writer. NULL + err on failure.
 */
store *store_open_with(const char *path, int (*bootstrap)(conn *w, char *err),
		       char err[STORE_ERR_LEN]);

/* A list's sort order, resolved against the form (store_records.c). */
typedef struct sortkey {
	char key[80]; /* normalised: "name" or "-name"; stamped into cursors */
	bool desc;
	int sel;	 /* index in the select list */
	const char *col; /* column name, unquoted */
} sortkey;
int store_parse_sort(const def_form *f, const char *sort, sortkey *k, char *err);

#endif
