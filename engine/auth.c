/*
 * auth — people and their rights (see auth.h): the policy over system.db.
 *
 * Owns: what a login, a name or a role may look like; password hashing (argon2id,
 * OWASP parameters) and its gate; sessions (random secrets, 12 h idle, 7 days at
 * most) and API tokens; what reaches the audit log. The rows are store_auth.c's.
 * It does not know about HTTP: callers pass the clock (`now`) where it matters. The
 * login throttle is throttle.c's.
 *
 * Invariants:
 * - Secrets (passwords, session tokens, API tokens) are never stored, logged or kept
 *   after the call: the database holds argon2id hashes of passwords and SHA-256 of
 *   tokens. CSRF tokens are not secrets against a database reader; they are stored as
 *   is and handed back by auth_session_lookup.
 * - No lock is held while hashing a password (tens of milliseconds): at most HASH_MAX
 *   hashes run at once (each needs 19 MiB), the others wait.
 * - Strings returned in auth_user and by auth_roles are heap copies owned by the
 *   caller (auth_user_clear, auth_roles_free). Callbacks get borrowed strings, valid
 *   during the call only, and are called with no lock and no connection held.
 */
#include "auth.h"

#include "buf.h"
#include "log.h"
#include "store.h"
#include "util.h"

#include <argon2.h>
#include <sodium.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Password hashing: argon2id, OWASP minimum (m = 19 MiB, t = 2, p = 1). */
#define PW_T	   2
#define PW_M	   19456
#define PW_P	   1
#define PW_SALT	   16
#define PW_HASHLEN 32
#define PW_MAX	   4096 /* longest accepted password, bytes */
#define PW_ENCODED 160	/* > argon2_encodedlen() for the parameters above */
#define HASH_MAX   4	/* concurrent argon2 computations */

#define XSTR_(x)  #x
#define XSTR(x)	  XSTR_(x)
#define PW_PREFIX "$argon2id$v=19$m=" XSTR(PW_M) ",t=" XSTR(PW_T) ",p=" XSTR(PW_P) "$"

/* Verified for unknown logins so they cost the same time; same parameters by construction. */
static const char dummy_hash[] =
    PW_PREFIX "c21hbGxhcHBzLWR1bW15AA$tQtUlx4PfFVnVUBh2T2TW+ekbXmwsTbi+V9U72SBQ9U";

#define SESSION_IDLE (12 * 3600)
#define SESSION_MAX  (7 * 24 * 3600)
#define TOUCH_EVERY  60 /* last_seen / last_used written at most once a minute */
#define TOKEN_PREFIX "sa_"
#define TEXT_MAX     256 /* name, email, label, audit fields are cut here */

struct auth {
	store *db;	     /* system.db */
	pthread_mutex_t hmu; /* argon2 gate */
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

static bool valid_login(const char *s)
{
	size_t n = 0;

	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	/* The history's names for the scheduler and for anonymous people: nobody may sign as them.
	 */
	if (strcmp(s, "system") == 0 || strcmp(s, "anonyme") == 0)
		return false;
	for (n = 1; s[n]; n++) {
		char c = s[n];
		if (n >= 64)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
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

/* The store's status as auth's. */
static int from_store(int rc)
{
	switch (rc) {
	case STORE_OK:
		return AUTH_OK;
	case STORE_NOTFOUND:
		return AUTH_NOTFOUND;
	case STORE_CONFLICT:
		return AUTH_EXISTS;
	case STORE_REFUSED:
		return AUTH_DENIED;
	case STORE_UNAVAILABLE:
		return AUTH_UNAVAILABLE;
	default:
		return AUTH_ERROR;
	}
}

/* Moves a stored user into an auth_user (the hash is dropped). */
static void take_user(store_user *su, auth_user *out)
{
	if (out) {
		out->id = su->id;
		out->login = su->login;
		out->name = su->name;
		out->email = su->email;
		out->admin = su->admin;
		out->disabled = su->disabled;
		su->login = su->name = su->email = NULL;
	}
	store_user_clear(su);
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
	store_strings_free(v, n);
}

static void now_iso(char at[32])
{
	util_iso_datetime(util_now(), at);
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

auth *auth_open(store_backend *b, char err[AUTH_ERR_LEN])
{
	if (err)
		err[0] = '\0';
	if (sodium_init() < 0) {
		set_err(err, "libsodium failed to initialise");
		return NULL;
	}
	if (!store_backend_shared(b) && mkdirs(store_backend_data_dir(b)) != 0) {
		set_err(err, "%s: %s", store_backend_data_dir(b), strerror(errno));
		return NULL;
	}
	char serr[STORE_ERR_LEN] = "";
	store *db = store_system_open(b, serr);
	if (!db) {
		set_err(err, "%s", serr);
		return NULL;
	}
	auth *a = xcalloc(1, sizeof *a);
	a->db = db;
	pthread_mutex_init(&a->hmu, NULL);
	pthread_cond_init(&a->hcv, NULL);
	return a;
}

void auth_close(auth *a)
{
	if (!a)
		return;
	store_close(a->db);
	pthread_mutex_destroy(&a->hmu);
	pthread_cond_destroy(&a->hcv);
	free(a);
}

/* ---- users ------------------------------------------------------------------------------ */

int auth_user_add(auth *a, const char *login, const char *name, const char *email, bool admin,
		  const char *password, const char *actor, char err[AUTH_ERR_LEN])
{
	char hash[PW_ENCODED], at[32];
	if (err)
		err[0] = '\0';
	if (!valid_login(login)) {
		set_err(err, "invalid login (expected [a-z0-9][a-z0-9._-]{0,63}, not \"system\" "
			     "nor \"anonyme\")");
		return AUTH_INVALID;
	}
	if (!valid_text(name) || !valid_text(email)) {
		set_err(err,
			"name and email: at most %d bytes of UTF-8 text, no control characters",
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
	now_iso(at);
	int rc = from_store(
	    store_user_insert(a->db, login, name, email, admin, password ? hash : NULL, at, actor));
	sodium_memzero(hash, sizeof hash);
	if (rc == AUTH_EXISTS)
		set_err(err, "user %s already exists", login);
	else if (rc != AUTH_OK)
		set_err(err, "system.db is not writable");
	return rc;
}

int auth_user_set_password(auth *a, const char *login, const char *password)
{
	return auth_user_set_password_by(a, login, password, NULL);
}

int auth_user_set_password_by(auth *a, const char *login, const char *password, const char *actor)
{
	char hash[PW_ENCODED], at[32];
	if (!valid_login(login) || (password && !valid_password(password)))
		return AUTH_INVALID;
	if (password && password_hash(a, password, hash) != AUTH_OK)
		return AUTH_ERROR;
	now_iso(at);
	int rc =
	    from_store(store_user_set_password(a->db, login, password ? hash : NULL, at, actor));
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int auth_user_get(auth *a, const char *login, auth_user *out)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!valid_login(login))
		return AUTH_NOTFOUND;
	store_user su = {0};
	int rc = from_store(store_user_get(a->db, login, &su));
	if (rc == AUTH_OK)
		take_user(&su, out);
	return rc;
}

int auth_admin_count(auth *a, int64_t *out)
{
	return from_store(store_admin_count(a->db, out));
}

typedef struct list_ctx {
	void (*fn)(void *arg, const auth_user *u, const char *const *grants, size_t ngrants);
	void *arg;
} list_ctx;

static void list_one(void *arg, const store_user *su, const char *const *grants, size_t n)
{
	list_ctx *l = arg;
	auth_user u = {su->id, su->login, su->name, su->email, su->admin, su->disabled};
	l->fn(l->arg, &u, grants, n);
}

int auth_user_list(auth *a,
		   void (*fn)(void *arg, const auth_user *u, const char *const *grants,
			      size_t ngrants),
		   void *arg)
{
	list_ctx l = {fn, arg};
	return from_store(store_user_list(a->db, fn ? list_one : NULL, &l));
}

/* ---- grants ----------------------------------------------------------------------------- */

static int grant_change(auth *a, bool grant, const char *login, const char *app, const char *role,
			const char *actor)
{
	if (!valid_login(login) || !valid_app(app) || !valid_role(role))
		return AUTH_INVALID;
	char at[32];
	now_iso(at);
	return from_store(store_grant(a->db, grant, login, app, role, actor, at));
}

int auth_grant(auth *a, const char *login, const char *app, const char *role, const char *actor)
{
	return grant_change(a, true, login, app, role, actor);
}

int auth_revoke(auth *a, const char *login, const char *app, const char *role, const char *actor)
{
	return grant_change(a, false, login, app, role, actor);
}

int auth_directory_signin(auth *a, const store_directory_user *d, auth_user *out)
{
	memset(out, 0, sizeof *out);
	if (!valid_login(d->login))
		return AUTH_INVALID;
	for (size_t i = 0; i < d->ngrants; i++)
		if (!valid_app(d->apps[i]) || !valid_role(d->roles[i]))
			return AUTH_INVALID;
	char at[32];
	now_iso(at);
	int rc = store_user_directory(a->db, d, at);
	if (rc == STORE_REFUSED)
		return AUTH_DENIED;
	return rc == STORE_OK ? auth_user_get(a, d->login, out) : from_store(rc);
}

int auth_has_password(auth *a, const char *login, bool *out)
{
	*out = false;
	if (!valid_login(login))
		return AUTH_NOTFOUND;
	store_user su = {0};
	int rc = store_user_get(a->db, login, &su);
	*out = rc == STORE_OK && su.password_hash;
	store_user_clear(&su);
	return rc == STORE_NOTFOUND ? AUTH_NOTFOUND : from_store(rc);
}

int auth_roles(auth *a, const char *login, const char *app, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!valid_app(app))
		return AUTH_INVALID;
	if (!valid_login(login))
		return AUTH_OK; /* nobody by that name holds anything */
	return from_store(store_roles(a->db, login, app, out, n));
}

int auth_role_emails(auth *a, const char *app, const char *role, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!valid_app(app) || !valid_role(role))
		return AUTH_INVALID;
	return from_store(store_role_emails(a->db, app, role, out, n));
}

/* ---- passwords -------------------------------------------------------------------------- */

int auth_check_password(auth *a, const char *login, const char *password, auth_user *out)
{
	store_user su = {0};
	const char *pw = password ? password : "";
	int found = STORE_NOTFOUND;
	if (out)
		memset(out, 0, sizeof *out);
	if (valid_login(login) && (found = store_user_get(a->db, login, &su)) != STORE_OK &&
	    found != STORE_NOTFOUND)
		return from_store(found);
	/* Exactly one argon2 verification on every path, so timing tells nothing. */
	bool ok = password_verify(a, su.password_hash ? su.password_hash : dummy_hash, pw);
	int rc = AUTH_DENIED;
	if (found == STORE_OK && su.password_hash && ok && !su.disabled && password &&
	    valid_password(password))
		rc = AUTH_OK;
	if (rc == AUTH_OK)
		take_user(&su, out);
	else
		store_user_clear(&su);
	return rc;
}

/* ---- sessions --------------------------------------------------------------------------- */

int auth_session_create(auth *a, const char *login, time_t now, char token[AUTH_TOKEN_LEN],
			char csrf[AUTH_TOKEN_LEN])
{
	char th[65];
	token[0] = '\0';
	csrf[0] = '\0';
	if (!valid_login(login))
		return AUTH_NOTFOUND;
	util_random_hex(token, 32);
	util_random_hex(csrf, 32);
	util_sha256_hex(token, 64, th);
	int rc = from_store(store_session_insert(a->db, login, th, csrf, (int64_t)now,
						 (int64_t)now + SESSION_MAX,
						 (int64_t)now - SESSION_IDLE));
	if (rc != AUTH_OK) {
		sodium_memzero(token, AUTH_TOKEN_LEN);
		sodium_memzero(csrf, AUTH_TOKEN_LEN);
	}
	return rc;
}

int auth_session_lookup(auth *a, const char *token, time_t now, auth_user *out,
			char csrf[AUTH_TOKEN_LEN])
{
	char th[65];
	if (out)
		memset(out, 0, sizeof *out);
	if (csrf)
		csrf[0] = '\0';
	if (!is_hex64(token))
		return AUTH_DENIED;
	util_sha256_hex(token, 64, th);
	store_session x;
	int rc = store_session_get(a->db, th, &x);
	if (rc != STORE_OK)
		return rc == STORE_NOTFOUND ? AUTH_DENIED : from_store(rc);
	bool expired = (int64_t)now >= x.expires || (int64_t)now - x.last_seen >= SESSION_IDLE;
	if (expired || x.user.disabled) {
		if (expired)
			store_session_delete(a->db, th);
		store_session_clear(&x);
		return AUTH_DENIED;
	}
	if (csrf)
		snprintf(csrf, AUTH_TOKEN_LEN, "%s", x.csrf ? x.csrf : "");
	if ((int64_t)now - x.last_seen >= TOUCH_EVERY)
		store_session_touch(a->db, th, (int64_t)now);
	take_user(&x.user, out);
	store_session_clear(&x);
	return AUTH_OK;
}

int auth_session_delete(auth *a, const char *token)
{
	char th[65];
	if (!is_hex64(token))
		return AUTH_NOTFOUND;
	util_sha256_hex(token, 64, th);
	return from_store(store_session_delete(a->db, th));
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
	token[0] = '\0';
	if (!valid_login(login))
		return AUTH_NOTFOUND;
	if (!valid_text(label))
		return AUTH_INVALID;
	memcpy(token, TOKEN_PREFIX, 3);
	util_random_hex(token + 3, 32);
	util_sha256_hex(token, 67, th);
	now_iso(at);
	int rc = from_store(store_token_insert(a->db, login, th, label, at, actor));
	if (rc != AUTH_OK)
		sodium_memzero(token, AUTH_TOKEN_LEN);
	return rc;
}

int auth_token_lookup(auth *a, const char *token, auth_user *out)
{
	char th[65];
	if (out)
		memset(out, 0, sizeof *out);
	if (!valid_api_token(token))
		return AUTH_DENIED;
	util_sha256_hex(token, 67, th);
	store_user su = {0};
	int64_t last_used;
	int rc = store_token_get(a->db, th, &last_used, &su);
	if (rc != STORE_OK)
		return rc == STORE_NOTFOUND ? AUTH_DENIED : from_store(rc);
	if (su.disabled) {
		store_user_clear(&su);
		return AUTH_DENIED;
	}
	time_t now = util_now();
	if (last_used < 0 || (int64_t)now - last_used >= TOUCH_EVERY)
		store_token_touch(a->db, th, (int64_t)now);
	take_user(&su, out);
	return AUTH_OK;
}

/* ---- audit ------------------------------------------------------------------------------ */

/* Cut to TEXT_MAX on a character boundary: an audit line holds what was said, bounded. */
static void bounded(const char *in, char out[TEXT_MAX + 1])
{
	size_t n = in ? strlen(in) : 0;
	if (n > TEXT_MAX) {
		n = TEXT_MAX;
		while (n > 0 && ((unsigned char)in[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, in ? in : "", n);
	out[n] = '\0';
}

void auth_audit(auth *a, const char *actor, const char *action, const char *target,
		const char *detail)
{
	char at[32], ac[TEXT_MAX + 1], ta[TEXT_MAX + 1], de[TEXT_MAX + 1];
	now_iso(at);
	bounded(actor, ac);
	bounded(target, ta);
	bounded(detail, de);
	if (store_audit_insert(a->db, at, ac, action, ta, de) != STORE_OK)
		log_message("auth", "audit line lost: actor=%s action=%s target=%s", ac,
			    action ? action : "", ta);
}

int auth_audit_page(auth *a, const store_audit_query *q, store_audit_line **out, size_t *n)
{
	return from_store(store_audit_page(a->db, q, out, n));
}

int auth_audit_verify(auth *a, store_audit_check *out)
{
	return from_store(store_audit_verify(a->db, out));
}

int auth_audit_list(auth *a, int limit,
		    void (*fn)(void *arg, const char *at, const char *actor, const char *action,
			       const char *target, const char *detail),
		    void *arg)
{
	if (limit <= 0)
		return AUTH_OK;
	return from_store(store_audit_list(a->db, limit, fn, arg));
}

/* ---- the admin pages ---- */

int auth_user_set_disabled(auth *a, const char *login, bool disabled, const char *actor)
{
	if (!valid_login(login))
		return AUTH_NOTFOUND;
	char at[32];
	now_iso(at);
	return from_store(store_user_set_disabled(a->db, login, disabled, actor, at));
}

int auth_user_last_login(auth *a, const char *login, char **out)
{
	*out = NULL;
	return valid_login(login) ? from_store(store_user_last_login(a->db, login, out))
				  : AUTH_NOTFOUND;
}

int auth_token_list(auth *a, const char *login, store_token_row **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return valid_login(login) ? from_store(store_token_list(a->db, login, out, n))
				  : AUTH_NOTFOUND;
}

int auth_token_revoke(auth *a, const char *login, const char *hash, const char *actor)
{
	if (!valid_login(login) || !hash || strlen(hash) != 64 ||
	    strspn(hash, "0123456789abcdef") != 64)
		return AUTH_NOTFOUND;
	char at[32];
	now_iso(at);
	return from_store(store_token_revoke(a->db, login, hash, actor, at));
}

void auth_new_password(char out[AUTH_NEW_PASSWORD])
{
	/* 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I): ~115 bits. */
	static const char abc[] = "23456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
	unsigned char rnd[AUTH_NEW_PASSWORD - 1];
	util_random(rnd, sizeof rnd);
	for (size_t i = 0; i < sizeof rnd; i++)
		out[i] = abc[rnd[i] % (sizeof abc - 1)];
	out[sizeof rnd] = 0;
	sodium_memzero(rnd, sizeof rnd);
}
