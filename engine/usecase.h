/*
 * usecase — one function per thing a person does, for every door (SPEC 2.2: one rule,
 * every door). The HTML pages, the JSON API, the scheduler, the command line and app
 * tests call these, and only these, to read and write records: who may do what, in
 * which state, how often, with which tracking link, and how the write reaches the
 * disk are decided here, once. A door turns HTTP (or a test script) into a call and
 * the result into HTML or JSON; nothing here knows about either.
 *
 * A call names the environment (the services of the process), the app and form, and
 * the person (uc_call_init looks up their roles). Reads answer at once. Writes may
 * answer at once (refused, invalid) or later: app code runs on the sandbox pool,
 * never on the caller's thread when there is a pool, and every accepted write waits
 * for its group commit. Such a call returns UC_PENDING after calling go_async on the
 * calling thread; done is then called exactly once, from another thread, with the
 * result. Without go_async (NULL) the call runs to its end on the calling thread
 * (command line, app tests) and returns the final status.
 *
 * Ownership: the call, its input and its result belong to the caller and must stay
 * where they are until the final status is known (returned, or given to done).
 * Every call starts by emptying its result, so a result given to a call must hold
 * nothing (new, or uc_result_clear'ed); uc_result_clear frees what it holds. The app is borrowed:
 * the caller holds its reference for the call's whole life.
 */
#ifndef SMALLAPPS_USECASE_H
#define SMALLAPPS_USECASE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "access.h"
#include "auth.h"
#include "buf.h"
#include "def.h"
#include "outbox.h"
#include "pipeline.h"
#include "record.h"
#include "reference.h"
#include "registry.h"
#include "sandbox_pool.h"
#include "store.h"
#include "throttle.h"
#include "tracking.h"
#include "validate.h"

/* The services of the process. Set up once; read-only while serving. */
typedef struct uc_env {
	registry *reg;
	auth *au;
	throttle *th;		     /* NULL: no limits (command line, app tests) */
	sandbox_pool *lua;	     /* NULL: app code runs on the calling thread */
	struct outbox_sender *mail;  /* woken when a write queued mail; NULL: none */
	const struct directory *dir; /* sign-in through the directory; NULL: local accounts only */
	const struct site *site;     /* data/site.lua: name, logo, colour; NULL: neutral look */
	const struct site_checks *checks; /* data/accessibilite-tests.json; NULL: none */
	char base_url[256];		  /* links in mails and tracking URLs, no trailing '/' */
	store_backend *backend; /* PostgreSQL: the scheduler's claims; NULL: none needed */
	const char *upload_dir; /* temporary files of uploads (data/tmp) */
	int64_t max_upload;	/* bytes of a multipart body; larger answers 413 */
} uc_env;

typedef enum uc_status {
	UC_OK = 0,
	UC_PENDING,	/* the result comes through done */
	UC_INVALID,	/* 422: errs (field -> message; "_" for the whole form) */
	UC_WARN,	/* the warn hook's warnings in errs: nothing written until confirmed */
	UC_FORBIDDEN,	/* 403, or a login for an anonymous person; msg may say why */
	UC_NOT_FOUND,	/* 404: no such record for this reader, or transition */
	UC_CONFLICT,	/* 409: stale version (current holds the record now), or the
			 * state does not allow it (msg) */
	UC_GUARD,	/* 409: the guard said no, msg is its reason */
	UC_TOO_MANY,	/* 429: retry_after */
	UC_UNAVAILABLE, /* 503: the app's code is suspended or busy; retry_after */
	UC_BAD_QUERY,	/* 400: bad (a list query) */
	UC_IDEM_REUSED, /* 422: this Idempotency-Key went with another request */
	UC_ERROR	/* 500: msg for the log, never for the person */
} uc_status;

typedef struct uc_result {
	uc_status status;
	record rec;	/* OK: the record read or written. INVALID, GUARD, CONFLICT
			 * after an edit: the values as submitted (to show again) */
	record current; /* CONFLICT after an edit: the record as stored now */
	field_errors errs;
	char msg[SANDBOX_ERR]; /* an app error keeps its frames (sandbox.h) */
	int retry_after;       /* seconds, for TOO_MANY and UNAVAILABLE */
	store_bad bad;	       /* BAD_QUERY */
	bool mail_queued;      /* the write queued mail */
	/* trigger of a transition with a quorum: approvals counted with this one, needed */
	int approvals, approvals_needed;
	/* create */
	char tracking[TRACKING_TOKEN_LEN]; /* an anonymous submitter's token, else "" */
	bool creator_can_read;		   /* the creator may read the record back */
	/* a create under an Idempotency-Key already used for this request: its first answer */
	bool replayed;
	int replay_status; /* 0: rebuild it from rec (the answer was not kept yet) */
	char *replay_location, *replay_body; /* owned */
} uc_result;

void uc_result_clear(uc_result *r);
/* A 503: the database cannot be reached now (retry_after set). */
uc_status uc_unavailable(uc_result *r);

typedef struct uc_call uc_call;

/*
 * An API create's Idempotency-Key (SPEC 7): hex SHA-256 digests of the person and the
 * key (keys belong to their person), and of the request's fields (canonical JSON). A
 * retry with the same key and request within 24 h is answered with the first answer
 * and makes no record, whichever engine takes it; another request under a used key is
 * UC_IDEM_REUSED. Both requests at once: the second waits for the first's commit.
 */
typedef struct uc_idem {
	char key[65];
	char body[65];
} uc_idem;
#define UC_IDEM_KEEP (24 * 3600)
void uc_idem_make(const actor *who, const char *key, const json_t *fields, uc_idem *out);
/* Keeps a create's first answer for its retries (queued, not waited for). */
void uc_idem_answer(uc_call *c, int status, const char *location, const char *body);
struct uc_call {
	const uc_env *env;
	app_rt *app;	      /* borrowed */
	const def_form *form; /* NULL for app-wide calls */
	actor who;
	const char *client; /* the person's address (per-address limits); NULL: none */
	lang lg;
	time_t now;
	const struct uc_idem *idem; /* a create's Idempotency-Key, or NULL */
	int64_t draft;	  /* a create that sends this draft: deleted in the same write (0: none) */
	bool unavailable; /* the person's roles could not be read: every call answers 503 */
	/* Asynchronous answer: see the top of this file. */
	void (*go_async)(void *arg);
	void (*done)(void *arg, uc_result *res);
	void *arg;
	/* private: the write in progress */
	struct uc_work *work;
	arena *mem;
};

/* `user` (NULL or login NULL: anonymous) with their roles in app_id; strings in mem. */
void uc_actor(const uc_env *env, const auth_user *user, const char *app_id, arena *mem, actor *out);

/*
 * Prepares a call by `user` (NULL or login NULL: anonymous) on app (form may be
 * NULL): their roles in the app are looked up; strings go into mem, which must
 * outlive the call. now is util_now().
 */
void uc_call_init(uc_call *c, const uc_env *env, app_rt *app, const def_form *form,
		  const auth_user *user, lang lg, arena *mem);

/* ---- reads (answer at once) ---- */

/* The record, within the person's read scope (NOT_FOUND otherwise, so ids leak nothing). */
uc_status uc_read(uc_call *c, int64_t id, uc_result *res);

typedef struct uc_list_query {
	const char *state;
	const store_eq *eq; /* field filters (columns the person may read) */
	size_t neq;
	const char *q; /* text search */
	bool overdue_only;
	const char *sort;  /* a readable field or id/created_at/updated_at/state, "-" first */
	int limit;	   /* 1..500 */
	const char *after; /* cursor */
} uc_list_query;

/* One page, streamed: fn gets each record (valid during the call only). *next: caller frees. */
uc_status uc_list_each(uc_call *c, const uc_list_query *q, store_row_fn fn, void *arg, char **next,
		       uc_result *res);
/*
 * One page copied, and the count of the matches, exact up to UC_COUNT_CAP (more: a
 * number above it, said "more than UC_COUNT_CAP").
 */
#define UC_COUNT_CAP 10000
uc_status uc_list_page(uc_call *c, const uc_list_query *q, store_page *page, int64_t *total,
		       uc_result *res);

/*
 * The history of rec (read by uc_read: within the person's scope) as they may see it:
 * changes of fields they may not read are left out, and an edit of those alone is not
 * even listed. *lines: store_history_free them.
 */
/*
 * Exports (SPEC 8, usecase_export.c): the rows of the list query q (its limit and
 * cursor ignored), page after page, with the columns the person may read; open data
 * leaves out personal, private and file fields and the people (admins and those who
 * read every record only: FORBIDDEN otherwise). A bad query is BAD_QUERY at open.
 * The export owns what it uses and outlives c: close it (the audit line) on any
 * thread, once.
 */
typedef struct uc_export uc_export;
typedef struct uc_export_opts {
	bool open_data;
	const char *format; /* for the audit line: "csv", "jsonl" */
	const char *door;   /* for the audit line: "web", "api", "cli" */
} uc_export_opts;
uc_status uc_export_open(uc_call *c, const uc_list_query *q, const uc_export_opts *o,
			 uc_export **out, uc_result *res);
const def_app *uc_export_app(const uc_export *x);
const def_form *uc_export_form(const uc_export *x);
const bool *uc_export_cols(const uc_export *x); /* per data column: exported */
bool uc_export_is_open_data(const uc_export *x);
/* The labels of the references of the rows being given (reference.h). */
const ref_view *uc_export_refs(const uc_export *x);
int64_t uc_export_rows(const uc_export *x); /* given so far */
/* The next page's rows to fn (borrowed, valid during the call); how many, 0 at the end,
 * -1 when the database failed (logged; the export is then over). */
int uc_export_next(uc_export *x, store_row_fn fn, void *arg);
void uc_export_close(uc_export *x);
/* May who ask f's open data? Does a field go into open data? */
bool uc_export_may_open_data(const def_form *f, const actor *who);
bool uc_open_data_col(const def_field *fd);

/* Those who approved t (a transition with a quorum) since the record entered its state,
 * per its history h: their number, the first max of them in who (workflow.h). */
size_t uc_approvers(const def_transition *t, const store_history_line *h, size_t n,
		    const char **who, size_t max);
uc_status uc_history(uc_call *c, const record *rec, store_history_line **lines, size_t *n);

/* Counts per state for each form the person may read (out: max(1, nstates) each). */
uc_status uc_state_counts(uc_call *c, const def_form *f, store_state_count *out, size_t *n);

/*
 * What the references of recs show (reference.h): the labels of their targets that the
 * person may read, for the columns readable[col] (NULL: all); with writable (a form for
 * recs[0]), also the inputs of the columns writable[col]. Into out: ref_view_clear it,
 * also after a failure (then what is missing is shown by number).
 */
uc_status uc_references(uc_call *c, const record *recs, size_t n, const bool *readable,
			const bool *writable, ref_view *out);

/* A blank record with the form's defaults, for a new form. */
void uc_blank(uc_call *c, record *out);

/* The transitions the person may trigger on rec now (role and state; guards answer
 * when triggered). out: room for the form's transitions. */
size_t uc_transitions(uc_call *c, const record *rec, const def_transition **out);
/* Which of t's fields the person may fill on rec (writable[i] for t->fields[i]). */
void uc_transition_writable(uc_call *c, const def_transition *t, const record *rec, bool *writable);
/*
 * May the person trigger transition `tid` on record id now? OK with the record in
 * res->rec; NOT_FOUND (record or transition), FORBIDDEN (msg says why), CONFLICT
 * (the state; msg says so). *t gets the transition.
 */
uc_status uc_trigger_check(uc_call *c, int64_t id, const char *tid, const def_transition **t,
			   uc_result *res);

/* The input parsed by field type, nothing more (no defaults, checks or app code): what
 * was typed, to show again. */
void uc_echo(uc_call *c, const write_in *in, record *out);
/* The same on the record being edited (old: as uc_read gave it). */
void uc_echo_edit(uc_call *c, const write_in *in, const record *old, record *out);
/* Whether step s of a multi-step form applies to rec (its section's visible_if). */
bool uc_step_applies(const def_form *f, const record *rec, int s);

/* A create checked by every rule (parse, checks, validate, warn, on_create) and not
 * written: a step of a multi-step form (SPEC 4.3). UC_OK: res->rec as it would be. */
uc_status uc_check(uc_call *c, const write_in *in, uc_result *res);
/* ---- writes ---- */

uc_status uc_create(uc_call *c, const write_in *in, uc_result *res);
/* expect_version: the version the person saw (-1: the stored one, no check). */
uc_status uc_edit(uc_call *c, int64_t id, int64_t expect_version, const write_in *in,
		  uc_result *res);
uc_status uc_delete(uc_call *c, int64_t id, uc_result *res);
uc_status uc_trigger(uc_call *c, int64_t id, const char *tid, int64_t expect_version,
		     const write_in *in, const char *comment, uc_result *res);

/* ---- people and sessions ---- */

typedef struct uc_session {
	char token[AUTH_TOKEN_LEN];
	char csrf[AUTH_TOKEN_LEN];
	auth_user user; /* caller clears */
} uc_session;

/*
 * A sign-in with a password from address `client` (throttled: TOO_MANY with
 * retry_after; wrong password: FORBIDDEN). Audited either way.
 */
uc_status uc_login(const uc_env *env, const char *client, const char *client_addr,
		   const char *login, const char *password, uc_session *out, uc_result *res);
void uc_logout(const uc_env *env, const char *session_token, const char *login,
	       const char *client_addr);
/* The person behind a session cookie or an API token: UC_OK, UC_FORBIDDEN (unknown,
 * expired), or UC_UNAVAILABLE (the database cannot be reached: a 503). */
uc_status uc_session_user(const uc_env *env, const char *token, auth_user *out,
			  char csrf[AUTH_TOKEN_LEN]);
uc_status uc_token_user(const uc_env *env, const char *token, auth_user *out);

/* ---- public tracking ---- */

typedef struct uc_tracking {
	app_rt *app; /* with a reference: registry_release it */
	const def_form *form;
	record rec; /* record_clear it */
	struct {
		char at[32];
		char state[64];
	} steps[64]; /* the state changes, oldest first */
	size_t nsteps;
} uc_tracking;
/* What an anonymous submitter may know of their request: NOT_FOUND for any bad token. */
uc_status uc_track(const uc_env *env, const char *token, uc_tracking *out);

/* ---- file fields' contents (usecase_files.c) ---- */

/*
 * A file of a record, for a download: the record read in the person's scope and the
 * field as they may read it, else UC_NOT_FOUND (also for an empty field). uc_file_read
 * gives its content chunk by chunk; uc_file_close frees all.
 */
typedef struct uc_file {
	char *name, *type;
	int64_t size;
	store_blob *blob;
} uc_file;
uc_status uc_file_open(uc_call *c, int64_t id, const char *field, uc_file *out, uc_result *res);
long uc_file_read(uc_file *f, char *out, size_t max); /* bytes; 0 at the end; -1 */
void uc_file_close(uc_file *f);

/* Uploads kept for a form sent back with errors wait this long for their sender. */
#define UC_UPLOAD_KEEP (24 * 3600)
/* Housekeeping: temporary uploads past UC_UPLOAD_KEEP, contents no record uses. */
void uc_files_sweep(const uc_env *env, int *temporary, int *contents);

/* ---- people and their rights, for global admins (usecase_users.c) ---- */

/*
 * The admin pages' calls; admin is the acting admin's login (the door checked that they
 * are one), every change is audited under it. A new person without a password gets a
 * generated one, and a reset always does: shown once, never stored in clear. A grant is
 * "app:role" of an app being served that declares the role (UC_INVALID otherwise).
 * UC_NOT_FOUND: no such person or token; UC_CONFLICT: the login exists, or an admin
 * disabling themselves.
 */
typedef struct uc_person {
	char *login, *name, *email, *last_login; /* last_login NULL: never */
	bool admin, disabled;
	char **grants; /* "app:role" */
	size_t ngrants;
	store_token_row *tokens; /* uc_person_get only */
	size_t ntokens;
} uc_person;
typedef struct uc_people {
	uc_person *v;
	size_t n;
} uc_people;
typedef struct uc_new_person {
	const char *login, *name, *email, *password; /* password NULL or "": generated */
	bool admin;
} uc_new_person;
uc_status uc_people_list(const uc_env *env, uc_people *out);
uc_status uc_person_get(const uc_env *env, const char *login, uc_person *out);
void uc_people_clear(uc_people *l);
void uc_person_clear(uc_person *p);
uc_status uc_person_add(const uc_env *env, const char *admin, const uc_new_person *p,
			char password[AUTH_NEW_PASSWORD], char *msg, size_t msglen);
uc_status uc_person_grant(const uc_env *env, const char *admin, const char *login,
			  const char *grant, bool give);
uc_status uc_person_disable(const uc_env *env, const char *admin, const char *login, bool disabled);
uc_status uc_person_password(const uc_env *env, const char *admin, const char *login,
			     char password[AUTH_NEW_PASSWORD]);
uc_status uc_person_token(const uc_env *env, const char *admin, const char *login,
			  const char *label, char token[AUTH_TOKEN_LEN]);
uc_status uc_person_token_revoke(const uc_env *env, const char *admin, const char *login,
				 const char *hash);

/* ---- the audit log (usecase.c) ---- */

/*
 * A page of the audit log for a global admin, newest first (store_audit_page), and
 * whether its chain holds (store_audit_verify: the whole log is read). UC_BAD_QUERY for
 * an unknown kind. uc_audit_clear frees it.
 */
typedef struct uc_audit {
	store_audit_line *lines;
	size_t n;
	bool more; /* older lines exist: the next page is before lines[n - 1].id */
	store_audit_check chain;
} uc_audit;
uc_status uc_audit_page(const uc_env *env, const store_audit_query *q, uc_audit *out);
void uc_audit_clear(uc_audit *a);

/* ---- operations ---- */

/*
 * Automatic transitions (after_days) of every app, as of now. With several engines
 * (env->backend shared), the pass of a minute is run by the first engine to claim it:
 * the others leave it (out->done_by names the one that has it).
 */
typedef struct tick_result {
	int moved;
	int failed;
	int errors;
	int purged;			   /* records whose retention ran out (uc_retention) */
	int swept_uploads, swept_contents; /* the hourly pass: uc_files_sweep */
	int drafts_purged;		   /* drafts past their days (uc_drafts_purge) */
	char done_by[128]; /* PostgreSQL: this minute's pass was another engine's (its name) */
} tick_result;
void uc_tick(const uc_env *env, time_t now, const atomic_bool *stop, tick_result *out);

/*
 * Retention (SPEC 11), the scheduler's second task, run by uc_tick inside its claimed
 * pass: in every app with privacy.retention_days, every record that reached a final
 * state more than that many days before now loses its personal values and files (the
 * columns are emptied, whatever their type), and its history the values of those and
 * its comments; it keeps the rest and shows purged_at. An audit line per form purged
 * ("retention.purge"), counts in out->purged. A record is purged once.
 */
void uc_retention(const uc_env *env, time_t now, const atomic_bool *stop, tick_result *out);

/* ---- drafts (usecase_drafts.c, SPEC 4.2 `drafts`) ---- */

/*
 * A draft: what a person typed in a form with drafts, saved without any check but the
 * right to create in the form and to write those fields. Not a record: no workflow, no
 * list, count, stats, export or history sees it. Its owner resumes it: a signed-in
 * person by its id, an anonymous one by the token of its resume link (160 random bits;
 * only its hash is stored), given once, at its first save. Another person's draft, a
 * wrong token, a form without drafts: UC_NOT_FOUND, as an unknown id.
 */
#define UC_DRAFT_TOKEN_LEN TRACKING_TOKEN_LEN
typedef struct uc_draft {
	int64_t id;
	const def_form *form; /* of the call's app */
	json_t *fields;	      /* owned: the values in API form (text for what did not parse) */
	int step;	      /* a multi-step form: the step reached */
	bool anonymous;
	char created_at[32], updated_at[32], expires_at[32];
	char token[UC_DRAFT_TOKEN_LEN]; /* anonymous, after its first save only; else "" */
} uc_draft;
void uc_draft_clear(uc_draft *d);
void uc_drafts_free(uc_draft *v, size_t n);

/* Whether c's form has drafts and the person may create in it. */
bool uc_drafts_on(const uc_call *c);
/*
 * Saves what in carries (HTML pairs or a JSON object) as a draft of c's form: key NULL
 * or "" a new one, else the id (signed in) or token (anonymous) of the person's draft.
 * UC_INVALID (errs) only for fields unknown or the person may not write; anonymous
 * saves count as submissions (UC_TOO_MANY). UC_OK: *out (uc_draft_clear it).
 */
uc_status uc_draft_save(uc_call *c, const char *key, const write_in *in, int step, uc_draft *out,
			uc_result *res);
/* The person's draft of c's form by key (see uc_draft_save). */
uc_status uc_draft_get(uc_call *c, const char *key, uc_draft *out, uc_result *res);
uc_status uc_draft_delete(uc_call *c, const char *key, uc_result *res);
/* The signed-in person's drafts in c's app (forms they may still create in), newest
 * first. *out: uc_drafts_free. */
uc_status uc_drafts_mine(uc_call *c, uc_draft **out, size_t *n, uc_result *res);
/* The draft's values as a record, to fill the form again (what did not parse as text). */
void uc_draft_record(uc_call *c, const uc_draft *d, record *out);
/*
 * Sends draft d (read by uc_draft_get) as a create of its form with in (the door's
 * input: the form posted again, or {.json = d->fields}): uc_create, which deletes the
 * draft in the same write when it succeeds; any refusal keeps it.
 */
uc_status uc_draft_submit(uc_call *c, const uc_draft *d, const write_in *in, uc_result *res);
/* The scheduler's: drafts whose days ran out are deleted (out->drafts_purged). */
void uc_drafts_purge(const uc_env *env, time_t now, tick_result *out);

/* ---- governance: the dashboard, the GDPR register (usecase_gov.c) ---- */

/* A duration in tenths of a day: how many, their median and 90th percentile (nearest
 * rank), -1 when there are none. */
typedef struct uc_duration {
	int64_t count;
	int64_t median, p90;
} uc_duration;

typedef struct uc_choice_count {
	const def_field *field;
	int64_t *n; /* per option, in the field's order */
} uc_choice_count;

typedef struct uc_form_stats {
	const def_app *app; /* uc_activity: the form's app */
	const def_form *form;
	int64_t total, overdue;
	int64_t *by_state;	 /* per workflow state; NULL without a workflow */
	uc_duration *in_state;	 /* per workflow state: completed stays */
	uc_duration to_final;	 /* from creation to a final state */
	char month[12][8];	 /* "2026-01", oldest first, the current month last */
	int64_t by_month[12];	 /* records created in each month (Paris time) */
	uc_choice_count *choice; /* every choice field the person may read */
	size_t nchoice;
	time_t last; /* the last write to a record of the form; 0: none */
} uc_form_stats;

typedef struct uc_dashboard {
	char generated_at[32];
	uc_form_stats *forms; /* the forms whose every record the person may read */
	size_t nforms;
} uc_dashboard;

/*
 * The dashboard of c's app (c->form is ignored): for each form the person may read
 * wholly (an admin: all), counts, months, durations and choices, all from aggregates.
 * FORBIDDEN when there is none. Everything lives in c->mem.
 */
uc_status uc_stats(uc_call *c, uc_dashboard *out, uc_result *res);
/*
 * /admin's catalog: for each form of the apps given, its records, overdue ones and last
 * activity (total, overdue, last of uc_form_stats; the rest left empty), from the
 * tallies (a form whose numbers could not be read has total -1). *out lives in mem.
 */
size_t uc_activity(const uc_env *env, app_rt *const *apps, size_t napps, arena *mem,
		   uc_form_stats **out);
/* Is form f on the person's dashboard (they read every record of it, or are admin)? */
bool uc_stats_covers(const uc_call *c, const def_form *f);

/* One who reads a personal field: a declared role (label set), or a reserved one
 * ("public", "user", "owner": the record's author, "admin"), for all records or their own. */
typedef struct uc_reader {
	const char *role;
	const char *label; /* the app's label for a declared role, else NULL */
	bool all;
} uc_reader;

typedef struct uc_personal {
	const def_form *form;
	const def_field *field;
	const uc_reader *readers;
	size_t nreaders;
} uc_personal;

typedef struct uc_register_app {
	const def_app *app;
	const uc_personal *fields;
	size_t nfields;
	bool no_privacy;   /* personal fields, no privacy block */
	bool no_retention; /* a privacy block without retention_days */
} uc_register_app;

typedef struct uc_register {
	char generated_at[32];
	uc_register_app *apps;
	size_t napps;
	app_rt **refs; /* the apps' references: uc_register_release */
	size_t nrefs;
} uc_register;

/*
 * The register of processing activities (SPEC 11), from the definitions of every app
 * served: global admins only (FORBIDDEN otherwise). Strings in mem; the apps are held
 * until uc_register_release.
 */
uc_status uc_register_read(const uc_env *env, const auth_user *user, arena *mem, uc_register *out);
void uc_register_release(uc_register *r);

/* Can this engine serve: is its database reachable now (/healthz)? */
bool uc_healthy(const uc_env *env);
/* /healthz: uc_healthy, and how many apps are served and how many fail to load. */
void uc_health(const uc_env *env, bool *ok, size_t *loaded, size_t *failing);

/* The latest mails of an app, for /admin/outbox. */
int uc_outbox_recent(app_rt *app, int limit, outbox_row **rows, size_t *n);
/* The mails waiting to leave, oldest first, with bodies (app tests: nothing sends them). */
int uc_outbox_queued(app_rt *app, int limit, outbox_row **rows, size_t *n);
/* Every (form, transition, state) its history holds: what the app's tests reached. */
int uc_reached(app_rt *app, store_reached_fn fn, void *arg);
/* How each app's code fares on the pool (suspensions), for /admin; *out: caller frees. */
size_t uc_lua_status(const uc_env *env, sandbox_pool_app **out);
/* /metrics: records per app and form, the pool's counters. */
void uc_metrics(const uc_env *env, buf *out);

#endif
