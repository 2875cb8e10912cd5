/*
 * usecase_write — create, edit, delete, trigger, and the scheduler's moves (see
 * usecase.h); its purges are usecase_gov.c's.
 *
 * A write goes through four steps, each decided here once for every door:
 *  1. checks that need no app code, on the caller's thread: the right (access.h), the
 *     record within the person's scope, the state, the version seen, the anonymous
 *     throttle (counted as attempted, before any app code runs), and whether the
 *     app's code is suspended (sandbox_pool.h);
 *  2. the pipeline (pipeline.h) or the transition (workflow.h), on a pool thread when
 *     the form has app code and there is a pool, else on the caller's thread;
 *  3. the write job, given to the store's writer (group commit): the record, its
 *     history line, a tracking link for an anonymous submission, the transition's mail;
 *  4. the outcome, once durable, mapped to the result.
 * A uc_work carries one write through these steps and is freed at the end (finish).
 * It is malloc'ed, not taken from the caller's arena: it lives on several threads.
 */
#include "usecase.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pipeline.h"
#include "store_drafts.h"
#include "util.h"
#include "workflow.h"

typedef enum { W_CREATE, W_EDIT, W_DELETE, W_TRIGGER, W_CHECK } work_kind;

/* What the store's writer does for a create, an edit or a delete. */
typedef struct write_job {
	const def_form *form;
	record rec;		/* insert, update: the new record */
	int64_t expect_version; /* update */
	int64_t id;		/* delete */
	const char *actor;
	char at[32];
	json_t *changes; /* the history line's changes */
	/* tracking links: the app's key and id (NULL key: tracking off) */
	const unsigned char *tracking_key;
	const char *app_id;
	bool anonymous;	     /* insert: an anonymous submission (gets a tracking link) */
	const uc_idem *idem; /* insert: the Idempotency-Key it takes, or NULL */
	int64_t draft_id;    /* insert: the draft it sends, deleted with it (0: none) */
} write_job;

typedef struct uc_work {
	work_kind kind;
	uc_call *c;
	uc_result *res;
	const write_in *in;
	const def_transition *t;
	const char *comment;
	int64_t expect_version;
	bool approval_only; /* trigger: an approval short of the transition's quorum */
	record old;	    /* edit, delete, trigger: as read in the person's scope */
	write_job job;
	wf_job wf;
	bool async;	 /* go_async was called: the result goes to done */
	bool idem_taken; /* insert: its Idempotency-Key was taken first by the same request */
} uc_work;

/* ---- the end of a write ---- */

static void job_clear(write_job *j)
{
	if (j->rec.values)
		record_clear(&j->rec);
	if (j->changes)
		json_decref(j->changes);
	j->changes = NULL;
}

/* Sets the outcome, frees the work, and answers: returned (sync) or through done. */
static uc_status finish(uc_work *w, uc_status st)
{
	uc_call *c = w->c;
	uc_result *res = w->res;
	bool async = w->async;
	res->status = st;
	if (w->old.values)
		record_clear(&w->old);
	job_clear(&w->job);
	wf_job_free(&w->wf);
	free(w);
	if (async) {
		c->done(c->arg, res);
		return UC_PENDING;
	}
	return st;
}

static uc_status finish_msg(uc_work *w, uc_status st, const char *msg)
{
	snprintf(w->res->msg, sizeof w->res->msg, "%s", msg);
	return finish(w, st);
}

static const char *tr(const uc_call *c, const char *fr, const char *en)
{
	return c->lg == LANG_EN ? en : fr;
}

/* ---- store jobs (on the writer thread, inside the group's transaction) ---- */

/* An anonymous submitter follows their request by its link: its hash goes in with it. */
static int tracking_add(store_tx *tx, const write_job *j, int64_t id)
{
	if (!j->tracking_key || !j->anonymous || !tracking_enabled(j->form))
		return STORE_OK;
	char token[TRACKING_TOKEN_LEN], hash[65];
	tracking_token(j->tracking_key, j->app_id, j->form->id, id, token);
	tracking_hash(token, hash);
	return store_tx_tracking_add(tx, hash, j->form->id, id);
}

/* The contents of the files the person sent, for the record's file fields that take them. */
static int put_files(store_tx *tx, const write_in *in, const def_form *f, const record *r)
{
	if (!in || !in->files || in->files->n == 0)
		return STORE_OK;
	int rc = STORE_OK;
	for (size_t col = 0; rc == STORE_OK && col < f->ncols; col++) {
		const upload *u = upload_list_find(in->files, f->cols[col]->name);
		const value *v = &r->values[col];
		if (f->cols[col]->type == FT_FILE && u && v->kind == VAL_TEXT &&
		    strstr(v->s, u->sha256))
			rc = store_tx_blob_put(tx, u->sha256, u->path, u->size);
	}
	return rc;
}

static int apply_insert(store_tx *tx, void *arg)
{
	uc_work *w = arg;
	write_job *j = &w->job;
	int rc = put_files(tx, w->in, j->form, &j->rec);
	if (rc == STORE_OK)
		rc = store_tx_insert(tx, j->form, &j->rec);
	if (rc == STORE_OK)
		rc = tracking_add(tx, j, j->rec.id);
	/* A sent draft is gone exactly when its record exists (a second send: NOTFOUND). */
	if (rc == STORE_OK && j->draft_id)
		rc = store_tx_draft_delete(tx, j->draft_id);
	if (rc == STORE_OK)
		rc = store_tx_history(tx, j->form, j->rec.id, j->at, j->actor, "create", NULL,
				      j->rec.state, NULL, NULL, j->changes);
	/* The key goes in with the record: taken exactly when the record exists. */
	if (rc == STORE_OK && j->idem) {
		int64_t now = (int64_t)time(NULL);
		rc = store_tx_idem_add(tx, j->idem->key, j->idem->body, j->form->id, j->rec.id, now,
				       now - UC_IDEM_KEEP);
		w->idem_taken = rc == STORE_CONFLICT;
	}
	return rc;
}

static int apply_update(store_tx *tx, void *arg)
{
	write_job *j = &((uc_work *)arg)->job;
	int rc = put_files(tx, ((uc_work *)arg)->in, j->form, &j->rec);
	if (rc == STORE_OK)
		rc = store_tx_update(tx, j->form, &j->rec, j->expect_version);
	if (rc != STORE_OK)
		return rc;
	return store_tx_history(tx, j->form, j->rec.id, j->at, j->actor, "update", NULL, NULL, NULL,
				NULL, j->changes);
}

static int apply_delete(store_tx *tx, void *arg)
{
	write_job *j = &((uc_work *)arg)->job;
	record old;
	int rc = store_tx_get(tx, j->form, j->id, &old);
	if (rc != STORE_OK)
		return rc;
	rc = store_tx_delete(tx, j->form, j->id);
	/* Not tracking_enabled: a form that stopped being public keeps its old links. */
	if (rc == STORE_OK && j->tracking_key) {
		char token[TRACKING_TOKEN_LEN], hash[65];
		tracking_token(j->tracking_key, j->app_id, j->form->id, j->id, token);
		tracking_hash(token, hash);
		rc = store_tx_tracking_remove(tx, hash);
	}
	if (rc == STORE_OK) {
		/* The history keeps what was deleted (private values are filtered per reader). */
		json_t *ch = pipeline_changes(j->form, &old, NULL);
		rc = store_tx_history(tx, j->form, j->id, j->at, j->actor, "delete", old.state,
				      NULL, NULL, NULL, ch);
		json_decref(ch);
	}
	record_clear(&old);
	return rc;
}

static int apply_transition(store_tx *tx, void *arg)
{
	uc_work *w = arg;
	int rc = put_files(tx, w->in, w->wf.form, &w->wf.rec);
	return rc == STORE_OK ? workflow_apply(tx, &w->wf) : rc;
}

/* ---- after the commit ---- */

/* What the creator of res->rec is told: whether they may read it, else its tracking link. */
static void creator_view(uc_call *c, uc_result *res, bool anonymous)
{
	store_scope sc = access_read_scope(c->form, &c->who);
	res->creator_can_read =
	    !sc.none && (!sc.owner || (c->who.login && res->rec.created_by &&
				       strcmp(c->who.login, res->rec.created_by) == 0));
	if (anonymous && c->app->tracking_key && tracking_enabled(c->form))
		tracking_token(c->app->tracking_key, c->app->def->id, c->form->id, res->rec.id,
			       res->tracking);
}

static void created(uc_work *w)
{
	w->res->rec = w->job.rec;
	memset(&w->job.rec, 0, sizeof w->job.rec);
	creator_view(w->c, w->res, w->job.anonymous);
}

/* The stored version now, for a conflict page that shows both (edit only). */
static void load_current(uc_work *w)
{
	uc_call *c = w->c;
	store_scope sc = access_read_scope(c->form, &c->who);
	if (store_get(c->app->db, c->form, w->old.id, &sc, c->now, &w->res->current) != STORE_OK)
		memset(&w->res->current, 0, sizeof w->res->current);
}

/*
 * A create under an Idempotency-Key already taken: the first answer (UC_OK, replayed),
 * UC_IDEM_REUSED for another request, UC_CONFLICT while the first is being answered;
 * -1 when the key is free.
 */
static int idem_replay(uc_call *c, uc_result *res)
{
	store_idem x;
	int rc = store_idem_get(c->app->db, c->idem->key, (int64_t)time(NULL) - UC_IDEM_KEEP, &x);
	if (rc == STORE_NOTFOUND)
		return -1;
	if (rc != STORE_OK) {
		res->retry_after = 1;
		return res->status = rc == STORE_UNAVAILABLE ? UC_UNAVAILABLE : UC_ERROR;
	}
	uc_status st = UC_OK;
	if (strcmp(x.body, c->idem->body) != 0 || strcmp(x.form, c->form->id) != 0) {
		st = UC_IDEM_REUSED;
		snprintf(res->msg, sizeof res->msg, "%s",
			 tr(c, "Cette clé d'idempotence a déjà servi pour une autre demande.",
			    "This idempotency key was already used for another request."));
	} else if (!x.status) {
		/* Committed, its answer not kept yet (a moment after the commit): made again
		 * from the record, as the first was. */
		int grc = store_get(c->app->db, c->form, x.record_id, NULL, c->now, &res->rec);
		if (grc == STORE_OK) {
			res->replayed = true;
			creator_view(c, res, !c->who.login);
		} else {
			st = UC_CONFLICT;
			res->retry_after = 1;
			snprintf(res->msg, sizeof res->msg, "%s",
				 tr(c, "La même demande est en cours : réessayez dans un instant.",
				    "The same request is being answered: try again in a moment."));
		}
	} else {
		res->replayed = true;
		res->replay_status = x.status;
		res->replay_location = x.location;
		res->replay_body = x.response;
		x.location = x.response = NULL;
	}
	store_idem_clear(&x);
	return res->status = st;
}

static uc_status outcome(uc_work *w, int rc)
{
	uc_call *c = w->c;
	uc_result *res = w->res;
	if (rc == STORE_CONFLICT && w->idem_taken) {
		/* The same request committed first (another engine, or at the same moment). */
		int st = idem_replay(c, res);
		return finish(w, st < 0 ? UC_CONFLICT : (uc_status)st);
	}
	if (rc == STORE_UNAVAILABLE) {
		res->retry_after = 2;
		return finish(w, UC_UNAVAILABLE);
	}
	if (rc == STORE_CONFLICT || (rc == STORE_NOTFOUND && w->kind != W_DELETE)) {
		if (w->kind == W_EDIT) {
			res->rec = w->job.rec;
			memset(&w->job.rec, 0, sizeof w->job.rec);
			load_current(w);
		}
		return finish_msg(
		    w, UC_CONFLICT,
		    tr(c, "L'enregistrement a changé entre-temps : rechargez-le et recommencez.",
		       "The record changed meanwhile: reload it and try again."));
	}
	if (rc == STORE_NOTFOUND)
		return finish(w, UC_NOT_FOUND);
	if (rc != STORE_OK)
		return finish_msg(w, UC_ERROR, "écriture impossible (voir le journal du stockage)");
	switch (w->kind) {
	case W_CREATE:
		created(w);
		break;
	case W_EDIT:
		res->rec = w->job.rec;
		memset(&w->job.rec, 0, sizeof w->job.rec);
		break;
	case W_TRIGGER:
		res->rec = w->wf.rec;
		memset(&w->wf.rec, 0, sizeof w->wf.rec);
		if (w->wf.mail.n) {
			res->mail_queued = true;
			if (c->env->mail)
				outbox_sender_wake(c->env->mail);
		}
		break;
	case W_DELETE:
	case W_CHECK:
		break;
	}
	return finish(w, UC_OK);
}

static void written(void *arg, int rc)
{
	outcome(arg, rc);
}

/* Step 3: the job to the writer. Answers at once without an asynchronous caller. */
static uc_status submit(uc_work *w)
{
	uc_call *c = w->c;
	/* The store hands its one argument to both apply and written: the work itself. */
	store_apply_fn apply = w->kind == W_CREATE   ? apply_insert
			       : w->kind == W_EDIT   ? apply_update
			       : w->kind == W_DELETE ? apply_delete
						     : apply_transition;
	if (!c->go_async)
		return outcome(w, store_write_sync(c->app->db, apply, w));
	if (!w->async) {
		w->async = true;
		c->go_async(c->arg);
	}
	/* From here on the writer owns w: nothing of it may be touched after this call. */
	store_submit(c->app->db, apply, written, w);
	return UC_PENDING;
}

/* ---- step 2: the pipeline or the transition ---- */

static void job_base(uc_work *w, const char *at)
{
	uc_call *c = w->c;
	w->job.form = c->form;
	w->job.actor = c->who.login ? c->who.login : WF_ANONYMOUS;
	snprintf(w->job.at, sizeof w->job.at, "%s", at);
	w->job.tracking_key = c->app->tracking_key;
	w->job.app_id = c->app->def->id;
}

static uc_status pipeline_outcome(uc_work *w, int rc, field_errors *errs, const char *err)
{
	uc_result *res = w->res;
	if (rc == PIPE_OK)
		return UC_OK;
	if (rc == PIPE_INVALID || rc == PIPE_WARN) {
		/* The values as submitted, to show again with their errors or warnings. */
		res->errs = *errs;
		memset(errs, 0, sizeof *errs);
		res->rec = w->job.rec;
		memset(&w->job.rec, 0, sizeof w->job.rec);
		return finish(w, rc == PIPE_WARN ? UC_WARN : UC_INVALID);
	}
	field_errors_clear(errs);
	return finish_msg(w, UC_ERROR, err);
}

static uc_status prepare(uc_work *w)
{
	uc_call *c = w->c;
	pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = c->lg, .now = c->now};
	field_errors errs = {0};
	char err[SANDBOX_ERR] = "";
	int rc;
	switch (w->kind) {
	case W_CHECK: /* a step of a multi-step form: every rule, nothing written */
		rc = pipeline_create(&pc, w->in, &w->job.rec, &errs, err);
		if (rc != PIPE_OK)
			return pipeline_outcome(w, rc, &errs, err);
		w->res->rec = w->job.rec;
		memset(&w->job.rec, 0, sizeof w->job.rec);
		return finish(w, UC_OK);
	case W_CREATE:
		rc = pipeline_create(&pc, w->in, &w->job.rec, &errs, err);
		if (rc != PIPE_OK)
			return pipeline_outcome(w, rc, &errs, err);
		job_base(w, w->job.rec.created_at);
		w->job.anonymous = !c->who.login;
		w->job.changes = pipeline_changes(c->form, NULL, &w->job.rec);
		return submit(w);
	case W_EDIT:
		rc = pipeline_update(&pc, &w->old, w->in, &w->job.rec, &errs, err);
		if (rc != PIPE_OK)
			return pipeline_outcome(w, rc, &errs, err);
		if (w->expect_version >= 0 && w->expect_version != w->old.version) {
			/* Someone saved meanwhile: their version beside what this person typed. */
			w->res->rec = w->job.rec;
			memset(&w->job.rec, 0, sizeof w->job.rec);
			w->res->current = w->old;
			memset(&w->old, 0, sizeof w->old);
			return finish_msg(w, UC_CONFLICT,
					  tr(c, "L'enregistrement a été modifié entre-temps.",
					     "The record was changed meanwhile."));
		}
		job_base(w, w->job.rec.updated_at);
		w->job.expect_version = w->old.version;
		w->job.changes = pipeline_changes(c->form, &w->old, &w->job.rec);
		return submit(w);
	case W_TRIGGER:
		rc = w->approval_only ? workflow_prepare_approval(&pc, &w->old, w->t, w->comment,
								  &w->wf, &errs, err)
				      : workflow_prepare(&pc, &w->old, w->t, w->in, w->comment,
							 c->env->base_url, &w->wf, &errs, err);
		if (rc == WF_OK)
			return submit(w);
		/* What was typed, to show again: the transition's record with its fields. */
		if (w->wf.rec.values) {
			w->res->rec = w->wf.rec;
			memset(&w->wf.rec, 0, sizeof w->wf.rec);
		}
		w->res->errs = errs;
		snprintf(w->res->msg, sizeof w->res->msg, "%s", err);
		return finish(w, rc == WF_FORBIDDEN  ? UC_FORBIDDEN
				 : rc == WF_CONFLICT ? UC_CONFLICT
				 : rc == WF_GUARD    ? UC_GUARD
				 : rc == WF_INVALID  ? UC_INVALID
						     : UC_ERROR);
	case W_DELETE:
		break;
	}
	job_base(w, "");
	util_iso_datetime(c->now, w->job.at);
	w->job.id = w->old.id;
	return submit(w);
}

static void run_on_pool(void *arg)
{
	prepare(arg);
}

static void refused_by_pool(void *arg, int retry_after)
{
	uc_work *w = arg;
	w->res->retry_after = retry_after;
	finish(w, UC_UNAVAILABLE);
}

static bool any_compute(const def_form *f)
{
	for (size_t col = 0; col < f->ncols; col++)
		if (f->cols[col]->compute)
			return true;
	return false;
}

/* Whether this write runs app code (and so goes to the pool). */
static bool needs_lua(const uc_work *w)
{
	const def_form *f = w->c->form;
	switch (w->kind) {
	case W_CREATE:
	case W_CHECK:
		return f->validate || f->warn || f->on_create || any_compute(f);
	case W_EDIT:
		return f->validate || f->warn || any_compute(f);
	case W_TRIGGER:
		return w->t->guard || w->t->action || f->validate || any_compute(f);
	case W_DELETE:
		return false;
	}
	return false;
}

/* Steps 2 and 3, on the pool when app code runs and there is one. */
static uc_status run(uc_work *w)
{
	uc_call *c = w->c;
	sandbox_pool *pool = c->env->lua;
	if (!needs_lua(w) || !pool || !c->go_async)
		return prepare(w);
	int wait = 0;
	if (sandbox_pool_suspended(pool, c->app->def->id, c->app->gen, &wait)) {
		w->res->retry_after = wait;
		return finish(w, UC_UNAVAILABLE);
	}
	w->async = true;
	c->go_async(c->arg);
	if (sandbox_pool_submit(pool, c->app->def->id, c->app->gen, run_on_pool, refused_by_pool, w,
				&wait) != SANDBOX_POOL_OK) {
		w->res->retry_after = wait;
		finish(w, UC_UNAVAILABLE);
	}
	return UC_PENDING;
}

/* ---- step 1 ---- */

static uc_work *work_new(uc_call *c, uc_result *res, work_kind kind)
{
	memset(res, 0, sizeof *res);
	uc_work *w = xcalloc(1, sizeof *w);
	w->kind = kind;
	w->c = c;
	w->res = res;
	w->expect_version = -1;
	return w;
}

/* Reads the record the write is about, within the person's scope. */
static bool load_old(uc_work *w, int64_t id)
{
	uc_call *c = w->c;
	store_scope sc = access_read_scope(c->form, &c->who);
	int rc = store_get(c->app->db, c->form, id, &sc, c->now, &w->old);
	if (rc == STORE_OK)
		return true;
	memset(&w->old, 0, sizeof w->old);
	if (rc == STORE_NOTFOUND) {
		finish(w, UC_NOT_FOUND);
	} else if (rc == STORE_UNAVAILABLE) {
		w->res->retry_after = 2;
		finish(w, UC_UNAVAILABLE);
	} else {
		finish_msg(w, UC_ERROR, "lecture de l'enregistrement impossible");
	}
	return false;
}

uc_status uc_check(uc_call *c, const write_in *in, uc_result *res)
{
	memset(res, 0, sizeof *res);
	if (c->unavailable)
		return uc_unavailable(res);
	if (!access_can_create(c->form, &c->who))
		return res->status = UC_FORBIDDEN;
	uc_work *w = work_new(c, res, W_CHECK);
	w->in = in;
	return run(w);
}

uc_status uc_create(uc_call *c, const write_in *in, uc_result *res)
{
	memset(res, 0, sizeof *res);
	if (c->unavailable)
		return uc_unavailable(res);
	if (!access_can_create(c->form, &c->who))
		return res->status = UC_FORBIDDEN;
	/* A retry is answered before anything else: it makes nothing, it counts for nothing. */
	int replay = c->idem ? idem_replay(c, res) : -1;
	if (replay >= 0)
		return (uc_status)replay;
	/* Counted as attempted, before any app code runs: a hook that fails or loops is no
	 * way around it. Real time: a rate is about the clock on the wall. */
	if (!c->who.login && c->env->th && c->client &&
	    !throttle_submit(c->env->th, c->client, time(NULL))) {
		res->retry_after = 60;
		snprintf(res->msg, sizeof res->msg, "%s",
			 tr(c,
			    "Trop de dépôts anonymes depuis cette adresse : patientez une minute.",
			    "Too many anonymous submissions from this address: wait a minute."));
		/* What was typed, to show again: parsed only, no app code ran. */
		pipe_ctx pc = {
		    .app = c->app, .form = c->form, .who = &c->who, .lg = c->lg, .now = c->now};
		pipeline_echo(&pc, in, &res->rec);
		return res->status = UC_TOO_MANY;
	}
	uc_work *w = work_new(c, res, W_CREATE);
	w->in = in;
	w->job.idem = c->idem;
	w->job.draft_id = c->draft;
	return run(w);
}

uc_status uc_edit(uc_call *c, int64_t id, int64_t expect_version, const write_in *in,
		  uc_result *res)
{
	if (c->unavailable) {
		memset(res, 0, sizeof *res);
		return uc_unavailable(res);
	}
	uc_work *w = work_new(c, res, W_EDIT);
	if (!load_old(w, id))
		return res->status;
	if (!access_can_edit(c->form, &c->who, &w->old))
		return finish_msg(
		    w, UC_FORBIDDEN,
		    tr(c, "Vous ne pouvez pas modifier cet enregistrement dans son état actuel.",
		       "You may not edit this record in its current state."));
	w->in = in;
	w->expect_version = expect_version;
	return run(w);
}

uc_status uc_delete(uc_call *c, int64_t id, uc_result *res)
{
	if (c->unavailable) {
		memset(res, 0, sizeof *res);
		return uc_unavailable(res);
	}
	uc_work *w = work_new(c, res, W_DELETE);
	if (!load_old(w, id))
		return res->status;
	if (!access_can_delete(c->form, &c->who, &w->old))
		return finish(w, UC_FORBIDDEN);
	return run(w);
}

/*
 * A transition with a quorum: this trigger is one more approval. A person who approved
 * already is told so (distinct); the approvals counted so far and needed go to res.
 * False when the answer is already given.
 */
static bool count_approvals(uc_work *w)
{
	uc_call *c = w->c;
	store_history_line *h;
	size_t n;
	if (store_history(c->app->db, c->form, w->old.id, &h, &n) != STORE_OK) {
		finish(w, UC_ERROR);
		return false;
	}
	const char *who[DEF_MAX_APPROVALS];
	size_t got = workflow_approvers(w->t, h, n, who, DEF_MAX_APPROVALS);
	const char *me = c->who.login ? c->who.login : WF_ANONYMOUS;
	bool again = false;
	for (size_t i = 0; w->t->approvals_distinct && i < got && i < DEF_MAX_APPROVALS; i++)
		again = again || strcmp(who[i], me) == 0;
	store_history_free(h, n);
	if (again) {
		finish_msg(w, UC_CONFLICT,
			   tr(c,
			      "Vous avez déjà approuvé cette action : il faut l'approbation d'une "
			      "autre personne.",
			      "You already approved this action: another person must approve it."));
		return false;
	}
	w->res->approvals = (int)got + 1;
	w->res->approvals_needed = w->t->approvals;
	w->approval_only = got + 1 < (size_t)w->t->approvals;
	return true;
}

uc_status uc_trigger(uc_call *c, int64_t id, const char *tid, int64_t expect_version,
		     const write_in *in, const char *comment, uc_result *res)
{
	if (c->unavailable) {
		memset(res, 0, sizeof *res);
		return uc_unavailable(res);
	}
	uc_work *w = work_new(c, res, W_TRIGGER);
	if (!load_old(w, id))
		return res->status;
	w->t = c->form->workflow && tid ? def_find_transition(c->form, tid) : NULL;
	if (!w->t)
		return finish(w, UC_NOT_FOUND);
	pipe_ctx pc = {.app = c->app, .form = c->form, .who = &c->who, .lg = c->lg, .now = c->now};
	access_trigger why = access_trigger_check(w->t, &c->who, &w->old);
	if (why != ACCESS_TRIGGER_OK) {
		workflow_refusal_message(&pc, w->t, why, res->msg);
		return finish(w, UC_FORBIDDEN);
	}
	if (!w->old.state || !def_strlist_has(&w->t->from, w->old.state))
		return finish_msg(
		    w, UC_CONFLICT,
		    tr(c, "Cette action n'est pas possible dans l'état actuel de l'enregistrement.",
		       "This action is not possible in the record's current state."));
	if (expect_version >= 0 && expect_version != w->old.version)
		return finish_msg(
		    w, UC_CONFLICT,
		    tr(c,
		       "L'enregistrement a changé depuis l'affichage de cette page : "
		       "rechargez-la et recommencez.",
		       "The record changed since this page was shown: reload it and try again."));
	w->in = in;
	w->comment = comment;
	if (w->t->approvals && !count_approvals(w))
		return res->status;
	return run(w);
}

/* ---- the scheduler: automatic transitions ---- */

#define TICK_PAGE 200

static bool stopping(const atomic_bool *stop)
{
	return stop && atomic_load(stop);
}

typedef struct tick_ctx {
	app_rt *rt;
	const def_form *f;
	const def_transition *t;
	const char *from;
	int failed;
	char first_error[SANDBOX_ERR];
	int64_t first_id;
} tick_ctx;

/* One due record: moved as `system`, through the same prepare and write as anyone's. */
static void tick_record(const uc_env *env, tick_ctx *k, const record *rec, time_t now,
			tick_result *out)
{
	static const actor sys = {.login = WF_SYSTEM, .name = "Système", .admin = true};
	pipe_ctx c = {.app = k->rt, .form = k->f, .who = &sys, .lg = LANG_FR, .now = now};
	wf_job job;
	field_errors errs = {0};
	char msg[SANDBOX_ERR];
	write_in none = {0};
	int rc = workflow_prepare(&c, rec, k->t, &none, NULL, env->base_url, &job, &errs, msg);
	if (rc == WF_OK) {
		int src = store_write_sync(k->rt->db, workflow_apply, &job);
		if (src == STORE_OK) {
			out->moved++;
			log_message("tick", "%s/%s #%lld: %s -> %s (%s)", k->rt->def->id, k->f->id,
				    (long long)rec->id, k->from, k->t->to, k->t->id);
			if (job.mail.n && env->mail)
				outbox_sender_wake(env->mail);
		} else if (src != STORE_CONFLICT && src != STORE_NOTFOUND) {
			/* (a conflict or a deletion: someone acted first, nothing to do) */
			log_message("tick", "%s/%s #%lld: write failed", k->rt->def->id, k->f->id,
				    (long long)rec->id);
			out->errors++;
		}
	} else if ((rc == WF_ERROR || rc == WF_INVALID) && !k->failed++) {
		k->first_id = rec->id;
		snprintf(k->first_error, sizeof k->first_error, "%s",
			 rc == WF_ERROR ? msg
			 : errs.n	? errs.v[0].message
					: "enregistrement invalide");
	}
	/* WF_GUARD: not yet; the next tick asks again. */
	field_errors_clear(&errs);
	wf_job_free(&job);
}

/* Every record due for k->t in state k->from, page by page. */
static void tick_one(const uc_env *env, tick_ctx *k, time_t now, const atomic_bool *stop,
		     tick_result *out)
{
	store_query q = {
	    .state = k->from,
	    .entered_before = now - (time_t)k->t->after_days * 86400,
	    .now = now,
	    .sort = "id",
	    .limit = TICK_PAGE,
	};
	char *after = NULL;
	while (!stopping(stop)) {
		store_page page = {0};
		char err[STORE_ERR_LEN];
		q.after = after;
		if (store_list(k->rt->db, k->f, &q, &page, err) != STORE_OK) {
			log_message("tick", "%s/%s: %s", k->rt->def->id, k->f->id, err);
			out->errors++;
			break;
		}
		for (size_t i = 0; i < page.n && !stopping(stop); i++)
			tick_record(env, k, &page.v[i], now, out);
		free(after);
		after = page.next ? xstrdup(page.next) : NULL;
		store_page_free(&page);
		if (!after)
			break;
	}
	free(after);
	if (k->failed) {
		/* One line per transition and tick, however many records: the log stays readable.
		 */
		log_message("tick", "%s/%s: %s: %d record(s) not moved, e.g. #%lld: %s",
			    k->rt->def->id, k->f->id, k->t->id, k->failed, (long long)k->first_id,
			    k->first_error);
		out->failed += k->failed;
	}
}

void uc_tick(const uc_env *env, time_t now, const atomic_bool *stop, tick_result *out)
{
	if (env->backend) {
		char by[128], host[64] = "?";
		gethostname(host, sizeof host - 1);
		snprintf(by, sizeof by, "%s:%ld", host, (long)getpid());
		bool mine = true;
		store_tick_claim(env->backend, (int64_t)now / 60, by, &mine, out->done_by,
				 sizeof out->done_by);
		if (!mine)
			return;
		out->done_by[0] = '\0';
	}
	app_rt **apps = NULL;
	size_t n = registry_list(env->reg, &apps);
	for (size_t i = 0; i < n; i++) {
		const def_app *def = apps[i]->def;
		for (size_t fi = 0; fi < def->nforms && !stopping(stop); fi++) {
			const def_form *f = &def->forms[fi];
			for (size_t ti = 0; f->workflow && ti < f->workflow->ntransitions; ti++) {
				const def_transition *t = &f->workflow->transitions[ti];
				for (size_t m = 0;
				     t->after_days >= 0 && m < t->from.n && !stopping(stop); m++) {
					tick_ctx k = {
					    .rt = apps[i], .f = f, .t = t, .from = t->from.v[m]};
					tick_one(env, &k, now, stop, out);
				}
			}
		}
		registry_release(apps[i]);
	}
	free(apps);
	/* Retention is part of the same claimed pass: one engine purges, once. */
	uc_retention(env, now, stop, out);
	if (!stopping(stop))
		uc_drafts_purge(env, now, out);
	/* Once an hour, what failed writes and abandoned forms left of files. */
	if ((now / 60) % 60 == 0 && !stopping(stop))
		uc_files_sweep(env, &out->swept_uploads, &out->swept_contents);
}
