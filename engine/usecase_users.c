/*
 * usecase_users — people and their rights, as a global admin manages them in the
 * browser (SPEC 6, /admin/users; see usecase.h). Every change is audited under the
 * admin's login by the auth layer, in the change's own transaction. A grant names a
 * role an app being served declares: a typo is refused, never stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usecase.h"

static uc_status from_auth(int rc)
{
	switch (rc) {
	case AUTH_OK:
		return UC_OK;
	case AUTH_NOTFOUND:
		return UC_NOT_FOUND;
	case AUTH_EXISTS:
		return UC_CONFLICT;
	case AUTH_INVALID:
	case AUTH_DENIED:
		return UC_INVALID;
	case AUTH_UNAVAILABLE:
		return UC_UNAVAILABLE;
	default:
		return UC_ERROR;
	}
}

void uc_person_clear(uc_person *p)
{
	free(p->login);
	free(p->name);
	free(p->email);
	free(p->last_login);
	for (size_t i = 0; i < p->ngrants; i++)
		free(p->grants[i]);
	free(p->grants);
	store_token_rows_free(p->tokens, p->ntokens);
	memset(p, 0, sizeof *p);
}

void uc_people_clear(uc_people *l)
{
	for (size_t i = 0; i < l->n; i++)
		uc_person_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void person_from(uc_person *p, const auth_user *u, const char *const *grants, size_t n)
{
	p->login = xstrdup(u->login);
	p->name = xstrdup(u->name);
	p->email = xstrdup(u->email);
	p->admin = u->admin;
	p->disabled = u->disabled;
	p->grants = xcalloc(n ? n : 1, sizeof *p->grants);
	for (size_t i = 0; i < n; i++)
		p->grants[i] = xstrdup(grants[i]);
	p->ngrants = n;
}

static void collect(void *arg, const auth_user *u, const char *const *grants, size_t n)
{
	uc_people *l = arg;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	memset(&l->v[l->n], 0, sizeof *l->v);
	person_from(&l->v[l->n++], u, grants, n);
}

uc_status uc_people_list(const uc_env *env, uc_people *out)
{
	memset(out, 0, sizeof *out);
	int rc = auth_user_list(env->au, collect, out);
	for (size_t i = 0; rc == AUTH_OK && i < out->n; i++)
		rc = auth_user_last_login(env->au, out->v[i].login, &out->v[i].last_login);
	if (rc != AUTH_OK)
		uc_people_clear(out);
	return from_auth(rc);
}

uc_status uc_person_get(const uc_env *env, const char *login, uc_person *out)
{
	memset(out, 0, sizeof *out);
	uc_people all;
	uc_status st = uc_people_list(env, &all);
	if (st != UC_OK)
		return st;
	st = UC_NOT_FOUND;
	for (size_t i = 0; i < all.n; i++)
		if (strcmp(all.v[i].login, login) == 0) {
			*out = all.v[i];
			memset(&all.v[i], 0, sizeof all.v[i]);
			st =
			    from_auth(auth_token_list(env->au, login, &out->tokens, &out->ntokens));
			break;
		}
	uc_people_clear(&all);
	if (st != UC_OK)
		uc_person_clear(out);
	return st;
}

uc_status uc_person_add(const uc_env *env, const char *admin, const uc_new_person *p,
			char password[AUTH_NEW_PASSWORD], char *msg, size_t msglen)
{
	password[0] = 0;
	const char *pw = p->password && *p->password ? p->password : NULL;
	if (!pw) {
		auth_new_password(password);
		pw = password;
	}
	char err[AUTH_ERR_LEN] = "";
	int rc = auth_user_add(env->au, p->login, p->name ? p->name : "", p->email ? p->email : "",
			       p->admin, pw, admin, err);
	if (rc != AUTH_OK) {
		snprintf(msg, msglen, "%s", err);
		password[0] = 0;
	}
	return from_auth(rc);
}

/* "app:role" of an app being served that declares the role. */
static bool grant_known(const uc_env *env, const char *grant, char *app, size_t na,
			const char **role)
{
	const char *colon = strchr(grant, ':');
	if (!colon || (size_t)(colon - grant) >= na)
		return false;
	snprintf(app, na, "%.*s", (int)(colon - grant), grant);
	*role = colon + 1;
	app_rt *rt = registry_get(env->reg, app);
	bool ok = false;
	for (size_t i = 0; rt && i < rt->def->nroles; i++)
		ok = ok || strcmp(rt->def->roles[i].id, *role) == 0;
	if (rt)
		registry_release(rt);
	return ok;
}

uc_status uc_person_grant(const uc_env *env, const char *admin, const char *login,
			  const char *grant, bool give)
{
	char app[128];
	const char *role;
	if (!grant || !grant_known(env, grant, app, sizeof app, &role))
		return UC_INVALID;
	return from_auth(give ? auth_grant(env->au, login, app, role, admin)
			      : auth_revoke(env->au, login, app, role, admin));
}

uc_status uc_person_disable(const uc_env *env, const char *admin, const char *login, bool disabled)
{
	if (disabled && strcmp(admin, login) == 0)
		return UC_CONFLICT; /* an admin does not lock themselves out */
	return from_auth(auth_user_set_disabled(env->au, login, disabled, admin));
}

uc_status uc_person_password(const uc_env *env, const char *admin, const char *login,
			     char password[AUTH_NEW_PASSWORD])
{
	auth_new_password(password);
	uc_status st = from_auth(auth_user_set_password_by(env->au, login, password, admin));
	if (st != UC_OK)
		password[0] = 0;
	return st;
}

uc_status uc_person_token(const uc_env *env, const char *admin, const char *login,
			  const char *label, char token[AUTH_TOKEN_LEN])
{
	token[0] = 0;
	return from_auth(auth_token_create(env->au, login, label ? label : "", admin, token));
}

uc_status uc_person_token_revoke(const uc_env *env, const char *admin, const char *login,
				 const char *hash)
{
	return from_auth(auth_token_revoke(env->au, login, hash, admin));
}
