/*
 * validate_geo — the territory field types (commune, departement, region, epci; SPEC 4.3)
 * for validate.c, on top of geo.h: a field's restriction as a geo_scope, what a form's
 * text input means, the check of a code and its messages, and the label shown for it.
 *
 * Values are stored as the official code (TEXT): INSEE code of a commune, number of a
 * département, code of a région, SIREN of an EPCI. Same memory rules as validate.h; no
 * state, thread-safe.
 */
#ifndef SMALLAPPS_VALIDATE_GEO_H
#define SMALLAPPS_VALIDATE_GEO_H

#include "geo.h"
#include "validate.h"

#define VALIDATE_GEO_CHOICES 50 /* candidates a form offers at most (46 share 51300) */

/* The kind of a territory type (def_type_is_geo), and a field's restriction. */
geo_kind validate_geo_kind(field_type t);
geo_scope validate_geo_scope(const def_field *f);

/*
 * Form input: the first non-empty value (a candidate chosen among radios comes before
 * the text box beside them), read by geo_resolve as a code, postal code or name. Blank
 * is VAL_NULL; one entry is its code; anything else is -1 with the message (nothing
 * matches, several do, too many do).
 */
int validate_geo_parse_form(const def_field *f, const char *const *in, size_t nin, value *out,
			    lang lg, char msg[VALIDATE_MSG]);

/* A code (API, default, app code): known, and in the field's restriction. "2a" is made
 * "2A". 0, or -1 with msg. */
int validate_geo_check(const def_field *f, value *v, lang lg, char msg[VALIDATE_MSG]);

/* The label of a stored code ("Sète (34)"); an unknown code as it is. */
void validate_geo_display(const def_field *f, const value *v, buf *out);
/* What an input shows for a stored code, read back as the same code (geo_input_text). */
void validate_geo_input_text(const def_field *f, const value *v, buf *out);

/* A list filter's text as the code to compare with (out must be clear): a code as it is,
 * else what names one entry as a form's input would ("Sète"); anything else as it is,
 * which matches nothing. */
void validate_geo_filter(const def_field *f, const char *want, value *out);

/* The entries to choose from when a form input named several (geo_resolve's
 * GEO_SEVERAL), at most max; 0 otherwise. */
size_t validate_geo_choices(const def_field *f, const char *typed, geo_ref *out, size_t max);

#endif
