/*
 * pipeline — SPEC 4.7 write pipeline (see pipeline.h).
 *
 * Every rule about what a write may contain lives here and only here; pages.c and
 * api.c differ only in how they parse the request and render the answer.
 */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "reference.h"
#include "util.h"

/* ---- ctx for hooks ---- */

static int count_cb(void *arg, const char *form_id, json_t *filter, int64_t *out,
		    char err[SANDBOX_ERR])
{
	pipe_env *e = arg;
	const def_form *f = def_find_form(e->app->def, form_id);
	if (!f) {
		snprintf(err, SANDBOX_ERR, "ctx.count : formulaire inconnu \"%s\"", form_id);
		return -1;
	}
	store_eq eq[32];
	char nums[32][32];
	size_t n = 0;
	const char *state = NULL;
	if (filter && json_is_object(filter)) {
		const char *k;
		json_t *v;
		json_object_foreach(filter, k, v)
		{
			const char *txt = json_is_string(v) ? json_string_value(v) : NULL;
			if (json_is_integer(v) && n < 32) {
				snprintf(nums[n], sizeof nums[n], "%lld",
					 (long long)json_integer_value(v));
				txt = nums[n];
			} else if (json_is_boolean(v)) {
				txt = json_is_true(v) ? "true" : "false";
			}
			if (!txt) {
				snprintf(err, SANDBOX_ERR,
					 "ctx.count : valeur de filtre invalide pour \"%s\"", k);
				return -1;
			}
			if (strcmp(k, "state") == 0) {
				state = txt;
				continue;
			}
			int col = def_find_col(f, k);
			if (col < 0 || n == 32) {
				snprintf(err, SANDBOX_ERR, "ctx.count : champ inconnu \"%s\"", k);
				return -1;
			}
			/* Compared in canonical text form, as list filters are. */
			eq[n].col = col;
			eq[n].value = txt;
			n++;
		}
	}
	store_query q = {
	    .scope = {.none = false}, .state = state, .eq = eq, .neq = n, .now = e->now};
	if (store_count(e->app->db, f, &q, out) != STORE_OK) {
		snprintf(err, SANDBOX_ERR, "ctx.count : erreur de lecture");
		return -1;
	}
	return 0;
}

static void log_cb(void *arg, const char *message)
{
	pipe_env *e = arg;
	log_message("app", "%s: %s", e->app->def->id, message);
}

void pipeline_env(const pipe_ctx *c, pipe_env *pe)
{
	memset(pe, 0, sizeof *pe);
	pe->app = c->app;
	pe->now = c->now;
	hook_env *env = &pe->env;
	env->form = c->form;
	env->now = c->now;
	env->count = count_cb;
	env->count_arg = pe;
	env->log = log_cb;
	env->log_arg = pe;
	if (c->who->login) {
		pe->user.login = c->who->login;
		pe->user.name = c->who->name;
		pe->user.email = c->who->email;
		pe->user.roles = c->who->roles;
		pe->user.nroles = c->who->nroles;
		env->user = &pe->user;
	}
}

/* ---- the pipeline ---- */

static bool is_form_col(const def_form *f, int col)
{
	/* Form fields come first in cols; transition fields after them. */
	const def_field *fd = f->cols[col];
	return fd >= f->fields && fd < f->fields + f->nfields;
}

const char *pipeline_field_msg(const def_field *fd, validate_rule r, lang lg,
			       const char *engine_msg)
{
	const char *m = validate_message(fd, r, lg);
	return m ? m : engine_msg;
}

static bool cond_holds(const def_form *f, const record *r, const def_condset *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		const def_cond *cd = &cs->v[i];
		bool any = false;
		for (size_t k = 0; k < cd->values.n && !any; k++)
			any = validate_matches(f->cols[cd->col], &r->values[cd->col],
					       cd->values.v[k]);
		if (!any)
			return false;
	}
	return true;
}

bool pipeline_field_visible(const def_form *f, const record *r, const def_field *fd)
{
	const def_field *sec = fd->section_of;
	return (fd->visible_if.n == 0 || cond_holds(f, r, &fd->visible_if)) &&
	       (!sec || sec->visible_if.n == 0 || cond_holds(f, r, &sec->visible_if));
}

static const char *msg_not_writable(lang lg)
{
	return lg == LANG_EN ? "You may not write this field."
			     : "Vous ne pouvez pas modifier ce champ.";
}

static const char *msg_unknown(lang lg)
{
	return lg == LANG_EN ? "Unknown field." : "Champ inconnu.";
}

static void set_file(value *out, const upload *u)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "name", u->name, "size", (json_int_t)u->size,
			      "type", u->type, "sha256", u->sha256);
	char *t = json_dumps(o, JSON_COMPACT);
	value_set_text(out, t);
	free(t);
	json_decref(o);
}

static const char *old_sha(const value *old, json_t **hold)
{
	*hold = old && old->kind == VAL_TEXT ? json_loads(old->s, 0, NULL) : NULL;
	return json_string_value(json_object_get(*hold, "sha256"));
}

int pipeline_parse_file(const write_in *in, const def_field *fd, const value *old, value *out,
			lang lg, char *msg)
{
	const upload *u = upload_list_find(in->files, fd->name);
	if (u) {
		set_file(out, u);
		return 0;
	}
	if (!in->json) {
		char clear[160];
		snprintf(clear, sizeof clear, "%s__clear", fd->name);
		for (size_t i = 0; i < in->npairs; i++)
			if (strcmp(in->pairs[i].name, clear) == 0 && in->pairs[i].value[0])
				return 0;
		if (old)
			value_copy(out, old);
		return 0;
	}
	const json_t *v = json_object_get(in->json, fd->name);
	if (!v || json_is_null(v))
		return 0;
	json_t *hold;
	const char *sha = old_sha(old, &hold);
	const char *want = json_string_value(json_object_get(v, "sha256"));
	bool same = sha && want && strcmp(sha, want) == 0 && !json_object_get(v, "data");
	json_decref(hold);
	if (same) {
		value_copy(out, old);
		return 0;
	}
	snprintf(msg, VALIDATE_MSG, "%s",
		 json_object_get(v, "data")
		     ? (lg == LANG_EN ? "The file's data must be base64 (RFC 4648)."
				      : "Le contenu du fichier (data) doit être codé en base64.")
		     : (lg == LANG_EN
			    ? "Send the file as { \"name\": \"…\", \"data\": \"<base64>\" }, or "
			      "as a multipart/form-data body."
			    : "Envoyez le fichier ainsi : { \"name\": \"…\", \"data\": "
			      "\"<base64>\" }, ou dans un corps multipart/form-data."));
	return -1;
}

/*
 * Steps 1-2: parse what was submitted into r, refusing fields the caller may not
 * write. submitted[col] tells which columns the input carried. The API door: only the
 * object's keys are submitted.
 */
static void parse_json_input(const pipe_ctx *c, const write_in *in, const record *old, record *r,
			     bool *submitted, field_errors *errs)
{
	const def_form *f = c->form;
	char msg[VALIDATE_MSG];
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)in->json, k, v)
	{
		int col = def_find_col(f, k);
		if (col < 0 || !is_form_col(f, col) ||
		    (f->cols[col]->has_private && !access_can_read_col(f->cols[col], c->who))) {
			/* A private field of another role is as unknown as a typo. */
			field_errors_add(errs, k, msg_unknown(c->lg));
			continue;
		}
		const def_field *fd = f->cols[col];
		if (!access_can_write_col(f, fd, c->who, old)) {
			field_errors_add(errs, k, msg_not_writable(c->lg));
			continue;
		}
		submitted[col] = true;
		value nv = {0};
		if (fd->type == FT_REPEAT) {
			validate_repeat_parse_json(fd, v, &nv, c->lg, errs);
			value_clear(&r->values[col]);
			r->values[col] = nv;
			continue;
		}
		if ((fd->type == FT_FILE
			 ? pipeline_parse_file(in, fd, old ? &old->values[col] : NULL, &nv, c->lg,
					       msg)
			 : validate_parse_json(fd, v, &nv, c->lg, msg)) != 0) {
			field_errors_add(errs, k, pipeline_field_msg(fd, VR_FORMAT, c->lg, msg));
			continue;
		}
		value_clear(&r->values[col]);
		r->values[col] = nv;
	}
}

/* The HTML door's part of steps 1-2: every writable field counts as submitted. */
static void parse_form_input(const pipe_ctx *c, const write_in *in, const record *old, record *r,
			     bool *submitted, field_errors *errs)
{
	const def_form *f = c->form;
	char msg[VALIDATE_MSG];
	/* HTML: refuse known columns that were not offered as inputs. */
	for (size_t i = 0; i < in->npairs; i++) {
		int col = def_find_col(f, in->pairs[i].name);
		if (col < 0)
			continue; /* _csrf, version, and unknown names the browser cannot have sent
				   */
		const def_field *fd = f->cols[col];
		if (!is_form_col(f, col) || !access_can_write_col(f, fd, c->who, old))
			field_errors_add(errs, fd->name, msg_not_writable(c->lg));
	}
	const char **vals = xcalloc(in->npairs ? in->npairs : 1, sizeof *vals);
	const char **names = xcalloc(in->npairs ? in->npairs : 1, sizeof *names);
	const char **all = xcalloc(in->npairs ? in->npairs : 1, sizeof *all);
	for (size_t i = 0; i < in->npairs; i++) {
		names[i] = in->pairs[i].name;
		all[i] = in->pairs[i].value;
	}
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (!is_form_col(f, (int)col) || !access_can_write_col(f, fd, c->who, old))
			continue;
		size_t n = 0;
		for (size_t i = 0; i < in->npairs; i++)
			if (strcmp(in->pairs[i].name, fd->name) == 0)
				vals[n++] = in->pairs[i].value;
		submitted[col] = true;
		value nv = {0};
		if (fd->type == FT_REPEAT) {
			validate_repeat_parse_form(fd, names, all, in->npairs, in->keep_blank_lines,
						   &nv, c->lg, errs);
			value_clear(&r->values[col]);
			r->values[col] = nv;
			continue;
		}
		if (fd->type == FT_FILE) {
			if (pipeline_parse_file(in, fd, old ? &old->values[col] : NULL, &nv, c->lg,
						msg) != 0)
				field_errors_add(errs, fd->name, msg);
			value_clear(&r->values[col]);
			r->values[col] = nv;
			continue;
		}
		if (validate_parse_form(fd, vals, n, &nv, c->lg, msg) != 0) {
			field_errors_add(errs, fd->name,
					 pipeline_field_msg(fd, VR_FORMAT, c->lg, msg));
			/* Keep the raw text so the re-rendered form shows what was typed. */
			if (n > 0 && vals[0][0])
				value_set_text(&nv, vals[0]);
			value_clear(&r->values[col]);
			r->values[col] = nv;
			continue;
		}
		value_clear(&r->values[col]);
		r->values[col] = nv;
	}
	free(vals);
	free(names);
	free(all);
}

static void parse_input(const pipe_ctx *c, const write_in *in, const record *old, record *r,
			bool *submitted, field_errors *errs)
{
	if (in->json)
		parse_json_input(c, in, old, r, submitted, errs);
	else
		parse_form_input(c, in, old, r, submitted, errs);
}

void pipeline_echo_edit(const pipe_ctx *c, const write_in *in, const record *old, record *out)
{
	const def_form *f = c->form;
	record_copy(out, old);
	bool *submitted = xcalloc(f->ncols ? f->ncols : 1, sizeof *submitted);
	field_errors errs = {0};
	parse_input(c, in, old, out, submitted, &errs);
	field_errors_clear(&errs);
	free(submitted);
}

void pipeline_echo(const pipe_ctx *c, const write_in *in, record *out)
{
	const def_form *f = c->form;
	record_init(out, f);
	bool *submitted = xcalloc(f->ncols ? f->ncols : 1, sizeof *submitted);
	field_errors errs = {0};
	parse_input(c, in, NULL, out, submitted, &errs);
	field_errors_clear(&errs);
	free(submitted);
}

/* Step 3: on create, the defaults of what the input did not carry. */
static void apply_defaults(const pipe_ctx *c, record *r, const bool *submitted)
{
	const def_form *f = c->form;
	char msg[VALIDATE_MSG];
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (submitted[col] || !fd->default_value || !is_form_col(f, (int)col))
			continue;
		value nv = {0};
		if (validate_parse_json(fd, fd->default_value, &nv, c->lg, msg) == 0) {
			value_clear(&r->values[col]);
			r->values[col] = nv;
		}
	}
}

/*
 * Step 4: visible_if. Hidden fields are neither validated nor stored: their value is
 * cleared and an error of their input dropped (a value sent for a hidden field is
 * accepted, SPEC 7). visible[col] tells which remain.
 */
static void apply_visibility(const def_form *f, record *r, bool *visible, field_errors *errs)
{
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		visible[col] = !is_form_col(f, (int)col) || pipeline_field_visible(f, r, fd);
		if (visible[col])
			continue;
		value_clear(&r->values[col]);
		for (size_t i = 0; i < errs->n; i++)
			if (strcmp(errs->v[i].field, fd->name) == 0)
				errs->v[i].message[0] = '\0';
	}
	size_t w = 0;
	for (size_t i = 0; i < errs->n; i++) {
		if (errs->v[i].message[0]) {
			errs->v[w++] = errs->v[i];
		} else {
			free(errs->v[i].field);
			free(errs->v[i].message);
		}
	}
	errs->n = w;
}

/* Step 5: compute, for visible fields. PIPE_OK or PIPE_ERROR with err. */
static int apply_compute(const def_form *f, sandbox *sb, const hook_env *env, record *r,
			 const bool *visible, char err[SANDBOX_ERR])
{
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (!fd->compute || !visible[col])
			continue;
		value nv = {0};
		if (sandbox_compute(sb, fd->compute, fd, r, env, &nv, err) != 0) {
			metrics_lua_error();
			return PIPE_ERROR;
		}
		value_clear(&r->values[col]);
		r->values[col] = nv;
	}
	return PIPE_OK;
}

static const char *msg_unchecked(lang lg)
{
	return lg == LANG_EN
		   ? "This reference cannot be checked now: try again."
		   : "Cette référence ne peut pas être vérifiée pour le moment : réessayez.";
}

/* A reference names a record the person may read (SPEC 4.3): one message whether it is
 * unknown, deleted or out of their reach; a database that fails says so, not "unknown". */
static void check_reference(const pipe_ctx *c, const def_field *fd, const value *v,
			    field_errors *errs)
{
	ref_reader rr = {.db = c->app->db, .who = c->who, .now = c->now};
	char msg[VALIDATE_MSG];
	int rc = reference_check(&rr, fd, v->i, c->lg, msg);
	if (rc != 0)
		field_errors_add(errs, fd->name, rc > 0 ? msg : msg_unchecked(c->lg));
}

bool pipeline_reference(const pipe_ctx *c, const def_field *fd, value *v, field_errors *errs)
{
	if (v->kind == VAL_TEXT) {
		ref_reader rr = {.db = c->app->db, .who = c->who, .now = c->now};
		char msg[VALIDATE_MSG];
		int64_t id;
		int rc = reference_resolve(&rr, fd, v->s, &id, NULL, NULL, c->lg, msg);
		if (rc != 0) {
			field_errors_add(errs, fd->name, rc > 0 ? msg : msg_unchecked(c->lg));
			return false;
		}
		value_set_int(v, id);
	}
	if (v->kind == VAL_INT) {
		size_t before = errs->n;
		check_reference(c, fd, v, errs);
		return errs->n == before;
	}
	return true;
}

/* Step 1b: words typed in a reference's input (the HTML door) become the one record they
 * name; none or several are the field's error, the text kept for the form to offer the
 * matches. App code only ever sees ids. */
static void resolve_references(const pipe_ctx *c, record *r, field_errors *errs)
{
	const def_form *f = c->form;
	ref_reader rr = {.db = c->app->db, .who = c->who, .now = c->now};
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		value *v = &r->values[col];
		if (fd->type != FT_REFERENCE || v->kind != VAL_TEXT ||
		    field_errors_get(errs, fd->name))
			continue;
		char msg[VALIDATE_MSG];
		int64_t id;
		int rc = reference_resolve(&rr, fd, v->s, &id, NULL, NULL, c->lg, msg);
		if (rc == 0)
			value_set_int(v, id);
		else
			field_errors_add(errs, fd->name, rc > 0 ? msg : msg_unchecked(c->lg));
	}
}

/* A repeat's lines: at least one when required, then their count and each line's
 * sub-fields (validate_repeat_check). Unchanged lines were accepted once. */
static void check_lines(const pipe_ctx *c, const def_field *fd, const value *was, const record *r,
			value *v, bool submitted, field_errors *errs)
{
	bool req = fd->required || (fd->required_if.n && cond_holds(c->form, r, &fd->required_if));
	if (v->kind == VAL_NULL && req && (submitted || !was)) {
		field_errors_add(
		    errs, fd->name,
		    pipeline_field_msg(fd, VR_REQUIRED, c->lg, validate_required_msg(c->lg)));
		return;
	}
	if (was && value_equal(v, was))
		return;
	validate_repeat_check(fd, v, util_local_days(c->now), c->lg, errs);
}

/* Step 6: each visible field's checks, required and required_if. */
static void check_fields(const pipe_ctx *c, const record *old, record *r, const bool *visible,
			 const bool *submitted, field_errors *errs)
{
	const def_form *f = c->form;
	int64_t today = util_local_days(c->now);
	char msg[VALIDATE_MSG];
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (!is_form_col(f, (int)col) || !visible[col] || field_errors_get(errs, fd->name))
			continue;
		value *v = &r->values[col];
		if (fd->type == FT_REPEAT) {
			check_lines(c, fd, old ? &old->values[col] : NULL, r, v, submitted[col],
				    errs);
			continue;
		}
		/* A required checkbox ("J'accepte") must be ticked. */
		bool unticked =
		    fd->type == FT_BOOLEAN && !fd->yes_no && v->kind == VAL_INT && v->i == 0;
		if (v->kind == VAL_NULL || unticked) {
			bool req = fd->required ||
				   (fd->required_if.n && cond_holds(f, r, &fd->required_if));
			/* Only what someone can fill is required of them. */
			if (req && !fd->compute && !fd->readonly && (submitted[col] || !old))
				field_errors_add(errs, fd->name,
						 pipeline_field_msg(fd, VR_REQUIRED, c->lg,
								    validate_required_msg(c->lg)));
			continue;
		}
		/* Unchanged values were accepted once; rules that moved since (today+1) do not
		 * make an old record uneditable. */
		if (old && value_equal(v, &old->values[col]))
			continue;
		validate_rule rule;
		if (validate_check_rule(fd, v, today, c->lg, msg, &rule) != 0)
			field_errors_add(errs, fd->name, pipeline_field_msg(fd, rule, c->lg, msg));
		else if (fd->type == FT_REFERENCE)
			check_reference(c, fd, v, errs);
	}
}

static bool pipeline_needs_lua(const def_form *f, const record *old)
{
	if (f->validate || f->warn || (!old && f->on_create))
		return true;
	for (size_t col = 0; col < f->ncols; col++)
		if (f->cols[col]->compute)
			return true;
	return false;
}

/* Steps 5 to 8, on input that parsed: compute, checks, validate, warn, on_create. */
static int run_rules(const pipe_ctx *c, const record *old, record *r, const bool *visible,
		     const bool *submitted, bool confirm, field_errors *errs, char err[SANDBOX_ERR])
{
	const def_form *f = c->form;
	pipe_env pe;
	pipeline_env(c, &pe);
	sandbox *sb = NULL;
	if (pipeline_needs_lua(f, old) &&
	    !(sb = sandbox_for(c->app->def, c->app->gen, c->app->stdlib_dir, err)))
		return PIPE_ERROR;
	if (apply_compute(f, sb, &pe.env, r, visible, err) != PIPE_OK) {
		/* A compute that tripped on a value the person typed wrong (a choice that is no
		 * option): their field errors, not a 500 — the app only failed on bad input. */
		check_fields(c, old, r, visible, submitted, errs);
		return errs->n ? PIPE_INVALID : PIPE_ERROR;
	}
	check_fields(c, old, r, visible, submitted, errs);
	if (errs->n)
		return PIPE_INVALID;
	if (f->validate) {
		if (sandbox_validate(sb, f->validate, r, &pe.env, errs, err) != 0) {
			metrics_lua_error();
			return PIPE_ERROR;
		}
		if (errs->n)
			return PIPE_INVALID;
	}
	/* Warnings are asked of a valid record only, and answered once: a confirmed input
	 * does not run the hook again. */
	if (f->warn && !confirm) {
		if (sandbox_validate(sb, f->warn, r, &pe.env, errs, err) != 0) {
			metrics_lua_error();
			return PIPE_ERROR;
		}
		if (errs->n)
			return PIPE_WARN;
	}
	if (!old && f->on_create && sandbox_mutate(sb, f->on_create, r, &pe.env, err) != 0) {
		metrics_lua_error();
		return PIPE_ERROR;
	}
	return PIPE_OK;
}

/* SPEC 4.7, from parsing to on_create. */
static int run_pipeline(const pipe_ctx *c, const write_in *in, const record *old, record *r,
			field_errors *errs, char err[SANDBOX_ERR])
{
	const def_form *f = c->form;
	bool *submitted = xcalloc(f->ncols ? f->ncols : 1, sizeof *submitted);
	bool *visible = xcalloc(f->ncols ? f->ncols : 1, sizeof *visible);
	parse_input(c, in, old, r, submitted, errs);
	resolve_references(c, r, errs);
	if (!old)
		apply_defaults(c, r, submitted);
	apply_visibility(f, r, visible, errs);
	int rc;
	if (errs->n) {
		/* Input that did not parse is reported with the other fields' errors, and no app
		 * code runs: app functions only ever see typed values. */
		check_fields(c, old, r, visible, submitted, errs);
		rc = PIPE_INVALID;
	} else {
		rc = run_rules(c, old, r, visible, submitted, in->confirm, errs, err);
	}
	free(submitted);
	free(visible);
	return rc;
}

int pipeline_create(const pipe_ctx *c, const write_in *in, record *out, field_errors *errs,
		    char err[SANDBOX_ERR])
{
	const def_form *f = c->form;
	record_init(out, f);
	char now[32];
	util_iso_datetime(c->now, now);
	record_set_sys(&out->created_at, now);
	record_set_sys(&out->updated_at, now);
	record_set_sys(&out->created_by, c->who->login);
	record_set_sys(&out->updated_by, c->who->login);
	record_set_sys(&out->def_hash, c->app->def->hash);
	if (f->workflow) {
		record_set_sys(&out->state, f->workflow->initial);
		record_set_sys(&out->state_since, now);
	}
	return run_pipeline(c, in, NULL, out, errs, err);
}

int pipeline_update(const pipe_ctx *c, const record *old, const write_in *in, record *out,
		    field_errors *errs, char err[SANDBOX_ERR])
{
	record_copy(out, old);
	char now[32];
	util_iso_datetime(c->now, now);
	record_set_sys(&out->updated_at, now);
	record_set_sys(&out->updated_by, c->who->login);
	record_set_sys(&out->def_hash, c->app->def->hash);
	return run_pipeline(c, in, old, out, errs, err);
}

json_t *pipeline_changes(const def_form *f, const record *old, const record *nw)
{
	static const value none = {VAL_NULL, 0, 0, NULL};
	json_t *ch = json_object();
	for (size_t col = 0; col < f->ncols; col++) {
		const value *a = old ? &old->values[col] : &none;
		const value *b = nw ? &nw->values[col] : &none;
		if (value_equal(a, b))
			continue;
		json_t *pair = json_array();
		json_array_append_new(pair, validate_to_json(f->cols[col], a));
		json_array_append_new(pair, validate_to_json(f->cols[col], b));
		json_object_set_new(ch, f->cols[col]->name, pair);
	}
	return ch;
}
