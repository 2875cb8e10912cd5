/*
 * render — the HTML pages (SPEC 6): accessible (RGAA 4.1 / WCAG 2.1 AA), French
 * first, no JavaScript needed.
 *
 * Every function appends a whole page to `out`. User text only ever goes through
 * buf_html (escaping by construction); the engine's own literals are the only raw
 * text. Render decides nothing about rights: callers pass what the user may see and
 * do (masks per column, allowed transitions), computed by access.h. Pure functions
 * of their arguments; thread-safe.
 */
#ifndef SMALLAPPS_RENDER_H
#define SMALLAPPS_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "def.h"
#include "outbox.h"
#include "record.h"
#include "registry.h"
#include "sandbox_pool.h"
#include "store.h"
#include "upload.h"
#include "usecase.h"
#include "validate.h"

/* What every page needs to know about the request. Borrowed strings. */
typedef struct page {
	lang lg;
	const char *path;	/* the request path, for the language switch */
	const char *user_login; /* NULL: anonymous */
	const char *user_name;
	bool user_admin;
	const char *csrf;      /* token put in every POST form (logout included) */
	const char *flash;     /* optional notice shown at the top ("Enregistrement créé.") */
	const char *site_name; /* the collectivité (data/site.lua); NULL: "smallapps" */
	bool site_logo, site_css;
	const char *site_access; /* its accessibility state, for the footer; NULL: none */
	/* the labels of the page's references and its form's reference inputs, as the
	 * reader may see them (reference.h); NULL: references shown by number */
	const struct ref_view *refs;
	/* a repeat's line that takes the focus as the page loads ("lignes[3]"): the one just
	 * added or the one before the removed one, the form having come back without script */
	const char *focus_line;
} page;

/* Portal: the apps and forms this user may use. */
typedef struct portal_form {
	const def_form *form;
	bool can_create;
	bool can_read;
} portal_form;
typedef struct portal_app {
	const def_app *app;
	const portal_form *forms;
	size_t nforms;
} portal_app;
void render_portal(buf *out, const page *p, const portal_app *apps, size_t napps);

/* Login form; `error` shown in an alert when not NULL; `next` kept in a hidden field. */
void render_login(buf *out, const page *p, const char *login, const char *error, const char *next);

/* App home: forms with their counts per state and overdue. counts[i] has nstates[i] entries.
 * When a form is in_stats, a link to the app's dashboard. */
typedef struct home_form {
	const def_form *form;
	bool can_create;
	bool can_read;
	const store_state_count *counts;
	size_t ncounts;
	bool in_stats; /* on the person's dashboard: the home links to /a/<app>/stats */
	bool drafts;   /* the person keeps drafts of it: the home links to /a/<app>/brouillons */
} home_form;
void render_app_home(buf *out, const page *p, const def_app *app, const home_form *forms,
		     size_t nforms);

/* Records list. `readable[col]` says which columns the user may see. */
typedef struct list_view {
	const def_app *app;
	const def_form *form;
	const bool *readable;
	const store_page *records;
	int64_t total;	   /* count with the same filters */
	int64_t total_cap; /* the count stops above it: a total above is "more than" it */
	bool can_create;
	bool can_open_data; /* offer the open-data export */
	/* The current query, echoed in the filter form and in links. */
	const char *q;
	const char *state;
	bool overdue_only;
	const char *sort;
	const store_eq *eq; /* active field filters */
	size_t neq;
	const char *after; /* cursor of the current page (NULL: first) */
} list_view;
void render_list(buf *out, const page *p, const list_view *v);

/*
 * File fields in a form: where the record's files are downloaded from (editing), and
 * the files received in a try sent back with errors, kept for the next one.
 */
typedef struct form_files {
	const char *href;	 /* "/a/<app>/<form>/<id>/files/", or NULL */
	const upload_list *kept; /* NULL: none */
} form_files;

/* New/edit form. errors may be NULL; values may be NULL (blank form, defaults shown). */
typedef struct form_view {
	const def_app *app;
	const def_form *form;
	const record *values; /* what to show in the inputs */
	const field_errors *errors;
	const bool *writable; /* per col: shown as an input; else shown read-only if readable */
	const bool *readable; /* per col */
	bool editing;	      /* edit (true) or new (false) */
	int64_t id;	      /* edit: record id */
	int64_t version;      /* edit: hidden "version" input */
	const record *theirs; /* 409: the stored version, shown beside the user's values */
	const field_errors *warnings; /* the form's warn hook said these: confirm or fix */
	bool stepped;		      /* a new record of a multi-step form */
	int step;		      /* its step shown; form->nsteps: the summary */
	const bool *steps_apply;      /* per step: its section's visible_if holds (summary) */
	const char *action;	      /* form action URL */
	form_files files;
	/* drafts (SPEC 4.2): the "Enregistrer le brouillon" button; the draft resumed (its
	 * key in a hidden "_draft"), when it was saved and until when it is kept (a
	 * role=status notice), and where "Supprimer le brouillon" posts (NULL: none) */
	bool drafts;
	const char *draft;
	const char *draft_saved, *draft_expires;
	const char *draft_delete;
} form_view;
void render_form(buf *out, const page *p, const form_view *v);

/* Drafts (render_drafts.c). "Mes brouillons": the person's drafts of an app. */
typedef struct draft_item {
	const def_form *form;
	const char *href; /* the draft's page */
	const char *updated_at, *expires_at;
} draft_item;
void render_drafts(buf *out, const page *p, const def_app *app, const draft_item *v, size_t n);
/* An anonymous person's first save: the resume link, given once (url: absolute). */
void render_draft_link(buf *out, const page *p, const def_app *app, const def_form *f,
		       const char *url, const char *expires_at);

/* Record page. */
typedef struct record_view {
	const def_app *app;
	const def_form *form;
	const record *rec;
	const bool *readable;
	bool can_edit;
	bool can_delete;
	const def_transition *const *transitions; /* those this user may trigger now */
	size_t ntransitions;
	const store_history_line *history; /* already filtered for this reader */
	size_t nhistory;
	const char *files_href; /* "/a/<app>/<form>/<id>/files/": file values link there */
	const char *printed_at; /* now (ISO 8601 UTC): the date a printout carries */
	/* the transitions with a quorum possible now, each with its approvals so far */
	const struct record_approvals *approvals;
	size_t napprovals;
} record_view;
typedef struct record_approvals {
	const def_transition *t;
	size_t n; /* approvals counted; who[] holds the first DEF_MAX_APPROVALS */
	const char *who[DEF_MAX_APPROVALS];
} record_approvals;
void render_record(buf *out, const page *p, const record_view *v);

/*
 * The transition's small form (GET/POST /a/<app>/<form>/<id>/do/<t>) for transitions
 * with fields or a comment: the transition's fields as inputs, then a "_comment"
 * textarea when t->comment != COMMENT_NONE. Posts _csrf, version (rec->version), the
 * fields by name and "_comment". Errors are keyed by field name, "_comment" for the
 * comment and "_" for the whole form.
 */
typedef struct transition_view {
	const def_app *app;
	const def_form *form;
	const record *rec; /* the record as stored (id, version, values) */
	const def_transition *transition;
	const record *values;	    /* submitted values to echo; NULL: rec's */
	const char *comment;	    /* submitted comment to echo, or NULL */
	const field_errors *errors; /* may be NULL */
	const char *action;	    /* form action URL */
	const bool *writable;	    /* per transition field: offered as an input; NULL: all */
	form_files files;
} transition_view;
void render_transition(buf *out, const page *p, const transition_view *v);

/*
 * Admin catalog (GET /admin): every app served (title, id, owner, version, forms,
 * content hash), the load problems kept by the registry (the text of the
 * diagnostics, and whether the previous version still serves), and the apps whose
 * code ran past its budget (sandbox_pool.h): suspended until when, how often.
 */
typedef struct admin_view {
	const app_rt *const *apps;
	size_t napps;
	const registry_problem *problems;
	size_t nproblems;
	const sandbox_pool_app *lua;
	size_t nlua;
	const uc_form_stats *activity; /* per form of the apps served (uc_activity) */
	size_t nactivity;
	bool no_site; /* no data/site.lua: the neutral look */
} admin_view;
void render_admin(buf *out, const page *p, const admin_view *v);

/*
 * Public tracking page (GET /suivi/<token>): the form's title, the record's number,
 * its current state and the dates it changed state — nothing the submitter typed,
 * no names, no comments. `receipt` adds the confirmation shown right after sending,
 * with the address to keep (`link`).
 */
typedef struct tracking_step {
	const char *at;	   /* ISO datetime */
	const char *state; /* state id entered */
} tracking_step;
typedef struct tracking_view {
	const def_app *app;
	const def_form *form;
	const record *rec;
	const tracking_step *steps;
	size_t nsteps;
	bool receipt;
	const char *link;
} tracking_view;
void render_tracking(buf *out, const page *p, const tracking_view *v);

/*
 * Outgoing mail (GET /admin/outbox): per app, a table of its latest rows as read by
 * outbox_recent (status in words, created, recipient, subject, attempts, next
 * attempt, the server's last answer or error, the record).
 */
typedef struct outbox_view {
	const def_app *app;
	const outbox_row *rows;
	size_t nrows;
	bool unreadable; /* the rows could not be read: say so */
} outbox_view;
void render_admin_outbox(buf *out, const page *p, const outbox_view *apps, size_t napps);

/*
 * The audit log (GET /admin/audit): whether its chain holds, a filter form (person,
 * kind, from, to: the query echoed), a table of lines newest first, and a link to
 * older ones (next: the query string of the next page, NULL: none). error: a filter
 * that was refused, said on top.
 */
typedef struct audit_view {
	const store_audit_line *lines;
	size_t n;
	const store_audit_check *chain;
	const char *actor, *kind, *from, *to; /* as typed, NULL: none */
	const char *next;
	const char *error;
} audit_view;
void render_admin_audit(buf *out, const page *p, const audit_view *v);

/* People (GET /admin/users and /admin/users/<login>; render_users.c). */
typedef struct users_notice {
	const char *error;		   /* a refusal, said on top */
	const char *done;		   /* what was done */
	const char *secret, *secret_label; /* a password or token shown once */
} users_notice;
typedef struct users_view {
	const uc_people *people;
	users_notice notice;
	const char *login, *name, *email; /* the create form, echoed after a refusal */
} users_view;
void render_admin_users(buf *out, const page *p, const users_view *v);
typedef struct role_option {
	const char *value, *label; /* "app:role", "App — Role" */
} role_option;
typedef struct user_view {
	const uc_person *person;
	users_notice notice;
	const role_option *roles; /* every role of every app served */
	size_t nroles;
	const char *grant_action, *revoke_action, *disable_action, *enable_action, *password_action,
	    *tokens_action;
} user_view;
void render_admin_user(buf *out, const page *p, const user_view *v);

/*
 * The dashboard (GET /a/<app>/stats): per form, the numbers of uc_stats as SVG bar
 * charts (per month, per state), each with a text alternative, and as data tables;
 * no script. The GDPR register (GET /admin/registre): per app, its processing and
 * personal fields with who reads them; printable. render_gov.c.
 */
void render_stats(buf *out, const page *p, const def_app *app, const uc_dashboard *d);
void render_registre(buf *out, const page *p, const uc_register *reg);
/*
 * Personal data (GDPR art. 13): an app's notice, public (GET /a/<app>/donnees-personnelles:
 * controller, purpose, legal basis, retention, recipients, the data collected, rights and
 * how to use them — dpo: the site's data protection officer, may be NULL —, the CNIL,
 * cookies), and its short form, shown in every blank form that
 * collects personal data, before its submit button, with a link to the notice.
 */
void render_privacy_notice(buf *out, const page *p, const def_app *app, const char *dpo);

/* The pages every page's footer links (render_legal.c), their variable parts from
 * data/site.lua; NULL where the file says nothing. */
typedef struct legal_view {
	const char *site_name;
	const char *publisher, *director, *host;
	const char *access_state, *audit_date, *rate, *access_contact;
	const struct site_checks *checks; /* the automated checks of make test; NULL: none */
	const char *not_accessible[32];
	size_t n_not;
	const def_app *const *apps; /* the apps served, for the personal-data index */
	size_t napps;
} legal_view;
void render_accessibility(buf *out, const page *p, const legal_view *v);
void render_legal_notice(buf *out, const page *p, const legal_view *v);
void render_privacy_index(buf *out, const page *p, const legal_view *v);
void render_privacy_short(buf *out, const page *p, const def_app *app);

/* Error page: 400/403/404/405/409/413/422/429/500 with a French (or English) message. */
void render_error(buf *out, const page *p, int status, const char *message, const char *request_id,
		  const char *back); /* back: a page to go back to, or NULL */

/* The stylesheet served at /static/style.css. */
const char *render_stylesheet(void);

/* A static file's path under its hashed name ("/static/style.<hash>.css"), for the pages'
 * links: "style.css", "conditions.js"; NULL for an unknown one. */
const char *render_asset_path(const char *plain);
/* A static file by its hashed or its plain name; *hashed says which (only a hashed name
 * may be kept forever by a browser). False for an unknown name. */
bool render_asset_find(const char *name, const char **type, const void **data, size_t *len,
		       bool *hashed);

#endif
