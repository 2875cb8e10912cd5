/*
 * api — the JSON API under /api/v1 (SPEC 7): apps, descriptions with JSON Schema,
 * records (list with cursor, create, read, patch with If-Match, delete), history,
 * transitions, and the OpenAPI document (openapi.h). A door: HTTP and JSON in, the
 * use-case layer (usecase.h) underneath, JSON out. Every error has the shape
 * {"error": {"code", "message", "fields"?, "id"?}}.
 */
#ifndef SMALLAPPS_API_H
#define SMALLAPPS_API_H

#include "jsonw.h"
#include "req.h"

/* seg are the path segments after /api/v1. */
void api_dispatch(req *r, const char **seg, int nseg);
/* A request's JSON body (media type, UTF-8, syntax checked); NULL once answered (400, 415). */
json_t *api_json_body(req *r);
/* api_drafts.c: /api/v1/apps/<app>/<form>/drafts[/<key>], seg after "drafts". */
void api_drafts(req *r, uc_call *c, const char **seg, int nseg);
/* ---- api_json.c: the error shape and the record as the API writes it ---- */

/* fields may be NULL; stolen. message NULL: the code's own, in the request's language. */
void api_error(req *r, int status, const char *code, const char *message, json_t *fields);
/* The same with the detail under another key ("warnings"). */
void api_error_as(req *r, int status, const char *code, const char *message, const char *key,
		  json_t *detail);

/* Every error code the API answers, with its default message. */
typedef struct api_error_text {
	const char *code, *fr, *en;
} api_error_text;
const api_error_text *api_error_texts(size_t *n);

/* A record in its API shape, with only the columns `who` may read; new reference. */
json_t *api_record_json(const def_form *f, const record *rec, const actor *who);
/*
 * The same record written by the streaming writer, for lists and single-record
 * answers: byte for byte json_dumps(api_record_json(...), REQ_JSON_FLAGS)
 * (tests/unit/test_jsonw.c keeps the two together).
 */
void api_record_write(jsonw *w, const def_form *f, const record *rec, const actor *who);
/* What a write's answer adds to the record: an anonymous submitter's tracking link as
 * "tracking_url"; after an approval short of its quorum, "approvals": {"transition",
 * "count", "required"}. */
typedef struct api_extra {
	const char *tracking;	      /* NULL: none */
	const def_transition *quorum; /* NULL: none */
	int approvals;		      /* counted with this one */
} api_extra;
void api_record_write_extra(jsonw *w, const def_form *f, const record *rec, const actor *who,
			    const api_extra *x);
/* The same shape with the fields of the columns set in cols; people: created_by and
 * updated_by too (an export; open data leaves them out). */
void api_record_write_cols(jsonw *w, const def_form *f, const record *rec, const bool *cols,
			   bool people);

/* Governed data (api_gov.c): GET .../apps/<app>/stats with call prepared on the app
 * (its form ignored), and GET /api/v1/registre. */
void api_stats(req *r, uc_call *call);
void api_registre(req *r);

/* The administrative divisions (api_geo.c): GET /api/v1/geo/<what>?q=…, what being
 * communes, departements, regions or epcis; public. */
void api_geo(req *r, const char *what);

/* Descriptions (api_describe.c). */
void api_get_apps(req *r);
void api_get_app(req *r, const def_app *app, const actor *who);
/* Whether `who` may see the app at all: a form they may create in or read. */
bool api_app_visible(const def_app *app, const actor *who);
/* The JSON Schema of one field's value; new reference. */
json_t *api_field_schema(const def_field *fd);
json_t *api_strlist_json(const def_strlist *l);

#endif
