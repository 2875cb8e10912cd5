/*
 * auth — people and their rights, kept in data_dir/system.db (see auth.h).
 *
 * Owns: the system database (schema, versioned by PRAGMA user_version), password
 * hashing (argon2id, OWASP parameters), sessions, API tokens, role grants, the audit
 * log. It does not know about HTTP: callers pass the clock (`now`) where it matters.
 * The login throttle is throttle.c's.
 *
 * Invariants:
 * - Secrets (passwords, session tokens, API tokens) are never stored, logged or kept
 *   after the call: the database holds argon2id hashes of passwords and SHA-256 of
 *   tokens. CSRF tokens are not secrets against a database reader; they are stored as
 *   is and handed back by auth_session_lookup.
 * - Concurrency: one write connection behind `wmu` (every write and every
 *   read-then-write happens there, in a transaction); a pool of up to POOL_MAX read
 *   connections (query_only) handed out under `pmu`, created on demand. A connection
 *   is used by one thread at a time, so SQLite runs in multi-thread mode
 *   (SQLITE_OPEN_NOMUTEX). Prepared statements are cached per connection.
 * - No lock is held while hashing a password (tens of milliseconds): the hash is
 *   computed first, then the write lock is taken. At most HASH_MAX hashes run at once
 *   (each needs 19 MiB), the others wait.
 * - Strings returned in auth_user and by auth_roles are heap copies owned by the
 *   caller (auth_user_clear, auth_roles_free). Callbacks get borrowed strings, valid
 *   during the call only, and are called with no lock and no connection held.
 */
#include "auth.h"

#include "buf.h"
#include "log.h"
#include "util.h"

#include <argon2.h>
#include <sodium.h>
#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Password hashing: argon2id, OWASP minimum (m = 19 MiB, t = 2, p = 1). */
#define PW_T 2
#define PW_M 19456
#define PW_P 1
#define PW_SALT 16
#define PW_HASHLEN 32
#define PW_MAX 4096               /* longest accepted password, bytes */
#define PW_ENCODED 160            /* > argon2_encodedlen() for the parameters above */
#define HASH_MAX 4                /* concurrent argon2 computations */

#define XSTR_(x) #x
#define XSTR(x) XSTR_(x)
#define PW_PREFIX "$argon2id$v=19$m=" XSTR(PW_M) ",t=" XSTR(PW_T) ",p=" XSTR(PW_P) "$"
/* Verified for unknown logins so they cost the same time; same parameters by construction. */
static const char dummy_hash[] =
	PW_PREFIX "c21hbGxhcHBzLWR1bW15AA$tQtUlx4PfFVnVUBh2T2TW+ekbXmwsTbi+V9U72SBQ9U";

#define SESSION_IDLE (12 * 3600)
#define SESSION_MAX (7 * 24 * 3600)
#define TOUCH_EVERY 60            /* last_seen / last_used written at most once a minute */
#define TOKEN_PREFIX "sa_"

#define POOL_MAX 16
#define BUSY_MS 10000
#define SCHEMA_VERSION 1
#define TEXT_MAX 256              /* name, email, label, audit fields are cut here */

/* Throttle: open addressing, short probe window, oldest entry evicted when full. */

enum st {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_USER_INSERT,
	ST_USER_GET,
	ST_USER_SET_PW,
	ST_USER_LIST,
	ST_ADMIN_COUNT,
	ST_GRANTS_OF,
	ST_GRANT,
	ST_REVOKE,
	ST_ROLES,
	ST_ROLE_EMAILS,
	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_TOUCH,
	ST_SESSION_DELETE,
	ST_SESSION_PURGE,
	ST_SESSIONS_OF_USER_DELETE,
	ST_TOKEN_INSERT,
	ST_TOKEN_GET,
	ST_TOKEN_TOUCH,
	ST_AUDIT_INSERT,
	ST_AUDIT_LIST,
	ST_COUNT
};

static const char *const st_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_USER_INSERT] = "INSERT INTO users(login, name, email, admin, password_hash, created_at)"
	                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_USER_GET] = "SELECT id, login, name, email, admin, disabled, password_hash"
	                " FROM users WHERE login = ?1",
	[ST_USER_SET_PW] = "UPDATE users SET password_hash = ?2 WHERE login = ?1",
	[ST_USER_LIST] = "SELECT id, login, name, email, admin FROM users ORDER BY login",
	[ST_ADMIN_COUNT] = "SELECT count(*) FROM users WHERE admin AND NOT disabled",
	[ST_GRANTS_OF] = "SELECT app || ':' || role FROM grants WHERE user_id = ?1"
	                 " ORDER BY app, role",
	[ST_GRANT] = "INSERT OR IGNORE INTO grants(user_id, app, role) VALUES (?1, ?2, ?3)",
	[ST_REVOKE] = "DELETE FROM grants WHERE user_id = ?1 AND app = ?2 AND role = ?3",
	[ST_ROLES] = "SELECT g.role FROM grants g JOIN users u ON u.id = g.user_id"
	             " WHERE u.login = ?1 AND g.app = ?2 AND NOT u.disabled ORDER BY g.role",
	[ST_ROLE_EMAILS] = "SELECT DISTINCT u.email FROM grants g JOIN users u ON u.id = g.user_id"
	                   " WHERE g.app = ?1 AND g.role = ?2 AND NOT u.disabled AND u.email <> ''"
	                   " ORDER BY u.email",
	[ST_SESSION_INSERT] = "INSERT INTO sessions(token_hash, user_id, csrf, created_at, last_seen,"
	                      " expires) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
	[ST_SESSION_GET] = "SELECT s.csrf, s.last_seen, s.expires, u.id, u.login, u.name, u.email,"
	                   " u.admin, u.disabled FROM sessions s JOIN users u ON u.id = s.user_id"
	                   " WHERE s.token_hash = ?1",
	[ST_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1"
	                     " AND last_seen < ?2",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
	[ST_SESSION_PURGE] = "DELETE FROM sessions WHERE expires <= ?1 OR last_seen <= ?2",
	[ST_SESSIONS_OF_USER_DELETE] = "DELETE FROM sessions WHERE user_id = ?1",
	[ST_TOKEN_INSERT] = "INSERT INTO tokens(hash, user_id, label, created_at) VALUES (?1, ?2, ?3, ?4)",
	[ST_TOKEN_GET] = "SELECT t.last_used, u.id, u.login, u.name, u.email, u.admin, u.disabled"
	                 " FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?1",
	[ST_TOKEN_TOUCH] = "UPDATE tokens SET last_used = ?2 WHERE hash = ?1",
	[ST_AUDIT_INSERT] = "INSERT INTO audit(at, actor, action, target, detail)"
	                    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_AUDIT_LIST] = "SELECT at, actor, action, target, detail FROM audit"
	                  " ORDER BY id DESC LIMIT ?1",
};

/* Version 1. Times: *_at columns are ISO text for people; session/token clocks are epoch seconds. */
static const char schema_v1[] =
	"CREATE TABLE users("
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

typedef struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct conn *next;            /* free list of the read pool */
} conn;

struct auth {
	char *path;

	pthread_mutex_t wmu;          /* guards writer */
	conn *writer;

	pthread_mutex_t pmu;          /* guards the read pool */
	pthread_cond_t pcv;
	conn *free_readers;
	int nreaders;                 /* open read connections, free or in use */

	pthread_mutex_t hmu;          /* argon2 gate */
	pthread_cond_t hcv;
	int hashing;
};

/* ---- small helpers ---------------------------------------------------------------- */

static void set_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, AUTH_ERR_LEN, fmt, ap);
	va_end(ap);
}

static void log_db(conn *c, const char *what)
{
	log_message("auth", "%s: %s", what, c && c->db ? sqlite3_errmsg(c->db) : "?");
}

static bool valid_login(const char *s)
{
	size_t n = 0;

	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	/* The history's names for the scheduler and for anonymous people: nobody may sign as them. */
	if (strcmp(s, "system") == 0 || strcmp(s, "anonyme") == 0)
		return false;
	for (n = 1; s[n]; n++) {
		char c = s[n];
		if (n >= 64)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool valid_app(const char *s)
{
	size_t n;

	if (!s || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (n = 1; s[n]; n++) {
		char c = s[n];
		if (n >= 40)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool valid_role(const char *s)
{
	size_t n;

	if (!s || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (n = 1; s[n]; n++) {
		char c = s[n];
		if (n >= 64)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* Free text for people (name, email, label): bounded, valid UTF-8, no control characters. */
static bool valid_text(const char *s)
{
	size_t n, i;

	if (!s)
		return true;
	n = strlen(s);
	if (n > TEXT_MAX || !util_utf8_valid(s, n))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool is_hex64(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return xstrdup(t ? (const char *)t : "");
}

/* Fills u from columns id, login, name, email, admin starting at column `first`. */
static void user_from_row(sqlite3_stmt *s, int first, auth_user *u)
{
	u->id = sqlite3_column_int64(s, first);
	u->login = col_dup(s, first + 1);
	u->name = col_dup(s, first + 2);
	u->email = col_dup(s, first + 3);
	u->admin = sqlite3_column_int(s, first + 4) != 0;
}

void auth_user_clear(auth_user *u)
{
	if (!u)
		return;
	free(u->login);
	free(u->name);
	free(u->email);
	memset(u, 0, sizeof *u);
}

void auth_roles_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- connections and statements ----------------------------------------------------- */

static sqlite3_stmt *stmt(conn *c, enum st id)
{
	if (!c->st[id]) {
		int rc = sqlite3_prepare_v3(c->db, st_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		                            &c->st[id], NULL);
		if (rc != SQLITE_OK) {
			log_db(c, "prepare");
			c->st[id] = NULL;
			return NULL;
		}
	}
	return c->st[id];
}

/* Ends a use of a cached statement. */
static void stmt_done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

static void conn_close(conn *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	if (c->db && sqlite3_close(c->db) != SQLITE_OK)
		log_db(c, "close");
	free(c);
}

static int exec(conn *c, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_message("auth", "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return rc;
}

static conn *conn_open(const char *path, bool reader, char *err)
{
	conn *c = xcalloc(1, sizeof *c);
	int rc;

	rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		set_err(err, "%s: %s", path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	if ((rc = sqlite3_busy_timeout(c->db, BUSY_MS)) != SQLITE_OK)
		goto fail_db;
	if ((rc = exec(c, "PRAGMA foreign_keys = ON")) != SQLITE_OK)
		goto fail_db;
	if ((rc = exec(c, "PRAGMA synchronous = FULL")) != SQLITE_OK)
		goto fail_db;
	if (reader && (rc = exec(c, "PRAGMA query_only = ON")) != SQLITE_OK)
		goto fail_db;
	return c;
fail_db:
	set_err(err, "%s: %s", path, sqlite3_errmsg(c->db));
fail:
	conn_close(c);
	return NULL;
}

/* A read connection from the pool; blocks while POOL_MAX are in use. NULL on error. */
static conn *reader_get(auth *a)
{
	conn *c = NULL;
	char err[AUTH_ERR_LEN];

	pthread_mutex_lock(&a->pmu);
	while (!a->free_readers && a->nreaders >= POOL_MAX)
		pthread_cond_wait(&a->pcv, &a->pmu);
	if (a->free_readers) {
		c = a->free_readers;
		a->free_readers = c->next;
		c->next = NULL;
		pthread_mutex_unlock(&a->pmu);
		return c;
	}
	a->nreaders++;
	pthread_mutex_unlock(&a->pmu);

	c = conn_open(a->path, true, err);
	if (!c) {
		log_message("auth", "read connection: %s", err);
		pthread_mutex_lock(&a->pmu);
		a->nreaders--;
		pthread_cond_signal(&a->pcv);
		pthread_mutex_unlock(&a->pmu);
	}
	return c;
}

static void reader_put(auth *a, conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&a->pmu);
	c->next = a->free_readers;
	a->free_readers = c;
	pthread_cond_signal(&a->pcv);
	pthread_mutex_unlock(&a->pmu);
}

/* Runs a statement without result rows (BEGIN, COMMIT, ...). */
static int run(conn *c, enum st id)
{
	sqlite3_stmt *s = stmt(c, id);
	int rc;

	if (!s)
		return SQLITE_ERROR;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		log_db(c, st_sql[id]);
	stmt_done(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Write lock + BEGIN IMMEDIATE. On failure the lock is released. */
static conn *write_begin(auth *a)
{
	pthread_mutex_lock(&a->wmu);
	if (run(a->writer, ST_BEGIN) != SQLITE_OK) {
		pthread_mutex_unlock(&a->wmu);
		return NULL;
	}
	return a->writer;
}

/* COMMIT when rc is AUTH_OK (a failed COMMIT turns it into AUTH_ERROR), else ROLLBACK; unlocks. */
static int write_end(auth *a, int rc)
{
	conn *w = a->writer;

	if (rc == AUTH_OK && run(w, ST_COMMIT) != SQLITE_OK)
		rc = AUTH_ERROR;
	if (rc != AUTH_OK && sqlite3_get_autocommit(w->db) == 0)
		run(w, ST_ROLLBACK);
	pthread_mutex_unlock(&a->wmu);
	return rc;
}

/* Inserts an audit line on the write connection (caller holds wmu). */
static int audit_insert(conn *w, const char *actor, const char *action, const char *target,
                        const char *detail)
{
	sqlite3_stmt *s = stmt(w, ST_AUDIT_INSERT);
	char at[32];
	int rc = AUTH_ERROR;

	if (!s)
		return AUTH_ERROR;
	util_iso_datetime(util_now(), at);
	if (sqlite3_bind_text(s, 1, at, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, actor ? actor : "", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, action ? action : "", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, target ? target : "", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, detail ? detail : "", -1, SQLITE_STATIC) != SQLITE_OK) {
		log_db(w, "audit bind");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		log_db(w, "audit insert");
		goto done;
	}
	rc = AUTH_OK;
done:
	stmt_done(s);
	return rc;
}

/*
 * Reads id and disabled of login on connection c. AUTH_OK, AUTH_NOTFOUND or AUTH_ERROR.
 * hash (may be NULL) receives a heap copy of password_hash or NULL; user (may be NULL)
 * is filled.
 */
static int user_row(conn *c, const char *login, int64_t *id, bool *disabled, char **hash,
                    auth_user *user)
{
	sqlite3_stmt *s = stmt(c, ST_USER_GET);
	int rc = AUTH_ERROR, step;

	if (!s)
		return AUTH_ERROR;
	if (sqlite3_bind_text(s, 1, login, -1, SQLITE_STATIC) != SQLITE_OK) {
		log_db(c, "bind");
		goto done;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = AUTH_NOTFOUND;
		goto done;
	}
	if (step != SQLITE_ROW) {
		log_db(c, "user lookup");
		goto done;
	}
	if (id)
		*id = sqlite3_column_int64(s, 0);
	if (disabled)
		*disabled = sqlite3_column_int(s, 5) != 0;
	if (hash) {
		const unsigned char *h = sqlite3_column_text(s, 6);
		*hash = h ? xstrdup((const char *)h) : NULL;
	}
	if (user)
		user_from_row(s, 0, user);
	rc = AUTH_OK;
done:
	stmt_done(s);
	return rc;
}

/* ---- password hashing ------------------------------------------------------------------ */

static void hash_gate_enter(auth *a)
{
	pthread_mutex_lock(&a->hmu);
	while (a->hashing >= HASH_MAX)
		pthread_cond_wait(&a->hcv, &a->hmu);
	a->hashing++;
	pthread_mutex_unlock(&a->hmu);
}

static void hash_gate_leave(auth *a)
{
	pthread_mutex_lock(&a->hmu);
	a->hashing--;
	pthread_cond_signal(&a->hcv);
	pthread_mutex_unlock(&a->hmu);
}

static int password_hash(auth *a, const char *password, char out[PW_ENCODED])
{
	unsigned char salt[PW_SALT];
	int rc;

	util_random(salt, sizeof salt);
	hash_gate_enter(a);
	rc = argon2id_hash_encoded(PW_T, PW_M, PW_P, password, strlen(password), salt, sizeof salt,
	                           PW_HASHLEN, out, PW_ENCODED);
	hash_gate_leave(a);
	sodium_memzero(salt, sizeof salt);
	if (rc != ARGON2_OK) {
		log_message("auth", "argon2: %s", argon2_error_message(rc));
		return AUTH_ERROR;
	}
	return AUTH_OK;
}

/* True when password matches encoded; always spends one argon2 computation. */
static bool password_verify(auth *a, const char *encoded, const char *password)
{
	int rc;

	hash_gate_enter(a);
	rc = argon2id_verify(encoded, password, strlen(password));
	hash_gate_leave(a);
	return rc == ARGON2_OK;
}

static bool valid_password(const char *p)
{
	return p && p[0] && strlen(p) <= PW_MAX;
}

/* ---- open / close ---------------------------------------------------------------------- */

static int mkdirs(const char *dir)
{
	char *p = xstrdup(dir), *q;
	int rc = 0;

	for (q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			rc = -1;
			goto done;
		}
		*q = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		rc = -1;
done:
	free(p);
	return rc;
}

static int schema_init(conn *w, char *err)
{
	sqlite3_stmt *s = NULL;
	int rc = -1, version;
	bool tx = false;

	if (sqlite3_prepare_v2(w->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		set_err(err, "system.db: journal_mode: %s", sqlite3_errmsg(w->db));
		goto done;
	}
	if (sqlite3_stricmp((const char *)sqlite3_column_text(s, 0), "wal") != 0) {
		set_err(err, "system.db: cannot switch to WAL mode");
		goto done;
	}
	sqlite3_finalize(s);
	s = NULL;

	if (exec(w, "BEGIN IMMEDIATE") != SQLITE_OK) {
		set_err(err, "system.db: %s", sqlite3_errmsg(w->db));
		goto done;
	}
	tx = true;
	if (sqlite3_prepare_v2(w->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		set_err(err, "system.db: user_version: %s", sqlite3_errmsg(w->db));
		goto done;
	}
	version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (version > SCHEMA_VERSION) {
		set_err(err, "system.db: schema version %d is newer than this engine (%d)", version,
		        SCHEMA_VERSION);
		goto done;
	}
	if (version < 1) {
		if (exec(w, schema_v1) != SQLITE_OK ||
		    exec(w, "PRAGMA user_version = " XSTR(SCHEMA_VERSION)) != SQLITE_OK) {
			set_err(err, "system.db: creating schema: %s", sqlite3_errmsg(w->db));
			goto done;
		}
	}
	/* Future versions: `if (version < 2) { ALTER ... }` here, in the same transaction. */
	if (exec(w, "COMMIT") != SQLITE_OK) {
		set_err(err, "system.db: %s", sqlite3_errmsg(w->db));
		goto done;
	}
	tx = false;
	rc = 0;
done:
	sqlite3_finalize(s);
	if (tx)
		exec(w, "ROLLBACK");
	return rc;
}

auth *auth_open(const char *data_dir, char err[AUTH_ERR_LEN])
{
	auth *a = NULL;
	buf path = BUF_INIT;
	int fd;

	if (err)
		err[0] = '\0';
	if (!data_dir || !data_dir[0]) {
		set_err(err, "no data directory");
		return NULL;
	}
	if (!sqlite3_threadsafe()) {
		set_err(err, "SQLite is built without thread support");
		return NULL;
	}
	if (sodium_init() < 0) {
		set_err(err, "libsodium failed to initialise");
		return NULL;
	}
	if (mkdirs(data_dir) != 0) {
		set_err(err, "%s: %s", data_dir, strerror(errno));
		return NULL;
	}
	buf_printf(&path, "%s/system.db", data_dir);
	/* Create the file ourselves so it is private (SQLite gives -wal/-shm the same mode). */
	fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_err(err, "%s: %s", path.data, strerror(errno));
		buf_free(&path);
		return NULL;
	}
	close(fd);

	a = xcalloc(1, sizeof *a);
	a->path = buf_steal(&path);
	pthread_mutex_init(&a->wmu, NULL);
	pthread_mutex_init(&a->pmu, NULL);
	pthread_cond_init(&a->pcv, NULL);
	pthread_mutex_init(&a->hmu, NULL);
	pthread_cond_init(&a->hcv, NULL);

	a->writer = conn_open(a->path, false, err);
	if (!a->writer || schema_init(a->writer, err) != 0) {
		auth_close(a);
		return NULL;
	}
	return a;
}

void auth_close(auth *a)
{
	conn *c;

	if (!a)
		return;
	/* Readers first: the last connection to close checkpoints and removes the WAL. */
	while ((c = a->free_readers)) {
		a->free_readers = c->next;
		conn_close(c);
	}
	conn_close(a->writer);
	pthread_mutex_destroy(&a->wmu);
	pthread_mutex_destroy(&a->pmu);
	pthread_cond_destroy(&a->pcv);
	pthread_mutex_destroy(&a->hmu);
	pthread_cond_destroy(&a->hcv);
	free(a->path);
	free(a);
}

/* ---- users ------------------------------------------------------------------------------ */

int auth_user_add(auth *a, const char *login, const char *name, const char *email, bool admin,
                  const char *password, const char *actor, char err[AUTH_ERR_LEN])
{
	char hash[PW_ENCODED];
	char at[32];
	conn *w = NULL;
	sqlite3_stmt *s = NULL;
	int rc = AUTH_ERROR, step;

	if (err)
		err[0] = '\0';
	if (!valid_login(login)) {
		set_err(err, "invalid login (expected [a-z0-9][a-z0-9._-]{0,63}, not \"system\" nor \"anonyme\")");
		return AUTH_INVALID;
	}
	if (!valid_text(name) || !valid_text(email)) {
		set_err(err, "name and email: at most %d bytes of UTF-8 text, no control characters",
		        TEXT_MAX);
		return AUTH_INVALID;
	}
	if (password && !valid_password(password)) {
		set_err(err, "password must be 1 to %d bytes long", PW_MAX);
		return AUTH_INVALID;
	}
	if (password && password_hash(a, password, hash) != AUTH_OK) {
		set_err(err, "password hashing failed");
		return AUTH_ERROR;
	}

	if (!(w = write_begin(a))) {
		set_err(err, "system.db is not writable");
		goto out;
	}
	if (!(s = stmt(w, ST_USER_INSERT)))
		goto done;
	util_iso_datetime(util_now(), at);
	if (sqlite3_bind_text(s, 1, login, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, name ? name : "", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, email ? email : "", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(s, 4, admin ? 1 : 0) != SQLITE_OK ||
	    (password ? sqlite3_bind_text(s, 5, hash, -1, SQLITE_STATIC)
	              : sqlite3_bind_null(s, 5)) != SQLITE_OK ||
	    sqlite3_bind_text(s, 6, at, -1, SQLITE_STATIC) != SQLITE_OK) {
		log_db(w, "bind");
		goto done;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_CONSTRAINT_UNIQUE || step == SQLITE_CONSTRAINT_PRIMARYKEY) {
		set_err(err, "user %s already exists", login);
		rc = AUTH_EXISTS;
		goto done;
	}
	if (step != SQLITE_DONE) {
		log_db(w, "user insert");
		set_err(err, "system.db: %s", sqlite3_errmsg(w->db));
		goto done;
	}
	stmt_done(s);
	s = NULL;
	rc = audit_insert(w, actor, "user.add", login, admin ? "admin" : "");
done:
	stmt_done(s);
	rc = write_end(a, rc);
out:
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int auth_user_set_password(auth *a, const char *login, const char *password)
{
	char hash[PW_ENCODED];
	conn *w = NULL;
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	int rc = AUTH_ERROR;

	if (!valid_login(login))
		return AUTH_INVALID;
	if (password && !valid_password(password))
		return AUTH_INVALID;
	if (password && password_hash(a, password, hash) != AUTH_OK)
		return AUTH_ERROR;

	if (!(w = write_begin(a)))
		goto out;
	if ((rc = user_row(w, login, &id, NULL, NULL, NULL)) != AUTH_OK)
		goto done;
	rc = AUTH_ERROR;
	if (!(s = stmt(w, ST_USER_SET_PW)))
		goto done;
	if (sqlite3_bind_text(s, 1, login, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (password ? sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC)
	              : sqlite3_bind_null(s, 2)) != SQLITE_OK) {
		log_db(w, "bind");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		log_db(w, "set password");
		goto done;
	}
	stmt_done(s);
	/* A new password closes every open session of the account. */
	if (!(s = stmt(w, ST_SESSIONS_OF_USER_DELETE)))
		goto done;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
		log_db(w, "delete sessions");
		goto done;
	}
	stmt_done(s);
	s = NULL;
	rc = audit_insert(w, NULL, "user.password", login, password ? "" : "removed");
done:
	stmt_done(s);
	rc = write_end(a, rc);
out:
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int auth_user_get(auth *a, const char *login, auth_user *out)
{
	conn *c;
	int rc;

	if (out)
		memset(out, 0, sizeof *out);
	if (!valid_login(login))
		return AUTH_NOTFOUND;
	if (!(c = reader_get(a)))
		return AUTH_ERROR;
	rc = user_row(c, login, NULL, NULL, NULL, out);
	reader_put(a, c);
	return rc;
}

int auth_admin_count(auth *a, int64_t *out)
{
	conn *c;
	sqlite3_stmt *s = NULL;
	int rc = AUTH_ERROR;

	*out = 0;
	if (!(c = reader_get(a)))
		return AUTH_ERROR;
	if (!(s = stmt(c, ST_ADMIN_COUNT)))
		goto done;
	if (sqlite3_step(s) != SQLITE_ROW) {
		log_db(c, "admin count");
		goto done;
	}
	*out = sqlite3_column_int64(s, 0);
	rc = AUTH_OK;
done:
	stmt_done(s);
	reader_put(a, c);
	return rc;
}

typedef struct user_entry {
	auth_user u;
	char **grants;
	size_t ngrants;
} user_entry;

int auth_user_list(auth *a, void (*fn)(void *arg, const auth_user *u, const char *const *grants,
                                      size_t ngrants), void *arg)
{
	conn *c;
	sqlite3_stmt *s = NULL, *g = NULL;
	user_entry *v = NULL;
	size_t n = 0, cap = 0, i;
	int rc = AUTH_ERROR, step;

	if (!(c = reader_get(a)))
		return AUTH_ERROR;
	if (!(s = stmt(c, ST_USER_LIST)) || !(g = stmt(c, ST_GRANTS_OF)))
		goto done;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		user_entry *e;
		size_t gcap = 0;

		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = xrealloc(v, cap * sizeof *v);
		}
		e = &v[n++];
		memset(e, 0, sizeof *e);
		user_from_row(s, 0, &e->u);
		if (sqlite3_bind_int64(g, 1, e->u.id) != SQLITE_OK) {
			log_db(c, "bind");
			goto done;
		}
		while ((step = sqlite3_step(g)) == SQLITE_ROW) {
			if (e->ngrants == gcap) {
				gcap = gcap ? 2 * gcap : 4;
				e->grants = xrealloc(e->grants, gcap * sizeof *e->grants);
			}
			e->grants[e->ngrants++] = col_dup(g, 0);
		}
		if (step != SQLITE_DONE) {
			log_db(c, "grants of user");
			goto done;
		}
		stmt_done(g);
	}
	if (step != SQLITE_DONE) {
		log_db(c, "user list");
		goto done;
	}
	rc = AUTH_OK;
done:
	stmt_done(g);
	stmt_done(s);
	reader_put(a, c);
	for (i = 0; i < n; i++) {
		if (rc == AUTH_OK && fn)
			fn(arg, &v[i].u, (const char *const *)v[i].grants, v[i].ngrants);
		auth_user_clear(&v[i].u);
		auth_roles_free(v[i].grants, v[i].ngrants);
	}
	free(v);
	return rc;
}

/* ---- grants ----------------------------------------------------------------------------- */

static int grant_change(auth *a, enum st which, const char *login, const char *app,
                        const char *role, const char *actor)
{
	conn *w;
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	int rc = AUTH_ERROR;
	char detail[128];

	if (!valid_login(login) || !valid_app(app) || !valid_role(role))
		return AUTH_INVALID;
	if (!(w = write_begin(a)))
		return AUTH_ERROR;
	if ((rc = user_row(w, login, &id, NULL, NULL, NULL)) != AUTH_OK)
		goto done;
	rc = AUTH_ERROR;
	if (!(s = stmt(w, which)))
		goto done;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, app, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC) != SQLITE_OK) {
		log_db(w, "bind");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		log_db(w, which == ST_GRANT ? "grant" : "revoke");
		goto done;
	}
	stmt_done(s);
	s = NULL;
	if (sqlite3_changes(w->db) == 0) {
		/* Granting twice changes nothing and is fine; revoking what is not held is not found. */
		rc = which == ST_GRANT ? AUTH_OK : AUTH_NOTFOUND;
		goto done;
	}
	snprintf(detail, sizeof detail, "%s:%s", app, role);
	rc = audit_insert(w, actor, which == ST_GRANT ? "grant" : "revoke", login, detail);
done:
	stmt_done(s);
	return write_end(a, rc);
}

int auth_grant(auth *a, const char *login, const char *app, const char *role, const char *actor)
{
	return grant_change(a, ST_GRANT, login, app, role, actor);
}

int auth_revoke(auth *a, const char *login, const char *app, const char *role, const char *actor)
{
	return grant_change(a, ST_REVOKE, login, app, role, actor);
}

int auth_roles(auth *a, const char *login, const char *app, char ***out, size_t *n)
{
	conn *c;
	sqlite3_stmt *s = NULL;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = AUTH_ERROR, step;

	*out = NULL;
	*n = 0;
	if (!valid_app(app))
		return AUTH_INVALID;
	if (!valid_login(login))
		return AUTH_OK;       /* nobody by that name holds anything */
	if (!(c = reader_get(a)))
		return AUTH_ERROR;
	if (!(s = stmt(c, ST_ROLES)))
		goto done;
	if (sqlite3_bind_text(s, 1, login, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, app, -1, SQLITE_STATIC) != SQLITE_OK) {
		log_db(c, "bind");
		goto done;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? 2 * cap : 4;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[cnt++] = col_dup(s, 0);
	}
	if (step != SQLITE_DONE) {
		log_db(c, "roles");
		goto done;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	rc = AUTH_OK;
done:
	stmt_done(s);
	reader_put(a, c);
	auth_roles_free(v, cnt);
	return rc;
}

int auth_role_emails(auth *a, const char *app, const char *role, char ***out, size_t *n)
{
	conn *c;
	sqlite3_stmt *s = NULL;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = AUTH_ERROR, step;

	*out = NULL;
	*n = 0;
	if (!valid_app(app) || !valid_role(role))
		return AUTH_INVALID;
	if (!(c = reader_get(a)))
		return AUTH_ERROR;
	if (!(s = stmt(c, ST_ROLE_EMAILS)))
		goto done;
	if (sqlite3_bind_text(s, 1, app, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, role, -1, SQLITE_STATIC) != SQLITE_OK) {
		log_db(c, "bind");
		goto done;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? 2 * cap : 4;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[cnt++] = col_dup(s, 0);
	}
	if (step != SQLITE_DONE) {
		log_db(c, "role emails");
		goto done;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	rc = AUTH_OK;
done:
	stmt_done(s);
	reader_put(a, c);
	auth_roles_free(v, cnt);
	return rc;
}

/* ---- passwords -------------------------------------------------------------------------- */

int auth_check_password(auth *a, const char *login, const char *password, auth_user *out)
{
	auth_user u = {0};
	char *hash = NULL;
	bool disabled = true, ok;
	const char *pw = password ? password : "";
	conn *c = NULL;
	int rc = AUTH_DENIED, found = AUTH_NOTFOUND;

	if (out)
		memset(out, 0, sizeof *out);
	if (valid_login(login)) {
		if (!(c = reader_get(a)))
			return AUTH_ERROR;
		found = user_row(c, login, NULL, &disabled, &hash, &u);
		reader_put(a, c);
		if (found == AUTH_ERROR)
			return AUTH_ERROR;
	}
	/* Exactly one argon2 verification on every path, so timing tells nothing. */
	ok = password_verify(a, hash ? hash : dummy_hash, pw);
	if (found == AUTH_OK && hash && ok && !disabled && password && valid_password(password)) {
		rc = AUTH_OK;
		if (out) {
			*out = u;
			memset(&u, 0, sizeof u);
		}
	}
	auth_user_clear(&u);
	free(hash);
	return rc;
}

/* ---- sessions --------------------------------------------------------------------------- */

int auth_session_create(auth *a, const char *login, time_t now, char token[AUTH_TOKEN_LEN],
                        char csrf[AUTH_TOKEN_LEN])
{
	char th[65];
	conn *w;
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	bool disabled = false;
	int rc;

	token[0] = '\0';
	csrf[0] = '\0';
	if (!valid_login(login))
		return AUTH_NOTFOUND;
	util_random_hex(token, 32);
	util_random_hex(csrf, 32);
	util_sha256_hex(token, 64, th);

	if (!(w = write_begin(a))) {
		rc = AUTH_ERROR;
		goto out;
	}
	if ((rc = user_row(w, login, &id, &disabled, NULL, NULL)) != AUTH_OK)
		goto done;
	if (disabled) {
		rc = AUTH_DENIED;
		goto done;
	}
	rc = AUTH_ERROR;
	/* Logins are rare: a good moment to sweep the dead sessions. */
	if (!(s = stmt(w, ST_SESSION_PURGE)))
		goto done;
	if (sqlite3_bind_int64(s, 1, (int64_t)now) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, (int64_t)now - SESSION_IDLE) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE) {
		log_db(w, "session purge");
		goto done;
	}
	stmt_done(s);
	if (!(s = stmt(w, ST_SESSION_INSERT)))
		goto done;
	if (sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, csrf, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, (int64_t)now) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, (int64_t)now + SESSION_MAX) != SQLITE_OK) {
		log_db(w, "bind");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		log_db(w, "session insert");
		goto done;
	}
	rc = AUTH_OK;
done:
	stmt_done(s);
	rc = write_end(a, rc);
out:
	if (rc != AUTH_OK) {
		sodium_memzero(token, AUTH_TOKEN_LEN);
		sodium_memzero(csrf, AUTH_TOKEN_LEN);
	}
	return rc;
}

/* Runs a one-parameter-hash write (delete) or touch on the write connection. */
static int session_write(auth *a, enum st which, const char *th, int64_t when)
{
	conn *w = a->writer;
	sqlite3_stmt *s;
	int rc = AUTH_ERROR;

	pthread_mutex_lock(&a->wmu);
	if (!(s = stmt(w, which)))
		goto done;
	if (sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (which == ST_SESSION_TOUCH && sqlite3_bind_int64(s, 2, when) != SQLITE_OK)) {
		log_db(w, "bind");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		log_db(w, st_sql[which]);
		goto done;
	}
	rc = sqlite3_changes(w->db) > 0 || which == ST_SESSION_TOUCH ? AUTH_OK : AUTH_NOTFOUND;
done:
	stmt_done(s);
	pthread_mutex_unlock(&a->wmu);
	return rc;
}

int auth_session_lookup(auth *a, const char *token, time_t now, auth_user *out,
                        char csrf[AUTH_TOKEN_LEN])
{
	char th[65];
	conn *c;
	sqlite3_stmt *s = NULL;
	auth_user u = {0};
	int64_t last_seen = 0, expires = 0;
	bool disabled = false, expired = false, touch = false;
	int rc = AUTH_ERROR, step;

	if (out)
		memset(out, 0, sizeof *out);
	if (csrf)
		csrf[0] = '\0';
	if (!is_hex64(token))
		return AUTH_DENIED;
	util_sha256_hex(token, 64, th);

	if (!(c = reader_get(a)))
		return AUTH_ERROR;
	if (!(s = stmt(c, ST_SESSION_GET)))
		goto done;
	if (sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC) != SQLITE_OK) {
		log_db(c, "bind");
		goto done;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = AUTH_DENIED;
		goto done;
	}
	if (step != SQLITE_ROW) {
		log_db(c, "session lookup");
		goto done;
	}
	last_seen = sqlite3_column_int64(s, 1);
	expires = sqlite3_column_int64(s, 2);
	disabled = sqlite3_column_int(s, 8) != 0;
	expired = (int64_t)now >= expires || (int64_t)now - last_seen >= SESSION_IDLE;
	if (expired || disabled) {
		rc = AUTH_DENIED;
		goto done;
	}
	if (csrf) {
		const unsigned char *t = sqlite3_column_text(s, 0);
		snprintf(csrf, AUTH_TOKEN_LEN, "%s", t ? (const char *)t : "");
	}
	user_from_row(s, 3, &u);
	touch = (int64_t)now - last_seen >= TOUCH_EVERY;
	rc = AUTH_OK;
done:
	stmt_done(s);
	reader_put(a, c);
	if (expired)
		session_write(a, ST_SESSION_DELETE, th, 0);
	/* A failed touch only shortens the idle timer by a minute: the lookup still succeeds. */
	if (touch)
		session_write(a, ST_SESSION_TOUCH, th, (int64_t)now);
	if (rc == AUTH_OK && out) {
		*out = u;
		memset(&u, 0, sizeof u);
	}
	auth_user_clear(&u);
	if (rc != AUTH_OK && csrf)
		csrf[0] = '\0';
	return rc;
}

int auth_session_delete(auth *a, const char *token)
{
	char th[65];

	if (!is_hex64(token))
		return AUTH_NOTFOUND;
	util_sha256_hex(token, 64, th);
	return session_write(a, ST_SESSION_DELETE, th, 0);
}

/* ---- API tokens ------------------------------------------------------------------------- */

static bool valid_api_token(const char *t)
{
	return t && strncmp(t, TOKEN_PREFIX, 3) == 0 && is_hex64(t + 3);
}

int auth_token_create(auth *a, const char *login, const char *label, const char *actor,
                      char token[AUTH_TOKEN_LEN])
{
	char th[65], at[32];
	conn *w;
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	bool disabled = false;
	int rc;

	token[0] = '\0';
	if (!valid_login(login))
		return AUTH_NOTFOUND;
	if (!valid_text(label))
		return AUTH_INVALID;
	memcpy(token, TOKEN_PREFIX, 3);
	util_random_hex(token + 3, 32);
	util_sha256_hex(token, 67, th);
	util_iso_datetime(util_now(), at);

	if (!(w = write_begin(a))) {
		rc = AUTH_ERROR;
		goto out;
	}
	if ((rc = user_row(w, login, &id, &disabled, NULL, NULL)) != AUTH_OK)
		goto done;
	if (disabled) {
		rc = AUTH_DENIED;
		goto done;
	}
	rc = AUTH_ERROR;
	if (!(s = stmt(w, ST_TOKEN_INSERT)))
		goto done;
	if (sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, label ? label : "", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, at, -1, SQLITE_STATIC) != SQLITE_OK) {
		log_db(w, "bind");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		log_db(w, "token insert");
		goto done;
	}
	stmt_done(s);
	s = NULL;
	rc = audit_insert(w, actor, "token.create", login, label);
done:
	stmt_done(s);
	rc = write_end(a, rc);
out:
	if (rc != AUTH_OK)
		sodium_memzero(token, AUTH_TOKEN_LEN);
	return rc;
}

int auth_token_lookup(auth *a, const char *token, auth_user *out)
{
	char th[65];
	conn *c;
	sqlite3_stmt *s = NULL;
	auth_user u = {0};
	time_t now = util_now();
	bool touch = false;
	int rc = AUTH_ERROR, step;

	if (out)
		memset(out, 0, sizeof *out);
	if (!valid_api_token(token))
		return AUTH_DENIED;
	util_sha256_hex(token, 67, th);

	if (!(c = reader_get(a)))
		return AUTH_ERROR;
	if (!(s = stmt(c, ST_TOKEN_GET)))
		goto done;
	if (sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC) != SQLITE_OK) {
		log_db(c, "bind");
		goto done;
	}
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = AUTH_DENIED;
		goto done;
	}
	if (step != SQLITE_ROW) {
		log_db(c, "token lookup");
		goto done;
	}
	if (sqlite3_column_int(s, 6) != 0) {
		rc = AUTH_DENIED;
		goto done;
	}
	touch = sqlite3_column_type(s, 0) == SQLITE_NULL ||
	        (int64_t)now - sqlite3_column_int64(s, 0) >= TOUCH_EVERY;
	user_from_row(s, 1, &u);
	rc = AUTH_OK;
done:
	stmt_done(s);
	reader_put(a, c);
	if (touch) {
		conn *w = a->writer;
		sqlite3_stmt *t;

		pthread_mutex_lock(&a->wmu);
		if ((t = stmt(w, ST_TOKEN_TOUCH))) {
			if (sqlite3_bind_text(t, 1, th, -1, SQLITE_STATIC) != SQLITE_OK ||
			    sqlite3_bind_int64(t, 2, (int64_t)now) != SQLITE_OK ||
			    sqlite3_step(t) != SQLITE_DONE)
				log_db(w, "token touch");
			stmt_done(t);
		}
		pthread_mutex_unlock(&a->wmu);
	}
	if (rc == AUTH_OK && out) {
		*out = u;
		memset(&u, 0, sizeof u);
	}
	auth_user_clear(&u);
	return rc;
}

/* ---- audit ------------------------------------------------------------------------------ */

void auth_audit(auth *a, const char *actor, const char *action, const char *target,
                const char *detail)
{
	int rc;

	pthread_mutex_lock(&a->wmu);
	rc = audit_insert(a->writer, actor, action, target, detail);
	pthread_mutex_unlock(&a->wmu);
	if (rc != AUTH_OK)
		log_message("auth", "audit line lost: actor=%s action=%s target=%s",
		        actor ? actor : "", action ? action : "", target ? target : "");
}

typedef struct audit_row {
	char *f[5];
} audit_row;

int auth_audit_list(auth *a, int limit, void (*fn)(void *arg, const char *at, const char *actor,
                                                   const char *action, const char *target,
                                                   const char *detail), void *arg)
{
	conn *c;
	sqlite3_stmt *s = NULL;
	audit_row *v = NULL;
	size_t n = 0, cap = 0, i;
	int rc = AUTH_ERROR, step, k;

	if (limit <= 0)
		return AUTH_OK;
	if (!(c = reader_get(a)))
		return AUTH_ERROR;
	if (!(s = stmt(c, ST_AUDIT_LIST)))
		goto done;
	if (sqlite3_bind_int(s, 1, limit) != SQLITE_OK) {
		log_db(c, "bind");
		goto done;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			v = xrealloc(v, cap * sizeof *v);
		}
		for (k = 0; k < 5; k++)
			v[n].f[k] = col_dup(s, k);
		n++;
	}
	if (step != SQLITE_DONE) {
		log_db(c, "audit list");
		goto done;
	}
	rc = AUTH_OK;
done:
	stmt_done(s);
	reader_put(a, c);
	for (i = 0; i < n; i++) {
		if (rc == AUTH_OK && fn)
			fn(arg, v[i].f[0], v[i].f[1], v[i].f[2], v[i].f[3], v[i].f[4]);
		for (k = 0; k < 5; k++)
			free(v[i].f[k]);
	}
	free(v);
	return rc;
}
