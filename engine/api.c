/*
 * api — JSON API handlers (see api.h, SPEC 7).
 *
 * Hostile input first: bodies must be JSON objects in valid UTF-8 with the right
 * Content-Type, query parameters are checked one by one (unknown ones are 400, so a
 * typo never silently widens a result), and every record goes through the same
 * read scope, column filter and write pipeline as the HTML pages.
 *
 * Record answers (list, read, create, patch) are written by the streaming writer
 * (api_record_write, jsonw.h), the rest through jansson; api_record_json stays for
 * code that wants a json_t, and tests/unit/test_jsonw.c holds the two to the same bytes.
 */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "pipeline.h"
#include "tracking.h"
#include "util.h"
#include "workflow.h"

/* Every error code the API answers, with its default message (also the Error enum of openapi.json). */
static const struct {
	const char *code, *fr, *en;
} error_messages[] = {
	{"bad_request", "Requête invalide.", "Bad request."},
	{"unauthenticated", "Authentification requise ou jeton invalide.",
	 "Authentication required or invalid token."},
	{"forbidden", "Accès refusé.", "Forbidden."},
	{"not_found", "Ressource introuvable.", "Not found."},
	{"method_not_allowed", "Méthode non autorisée.", "Method not allowed."},
	{"conflict", "Conflit : l'enregistrement a changé entre-temps.",
	 "Conflict: the record changed meanwhile."},
	{"too_large", "Contenu trop volumineux.", "Request body too large."},
	{"unsupported_media_type", "Type de contenu non pris en charge : envoyez application/json.",
	 "Unsupported media type: send application/json."},
	{"validation_failed", "Certains champs sont invalides.", "Some fields are invalid."},
	{"too_many_requests", "Trop de requêtes, réessayez plus tard.",
	 "Too many requests, try again later."},
	{"internal", "Erreur interne.", "Internal error."},
};

static const char *default_message(const char *code, lang lg)
{
	for (size_t i = 0; i < sizeof error_messages / sizeof *error_messages; i++)
		if (strcmp(error_messages[i].code, code) == 0)
			return lg == LANG_EN ? error_messages[i].en : error_messages[i].fr;
	return code;
}

void api_error(req *r, int status, const char *code, const char *message, json_t *fields)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_string(code));
	json_object_set_new(e, "message", json_string(message ? message : default_message(code, r->lg)));
	if (fields)
		json_object_set_new(e, "fields", fields);
	if (status >= 500)
		json_object_set_new(e, "id", json_string(r->id));
	json_t *body = json_object();
	json_object_set_new(body, "error", e);
	req_json(r, status, body);
}

static void internal_error(req *r, const char *detail)
{
	log_message("error", "id=%s %s", r->id, detail ? detail : "");
	api_error(r, 500, "internal", NULL, NULL);
}

json_t *api_record_json(const def_form *f, const record *rec, const actor *who)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(rec->id));
	json_object_set_new(o, "state", rec->state ? json_string(rec->state) : json_null());
	json_object_set_new(o, "version", json_integer(rec->version));
	json_object_set_new(o, "created_at", rec->created_at ? json_string(rec->created_at) : json_null());
	json_object_set_new(o, "created_by", rec->created_by ? json_string(rec->created_by) : json_null());
	json_object_set_new(o, "updated_at", rec->updated_at ? json_string(rec->updated_at) : json_null());
	json_object_set_new(o, "updated_by", rec->updated_by ? json_string(rec->updated_by) : json_null());
	json_object_set_new(o, "overdue", json_boolean(rec->overdue));
	json_t *fields = json_object();
	for (size_t col = 0; col < f->ncols; col++)
		if (access_can_read_col(f->cols[col], who))
			json_object_set_new(fields, f->cols[col]->name,
			                    validate_to_json(f->cols[col], &rec->values[col]));
	json_object_set_new(o, "fields", fields);
	return o;
}

/*
 * One value exactly as json_dumps(validate_to_json(fd, v), REQ_JSON_FLAGS) writes it.
 * Multichoice and file values are stored as compact JSON text and copied as they are
 * when jsonw_is_compact says jansson would write them back unchanged; anything else
 * (old or hand-edited data) goes through validate_to_json itself.
 */
static void write_value(jsonw *w, const def_field *fd, const value *v)
{
	if (v->kind == VAL_NULL) {
		jsonw_null(w);
		return;
	}
	switch (fd->type) {
	case FT_BOOLEAN:
		if (v->kind == VAL_INT) {
			jsonw_bool(w, v->i != 0);
			return;
		}
		break;
	case FT_MONEY:
		if (v->kind == VAL_INT) {
			/* validate.c's MONEY_JSON: "-1234.50" */
			uint64_t u = v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i;
			char t[32];
			int n = snprintf(t, sizeof t, "%s%llu.%02u", v->i < 0 ? "-" : "",
			                 (unsigned long long)(u / 100), (unsigned)(u % 100));
			jsonw_strn(w, t, (size_t)n);
			return;
		}
		break;
	case FT_DECIMAL:
		if (v->kind == VAL_INT) {
			jsonw_real(w, (double)v->i);
			return;
		}
		break;
	case FT_MULTICHOICE:
	case FT_FILE:
		if (v->kind == VAL_TEXT && v->s) {
			size_t n = strlen(v->s);
			if (n && v->s[0] == (fd->type == FT_MULTICHOICE ? '[' : '{') &&
			    jsonw_is_compact(v->s, n)) {
				jsonw_raw(w, v->s, n);
			} else {
				json_t *j = validate_to_json(fd, v);
				char *t = j ? json_dumps(j, REQ_JSON_FLAGS | JSON_ENCODE_ANY) : NULL;
				if (t)
					jsonw_raw(w, t, strlen(t));
				else
					jsonw_null(w);
				free(t);
				json_decref(j);
			}
			return;
		}
		break;
	default:
		break;
	}
	/* validate.c's plain_json */
	switch (v->kind) {
	case VAL_INT: jsonw_int(w, v->i); break;
	case VAL_REAL: jsonw_real(w, v->d); break; /* null when not finite */
	case VAL_TEXT: jsonw_str(w, v->s); break;  /* null when NULL or not UTF-8 */
	default: jsonw_null(w); break;
	}
}

/* A system string; like json_object_set_new with a NULL json_string, bad UTF-8 drops the key. */
static void write_sys(jsonw *w, const char *key, const char *s)
{
	if (s && !jsonw_utf8_valid(s, strlen(s)))
		return;
	jsonw_key(w, key);
	jsonw_str(w, s);
}

/* The record; tracking (an anonymous submitter's link, or NULL) as "tracking_url". */
static void record_write(jsonw *w, const def_form *f, const record *rec, const actor *who,
                         const char *tracking)
{
	jsonw_object_begin(w);
	jsonw_key(w, "id");
	jsonw_int(w, rec->id);
	write_sys(w, "state", rec->state);
	jsonw_key(w, "version");
	jsonw_int(w, rec->version);
	write_sys(w, "created_at", rec->created_at);
	write_sys(w, "created_by", rec->created_by);
	write_sys(w, "updated_at", rec->updated_at);
	write_sys(w, "updated_by", rec->updated_by);
	jsonw_key(w, "overdue");
	jsonw_bool(w, rec->overdue);
	jsonw_key(w, "fields");
	jsonw_object_begin(w);
	for (size_t col = 0; col < f->ncols; col++)
		if (access_can_read_col(f->cols[col], who)) {
			jsonw_key(w, f->cols[col]->name);
			write_value(w, f->cols[col], &rec->values[col]);
		}
	jsonw_object_end(w);
	if (tracking) {
		jsonw_key(w, "tracking_url");
		jsonw_str(w, tracking);
	}
	jsonw_object_end(w);
}

void api_record_write(jsonw *w, const def_form *f, const record *rec, const actor *who)
{
	record_write(w, f, rec, who, NULL);
}

/* Answers one record (GET, create, patch) through the streaming writer. */
static void send_record(req *r, int status, const def_form *f, const record *rec,
                        const actor *who, const char *tracking)
{
	buf b = BUF_INIT;
	jsonw w;
	buf_reserve(&b, 2048);
	jsonw_init(&w, &b);
	record_write(&w, f, rec, who, tracking);
	req_json_buf(r, status, &b);
}

/* ---- descriptions ---- */

static json_t *field_schema(const def_field *fd)
{
	json_t *s = json_object();
	const char *type = "string";
	switch (fd->type) {
	case FT_INTEGER: type = "integer"; break;
	case FT_DECIMAL: type = "number"; break;
	case FT_BOOLEAN: type = "boolean"; break;
	case FT_MULTICHOICE: type = "array"; break;
	case FT_FILE: type = "object"; break;
	default: break;
	}
	json_t *types = json_array();
	json_array_append_new(types, json_string(type));
	if (fd->type == FT_MONEY)
		json_array_append_new(types, json_string("number"));
	if (!fd->required)
		json_array_append_new(types, json_string("null"));
	json_object_set_new(s, "type", types);
	json_object_set_new(s, "title", json_string(fd->label));
	if (fd->help)
		json_object_set_new(s, "description", json_string(fd->help));
	switch (fd->type) {
	case FT_TEXT:
	case FT_TEXTAREA:
		if (fd->min_length >= 0)
			json_object_set_new(s, "minLength", json_integer(fd->min_length));
		if (fd->max_length >= 0)
			json_object_set_new(s, "maxLength", json_integer(fd->max_length));
		break;
	case FT_INTEGER:
	case FT_DECIMAL:
		if (fd->has_min)
			json_object_set_new(s, "minimum", json_real(fd->min));
		if (fd->has_max)
			json_object_set_new(s, "maximum", json_real(fd->max));
		break;
	case FT_MONEY: json_object_set_new(s, "pattern", json_string("^-?[0-9]+(\\.[0-9]{1,2})?$")); break;
	case FT_DATE: json_object_set_new(s, "format", json_string("date")); break;
	case FT_DATETIME: json_object_set_new(s, "format", json_string("date-time")); break;
	case FT_EMAIL: json_object_set_new(s, "format", json_string("email")); break;
	case FT_URL: json_object_set_new(s, "format", json_string("uri")); break;
	case FT_POSTAL_CODE: json_object_set_new(s, "pattern", json_string("^[0-9]{5}$")); break;
	case FT_SIRET: json_object_set_new(s, "pattern", json_string("^[0-9 ]{14,17}$")); break;
	case FT_SIREN: json_object_set_new(s, "pattern", json_string("^[0-9 ]{9,11}$")); break;
	case FT_CHOICE:
	case FT_MULTICHOICE: {
		json_t *en = json_array();
		for (size_t i = 0; i < fd->noptions; i++)
			json_array_append_new(en, json_string(fd->options[i].value));
		if (fd->type == FT_CHOICE) {
			if (!fd->required)
				json_array_append_new(en, json_null());
			json_object_set_new(s, "enum", en);
		} else {
			json_t *items = json_object();
			json_object_set_new(items, "type", json_string("string"));
			json_object_set_new(items, "enum", en);
			json_object_set_new(s, "items", items);
			json_object_set_new(s, "uniqueItems", json_true());
			if (fd->has_min)
				json_object_set_new(s, "minItems", json_integer((json_int_t)fd->min));
			if (fd->has_max)
				json_object_set_new(s, "maxItems", json_integer((json_int_t)fd->max));
		}
		break;
	}
	default: break;
	}
	if (fd->compute || fd->readonly)
		json_object_set_new(s, "readOnly", json_true());
	return s;
}

static json_t *form_schema(const def_form *f, const actor *who)
{
	json_t *s = json_object();
	json_object_set_new(s, "$schema", json_string("https://json-schema.org/draft/2020-12/schema"));
	json_object_set_new(s, "title", json_string(f->title));
	json_object_set_new(s, "type", json_string("object"));
	json_t *props = json_object(), *reqd = json_array();
	for (size_t i = 0; i < f->nfields; i++) {
		const def_field *fd = &f->fields[i];
		if (fd->type == FT_SECTION || !access_can_read_col(fd, who))
			continue;
		json_object_set_new(props, fd->name, field_schema(fd));
		if (fd->required && fd->visible_if.n == 0 && !fd->compute && !fd->readonly)
			json_array_append_new(reqd, json_string(fd->name));
	}
	json_object_set_new(s, "properties", props);
	json_object_set_new(s, "required", reqd);
	json_object_set_new(s, "additionalProperties", json_false());
	return s;
}

static json_t *strlist_json(const def_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *field_json(const def_field *fd)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(fd->name));
	json_object_set_new(o, "type", json_string(def_type_name(fd->type)));
	json_object_set_new(o, "label", json_string(fd->label));
	json_object_set_new(o, "required", json_boolean(fd->required));
	if (fd->help)
		json_object_set_new(o, "help", json_string(fd->help));
	if (fd->personal)
		json_object_set_new(o, "personal", json_true());
	if (fd->compute || fd->readonly)
		json_object_set_new(o, "readonly", json_true());
	if (fd->noptions) {
		json_t *opts = json_array();
		for (size_t i = 0; i < fd->noptions; i++) {
			json_t *op = json_object();
			json_object_set_new(op, "value", json_string(fd->options[i].value));
			json_object_set_new(op, "label", json_string(fd->options[i].label));
			json_array_append_new(opts, op);
		}
		json_object_set_new(o, "options", opts);
	}
	return o;
}

static json_t *app_summary(const def_app *app, const actor *who)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(app->id));
	json_object_set_new(o, "title", json_string(app->title));
	if (app->description)
		json_object_set_new(o, "description", json_string(app->description));
	if (app->owner)
		json_object_set_new(o, "owner", json_string(app->owner));
	if (app->version)
		json_object_set_new(o, "version", json_string(app->version));
	json_t *forms = json_array();
	for (size_t i = 0; i < app->nforms; i++) {
		const def_form *f = &app->forms[i];
		json_t *fo = json_object();
		json_object_set_new(fo, "id", json_string(f->id));
		json_object_set_new(fo, "title", json_string(f->title));
		json_object_set_new(fo, "can_create", json_boolean(access_can_create(f, who)));
		json_object_set_new(fo, "can_read", json_boolean(access_can_read_any(f, who)));
		json_array_append_new(forms, fo);
	}
	json_object_set_new(o, "forms", forms);
	return o;
}

static bool app_visible(const def_app *app, const actor *who)
{
	for (size_t i = 0; i < app->nforms; i++)
		if (access_can_create(&app->forms[i], who) || access_can_read_any(&app->forms[i], who))
			return true;
	return false;
}

static void get_apps(req *r)
{
	app_rt **apps;
	size_t n = registry_list(req_registry(r), &apps);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		actor who;
		req_actor(r, apps[i]->def->id, &who);
		if (app_visible(apps[i]->def, &who))
			json_array_append_new(arr, app_summary(apps[i]->def, &who));
		registry_release(apps[i]);
	}
	free(apps);
	json_t *body = json_object();
	json_object_set_new(body, "apps", arr);
	req_json(r, 200, body);
}

static void get_app(req *r, const def_app *app, const actor *who)
{
	json_t *o = app_summary(app, who);
	json_t *roles = json_object();
	for (size_t i = 0; i < app->nroles; i++)
		json_object_set_new(roles, app->roles[i].id, json_string(app->roles[i].label));
	json_object_set_new(o, "roles", roles);
	json_t *forms = json_object_get(o, "forms");
	for (size_t i = 0; i < app->nforms; i++) {
		const def_form *f = &app->forms[i];
		json_t *fo = json_array_get(forms, i);
		if (f->description)
			json_object_set_new(fo, "description", json_string(f->description));
		json_t *fields = json_array();
		for (size_t k = 0; k < f->nfields; k++)
			if (f->fields[k].type != FT_SECTION && access_can_read_col(&f->fields[k], who))
				json_array_append_new(fields, field_json(&f->fields[k]));
		json_object_set_new(fo, "fields", fields);
		json_object_set_new(fo, "schema", form_schema(f, who));
		if (f->workflow) {
			const def_workflow *w = f->workflow;
			json_t *states = json_array(), *trans = json_array();
			for (size_t s = 0; s < w->nstates; s++) {
				json_t *so = json_object();
				json_object_set_new(so, "id", json_string(w->states[s].id));
				json_object_set_new(so, "label", json_string(w->states[s].label));
				json_object_set_new(so, "final", json_boolean(w->states[s].final));
				if (w->states[s].due_days >= 0)
					json_object_set_new(so, "due_days", json_integer(w->states[s].due_days));
				json_array_append_new(states, so);
			}
			for (size_t t = 0; t < w->ntransitions; t++) {
				const def_transition *tr = &w->transitions[t];
				json_t *to = json_object();
				json_object_set_new(to, "id", json_string(tr->id));
				json_object_set_new(to, "label", json_string(tr->label));
				json_object_set_new(to, "from", strlist_json(&tr->from));
				json_object_set_new(to, "to", json_string(tr->to));
				json_object_set_new(to, "roles", strlist_json(&tr->roles));
				json_t *tf = json_array();
				for (size_t k = 0; k < tr->nfields; k++)
					json_array_append_new(tf, field_json(&tr->fields[k]));
				json_object_set_new(to, "fields", tf);
				json_object_set_new(to, "comment",
				                    json_string(tr->comment == COMMENT_REQUIRED   ? "required"
				                                : tr->comment == COMMENT_OPTIONAL ? "optional"
				                                                                  : "none"));
				if (tr->after_days >= 0)
					json_object_set_new(to, "after_days", json_integer(tr->after_days));
				json_array_append_new(trans, to);
			}
			json_t *wo = json_object();
			json_object_set_new(wo, "initial", json_string(w->initial));
			json_object_set_new(wo, "states", states);
			json_object_set_new(wo, "transitions", trans);
			json_object_set_new(fo, "workflow", wo);
		}
	}
	req_json(r, 200, o);
}

/* ---- records ---- */

typedef struct api_ctx {
	app_rt *app;
	const def_form *form;
	actor who;
	pipe_job job;
	wf_job wf;                /* a transition being written */
	int status;               /* to answer once durable: 201 or 200 */
} api_ctx;

static void api_ctx_cleanup(void *p)
{
	api_ctx *c = p;
	pipe_job_free(&c->job);
	wf_job_free(&c->wf);
}

static bool parse_int64(const char *s, int64_t *out)
{
	if (!s || !*s || strlen(s) > 18)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	*out = strtoll(s, NULL, 10);
	return true;
}


typedef struct query_check {
	req *r;
	api_ctx *c;
	store_query *q;
	store_eq *eq;
	size_t neq;
	const char *bad;          /* first problem, for the 400 */
} query_check;

static bool check_param(void *cls, const char *key, const char *val)
{
	query_check *qc = cls;
	req *r = qc->r;
	store_query *q = qc->q;
	if (qc->bad)
		return false;
	if (!val)
		val = "";
	if (!util_utf8_valid(val, strlen(val)) || !util_utf8_valid(key, strlen(key))) {
		qc->bad = "paramètre invalide (UTF-8)";
		return false;
	}
	if (strcmp(key, "limit") == 0) {
		int64_t n;
		if (!parse_int64(val, &n) || n < 1 || n > 500) {
			qc->bad = r->lg == LANG_EN ? "limit must be an integer between 1 and 500"
			                           : "limit doit être un entier entre 1 et 500";
			return false;
		}
		q->limit = (int)n;
	} else if (strcmp(key, "after") == 0) {
		q->after = val;
	} else if (strcmp(key, "sort") == 0) {
		q->sort = val;
	} else if (strcmp(key, "q") == 0) {
		q->q = val;
	} else if (strcmp(key, "state") == 0) {
		if (!qc->c->form->workflow || def_find_state(qc->c->form->workflow, val) < 0) {
			qc->bad = r->lg == LANG_EN ? "unknown state" : "état inconnu";
			return false;
		}
		q->state = val;
	} else if (strcmp(key, "overdue") == 0) {
		if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
			qc->bad = r->lg == LANG_EN ? "overdue must be true or false"
			                           : "overdue doit valoir true ou false";
			return false;
		}
		q->overdue_only = strcmp(val, "true") == 0;
	} else if (strcmp(key, "lang") == 0) {
		/* handled by the router */
	} else {
		int col = def_find_col(qc->c->form, key);
		if (col < 0 || !access_can_read_col(qc->c->form->cols[col], &qc->c->who) ||
		    qc->neq == 16) {
			qc->bad = r->lg == LANG_EN ? "unknown query parameter" : "paramètre de requête inconnu";
			return false;
		}
		qc->eq[qc->neq].col = col;
		qc->eq[qc->neq].value = val;
		qc->neq++;
	}
	return true;
}

/* The list answer being written while store_list_each reads the rows. */
typedef struct list_out {
	buf b;
	jsonw w;
	const def_form *form;
	const actor *who;
} list_out;

static void list_row(void *arg, const record *rec)
{
	list_out *lo = arg;
	api_record_write(&lo->w, lo->form, rec, lo->who);
}

/* The 400 message for a list query the store refused, in the request's language. */
static const char *bad_query_message(store_bad why, lang lg)
{
	switch (why) {
	case STORE_BAD_STATE: return lg == LANG_EN ? "unknown state" : "état inconnu";
	case STORE_BAD_FILTER:
		return lg == LANG_EN ? "invalid filter (a yes/no field takes true or false)"
		                     : "filtre invalide (un champ oui/non prend true ou false)";
	case STORE_BAD_SEARCH: return lg == LANG_EN ? "search text too long" : "texte de recherche trop long";
	case STORE_BAD_SORT:
		return lg == LANG_EN ? "unknown sort field" : "champ de tri inconnu";
	case STORE_BAD_CURSOR:
		return lg == LANG_EN ? "invalid cursor: pass back the \"next\" value of the previous page, "
		                       "with the same sort"
		                     : "curseur invalide : renvoyez la valeur \"next\" de la page précédente, "
		                       "avec le même tri";
	case STORE_BAD_LIMIT:
		return lg == LANG_EN ? "limit must be an integer between 1 and 500"
		                     : "limit doit être un entier entre 1 et 500";
	default: return NULL;
	}
}

static void list_records(req *r, api_ctx *c)
{
	store_query q = {0};
	store_eq eq[16];
	q.scope = access_read_scope(c->form, &c->who);
	q.now = util_now();
	q.limit = 50;
	query_check qc = {.r = r, .c = c, .q = &q, .eq = eq};
	req_query_each(r, check_param, &qc);
	if (qc.bad) {
		api_error(r, 400, "bad_request", qc.bad, NULL);
		return;
	}
	q.eq = eq;
	q.neq = qc.neq;
	bool *readable = arena_alloc(&r->mem, (c->form->ncols ? c->form->ncols : 1) * sizeof *readable);
	for (size_t col = 0; col < c->form->ncols; col++)
		readable[col] = access_can_read_col(c->form->cols[col], &c->who);
	q.readable = readable;
	if (q.sort) {
		const char *name = q.sort[0] == '-' ? q.sort + 1 : q.sort;
		int col = def_find_col(c->form, name);
		if (col >= 0 && !access_can_read_col(c->form->cols[col], &c->who)) {
			api_error(r, 400, "bad_request", NULL, NULL);
			return;
		}
	}
	/* Rows go from SQLite straight into the answer: no copy of the page, no json_t. */
	list_out lo = {.b = BUF_INIT, .form = c->form, .who = &c->who};
	size_t guess = (size_t)q.limit * 1024;
	buf_reserve(&lo.b, guess < 65536 ? guess : 65536);
	jsonw_init(&lo.w, &lo.b);
	jsonw_object_begin(&lo.w);
	jsonw_key(&lo.w, "records");
	jsonw_array_begin(&lo.w);
	char *next = NULL;
	char err[STORE_ERR_LEN] = "";
	store_bad why = STORE_BAD_NONE;
	q.why = &why;
	int rc = store_list_each(c->app->db, c->form, &q, list_row, &lo, &next, err);
	if (rc != STORE_OK) {
		buf_free(&lo.b);
		free(next);
		if (rc == STORE_BADQUERY)
			api_error(r, 400, "bad_request", bad_query_message(why, r->lg), NULL);
		else
			internal_error(r, err);
		return;
	}
	jsonw_array_end(&lo.w);
	jsonw_key(&lo.w, "next");
	jsonw_str(&lo.w, next);
	jsonw_object_end(&lo.w);
	free(next);
	req_json_buf(r, 200, &lo.b);
}

/* A JSON body: checks its media type and encoding, parses it; NULL once answered. */
static json_t *read_json(req *r)
{
	const char *ct = req_header(r, "Content-Type");
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		api_error(r, 415, "unsupported_media_type", NULL, NULL);
		return NULL;
	}
	if (!util_utf8_valid(r->body.data ? r->body.data : "", r->body.len)) {
		api_error(r, 400, "bad_request",
		          r->lg == LANG_EN ? "The body is not valid UTF-8." : "Le corps n'est pas en UTF-8 valide.",
		          NULL);
		return NULL;
	}
	json_error_t je;
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len,
	                       JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s %s (%d:%d)",
		         r->lg == LANG_EN ? "Malformed JSON:" : "JSON mal formé :", je.text, je.line,
		         je.column);
		api_error(r, 400, "bad_request", msg, NULL);
		return NULL;
	}
	return j;
}

/* The body of a create or patch: {"fields": {...}}, or the bare object of fields. */
static json_t *read_body(req *r)
{
	json_t *j = read_json(r);
	if (!j)
		return NULL;
	json_t *fields = json_is_object(j) ? json_object_get(j, "fields") : NULL;
	if (fields && json_is_object(fields) && json_object_size(j) == 1) {
		json_incref(fields);
		json_decref(j);
		return fields;
	}
	if (!json_is_object(j) || fields) {
		json_decref(j);
		api_error(r, 400, "bad_request",
		          r->lg == LANG_EN ? "The body must be an object {\"fields\": {...}}."
		                           : "Le corps doit être un objet {\"fields\": {...}}.",
		          NULL);
		return NULL;
	}
	return j;
}

static json_t *errors_json(const field_errors *e)
{
	json_t *o = json_object();
	for (size_t i = 0; i < e->n; i++)
		json_object_set_new(o, e->v[i].field, json_string(e->v[i].message));
	return o;
}

static void after_write(req *r, int rc)
{
	api_ctx *c = r->cleanup_arg;
	if (rc == STORE_CONFLICT) {
		api_error(r, 409, "conflict", NULL, NULL);
		return;
	}
	if (rc == STORE_NOTFOUND) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	if (rc != STORE_OK) {
		internal_error(r, "write failed");
		return;
	}
	if (c->status == 204) {
		r->status = 204;
		r->content_type = NULL;
		return;
	}
	char loc[256];
	snprintf(loc, sizeof loc, "/api/v1/apps/%s/%s/records/%lld", c->app->def->id, c->form->id,
	         (long long)c->job.rec.id);
	/*
	 * An anonymous submitter cannot read the record back: what they can follow is its
	 * tracking page, as the HTML receipt gives it.
	 */
	char token[TRACKING_TOKEN_LEN], track[512];
	const char *tracking = NULL;
	if (c->status == 201 && !c->who.login && tracking_enabled(c->form) &&
	    tracking_token(c->app, c->form, c->job.rec.id, token) == 0) {
		snprintf(track, sizeof track, "%s/suivi/%s", req_base_url(r), token);
		tracking = track;
		snprintf(loc, sizeof loc, "/suivi/%s", token);
	}
	if (c->status == 201)
		req_add_header(r, "Location", loc);
	char etag[32];
	snprintf(etag, sizeof etag, "\"%lld\"", (long long)c->job.rec.version);
	req_add_header(r, "ETag", etag);
	send_record(r, c->status, c->form, &c->job.rec, &c->who, tracking);
}

static void write_answer_invalid(req *r, int rc, field_errors *errs, const char *err)
{
	if (rc == PIPE_INVALID)
		api_error(r, 422, "validation_failed", NULL, errors_json(errs));
	else
		internal_error(r, err);
}

static void create_record(req *r, api_ctx *c)
{
	if (!access_can_create(c->form, &c->who)) {
		api_error(r, c->who.login ? 403 : 401, c->who.login ? "forbidden" : "unauthenticated",
		          NULL, NULL);
		return;
	}
	json_t *fields = read_body(r);
	if (!fields)
		return;
	pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = r->lg, .now = util_now()};
	write_in in = {.json = fields};
	field_errors errs = {0};
	char err[SANDBOX_ERR] = "";
	int rc = pipeline_create(&pc, &in, &c->job.rec, &errs, err);
	json_decref(fields);
	if (rc != PIPE_OK) {
		write_answer_invalid(r, rc, &errs, err);
		field_errors_clear(&errs);
		return;
	}
	/* Real time, not util_now: a rate is about the clock on the wall. */
	if (!c->who.login && !throttle_submit(req_throttle(r), r->client_key, time(NULL))) {
		req_add_header(r, "Retry-After", "60");
		api_error(r, 429, "too_many_requests",
		          r->lg == LANG_EN ? "Too many anonymous submissions from this address: wait a minute."
		                           : "Trop de dépôts anonymes depuis cette adresse : patientez une minute.",
		          NULL);
		return;
	}
	char *at = arena_strdup(&r->mem, c->job.rec.created_at);
	c->job.app = c->app;
	c->job.form = c->form;
	c->job.at = at;
	c->job.actor = c->who.login ? c->who.login : "anonyme";
	c->job.changes = pipeline_changes(c->form, NULL, &c->job.rec);
	c->status = 201;
	req_write(r, c->app->db, pipeline_apply_insert, &c->job, after_write);
}

static bool parse_if_match(const char *h, int64_t *v)
{
	if (strncmp(h, "W/", 2) == 0)
		h += 2;
	char tmp[32];
	size_t n = strlen(h);
	if (n >= sizeof tmp)
		return false;
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
		memcpy(tmp, h + 1, n - 2);
		tmp[n - 2] = '\0';
	} else {
		memcpy(tmp, h, n + 1);
	}
	return parse_int64(tmp, v);
}

static void patch_record(req *r, api_ctx *c, record *old)
{
	if (!access_can_edit(c->form, &c->who, old)) {
		api_error(r, 403, "forbidden", NULL, NULL);
		return;
	}
	const char *im = req_header(r, "If-Match");
	int64_t expect = old->version;
	if (im && !parse_if_match(im, &expect)) {
		api_error(r, 400, "bad_request", "If-Match: version attendue (ex. \"3\")", NULL);
		return;
	}
	if (expect != old->version) {
		api_error(r, 409, "conflict", NULL, NULL);
		return;
	}
	json_t *fields = read_body(r);
	if (!fields)
		return;
	pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = r->lg, .now = util_now()};
	write_in in = {.json = fields};
	field_errors errs = {0};
	char err[SANDBOX_ERR] = "";
	int rc = pipeline_update(&pc, old, &in, &c->job.rec, &errs, err);
	json_decref(fields);
	if (rc != PIPE_OK) {
		write_answer_invalid(r, rc, &errs, err);
		field_errors_clear(&errs);
		return;
	}
	c->job.form = c->form;
	c->job.at = arena_strdup(&r->mem, c->job.rec.updated_at);
	c->job.actor = c->who.login;
	c->job.changes = pipeline_changes(c->form, old, &c->job.rec);
	c->job.expect_version = expect;
	c->status = 200;
	req_write(r, c->app->db, pipeline_apply_update, &c->job, after_write);
}

static void delete_record(req *r, api_ctx *c, record *old)
{
	if (!access_can_delete(c->form, &c->who, old)) {
		api_error(r, 403, "forbidden", NULL, NULL);
		return;
	}
	char now[32];
	util_iso_datetime(util_now(), now);
	c->job.app = c->app;
	c->job.form = c->form;
	c->job.id = old->id;
	c->job.at = arena_strdup(&r->mem, now);
	c->job.actor = c->who.login;
	c->status = 204;
	req_write(r, c->app->db, pipeline_apply_delete, &c->job, after_write);
}

static void after_transition(req *r, int rc)
{
	api_ctx *c = r->cleanup_arg;
	if (rc == STORE_CONFLICT || rc == STORE_NOTFOUND) {
		api_error(r, 409, "conflict",
		          r->lg == LANG_EN ? "The record changed meanwhile; read it again and retry."
		                           : "L'enregistrement a changé entre-temps ; relisez-le et recommencez.",
		          NULL);
		return;
	}
	if (rc != STORE_OK) {
		internal_error(r, "transition write failed");
		return;
	}
	if (c->wf.mail.n)
		req_mail_queued(r);
	char etag[32];
	snprintf(etag, sizeof etag, "\"%lld\"", (long long)c->wf.rec.version);
	req_add_header(r, "ETag", etag);
	send_record(r, 200, c->form, &c->wf.rec, &c->who, NULL);
}

/* POST …/records/<id>/transitions/<t>  body {"fields": {...}, "comment": "..."} (both optional). */
static void trigger_transition(req *r, api_ctx *c, const record *old, const char *tid)
{
	const def_transition *t = c->form->workflow ? def_find_transition(c->form, tid) : NULL;
	if (!t) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	if (strcmp(r->method, "POST") != 0) {
		api_error(r, 405, "method_not_allowed", NULL, NULL);
		return;
	}
	json_t *body = r->body.len ? read_json(r) : json_object();
	if (!body)
		return;
	json_t *fields = json_object_get(body, "fields");
	json_t *comment = json_object_get(body, "comment");
	size_t known = (fields != NULL) + (comment != NULL);
	if (!json_is_object(body) || json_object_size(body) != known ||
	    (fields && !json_is_object(fields)) || (comment && !json_is_string(comment) && !json_is_null(comment))) {
		json_decref(body);
		api_error(r, 400, "bad_request",
		          r->lg == LANG_EN ? "The body must be {\"fields\": {...}, \"comment\": \"...\"}."
		                           : "Le corps doit être {\"fields\": {...}, \"comment\": \"...\"}.",
		          NULL);
		return;
	}
	json_t *empty = json_object();
	write_in in = {.json = fields ? fields : empty};
	pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = r->lg, .now = util_now()};
	field_errors errs = {0};
	char msg[SANDBOX_ERR] = "";
	int rc = workflow_prepare(&pc, old, t, &in, json_is_string(comment) ? json_string_value(comment) : NULL,
	                          req_base_url(r), &c->wf, &errs, msg);
	json_decref(empty);
	json_decref(body);
	switch (rc) {
	case WF_OK:
		req_write(r, c->app->db, workflow_apply, &c->wf, after_transition);
		break;
	case WF_FORBIDDEN:
		api_error(r, 403, "forbidden", msg[0] ? msg : NULL, NULL);
		break;
	case WF_CONFLICT:
		api_error(r, 409, "conflict",
		          r->lg == LANG_EN ? "This transition is not allowed from the record's current state."
		                           : "Cette action n'est pas possible dans l'état actuel de l'enregistrement.",
		          NULL);
		break;
	case WF_GUARD:
		api_error(r, 409, "conflict", msg[0] ? msg : NULL, NULL);
		break;
	case WF_INVALID:
		api_error(r, 422, "validation_failed", NULL, errors_json(&errs));
		break;
	default:
		internal_error(r, msg);
		break;
	}
	field_errors_clear(&errs);
}

static json_t *history_json(const def_form *f, const store_history_line *h, size_t n,
                            const actor *who)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "at", json_string(h[i].at));
		json_object_set_new(o, "actor", h[i].actor ? json_string(h[i].actor) : json_null());
		json_object_set_new(o, "action", json_string(h[i].action));
		if (h[i].from_state)
			json_object_set_new(o, "from", json_string(h[i].from_state));
		if (h[i].to_state)
			json_object_set_new(o, "to", json_string(h[i].to_state));
		if (h[i].transition)
			json_object_set_new(o, "transition", json_string(h[i].transition));
		if (h[i].comment)
			json_object_set_new(o, "comment", json_string(h[i].comment));
		json_t *ch = json_object();
		const char *k;
		json_t *v;
		if (h[i].changes)
			json_object_foreach(h[i].changes, k, v) {
				int col = def_find_col(f, k);
				/* Removed fields' history stays for admins only; private stays private. */
				if (col >= 0 ? access_can_read_col(f->cols[col], who) : who->admin)
					json_object_set(ch, k, v);
			}
		/* An edit of fields this reader may not see: not even the fact that it happened. */
		if (strcmp(h[i].action, "update") == 0 && json_object_size(ch) == 0) {
			json_decref(ch);
			json_decref(o);
			continue;
		}
		json_object_set_new(o, "changes", ch);
		json_array_append_new(arr, o);
	}
	return arr;
}

/* ---- OpenAPI: GET /api/v1/openapi.json ---- */

/*
 * An OpenAPI 3.1 document built per request from the loaded apps, with what
 * GET /api/v1/apps and GET /api/v1/apps/<app> show the same caller: the apps
 * app_visible lets them see (an anonymous caller sees the apps with a public form),
 * every form of those apps, and in each form the columns access_can_read_col lets
 * them read (a private field appears, flagged, only to its roles and admins).
 * Access is still decided per request; the 401/403 answers say so.
 *
 * Component names are "<app>.<form>.Record|Fields|FieldsPatch|Transition.<t>": ids
 * match [a-z][a-z0-9_-]*, so they never contain '.', '~' or '/' and every name is
 * unique and a valid JSON pointer token. Everything is a jansson tree owned by the
 * document; temporary strings live in the request's arena.
 */

typedef struct oa_doc {
	req *r;
	json_t *paths;     /* borrowed from the document */
	json_t *schemas;
	json_t *tags;
	json_t *opids;     /* operationIds used so far, as a set */
} oa_doc;

/* French or English text of the request's language; a conditional, so formats stay checked. */
#define OA_TR(o, fr, en) ((o)->r->lg == LANG_EN ? (en) : (fr))

/* {"$ref": "#/components/<kind>/<name>"}; new reference. */
static json_t *oa_ref(const oa_doc *o, const char *kind, const char *name)
{
	json_t *j = json_object();
	json_object_set_new(j, "$ref",
	                    json_string(arena_printf(&o->r->mem, "#/components/%s/%s", kind, name)));
	return j;
}

/* {"application/json": {"schema": schema}}; steals schema. */
static json_t *oa_json_content(json_t *schema)
{
	json_t *mt = json_object(), *c = json_object();
	json_object_set_new(mt, "schema", schema);
	json_object_set_new(c, "application/json", mt);
	return c;
}

/* A response object; schema (stolen) may be NULL for an empty body. */
static json_t *oa_response(const char *description, json_t *schema)
{
	json_t *o = json_object();
	json_object_set_new(o, "description", json_string(description));
	if (schema)
		json_object_set_new(o, "content", oa_json_content(schema));
	return o;
}

static json_t *oa_type(const char *type)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(type));
	return o;
}

/* A schema whose "type" is ["<type>", "null"]. */
static json_t *oa_type_or_null(const char *type)
{
	json_t *o = json_object(), *t = json_array();
	json_array_append_new(t, json_string(type));
	json_array_append_new(t, json_string("null"));
	json_object_set_new(o, "type", t);
	return o;
}

/* The error answers every operation may list, as components.responses. */
static const struct {
	int status;
	const char *name, *fr, *en;
} oa_errors[] = {
	{400, "BadRequest", "Requête invalide (corps, paramètre ou en-tête).",
	 "Bad request (body, parameter or header)."},
	{401, "Unauthenticated", "Authentification requise, ou jeton invalide.",
	 "Authentication required, or invalid token."},
	{403, "Forbidden", "Accès refusé (rôle, ou en-tête X-CSRF-Token absent avec le cookie de session).",
	 "Forbidden (role, or X-CSRF-Token header missing with the session cookie)."},
	{404, "NotFound", "Introuvable, ou hors de ce que l'appelant peut lire.",
	 "Not found, or outside what the caller may read."},
	{405, "MethodNotAllowed", "Méthode non autorisée.", "Method not allowed."},
	{409, "Conflict",
	 "Conflit : version périmée, ou transition impossible dans l'état actuel (ou refusée par sa garde).",
	 "Conflict: stale version, or transition not allowed from the current state (or refused by its guard)."},
	{413, "TooLarge", "Corps trop volumineux.", "Request body too large."},
	{415, "UnsupportedMediaType", "Envoyez Content-Type: application/json.",
	 "Send Content-Type: application/json."},
	{422, "ValidationFailed", "Champs invalides : error.fields donne un message par champ.",
	 "Invalid fields: error.fields holds one message per field."},
	{500, "Internal", "Erreur interne ; error.id est aussi dans le journal du serveur.",
	 "Internal error; error.id is also in the server log."},
};

/*
 * Adds an operation at paths[path][method] and returns it (borrowed). statuses is a
 * 0-terminated list of error answers, referenced from components.responses.
 * The operationId is "<app>_<form>_<verb>" made of [A-Za-z0-9_], suffixed when taken.
 */
static json_t *oa_operation(oa_doc *o, const char *path, const char *method, const char *tag,
                            const char *opid, const char *summary, const int *statuses)
{
	json_t *item = json_object_get(o->paths, path);
	if (!item) {
		item = json_object();
		json_object_set_new(o->paths, path, item);
	}
	json_t *op = json_object();
	json_object_set_new(item, method, op);
	char *id = arena_strdup(&o->r->mem, opid);
	for (char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	const char *unique = id;
	for (int n = 2; json_object_get(o->opids, unique); n++)
		unique = arena_printf(&o->r->mem, "%s_%d", id, n);
	json_object_set_new(o->opids, unique, json_true());
	json_object_set_new(op, "operationId", json_string(unique));
	json_object_set_new(op, "summary", json_string(summary));
	if (tag) {
		json_t *tags = json_array();
		json_array_append_new(tags, json_string(tag));
		json_object_set_new(op, "tags", tags);
	}
	json_t *resp = json_object();
	for (const int *s = statuses; *s; s++)
		for (size_t i = 0; i < sizeof oa_errors / sizeof *oa_errors; i++)
			if (oa_errors[i].status == *s)
				json_object_set_new(resp, arena_printf(&o->r->mem, "%d", *s),
				                    oa_ref(o, "responses", oa_errors[i].name));
	json_object_set_new(op, "responses", resp);
	return op;
}

static void oa_add_response(json_t *op, int status, json_t *response)
{
	char k[8];
	snprintf(k, sizeof k, "%d", status);
	json_object_set_new(json_object_get(op, "responses"), k, response);
}

/* "a, b" from a non-empty list; arena string. */
static const char *oa_join(oa_doc *o, const def_strlist *l)
{
	buf b = BUF_INIT;
	for (size_t i = 0; i < l->n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", l->v[i]);
	const char *s = arena_strdup(&o->r->mem, b.data ? b.data : "");
	buf_free(&b);
	return s;
}

/* A list of role ids for a description (empty: admins only); arena string. */
static const char *oa_roles(oa_doc *o, const def_strlist *l)
{
	return l->n ? oa_join(o, l) : OA_TR(o, "administrateurs seulement", "administrators only");
}

/* Appends a sentence to a schema's description. */
static void oa_describe(oa_doc *o, json_t *s, const char *text)
{
	const char *d = json_string_value(json_object_get(s, "description"));
	json_object_set_new(s, "description",
	                    json_string(d ? arena_printf(&o->r->mem, "%s %s", d, text) : text));
}

/* field_schema plus what the API adds: private roles, editable_by; new reference. */
static json_t *oa_field_schema(oa_doc *o, const def_field *fd)
{
	json_t *s = field_schema(fd);
	if (fd->has_private) {
		oa_describe(o, s,
		            fd->private_roles.n == 0
		                ? OA_TR(o, "Visible uniquement par les administrateurs.",
		                        "Visible only to administrators.")
		                : arena_printf(&o->r->mem,
		                               OA_TR(o, "Visible uniquement par les rôles : %s (et les administrateurs).",
		                                     "Visible only to roles: %s (and administrators)."),
		                               oa_roles(o, &fd->private_roles)));
		json_object_set_new(s, "x-smallapps-private-roles", strlist_json(&fd->private_roles));
	}
	if (fd->has_editable_by)
		oa_describe(o, s,
		            arena_printf(&o->r->mem,
		                         OA_TR(o, "Modifiable uniquement par : %s.", "Writable only by: %s."),
		                         oa_roles(o, &fd->editable_by)));
	return s;
}

/* Lets a field schema hold null too ("type" and, for choices, "enum"). */
static void oa_nullable(json_t *s)
{
	json_t *t = json_object_get(s, "type");
	bool has = false;
	size_t i;
	json_t *v;
	json_array_foreach(t, i, v)
		has = has || strcmp(json_string_value(v), "null") == 0;
	if (!has)
		json_array_append_new(t, json_string("null"));
	json_t *en = json_object_get(s, "enum");
	has = false;
	json_array_foreach(en, i, v)
		has = has || json_is_null(v);
	if (en && !has)
		json_array_append_new(en, json_null());
}

/* Whether the caller may send this field at all: not computed, readonly, or another role's private. */
static bool oa_writable(const def_field *fd, const actor *who)
{
	return fd->type != FT_SECTION && !fd->compute && !fd->readonly && access_can_read_col(fd, who);
}

/*
 * The object of writable fields of a form (or of a transition). With `required`,
 * what a create must carry: required, always visible, without a default. A field
 * shown under visible_if may be null (it is stored as NULL while hidden).
 */
static json_t *oa_input_schema(oa_doc *o, const def_field *fields, size_t n, const actor *who,
                               bool required, const char *title)
{
	json_t *s = oa_type("object");
	if (title)
		json_object_set_new(s, "title", json_string(title));
	json_t *props = json_object(), *reqd = json_array();
	for (size_t i = 0; i < n; i++) {
		const def_field *fd = &fields[i];
		if (!oa_writable(fd, who))
			continue;
		json_t *fs = oa_field_schema(o, fd);
		if (fd->visible_if.n) {
			oa_nullable(fs);
			oa_describe(o, fs, OA_TR(o, "Ignoré (enregistré vide) quand le champ est masqué.",
			                         "Ignored (stored as null) while the field is hidden."));
		}
		json_object_set_new(props, fd->name, fs);
		if (required && fd->required && !fd->visible_if.n && !fd->default_value)
			json_array_append_new(reqd, json_string(fd->name));
	}
	json_object_set_new(s, "properties", props);
	if (json_array_size(reqd))
		json_object_set_new(s, "required", reqd);
	else
		json_decref(reqd);
	json_object_set_new(s, "additionalProperties", json_false());
	return s;
}

/* <app>.<form>.Record: the record as every answer writes it (api_record_write). */
static json_t *oa_record_schema(oa_doc *o, const def_form *f, const actor *who)
{
	json_t *s = oa_type("object");
	json_object_set_new(s, "title", json_string(f->title));
	json_t *p = json_object();
	json_object_set_new(p, "id", oa_type("integer"));
	if (f->workflow) {
		json_t *st = oa_type("string"), *en = json_array();
		for (size_t i = 0; i < f->workflow->nstates; i++)
			json_array_append_new(en, json_string(f->workflow->states[i].id));
		json_object_set_new(st, "enum", en);
		json_object_set_new(p, "state", st);
	} else {
		json_object_set_new(p, "state", oa_type("null"));
	}
	json_object_set_new(p, "version", oa_type("integer"));
	json_t *at = oa_type("string");
	json_object_set_new(at, "format", json_string("date-time"));
	json_object_set_new(p, "created_at", at);
	json_t *by = oa_type_or_null("string");
	json_object_set_new(by, "description", json_string(OA_TR(o, "Identifiant ; null pour un dépôt anonyme.",
	                                                          "Login; null for an anonymous submission.")));
	json_object_set_new(p, "created_by", by);
	at = oa_type_or_null("string");
	json_object_set_new(at, "format", json_string("date-time"));
	json_object_set_new(p, "updated_at", at);
	json_object_set_new(p, "updated_by", oa_type_or_null("string"));
	json_object_set_new(p, "overdue", oa_type("boolean"));
	json_t *fields = oa_type("object"), *fp = json_object();
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (!access_can_read_col(fd, who))
			continue;
		/* Any stored value may be empty: hidden, a transition's field not yet set, a new field. */
		json_t *fs = oa_field_schema(o, fd);
		oa_nullable(fs);
		json_object_set_new(fp, fd->name, fs);
	}
	json_object_set_new(fields, "properties", fp);
	json_object_set_new(fields, "additionalProperties", json_false());
	json_object_set_new(p, "fields", fields);
	if (tracking_enabled(f)) {
		json_t *tu = oa_type("string");
		json_object_set_new(tu, "format", json_string("uri"));
		json_object_set_new(tu, "description",
		                    json_string(OA_TR(o, "Dépôt anonyme (201) : la page de suivi, seul "
		                                         "moyen pour le déposant de suivre sa demande.",
		                                      "Anonymous submission (201): the tracking page, "
		                                      "the submitter's only way to follow the request.")));
		json_object_set_new(p, "tracking_url", tu);
	}
	json_object_set_new(s, "properties", p);
	json_t *reqd = json_array();
	static const char *const sys[] = {"id", "state", "version", "created_at", "created_by",
	                                  "updated_at", "updated_by", "overdue", "fields"};
	for (size_t i = 0; i < sizeof sys / sizeof *sys; i++)
		json_array_append_new(reqd, json_string(sys[i]));
	json_object_set_new(s, "required", reqd);
	return s;
}

/* <app>.<form>.Transition.<t>: {"fields": {...}, "comment": "..."}. */
static json_t *oa_transition_schema(oa_doc *o, const def_transition *t, const actor *who)
{
	json_t *s = oa_type("object");
	json_object_set_new(s, "title", json_string(t->label));
	json_t *p = json_object(), *reqd = json_array();
	json_t *fields = oa_input_schema(o, t->fields, t->nfields, who, true, NULL);
	if (json_object_get(fields, "required"))
		json_array_append_new(reqd, json_string("fields"));
	json_object_set_new(p, "fields", fields);
	if (t->comment == COMMENT_REQUIRED) {
		json_t *c = oa_type("string");
		json_object_set_new(c, "minLength", json_integer(1));
		json_object_set_new(p, "comment", c);
		json_array_append_new(reqd, json_string("comment"));
	} else if (t->comment == COMMENT_OPTIONAL) {
		json_object_set_new(p, "comment", oa_type_or_null("string"));
	}
	json_object_set_new(s, "properties", p);
	if (json_array_size(reqd))
		json_object_set_new(s, "required", reqd);
	else
		json_decref(reqd);
	json_object_set_new(s, "additionalProperties", json_false());
	return s;
}

static json_t *oa_param(const char *name, const char *in, bool required, const char *description,
                        json_t *schema)
{
	json_t *p = json_object();
	json_object_set_new(p, "name", json_string(name));
	json_object_set_new(p, "in", json_string(in));
	if (required)
		json_object_set_new(p, "required", json_true());
	if (description)
		json_object_set_new(p, "description", json_string(description));
	json_object_set_new(p, "schema", schema);
	return p;
}

/* The query parameters check_param accepts, for this form and caller. */
static json_t *oa_list_params(oa_doc *o, const def_form *f, const actor *who)
{
	json_t *ps = json_array();
	json_t *s = oa_type("integer");
	json_object_set_new(s, "minimum", json_integer(1));
	json_object_set_new(s, "maximum", json_integer(500));
	json_object_set_new(s, "default", json_integer(50));
	json_array_append_new(ps, oa_param("limit", "query", false,
	                                   OA_TR(o, "Nombre d'enregistrements par page.", "Records per page."), s));
	json_array_append_new(ps, oa_param("after", "query", false,
	                                   OA_TR(o, "Curseur : la valeur \"next\" de la page précédente.",
	                                         "Cursor: the \"next\" value of the previous page."),
	                                   oa_type("string")));
	s = oa_type("string");
	json_t *en = json_array();
	static const char *const sys[] = {"id", "created_at", "updated_at", "state"};
	for (int desc = 0; desc < 2; desc++) {
		for (size_t i = 0; i < sizeof sys / sizeof *sys; i++)
			json_array_append_new(en, json_string(arena_printf(&o->r->mem, "%s%s", desc ? "-" : "", sys[i])));
		for (size_t col = 0; col < f->ncols; col++)
			if (access_can_read_col(f->cols[col], who))
				json_array_append_new(en, json_string(arena_printf(&o->r->mem, "%s%s", desc ? "-" : "",
				                                                   f->cols[col]->name)));
	}
	json_object_set_new(s, "enum", en);
	json_object_set_new(s, "default", json_string(f->list.sort && *f->list.sort ? f->list.sort : "-created_at"));
	json_array_append_new(ps, oa_param("sort", "query", false,
	                                   OA_TR(o, "Tri : un champ, précédé de \"-\" pour l'ordre décroissant.",
	                                         "Sort: a field, prefixed with \"-\" for descending order."),
	                                   s));
	/* Only the searched fields this caller may read are named. */
	def_strlist searched = {.v = arena_alloc(&o->r->mem, (f->list.search.n + 1) * sizeof(char *))};
	for (size_t i = 0; i < f->list.search.n; i++) {
		int col = def_find_col(f, f->list.search.v[i]);
		if (col >= 0 && access_can_read_col(f->cols[col], who))
			searched.v[searched.n++] = f->list.search.v[i];
	}
	s = oa_type("string");
	json_object_set_new(s, "maxLength", json_integer(1000));
	json_array_append_new(ps, oa_param("q", "query", false,
	                                   arena_printf(&o->r->mem, OA_TR(o, "Texte cherché dans : %s.", "Text searched in: %s."),
	                                                searched.n ? oa_join(o, &searched) : "-"),
	                                   s));
	if (f->workflow) {
		s = oa_type("string");
		en = json_array();
		for (size_t i = 0; i < f->workflow->nstates; i++)
			json_array_append_new(en, json_string(f->workflow->states[i].id));
		json_object_set_new(s, "enum", en);
		json_array_append_new(ps, oa_param("state", "query", false,
		                                   OA_TR(o, "Seulement les enregistrements dans cet état.",
		                                         "Only records in this state."),
		                                   s));
	}
	json_array_append_new(ps, oa_param("overdue", "query", false,
	                                   OA_TR(o, "true : seulement les enregistrements en retard.",
	                                         "true: only overdue records."),
	                                   oa_type("boolean")));
	s = oa_type("string");
	en = json_array();
	json_array_append_new(en, json_string("fr"));
	json_array_append_new(en, json_string("en"));
	json_object_set_new(s, "enum", en);
	json_array_append_new(ps, oa_param("lang", "query", false,
	                                   OA_TR(o, "Langue des messages.", "Language of the messages."), s));
	/* Field filters: any readable data column, unless a reserved parameter shadows it. */
	static const char *const reserved[] = {"limit", "after", "sort", "q", "state", "overdue", "lang"};
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		bool shadowed = false;
		for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
			shadowed = shadowed || strcmp(reserved[i], fd->name) == 0;
		if (shadowed || !access_can_read_col(fd, who))
			continue;
		const char *type = fd->type == FT_BOOLEAN   ? "boolean"
		                   : fd->type == FT_INTEGER ? "integer"
		                   : fd->type == FT_DECIMAL ? "number"
		                                            : "string";
		s = oa_type(type);
		if (fd->noptions) {
			en = json_array();
			for (size_t i = 0; i < fd->noptions; i++)
				json_array_append_new(en, json_string(fd->options[i].value));
			json_object_set_new(s, "enum", en);
		}
		json_array_append_new(
		    ps, oa_param(fd->name, "query", false,
		                 arena_printf(&o->r->mem,
		                              fd->type == FT_MULTICHOICE
		                                  ? OA_TR(o, "Filtre : « %s » contient cette valeur (16 filtres au plus).",
		                                          "Filter: \"%s\" contains this value (16 filters at most).")
		                                  : OA_TR(o, "Filtre : « %s » vaut exactement cette valeur (16 filtres au plus).",
		                                          "Filter: \"%s\" equals this value (16 filters at most)."),
		                              fd->label),
		                 s));
	}
	return ps;
}

static json_t *oa_etag_headers(oa_doc *o)
{
	json_t *h = json_object(), *e = json_object();
	json_object_set_new(e, "description", json_string(OA_TR(o, "Version de l'enregistrement, entre guillemets.",
	                                                        "The record's version, quoted.")));
	json_object_set_new(e, "schema", oa_type("string"));
	json_object_set_new(h, "ETag", e);
	return h;
}

/* A 200/201 answer with one record and its ETag. */
static json_t *oa_record_response(oa_doc *o, const char *schema, const char *description, bool location)
{
	json_t *resp = oa_response(description, oa_ref(o, "schemas", schema));
	json_t *h = oa_etag_headers(o);
	if (location) {
		json_t *l = json_object();
		json_object_set_new(l, "description", json_string(OA_TR(o, "Adresse de l'enregistrement créé.",
		                                                        "Address of the new record.")));
		json_object_set_new(l, "schema", oa_type("string"));
		json_object_set_new(h, "Location", l);
	}
	json_object_set_new(resp, "headers", h);
	return resp;
}

static json_t *oa_request_body(json_t *schema, bool required)
{
	json_t *b = json_object();
	json_object_set_new(b, "required", json_boolean(required));
	json_object_set_new(b, "content", oa_json_content(schema));
	return b;
}

/* {"fields": <ref>} or the bare object of fields: what read_body accepts. */
static json_t *oa_fields_body(oa_doc *o, const char *schema)
{
	json_t *wrapped = oa_type("object"), *p = json_object(), *reqd = json_array();
	json_object_set_new(p, "fields", oa_ref(o, "schemas", schema));
	json_object_set_new(wrapped, "properties", p);
	json_array_append_new(reqd, json_string("fields"));
	json_object_set_new(wrapped, "required", reqd);
	json_object_set_new(wrapped, "additionalProperties", json_false());
	json_t *any = json_array();
	json_array_append_new(any, wrapped);
	json_array_append_new(any, oa_ref(o, "schemas", schema));
	json_t *s = json_object();
	json_object_set_new(s, "anyOf", any);
	return s;
}

/* Schemas and paths of one form. */
static void oa_form(oa_doc *o, const def_app *app, const def_form *f, const actor *who)
{
	arena *m = &o->r->mem;
	const char *pre = arena_printf(m, "%s.%s", app->id, f->id);
	const char *rec = arena_printf(m, "%s.Record", pre);
	const char *fields = arena_printf(m, "%s.Fields", pre);
	const char *patch = arena_printf(m, "%s.FieldsPatch", pre);
	json_object_set_new(o->schemas, rec, oa_record_schema(o, f, who));
	json_object_set_new(o->schemas, fields, oa_input_schema(o, f->fields, f->nfields, who, true, f->title));
	json_object_set_new(o->schemas, patch, oa_input_schema(o, f->fields, f->nfields, who, false, f->title));

	const char *base = arena_printf(m, "/api/v1/apps/%s/%s/records", app->id, f->id);
	const char *one = arena_printf(m, "%s/{id}", base);
	const char *opid = arena_printf(m, "%s_%s", app->id, f->id);

	json_t *op = oa_operation(o, base, "get", app->id, arena_printf(m, "%s_list", opid),
	                          arena_printf(m, OA_TR(o, "Lister : %s", "List: %s"), f->title),
	                          (const int[]){400, 401, 403, 500, 0});
	json_object_set_new(op, "parameters", oa_list_params(o, f, who));
	json_t *list = oa_type("object"), *lp = json_object(), *arr = oa_type("array");
	json_object_set_new(arr, "items", oa_ref(o, "schemas", rec));
	json_object_set_new(lp, "records", arr);
	json_object_set_new(lp, "next", oa_type_or_null("string"));
	json_object_set_new(list, "properties", lp);
	json_t *reqd = json_array();
	json_array_append_new(reqd, json_string("records"));
	json_array_append_new(reqd, json_string("next"));
	json_object_set_new(list, "required", reqd);
	oa_add_response(op, 200, oa_response(OA_TR(o, "Une page d'enregistrements.", "A page of records."), list));

	op = oa_operation(o, base, "post", app->id, arena_printf(m, "%s_create", opid),
	                  arena_printf(m, OA_TR(o, "Créer : %s", "Create: %s"), f->title),
	                  (const int[]){400, 401, 403, 413, 415, 422, 500, 0});
	json_object_set_new(op, "description",
	                    json_string(arena_printf(m, OA_TR(o, "Rôles autorisés : %s.", "Allowed roles: %s."),
	                                             oa_roles(o, &f->access.create))));
	json_object_set_new(op, "requestBody", oa_request_body(oa_fields_body(o, fields), true));
	oa_add_response(op, 201, oa_record_response(o, rec, OA_TR(o, "Enregistrement créé.", "Record created."), true));

	json_t *idp = json_array();
	json_t *ids = oa_type("integer");
	json_object_set_new(ids, "minimum", json_integer(0));
	json_array_append_new(idp, oa_param("id", "path", true, NULL, ids));
	json_t *item = json_object();
	json_object_set_new(item, "parameters", idp);
	json_object_set_new(o->paths, one, item);

	op = oa_operation(o, one, "get", app->id, arena_printf(m, "%s_get", opid),
	                  arena_printf(m, OA_TR(o, "Lire : %s", "Read: %s"), f->title),
	                  (const int[]){401, 404, 500, 0});
	oa_add_response(op, 200, oa_record_response(o, rec, OA_TR(o, "L'enregistrement.", "The record."), false));

	op = oa_operation(o, one, "patch", app->id, arena_printf(m, "%s_update", opid),
	                  arena_printf(m, OA_TR(o, "Modifier : %s", "Update: %s"), f->title),
	                  (const int[]){400, 401, 403, 404, 409, 413, 415, 422, 500, 0});
	json_t *hp = json_array();
	json_array_append_new(hp, oa_param("If-Match", "header", false,
	                                   OA_TR(o, "Version attendue (\"3\") ; une autre version donne 409.",
	                                         "Expected version (\"3\"); another version answers 409."),
	                                   oa_type("string")));
	json_object_set_new(op, "parameters", hp);
	json_object_set_new(op, "requestBody", oa_request_body(oa_fields_body(o, patch), true));
	oa_add_response(op, 200, oa_record_response(o, rec, OA_TR(o, "Enregistrement modifié.", "Record updated."), false));

	op = oa_operation(o, one, "delete", app->id, arena_printf(m, "%s_delete", opid),
	                  arena_printf(m, OA_TR(o, "Supprimer : %s", "Delete: %s"), f->title),
	                  (const int[]){401, 403, 404, 500, 0});
	oa_add_response(op, 204, oa_response(OA_TR(o, "Supprimé.", "Deleted."), NULL));

	op = oa_operation(o, arena_printf(m, "%s/history", one), "get", app->id,
	                  arena_printf(m, "%s_history", opid),
	                  arena_printf(m, OA_TR(o, "Historique : %s", "History: %s"), f->title),
	                  (const int[]){401, 404, 500, 0});
	json_t *h = oa_type("object"), *hpp = json_object();
	arr = oa_type("array");
	json_object_set_new(arr, "items", oa_ref(o, "schemas", "HistoryLine"));
	json_object_set_new(hpp, "history", arr);
	json_object_set_new(h, "properties", hpp);
	reqd = json_array();
	json_array_append_new(reqd, json_string("history"));
	json_object_set_new(h, "required", reqd);
	oa_add_response(op, 200, oa_response(OA_TR(o, "Lignes d'historique.", "History lines."), h));
	json_object_set(json_object_get(o->paths, arena_printf(m, "%s/history", one)), "parameters", idp);

	if (!f->workflow)
		return;
	for (size_t i = 0; i < f->workflow->ntransitions; i++) {
		const def_transition *t = &f->workflow->transitions[i];
		const char *ts = arena_printf(m, "%s.Transition.%s", pre, t->id);
		json_object_set_new(o->schemas, ts, oa_transition_schema(o, t, who));
		const char *tp = arena_printf(m, "%s/transitions/%s", one, t->id);
		op = oa_operation(o, tp, "post", app->id, arena_printf(m, "%s_transition_%s", opid, t->id),
		                  arena_printf(m, "%s (%s → %s)", t->label, oa_join(o, &t->from), t->to),
		                  (const int[]){400, 401, 403, 404, 409, 413, 415, 422, 500, 0});
		const char *d = arena_printf(m, OA_TR(o, "Rôles autorisés : %s.", "Allowed roles: %s."),
		                             oa_roles(o, &t->roles));
		if (t->after_days >= 0)
			d = arena_printf(m, OA_TR(o, "%s Automatique après %d jours dans l'état.",
			                          "%s Automatic after %d days in the state."),
			                 d, t->after_days);
		json_object_set_new(op, "description", json_string(d));
		json_t *ts_ref = oa_ref(o, "schemas", ts);
		json_t *tsch = json_object_get(o->schemas, ts);
		oa_add_response(op, 200, oa_record_response(o, rec, OA_TR(o, "Enregistrement après la transition.",
		                                                         "The record after the transition."), false));
		json_object_set_new(op, "requestBody", oa_request_body(ts_ref, json_object_get(tsch, "required") != NULL));
		json_object_set(json_object_get(o->paths, tp), "parameters", idp);
	}
}

/* components: securitySchemes, responses, and the schemas every app shares. */
static json_t *oa_components(oa_doc *o)
{
	json_t *c = json_object(), *sec = json_object();
	json_t *bearer = json_object();
	json_object_set_new(bearer, "type", json_string("http"));
	json_object_set_new(bearer, "scheme", json_string("bearer"));
	json_object_set_new(bearer, "description",
	                    json_string(OA_TR(o, "Jeton créé par `smallapps token create <login>`.",
	                                      "Token made by `smallapps token create <login>`.")));
	json_object_set_new(sec, "bearerAuth", bearer);
	json_t *cookie = json_object();
	json_object_set_new(cookie, "type", json_string("apiKey"));
	json_object_set_new(cookie, "in", json_string("cookie"));
	json_object_set_new(cookie, "name", json_string("sa_session"));
	json_object_set_new(cookie, "description",
	                    json_string(OA_TR(o, "Cookie de session posé par /login. Toute requête autre que GET "
	                                         "ou HEAD doit aussi porter l'en-tête X-CSRF-Token avec le jeton "
	                                         "CSRF de la session (celui des formulaires des pages), sinon 403.",
	                                      "Session cookie set by /login. Every request other than GET or "
	                                      "HEAD must also carry the X-CSRF-Token header with the session's "
	                                      "CSRF token (the one in the pages' forms), else 403.")));
	json_object_set_new(sec, "cookieAuth", cookie);
	json_object_set_new(c, "securitySchemes", sec);

	json_t *resp = json_object();
	for (size_t i = 0; i < sizeof oa_errors / sizeof *oa_errors; i++)
		json_object_set_new(resp, oa_errors[i].name,
		                    oa_response(OA_TR(o, oa_errors[i].fr, oa_errors[i].en),
		                                oa_ref(o, "schemas", "Error")));
	json_object_set_new(c, "responses", resp);

	/* Error: SPEC 7's {"error": {"code", "message", "fields"?, "id"?}} */
	json_t *e = oa_type("object"), *ep = json_object(), *codes = json_array();
	for (size_t i = 0; i < sizeof error_messages / sizeof *error_messages; i++)
		json_array_append_new(codes, json_string(error_messages[i].code));
	json_t *code = oa_type("string");
	json_object_set_new(code, "enum", codes);
	json_object_set_new(ep, "code", code);
	json_t *msg = oa_type("string");
	json_object_set_new(msg, "description", json_string(OA_TR(o, "Dans la langue de la requête.",
	                                                          "In the request's language.")));
	json_object_set_new(ep, "message", msg);
	json_t *fm = oa_type("object");
	json_object_set_new(fm, "additionalProperties", oa_type("string"));
	json_object_set_new(fm, "description", json_string(OA_TR(o, "422 : un message par champ.",
	                                                         "422: one message per field.")));
	json_object_set_new(ep, "fields", fm);
	json_t *eid = oa_type("string");
	json_object_set_new(eid, "description", json_string(OA_TR(o, "500 : identifiant aussi écrit dans le journal.",
	                                                          "500: id also written to the log.")));
	json_object_set_new(ep, "id", eid);
	json_object_set_new(e, "properties", ep);
	json_t *reqd = json_array();
	json_array_append_new(reqd, json_string("code"));
	json_array_append_new(reqd, json_string("message"));
	json_object_set_new(e, "required", reqd);
	json_t *err = oa_type("object"), *errp = json_object();
	json_object_set_new(errp, "error", e);
	json_object_set_new(err, "properties", errp);
	reqd = json_array();
	json_array_append_new(reqd, json_string("error"));
	json_object_set_new(err, "required", reqd);
	json_object_set_new(o->schemas, "Error", err);

	/* HistoryLine: history_json */
	json_t *hl = oa_type("object"), *hp = json_object();
	json_t *at = oa_type("string");
	json_object_set_new(at, "format", json_string("date-time"));
	json_object_set_new(hp, "at", at);
	json_object_set_new(hp, "actor", oa_type_or_null("string"));
	json_object_set_new(hp, "action", oa_type("string"));
	json_object_set_new(hp, "from", oa_type("string"));
	json_object_set_new(hp, "to", oa_type("string"));
	json_object_set_new(hp, "transition", oa_type("string"));
	json_object_set_new(hp, "comment", oa_type("string"));
	json_t *ch = oa_type("object"), *pair = oa_type("array");
	json_object_set_new(pair, "minItems", json_integer(2));
	json_object_set_new(pair, "maxItems", json_integer(2));
	json_object_set_new(ch, "additionalProperties", pair);
	json_object_set_new(ch, "description", json_string(OA_TR(o, "Champ → [avant, après], champs lisibles seulement.",
	                                                         "Field → [before, after], readable fields only.")));
	json_object_set_new(hp, "changes", ch);
	json_object_set_new(hl, "properties", hp);
	reqd = json_array();
	json_array_append_new(reqd, json_string("at"));
	json_array_append_new(reqd, json_string("actor"));
	json_array_append_new(reqd, json_string("action"));
	json_array_append_new(reqd, json_string("changes"));
	json_object_set_new(hl, "required", reqd);
	json_object_set_new(o->schemas, "HistoryLine", hl);
	json_object_set_new(c, "schemas", o->schemas);
	return c;
}

static void get_openapi(req *r)
{
	oa_doc o = {.r = r, .paths = json_object(), .schemas = json_object(), .tags = json_array(),
	            .opids = json_object()};
	json_t *doc = json_object();
	json_object_set_new(doc, "openapi", json_string("3.1.0"));
	json_t *info = json_object();
	json_object_set_new(info, "title", json_string("smallapps"));
	json_object_set_new(info, "version", json_string("1"));
	json_object_set_new(info, "description",
	                    json_string(OA_TR(&o, "API JSON des applications chargées que l'appelant peut voir.",
	                                      "JSON API of the loaded apps the caller may see.")));
	json_object_set_new(doc, "info", info);
	json_t *servers = json_array(), *srv = json_object();
	json_object_set_new(srv, "url", json_string(req_base_url(r)));
	json_array_append_new(servers, srv);
	json_object_set_new(doc, "servers", servers);
	/* Either credential, or none: public forms take anonymous callers. */
	json_t *security = json_array(), *s1 = json_object(), *s2 = json_object();
	json_object_set_new(s1, "bearerAuth", json_array());
	json_object_set_new(s2, "cookieAuth", json_array());
	json_array_append_new(security, s1);
	json_array_append_new(security, s2);
	json_array_append_new(security, json_object());
	json_object_set_new(doc, "security", security);
	json_object_set_new(doc, "components", oa_components(&o));

	json_t *op = oa_operation(&o, "/api/v1/apps", "get", NULL, "apps_list",
	                          OA_TR(&o, "Applications visibles", "Visible apps"), (const int[]){401, 500, 0});
	oa_add_response(op, 200, oa_response(OA_TR(&o, "{\"apps\": [...]}", "{\"apps\": [...]}"), oa_type("object")));
	op = oa_operation(&o, "/api/v1/openapi.json", "get", NULL, "openapi",
	                  OA_TR(&o, "Ce document", "This document"), (const int[]){401, 405, 500, 0});
	oa_add_response(op, 200, oa_response("OpenAPI 3.1", oa_type("object")));

	app_rt **apps;
	size_t n = registry_list(req_registry(r), &apps);
	for (size_t i = 0; i < n; i++) {
		const def_app *app = apps[i]->def;
		actor who;
		req_actor(r, app->id, &who);
		if (app_visible(app, &who)) {
			json_t *tag = json_object();
			json_object_set_new(tag, "name", json_string(app->id));
			json_object_set_new(tag, "description", json_string(app->title));
			json_array_append_new(o.tags, tag);
			op = oa_operation(&o, arena_printf(&r->mem, "/api/v1/apps/%s", app->id), "get", app->id,
			                  arena_printf(&r->mem, "%s_describe", app->id),
			                  arena_printf(&r->mem, OA_TR(&o, "Description : %s", "Description: %s"), app->title),
			                  (const int[]){401, 404, 500, 0});
			oa_add_response(op, 200, oa_response(OA_TR(&o, "Formulaires, champs, états, transitions.",
			                                           "Forms, fields, states, transitions."),
			                                     oa_type("object")));
			for (size_t k = 0; k < app->nforms; k++)
				oa_form(&o, app, &app->forms[k], &who);
		}
		registry_release(apps[i]);
	}
	free(apps);
	json_object_set_new(doc, "tags", o.tags);
	json_object_set_new(doc, "paths", o.paths);
	json_decref(o.opids);
	req_json(r, 200, doc);
}

void api_dispatch(req *r, const char **seg, int nseg)
{
	bool get = strcmp(r->method, "GET") == 0;
	if (nseg == 1 && strcmp(seg[0], "openapi.json") == 0) {
		if (!get) {
			api_error(r, 405, "method_not_allowed", NULL, NULL);
			return;
		}
		get_openapi(r);
		return;
	}
	if (nseg == 1 && strcmp(seg[0], "apps") == 0) {
		if (!get) {
			api_error(r, 405, "method_not_allowed", NULL, NULL);
			return;
		}
		get_apps(r);
		return;
	}
	if (nseg < 2 || strcmp(seg[0], "apps") != 0) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	app_rt *app = registry_get(req_registry(r), seg[1]);
	if (!app) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	r->app = app; /* released when the request ends */
	api_ctx *c = arena_alloc(&r->mem, sizeof *c);
	c->app = app;
	req_actor(r, app->def->id, &c->who);
	r->cleanup = api_ctx_cleanup;
	r->cleanup_arg = c;
	if (nseg == 2) {
		if (!get) {
			api_error(r, 405, "method_not_allowed", NULL, NULL);
			return;
		}
		if (!app_visible(app->def, &c->who) && !c->who.login) {
			api_error(r, 401, "unauthenticated", NULL, NULL);
			return;
		}
		get_app(r, app->def, &c->who);
		return;
	}
	c->form = def_find_form(app->def, seg[2]);
	if (!c->form || nseg < 4 || strcmp(seg[3], "records") != 0) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	if (nseg == 4) {
		if (get) {
			if (!access_can_read_any(c->form, &c->who)) {
				api_error(r, c->who.login ? 403 : 401,
				          c->who.login ? "forbidden" : "unauthenticated", NULL, NULL);
				return;
			}
			list_records(r, c);
		} else if (strcmp(r->method, "POST") == 0) {
			create_record(r, c);
		} else {
			api_error(r, 405, "method_not_allowed", NULL, NULL);
		}
		return;
	}
	int64_t id;
	if (!parse_int64(seg[4], &id) || nseg > 7 ||
	    (nseg == 7 && strcmp(seg[5], "transitions") != 0)) {
		api_error(r, 404, "not_found", NULL, NULL);
		return;
	}
	/* The same scope as lists: a record this caller may not read does not exist for them. */
	store_scope scope = access_read_scope(c->form, &c->who);
	record old;
	int rc = store_get(app->db, c->form, id, &scope, util_now(), &old);
	if (rc == STORE_NOTFOUND) {
		api_error(r, c->who.login || !scope.none ? 404 : 401,
		          c->who.login || !scope.none ? "not_found" : "unauthenticated", NULL, NULL);
		return;
	}
	if (rc != STORE_OK) {
		internal_error(r, "store_get failed");
		return;
	}
	if (nseg == 7) {
		trigger_transition(r, c, &old, seg[6]);
		record_clear(&old);
		return;
	}
	if (nseg == 6) {
		if (strcmp(seg[5], "history") == 0 && get) {
			store_history_line *h = NULL;
			size_t n = 0;
			if (store_history(app->db, c->form, id, &h, &n) != STORE_OK) {
				record_clear(&old);
				internal_error(r, "store_history failed");
				return;
			}
			json_t *body = json_object();
			json_object_set_new(body, "history", history_json(c->form, h, n, &c->who));
			store_history_free(h, n);
			req_json(r, 200, body);
		} else {
			api_error(r, 404, "not_found", NULL, NULL);
		}
		record_clear(&old);
		return;
	}
	if (get) {
		char etag[32];
		snprintf(etag, sizeof etag, "\"%lld\"", (long long)old.version);
		req_add_header(r, "ETag", etag);
		send_record(r, 200, c->form, &old, &c->who, NULL);
	} else if (strcmp(r->method, "PATCH") == 0) {
		patch_record(r, c, &old);
	} else if (strcmp(r->method, "DELETE") == 0) {
		delete_record(r, c, &old);
	} else {
		api_error(r, 405, "method_not_allowed", NULL, NULL);
	}
	record_clear(&old);
}
