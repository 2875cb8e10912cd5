/*
 * def — an app definition as checked C structures.
 *
 * The loader turns `apps/<id>/app.lua` into one `def_app`. After loading it is
 * immutable and shared by every thread: requests hold a reference (registry.h) for
 * their whole life, so a reload never frees a definition in use. All memory of a
 * definition lives in its arena and dies with def_app_free().
 *
 * Indexes, not pointers, tie the parts together (field->col, transition->to_index)
 * so the structure can be walked without fixing up addresses.
 *
 * App functions (validate, compute, guard, ...) are "hook ids": small positive
 * integers, 0 meaning "none". A hook id names the same function in every Lua state
 * that loaded this definition (see sandbox.h), because loading is deterministic.
 */
#ifndef SMALLAPPS_DEF_H
#define SMALLAPPS_DEF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum field_type {
	FT_TEXT,
	FT_TEXTAREA,
	FT_INTEGER,
	FT_DECIMAL,
	FT_MONEY,
	FT_BOOLEAN,
	FT_DATE,
	FT_DATETIME,
	FT_EMAIL,
	FT_PHONE,
	FT_POSTAL_CODE,
	FT_SIRET,
	FT_SIREN,
	FT_IBAN,
	FT_URL,
	FT_CHOICE,
	FT_MULTICHOICE,
	FT_FILE,
	FT_COMMUNE, /* territories (geo.h): stored as the official code */
	FT_DEPARTEMENT,
	FT_REGION,
	FT_EPCI,
	FT_REFERENCE, /* a record of a form of the same app: stored as its id */
	FT_REPEAT,    /* a repeated group of sub-fields: stored as a JSON array of lines */
	FT_SECTION,
	FT_INFO, /* static explanatory text in a form: no data */
	FT__COUNT
} field_type;

/* Whether a field type holds data (a column): not a section, not an info text. */
static inline bool def_type_holds_data(field_type t)
{
	return t != FT_SECTION && t != FT_INFO;
}

/* Whether a field type is a territory: commune, departement, region, epci. */
static inline bool def_type_is_geo(field_type t)
{
	return t == FT_COMMUNE || t == FT_DEPARTEMENT || t == FT_REGION || t == FT_EPCI;
}

/* "text", "integer", ...; NULL for out-of-range. */
const char *def_type_name(field_type t);
/* -1 when unknown. */
int def_type_from_name(const char *name);
/* The SQLite column type a field type is stored as ("TEXT", "INTEGER", "REAL"); NULL for sections.
 */
const char *def_type_sql(field_type t);

typedef struct def_strlist {
	const char **v;
	size_t n;
} def_strlist;

bool def_strlist_has(const def_strlist *l, const char *s);

typedef struct def_option {
	const char *value;
	const char *label;
} def_option;

/*
 * One entry of visible_if / required_if: field `field` (resolved to form column
 * `col`) must hold one of `values`. Values are in canonical text form: booleans
 * "true"/"false", integers in decimal, choices by value.
 */
typedef struct def_cond {
	const char *field;
	int col;
	def_strlist values;
} def_cond;

typedef struct def_condset {
	def_cond *v;
	size_t n; /* 0: no condition (always true) */
} def_condset;

/* The rule a value broke, for a field's own messages (SPEC 4.3 `messages`). */
typedef enum validate_rule {
	VR_FORMAT,     /* not a value of the type: syntax, check digits, options */
	VR_MIN,	       /* under min (numbers, money, dates, choices of a multichoice) */
	VR_MAX,	       /* over max */
	VR_MIN_LENGTH, /* text shorter than min_length */
	VR_MAX_LENGTH, /* text longer than max_length */
	VR_PATTERN,    /* text not matching pattern */
	VR_REQUIRED,   /* missing (said by the pipeline, which knows what is required) */
	VR__COUNT
} validate_rule;

/* A field's own messages (`messages = { required = "…", max = { fr = "…", en = "…" } }`),
 * per rule; NULL: the engine's. English falls back to French. */
typedef struct def_messages {
	const char *fr[VR__COUNT], *en[VR__COUNT];
} def_messages;

typedef struct def_field {
	const char *name;
	const char *label;
	field_type type;
	int col; /* index in form->cols; -1 for sections */
	const char *help;
	const char *placeholder;
	const char *section; /* label of the section this field belongs to, or NULL */
	const struct def_field *section_of; /* that section's item (its visible_if), or NULL */
	bool page; /* section: starts a step of a multi-step form (SPEC 4.3) */
	int step;  /* the step this item is in (0 when the form has none) */
	bool required;
	bool readonly;
	bool personal;
	bool has_private; /* private_roles is meaningful (may be empty: admins only) */
	def_strlist private_roles;
	bool has_editable_by;
	def_strlist editable_by;
	const char *renamed_from;
	json_t *default_value; /* NULL or a JSON value in the API's value form (owned by the def) */

	/* Bounds. For integer/decimal: value; money: euros; multichoice: count of choices;
	 * repeat: count of lines. */
	bool has_min, has_max;
	double min, max;
	/* For date/datetime: raw bound ("2026-01-01", "today", "today+7", "today-3"). */
	const char *min_date, *max_date;
	long min_length;     /* -1 when not set */
	long max_length;     /* defaults applied by the loader: text 200, textarea 10000 */
	int scale;	     /* decimal: digits after the point, -1 when not set */
	const char *pattern; /* Lua pattern, anchored at both ends by the engine */
	const char *pattern_message;
	const def_messages *messages; /* NULL: none */

	def_option *options; /* choice, multichoice */
	size_t noptions;
	bool yes_no;	   /* boolean shown as two radios Oui / Non; unanswered is NULL */
	const char *text;  /* info: the text shown (paragraphs split by blank lines) */
	bool widget_radio; /* choice: radios rather than a select (default: radios when <= 5
			      options) */

	/* commune, epci: within a département; commune, departement, epci: within a région
	 * (codes, or NULL); commune: déléguées, associées and arrondissements too */
	const char *geo_departement, *geo_region;
	bool geo_deleguees;

	long max_size; /* file; -1 when not set */
	def_strlist accept;

	/* reference: the target form's id and the field of it that names its records, as
	 * written; resolved once every form is read (ref_form NULL until then, and in a
	 * definition that failed) */
	const char *ref_form_id, *ref_label;
	const struct def_form *ref_form;
	const struct def_field *ref_label_field;

	/* repeat: the sub-fields of one line (col -1: they live inside the repeat's value);
	 * min and max (has_min/has_max) bound the number of lines */
	struct def_field *sub;
	size_t nsub;

	def_condset visible_if;
	def_condset required_if;
	int compute; /* hook id or 0 */
} def_field;

/* Whether a field may be hidden by a condition: its own visible_if or its section's. */
static inline bool def_may_hide(const def_field *fd)
{
	return fd->visible_if.n > 0 || (fd->section_of && fd->section_of->visible_if.n > 0);
}

typedef struct def_state {
	const char *id;
	const char *label;
	const char *description;
	bool final;
	bool has_editable_by; /* absent: nobody edits in this state except admins */
	def_strlist editable_by;
	int due_days; /* -1 when not set */
} def_state;

typedef struct def_notify {
	const char *to; /* "field:<name>", "role:<role>" or an address */
	const char *subject;
	const char *body;
} def_notify;

typedef enum { COMMENT_NONE, COMMENT_OPTIONAL, COMMENT_REQUIRED } def_comment;

#define DEF_MAX_APPROVALS 20 /* the largest quorum a transition may ask */

typedef struct def_transition {
	const char *id;
	const char *label;
	def_strlist from;
	int *from_index; /* from.n state indexes */
	const char *to;
	int to_index;
	def_strlist roles;
	bool self_approval; /* default true */
	int guard;	    /* hook id or 0 */
	int action;	    /* hook id or 0 */
	def_field *fields;  /* stored on the record: each has a col in form->cols */
	size_t nfields;
	def_comment comment;
	def_notify *notify;
	size_t nnotify;
	int after_days;		 /* -1 when not automatic */
	int approvals;		 /* 0: one trigger suffices; n >= 2: a quorum of n approvals */
	bool approvals_distinct; /* each person counts once (default) */
} def_transition;

typedef struct def_state_move {
	const char *from;
	const char *to;
} def_state_move;

typedef struct def_workflow {
	const char *initial;
	int initial_index;
	def_state *states;
	size_t nstates;
	def_transition *transitions;
	size_t ntransitions;
	def_state_move *moves; /* state_moves */
	size_t nmoves;
} def_workflow;

typedef struct def_read_rule {
	const char *role;
	bool all; /* "all" (true) or "own" (false) */
} def_read_rule;

typedef struct def_access {
	def_strlist create; /* absent: admins only */
	def_read_rule *read;
	size_t nread;
	bool has_update;
	def_strlist update;
	bool has_delete; /* absent: admins only */
	def_strlist del;
} def_access;

typedef struct def_list {
	def_strlist columns; /* default: the first 4 data fields */
	def_strlist filters;
	def_strlist search; /* default: every text/textarea/email field */
	const char *sort;   /* e.g. "-created_at"; default "-created_at" */
	int page_size;	    /* default 25, at most 500 */
} def_list;

/* Drafts of a form (drafts = true / { days = N }): kept this long after their last save. */
#define DEF_DRAFTS_DAYS	    30
#define DEF_DRAFTS_MAX_DAYS 365

typedef struct def_form {
	const char *id;
	const char *app_id; /* the app's (links to a record's files) */
	const char *title;
	const char *description;
	def_field *fields; /* in screen order, sections included */
	size_t nfields;
	int nsteps; /* sections with page = true make steps; 0: one page */
	/*
	 * The record's data columns: the non-section form fields in order, then the
	 * fields of every transition (one column per distinct name). Records hold their
	 * values indexed by col.
	 */
	const def_field **cols;
	size_t ncols;
	int validate;  /* hook id or 0 */
	int warn;      /* hook id or 0: non-blocking warnings the person confirms */
	int on_create; /* hook id or 0 */
	def_access access;
	def_list list;
	def_workflow *workflow; /* NULL when the form has none */
	int drafts_days;	/* drafts (SPEC 4.2): kept this many days; 0: no drafts */
} def_form;

typedef struct def_role {
	const char *id;
	const char *label;
} def_role;

typedef struct def_privacy {
	const char *purpose;
	const char *legal_basis;
	const char *contact;
	int retention_days; /* -1 when not set */
	def_strlist recipients;
} def_privacy;

typedef struct def_app {
	arena mem; /* owns everything below */
	const char *id;
	const char *dir;    /* absolute or as given: the app's folder */
	const char *hash;   /* content hash of the folder (hex sha256) */
	struct appsrc *src; /* owned: the sources of this version (appsrc.h) */
	const char *title;
	const char *description;
	const char *owner;
	const char *version;
	def_role *roles;
	size_t nroles;
	def_privacy privacy;
	def_form *forms;
	size_t nforms;
	int nhooks; /* hook ids run from 1 to nhooks */
} def_app;

void def_app_free(def_app *app);

const def_form *def_find_form(const def_app *app, const char *id);
/* Finds a data column by name (form fields and transition fields); -1 when absent. */
int def_find_col(const def_form *f, const char *name);
const def_transition *def_find_transition(const def_form *f, const char *id);
int def_find_state(const def_workflow *w, const char *id);
/* Index of a declared role (reserved ones are not declared), or -1. */
int def_find_role(const def_app *app, const char *role);
/* Label of a choice option, or the value itself when unknown. */
const char *def_option_label(const def_field *f, const char *value);

/* Does a field of some form (or a transition's field) hold personal data? */
bool def_app_has_personal(const def_app *app);

/* Reserved role ids and system column names. */
bool def_is_reserved_role(const char *id);
bool def_is_system_name(const char *name);

#endif
