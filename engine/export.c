/*
 * export — the formats of an export and its answers (see export.h).
 */
#include "export.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "jsonw.h"
#include "reference.h"
#include "util.h"
#include "validate.h"
#include "validate_repeat.h"

static const char BOM[] = "\xef\xbb\xbf";

/* ---- CSV ---- */

/*
 * One cell. A cell with ';', '"', CR or LF is quoted (quotes doubled). text: written
 * by a person (not a number or a date the engine formats), so a leading =, +, -, @,
 * tab or CR, which a spreadsheet would take for a formula, gets a ' first.
 */
static void csv_cell(buf *out, const char *s, size_t n, bool text, bool first)
{
	if (!first)
		buf_putc(out, ';');
	bool formula = text && n > 0 && strchr("=+-@\t\r", s[0]);
	bool quote = false;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ';' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (quote)
		buf_putc(out, '"');
	if (formula)
		buf_putc(out, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_putc(out, '"');
		buf_putc(out, s[i]);
	}
	if (quote)
		buf_putc(out, '"');
}

static void csv_str(buf *out, const char *s, bool text, bool first)
{
	csv_cell(out, s ? s : "", s ? strlen(s) : 0, text, first);
}

/* A system time (UTC, ISO 8601) as "JJ/MM/AAAA HH:MM" in Paris time; "" when unset. */
static void csv_time(buf *out, const char *iso)
{
	time_t t;
	char s[64] = "";
	if (iso && util_parse_datetime(iso, &t)) {
		time_t local = t + util_paris_offset(t);
		struct tm l;
		gmtime_r(&local, &l);
		snprintf(s, sizeof s, "%02d/%02d/%04d %02d:%02d", l.tm_mday, l.tm_mon + 1,
			 l.tm_year + 1900, l.tm_hour, l.tm_min);
	}
	csv_str(out, s, false, false);
}

/* Types whose cells the engine writes itself (numbers, dates, yes/no). */
static bool engine_written(field_type t)
{
	return t == FT_INTEGER || t == FT_DECIMAL || t == FT_MONEY || t == FT_BOOLEAN ||
	       t == FT_DATE || t == FT_DATETIME;
}

/* "Articles — Quantité": a repeat's column for one sub-field. */
static void sub_label(buf *cell, const def_field *fd, const def_field *sub)
{
	buf_reset(cell);
	buf_printf(cell, "%s — %s", fd->label, sub->label);
}

void export_csv_header(buf *out, const def_form *f, const bool *cols, bool open_data)
{
	csv_str(out, "N°", false, true);
	buf cell = BUF_INIT;
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (cols[col] && fd->type == FT_REPEAT)
			for (size_t i = 0; i < fd->nsub; i++) {
				sub_label(&cell, fd, &fd->sub[i]);
				csv_str(out, buf_cstr(&cell), true, false);
			}
		else if (cols[col])
			csv_str(out, fd->label, true, false);
	}
	buf_free(&cell);
	if (f->workflow)
		csv_str(out, "État", false, false);
	csv_str(out, "Créé le", false, false);
	if (!open_data)
		csv_str(out, "Créé par", false, false);
	buf_puts(out, "\r\n");
}

/* A reference's cell: its target's label when the exporter may read it, else its number. */
static bool reference_cell(const def_field *fd, const value *v, const ref_view *refs, buf *cell)
{
	if (fd->type != FT_REFERENCE || v->kind != VAL_INT)
		return false;
	const ref_item *it = ref_view_find(refs, fd, v->i);
	if (it && it->label)
		buf_puts(cell, it->label);
	else
		buf_printf(cell, "n° %lld", (long long)v->i);
	return true;
}

void export_csv_row(buf *out, const def_form *f, const bool *cols, bool open_data, const record *r,
		    const struct ref_view *refs)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)r->id);
	csv_str(out, id, false, true);
	buf cell = BUF_INIT;
	for (size_t col = 0; col < f->ncols; col++) {
		if (!cols[col])
			continue;
		const def_field *fd = f->cols[col];
		for (size_t i = 0; fd->type == FT_REPEAT && i < fd->nsub; i++) {
			buf_reset(&cell);
			validate_repeat_sheet(&fd->sub[i], &r->values[col], &cell);
			csv_cell(out, cell.data ? cell.data : "", cell.len, true, false);
		}
		if (fd->type == FT_REPEAT)
			continue;
		buf_reset(&cell);
		if (!reference_cell(f->cols[col], &r->values[col], refs, &cell))
			validate_sheet(f->cols[col], &r->values[col], &cell);
		csv_cell(out, cell.data ? cell.data : "", cell.len,
			 !engine_written(f->cols[col]->type), false);
	}
	buf_free(&cell);
	if (f->workflow) {
		int k = r->state ? def_find_state(f->workflow, r->state) : -1;
		csv_str(out, k >= 0 ? f->workflow->states[k].label : r->state, true, false);
	}
	csv_time(out, r->created_at);
	if (!open_data)
		csv_str(out, r->created_by, true, false);
	buf_puts(out, "\r\n");
}

const def_field *export_lines_field(const def_form *f, const actor *who, const char *name)
{
	int col = def_find_col(f, name);
	if (col < 0 || f->cols[col]->type != FT_REPEAT || !access_can_read_col(f->cols[col], who))
		return NULL;
	return f->cols[col];
}

void export_lines_header(buf *out, const def_field *fd)
{
	csv_str(out, "N°", false, true);
	csv_str(out, "Ligne", false, false);
	for (size_t i = 0; i < fd->nsub; i++)
		csv_str(out, fd->sub[i].label, true, false);
	buf_puts(out, "\r\n");
}

void export_lines_rows(buf *out, const def_field *fd, const record *r)
{
	json_t *lines = validate_repeat_lines(&r->values[fd->col]);
	buf cell = BUF_INIT;
	size_t k;
	json_t *line;
	json_array_foreach(lines, k, line)
	{
		buf_reset(&cell);
		buf_printf(&cell, "%lld", (long long)r->id);
		csv_str(out, buf_cstr(&cell), false, true);
		buf_reset(&cell);
		buf_printf(&cell, "%zu", k + 1);
		csv_str(out, buf_cstr(&cell), false, false);
		for (size_t i = 0; i < fd->nsub; i++) {
			value v;
			validate_repeat_cell(&fd->sub[i], json_object_get(line, fd->sub[i].name),
					     &v);
			buf_reset(&cell);
			validate_sheet(&fd->sub[i], &v, &cell);
			csv_cell(out, cell.data ? cell.data : "", cell.len,
				 !engine_written(fd->sub[i].type), false);
			value_clear(&v);
		}
		buf_puts(out, "\r\n");
	}
	buf_free(&cell);
	json_decref(lines);
}

/* ---- JSON Lines ---- */

void export_jsonl_row(buf *out, const def_form *f, const bool *cols, bool open_data,
		      const record *r)
{
	jsonw w;
	jsonw_init(&w, out);
	api_record_write_cols(&w, f, r, cols, !open_data);
	buf_putc(out, '\n');
}

/* ---- Table Schema ---- */

/* A field of the schema: its name, title, description and how its cells read. */
static json_t *schema_field(const char *name, const char *title, const char *help, field_type t,
			    const def_field *fd)
{
	json_t *j = json_pack("{s:s, s:s}", "name", name, "title", title ? title : name);
	if (help && *help)
		json_object_set_new(j, "description", json_string(help));
	const char *type = "string", *format = NULL;
	switch (t) {
	case FT_INTEGER:
		type = "integer";
		break;
	case FT_DECIMAL:
	case FT_MONEY:
		type = "number";
		json_object_set_new(j, "decimalChar", json_string(","));
		break;
	case FT_BOOLEAN:
		type = "boolean";
		json_object_set_new(j, "trueValues", json_pack("[s]", "oui"));
		json_object_set_new(j, "falseValues", json_pack("[s]", "non"));
		break;
	case FT_DATE:
		type = "date";
		format = "%d/%m/%Y";
		break;
	case FT_DATETIME:
		type = "datetime";
		format = "%d/%m/%Y %H:%M";
		break;
	case FT_EMAIL:
		format = "email";
		break;
	case FT_URL:
		format = "uri";
		break;
	default:
		break;
	}
	json_object_set_new(j, "type", json_string(type));
	if (format)
		json_object_set_new(j, "format", json_string(format));
	if (fd && fd->type == FT_CHOICE && fd->noptions) {
		json_t *e = json_array();
		for (size_t i = 0; i < fd->noptions; i++)
			json_array_append_new(e, json_string(fd->options[i].label
								 ? fd->options[i].label
								 : fd->options[i].value));
		json_object_set_new(j, "constraints", json_pack("{s:o}", "enum", e));
	}
	return j;
}

json_t *export_table_schema(const def_app *app, const def_form *f)
{
	json_t *fields = json_array();
	json_t *id = schema_field("id", "N°", "Numéro de l'enregistrement.", FT_INTEGER, NULL);
	json_object_set_new(id, "constraints", json_pack("{s:b, s:b}", "required", 1, "unique", 1));
	json_array_append_new(fields, id);
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (!uc_open_data_col(fd))
			continue;
		if (fd->type != FT_REPEAT) {
			json_array_append_new(
			    fields, schema_field(fd->name, fd->label, fd->help, fd->type, fd));
			continue;
		}
		/* the CSV's column per sub-field: the lines' values joined, hence text */
		for (size_t i = 0; i < fd->nsub; i++) {
			char name[96], title[512];
			snprintf(name, sizeof name, "%s.%s", fd->name, fd->sub[i].name);
			snprintf(title, sizeof title, "%s — %s", fd->label, fd->sub[i].label);
			json_array_append_new(
			    fields,
			    schema_field(name, title,
					 "Les valeurs des lignes, dans leur ordre, séparées "
					 "par « | » (export.csv?lines= : une ligne par ligne).",
					 FT_TEXT, NULL));
		}
	}
	if (f->workflow) {
		json_t *st = schema_field("state", "État", "Étape du traitement.", FT_TEXT, NULL);
		json_t *e = json_array();
		for (size_t i = 0; i < f->workflow->nstates; i++)
			json_array_append_new(e, json_string(f->workflow->states[i].label));
		json_object_set_new(st, "constraints", json_pack("{s:o}", "enum", e));
		json_array_append_new(fields, st);
	}
	json_array_append_new(fields, schema_field("created_at", "Créé le",
						   "Date et heure de création (heure de Paris).",
						   FT_DATETIME, NULL));
	char name[160], title[512];
	snprintf(name, sizeof name, "%s-%s", app->id, f->id);
	snprintf(title, sizeof title, "%s — %s", app->title ? app->title : app->id,
		 f->title ? f->title : f->id);
	json_t *s =
	    json_pack("{s:s, s:s, s:s, s:o, s:s, s:[s]}", "$schema",
		      "https://frictionlessdata.io/schemas/table-schema.json", "name", name,
		      "title", title, "fields", fields, "primaryKey", "id", "missingValues", "");
	if (f->description && *f->description)
		json_object_set_new(s, "description", json_string(f->description));
	if (app->version)
		json_object_set_new(s, "version", json_string(app->version));
	return s;
}

/* ---- the rows, page by page ---- */

/* An export being written: the rows of the page being read go into out. */
typedef struct exporting {
	uc_export *x;
	export_format fmt;
	const def_field *lines; /* CSV of this repeat's lines, a row each */
	buf out;
	size_t off;	  /* bytes of out already sent */
	bool head, ended; /* the header is written; the last page was read */
} exporting;

static void put_row(void *arg, const record *r)
{
	exporting *e = arg;
	const def_form *f = uc_export_form(e->x);
	bool od = uc_export_is_open_data(e->x);
	if (e->lines)
		export_lines_rows(&e->out, e->lines, r);
	else if (e->fmt == EXPORT_CSV)
		export_csv_row(&e->out, f, uc_export_cols(e->x), od, r, uc_export_refs(e->x));
	else
		export_jsonl_row(&e->out, f, uc_export_cols(e->x), od, r);
}

/* The next piece into e->out (after what was sent): the header, or a page. -1: failed. */
static int produce(exporting *e)
{
	buf_reset(&e->out);
	e->off = 0;
	if (!e->head) {
		e->head = true;
		if (e->lines) {
			buf_puts(&e->out, BOM);
			export_lines_header(&e->out, e->lines);
		} else if (e->fmt == EXPORT_CSV) {
			buf_puts(&e->out, BOM);
			export_csv_header(&e->out, uc_export_form(e->x), uc_export_cols(e->x),
					  uc_export_is_open_data(e->x));
		}
		return 0;
	}
	int n = uc_export_next(e->x, put_row, e);
	if (n < 0)
		return -1;
	if (n == 0)
		e->ended = true;
	return 0;
}

static long stream_fill(void *state, char *out, size_t max)
{
	exporting *e = state;
	while (e->off == e->out.len) {
		if (e->ended)
			return REQ_STREAM_END;
		if (produce(e) != 0)
			return REQ_STREAM_FAIL;
	}
	size_t n = e->out.len - e->off;
	if (n > max)
		n = max;
	memcpy(out, e->out.data + e->off, n);
	e->off += n;
	return (long)n;
}

static void stream_done(void *state)
{
	exporting *e = state;
	uc_export_close(e->x);
	buf_free(&e->out);
	free(e);
}

static const char *format_name(export_format fmt)
{
	return fmt == EXPORT_CSV ? "csv" : "jsonl";
}

uc_status export_answer(req *r, uc_call *c, const uc_list_query *q, export_format fmt,
			bool open_data, const def_field *lines, const char *door, uc_result *res)
{
	uc_export *x;
	uc_export_opts o = {.open_data = open_data, .format = format_name(fmt), .door = door};
	uc_status st = uc_export_open(c, q, &o, &x, res);
	if (st != UC_OK)
		return st;
	exporting *e = xcalloc(1, sizeof *e);
	e->x = x;
	e->fmt = fmt;
	e->lines = fmt == EXPORT_CSV ? lines : NULL;
	char day[11];
	util_days_to_date(util_local_days(util_now()), day);
	const def_form *f = uc_export_form(x);
	req_add_header(r, "Content-Disposition",
		       arena_printf(&r->mem, "attachment; filename=\"%s-%s%s%s%s-%s.%s\"",
				    uc_export_app(x)->id, f->id, e->lines ? "-" : "",
				    e->lines ? e->lines->name : "",
				    open_data ? "-donnees-ouvertes" : "", day,
				    fmt == EXPORT_CSV ? "csv" : "jsonl"));
	req_stream s = {.fill = stream_fill, .done = stream_done, .state = e};
	req_stream_answer(
	    r, fmt == EXPORT_CSV ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8",
	    &s);
	return UC_OK;
}

uc_status export_write(FILE *out, uc_call *c, const uc_list_query *q, export_format fmt,
		       bool open_data, int64_t *rows, uc_result *res)
{
	uc_export *x;
	uc_export_opts o = {.open_data = open_data, .format = format_name(fmt), .door = "cli"};
	*rows = 0;
	uc_status st = uc_export_open(c, q, &o, &x, res);
	if (st != UC_OK)
		return st;
	exporting e = {.x = x, .fmt = fmt};
	st = UC_OK;
	while (st == UC_OK && !e.ended) {
		if (produce(&e) != 0) {
			st = res->status = UC_ERROR;
			snprintf(res->msg, sizeof res->msg,
				 "lecture des enregistrements impossible");
		} else if (e.out.len && fwrite(e.out.data, 1, e.out.len, out) != e.out.len) {
			st = res->status = UC_ERROR;
			snprintf(res->msg, sizeof res->msg, "écriture impossible");
		}
	}
	if (st == UC_OK && fflush(out) != 0) {
		st = res->status = UC_ERROR;
		snprintf(res->msg, sizeof res->msg, "écriture impossible");
	}
	buf_free(&e.out);
	*rows = uc_export_rows(x);
	uc_export_close(x);
	return st;
}
