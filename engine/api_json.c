/*
 * api_json — the API's JSON vocabulary, shared by its doors (api.c, api_gov.c, export.c,
 * openapi.c): the error shape and its codes, and a record as the API writes it (see
 * api.h). Kept apart so that the doors that write records or errors do not call back
 * into the API's handlers.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every error code the API answers, with its default message (also the Error enum of openapi.json).
 */
static const api_error_text error_messages[] = {
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
    {"confirmation_required",
     "Vérifiez les avertissements, puis renvoyez avec \"confirm\": true pour enregistrer.",
     "Check the warnings, then send again with \"confirm\": true to save."},
    {"too_many_requests", "Trop de requêtes, réessayez plus tard.",
     "Too many requests, try again later."},
    {"internal", "Erreur interne.", "Internal error."},
    {"unavailable", "Application momentanément indisponible : réessayez plus tard.",
     "App temporarily unavailable: try again later."},
};

const api_error_text *api_error_texts(size_t *n)
{
	*n = sizeof error_messages / sizeof *error_messages;
	return error_messages;
}

static const char *default_message(const char *code, lang lg)
{
	for (size_t i = 0; i < sizeof error_messages / sizeof *error_messages; i++)
		if (strcmp(error_messages[i].code, code) == 0)
			return lg == LANG_EN ? error_messages[i].en : error_messages[i].fr;
	return code;
}

void api_error(req *r, int status, const char *code, const char *message, json_t *fields)
{
	api_error_as(r, status, code, message, "fields", fields);
}

void api_error_as(req *r, int status, const char *code, const char *message, const char *key,
		  json_t *detail)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_string(code));
	json_object_set_new(e, "message",
			    json_string(message ? message : default_message(code, r->lg)));
	if (detail)
		json_object_set_new(e, key, detail);
	if (status >= 500)
		json_object_set_new(e, "id", json_string(r->id));
	json_t *body = json_object();
	json_object_set_new(body, "error", e);
	req_json(r, status, body);
}

/* A file value with its download address (its content is not in it); NULL: none. */
static json_t *file_json(const def_form *f, const record *rec, size_t col)
{
	const value *v = &rec->values[col];
	json_t *j = v->kind == VAL_TEXT ? json_loads(v->s, 0, NULL) : NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	char url[512];
	snprintf(url, sizeof url, "/api/v1/apps/%s/%s/records/%lld/files/%s",
		 f->app_id ? f->app_id : "", f->id, (long long)rec->id, f->cols[col]->name);
	json_object_set_new(j, "url", json_string(url));
	return j;
}

json_t *api_record_json(const def_form *f, const record *rec, const actor *who)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(rec->id));
	json_object_set_new(o, "state", rec->state ? json_string(rec->state) : json_null());
	json_object_set_new(o, "version", json_integer(rec->version));
	json_object_set_new(o, "created_at",
			    rec->created_at ? json_string(rec->created_at) : json_null());
	json_object_set_new(o, "created_by",
			    rec->created_by ? json_string(rec->created_by) : json_null());
	json_object_set_new(o, "updated_at",
			    rec->updated_at ? json_string(rec->updated_at) : json_null());
	json_object_set_new(o, "updated_by",
			    rec->updated_by ? json_string(rec->updated_by) : json_null());
	json_object_set_new(o, "overdue", json_boolean(rec->overdue));
	json_object_set_new(o, "purged_at",
			    rec->purged_at ? json_string(rec->purged_at) : json_null());
	json_t *fields = json_object();
	for (size_t col = 0; col < f->ncols; col++)
		if (!access_can_read_col(f->cols[col], who))
			continue;
		else if (f->cols[col]->type == FT_FILE) {
			json_t *j = file_json(f, rec, col);
			json_object_set_new(fields, f->cols[col]->name, j ? j : json_null());
		} else {
			json_object_set_new(fields, f->cols[col]->name,
					    validate_to_json(f->cols[col], &rec->values[col]));
		}
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
	case FT_REPEAT:
		if (v->kind == VAL_TEXT && v->s) {
			size_t n = strlen(v->s);
			if (n && v->s[0] == (fd->type == FT_FILE ? '{' : '[') &&
			    jsonw_is_compact(v->s, n)) {
				jsonw_raw(w, v->s, n);
			} else {
				json_t *j = validate_to_json(fd, v);
				char *t =
				    j ? json_dumps(j, REQ_JSON_FLAGS | JSON_ENCODE_ANY) : NULL;
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
	case VAL_INT:
		jsonw_int(w, v->i);
		break;
	case VAL_REAL:
		jsonw_real(w, v->d);
		break; /* null when not finite */
	case VAL_TEXT:
		jsonw_str(w, v->s);
		break; /* null when NULL or not UTF-8 */
	default:
		jsonw_null(w);
		break;
	}
}

static void write_file(jsonw *w, const def_form *f, const record *rec, size_t col)
{
	json_t *j = file_json(f, rec, col);
	char *t = j ? json_dumps(j, REQ_JSON_FLAGS) : NULL;
	if (t)
		jsonw_raw(w, t, strlen(t));
	else
		jsonw_null(w);
	free(t);
	json_decref(j);
}

/* A system string; like json_object_set_new with a NULL json_string, bad UTF-8 drops the key. */
static void write_sys(jsonw *w, const char *key, const char *s)
{
	if (s && !jsonw_utf8_valid(s, strlen(s)))
		return;
	jsonw_key(w, key);
	jsonw_str(w, s);
}

/*
 * The record with the fields whose column is set in cols (NULL: those who may read);
 * people: created_by and updated_by too; tracking (an anonymous submitter's link, or
 * NULL) as "tracking_url".
 */
static void record_write_as(jsonw *w, const def_form *f, const record *rec, const bool *cols,
			    const actor *who, bool people, const api_extra *x)
{
	jsonw_object_begin(w);
	jsonw_key(w, "id");
	jsonw_int(w, rec->id);
	write_sys(w, "state", rec->state);
	jsonw_key(w, "version");
	jsonw_int(w, rec->version);
	write_sys(w, "created_at", rec->created_at);
	if (people)
		write_sys(w, "created_by", rec->created_by);
	write_sys(w, "updated_at", rec->updated_at);
	if (people)
		write_sys(w, "updated_by", rec->updated_by);
	jsonw_key(w, "overdue");
	jsonw_bool(w, rec->overdue);
	write_sys(w, "purged_at", rec->purged_at);
	jsonw_key(w, "fields");
	jsonw_object_begin(w);
	for (size_t col = 0; col < f->ncols; col++)
		if (cols ? cols[col] : access_can_read_col(f->cols[col], who)) {
			jsonw_key(w, f->cols[col]->name);
			if (f->cols[col]->type == FT_FILE && rec->values[col].kind == VAL_TEXT)
				write_file(w, f, rec, col);
			else
				write_value(w, f->cols[col], &rec->values[col]);
		}
	jsonw_object_end(w);
	if (x && x->tracking) {
		jsonw_key(w, "tracking_url");
		jsonw_str(w, x->tracking);
	}
	if (x && x->quorum) { /* an approval short of its quorum: the record did not move */
		jsonw_key(w, "approvals");
		jsonw_object_begin(w);
		jsonw_key(w, "transition");
		jsonw_str(w, x->quorum->id);
		jsonw_key(w, "count");
		jsonw_int(w, x->approvals);
		jsonw_key(w, "required");
		jsonw_int(w, x->quorum->approvals);
		jsonw_object_end(w);
	}
	jsonw_object_end(w);
}

void api_record_write_extra(jsonw *w, const def_form *f, const record *rec, const actor *who,
			    const api_extra *x)
{
	record_write_as(w, f, rec, NULL, who, true, x);
}

void api_record_write(jsonw *w, const def_form *f, const record *rec, const actor *who)
{
	api_record_write_extra(w, f, rec, who, NULL);
}

void api_record_write_cols(jsonw *w, const def_form *f, const record *rec, const bool *cols,
			   bool people)
{
	record_write_as(w, f, rec, cols, NULL, people, NULL);
}
