/*
 * pages_gov — the HTML door of governed data (SPEC 6, 11): the dashboard of an app
 * (GET /a/<app>/stats) and the GDPR register (GET /admin/registre). The numbers and
 * who may see them are the use-case layer's (uc_stats, uc_register_read), the same
 * as the JSON door's; here they become pages.
 */
#include "pages.h"

#include <string.h>

#include "site.h"

static bool is_get(const req *r)
{
	return strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
}

void pages_stats(req *r, uc_call *call)
{
	if (!is_get(r)) {
		pages_error(r, 405, NULL);
		return;
	}
	uc_dashboard d;
	uc_result res;
	switch (uc_stats(call, &d, &res)) {
	case UC_OK:
		break;
	case UC_FORBIDDEN:
		if (!call->who.login)
			pages_need_login(r);
		else
			pages_error(
			    r, 403,
			    pages_tr(r,
				     "Le tableau de bord est réservé à qui peut lire tous les "
				     "enregistrements d’un formulaire de l’application.",
				     "The dashboard is for those who may read every record "
				     "of a form of the application."));
		return;
	case UC_UNAVAILABLE:
		req_add_header(r, "Retry-After", "2");
		pages_error(r, 503, NULL);
		return;
	default:
		pages_error(r, 500, res.msg);
		return;
	}
	page p;
	pages_page(r, &p);
	render_stats(&r->out, &p, call->app->def, &d);
	req_html(r, 200);
}

void pages_registre(req *r)
{
	uc_register reg;
	if (uc_register_read(r->env, &r->user, &r->mem, &reg) != UC_OK) {
		pages_error(r, 403, NULL);
		return;
	}
	page p;
	pages_page(r, &p);
	render_registre(&r->out, &p, &reg);
	uc_register_release(&reg);
	req_html(r, 200);
}

void pages_privacy(req *r, const def_app *app)
{
	if (!is_get(r)) {
		pages_error(r, 405, NULL);
		return;
	}
	page p;
	pages_page(r, &p);
	render_privacy_notice(&r->out, &p, app, site_contact(r->env->site, "dpo"));
	req_html(r, 200);
}
