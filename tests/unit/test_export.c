/*
 * test_export — what an export looks like (SPEC 11), cell by cell, on the definition of
 * tests/apps/essai (every field type): the CSV a French spreadsheet opens (quoting,
 * formulas neutralised, labels, values as validate_sheet writes them, Paris time), the
 * open-data header, the JSON line, and the Table Schema. The rows, the readers and the
 * streaming are tested through the use case (test_usecase) and HTTP (tests/http/exports.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "loader.h"
#include "log.h"
#include "sandbox.h"
#include "validate.h"

typedef struct fx {
	def_app *app;
	const def_form *f;
	bool *all;
	record r;
} fx;

static int col(const fx *x, const char *name)
{
	int c = def_find_col(x->f, name);
	assert_true(c >= 0);
	return c;
}

static void set_text(fx *x, const char *name, const char *s)
{
	value_set_text(&x->r.values[col(x, name)], s);
}

static int setup(void **state)
{
	fx *x = calloc(1, sizeof *x);
	diags d = {0};
	x->app = loader_load("tests/apps/essai", "stdlib-lua", NULL, &d);
	assert_non_null(x->app);
	diags_free(&d);
	x->f = def_find_form(x->app, "demande");
	x->all = calloc(x->f->ncols, sizeof *x->all);
	for (size_t i = 0; i < x->f->ncols; i++)
		x->all[i] = true;
	record_init(&x->r, x->f);
	x->r.id = 42;
	record_set_sys(&x->r.state, "deposee");
	record_set_sys(&x->r.created_at, "2026-07-01T22:30:00Z"); /* Paris: 2 July, 00:30 */
	record_set_sys(&x->r.created_by, "alice");
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;
	record_clear(&x->r);
	free(x->all);
	def_app_free(x->app);
	sandbox_thread_cleanup();
	free(x);
	return 0;
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);
	return n >= m && strcmp(s + n - m, end) == 0;
}

/* The cells of one CSV line (no quoting inside here: the tests that quote check raw). */
static const char *cell(const char *line, int n, char *out, size_t cap)
{
	const char *p = line;
	for (int i = 0; i < n; i++) {
		p = strchr(p, ';');
		assert_non_null(p);
		p++;
	}
	size_t len = strcspn(p, ";\r");
	assert_true(len < cap);
	memcpy(out, p, len);
	out[len] = '\0';
	return out;
}

static void the_header_is_labels_then_state_time_and_author(void **state)
{
	fx *x = *state;
	buf b = BUF_INIT;
	export_csv_header(&b, x->f, x->all, false);
	const char *h = buf_cstr(&b);
	assert_true(strncmp(h, "N°;Objet;Détails;Quantité;", 24) == 0);
	assert_non_null(strstr(h, ";Note interne;"));
	assert_true(ends_with(h, ";État;Créé le;Créé par\r\n"));
	buf_reset(&b);
	bool *od = calloc(x->f->ncols, sizeof *od);
	for (size_t i = 0; i < x->f->ncols; i++)
		od[i] = uc_open_data_col(x->f->cols[i]);
	export_csv_header(&b, x->f, od, true);
	h = buf_cstr(&b);
	assert_null(strstr(h, "Courriel"));     /* personal */
	assert_null(strstr(h, "Note interne")); /* private */
	assert_null(strstr(h, "Créé par"));
	assert_true(ends_with(h, ";État;Créé le\r\n"));
	free(od);
	buf_free(&b);
}

static void values_read_as_a_french_spreadsheet_reads_them(void **state)
{
	fx *x = *state;
	value_set_int(&x->r.values[col(x, "quantite")], -12);
	value_set_real(&x->r.values[col(x, "taux")], 1.25);
	value_set_int(&x->r.values[col(x, "montant")], 123450); /* cents */
	value_set_int(&x->r.values[col(x, "urgent")], 0);
	set_text(x, "le", "2026-03-09");
	set_text(x, "rdv", "2026-03-09T14:30");
	set_text(x, "tel", "+33477123456");
	set_text(x, "categorie", "b");
	set_text(x, "tags", "[\"x\",\"z\"]");
	buf b = BUF_INIT;
	export_csv_row(&b, x->f, x->all, false, &x->r, NULL);
	const char *line = buf_cstr(&b);
	char c[128];
	assert_string_equal(cell(line, 0, c, sizeof c), "42");
	assert_string_equal(cell(line, 1 + col(x, "quantite"), c, sizeof c), "-12"); /* a number */
	assert_string_equal(cell(line, 1 + col(x, "taux"), c, sizeof c), "1,25");
	assert_string_equal(cell(line, 1 + col(x, "montant"), c, sizeof c), "1234,50");
	assert_string_equal(cell(line, 1 + col(x, "urgent"), c, sizeof c), "non");
	assert_string_equal(cell(line, 1 + col(x, "le"), c, sizeof c), "09/03/2026");
	assert_string_equal(cell(line, 1 + col(x, "rdv"), c, sizeof c), "09/03/2026 14:30");
	assert_string_equal(cell(line, 1 + col(x, "tel"), c, sizeof c), "04 77 12 34 56");
	assert_string_equal(cell(line, 1 + col(x, "categorie"), c, sizeof c), "Catégorie B");
	assert_string_equal(cell(line, 1 + col(x, "tags"), c, sizeof c), "x, z");
	assert_string_equal(cell(line, 1 + col(x, "objet"), c, sizeof c), ""); /* NULL */
	int n = 1 + (int)x->f->ncols;
	assert_string_equal(cell(line, n, c, sizeof c), "Déposée");
	assert_string_equal(cell(line, n + 1, c, sizeof c), "02/07/2026 00:30");
	assert_string_equal(cell(line, n + 2, c, sizeof c), "alice");
	assert_true(ends_with(line, "\r\n"));
	buf_free(&b);
}

static void cells_are_quoted_and_formulas_neutralised(void **state)
{
	fx *x = *state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"a;b", "\"a;b\""},
	    {"dit \"oui\"", "\"dit \"\"oui\"\"\""},
	    {"deux\nlignes", "\"deux\nlignes\""},
	    {"=1+2", "'=1+2"},
	    {"+33 1", "'+33 1"},
	    {"-x", "'-x"},
	    {"@cmd", "'@cmd"},
	    {"\tx", "'\tx"},
	    {"\rx", "\"'\rx\""},
	    {"=A1;B1", "\"'=A1;B1\""},
	    {"<b>gras</b> & 'q'", "<b>gras</b> & 'q'"},
	    {"a=b", "a=b"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		set_text(x, "details", cases[i].in);
		buf b = BUF_INIT;
		bool *only = calloc(x->f->ncols, sizeof *only);
		only[col(x, "details")] = true;
		export_csv_row(&b, x->f, only, true, &x->r, NULL);
		/* N°;details;État;Créé le */
		char want[128];
		snprintf(want, sizeof want, "42;%s;Déposée;02/07/2026 00:30\r\n", cases[i].out);
		assert_string_equal(buf_cstr(&b), want);
		free(only);
		buf_free(&b);
	}
}

static void a_json_line_is_the_apis_record_and_open_data_drops_the_people(void **state)
{
	fx *x = *state;
	set_text(x, "objet", "Toit");
	set_text(x, "courriel", "a@example.org");
	buf b = BUF_INIT;
	export_jsonl_row(&b, x->f, x->all, false, &x->r);
	const char *l = buf_cstr(&b);
	assert_true(l[strlen(l) - 1] == '\n');
	json_t *j = json_loads(l, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 42);
	assert_string_equal(json_string_value(json_object_get(j, "created_by")), "alice");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "fields"), "courriel")),
	    "a@example.org");
	json_decref(j);
	buf_reset(&b);
	bool *od = calloc(x->f->ncols, sizeof *od);
	for (size_t i = 0; i < x->f->ncols; i++)
		od[i] = uc_open_data_col(x->f->cols[i]);
	export_jsonl_row(&b, x->f, od, true, &x->r);
	j = json_loads(buf_cstr(&b), 0, NULL);
	assert_null(json_object_get(j, "created_by"));
	assert_null(json_object_get(j, "updated_by"));
	assert_null(json_object_get(json_object_get(j, "fields"), "courriel"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "fields"), "objet")),
	                    "Toit");
	json_decref(j);
	free(od);
	buf_free(&b);
}

static void the_table_schema_names_each_open_data_column_in_order(void **state)
{
	fx *x = *state;
	json_t *s = export_table_schema(x->app, x->f);
	json_t *fields = json_object_get(s, "fields");
	size_t want = 1 + 2; /* id, then state and created_at */
	for (size_t i = 0; i < x->f->ncols; i++)
		want += uc_open_data_col(x->f->cols[i]);
	assert_int_equal(json_array_size(fields), want);
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 0), "name")),
	                    "id");
	json_t *last = json_array_get(fields, want - 1);
	assert_string_equal(json_string_value(json_object_get(last, "name")), "created_at");
	assert_string_equal(json_string_value(json_object_get(last, "format")), "%d/%m/%Y %H:%M");
	json_t *q = json_array_get(fields, 1 + 2); /* objet, details, quantite */
	assert_string_equal(json_string_value(json_object_get(q, "name")), "quantite");
	assert_string_equal(json_string_value(json_object_get(q, "title")), "Quantité");
	assert_string_equal(json_string_value(json_object_get(q, "type")), "integer");
	assert_string_equal(json_string_value(json_object_get(q, "description")),
	                    "Nombre d'unités demandées.");
	assert_string_equal(json_string_value(json_object_get(s, "primaryKey")), "id");
	json_decref(s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(the_header_is_labels_then_state_time_and_author),
		T(values_read_as_a_french_spreadsheet_reads_them),
		T(cells_are_quoted_and_formulas_neutralised),
		T(a_json_line_is_the_apis_record_and_open_data_drops_the_people),
		T(the_table_schema_names_each_open_data_column_in_order),
	};
#undef T
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
