/*
 * validate_repeat — lines of a repeat field: reading them from either door, checking
 * them, showing them (see validate_repeat.h for the value form and the error names).
 */
#include "validate_repeat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define L(fr, en) (lg == LANG_EN ? (en) : (fr))

static void line_display(const def_field *f, const json_t *line, lang lg, buf *out);

void validate_repeat_name(const def_field *f, size_t k, const def_field *sub, buf *out)
{
	buf_printf(out, "%s[%zu]", f->name, k);
	if (sub)
		buf_printf(out, ".%s", sub->name);
}

static void add_error(field_errors *errs, const def_field *f, size_t k, const def_field *sub,
		      const char *msg)
{
	buf name = BUF_INIT;
	validate_repeat_name(f, k, sub, &name);
	field_errors_add(errs, buf_cstr(&name), msg);
	buf_free(&name);
}

/* The text of lines, or VAL_NULL for none (lines: a new reference, consumed). */
static void set_lines(value *out, json_t *lines)
{
	value_clear(out);
	if (json_array_size(lines) > 0) {
		char *t = json_dumps(lines, JSON_COMPACT);
		value_set_text(out, t ? t : "[]");
		free(t);
	}
	json_decref(lines);
}

const def_field *validate_repeat_sub_of(const def_field *f, const char *name, size_t *k)
{
	size_t n = strlen(f->name);
	if (strncmp(name, f->name, n) != 0 || name[n] != '[')
		return NULL;
	char *end;
	unsigned long line = strtoul(name + n + 1, &end, 10);
	if (end == name + n + 1 || line == 0 || line > VALIDATE_REPEAT_HARD_MAX || end[0] != ']' ||
	    end[1] != '.')
		return NULL;
	for (size_t i = 0; i < f->nsub; i++)
		if (strcmp(end + 2, f->sub[i].name) == 0) {
			*k = line;
			return &f->sub[i];
		}
	return NULL;
}

int validate_repeat_parse_json(const def_field *f, const json_t *in, value *out, lang lg,
			       field_errors *errs)
{
	value_clear(out);
	/* {} is how Lua (app tests) writes an empty list */
	if (!in || json_is_null(in) || (json_is_object(in) && json_object_size(in) == 0))
		return 0;
	if (!json_is_array(in)) {
		field_errors_add(errs, f->name,
				 L("Attendu une liste de lignes : [ { … }, … ].",
				   "Expected a list of lines: [ { … }, … ]."));
		return 1;
	}
	if (json_array_size(in) > VALIDATE_REPEAT_HARD_MAX) {
		char msg[VALIDATE_MSG];
		snprintf(msg, sizeof msg, L("Au plus %d lignes.", "At most %d lines."),
			 VALIDATE_REPEAT_HARD_MAX);
		field_errors_add(errs, f->name, msg);
		return 1;
	}
	int nerr = 0;
	json_t *lines = json_array();
	size_t k;
	json_t *item;
	json_array_foreach(in, k, item)
	{
		if (!json_is_object(item)) {
			add_error(errs, f, k + 1, NULL,
				  L("Une ligne est un objet { champ: valeur }.",
				    "A line is an object { field: value }."));
			nerr++;
			json_array_append_new(lines,
					      json_object()); /* the next keep their number */
			continue;
		}
		const char *key;
		json_t *jv;
		json_object_foreach(item, key, jv)
		{
			bool known = false;
			for (size_t i = 0; i < f->nsub && !known; i++)
				known = strcmp(f->sub[i].name, key) == 0;
			if (!known) {
				buf name = BUF_INIT;
				buf_printf(&name, "%s[%zu].%s", f->name, k + 1, key);
				field_errors_add(errs, buf_cstr(&name),
						 L("Champ inconnu.", "Unknown field."));
				buf_free(&name);
				nerr++;
			}
		}
		json_t *line = json_object();
		for (size_t i = 0; i < f->nsub; i++) {
			const def_field *sub = &f->sub[i];
			value v = {0};
			char msg[VALIDATE_MSG];
			const json_t *cell = json_object_get(item, sub->name);
			if (validate_parse_json(sub, cell, &v, lg, msg) != 0) {
				const char *own = validate_message(sub, VR_FORMAT, lg);
				add_error(errs, f, k + 1, sub, own ? own : msg);
				nerr++;
				if (json_is_string(
					cell)) { /* kept as typed (a draft shows it again) */
					json_object_set_new(line, sub->name,
							    json_copy((json_t *)cell));
					continue;
				}
			}
			if (v.kind == VAL_NULL && sub->type == FT_BOOLEAN && !sub->yes_no)
				value_set_int(&v, 0); /* a box: unticked, as the form sends it */
			json_object_set_new(line, sub->name, validate_to_json(sub, &v));
			value_clear(&v);
		}
		json_array_append_new(lines, line);
	}
	set_lines(out, lines);
	return nerr;
}

/* The values of one line's sub-field among the pairs (borrowed), in order. */
static size_t pick(const def_field *f, const def_field *sub, size_t line, const char *const *names,
		   const char *const *vals, size_t n, const char **out)
{
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k;
		if (validate_repeat_sub_of(f, names[i], &k) == sub && k == line)
			out[got++] = vals[i];
	}
	return got;
}

int validate_repeat_parse_form(const def_field *f, const char *const *names,
			       const char *const *vals, size_t n, bool keep_blank, value *out,
			       lang lg, field_errors *errs)
{
	size_t last = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k;
		if (validate_repeat_sub_of(f, names[i], &k) && k > last)
			last = k;
	}
	const char **mine = xcalloc(n ? n : 1, sizeof *mine);
	json_t *lines = json_array();
	field_errors line_errs = {0};
	int nerr = 0;
	for (size_t k = 1; k <= last; k++) {
		json_t *line = json_object();
		bool blank = true;
		size_t at = json_array_size(lines) + 1; /* its number once blank ones are gone */
		for (size_t i = 0; i < f->nsub; i++) {
			const def_field *sub = &f->sub[i];
			size_t nv = pick(f, sub, k, names, vals, n, mine);
			value v = {0};
			char msg[VALIDATE_MSG];
			if (validate_parse_form(sub, mine, nv, &v, lg, msg) != 0) {
				const char *own = validate_message(sub, VR_FORMAT, lg);
				add_error(&line_errs, f, at, sub, own ? own : msg);
				json_object_set_new(line, sub->name, json_string(mine[0]));
				blank = false;
				continue;
			}
			/* an unticked box says nothing either */
			blank = blank && (v.kind == VAL_NULL ||
					  (sub->type == FT_BOOLEAN && !sub->yes_no && v.i == 0));
			json_object_set_new(line, sub->name, validate_to_json(sub, &v));
			value_clear(&v);
		}
		if (blank && !keep_blank) {
			json_decref(line);
			continue;
		}
		json_array_append_new(lines, line);
		for (size_t e = 0; e < line_errs.n; e++)
			field_errors_add(errs, line_errs.v[e].field, line_errs.v[e].message);
		nerr += (int)line_errs.n;
		field_errors_clear(&line_errs);
	}
	free(mine);
	set_lines(out, lines);
	return nerr;
}

int validate_repeat_cell(const def_field *sub, const json_t *jv, value *out)
{
	char msg[VALIDATE_MSG];
	*out = (value){0};
	if (validate_parse_json(sub, jv, out, LANG_FR, msg) == 0)
		return 0;
	if (json_is_string(jv))
		value_set_text(out, json_string_value(jv));
	return -1;
}

void validate_repeat_add(const def_field *f, value *v)
{
	json_t *lines = validate_repeat_lines(v);
	if (!f->has_max || (double)json_array_size(lines) < f->max) {
		json_t *line = json_object();
		for (size_t i = 0; i < f->nsub; i++)
			json_object_set_new(line, f->sub[i].name, json_null());
		json_array_append_new(lines, line);
	}
	set_lines(v, lines);
}

bool validate_repeat_remove(const def_field *f, value *v, const char *name)
{
	size_t n = strlen(f->name);
	if (strncmp(name, f->name, n) != 0 || name[n] != '[')
		return false;
	char *end;
	unsigned long k = strtoul(name + n + 1, &end, 10);
	json_t *lines = validate_repeat_lines(v);
	bool ok =
	    end != name + n + 1 && strcmp(end, "]") == 0 && k >= 1 && k <= json_array_size(lines);
	if (ok)
		json_array_remove(lines, k - 1);
	set_lines(v, lines);
	return ok;
}

json_t *validate_repeat_lines(const value *v)
{
	json_t *j = v->kind == VAL_TEXT && v->s ? json_loads(v->s, 0, NULL) : NULL;
	if (json_is_array(j))
		return j;
	json_decref(j);
	return json_array();
}

/* The count of lines against min and max (a NULL value has none). */
static int check_count(const def_field *f, size_t n, lang lg, field_errors *errs)
{
	char msg[VALIDATE_MSG];
	if (f->has_min && (double)n < f->min) {
		const char *own = validate_message(f, VR_MIN, lg);
		snprintf(msg, sizeof msg,
			 f->min > 1 ? L("Ajoutez au moins %g lignes.", "Add at least %g lines.")
				    : L("Ajoutez au moins %g ligne.", "Add at least %g line."),
			 f->min);
		field_errors_add(errs, f->name, own ? own : msg);
		return 1;
	}
	if (f->has_max && (double)n > f->max) {
		const char *own = validate_message(f, VR_MAX, lg);
		snprintf(msg, sizeof msg,
			 f->max > 1 ? L("Au plus %g lignes.", "At most %g lines.")
				    : L("Au plus %g ligne.", "At most %g line."),
			 f->max);
		field_errors_add(errs, f->name, own ? own : msg);
		return 1;
	}
	return 0;
}

int validate_repeat_check(const def_field *f, value *v, int64_t today_days, lang lg,
			  field_errors *errs)
{
	json_t *lines = validate_repeat_lines(v);
	int nerr = check_count(f, json_array_size(lines), lg, errs);
	if (v->kind == VAL_NULL) {
		json_decref(lines);
		return nerr;
	}
	size_t k;
	json_t *line;
	json_array_foreach(lines, k, line)
	{
		for (size_t i = 0; i < f->nsub && json_is_object(line); i++) {
			const def_field *sub = &f->sub[i];
			value cell;
			char msg[VALIDATE_MSG];
			validate_rule rule = VR_FORMAT;
			const char *bad = NULL;
			if (validate_repeat_cell(sub, json_object_get(line, sub->name), &cell) != 0)
				bad = L("Valeur illisible.", "Unreadable value.");
			else if (cell.kind == VAL_NULL && sub->required)
				rule = VR_REQUIRED, bad = validate_required_msg(lg);
			else if (validate_check_rule(sub, &cell, today_days, lg, msg, &rule) != 0)
				bad = msg;
			if (bad) {
				const char *own = validate_message(sub, rule, lg);
				add_error(errs, f, k + 1, sub, own ? own : bad);
				nerr++;
			} else {
				json_object_set_new(line, sub->name, validate_to_json(sub, &cell));
			}
			value_clear(&cell);
		}
	}
	set_lines(v, lines);
	return nerr;
}

void validate_repeat_display(const def_field *f, const value *v, lang lg, buf *out)
{
	json_t *lines = validate_repeat_lines(v);
	size_t k;
	json_t *line;
	json_array_foreach(lines, k, line)
	{
		if (k)
			buf_puts(out, " ; ");
		line_display(f, line, lg, out);
	}
	json_decref(lines);
}

/* One line's values as display text ("Article : Cahier, Quantité : 7"). */
static void line_display(const def_field *f, const json_t *line, lang lg, buf *out)
{
	bool first = true;
	for (size_t i = 0; i < f->nsub; i++) {
		value cell;
		validate_repeat_cell(&f->sub[i], json_object_get(line, f->sub[i].name), &cell);
		if (cell.kind != VAL_NULL) {
			buf_printf(out, "%s%s : ", first ? "" : ", ", f->sub[i].label);
			validate_display(&f->sub[i], &cell, lg, out);
			first = false;
		}
		value_clear(&cell);
	}
}

static void cell_display(const def_field *sub, const json_t *jv, lang lg, buf *out)
{
	value cell;
	validate_repeat_cell(sub, jv, &cell);
	if (cell.kind == VAL_NULL)
		buf_puts(out, "—");
	else
		validate_display(sub, &cell, lg, out);
	value_clear(&cell);
}

void validate_repeat_diff(const def_field *f, const json_t *a, const json_t *b, lang lg, buf *out)
{
	size_t na = json_array_size(a), nb = json_array_size(b);
	const char *sep = "";
	for (size_t k = 0; k < (na > nb ? na : nb); k++) {
		const json_t *la = json_array_get(a, k), *lb = json_array_get(b, k);
		if (!la || !lb) {
			buf_printf(out, "%s", sep);
			buf_printf(out,
				   lb ? L("ligne %zu ajoutée (", "line %zu added (")
				      : L("ligne %zu retirée (", "line %zu removed ("),
				   k + 1);
			line_display(f, lb ? lb : la, lg, out);
			buf_putc(out, ')');
			sep = " ; ";
			continue;
		}
		for (size_t i = 0; i < f->nsub; i++) {
			const json_t *ca = json_object_get(la, f->sub[i].name),
				     *cb = json_object_get(lb, f->sub[i].name);
			if ((!ca || json_is_null(ca)) && (!cb || json_is_null(cb)))
				continue;
			if (ca && cb && json_equal((json_t *)ca, (json_t *)cb))
				continue;
			buf_printf(out, "%s", sep);
			buf_printf(out, L("ligne %zu, %s : ", "line %zu, %s: "), k + 1,
				   f->sub[i].label);
			cell_display(&f->sub[i], ca, lg, out);
			buf_puts(out, " → ");
			cell_display(&f->sub[i], cb, lg, out);
			sep = " ; ";
		}
	}
}

void validate_repeat_sheet(const def_field *sub, const value *v, buf *out)
{
	json_t *lines = validate_repeat_lines(v);
	size_t k;
	json_t *line;
	json_array_foreach(lines, k, line)
	{
		if (k)
			buf_puts(out, " | ");
		value cell;
		validate_repeat_cell(sub, json_object_get(line, sub->name), &cell);
		validate_sheet(sub, &cell, out);
		value_clear(&cell);
	}
	json_decref(lines);
}
