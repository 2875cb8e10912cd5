/*
 * router — from method and path to the handler (SPEC 6, 7).
 *
 * Identifies the caller (session cookie or Bearer token), picks the language,
 * checks CSRF on state-changing requests, then calls pages.c or api.c.
 */
#ifndef SMALLAPPS_ROUTER_H
#define SMALLAPPS_ROUTER_H

#include "req.h"

void router_dispatch(req *r);

/* Splits path into at most max segments (in r->mem); returns the count or -1 when too many. */
int router_split(req *r, const char *path, const char **seg, int max);

#endif
