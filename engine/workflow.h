/*
 * workflow — transitions (SPEC 4.5), one implementation for every door: HTML
 * (/do/<t>), the JSON API (…/transitions/<t>), the scheduler (after_days) and app
 * tests, all through the use-case layer (usecase.h).
 *
 * A transition is prepared on the caller's thread, then written by the store's
 * writer: workflow_prepare checks, in this order, the role (WF_FORBIDDEN), the
 * current state (WF_CONFLICT), the transition's fields and comment (WF_INVALID), the
 * guard (WF_GUARD with its reason), the record's own validation (WF_INVALID), then
 * runs the action and renders the mails. workflow_apply then
 * writes the new state, the history line and the outbox rows in one savepoint, and
 * only if the record is still at the version the checks saw (STORE_CONFLICT
 * otherwise). So guard, fields, action, state, history and mails commit together or
 * not at all: an action that fails leaves nothing behind.
 */
#ifndef SMALLAPPS_WORKFLOW_H
#define SMALLAPPS_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "outbox.h"
#include "pipeline.h"

enum {
	WF_OK = 0,
	WF_FORBIDDEN = 1, /* 403: role, owner, self_approval */
	WF_CONFLICT = 2,  /* 409: not allowed from the current state */
	WF_GUARD = 3,	  /* 409: the guard said no; msg holds its reason */
	WF_INVALID = 4,	  /* 422: errs holds field errors ("_comment" for the comment) */
	WF_ERROR = -1	  /* 500: msg holds the error (log it with the request id) */
};

/* The comment field's key in errors and HTML forms ("_": field names cannot start with it). */
#define WF_COMMENT     "_comment"
#define WF_COMMENT_MAX 5000	 /* characters */
#define WF_SYSTEM      "system"	 /* the actor of automatic transitions */
#define WF_ANONYMOUS   "anonyme" /* the actor of a transition triggered without login */

/*
 * Quorum (a transition with approvals = { count = n }): each trigger is an approval; the
 * n-th (distinct people, unless distinct = false) makes the transition. Approvals count
 * from the record's entry into its current state. workflow_approvers puts into who (at
 * most max, in order) those who approved t since then, per the history h, and returns
 * how many count.
 */
size_t workflow_approvers(const def_transition *t, const store_history_line *h, size_t n,
			  const char **who, size_t max);

/* A prepared transition, for the store's writer. Lives until the request ends. */
typedef struct wf_job {
	const def_form *form;
	const def_transition *t;
	record rec; /* the record after the transition; owned */
	int64_t expect_version;
	const char *actor; /* borrowed; WF_SYSTEM for automatic transitions */
	char at[32];
	char *from_state;   /* owned */
	char *comment;	    /* owned, NULL when none */
	json_t *changes;    /* owned: fields set by the transition's fields and action */
	outbox_list mail;   /* owned */
	bool approval_only; /* an approval short of the quorum: a history line, no move */
} wf_job;

/*
 * Checks and prepares transition t on record old (as read with the caller's scope).
 * in: the transition's fields (HTML pairs or a JSON object; may be empty); comment
 * may be NULL. base_url prefixes the links put in mails. The result codes are above;
 * job is filled only on WF_OK (wf_job_free it in every case).
 */
int workflow_prepare(const pipe_ctx *c, const record *old, const def_transition *t,
		     const write_in *in, const char *comment, const char *base_url, wf_job *job,
		     field_errors *errs, char msg[SANDBOX_ERR]);
/* An approval of t that does not reach its quorum yet: checked (right, state, comment) and
 * prepared as a history line and a new version of old, unchanged otherwise. */
int workflow_prepare_approval(const pipe_ctx *c, const record *old, const def_transition *t,
			      const char *comment, wf_job *job, field_errors *errs,
			      char msg[SANDBOX_ERR]);
/*
 * May `who` fill transition field fd on record old? Not when it is computed or
 * read-only, nor when it shares its column with a form field they may not read or
 * write (private, editable_by): a transition is no back door to a column.
 */
bool workflow_field_writable(const def_form *f, const def_field *fd, const actor *who,
			     const record *old);

/* Why `why` refuses t to c->who, said to them in c->lg (the 403's message). */
void workflow_refusal_message(const pipe_ctx *c, const def_transition *t, access_trigger why,
			      char msg[SANDBOX_ERR]);

/* store apply callback for a wf_job. */
int workflow_apply(store_tx *tx, void *job);
void wf_job_free(wf_job *j);

/*
 * The transitions actor a may trigger on r now (role and state; guards are not run:
 * they answer when triggered). out has room for f->workflow->ntransitions entries.
 */
size_t workflow_available(const def_form *f, const actor *a, const record *r,
			  const def_transition **out);

#endif
