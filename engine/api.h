/*
 * api — the JSON API under /api/v1 (SPEC 7): apps, descriptions with JSON Schema,
 * records (list with cursor, create, read, patch with If-Match, delete), history,
 * transitions, and /api/v1/openapi.json: an OpenAPI 3.1 document generated per
 * request from the loaded apps the caller may see (as GET /api/v1/apps).
 * Every error has the shape {"error": {"code", "message", "fields"?}}.
 */
#ifndef SMALLAPPS_API_H
#define SMALLAPPS_API_H

#include "jsonw.h"
#include "req.h"

/* seg are the path segments after /api/v1. */
void api_dispatch(req *r, const char **seg, int nseg);
/* fields may be NULL; stolen. */
void api_error(req *r, int status, const char *code, const char *message, json_t *fields);

/* A record in its API shape, with only the columns `who` may read; new reference. */
json_t *api_record_json(const def_form *f, const record *rec, const actor *who);
/*
 * The same record written by the streaming writer, for lists and single-record
 * answers: byte for byte json_dumps(api_record_json(...), REQ_JSON_FLAGS)
 * (tests/unit/test_jsonw.c keeps the two together).
 */
void api_record_write(jsonw *w, const def_form *f, const record *rec, const actor *who);

#endif
