/*
 * validate_repeat — the repeat field type (SPEC 4.3): a repeated group of sub-fields,
 * e.g. an order's lines, for validate.c and the write pipeline.
 *
 * A repeat's value is VAL_TEXT holding a JSON array of line objects, each with every
 * sub-field in its API value form (SPEC 7: null when empty), in the sub-fields' order;
 * no line at all is VAL_NULL, so `required` means "at least one line". Errors are
 * named after the line, counted from 1 as the person sees them: "lignes[2].quantite",
 * "lignes[2]" for the line itself, "lignes" for the count of lines.
 *
 * A sub-field is an ordinary def_field (col -1) checked by validate.c's own functions:
 * the two files call each other because the type is recursive by nature (a line holds
 * fields), never deeper than one level (the loader refuses a repeat in a repeat).
 * Same memory rules as validate.h; no state, thread-safe.
 */
#ifndef SMALLAPPS_VALIDATE_REPEAT_H
#define SMALLAPPS_VALIDATE_REPEAT_H

#include <jansson.h>

#include "validate.h"

#define VALIDATE_REPEAT_HARD_MAX 200 /* lines a request may carry, whatever max says */

/*
 * JSON API input: null, or an array of objects of sub-fields (missing ones are null).
 * Each error goes to errs under its line's name. *out is set either way (what could
 * be read). Returns the number of errors.
 */
int validate_repeat_parse_json(const def_field *f, const json_t *in, value *out, lang lg,
			       field_errors *errs);

/*
 * HTML form input: the pairs whose names are "<field>[<k>].<sub>" (any k from 1; lines
 * are taken in k's order and numbered again from 1). A line left blank is dropped
 * unless keep_blank (the form is shown again with it). A sub-field's text that does
 * not read as its type is kept as that text for the form to show, and is an error.
 * Returns the number of errors.
 */
int validate_repeat_parse_form(const def_field *f, const char *const *names,
			       const char *const *vals, size_t n, bool keep_blank, value *out,
			       lang lg, field_errors *errs);

/*
 * The pipeline's check: the number of lines against min/max, then per line each
 * sub-field's required and rules (validate_check_rule, the sub-field's own messages),
 * normalising values as validate_check does. Returns the number of errors.
 */
int validate_repeat_check(const def_field *f, value *v, int64_t today_days, lang lg,
			  field_errors *errs);

/* The lines of v (a new array, never NULL: empty for VAL_NULL or unreadable text). */
json_t *validate_repeat_lines(const value *v);

/* A sub-field's value in a line (jv borrowed, may be NULL) as validate.c's functions take
 * it: 0 with *out set (caller clears), -1 when jv is text that does not read as its type
 * (*out then holds that text). */
int validate_repeat_cell(const def_field *sub, const json_t *jv, value *out);

/* "Vaccin : Comirnaty, doses : 10 ; Vaccin : …" (lines by " ; "), or the lines of one
 * sub-field joined by " | " as a spreadsheet reads them (validate_sheet per value). */
void validate_repeat_display(const def_field *f, const value *v, lang lg, buf *out);
void validate_repeat_sheet(const def_field *sub, const value *v, buf *out);

/* "Ajouter une ligne": one more blank line while under max. "Supprimer la ligne k": the
 * line named "<field>[k]" goes (false when name names no line of v). */
void validate_repeat_add(const def_field *f, value *v);
bool validate_repeat_remove(const def_field *f, value *v, const char *name);

/* What changed from lines a to lines b (API form, either may be null), line by line:
 * "ligne 2, Quantité : 5 → 7 ; ligne 3 ajoutée (Article : Cahier, …) ; ligne 4 retirée". */
void validate_repeat_diff(const def_field *f, const json_t *a, const json_t *b, lang lg, buf *out);

/* The name of an error or input: "<field>[<k>].<sub>" (sub NULL: "<field>[<k>]"). */
void validate_repeat_name(const def_field *f, size_t k, const def_field *sub, buf *out);

/* A line's sub-field named like "lignes[2].quantite": its field and line (from 1). */
const def_field *validate_repeat_sub_of(const def_field *f, const char *name, size_t *k);

#endif
