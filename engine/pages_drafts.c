/*
 * pages_drafts — "Mes brouillons" (GET /a/<app>/brouillons, SPEC 6): the signed-in
 * person's drafts in an app, each linked to its page (the form filled again, in
 * pages_app.c, with the other draft pages). A door: the list and who may see it are
 * the use-case layer's (uc_drafts_mine); an anonymous person is asked to sign in (their
 * drafts are reached by their links only).
 */
#include "pages.h"

#include <string.h>

void pages_drafts(req *r, uc_call *call)
{
	if (strcmp(r->method, "GET") != 0) {
		pages_error(r, 405, NULL);
		return;
	}
	uc_draft *v = NULL;
	size_t n = 0;
	uc_result res;
	switch (uc_drafts_mine(call, &v, &n, &res)) {
	case UC_OK:
		break;
	case UC_FORBIDDEN:
		pages_need_login(r);
		return;
	case UC_UNAVAILABLE:
		req_add_header(r, "Retry-After", "2");
		pages_error(r, 503, NULL);
		return;
	default:
		pages_error(r, 500, res.msg);
		return;
	}
	draft_item *items = arena_alloc(&r->mem, (n ? n : 1) * sizeof *items);
	for (size_t i = 0; i < n; i++)
		items[i] = (draft_item){.form = v[i].form,
					.href = arena_printf(&r->mem, "/a/%s/%s/brouillons/%lld",
							     call->app->def->id, v[i].form->id,
							     (long long)v[i].id),
					.updated_at = arena_strdup(&r->mem, v[i].updated_at),
					.expires_at = arena_strdup(&r->mem, v[i].expires_at)};
	page p;
	pages_page(r, &p);
	render_drafts(&r->out, &p, call->app->def, items, n);
	req_html(r, 200);
	uc_drafts_free(v, n);
}
