/*
 * pages_users — /admin/users and /admin/users/<login> (SPEC 6): people and their
 * rights, for global admins (pages_admin checked that). Every POST carries the CSRF
 * token (pages_read_post); a refusal comes back on the page with what was typed; what
 * was done redirects (303) to the person's page, except a new password or token, which
 * is shown once in the answer itself.
 */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct users_req {
	req *r;
	const char *admin; /* the acting admin's login */
	const char *login; /* /admin/users/<login>, or NULL */
	users_notice notice;
} users_req;

static const char *why(req *r, uc_status st, const char *detail)
{
	if (detail && *detail)
		return detail;
	switch (st) {
	case UC_NOT_FOUND:
		return pages_tr(r, "Personne, rôle ou jeton inconnu.",
				"Unknown person, role or token.");
	case UC_CONFLICT:
		return pages_tr(r,
				"Impossible : cet identifiant existe déjà, ou vous ne pouvez pas "
				"vous désactiver vous-même.",
				"Not possible: this login exists already, or you cannot disable "
				"yourself.");
	case UC_INVALID:
		return pages_tr(
		    r,
		    "Valeur refusée : identifiant en minuscules (a-z, 0-9, . _ -), mot "
		    "de passe d'au moins 12 caractères, rôle d'une application servie.",
		    "Value refused: login in lowercase (a-z, 0-9, . _ -), password of at "
		    "least 12 characters, a role of an app being served.");
	case UC_UNAVAILABLE:
		return pages_tr(r, "Base de données injoignable : réessayez.",
				"Database unreachable: try again.");
	default:
		return pages_tr(r, "Erreur interne.", "Internal error.");
	}
}

static int status_of(uc_status st)
{
	return st == UC_NOT_FOUND     ? 404
	       : st == UC_CONFLICT    ? 409
	       : st == UC_UNAVAILABLE ? 503
				      : 422;
}

static void list_page(users_req *u, int status, const req_kvs *echo)
{
	req *r = u->r;
	uc_people people;
	if (uc_people_list(r->env, &people) != UC_OK) {
		pages_error(r, 500, NULL);
		return;
	}
	page p;
	pages_page(r, &p);
	users_view v = {.people = &people, .notice = u->notice};
	if (echo) {
		v.login = req_kvs_get(echo, "login");
		v.name = req_kvs_get(echo, "name");
		v.email = req_kvs_get(echo, "email");
	}
	render_admin_users(&r->out, &p, &v);
	req_html(r, status);
	uc_people_clear(&people);
}

/* Every role of every app served, for the grant form. */
static role_option *role_options(req *r, size_t *n)
{
	app_rt **apps;
	size_t na = registry_list(r->env->reg, &apps), cap = 0;
	role_option *v = NULL;
	*n = 0;
	for (size_t i = 0; i < na; i++) {
		const def_app *d = apps[i]->def;
		for (size_t k = 0; k < d->nroles; k++) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				role_option *w = arena_alloc(&r->mem, cap * sizeof *w);
				if (*n)
					memcpy(w, v, *n * sizeof *w);
				v = w;
			}
			v[*n].value = arena_printf(&r->mem, "%s:%s", d->id, d->roles[k].id);
			v[*n].label =
			    arena_printf(&r->mem, "%s — %s", d->title,
					 d->roles[k].label ? d->roles[k].label : d->roles[k].id);
			(*n)++;
		}
		registry_release(apps[i]);
	}
	free(apps);
	return v;
}

static void person_page(users_req *u, int status)
{
	req *r = u->r;
	uc_person person;
	uc_status st = uc_person_get(r->env, u->login, &person);
	if (st != UC_OK) {
		pages_error(r, st == UC_NOT_FOUND ? 404 : 500, NULL);
		return;
	}
	page p;
	pages_page(r, &p);
	const char *base = arena_printf(&r->mem, "/admin/users/%s", u->login);
	user_view v = {.person = &person,
		       .notice = u->notice,
		       .grant_action = arena_printf(&r->mem, "%s/grant", base),
		       .revoke_action = arena_printf(&r->mem, "%s/revoke", base),
		       .disable_action = arena_printf(&r->mem, "%s/disable", base),
		       .enable_action = arena_printf(&r->mem, "%s/enable", base),
		       .password_action = arena_printf(&r->mem, "%s/password", base),
		       .tokens_action = arena_printf(&r->mem, "%s/tokens", base)};
	v.roles = role_options(r, &v.nroles);
	render_admin_user(&r->out, &p, &v);
	req_html(r, status);
	uc_person_clear(&person);
}

static void done(users_req *u, uc_status st)
{
	if (st == UC_OK) {
		req_redirect(u->r, 303, arena_printf(&u->r->mem, "/admin/users/%s", u->login));
		return;
	}
	u->notice.error = why(u->r, st, NULL);
	person_page(u, status_of(st));
}

static void create_person(users_req *u, const req_kvs *kv)
{
	req *r = u->r;
	const char *admin = req_kvs_get(kv, "admin");
	uc_new_person np = {.login = req_kvs_get(kv, "login"),
			    .name = req_kvs_get(kv, "name"),
			    .email = req_kvs_get(kv, "email"),
			    .password = req_kvs_get(kv, "password"),
			    .admin = admin && *admin};
	char pw[AUTH_NEW_PASSWORD], msg[AUTH_ERR_LEN] = "";
	uc_status st =
	    np.login ? uc_person_add(r->env, u->admin, &np, pw, msg, sizeof msg) : UC_INVALID;
	if (st != UC_OK) {
		u->notice.error = why(r, st, msg);
		list_page(u, status_of(st), kv);
		return;
	}
	u->login = np.login;
	u->notice.done = pages_tr(r, "Personne ajoutée.", "Person added.");
	if (pw[0]) {
		u->notice.secret = arena_strdup(&r->mem, pw);
		u->notice.secret_label = pages_tr(
		    r, "Son mot de passe, à lui transmettre :", "Their password, to pass on:");
	}
	person_page(u, 201);
}

static void person_post(users_req *u, const char *what, const char *hash, const req_kvs *kv)
{
	req *r = u->r;
	const uc_env *env = r->env;
	if (strcmp(what, "grant") == 0 || strcmp(what, "revoke") == 0) {
		done(u, uc_person_grant(env, u->admin, u->login, req_kvs_get(kv, "grant"),
					what[0] == 'g'));
	} else if (strcmp(what, "disable") == 0 || strcmp(what, "enable") == 0) {
		done(u, uc_person_disable(env, u->admin, u->login, what[0] == 'd'));
	} else if (strcmp(what, "password") == 0) {
		char pw[AUTH_NEW_PASSWORD];
		uc_status st = uc_person_password(env, u->admin, u->login, pw);
		if (st != UC_OK) {
			done(u, st);
			return;
		}
		u->notice.secret = arena_strdup(&r->mem, pw);
		u->notice.secret_label =
		    pages_tr(r, "Nouveau mot de passe (ses sessions sont closes) :",
			     "New password (their sessions are closed):");
		person_page(u, 200);
	} else if (strcmp(what, "tokens") == 0 && !hash) {
		char token[AUTH_TOKEN_LEN];
		uc_status st =
		    uc_person_token(env, u->admin, u->login, req_kvs_get(kv, "label"), token);
		if (st != UC_OK) {
			done(u, st);
			return;
		}
		u->notice.secret = arena_strdup(&r->mem, token);
		u->notice.secret_label =
		    pages_tr(r, "Nouveau jeton d'API (en-tête Authorization: Bearer …) :",
			     "New API token (header Authorization: Bearer …):");
		person_page(u, 201);
	} else if (strcmp(what, "tokens") == 0) {
		done(u, uc_person_token_revoke(env, u->admin, u->login, hash));
	} else {
		pages_error(r, 404, NULL);
	}
}

/* The path's segments: "admin", "users", [login, [action, [hash, "revoke"]]]; -1: too many. */
static int split(req *r, const char **seg, int max)
{
	char *path = arena_strdup(&r->mem, r->path);
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return -1;
		seg[n++] = t;
	}
	return n;
}

void pages_users(req *r)
{
	const char *seg[8];
	int nseg = split(r, seg, 8);
	users_req u = {.r = r, .admin = r->user.login, .login = nseg >= 3 ? seg[2] : NULL};
	bool post = strcmp(r->method, "POST") == 0;
	bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	bool token_revoke =
	    nseg == 6 && strcmp(seg[3], "tokens") == 0 && strcmp(seg[5], "revoke") == 0;
	if (nseg > 6 || (nseg == 6 && !token_revoke) || nseg == 5) {
		pages_error(r, 404, NULL);
		return;
	}
	if ((nseg <= 3 && !get && !post) || (nseg >= 4 && !post) || (nseg == 3 && post)) {
		pages_error(r, 405, NULL);
		return;
	}
	if (get) {
		if (nseg == 2)
			list_page(&u, 200, NULL);
		else
			person_page(&u, 200);
		return;
	}
	req_kvs kv;
	if (!pages_read_post(r, &kv))
		return;
	if (nseg == 2)
		create_person(&u, &kv);
	else
		person_post(&u, seg[3], token_revoke ? seg[4] : NULL, &kv);
}
