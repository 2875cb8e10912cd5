/*
 * pages — the HTML door (SPEC 6): portal, login/logout, app pages, public tracking,
 * admin. Each handler turns a request into use-case calls (usecase.h) and their
 * results into pages (render.h); rights and rules are decided below, never here.
 *
 * pages.c: the shared pieces, portal, login, tracking; pages_app.c: /a/<app>/...;
 * pages_admin.c: /admin/...; pages_gov.c: the dashboard and the GDPR register.
 */
#ifndef SMALLAPPS_PAGES_H
#define SMALLAPPS_PAGES_H

#include "render.h"
#include "req.h"

void pages_portal(req *r);
void pages_login(req *r);
void pages_logout(req *r);
void pages_admin(req *r);
void pages_tracking(req *r, const char *token);
/* /a/<app>/...: seg[0] is the app id. */
void pages_app(req *r, const char **seg, int nseg);
void pages_error(req *r, int status, const char *message);
/* Governed data (pages_gov.c): the dashboard GET /a/<app>/stats (call prepared on the
 * app), the GDPR register GET /admin/registre (pages_admin checked the admin). */
void pages_stats(req *r, uc_call *call);
/* GET /a/<app>/brouillons: the signed-in person's drafts in the app (pages_drafts.c). */
void pages_drafts(req *r, uc_call *call);
/* GET /accessibilite, /mentions-legales, /donnees-personnelles (which: the segment). */
void pages_legal(req *r, const char *which);
/* GET /a/<app>/donnees-personnelles: the app's personal-data notice, for anyone. */
void pages_privacy(req *r, const def_app *app);
void pages_registre(req *r);

/* ---- shared by the pages_* files ---- */

/* Page context for render from the request. */
void pages_page(req *r, page *p);
/* An error page, with a link back to `back` (a page the user came from) when not NULL. */
void pages_error_back(req *r, int status, const char *message, const char *back);
/* 303 to /login?next=<this page>. */
void pages_need_login(req *r);
/* Parses an urlencoded POST and checks its CSRF token; answers and returns false on failure. */
bool pages_read_post(req *r, req_kvs *kv);
/* French or English, as the request asks. */
const char *pages_tr(const req *r, const char *fr, const char *en);

/* /admin/users and below (pages_users.c); the caller checked a global admin. */
void pages_users(req *r);

#endif
