/*
 * usecase_drafts — drafts of forms with `drafts` (SPEC 4.2; see usecase.h): save,
 * read, list, delete, send, and the scheduler's purge, for both doors.
 *
 * A draft keeps what was typed, checked only as far as a door must: the person may
 * create in the form, the fields exist and are theirs to write (as for a create). No
 * required field, format, rule or app code runs; a value that does not parse for its
 * type is kept as the text typed, so nothing is lost, and the create that sends the
 * draft (uc_create, the whole pipeline) says what is wrong. That create deletes the
 * draft in its own write (usecase_write.c), so a draft and its record never coexist.
 *
 * Who sees a draft: its owner (a login) by its id; an anonymous person by the token of
 * its resume link, 160 random bits of which only the SHA-256 is stored (tracking_hash).
 * Anything else answers UC_NOT_FOUND, like an id that does not exist.
 *
 * Drafts are written through the store's writer and waited for (store_write_sync): no
 * app code runs, and a save is one small row. Thread-safe as the rest of the layer.
 */
#include "usecase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_drafts.h"
#include "util.h"

#define DAY 86400

static const char *tr(const uc_call *c, const char *fr, const char *en)
{
	return c->lg == LANG_EN ? en : fr;
}

void uc_draft_clear(uc_draft *d)
{
	if (d->fields)
		json_decref(d->fields);
	memset(d, 0, sizeof *d);
}

void uc_drafts_free(uc_draft *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uc_draft_clear(&v[i]);
	free(v);
}

bool uc_drafts_on(const uc_call *c)
{
	return c->form && c->form->drafts_days > 0 && !c->unavailable &&
	       access_can_create(c->form, &c->who);
}

/* The store's failures as a result: out of reach is a 503, the rest a 500. */
static uc_status failed(uc_result *res, int rc, const char *msg)
{
	if (rc == STORE_UNAVAILABLE) {
		res->retry_after = 2;
		return res->status = UC_UNAVAILABLE;
	}
	snprintf(res->msg, sizeof res->msg, "%s", msg);
	return res->status = UC_ERROR;
}

/* Before any draft call on c's form: UC_OK to go on, else the answer. */
static uc_status allowed(uc_call *c, uc_result *res)
{
	memset(res, 0, sizeof *res);
	if (c->unavailable)
		return uc_unavailable(res);
	if (!c->form || c->form->drafts_days <= 0)
		return res->status = UC_NOT_FOUND;
	if (!access_can_create(c->form, &c->who))
		return res->status = UC_FORBIDDEN;
	return UC_OK;
}

static bool is_form_col(const def_form *f, int col)
{
	const def_field *fd = f->cols[col];
	return fd >= f->fields && fd < f->fields + f->nfields;
}

/* A stored row as the layer's draft. */
static void from_row(const def_form *f, const store_draft *row, uc_draft *out)
{
	memset(out, 0, sizeof *out);
	out->id = row->id;
	out->form = f;
	out->fields = row->fields ? json_loads(row->fields, 0, NULL) : NULL;
	if (!json_is_object(out->fields)) {
		if (out->fields)
			json_decref(out->fields);
		out->fields = json_object();
	}
	out->step = row->step;
	out->anonymous = !row->owner;
	snprintf(out->created_at, sizeof out->created_at, "%s", row->created_at);
	snprintf(out->updated_at, sizeof out->updated_at, "%s", row->updated_at);
	snprintf(out->expires_at, sizeof out->expires_at, "%s", row->expires_at);
}

/* Digits only: an id; else a token. */
static bool is_id(const char *key, int64_t *id)
{
	size_t n = strlen(key);
	if (n == 0 || n > 18 || strspn(key, "0123456789") != n)
		return false;
	*id = strtoll(key, NULL, 10);
	return *id > 0;
}

/* The person's draft of c's form by key into *row (NOTFOUND when it is not theirs). */
static int find(uc_call *c, const char *key, store_draft *row)
{
	memset(row, 0, sizeof *row);
	int64_t id;
	int rc;
	if (c->who.login) {
		if (!is_id(key, &id))
			return STORE_NOTFOUND;
		rc = store_draft_get(c->app->db, id, row);
		if (rc == STORE_OK && (!row->owner || strcmp(row->owner, c->who.login) != 0))
			rc = STORE_NOTFOUND;
	} else {
		if (strlen(key) != UC_DRAFT_TOKEN_LEN - 1 ||
		    strspn(key, "0123456789abcdef") != UC_DRAFT_TOKEN_LEN - 1)
			return STORE_NOTFOUND;
		char hash[65];
		tracking_hash(key, hash);
		rc = store_draft_by_token(c->app->db, hash, row);
		if (rc == STORE_OK && row->owner)
			rc = STORE_NOTFOUND;
	}
	if (rc == STORE_OK && strcmp(row->form, c->form->id) != 0)
		rc = STORE_NOTFOUND;
	if (rc != STORE_OK)
		store_draft_clear(row);
	return rc;
}

static uc_status found(uc_call *c, int rc, uc_result *res)
{
	if (rc == STORE_NOTFOUND)
		return res->status = UC_NOT_FOUND;
	return failed(res, rc, tr(c, "lecture du brouillon impossible", "cannot read the draft"));
}

uc_status uc_draft_get(uc_call *c, const char *key, uc_draft *out, uc_result *res)
{
	memset(out, 0, sizeof *out);
	if (allowed(c, res) != UC_OK)
		return res->status;
	store_draft row;
	int rc = find(c, key ? key : "", &row);
	if (rc != STORE_OK)
		return found(c, rc, res);
	from_row(c->form, &row, out);
	store_draft_clear(&row);
	return res->status = UC_OK;
}

/* ---- what is typed, as the draft's JSON ---- */

static const char *msg_unknown(const uc_call *c)
{
	return tr(c, "Champ inconnu.", "Unknown field.");
}

static const char *msg_not_writable(const uc_call *c)
{
	return tr(c, "Vous ne pouvez pas modifier ce champ.", "You may not write this field.");
}

/* A JSON value of the API for fd: its API form when it parses, else as sent (a repeat's
 * lines: each value in its API form or as typed). */
static json_t *json_value(uc_call *c, const def_field *fd, json_t *v)
{
	value nv = {0};
	char msg[VALIDATE_MSG];
	json_t *out;
	if (fd->type == FT_REPEAT) {
		field_errors ignored = {0};
		validate_repeat_parse_json(fd, v, &nv, c->lg, &ignored);
		field_errors_clear(&ignored);
		out = validate_to_json(fd, &nv);
	} else if (validate_parse_json(fd, v, &nv, c->lg, msg) == 0)
		out = validate_to_json(fd, &nv);
	else
		out = json_deep_copy(v);
	value_clear(&nv);
	return out;
}

/* An HTML field's inputs: its API form when they parse, else the first one's text. */
static json_t *form_value(uc_call *c, const def_field *fd, const char **vals, size_t n)
{
	value nv = {0};
	char msg[VALIDATE_MSG];
	json_t *out = NULL;
	if (validate_parse_form(fd, vals, n, &nv, c->lg, msg) == 0)
		out = validate_to_json(fd, &nv);
	else if (n > 0 && vals[0][0])
		out = json_string(vals[0]);
	value_clear(&nv);
	return out;
}

/* A repeat's lines among the HTML pairs ("lignes[2].doses"), blank ones dropped, each
 * value in its API form or as typed. */
static json_t *form_lines(uc_call *c, const def_field *fd, const write_in *in)
{
	const char **names = xcalloc(in->npairs ? in->npairs : 1, sizeof *names);
	const char **vals = xcalloc(in->npairs ? in->npairs : 1, sizeof *vals);
	for (size_t i = 0; i < in->npairs; i++) {
		names[i] = in->pairs[i].name;
		vals[i] = in->pairs[i].value;
	}
	value nv = {0};
	field_errors ignored = {0};
	validate_repeat_parse_form(fd, names, vals, in->npairs, false, &nv, c->lg, &ignored);
	field_errors_clear(&ignored);
	json_t *out = validate_to_json(fd, &nv);
	value_clear(&nv);
	free(names);
	free(vals);
	return out;
}

/* in's values as a JSON object, or NULL with errs (fields unknown or not the person's). */
static json_t *typed(uc_call *c, const write_in *in, field_errors *errs)
{
	const def_form *f = c->form;
	json_t *o = json_object();
	if (in->json) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)in->json, k, v)
		{
			int col = def_find_col(f, k);
			if (col < 0 || !is_form_col(f, col) ||
			    (f->cols[col]->has_private &&
			     !access_can_read_col(f->cols[col], &c->who))) {
				field_errors_add(errs, k, msg_unknown(c));
				continue;
			}
			const def_field *fd = f->cols[col];
			if (!access_can_write_col(f, fd, &c->who, NULL)) {
				field_errors_add(errs, k, msg_not_writable(c));
				continue;
			}
			/* Files are not kept in drafts: they are sent with the record. */
			if (fd->type == FT_FILE || json_is_null(v))
				continue;
			json_t *jv = json_value(c, fd, v);
			if (jv && !json_is_null(jv))
				json_object_set_new(o, fd->name, jv);
			else if (jv)
				json_decref(jv);
		}
	} else {
		for (size_t i = 0; i < in->npairs; i++) {
			int col = def_find_col(f, in->pairs[i].name);
			if (col >= 0 && (!is_form_col(f, col) ||
					 !access_can_write_col(f, f->cols[col], &c->who, NULL)))
				field_errors_add(errs, f->cols[col]->name, msg_not_writable(c));
		}
		const char **vals = xcalloc(in->npairs ? in->npairs : 1, sizeof *vals);
		for (size_t col = 0; col < f->ncols; col++) {
			const def_field *fd = f->cols[col];
			if (!is_form_col(f, (int)col) || fd->type == FT_FILE ||
			    !access_can_write_col(f, fd, &c->who, NULL))
				continue;
			if (fd->type == FT_REPEAT) {
				json_t *jv = form_lines(c, fd, in);
				if (jv && !json_is_null(jv))
					json_object_set_new(o, fd->name, jv);
				else if (jv)
					json_decref(jv);
				continue;
			}
			size_t n = 0;
			for (size_t i = 0; i < in->npairs; i++)
				if (strcmp(in->pairs[i].name, fd->name) == 0)
					vals[n++] = in->pairs[i].value;
			if (n == 0)
				continue;
			json_t *jv = form_value(c, fd, vals, n);
			if (jv && !json_is_null(jv))
				json_object_set_new(o, fd->name, jv);
			else if (jv)
				json_decref(jv);
		}
		free(vals);
	}
	if (errs->n) {
		json_decref(o);
		return NULL;
	}
	return o;
}

uc_status uc_draft_save(uc_call *c, const char *key, const write_in *in, int step, uc_draft *out,
			uc_result *res)
{
	memset(out, 0, sizeof *out);
	if (allowed(c, res) != UC_OK)
		return res->status;
	bool fresh = !key || !*key;
	store_draft row = {0};
	if (!fresh) {
		int rc = find(c, key, &row);
		if (rc != STORE_OK)
			return found(c, rc, res);
	} else if (!c->who.login && c->env->th && c->client &&
		   !throttle_submit(c->env->th, c->client, time(NULL))) {
		/* An anonymous save counts as a submission: links are no free storage. */
		res->retry_after = 60;
		snprintf(res->msg, sizeof res->msg, "%s",
			 tr(c,
			    "Trop de dépôts anonymes depuis cette adresse : patientez une minute.",
			    "Too many anonymous submissions from this address: wait a minute."));
		return res->status = UC_TOO_MANY;
	}
	json_t *o = typed(c, in, &res->errs);
	if (!o) {
		store_draft_clear(&row);
		return res->status = UC_INVALID;
	}
	char now[32], until[32];
	util_iso_datetime(c->now, now);
	util_iso_datetime(c->now + (time_t)c->form->drafts_days * DAY, until);
	if (step < 0)
		step = 0;
	if (step > c->form->nsteps)
		step = c->form->nsteps;
	char hash[65] = "";
	if (fresh) {
		row.form = xstrdup(c->form->id);
		row.owner = xstrdup(c->who.login);
		row.created_at = xstrdup(now);
		if (!c->who.login) {
			util_random_hex(out->token, (UC_DRAFT_TOKEN_LEN - 1) / 2);
			tracking_hash(out->token, hash);
			row.token_hash = xstrdup(hash);
		}
	}
	free(row.fields);
	free(row.updated_at);
	free(row.expires_at);
	row.fields = json_dumps(o, JSON_COMPACT);
	row.step = step;
	row.updated_at = xstrdup(now);
	row.expires_at = xstrdup(until);
	json_decref(o);
	int rc = store_draft_put(c->app->db, &row);
	if (rc != STORE_OK) {
		store_draft_clear(&row);
		out->token[0] = '\0';
		return rc == STORE_NOTFOUND ? (res->status = UC_NOT_FOUND)
					    : failed(res, rc,
						     tr(c, "écriture du brouillon impossible",
							"cannot write the draft"));
	}
	char token[UC_DRAFT_TOKEN_LEN];
	memcpy(token, out->token, sizeof token);
	from_row(c->form, &row, out);
	memcpy(out->token, token, sizeof token);
	store_draft_clear(&row);
	return res->status = UC_OK;
}

uc_status uc_draft_delete(uc_call *c, const char *key, uc_result *res)
{
	if (allowed(c, res) != UC_OK)
		return res->status;
	store_draft row;
	int rc = find(c, key ? key : "", &row);
	if (rc != STORE_OK)
		return found(c, rc, res);
	rc = store_draft_delete(c->app->db, row.id);
	store_draft_clear(&row);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return failed(res, rc, "suppression du brouillon impossible");
	return res->status = rc == STORE_OK ? UC_OK : UC_NOT_FOUND;
}

uc_status uc_drafts_mine(uc_call *c, uc_draft **out, size_t *n, uc_result *res)
{
	*out = NULL;
	*n = 0;
	memset(res, 0, sizeof *res);
	if (c->unavailable)
		return uc_unavailable(res);
	if (!c->who.login)
		return res->status = UC_FORBIDDEN;
	store_draft *rows;
	size_t nrows;
	int rc = store_drafts_of(c->app->db, c->who.login, &rows, &nrows);
	if (rc != STORE_OK)
		return failed(res, rc, "lecture des brouillons impossible");
	*out = xcalloc(nrows ? nrows : 1, sizeof **out);
	for (size_t i = 0; i < nrows; i++) {
		const def_form *f = def_find_form(c->app->def, rows[i].form);
		if (!f || f->drafts_days <= 0 || !access_can_create(f, &c->who))
			continue;
		from_row(f, &rows[i], &(*out)[(*n)++]);
	}
	store_drafts_free(rows, nrows);
	return res->status = UC_OK;
}

void uc_draft_record(uc_call *c, const uc_draft *d, record *out)
{
	const def_form *f = d->form;
	record_init(out, f);
	const char *k;
	json_t *v;
	json_object_foreach(d->fields, k, v)
	{
		int col = def_find_col(f, k);
		if (col < 0 || !is_form_col(f, col))
			continue;
		value nv = {0};
		char msg[VALIDATE_MSG];
		if (f->cols[col]->type == FT_REPEAT) { /* lines as typed, errors and all */
			field_errors ignored = {0};
			validate_repeat_parse_json(f->cols[col], v, &nv, c->lg, &ignored);
			field_errors_clear(&ignored);
		} else if (validate_parse_json(f->cols[col], v, &nv, c->lg, msg) != 0) {
			value_clear(&nv);
			/* Shown as typed, as a form sent back with errors shows it. */
			if (json_is_string(v))
				value_set_text(&nv, json_string_value(v));
		}
		value_clear(&out->values[col]);
		out->values[col] = nv;
	}
}

uc_status uc_draft_submit(uc_call *c, const uc_draft *d, const write_in *in, uc_result *res)
{
	c->draft = d->id;
	return uc_create(c, in, res);
}

/* ---- the scheduler ---- */

void uc_drafts_purge(const uc_env *env, time_t now, tick_result *out)
{
	char at[32];
	util_iso_datetime(now, at);
	/* Every app, also one whose forms no longer have drafts: a pass with nothing due
	 * only reads (store_drafts_purge). */
	app_rt **apps = NULL;
	size_t n = registry_list(env->reg, &apps);
	for (size_t i = 0; i < n; i++) {
		int64_t k = 0;
		if (apps[i]->db && store_drafts_purge(apps[i]->db, at, &k) != STORE_OK)
			out->errors++;
		else if (k > 0)
			log_message("tick", "%s: %lld draft(s) past their days deleted",
				    apps[i]->def->id, (long long)k);
		out->drafts_purged += (int)k;
		registry_release(apps[i]);
	}
	free(apps);
}
