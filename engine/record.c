/*
 * record — values and records (see record.h).
 */
#include "record.h"

#include <stdlib.h>
#include <string.h>

void value_clear(value *v)
{
	free(v->s);
	memset(v, 0, sizeof *v);
}

void value_copy(value *dst, const value *src)
{
	*dst = *src;
	dst->s = xstrdup(src->s);
}

bool value_equal(const value *a, const value *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case VAL_NULL:
		return true;
	case VAL_INT:
		return a->i == b->i;
	case VAL_REAL:
		return a->d == b->d;
	case VAL_TEXT:
		return strcmp(a->s, b->s) == 0;
	}
	return false;
}

void value_set_text(value *v, const char *s)
{
	value_clear(v);
	v->kind = VAL_TEXT;
	v->s = xstrdup(s);
}

void value_set_int(value *v, int64_t i)
{
	value_clear(v);
	v->kind = VAL_INT;
	v->i = i;
}

void value_set_real(value *v, double d)
{
	value_clear(v);
	v->kind = VAL_REAL;
	v->d = d;
}

void record_init(record *r, const def_form *f)
{
	memset(r, 0, sizeof *r);
	r->nvalues = f->ncols;
	r->values = xcalloc(f->ncols ? f->ncols : 1, sizeof *r->values);
}

void record_clear(record *r)
{
	for (size_t i = 0; i < r->nvalues; i++)
		value_clear(&r->values[i]);
	free(r->values);
	free(r->state);
	free(r->state_since);
	free(r->created_at);
	free(r->created_by);
	free(r->updated_at);
	free(r->updated_by);
	free(r->def_hash);
	free(r->purged_at);
	memset(r, 0, sizeof *r);
}

void record_copy(record *dst, const record *src)
{
	*dst = *src;
	dst->values = xcalloc(src->nvalues ? src->nvalues : 1, sizeof *dst->values);
	for (size_t i = 0; i < src->nvalues; i++)
		value_copy(&dst->values[i], &src->values[i]);
	dst->state = xstrdup(src->state);
	dst->state_since = xstrdup(src->state_since);
	dst->created_at = xstrdup(src->created_at);
	dst->created_by = xstrdup(src->created_by);
	dst->updated_at = xstrdup(src->updated_at);
	dst->updated_by = xstrdup(src->updated_by);
	dst->def_hash = xstrdup(src->def_hash);
	dst->purged_at = xstrdup(src->purged_at);
}

void record_set_sys(char **slot, const char *s)
{
	free(*slot);
	*slot = xstrdup(s);
}

void field_errors_add(field_errors *e, const char *field, const char *message)
{
	if (field_errors_get(e, field))
		return;
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 8;
		e->v = xrealloc(e->v, e->cap * sizeof *e->v);
	}
	e->v[e->n].field = xstrdup(field);
	e->v[e->n].message = xstrdup(message);
	e->n++;
}

const char *field_errors_get(const field_errors *e, const char *field)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].field, field) == 0)
			return e->v[i].message;
	return NULL;
}

void field_errors_clear(field_errors *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].field);
		free(e->v[i].message);
	}
	free(e->v);
	memset(e, 0, sizeof *e);
}
