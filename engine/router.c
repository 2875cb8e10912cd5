/*
 * router — identification, language, CSRF and dispatch (see router.h).
 *
 * CSRF: a logged-in browser's forms carry its session's token; an anonymous
 * browser gets a random `sa_csrf` cookie (HttpOnly, SameSite=Lax) whose value its
 * forms must echo. API calls with a Bearer token need none (no ambient
 * credential); API calls riding the session cookie must send X-CSRF-Token.
 */
#include "router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "log.h"
#include "pages.h"
#include "render.h"
#include "site.h"
#include "util.h"

int router_split(req *r, const char *path, const char **seg, int max)
{
	int n = 0;
	const char *p = path;
	while (*p == '/')
		p++;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (n == max)
			return -1;
		seg[n++] = arena_strndup(&r->mem, p, len);
		if (!e)
			break;
		p = e + 1;
		if (!*p) {
			/* a trailing slash is an empty last segment: /a/app/ vs /a/app */
			if (n == max)
				return -1;
			seg[n++] = "";
		}
	}
	return n;
}

static void pick_language(req *r)
{
	const char *q = req_query(r, "lang");
	if (q && (strcmp(q, "en") == 0 || strcmp(q, "fr") == 0)) {
		r->lg = q[0] == 'e' ? LANG_EN : LANG_FR;
		req_add_header(r, "Set-Cookie",
			       r->lg == LANG_EN
				   ? "sa_lang=en; Path=/; SameSite=Lax; Max-Age=31536000"
				   : "sa_lang=fr; Path=/; SameSite=Lax; Max-Age=31536000");
		return;
	}
	const char *c = req_cookie(r, "sa_lang");
	if (c) {
		r->lg = strcmp(c, "en") == 0 ? LANG_EN : LANG_FR;
		return;
	}
	const char *al = req_header(r, "Accept-Language");
	r->lg = al && strncasecmp(al, "en", 2) == 0 ? LANG_EN : LANG_FR;
}

static bool is_hex_token(const char *s, size_t len)
{
	if (!s || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * Who asks: UC_OK (a person, or nobody), UC_FORBIDDEN when a Bearer token was given
 * but is not valid (the API answers 401), UC_UNAVAILABLE when the database cannot say
 * (a 503: never taken for "nobody", which would answer 401 or a sign-in page).
 */
static uc_status identify(req *r, bool is_api)
{
	const char *authz = req_header(r, "Authorization");
	if (is_api && authz) {
		if (strncasecmp(authz, "Bearer ", 7) != 0)
			return UC_FORBIDDEN;
		uc_status st = uc_token_user(r->env, authz + 7, &r->user);
		if (st != UC_OK)
			return st == UC_UNAVAILABLE ? st : UC_FORBIDDEN;
		r->via_token = true;
		return UC_OK;
	}
	const char *sess = req_cookie(r, "sa_session");
	if (is_hex_token(sess, 64)) {
		uc_status st = uc_session_user(r->env, sess, &r->user, r->csrf);
		if (st == UC_OK || st == UC_UNAVAILABLE)
			return st;
	}
	const char *anon = req_cookie(r, "sa_csrf");
	if (is_hex_token(anon, 32)) {
		snprintf(r->csrf, sizeof r->csrf, "%s", anon);
	} else if (!is_api) {
		util_random_hex(r->csrf, 16);
		char cookie[128];
		snprintf(cookie, sizeof cookie, "sa_csrf=%s; Path=/; HttpOnly; SameSite=Lax%s",
			 r->csrf, strncmp(r->env->base_url, "https:", 6) == 0 ? "; Secure" : "");
		req_add_header(r, "Set-Cookie", cookie);
	}
	return UC_OK;
}

static bool method_is(req *r, const char *m)
{
	return strcmp(r->method, m) == 0;
}

static void serve_static(req *r, const char *name)
{
	const char *type;
	const void *data;
	size_t len;
	if (strcmp(name, "site.css") == 0 && site_css(r->env->site)) {
		r->status = 200;
		r->content_type = "text/css; charset=utf-8";
		buf_puts(&r->out, site_css(r->env->site));
		return;
	}
	if (strcmp(name, "logo") == 0 && site_logo(r->env->site, &type, &data, &len)) {
		r->status = 200;
		r->content_type = type;
		buf_add(&r->out, data, len);
		return;
	}
	bool hashed;
	if (!render_asset_find(name, &type, &data, &len, &hashed)) {
		pages_error(r, 404, NULL);
		return;
	}
	r->status = 200;
	r->content_type = type;
	r->cache_forever = hashed; /* a new version has a new name */
	buf_add(&r->out, data, len);
}

static void serve_metrics(req *r)
{
	if (!r->local_client && !r->user.admin) {
		pages_error(r, 403, NULL);
		return;
	}
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	uc_metrics(r->env, &r->out);
}

/* A request refused before routing: a path that cannot be, not UTF-8, a body too large. */
static bool refused(req *r, int n, bool is_api)
{
	if (n < 0) {
		if (is_api)
			api_error(r, 404, "not_found", NULL, NULL);
		else
			pages_error(r, 404, NULL);
		return true;
	}
	if (!util_utf8_valid(r->path, strlen(r->path))) {
		if (is_api)
			api_error(r, 400, "bad_request", "URL invalide (UTF-8)", NULL);
		else
			pages_error(r, 400, NULL);
		return true;
	}
	if (r->body_too_large) {
		/* A form with files says its limit; other bodies have the 1 MB one. */
		long long mb = r->multipart && r->upload_total > r->env->max_upload
				   ? (long long)(r->env->max_upload >> 20)
				   : REQ_MAX_BODY >> 20;
		const char *why = arena_printf(
		    &r->mem,
		    r->lg == LANG_EN
			? "What was sent is larger than %lld MB, the limit of this server."
			: "L'envoi dépasse %lld Mo, la limite de ce serveur.",
		    mb);
		if (is_api)
			api_error(r, 413, "too_large", why, NULL);
		else
			pages_error(r, 413, why);
		return true;
	}
	return false;
}

void router_dispatch(req *r)
{
	const char *seg[16];
	int n = router_split(r, r->path, seg, 16);
	bool is_api = n >= 2 && strcmp(seg[0], "api") == 0 && strcmp(seg[1], "v1") == 0;
	pick_language(r);

	if (refused(r, n, is_api))
		return;
	if (n == 1 && strcmp(seg[0], "healthz") == 0) {
		/* A load balancer's check: this engine can serve, its database answers. */
		bool ok;
		size_t loaded, failing;
		uc_health(r->env, &ok, &loaded, &failing);
		r->status = ok ? 200 : 503;
		r->content_type = "text/plain; charset=utf-8";
		if (!ok)
			req_add_header(r, "Retry-After", "2");
		buf_puts(&r->out, ok ? "ok\n" : "database unavailable\n");
		buf_printf(&r->out, "apps: %zu loaded, %zu failing\n", loaded, failing);
		return;
	}
	if (n == 2 && strcmp(seg[0], "static") == 0) {
		serve_static(r, seg[1]);
		return;
	}
	uc_status who = identify(r, is_api);
	if (who == UC_UNAVAILABLE) {
		req_add_header(r, "Retry-After", "2");
		if (is_api)
			api_error(r, 503, "unavailable", NULL, NULL);
		else
			pages_error(r, 503, NULL);
		return;
	}
	if (who != UC_OK) {
		api_error(r, 401, "unauthenticated", NULL, NULL);
		return;
	}
	if (is_api) {
		/* Cookie-authenticated API writes need the session's CSRF token. */
		if (!method_is(r, "GET") && !method_is(r, "HEAD") && r->user.login &&
		    !r->via_token) {
			const char *h = req_header(r, "X-CSRF-Token");
			if (!h || !util_ct_streq(h, r->csrf)) {
				api_error(r, 403, "forbidden",
					  r->lg == LANG_EN
					      ? "Missing or wrong X-CSRF-Token header."
					      : "En-tête X-CSRF-Token absent ou invalide.",
					  NULL);
				return;
			}
		}
		api_dispatch(r, seg + 2, n - 2);
		return;
	}
	if (n == 1 && strcmp(seg[0], "metrics") == 0) {
		serve_metrics(r);
		return;
	}
	if (n == 0 || (n == 1 && seg[0][0] == '\0')) {
		pages_portal(r);
		return;
	}
	if (n == 1 && strcmp(seg[0], "login") == 0) {
		pages_login(r);
		return;
	}
	if (n == 1 &&
	    (strcmp(seg[0], "accessibilite") == 0 || strcmp(seg[0], "mentions-legales") == 0 ||
	     strcmp(seg[0], "donnees-personnelles") == 0)) {
		pages_legal(r, seg[0]);
		return;
	}
	if (n == 1 && strcmp(seg[0], "logout") == 0) {
		pages_logout(r);
		return;
	}
	if (n >= 1 && strcmp(seg[0], "admin") == 0) {
		pages_admin(r);
		return;
	}
	if (n >= 2 && strcmp(seg[0], "a") == 0) {
		pages_app(r, seg + 1, n - 1);
		return;
	}
	if (n == 2 && strcmp(seg[0], "suivi") == 0) {
		pages_tracking(r, seg[1]);
		return;
	}
	pages_error(r, 404, NULL);
}
