/*
 * openapi — the OpenAPI 3.1 document of the JSON API (GET /api/v1/openapi.json).
 */
#ifndef SMALLAPPS_OPENAPI_H
#define SMALLAPPS_OPENAPI_H

#include "req.h"

/* Answers the document, for the caller's apps and in the request's language. */
void openapi_get(req *r);

/* The schemas of the dashboard and the register ("Stats", "FormStats", "Duration",
 * "Registre") added to components.schemas (openapi_gov.c). */
void openapi_gov_schemas(json_t *schemas, lang lg);

#endif
