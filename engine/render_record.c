/*
 * render_record — a record's page: its values, state, the transitions this person
 * may trigger, edit/delete, and its history as they may see it (see render.h).
 */
#include "render_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "validate_repeat.h"

/* ---- record ---- */

/* A repeat's lines as a table: a column per sub-field, a row per line (numbered). */
static void lines_table(buf *o, const page *p, const def_field *f, const value *v)
{
	json_t *lines = validate_repeat_lines(v);
	render_table_open(o, f->name, NULL);
	buf_html(o, f->label);
	buf_printf(o, " (%zu)</span></caption>\n<thead><tr><th scope=\"col\">%s</th>",
		   json_array_size(lines), render_page_lang(p) == LANG_EN ? "Line" : "Ligne");
	for (size_t i = 0; i < f->nsub; i++) {
		buf_puts(o, "<th scope=\"col\">");
		buf_html(o, f->sub[i].label);
		buf_puts(o, "</th>");
	}
	buf_puts(o, "</tr></thead>\n<tbody>\n");
	size_t k;
	json_t *line;
	json_array_foreach(lines, k, line)
	{
		buf_printf(o, "<tr><th scope=\"row\">%zu</th>", k + 1);
		for (size_t i = 0; i < f->nsub; i++) {
			value cell;
			validate_repeat_cell(&f->sub[i], json_object_get(line, f->sub[i].name),
					     &cell);
			buf_puts(o, "<td>");
			render_put_display(o, p, &f->sub[i], &cell);
			buf_puts(o, "</td>");
			value_clear(&cell);
		}
		buf_puts(o, "</tr>\n");
	}
	buf_puts(o, "</tbody>\n</table>\n</div>\n");
	json_decref(lines);
}

static void dl_item(buf *o, const page *p, const def_field *f, const value *v,
		    const char *files_href)
{
	buf_puts(o, "<dt>");
	buf_html(o, f->label);
	buf_puts(o, "</dt>\n<dd>");
	if (f->type == FT_FILE && v && v->kind == VAL_TEXT)
		render_put_file(o, p, f, v, files_href);
	else if (f->type == FT_REPEAT && v && v->kind == VAL_TEXT)
		lines_table(o, p, f, v);
	else
		render_put_display(o, p, f, v);
	buf_puts(o, "</dd>\n");
}

/* A history change value (API form) displayed like a record value. */
static void put_change_value(buf *o, const page *p, const def_field *f, const json_t *j)
{
	if (!j || json_is_null(j)) {
		render_put_empty(o, p);
		return;
	}
	value v = {VAL_NULL, 0, 0, NULL};
	char msg[VALIDATE_MSG];
	if (f && validate_parse_json(f, j, &v, render_page_lang(p), msg) == 0) {
		render_put_display(o, p, f, &v);
	} else {
		char *s = json_is_string(j) ? NULL : json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
		buf_html(o, s ? s : json_string_value(j));
		free(s);
	}
	value_clear(&v);
}

/* The values a history line changed that this reader may read; the creation line holds
 * every value typed: folded, values only. */
static void history_changes(buf *o, const page *p, const record_view *v,
			    const store_history_line *h, bool create)
{
	const def_form *f = v->form;
	bool opened = false;
	const char *key;
	json_t *pair;
	json_object_foreach(h->changes, key, pair)
	{
		int c = def_find_col(f, key);
		if (c >= 0 && !render_mask(v->readable, (size_t)c))
			continue; /* never show what the reader may not read */
		const def_field *cf = c >= 0 ? f->cols[c] : NULL;
		if (!opened && create)
			buf_puts(o, render_page_lang(p) == LANG_EN
					? "<details><summary>Values entered</summary>\n"
					: "<details><summary>Valeurs saisies</summary>\n");
		if (!opened) {
			buf_puts(o, "<ul class=\"changes\" aria-label=\"");
			buf_puts(o, T(p, UI_CHANGES));
			buf_puts(o, "\">\n");
			opened = true;
		}
		buf_puts(o, "<li>");
		buf_html(o, cf ? cf->label : key);
		buf_puts(o, " : ");
		const json_t *old = json_is_array(pair) ? json_array_get(pair, 0) : NULL;
		const json_t *nw = json_is_array(pair) ? json_array_get(pair, 1) : pair;
		if (!create && cf && cf->type == FT_REPEAT) {
			buf d = BUF_INIT;
			validate_repeat_diff(cf, old, nw, render_page_lang(p), &d);
			buf_html(o, buf_cstr(&d));
			buf_free(&d);
			buf_puts(o, "</li>\n");
			continue;
		}
		if (!create) {
			put_change_value(o, p, cf, old);
			render_put_arrow(o, p);
		}
		put_change_value(o, p, cf, nw);
		buf_puts(o, "</li>\n");
	}
	if (opened)
		buf_puts(o, create ? "</ul>\n</details>\n" : "</ul>\n");
}

static void history_line(buf *o, const page *p, const record_view *v, const store_history_line *h)
{
	const def_form *f = v->form;
	/* An edit of fields this reader may not see: not even the fact that it happened. */
	if (render_streq0(h->action, "update") &&
	    (!h->changes || json_object_size(h->changes) == 0))
		return;
	buf_puts(o, "<li>\n<p>");
	render_put_datetime(o, p, h->at, true);
	buf_puts(o, " — <strong>");
	if (render_streq0(h->actor, "system"))
		buf_puts(o, T(p, UI_SYSTEM));
	else
		buf_html(o, h->actor);
	buf_puts(o, "</strong> : ");
	const char *act = h->action ? h->action : "";
	if (strcmp(act, "create") == 0) {
		buf_puts(o, T(p, UI_ACT_CREATE));
	} else if (strcmp(act, "update") == 0) {
		buf_puts(o, T(p, UI_ACT_UPDATE));
	} else if (strcmp(act, "delete") == 0) {
		buf_puts(o, T(p, UI_ACT_DELETE));
	} else if (strcmp(act, "move") == 0) {
		buf_puts(o, T(p, UI_ACT_MOVE));
	} else if (strcmp(act, "purge") == 0) {
		buf_puts(o, render_page_lang(p) == LANG_EN
				? "Personal data erased (retention period over)"
				: "Données personnelles effacées (durée de conservation écoulée)");
	} else if (strcmp(act, "approval") == 0) {
		const def_transition *t =
		    h->transition ? def_find_transition(f, h->transition) : NULL;
		buf_puts(o, render_page_lang(p) == LANG_EN ? "Approval of " : "Approbation de ");
		render_put_quoted(o, p, t ? t->label : h->transition ? h->transition : "?");
	} else if (strcmp(act, "transition") == 0) {
		const def_transition *t =
		    h->transition ? def_find_transition(f, h->transition) : NULL;
		if (t)
			buf_html(o, t->label);
		else if (h->transition)
			buf_html(o, h->transition);
		else
			buf_puts(o, T(p, UI_ACT_TRANSITION));
	} else {
		buf_html(o, act);
	}
	buf_puts(o, "</p>\n");
	if (h->from_state || h->to_state) {
		if (f->workflow &&
		    (!h->from_state || !h->to_state || strcmp(h->from_state, h->to_state) != 0)) {
			buf_puts(o, "<p>");
			buf_puts(o, T(p, UI_STATE));
			buf_puts(o, " : ");
			if (h->from_state) {
				buf_html(o, render_state_label(f, h->from_state));
				render_put_arrow(o, p);
			}
			if (h->to_state)
				buf_html(o, render_state_label(f, h->to_state));
			buf_puts(o, "</p>\n");
		}
	}
	if (h->comment && *h->comment) {
		buf_puts(o, "<blockquote class=\"comment\"><p><span class=\"sr-only\">");
		buf_puts(o, T(p, UI_COMMENT));
		buf_puts(o, " : </span>");
		buf_html(o, h->comment);
		buf_puts(o, "</p></blockquote>\n");
	}
	if (h->changes && json_is_object(h->changes) && json_object_size(h->changes) > 0)
		history_changes(o, p, v, h, strcmp(act, "create") == 0);
	buf_puts(o, "</li>\n");
}

/* The state (with the overdue badge) and its description. */
static void record_status(buf *out, const page *p, const def_form *f, const record *r)
{
	if (!((f->workflow && r->state) || r->overdue))
		return;
	buf_puts(out, "<p class=\"status\">");
	if (f->workflow && r->state) {
		buf_puts(out, T(p, UI_STATE));
		buf_puts(out, " : ");
	}
	render_state_badges(out, p, f, r);
	buf_puts(out, "</p>\n");
	int si = f->workflow ? def_find_state(f->workflow, r->state) : -1;
	if (si >= 0 && f->workflow->states[si].description &&
	    *f->workflow->states[si].description) {
		buf_puts(out, "<p class=\"help\">");
		buf_html(out, f->workflow->states[si].description);
		buf_puts(out, "</p>\n");
	}
}

/* A POST button on the record (a transition without a form, delete), with CSRF and version. */
static void post_button(buf *out, const page *p, const record_view *v, const char *path,
			const char *id, const char *label, bool danger)
{
	buf_puts(out, "<form method=\"post\" class=\"inline\" action=\"");
	render_url_record(out, v->app, v->form, v->rec->id);
	buf_puts(out, path);
	buf_html(out, id);
	buf_puts(out, "\">");
	render_csrf_input(out, p);
	char ver[32];
	snprintf(ver, sizeof ver, "%" PRId64, v->rec->version);
	render_hidden(out, "version", ver);
	buf_puts(out,
		 danger ? "<button type=\"submit\" class=\"danger\">" : "<button type=\"submit\">");
	buf_html(out, label);
	buf_puts(out, "</button></form>\n");
}

/* "Valider la commande : 1 approbation sur 2 (jeanne)." for each quorum under way. */
static void record_approvals_status(buf *out, const page *p, const record_view *v)
{
	bool en = render_page_lang(p) == LANG_EN;
	for (size_t i = 0; i < v->napprovals; i++) {
		const record_approvals *a = &v->approvals[i];
		buf_puts(out, "<p class=\"approvals\">");
		buf_html(out, a->t->label);
		buf_printf(out, en ? ": %zu approval%s of %d" : " : %zu approbation%s sur %d", a->n,
			   a->n > 1 ? "s" : "", a->t->approvals);
		for (size_t k = 0; k < a->n && k < DEF_MAX_APPROVALS; k++) {
			buf_puts(out, k ? ", " : en ? " (by " : " (par ");
			buf_html(out, a->who[k]);
		}
		buf_puts(out, a->n ? ").</p>\n" : ".</p>\n");
	}
}

/* Edit, the transitions this person may trigger now, delete. */
static void record_actions(buf *out, const page *p, const record_view *v)
{
	if (!v->can_edit && !v->can_delete && !v->ntransitions)
		return;
	buf_puts(out, "<div class=\"actions\">\n");
	if (v->can_edit) {
		buf_puts(out, "<a class=\"button secondary\" href=\"");
		render_url_record(out, v->app, v->form, v->rec->id);
		buf_puts(out, "/edit\">");
		buf_puts(out, T(p, UI_EDIT));
		buf_puts(out, "</a>\n");
	}
	for (size_t i = 0; i < v->ntransitions; i++) {
		const def_transition *t = v->transitions[i];
		if (!t->nfields && t->comment == COMMENT_NONE) {
			post_button(out, p, v, "/do/", t->id, t->label, false);
			continue;
		}
		/* Fields or a comment to give: the transition's own small form. */
		buf_puts(out, "<a class=\"button\" href=\"");
		render_url_record(out, v->app, v->form, v->rec->id);
		buf_puts(out, "/do/");
		buf_html(out, t->id);
		buf_puts(out, "\">");
		buf_html(out, t->label);
		buf_puts(out, "</a>\n");
	}
	if (v->can_delete)
		post_button(out, p, v, "/delete", "", T(p, UI_DELETE), true);
	buf_puts(out, "</div>\n");
}

/* Writes a value in the current <dl>, opening it (and a pending section title) first. */
typedef struct dl_state {
	bool open;
	const def_field *pending; /* a section whose title waits for its first readable value */
	const char *files_href;	  /* file values link to their download */
} dl_state;

static void dl_value(buf *out, const page *p, dl_state *s, const def_field *fd, const value *v)
{
	if (s->pending) {
		buf_puts(out, "<h3>");
		buf_html(out, s->pending->label);
		buf_puts(out, "</h3>\n");
		s->pending = NULL;
	}
	if (!s->open) {
		buf_puts(out, "<dl class=\"values\">\n");
		s->open = true;
	}
	dl_item(out, p, fd, v, s->files_href);
}

static void dl_close(buf *out, dl_state *s)
{
	if (s->open)
		buf_puts(out, "</dl>\n");
	s->open = false;
}

/* The values the person may read, grouped by section; then the transitions' fields. */
static void record_values(buf *out, const page *p, const record_view *v)
{
	const def_form *f = v->form;
	const record *r = v->rec;
	buf_puts(out, "<h2>");
	buf_puts(out, T(p, UI_DETAILS));
	buf_puts(out, "</h2>\n");
	bool *seen = xcalloc(f->ncols ? f->ncols : 1, sizeof *seen);
	dl_state s = {.files_href = v->files_href};
	for (size_t i = 0; i < f->nfields; i++) {
		const def_field *fd = &f->fields[i];
		if (fd->type == FT_SECTION) {
			dl_close(out, &s);
			s.pending = fd;
		} else if (fd->col >= 0 && (size_t)fd->col < f->ncols) {
			seen[fd->col] = true;
			if (render_mask(v->readable, (size_t)fd->col))
				dl_value(out, p, &s, fd, render_val_at(r, fd->col));
		}
	}
	for (size_t c = 0; c < f->ncols; c++) {
		if (seen[c] || !render_mask(v->readable, c))
			continue;
		const value *val = render_val_at(r, (int)c);
		if (!val || val->kind == VAL_NULL)
			continue; /* a later step's field: shown once that step set it */
		if (s.pending) {
			/* transition fields do not belong to the last section */
			dl_close(out, &s);
			s.pending = NULL;
		}
		dl_value(out, p, &s, f->cols[c], val);
	}
	dl_close(out, &s);
	free(seen);
}

/* Created, updated (when and by whom), version. */
static void record_meta(buf *out, const page *p, const record *r)
{
	buf_puts(out, "<h2>");
	buf_puts(out, T(p, UI_META));
	buf_puts(out, "</h2>\n<dl class=\"values meta\">\n<dt>");
	buf_puts(out, T(p, UI_CREATED));
	buf_puts(out, "</dt>\n<dd>");
	render_put_datetime(out, p, r->created_at, true);
	if (r->created_by) {
		buf_puts(out, T(p, UI_BY));
		buf_html(out, r->created_by);
	}
	buf_puts(out, "</dd>\n<dt>");
	buf_puts(out, T(p, UI_UPDATED));
	buf_puts(out, "</dt>\n<dd>");
	render_put_datetime(out, p, r->updated_at, true);
	if (r->updated_by) {
		buf_puts(out, T(p, UI_BY));
		buf_html(out, r->updated_by);
	}
	buf_puts(out, "</dd>\n<dt>");
	buf_puts(out, T(p, UI_VERSION));
	buf_puts(out, "</dt>\n<dd>");
	render_put_int(out, r->version);
	buf_puts(out, "</dd>\n");
	if (r->purged_at) {
		buf_puts(out, "<dt>");
		buf_puts(out, render_page_lang(p) == LANG_EN ? "Personal data erased on"
							     : "Données personnelles effacées le");
		buf_puts(out, "</dt>\n<dd>");
		render_put_datetime(out, p, r->purged_at, true);
		buf_puts(out, "</dd>\n");
	}
	buf_puts(out, "</dl>\n");
}

static void record_history(buf *out, const page *p, const record_view *v)
{
	buf_puts(out, "<h2>");
	buf_puts(out, T(p, UI_HISTORY));
	buf_puts(out, "</h2>\n");
	if (v->nhistory == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_NO_HISTORY));
		buf_puts(out, "</p>\n");
		return;
	}
	/* newest first, whatever order the store gave */
	bool ascending = v->history[0].id <= v->history[v->nhistory - 1].id;
	buf_puts(out, "<ol class=\"history\">\n");
	for (size_t i = 0; i < v->nhistory; i++)
		history_line(out, p, v, &v->history[ascending ? v->nhistory - 1 - i : i]);
	buf_puts(out, "</ol>\n");
}

void render_record(buf *out, const page *p, const record_view *v)
{
	const def_form *f = v->form;
	const record *r = v->rec;
	render_page_open(out, p, false);
	buf_html(out, f->title);
	buf_puts(out, T(p, UI_NUMBER));
	render_put_int(out, r->id);
	render_page_body(out, p);
	render_breadcrumb(out, p, v->app, f, r->id);
	buf_puts(out, "<h1>");
	buf_html(out, f->title);
	buf_puts(out, T(p, UI_NUMBER));
	render_put_int(out, r->id);
	buf_puts(out, "</h1>\n");
	record_status(out, p, f, r);
	record_approvals_status(out, p, v);
	record_actions(out, p, v);
	record_values(out, p, v);
	record_meta(out, p, r);
	record_history(out, p, v);
	if (v->printed_at) { /* on paper only: when this copy was made */
		buf_puts(out, "<p class=\"print-only\">");
		buf_puts(out, render_page_lang(p) == LANG_EN ? "Printed on " : "Imprimé le ");
		render_put_datetime(out, p, v->printed_at, true);
		buf_puts(out, "</p>\n");
	}
	render_page_close(out, p);
}
