/*
 * pages_legal — the pages every footer links (issue 15.2): /accessibilite,
 * /mentions-legales, /donnees-personnelles; for anyone, their variable parts from
 * data/site.lua (site.h), the apps from the registry.
 */
#include "pages.h"

#include <stdlib.h>
#include <string.h>

#include "site.h"

static void fill(req *r, legal_view *v)
{
	const site *s = r->env->site;
	memset(v, 0, sizeof *v);
	v->site_name = site_name(s);
	v->publisher = site_text(s, "legal", "publisher");
	v->director = site_text(s, "legal", "director");
	v->host = site_text(s, "legal", "host");
	v->access_state = site_text(s, "accessibility", "state");
	v->audit_date = site_text(s, "accessibility", "audit_date");
	v->rate = site_text(s, "accessibility", "rate");
	v->access_contact = site_contact(s, "accessibility");
	size_t n = site_texts(s, "accessibility", "not_accessible", v->not_accessible, 32);
	v->n_not = n < 32 ? n : 32;
	v->checks = r->env->checks;
}

void pages_legal(req *r, const char *which)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	page p;
	legal_view v;
	pages_page(r, &p);
	fill(r, &v);
	if (strcmp(which, "accessibilite") == 0) {
		render_accessibility(&r->out, &p, &v);
	} else if (strcmp(which, "mentions-legales") == 0) {
		render_legal_notice(&r->out, &p, &v);
	} else {
		app_rt **apps;
		size_t n = registry_list(r->env->reg, &apps);
		const def_app **defs = arena_alloc(&r->mem, (n ? n : 1) * sizeof *defs);
		for (size_t i = 0; i < n; i++)
			defs[i] = apps[i]->def;
		v.apps = defs;
		v.napps = n;
		render_privacy_index(&r->out, &p, &v);
		for (size_t i = 0; i < n; i++)
			registry_release(apps[i]);
		free(apps);
	}
	req_html(r, 200);
}
