/*
 * record — a record's values in C, typed as they are stored.
 *
 * A value is what goes into (and comes out of) the SQLite column:
 *   text-like, dates, choice, multichoice (JSON array text), file (JSON) -> VAL_TEXT
 *   integer, boolean (0/1), money (cents)                                  -> VAL_INT
 *   decimal                                                                -> VAL_REAL
 *   empty                                                                  -> VAL_NULL
 * A record owns its strings (heap, freed by record_clear). Records are owned by one
 * thread at a time.
 */
#ifndef SMALLAPPS_RECORD_H
#define SMALLAPPS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "def.h"

typedef enum { VAL_NULL, VAL_INT, VAL_REAL, VAL_TEXT } val_kind;

typedef struct value {
	val_kind kind;
	int64_t i;
	double d;
	char *s; /* owned */
} value;

void value_clear(value *v);		       /* frees s, becomes VAL_NULL */
void value_copy(value *dst, const value *src); /* dst must be clear */
bool value_equal(const value *a, const value *b);
void value_set_text(value *v, const char *s); /* copies s */
void value_set_int(value *v, int64_t i);
void value_set_real(value *v, double d);

typedef struct record {
	int64_t id; /* 0 before insert */
	int64_t version;
	char *state;	   /* NULL for forms without workflow */
	char *state_since; /* ISO datetime the record entered its state */
	char *created_at, *created_by, *updated_at, *updated_by;
	char *def_hash;
	char *purged_at; /* ISO datetime its personal values were erased (retention), or NULL */
	bool overdue;
	size_t nvalues; /* == form->ncols */
	value *values;	/* indexed by col */
} record;

void record_init(record *r, const def_form *f);	  /* all values NULL */
void record_clear(record *r);			  /* frees everything inside */
void record_copy(record *dst, const record *src); /* dst uninitialised */
void record_set_sys(char **slot, const char *s);  /* replaces a system string */

/* Field errors gathered by the write pipeline: field name -> message. "_" is the form. */
typedef struct field_error {
	char *field;
	char *message;
} field_error;

typedef struct field_errors {
	field_error *v;
	size_t n, cap;
} field_errors;

void field_errors_add(field_errors *e, const char *field, const char *message); /* first wins */
const char *field_errors_get(const field_errors *e, const char *field);
void field_errors_clear(field_errors *e);

#endif
