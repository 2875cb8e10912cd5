/*
 * pages_admin — /admin (SPEC 6): the catalog of apps served, their load problems and
 * how their code fares (suspensions), /admin/outbox, and /admin/registre (pages_gov.c).
 * Global admins only.
 */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* GET /admin/outbox: the latest mails of every app served. */
static void admin_outbox(req *r)
{
	page p;
	pages_page(r, &p);
	app_rt **apps;
	size_t n = registry_list(r->env->reg, &apps);
	outbox_view *v = xcalloc(n ? n : 1, sizeof *v);
	outbox_row **rows = xcalloc(n ? n : 1, sizeof *rows);
	for (size_t i = 0; i < n; i++) {
		v[i].app = apps[i]->def;
		v[i].unreadable = uc_outbox_recent(apps[i], 200, &rows[i], &v[i].nrows) != STORE_OK;
		v[i].rows = rows[i];
	}
	render_admin_outbox(&r->out, &p, v, n);
	req_html(r, 200);
	for (size_t i = 0; i < n; i++) {
		store_outbox_rows_free(rows[i], v[i].nrows);
		registry_release(apps[i]);
	}
	free(rows);
	free(v);
	free(apps);
}

/* A date filter of the audit page: YYYY-MM-DD (days_after 1: the day after), else NULL. */
static const char *audit_day(req *r, const char *v, int days_after, bool *bad)
{
	int64_t d;
	if (!v || !*v)
		return NULL;
	if (!util_parse_date(v, &d)) {
		*bad = true;
		return NULL;
	}
	char *out = arena_alloc(&r->mem, 11);
	util_days_to_date(d + days_after, out);
	return out;
}

/* GET /admin/audit: the audit log, newest first, filtered, and whether its chain holds. */
static void admin_audit(req *r)
{
	page p;
	pages_page(r, &p);
	const char *who = req_query(r, "user"), *kind = req_query(r, "kind");
	const char *from = req_query(r, "from"), *to = req_query(r, "to");
	const char *before = req_query(r, "before");
	bool bad = false;
	store_audit_query q = {.actor = who && *who ? who : NULL,
			       .kind = kind && *kind ? kind : NULL,
			       .from = audit_day(r, from, 0, &bad),
			       .to = audit_day(r, to, 1, &bad),
			       .limit = 50};
	char *end;
	if (before && *before && ((q.before = strtoll(before, &end, 10)) <= 0 || *end))
		bad = true;
	if (q.kind && !store_audit_kind_ok(q.kind))
		bad = true;
	uc_audit a = {0};
	audit_view v = {.actor = q.actor, .kind = q.kind, .from = from, .to = to};
	int status = 200;
	if (bad) {
		status = 400;
		v.error =
		    pages_tr(r, "Filtre invalide : dates au format AAAA-MM-JJ, type de la liste.",
			     "Invalid filter: dates as YYYY-MM-DD, a kind from the list.");
		q = (store_audit_query){.limit = 50};
	}
	if (uc_audit_page(r->env, &q, &a) != UC_OK) {
		pages_error(r, 500, NULL);
		return;
	}
	if (a.more) {
		buf n = BUF_INIT;
		const char *keys[] = {"user", "kind", "from", "to"};
		const char *vals[] = {q.actor, q.kind, q.from ? from : NULL, q.to ? to : NULL};
		for (int i = 0; i < 4; i++)
			if (vals[i]) {
				buf_printf(&n, "%s=", keys[i]);
				buf_urlenc(&n, vals[i]);
				buf_putc(&n, '&');
			}
		buf_printf(&n, "before=%lld", (long long)a.lines[a.n - 1].id);
		v.next = arena_strdup(&r->mem, buf_cstr(&n));
		buf_free(&n);
	}
	v.lines = a.lines;
	v.n = a.n;
	v.chain = &a.chain;
	render_admin_audit(&r->out, &p, &v);
	req_html(r, status);
	uc_audit_clear(&a);
}

static void admin_catalog(req *r)
{
	page p;
	pages_page(r, &p);
	app_rt **apps;
	size_t n = registry_list(r->env->reg, &apps);
	registry_problem *pb;
	size_t npb = registry_problems(r->env->reg, &pb);
	sandbox_pool_app *lua;
	size_t nlua = uc_lua_status(r->env, &lua);
	uc_form_stats *activity = NULL;
	size_t nact = uc_activity(r->env, apps, n, &r->mem, &activity);
	admin_view v = {.apps = (const app_rt *const *)apps,
			.napps = n,
			.problems = pb,
			.nproblems = npb,
			.lua = lua,
			.nlua = nlua,
			.activity = activity,
			.nactivity = nact,
			.no_site = r->env->site == NULL};
	render_admin(&r->out, &p, &v);
	req_html(r, 200);
	free(lua);
	registry_problems_free(pb, npb);
	for (size_t i = 0; i < n; i++)
		registry_release(apps[i]);
	free(apps);
}

void pages_admin(req *r)
{
	if (!r->user.login) {
		pages_need_login(r);
		return;
	}
	if (!r->user.admin) {
		pages_error(r, 403, NULL);
		return;
	}
	if (strcmp(r->path, "/admin/users") == 0 || strncmp(r->path, "/admin/users/", 13) == 0) {
		pages_users(r);
		return;
	}
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	if (strcmp(r->path, "/admin/outbox") == 0)
		admin_outbox(r);
	else if (strcmp(r->path, "/admin/registre") == 0)
		pages_registre(r);
	else if (strcmp(r->path, "/admin/audit") == 0)
		admin_audit(r);
	else if (strcmp(r->path, "/admin") == 0 || strcmp(r->path, "/admin/") == 0)
		admin_catalog(r);
	else
		pages_error(r, 404, NULL);
}
