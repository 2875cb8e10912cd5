/*
 * export — what an export looks like (SPEC 8), for the doors that give one: the web
 * pages and the API (a body streamed to the client) and `smallapps export` (a file).
 * The rows, their columns and the audit line are the use case's (uc_export_*); here,
 * their formats:
 *  - CSV for French spreadsheets: UTF-8 with a BOM, ';' between cells, CRLF, a header
 *    of labels (N°, the fields, then État, Créé le, Créé par), values as validate_sheet
 *    writes them (decimal comma, JJ/MM/AAAA, oui/non, labels), times in Paris time; a
 *    text cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR first)
 *    starts with a ' ;
 *    a repeat has a column per sub-field, its lines' values joined by " | ", and
 *    `lines=<repeat>` gives instead a row per line (N°, Ligne, its sub-fields);
 *  - JSON Lines: one record a line, as the API writes records;
 *  - the Table Schema (frictionless data, as data.gouv.fr uses it) of the open-data CSV.
 * Memory: one page of rows at a time, whatever the number of records.
 */
#ifndef SMALLAPPS_EXPORT_H
#define SMALLAPPS_EXPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "buf.h"
#include "def.h"
#include "record.h"
#include "req.h"
#include "usecase.h"

typedef enum export_format { EXPORT_CSV, EXPORT_JSONL } export_format;

/* The CSV's header line (after the BOM) and one record's line, CRLF-ended. */
void export_csv_header(buf *out, const def_form *f, const bool *cols, bool open_data);
/* refs: the labels of r's references (NULL: shown by number) */
void export_csv_row(buf *out, const def_form *f, const bool *cols, bool open_data, const record *r,
		    const struct ref_view *refs);
/* export.csv?lines=<repeat>: a row per line of fd (N°, Ligne, its sub-fields). */
void export_lines_header(buf *out, const def_field *fd);
void export_lines_rows(buf *out, const def_field *fd, const record *r);
/* One record's JSON line, '\n'-ended. */
void export_jsonl_row(buf *out, const def_form *f, const bool *cols, bool open_data,
		      const record *r);
/* The Table Schema of f's open-data CSV; new reference. */
json_t *export_table_schema(const def_app *app, const def_form *f);

/*
 * c's export of its form as fmt, answered on r: on UC_OK a 200 whose body streams
 * (Content-Disposition: attachment); otherwise nothing is answered and res says why,
 * for the door to answer in its own way.
 */
/* The repeat `lines=<name>` asks for: NULL unless name is a repeat of f that who may
 * read. */
const def_field *export_lines_field(const def_form *f, const actor *who, const char *name);

/* lines: a repeat of the form, readable by c's person (the door checks), or NULL. */
uc_status export_answer(req *r, uc_call *c, const uc_list_query *q, export_format fmt,
			bool open_data, const def_field *lines, const char *door, uc_result *res);

/*
 * The same export written to out (the command line). *rows: the rows written. A write
 * error on out is UC_ERROR with res->msg saying so.
 */
uc_status export_write(FILE *out, uc_call *c, const uc_list_query *q, export_format fmt,
		       bool open_data, int64_t *rows, uc_result *res);

#endif
