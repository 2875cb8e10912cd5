/*
 * store_int — what the store's files share, and nobody else sees (see store.h).
 *
 * The store is one module in several files: store.c (backends, connections, the
 * writer thread and its group commit, open/close), store_records.c (records, lists,
 * history, tracking links), store_migrate.c (schema changes), store_auth.c (people,
 * rights, sessions, audit), store_outbox.c (the mail queue), store_cluster.c (what
 * engines sharing one PostgreSQL agree on), and the driver interface store_db.c with
 * its two engines, store_sqlite.c and store_pg.c — the only files that include
 * sqlite3.h or libpq-fe.h. The rules of store.c's header hold in all of them: values
 * are bound, identifiers checked and quoted, statements released before the function
 * that took them returns.
 */
#ifndef SMALLAPPS_STORE_INT_H
#define SMALLAPPS_STORE_INT_H

#include <pthread.h>
#include <stdarg.h>

#include "buf.h"
#include "store.h"
#include "store_db.h"

#define GROUP_MAX  512 /* jobs per transaction */
#define CACHE_MAX  256 /* SQLite statements per connection before the cache is flushed */
#define BUSY_MS	   5000
#define CURSOR_MAX 1024 /* characters of an `after` cursor */
#define SEARCH_MAX 1000 /* bytes of a `q` search */
#define LIMIT_MAX  500
#define DAY	   86400
#define IDENT_MAX  63 /* bytes of a name: PostgreSQL truncates longer ones */

/* Where the databases live: SQLite files under a folder, or one PostgreSQL database. */
struct store_backend {
	db_kind kind;
	char *data_dir; /* SQLite: data/ (system.db, apps/<id>.db) */
	char *conninfo; /* PostgreSQL: the URL or key=value string */
	/* PostgreSQL: one pool of connections for every store of the process */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	conn *idle;
	int open, max;
	bool closing;
	bool unaccent; /* PostgreSQL: the unaccent extension is there (searches) */
};

typedef struct job {
	store_apply_fn apply;
	store_done_fn done;
	void *arg;
	int rc;
	struct job *next;
} job;

struct store {
	store_backend *b; /* borrowed */
	char *name;	  /* the file (SQLite) or the schema (PostgreSQL), for logs */
	char *schema;	  /* PostgreSQL: quoted schema and a dot, e.g. "app_x".; SQLite: "" */
	conn w;		  /* SQLite: the writer connection, used by the writer thread only */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu; /* guards the queue, stopping and the counters */
	pthread_cond_t cv;
	job *head, *tail;
	bool stopping;
	uint64_t groups, jobs, failed_groups;
	pthread_mutex_t pool_mu; /* SQLite: guards pool */
	conn *pool;		 /* SQLite: idle read-only connections */
	char *files_dir;	 /* SQLite: data/files/<app> (store_files.c) */
	char (*gone)[65];	 /* writer thread: contents to remove after the commit */
	size_t ngone, capgone;
};

struct store_tx {
	store *s;
	conn *c;
};

/* err gets the message (STORE_ERR_LEN); returns rc. */
int store_seterr(char *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * A connection for reading: SQLite, a read-only one of the store's file; PostgreSQL,
 * one of the backend's pool (waiting a few seconds at most when all are busy).
 * STORE_OK, STORE_UNAVAILABLE (the database cannot be reached) or STORE_ERROR.
 */
int store_reader_take(store *s, conn **out);
void store_reader_give(store *s, conn *c);

/*
 * SQL text for s from a template: `{name}` becomes the table's qualified, quoted name
 * ("name", or "schema"."name" on PostgreSQL). Returns b's text (b is reset first).
 */
const char *store_sql(const store *s, buf *b, const char *tmpl);
/* Appends the qualified, quoted name of table `name` of s. */
void store_put_table(buf *b, const store *s, const char *name);

/* Runs a template (store_sql) with its arguments to its end. */
int store_exec(store_tx *tx, const char *tmpl, const db_arg *a, int n, int64_t *changes);

/* Sets key in the app database's _meta table; gets it (*out NULL when absent; caller frees). */
int store_meta_set(store *s, conn *c, const char *key, const char *val);
/* Whether the app's table name exists. */
int store_table_exists(store_tx *tx, const char *name, bool *out);
/* Each repeat of f as a table of its own kept by triggers (store_lines.c). */
int store_lines_migrate(store_tx *tx, const def_form *f, char *err);
int store_meta_get(store *s, conn *c, const char *key, char **out);
/* Inside apply: up to limit records of f with an id above `after`, by id. */
int store_tx_page_by_id(store_tx *tx, const def_form *f, int64_t after, int limit, store_page *out);

/* Definition names usable as SQL identifiers: [a-z][a-z0-9_]*, at most IDENT_MAX bytes. */
bool store_ident_ok(const char *s);
/* Appends s double-quoted (it passed store_ident_ok). */
void store_put_ident(buf *b, const char *s);
/* The form's id and every column name are usable identifiers. */
bool store_form_ok(const def_form *f);

/*
 * Opens the database `name` of backend b (a file under data_dir, or a schema) and runs
 * bootstrap(s, w) inside one transaction to create or check its tables; starts the
 * writer. NULL + err on failure.
 */
typedef int (*store_bootstrap_fn)(store *s, conn *w, char *err);
store *store_open_with(store_backend *b, const char *name, store_bootstrap_fn bootstrap,
		       char err[STORE_ERR_LEN]);

/*
 * store_files.c: rewrites the file references of record id of f (r NULL: deleted) and
 * notes the contents no record uses any more; store_files_after removes them once the
 * group is committed (committed false: forgets the notes).
 */
bool store_form_has_files(const def_form *f);
int store_files_refs(store_tx *tx, const def_form *f, int64_t id, const record *r);
void store_files_after(store *s, conn *c, bool committed);
/* The references of the file columns marked in cols (a purge emptied them). */
int store_files_drop(store_tx *tx, const def_form *f, int64_t id, const bool *cols);

/* PostgreSQL: the cluster's own tables (store_cluster.c), made once, on c. */
int store_cluster_prepare(conn *c, char err[STORE_ERR_LEN]);

/* PostgreSQL: a connection of the pool (STORE_UNAVAILABLE when it cannot be had). */
int store_pg_take(store_backend *b, conn **out);
void store_pg_give(store_backend *b, conn *c);
/* PostgreSQL: holds a transaction-scoped advisory lock named by key (the rest of the
 * transaction runs alone among the engines that take it). */
int store_pg_xact_lock(conn *c, const char *key);

/*
 * Governance (store_gov.c), inside the migration's transaction: the indexes the
 * dashboard and the purge read, and the durations counted from the history the first
 * time, or again when `moved` (state moves wrote history lines in bulk).
 */
int store_gov_migrate(store_tx *tx, const def_form *f, bool moved, char *err);
/*
 * The dashboard's tallies (store_tally.c), around the migration of a form:
 * store_tally_begin, before its columns move, drops the triggers that keep them when
 * the form's choice columns changed (*changed); store_tally_end then makes them again
 * and counts the form's tallies again from its rows.
 */
int store_tally_begin(store_tx *tx, const def_form *f, bool *changed, char *err);
int store_tally_end(store_tx *tx, const def_form *f, bool changed, char *err);
/* A state change of record_id at `at` to to_state, about to be written in the history:
 * the stay it ends and the state it reaches join the durations (store_tx_history). */
int store_gov_note(store_tx *tx, const def_form *f, int64_t record_id, const char *at,
		   const char *to_state);
/* The name of an index of form's table (store_migrate.c), quoted, appended to out. */
void store_index_name(const conn *c, const char *form, const char *suffix, buf *out);

/* A list's sort order, resolved against the form (store_records.c). */
typedef struct sortkey {
	char key[80]; /* normalised: "name" or "-name"; stamped into cursors */
	bool desc;
	int sel;	 /* index in the select list */
	const char *col; /* column name, unquoted */
	bool nonnull;	 /* never NULL (id, creation and update times): no NULL ordering */
} sortkey;
int store_parse_sort(const def_form *f, const char *sort, sortkey *k, char *err);
/*
 * Search: the form's search fields that every reader may read (not private), into out
 * (may be NULL; room for list.search.n); and a record's folded text of them, one line
 * per field, kept in the column _search (NULL: nothing to search). Caller frees.
 */
size_t store_search_fields(const def_form *f, const def_field **out);
char *store_search_text(const def_form *f, const record *r);

/* The engine's plan of segment seg of a list query (tests hold it: a range, never a scan). */
int store_list_explain(store *s, const def_form *f, const store_query *q, int seg, buf *plan);

#endif
