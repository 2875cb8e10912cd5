/*
 * pages — the HTML routes (SPEC 6): portal, login/logout, app pages, admin.
 * Glue between requests, access rules, the pipeline, the store and render.
 */
#ifndef SMALLAPPS_PAGES_H
#define SMALLAPPS_PAGES_H

#include "req.h"

void pages_portal(req *r);
void pages_login(req *r);
void pages_logout(req *r);
void pages_admin(req *r);
void pages_tracking(req *r, const char *token);
/* /a/<app>/...: seg[0] is the app id. */
void pages_app(req *r, const char **seg, int nseg);
void pages_error(req *r, int status, const char *message);
/* Page context for render from the request. */
struct page;
void pages_page(req *r, struct page *p);

#endif
