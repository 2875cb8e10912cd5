/*
 * geo — the French administrative divisions: communes, départements, régions and EPCI of
 * the official data compiled into the engine (geo_data.h, from @etalab/decoupage-
 * administratif), found by code, by postal code or by name, within a restriction, and
 * labelled for people ("Sète (34)", "Hérault (34)", "Occitanie", an EPCI's name).
 *
 * A core module: no SQL, no Lua, no field definitions (validate_geo.c ties fields to it).
 * The tables are read-only; each kind's index by folded name is built once, on first use,
 * under pthread_once, and never changes after: every function is thread-safe. An entry
 * is a geo_ref, a kind and a row, valid for the life of the process; names and codes are
 * borrowed from the tables and never freed.
 *
 * Names are compared folded (geo_fold): case, accents and the separators people type or
 * leave out (space, hyphen, apostrophes, dots, parentheses) do not count, and "St" /
 * "Ste" followed by more name read as "Saint" / "Sainte".
 */
#ifndef SMALLAPPS_GEO_H
#define SMALLAPPS_GEO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef enum geo_kind { GEO_COMMUNE, GEO_DEPARTEMENT, GEO_REGION, GEO_EPCI, GEO__KINDS } geo_kind;

typedef struct geo_ref {
	geo_kind kind;
	int row; /* in its table; -1 for none */
} geo_ref;

/*
 * What a field accepts. Communes: current communes only unless deleguees (then also the
 * communes déléguées and associées and the arrondissements municipaux), in departement and
 * region when set; départements: in region; EPCI: with a member commune in departement,
 * or in region; régions: all.
 */
typedef struct geo_scope {
	const char *departement; /* a département code, or NULL */
	const char *region;	 /* a région code, or NULL */
	bool deleguees;
} geo_scope;

#define GEO_TEXT_MAX  200 /* longer input matches nothing (the longest name has 61 bytes) */
#define GEO_FOLD_SIZE 512 /* room for the folded form of GEO_TEXT_MAX bytes */

/* The version of the package the data comes from ("6.0.0"). */
const char *geo_version(void);
/* How many entries a kind has (every row: communes déléguées included). */
size_t geo_count(geo_kind k);

/*
 * The entry of an exact code: INSEE code of a commune ("34301"), département ("34",
 * "2A", "971"), région ("76"), SIREN of an EPCI ("200066355"). For a code that a commune
 * déléguée shares with its commune nouvelle, the commune nouvelle. False when unknown.
 */
bool geo_find(geo_kind k, const char *code, geo_ref *out);

const char *geo_code(geo_ref e);
const char *geo_name(geo_ref e);
/* Appends the label: "Sète (34)", "Hérault (34)", "Occitanie", the EPCI's name. */
void geo_label(geo_ref e, buf *out);
/* Appends the name with its French "of": "de l'Hérault", "du Gard", "de la Lozère". */
void geo_put_of(geo_ref e, buf *out);

/* A commune's or département's région; a commune's département; false when none. */
bool geo_region_of(geo_ref e, geo_ref *out);
bool geo_departement_of(geo_ref e, geo_ref *out);
/* A commune's EPCI (a commune déléguée: its commune's); false when none. */
bool geo_epci_of(geo_ref e, geo_ref *out);
/* The commune a déléguée, associée or arrondissement belongs to; false for the others. */
bool geo_parent(geo_ref e, geo_ref *out);
/* communes.json's type: "commune-actuelle", "commune-deleguee", "commune-associee",
 * "arrondissement-municipal"; NULL for other kinds. */
const char *geo_commune_type(geo_ref e);
bool geo_is_current(geo_ref e); /* true for all but déléguées, associées, arrondissements */
/* A commune's postal codes: how many, and the i-th as 5 digits. */
size_t geo_postal_count(geo_ref e);
void geo_postal_code(geo_ref e, size_t i, char out[6]);
/* An EPCI's type ("CA", "CC", "CU", "METRO", "MET69") and the départements of its members
 * (at most max written; returns how many there are). */
const char *geo_epci_type(geo_ref e);
size_t geo_epci_departements(geo_ref e, geo_ref *out, size_t max);

typedef enum geo_fit {
	GEO_IN,
	GEO_OUT_DEPARTEMENT, /* not in (or no member in) the scope's département */
	GEO_OUT_REGION,	     /* not in (or no member in) the scope's région */
	GEO_NOT_CURRENT,     /* a commune déléguée, associée or arrondissement, not accepted */
} geo_fit;
geo_fit geo_in_scope(geo_ref e, const geo_scope *s);

/*
 * The folded form of the n bytes at s into out (cap bytes, NUL-terminated): letters as
 * search folds them (util_fold: lower case, Latin letters without their accents, œ: oe),
 * other characters kept, separators dropped, "st"/"ste" before another word read as
 * "saint"/"sainte". False on invalid UTF-8, a NUL, GEO_FOLD_SIZE bytes or more, or no
 * room in out.
 */
bool geo_fold(const char *s, size_t n, char *out, size_t cap);

/*
 * What a person typed, read as one entry (a form's text input). In order: a commune's
 * five digits as a postal code, else as an INSEE code; any kind's code; a name, with an
 * optional code in parentheses at its end ("Sète (34)": a commune's département or its
 * own code, "Hérault (34)", "CC des Quatre Rivières (200069581)"); failing an exact name,
 * the names that start so. Only entries in the scope count; a commune déléguée outside
 * it counts as its commune. Up to max candidates, distinct, in out:
 *   GEO_ONE      exactly one, named exactly (out[0]);
 *   GEO_SEVERAL  *n (1 to max) to choose from: several entries, or names that only start
 *                so, or a déléguée read as its commune;
 *   GEO_TOO_MANY more than max;
 *   GEO_NONE     nothing (blank, longer than GEO_TEXT_MAX, invalid UTF-8 included).
 */
typedef enum geo_match { GEO_NONE, GEO_ONE, GEO_SEVERAL, GEO_TOO_MANY } geo_match;
geo_match geo_resolve(geo_kind k, const char *text, const geo_scope *s, geo_ref *out, size_t max,
		      size_t *n);

/*
 * The text an input shows for e that geo_resolve reads back as exactly e within s: its
 * label when that is unambiguous, else its name and code ("CC des Quatre Rivières
 * (200069581)").
 */
void geo_input_text(geo_ref e, const geo_scope *s, buf *out);

/*
 * Search for a list of suggestions (the API): q as a code, as the start of a postal code
 * (communes) or of a code (other kinds) when it is digits, and as a name: exact names
 * first, then names that start so, in alphabetical order of their folded form. At most
 * max distinct entries in scope; returns how many were written.
 */
size_t geo_search(geo_kind k, const char *q, const geo_scope *s, geo_ref *out, size_t max);

#endif
