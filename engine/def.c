/*
 * def — look-ups over an immutable app definition (see def.h).
 */
#include "def.h"

#include <stdlib.h>
#include <string.h>

#include "appsrc.h"

static const struct {
	const char *name;
	const char *sql;
} types[FT__COUNT] = {
    [FT_TEXT] = {"text", "TEXT"},
    [FT_TEXTAREA] = {"textarea", "TEXT"},
    [FT_INTEGER] = {"integer", "INTEGER"},
    [FT_DECIMAL] = {"decimal", "REAL"},
    [FT_MONEY] = {"money", "INTEGER"},
    [FT_BOOLEAN] = {"boolean", "INTEGER"},
    [FT_DATE] = {"date", "TEXT"},
    [FT_DATETIME] = {"datetime", "TEXT"},
    [FT_EMAIL] = {"email", "TEXT"},
    [FT_PHONE] = {"phone", "TEXT"},
    [FT_POSTAL_CODE] = {"postal_code", "TEXT"},
    [FT_SIRET] = {"siret", "TEXT"},
    [FT_SIREN] = {"siren", "TEXT"},
    [FT_IBAN] = {"iban", "TEXT"},
    [FT_URL] = {"url", "TEXT"},
    [FT_CHOICE] = {"choice", "TEXT"},
    [FT_MULTICHOICE] = {"multichoice", "TEXT"},
    [FT_FILE] = {"file", "TEXT"},
    [FT_COMMUNE] = {"commune", "TEXT"},
    [FT_DEPARTEMENT] = {"departement", "TEXT"},
    [FT_REGION] = {"region", "TEXT"},
    [FT_EPCI] = {"epci", "TEXT"},
    [FT_REFERENCE] = {"reference", "INTEGER"},
    [FT_REPEAT] = {"repeat", "TEXT"},
    [FT_SECTION] = {"section", NULL},
    [FT_INFO] = {"info", NULL},
};

const char *def_type_name(field_type t)
{
	return (unsigned)t < FT__COUNT ? types[t].name : NULL;
}

int def_type_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < FT__COUNT; i++)
		if (strcmp(types[i].name, name) == 0)
			return i;
	return -1;
}

const char *def_type_sql(field_type t)
{
	return (unsigned)t < FT__COUNT ? types[t].sql : NULL;
}

bool def_strlist_has(const def_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static void free_field_defaults(def_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].default_value)
			json_decref(f[i].default_value);
		if (f[i].nsub) /* a line's sub-fields: the loader refuses their defaults, but
				  a refused definition is freed too */
			free_field_defaults(f[i].sub, f[i].nsub);
	}
}

void def_app_free(def_app *app)
{
	if (!app)
		return;
	for (size_t i = 0; i < app->nforms; i++) {
		def_form *f = &app->forms[i];
		free_field_defaults(f->fields, f->nfields);
		if (f->workflow)
			for (size_t t = 0; t < f->workflow->ntransitions; t++)
				free_field_defaults(f->workflow->transitions[t].fields,
						    f->workflow->transitions[t].nfields);
	}
	appsrc_free(app->src);
	/* The def_app itself lives in its own arena: copy the arena out first. */
	arena mem = app->mem;
	arena_free(&mem);
}

const def_form *def_find_form(const def_app *app, const char *id)
{
	for (size_t i = 0; i < app->nforms; i++)
		if (strcmp(app->forms[i].id, id) == 0)
			return &app->forms[i];
	return NULL;
}

int def_find_col(const def_form *f, const char *name)
{
	for (size_t i = 0; i < f->ncols; i++)
		if (strcmp(f->cols[i]->name, name) == 0)
			return (int)i;
	return -1;
}

const def_transition *def_find_transition(const def_form *f, const char *id)
{
	if (!f->workflow)
		return NULL;
	for (size_t i = 0; i < f->workflow->ntransitions; i++)
		if (strcmp(f->workflow->transitions[i].id, id) == 0)
			return &f->workflow->transitions[i];
	return NULL;
}

int def_find_state(const def_workflow *w, const char *id)
{
	if (!w || !id)
		return -1;
	for (size_t i = 0; i < w->nstates; i++)
		if (strcmp(w->states[i].id, id) == 0)
			return (int)i;
	return -1;
}

int def_find_role(const def_app *app, const char *role)
{
	for (size_t i = 0; i < app->nroles; i++)
		if (strcmp(app->roles[i].id, role) == 0)
			return (int)i;
	return -1;
}

const char *def_option_label(const def_field *f, const char *value)
{
	for (size_t i = 0; i < f->noptions; i++)
		if (strcmp(f->options[i].value, value) == 0)
			return f->options[i].label;
	return value;
}

bool def_app_has_personal(const def_app *app)
{
	for (size_t i = 0; i < app->nforms; i++)
		for (size_t c = 0; c < app->forms[i].ncols; c++)
			if (app->forms[i].cols[c]->personal)
				return true;
	return false;
}

bool def_is_reserved_role(const char *id)
{
	static const char *const r[] = {"public", "user", "owner", "admin"};
	for (size_t i = 0; i < sizeof r / sizeof *r; i++)
		if (strcmp(r[i], id) == 0)
			return true;
	return false;
}

bool def_is_system_name(const char *name)
{
	static const char *const s[] = {"id",	      "state",	    "created_at",
					"created_by", "updated_at", "updated_by",
					"version",    "overdue",    "fields"};
	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		if (strcmp(s[i], name) == 0)
			return true;
	return false;
}
