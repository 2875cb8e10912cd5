/*
 * test_render — the HTML pages: escaping by construction and the accessibility
 * rules of SPEC 6 (RGAA 4.1 / WCAG 2.1 AA), checked with plain string searches on
 * the produced markup (no HTML parser): one <h1>, lang, labels tied to controls,
 * aria-describedby resolving to ids on the page, error summary links, groups in
 * fieldset/legend, CSRF in every POST form, required said in text, English strings.
 *
 * The fixture is a hand-built definition whose every app-provided string carries
 * the payload XSS; no page may contain it raw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "render.h"

#define XSS "<script>alert(\"x\")&'</script>"
#define XSS_ESC "&lt;script&gt;alert(&quot;x&quot;)&amp;&#39;&lt;/script&gt;"

/* ---- fixture ---- */

enum {
	C_NOM, C_COURRIEL, C_TEL, C_CP, C_DOSES, C_MONTANT, C_VACCIN, C_CENTRE, C_URGENT,
	C_MOTIF, C_OPTIONS, C_PIECE, C_NOTE, C_SECRET, C_LIVREE, NCOLS
};

typedef struct fixture {
	def_app app;
	def_form form;
	def_field fields[16];
	size_t nfields;
	const def_field *cols[NCOLS];
	def_option vaccin_opts[2], centre_opts[2], option_opts[3];
	def_cond urgent_cond;
	const char *true_v[1];
	def_workflow wf;
	def_state states[3];
	def_transition trans[3];
	const char *from_soumise[1];
	int from_index[1];
	def_field livree;
	const char *list_cols[3];
	const char *list_filters[2];
	bool all[NCOLS], none[NCOLS], form_w[NCOLS], form_r[NCOLS];
	record rec, theirs;
	page pg;
} fixture;

static def_field *add_field(fixture *x, const char *name, const char *label, field_type t,
                            int col)
{
	def_field *f = &x->fields[x->nfields++];
	memset(f, 0, sizeof *f);
	f->name = name;
	f->label = label;
	f->type = t;
	f->col = col;
	f->min_length = f->max_length = -1;
	f->scale = -1;
	f->max_size = -1;
	if (col >= 0)
		x->cols[col] = f;
	return f;
}

static int setup(void **state)
{
	fixture *x = calloc(1, sizeof *x);
	x->app.id = "demo";
	x->app.title = "Appli " XSS;
	x->app.description = "Description " XSS;
	x->app.owner = "Référent " XSS;
	x->app.forms = &x->form;
	x->app.nforms = 1;

	def_form *fm = &x->form;
	fm->id = "commande";
	fm->title = "Commande " XSS;
	fm->description = "Formulaire " XSS;

	def_field *f;
	f = add_field(x, "identite", "Identité " XSS, FT_SECTION, -1);
	f = add_field(x, "nom", "Nom " XSS, FT_TEXT, C_NOM);
	f->required = true;
	f->personal = true;
	f->help = "Aide " XSS;
	f->placeholder = "Dupont " XSS;
	f = add_field(x, "courriel", "Courriel", FT_EMAIL, C_COURRIEL);
	f->required = true;
	add_field(x, "tel", "Téléphone", FT_PHONE, C_TEL);
	add_field(x, "cp", "Code postal", FT_POSTAL_CODE, C_CP);
	add_field(x, "commande", "Commande", FT_SECTION, -1);
	f = add_field(x, "doses", "Nombre de doses", FT_INTEGER, C_DOSES);
	f->required = true;
	add_field(x, "montant", "Montant", FT_MONEY, C_MONTANT);
	f = add_field(x, "vaccin", "Vaccin " XSS, FT_CHOICE, C_VACCIN);
	x->vaccin_opts[0] = (def_option){"pfizer", "Pfizer " XSS};
	x->vaccin_opts[1] = (def_option){"moderna", "Moderna"};
	f->options = x->vaccin_opts;
	f->noptions = 2;
	f->widget_radio = true;
	f->required = true;
	f = add_field(x, "centre", "Centre", FT_CHOICE, C_CENTRE);
	x->centre_opts[0] = (def_option){"nord", "Nord " XSS};
	x->centre_opts[1] = (def_option){"sud", "Sud"};
	f->options = x->centre_opts;
	f->noptions = 2;
	add_field(x, "urgent", "Urgent " XSS, FT_BOOLEAN, C_URGENT);
	f = add_field(x, "motif", "Motif", FT_TEXTAREA, C_MOTIF);
	f->required = true;
	x->true_v[0] = "true";
	x->urgent_cond = (def_cond){"urgent", C_URGENT, {x->true_v, 1}};
	f->visible_if = (def_condset){&x->urgent_cond, 1};
	f = add_field(x, "options", "Options", FT_MULTICHOICE, C_OPTIONS);
	x->option_opts[0] = (def_option){"a", "Option A " XSS};
	x->option_opts[1] = (def_option){"b", "Option B"};
	x->option_opts[2] = (def_option){"c", "Option C"};
	f->options = x->option_opts;
	f->noptions = 3;
	add_field(x, "piece", "Pièce jointe", FT_FILE, C_PIECE);
	add_field(x, "note", "Note de l'agent", FT_TEXT, C_NOTE);
	add_field(x, "secret", "Secret", FT_TEXT, C_SECRET);
	fm->fields = x->fields;
	fm->nfields = x->nfields;

	/* workflow; livree_le is a transition field, the last column */
	def_field *lv = &x->livree;
	memset(lv, 0, sizeof *lv);
	lv->name = "livree_le";
	lv->label = "Livrée le " XSS;
	lv->type = FT_DATE;
	lv->col = C_LIVREE;
	lv->required = true;
	lv->min_length = lv->max_length = -1;
	lv->scale = -1;
	lv->max_size = -1;
	x->cols[C_LIVREE] = lv;
	fm->cols = x->cols;
	fm->ncols = NCOLS;

	x->states[0] = (def_state){.id = "soumise", .label = "Soumise " XSS, .due_days = 2,
	                           .description = "Etat " XSS};
	x->states[1] = (def_state){.id = "validee", .label = "Validée", .due_days = -1};
	x->states[2] = (def_state){.id = "livree", .label = "Livrée", .final = true, .due_days = -1};
	x->from_soumise[0] = "soumise";
	x->trans[0] = (def_transition){.id = "valider", .label = "Valider " XSS,
	                               .from = {x->from_soumise, 1}, .from_index = x->from_index,
	                               .to = "validee", .to_index = 1, .after_days = -1};
	x->trans[1] = (def_transition){.id = "refuser", .label = "Refuser",
	                               .from = {x->from_soumise, 1}, .from_index = x->from_index,
	                               .to = "validee", .to_index = 1, .after_days = -1,
	                               .comment = COMMENT_REQUIRED};
	x->trans[2] = (def_transition){.id = "livrer", .label = "Livrer",
	                               .from = {x->from_soumise, 1}, .from_index = x->from_index,
	                               .to = "livree", .to_index = 2, .after_days = -1,
	                               .fields = lv, .nfields = 1};
	x->wf = (def_workflow){.initial = "soumise", .states = x->states, .nstates = 3,
	                       .transitions = x->trans, .ntransitions = 3};
	fm->workflow = &x->wf;

	x->list_cols[0] = "nom";
	x->list_cols[1] = "vaccin";
	x->list_cols[2] = "secret";
	fm->list.columns = (def_strlist){x->list_cols, 3};
	x->list_filters[0] = "vaccin";
	x->list_filters[1] = "nom";
	fm->list.filters = (def_strlist){x->list_filters, 2};
	fm->list.sort = "-created_at";
	fm->list.page_size = 25;

	for (int c = 0; c < NCOLS; c++) {
		x->all[c] = c != C_SECRET;
		x->none[c] = false;
		x->form_w[c] = c != C_SECRET && c != C_NOTE && c != C_LIVREE;
		x->form_r[c] = c != C_SECRET;
	}

	record_init(&x->rec, fm);
	x->rec.id = 42;
	x->rec.version = 3;
	x->rec.state = strdup("soumise");
	x->rec.created_at = strdup("2026-07-01T10:00:00Z");
	x->rec.created_by = strdup("alice " XSS);
	x->rec.updated_at = strdup("2026-01-10T09:30:00Z");
	x->rec.updated_by = strdup("bob " XSS);
	x->rec.overdue = true;
	value_set_text(&x->rec.values[C_NOM], "Valeur " XSS);
	value_set_text(&x->rec.values[C_COURRIEL], "a@b.fr");
	value_set_int(&x->rec.values[C_DOSES], 20);
	value_set_text(&x->rec.values[C_VACCIN], "pfizer");
	value_set_text(&x->rec.values[C_CENTRE], "nord");
	value_set_int(&x->rec.values[C_URGENT], 1);
	value_set_text(&x->rec.values[C_MOTIF], "Motif " XSS);
	value_set_text(&x->rec.values[C_OPTIONS], "[\"a\",\"c\"]");
	value_set_text(&x->rec.values[C_NOTE], "Note " XSS);
	value_set_text(&x->rec.values[C_SECRET], "TOPSECRET");

	record_copy(&x->theirs, &x->rec);
	value_clear(&x->theirs.values[C_NOM]);
	value_set_text(&x->theirs.values[C_NOM], "Autre " XSS);
	value_clear(&x->theirs.values[C_SECRET]);
	value_set_text(&x->theirs.values[C_SECRET], "OTHERSECRET");
	x->theirs.version = 4;

	x->pg = (page){.lg = LANG_FR, .path = "/a/demo/commande/", .user_login = "alice",
	               .user_name = "Alice " XSS, .user_admin = true, .csrf = "tok\"en<1>",
	               .flash = "Flash " XSS};
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fixture *x = *state;
	record_clear(&x->rec);
	record_clear(&x->theirs);
	free(x);
	return 0;
}

/* ---- markup checks ---- */

static size_t count(const char *h, const char *needle)
{
	size_t n = 0;
	for (const char *s = strstr(h, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

static bool has(const char *h, const char *needle)
{
	return strstr(h, needle) != NULL;
}

/* Value of attribute `name` inside the tag starting at `tag` (up to '>'), malloc'd or NULL. */
static char *tag_attr(const char *tag, const char *name)
{
	const char *end = strchr(tag, '>');
	char pat[64];
	snprintf(pat, sizeof pat, " %s=\"", name);
	const char *a = strstr(tag, pat);
	if (!a || (end && a > end))
		return NULL;
	a += strlen(pat);
	const char *q = strchr(a, '"');
	return q ? strndup(a, (size_t)(q - a)) : NULL;
}

static bool has_id(const char *h, const char *id)
{
	char pat[256];
	snprintf(pat, sizeof pat, " id=\"%s\"", id);
	return has(h, pat);
}

/* The escaping rule: the payload never appears raw, and does appear escaped. */
static void assert_escaped(const char *h)
{
	if (has(h, "<script>")) { /* the payload; the page's own scripts have a src */
		fprintf(stderr, "raw <script in:\n%s\n", h);
		fail();
	}
	assert_null(strstr(h, "alert(\"x\")"));
	assert_non_null(strstr(h, XSS_ESC));
}

/* The frame rules every page keeps. */
static void assert_frame(const char *h, const char *lg)
{
	char pat[32];
	snprintf(pat, sizeof pat, "<html lang=\"%s\">", lg);
	assert_true(has(h, "<!DOCTYPE html>"));
	assert_true(has(h, pat));
	assert_int_equal(count(h, "<h1"), 1);
	assert_int_equal(count(h, "</h1>"), 1);
	assert_int_equal(count(h, "<main id=\"contenu\""), 1);
	assert_true(has(h, "href=\"#contenu\""));
	assert_int_equal(count(h, "<title>"), 1);
	assert_true(has(h, "<link rel=\"stylesheet\" href=\"/static/style.") && has(h, ".css\">"));
	assert_true(has(h, "</html>"));
}

/* Every control but hidden inputs and buttons has a <label for=its id>; ids unique. */
static void assert_labels(const char *h)
{
	static const char *const tags[] = {"<input", "<select", "<textarea"};
	for (size_t t = 0; t < 3; t++) {
		for (const char *s = strstr(h, tags[t]); s; s = strstr(s + 1, tags[t])) {
			char *type = tag_attr(s, "type");
			bool skip = type && (strcmp(type, "hidden") == 0 || strcmp(type, "submit") == 0);
			free(type);
			if (skip)
				continue;
			char *id = tag_attr(s, "id");
			if (!id) {
				fprintf(stderr, "control without id: %.80s\n", s);
				fail();
			}
			char pat[256];
			snprintf(pat, sizeof pat, "<label for=\"%s\">", id);
			if (count(h, pat) != 1) {
				fprintf(stderr, "control %s has %zu labels\n", id, count(h, pat));
				fail();
			}
			snprintf(pat, sizeof pat, " id=\"%s\"", id);
			assert_int_equal(count(h, pat), 1);
			free(id);
		}
	}
}

/* Every id named in aria-describedby / aria-labelledby exists on the page. */
static void assert_refs_resolve(const char *h, const char *attr_name)
{
	char pat[64];
	snprintf(pat, sizeof pat, " %s=\"", attr_name);
	for (const char *s = strstr(h, pat); s; s = strstr(s + 1, pat)) {
		const char *a = s + strlen(pat);
		const char *q = strchr(a, '"');
		char *ids = strndup(a, (size_t)(q - a));
		char *save = NULL;
		for (char *id = strtok_r(ids, " ", &save); id; id = strtok_r(NULL, " ", &save)) {
			if (!has_id(h, id)) {
				fprintf(stderr, "%s names missing id %s\n", attr_name, id);
				fail();
			}
		}
		free(ids);
	}
}

/* Every in-page link targets an id present on the page. */
static void assert_fragments_resolve(const char *h)
{
	for (const char *s = strstr(h, "href=\"#"); s; s = strstr(s + 1, "href=\"#")) {
		const char *a = s + 7;
		const char *q = strchr(a, '"');
		char *id = strndup(a, (size_t)(q - a));
		if (!has_id(h, id)) {
			fprintf(stderr, "link to missing #%s\n", id);
			fail();
		}
		free(id);
	}
}

/* Every POST form carries the CSRF token input. */
static size_t assert_post_forms_have_csrf(const char *h)
{
	size_t n = 0;
	for (const char *s = strstr(h, "<form"); s; s = strstr(s + 1, "<form")) {
		char *method = tag_attr(s, "method");
		bool post = method && strcmp(method, "post") == 0;
		free(method);
		if (!post)
			continue;
		n++;
		const char *end = strstr(s, "</form>");
		assert_non_null(end);
		const char *c = strstr(s, "name=\"_csrf\"");
		if (!c || c > end) {
			fprintf(stderr, "POST form without _csrf: %.120s\n", s);
			fail();
		}
	}
	return n;
}

/* Each input of type `type` named `name` sits inside a fieldset that has a legend. */
static void assert_grouped(const char *h, const char *type, const char *name)
{
	char pat[128];
	snprintf(pat, sizeof pat, "type=\"%s\"", type);
	size_t seen = 0;
	for (const char *s = strstr(h, pat); s; s = strstr(s + 1, pat)) {
		const char *tag = s;
		while (tag > h && *tag != '<')
			tag--;
		char *nm = tag_attr(tag, "name");
		bool mine = nm && strcmp(nm, name) == 0;
		free(nm);
		if (!mine)
			continue;
		seen++;
		/* innermost open fieldset before the input */
		const char *open = NULL;
		for (const char *f = strstr(h, "<fieldset"); f && f < s; f = strstr(f + 1, "<fieldset"))
			open = f;
		assert_non_null(open);
		const char *close = strstr(open, "</fieldset>");
		assert_true(close && close > s);
		const char *inner = strstr(open + 1, "<fieldset");
		assert_true(!inner || inner > s);
		const char *legend = strstr(open, "<legend>");
		assert_true(legend && legend < s);
	}
	assert_true(seen > 0);
}

/* The rendering of the tag whose id is `id` (up to '>'), borrowed pointer into h. */
static const char *tag_with_id(const char *h, const char *id)
{
	char pat[256];
	snprintf(pat, sizeof pat, " id=\"%s\"", id);
	const char *s = strstr(h, pat);
	if (!s)
		return NULL;
	while (s > h && *s != '<')
		s--;
	return s;
}

static bool tag_has(const char *tag, const char *needle)
{
	const char *end = strchr(tag, '>');
	const char *s = strstr(tag, needle);
	return s && end && s < end;
}

/* ---- page builders ---- */

static char *form_page(fixture *x, const field_errors *errs, bool editing, const record *theirs)
{
	buf b = BUF_INIT;
	form_view v = {.app = &x->app, .form = &x->form, .values = editing || errs ? &x->rec : NULL,
	               .errors = errs, .writable = x->form_w, .readable = x->form_r,
	               .editing = editing, .id = 42, .version = 3, .theirs = theirs,
	               .action = editing ? "/a/demo/commande/42/edit" : "/a/demo/commande/new"};
	render_form(&b, &x->pg, &v);
	return buf_steal(&b);
}

static void add_errors(field_errors *e)
{
	field_errors_add(e, "nom", "Message " XSS);
	field_errors_add(e, "vaccin", "Choisissez un vaccin.");
	field_errors_add(e, "options", "Trop d'options.");
	field_errors_add(e, "urgent", "Cochez.");
	field_errors_add(e, "centre", "Choisissez.");
	field_errors_add(e, "motif", "Motif requis.");
	field_errors_add(e, "_", "Formulaire " XSS);
}

static char *record_page(fixture *x, const store_history_line *h, size_t nh)
{
	const def_transition *ts[3] = {&x->trans[0], &x->trans[1], &x->trans[2]};
	record_view v = {.app = &x->app, .form = &x->form, .rec = &x->rec, .readable = x->all,
	                 .can_edit = true, .can_delete = true, .transitions = ts,
	                 .ntransitions = 3, .history = h, .nhistory = nh};
	buf b = BUF_INIT;
	render_record(&b, &x->pg, &v);
	return buf_steal(&b);
}

static char *list_page(fixture *x, const char *after, const char *next, const char *sort)
{
	record_set_sys(&x->rec.created_at, "2026-07-01T23:30:00Z");
	store_page pg = {.v = &x->rec, .n = 1, .next = (char *)next};
	store_eq eq[1] = {{C_VACCIN, "pfizer"}};
	list_view v = {.app = &x->app, .form = &x->form, .readable = x->all, .records = &pg,
	               .total = 1234, .can_create = true, .q = "q " XSS, .state = "soumise",
	               .overdue_only = true, .sort = sort, .eq = eq, .neq = 1, .after = after};
	buf b = BUF_INIT;
	render_list(&b, &x->pg, &v);
	return buf_steal(&b);
}

/* ---- tests ---- */

static void portal_escapes_app_text_and_keeps_frame(void **state)
{
	fixture *x = *state;
	portal_form pf = {&x->form, true, true};
	portal_app pa = {&x->app, &pf, 1};
	buf b = BUF_INIT;
	render_portal(&b, &x->pg, &pa, 1);
	const char *h = buf_cstr(&b);
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_true(has(h, "href=\"/a/demo/commande/new\""));
	assert_true(has(h, "href=\"/a/demo/commande/\""));
	assert_true(has(h, "Aller au contenu"));
	assert_true(has(h, ">smallapps<"));
	assert_true(has(h, "href=\"/admin\""));
	/* user name, flash and csrf token escaped too */
	assert_true(has(h, "Alice " XSS_ESC));
	assert_true(has(h, "Flash " XSS_ESC));
	assert_true(has(h, "value=\"tok&quot;en&lt;1&gt;\""));
	assert_int_equal(assert_post_forms_have_csrf(h), 1);  /* logout */
	assert_true(has(h, "action=\"/logout\""));
	assert_true(has(h, "href=\"/a/demo/commande/?lang=en\""));
	buf_free(&b);
}

static void anonymous_header_offers_login_and_no_admin(void **state)
{
	fixture *x = *state;
	x->pg.user_login = NULL;
	x->pg.user_name = NULL;
	buf b = BUF_INIT;
	render_portal(&b, &x->pg, NULL, 0);
	const char *h = buf_cstr(&b);
	assert_frame(h, "fr");
	assert_true(has(h, "href=\"/login\">Se connecter"));
	assert_false(has(h, "/admin"));
	assert_false(has(h, "/logout"));
	buf_free(&b);
	/* logged in, not admin: logout but no admin link */
	x->pg.user_login = "bob";
	x->pg.user_admin = false;
	render_portal(&b, &x->pg, NULL, 0);
	h = buf_cstr(&b);
	assert_false(has(h, "/admin"));
	assert_true(has(h, "action=\"/logout\""));
	assert_true(has(h, "</span>bob</li>"));
	buf_free(&b);
}

static void language_switch_never_links_off_site(void **state)
{
	fixture *x = *state;
	x->pg.path = "//evil.example/x";
	buf b = BUF_INIT;
	render_portal(&b, &x->pg, NULL, 0);
	assert_false(has(buf_cstr(&b), "evil.example"));
	assert_true(has(buf_cstr(&b), "href=\"/?lang=en\""));
	buf_free(&b);
	x->pg.path = "javascript:alert(1)";
	render_portal(&b, &x->pg, NULL, 0);
	assert_false(has(buf_cstr(&b), "javascript:"));
	buf_free(&b);
}

static void blank_form_has_labels_required_text_and_csrf(void **state)
{
	fixture *x = *state;
	char *h = form_page(x, NULL, false, NULL);
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_labels(h);
	assert_refs_resolve(h, "aria-describedby");
	assert_fragments_resolve(h);
	assert_int_equal(assert_post_forms_have_csrf(h), 2);  /* the form and logout */
	assert_true(has(h, "novalidate"));
	assert_false(has(h, "name=\"version\""));
	assert_false(has(h, "role=\"alert\""));
	assert_false(has(h, "<title>Erreur"));
	/* required said in text, and as an attribute */
	assert_true(has(h, "<label for=\"f-nom\">Nom " XSS_ESC " (obligatoire)</label>"));
	assert_true(tag_has(tag_with_id(h, "f-nom"), " required"));
	assert_false(tag_has(tag_with_id(h, "f-tel"), " required"));
	/* help tied to the input */
	assert_true(tag_has(tag_with_id(h, "f-nom"), "aria-describedby=\"f-nom-help\""));
	assert_true(has(h, "id=\"f-nom-help\">Aide " XSS_ESC));
	/* types, autocomplete, inputmode */
	assert_true(tag_has(tag_with_id(h, "f-nom"), "autocomplete=\"family-name\""));
	assert_true(tag_has(tag_with_id(h, "f-courriel"), "type=\"email\""));
	assert_true(tag_has(tag_with_id(h, "f-courriel"), "autocomplete=\"email\""));
	assert_true(tag_has(tag_with_id(h, "f-tel"), "type=\"tel\""));
	assert_true(tag_has(tag_with_id(h, "f-tel"), "autocomplete=\"tel\""));
	assert_true(tag_has(tag_with_id(h, "f-cp"), "autocomplete=\"postal-code\""));
	assert_true(tag_has(tag_with_id(h, "f-cp"), "inputmode=\"numeric\""));
	assert_true(tag_has(tag_with_id(h, "f-doses"), "inputmode=\"numeric\""));
	assert_true(tag_has(tag_with_id(h, "f-montant"), "inputmode=\"decimal\""));
	assert_true(has(h, ">€</span>"));
	/* select with a blank choice, radios and checkboxes grouped */
	assert_true(has(h, "<select id=\"f-centre\""));
	assert_true(has(h, "<option value=\"\">— Choisir —</option>"));
	assert_grouped(h, "radio", "vaccin");
	assert_grouped(h, "checkbox", "options");
	assert_int_equal(count(h, "name=\"options\""), 3);
	/* boolean: one checkbox with its label after it */
	assert_true(has(h, "type=\"checkbox\" id=\"f-urgent\""));
	/* visible_if said in text, no JS */
	assert_true(has(h, "À remplir seulement si « Urgent " XSS_ESC " » vaut « Oui »."));
	assert_true(tag_has(tag_with_id(h, "f-motif"), "f-motif-cond"));
	/* sections group the following fields */
	assert_true(has(h, "<fieldset class=\"section\">\n<legend>Identité " XSS_ESC "</legend>"));
	assert_int_equal(count(h, "<fieldset class=\"section\">"), 2);
	/* file: a labelled file input, the form sent as multipart; readonly column shown as
	 * text; private column absent */
	assert_true(has(h, "<input type=\"file\" id=\"f-piece\" name=\"piece\""));
	assert_true(has(h, "<label for=\"f-piece\""));
	assert_true(has(h, "enctype=\"multipart/form-data\""));
	assert_false(has(h, "pas encore possible"));
	assert_false(has(h, "id=\"f-note\""));
	assert_false(has(h, "f-secret"));
	assert_false(has(h, "TOPSECRET"));
	assert_true(has(h, "<button type=\"submit\">Envoyer</button>"));
	assert_true(has(h, ">Annuler</a>"));
	/* no inline script: only conditions.js, for the form's conditions, deferred */
	assert_int_equal(count(h, "<script"), 1);
	assert_true(has(h, "<script src=\"/static/conditions.") && has(h, ".js\" defer></script>"));
	free(h);
}

static void errors_give_summary_invalid_and_described_fields(void **state)
{
	fixture *x = *state;
	field_errors e = {0};
	add_errors(&e);
	char *h = form_page(x, &e, true, NULL);
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_labels(h);
	assert_refs_resolve(h, "aria-describedby");
	assert_refs_resolve(h, "aria-labelledby");
	assert_fragments_resolve(h);
	assert_true(has(h, "<title>Erreur : "));
	assert_true(has(h, "role=\"alert\""));
	assert_true(has(h, "Le formulaire contient 7 erreurs"));
	/* the summary links to each field in error, with the message */
	assert_true(has(h, "href=\"#f-nom\">Nom " XSS_ESC " : Message " XSS_ESC "</a>"));
	assert_true(has(h, "href=\"#f-vaccin\""));
	assert_true(has(h, "href=\"#f-options\""));
	assert_true(has(h, "href=\"#f-urgent\""));
	assert_true(has(h, "href=\"#f-motif\""));
	assert_true(has(h, "<li>Formulaire " XSS_ESC "</li>"));
	/* summary in the order of the page, whatever order the errors came in */
	assert_true(strstr(h, "<li>Formulaire") < strstr(h, "href=\"#f-nom\""));
	assert_true(strstr(h, "href=\"#f-nom\"") < strstr(h, "href=\"#f-vaccin\""));
	assert_true(strstr(h, "href=\"#f-vaccin\"") < strstr(h, "href=\"#f-centre\""));
	assert_true(strstr(h, "href=\"#f-centre\"") < strstr(h, "href=\"#f-urgent\""));
	assert_true(strstr(h, "href=\"#f-motif\"") < strstr(h, "href=\"#f-options\""));
	/* the summary comes before the form */
	assert_true(strstr(h, "role=\"alert\"") < strstr(h, "<form method=\"post\" novalidate"));
	/* each control in error: aria-invalid and described by its error message */
	static const char *const ids[] = {"f-nom", "f-vaccin", "f-vaccin-2", "f-options",
	                                  "f-options-3", "f-urgent", "f-centre", "f-motif"};
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		const char *t = tag_with_id(h, ids[i]);
		assert_non_null(t);
		if (!tag_has(t, "aria-invalid=\"true\"")) {
			fprintf(stderr, "%s not aria-invalid\n", ids[i]);
			fail();
		}
	}
	assert_true(tag_has(tag_with_id(h, "f-nom"),
	                    "aria-describedby=\"f-nom-help f-nom-error\""));
	assert_true(tag_has(tag_with_id(h, "f-urgent"), "f-urgent-error"));
	assert_true(tag_has(tag_with_id(h, "f-centre"), "f-centre-error"));
	assert_true(tag_has(tag_with_id(h, "f-motif"), "f-motif-cond f-motif-error"));
	/* groups: the fieldset is described by the error */
	assert_true(has(h, "<fieldset class=\"group has-error\" aria-describedby=\"f-vaccin-error\">"));
	/* error text says "Erreur" in words, not only in colour */
	assert_true(has(h, "id=\"f-nom-error\"><span class=\"icon\" aria-hidden=\"true\">⚠</span> "
	                   "Erreur : Message " XSS_ESC));
	/* fields without errors are not invalid */
	assert_false(tag_has(tag_with_id(h, "f-courriel"), "aria-invalid"));
	/* values kept, escaped, in inputs and textarea */
	assert_true(tag_has(tag_with_id(h, "f-nom"), "value=\"Valeur " XSS_ESC "\""));
	assert_true(has(h, ">\nMotif " XSS_ESC "</textarea>"));
	assert_true(tag_has(tag_with_id(h, "f-vaccin"), " checked"));
	assert_true(tag_has(tag_with_id(h, "f-vaccin"), "value=\"pfizer\""));
	assert_true(tag_has(tag_with_id(h, "f-options-3"), "value=\"c\""));
	assert_false(tag_has(tag_with_id(h, "f-vaccin-2"), " checked"));
	assert_true(tag_has(tag_with_id(h, "f-options"), " checked"));
	assert_false(tag_has(tag_with_id(h, "f-options-2"), " checked"));
	assert_true(tag_has(tag_with_id(h, "f-options-3"), " checked"));
	assert_true(tag_has(tag_with_id(h, "f-urgent"), " checked"));
	assert_true(has(h, "<option value=\"nord\" selected>Nord " XSS_ESC "</option>"));
	/* editing: version kept, readonly field shown as text */
	assert_true(has(h, "name=\"version\" value=\"3\""));
	assert_true(has(h, "Note " XSS_ESC));
	assert_true(has(h, "<button type=\"submit\">Enregistrer</button>"));
	assert_true(has(h, "href=\"/a/demo/commande/42\">Annuler"));
	free(h);

	/* one error: singular */
	field_errors one = {0};
	field_errors_add(&one, "doses", "Trop.");
	h = form_page(x, &one, false, NULL);
	assert_true(has(h, "Le formulaire contient 1 erreur<"));
	assert_true(has(h, "href=\"#f-doses\""));
	free(h);
	field_errors_clear(&one);
	field_errors_clear(&e);
}

static void numeric_input_that_did_not_parse_is_echoed(void **state)
{
	fixture *x = *state;
	value_clear(&x->rec.values[C_DOSES]);
	value_set_text(&x->rec.values[C_DOSES], "douze <b>");
	field_errors e = {0};
	field_errors_add(&e, "doses", "Saisissez un nombre entier.");
	char *h = form_page(x, &e, false, NULL);
	assert_true(tag_has(tag_with_id(h, "f-doses"), "value=\"douze &lt;b&gt;\""));
	free(h);
	field_errors_clear(&e);
}

static void conflict_shows_both_versions_of_differing_fields(void **state)
{
	fixture *x = *state;
	char *h = form_page(x, NULL, true, &x->theirs);
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_true(has(h, "modifié entre-temps"));
	assert_true(has(h, "Votre saisie"));
	assert_true(has(h, "Version enregistrée"));
	assert_true(has(h, "Valeur " XSS_ESC));
	assert_true(has(h, "Autre " XSS_ESC));
	/* only differing readable fields are compared */
	assert_false(has(h, "<th scope=\"row\">Courriel</th>"));
	assert_false(has(h, "SECRET"));
	/* saving now means replacing the version shown */
	assert_true(has(h, "name=\"version\" value=\"4\""));
	free(h);
}

static void record_page_shows_values_state_actions_history(void **state)
{
	fixture *x = *state;
	store_history_line hl[3] = {0};
#define S(lit) ((char[]){lit})
	hl[0] = (store_history_line){.id = 1, .at = S("2026-01-05T09:00:00Z"), .actor = S("alice"),
	                             .action = S("create"), .to_state = S("soumise")};
	hl[1] = (store_history_line){.id = 2, .at = S("2026-01-06T09:00:00Z"),
	                             .actor = S("bob " XSS), .action = S("update")};
	hl[1].changes = json_pack("{s:[s,s],s:[i,i],s:[n,s],s:[s,s],s:[s,n]}", "nom", "Ancien " XSS,
	                          "Nouveau", "doses", 10, 20, "vaccin", "pfizer", "secret", "a", "b",
	                          "retire_" XSS, "Retiré " XSS);
	hl[2] = (store_history_line){.id = 3, .at = S("2026-01-07T09:00:00Z"), .actor = S("system"),
	                             .action = S("transition"), .transition = S("valider"),
	                             .from_state = S("soumise"), .to_state = S("validee"),
	                             .comment = S("Commentaire " XSS)};
#undef S
	char *h = record_page(x, hl, 3);
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_fragments_resolve(h);
	assert_true(has(h, "<h1>Commande " XSS_ESC " n°42</h1>"));
	assert_true(has(h, "<span class=\"badge state\">Soumise " XSS_ESC "</span>"));
	assert_true(has(h, "<span class=\"badge overdue\">En retard</span>"));
	/* values in a dl; private column absent; NULL as a dash with words */
	assert_true(has(h, "<dt>Nom " XSS_ESC "</dt>\n<dd>Valeur " XSS_ESC "</dd>"));
	assert_true(has(h, "<dt>Téléphone</dt>\n<dd><span aria-hidden=\"true\">—</span>"));
	/* a later step's field (livrer's, not set yet) is not shown before that step... */
	assert_false(has(h, "<dt>Livrée le " XSS_ESC "</dt>"));
	/* ...and is once it is set */
	value_set_text(&x->rec.values[C_LIVREE], "2026-01-08");
	char *after = record_page(x, hl, 3);
	assert_true(has(after, "<dt>Livrée le " XSS_ESC "</dt>"));
	free(after);
	assert_false(has(h, "TOPSECRET"));
	assert_false(has(h, ">Secret<"));
	/* metadata */
	assert_true(has(h, "alice " XSS_ESC));
	assert_true(has(h, "bob " XSS_ESC));
	assert_true(has(h, "datetime=\"2026-07-01T10:00:00Z\">01/07/2026 à 12:00</time>"));  /* CEST */
	assert_true(has(h, ">10/01/2026 à 10:30</time>"));                                 /* CET */
	/* actions: edit link, transitions, delete — POST forms all carry _csrf */
	assert_true(has(h, "href=\"/a/demo/commande/42/edit\">Modifier</a>"));
	assert_true(has(h, "action=\"/a/demo/commande/42/do/valider\">"));
	assert_true(has(h, ">Valider " XSS_ESC "</button>"));
	assert_true(has(h, "href=\"/a/demo/commande/42/do/refuser\">Refuser</a>"));
	assert_true(has(h, "href=\"/a/demo/commande/42/do/livrer\">Livrer</a>"));
	assert_true(has(h, "action=\"/a/demo/commande/42/delete\">"));
	assert_int_equal(assert_post_forms_have_csrf(h), 3);  /* valider, delete, logout */
	assert_int_equal(count(h, "name=\"version\" value=\"3\""), 2);
	/* history newest first, with labels, states, comment and changes */
	const char *first = strstr(h, "<ol class=\"history\">");
	assert_non_null(first);
	const char *t3 = strstr(first, "Système"), *t2 = strstr(first, "Modification"),
	           *t1 = strstr(first, "Création");
	assert_true(t3 && t2 && t1 && t3 < t2 && t2 < t1);
	assert_true(has(h, "Commentaire " XSS_ESC));
	assert_true(has(h, "Soumise " XSS_ESC " <span aria-hidden=\"true\">→</span>"));
	assert_true(has(h, "Nom " XSS_ESC " : Ancien " XSS_ESC));
	assert_true(has(h, "Nombre de doses : 10 <span aria-hidden=\"true\">→</span>"));
	assert_true(has(h, "Vaccin " XSS_ESC " : <span aria-hidden=\"true\">—</span>"));
	assert_true(has(h, "Pfizer " XSS_ESC "</li>"));
	assert_false(has(h, ">Secret :"));
	/* a removed field's change still shows, escaped, under its name */
	assert_true(has(h, "<li>retire_" XSS_ESC " : Retiré " XSS_ESC " <span"));
	assert_true(has(h, "Valider " XSS_ESC "</p>"));
	free(h);
	json_decref(hl[1].changes);
}

static void record_page_without_rights_has_no_forms_but_logout(void **state)
{
	fixture *x = *state;
	record_view v = {.app = &x->app, .form = &x->form, .rec = &x->rec, .readable = x->none};
	buf b = BUF_INIT;
	render_record(&b, &x->pg, &v);
	const char *h = buf_cstr(&b);
	assert_frame(h, "fr");
	assert_int_equal(assert_post_forms_have_csrf(h), 1);
	assert_false(has(h, "/edit"));
	assert_false(has(h, "Valeur"));
	assert_true(has(h, "Aucun historique"));
	buf_free(&b);
}

/* A count stopped at its cap says "more than" the cap, never a made-up exact number. */
static void list_count_above_its_cap_says_more_than_the_cap(void **state)
{
	fixture *x = *state;
	store_page pg = {.v = &x->rec, .n = 1};
	list_view v = {.app = &x->app, .form = &x->form, .readable = x->all, .records = &pg,
	               .total = 10001, .total_cap = 10000};
	buf b = BUF_INIT;
	render_list(&b, &x->pg, &v);
	assert_true(has(buf_cstr(&b), "role=\"status\">Plus de 10\xe2\x80\xaf" "000 enregistrements</p>"));
	buf_free(&b);
	v.total = 10000;
	render_list(&b, &x->pg, &v);
	assert_true(has(buf_cstr(&b), "role=\"status\">10\xe2\x80\xaf" "000 enregistrements</p>"));
	buf_free(&b);
}

static void list_page_has_caption_sort_filters_and_pagination(void **state)
{
	fixture *x = *state;
	char *h = list_page(x, "CUR", "NEXT/+=&", "vaccin");
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_labels(h);
	assert_refs_resolve(h, "aria-labelledby");
	assert_fragments_resolve(h);
	assert_int_equal(assert_post_forms_have_csrf(h), 1);
	assert_true(has(h, "<form method=\"get\""));
	assert_true(has(h, "href=\"/a/demo/commande/new\""));
	assert_true(has(h, "<caption id=\"cap-liste\"><span class=\"cap\">Commande " XSS_ESC));
	assert_true(has(h, "role=\"status\">1\xe2\x80\xaf" "234 enregistrements</p>"));
	/* filters echo the query, escaped */
	assert_true(tag_has(tag_with_id(h, "flt-q"), "value=\"q " XSS_ESC "\""));
	assert_true(has(h, "<option value=\"soumise\" selected>"));
	assert_true(has(h, "<option value=\"pfizer\" selected>"));
	assert_true(tag_has(tag_with_id(h, "flt-overdue"), " checked"));
	assert_true(has(h, "<label for=\"flt-overdue\">En retard seulement</label>"));
	assert_true(has(h, "<option value=\"vaccin\" selected>"));
	/* columns: sortable headers, active one with aria-sort; private column absent */
	assert_int_equal(count(h, "<th scope=\"col\""), 5);  /* N°, nom, vaccin, état, créé le */
	assert_int_equal(count(h, "aria-sort="), 1);
	assert_true(has(h, "<th scope=\"col\" aria-sort=\"ascending\"><a href="));
	assert_false(has(h, "TOPSECRET"));
	/* row: link to the record, badges in text */
	assert_true(has(h, "<a href=\"/a/demo/commande/42\">n°42</a>"));
	/* 2026-07-01T23:30Z is already 2 July in Paris */
	assert_true(has(h, "datetime=\"2026-07-01T23:30:00Z\">02/07/2026</time>"));
	assert_true(has(h, "Pfizer " XSS_ESC));
	assert_true(has(h, "<span class=\"badge overdue\">En retard</span>"));
	/* pagination keeps the query, URL-encodes it, and HTML-escapes the link */
	assert_true(has(h, "aria-label=\"Pagination\""));
	assert_true(has(h, ">Première page<"));
	assert_true(has(h, "&amp;after=NEXT%2F%2B%3D%26\""));
	assert_true(has(h, "?q=q%20%3Cscript%3Ealert%28%22x%22%29%26%27%3C%2Fscript%3E"
	                   "&amp;state=soumise&amp;vaccin=pfizer&amp;overdue=1&amp;sort=vaccin"));
	free(h);

	/* first page without next: no pagination */
	h = list_page(x, NULL, NULL, NULL);
	assert_false(has(h, "aria-label=\"Pagination\""));
	assert_true(has(h, "<th scope=\"col\"><a href"));
	free(h);
}

static void empty_list_says_so_in_words(void **state)
{
	fixture *x = *state;
	store_page pg = {0};
	list_view v = {.app = &x->app, .form = &x->form, .readable = x->all, .records = &pg};
	buf b = BUF_INIT;
	render_list(&b, &x->pg, &v);
	const char *h = buf_cstr(&b);
	assert_frame(h, "fr");
	assert_true(has(h, "Aucun enregistrement</p>"));
	assert_true(has(h, "Il n’y a encore aucun enregistrement."));
	assert_false(has(h, "<table"));
	assert_false(has(h, "/new\""));
	buf_free(&b);
}

static void login_page_labels_autocomplete_and_alert(void **state)
{
	fixture *x = *state;
	x->pg.user_login = NULL;
	buf b = BUF_INIT;
	render_login(&b, &x->pg, "log " XSS, "Erreur " XSS, "/next?" XSS);
	const char *h = buf_cstr(&b);
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_labels(h);
	assert_refs_resolve(h, "aria-describedby");
	assert_int_equal(assert_post_forms_have_csrf(h), 1);
	assert_true(has(h, "<label for=\"login\">Identifiant</label>"));
	assert_true(has(h, "<label for=\"password\">Mot de passe</label>"));
	assert_true(tag_has(tag_with_id(h, "login"), "autocomplete=\"username\""));
	assert_true(tag_has(tag_with_id(h, "password"), "autocomplete=\"current-password\""));
	assert_true(tag_has(tag_with_id(h, "login"), "aria-invalid=\"true\""));
	assert_true(has(h, "role=\"alert\""));
	assert_true(has(h, "name=\"next\" value=\"/next?" XSS_ESC "\""));
	assert_true(has(h, "<title>Erreur : Connexion"));
	assert_false(has(h, "type=\"password\" id=\"password\" name=\"password\" value"));
	buf_free(&b);
}

static void app_home_lists_forms_with_counts(void **state)
{
	fixture *x = *state;
	store_state_count counts[2] = {{"soumise", 12, 3}, {"validee", 4, 0}};
	home_form hf = {&x->form, true, true, counts, 2, false, false};
	buf b = BUF_INIT;
	render_app_home(&b, &x->pg, &x->app, &hf, 1);
	const char *h = buf_cstr(&b);
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_true(has(h, "<h1>Appli " XSS_ESC "</h1>"));
	assert_true(has(h, "href=\"/a/demo/commande/new\""));
	assert_true(has(h, "Voir les enregistrements"));
	assert_true(has(h, "<th scope=\"row\"><a href=\"/a/demo/commande/?state=soumise\">Soumise "));
	assert_true(has(h, "<td>12</td><td>3</td>"));
	assert_true(has(h, "role=\"region\" tabindex=\"0\" aria-labelledby=\"cap-etats-commande\">\n<table>\n<caption id=\"cap-etats-commande\">"));
	buf_free(&b);
}

static void error_pages_have_french_titles_and_support_id(void **state)
{
	fixture *x = *state;
	static const struct {
		int status;
		const char *title;
	} cases[] = {{400, "Requête invalide"}, {403, "Accès refusé"}, {404, "Page introuvable"},
	             {409, "Conflit"}, {413, "Contenu trop volumineux"}, {422, "Données invalides"},
	             {429, "Trop de tentatives"}, {500, "Erreur interne"}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		buf b = BUF_INIT;
		render_error(&b, &x->pg, cases[i].status, "Détail " XSS,
		             cases[i].status == 500 ? "req-<1>" : NULL, NULL);
		const char *h = buf_cstr(&b);
		assert_escaped(h);
		assert_frame(h, "fr");
		char pat[128];
		snprintf(pat, sizeof pat, "<h1>%s</h1>", cases[i].title);
		assert_true(has(h, pat));
		if (cases[i].status == 500)
			assert_true(has(h, "<code>req-&lt;1&gt;</code>"));
		buf_free(&b);
	}
	buf b = BUF_INIT;
	render_error(&b, &x->pg, 404, NULL, NULL, NULL);
	assert_true(has(buf_cstr(&b), "n’existe pas"));
	assert_false(has(buf_cstr(&b), "Revenir"));
	buf_free(&b);
	/* a refusal on a record leads back to it, the link escaped like any other */
	render_error(&b, &x->pg, 409, NULL, NULL, "/a/x/f/7?\"<");
	assert_true(has(buf_cstr(&b), "<a href=\"/a/x/f/7?&quot;&lt;\">Revenir à l’enregistrement</a>"));
	buf_free(&b);
}

static void transition_form_has_fields_comment_and_csrf(void **state)
{
	fixture *x = *state;
	field_errors e = {0};
	field_errors_add(&e, "livree_le", "Date " XSS);
	field_errors_add(&e, "_comment", "Commentaire requis.");
	x->trans[2].comment = COMMENT_REQUIRED;
	transition_view v = {.app = &x->app, .form = &x->form, .rec = &x->rec,
	                     .transition = &x->trans[2], .comment = "Mon " XSS, .errors = &e,
	                     .action = "/a/demo/commande/42/do/livrer"};
	buf b = BUF_INIT;
	render_transition(&b, &x->pg, &v);
	const char *h = buf_cstr(&b);
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_labels(h);
	assert_refs_resolve(h, "aria-describedby");
	assert_fragments_resolve(h);
	assert_int_equal(assert_post_forms_have_csrf(h), 2);
	assert_true(tag_has(tag_with_id(h, "f-livree_le"), "type=\"date\""));
	assert_true(tag_has(tag_with_id(h, "f-livree_le"), "aria-invalid=\"true\""));
	assert_true(has(h, "<label for=\"f-_comment\">Commentaire (obligatoire)</label>"));
	assert_true(tag_has(tag_with_id(h, "f-_comment"), "aria-invalid=\"true\""));
	assert_true(has(h, "href=\"#f-_comment\""));
	assert_true(has(h, "Mon " XSS_ESC "</textarea>"));
	assert_true(has(h, "name=\"version\" value=\"3\""));
	assert_false(has(h, "f-nom"));
	buf_free(&b);
	field_errors_clear(&e);
}

static void english_pages_use_english_strings(void **state)
{
	fixture *x = *state;
	x->pg.lg = LANG_EN;
	field_errors e = {0};
	field_errors_add(&e, "nom", "Bad.");
	field_errors_add(&e, "doses", "Bad.");
	char *h = form_page(x, &e, false, NULL);
	assert_frame(h, "en");
	assert_true(has(h, "Skip to content"));
	assert_true(has(h, "<title>Error: "));
	assert_true(has(h, "There are 2 errors in this form"));
	assert_true(has(h, " (required)</label>"));
	assert_true(has(h, ">Submit</button>"));
	assert_true(has(h, "Fill in only if “Urgent " XSS_ESC "” is “Yes”."));
	assert_true(has(h, "href=\"/a/demo/commande/?lang=fr\""));
	assert_false(has(h, "obligatoire"));
	assert_false(has(h, "Aller au contenu"));
	free(h);
	field_errors_clear(&e);

	h = list_page(x, NULL, "N", NULL);
	assert_frame(h, "en");
	assert_true(has(h, ">Next page<"));
	assert_true(has(h, "1,234 records"));
	assert_true(has(h, "<label for=\"flt-q\">Search</label>"));
	free(h);

	buf b = BUF_INIT;
	render_error(&b, &x->pg, 404, NULL, NULL, NULL);
	assert_true(has(buf_cstr(&b), "<h1>Page not found</h1>"));
	buf_free(&b);
	render_login(&b, &x->pg, NULL, NULL, NULL);
	assert_true(has(buf_cstr(&b), "<label for=\"login\">Username</label>"));
	buf_free(&b);
}

static void admin_page_escapes_catalog_and_problems(void **state)
{
	fixture *x = *state;
	x->app.version = "1.0 " XSS;
	x->app.hash = "0123456789abcdef0123";
	app_rt rt = {.def = &x->app};
	const app_rt *apps[1] = {&rt};
	registry_problem pb = {.app = (char[]){"casse"}, .text = (char[]){"app.lua:3: " XSS},
	                       .serving_previous = true};
	sandbox_pool_app lua = {.app = "boucle", .overruns = 7, .trips = 2, .refused = 40,
	                        .suspended_until = 1795000000};
	admin_view v = {.apps = apps, .napps = 1, .problems = &pb, .nproblems = 1, .lua = &lua,
	                .nlua = 1};
	buf b = BUF_INIT;
	render_admin(&b, &x->pg, &v);
	const char *h = buf_cstr(&b);
	assert_escaped(h);
	assert_frame(h, "fr");
	assert_true(has(h, "<h1>Administration</h1>"));
	assert_true(has(h, "<a href=\"/a/demo/\">Appli " XSS_ESC "</a>"));
	assert_true(has(h, "<code>0123456789ab</code>"));
	assert_true(has(h, "<pre>app.lua:3: " XSS_ESC "</pre>"));
	assert_true(has(h, "reste en service"));
	/* An app whose code keeps running past its budget: suspended, and how often. */
	assert_true(has(h, "<th scope=\"row\"><code>boucle</code></th><td>Suspendue jusqu'au"));
	assert_true(has(h, "<td>7</td><td>2</td><td>40</td>"));
	buf_free(&b);
	admin_view none = {0};
	render_admin(&b, &x->pg, &none);
	assert_true(has(buf_cstr(&b), "Aucune erreur de chargement."));
	assert_true(has(buf_cstr(&b), "Aucune application n'a dépassé son budget"));
	buf_free(&b);
}

static void stylesheet_has_focus_outline_and_no_external_fetches(void **state)
{
	(void)state;
	const char *css = render_stylesheet();
	assert_non_null(css);
	assert_true(has(css, "outline:3px solid"));
	assert_true(has(css, ".sr-only"));
	assert_true(has(css, "overflow-x:auto"));
	assert_true(has(css, "@media print"));
	assert_false(has(css, "url("));
	assert_false(has(css, "@import"));
	assert_ptr_equal(css, render_stylesheet());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(portal_escapes_app_text_and_keeps_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(anonymous_header_offers_login_and_no_admin, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(language_switch_never_links_off_site, setup, teardown),
		cmocka_unit_test_setup_teardown(blank_form_has_labels_required_text_and_csrf, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(errors_give_summary_invalid_and_described_fields, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(numeric_input_that_did_not_parse_is_echoed, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(conflict_shows_both_versions_of_differing_fields, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(record_page_shows_values_state_actions_history, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(record_page_without_rights_has_no_forms_but_logout,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(list_count_above_its_cap_says_more_than_the_cap, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(list_page_has_caption_sort_filters_and_pagination, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(empty_list_says_so_in_words, setup, teardown),
		cmocka_unit_test_setup_teardown(login_page_labels_autocomplete_and_alert, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(app_home_lists_forms_with_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(error_pages_have_french_titles_and_support_id, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(transition_form_has_fields_comment_and_csrf, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(english_pages_use_english_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(admin_page_escapes_catalog_and_problems, setup, teardown),
		cmocka_unit_test(stylesheet_has_focus_outline_and_no_external_fetches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
