/*
 * test_loader — app definitions to C structures (SPEC 4) through loader_load.
 *
 * Good definitions are written to a temporary folder (or taken from apps/ and
 * tests/apps/) and every derived value of def.h is asserted: ids, labels, types,
 * loader defaults, options, conditions resolved to columns, columns, workflow
 * indexes, hook ids, defaults as JSON, the content hash. Bad definitions assert the
 * exact diagnostic (where + message) the checker gives, "did you mean" included.
 * Whole-app broken cases checked through the CLI live in tests/broken/; here only
 * the API and the structures. Run from the repository root (the binary finds it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appsrc.h"
#include "buf.h"
#include "def.h"
#include "diag.h"
#include "loader.h"
#include "log.h"
#include "util.h"

#define STDLIB "stdlib-lua"

/* ------------------------------------------------------------------ fixtures */

/* One app folder <root>/<id> in a fresh temporary root. */
typedef struct tmpapp {
	char root[64];
	char dir[160];
	char file[200];
} tmpapp;


/* The content hash the registry compares (appsrc's: app.lua and lib/, stable order). */
static int hash_dir(const char *dir, char out[65])
{
	char err[APPSRC_ERR];
	appsrc *s = appsrc_read(dir, err);
	if (!s)
		return -1;
	memcpy(out, s->hash, 65);
	appsrc_free(s);
	return 0;
}

static void write_at(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void app_make(tmpapp *t, const char *id, const char *lua)
{
	strcpy(t->root, "/tmp/test_loader.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->dir, sizeof t->dir, "%s/%s", t->root, id);
	assert_int_equal(mkdir(t->dir, 0700), 0);
	snprintf(t->file, sizeof t->file, "%s/app.lua", t->dir);
	write_at(t->file, lua);
}

/* Writes <dir>/<rel> (rel may be "lib/x.lua"; lib/ is created). */
static void app_write(const tmpapp *t, const char *rel, const char *text)
{
	char path[400];
	if (strncmp(rel, "lib/", 4) == 0) {
		snprintf(path, sizeof path, "%s/lib", t->dir);
		mkdir(path, 0700);
	}
	snprintf(path, sizeof path, "%s/%s", t->dir, rel);
	write_at(path, text);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void app_rm(tmpapp *t)
{
	nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void dump(const diags *d)
{
	char line[2048];
	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->v[i], line, sizeof line);
		print_message("  diag[%zu] %s\n", i, line);
	}
}

/* Loads a definition that must be clean. */
static def_app *load_ok(const char *dir)
{
	diags d = {0};
	def_app *a = loader_load(dir, STDLIB, NULL, &d);
	if (!a || d.n) {
		dump(&d);
		fail_msg("%s: expected no diagnostic, got %zu", dir, d.n);
	}
	diags_free(&d);
	return a;
}

/* Loads a definition that must fail; the diagnostics stay in d. */
static void load_bad(const char *dir, diags *d)
{
	def_app *a = loader_load(dir, STDLIB, NULL, d);
	if (a) {
		def_app_free(a);
		fail_msg("%s: loaded although it is broken", dir);
	}
	assert_true(d->n > 0);
}

/* The i-th diagnostic is exactly (where, message), in this file, without a line. */
static void expect_nth(const diags *d, size_t i, const char *file, const char *where,
                       const char *message)
{
	if (i >= d->n || strcmp(d->v[i].where, where) != 0 || strcmp(d->v[i].message, message) != 0 ||
	    strcmp(d->v[i].file, file) != 0 || d->v[i].line != 0) {
		dump(d);
		fail_msg("diag[%zu]: expected %s: %s: %s", i, file, where, message);
	}
}

static void expect_count(const diags *d, size_t n)
{
	if (d->n != n) {
		dump(d);
		fail_msg("expected %zu diagnostic(s), got %zu", n, d->n);
	}
}

static const def_field *field_named(const def_form *f, const char *name)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	fail_msg("no field \"%s\" in form \"%s\"", name, f->id);
	return NULL;
}

static void assert_strlist(const def_strlist *l, const char *const *want, size_t n)
{
	assert_int_equal(l->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l->v[i], want[i]);
}

static void assert_json(const json_t *j, const char *want)
{
	assert_non_null(j);
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_non_null(s);
	if (strcmp(s, want) != 0) {
		print_message("  json: %s, expected %s\n", s, want);
		free(s);
		fail();
	}
	free(s);
}

/* ------------------------------------------------------------------ a rich, valid definition */

/* Lua strings use single quotes so the text needs no escaping here. */
static const char *const GOOD[] = {
	"local function calc(r) return (r.doses or 0) * 2 end\n",
	"local shared = function(r) end\n",
	"return {\n",
	"  title = 'Commandes test',\n",
	"  description = 'Pour les tests',\n",
	"  owner = 'Equipe',\n",
	"  version = '2.1.0',\n",
	"  roles = { pharmacie = 'Pharmacie départementale', centre = 'Centre de vaccination' },\n",
	"  privacy = { purpose = 'Tests', legal_basis = 'intérêt public', retention_days = 365,\n",
	"              contact = 'dpo@example.org', recipients = { 'ARS', 'Pharmacie' } },\n",
	"  forms = {\n",
	"    {\n",
	"      id = 'commande',\n",
	"      title = 'Commande',\n",
	"      description = 'Une commande',\n",
	"      fields = {\n",
	"        { name = 's_centre', type = 'section', label = 'Le centre' },\n",
	"        { name = 'centre', type = 'text', label = 'Centre', required = true,\n",
	"          help = 'Nom complet', placeholder = 'CV Nord' },\n",
	"        { name = 'note', type = 'textarea', label = 'Note', private = { 'pharmacie' },\n",
	"          editable_by = { 'pharmacie', 'owner' } },\n",
	"        { name = 'vaccin', type = 'choice', label = 'Vaccin', default = 'moderna',\n",
	"          options = { { 'pfizer', 'Comirnaty (Pfizer)' },\n",
	"                      { value = 'moderna', label = 'Spikevax (Moderna)' }, 'novavax' } },\n",
	"        { name = 'doses', type = 'integer', label = 'Doses', min = 10, max = 5000, default = 12 },\n",
	"        { name = 'urgent', type = 'boolean', label = 'Urgent', default = false },\n",
	"        { name = 'motif', type = 'textarea', label = 'Motif', max_length = 500,\n",
	"          visible_if = { urgent = true }, required = true },\n",
	"        { name = 'precision', type = 'text', label = 'Précision',\n",
	"          required_if = { vaccin = { 'pfizer', 'novavax' }, doses = 12 } },\n",
	"        { name = 'taille', type = 'choice', label = 'Taille',\n",
	"          options = { 'a', 'b', 'c', 'd', 'e', 'f' } },\n",
	"        { name = 's_calcul', type = 'section', label = 'Calculs' },\n",
	"        { name = 'total', type = 'integer', label = 'Total', compute = calc, readonly = true },\n",
	"        { name = 'prix', type = 'money', label = 'Prix', default = 12.5, max = 100 },\n",
	"        { name = 'taux', type = 'decimal', label = 'Taux', scale = 2, default = 3 },\n",
	"        { name = 'publics', type = 'multichoice', label = 'Publics', options = { 'x', 'y', 'z' },\n",
	"          default = { 'x', 'z' }, min = 1, max = 2 },\n",
	"        { name = 'le', type = 'date', label = 'Le', min = 'today+1', max = '2030-12-31',\n",
	"          default = '2026-01-15' },\n",
	"        { name = 'nom_complet', type = 'text', label = 'Nom', renamed_from = 'nom', min_length = 2,\n",
	"          pattern = '%a+', pattern_message = 'Lettres', personal = true },\n",
	"        { name = 'piece', type = 'file', label = 'Pièce', max_size = 1000,\n",
	"          accept = { 'application/pdf' } },\n",
	"      },\n",
	"      on_create = shared,\n",
	"      validate = function(r) end,\n",
	"      access = { create = { 'centre' }, read = { centre = 'own', pharmacie = 'all' },\n",
	"                 delete = { 'pharmacie' } },\n",
	"      list = { columns = { 'centre', 'doses', 'state' }, filters = { 'vaccin', 'urgent' },\n",
	"               search = { 'centre' }, sort = '-doses', page_size = 50 },\n",
	"      workflow = {\n",
	"        initial = 'soumise',\n",
	"        states = {\n",
	"          { id = 'refusee', label = 'Refusée', final = true },\n",
	"          { id = 'soumise', label = 'Soumise', editable_by = { 'owner', 'pharmacie' }, due_days = 2 },\n",
	"          { id = 'validee', label = 'Validée', description = 'En préparation', due_days = 5 },\n",
	"          { id = 'livree', final = true },\n",
	"        },\n",
	"        transitions = {\n",
	"          { id = 'valider', label = 'Valider', from = 'soumise', to = 'validee',\n",
	"            roles = { 'pharmacie' }, self_approval = false, comment = 'optional',\n",
	"            guard = function(r) return true end,\n",
	"            fields = {\n",
	"              { name = 'livraison', type = 'date', label = 'Livraison prévue', required = true,\n",
	"                visible_if = { vaccin = 'pfizer' } },\n",
	"              { name = 'commentaire', type = 'textarea', label = 'Commentaire' },\n",
	"              { name = 'doses', type = 'integer', label = 'Doses validées' },\n",
	"            } },\n",
	"          { id = 'refuser', label = 'Refuser', from = { 'soumise', 'validee' }, to = 'refusee',\n",
	"            roles = { 'pharmacie' }, comment = 'required',\n",
	"            fields = { { name = 'commentaire', type = 'textarea', label = 'Motif du refus' } } },\n",
	"          { id = 'livrer', label = 'Livrer', from = 'validee', to = 'livree', roles = { 'pharmacie' },\n",
	"            action = function(r) end,\n",
	"            notify = { to = 'role:centre', subject = 'Livrée : {{centre}}', body = '{{ id }}' } },\n",
	"          { id = 'livraison_tacite', from = { 'validee' }, to = 'livree', after_days = 10 },\n",
	"        },\n",
	"      },\n",
	"    },\n",
	"    {\n",
	"      id = 'lot',\n",
	"      title = 'Lots',\n",
	"      fields = {\n",
	"        { name = 'numero', type = 'text', label = 'Numéro' },\n",
	"        { name = 'quantite', type = 'integer', label = 'Quantité', compute = calc },\n",
	"        { name = 'fournisseur', type = 'choice', label = 'Fournisseur', widget = 'select',\n",
	"          options = { 'spf', 'labo' } },\n",
	"        { name = 'mode', type = 'choice', label = 'Mode', widget = 'radio',\n",
	"          options = { '1', '2', '3', '4', '5', '6', '7' } },\n",
	"        { name = 'courriel', type = 'email', label = 'Courriel' },\n",
	"        { name = 'remarques', type = 'textarea', label = 'Remarques' },\n",
	"        { name = 'secret', type = 'text', label = 'Secret', private = {} },\n",
	"        { name = 'ratio', type = 'decimal', label = 'Ratio' },\n",
	"        { name = 'cinq', type = 'choice', label = 'Cinq', options = { '1', '2', '3', '4', '5' } },\n",
	"      },\n",
	"      validate = shared,\n",
	"      access = { create = { 'pharmacie' }, read = { pharmacie = 'all' }, update = { 'pharmacie' } },\n",
	"    },\n",
	"  },\n",
	"}\n",
	NULL,
};

static int good_setup(void **st)
{
	tmpapp *t = calloc(1, sizeof *t);
	buf b = BUF_INIT;
	for (size_t i = 0; GOOD[i]; i++)
		buf_puts(&b, GOOD[i]);
	app_make(t, "commandes-test", buf_cstr(&b));
	buf_free(&b);
	*st = t;
	return 0;
}

static int good_teardown(void **st)
{
	app_rm(*st);
	free(*st);
	return 0;
}

static def_app *good(void **st)
{
	return load_ok(((tmpapp *)*st)->dir);
}

/* ------------------------------------------------------------------ structures */

static void app_keys_roles_and_privacy_are_copied(void **st)
{
	def_app *a = good(st);
	assert_string_equal(a->id, "commandes-test");
	assert_string_equal(a->dir, ((tmpapp *)*st)->dir);
	assert_string_equal(a->title, "Commandes test");
	assert_string_equal(a->description, "Pour les tests");
	assert_string_equal(a->owner, "Equipe");
	assert_string_equal(a->version, "2.1.0");
	/* roles come in key order, whatever the order in the file */
	assert_int_equal(a->nroles, 2);
	assert_string_equal(a->roles[0].id, "centre");
	assert_string_equal(a->roles[0].label, "Centre de vaccination");
	assert_string_equal(a->roles[1].id, "pharmacie");
	assert_string_equal(a->roles[1].label, "Pharmacie départementale");
	assert_string_equal(a->privacy.purpose, "Tests");
	assert_string_equal(a->privacy.legal_basis, "intérêt public");
	assert_string_equal(a->privacy.contact, "dpo@example.org");
	assert_int_equal(a->privacy.retention_days, 365);
	static const char *const rec[] = {"ARS", "Pharmacie"};
	assert_strlist(&a->privacy.recipients, rec, 2);
	assert_int_equal(a->nforms, 2);
	assert_string_equal(a->forms[0].id, "commande");
	assert_string_equal(a->forms[0].title, "Commande");
	assert_string_equal(a->forms[0].description, "Une commande");
	assert_string_equal(a->forms[1].id, "lot");
	assert_null(a->forms[1].description);
	assert_ptr_equal(def_find_form(a, "lot"), &a->forms[1]);
	assert_int_equal(strlen(a->hash), 64);
	def_app_free(a);
}

static void fields_keep_screen_order_types_names_and_labels(void **st)
{
	def_app *a = good(st);
	const def_form *f = &a->forms[0];
	static const struct { const char *name; field_type type; const char *label; } want[] = {
		{"s_centre", FT_SECTION, "Le centre"}, {"centre", FT_TEXT, "Centre"},
		{"note", FT_TEXTAREA, "Note"}, {"vaccin", FT_CHOICE, "Vaccin"},
		{"doses", FT_INTEGER, "Doses"}, {"urgent", FT_BOOLEAN, "Urgent"},
		{"motif", FT_TEXTAREA, "Motif"}, {"precision", FT_TEXT, "Précision"},
		{"taille", FT_CHOICE, "Taille"}, {"s_calcul", FT_SECTION, "Calculs"},
		{"total", FT_INTEGER, "Total"}, {"prix", FT_MONEY, "Prix"},
		{"taux", FT_DECIMAL, "Taux"}, {"publics", FT_MULTICHOICE, "Publics"},
		{"le", FT_DATE, "Le"}, {"nom_complet", FT_TEXT, "Nom"}, {"piece", FT_FILE, "Pièce"},
	};
	assert_int_equal(f->nfields, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < f->nfields; i++) {
		assert_string_equal(f->fields[i].name, want[i].name);
		assert_int_equal(f->fields[i].type, want[i].type);
		assert_string_equal(f->fields[i].label, want[i].label);
	}
	/* sections have no column; fields carry the label of the section above them */
	assert_int_equal(f->fields[0].col, -1);
	assert_int_equal(f->fields[9].col, -1);
	assert_null(f->fields[0].section);
	assert_string_equal(field_named(f, "centre")->section, "Le centre");
	assert_string_equal(field_named(f, "taille")->section, "Le centre");
	assert_string_equal(field_named(f, "total")->section, "Calculs");
	const def_field *c = field_named(f, "centre");
	assert_true(c->required);
	assert_false(c->readonly);
	assert_string_equal(c->help, "Nom complet");
	assert_string_equal(c->placeholder, "CV Nord");
	assert_true(field_named(f, "total")->readonly);
	assert_true(field_named(f, "nom_complet")->personal);
	assert_false(c->personal);
	def_app_free(a);
}

static void loader_fills_the_documented_defaults(void **st)
{
	def_app *a = good(st);
	const def_form *f = &a->forms[0];
	const def_field *centre = field_named(f, "centre"), *note = field_named(f, "note");
	assert_int_equal(centre->max_length, 200);      /* text */
	assert_int_equal(centre->min_length, -1);
	assert_int_equal(note->max_length, 10000);      /* textarea */
	assert_int_equal(field_named(f, "motif")->max_length, 500);
	const def_field *nc = field_named(f, "nom_complet");
	assert_int_equal(nc->min_length, 2);
	assert_string_equal(nc->pattern, "%a+");
	assert_string_equal(nc->pattern_message, "Lettres");
	assert_null(centre->pattern);
	assert_int_equal(field_named(f, "taux")->scale, 2);
	assert_int_equal(field_named(&a->forms[1], "ratio")->scale, -1);
	assert_int_equal(field_named(f, "piece")->max_size, 1000);
	assert_int_equal(centre->max_size, -1);
	static const char *const pdf[] = {"application/pdf"};
	assert_strlist(&field_named(f, "piece")->accept, pdf, 1);
	/* bounds */
	const def_field *doses = field_named(f, "doses");
	assert_true(doses->has_min && doses->has_max);
	assert_true(doses->min == 10 && doses->max == 5000);
	assert_false(field_named(f, "total")->has_min);
	const def_field *prix = field_named(f, "prix");
	assert_false(prix->has_min);
	assert_true(prix->has_max && prix->max == 100);
	const def_field *pub = field_named(f, "publics");
	assert_true(pub->has_min && pub->min == 1 && pub->has_max && pub->max == 2);
	const def_field *le = field_named(f, "le");
	assert_string_equal(le->min_date, "today+1");
	assert_string_equal(le->max_date, "2030-12-31");
	assert_null(field_named(f, "urgent")->min_date);
	/* choice widgets: radios up to 5 options, unless the definition says otherwise */
	assert_true(field_named(f, "vaccin")->widget_radio);          /* 3 options */
	assert_true(field_named(&a->forms[1], "cinq")->widget_radio); /* 5 options */
	assert_false(field_named(f, "taille")->widget_radio);         /* 6 options */
	assert_false(field_named(&a->forms[1], "fournisseur")->widget_radio); /* 2, "select" */
	assert_true(field_named(&a->forms[1], "mode")->widget_radio);         /* 7, "radio" */
	/* no access keys: nothing */
	assert_false(centre->has_private);
	assert_false(centre->has_editable_by);
	assert_null(centre->renamed_from);
	assert_int_equal(centre->compute, 0);
	assert_int_equal(centre->visible_if.n, 0);
	assert_int_equal(centre->required_if.n, 0);
	def_app_free(a);
}

static void choice_options_accept_strings_pairs_and_value_label_tables(void **st)
{
	def_app *a = good(st);
	const def_field *v = field_named(&a->forms[0], "vaccin");
	assert_int_equal(v->noptions, 3);
	assert_string_equal(v->options[0].value, "pfizer");
	assert_string_equal(v->options[0].label, "Comirnaty (Pfizer)");
	assert_string_equal(v->options[1].value, "moderna");
	assert_string_equal(v->options[1].label, "Spikevax (Moderna)");
	assert_string_equal(v->options[2].value, "novavax");   /* a string: value and label */
	assert_string_equal(v->options[2].label, "novavax");
	assert_string_equal(def_option_label(v, "moderna"), "Spikevax (Moderna)");
	const def_field *p = field_named(&a->forms[0], "publics");
	assert_int_equal(p->noptions, 3);
	assert_string_equal(p->options[2].value, "z");
	assert_string_equal(p->options[2].label, "z");
	assert_int_equal(field_named(&a->forms[0], "taille")->noptions, 6);
	def_app_free(a);
}

static void conditions_resolve_to_columns_with_canonical_values(void **st)
{
	def_app *a = good(st);
	const def_form *f = &a->forms[0];
	const def_field *motif = field_named(f, "motif");
	assert_int_equal(motif->visible_if.n, 1);
	assert_string_equal(motif->visible_if.v[0].field, "urgent");
	assert_int_equal(motif->visible_if.v[0].col, def_find_col(f, "urgent"));
	assert_int_equal(motif->visible_if.v[0].col, 4);
	static const char *const yes[] = {"true"};
	assert_strlist(&motif->visible_if.v[0].values, yes, 1);
	assert_int_equal(motif->required_if.n, 0);

	/* entries in key order: doses, then vaccin */
	const def_field *pr = field_named(f, "precision");
	assert_int_equal(pr->visible_if.n, 0);
	assert_int_equal(pr->required_if.n, 2);
	assert_string_equal(pr->required_if.v[0].field, "doses");
	assert_int_equal(pr->required_if.v[0].col, 3);
	static const char *const twelve[] = {"12"};
	assert_strlist(&pr->required_if.v[0].values, twelve, 1);
	assert_string_equal(pr->required_if.v[1].field, "vaccin");
	assert_int_equal(pr->required_if.v[1].col, 2);
	static const char *const two[] = {"pfizer", "novavax"};
	assert_strlist(&pr->required_if.v[1].values, two, 2);

	/* a transition field may depend on a form field */
	const def_transition *tr = def_find_transition(f, "valider");
	assert_non_null(tr);
	const def_field *liv = &tr->fields[0];
	assert_string_equal(liv->name, "livraison");
	assert_int_equal(liv->visible_if.n, 1);
	assert_int_equal(liv->visible_if.v[0].col, 2);
	static const char *const pf[] = {"pfizer"};
	assert_strlist(&liv->visible_if.v[0].values, pf, 1);
	def_app_free(a);
}

static void columns_are_form_fields_then_transition_fields_one_per_name(void **st)
{
	def_app *a = good(st);
	const def_form *f = &a->forms[0];
	static const char *const names[] = {
		"centre", "note", "vaccin", "doses", "urgent", "motif", "precision", "taille", "total",
		"prix", "taux", "publics", "le", "nom_complet", "piece", "livraison", "commentaire",
	};
	assert_int_equal(f->ncols, sizeof names / sizeof names[0]);
	for (size_t i = 0; i < f->ncols; i++) {
		assert_string_equal(f->cols[i]->name, names[i]);
		assert_int_equal(f->cols[i]->col, (int)i);
	}
	/* every form field points at its own column */
	for (size_t i = 0; i < f->nfields; i++)
		if (f->fields[i].type != FT_SECTION)
			assert_ptr_equal(f->cols[f->fields[i].col], &f->fields[i]);
	/* a name met again shares the first column */
	const def_transition *val = def_find_transition(f, "valider");
	const def_transition *ref = def_find_transition(f, "refuser");
	assert_int_equal(val->nfields, 3);
	assert_int_equal(val->fields[0].col, 15);
	assert_int_equal(val->fields[1].col, 16);
	assert_int_equal(val->fields[2].col, 3);          /* doses: the form's column */
	assert_int_equal(ref->nfields, 1);
	assert_int_equal(ref->fields[0].col, 16);         /* commentaire, once */
	assert_ptr_equal(f->cols[16], &val->fields[1]);
	assert_string_equal(ref->fields[0].label, "Motif du refus");
	assert_int_equal(def_find_col(f, "s_centre"), -1);
	assert_int_equal(def_find_col(f, "state"), -1);
	/* a form without workflow: just its fields */
	assert_int_equal(a->forms[1].ncols, 9);
	assert_null(a->forms[1].workflow);
	def_app_free(a);
}

static void workflow_indexes_and_transition_defaults(void **st)
{
	def_app *a = good(st);
	const def_workflow *w = a->forms[0].workflow;
	assert_non_null(w);
	assert_string_equal(w->initial, "soumise");
	assert_int_equal(w->initial_index, 1);
	assert_int_equal(w->nstates, 4);
	static const char *const ids[] = {"refusee", "soumise", "validee", "livree"};
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(w->states[i].id, ids[i]);
	assert_true(w->states[0].final);
	assert_false(w->states[1].final);
	assert_string_equal(w->states[3].label, "livree");   /* no label: the id */
	assert_string_equal(w->states[2].description, "En préparation");
	assert_null(w->states[1].description);
	assert_int_equal(w->states[1].due_days, 2);
	assert_int_equal(w->states[2].due_days, 5);
	assert_int_equal(w->states[0].due_days, -1);
	assert_true(w->states[1].has_editable_by);
	static const char *const ed[] = {"owner", "pharmacie"};
	assert_strlist(&w->states[1].editable_by, ed, 2);
	assert_false(w->states[2].has_editable_by);
	assert_int_equal(w->nmoves, 0);

	assert_int_equal(w->ntransitions, 4);
	const def_transition *t = &w->transitions[0];
	assert_string_equal(t->id, "valider");
	assert_string_equal(t->label, "Valider");
	assert_int_equal(t->from.n, 1);
	assert_string_equal(t->from.v[0], "soumise");
	assert_int_equal(t->from_index[0], 1);
	assert_string_equal(t->to, "validee");
	assert_int_equal(t->to_index, 2);
	static const char *const ph[] = {"pharmacie"};
	assert_strlist(&t->roles, ph, 1);
	assert_false(t->self_approval);
	assert_int_equal(t->comment, COMMENT_OPTIONAL);
	assert_int_equal(t->after_days, -1);
	assert_int_equal(t->nnotify, 0);

	t = &w->transitions[1];
	assert_string_equal(t->id, "refuser");
	assert_int_equal(t->from.n, 2);
	assert_int_equal(t->from_index[0], 1);
	assert_int_equal(t->from_index[1], 2);
	assert_int_equal(t->to_index, 0);
	assert_true(t->self_approval);                    /* default */
	assert_int_equal(t->comment, COMMENT_REQUIRED);

	t = &w->transitions[2];
	assert_string_equal(t->id, "livrer");
	assert_int_equal(t->comment, COMMENT_NONE);
	assert_int_equal(t->to_index, 3);
	assert_int_equal(t->nfields, 0);
	assert_int_equal(t->nnotify, 1);
	assert_string_equal(t->notify[0].to, "role:centre");
	assert_string_equal(t->notify[0].subject, "Livrée : {{centre}}");
	assert_string_equal(t->notify[0].body, "{{ id }}");

	t = &w->transitions[3];
	assert_string_equal(t->id, "livraison_tacite");
	assert_string_equal(t->label, "livraison_tacite");
	assert_int_equal(t->after_days, 10);
	assert_int_equal(t->roles.n, 0);
	assert_int_equal(t->from_index[0], 2);
	assert_int_equal(t->to_index, 3);
	assert_int_equal(def_find_state(w, "livree"), 3);
	def_app_free(a);
}

static void hook_ids_follow_the_definition_walk_and_zero_means_none(void **st)
{
	def_app *a = good(st);
	const def_form *f = &a->forms[0], *lot = &a->forms[1];
	const def_workflow *w = f->workflow;
	/*
	 * Walk: array items in order, then keys sorted. forms[1]: fields (total.compute),
	 * on_create, validate, workflow > transitions (valider.guard, livrer.action);
	 * forms[2] reuses calc and shared, which keep their numbers.
	 */
	assert_int_equal(field_named(f, "total")->compute, 1);
	assert_int_equal(f->on_create, 2);
	assert_int_equal(f->validate, 3);
	assert_int_equal(w->transitions[0].guard, 4);
	assert_int_equal(w->transitions[0].action, 0);
	assert_int_equal(w->transitions[2].action, 5);
	assert_int_equal(w->transitions[2].guard, 0);
	assert_int_equal(w->transitions[1].guard, 0);
	assert_int_equal(w->transitions[1].action, 0);
	assert_int_equal(field_named(lot, "quantite")->compute, 1);
	assert_int_equal(lot->validate, 2);
	assert_int_equal(lot->on_create, 0);
	assert_int_equal(field_named(f, "doses")->compute, 0);
	assert_int_equal(a->nhooks, 5);
	def_app_free(a);
}

static void field_access_lists_renames_and_defaults_as_json(void **st)
{
	def_app *a = good(st);
	const def_form *f = &a->forms[0];
	const def_field *note = field_named(f, "note");
	assert_true(note->has_private);
	static const char *const ph[] = {"pharmacie"};
	assert_strlist(&note->private_roles, ph, 1);
	assert_true(note->has_editable_by);
	static const char *const ed[] = {"pharmacie", "owner"};
	assert_strlist(&note->editable_by, ed, 2);
	/* private = {} : present but empty, admins only */
	const def_field *secret = field_named(&a->forms[1], "secret");
	assert_true(secret->has_private);
	assert_int_equal(secret->private_roles.n, 0);
	assert_string_equal(field_named(f, "nom_complet")->renamed_from, "nom");

	assert_json(field_named(f, "vaccin")->default_value, "\"moderna\"");
	assert_json(field_named(f, "doses")->default_value, "12");
	assert_true(json_is_integer(field_named(f, "doses")->default_value));
	assert_json(field_named(f, "urgent")->default_value, "false");
	assert_json(field_named(f, "prix")->default_value, "\"12.50\"");   /* money: euros text */
	assert_true(json_is_real(field_named(f, "taux")->default_value));
	assert_true(json_real_value(field_named(f, "taux")->default_value) == 3.0);
	assert_json(field_named(f, "publics")->default_value, "[\"x\",\"z\"]");
	assert_json(field_named(f, "le")->default_value, "\"2026-01-15\"");
	assert_null(field_named(f, "centre")->default_value);
	assert_null(field_named(f, "piece")->default_value);
	def_app_free(a);
}

static void list_settings_and_their_defaults(void **st)
{
	def_app *a = good(st);
	const def_list *l = &a->forms[0].list;
	static const char *const cols[] = {"centre", "doses", "state"};
	assert_strlist(&l->columns, cols, 3);
	static const char *const filt[] = {"vaccin", "urgent"};
	assert_strlist(&l->filters, filt, 2);
	static const char *const search[] = {"centre"};
	assert_strlist(&l->search, search, 1);
	assert_string_equal(l->sort, "-doses");
	assert_int_equal(l->page_size, 50);

	/* no list: the first 4 data fields, every text/textarea/email field, newest first, 25 */
	const def_list *d = &a->forms[1].list;
	static const char *const dcols[] = {"numero", "quantite", "fournisseur", "mode"};
	assert_strlist(&d->columns, dcols, 4);
	static const char *const dsearch[] = {"numero", "courriel", "remarques", "secret"};
	assert_strlist(&d->search, dsearch, 4);
	assert_int_equal(d->filters.n, 0);
	assert_string_equal(d->sort, "-created_at");
	assert_int_equal(d->page_size, 25);
	def_app_free(a);
}

/* drafts = true is 30 days, { days = N } is N, false or absent is none (SPEC 4.2). */
static void drafts_days_and_their_default(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "brouillons",
	         "return { title = \"B\", forms = {\n"
	         "  { id = \"a\", title = \"A\", drafts = true,\n"
	         "    fields = { { name = \"x\", type = \"text\", label = \"X\" } } },\n"
	         "  { id = \"b\", title = \"B\", drafts = { days = 7 },\n"
	         "    fields = { { name = \"x\", type = \"text\", label = \"X\" } } },\n"
	         "  { id = \"c\", title = \"C\", drafts = false,\n"
	         "    fields = { { name = \"x\", type = \"text\", label = \"X\" } } },\n"
	         "  { id = \"d\", title = \"D\",\n"
	         "    fields = { { name = \"x\", type = \"text\", label = \"X\" } } } } }\n");
	def_app *a = load_ok(t.dir);
	assert_int_equal(a->forms[0].drafts_days, 30);
	assert_int_equal(a->forms[1].drafts_days, 7);
	assert_int_equal(a->forms[2].drafts_days, 0);
	assert_int_equal(a->forms[3].drafts_days, 0);
	def_app_free(a);
	app_rm(&t);
}

static void access_rules_are_copied_with_their_presence(void **st)
{
	def_app *a = good(st);
	const def_access *c = &a->forms[0].access;
	static const char *const centre[] = {"centre"}, *const ph[] = {"pharmacie"};
	assert_strlist(&c->create, centre, 1);
	assert_int_equal(c->nread, 2);
	assert_string_equal(c->read[0].role, "centre");
	assert_false(c->read[0].all);
	assert_string_equal(c->read[1].role, "pharmacie");
	assert_true(c->read[1].all);
	assert_false(c->has_update);
	assert_true(c->has_delete);
	assert_strlist(&c->del, ph, 1);
	const def_access *l = &a->forms[1].access;
	assert_true(l->has_update);
	assert_strlist(&l->update, ph, 1);
	assert_false(l->has_delete);
	assert_int_equal(l->del.n, 0);
	def_app_free(a);
}

/* ------------------------------------------------------------------ the example apps */

static void example_apps_load_clean(void **st)
{
	(void)st;
	def_app *v = load_ok("apps/vaccins");
	assert_string_equal(v->id, "vaccins");
	assert_string_equal(v->title, "Commandes de vaccins");
	assert_int_equal(v->nroles, 2);
	const def_form *c = def_find_form(v, "commande");
	assert_non_null(c);
	assert_non_null(def_find_form(v, "lot"));
	assert_null(def_find_form(v, "absent"));
	assert_int_equal(c->workflow->initial_index, def_find_state(c->workflow, "soumise"));
	const def_transition *tacite = def_find_transition(c, "reception_tacite");
	assert_non_null(tacite);
	assert_int_equal(tacite->after_days, 7);
	assert_int_equal(tacite->roles.n, 0);
	const def_transition *refuser = def_find_transition(c, "refuser");
	const def_field *motif = &refuser->fields[0];
	assert_string_equal(motif->name, "motif_refus");
	assert_int_equal(motif->noptions, 6);
	assert_string_equal(motif->options[0].value, "Rupture de stock");
	assert_string_equal(motif->options[0].label, "Rupture de stock");
	assert_false(motif->widget_radio);
	/* the finess rule: required for three of the five types of centre */
	const def_field *finess = field_named(c, "finess");
	assert_int_equal(finess->required_if.n, 1);
	assert_int_equal(finess->required_if.v[0].col, def_find_col(c, "type_centre"));
	assert_int_equal(finess->required_if.v[0].values.n, 3);
	assert_true(field_named(c, "flacons")->compute > 0);
	assert_true(c->validate > 0 && c->on_create > 0);
	assert_true(c->validate <= v->nhooks && c->on_create <= v->nhooks);
	assert_int_equal(def_find_transition(c, "valider")->self_approval, false);
	assert_json(field_named(c, "creneau")->default_value, "\"matin\"");
	def_app_free(v);

	def_app *p = load_ok("apps/ponts-sete");
	assert_string_equal(p->id, "ponts-sete");
	assert_non_null(def_find_form(p, "ouverture"));
	assert_int_equal(def_find_transition(def_find_form(p, "ouverture"), "expirer")->after_days, 3);
	def_app_free(p);

	def_app *r = load_ok("apps/reclamations/");   /* a trailing slash is not part of the id */
	assert_string_equal(r->id, "reclamations");
	const def_form *rf = def_find_form(r, "reclamation");
	assert_non_null(rf);
	assert_int_equal(def_find_transition(rf, "cloture_auto")->after_days, 30);
	assert_false(def_find_transition(rf, "cloturer")->self_approval);
	def_app_free(r);

	def_app *e = load_ok("tests/apps/essai");
	const def_form *d = def_find_form(e, "demande");
	assert_int_equal(e->nforms, 3);
	assert_int_equal(field_named(d, "objet")->max_length, 50);
	assert_int_equal(field_named(d, "details")->max_length, 10000);
	assert_int_equal(d->list.page_size, 10);
	assert_int_equal(def_find_form(e, "signalement")->list.page_size, 25);
	assert_string_equal(def_find_form(e, "signalement")->list.sort, "-created_at");
	def_app_free(e);
}

/* ------------------------------------------------------------------ hash and determinism */

static void same_definition_twice_gives_same_hash_and_hook_ids(void **st)
{
	(void)st;
	def_app *a = load_ok("tests/apps/essai"), *b = load_ok("tests/apps/essai");
	assert_string_equal(a->hash, b->hash);
	assert_int_equal(a->nhooks, b->nhooks);
	assert_int_equal(a->nhooks, 4);   /* total.compute, demande validate + on_create, lent validate */
	for (size_t i = 0; i < a->nforms; i++) {
		const def_form *fa = &a->forms[i], *fb = &b->forms[i];
		assert_int_equal(fa->validate, fb->validate);
		assert_int_equal(fa->on_create, fb->on_create);
		assert_int_equal(fa->ncols, fb->ncols);
		for (size_t k = 0; k < fa->ncols; k++)
			assert_int_equal(fa->cols[k]->compute, fb->cols[k]->compute);
	}
	char h[65];
	assert_int_equal(hash_dir("tests/apps/essai", h), 0);
	assert_string_equal(h, a->hash);
	def_app_free(a);
	def_app_free(b);
}

static void hash_covers_app_lua_and_lib_only_not_the_folder_name(void **st)
{
	(void)st;
	tmpapp x, y;
	const char *lua = "local m = require 'lib.outils'\n"
	                  "return { title = m.titre, forms = { { id = 'f', title = 'F',\n"
	                  "  fields = { { name = 'a', type = 'text', label = 'A' } } } } }\n";
	app_make(&x, "premiere", lua);
	app_make(&y, "seconde", lua);
	app_write(&x, "lib/outils.lua", "return { titre = 'Outils' }\n");
	app_write(&y, "lib/outils.lua", "return { titre = 'Outils' }\n");
	char hx[65], hy[65];
	assert_int_equal(hash_dir(x.dir, hx), 0);
	assert_int_equal(hash_dir(y.dir, hy), 0);
	assert_string_equal(hx, hy);
	for (size_t i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", hx[i]));
	def_app *a = load_ok(x.dir);
	assert_string_equal(a->hash, hx);
	assert_string_equal(a->title, "Outils");
	def_app_free(a);

	app_write(&y, "README.md", "not code\n");
	app_write(&y, "lib/notes.txt", "not code either\n");
	assert_int_equal(hash_dir(y.dir, hy), 0);
	assert_string_equal(hx, hy);

	app_write(&y, "lib/outils.lua", "return { titre = 'Outils 2' }\n");
	assert_int_equal(hash_dir(y.dir, hy), 0);
	assert_string_not_equal(hx, hy);
	app_write(&x, "lib/autre.lua", "return 1\n");
	char hx2[65];
	assert_int_equal(hash_dir(x.dir, hx2), 0);
	assert_string_not_equal(hx, hx2);

	char none[200];
	snprintf(none, sizeof none, "%s/absent", x.root);
	assert_int_equal(hash_dir(none, hx), -1);
	app_rm(&x);
	app_rm(&y);
}

static void app_ids_follow_the_folder_name_rule(void **st)
{
	(void)st;
	assert_true(loader_valid_app_id("vaccins"));
	assert_true(loader_valid_app_id("ponts-sete"));
	assert_true(loader_valid_app_id("a1"));
	assert_true(loader_valid_app_id("a234567890123456789012345678901234567890"));   /* 40 */
	assert_false(loader_valid_app_id("a2345678901234567890123456789012345678901")); /* 41 */
	assert_false(loader_valid_app_id(""));
	assert_false(loader_valid_app_id("Vaccins"));
	assert_false(loader_valid_app_id("1app"));
	assert_false(loader_valid_app_id("-app"));
	assert_false(loader_valid_app_id("mon_app"));
	assert_false(loader_valid_app_id("a/b"));
	assert_false(loader_valid_app_id(".."));
}

/* ------------------------------------------------------------------ the checker */

#define FORM_HEAD "return { title = 'T', roles = { pharmacie = 'Pharmacie', centre = 'Centre' },\n" \
                  "  forms = { { id = 'commande', title = 'Commande',\n"

static void misspelt_field_key_is_named_with_its_place_and_a_suggestion(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "cle", FORM_HEAD
	         "    fields = {\n"
	         "      { name = 'centre', type = 'text', label = 'Centre' },\n"
	         "      { name = 'doses', type = 'integer', label = 'Doses' },\n"
	         "      { name = 'vaccin', type = 'choice', lable = 'Vaccin', options = { 'a', 'b' } },\n"
	         "    } } } }\n");
	diags d = {0};
	load_bad(t.dir, &d);
	expect_count(&d, 2);
	expect_nth(&d, 0, t.file, "forms[1] \"commande\" > fields[3] \"vaccin\"",
	           "clé inconnue \"lable\" (vouliez-vous dire \"label\" ?)");
	expect_nth(&d, 1, t.file, "forms[1] \"commande\" > fields[3] \"vaccin\"",
	           "\"label\" est obligatoire");
	char line[1024];
	diag_format(&d.v[0], line, sizeof line);
	char want[1024];
	snprintf(want, sizeof want, "%s: forms[1] \"commande\" > fields[3] \"vaccin\": clé inconnue "
	         "\"lable\" (vouliez-vous dire \"label\" ?)", t.file);
	assert_string_equal(line, want);
	diags_free(&d);
	app_rm(&t);
}

static void misspelt_type_suggests_the_nearest_type(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "type", FORM_HEAD
	         "    fields = {\n"
	         "      { name = 'doses', type = 'integr', label = 'Doses' },\n"
	         "      { name = 'courriel', type = 'mail', label = 'Courriel' },\n"
	         "      { name = 'x', type = 'zzzzzzzz', label = 'X' },\n"
	         "    } } } }\n");
	diags d = {0};
	load_bad(t.dir, &d);
	expect_count(&d, 3);
	expect_nth(&d, 0, t.file, "forms[1] \"commande\" > fields[1] \"doses\"",
	           "type de champ inconnu \"integr\" (vouliez-vous dire \"integer\" ?)");
	expect_nth(&d, 1, t.file, "forms[1] \"commande\" > fields[2] \"courriel\"",
	           "type de champ inconnu \"mail\" (vouliez-vous dire \"email\" ?)");
	expect_nth(&d, 2, t.file, "forms[1] \"commande\" > fields[3] \"x\"",
	           "type de champ inconnu \"zzzzzzzz\"");
	diags_free(&d);
	app_rm(&t);
}

static void misspelt_states_suggest_the_declared_ones(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "etats", FORM_HEAD
	         "    fields = { { name = 'centre', type = 'text', label = 'Centre' } },\n"
	         "    workflow = { initial = 'soumis',\n"
	         "      states = { { id = 'soumise' }, { id = 'validee', final = true } },\n"
	         "      transitions = {\n"
	         "        { id = 'valider', from = { 'soumise', 'soumsie' }, to = 'valide',\n"
	         "          roles = { 'pharmacie' } } } } } } }\n");
	diags d = {0};
	load_bad(t.dir, &d);
	expect_count(&d, 3);
	expect_nth(&d, 0, t.file, "forms[1] \"commande\" > workflow",
	           "initial : état inconnu \"soumis\" (vouliez-vous dire \"soumise\" ?)");
	expect_nth(&d, 1, t.file, "forms[1] \"commande\" > workflow > transitions[1] \"valider\"",
	           "from : état inconnu \"soumsie\" (vouliez-vous dire \"soumise\" ?)");
	expect_nth(&d, 2, t.file, "forms[1] \"commande\" > workflow > transitions[1] \"valider\"",
	           "to : état inconnu \"valide\" (vouliez-vous dire \"validee\" ?)");
	diags_free(&d);
	app_rm(&t);
}

static void misspelt_roles_suggest_declared_and_reserved_roles(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "roles", FORM_HEAD
	         "    fields = { { name = 'centre', type = 'text', label = 'Centre' } },\n"
	         "    access = { create = { 'pharmacei' }, read = { centr = 'own' } },\n"
	         "    workflow = { initial = 'soumise',\n"
	         "      states = { { id = 'soumise', editable_by = { 'ownr' } },\n"
	         "                 { id = 'validee', final = true } },\n"
	         "      transitions = { { id = 'valider', from = 'soumise', to = 'validee',\n"
	         "                        roles = { 'pharmaci', 'xyzzy' } } } } } } }\n");
	diags d = {0};
	load_bad(t.dir, &d);
	expect_count(&d, 5);
	expect_nth(&d, 0, t.file, "forms[1] \"commande\" > workflow > states[1] \"soumise\"",
	           "editable_by : rôle non déclaré \"ownr\" (vouliez-vous dire \"owner\" ?)");
	expect_nth(&d, 1, t.file, "forms[1] \"commande\" > workflow > transitions[1] \"valider\"",
	           "roles : rôle non déclaré \"pharmaci\" (vouliez-vous dire \"pharmacie\" ?)");
	expect_nth(&d, 2, t.file, "forms[1] \"commande\" > workflow > transitions[1] \"valider\"",
	           "roles : rôle non déclaré \"xyzzy\"");
	expect_nth(&d, 3, t.file, "forms[1] \"commande\" > access",
	           "access.create : rôle non déclaré \"pharmacei\" (vouliez-vous dire \"pharmacie\" ?)");
	expect_nth(&d, 4, t.file, "forms[1] \"commande\" > access",
	           "access.read : rôle non déclaré \"centr\" (vouliez-vous dire \"centre\" ?)");
	diags_free(&d);
	app_rm(&t);
}

static void misspelt_field_names_and_values_in_conditions(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "conditions", FORM_HEAD
	         "    fields = {\n"
	         "      { name = 'urgent', type = 'boolean', label = 'Urgent' },\n"
	         "      { name = 'motif', type = 'textarea', label = 'Motif', visible_if = { urgnt = true } },\n"
	         "      { name = 'vaccin', type = 'choice', label = 'Vaccin', options = { 'pfizer', 'moderna' } },\n"
	         "      { name = 'lot', type = 'text', label = 'Lot', required_if = { vaccin = 'pfzer' } },\n"
	         "      { name = 'x', type = 'text', label = 'X', visible_if = { urgent = 'oui' } },\n"
	         "      { name = 'y', type = 'text', label = 'Y', visible_if = { y = 'a' } },\n"
	         "      { name = 'n', type = 'integer', label = 'N', visible_if = { vaccin = {} } },\n"
	         "    } } } }\n");
	diags d = {0};
	load_bad(t.dir, &d);
	expect_count(&d, 5);
	expect_nth(&d, 0, t.file, "forms[1] \"commande\" > fields[2] \"motif\"",
	           "visible_if : champ inconnu \"urgnt\" (vouliez-vous dire \"urgent\" ?)");
	expect_nth(&d, 1, t.file, "forms[1] \"commande\" > fields[4] \"lot\"",
	           "required_if.vaccin : \"pfzer\" n'est pas une option de \"vaccin\" "
	           "(vouliez-vous dire \"pfizer\" ?)");
	expect_nth(&d, 2, t.file, "forms[1] \"commande\" > fields[5] \"x\"",
	           "visible_if.urgent : la chaîne \"oui\" ne convient pas à un champ \"boolean\" "
	           "(attendu true ou false)");
	expect_nth(&d, 3, t.file, "forms[1] \"commande\" > fields[6] \"y\"",
	           "visible_if : un champ ne peut pas dépendre de lui-même");
	expect_nth(&d, 4, t.file, "forms[1] \"commande\" > fields[7] \"n\"",
	           "visible_if.vaccin : attendu une valeur ou une liste de valeurs");
	diags_free(&d);
	app_rm(&t);
}

static void every_problem_is_reported_in_walk_order(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "plusieurs",
	         "return {\n"
	         "  titel = 'T',\n"
	         "  roles = { agent = 'Agent' },\n"
	         "  privacy = { retention_days = 0 },\n"
	         "  forms = {\n"
	         "    { id = 'a', title = 'A',\n"
	         "      fields = { { name = 'n', type = 'integer', label = 'N', min = 5, max = 1 },\n"
	         "                 { name = 'n', type = 'integer', label = 'N bis' } },\n"
	         "      list = { page_size = 0 } },\n"
	         "    { id = 'b', title = 'B', fields = { { name = 'm', type = 'text', label = 'M' } },\n"
	         "      access = { delete = { 'agnet' } }, on_create = 'non' },\n"
	         "  },\n"
	         "}\n");
	diags d = {0};
	load_bad(t.dir, &d);
	expect_count(&d, 8);
	expect_nth(&d, 0, t.file, "", "clé inconnue \"titel\" (vouliez-vous dire \"title\" ?)");
	expect_nth(&d, 1, t.file, "", "\"title\" est obligatoire");
	expect_nth(&d, 2, t.file, "privacy", "\"retention_days\" doit être entre 1 et 109500, pas 0");
	expect_nth(&d, 3, t.file, "forms[1] \"a\" > fields[1] \"n\"", "min (5) est supérieur à max (1)");
	expect_nth(&d, 4, t.file, "forms[1] \"a\" > fields[2] \"n\"", "champ \"n\" déjà défini (fields[1])");
	expect_nth(&d, 5, t.file, "forms[1] \"a\" > list", "\"page_size\" doit être entre 1 et 500, pas 0");
	expect_nth(&d, 6, t.file, "forms[2] \"b\"", "\"on_create\" doit être une fonction, pas la chaîne \"non\"");
	expect_nth(&d, 7, t.file, "forms[2] \"b\" > access",
	           "access.delete : rôle non déclaré \"agnet\" (vouliez-vous dire \"agent\" ?)");

	/* the same definition gives the same lines, in the same order */
	diags d2 = {0};
	load_bad(t.dir, &d2);
	assert_int_equal(d2.n, d.n);
	for (size_t i = 0; i < d.n; i++) {
		assert_string_equal(d2.v[i].where, d.v[i].where);
		assert_string_equal(d2.v[i].message, d.v[i].message);
	}
	diags_free(&d);
	diags_free(&d2);
	app_rm(&t);
}

static void diagnostics_are_appended_to_what_the_list_holds(void **st)
{
	(void)st;
	diags d = {0};
	diags_add(&d, "ailleurs", 0, "", "déjà là");
	def_app *a = loader_load("tests/apps/essai", STDLIB, NULL, &d);
	assert_non_null(a);          /* earlier entries are not this load's problems */
	assert_int_equal(d.n, 1);
	def_app_free(a);
	tmpapp t;
	app_make(&t, "vide", "return { title = 'T', forms = {} }\n");
	assert_null(loader_load(t.dir, STDLIB, NULL, &d));
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].message, "déjà là");
	expect_nth(&d, 1, t.file, "", "\"forms\" doit contenir au moins un formulaire");
	diags_free(&d);
	app_rm(&t);
}

static void lua_errors_become_diagnostics_with_file_and_line(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "erreur", "local t = nil\n"
	         "\n"
	         "return { title = t.titre }\n");
	diags d = {0};
	load_bad(t.dir, &d);
	expect_count(&d, 1);
	assert_string_equal(d.v[0].file, t.file);
	assert_int_equal(d.v[0].line, 3);
	assert_string_equal(d.v[0].where, "");
	assert_string_equal(d.v[0].message, "attempt to index a nil value (local 't')");
	diags_free(&d);

	/* an error raised in a lib module names that file */
	app_write(&t, "app.lua", "local m = require 'lib.aide'\nreturn m\n");
	app_write(&t, "lib/aide.lua", "local x = 1\nerror('aide cassée')\n");
	diags d2 = {0};
	load_bad(t.dir, &d2);
	expect_count(&d2, 1);
	char lib[300];
	snprintf(lib, sizeof lib, "%s/lib/aide.lua", t.dir);
	assert_string_equal(d2.v[0].file, lib);
	assert_int_equal(d2.v[0].line, 2);
	assert_string_equal(d2.v[0].message, "aide cassée");
	diags_free(&d2);
	app_rm(&t);
}

static void load_limits_are_the_callers(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "boucle", "local n = 0\nwhile true do n = n + 1 end\n");
	sandbox_limits lim = sandbox_default_limits();
	lim.load_instructions = 100000;
	diags d = {0};
	def_app *a = loader_load(t.dir, STDLIB, &lim, &d);
	assert_null(a);
	expect_count(&d, 1);
	assert_string_equal(d.v[0].file, t.file);
	assert_int_equal(d.v[0].line, 2);
	assert_string_equal(d.v[0].message, SANDBOX_MSG_BUDGET " (100000 instructions)");
	diags_free(&d);
	app_rm(&t);
}

static void missing_app_lua_is_one_diagnostic(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "sans", "return {}\n");
	remove(t.file);
	diags d = {0};
	load_bad(t.dir, &d);
	expect_count(&d, 1);
	expect_nth(&d, 0, t.file, "", "fichier illisible ou absent");
	diags_free(&d);
	app_rm(&t);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	(void)argc;
	/* Paths are relative to the repository root: go there from build/tests/. */
	if (access("stdlib-lua", F_OK) != 0) {
		char self[4096];
		snprintf(self, sizeof self, "%s", argv[0]);
		char *dir = dirname(self);
		char up[4200];
		snprintf(up, sizeof up, "%s/../..", dir);
		if (chdir(up) != 0 || access("stdlib-lua", F_OK) != 0) {
			fprintf(stderr, "test_loader: run from the repository root\n");
			return 1;
		}
	}
	util_init();
	log_set_quiet(1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(app_keys_roles_and_privacy_are_copied, good_setup,
		                                good_teardown),
		cmocka_unit_test_setup_teardown(fields_keep_screen_order_types_names_and_labels,
		                                good_setup, good_teardown),
		cmocka_unit_test_setup_teardown(loader_fills_the_documented_defaults, good_setup,
		                                good_teardown),
		cmocka_unit_test_setup_teardown(choice_options_accept_strings_pairs_and_value_label_tables,
		                                good_setup, good_teardown),
		cmocka_unit_test_setup_teardown(conditions_resolve_to_columns_with_canonical_values,
		                                good_setup, good_teardown),
		cmocka_unit_test_setup_teardown(columns_are_form_fields_then_transition_fields_one_per_name,
		                                good_setup, good_teardown),
		cmocka_unit_test_setup_teardown(workflow_indexes_and_transition_defaults, good_setup,
		                                good_teardown),
		cmocka_unit_test_setup_teardown(hook_ids_follow_the_definition_walk_and_zero_means_none,
		                                good_setup, good_teardown),
		cmocka_unit_test_setup_teardown(field_access_lists_renames_and_defaults_as_json,
		                                good_setup, good_teardown),
		cmocka_unit_test_setup_teardown(list_settings_and_their_defaults, good_setup,
		                                good_teardown),
		cmocka_unit_test_setup_teardown(access_rules_are_copied_with_their_presence, good_setup,
		                                good_teardown),
		cmocka_unit_test(drafts_days_and_their_default),
		cmocka_unit_test(example_apps_load_clean),
		cmocka_unit_test(same_definition_twice_gives_same_hash_and_hook_ids),
		cmocka_unit_test(hash_covers_app_lua_and_lib_only_not_the_folder_name),
		cmocka_unit_test(app_ids_follow_the_folder_name_rule),
		cmocka_unit_test(misspelt_field_key_is_named_with_its_place_and_a_suggestion),
		cmocka_unit_test(misspelt_type_suggests_the_nearest_type),
		cmocka_unit_test(misspelt_states_suggest_the_declared_ones),
		cmocka_unit_test(misspelt_roles_suggest_declared_and_reserved_roles),
		cmocka_unit_test(misspelt_field_names_and_values_in_conditions),
		cmocka_unit_test(every_problem_is_reported_in_walk_order),
		cmocka_unit_test(diagnostics_are_appended_to_what_the_list_holds),
		cmocka_unit_test(lua_errors_become_diagnostics_with_file_and_line),
		cmocka_unit_test(load_limits_are_the_callers),
		cmocka_unit_test(missing_app_lua_is_one_diagnostic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
