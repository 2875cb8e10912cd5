/*
 * render_form — the new/edit form and a transition's small form (see render.h): every
 * field's control with its label, help, requirement said in text and errors tied by
 * aria-describedby, the error summary on top, and the conflict view beside the
 * stored version. Escaping is by construction (buf_html).
 */
#include "render_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "reference.h"
#include "util.h"
#include "validate_geo.h"
#include "validate_repeat.h"

/* ---- form fields ---- */

static const char *cond_value_label(const page *p, const def_field *cf, const char *val)
{
	if (!cf)
		return val;
	if (cf->type == FT_CHOICE || cf->type == FT_MULTICHOICE)
		return def_option_label(cf, val);
	if (cf->type == FT_BOOLEAN) {
		if (strcmp(val, "true") == 0)
			return T(p, UI_YES);
		if (strcmp(val, "false") == 0)
			return T(p, UI_NO);
	}
	return val;
}

/* « Label » vaut « A » ou « B » et « Label2 » vaut « C » */
static void put_conds(buf *o, const page *p, const def_form *form, const def_condset *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		const def_cond *c = &cs->v[i];
		const def_field *cf = render_col_field(form, c->col);
		if (i > 0)
			buf_puts(o, T(p, UI_AND));
		render_put_quoted(o, p, cf ? cf->label : c->field);
		buf_puts(o, T(p, UI_IS));
		for (size_t j = 0; j < c->values.n; j++) {
			if (j > 0)
				buf_puts(o, T(p, UI_OR));
			render_put_quoted(o, p, cond_value_label(p, cf, c->values.v[j]));
		}
	}
}

static void field_id(buf *o, const def_field *f, const char *suffix)
{
	buf_puts(o, "f-");
	buf_html(o, f->name);
	if (suffix)
		buf_puts(o, suffix);
}

static void put_required_text(buf *o, const page *p, const def_field *f)
{
	if (f->required) {
		buf_puts(o, T(p, UI_REQUIRED));
	} else if (f->required_if.n) { /* conditions.js shows it only while it applies */
		buf_puts(o, "<span class=\"required-if\">");
		buf_puts(o, T(p, UI_REQUIRED_IF));
		buf_puts(o, "</span>");
	}
}

/* How conditions.js reads a field's input to compare it as validate_matches() does. */
static const char *cond_kind(const def_field *f)
{
	switch (f->type) {
	case FT_BOOLEAN:
		return "boolean";
	case FT_MULTICHOICE:
		return "multichoice";
	case FT_INTEGER:
		return "integer";
	case FT_DECIMAL:
		return "decimal";
	case FT_MONEY:
		return "money";
	default:
		return "text";
	}
}

/* ` data-visible-if="[{&quot;f&quot;:…}]"`: a condition set for conditions.js. */
static void cond_attr(buf *o, const def_form *form, const char *attr, const def_condset *cs)
{
	if (!cs->n)
		return;
	json_t *all = json_array();
	for (size_t i = 0; i < cs->n; i++) {
		const def_cond *c = &cs->v[i];
		const def_field *cf = render_col_field(form, c->col);
		json_t *vals = json_array();
		for (size_t k = 0; k < c->values.n; k++)
			json_array_append_new(vals, json_string(c->values.v[k]));
		json_array_append_new(all, json_pack("{s:s, s:s, s:o}", "f", c->field, "t",
						     cf ? cond_kind(cf) : "text", "v", vals));
	}
	char *text = json_dumps(all, JSON_COMPACT);
	render_attr(o, attr, text ? text : "[]");
	free(text);
	json_decref(all);
}

/* A field's <div>, with its conditions for the script. */
static void field_div_open(buf *o, const def_form *form, const def_field *f, const char *cls)
{
	buf_puts(o, "<div class=\"");
	buf_puts(o, cls);
	buf_putc(o, '"');
	cond_attr(o, form, "data-visible-if", &f->visible_if);
	cond_attr(o, form, "data-required-if", &f->required_if);
	buf_puts(o, ">\n");
}

/* Whether any item of the form carries a condition: the page then loads the script. */
static bool has_conditions(const def_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fields[i].visible_if.n || fields[i].required_if.n)
			return true;
	return false;
}

/* ` aria-describedby="f-x-help f-x-cond f-x-error"` when any applies. */
static void describedby(buf *o, const def_field *f, const char *err)
{
	bool help = f->help && *f->help;
	bool cond = f->visible_if.n || f->required_if.n;
	if (!help && !cond && !err)
		return;
	buf_puts(o, " aria-describedby=\"");
	const char *sep = "";
	if (help) {
		field_id(o, f, "-help");
		sep = " ";
	}
	if (cond) {
		buf_puts(o, sep);
		field_id(o, f, "-cond");
		sep = " ";
	}
	if (err) {
		buf_puts(o, sep);
		field_id(o, f, "-error");
	}
	buf_putc(o, '"');
}

/* Help, condition hint and error paragraphs, in reading order before the input. */
static void field_notes(buf *o, const page *p, const def_form *form, const def_field *f,
			const char *err)
{
	if (f->help && *f->help) {
		buf_puts(o, "<p class=\"help\" id=\"");
		field_id(o, f, "-help");
		buf_puts(o, "\">");
		buf_html(o, f->help);
		buf_puts(o, "</p>\n");
	}
	if (f->visible_if.n || f->required_if.n) {
		buf_puts(o, "<p class=\"hint cond\" id=\"");
		field_id(o, f, "-cond");
		buf_puts(o, "\">");
		if (f->visible_if.n) {
			buf_puts(o, T(p, UI_VISIBLE_IF));
			put_conds(o, p, form, &f->visible_if);
			buf_puts(o, ".");
		}
		if (f->required_if.n) {
			if (f->visible_if.n)
				buf_putc(o, ' ');
			buf_puts(o, T(p, UI_REQUIRED_IF_HINT));
			put_conds(o, p, form, &f->required_if);
			buf_puts(o, ".");
		}
		buf_puts(o, "</p>\n");
	}
	if (err) {
		buf_puts(o, "<p class=\"error\" id=\"");
		field_id(o, f, "-error");
		buf_puts(o, "\"><span class=\"icon\" aria-hidden=\"true\">⚠</span> ");
		buf_puts(o, T(p, UI_ERROR_PREFIX));
		buf_html(o, err);
		buf_puts(o, "</p>\n");
	}
}

/* Common attributes of a control: id, name, describedby, invalid. */
static void control_attrs(buf *o, const def_field *f, const char *id_suffix, const char *err,
			  bool with_describedby)
{
	buf_puts(o, " id=\"");
	field_id(o, f, id_suffix);
	buf_putc(o, '"');
	render_attr(o, "name", f->name);
	if (with_describedby)
		describedby(o, f, err);
	if (err)
		buf_puts(o, " aria-invalid=\"true\"");
}

static const char *autocomplete_for(const def_field *f)
{
	switch (f->type) {
	case FT_EMAIL:
		return "email";
	case FT_PHONE:
		return "tel";
	case FT_POSTAL_CODE:
		return "postal-code";
	case FT_COMMUNE: /* a person's own town, as browsers fill it */
		return f->personal ? "address-level2" : NULL;
	case FT_TEXT:
		if (!f->personal)
			return NULL;
		if (strcmp(f->name, "nom") == 0 || strcmp(f->name, "nom_famille") == 0 ||
		    strcmp(f->name, "family_name") == 0 || strcmp(f->name, "last_name") == 0)
			return "family-name";
		if (strcmp(f->name, "prenom") == 0 || strcmp(f->name, "given_name") == 0 ||
		    strcmp(f->name, "first_name") == 0)
			return "given-name";
		if (strcmp(f->name, "name") == 0 || strcmp(f->name, "nom_complet") == 0 ||
		    strcmp(f->name, "full_name") == 0)
			return "name";
		return NULL;
	default:
		return NULL;
	}
}

static void label_open(buf *o, const def_field *f, const char *suffix)
{
	buf_puts(o, "<label for=\"");
	field_id(o, f, suffix);
	buf_puts(o, "\">");
}

/* A group's fieldset (class cls), its legend and its notes. */
static void group_open(buf *o, const page *p, const def_form *form, const def_field *f,
		       const char *err, const char *cls)
{
	buf_puts(o, "<fieldset class=\"");
	buf_puts(o, cls);
	if (err)
		buf_puts(o, " has-error");
	buf_puts(o, "\"");
	describedby(o, f, err);
	buf_puts(o, ">\n<legend>");
	buf_html(o, f->label);
	put_required_text(o, p, f);
	buf_puts(o, "</legend>\n");
	field_notes(o, p, form, f, err);
}

/* Radios or checkboxes in a fieldset/legend. */
static void field_group(buf *o, const page *p, const def_form *form, const def_field *f,
			const value *v, const char *err, bool checkboxes)
{
	group_open(o, p, form, f, err, "group");
	for (size_t i = 0; i < f->noptions; i++) {
		char suffix[32];
		/* the first control carries id f-<name>: the error summary links to it */
		if (i == 0)
			suffix[0] = '\0';
		else
			snprintf(suffix, sizeof suffix, "-%zu", i + 1);
		buf_puts(o, "<div class=\"choice\"><input type=\"");
		buf_puts(o, checkboxes ? "checkbox" : "radio");
		buf_putc(o, '"');
		control_attrs(o, f, suffix, err, false);
		render_attr(o, "value", f->options[i].value);
		if (render_choice_selected(f, v, f->options[i].value))
			buf_puts(o, " checked");
		if (!checkboxes && f->required)
			buf_puts(o, " required");
		buf_puts(o, "> ");
		label_open(o, f, suffix);
		buf_html(o, f->options[i].label);
		buf_puts(o, "</label></div>\n");
	}
	buf_puts(o, "</fieldset>\n");
}

/* A yes_no field: two radios, Oui then Non, in a fieldset; neither checked while the
 * question is unanswered. */
static void yes_no_group(buf *o, const page *p, const def_form *form, const def_field *f,
			 const value *v, const char *err)
{
	group_open(o, p, form, f, err, "group yes-no");
	bool en = render_page_lang(p) == LANG_EN;
	for (int yes = 1; yes >= 0; yes--) {
		const char *suffix = yes ? "" : "-2"; /* the first carries id f-<name> */
		buf_puts(o, "<div class=\"choice\"><input type=\"radio\"");
		control_attrs(o, f, suffix, err, false);
		render_attr(o, "value", yes ? "1" : "0");
		if (v && v->kind == VAL_INT && v->i == yes)
			buf_puts(o, " checked");
		if (f->required)
			buf_puts(o, " required");
		buf_puts(o, "> ");
		label_open(o, f, suffix);
		buf_puts(o, yes ? (en ? "Yes" : "Oui") : (en ? "No" : "Non"));
		buf_puts(o, "</label></div>\n");
	}
	buf_puts(o, "</fieldset>\n");
}

/* One writable field: label, notes, control. */
/* A file field, before uploads exist: a paragraph, since a label would point at nothing. */
static void file_input(buf *o, const page *p, const def_form *form, const def_field *f,
		       const value *v, const char *err, const form_files *ff)
{
	label_open(o, f, NULL);
	buf_html(o, f->label);
	put_required_text(o, p, f);
	buf_puts(o, "</label>\n");
	field_notes(o, p, form, f, err);
	const upload *kept = ff ? upload_list_find(ff->kept, f->name) : NULL;
	bool has = v && v->kind == VAL_TEXT;
	if (has) {
		buf_puts(o, "<p class=\"file-current\">");
		buf_puts(o, T(p, kept ? UI_FILE_KEPT : UI_FILE_CURRENT));
		render_put_file(o, p, f, v, kept ? NULL : ff ? ff->href : NULL);
		buf_puts(o, "</p>\n");
	}
	char name[96], id[96];
	snprintf(name, sizeof name, "%s__keep", f->name);
	if (kept)
		render_hidden(o, name, kept->token);
	buf_puts(o, "<input type=\"file\"");
	control_attrs(o, f, NULL, err, true);
	if (f->accept.n) {
		buf_puts(o, " accept=\"");
		for (size_t i = 0; i < f->accept.n; i++) {
			if (i)
				buf_putc(o, ',');
			buf_html(o, f->accept.v[i]);
		}
		buf_putc(o, '"');
	}
	buf_puts(o, ">\n");
	if (has && !f->required) {
		buf_puts(o, "<div class=\"choice\"><input type=\"checkbox\" value=\"1\"");
		snprintf(name, sizeof name, "%s__clear", f->name);
		snprintf(id, sizeof id, "f-%s-clear", f->name);
		render_attr(o, "id", id);
		render_attr(o, "name", name);
		buf_puts(o, "> <label");
		render_attr(o, "for", id);
		buf_puts(o, ">");
		buf_puts(o, T(p, UI_FILE_CLEAR));
		buf_puts(o, "</label></div>\n");
	}
}

/* A checkbox, its label after it. */
static void checkbox_input(buf *o, const page *p, const def_form *form, const def_field *f,
			   const value *v, const char *err)
{
	field_notes(o, p, form, f, err);
	buf_puts(o, "<div class=\"choice\"><input type=\"checkbox\"");
	control_attrs(o, f, NULL, err, true);
	buf_puts(o, " value=\"1\"");
	if (render_value_is_true(v))
		buf_puts(o, " checked");
	if (f->required)
		buf_puts(o, " required");
	buf_puts(o, "> ");
	label_open(o, f, NULL);
	buf_html(o, f->label);
	put_required_text(o, p, f);
	buf_puts(o, "</label></div>\n");
}

static void select_input(buf *o, const page *p, const def_field *f, const value *v, const char *err)
{
	buf_puts(o, "<select");
	control_attrs(o, f, NULL, err, true);
	if (f->required)
		buf_puts(o, " required");
	buf_puts(o, ">\n<option value=\"\">");
	buf_puts(o, T(p, UI_CHOOSE));
	buf_puts(o, "</option>\n");
	for (size_t i = 0; i < f->noptions; i++) {
		buf_puts(o, "<option");
		render_attr(o, "value", f->options[i].value);
		if (render_choice_selected(f, v, f->options[i].value))
			buf_puts(o, " selected");
		buf_putc(o, '>');
		buf_html(o, f->options[i].label);
		buf_puts(o, "</option>\n");
	}
	buf_puts(o, "</select>\n");
}

static void textarea_input(buf *o, const def_field *f, const value *v, const char *err)
{
	buf tmp = BUF_INIT;
	buf_puts(o, "<textarea");
	control_attrs(o, f, NULL, err, true);
	buf_puts(o, " rows=\"6\"");
	if (f->required)
		buf_puts(o, " required");
	if (f->placeholder)
		render_attr(o, "placeholder", f->placeholder);
	buf_putc(o, '>');
	/* a leading newline would be eaten by the parser */
	buf_putc(o, '\n');
	render_input_text(f, v, &tmp);
	buf_html_n(o, tmp.data ? tmp.data : "", tmp.len);
	buf_puts(o, "</textarea>\n");
	buf_free(&tmp);
}

/* What an <input> of this type needs: its type, the keyboard, no spell check. */
static void input_kind(const def_field *f, const char **type, const char **inputmode, bool *nospell)
{
	*type = "text";
	*inputmode = NULL;
	*nospell = false;
	switch (f->type) {
	case FT_EMAIL:
		*type = "email";
		*nospell = true;
		break;
	case FT_URL:
		*type = "url";
		*nospell = true;
		break;
	case FT_PHONE:
		*type = "tel";
		break;
	case FT_POSTAL_CODE:
		*inputmode = "numeric";
		break;
	case FT_SIRET:
	case FT_SIREN:
		*inputmode = "numeric";
		*nospell = true;
		break;
	case FT_IBAN:
		*nospell = true;
		break;
	case FT_INTEGER:
		*inputmode = "numeric";
		break;
	case FT_DECIMAL:
	case FT_MONEY:
		*inputmode = "decimal";
		break;
	case FT_DATE:
		*type = "date";
		break;
	case FT_DATETIME:
		*type = "datetime-local";
		break;
	default:
		break;
	}
}

/* Where the page script finds a territory's suggestions as one types (SPEC 7,
 * /api/v1/geo/<kind>?q=…), with the field's restriction: data-geo, data-geo-query. */
static void geo_attrs(buf *o, const def_field *f)
{
	static const char *const kinds[] = {"communes", "departements", "regions", "epcis"};
	render_attr(o, "data-geo", kinds[validate_geo_kind(f->type)]);
	buf q = BUF_INIT;
	if (f->geo_departement)
		buf_printf(&q, "&departement=%s", f->geo_departement);
	if (f->geo_region)
		buf_printf(&q, "&region=%s", f->geo_region);
	if (f->geo_deleguees)
		buf_puts(&q, "&deleguees=true");
	if (q.len)
		render_attr(o, "data-geo-query", buf_cstr(&q));
	buf_free(&q);
}

static void line_input(buf *o, const def_field *f, const value *v, const char *err)
{
	const char *type, *inputmode;
	bool nospell;
	input_kind(f, &type, &inputmode, &nospell);
	if (f->type == FT_MONEY)
		buf_puts(o, "<div class=\"with-unit\">");
	buf_puts(o, "<input");
	render_attr(o, "type", type);
	control_attrs(o, f, NULL, err, true);
	buf tmp = BUF_INIT;
	render_input_text(f, v, &tmp);
	if (f->type == FT_DATETIME && tmp.len > 16 && tmp.data[10] == 'T')
		tmp.len = 16, tmp.data[16] = '\0'; /* datetime-local wants YYYY-MM-DDTHH:MM */
	render_attr(o, "value", buf_cstr(&tmp));
	buf_free(&tmp);
	if (inputmode)
		render_attr(o, "inputmode", inputmode);
	const char *ac = autocomplete_for(f);
	if (ac)
		render_attr(o, "autocomplete", ac);
	if (f->type == FT_IBAN) /* letters of an IBAN are capitals: the keyboard says so */
		buf_puts(o, " spellcheck=\"false\" autocapitalize=\"characters\"");
	else if (nospell)
		buf_puts(o, " spellcheck=\"false\" autocapitalize=\"none\"");
	if (f->type == FT_POSTAL_CODE || f->type == FT_SIREN || f->type == FT_SIRET ||
	    f->type == FT_INTEGER || f->type == FT_DECIMAL || f->type == FT_MONEY)
		buf_puts(o, " class=\"short\"");
	if (f->required)
		buf_puts(o, " required");
	if (f->placeholder)
		render_attr(o, "placeholder", f->placeholder);
	if (def_type_is_geo(f->type))
		geo_attrs(o, f);
	buf_putc(o, '>');
	if (f->type == FT_MONEY)
		buf_puts(o, "<span class=\"unit\" aria-hidden=\"true\">€</span></div>");
	buf_puts(o, "\n");
}

/* What a territory's text input takes, said in its label. */
static void geo_hint(buf *o, const page *p, const def_field *f)
{
	static const char *const fr[] = {"nom, code postal ou code INSEE", "nom ou numéro",
					 "nom ou code", "nom ou numéro SIREN"};
	static const char *const en[] = {"name, postal code or INSEE code", "name or number",
					 "name or code", "name or SIREN number"};
	geo_kind k = validate_geo_kind(f->type);
	buf_puts(o, " <span class=\"hint\">(");
	buf_puts(o, render_page_lang(p) == LANG_EN ? en[k] : fr[k]);
	buf_puts(o, ")</span>");
}

/* A candidate's label, and for a commune what tells it from a namesake: its postal codes
 * (three at most) and, when it is not a current commune, what it is. */
static void geo_choice_label(buf *o, const page *p, geo_ref e)
{
	buf b = BUF_INIT;
	geo_label(e, &b);
	size_t ncp = geo_postal_count(e);
	for (size_t i = 0; i < ncp && i < 3; i++) {
		char cp[6];
		geo_postal_code(e, i, cp);
		buf_printf(&b, "%s%s", i ? ", " : " — ", cp);
	}
	if (ncp > 3)
		buf_puts(&b, "…");
	if (!geo_is_current(e)) {
		bool en = render_page_lang(p) == LANG_EN;
		const char *t = geo_commune_type(e);
		buf_puts(&b,
			 strcmp(t, "arrondissement-municipal") == 0
			     ? (en ? ", municipal arrondissement" : ", arrondissement municipal")
			 : strcmp(t, "commune-associee") == 0
			     ? (en ? ", associated commune" : ", commune associée")
			     : (en ? ", delegated commune" : ", commune déléguée"));
	}
	buf_html(o, buf_cstr(&b));
	buf_free(&b);
}

/*
 * A territory whose input named several entries: each as a radio whose value is the text
 * that reads back as it, in a fieldset, then the text box, with what was typed, to type
 * another. A chosen radio comes first in the form's data, so it wins (validate_geo.h).
 */
static void geo_choices(buf *o, const page *p, const def_form *form, const def_field *f,
			const char *typed, const geo_ref *c, size_t n, const char *err)
{
	static const char *const other_fr[] = {
	    "Ou saisissez une autre commune", "Ou saisissez un autre département",
	    "Ou saisissez une autre région", "Ou saisissez un autre EPCI"};
	group_open(o, p, form, f, err, "group geo-choices");
	geo_scope sc = validate_geo_scope(f);
	buf text = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		char suffix[32];
		/* the first control carries id f-<name>: the error summary links to it */
		if (i == 0)
			suffix[0] = '\0';
		else
			snprintf(suffix, sizeof suffix, "-%zu", i + 1);
		buf_reset(&text);
		geo_input_text(c[i], &sc, &text);
		buf_puts(o, "<div class=\"choice\"><input type=\"radio\"");
		control_attrs(o, f, suffix, err, false);
		render_attr(o, "value", buf_cstr(&text));
		buf_puts(o, "> ");
		label_open(o, f, suffix);
		geo_choice_label(o, p, c[i]);
		buf_puts(o, "</label></div>\n");
	}
	buf_free(&text);
	buf_puts(o, "<div class=\"geo-other\">");
	label_open(o, f, "-other");
	buf_puts(o, render_page_lang(p) == LANG_EN ? "Or type another one"
						   : other_fr[validate_geo_kind(f->type)]);
	buf_puts(o, "</label>\n<input type=\"text\"");
	control_attrs(o, f, "-other", NULL, false);
	render_attr(o, "value", typed);
	buf_puts(o, "></div>\n</fieldset>\n");
}

/* A reference's option or choice: its label, or its number when the reader may not read
 * the label. */
static void ref_item_text(buf *o, const ref_item *it)
{
	if (it->label)
		buf_html(o, it->label);
	else
		buf_printf(o, "n° %lld", (long long)it->id);
}

/* A reference with few targets: a select of them, by label. */
static void ref_select(buf *o, const page *p, const def_field *f, const ref_input *in,
		       const value *v, const char *err)
{
	buf_puts(o, "<select");
	control_attrs(o, f, NULL, err, true);
	if (f->required)
		buf_puts(o, " required");
	buf_puts(o, ">\n<option value=\"\">");
	buf_puts(o, T(p, UI_CHOOSE));
	buf_puts(o, "</option>\n");
	for (size_t i = 0; i < in->noptions; i++) {
		buf_printf(o, "<option value=\"%lld\"", (long long)in->options[i].id);
		if (v && v->kind == VAL_INT && v->i == in->options[i].id)
			buf_puts(o, " selected");
		buf_putc(o, '>');
		ref_item_text(o, &in->options[i]);
		buf_puts(o, "</option>\n");
	}
	buf_puts(o, "</select>\n");
}

/* A search that matched several records: them as radios (first in the form data, so a
 * chosen one wins), then the box to type something else, as territories do. */
static void ref_choices(buf *o, const page *p, const def_form *form, const def_field *f,
			const ref_input *in, const char *typed, const char *err)
{
	group_open(o, p, form, f, err, "group ref-choices");
	for (size_t i = 0; i < in->nchoices; i++) {
		char suffix[32] = "";
		if (i > 0) /* the first control carries id f-<name>: the error summary's target */
			snprintf(suffix, sizeof suffix, "-%zu", i + 1);
		buf_puts(o, "<div class=\"choice\"><input type=\"radio\"");
		control_attrs(o, f, suffix, err, false);
		buf_printf(o, " value=\"%lld\"> ", (long long)in->choices[i].id);
		label_open(o, f, suffix);
		ref_item_text(o, &in->choices[i]);
		buf_printf(o, " (n° %lld)</label></div>\n", (long long)in->choices[i].id);
	}
	buf_puts(o, "<div class=\"ref-other\">");
	label_open(o, f, "-other");
	buf_puts(o, render_page_lang(p) == LANG_EN
			? "Or type another search or number"
			: "Ou saisissez une autre recherche ou un numéro");
	buf_puts(o, "</label>\n<input type=\"text\"");
	control_attrs(o, f, "-other", NULL, false);
	render_attr(o, "value", typed);
	buf_puts(o, "></div>\n</fieldset>\n");
}

/* A reference with many targets: a text box taking a number or words of a label. */
static void ref_text(buf *o, const page *p, const def_field *f, const value *v, const char *err)
{
	buf_puts(o, "<input type=\"text\"");
	control_attrs(o, f, NULL, err, true);
	if (v && v->kind == VAL_INT)
		buf_printf(o, " value=\"%lld\"", (long long)v->i);
	else if (v && v->kind == VAL_TEXT)
		render_attr(o, "value", v->s);
	if (f->required)
		buf_puts(o, " required");
	buf_puts(o, ">\n");
	if (v && v->kind == VAL_INT) { /* what the number names, for the eye */
		buf_puts(o, "<p class=\"hint\">");
		render_put_display(o, p, f, v);
		buf_puts(o, "</p>\n");
	}
}

/* One field's control, with its label, notes and error, in its <div class="field">. */
static void field_input(buf *o, const page *p, const def_form *form, const def_field *f,
			const value *v, const char *err, const form_files *ff)
{
	if ((f->type == FT_CHOICE && f->widget_radio) || f->type == FT_MULTICHOICE) {
		field_div_open(o, form, f, "field");
		field_group(o, p, form, f, v, err, f->type == FT_MULTICHOICE);
		buf_puts(o, "</div>\n");
		return;
	}
	if (f->type == FT_BOOLEAN && f->yes_no) {
		field_div_open(o, form, f, "field");
		yes_no_group(o, p, form, f, v, err);
		buf_puts(o, "</div>\n");
		return;
	}
	geo_ref cands[VALIDATE_GEO_CHOICES];
	size_t ncands = def_type_is_geo(f->type) && err && v && v->kind == VAL_TEXT
			    ? validate_geo_choices(f, v->s, cands, VALIDATE_GEO_CHOICES)
			    : 0;
	if (ncands) {
		field_div_open(o, form, f, "field has-error");
		geo_choices(o, p, form, f, v->s, cands, ncands, err);
		buf_puts(o, "</div>\n");
		return;
	}
	const ref_input *ref = f->type == FT_REFERENCE ? ref_view_input(p->refs, f) : NULL;
	if (ref && ref->nchoices && err && v && v->kind == VAL_TEXT) {
		field_div_open(o, form, f, "field has-error");
		ref_choices(o, p, form, f, ref, v->s, err);
		buf_puts(o, "</div>\n");
		return;
	}
	field_div_open(o, form, f, err ? "field has-error" : "field");
	if (f->type == FT_FILE) {
		file_input(o, p, form, f, v, err, ff);
	} else if (f->type == FT_BOOLEAN) {
		checkbox_input(o, p, form, f, v, err);
	} else {
		label_open(o, f, NULL);
		buf_html(o, f->label);
		if (f->type == FT_MONEY) {
			buf_puts(o, "<span class=\"sr-only\">");
			buf_puts(o, T(p, UI_EUROS_SR));
			buf_puts(o, "</span>");
		}
		if (def_type_is_geo(f->type))
			geo_hint(o, p, f);
		if (ref && !ref->select)
			buf_puts(o, render_page_lang(p) == LANG_EN
					? " <span class=\"hint\">(number or search)</span>"
					: " <span class=\"hint\">(numéro ou recherche)</span>");
		put_required_text(o, p, f);
		buf_puts(o, "</label>\n");
		field_notes(o, p, form, f, err);
		if (f->type == FT_CHOICE)
			select_input(o, p, f, v, err);
		else if (ref && ref->select)
			ref_select(o, p, f, ref, v, err);
		else if (ref)
			ref_text(o, p, f, v, err);
		else if (f->type == FT_TEXTAREA)
			textarea_input(o, f, v, err);
		else
			line_input(o, f, v, err);
	}
	buf_puts(o, "</div>\n");
}

/* "Ligne 2" / "Line 2": a line's legend and what its remove button names. */
static void line_name(buf *o, const page *p, size_t k)
{
	buf_printf(o, render_page_lang(p) == LANG_EN ? "Line %zu" : "Ligne %zu", k);
}

/* Adds autofocus to the first control written into o from byte `from` on: the page came
 * back without script for a line added or removed, and the person goes on there. */
static void focus_first_control(buf *o, size_t from)
{
	static const char *const tags[] = {"<input", "<select", "<textarea"};
	const char *at = NULL, *s = o->data + from;
	size_t tag = 0;
	for (size_t i = 0; i < 3; i++) {
		const char *hit = strstr(s, tags[i]);
		if (hit && (!at || hit < at))
			at = hit, tag = strlen(tags[i]);
	}
	if (!at)
		return;
	size_t pos = (size_t)(at - o->data) + tag, tail = o->len - pos;
	buf_reserve(o, 10);
	memmove(o->data + pos + 10, o->data + pos, tail + 1);
	memcpy(o->data + pos, " autofocus", 10);
	o->len += 10;
}

/* One line of a repeat: a fieldset whose controls are its sub-fields, named
 * "<field>[k].<sub>" (their errors are found under the same names), and its remove
 * button (a submit: no script needed). */
static void repeat_line(buf *o, const page *p, const def_form *form, const def_field *f,
			const json_t *line, size_t k, bool removable, const field_errors *errors)
{
	buf_printf(o, "<fieldset class=\"line\" id=\"f-%s-%zu\"><legend>", f->name, k);
	line_name(o, p, k);
	buf_puts(o, "</legend>\n");
	size_t first = o->len;
	buf name = BUF_INIT;
	for (size_t i = 0; i < f->nsub; i++) {
		def_field cell = f->sub[i];
		buf_reset(&name);
		validate_repeat_name(f, k, &f->sub[i], &name);
		cell.name = buf_cstr(&name);
		value v;
		validate_repeat_cell(&f->sub[i], json_object_get(line, f->sub[i].name), &v);
		field_input(o, p, form, &cell, &v,
			    errors ? field_errors_get(errors, cell.name) : NULL, NULL);
		value_clear(&v);
	}
	buf_free(&name);
	buf_reset(&name);
	validate_repeat_name(f, k, NULL, &name);
	if (p->focus_line && strcmp(p->focus_line, buf_cstr(&name)) == 0)
		focus_first_control(o, first);
	buf_free(&name);
	{ /* the only line: no removing it (the page script shows it again once there are two) */
		buf_printf(o,
			   "<button type=\"submit\" class=\"secondary\" name=\"_remove\" "
			   "value=\"%s[%zu]\" formnovalidate%s>",
			   f->name, k, removable ? "" : " hidden");
		buf_puts(o, render_page_lang(p) == LANG_EN ? "Remove " : "Supprimer la ");
		if (render_page_lang(p) == LANG_EN)
			line_name(o, p, k);
		else
			buf_printf(o, "ligne %zu", k);
		buf_puts(o, "</button>\n");
	}
	buf_puts(o, "</fieldset>\n");
}

/*
 * A repeat: its lines (at least min, at least one), each with its sub-fields, then "Ajouter
 * une ligne" while under max. Both buttons are submits that bring the form back with
 * every value kept (pages: _add, _remove); the line count error sits under the legend.
 */
static void repeat_input(buf *o, const page *p, const def_form *form, const def_field *f,
			 const value *v, const field_errors *errors)
{
	const char *err = errors ? field_errors_get(errors, f->name) : NULL;
	json_t *lines = v ? validate_repeat_lines(v) : json_array();
	size_t want = f->has_min && f->min > 1 ? (size_t)f->min : 1;
	while (json_array_size(lines) < want)
		json_array_append_new(lines, json_object());
	size_t n = json_array_size(lines);
	field_div_open(o, form, f, err ? "field repeat has-error" : "field repeat");
	buf_puts(o, "<fieldset class=\"lines\" tabindex=\"-1\" id=\"");
	field_id(o, f, NULL);
	buf_printf(o, "\" data-repeat=\"%s\" data-max=\"%g\"", f->name, f->has_max ? f->max : 0);
	describedby(o, f, err);
	buf_puts(o, ">\n<legend>");
	buf_html(o, f->label);
	put_required_text(o, p, f);
	buf_puts(o, "</legend>\n");
	field_notes(o, p, form, f, err);
	for (size_t k = 0; k < n; k++)
		repeat_line(o, p, form, f, json_array_get(lines, k), k + 1, n > 1, errors);
	if (!f->has_max || (double)n < f->max) {
		buf_printf(o,
			   "<button type=\"submit\" class=\"secondary\" name=\"_add\" "
			   "value=\"%s\" formnovalidate>",
			   f->name);
		buf_puts(o, render_page_lang(p) == LANG_EN ? "Add a line" : "Ajouter une ligne");
		buf_puts(o, "</button>\n");
	}
	buf_puts(o, "</fieldset>\n</div>\n");
	json_decref(lines);
}

/* A readable, non-writable field inside a form: shown as text. */
static void field_readonly(buf *o, const page *p, const def_form *form, const def_field *f,
			   const value *v)
{
	field_div_open(o, form, f, "field readonly");
	buf_puts(o, "<p class=\"label\">");
	buf_html(o, f->label);
	buf_puts(o, "</p>\n<p class=\"value\">");
	render_put_display(o, p, f, v);
	buf_puts(o, "</p>\n</div>\n");
}

/* Whether the field is shown as a focusable control whose id is f-<name>. */
static bool has_control(const def_field *f, const bool *writable)
{
	if (f->col < 0 || f->type == FT_SECTION)
		return false;
	if (f->type == FT_MULTICHOICE || (f->type == FT_CHOICE && f->widget_radio))
		if (f->noptions == 0)
			return false;
	return render_mask(writable, (size_t)f->col);
}

/*
 * The error summary: a heading with the count and a link per field in error.
 * `fields`/`nfields` are the fields rendered as controls on this page.
 */
static void summary_items(buf *o, const field_errors *errors, const def_field *const *fields,
			  size_t nfields, bool en);

/* The warn hook's warnings: they do not block; the person fixes or confirms. */
static void warning_summary(buf *o, const page *p, const field_errors *warnings,
			    const def_field *const *fields, size_t nfields)
{
	if (!warnings || warnings->n == 0)
		return;
	bool en = render_page_lang(p) == LANG_EN;
	buf_puts(o, "<div class=\"notice warning\" role=\"alert\" "
		    "aria-labelledby=\"warning-summary-title\" tabindex=\"-1\">\n"
		    "<h2 id=\"warning-summary-title\">");
	buf_puts(o, en ? "Check before saving" : "Vérifiez avant d'enregistrer");
	buf_puts(o, "</h2>\n<p>");
	buf_puts(o, en ? "These points do not prevent saving: correct them if need be, or "
			 "confirm."
		       : "Ces points n'empêchent pas l'enregistrement : corrigez-les si besoin, "
			 "ou confirmez.");
	buf_puts(o, "</p>\n<ul>\n");
	summary_items(o, warnings, fields, nfields, en);
	buf_puts(o, "</ul>\n</div>\n");
}

static void error_summary(buf *o, const page *p, const field_errors *errors,
			  const def_field *const *fields, size_t nfields)
{
	if (!errors || errors->n == 0)
		return;
	buf_puts(o, "<div class=\"error-summary\" role=\"alert\" "
		    "aria-labelledby=\"error-summary-title\" tabindex=\"-1\">\n"
		    "<h2 id=\"error-summary-title\">");
	if (errors->n == 1) {
		buf_puts(o, T(p, UI_ERR_SUM_ONE));
	} else {
		buf_puts(o, T(p, UI_ERR_SUM_A));
		render_put_int(o, (int64_t)errors->n);
		buf_puts(o, T(p, UI_ERR_SUM_B));
	}
	buf_puts(o, "</h2>\n<ul>\n");
	summary_items(o, errors, fields, nfields, render_page_lang(p) == LANG_EN);
	buf_puts(o, "</ul>\n</div>\n");
}

/* A repeat's items: its own error, then its lines' ("Articles, ligne 2, Quantité : …"),
 * each a link to its control. */
static void line_items(buf *o, const field_errors *errors, const def_field *f, const char *own,
		       bool lang_is_en)
{
	if (own) {
		buf_puts(o, "<li><a href=\"#");
		field_id(o, f, NULL);
		buf_puts(o, "\">");
		buf_html(o, f->label);
		buf_puts(o, " : ");
		buf_html(o, own);
		buf_puts(o, "</a></li>\n");
	}
	for (size_t i = 0; i < errors->n; i++) {
		size_t k;
		const def_field *sub = validate_repeat_sub_of(f, errors->v[i].field, &k);
		if (!sub)
			continue;
		buf_puts(o, "<li><a href=\"#f-");
		buf_html(o, errors->v[i].field);
		buf_puts(o, "\">");
		buf_html(o, f->label);
		buf_printf(o, ", %s %zu, ", lang_is_en ? "line" : "ligne", k);
		buf_html(o, sub->label);
		buf_puts(o, " : ");
		buf_html(o, errors->v[i].message);
		buf_puts(o, "</a></li>\n");
	}
}

/* The summary's items: the form's own messages as text, then a link per field. */
static void summary_items(buf *o, const field_errors *errors, const def_field *const *fields,
			  size_t nfields, bool en)
{
	/* errors not tied to a control (the form's "_") first, as text */
	for (size_t i = 0; i < errors->n; i++) {
		const field_error *e = &errors->v[i];
		bool tied = false;
		size_t k;
		for (size_t j = 0; j < nfields && e->field; j++)
			tied |= strcmp(fields[j]->name, e->field) == 0 ||
				(fields[j]->type == FT_REPEAT &&
				 validate_repeat_sub_of(fields[j], e->field, &k));
		if (tied)
			continue;
		buf_puts(o, "<li>");
		buf_html(o, e->message);
		buf_puts(o, "</li>\n");
	}
	/* then a link per field in error, in the order of the page */
	for (size_t j = 0; j < nfields; j++) {
		const char *msg = field_errors_get(errors, fields[j]->name);
		if (fields[j]->type == FT_REPEAT)
			line_items(o, errors, fields[j], msg, en);
		if (!msg || fields[j]->type == FT_REPEAT)
			continue;
		buf_puts(o, "<li><a href=\"#");
		field_id(o, fields[j], NULL);
		buf_puts(o, "\">");
		buf_html(o, fields[j]->label);
		buf_puts(o, " : ");
		buf_html(o, msg);
		buf_puts(o, "</a></li>\n");
	}
}

/* Value shown in an input: the record's, or the field's default on a blank form. */
static const value *shown_value(const page *p, const def_field *f, const record *values,
				value *scratch)
{
	if (values)
		return render_val_at(values, f->col);
	if (!f->default_value)
		return NULL;
	char msg[VALIDATE_MSG];
	if (validate_parse_json(f, f->default_value, scratch, render_page_lang(p), msg) != 0) {
		value_clear(scratch);
		return NULL;
	}
	return scratch;
}

/*
 * An info item: its label as a heading-like line, then its text, paragraph by paragraph
 * (blank lines), each web address (https://…) a link. Escaped by construction.
 */
static void info_text(buf *o, const def_field *f)
{
	buf_puts(o, "<div class=\"info\">\n");
	if (f->label && *f->label) {
		buf_puts(o, "<p class=\"info-title\"><strong>");
		buf_html(o, f->label);
		buf_puts(o, "</strong></p>\n");
	}
	const char *t = f->text ? f->text : "";
	while (*t) {
		const char *end = strstr(t, "\n\n");
		size_t n = end ? (size_t)(end - t) : strlen(t);
		buf_puts(o, "<p>");
		for (size_t i = 0; i < n;) {
			bool url = (n - i > 8 && strncmp(t + i, "https://", 8) == 0) ||
				   (n - i > 7 && strncmp(t + i, "http://", 7) == 0);
			size_t k = i;
			if (url) {
				while (k < n && !isspace((unsigned char)t[k]) && t[k] != '<' &&
				       t[k] != '>' && t[k] != '"')
					k++;
				while (k > i && strchr(".,;:!?)", t[k - 1]))
					k--; /* the sentence's punctuation, not the address's */
				buf_puts(o, "<a href=\"");
				buf_html_n(o, t + i, k - i);
				buf_puts(o, "\">");
				buf_html_n(o, t + i, k - i);
				buf_puts(o, "</a>");
			} else {
				k++; /* (at least one character: "http://" alone is text) */
				while (k < n && !(strncmp(t + k, "https://", 8) == 0 ||
						  strncmp(t + k, "http://", 7) == 0))
					k++;
				buf_html_n(o, t + i, k - i);
			}
			i = k;
		}
		buf_puts(o, "</p>\n");
		t += n;
		while (*t == '\n')
			t++;
	}
	buf_puts(o, "</div>\n");
}

/* Whether the person is asked personal data in this form (GDPR art. 13: say so there). */
bool render_collects_personal(const def_form *f, const bool *writable)
{
	for (size_t c = 0; c < f->ncols; c++)
		if (f->cols[c]->personal && render_mask(writable, c))
			return true;
	return false;
}

/* Fields of `fields` (sections included) as controls or read-only text. */
void render_form_fields(buf *o, const page *p, const def_form *form, const def_field *fields,
			size_t nfields, const record *values, const field_errors *errors,
			const bool *writable, const bool *readable, const form_files *ff)
{
	const def_field *pending = NULL; /* section whose fieldset opens with its first field */
	bool open = false;
	for (size_t i = 0; i < nfields; i++) {
		const def_field *f = &fields[i];
		if (f->type == FT_SECTION) {
			if (open)
				buf_puts(o, "</fieldset>\n");
			open = false;
			pending = f;
			continue;
		}
		if (f->type == FT_INFO) {
			info_text(o, f);
			continue;
		}
		if (f->col < 0)
			continue;
		bool w = render_mask(writable, (size_t)f->col),
		     r = render_mask(readable, (size_t)f->col);
		if (!w && !r)
			continue;
		if (pending) {
			buf_puts(o, "<fieldset class=\"section\"");
			cond_attr(o, form, "data-visible-if", &pending->visible_if);
			buf_puts(o, ">\n<legend>");
			buf_html(o, pending->label);
			buf_puts(o, "</legend>\n");
			if (pending->help && *pending->help) {
				buf_puts(o, "<p class=\"help\">");
				buf_html(o, pending->help);
				buf_puts(o, "</p>\n");
			}
			if (pending->visible_if.n) { /* without script, every group is shown */
				buf_puts(o, "<p class=\"hint cond\">");
				buf_puts(o, T(p, UI_VISIBLE_IF));
				put_conds(o, p, form, &pending->visible_if);
				buf_puts(o, ".</p>\n");
			}
			pending = NULL;
			open = true;
		}
		value scratch = {VAL_NULL, 0, 0, NULL};
		const value *v = shown_value(p, f, values, &scratch);
		if (w && f->type == FT_REPEAT)
			repeat_input(o, p, form, f, v, errors);
		else if (w)
			field_input(o, p, form, f, v,
				    errors ? field_errors_get(errors, f->name) : NULL, ff);
		else
			field_readonly(o, p, form, f, v);
		value_clear(&scratch);
	}
	if (open)
		buf_puts(o, "</fieldset>\n");
}

/* A form with a file input is sent as multipart/form-data (the only way files travel). */
static void form_open(buf *o, const def_field *fields, size_t nfields, const bool *writable,
		      const char *action)
{
	bool live = has_conditions(fields, nfields), lines = false;
	for (size_t i = 0; i < nfields; i++) /* lines and territories: the script helps too */
		lines |= (fields[i].type == FT_REPEAT || def_type_is_geo(fields[i].type)) &&
			 render_mask(writable, (size_t)fields[i].col);
	if (live || lines) { /* deferred: it runs once the form is there */
		buf_puts(o, "<script src=\"");
		buf_puts(o, render_asset_path("conditions.js"));
		buf_puts(o, "\" defer></script>\n");
	}
	buf_puts(o, live ? "<form method=\"post\" novalidate data-conditions"
			 : "<form method=\"post\" novalidate");
	for (size_t i = 0; i < nfields; i++)
		if (fields[i].type == FT_FILE && fields[i].col >= 0 &&
		    render_mask(writable, (size_t)fields[i].col)) {
			buf_puts(o, " enctype=\"multipart/form-data\"");
			break;
		}
	render_attr(o, "action", action);
	buf_puts(o, ">\n");
}

/* Controls rendered by form_fields, for the error summary's links. Caller frees. */
static const def_field **controls(const def_field *fields, size_t nfields, const bool *writable,
				  size_t *n)
{
	const def_field **v = xcalloc(nfields ? nfields : 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < nfields; i++)
		if (has_control(&fields[i], writable))
			v[(*n)++] = &fields[i];
	return v;
}

/* ---- form ---- */

/* The 409 notice and the comparison table of differing fields. */
static void conflict(buf *o, const page *p, const form_view *v)
{
	const def_form *f = v->form;
	buf_puts(o, "<div class=\"notice warning\" role=\"alert\">\n<h2>");
	buf_puts(o, T(p, UI_CONFLICT_TITLE));
	buf_puts(o, "</h2>\n<p>");
	buf_puts(o, T(p, UI_CONFLICT_TEXT));
	buf_puts(o, "</p>\n</div>\n");
	render_table_open(o, "conflit", NULL);
	buf_puts(o, T(p, UI_CONFLICT_CAPTION));
	buf_puts(o, "</span></caption>\n<thead><tr><th scope=\"col\">");
	buf_puts(o, T(p, UI_FIELD));
	buf_puts(o, "</th><th scope=\"col\">");
	buf_puts(o, T(p, UI_YOUR_INPUT));
	buf_puts(o, "</th><th scope=\"col\">");
	buf_puts(o, T(p, UI_STORED));
	buf_puts(o, "</th></tr></thead>\n<tbody>\n");
	if (v->theirs && v->theirs->state && v->values && v->values->state &&
	    strcmp(v->theirs->state, v->values->state) != 0 && f->workflow) {
		buf_puts(o, "<tr><th scope=\"row\">");
		buf_puts(o, T(p, UI_STATE));
		buf_puts(o, "</th><td>");
		buf_html(o, render_state_label(f, v->values->state));
		buf_puts(o, "</td><td>");
		buf_html(o, render_state_label(f, v->theirs->state));
		buf_puts(o, "</td></tr>\n");
	}
	for (size_t c = 0; c < f->ncols; c++) {
		if (!render_mask(v->readable, c))
			continue;
		const value *mine = render_val_at(v->values, (int)c),
			    *theirs = render_val_at(v->theirs, (int)c);
		value null = {VAL_NULL, 0, 0, NULL};
		if (value_equal(mine ? mine : &null, theirs ? theirs : &null))
			continue;
		buf_puts(o, "<tr><th scope=\"row\">");
		buf_html(o, f->cols[c]->label);
		buf_puts(o, "</th><td>");
		render_put_display(o, p, f->cols[c], mine);
		buf_puts(o, "</td><td>");
		render_put_display(o, p, f->cols[c], theirs);
		buf_puts(o, "</td></tr>\n");
	}
	buf_puts(o, "</tbody>\n</table>\n</div>\n");
}

/*
 * Enter in a text box sends the form through its first submit button: with a repeat,
 * that would be "Ajouter une ligne" or "Supprimer la ligne 1". A first button that does
 * what the visible main one does, out of sight and of the tab order, keeps Enter meaning
 * "send" (or "next step").
 */
static void default_submit(buf *out, const page *p, const form_view *v)
{
	bool lines = false;
	for (size_t i = 0; i < v->form->nfields && !lines; i++)
		lines = v->form->fields[i].type == FT_REPEAT &&
			render_mask(v->writable, (size_t)v->form->fields[i].col);
	if (!lines)
		return;
	bool next = v->stepped && v->step < v->form->nsteps;
	buf_puts(out, "<button type=\"submit\" class=\"default-submit\" tabindex=\"-1\" "
		      "aria-hidden=\"true\"");
	if (next)
		buf_puts(out, " name=\"_nav\" value=\"next\"");
	buf_putc(out, '>');
	buf_puts(out, next ? (render_page_lang(p) == LANG_EN ? "Next" : "Suivant")
			   : T(p, v->editing ? UI_SAVE : UI_SEND));
	buf_puts(out, "</button>\n");
}

void render_form(buf *out, const page *p, const form_view *v)
{
	const def_form *f = v->form;
	bool has_errors = v->errors && v->errors->n > 0;
	size_t nctl;
	const def_field **ctl = controls(f->fields, f->nfields, v->writable, &nctl);

	render_page_open(out, p, has_errors);
	buf_html(out, f->title);
	if (v->editing) {
		buf_puts(out, T(p, UI_NUMBER));
		render_put_int(out, v->id);
	}
	buf_puts(out, T(p, v->editing ? UI_EDIT_SUFFIX : UI_NEW_SUFFIX));
	if (v->stepped) /* where one is, in the window's title too */
		buf_printf(
		    out, render_page_lang(p) == LANG_EN ? " — step %d of %d" : " — étape %d sur %d",
		    v->step + 1, f->nsteps + 1);
	render_page_body(out, p);
	render_breadcrumb(out, p, v->app, f, v->editing ? v->id : 0);
	buf_puts(out, "<h1>");
	buf_html(out, f->title);
	if (v->editing) {
		buf_puts(out, T(p, UI_NUMBER));
		render_put_int(out, v->id);
	}
	buf_puts(out, T(p, v->editing ? UI_EDIT_SUFFIX : UI_NEW_SUFFIX));
	buf_puts(out, "</h1>\n");
	render_draft_status(out, p, v);
	error_summary(out, p, v->errors, ctl, nctl);
	warning_summary(out, p, v->warnings, ctl, nctl);
	if (v->theirs)
		conflict(out, p, v);
	if (!v->editing && f->description && *f->description) {
		buf_puts(out, "<p>");
		buf_html(out, f->description);
		buf_puts(out, "</p>\n");
	}

	form_open(out, f->fields, f->nfields, v->writable, v->action);
	render_csrf_input(out, p);
	if (v->editing) {
		char ver[32];
		/* After a conflict, saving means "replace the version I was shown". */
		snprintf(ver, sizeof ver, "%" PRId64, v->theirs ? v->theirs->version : v->version);
		render_hidden(out, "version", ver);
	}
	render_draft_hidden(out, v);
	buf_putc(out, '\n');
	default_submit(out, p, v);
	if (v->stepped) {
		render_form_step(out, p, v);
		render_draft_delete(out, p, v);
		free(ctl);
		render_page_close(out, p);
		return;
	}
	/* A blank form shows only what the person can fill: a computed field, another
	 * role's or a later step's has nothing to say yet. */
	render_form_fields(out, p, f, f->fields, f->nfields, v->values, v->errors, v->writable,
			   v->editing ? v->readable : v->writable, &v->files);
	if (!v->editing && render_collects_personal(f, v->writable))
		render_privacy_short(out, p, v->app);
	buf_puts(out, "<div class=\"actions\">");
	if (v->warnings && v->warnings->n) {
		buf_puts(out, "<button type=\"submit\" name=\"_confirm\" value=\"1\">");
		buf_puts(out, render_page_lang(p) == LANG_EN ? "Confirm anyway"
							     : "Confirmer quand même");
		buf_puts(out, "</button> <button type=\"submit\" class=\"secondary\">");
	} else {
		buf_puts(out, "<button type=\"submit\">");
	}
	buf_puts(out, T(p, v->editing ? UI_SAVE : UI_SEND));
	buf_puts(out, "</button> ");
	render_draft_button(out, p, v);
	buf_puts(out, "<a href=\"");
	if (v->editing)
		render_url_record(out, v->app, f, v->id);
	else
		render_url_form(out, v->app, f);
	buf_puts(out, "\">");
	buf_puts(out, T(p, UI_CANCEL));
	buf_puts(out, "</a></div>\n</form>\n");
	render_draft_delete(out, p, v);
	free(ctl);
	render_page_close(out, p);
}

/* ---- transition form ---- */

void render_transition(buf *out, const page *p, const transition_view *v)
{
	const def_form *f = v->form;
	const def_transition *t = v->transition;
	bool has_errors = v->errors && v->errors->n > 0;
	const record *vals = v->values ? v->values : v->rec;

	/* Every transition field is writable here (it is filled when triggering). */
	bool *w = xcalloc(f->ncols ? f->ncols : 1, sizeof *w);
	for (size_t i = 0; i < t->nfields; i++)
		if (t->fields[i].col >= 0 && (size_t)t->fields[i].col < f->ncols &&
		    (!v->writable || v->writable[i]))
			w[t->fields[i].col] = true;
	size_t nctl;
	const def_field **ctl = controls(t->fields, t->nfields, w, &nctl);
	/* The comment textarea as a pseudo-field, so it shares the field machinery. */
	def_field comment = {0};
	comment.name = "_comment";
	comment.label = T(p, UI_COMMENT);
	comment.type = FT_TEXTAREA;
	comment.col = -1;
	comment.help = T(p, UI_TRANSITION_COMMENT_HELP);
	comment.required = t->comment == COMMENT_REQUIRED;
	comment.min_length = -1;
	comment.max_length = 10000;
	comment.scale = -1;
	comment.max_size = -1;
	const def_field **all = xcalloc(nctl + 1, sizeof *all);
	memcpy(all, ctl, nctl * sizeof *all);
	size_t nall = nctl;
	if (t->comment != COMMENT_NONE)
		all[nall++] = &comment;

	render_page_open(out, p, has_errors);
	buf_html(out, t->label);
	buf_puts(out, " — ");
	buf_html(out, f->title);
	buf_puts(out, T(p, UI_NUMBER));
	render_put_int(out, v->rec->id);
	render_page_body(out, p);
	render_breadcrumb(out, p, v->app, f, v->rec->id);
	buf_puts(out, "<h1>");
	buf_html(out, t->label);
	buf_puts(out, " — ");
	buf_html(out, f->title);
	buf_puts(out, T(p, UI_NUMBER));
	render_put_int(out, v->rec->id);
	buf_puts(out, "</h1>\n");
	error_summary(out, p, v->errors, all, nall);
	form_open(out, t->fields, t->nfields, w, v->action);
	render_csrf_input(out, p);
	char ver[32];
	snprintf(ver, sizeof ver, "%" PRId64, v->rec->version);
	render_hidden(out, "version", ver);
	buf_putc(out, '\n');
	render_form_fields(out, p, f, t->fields, t->nfields, vals, v->errors, w, w, &v->files);
	if (t->comment != COMMENT_NONE) {
		value cv = {VAL_NULL, 0, 0, NULL};
		if (v->comment && *v->comment)
			value_set_text(&cv, v->comment);
		field_input(out, p, f, &comment, &cv,
			    v->errors ? field_errors_get(v->errors, "_comment") : NULL, NULL);
		value_clear(&cv);
	}
	buf_puts(out, "<div class=\"actions\"><button type=\"submit\">");
	buf_html(out, t->label);
	buf_puts(out, "</button> <a href=\"");
	render_url_record(out, v->app, f, v->rec->id);
	buf_puts(out, "\">");
	buf_puts(out, T(p, UI_CANCEL));
	buf_puts(out, "</a></div>\n</form>\n");
	free(all);
	free(ctl);
	free(w);
	render_page_close(out, p);
}
