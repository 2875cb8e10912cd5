/*
 * render_steps — a multi-step form (sections with page = true, SPEC 4.3), without
 * JavaScript: each step's page holds its own fields and carries the other steps' values as
 * hidden inputs, so the whole input travels with every "Suivant" and "Précédent"; the last
 * page is a summary with "Modifier" per step and "Envoyer". The server checks everything
 * again when it creates: a value changed on the way gains nothing.
 */
#include "render_int.h"
#include "validate_repeat.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static bool en(const page *p)
{
	return render_page_lang(p) == LANG_EN;
}

/* Items [from, from + n) of step s (steps are runs of items in screen order). */
static void step_range(const def_form *f, int s, size_t *from, size_t *n)
{
	*from = 0;
	*n = 0;
	for (size_t i = 0; i < f->nfields; i++)
		if (f->fields[i].step == s) {
			if (!*n)
				*from = i;
			(*n)++;
		}
}

/* A step's name: its section's label, or the form's title for what precedes the first. */
static const char *step_title(const page *p, const def_form *f, int s)
{
	if (s >= f->nsteps)
		return en(p) ? "Summary" : "Récapitulatif";
	size_t from, n;
	step_range(f, s, &from, &n);
	return n && f->fields[from].type == FT_SECTION ? f->fields[from].label : f->title;
}

/* Where the person is (the DSFR stepper): "Navire — Étape 2 sur 4", then the next step. */
static void stepper(buf *o, const page *p, const def_form *f, int s)
{
	buf_puts(o, "<div class=\"stepper\">\n<h2>");
	buf_html(o, step_title(p, f, s));
	buf_puts(o, " <span class=\"step-state\">");
	buf_printf(o, en(p) ? "Step %d of %d" : "Étape %d sur %d", s + 1, f->nsteps + 1);
	buf_puts(o, "</span></h2>\n");
	if (s < f->nsteps) {
		buf_puts(o, "<p class=\"step-next\">");
		buf_puts(o, en(p) ? "Next step: " : "Étape suivante : ");
		buf_html(o, step_title(p, f, s + 1));
		buf_puts(o, "</p>\n");
	}
	buf_puts(o, "</div>\n");
}

/* One value as the input it came from: each chosen option, a ticked box, the text. */
static void hidden_value(buf *o, const def_field *fd, const value *v, const form_files *ff)
{
	if (fd->type == FT_FILE) { /* a file received on an earlier step waits under its token */
		const upload *k = ff && ff->kept ? upload_list_find(ff->kept, fd->name) : NULL;
		if (k && k->token[0]) {
			char name[96];
			snprintf(name, sizeof name, "%s__keep", fd->name);
			render_hidden(o, name, k->token);
		}
		return;
	}
	if (v->kind == VAL_NULL)
		return;
	if (fd->type == FT_REPEAT) { /* each line's cells under their own names */
		json_t *lines = validate_repeat_lines(v);
		size_t k;
		json_t *line;
		buf name = BUF_INIT;
		json_array_foreach(lines, k, line) for (size_t i = 0; i < fd->nsub; i++)
		{
			def_field cell = fd->sub[i];
			buf_reset(&name);
			validate_repeat_name(fd, k + 1, &fd->sub[i], &name);
			cell.name = buf_cstr(&name);
			value cv;
			validate_repeat_cell(&fd->sub[i], json_object_get(line, fd->sub[i].name),
					     &cv);
			hidden_value(o, &cell, &cv, NULL);
			value_clear(&cv);
		}
		buf_free(&name);
		json_decref(lines);
		return;
	}
	if (fd->type == FT_MULTICHOICE && v->kind == VAL_TEXT) {
		json_t *a = json_loads(v->s, 0, NULL);
		size_t i;
		json_t *e;
		json_array_foreach(a, i, e) if (json_is_string(e))
		    render_hidden(o, fd->name, json_string_value(e));
		json_decref(a);
		return;
	}
	if (fd->type == FT_BOOLEAN) {
		if (v->kind == VAL_INT && (v->i || fd->yes_no))
			render_hidden(o, fd->name, v->i ? "1" : "0");
		return;
	}
	buf t = BUF_INIT;
	render_input_text(fd, v, &t);
	render_hidden(o, fd->name, buf_cstr(&t));
	buf_free(&t);
}

/* The values of the items outside [from, from + n): they travel with this page. */
static void hidden_values(buf *o, const form_view *v, size_t from, size_t n)
{
	const def_form *f = v->form;
	for (size_t i = 0; i < f->nfields; i++) {
		const def_field *fd = &f->fields[i];
		if ((i >= from && i < from + n) || fd->col < 0 ||
		    !render_mask(v->writable, fd->col))
			continue;
		if (v->values)
			hidden_value(o, fd, &v->values->values[fd->col], &v->files);
	}
}

/* The summary: each step's values, a "Modifier" per step. */
static void summary(buf *o, const page *p, const form_view *v)
{
	const def_form *f = v->form;
	for (int s = 0; s < f->nsteps; s++) {
		if (v->steps_apply && !v->steps_apply[s])
			continue;
		size_t from, n;
		step_range(f, s, &from, &n);
		buf_puts(o, "<section class=\"summary-step\">\n<h3>");
		buf_html(o, step_title(p, f, s));
		buf_puts(o, "</h3>\n<dl class=\"values\">\n");
		for (size_t i = from; i < from + n; i++) {
			const def_field *fd = &f->fields[i];
			if (fd->col < 0 || !render_mask(v->writable, fd->col))
				continue;
			buf_puts(o, "<dt>");
			buf_html(o, fd->label);
			buf_puts(o, "</dt>\n<dd>");
			render_put_display(o, p, fd,
					   v->values ? &v->values->values[fd->col] : NULL);
			buf_puts(o, "</dd>\n");
		}
		buf_printf(o,
			   "</dl>\n<button type=\"submit\" name=\"_goto\" value=\"%d\" "
			   "class=\"secondary\">",
			   s);
		buf_puts(o, en(p) ? "Change <span class=\"sr-only\">"
				  : "Modifier <span class=\"sr-only\">");
		render_put_quoted(o, p, step_title(p, f, s));
		buf_puts(o, "</span></button>\n</section>\n");
	}
}

/* "Envoyer" on the summary (with "Confirmer quand même" when there are warnings); else
 * "Suivant" first (Enter in a field goes on), "Précédent" after step 1. */
static void step_actions(buf *o, const page *p, const form_view *v)
{
	const def_form *f = v->form;
	buf_puts(o, "<div class=\"actions\">");
	if (v->step >= f->nsteps) {
		if (v->warnings && v->warnings->n) {
			buf_puts(o, "<button type=\"submit\" name=\"_confirm\" value=\"1\">");
			buf_puts(o, en(p) ? "Confirm anyway" : "Confirmer quand même");
			buf_puts(o, "</button> ");
		}
		buf_puts(o, "<button type=\"submit\" name=\"_nav\" value=\"submit\"");
		buf_puts(o, v->warnings && v->warnings->n ? " class=\"secondary\">" : ">");
		buf_puts(o, T(p, UI_SEND));
	} else {
		buf_puts(o, "<button type=\"submit\" name=\"_nav\" value=\"next\">");
		buf_puts(o, en(p) ? "Next" : "Suivant");
	}
	buf_puts(o, "</button> ");
	if (v->step > 0) {
		buf_puts(
		    o, "<button type=\"submit\" name=\"_nav\" value=\"prev\" class=\"secondary\">");
		buf_puts(o, en(p) ? "Previous" : "Précédent");
		buf_puts(o, "</button> ");
	}
	render_draft_button(o, p, v);
	buf_puts(o, "<a href=\"");
	render_url_form(o, v->app, f);
	buf_puts(o, "\">");
	buf_puts(o, T(p, UI_CANCEL));
	buf_puts(o, "</a></div>\n</form>\n");
}

void render_form_step(buf *out, const page *p, const form_view *v)
{
	const def_form *f = v->form;
	int s = v->step < 0 ? 0 : v->step > f->nsteps ? f->nsteps : v->step;
	char step[16];
	snprintf(step, sizeof step, "%d", s);
	render_hidden(out, "_step", step);
	buf_putc(out, '\n');
	stepper(out, p, f, s);
	size_t from = 0, n = 0;
	if (s < f->nsteps) {
		step_range(f, s, &from, &n);
		render_form_fields(out, p, f, f->fields + from, n, v->values, v->errors,
				   v->writable, v->writable, &v->files);
	} else {
		summary(out, p, v);
		if (render_collects_personal(f, v->writable))
			render_privacy_short(out, p, v->app);
	}
	hidden_values(out, v, from, n);
	step_actions(out, p, v);
}
