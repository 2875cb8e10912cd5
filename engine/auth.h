/*
 * auth — people and their rights: data/system.db (SPEC 5, 8, 11).
 *
 * Owns users (passwords hashed with argon2id via libargon2), per-app role grants,
 * global admins, sessions and API tokens (both stored as SHA-256 of the secret, so
 * a copy of the database does not open any door), and the audit log.
 *
 * Thread-safety: every function may be called from any thread. Reads use a small
 * pool of connections; writes are serialised by a mutex (they are rare: logins,
 * grants, audit lines). Secrets never reach the log.
 */
#ifndef SMALLAPPS_AUTH_H
#define SMALLAPPS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store.h"

#define AUTH_ERR_LEN   256
#define AUTH_TOKEN_LEN 68 /* "sa_" + 64 hex + NUL, fits both kinds */

enum {
	AUTH_OK = 0,
	AUTH_ERROR = -1,
	AUTH_NOTFOUND = -2,
	AUTH_DENIED = -3, /* wrong password, expired session, bad token */
	AUTH_EXISTS = -4,
	AUTH_INVALID = -5,    /* bad login syntax, unknown app:role format ... */
	AUTH_UNAVAILABLE = -6 /* the database cannot be reached now: a 503, try again */
};

typedef struct auth auth;

typedef struct auth_user {
	int64_t id;
	char *login;
	char *name;
	char *email;
	bool admin;
	bool disabled;
} auth_user;

void auth_user_clear(auth_user *u);

/* Opens or creates the backend's system database (store_system_open). */
auth *auth_open(store_backend *b, char err[AUTH_ERR_LEN]);
void auth_close(auth *a);

/*
 * login: [a-z0-9][a-z0-9._-]{0,63}. password may be NULL (account without password
 * login). One audit line "user.add" by actor ("cli", "system", an admin's login).
 */
int auth_user_add(auth *a, const char *login, const char *name, const char *email, bool admin,
		  const char *password, const char *actor, char err[AUTH_ERR_LEN]);
/* NULL password removes password login. Closes every open session of the user. */
int auth_user_set_password(auth *a, const char *login, const char *password);
/* The same, audited under actor (an admin's login; NULL: the command line). */
int auth_user_set_password_by(auth *a, const char *login, const char *password, const char *actor);
/* A disabled person cannot sign in; their sessions end and their tokens stop at once. */
int auth_user_set_disabled(auth *a, const char *login, bool disabled, const char *actor);
/* When login last signed in (ISO), *out NULL if never; caller frees. */
int auth_user_last_login(auth *a, const char *login, char **out);
/* A person's API tokens (by the hash of each), and the revocation of one. */
int auth_token_list(auth *a, const char *login, store_token_row **out, size_t *n);
int auth_token_revoke(auth *a, const char *login, const char *hash, const char *actor);
/* A new random password to show once (20 characters, no look-alikes). */
#define AUTH_NEW_PASSWORD 21
void auth_new_password(char out[AUTH_NEW_PASSWORD]);
int auth_user_get(auth *a, const char *login, auth_user *out);
int auth_admin_count(auth *a, int64_t *out);
/* Calls fn for each user in login order with its grants as "app:role" strings. */
int auth_user_list(auth *a,
		   void (*fn)(void *arg, const auth_user *u, const char *const *grants,
			      size_t ngrants),
		   void *arg);

/* Granting a held role is AUTH_OK (no audit line); revoking one not held is AUTH_NOTFOUND. */
int auth_grant(auth *a, const char *login, const char *app, const char *role, const char *actor);
int auth_revoke(auth *a, const char *login, const char *app, const char *role, const char *actor);
/*
 * A sign-in the directory accepted (directory.h): the account is made or updated and
 * its grants become exactly d's (store_user_directory). AUTH_DENIED: login is a local
 * account (it has a password) or a disabled one; AUTH_INVALID: a bad login or grant.
 */
int auth_directory_signin(auth *a, const store_directory_user *d, auth_user *out);
/* Whether login signs in with a local password (*out); AUTH_NOTFOUND: no such account. */
int auth_has_password(auth *a, const char *login, bool *out);
/* Roles granted to login in app (admin not included). *out: array of strings, free with
 * auth_roles_free. */
int auth_roles(auth *a, const char *login, const char *app, char ***out, size_t *n);
void auth_roles_free(char **v, size_t n);
/*
 * The e-mail addresses of the users granted `role` in `app` (not disabled, address
 * not empty), sorted, each once: where "role:<r>" mails go. Free with auth_roles_free.
 */
int auth_role_emails(auth *a, const char *app, const char *role, char ***out, size_t *n);

/* AUTH_OK and fills *out (may be NULL), or AUTH_DENIED for unknown login / wrong password (same
 * time). */
int auth_check_password(auth *a, const char *login, const char *password, auth_user *out);

/* Sessions: 12 h idle timeout, 7 days at most. token and csrf are 64 hex chars. */
int auth_session_create(auth *a, const char *login, time_t now, char token[AUTH_TOKEN_LEN],
			char csrf[AUTH_TOKEN_LEN]);
int auth_session_lookup(auth *a, const char *token, time_t now, auth_user *out,
			char csrf[AUTH_TOKEN_LEN]);
int auth_session_delete(auth *a, const char *token);

/* API tokens: "sa_" + 64 hex. The secret is shown once; only its hash is stored. */
/* One audit line "token.create" by actor, with the label (never the token). */
int auth_token_create(auth *a, const char *login, const char *label, const char *actor,
		      char token[AUTH_TOKEN_LEN]);
int auth_token_lookup(auth *a, const char *token, auth_user *out);

/* Audit log (SPEC 11). Never pass a secret in detail. */
void auth_audit(auth *a, const char *actor, const char *action, const char *target,
		const char *detail);
/* A page of the audit log (store_audit_page). */
int auth_audit_page(auth *a, const store_audit_query *q, store_audit_line **out, size_t *n);
/* Checks the audit chain (store_audit_verify): AUTH_OK and out filled, or an error. */
int auth_audit_verify(auth *a, store_audit_check *out);
/* Calls fn for the most recent `limit` audit lines, newest first. */
int auth_audit_list(auth *a, int limit,
		    void (*fn)(void *arg, const char *at, const char *actor, const char *action,
			       const char *target, const char *detail),
		    void *arg);

#endif
