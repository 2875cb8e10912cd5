/*
 * pages — shared pieces of the HTML door, the portal, sign-in and public tracking
 * (see pages.h, SPEC 6).
 */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "site.h"
#include "util.h"

const char *pages_tr(const req *r, const char *fr, const char *en)
{
	return r->lg == LANG_EN ? en : fr;
}

void pages_page(req *r, page *p)
{
	memset(p, 0, sizeof *p);
	p->lg = r->lg;
	p->path = r->path;
	p->user_login = r->user.login;
	p->user_name = r->user.name ? r->user.name : r->user.login;
	p->user_admin = r->user.admin;
	p->csrf = r->csrf;
	const char *type;
	const void *data;
	size_t len;
	p->site_name = site_name(r->env->site);
	p->site_logo = site_logo(r->env->site, &type, &data, &len);
	p->site_css = site_css(r->env->site) != NULL;
	p->site_access = site_text(r->env->site, "accessibility", "state");
}

void pages_error_back(req *r, int status, const char *message, const char *back)
{
	page p;
	pages_page(r, &p);
	buf_reset(&r->out);
	if (status >= 500)
		log_message("error", "id=%s %s", r->id, message ? message : "");
	render_error(&r->out, &p, status, status >= 500 ? NULL : message, r->id, back);
	req_html(r, status);
}

void pages_error(req *r, int status, const char *message)
{
	pages_error_back(r, status, message, NULL);
}

void pages_need_login(req *r)
{
	buf loc = BUF_INIT;
	buf_puts(&loc, "/login?next=");
	buf_urlenc(&loc, r->path);
	req_redirect(r, 303, buf_cstr(&loc));
	buf_free(&loc);
}

bool pages_read_post(req *r, req_kvs *kv)
{
	const char *ct = req_header(r, "Content-Type");
	if (!ct ||
	    (strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 && !r->multipart)) {
		pages_error(r, 415,
			    pages_tr(r,
				     "Ce formulaire doit être envoyé en "
				     "application/x-www-form-urlencoded ou multipart/form-data.",
				     "This form must be sent as application/x-www-form-urlencoded "
				     "or multipart/form-data."));
		return false;
	}
	if (req_parse_form(r, kv) != 0) {
		pages_error(r, 400,
			    pages_tr(r, "Le formulaire envoyé est mal encodé (UTF-8 invalide).",
				     "The form data is malformed (invalid UTF-8)."));
		return false;
	}
	const char *tok = req_kvs_get(kv, "_csrf");
	if (!tok || !r->csrf[0] || !util_ct_streq(tok, r->csrf)) {
		pages_error(r, 403,
			    pages_tr(r,
				     "Le jeton de sécurité du formulaire est absent ou périmé. "
				     "Rechargez la page et recommencez.",
				     "The form's security token is missing or expired. "
				     "Reload the page and try again."));
		return false;
	}
	return true;
}

/* ---- portal ---- */

void pages_portal(req *r)
{
	app_rt **apps;
	size_t n = registry_list(r->env->reg, &apps);
	portal_app *pa = arena_alloc(&r->mem, (n ? n : 1) * sizeof *pa);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const def_app *app = apps[i]->def;
		actor who;
		uc_actor(r->env, &r->user, app->id, &r->mem, &who);
		portal_form *pf =
		    arena_alloc(&r->mem, (app->nforms ? app->nforms : 1) * sizeof *pf);
		size_t m = 0;
		for (size_t f = 0; f < app->nforms; f++) {
			bool c = access_can_create(&app->forms[f], &who);
			bool rd = access_can_read_any(&app->forms[f], &who);
			if (c || rd)
				pf[m++] = (portal_form){&app->forms[f], c, rd};
		}
		if (m)
			pa[k++] = (portal_app){app, pf, m};
	}
	page p;
	pages_page(r, &p);
	render_portal(&r->out, &p, pa, k);
	req_html(r, 200);
	for (size_t i = 0; i < n; i++)
		registry_release(apps[i]);
	free(apps);
}

/* ---- sign-in ---- */

/* Only paths of this site, as the browser will read them: never an open redirect. */
static const char *safe_next(req *r, const char *next)
{
	size_t n = next ? strlen(next) + 1 : 0;
	if (n < 2 || n > 2048)
		return "/";
	char *out = arena_alloc(&r->mem, n);
	return util_local_path(next, out, n) ? out : "/";
}

static void login_again(req *r, int status, const char *login, const char *error, const char *next)
{
	page p;
	pages_page(r, &p);
	render_login(&r->out, &p, login, error, next);
	req_html(r, status);
}

void pages_login(req *r)
{
	if (strcmp(r->method, "GET") == 0) {
		login_again(r, 200, NULL, NULL, safe_next(r, req_query(r, "next")));
		return;
	}
	if (strcmp(r->method, "POST") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!pages_read_post(r, &kv))
		return;
	const char *login = req_kvs_get(&kv, "login");
	const char *password = req_kvs_get(&kv, "password");
	const char *next = safe_next(r, req_kvs_get(&kv, "next"));
	if (!login || !password || !*login || !*password) {
		login_again(r, 422, login,
			    pages_tr(r, "Saisissez votre identifiant et votre mot de passe.",
				     "Enter your login and password."),
			    next);
		return;
	}
	uc_session s;
	uc_result res = {0};
	switch (uc_login(r->env, r->client_key, r->client_addr, login, password, &s, &res)) {
	case UC_OK:
		break;
	case UC_TOO_MANY:
		login_again(
		    r, 429, login,
		    arena_printf(
			&r->mem,
			r->lg == LANG_EN
			    ? "Too many failed attempts: wait %d second%s before trying again."
			    : "Trop de tentatives échouées : patientez %d seconde%s avant de "
			      "réessayer.",
			res.retry_after, res.retry_after > 1 ? "s" : ""),
		    next);
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", res.retry_after));
		return;
	case UC_FORBIDDEN:
		login_again(r, 401, login,
			    pages_tr(r, "Identifiant ou mot de passe incorrect.",
				     "Wrong login or password."),
			    next);
		return;
	case UC_UNAVAILABLE: /* the database, or the directory, out of reach for now */
		login_again(r, 503, login,
			    pages_tr(r,
				     "La connexion est impossible pour le moment : réessayez dans "
				     "quelques secondes.",
				     "Signing in is not possible right now: try again in a few "
				     "seconds."),
			    next);
		req_add_header(r, "Retry-After", arena_printf(&r->mem, "%d", res.retry_after));
		return;
	default:
		pages_error(r, 500, res.msg);
		return;
	}
	char cookie[200];
	snprintf(cookie, sizeof cookie, "sa_session=%s; Path=/; HttpOnly; SameSite=Lax%s", s.token,
		 strncmp(r->env->base_url, "https:", 6) == 0 ? "; Secure" : "");
	auth_user_clear(&s.user);
	req_redirect(r, 303, next);
	req_add_header(r, "Set-Cookie", cookie);
}

void pages_logout(req *r)
{
	if (strcmp(r->method, "POST") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	req_kvs kv;
	if (!pages_read_post(r, &kv))
		return;
	uc_logout(r->env, req_cookie(r, "sa_session"), r->user.login, r->client_addr);
	req_redirect(r, 303, "/");
	req_add_header(r, "Set-Cookie", "sa_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
}

/* ---- public tracking ---- */

/* GET /suivi/<token>: what an anonymous submitter may know of their request. */
void pages_tracking(req *r, const char *token)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	uc_tracking *t = arena_alloc(&r->mem, sizeof *t);
	uc_status st = uc_track(r->env, token, t);
	if (st != UC_OK) {
		pages_error(r, st == UC_NOT_FOUND ? 404 : 500,
			    st == UC_NOT_FOUND ? pages_tr(r,
							  "Ce lien de suivi n'existe pas. Vérifiez "
							  "qu'il a été recopié en entier.",
							  "This tracking link does not exist. "
							  "Check that it was copied in full.")
					       : "tracking lookup failed");
		return;
	}
	r->app = t->app; /* released when the request ends */
	tracking_step *steps = arena_alloc(&r->mem, (t->nsteps ? t->nsteps : 1) * sizeof *steps);
	for (size_t i = 0; i < t->nsteps; i++)
		steps[i] = (tracking_step){t->steps[i].at, t->steps[i].state};
	const char *recu = req_query(r, "recu");
	page p;
	pages_page(r, &p);
	tracking_view v = {
	    .app = t->app->def,
	    .form = t->form,
	    .rec = &t->rec,
	    .steps = steps,
	    .nsteps = t->nsteps,
	    .receipt = recu && strcmp(recu, "1") == 0,
	    .link = arena_printf(&r->mem, "%s/suivi/%s", r->env->base_url, token),
	};
	render_tracking(&r->out, &p, &v);
	/* The token is the key: every answer is no-store, and the Referrer-Policy keeps
	 * the URL out of other sites' logs (server.c). */
	req_html(r, 200);
	record_clear(&t->rec);
}
