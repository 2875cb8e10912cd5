/*
 * openapi — the OpenAPI 3.1 document of the JSON API (GET /api/v1/openapi.json).
 */
#ifndef SMALLAPPS_OPENAPI_H
#define SMALLAPPS_OPENAPI_H

#include "req.h"

/* Answers the document, for the caller's apps and in the request's language. */
void openapi_get(req *r);

#endif
