/*
 * api_drafts — the drafts of a form in the JSON API (SPEC 7): under
 * /api/v1/apps/<app>/<form>/drafts, GET (the caller's drafts of the form) and POST (a
 * new one), and /drafts/<key> GET, PUT (save again) and DELETE. <key> is the draft's id
 * for a signed-in caller, the token of its resume link for an anonymous one (answered
 * once, by the POST that made it). Sending a draft (POST /drafts/<key>/submit) is a
 * create, answered like one: api.c.
 *
 * A door only: rights, ownership and what a draft keeps are the use-case layer's
 * (usecase_drafts.c). A draft is {"id", "form", "step", "created_at", "updated_at",
 * "expires_at", "fields"}, plus "token" and "resume_url" when an anonymous one is made.
 */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *tr(const req *r, const char *fr, const char *en)
{
	return r->lg == LANG_EN ? en : fr;
}

static json_t *errors_json(const field_errors *e)
{
	json_t *o = json_object();
	for (size_t i = 0; i < e->n; i++)
		json_object_set_new(o, e->v[i].field, json_string(e->v[i].message));
	return o;
}

static void failure(req *r, const uc_call *c, const uc_result *res)
{
	char s[16];
	switch (res->status) {
	case UC_INVALID:
		api_error(r, 422, "validation_failed", NULL, errors_json(&res->errs));
		break;
	case UC_FORBIDDEN:
		if (c->who.login)
			api_error(r, 403, "forbidden", NULL, NULL);
		else
			api_error(r, 401, "unauthenticated", NULL, NULL);
		break;
	case UC_NOT_FOUND:
		api_error(r, 404, "not_found", NULL, NULL);
		break;
	case UC_TOO_MANY:
	case UC_UNAVAILABLE:
		snprintf(s, sizeof s, "%d", res->retry_after > 0 ? res->retry_after : 1);
		req_add_header(r, "Retry-After", s);
		if (res->status == UC_TOO_MANY)
			api_error(r, 429, "too_many_requests", res->msg[0] ? res->msg : NULL, NULL);
		else
			api_error(r, 503, "unavailable", NULL, NULL);
		break;
	default:
		log_message("error", "id=%s %s", r->id, res->msg);
		api_error(r, 500, "internal", NULL, NULL);
		break;
	}
}

/* The draft in its API shape; new reference. */
static json_t *api_draft_json(req *r, const uc_call *c, const uc_draft *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(d->id));
	json_object_set_new(o, "form", json_string(d->form->id));
	json_object_set_new(o, "step", json_integer(d->step));
	json_object_set_new(o, "created_at", json_string(d->created_at));
	json_object_set_new(o, "updated_at", json_string(d->updated_at));
	json_object_set_new(o, "expires_at", json_string(d->expires_at));
	json_object_set_new(o, "fields", json_incref(d->fields));
	if (d->token[0]) {
		json_object_set_new(o, "token", json_string(d->token));
		json_object_set_new(
		    o, "resume_url",
		    json_string(arena_printf(&r->mem, "%s/a/%s/%s/brouillon/%s", r->env->base_url,
					     c->app->def->id, d->form->id, d->token)));
	}
	return o;
}

/* The body of a save: {"fields": {...}, "step": n} (both optional) or the bare fields. */
static bool read_save(req *r, json_t **body, const json_t **fields, int *step)
{
	json_t *j = r->body.len ? api_json_body(r) : json_object();
	if (!j)
		return false;
	*body = j;
	const json_t *f = json_object_get(j, "fields"), *s = json_object_get(j, "step");
	bool wrapped = f || s;
	if (!json_is_object(j) ||
	    (wrapped && (json_object_size(j) != (size_t)(f != NULL) + (size_t)(s != NULL) ||
			 (f && !json_is_object(f)) ||
			 (s && (!json_is_integer(s) || json_integer_value(s) < 0 ||
				json_integer_value(s) > 1000))))) {
		api_error(r, 400, "bad_request",
			  tr(r, "Le corps doit être {\"fields\": {...}, \"step\": n}.",
			     "The body must be {\"fields\": {...}, \"step\": n}."),
			  NULL);
		return false;
	}
	*fields = wrapped ? (f ? f : NULL) : j;
	*step = s ? (int)json_integer_value(s) : 0;
	return true;
}

static void save(req *r, uc_call *c, const char *key)
{
	json_t *body = NULL;
	const json_t *fields = NULL;
	int step = 0;
	if (!read_save(r, &body, &fields, &step)) {
		json_decref(body);
		return;
	}
	json_t *empty = json_object();
	write_in in = {.json = fields ? fields : empty};
	uc_draft d;
	uc_result res;
	if (uc_draft_save(c, key, &in, step, &d, &res) != UC_OK) {
		failure(r, c, &res);
	} else {
		if (!key)
			req_add_header(r, "Location",
				       arena_printf(&r->mem, "/api/v1/apps/%s/%s/drafts/%s",
						    c->app->def->id, c->form->id,
						    d.token[0] ? d.token
							       : arena_printf(&r->mem, "%lld",
									      (long long)d.id)));
		req_json(r, key ? 200 : 201, api_draft_json(r, c, &d));
	}
	uc_draft_clear(&d);
	uc_result_clear(&res);
	json_decref(empty);
	json_decref(body);
}

static void list(req *r, uc_call *c)
{
	uc_draft *v;
	size_t n;
	uc_result res;
	if (!uc_drafts_on(c) && !c->unavailable) {
		res = (uc_result){.status = c->form->drafts_days > 0 ? UC_FORBIDDEN : UC_NOT_FOUND};
		failure(r, c, &res);
		return;
	}
	if (uc_drafts_mine(c, &v, &n, &res) != UC_OK) {
		failure(r, c, &res);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		if (v[i].form == c->form)
			json_array_append_new(arr, api_draft_json(r, c, &v[i]));
	uc_drafts_free(v, n);
	json_t *o = json_object();
	json_object_set_new(o, "drafts", arr);
	req_json(r, 200, o);
}

void api_drafts(req *r, uc_call *c, const char **seg, int nseg)
{
	const char *m = r->method;
	uc_result res;
	if (nseg == 0) {
		if (strcmp(m, "GET") == 0)
			list(r, c);
		else if (strcmp(m, "POST") == 0)
			save(r, c, NULL);
		else
			api_error(r, 405, "method_not_allowed", NULL, NULL);
		return;
	}
	if (nseg != 1) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	if (strcmp(m, "GET") == 0) {
		uc_draft d;
		if (uc_draft_get(c, seg[0], &d, &res) == UC_OK)
			req_json(r, 200, api_draft_json(r, c, &d));
		else
			failure(r, c, &res);
		uc_draft_clear(&d);
	} else if (strcmp(m, "PUT") == 0) {
		save(r, c, seg[0]);
		return;
	} else if (strcmp(m, "DELETE") == 0) {
		if (uc_draft_delete(c, seg[0], &res) == UC_OK) {
			r->status = 204;
			r->content_type = NULL;
		} else {
			failure(r, c, &res);
		}
	} else {
		api_error(r, 405, "method_not_allowed", NULL, NULL);
		return;
	}
	uc_result_clear(&res);
}
