/*
 * render_list — an app's home (its forms, counts per state, overdue) and a form's
 * list: the filter form (GET, no JavaScript), sortable column headers, state badges
 * and keyset pagination links (see render.h).
 */
#include "render_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* ---- app home ---- */

/* A form's counts per state on the app's home page, each state linking to its list. */
static void home_counts(buf *out, const page *p, const def_app *app, const home_form *hf)
{
	const def_form *f = hf->form;
	render_table_open(out, "etats", f->id);
	buf_puts(out, T(p, UI_HOME_CAPTION));
	buf_html(out, f->title);
	buf_puts(out, "</span></caption>\n<thead><tr><th scope=\"col\">");
	buf_puts(out, T(p, UI_STATE));
	buf_puts(out, "</th><th scope=\"col\">");
	buf_puts(out, T(p, UI_COUNT));
	buf_puts(out, "</th><th scope=\"col\">");
	buf_puts(out, T(p, UI_OVERDUE));
	buf_puts(out, "</th></tr></thead>\n<tbody>\n");
	for (size_t j = 0; j < hf->ncounts; j++) {
		const store_state_count *c = &hf->counts[j];
		buf_puts(out, "<tr><th scope=\"row\">");
		if (c->state) {
			buf_puts(out, "<a href=\"");
			render_url_form(out, app, f);
			buf_puts(out, "?state=");
			buf tmp = BUF_INIT;
			buf_urlenc(&tmp, c->state);
			buf_html(out, buf_cstr(&tmp));
			buf_free(&tmp);
			buf_puts(out, "\">");
			buf_html(out, render_state_label(f, c->state));
			buf_puts(out, "</a>");
		} else {
			buf_puts(out, T(p, UI_TOTAL));
		}
		buf_puts(out, "</th><td>");
		render_put_count(out, p, c->total);
		buf_puts(out, "</td><td>");
		render_put_count(out, p, c->overdue);
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

void render_app_home(buf *out, const page *p, const def_app *app, const home_form *forms,
		     size_t nforms)
{
	render_page_open(out, p, false);
	buf_html(out, app->title);
	render_page_body(out, p);
	render_breadcrumb(out, p, NULL, NULL, 0);
	buf_puts(out, "<h1>");
	buf_html(out, app->title);
	buf_puts(out, "</h1>\n");
	if (app->description && *app->description) {
		buf_puts(out, "<p>");
		buf_html(out, app->description);
		buf_puts(out, "</p>\n");
	}
	for (size_t i = 0; i < nforms; i++)
		if (forms[i].in_stats) {
			buf_puts(out, "<p><a href=\"");
			render_url_app(out, app);
			buf_puts(out,
				 render_page_lang(p) == LANG_EN
				     ? "stats\">Dashboard: figures and processing times</a></p>\n"
				     : "stats\">Tableau de bord : chiffres et délais de "
				       "traitement</a></p>\n");
			break;
		}
	for (size_t i = 0; i < nforms; i++)
		if (forms[i].drafts) {
			buf_puts(out, "<p><a href=\"");
			render_url_app(out, app);
			buf_puts(out, render_page_lang(p) == LANG_EN
					  ? "brouillons\">My drafts</a></p>\n"
					  : "brouillons\">Mes brouillons</a></p>\n");
			break;
		}
	size_t shown = 0;
	for (size_t i = 0; i < nforms; i++) {
		const home_form *hf = &forms[i];
		const def_form *f = hf->form;
		if (!hf->can_create && !hf->can_read)
			continue;
		shown++;
		buf_puts(out, "<section class=\"form\">\n<h2>");
		buf_html(out, f->title);
		buf_puts(out, "</h2>\n");
		if (f->description && *f->description) {
			buf_puts(out, "<p>");
			buf_html(out, f->description);
			buf_puts(out, "</p>\n");
		}
		buf_puts(out, "<ul class=\"actions-list\">\n");
		if (hf->can_create) {
			buf_puts(out, "<li><a class=\"button\" href=\"");
			render_url_form(out, app, f);
			buf_puts(out, "new\">");
			buf_puts(out, T(p, UI_NEW));
			buf_puts(out, "<span class=\"sr-only\"> : ");
			buf_html(out, f->title);
			buf_puts(out, "</span></a></li>\n");
		}
		if (hf->can_read) {
			buf_puts(out, "<li><a href=\"");
			render_url_form(out, app, f);
			buf_puts(out, "\">");
			buf_puts(out, T(p, UI_SEE_RECORDS));
			buf_puts(out, "<span class=\"sr-only\"> : ");
			buf_html(out, f->title);
			buf_puts(out, "</span></a></li>\n");
		}
		buf_puts(out, "</ul>\n");
		if (hf->can_read && hf->ncounts > 0)
			home_counts(out, p, app, hf);
		buf_puts(out, "</section>\n");
	}
	if (shown == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_NO_FORMS));
		buf_puts(out, "</p>\n");
	}
	render_page_close(out, p);
}

/* ---- list ---- */

static void query_param(buf *u, char *sep, const char *name, const char *val)
{
	if (!val || !*val)
		return;
	buf_putc(u, *sep);
	*sep = '&';
	buf_urlenc(u, name);
	buf_putc(u, '=');
	buf_urlenc(u, val);
}

/*
 * The URL of file (NULL: the list) under the form's, with the list's query, `sort` and
 * `after` replaced, and more (a "name=value" already encoded, or NULL); escaped into o.
 */
static void form_href(buf *o, const list_view *v, const char *file, const char *sort,
		      const char *after, const char *more)
{
	buf u = BUF_INIT;
	render_url_form(&u, v->app, v->form); /* ids: already safe, escaped as a whole below */
	if (file)
		buf_puts(&u, file);
	char sep = '?';
	query_param(&u, &sep, "q", v->q);
	query_param(&u, &sep, "state", v->state);
	for (size_t i = 0; i < v->neq; i++) {
		const def_field *f = render_col_field(v->form, v->eq[i].col);
		if (f)
			query_param(&u, &sep, f->name, v->eq[i].value);
	}
	if (v->overdue_only)
		query_param(&u, &sep, "overdue", "1");
	query_param(&u, &sep, "sort", sort);
	query_param(&u, &sep, "after", after);
	if (more) {
		buf_putc(&u, sep);
		buf_puts(&u, more);
	}
	buf_puts(o, " href=\"");
	buf_html(o, buf_cstr(&u));
	buf_putc(o, '"');
	buf_free(&u);
}

/* The list URL with the current query, `sort` and `after` replaced; escaped into o. */
static void list_href(buf *o, const list_view *v, const char *sort, const char *after)
{
	form_href(o, v, NULL, sort, after, NULL);
}

/* The records of the list (its query, every page) to download; open data for those who may. */
static void export_links(buf *out, const page *p, const list_view *v, const char *sort)
{
	buf_puts(out, "<section class=\"exports\" aria-labelledby=\"exports-title\">\n"
		      "<h2 id=\"exports-title\">");
	buf_puts(out, T(p, UI_EXPORTS));
	buf_puts(out, "</h2>\n<ul>\n<li><a");
	form_href(out, v, "export.csv", sort, NULL, NULL);
	buf_printf(out, ">%s</a></li>\n<li><a", T(p, UI_EXPORT_CSV));
	form_href(out, v, "export.jsonl", sort, NULL, NULL);
	buf_printf(out, ">%s</a></li>\n", T(p, UI_EXPORT_JSONL));
	for (size_t col = 0; col < v->form->ncols; col++) {
		const def_field *fd = v->form->cols[col];
		if (fd->type != FT_REPEAT || !render_mask(v->readable, col))
			continue;
		char extra[80];
		snprintf(extra, sizeof extra, "lines=%s", fd->name);
		buf_puts(out, "<li><a");
		form_href(out, v, "export.csv", sort, NULL, extra);
		buf_puts(out, ">");
		buf_html(out, fd->label);
		buf_puts(out, render_page_lang(p) == LANG_EN
				  ? " (CSV, a row per line)"
				  : " (CSV, une ligne par ligne saisie)");
		buf_puts(out, "</a></li>\n");
	}
	if (v->can_open_data) {
		buf_puts(out, "<li><a");
		form_href(out, v, "export.csv", sort, NULL, "open_data=1");
		buf_printf(out, ">%s</a></li>\n<li><a href=\"", T(p, UI_EXPORT_OPEN));
		render_url_form(out, v->app, v->form);
		buf_printf(out, "schema.json\">%s</a></li>\n", T(p, UI_EXPORT_SCHEMA));
	}
	buf_puts(out, "</ul>\n</section>\n");
}

static const char *eq_value(const list_view *v, int col)
{
	for (size_t i = 0; i < v->neq; i++)
		if (v->eq[i].col == col)
			return v->eq[i].value;
	return NULL;
}

static void option(buf *o, const char *val, const char *label_text, bool selected)
{
	buf_puts(o, "<option");
	render_attr(o, "value", val);
	if (selected)
		buf_puts(o, " selected");
	buf_putc(o, '>');
	buf_html(o, label_text);
	buf_puts(o, "</option>\n");
}

bool render_streq0(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Readable list columns: indexes into form->cols. Caller frees. */
static int *list_cols(const list_view *v, size_t *n)
{
	const def_form *f = v->form;
	int *cols = xcalloc(f->ncols ? f->ncols : 1, sizeof *cols);
	*n = 0;
	if (f->list.columns.n) {
		for (size_t i = 0; i < f->list.columns.n && *n < f->ncols; i++) {
			int c = def_find_col(f, f->list.columns.v[i]);
			if (c >= 0 && render_mask(v->readable, (size_t)c))
				cols[(*n)++] = c;
		}
	} else {
		for (size_t c = 0; c < f->ncols && *n < 4; c++)
			if (render_mask(v->readable, c) && f->cols[c]->type != FT_FILE)
				cols[(*n)++] = (int)c;
	}
	return cols;
}

/* One field filter: a select for choices and yes/no, a text input otherwise. */
static void field_filter(buf *o, const page *p, const list_view *v, int c)
{
	const def_field *ff = v->form->cols[c];
	const char *cur = eq_value(v, c);
	buf_puts(o, "<div class=\"field\"><label for=\"flt-");
	buf_html(o, ff->name);
	buf_puts(o, "\">");
	buf_html(o, ff->label);
	buf_puts(o, "</label>");
	if (ff->type != FT_CHOICE && ff->type != FT_MULTICHOICE && ff->type != FT_BOOLEAN) {
		buf_puts(o, "<input type=\"text\" id=\"flt-");
		buf_html(o, ff->name);
		buf_putc(o, '"');
		render_attr(o, "name", ff->name);
		render_attr(o, "value", cur);
		buf_puts(o, "></div>\n");
		return;
	}
	buf_puts(o, "<select id=\"flt-");
	buf_html(o, ff->name);
	buf_putc(o, '"');
	render_attr(o, "name", ff->name);
	buf_puts(o, ">\n");
	option(o, "", T(p, UI_ALL), !cur || !*cur);
	if (ff->type == FT_BOOLEAN) {
		option(o, "true", T(p, UI_YES), render_streq0(cur, "true"));
		option(o, "false", T(p, UI_NO), render_streq0(cur, "false"));
	} else {
		for (size_t j = 0; j < ff->noptions; j++)
			option(o, ff->options[j].value, ff->options[j].label,
			       render_streq0(cur, ff->options[j].value));
	}
	buf_puts(o, "</select></div>\n");
}

/* The sort select: the fixed orders, then each readable column both ways. */
static void sort_select(buf *o, const page *p, const def_form *f, const int *cols, size_t ncols,
			const char *sort)
{
	buf_puts(o, "<div class=\"field\"><label for=\"flt-sort\">");
	buf_puts(o, T(p, UI_SORT));
	buf_puts(o, "</label><select id=\"flt-sort\" name=\"sort\">\n");
	bool known = false;
	static const char *const fixed[] = {"-created_at", "created_at", "-updated_at"};
	static const enum ui fixed_label[] = {UI_SORT_NEWEST, UI_SORT_OLDEST, UI_SORT_UPDATED};
	for (size_t i = 0; i < 3; i++) {
		bool sel = render_streq0(sort, fixed[i]);
		known |= sel;
		option(o, fixed[i], T(p, fixed_label[i]), sel);
	}
	for (size_t i = 0; i < ncols; i++) {
		const def_field *cf = f->cols[cols[i]];
		for (int desc = 0; desc < 2; desc++) {
			buf key = BUF_INIT, lab = BUF_INIT;
			if (desc)
				buf_putc(&key, '-');
			buf_puts(&key, cf->name);
			buf_puts(&lab, cf->label);
			buf_puts(&lab, T(p, desc ? UI_DESC : UI_ASC));
			bool sel = render_streq0(sort, buf_cstr(&key));
			known |= sel;
			option(o, buf_cstr(&key), buf_cstr(&lab), sel);
			buf_free(&key);
			buf_free(&lab);
		}
	}
	if (!known && sort && *sort)
		option(o, sort, sort, true);
	buf_puts(o, "</select></div>\n");
}

static void state_filter(buf *o, const page *p, const list_view *v)
{
	const def_workflow *w = v->form->workflow;
	buf_puts(o, "<div class=\"field\"><label for=\"flt-state\">");
	buf_puts(o, T(p, UI_STATE));
	buf_puts(o, "</label><select id=\"flt-state\" name=\"state\">\n");
	option(o, "", T(p, UI_ALL), !v->state || !*v->state);
	for (size_t i = 0; i < w->nstates; i++)
		option(o, w->states[i].id, w->states[i].label,
		       render_streq0(v->state, w->states[i].id));
	buf_puts(o, "</select></div>\n");
}

/* The list's filters as a GET form: search, state, field filters, overdue, sort. */
static void filter_form(buf *o, const page *p, const list_view *v, const int *cols, size_t ncols,
			const char *sort)
{
	const def_form *f = v->form;
	buf_puts(o, "<form method=\"get\" class=\"filters\" role=\"search\" action=\"");
	render_url_form(o, v->app, f);
	buf_puts(o, "\" aria-label=\"");
	buf_puts(o, T(p, UI_FILTERS_LABEL));
	buf_puts(o, "\">\n<div class=\"field\"><label for=\"flt-q\">");
	buf_puts(o, T(p, UI_SEARCH));
	buf_puts(o, "</label><input type=\"search\" id=\"flt-q\" name=\"q\"");
	render_attr(o, "value", v->q);
	buf_puts(o, "></div>\n");
	if (f->workflow)
		state_filter(o, p, v);
	for (size_t i = 0; i < f->list.filters.n; i++) {
		int c = def_find_col(f, f->list.filters.v[i]);
		if (c >= 0 && render_mask(v->readable, (size_t)c))
			field_filter(o, p, v, c);
	}
	if (f->workflow) {
		buf_puts(o,
			 "<div class=\"field choice\"><input type=\"checkbox\" id=\"flt-overdue\" "
			 "name=\"overdue\" value=\"1\"");
		if (v->overdue_only)
			buf_puts(o, " checked");
		buf_puts(o, "> <label for=\"flt-overdue\">");
		buf_puts(o, T(p, UI_OVERDUE_ONLY));
		buf_puts(o, "</label></div>\n");
	}
	sort_select(o, p, f, cols, ncols, sort);
	buf_puts(o, "<div class=\"field\"><button type=\"submit\">");
	buf_puts(o, T(p, UI_FILTER));
	buf_puts(o, "</button> <a href=\"");
	render_url_form(o, v->app, f);
	buf_puts(o, "\">");
	buf_puts(o, T(p, UI_RESET));
	buf_puts(o, "</a></div>\n</form>\n");
}

/* A sortable column header: toggles ascending/descending, aria-sort on the active one. */
static void sort_th(buf *o, const page *p, const list_view *v, const char *sort, const char *name,
		    const char *label_text, bool label_is_ui)
{
	bool asc = render_streq0(sort, name);
	bool desc = sort && sort[0] == '-' && strcmp(sort + 1, name) == 0;
	buf_puts(o, "<th scope=\"col\"");
	if (asc)
		buf_puts(o, " aria-sort=\"ascending\"");
	else if (desc)
		buf_puts(o, " aria-sort=\"descending\"");
	buf_puts(o, "><a");
	buf next = BUF_INIT;
	if (asc)
		buf_putc(&next, '-');
	buf_puts(&next, name);
	list_href(o, v, buf_cstr(&next), NULL);
	buf_free(&next);
	buf_putc(o, '>');
	if (label_is_ui)
		buf_puts(o, label_text);
	else
		buf_html(o, label_text);
	if (asc)
		buf_puts(o, " <span aria-hidden=\"true\">▲</span>");
	else if (desc)
		buf_puts(o, " <span aria-hidden=\"true\">▼</span>");
	buf_puts(o, "<span class=\"sr-only\">");
	buf_puts(o, T(p, asc ? UI_SORT_SR_DESC : UI_SORT_SR_ASC));
	buf_puts(o, "</span></a></th>");
}

void render_state_badges(buf *o, const page *p, const def_form *f, const record *r)
{
	if (f->workflow && r->state) {
		buf_puts(o, "<span class=\"badge state\">");
		buf_html(o, render_state_label(f, r->state));
		buf_puts(o, "</span>");
	}
	if (r->overdue) {
		buf_puts(o, " <span class=\"badge overdue\">");
		buf_puts(o, T(p, UI_OVERDUE));
		buf_puts(o, "</span>");
	}
}

/* One row: the number (a link), the columns, the state, the creation date. */
static void list_row(buf *out, const page *p, const list_view *v, const int *cols, size_t ncols,
		     const record *rec)
{
	const def_form *f = v->form;
	buf_puts(out, "<tr><td><a href=\"");
	render_url_record(out, v->app, f, rec->id);
	buf_puts(out, "\">");
	buf_puts(out, T(p, UI_NUMBER_SHORT));
	render_put_int(out, rec->id);
	buf_puts(out, "</a></td>");
	for (size_t i = 0; i < ncols; i++) {
		buf_puts(out, "<td>");
		render_put_display(out, p, f->cols[cols[i]], render_val_at(rec, cols[i]));
		buf_puts(out, "</td>");
	}
	if (f->workflow) {
		buf_puts(out, "<td>");
		render_state_badges(out, p, f, rec);
		buf_puts(out, "</td>");
	}
	buf_puts(out, "<td>");
	render_put_datetime(out, p, rec->created_at, false);
	if (!f->workflow && rec->overdue)
		render_state_badges(out, p, f, rec);
	buf_puts(out, "</td></tr>\n");
}

/* The records of this page as a table, or what to say when there are none. */
static void list_table(buf *out, const page *p, const list_view *v, const int *cols, size_t ncols,
		       const char *sort)
{
	const def_form *f = v->form;
	size_t nrec = v->records ? v->records->n : 0;
	bool filtered = (v->q && *v->q) || (v->state && *v->state) || v->neq || v->overdue_only;
	if (nrec == 0) {
		buf_puts(out, "<p class=\"empty\">");
		buf_puts(out, T(p, filtered || v->after ? UI_EMPTY_FILTERED : UI_EMPTY_ALL));
		buf_puts(out, "</p>\n");
		return;
	}
	render_table_open(out, "liste", NULL);
	buf_html(out, f->title);
	buf_puts(out, T(p, UI_CAPTION_LIST));
	buf_puts(out, "</span></caption>\n<thead><tr>");
	sort_th(out, p, v, sort, "id", T(p, UI_COL_ID), true);
	for (size_t i = 0; i < ncols; i++) {
		const def_field *cf = f->cols[cols[i]];
		sort_th(out, p, v, sort, cf->name, cf->label, false);
	}
	if (f->workflow)
		sort_th(out, p, v, sort, "state", T(p, UI_STATE), true);
	sort_th(out, p, v, sort, "created_at", T(p, UI_CREATED), true);
	buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (size_t r = 0; r < nrec; r++)
		list_row(out, p, v, cols, ncols, &v->records->v[r]);
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

/* First page and next page links (keyset: there is no "page 7"). */
static void list_pagination(buf *out, const page *p, const list_view *v)
{
	bool next = v->records && v->records->next && *v->records->next;
	if (!next && !v->after)
		return;
	buf_puts(out, "<nav class=\"pagination\" aria-label=\"");
	buf_puts(out, T(p, UI_PAGINATION));
	buf_puts(out, "\">\n<ul>\n");
	if (v->after) {
		buf_puts(out, "<li><a");
		list_href(out, v, v->sort, NULL);
		buf_puts(out, ">");
		buf_puts(out, T(p, UI_FIRST_PAGE));
		buf_puts(out, "</a></li>\n");
	}
	if (next) {
		buf_puts(out, "<li><a rel=\"next\"");
		list_href(out, v, v->sort, v->records->next);
		buf_puts(out, ">");
		buf_puts(out, T(p, UI_NEXT_PAGE));
		buf_puts(out, "</a></li>\n");
	}
	buf_puts(out, "</ul>\n</nav>\n");
}

void render_list(buf *out, const page *p, const list_view *v)
{
	const def_form *f = v->form;
	const char *sort = v->sort && *v->sort ? v->sort : f->list.sort;
	size_t ncols;
	int *cols = list_cols(v, &ncols);
	render_page_open(out, p, false);
	buf_html(out, f->title);
	buf_puts(out, " — ");
	buf_html(out, v->app->title);
	render_page_body(out, p);
	render_breadcrumb(out, p, v->app, f, 0);
	buf_puts(out, "<h1>");
	buf_html(out, f->title);
	buf_puts(out, "</h1>\n");
	if (f->description && *f->description) {
		buf_puts(out, "<p>");
		buf_html(out, f->description);
		buf_puts(out, "</p>\n");
	}
	if (v->can_create) {
		buf_puts(out, "<p><a class=\"button\" href=\"");
		render_url_form(out, v->app, f);
		buf_puts(out, "new\">");
		buf_puts(out, T(p, UI_NEW));
		buf_puts(out, "<span class=\"sr-only\"> : ");
		buf_html(out, f->title);
		buf_puts(out, "</span></a></p>\n");
	}
	filter_form(out, p, v, cols, ncols, sort);
	buf_puts(out, "<p class=\"count\" role=\"status\">");
	if (v->total <= 0) {
		buf_puts(out, T(p, UI_COUNT_NONE));
	} else if (v->total_cap > 0 && v->total > v->total_cap) {
		buf_puts(out, T(p, UI_COUNT_OVER));
		render_put_count(out, p, v->total_cap);
		buf_puts(out, T(p, UI_COUNT_MANY));
	} else {
		render_put_count(out, p, v->total);
		buf_puts(out, T(p, v->total == 1 ? UI_COUNT_ONE : UI_COUNT_MANY));
	}
	buf_puts(out, "</p>\n");
	list_table(out, p, v, cols, ncols, sort);
	list_pagination(out, p, v);
	if (v->total > 0)
		export_links(out, p, v, v->sort);
	free(cols);
	render_page_close(out, p);
}
