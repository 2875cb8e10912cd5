/*
 * test_auth — unit tests of engine/auth.c: users and passwords, grants, sessions, API
 * tokens, the audit log and concurrent use.
 *
 * Each test gets a fresh data directory under /tmp (removed afterwards). Tests that
 * assert a secret is not on disk close the handle first, so the WAL is checkpointed,
 * then read every system.db* file byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "testdb.h"
#include "buf.h"
#include "log.h"
#include "util.h"

#define T0 ((time_t)1795000000)   /* a fixed "now" for sessions and the throttle */

typedef struct fixture {
	char dir[64];
	char data[96];            /* dir/data, created by auth_open */
	store_backend *b;
	auth *a;
} fixture;

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		char sub[1024];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		rm_rf(sub);
	}
	closedir(d);
	rmdir(path);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	char err[AUTH_ERR_LEN];

	strcpy(f->dir, "/tmp/test_auth.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->data, sizeof f->data, "%s/data", f->dir);
	f->b = testdb_open(f->data);
	f->a = auth_open(f->b, err);
	if (!f->a) {
		fprintf(stderr, "auth_open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	auth_close(f->a);
	testdb_close(f->b);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static void reopen(fixture *f)
{
	char err[AUTH_ERR_LEN];

	auth_close(f->a);
	f->a = auth_open(f->b, err);
	assert_non_null(f->a);
}

/* A raw look at the system database, beside the store. */
static int64_t sql_int(const fixture *f, const char *sql)
{
	return testdb_int(f->b, "system", sql);
}

static bool db_files_contain(const fixture *f, const char *needle)
{
	return testdb_system_contains(f->b, needle);
}

static void add_user(fixture *f, const char *login, bool admin, const char *pw)
{
	char err[AUTH_ERR_LEN];
	int rc = auth_user_add(f->a, login, "Name", "x@example.org", admin, pw, "test", err);
	if (rc != AUTH_OK)
		fprintf(stderr, "auth_user_add %s: %s\n", login, err);
	assert_int_equal(rc, AUTH_OK);
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- users and passwords --------------------------------------------------------------- */

static void password_check_accepts_right_and_denies_wrong_or_unknown(void **state)
{
	fixture *f = *state;
	auth_user u = {0};

	add_user(f, "alice", false, "correct horse battery staple");
	assert_int_equal(auth_check_password(f->a, "alice", "correct horse battery staple", &u), AUTH_OK);
	assert_string_equal(u.login, "alice");
	assert_string_equal(u.name, "Name");
	assert_string_equal(u.email, "x@example.org");
	assert_false(u.admin);
	assert_true(u.id > 0);
	auth_user_clear(&u);

	assert_int_equal(auth_check_password(f->a, "alice", "correct horse battery stapl", &u), AUTH_DENIED);
	assert_null(u.login);
	assert_int_equal(auth_check_password(f->a, "alice", "", NULL), AUTH_DENIED);
	assert_int_equal(auth_check_password(f->a, "alice", NULL, NULL), AUTH_DENIED);
	assert_int_equal(auth_check_password(f->a, "bob", "correct horse battery staple", NULL), AUTH_DENIED);
	assert_int_equal(auth_check_password(f->a, "Not Valid", "x", NULL), AUTH_DENIED);
}

static void unknown_login_costs_as_much_time_as_a_wrong_password(void **state)
{
	fixture *f = *state;
	double t, wrong = 0, unknown = 0;
	int i;

	add_user(f, "alice", false, "secret-1");
	for (i = 0; i < 3; i++) {
		t = seconds();
		assert_int_equal(auth_check_password(f->a, "alice", "nope", NULL), AUTH_DENIED);
		wrong += seconds() - t;
		t = seconds();
		assert_int_equal(auth_check_password(f->a, "nobody", "nope", NULL), AUTH_DENIED);
		unknown += seconds() - t;
	}
	/* Both run one argon2id verification (tens of ms); without the dummy it would be ~0. */
	assert_true(unknown > 0.5 * wrong);
	assert_true(wrong > 0.5 * unknown);
}

static void account_without_password_cannot_log_in(void **state)
{
	fixture *f = *state;

	add_user(f, "svc", false, NULL);
	assert_int_equal(auth_check_password(f->a, "svc", "", NULL), AUTH_DENIED);
	assert_int_equal(auth_check_password(f->a, "svc", "anything", NULL), AUTH_DENIED);
}

static void password_is_stored_as_argon2id_never_in_clear(void **state)
{
	fixture *f = *state;
	const char *pw = "Tr0ub4dor&3-unique-marker";

	add_user(f, "alice", false, pw);
	auth_close(f->a);
	f->a = NULL;

	assert_int_equal(sql_int(f, "SELECT count(*) FROM users WHERE login = 'alice' AND "
	                            "password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%'"),
	                 1);

	assert_false(db_files_contain(f, pw));
	assert_true(db_files_contain(f, "$argon2id$"));   /* the scan does see the hashes */

	reopen(f);
	assert_int_equal(auth_check_password(f->a, "alice", pw, NULL), AUTH_OK);
}

static void same_password_gets_a_different_salt(void **state)
{
	fixture *f = *state;

	add_user(f, "alice", false, "same");
	add_user(f, "bob", false, "same");
	assert_int_equal(sql_int(f, "SELECT count(DISTINCT password_hash) FROM users"), 2);
}

static void duplicate_user_is_exists(void **state)
{
	fixture *f = *state;
	char err[AUTH_ERR_LEN];

	add_user(f, "alice", false, "pw");
	assert_int_equal(auth_user_add(f->a, "alice", "Other", NULL, true, "pw2", "test", err), AUTH_EXISTS);
	assert_non_null(strstr(err, "alice"));
	assert_int_equal(sql_int(f, "SELECT count(*) FROM users"), 1);
	assert_int_equal(auth_check_password(f->a, "alice", "pw", NULL), AUTH_OK);
}

static void invalid_login_syntax_is_refused(void **state)
{
	fixture *f = *state;
	char err[AUTH_ERR_LEN];
	char long64[65], long65[66];
	const char *bad[] = {"", "Alice", ".alice", "-alice", "_a", "al ice", "al/ice", "é", "a\n",
	                     "al@ice", "system", "anonyme"};  /* the last two: names the history reserves */
	size_t i;

	memset(long64, 'a', 64);
	long64[64] = '\0';
	memset(long65, 'a', 65);
	long65[65] = '\0';
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(auth_user_add(f->a, bad[i], NULL, NULL, false, "pw", "test", err), AUTH_INVALID);
	assert_int_equal(auth_user_add(f->a, long65, NULL, NULL, false, "pw", "test", err), AUTH_INVALID);
	assert_int_equal(auth_user_add(f->a, NULL, NULL, NULL, false, "pw", "test", err), AUTH_INVALID);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM users"), 0);

	assert_int_equal(auth_user_add(f->a, long64, NULL, NULL, false, NULL, "test", err), AUTH_OK);
	assert_int_equal(auth_user_add(f->a, "0a.b_c-d", NULL, NULL, false, NULL, "test", err), AUTH_OK);
	assert_int_equal(auth_user_add(f->a, "9", NULL, NULL, false, NULL, "test", err), AUTH_OK);
}

static void name_with_control_characters_or_empty_password_is_invalid(void **state)
{
	fixture *f = *state;
	char err[AUTH_ERR_LEN];

	assert_int_equal(auth_user_add(f->a, "alice", "A\nB", NULL, false, NULL, "test", err), AUTH_INVALID);
	assert_int_equal(auth_user_add(f->a, "alice", "A", "x\x01@y", false, NULL, "test", err), AUTH_INVALID);
	assert_int_equal(auth_user_add(f->a, "alice", "\xff\xfe", NULL, false, NULL, "test", err), AUTH_INVALID);
	assert_int_equal(auth_user_add(f->a, "alice", "A", NULL, false, "", "test", err), AUTH_INVALID);
	assert_int_equal(auth_user_add(f->a, "alice", "Zoé Müller", NULL, false, "p", "test", err), AUTH_OK);
}

static void disabled_user_is_denied_everywhere(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN], api[AUTH_TOKEN_LEN];
	char **roles = NULL;
	size_t n = 0;
	int64_t admins = 0;

	add_user(f, "alice", true, "pw");
	assert_int_equal(auth_grant(f->a, "alice", "vaccins", "centre", "root"), AUTH_OK);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	assert_int_equal(auth_token_create(f->a, "alice", "ci", "test", api), AUTH_OK);
	assert_int_equal(sql_int(f, "UPDATE users SET disabled = 1"), -1);

	assert_int_equal(auth_check_password(f->a, "alice", "pw", NULL), AUTH_DENIED);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 1, NULL, NULL), AUTH_DENIED);
	assert_int_equal(auth_token_lookup(f->a, api, NULL), AUTH_DENIED);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_DENIED);
	assert_int_equal(auth_roles(f->a, "alice", "vaccins", &roles, &n), AUTH_OK);
	assert_int_equal(n, 0);
	auth_roles_free(roles, n);
	assert_int_equal(auth_admin_count(f->a, &admins), AUTH_OK);
	assert_int_equal(admins, 0);
}

static void new_password_replaces_old_and_closes_sessions(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN];

	add_user(f, "alice", false, "old");
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	assert_int_equal(auth_user_set_password(f->a, "alice", "new"), AUTH_OK);
	assert_int_equal(auth_check_password(f->a, "alice", "old", NULL), AUTH_DENIED);
	assert_int_equal(auth_check_password(f->a, "alice", "new", NULL), AUTH_OK);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 1, NULL, NULL), AUTH_DENIED);
	assert_int_equal(auth_user_set_password(f->a, "bob", "x"), AUTH_NOTFOUND);
	assert_int_equal(auth_user_set_password(f->a, "alice", NULL), AUTH_OK);
	assert_int_equal(auth_check_password(f->a, "alice", "new", NULL), AUTH_DENIED);
}

static void user_get_returns_the_user_or_notfound(void **state)
{
	fixture *f = *state;
	auth_user u = {0};

	add_user(f, "alice", true, NULL);
	assert_int_equal(auth_user_get(f->a, "alice", &u), AUTH_OK);
	assert_string_equal(u.login, "alice");
	assert_true(u.admin);
	auth_user_clear(&u);
	assert_int_equal(auth_user_get(f->a, "bob", &u), AUTH_NOTFOUND);
	assert_null(u.login);
	assert_int_equal(auth_user_get(f->a, "BAD LOGIN", &u), AUTH_NOTFOUND);
}

/* ---- grants ----------------------------------------------------------------------------- */

static void grant_is_idempotent_revoke_removes_and_roles_are_per_app(void **state)
{
	fixture *f = *state;
	char **roles = NULL;
	size_t n = 0;

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_grant(f->a, "alice", "vaccins", "centre", "root"), AUTH_OK);
	assert_int_equal(auth_grant(f->a, "alice", "vaccins", "centre", "root"), AUTH_OK);
	assert_int_equal(auth_grant(f->a, "alice", "vaccins", "ars", "root"), AUTH_OK);
	assert_int_equal(auth_grant(f->a, "alice", "ponts-sete", "agent", "root"), AUTH_OK);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM grants"), 3);
	/* one audit line per change, none for the repeated grant */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'grant'"), 3);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'grant'"
	                            " AND actor = 'root' AND target = 'alice'"
	                            " AND detail = 'vaccins:centre'"), 1);

	assert_int_equal(auth_roles(f->a, "alice", "vaccins", &roles, &n), AUTH_OK);
	assert_int_equal(n, 2);
	assert_string_equal(roles[0], "ars");
	assert_string_equal(roles[1], "centre");
	auth_roles_free(roles, n);

	assert_int_equal(auth_revoke(f->a, "alice", "vaccins", "centre", "root"), AUTH_OK);
	assert_int_equal(auth_revoke(f->a, "alice", "vaccins", "centre", "root"), AUTH_NOTFOUND);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'revoke'"), 1);
	assert_int_equal(auth_roles(f->a, "alice", "vaccins", &roles, &n), AUTH_OK);
	assert_int_equal(n, 1);
	assert_string_equal(roles[0], "ars");
	auth_roles_free(roles, n);

	assert_int_equal(auth_roles(f->a, "alice", "reclamations", &roles, &n), AUTH_OK);
	assert_int_equal(n, 0);
	assert_null(roles);
	assert_int_equal(auth_roles(f->a, "nobody", "vaccins", &roles, &n), AUTH_OK);
	assert_int_equal(n, 0);
}

static void grant_checks_user_app_and_role(void **state)
{
	fixture *f = *state;
	char app40[41], app41[42];
	char **roles = NULL;
	size_t n = 0;

	memset(app40, 'a', 40);
	app40[40] = '\0';
	memset(app41, 'a', 41);
	app41[41] = '\0';
	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_grant(f->a, "bob", "vaccins", "centre", "root"), AUTH_NOTFOUND);
	assert_int_equal(auth_grant(f->a, "alice", "Vaccins", "centre", "root"), AUTH_INVALID);
	assert_int_equal(auth_grant(f->a, "alice", "1app", "centre", "root"), AUTH_INVALID);
	assert_int_equal(auth_grant(f->a, "alice", "vac_cins", "centre", "root"), AUTH_INVALID);
	assert_int_equal(auth_grant(f->a, "alice", app41, "centre", "root"), AUTH_INVALID);
	assert_int_equal(auth_grant(f->a, "alice", "vaccins", "Centre", "root"), AUTH_INVALID);
	assert_int_equal(auth_grant(f->a, "alice", "vaccins", "centre:x", "root"), AUTH_INVALID);
	assert_int_equal(auth_grant(f->a, "alice", "vaccins", "", "root"), AUTH_INVALID);
	assert_int_equal(auth_grant(f->a, "alice", "vaccins", "c-x", "root"), AUTH_INVALID);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM grants"), 0);
	assert_int_equal(auth_grant(f->a, "alice", app40, "chef_de_centre2", "root"), AUTH_OK);
	assert_int_equal(auth_roles(f->a, "alice", "Bad App", &roles, &n), AUTH_INVALID);
}

static void admin_count_counts_admins_only(void **state)
{
	fixture *f = *state;
	int64_t n = -1;

	assert_int_equal(auth_admin_count(f->a, &n), AUTH_OK);
	assert_int_equal(n, 0);
	add_user(f, "alice", false, NULL);
	add_user(f, "root", true, NULL);
	add_user(f, "root2", true, NULL);
	assert_int_equal(auth_admin_count(f->a, &n), AUTH_OK);
	assert_int_equal(n, 2);
}

typedef struct list_seen {
	buf text;
	int calls;
} list_seen;

static void collect_user(void *arg, const auth_user *u, const char *const *grants, size_t ngrants)
{
	list_seen *ls = arg;
	size_t i;

	ls->calls++;
	buf_printf(&ls->text, "%s%s[", u->login, u->admin ? "*" : "");
	for (i = 0; i < ngrants; i++)
		buf_printf(&ls->text, "%s%s", i ? "," : "", grants[i]);
	buf_puts(&ls->text, "] ");
}

static void user_list_is_in_login_order_with_grants(void **state)
{
	fixture *f = *state;
	list_seen ls = {BUF_INIT, 0};

	add_user(f, "zoe", false, NULL);
	add_user(f, "alice", true, NULL);
	add_user(f, "bob", false, NULL);
	assert_int_equal(auth_grant(f->a, "zoe", "vaccins", "centre", NULL), AUTH_OK);
	assert_int_equal(auth_grant(f->a, "zoe", "ponts", "agent", NULL), AUTH_OK);
	assert_int_equal(auth_grant(f->a, "alice", "vaccins", "ars", NULL), AUTH_OK);
	assert_int_equal(auth_user_list(f->a, collect_user, &ls), AUTH_OK);
	assert_int_equal(ls.calls, 3);
	assert_string_equal(buf_cstr(&ls.text), "alice*[vaccins:ars] bob[] zoe[ponts:agent,vaccins:centre] ");
	buf_free(&ls.text);
}

/* ---- sessions --------------------------------------------------------------------------- */

static bool all_hex(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return s[n] == '\0';
}

static void session_lookup_returns_user_and_csrf(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN], csrf2[AUTH_TOKEN_LEN];
	char token2[AUTH_TOKEN_LEN], csrf3[AUTH_TOKEN_LEN];
	auth_user u = {0};

	add_user(f, "alice", true, NULL);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	assert_true(all_hex(token, 64));
	assert_true(all_hex(csrf, 64));
	assert_string_not_equal(token, csrf);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 5, &u, csrf2), AUTH_OK);
	assert_string_equal(u.login, "alice");
	assert_true(u.admin);
	assert_string_equal(csrf, csrf2);
	auth_user_clear(&u);

	/* each session is its own: a second one has other secrets */
	assert_int_equal(auth_session_create(f->a, "alice", T0, token2, csrf3), AUTH_OK);
	assert_string_not_equal(token, token2);
	assert_string_not_equal(csrf, csrf3);

	assert_int_equal(auth_session_create(f->a, "bob", T0, token2, csrf3), AUTH_NOTFOUND);
}

static void malformed_or_unknown_session_token_is_denied(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN], upper[AUTH_TOKEN_LEN];
	char other[AUTH_TOKEN_LEN];
	size_t i;

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	strcpy(upper, token);
	for (i = 0; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	assert_int_equal(auth_session_lookup(f->a, upper, T0, NULL, NULL),
	                 strcmp(upper, token) ? AUTH_DENIED : AUTH_OK);
	assert_int_equal(auth_session_lookup(f->a, "", T0, NULL, NULL), AUTH_DENIED);
	assert_int_equal(auth_session_lookup(f->a, NULL, T0, NULL, NULL), AUTH_DENIED);
	assert_int_equal(auth_session_lookup(f->a, csrf, T0, NULL, NULL), AUTH_DENIED);
	strcpy(other, token);
	other[63] = other[63] == '0' ? '1' : '0';
	assert_int_equal(auth_session_lookup(f->a, other, T0, NULL, NULL), AUTH_DENIED);
	strcpy(other, token);
	other[63] = '\0';
	assert_int_equal(auth_session_lookup(f->a, other, T0, NULL, NULL), AUTH_DENIED);
	assert_int_equal(auth_session_lookup(f->a, token, T0, NULL, NULL), AUTH_OK);
}

static void session_idle_for_13_hours_is_denied_and_deleted(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN];
	auth_user u = {0};

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 11 * 3600, NULL, NULL), AUTH_OK);
	/* 11 h later again: the lookup above renewed the idle timer */
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 22 * 3600, NULL, NULL), AUTH_OK);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 35 * 3600, &u, csrf), AUTH_DENIED);
	assert_null(u.login);
	assert_string_equal(csrf, "");
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sessions"), 0);
	/* gone, not merely refused at that time */
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 22 * 3600 + 1, NULL, NULL), AUTH_DENIED);
}

static void session_older_than_7_days_is_denied_even_when_active(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN];
	time_t t;

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	/* a lookup every 6 h keeps it from idling out; only the 7-day limit can end it */
	for (t = T0 + 3600; t < T0 + 8 * 86400; t += 6 * 3600) {
		int want = t < T0 + 7 * 86400 ? AUTH_OK : AUTH_DENIED;
		assert_int_equal(auth_session_lookup(f->a, token, t, NULL, NULL), want);
		if (want == AUTH_DENIED)
			break;
	}
	assert_true(t < T0 + 8 * 86400);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 8 * 86400, NULL, NULL), AUTH_DENIED);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sessions"), 0);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 7 * 86400 - 10, NULL, NULL), AUTH_DENIED);
}

static void session_last_seen_is_written_at_most_once_a_minute(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN];

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 30, NULL, NULL), AUTH_OK);
	assert_int_equal(sql_int(f, "SELECT last_seen FROM sessions"), T0);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 61, NULL, NULL), AUTH_OK);
	assert_int_equal(sql_int(f, "SELECT last_seen FROM sessions"), T0 + 61);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 100, NULL, NULL), AUTH_OK);
	assert_int_equal(sql_int(f, "SELECT last_seen FROM sessions"), T0 + 61);
}

static void deleted_session_is_denied(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN], t2[AUTH_TOKEN_LEN], c2[AUTH_TOKEN_LEN];

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	assert_int_equal(auth_session_create(f->a, "alice", T0, t2, c2), AUTH_OK);
	assert_int_equal(auth_session_delete(f->a, token), AUTH_OK);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 1, NULL, NULL), AUTH_DENIED);
	assert_int_equal(auth_session_delete(f->a, token), AUTH_NOTFOUND);
	assert_int_equal(auth_session_delete(f->a, "junk"), AUTH_NOTFOUND);
	/* the other session of the same user lives on */
	assert_int_equal(auth_session_lookup(f->a, t2, T0 + 1, NULL, NULL), AUTH_OK);
}

static void session_token_is_stored_hashed(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN], hash[65], sql[256];

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	util_sha256_hex(token, strlen(token), hash);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE token_hash = '%s'", hash);
	assert_int_equal(sql_int(f, sql), 1);
	auth_close(f->a);
	f->a = NULL;
	assert_false(db_files_contain(f, token));
	assert_true(db_files_contain(f, hash));
	reopen(f);
	assert_int_equal(auth_session_lookup(f->a, token, T0 + 1, NULL, NULL), AUTH_OK);
}

static void dead_sessions_are_swept_at_the_next_login(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN];

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	assert_int_equal(auth_session_create(f->a, "alice", T0, token, csrf), AUTH_OK);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sessions"), 2);
	assert_int_equal(auth_session_create(f->a, "alice", T0 + 13 * 3600, token, csrf), AUTH_OK);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sessions"), 1);
}

/* ---- API tokens ------------------------------------------------------------------------- */

static void api_token_opens_as_its_user_and_is_stored_hashed(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN], bad[AUTH_TOKEN_LEN], hash[65], sql[256];
	auth_user u = {0};

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_token_create(f->a, "alice", "export nightly", "test", token), AUTH_OK);
	assert_int_equal(strncmp(token, "sa_", 3), 0);
	assert_int_equal(strlen(token), 67);
	assert_true(all_hex(token + 3, 64));
	assert_int_equal(auth_token_lookup(f->a, token, &u), AUTH_OK);
	assert_string_equal(u.login, "alice");
	auth_user_clear(&u);

	strcpy(bad, token);
	bad[66] = bad[66] == 'a' ? 'b' : 'a';
	assert_int_equal(auth_token_lookup(f->a, bad, &u), AUTH_DENIED);
	assert_null(u.login);
	assert_int_equal(auth_token_lookup(f->a, token + 3, NULL), AUTH_DENIED);
	assert_int_equal(auth_token_lookup(f->a, "sa_", NULL), AUTH_DENIED);
	assert_int_equal(auth_token_lookup(f->a, NULL, NULL), AUTH_DENIED);
	assert_int_equal(auth_token_create(f->a, "bob", "x", "test", bad), AUTH_NOTFOUND);

	util_sha256_hex(token, strlen(token), hash);
	snprintf(sql, sizeof sql, "SELECT last_used IS NOT NULL FROM tokens WHERE hash = '%s'", hash);
	assert_int_equal(sql_int(f, sql), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'token.create'"
	                            " AND target = 'alice' AND detail = 'export nightly'"), 1);
	auth_close(f->a);
	f->a = NULL;
	assert_false(db_files_contain(f, token));
	assert_false(db_files_contain(f, token + 3));
	assert_true(db_files_contain(f, hash));
	reopen(f);
	assert_int_equal(auth_token_lookup(f->a, token, NULL), AUTH_OK);
}

static void api_token_last_used_is_written_at_most_once_a_minute(void **state)
{
	fixture *f = *state;
	char token[AUTH_TOKEN_LEN];

	add_user(f, "alice", false, NULL);
	assert_int_equal(auth_token_create(f->a, "alice", NULL, "test", token), AUTH_OK);
	assert_int_equal(auth_token_lookup(f->a, token, NULL), AUTH_OK);
	assert_int_equal(sql_int(f, "UPDATE tokens SET last_used = 1000"), -1);
	assert_int_equal(auth_token_lookup(f->a, token, NULL), AUTH_OK);
	assert_true(sql_int(f, "SELECT last_used FROM tokens") > 1000);
	char sql[96];
	snprintf(sql, sizeof sql, "UPDATE tokens SET last_used = %lld", (long long)time(NULL) - 10);
	assert_int_equal(sql_int(f, sql), -1);
	assert_int_equal(auth_token_lookup(f->a, token, NULL), AUTH_OK);
	assert_true(time(NULL) - sql_int(f, "SELECT last_used FROM tokens") >= 10);
}

/* ---- audit ------------------------------------------------------------------------------ */

typedef struct audit_seen {
	buf text;
	int calls;
} audit_seen;

static void collect_audit(void *arg, const char *at, const char *actor, const char *action,
                          const char *target, const char *detail)
{
	audit_seen *s = arg;
	time_t t;

	assert_true(util_parse_datetime(at, &t));
	s->calls++;
	buf_printf(&s->text, "%s|%s|%s|%s\n", actor, action, target, detail);
}

static void audit_lines_are_written_and_listed_newest_first(void **state)
{
	fixture *f = *state;
	audit_seen s = {BUF_INIT, 0};

	auth_audit(f->a, "alice", "login", "alice", "addr=127.0.0.1");
	auth_audit(f->a, "bob", "login.fail", "bob", NULL);
	auth_audit(f->a, "admin", "deploy", "vaccins", "v=abc");
	assert_int_equal(auth_audit_list(f->a, 2, collect_audit, &s), AUTH_OK);
	assert_int_equal(s.calls, 2);
	assert_string_equal(buf_cstr(&s.text), "admin|deploy|vaccins|v=abc\nbob|login.fail|bob|\n");
	buf_free(&s.text);

	memset(&s, 0, sizeof s);
	assert_int_equal(auth_audit_list(f->a, 100, collect_audit, &s), AUTH_OK);
	assert_int_equal(s.calls, 3);
	buf_free(&s.text);

	/* survives a restart */
	reopen(f);
	memset(&s, 0, sizeof s);
	assert_int_equal(auth_audit_list(f->a, 1, collect_audit, &s), AUTH_OK);
	assert_string_equal(buf_cstr(&s.text), "admin|deploy|vaccins|v=abc\n");
	buf_free(&s.text);
}

/* ---- database ----------------------------------------------------------------------------- */

static void database_is_private_wal_and_versioned(void **state)
{
	fixture *f = *state;
	char path[256], err[AUTH_ERR_LEN];
	struct stat st;
	auth *b;

	if (testdb_pg()) {
		/* PostgreSQL: the version is a row of the schema's _meta; files are the server's. */
		assert_int_equal(sql_int(f, "SELECT value::bigint FROM _meta WHERE key = 'schema'"), 3);
		assert_int_equal(sql_int(f, "UPDATE _meta SET value = '99' WHERE key = 'schema'"), -1);
		b = auth_open(f->b, err);
		assert_null(b);
		assert_non_null(strstr(err, "newer"));
		assert_int_equal(sql_int(f, "UPDATE _meta SET value = '3' WHERE key = 'schema'"), -1);
		return;
	}
	snprintf(path, sizeof path, "%s/system.db", f->data);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	assert_int_equal(stat(f->data, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 3); /* 2: audit chain, 3: last login */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);

	/* a database from a newer engine is refused, not damaged */
	assert_int_equal(sql_int(f, "PRAGMA user_version = 99"), -1);
	b = auth_open(f->b, err);
	assert_null(b);
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(sql_int(f, "PRAGMA user_version = 3"), -1);
}

static void open_creates_missing_parent_directories(void **state)
{
	fixture *f = *state;
	char deep[160], err[AUTH_ERR_LEN], serr[STORE_ERR_LEN];
	auth *b;

	if (testdb_pg())
		skip(); /* no files of its own on PostgreSQL */
	snprintf(deep, sizeof deep, "%s/x/y/z", f->dir);
	store_backend *other = store_backend_open(NULL, deep, serr);
	b = auth_open(other, err);
	assert_non_null(b);
	add_user(f, "alice", false, NULL);   /* f->a is independent of b */
	assert_int_equal(auth_user_add(b, "alice", NULL, NULL, false, NULL, "test", err), AUTH_OK);
	auth_close(b);
	store_backend_close(other);
	store_backend *nowhere = store_backend_open(NULL, "/proc/definitely/not/here", serr);
	assert_null(auth_open(nowhere, err));
	assert_true(err[0] != '\0');
	store_backend_close(nowhere);
}

/* ---- concurrency -------------------------------------------------------------------------- */

#define NTHREADS 4
#define NSESS 8
#define LOOKUPS 3000

typedef struct worker {
	auth *a;
	char (*tokens)[AUTH_TOKEN_LEN];
	int failures;
	int done;
} worker;

static void *lookup_worker(void *arg)
{
	worker *w = arg;
	int i;

	for (i = 0; i < LOOKUPS; i++) {
		auth_user u = {0};
		char csrf[AUTH_TOKEN_LEN];
		/* now moves forward so the lookups also write last_seen now and then */
		int rc = auth_session_lookup(w->a, w->tokens[i % NSESS], T0 + i, &u, csrf);
		if (rc != AUTH_OK || strcmp(u.login, "alice") != 0)
			w->failures++;
		auth_user_clear(&u);
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void concurrent_session_lookups_while_writing_never_fail(void **state)
{
	fixture *f = *state;
	char tokens[NSESS][AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN];
	pthread_t th[NTHREADS];
	worker w[NTHREADS];
	int i, writes = 0, running;

	add_user(f, "alice", false, NULL);
	for (i = 0; i < NSESS; i++)
		assert_int_equal(auth_session_create(f->a, "alice", T0, tokens[i], csrf), AUTH_OK);
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (worker){f->a, tokens, 0, 0};
		assert_int_equal(pthread_create(&th[i], NULL, lookup_worker, &w[i]), 0);
	}
	do {
		char login[32], tok[AUTH_TOKEN_LEN], c2[AUTH_TOKEN_LEN];
		char **roles = NULL;
		size_t n = 0;

		snprintf(login, sizeof login, "u%d", writes);
		assert_int_equal(auth_user_add(f->a, login, NULL, NULL, false, NULL, "test", NULL), AUTH_OK);
		assert_int_equal(auth_grant(f->a, login, "vaccins", "centre", "root"), AUTH_OK);
		assert_int_equal(auth_session_create(f->a, login, T0, tok, c2), AUTH_OK);
		auth_audit(f->a, "root", "test", login, NULL);
		assert_int_equal(auth_roles(f->a, login, "vaccins", &roles, &n), AUTH_OK);
		assert_int_equal(n, 1);
		auth_roles_free(roles, n);
		writes++;
		running = 0;
		for (i = 0; i < NTHREADS; i++)
			running += !__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);
	} while (running);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	print_message("%d writes during the lookups\n", writes);
	assert_true(writes > 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'test'"), writes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(password_check_accepts_right_and_denies_wrong_or_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_login_costs_as_much_time_as_a_wrong_password, setup, teardown),
		cmocka_unit_test_setup_teardown(account_without_password_cannot_log_in, setup, teardown),
		cmocka_unit_test_setup_teardown(password_is_stored_as_argon2id_never_in_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(same_password_gets_a_different_salt, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicate_user_is_exists, setup, teardown),
		cmocka_unit_test_setup_teardown(invalid_login_syntax_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(name_with_control_characters_or_empty_password_is_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(disabled_user_is_denied_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(new_password_replaces_old_and_closes_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(user_get_returns_the_user_or_notfound, setup, teardown),
		cmocka_unit_test_setup_teardown(grant_is_idempotent_revoke_removes_and_roles_are_per_app, setup, teardown),
		cmocka_unit_test_setup_teardown(grant_checks_user_app_and_role, setup, teardown),
		cmocka_unit_test_setup_teardown(admin_count_counts_admins_only, setup, teardown),
		cmocka_unit_test_setup_teardown(user_list_is_in_login_order_with_grants, setup, teardown),
		cmocka_unit_test_setup_teardown(session_lookup_returns_user_and_csrf, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_or_unknown_session_token_is_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(session_idle_for_13_hours_is_denied_and_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(session_older_than_7_days_is_denied_even_when_active, setup, teardown),
		cmocka_unit_test_setup_teardown(session_last_seen_is_written_at_most_once_a_minute, setup, teardown),
		cmocka_unit_test_setup_teardown(deleted_session_is_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(session_token_is_stored_hashed, setup, teardown),
		cmocka_unit_test_setup_teardown(dead_sessions_are_swept_at_the_next_login, setup, teardown),
		cmocka_unit_test_setup_teardown(api_token_opens_as_its_user_and_is_stored_hashed, setup, teardown),
		cmocka_unit_test_setup_teardown(api_token_last_used_is_written_at_most_once_a_minute, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_lines_are_written_and_listed_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(database_is_private_wal_and_versioned, setup, teardown),
		cmocka_unit_test_setup_teardown(open_creates_missing_parent_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_session_lookups_while_writing_never_fail, setup, teardown),
	};

	if (util_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
