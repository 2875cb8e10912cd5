/*
 * validate — field values: parsing input, checking rules, formatting output.
 *
 * One implementation for every door: HTML forms give strings, the JSON API gives
 * jansson values; both end up as a `value` (record.h) checked by validate_check.
 * Messages are short sentences in the requested language, written into a caller
 * buffer of VALIDATE_MSG bytes. No function here allocates except where said.
 * Pure functions of their inputs (the date bounds take "today" as a parameter);
 * thread-safe.
 */
#ifndef SMALLAPPS_VALIDATE_H
#define SMALLAPPS_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "def.h"
#include "record.h"

#define VALIDATE_MSG 256

typedef enum { LANG_FR, LANG_EN } lang;

/*
 * HTML form input. `in` are the submitted strings for this field (0 for an absent
 * field, several for multichoice checkboxes). A boolean is true when any submitted
 * value is non-empty and not "0"/"false"/"off". Blank text gives VAL_NULL.
 * Accepts French forms: "12,5", "1 234,56 €", "01 23 45 67 89", "23/11/2026".
 * Returns 0, or -1 with msg set (e.g. "Saisissez un nombre entier.").
 */
int validate_parse_form(const def_field *f, const char *const *in, size_t nin, value *out, lang lg,
			char msg[VALIDATE_MSG]);

/*
 * JSON API input (SPEC 7 value forms). null gives VAL_NULL. Wrong JSON types are
 * errors ("doit être un nombre entier"). money accepts "1234.50", "1 234,50" or a number.
 */
int validate_parse_json(const def_field *f, const json_t *in, value *out, lang lg,
			char msg[VALIDATE_MSG]);

/*
 * Rules of the type and of the field's keys: lengths (in code points), pattern,
 * ranges, date bounds (relative to today_days, days since epoch), options, the
 * syntax/check digits of email, phone, postal code, SIRET/SIREN (Luhn), IBAN
 * (mod 97, RIB key), URL. Does not check `required` (the pipeline does, with
 * visibility). Also normalises: phone -> E.164 "+33123456789", IBAN -> upper case
 * without spaces, SIRET/SIREN/postal code -> digits only, email -> trimmed. Returns
 * 0 or -1 with msg.
 */
int validate_check(const def_field *f, value *v, int64_t today_days, lang lg,
		   char msg[VALIDATE_MSG]);

/* The field's own message for rule r (its `messages`), or NULL for the engine's. */
const char *validate_message(const def_field *f, validate_rule r, lang lg);
/* validate_check, also saying which rule failed. */
int validate_check_rule(const def_field *f, value *v, int64_t today_days, lang lg,
			char msg[VALIDATE_MSG], validate_rule *rule);

/* Message for a missing required value ("Ce champ est obligatoire."). */
const char *validate_required_msg(lang lg);

/* The API form of a value (SPEC 7); new reference; json_null() for VAL_NULL. */
json_t *validate_to_json(const def_field *f, const value *v);

/*
 * Human display, unescaped, appended to out: "1 234,56 €", "23/11/2026", option
 * labels, "Oui"/"Non", "+33 1 23 45 67 89" shown as "01 23 45 67 89". Nothing for NULL.
 */
void validate_display(const def_field *f, const value *v, lang lg, buf *out);

/*
 * The value as a French spreadsheet reads it, appended to out: numbers with a decimal
 * comma and no grouping ("1234,5"), money "1234,50", dates "23/11/2026", date-times
 * "23/11/2026 10:30", "oui"/"non", option labels (multichoice joined by ", "), a file's
 * name. Nothing for NULL.
 */
void validate_sheet(const def_field *f, const value *v, buf *out);

/* The text to put back into an <input value> or <textarea>: "1234,56", "2026-11-23", ... */
void validate_input_text(const def_field *f, const value *v, buf *out);

/*
 * Canonical text used by visible_if/required_if comparisons: "true"/"false",
 * decimal integers, choice values; for multichoice, whether `want` is one of the
 * chosen values. Returns whether v matches want.
 */
bool validate_matches(const def_field *f, const value *v, const char *want);

/*
 * A list filter's text (canonical, as validate_matches reads it) as the value stored
 * for f, so that a query can compare the column itself: FILTER_VALUE (*out set, a copy
 * the caller clears; for a boolean false, an empty value matches too: *or_null),
 * FILTER_EMPTY (the empty text: records without a value), FILTER_NONE (a number that
 * does not read as one: nothing matches), FILTER_BAD (a boolean other than true/false).
 * Multichoice filters ("contains") keep their text: FILTER_VALUE with a text value.
 */
typedef enum { FILTER_VALUE, FILTER_EMPTY, FILTER_NONE, FILTER_BAD } filter_kind;
filter_kind validate_filter(const def_field *f, const char *want, value *out, bool *or_null);

/*
 * French identifiers, checked here once for the field types and for Lua's smallapps.fr
 * (sandbox_fr.c). Each reads the n bytes at s (s[n] must be '\0', as in C and Lua
 * strings; a NUL among the n bytes is refused like any stray character), ignores the
 * ASCII white space at both ends and, inside, the separators people type (space, tab,
 * U+00A0, U+202F, U+2009; for phones also . - / ( ) and "(0)"). On VALIDATE_FR_OK,
 * r->value holds the normalised value: digits only (SIREN, SIRET, postal code), upper
 * case without spaces (IBAN), E.164 (phone: "+33123456789", "+262692123456").
 */
#define VALIDATE_FR_VALUE 35 /* longest normalised value + NUL: a 34-character IBAN */

typedef enum validate_fr_why {
	VALIDATE_FR_OK = 0,
	VALIDATE_FR_FORMAT,  /* characters, count of digits; phone: not a French number */
	VALIDATE_FR_LENGTH,  /* IBAN: not its country's length; phone: not 10 digits */
	VALIDATE_FR_KEY,     /* check digits: Luhn (SIREN, SIRET), mod 97 (IBAN) */
	VALIDATE_FR_RIB_KEY, /* IBAN of a French bank account: the RIB key inside it */
	VALIDATE_FR_UNKNOWN, /* postal code: no French code starts so (00, 96, 99) */
} validate_fr_why;

typedef struct validate_fr {
	char value[VALIDATE_FR_VALUE]; /* the normalised value, on VALIDATE_FR_OK only */
	/*
	 * IBAN, from VALIDATE_FR_LENGTH on: its country, its length (want; 0 when the
	 * country is not listed: 15 to 34) and the length typed (got).
	 */
	char country[3];
	size_t want, got;
} validate_fr;

validate_fr_why validate_fr_siren(const char *s, size_t n, validate_fr *r); /* 9 digits, Luhn */
/* 14 digits, Luhn; La Poste's (SIREN 356000000): the digit sum is a multiple of 5. */
validate_fr_why validate_fr_siret(const char *s, size_t n, validate_fr *r);
/* ISO 13616: country, length, mod 97, and the RIB key of French bank accounts. */
validate_fr_why validate_fr_iban(const char *s, size_t n, validate_fr *r);
/* French numbers, overseas ones included, to E.164. */
validate_fr_why validate_fr_phone(const char *s, size_t n, validate_fr *r);
/* 5 digits, no separator, 01xxx to 95xxx, 97xxx, 98xxx. */
validate_fr_why validate_fr_postal_code(const char *s, size_t n, validate_fr *r);
/* Luhn key of n digits (nothing else: no separator). */
bool validate_fr_luhn(const char *s, size_t n);
/* Entry i of the IBAN length table: the length, and the country in cc; 0 past the end. */
size_t validate_iban_length(size_t i, char cc[3]);

/* The same checks as booleans, on C strings. */
bool validate_luhn(const char *digits);
bool validate_siret(const char *s);
bool validate_siren(const char *s);
bool validate_iban(const char *s);
/* French phone to E.164 in out (size >= 16); false when not a French number. */
bool validate_phone_fr(const char *s, char out[16]);
bool validate_postal_code(const char *s);
bool validate_email(const char *s);
bool validate_url(const char *s);
/* Resolves "today", "today+N", "today-N" or a date into days; false when malformed. */
bool validate_date_bound(const char *bound, int64_t today_days, int64_t *days);

/*
 * A MIME type as people read it, for messages: "image PNG", "document PDF", "image" for
 * image/ followed by a star; the type itself when unknown. Written into out.
 */
const char *validate_type_label(const char *mime, char *out, size_t size, bool english);
/* A file field's accepted types as words ("une image PNG ou JPEG"), and the error. */
void validate_accept_names(const def_field *f, lang lg, char *out, size_t size);
void validate_accept_text(const def_field *f, lang lg, char *msg);

#endif
