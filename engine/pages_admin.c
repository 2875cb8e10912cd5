/*
 * pages_admin — /admin (SPEC 6): the catalog of apps served, their load problems and
 * how their code fares (suspensions), /admin/outbox, and /admin/registre (pages_gov.c).
 * Global admins only.
 */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	admin_view v = {.apps = (const app_rt *const *)apps,
			.napps = n,
			.problems = pb,
			.nproblems = npb,
			.lua = lua,
			.nlua = nlua};
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
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	if (strcmp(r->path, "/admin/outbox") == 0)
		admin_outbox(r);
	else if (strcmp(r->path, "/admin/registre") == 0)
		pages_registre(r);
	else if (strcmp(r->path, "/admin") == 0 || strcmp(r->path, "/admin/") == 0)
		admin_catalog(r);
	else
		pages_error(r, 404, NULL);
}
