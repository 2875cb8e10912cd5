/*
 * workflow — transitions, one path for people and for the scheduler (see workflow.h).
 */
#include "workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "tracking.h"
#include "util.h"

static const char *msg_unknown(lang lg)
{
	return lg == LANG_EN ? "Unknown field." : "Champ inconnu.";
}

static bool in_from(const def_transition *t, const record *r)
{
	return r->state && def_strlist_has(&t->from, r->state);
}

size_t workflow_available(const def_form *f, const actor *a, const record *r,
			  const def_transition **out)
{
	size_t n = 0;
	if (!f->workflow)
		return 0;
	for (size_t i = 0; i < f->workflow->ntransitions; i++) {
		const def_transition *t = &f->workflow->transitions[i];
		/* Automatic transitions without roles are the scheduler's, not a button. */
		if (t->after_days >= 0 && t->roles.n == 0)
			continue;
		if (in_from(t, r) && access_can_trigger(t, a, r))
			out[n++] = t;
	}
	return n;
}

/*
 * May the caller fill transition field fd? Not when it is computed or read-only, nor
 * when it shares its column with a form field they may not read or write (private,
 * editable_by): a transition is no back door to a column.
 */
bool workflow_field_writable(const def_form *f, const def_field *fd, const actor *who,
			     const record *old)
{
	if (fd->compute || fd->readonly)
		return false;
	const def_field *ff = f->cols[fd->col];
	if (ff == fd)
		return true;
	if (ff->compute || ff->readonly || (ff->has_private && !access_can_read_col(ff, who)))
		return false;
	return !ff->has_editable_by || who->admin || access_has_any(who, &ff->editable_by, old);
}

static bool field_writable(const pipe_ctx *c, const def_field *fd, const record *old)
{
	return workflow_field_writable(c->form, fd, c->who, old);
}

static const char *msg_not_writable(lang lg)
{
	return lg == LANG_EN ? "You may not write this field."
			     : "Vous ne pouvez pas modifier ce champ.";
}

/* The transition's own fields: parsed into r, errors into errs (nothing else accepted). */
/* The API's omitted fields of a transition take their `default` when the record has no
 * value yet, as a create's do (the HTML form shows the default in its input). */
static void apply_json_defaults(const pipe_ctx *c, const def_transition *t, const record *old,
				record *r, const bool *given)
{
	char msg[VALIDATE_MSG];
	for (size_t i = 0; i < t->nfields; i++) {
		const def_field *fd = &t->fields[i];
		if (given[i] || !fd->default_value || r->values[fd->col].kind != VAL_NULL ||
		    !field_writable(c, fd, old))
			continue;
		value nv = {0};
		if (validate_parse_json(fd, fd->default_value, &nv, c->lg, msg) == 0) {
			value_clear(&r->values[fd->col]);
			r->values[fd->col] = nv;
		}
	}
}

static void parse_fields(const pipe_ctx *c, const def_transition *t, const write_in *in,
			 const record *old, record *r, bool *given, field_errors *errs)
{
	char msg[VALIDATE_MSG];
	if (in->json) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)in->json, k, v)
		{
			size_t i = 0;
			while (i < t->nfields && strcmp(t->fields[i].name, k) != 0)
				i++;
			if (i == t->nfields) {
				/* A field of the record, but not one this transition fills: say
				 * which. */
				bool of_record = def_find_col(c->form, k) >= 0;
				field_errors_add(
				    errs, k,
				    !of_record ? msg_unknown(c->lg)
				    : c->lg == LANG_EN
					? "This transition does not set this field."
					: "Cette transition ne renseigne pas ce champ.");
				continue;
			}
			const def_field *fd = &t->fields[i];
			if (!field_writable(c, fd, old)) {
				field_errors_add(errs, k, msg_not_writable(c->lg));
				continue;
			}
			value nv = {0};
			if ((fd->type == FT_FILE
				 ? pipeline_parse_file(in, fd, &old->values[fd->col], &nv, c->lg,
						       msg)
				 : validate_parse_json(fd, v, &nv, c->lg, msg)) != 0) {
				field_errors_add(errs, k,
						 pipeline_field_msg(fd, VR_FORMAT, c->lg, msg));
				continue;
			}
			given[i] = true;
			value_clear(&r->values[fd->col]);
			r->values[fd->col] = nv;
		}
		apply_json_defaults(c, t, old, r, given);
		return;
	}
	const char **vals = xcalloc(in->npairs ? in->npairs : 1, sizeof *vals);
	for (size_t i = 0; i < t->nfields; i++) {
		const def_field *fd = &t->fields[i];
		if (!field_writable(c, fd, old))
			continue; /* not offered as an input; a value posted anyway is ignored */
		size_t n = 0;
		for (size_t k = 0; k < in->npairs; k++)
			if (strcmp(in->pairs[k].name, fd->name) == 0)
				vals[n++] = in->pairs[k].value;
		value nv = {0};
		if (fd->type == FT_FILE) {
			if (pipeline_parse_file(in, fd, &old->values[fd->col], &nv, c->lg, msg) !=
			    0)
				field_errors_add(errs, fd->name, msg);
			else
				given[i] = true;
		} else if (validate_parse_form(fd, vals, n, &nv, c->lg, msg) != 0) {
			field_errors_add(errs, fd->name,
					 pipeline_field_msg(fd, VR_FORMAT, c->lg, msg));
			/* Keep what was typed, for the re-rendered form only. */
			if (n > 0 && vals[0][0])
				value_set_text(&nv, vals[0]);
		} else {
			given[i] = true;
		}
		value_clear(&r->values[fd->col]);
		r->values[fd->col] = nv;
	}
	free(vals);
}

/*
 * Field checks and required, on the transition's fields that parsed. A required field
 * must be given now: a value the record already holds (a former transition's) does not
 * answer this transition's question.
 */
static void check_fields(const pipe_ctx *c, const def_transition *t, const bool *given, record *r,
			 field_errors *errs)
{
	char msg[VALIDATE_MSG];
	int64_t today = util_local_days(c->now);
	for (size_t i = 0; i < t->nfields; i++) {
		const def_field *fd = &t->fields[i];
		if (field_errors_get(errs, fd->name))
			continue;
		value *v = &r->values[fd->col];
		if (!pipeline_field_visible(c->form, r, fd)) {
			value_clear(v);
			continue;
		}
		bool unticked =
		    fd->type == FT_BOOLEAN && !fd->yes_no && v->kind == VAL_INT && v->i == 0;
		if (v->kind == VAL_NULL || unticked || !given[i]) {
			if (fd->required && field_writable(c, fd, r))
				field_errors_add(errs, fd->name,
						 pipeline_field_msg(fd, VR_REQUIRED, c->lg,
								    validate_required_msg(c->lg)));
			continue;
		}
		if (fd->type == FT_REFERENCE && !pipeline_reference(c, fd, v, errs))
			continue;
		validate_rule rule;
		if (validate_check_rule(fd, v, today, c->lg, msg, &rule) != 0)
			field_errors_add(errs, fd->name, pipeline_field_msg(fd, rule, c->lg, msg));
	}
}

static void check_comment(const pipe_ctx *c, const def_transition *t, const char *comment,
			  field_errors *errs)
{
	bool empty = !comment || !comment[strspn(comment, " \t\r\n")];
	bool en = c->lg == LANG_EN;
	if (t->comment == COMMENT_NONE && !empty)
		field_errors_add(errs, WF_COMMENT,
				 en ? "This transition takes no comment."
				    : "Cette action ne prend pas de commentaire.");
	else if (t->comment == COMMENT_REQUIRED && empty)
		field_errors_add(errs, WF_COMMENT,
				 en ? "A comment is required." : "Un commentaire est obligatoire.");
	else if (!empty && (!util_utf8_valid(comment, strlen(comment)) ||
			    util_utf8_len(comment) > WF_COMMENT_MAX))
		field_errors_add(errs, WF_COMMENT,
				 en ? "The comment is too long (5000 characters at most)."
				    : "Le commentaire est trop long (5000 caractères au plus).");
}

/* ctx.notify calls, kept raw: they are rendered once the action has finished. */
typedef struct raw_mail {
	char *to, *subject, *body;
} raw_mail;

typedef struct raw_mails {
	raw_mail *v;
	size_t n, cap;
} raw_mails;

static int notify_cb(void *arg, const char *to, const char *subject, const char *body)
{
	raw_mails *m = arg;
	if (m->n == 64)
		return -1; /* a loop sending mail is a bug, not a mailing */
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 4;
		m->v = xrealloc(m->v, m->cap * sizeof *m->v);
	}
	m->v[m->n++] =
	    (raw_mail){xstrdup(to), xstrdup(subject ? subject : ""), xstrdup(body ? body : "")};
	return 0;
}

static void raw_mails_free(raw_mails *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].to);
		free(m->v[i].subject);
		free(m->v[i].body);
	}
	free(m->v);
}

/* Record page for staff; the tracking page for an anonymous submitter's own address. */
static void mail_link(const pipe_ctx *c, const record *r, const char *to, const char *base_url,
		      char *out, size_t n)
{
	const def_form *f = c->form;
	char token[TRACKING_TOKEN_LEN];
	if (strncmp(to, "field:", 6) == 0 && !r->created_by && tracking_enabled(f) &&
	    c->app->tracking_key) {
		tracking_token(c->app->tracking_key, c->app->def->id, f->id, r->id, token);
		snprintf(out, n, "%s/suivi/%s", base_url, token);
		return;
	}
	snprintf(out, n, "%s/a/%s/%s/%lld", base_url, c->app->def->id, f->id, (long long)r->id);
}

static int render_mails(const pipe_ctx *c, const def_transition *t, const raw_mails *raw,
			const record *r, const char *base_url, outbox_list *out, char *msg)
{
	char link[512], err[OUTBOX_ERR_LEN];
	for (size_t i = 0; i < t->nnotify + raw->n; i++) {
		const char *to, *subject, *body;
		if (i < t->nnotify) {
			to = t->notify[i].to;
			subject = t->notify[i].subject;
			body = t->notify[i].body;
		} else {
			to = raw->v[i - t->nnotify].to;
			subject = raw->v[i - t->nnotify].subject;
			body = raw->v[i - t->nnotify].body;
		}
		mail_link(c, r, to, base_url, link, sizeof link);
		if (outbox_render(c->app->def, c->form, r, to, subject ? subject : "",
				  body ? body : "", link, out, err) != 0) {
			snprintf(msg, SANDBOX_ERR, "notify (%s) : %s", t->id, err);
			return -1;
		}
	}
	return 0;
}

/* Recomputes the visible computed fields of r (opening the Lua state when needed). */
static int recompute(const pipe_ctx *c, sandbox **sb, const hook_env *env, record *r,
		     char msg[SANDBOX_ERR])
{
	const def_form *f = c->form;
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (!fd->compute || !pipeline_field_visible(f, r, fd))
			continue;
		if (!*sb && !(*sb = sandbox_for(c->app->def, c->app->gen, c->app->stdlib_dir, msg)))
			return WF_ERROR;
		value nv = {0};
		if (sandbox_compute(*sb, fd->compute, fd, r, env, &nv, msg) != 0) {
			metrics_lua_error();
			return WF_ERROR;
		}
		value_clear(&r->values[col]);
		r->values[col] = nv;
	}
	return WF_OK;
}

/* What a refused person is told: which rule, and what to do about it. */
void workflow_refusal_message(const pipe_ctx *c, const def_transition *t, access_trigger why,
			      char msg[SANDBOX_ERR])
{
	bool en = c->lg == LANG_EN;
	if (why == ACCESS_TRIGGER_SELF_APPROVAL) {
		snprintf(msg, SANDBOX_ERR, "%s",
			 en ? "You created this record: someone else must do this (separation of "
			      "duties)."
			    : "Vous avez créé cet enregistrement : une autre personne doit "
			      "effectuer cette "
			      "action (séparation des tâches).");
		return;
	}
	buf roles = BUF_INIT;
	for (size_t i = 0; i < t->roles.n; i++) {
		const char *id = t->roles.v[i];
		int k = def_find_role(c->app->def, id);
		const char *label =
		    k >= 0 ? c->app->def->roles[k].label
		    : strcmp(id, "owner") == 0
			? (en ? "the record's creator" : "l'auteur de l'enregistrement")
		    : strcmp(id, "user") == 0
			? (en ? "any signed-in user" : "toute personne connectée")
			: id;
		buf_printf(&roles, "%s%s", i ? ", " : "", label);
	}
	if (t->roles.n)
		snprintf(msg, SANDBOX_ERR,
			 en ? "Only these roles may do this: %s."
			    : "Cette action est réservée à : %s.",
			 buf_cstr(&roles));
	else
		snprintf(msg, SANDBOX_ERR, "%s",
			 en ? "Only administrators may do this."
			    : "Cette action est réservée aux administrateurs.");
	buf_free(&roles);
}

/* The guard, on the record with the transition's fields: WF_OK, WF_GUARD (reason in msg). */
static int run_guard(const def_transition *t, sandbox *sb, const hook_env *env, const record *r,
		     char msg[SANDBOX_ERR])
{
	bool ok = true;
	char reason[SANDBOX_ERR] = "";
	if (sandbox_guard(sb, t->guard, r, env, &ok, reason, msg) != 0) {
		metrics_lua_error();
		return WF_ERROR;
	}
	if (ok)
		return WF_OK;
	snprintf(msg, SANDBOX_ERR, "%s", reason);
	return WF_GUARD;
}

/* The record's own validate hook, after the transition: WF_OK, WF_INVALID or WF_ERROR. */
static int run_validate(const def_form *f, sandbox *sb, const hook_env *env, const record *r,
			field_errors *errs, char msg[SANDBOX_ERR])
{
	if (!f->validate)
		return WF_OK;
	if (sandbox_validate(sb, f->validate, r, env, errs, msg) != 0) {
		metrics_lua_error();
		return WF_ERROR;
	}
	return errs->n ? WF_INVALID : WF_OK;
}

/* The action, which may set fields and queue mail; computed fields follow it. */
static int run_action(const pipe_ctx *c, const def_transition *t, sandbox **sb, pipe_env *pe,
		      raw_mails *raw, record *r, char msg[SANDBOX_ERR])
{
	if (!t->action)
		return WF_OK;
	pe->env.notify = notify_cb;
	pe->env.notify_arg = raw;
	if (sandbox_mutate(*sb, t->action, r, &pe->env, msg) != 0) {
		metrics_lua_error();
		return WF_ERROR;
	}
	/* An action moves fields, never the record: the state is the transition's. */
	record_set_sys(&r->state, t->to);
	return recompute(c, sb, &pe->env, r, msg);
}

/* The checks that need no app code: the person's right, the record's state. */
static int may_trigger(const pipe_ctx *c, const record *old, const def_transition *t,
		       char msg[SANDBOX_ERR])
{
	access_trigger why = access_trigger_check(t, c->who, old);
	if (why != ACCESS_TRIGGER_OK) {
		workflow_refusal_message(c, t, why, msg);
		return WF_FORBIDDEN;
	}
	return in_from(t, old) ? WF_OK : WF_CONFLICT;
}

/* What the writer needs besides the record: who, from where, the comment, the changes. */
static void finish_job(const pipe_ctx *c, const record *old, const def_transition *t,
		       const char *comment, wf_job *job)
{
	job->form = c->form;
	job->t = t;
	job->expect_version = old->version;
	/* Only the scheduler acts as WF_SYSTEM; an anonymous trigger (a `public` transition)
	 * is said so, never dressed as an automatic move. */
	job->actor = c->who->login ? c->who->login : WF_ANONYMOUS;
	job->from_state = xstrdup(old->state);
	if (comment && comment[strspn(comment, " \t\r\n")])
		job->comment = xstrdup(comment);
	job->changes = pipeline_changes(c->form, old, &job->rec);
}

/* Guard, fields, comment, validate, action and mails, in the order of workflow.h. */
static int run_steps(const pipe_ctx *c, const record *old, const def_transition *t,
		     const write_in *in, const char *comment, const char *base_url, wf_job *job,
		     field_errors *errs, char msg[SANDBOX_ERR])
{
	record *r = &job->rec;
	bool *given = xcalloc(t->nfields ? t->nfields : 1, sizeof *given);
	field_errors parse_errs = {0};
	parse_fields(c, t, in, old, r, given, &parse_errs);
	pipe_env pe;
	pipeline_env(c, &pe);
	raw_mails raw = {0};
	sandbox *sb = NULL;
	int rc = WF_OK;
	if ((t->guard || t->action || c->form->validate) &&
	    !(sb = sandbox_for(c->app->def, c->app->gen, c->app->stdlib_dir, msg)))
		rc = WF_ERROR;
	/* Computed fields follow the transition's fields, as on any write (SPEC 4.7). The guard
	 * never sees input that did not parse (the HTML door keeps it in r to show it again). */
	if (rc == WF_OK && !parse_errs.n)
		rc = recompute(c, &sb, &pe.env, r, msg);
	/* The person's input first (SPEC 4.7): "at most 120" tells them what to fix, where a
	 * guard's refusal of a value out of bounds would not. */
	if (rc == WF_OK) {
		for (size_t i = 0; i < parse_errs.n; i++)
			field_errors_add(errs, parse_errs.v[i].field, parse_errs.v[i].message);
		check_fields(c, t, given, r, errs);
		check_comment(c, t, comment, errs);
		rc = errs->n ? WF_INVALID : WF_OK;
	}
	if (rc == WF_OK && t->guard)
		rc = run_guard(t, sb, &pe.env, r, msg);
	if (rc == WF_OK) {
		/* The record's own rules hold after the transition too. */
		record_set_sys(&r->state, t->to);
		record_set_sys(&r->state_since, job->at);
		rc = run_validate(c->form, sb, &pe.env, r, errs, msg);
	}
	if (rc == WF_OK)
		rc = run_action(c, t, &sb, &pe, &raw, r, msg);
	if (rc == WF_OK && render_mails(c, t, &raw, r, base_url, &job->mail, msg) != 0)
		rc = WF_ERROR;
	free(given);
	field_errors_clear(&parse_errs);
	raw_mails_free(&raw);
	return rc;
}

int workflow_prepare(const pipe_ctx *c, const record *old, const def_transition *t,
		     const write_in *in, const char *comment, const char *base_url, wf_job *job,
		     field_errors *errs, char msg[SANDBOX_ERR])
{
	memset(job, 0, sizeof *job);
	msg[0] = '\0';
	int rc = may_trigger(c, old, t, msg);
	if (rc != WF_OK)
		return rc;
	record *r = &job->rec;
	record_copy(r, old);
	util_iso_datetime(c->now, job->at);
	record_set_sys(&r->updated_at, job->at);
	record_set_sys(&r->updated_by, c->who->login);
	record_set_sys(&r->def_hash, c->app->def->hash);
	rc = run_steps(c, old, t, in, comment, base_url, job, errs, msg);
	if (rc == WF_OK)
		finish_job(c, old, t, comment, job);
	return rc;
}

int workflow_prepare_approval(const pipe_ctx *c, const record *old, const def_transition *t,
			      const char *comment, wf_job *job, field_errors *errs,
			      char msg[SANDBOX_ERR])
{
	memset(job, 0, sizeof *job);
	msg[0] = '\0';
	int rc = may_trigger(c, old, t, msg);
	if (rc != WF_OK)
		return rc;
	check_comment(c, t, comment, errs);
	if (errs->n)
		return WF_INVALID;
	record_copy(&job->rec, old);
	util_iso_datetime(c->now, job->at);
	record_set_sys(&job->rec.updated_at, job->at);
	record_set_sys(&job->rec.updated_by, c->who->login);
	finish_job(c, old, t, comment, job);
	job->approval_only = true;
	return WF_OK;
}

size_t workflow_approvers(const def_transition *t, const store_history_line *h, size_t n,
			  const char **who, size_t max)
{
	size_t start = 0; /* the line by which the record entered its current state */
	for (size_t i = n; i-- > 0;)
		if (h[i].action &&
		    (strcmp(h[i].action, "create") == 0 || strcmp(h[i].action, "transition") == 0 ||
		     strcmp(h[i].action, "move") == 0)) {
			start = i + 1;
			break;
		}
	size_t count = 0;
	for (size_t i = start; i < n; i++) {
		if (!h[i].action || strcmp(h[i].action, "approval") != 0 || !h[i].transition ||
		    strcmp(h[i].transition, t->id) != 0 || !h[i].actor)
			continue;
		bool seen = false;
		for (size_t k = 0; t->approvals_distinct && k < count && k < max; k++)
			seen = seen || strcmp(who[k], h[i].actor) == 0;
		if (seen)
			continue;
		if (count < max)
			who[count] = h[i].actor;
		count++;
	}
	return count;
}

int workflow_apply(store_tx *tx, void *arg)
{
	wf_job *j = arg;
	int rc = store_tx_update(tx, j->form, &j->rec, j->expect_version);
	if (rc != STORE_OK)
		return rc;
	/* An approval is its own line; the one that makes the quorum is followed by the move. */
	if (j->t->approvals || j->approval_only) {
		rc = store_tx_history(tx, j->form, j->rec.id, j->at, j->actor, "approval",
				      j->from_state, j->from_state, j->t->id,
				      j->approval_only ? j->comment : NULL, NULL);
		if (rc != STORE_OK || j->approval_only)
			return rc;
	}
	json_t *ch = j->changes && json_object_size(j->changes) ? j->changes : NULL;
	rc = store_tx_history(tx, j->form, j->rec.id, j->at, j->actor, "transition", j->from_state,
			      j->rec.state, j->t->id, j->comment, ch);
	if (rc != STORE_OK)
		return rc;
	return j->mail.n ? outbox_tx_add(tx, j->form, j->rec.id, j->at, &j->mail) : STORE_OK;
}

void wf_job_free(wf_job *j)
{
	if (!j)
		return;
	if (j->rec.values)
		record_clear(&j->rec);
	free(j->from_state);
	free(j->comment);
	if (j->changes)
		json_decref(j->changes);
	outbox_list_clear(&j->mail);
	memset(j, 0, sizeof *j);
}
