/*
 * reference — links between the records of one app (see reference.h).
 *
 * Every look-up goes through the target form's read scope of the person (access.h), the
 * predicate lists and record pages use, so a reference never says more than the target's
 * own page would: an id out of scope is as unknown as one never made, and the label
 * field of a record is shown only to those who may read that column.
 */
#include "reference.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "util.h"

#define L(fr, en)     (lg == LANG_EN ? (en) : (fr))
#define IDS_PER_QUERY 500 /* store_query's largest limit */

void reference_items_free(ref_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].label);
	free(v);
}

void ref_view_clear(ref_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nknown; i++)
		free(v->known[i].item.label);
	free(v->known);
	for (size_t i = 0; i < v->ninputs; i++) {
		reference_items_free(v->inputs[i].options, v->inputs[i].noptions);
		reference_items_free(v->inputs[i].choices, v->inputs[i].nchoices);
	}
	free(v->inputs);
	memset(v, 0, sizeof *v);
}

/* Known labels are keyed by the target's label field: two references to one form with
 * different label fields show different labels. */
const ref_item *ref_view_find(const ref_view *v, const def_field *fd, int64_t id)
{
	for (size_t i = 0; v && fd && i < v->nknown; i++)
		if (v->known[i].label_field == fd->ref_label_field && v->known[i].item.id == id)
			return &v->known[i].item;
	return NULL;
}

const ref_input *ref_view_input(const ref_view *v, const def_field *fd)
{
	for (size_t i = 0; v && i < v->ninputs; i++)
		if (v->inputs[i].field == fd)
			return &v->inputs[i];
	return NULL;
}

const char *reference_unknown_msg(lang lg)
{
	return L("Aucun enregistrement accessible n'a ce numéro.",
		 "No record you may read has this number.");
}

/* A target record as the reader may see it: its label only if they may read that column. */
static void item_of(const ref_reader *r, const def_field *fd, const record *rec, ref_item *out)
{
	out->id = rec->id;
	out->label = NULL;
	const def_field *lf = fd->ref_label_field;
	if (!access_can_read_col(lf, r->who) || rec->values[lf->col].kind == VAL_NULL)
		return;
	buf b = BUF_INIT;
	validate_display(lf, &rec->values[lf->col], LANG_FR, &b);
	if (b.len)
		out->label = xstrdup(buf_cstr(&b));
	buf_free(&b);
}

/* Up to limit readable target records (of ids when nids, whose label holds the words of
 * contains when not NULL), by label when the reader may read it, else by number. */
static int read_targets(const ref_reader *r, const def_field *fd, const int64_t *ids, size_t nids,
			const char *contains, int limit, store_page *page)
{
	const def_form *t = fd->ref_form;
	bool label_ok = access_can_read_col(fd->ref_label_field, r->who);
	store_query q = {
	    .scope = access_read_scope(t, r->who),
	    .now = r->now,
	    .sort = label_ok ? fd->ref_label_field->name : "id",
	    .limit = limit,
	    .ids = ids,
	    .nids = nids,
	    .contains_col = fd->ref_label_field->col,
	    .contains = contains,
	};
	char err[STORE_ERR_LEN] = "";
	int rc = store_list(r->db, t, &q, page, err);
	if (rc != STORE_OK && rc != STORE_UNAVAILABLE)
		log_message("reference", "%s.%s: %s", t->id, fd->name, err);
	return rc;
}

int reference_check(const ref_reader *r, const def_field *fd, int64_t id, lang lg,
		    char msg[VALIDATE_MSG])
{
	if (!fd->ref_form)
		return snprintf(msg, VALIDATE_MSG, "%s", reference_unknown_msg(lg)), 1;
	store_scope scope = access_read_scope(fd->ref_form, r->who);
	record rec;
	int rc = store_get(r->db, fd->ref_form, id, &scope, r->now, &rec);
	if (rc == STORE_NOTFOUND) {
		snprintf(msg, VALIDATE_MSG, "%s", reference_unknown_msg(lg));
		return 1;
	}
	if (rc != STORE_OK)
		return rc;
	record_clear(&rec);
	return 0;
}

/* The one match whose whole label is what was typed (accents and case aside), or -1:
 * "Centre A" names Centre A, even beside Centre AB. */
static ssize_t exact_match(const ref_item *v, size_t n, const char *text)
{
	buf want = BUF_INIT, got = BUF_INIT;
	util_fold(text, &want);
	ssize_t hit = -1;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].label)
			continue;
		buf_reset(&got);
		util_fold(v[i].label, &got);
		if (strcmp(buf_cstr(&got), buf_cstr(&want)) != 0)
			continue;
		if (hit >= 0) {
			hit = -1;
			break;
		}
		hit = (ssize_t)i;
	}
	buf_free(&want);
	buf_free(&got);
	return hit;
}

int reference_resolve(const ref_reader *r, const def_field *fd, const char *text, int64_t *id,
		      ref_item **choices, size_t *nchoices, lang lg, char msg[VALIDATE_MSG])
{
	if (choices)
		*choices = NULL;
	if (nchoices)
		*nchoices = 0;
	/* A label the person may not read is not searched either: a match would reveal it. */
	if (!fd->ref_form || !access_can_read_col(fd->ref_label_field, r->who)) {
		snprintf(msg, VALIDATE_MSG, "%s",
			 L("Indiquez le numéro de l'enregistrement.", "Give the record's number."));
		return 1;
	}
	store_page page;
	int rc = read_targets(r, fd, NULL, 0, text, REFERENCE_CHOICES_MAX + 1, &page);
	if (rc != STORE_OK)
		return rc;
	ref_item *v = xcalloc(page.n ? page.n : 1, sizeof *v);
	for (size_t i = 0; i < page.n; i++)
		item_of(r, fd, &page.v[i], &v[i]);
	size_t total = page.n, n = total; /* store_page_free forgets page.n */
	store_page_free(&page);
	ssize_t exact = n > 1 ? exact_match(v, n, text) : -1;
	if (n == 1 || exact >= 0) {
		*id = v[exact >= 0 ? exact : 0].id;
		reference_items_free(v, n);
		return 0;
	}
	if (n == 0)
		snprintf(msg, VALIDATE_MSG,
			 L("Aucun enregistrement accessible ne correspond à « %.100s ».",
			   "No record you may read matches “%.100s”."),
			 text);
	else
		snprintf(
		    msg, VALIDATE_MSG,
		    L("Plusieurs enregistrements correspondent à « %.100s » : choisissez-en un.",
		      "Several records match “%.100s”: choose one."),
		    text);
	if (n > REFERENCE_CHOICES_MAX)
		n = REFERENCE_CHOICES_MAX; /* the rest: type more */
	if (choices && n) {
		*choices = v;
		*nchoices = n;
		for (size_t i = n; i < total; i++)
			free(v[i].label);
	} else {
		reference_items_free(v, total);
	}
	return 1;
}

static void add_known(ref_view *v, const def_field *fd, ref_item it)
{
	if (v->nknown == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		v->known = xrealloc(v->known, v->cap * sizeof *v->known);
	}
	v->known[v->nknown].label_field = fd->ref_label_field;
	v->known[v->nknown].item = it;
	v->nknown++;
}

/* Whether col is the first reference column of f to show target label field lf. */
static bool first_for(const def_form *f, size_t col, const bool *readable)
{
	for (size_t c = 0; c < col; c++)
		if (f->cols[c]->type == FT_REFERENCE && (!readable || readable[c]) &&
		    f->cols[c]->ref_label_field == f->cols[col]->ref_label_field)
			return false;
	return true;
}

/* The distinct ids of recs that the columns showing lf hold, not yet known in v. */
static size_t ids_for(const def_form *f, const def_field *lf, const record *recs, size_t n,
		      const bool *readable, const ref_view *v, int64_t **out)
{
	int64_t *ids = NULL;
	size_t nids = 0, cap = 0;
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (fd->type != FT_REFERENCE || fd->ref_label_field != lf ||
		    (readable && !readable[col]))
			continue;
		for (size_t i = 0; i < n; i++) {
			const value *x = &recs[i].values[col];
			if (x->kind != VAL_INT || ref_view_find(v, fd, x->i))
				continue;
			bool dup = false;
			for (size_t k = 0; k < nids && !dup; k++)
				dup = ids[k] == x->i;
			if (dup)
				continue;
			if (nids == cap)
				ids = xrealloc(ids, (cap = cap ? 2 * cap : 32) * sizeof *ids);
			ids[nids++] = x->i;
		}
	}
	*out = ids;
	return nids;
}

int reference_labels(const ref_reader *r, const def_form *f, const record *recs, size_t n,
		     const bool *readable, ref_view *v)
{
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (fd->type != FT_REFERENCE || !fd->ref_form || (readable && !readable[col]) ||
		    !first_for(f, col, readable))
			continue;
		int64_t *ids;
		size_t nids = ids_for(f, fd->ref_label_field, recs, n, readable, v, &ids);
		for (size_t at = 0; at < nids; at += IDS_PER_QUERY) {
			size_t k = nids - at < IDS_PER_QUERY ? nids - at : IDS_PER_QUERY;
			store_page page;
			int rc = read_targets(r, fd, ids + at, k, NULL, (int)k, &page);
			if (rc != STORE_OK) {
				free(ids);
				return rc;
			}
			for (size_t i = 0; i < page.n; i++) {
				ref_item it;
				item_of(r, fd, &page.v[i], &it);
				add_known(v, fd, it);
			}
			store_page_free(&page);
		}
		free(ids);
	}
	return STORE_OK;
}

/* fd's input: a select of every readable target when there are few, else a text box,
 * with the matches of a search that named several. */
static int input_of(const ref_reader *r, const def_field *fd, const value *val, ref_input *in)
{
	memset(in, 0, sizeof *in);
	in->field = fd;
	store_page page;
	int rc = read_targets(r, fd, NULL, 0, NULL, REFERENCE_SELECT_MAX + 1, &page);
	if (rc != STORE_OK)
		return rc;
	in->select = page.n <= REFERENCE_SELECT_MAX;
	if (in->select && page.n) {
		in->options = xcalloc(page.n, sizeof *in->options);
		for (size_t i = 0; i < page.n; i++)
			item_of(r, fd, &page.v[i], &in->options[i]);
		in->noptions = page.n;
	}
	store_page_free(&page);
	if (val->kind == VAL_TEXT && val->s) {
		int64_t id;
		char msg[VALIDATE_MSG];
		rc = reference_resolve(r, fd, val->s, &id, &in->choices, &in->nchoices, LANG_FR,
				       msg);
		if (rc < 0)
			return rc;
	}
	return STORE_OK;
}

int reference_inputs(const ref_reader *r, const def_form *f, const record *rec,
		     const bool *writable, ref_view *v)
{
	int rc = reference_labels(r, f, rec, 1, writable, v);
	for (size_t col = 0; rc == STORE_OK && col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (fd->type != FT_REFERENCE || !fd->ref_form || (writable && !writable[col]) ||
		    ref_view_input(v, fd))
			continue;
		v->inputs = xrealloc(v->inputs, (v->ninputs + 1) * sizeof *v->inputs);
		rc = input_of(r, fd, &rec->values[col], &v->inputs[v->ninputs]);
		v->ninputs++; /* cleared with the view even when it failed half-way */
	}
	return rc;
}
