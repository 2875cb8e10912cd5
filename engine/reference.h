/*
 * reference — links between the records of one app: the `reference` field type (SPEC
 * 4.3). A reference holds a record's id; people see it by its target's label field.
 *
 * What it owns: the rule that a reference names a record its writer may read (unknown,
 * deleted and out-of-scope ids get one message, so nobody learns that a record they may
 * not read exists), the resolution of what was typed in a form's input, and the labels
 * shown for references, each read through the reader's scope and column rights
 * (access.h) with one query per target form and page of ids, never per row.
 *
 * What it does not: SQL (store.h) and HTML (render_*). A ref_view is built here and
 * given to the pages, which only look things up in it.
 *
 * Ownership: ref_item labels and every array of a ref_view are heap memory owned by the
 * view; ref_view_clear frees them. Thread-safe: no state of its own.
 */
#ifndef SMALLAPPS_REFERENCE_H
#define SMALLAPPS_REFERENCE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "access.h"
#include "def.h"
#include "record.h"
#include "store.h"
#include "validate.h"

/* Over this many readable target records, the form's input is a text box, not a select. */
#define REFERENCE_SELECT_MAX 50
/* Matches of a typed search offered back as a choice. */
#define REFERENCE_CHOICES_MAX 20

/* One readable target record; label NULL when the reader may not read the label field
 * (shown "n° 12"). */
typedef struct ref_item {
	int64_t id;
	char *label;
} ref_item;

/* What a form's input of one reference field offers. */
typedef struct ref_input {
	const def_field *field;
	bool select;	   /* at most REFERENCE_SELECT_MAX readable targets: a select */
	ref_item *options; /* select: all of them, by label */
	size_t noptions;
	ref_item *choices; /* a typed search that matched several: them */
	size_t nchoices;
} ref_input;

/* Labels of the references of a page, and the inputs of a form. */
typedef struct ref_view {
	struct ref_known {
		const def_field *label_field; /* of the target form */
		ref_item item;
	} * known; /* readable targets only */
	size_t nknown, cap;
	ref_input *inputs;
	size_t ninputs;
} ref_view;

void ref_view_clear(ref_view *v);
/* The readable target `id` of fd's form, or NULL (unknown, deleted, or not readable). */
const ref_item *ref_view_find(const ref_view *v, const def_field *fd, int64_t id);
/* fd's input, or NULL when the view has none for it. */
const ref_input *ref_view_input(const ref_view *v, const def_field *fd);

/* Who reads, and when (the scope of every look-up). */
typedef struct ref_reader {
	store *db;
	const actor *who;
	time_t now;
} ref_reader;

/* The one message for an id that names no record the person may read. */
const char *reference_unknown_msg(lang lg);

/*
 * Whether r->who may read record id of fd's target: 0 yes; 1 no (msg set, the same for
 * unknown, deleted and unreadable); a negative STORE_ code when the store failed.
 */
int reference_check(const ref_reader *r, const def_field *fd, int64_t id, lang lg,
		    char msg[VALIDATE_MSG]);

/*
 * What was typed in fd's input (text that is no number): its words searched in the
 * labels of the records r->who may read. 0 with *id when one matches; 1 with msg when
 * none or several do (several: in *choices, at most REFERENCE_CHOICES_MAX, caller frees
 * with reference_items_free; may be NULL when not wanted); negative on a store failure.
 */
int reference_resolve(const ref_reader *r, const def_field *fd, const char *text, int64_t *id,
		      ref_item **choices, size_t *nchoices, lang lg, char msg[VALIDATE_MSG]);

/* Adds to v the labels of every reference in recs (the columns readable[col] only, NULL:
 * all) that r->who may read: one query per target form and 500 ids. 0 or negative. */
int reference_labels(const ref_reader *r, const def_form *f, const record *recs, size_t n,
		     const bool *readable, ref_view *v);

/* Adds to v the inputs of f's reference fields writable[col] (NULL: all) for record rec
 * (as typed: a search left as text gets its choices). 0 or negative. */
int reference_inputs(const ref_reader *r, const def_form *f, const record *rec,
		     const bool *writable, ref_view *v);

void reference_items_free(ref_item *v, size_t n);

#endif
