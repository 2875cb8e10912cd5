/*
 * store — the only module that speaks SQL (SPEC 3, 4.8, 10, 14).
 *
 * A backend is where the databases live: SQLite files under the data folder (the
 * default: data/apps/<id>.db per app, data/system.db for people and rights), or one
 * PostgreSQL database that several engines may share (a schema per app, "app_<id>",
 * and "smallapps" for the system tables). The same SQL, the same answers, on both.
 *
 * One `store` per app database: a table per form (a column per data field plus
 * system columns), a history table, and a schema table remembering each column's
 * declared field type.
 *
 * Writes go through one writer thread per store, with group commit: jobs queued by
 * store_submit run one after another inside a single transaction, each in its own
 * savepoint (a failing job rolls back alone), then one COMMIT makes the whole group
 * durable and only then are the jobs' `done` callbacks called. So a request answered
 * after `done` is on disk, and many requests share one fsync.
 *
 * Reads use pooled connections (SQLite: read-only ones per file, WAL readers never
 * block the writer; PostgreSQL: the backend's pool). Prepared statements are cached
 * per connection. Identifiers come only from checked definition names, always
 * quoted; values are always bound.
 *
 * Thread-safety: every function may be called from any thread, except store_tx_*
 * which are valid only inside an apply callback on the writer thread.
 */
#ifndef SMALLAPPS_STORE_H
#define SMALLAPPS_STORE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "def.h"
#include "record.h"

#define STORE_ERR_LEN 512

enum {
	STORE_OK = 0,
	STORE_ERROR = -1, /* SQLite or I/O failure: a 500 */
	STORE_NOTFOUND = -2,
	STORE_CONFLICT = -3,   /* stale version */
	STORE_BADQUERY = -4,   /* malformed cursor, unknown sort field: a 400 */
	STORE_REFUSED = -5,    /* migration refused (incompatible change) */
	STORE_UNAVAILABLE = -6 /* the database cannot be reached now: a 503, try again */
};

typedef struct store store;
typedef struct store_backend store_backend;

/*
 * database NULL or "": SQLite files under data_dir (created as needed). Otherwise a
 * PostgreSQL connection string (postgres://user@host/db or key=value), tried once
 * now so that a wrong one is said at start. NULL + err on failure.
 */
store_backend *store_backend_open(const char *database, const char *data_dir,
				  char err[STORE_ERR_LEN]);
/* After every store of the backend is closed. NULL is fine. */
void store_backend_close(store_backend *b);
/* PostgreSQL: other engines may share these databases (SQLite files: this process only). */
bool store_backend_shared(const store_backend *b);
const char *store_backend_data_dir(const store_backend *b);
/* Can the database be reached now? STORE_OK or STORE_UNAVAILABLE (always OK on SQLite). */
int store_ping(store_backend *b);
/*
 * A random secret of len bytes (at most 64) shared by every engine of the backend, made
 * on first use: SQLite, <data>/<name>.key (mode 0600); PostgreSQL, a row of the system
 * schema. name: [a-z][a-z0-9_]*.
 */
int store_secret(store_backend *b, const char *name, unsigned char *out, size_t len,
		 char err[STORE_ERR_LEN]);

/*
 * Releases (PostgreSQL only): the versions of the apps that engines sharing the
 * database checked and published, so that a folder copied on one engine is served by
 * all. The current release of an app is its newest; withdrawn: its folder was removed.
 */
typedef struct store_release {
	int64_t id;
	char *app, *hash;
	bool withdrawn;
} store_release;
int store_releases_current(store_backend *b, store_release **out, size_t *n);
void store_releases_free(store_release *v, size_t n);
/* The packed sources of release id (appsrc_pack); caller frees. */
int store_release_files(store_backend *b, int64_t id, char **files);
/* Was app ever published with this hash? */
int store_release_known(store_backend *b, const char *app, const char *hash, bool *out);
/*
 * A new current release of app (files NULL: withdrawn), and a notification to every
 * engine; when the current one already is that version, nothing (*fresh false, *id its).
 */
int store_release_publish(store_backend *b, const char *app, const char *hash, const char *files,
			  const char *by, int64_t *id, bool *fresh);

/*
 * Notifications between engines (PostgreSQL; NULL on SQLite): store_listen_wait waits
 * at most ms and answers 1 when something was said on the channel, or when the link
 * came back after a loss (anything may have been missed: look afresh), else 0. It
 * reconnects by itself, at most once a second.
 */
typedef struct store_listener store_listener;
store_listener *store_listen(store_backend *b, const char *channel);
int store_listen_wait(store_listener *l, int ms);
void store_listen_close(store_listener *l);

/*
 * Event counters shared by the engines (PostgreSQL), for rate limits: kept in an
 * unlogged table (no fsync per event; a server crash forgets them). A counter counts
 * the events since its start; one whose start (by_last: whose last event) is at or
 * before cut starts again. store_counter_add counts one event and gives the result.
 * keys are already hashed by the caller (no address is stored as such).
 */
typedef struct store_counter {
	int64_t n, start, last;
} store_counter;
int store_counter_add(store_backend *b, const char *key, int64_t now, int64_t cut, bool by_last,
		      store_counter *out);
/* Each key's counter (all zero when none); a NULL key is skipped. */
int store_counters_get(store_backend *b, const char *const *keys, size_t n, store_counter *out);
int store_counter_forget(store_backend *b, const char *key);

/*
 * The scheduler's pass of a minute is run by one engine of the cluster: the first to
 * claim it (*mine true; who gets the claimer's name). On SQLite always this one. A
 * pass that dies is harmless: each move is conditional, the next minute's pass goes on.
 */
int store_tick_claim(store_backend *b, int64_t minute, const char *by, bool *mine, char *who,
		     size_t wholen);

/*
 * Opens or creates the database of app `app_id` (with the engine's own tables:
 * history, schema, outbox, tracking links) and starts its writer thread. NULL + err
 * on failure.
 */
store *store_open(store_backend *b, const char *app_id, char err[STORE_ERR_LEN]);
/* Finishes queued writes, stops the writer, closes every connection. NULL is fine. */
void store_close(store *s);

/*
 * Brings the schema in line with `app` in one transaction: creates tables, adds
 * columns for new fields, renames columns for renamed_from, keeps removed columns,
 * refuses (STORE_REFUSED + err) type changes that could lose or reinterpret data,
 * and removed states still holding records unless workflow.state_moves maps them
 * (then moves them with a history line by "system" each). `now` stamps those lines.
 */
int store_migrate(store *s, const def_app *app, time_t now, char err[STORE_ERR_LEN]);

/* Who may read what: the compiled read rule (SPEC 5), one predicate for every query. */
typedef struct store_scope {
	bool none;	   /* no read right at all: every query is empty */
	const char *owner; /* non-NULL: only records created_by == owner */
} store_scope;

/* scope NULL means no restriction (engine-internal reads only); NOTFOUND when out of scope. */
int store_get(store *s, const def_form *f, int64_t id, const store_scope *scope, time_t now,
	      record *out);

typedef struct store_eq {
	int col;	   /* data column */
	const char *value; /* canonical text (validate_matches form); multichoice: contains */
} store_eq;

/* Why a query was refused with STORE_BADQUERY, for a message in the caller's language. */
typedef enum store_bad {
	STORE_BAD_NONE = 0,
	STORE_BAD_STATE,  /* state: not a state of the form */
	STORE_BAD_FILTER, /* a filter: unknown field, or a boolean's value not true/false */
	STORE_BAD_SEARCH, /* q: too long */
	STORE_BAD_SORT,	  /* sort: not a field of the form */
	STORE_BAD_CURSOR, /* after: malformed, or made for another sort order */
	STORE_BAD_LIMIT	  /* limit: out of 1..500 */
} store_bad;

typedef struct store_query {
	store_scope scope;
	const char *state; /* NULL: any */
	const store_eq *eq;
	size_t neq;
	const char *q;	      /* text search over form->list.search, NULL: none */
	const bool *readable; /* per data column, those q may search (private fields of
			       * others are not: a match would reveal them); NULL: all */
	bool overdue_only;
	time_t entered_before; /* non-zero: only records that entered their state at or before it */
	/* references (reference.h): only these ids (nids 0: any); only records whose column
	 * contains_col holds every word of contains, accents and case aside (NULL: any) */
	const int64_t *ids;
	size_t nids;
	int contains_col;
	const char *contains;
	time_t now;	   /* for overdue */
	const char *sort;  /* "name" or "-name": a data column or id/created_at/updated_at/state;
			      NULL: list.sort */
	int limit;	   /* 1..500 */
	const char *after; /* opaque cursor from a previous page, NULL: first page */
	store_bad *why;	   /* when not NULL, set on STORE_BADQUERY */
} store_query;

typedef struct store_page {
	record *v;
	size_t n;
	char *next; /* cursor of the next page or NULL; owned */
} store_page;

int store_list(store *s, const def_form *f, const store_query *q, store_page *out,
	       char err[STORE_ERR_LEN]);
void store_page_free(store_page *p);
/*
 * The same page without copying it: fn gets each row in order, as a record whose
 * strings are SQLite's own, valid during the call only (fn must not keep or clear
 * it). *next gets the cursor of the next page or NULL (caller frees). fn must not
 * use the store. Used by the API list, which streams rows straight into JSON.
 */
typedef void (*store_row_fn)(void *arg, const record *rec);
int store_list_each(store *s, const def_form *f, const store_query *q, store_row_fn fn, void *arg,
		    char **next, char err[STORE_ERR_LEN]);
/* Count with the same predicate as store_list (limit/after/sort ignored). */
int store_count(store *s, const def_form *f, const store_query *q, int64_t *out);
/*
 * The same, counting no further than cap + 1: a list says "more than cap" without
 * reading a million matches for a number nobody reads exactly.
 */
int store_count_upto(store *s, const def_form *f, const store_query *q, int64_t cap, int64_t *out);

/* Per-state counts for the app home: total and overdue per state id. */
typedef struct store_state_count {
	const char *state; /* borrowed from the definition; NULL for forms without workflow */
	int64_t total;
	int64_t overdue;
} store_state_count;
/* out has room for max(1, nstates) entries; returns the number filled, or < 0. */
int store_count_states(store *s, const def_form *f, const store_scope *scope, time_t now,
		       store_state_count *out);

typedef struct store_history_line {
	int64_t id;
	char *at, *actor, *action; /* action: create, update, transition, delete, move */
	char *from_state, *to_state, *transition, *comment;
	json_t *changes; /* {"field": [old, new]} in API value form; owned */
} store_history_line;

int store_history(store *s, const def_form *f, int64_t record_id, store_history_line **out,
		  size_t *n);
void store_history_free(store_history_line *v, size_t n);
void store_history_line_clear(store_history_line *l);

/* ---- writes (group commit) ---- */

typedef struct store_tx store_tx;
/* Runs on the writer thread inside a savepoint; return STORE_OK or an error code. */
typedef int (*store_apply_fn)(store_tx *tx, void *arg);
/* Runs on the writer thread once the group is durable (rc from apply, or STORE_ERROR). */
typedef void (*store_done_fn)(void *arg, int rc);

/*
 * After store_close has begun, done(arg, STORE_ERROR) is called at once, on the
 * caller's thread. apply and done must not call store_write_sync (the writer would
 * wait for itself; it is refused with STORE_ERROR).
 */
void store_submit(store *s, store_apply_fn apply, store_done_fn done, void *arg);
/* Submits and waits; returns apply's rc (or STORE_ERROR when the commit failed). */
int store_write_sync(store *s, store_apply_fn apply, void *arg);

/* Inside apply only. The caller fills r (created_* / updated_* / state / def_hash). */
int store_tx_insert(store_tx *tx, const def_form *f, record *r); /* sets r->id, version 1 */
/* STORE_NOTFOUND, STORE_CONFLICT when the row's version != expect; bumps r->version. */
int store_tx_update(store_tx *tx, const def_form *f, record *r, int64_t expect_version);
int store_tx_delete(store_tx *tx, const def_form *f, int64_t id);
int store_tx_get(store_tx *tx, const def_form *f, int64_t id, record *out);
int store_tx_history(store_tx *tx, const def_form *f, int64_t record_id, const char *at,
		     const char *actor, const char *action, const char *from_state,
		     const char *to_state, const char *transition, const char *comment,
		     json_t *changes /* borrowed, may be NULL */);
/*
 * Public tracking links (tracking.h): the token's hash -> form and record. The find
 * answers STORE_NOTFOUND for an unknown hash; the tx ones run inside apply, with the
 * record's insert or delete.
 */
int store_tracking_find(store *s, const char *hash, char form[64], int64_t *id);

/*
 * Idempotency keys of API creates: key is a digest of (person, Idempotency-Key), body a
 * digest of the request. The row goes in with the record, in its transaction, so a key
 * is taken exactly when its record exists; a second insert of a key taken within the
 * retention (since) is STORE_CONFLICT. The first answer is kept afterwards
 * (store_idem_answer, queued, not waited for) for the retries to be given.
 */
typedef struct store_idem {
	char *body, *form;
	int64_t record_id;
	int status;		   /* 0 until the answer is kept */
	char *location, *response; /* NULL until then */
} store_idem;
int store_idem_get(store *s, const char *key, int64_t since, store_idem *out);
void store_idem_clear(store_idem *x);
int store_tx_idem_add(store_tx *tx, const char *key, const char *body, const char *form,
		      int64_t record_id, int64_t now, int64_t since);
void store_idem_answer(store *s, const char *key, int status, const char *location,
		       const char *response);
int store_tx_tracking_add(store_tx *tx, const char *hash, const char *form, int64_t id);
int store_tx_tracking_remove(store_tx *tx, const char *hash);

/*
 * For the admin pages (SPEC 6): store_user_set_disabled disables (ends the person's
 * sessions; their tokens stop at their next look-up) or enables a person, audited
 * user.disable / user.enable. store_user_last_login: ISO time or NULL (never).
 * Tokens of a person (their hash is the handle; the token itself is never kept), and
 * their revocation, audited token.revoke. NOTFOUND for an unknown person or token.
 */
int store_user_set_disabled(store *s, const char *login, bool disabled, const char *actor,
			    const char *at);
int store_user_last_login(store *s, const char *login, char **out);
typedef struct store_token_row {
	char *hash, *label, *created_at;
	int64_t last_used; /* -1: never */
} store_token_row;
int store_token_list(store *s, const char *login, store_token_row **out, size_t *n);
void store_token_rows_free(store_token_row *v, size_t n);
int store_token_revoke(store *s, const char *login, const char *hash, const char *actor,
		       const char *at);

/* ---- the mail queue of an app database (_outbox; the policy is outbox.h's) ---- */

typedef struct store_mail_row {
	int64_t id;
	char *form;
	int64_t record_id;
	char *created_at;
	char *to; /* the recipient spec as queued ("role:agent", an address) */
	char *subject;
	char *body;   /* NULL in store_outbox_recent */
	char *status; /* "pending", "sent" or "failed" */
	int attempts;
	char *next_attempt_at;
	char *last_error; /* NULL when none */
	char *sent_at;	  /* NULL until sent */
	char *smtp_reply; /* the server's final answer to a sent message, or NULL */
} store_mail_row;

/* Inside apply: one pending row, due at `at`. */
int store_tx_outbox_add(store_tx *tx, const char *form, int64_t record_id, const char *at,
			const char *to, const char *subject, const char *body);
/* Mails waiting to leave (status pending), for /metrics. */
int store_outbox_pending(store *s, int64_t *n);
/* The newest `limit` rows, newest first, without bodies. *out: store_outbox_rows_free. */
int store_outbox_recent(store *s, int limit, store_mail_row **out, size_t *n);
/* The pending rows due at now_iso, oldest due first, with bodies. */
int store_outbox_due(store *s, const char *now_iso, int limit, store_mail_row **out, size_t *n);
void store_outbox_rows_free(store_mail_row *v, size_t n);

/*
 * A row's new status, written only if it is still 'pending' with expect_attempts
 * attempts (else STORE_CONFLICT: someone else has it). NULL next_attempt_at and
 * last_error keep the row's. Recipients in retry_to (refused for now after a send)
 * each get a pending row of their own with the same text, due at retry_at, their
 * last_error retry_reply; one that cannot be written is logged and does not undo the
 * change (the others got the mail).
 */
typedef struct store_mail_update {
	int64_t id;
	int expect_attempts;
	const char *status;
	int attempts;
	const char *next_attempt_at;
	const char *last_error;
	const char *sent_at;
	const char *smtp_reply;
	const char *const *retry_to;
	size_t nretry;
	const char *retry_reply;
	const char *retry_at;
} store_mail_update;
int store_outbox_update(store *s, const store_mail_update *u);

/* ---- governance: the dashboard's aggregates, retention purges (store_gov.c) ---- */

/*
 * The dashboard's counts of f, kept by the database as records are written
 * (store_tally.c): fn gets (dim, value, n) with dim "_state" (value: a state),
 * "_hour" (value: an hour of creation, UTC "YYYY-MM-DDTHH", inside [hour_from,
 * hour_to); every other hour is summed into the value "") or a choice column's name
 * (value: an option), and "_last" (value "", n: the newest _updated_at of the form, in
 * Unix seconds). Values with no record may come with n = 0.
 */
typedef void (*store_tally_fn)(void *arg, const char *dim, const char *val, int64_t n);
int store_tallies(store *s, const def_form *f, const char *hour_from, const char *hour_to,
		  store_tally_fn fn, void *arg);
/* out[i]: the records in workflow state i that are not overdue (SPEC 4.5): they entered
 * it less than its due days before now (or at no known time); 0 for a state with no
 * due days. Overdue ones are the state's tally less these (the recent side of the
 * state's index is the short one). */
int store_count_not_overdue(store *s, const def_form *f, time_t now, int64_t *out);

/*
 * Durations from the history, in tenths of a day (each rounded half up), kept as
 * histograms while history lines are written: STORE_STAY, how long records stayed in
 * a state before leaving it for another (a stay entered and left); STORE_REACH, how
 * long after their creation records entered a state. fn gets (tenths, how many) by
 * increasing tenths, summed over `states`.
 */
typedef enum store_duration { STORE_STAY, STORE_REACH } store_duration;
typedef void (*store_duration_fn)(void *arg, int64_t tenths, int64_t n);
int store_durations(store *s, const def_form *f, store_duration kind, const char *const *states,
		    size_t nstates, store_duration_fn fn, void *arg);
/* Counts them again from the history of f (after lines were written in bulk). */
int store_durations_rebuild(store *s, const def_form *f);
/* Each distinct (form, transition, to_state) of the history's state lines (transition
 * NULL for a create or a state move): what app tests reached (SPEC 13). */
typedef void (*store_reached_fn)(void *arg, const char *form, const char *transition,
				 const char *state);
int store_reached(store *s, store_reached_fn fn, void *arg);

/*
 * A retention purge (SPEC 11): every record of f in one of `states` since before
 * `before`, and not purged yet, loses the values of the columns `erase` marks (personal
 * fields, files) and gets _purged_at = now; in its history the old and new values of
 * those columns and every comment are erased (who, when, from, to stay), and a line
 * "purge" by system is added. Batch by batch, a writer job each; each record is a
 * conditional update of the version read (a record changed meanwhile waits for the
 * next pass), so a pass run twice, or by two engines, purges each record once.
 * *purged counts the records purged by this call. stop (may be NULL) ends it between
 * batches.
 */
typedef struct store_purge_req {
	const def_form *f;
	const bool *erase; /* per data column */
	const char *const *states;
	size_t nstates;
	time_t before;
	time_t now;
	const atomic_bool *stop;
} store_purge_req;
int store_purge(store *s, const store_purge_req *q, int64_t *purged);

/*
 * ---- file contents (file fields), by SHA-256 ----
 * store_tx_blob_put, inside apply: makes the content of the finished upload at path
 * (its sha256 and size known) available to the records of the transaction; the
 * references follow the records by themselves (insert, update, delete), and a content
 * no record uses any more is removed after the commit. store_blob_* read one for a
 * download (STORE_NOTFOUND when it is not there); store_files_sweep removes contents
 * nobody refers to (left by a failed write), *removed says how many.
 */
int store_tx_blob_put(store_tx *tx, const char *sha256, const char *path, int64_t size);
typedef struct store_blob store_blob;
int store_blob_open(store *s, const char *sha256, int64_t *size, store_blob **out);
long store_blob_read(store_blob *b, char *out, size_t max); /* bytes; 0 at the end; -1 */
void store_blob_close(store_blob *b);
int store_files_sweep(store *s, int *removed);

/*
 * A consistent copy of a SQLite installation into dir (absent or empty): system.db and
 * apps/<id>.db, each by SQLite's online backup API (the database as of one read
 * transaction, while the engine goes on writing) and checked by PRAGMA
 * integrity_check, then the file contents they refer to under files/<id>/. missing:
 * contents a write deleted between the two steps. STORE_REFUSED for PostgreSQL
 * (pg_dump is its tool) or a folder that is not empty.
 */
typedef struct store_backup_report {
	int databases;
	int64_t files, bytes;
	int missing;
} store_backup_report;
int store_backup(store_backend *b, const char *dir, store_backup_report *out,
		 char err[STORE_ERR_LEN]);

/* Writer counters, for /metrics and tests: jobs per group shows group commit at work. */
typedef struct store_stats {
	uint64_t groups; /* transactions committed or attempted */
	uint64_t jobs;	 /* jobs run */
	uint64_t
	    failed_groups; /* groups whose COMMIT (or BEGIN) failed: every job got STORE_ERROR */
} store_stats;
void store_get_stats(store *s, store_stats *out);

/* ---- the system database: people, rights, sessions, tokens, audit (store_auth.c) ---- */

/* Opens or creates the system database (SQLite: system.db, mode 0600; PostgreSQL: the
 * "smallapps" schema), its tables created or checked. */
store *store_system_open(store_backend *b, char err[STORE_ERR_LEN]);

typedef struct store_user {
	int64_t id;
	char *login, *name, *email;
	bool admin, disabled;
	char *password_hash; /* store_user_get only; NULL: no password sign-in */
} store_user;
void store_user_clear(store_user *u);
void store_strings_free(char **v, size_t n);

/*
 * Writes that the audit log records carry their audit line in the same transaction:
 * at is the time, actor who did it. STORE_CONFLICT: the login exists.
 */
int store_user_insert(store *s, const char *login, const char *name, const char *email, bool admin,
		      const char *hash, const char *at, const char *actor);
/* hash NULL removes password sign-in; every session of the user is closed. */
int store_user_set_password(store *s, const char *login, const char *hash, const char *at,
			    const char *actor);
int store_user_get(store *s, const char *login, store_user *out);
int store_admin_count(store *s, int64_t *out);
/* fn gets each user in login order with their grants ("app:role"); no connection held. */
typedef void (*store_user_fn)(void *arg, const store_user *u, const char *const *grants,
			      size_t ngrants);
int store_user_list(store *s, store_user_fn fn, void *arg);

/* A grant that is held already is STORE_OK without an audit line; revoking one not held
 * (or an unknown login) is STORE_NOTFOUND. */
int store_grant(store *s, bool grant, const char *login, const char *app, const char *role,
		const char *actor, const char *at);
/*
 * A sign-in through the directory: the account login is made (no password) or updated
 * (name, email), and its grants become exactly (apps[i], roles[i]), each change
 * audited with the actor "annuaire". STORE_REFUSED: login is a local account (it has
 * a password) or a disabled one: the directory does not sign it in.
 */
typedef struct store_directory_user {
	const char *login, *name, *email;
	const char *const *apps, *const *roles;
	size_t ngrants;
} store_directory_user;
int store_user_directory(store *s, const store_directory_user *d, const char *at);
/* Roles of login in app (disabled users hold none). *out: store_strings_free. */
int store_roles(store *s, const char *login, const char *app, char ***out, size_t *n);
int store_role_emails(store *s, const char *app, const char *role, char ***out, size_t *n);

/* Secrets are kept by their hash. STORE_NOTFOUND: no such login; STORE_REFUSED: disabled.
 * A new session sweeps the dead ones (expired, or idle since idle_before). */
int store_session_insert(store *s, const char *login, const char *hash, const char *csrf,
			 int64_t now, int64_t expires, int64_t idle_before);
typedef struct store_session {
	char *csrf;
	int64_t last_seen, expires;
	store_user user;
} store_session;
int store_session_get(store *s, const char *hash, store_session *out);
void store_session_clear(store_session *x);
int store_session_delete(store *s, const char *hash);
/* A failed touch only shortens an idle timer by a minute: it is logged, not returned. */
void store_session_touch(store *s, const char *hash, int64_t now);
int store_token_insert(store *s, const char *login, const char *hash, const char *label,
		       const char *at, const char *actor);
/* *last_used: -1 when never used. */
int store_token_get(store *s, const char *hash, int64_t *last_used, store_user *out);
void store_token_touch(store *s, const char *hash, int64_t now);

int store_audit_insert(store *s, const char *at, const char *actor, const char *action,
		       const char *target, const char *detail);
/* fn gets the newest `limit` lines, newest first, with no connection held. */
typedef void (*store_audit_fn)(void *arg, const char *at, const char *actor, const char *action,
			       const char *target, const char *detail);
int store_audit_list(store *s, int limit, store_audit_fn fn, void *arg);
/*
 * The audit log is a chain: each line holds the SHA-256 of the previous line's hash and
 * its own text, and the last hash is kept apart. intact false: first_bad is the first
 * line whose hash does not follow (it, or a line before it, was changed or removed;
 * one past the last line when lines were removed at the end). lines: those checked.
 */
typedef struct store_audit_check {
	bool intact;
	int64_t lines, first_bad;
} store_audit_check;
int store_audit_verify(store *s, store_audit_check *out);
/*
 * A page of the audit log, newest first: lines before id `before` (0: the newest), by
 * actor, kind (login, login_failed, grant, revoke, user, token, deploy, export, purge,
 * backup; store_audit_kind_ok) and time (from <= at < to, ISO UTC texts); at most limit.
 */
typedef struct store_audit_query {
	const char *actor, *kind, *from, *to;
	int64_t before;
	int limit;
} store_audit_query;
typedef struct store_audit_line {
	int64_t id;
	char *at, *actor, *action, *target, *detail;
} store_audit_line;
bool store_audit_kind_ok(const char *kind);
int store_audit_page(store *s, const store_audit_query *q, store_audit_line **out, size_t *n);
void store_audit_lines_free(store_audit_line *v, size_t n);

#endif
