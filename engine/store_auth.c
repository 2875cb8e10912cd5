/*
 * store_auth — data/system.db: users, role grants, sessions, API tokens and the audit
 * log (see store.h; the policy — who may sign in, hashing, expiry — is auth.c's).
 *
 * The database is opened as any other (store.c: one writer thread with group commit,
 * a pool of readers, statement caches), with its own schema, versioned by
 * PRAGMA user_version. Every change that the audit log must record is written with
 * its audit line in one job, so the two commit together or not at all. Secrets never
 * reach this file: sessions and tokens are looked up by the hash of the secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

#define SCHEMA_VERSION 1

/* Version 1. Times: *_at columns are ISO text for people; session/token clocks are epoch seconds.
 */
static const char schema_v1[] = "CREATE TABLE users("
				" id INTEGER PRIMARY KEY,"
				" login TEXT NOT NULL UNIQUE,"
				" name TEXT NOT NULL DEFAULT '',"
				" email TEXT NOT NULL DEFAULT '',"
				" admin INTEGER NOT NULL DEFAULT 0,"
				" password_hash TEXT,"
				" created_at TEXT NOT NULL,"
				" disabled INTEGER NOT NULL DEFAULT 0);"
				"CREATE TABLE grants("
				" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
				" app TEXT NOT NULL,"
				" role TEXT NOT NULL,"
				" UNIQUE(user_id, app, role));"
				"CREATE INDEX grants_app ON grants(app, role);"
				"CREATE TABLE sessions("
				" token_hash TEXT PRIMARY KEY,"
				" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
				" csrf TEXT NOT NULL,"
				" created_at INTEGER NOT NULL,"
				" last_seen INTEGER NOT NULL,"
				" expires INTEGER NOT NULL) WITHOUT ROWID;"
				"CREATE INDEX sessions_user ON sessions(user_id);"
				"CREATE INDEX sessions_expires ON sessions(expires);"
				"CREATE TABLE tokens("
				" hash TEXT PRIMARY KEY,"
				" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
				" label TEXT NOT NULL DEFAULT '',"
				" created_at TEXT NOT NULL,"
				" last_used INTEGER) WITHOUT ROWID;"
				"CREATE INDEX tokens_user ON tokens(user_id);"
				"CREATE TABLE audit("
				" id INTEGER PRIMARY KEY,"
				" at TEXT NOT NULL,"
				" actor TEXT NOT NULL DEFAULT '',"
				" action TEXT NOT NULL,"
				" target TEXT NOT NULL DEFAULT '',"
				" detail TEXT NOT NULL DEFAULT '');";

/* The schema, created or checked inside the opening transaction (store_open_with). */
static int system_bootstrap(conn *w, char *err)
{
	sqlite3_stmt *st = NULL;
	if (store_stmt(w, "PRAGMA user_version", &st) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		store_stmt_done(st);
		return store_seterr(err, STORE_ERROR, "user_version: %s", sqlite3_errmsg(w->db));
	}
	int version = sqlite3_column_int(st, 0);
	store_stmt_done(st);
	if (version > SCHEMA_VERSION)
		return store_seterr(err, STORE_ERROR,
				    "schema version %d is newer than this engine (%d)", version,
				    SCHEMA_VERSION);
	char *emsg = NULL;
	if (version < 1 &&
	    (sqlite3_exec(w->db, schema_v1, NULL, NULL, &emsg) != SQLITE_OK ||
	     sqlite3_exec(w->db, "PRAGMA user_version = 1", NULL, NULL, &emsg) != SQLITE_OK)) {
		store_seterr(err, STORE_ERROR, "creating the schema: %s",
			     emsg ? emsg : sqlite3_errmsg(w->db));
		sqlite3_free(emsg);
		return STORE_ERROR;
	}
	/* Future versions: `if (version < 2) { ALTER ... }` here, in the same transaction. */
	return STORE_OK;
}

store *store_system_open(const char *path, char err[STORE_ERR_LEN])
{
	/* Created here so it is private from the first byte (SQLite gives -wal/-shm its mode). */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		store_seterr(err, STORE_ERROR, "%s: %s", path, strerror(errno));
		return NULL;
	}
	close(fd);
	return store_open_with(path, system_bootstrap, err);
}

/* ---- users ---- */

void store_user_clear(store_user *u)
{
	if (!u)
		return;
	free(u->login);
	free(u->name);
	free(u->email);
	free(u->password_hash);
	memset(u, 0, sizeof *u);
}

static const char USER_COLS[] = "id, login, name, email, admin, disabled, password_hash";

static void user_from_row(sqlite3_stmt *st, int first, store_user *u, bool with_hash)
{
	memset(u, 0, sizeof *u);
	u->id = sqlite3_column_int64(st, first);
	u->login = store_col_dup(st, first + 1);
	u->name = store_col_dup(st, first + 2);
	u->email = store_col_dup(st, first + 3);
	u->admin = sqlite3_column_int(st, first + 4) != 0;
	u->disabled = sqlite3_column_int(st, first + 5) != 0;
	if (with_hash)
		u->password_hash = store_col_dup(st, first + 6);
}

/* The user `login` on c: STORE_OK (out filled, may be NULL), STORE_NOTFOUND or STORE_ERROR. */
static int user_row(conn *c, const char *login, store_user *out)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT %s FROM users WHERE login = ?1", USER_COLS);
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR, step;
	if (store_stmt(c, sql, &st) != SQLITE_OK || store_bind_str(st, 1, login) != SQLITE_OK) {
		store_stmt_done(st);
		return store_sqlfail(c, "user lookup");
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		if (out)
			user_from_row(st, 0, out, true);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOTFOUND;
	} else {
		store_sqlfail(c, "user lookup");
	}
	store_stmt_done(st);
	return rc;
}

/* Runs one write with up to 6 text/NULL and integer parameters (kinds: 's' or 'i'). */
static int run_write(conn *c, const char *sql, const char *what, const char *kinds, ...)
{
	sqlite3_stmt *st = NULL;
	if (store_stmt(c, sql, &st) != SQLITE_OK)
		return store_sqlfail(c, what);
	va_list ap;
	va_start(ap, kinds);
	int ok = 1;
	for (int i = 0; kinds[i] && ok; i++)
		ok = (kinds[i] == 'i'
			  ? sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t))
			  : store_bind_str(st, i + 1, va_arg(ap, const char *))) == SQLITE_OK;
	va_end(ap);
	int step = ok ? sqlite3_step(st) : SQLITE_ERROR;
	store_stmt_done(st);
	if (step == SQLITE_CONSTRAINT_UNIQUE || step == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    (step & 0xff) == SQLITE_CONSTRAINT)
		return STORE_CONFLICT;
	return step == SQLITE_DONE ? STORE_OK : store_sqlfail(c, what);
}

static int audit_row(conn *c, const char *at, const char *actor, const char *action,
		     const char *target, const char *detail)
{
	return run_write(c,
			 "INSERT INTO audit(at, actor, action, target, detail) VALUES (?1, ?2, ?3, "
			 "?4, ?5)",
			 "audit insert", "sssss", at, actor ? actor : "", action,
			 target ? target : "", detail ? detail : "");
}

typedef struct user_job {
	const char *login, *name, *email, *hash, *at, *actor;
	bool admin;
} user_job;

static int apply_user_insert(store_tx *tx, void *arg)
{
	const user_job *j = arg;
	int rc =
	    run_write(tx->c,
		      "INSERT INTO users(login, name, email, admin, password_hash, created_at) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		      "user insert", "sssiss", j->login, j->name ? j->name : "",
		      j->email ? j->email : "", (int64_t)j->admin, j->hash, j->at);
	if (rc != STORE_OK)
		return rc;
	return audit_row(tx->c, j->at, j->actor, "user.add", j->login, j->admin ? "admin" : "");
}

int store_user_insert(store *s, const char *login, const char *name, const char *email, bool admin,
		      const char *hash, const char *at, const char *actor)
{
	user_job j = {.login = login,
		      .name = name,
		      .email = email,
		      .hash = hash,
		      .at = at,
		      .actor = actor,
		      .admin = admin};
	return store_write_sync(s, apply_user_insert, &j);
}

static int apply_set_password(store_tx *tx, void *arg)
{
	const user_job *j = arg;
	store_user u = {0};
	int rc = user_row(tx->c, j->login, &u);
	if (rc != STORE_OK)
		return rc;
	rc = run_write(tx->c, "UPDATE users SET password_hash = ?2 WHERE login = ?1",
		       "set password", "ss", j->login, j->hash);
	/* A new password closes every open session of the account. */
	if (rc == STORE_OK)
		rc = run_write(tx->c, "DELETE FROM sessions WHERE user_id = ?1", "delete sessions",
			       "i", u.id);
	if (rc == STORE_OK)
		rc = audit_row(tx->c, j->at, j->actor, "user.password", j->login,
			       j->hash ? "" : "removed");
	store_user_clear(&u);
	return rc;
}

int store_user_set_password(store *s, const char *login, const char *hash, const char *at,
			    const char *actor)
{
	user_job j = {.login = login, .hash = hash, .at = at, .actor = actor};
	return store_write_sync(s, apply_set_password, &j);
}

int store_user_get(store *s, const char *login, store_user *out)
{
	conn *c = store_reader_take(s);
	if (!c)
		return STORE_ERROR;
	int rc = user_row(c, login, out);
	store_reader_give(s, c);
	return rc;
}

/* One integer from a one-row query with up to two text parameters. */
static int read_int(store *s, const char *sql, const char *what, const char *a, const char *b,
		    int64_t *out)
{
	conn *c = store_reader_take(s);
	if (!c)
		return STORE_ERROR;
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR;
	if (store_stmt(c, sql, &st) == SQLITE_OK && (!a || store_bind_str(st, 1, a) == SQLITE_OK) &&
	    (!b || store_bind_str(st, 2, b) == SQLITE_OK) && sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = STORE_OK;
	} else {
		store_sqlfail(c, what);
	}
	store_stmt_done(st);
	store_reader_give(s, c);
	return rc;
}

int store_admin_count(store *s, int64_t *out)
{
	*out = 0;
	return read_int(s, "SELECT count(*) FROM users WHERE admin AND NOT disabled", "admin count",
			NULL, NULL, out);
}

/* The text column 0 of every row of a query with up to two text parameters. */
static int read_strings(conn *c, const char *sql, const char *what, const char *a, const char *b,
			int64_t id, char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int step = SQLITE_ERROR;
	*out = NULL;
	*n = 0;
	if (store_stmt(c, sql, &st) == SQLITE_OK &&
	    (a ? store_bind_str(st, 1, a) : sqlite3_bind_int64(st, 1, id)) == SQLITE_OK &&
	    (!b || store_bind_str(st, 2, b) == SQLITE_OK)) {
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 4;
				*out = xrealloc(*out, cap * sizeof **out);
			}
			(*out)[(*n)++] = store_col_dup(st, 0);
		}
	}
	store_stmt_done(st);
	if (step == SQLITE_DONE)
		return STORE_OK;
	store_strings_free(*out, *n);
	*out = NULL;
	*n = 0;
	return store_sqlfail(c, what);
}

void store_strings_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

typedef struct user_entry {
	store_user u;
	char **grants;
	size_t ngrants;
} user_entry;

/* Every user and their grants, read on c. */
static int read_users(conn *c, user_entry **out, size_t *n)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT %s FROM users ORDER BY login", USER_COLS);
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int step = SQLITE_ERROR;
	*out = NULL;
	*n = 0;
	if (store_stmt(c, sql, &st) == SQLITE_OK) {
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				*out = xrealloc(*out, cap * sizeof **out);
			}
			memset(&(*out)[*n], 0, sizeof **out);
			user_from_row(st, 0, &(*out)[(*n)++].u, false);
		}
	}
	store_stmt_done(st);
	int rc = step == SQLITE_DONE ? STORE_OK : store_sqlfail(c, "user list");
	/* The grants of each, once the list statement is done with. */
	for (size_t i = 0; i < *n && rc == STORE_OK; i++)
		rc = read_strings(
		    c,
		    "SELECT app || ':' || role FROM grants WHERE user_id = ?1 ORDER BY app, role",
		    "grants of user", NULL, NULL, (*out)[i].u.id, &(*out)[i].grants,
		    &(*out)[i].ngrants);
	return rc;
}

int store_user_list(store *s, store_user_fn fn, void *arg)
{
	conn *c = store_reader_take(s);
	if (!c)
		return STORE_ERROR;
	user_entry *v = NULL;
	size_t n = 0;
	int rc = read_users(c, &v, &n);
	store_reader_give(s, c);
	/* The callback runs with no connection held. */
	for (size_t i = 0; i < n; i++) {
		if (rc == STORE_OK && fn)
			fn(arg, &v[i].u, (const char *const *)v[i].grants, v[i].ngrants);
		store_strings_free(v[i].grants, v[i].ngrants);
		store_user_clear(&v[i].u);
	}
	free(v);
	return rc;
}

/* ---- grants ---- */

typedef struct grant_job {
	bool grant;
	const char *login, *app, *role, *actor, *at;
} grant_job;

static int apply_grant(store_tx *tx, void *arg)
{
	const grant_job *j = arg;
	store_user u = {0};
	int rc = user_row(tx->c, j->login, &u);
	if (rc != STORE_OK)
		return rc;
	int64_t id = u.id;
	store_user_clear(&u);
	rc = run_write(tx->c,
		       j->grant
			   ? "INSERT OR IGNORE INTO grants(user_id, app, role) VALUES (?1, ?2, ?3)"
			   : "DELETE FROM grants WHERE user_id = ?1 AND app = ?2 AND role = ?3",
		       j->grant ? "grant" : "revoke", "iss", id, j->app, j->role);
	if (rc != STORE_OK)
		return rc;
	/* Granting twice changes nothing and is fine; revoking what is not held is not found. */
	if (sqlite3_changes(tx->c->db) == 0)
		return j->grant ? STORE_OK : STORE_NOTFOUND;
	char detail[160];
	snprintf(detail, sizeof detail, "%s:%s", j->app, j->role);
	return audit_row(tx->c, j->at, j->actor, j->grant ? "grant" : "revoke", j->login, detail);
}

int store_grant(store *s, bool grant, const char *login, const char *app, const char *role,
		const char *actor, const char *at)
{
	grant_job j = {grant, login, app, role, actor, at};
	return store_write_sync(s, apply_grant, &j);
}

static int read_list(store *s, const char *sql, const char *what, const char *a, const char *b,
		     char ***out, size_t *n)
{
	conn *c = store_reader_take(s);
	if (!c) {
		*out = NULL;
		*n = 0;
		return STORE_ERROR;
	}
	int rc = read_strings(c, sql, what, a, b, 0, out, n);
	store_reader_give(s, c);
	return rc;
}

int store_roles(store *s, const char *login, const char *app, char ***out, size_t *n)
{
	return read_list(s,
			 "SELECT g.role FROM grants g JOIN users u ON u.id = g.user_id"
			 " WHERE u.login = ?1 AND g.app = ?2 AND NOT u.disabled ORDER BY g.role",
			 "roles", login, app, out, n);
}

int store_role_emails(store *s, const char *app, const char *role, char ***out, size_t *n)
{
	return read_list(s,
			 "SELECT DISTINCT u.email FROM grants g JOIN users u ON u.id = g.user_id"
			 " WHERE g.app = ?1 AND g.role = ?2 AND NOT u.disabled AND u.email <> ''"
			 " ORDER BY u.email",
			 "role emails", app, role, out, n);
}

/* ---- sessions and API tokens ---- */

typedef struct secret_job {
	const char *login, *hash, *csrf, *label, *at, *actor;
	int64_t now, expires, idle_before;
} secret_job;

/* The user a new secret belongs to: its id, NOTFOUND, or REFUSED when disabled. */
static int owner_id(conn *c, const char *login, int64_t *id)
{
	store_user u = {0};
	int rc = user_row(c, login, &u);
	if (rc == STORE_OK && u.disabled)
		rc = STORE_REFUSED;
	*id = u.id;
	store_user_clear(&u);
	return rc;
}

static int apply_session_insert(store_tx *tx, void *arg)
{
	const secret_job *j = arg;
	int64_t id = 0;
	int rc = owner_id(tx->c, j->login, &id);
	if (rc != STORE_OK)
		return rc;
	/* Sign-ins are rare: a good moment to sweep the dead sessions. */
	rc = run_write(tx->c, "DELETE FROM sessions WHERE expires <= ?1 OR last_seen <= ?2",
		       "session purge", "ii", j->now, j->idle_before);
	if (rc != STORE_OK)
		return rc;
	return run_write(tx->c,
			 "INSERT INTO sessions(token_hash, user_id, csrf, created_at, last_seen, "
			 "expires) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
			 "session insert", "sisii", j->hash, id, j->csrf, j->now, j->expires);
}

int store_session_insert(store *s, const char *login, const char *hash, const char *csrf,
			 int64_t now, int64_t expires, int64_t idle_before)
{
	secret_job j = {.login = login,
			.hash = hash,
			.csrf = csrf,
			.now = now,
			.expires = expires,
			.idle_before = idle_before};
	return store_write_sync(s, apply_session_insert, &j);
}

int store_session_get(store *s, const char *hash, store_session *out)
{
	static const char sql[] =
	    "SELECT s.csrf, s.last_seen, s.expires, u.id, u.login, u.name, u.email, u.admin,"
	    " u.disabled FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1";
	memset(out, 0, sizeof *out);
	conn *c = store_reader_take(s);
	if (!c)
		return STORE_ERROR;
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR, step = SQLITE_ERROR;
	if (store_stmt(c, sql, &st) == SQLITE_OK && store_bind_str(st, 1, hash) == SQLITE_OK)
		step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		out->csrf = store_col_dup(st, 0);
		out->last_seen = sqlite3_column_int64(st, 1);
		out->expires = sqlite3_column_int64(st, 2);
		user_from_row(st, 3, &out->user, false);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOTFOUND;
	} else {
		store_sqlfail(c, "session lookup");
	}
	store_stmt_done(st);
	store_reader_give(s, c);
	return rc;
}

void store_session_clear(store_session *x)
{
	free(x->csrf);
	store_user_clear(&x->user);
	memset(x, 0, sizeof *x);
}

static int apply_session_delete(store_tx *tx, void *arg)
{
	const secret_job *j = arg;
	int rc = run_write(tx->c, "DELETE FROM sessions WHERE token_hash = ?1", "session delete",
			   "s", j->hash);
	return rc == STORE_OK && sqlite3_changes(tx->c->db) == 0 ? STORE_NOTFOUND : rc;
}

int store_session_delete(store *s, const char *hash)
{
	secret_job j = {.hash = hash};
	return store_write_sync(s, apply_session_delete, &j);
}

typedef struct touch_job {
	bool token;
	const char *hash;
	int64_t now;
} touch_job;

static int apply_touch(store_tx *tx, void *arg)
{
	const touch_job *j = arg;
	return run_write(tx->c,
			 j->token ? "UPDATE tokens SET last_used = ?2 WHERE hash = ?1"
				  : "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1 AND "
				    "last_seen < ?2",
			 j->token ? "token touch" : "session touch", "si", j->hash, j->now);
}

/* Waited for, so the next look-up sees it (at most once a minute per secret: auth.c). */
static void touch(store *s, bool token, const char *hash, int64_t now)
{
	touch_job j = {token, hash, now};
	store_write_sync(s, apply_touch, &j);
}

void store_session_touch(store *s, const char *hash, int64_t now)
{
	touch(s, false, hash, now);
}

static int apply_token_insert(store_tx *tx, void *arg)
{
	const secret_job *j = arg;
	int64_t id = 0;
	int rc = owner_id(tx->c, j->login, &id);
	if (rc != STORE_OK)
		return rc;
	rc = run_write(
	    tx->c, "INSERT INTO tokens(hash, user_id, label, created_at) VALUES (?1, ?2, ?3, ?4)",
	    "token insert", "siss", j->hash, id, j->label ? j->label : "", j->at);
	if (rc != STORE_OK)
		return rc;
	return audit_row(tx->c, j->at, j->actor, "token.create", j->login, j->label);
}

int store_token_insert(store *s, const char *login, const char *hash, const char *label,
		       const char *at, const char *actor)
{
	secret_job j = {.login = login, .hash = hash, .label = label, .at = at, .actor = actor};
	return store_write_sync(s, apply_token_insert, &j);
}

int store_token_get(store *s, const char *hash, int64_t *last_used, store_user *out)
{
	static const char sql[] =
	    "SELECT t.last_used, u.id, u.login, u.name, u.email, u.admin, u.disabled FROM tokens t"
	    " JOIN users u ON u.id = t.user_id WHERE t.hash = ?1";
	memset(out, 0, sizeof *out);
	*last_used = -1;
	conn *c = store_reader_take(s);
	if (!c)
		return STORE_ERROR;
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR, step = SQLITE_ERROR;
	if (store_stmt(c, sql, &st) == SQLITE_OK && store_bind_str(st, 1, hash) == SQLITE_OK)
		step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			*last_used = sqlite3_column_int64(st, 0);
		user_from_row(st, 1, out, false);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOTFOUND;
	} else {
		store_sqlfail(c, "token lookup");
	}
	store_stmt_done(st);
	store_reader_give(s, c);
	return rc;
}

void store_token_touch(store *s, const char *hash, int64_t now)
{
	touch(s, true, hash, now);
}

/* ---- audit ---- */

typedef struct audit_job {
	const char *at, *actor, *action, *target, *detail;
} audit_job;

static int apply_audit(store_tx *tx, void *arg)
{
	const audit_job *j = arg;
	return audit_row(tx->c, j->at, j->actor, j->action, j->target, j->detail);
}

int store_audit_insert(store *s, const char *at, const char *actor, const char *action,
		       const char *target, const char *detail)
{
	audit_job j = {at, actor, action, target, detail};
	return store_write_sync(s, apply_audit, &j);
}

int store_audit_list(store *s, int limit, store_audit_fn fn, void *arg)
{
	static const char sql[] =
	    "SELECT at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?1";
	conn *c = store_reader_take(s);
	if (!c)
		return STORE_ERROR;
	sqlite3_stmt *st = NULL;
	char *(*v)[5] = NULL;
	size_t n = 0, cap = 0;
	int step = SQLITE_ERROR;
	if (store_stmt(c, sql, &st) == SQLITE_OK && sqlite3_bind_int(st, 1, limit) == SQLITE_OK) {
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? 2 * cap : 32;
				v = xrealloc(v, cap * sizeof *v);
			}
			for (int k = 0; k < 5; k++)
				v[n][k] = store_col_dup(st, k);
			n++;
		}
	}
	store_stmt_done(st);
	int rc = step == SQLITE_DONE ? STORE_OK : store_sqlfail(c, "audit list");
	store_reader_give(s, c);
	/* The callback runs with no connection held. */
	for (size_t i = 0; i < n; i++) {
		if (rc == STORE_OK && fn)
			fn(arg, v[i][0], v[i][1], v[i][2], v[i][3], v[i][4]);
		for (int k = 0; k < 5; k++)
			free(v[i][k]);
	}
	free(v);
	return rc;
}
