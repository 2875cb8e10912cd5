/*
 * api_gov — the JSON door of governed data (SPEC 7, 11): GET /api/v1/apps/<app>/stats
 * (the dashboard's numbers, the same uc_stats result the HTML page shows) and
 * GET /api/v1/registre (the GDPR register, global admins). Both are written by the
 * streaming writer: durations are days with exactly one decimal ("4.0"), which
 * doubles would not always print so.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "log.h"

static const char *tr(const req *r, const char *fr, const char *en)
{
	return r->lg == LANG_EN ? en : fr;
}

/* Tenths of a day as days with one decimal, or null. */
static void write_days(jsonw *w, int64_t tenths)
{
	if (tenths < 0) {
		jsonw_null(w);
		return;
	}
	char t[32];
	int n = snprintf(t, sizeof t, "%" PRId64 ".%" PRId64, tenths / 10, tenths % 10);
	jsonw_raw(w, t, (size_t)n);
}

static void write_duration(jsonw *w, const uc_duration *d)
{
	jsonw_object_begin(w);
	jsonw_key(w, "count");
	jsonw_int(w, d->count);
	jsonw_key(w, "median");
	write_days(w, d->median);
	jsonw_key(w, "p90");
	write_days(w, d->p90);
	jsonw_object_end(w);
}

/* by_state, then the completed stays of every state but the final ones. */
static void write_states(jsonw *w, const uc_form_stats *fs)
{
	const def_workflow *wf = fs->form->workflow;
	size_t ns = wf ? wf->nstates : 0;
	jsonw_key(w, "by_state");
	jsonw_object_begin(w);
	for (size_t i = 0; i < ns; i++) {
		jsonw_key(w, wf->states[i].id);
		jsonw_int(w, fs->by_state[i]);
	}
	jsonw_object_end(w);
	jsonw_key(w, "by_month");
	jsonw_array_begin(w);
	for (size_t i = 0; i < 12; i++) {
		jsonw_object_begin(w);
		jsonw_key(w, "month");
		jsonw_str(w, fs->month[i]);
		jsonw_key(w, "count");
		jsonw_int(w, fs->by_month[i]);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	jsonw_key(w, "time_in_state_days");
	jsonw_object_begin(w);
	for (size_t i = 0; i < ns; i++) {
		if (wf->states[i].final)
			continue;
		jsonw_key(w, wf->states[i].id);
		write_duration(w, &fs->in_state[i]);
	}
	jsonw_object_end(w);
	jsonw_key(w, "time_to_final_days");
	uc_duration none = {0, -1, -1};
	write_duration(w, wf ? &fs->to_final : &none);
}

static void write_form(jsonw *w, const uc_form_stats *fs)
{
	jsonw_key(w, fs->form->id);
	jsonw_object_begin(w);
	jsonw_key(w, "total");
	jsonw_int(w, fs->total);
	jsonw_key(w, "overdue");
	jsonw_int(w, fs->overdue);
	write_states(w, fs);
	jsonw_key(w, "by_choice");
	jsonw_object_begin(w);
	for (size_t i = 0; i < fs->nchoice; i++) {
		const uc_choice_count *cc = &fs->choice[i];
		jsonw_key(w, cc->field->name);
		jsonw_object_begin(w);
		for (size_t o = 0; o < cc->field->noptions; o++) {
			jsonw_key(w, cc->field->options[o].value);
			jsonw_int(w, cc->n[o]);
		}
		jsonw_object_end(w);
	}
	jsonw_object_end(w);
	jsonw_object_end(w);
}

void api_stats(req *r, uc_call *call)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		api_error(r, 405, "method_not_allowed", NULL, NULL);
		return;
	}
	uc_dashboard d;
	uc_result res;
	switch (uc_stats(call, &d, &res)) {
	case UC_OK:
		break;
	case UC_FORBIDDEN:
		if (call->who.login)
			api_error(
			    r, 403, "forbidden",
			    tr(r,
			       "Le tableau de bord est réservé à qui peut lire tous les "
			       "enregistrements d'un formulaire.",
			       "The dashboard is for those who may read every record of a form."),
			    NULL);
		else
			api_error(r, 401, "unauthenticated", NULL, NULL);
		return;
	case UC_UNAVAILABLE:
		req_add_header(r, "Retry-After", "2");
		api_error(r, 503, "unavailable", NULL, NULL);
		return;
	default:
		log_message("error", "id=%s %s", r->id, res.msg);
		api_error(r, 500, "internal", NULL, NULL);
		return;
	}
	buf b = BUF_INIT;
	jsonw w;
	jsonw_init(&w, &b);
	jsonw_object_begin(&w);
	jsonw_key(&w, "app");
	jsonw_str(&w, call->app->def->id);
	jsonw_key(&w, "generated_at");
	jsonw_str(&w, d.generated_at);
	jsonw_key(&w, "forms");
	jsonw_object_begin(&w);
	for (size_t i = 0; i < d.nforms; i++)
		write_form(&w, &d.forms[i]);
	jsonw_object_end(&w);
	jsonw_object_end(&w);
	req_json_buf(r, 200, &b);
}

/* ---- the register ---- */

/* A reserved role as people read it; a declared one has the app's label. */
static const char *reader_label(const req *r, const uc_reader *rd)
{
	if (rd->label)
		return rd->label;
	if (strcmp(rd->role, "public") == 0)
		return tr(r, "Tout le monde, sans connexion", "Anyone, without signing in");
	if (strcmp(rd->role, "user") == 0)
		return tr(r, "Toute personne connectée", "Anyone signed in");
	if (strcmp(rd->role, "owner") == 0)
		return tr(r, "L'auteur de l'enregistrement", "The record's author");
	return tr(r, "Administrateurs", "Administrators");
}

static void write_personal(req *r, jsonw *w, const uc_personal *p)
{
	jsonw_object_begin(w);
	jsonw_key(w, "form");
	jsonw_str(w, p->form->id);
	jsonw_key(w, "form_title");
	jsonw_str(w, p->form->title);
	jsonw_key(w, "field");
	jsonw_str(w, p->field->name);
	jsonw_key(w, "label");
	jsonw_str(w, p->field->label);
	jsonw_key(w, "type");
	jsonw_str(w, def_type_name(p->field->type));
	jsonw_key(w, "readers");
	jsonw_array_begin(w);
	for (size_t i = 0; i < p->nreaders; i++) {
		jsonw_object_begin(w);
		jsonw_key(w, "role");
		jsonw_str(w, p->readers[i].role);
		jsonw_key(w, "label");
		jsonw_str(w, reader_label(r, &p->readers[i]));
		jsonw_key(w, "scope");
		jsonw_str(w, p->readers[i].all ? "all" : "own");
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	jsonw_object_end(w);
}

static void write_register_app(req *r, jsonw *w, const uc_register_app *ra)
{
	const def_app *a = ra->app;
	const def_privacy *pv = &a->privacy;
	jsonw_object_begin(w);
	jsonw_key(w, "app");
	jsonw_str(w, a->id);
	jsonw_key(w, "title");
	jsonw_str(w, a->title);
	jsonw_key(w, "owner");
	jsonw_str(w, a->owner);
	jsonw_key(w, "purpose");
	jsonw_str(w, pv->purpose);
	jsonw_key(w, "legal_basis");
	jsonw_str(w, pv->legal_basis);
	jsonw_key(w, "retention_days");
	if (pv->retention_days >= 0)
		jsonw_int(w, pv->retention_days);
	else
		jsonw_null(w);
	jsonw_key(w, "recipients");
	jsonw_array_begin(w);
	for (size_t i = 0; i < pv->recipients.n; i++)
		jsonw_str(w, pv->recipients.v[i]);
	jsonw_array_end(w);
	jsonw_key(w, "contact");
	jsonw_str(w, pv->contact);
	jsonw_key(w, "personal_fields");
	jsonw_array_begin(w);
	for (size_t i = 0; i < ra->nfields; i++)
		write_personal(r, w, &ra->fields[i]);
	jsonw_array_end(w);
	jsonw_key(w, "warnings");
	jsonw_array_begin(w);
	if (ra->no_privacy)
		jsonw_str(w, "privacy_missing");
	if (ra->no_retention)
		jsonw_str(w, "retention_days_missing");
	jsonw_array_end(w);
	jsonw_object_end(w);
}

void api_registre(req *r)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		api_error(r, 405, "method_not_allowed", NULL, NULL);
		return;
	}
	uc_register reg;
	if (uc_register_read(r->env, &r->user, &r->mem, &reg) != UC_OK) {
		if (r->user.login)
			api_error(r, 403, "forbidden", NULL, NULL);
		else
			api_error(r, 401, "unauthenticated", NULL, NULL);
		return;
	}
	buf b = BUF_INIT;
	jsonw w;
	jsonw_init(&w, &b);
	jsonw_object_begin(&w);
	jsonw_key(&w, "generated_at");
	jsonw_str(&w, reg.generated_at);
	jsonw_key(&w, "apps");
	jsonw_array_begin(&w);
	for (size_t i = 0; i < reg.napps; i++)
		write_register_app(r, &w, &reg.apps[i]);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	uc_register_release(&reg);
	req_json_buf(r, 200, &b);
}
