/*
 * jsonw — a streaming JSON writer that appends to a `buf`.
 *
 * For answers too large or too frequent to build as jansson trees first (the API's
 * record lists): no allocation per value, commas placed automatically, strings
 * escaped by construction. The text is byte for byte what jansson's
 * json_dumps(..., JSON_COMPACT) gives for the same values: escapes \" \\ \b \f \n \r
 * \t and \u00XX (upper-case hex) for other control characters, UTF-8 output raw, '/'
 * not escaped; integers in decimal; doubles as "%.17g" with ".0" added when the text
 * looks like an integer and the exponent without '+' or leading zeros ("1e20").
 *
 * jsonw keeps no stack: the caller nests begin/end calls correctly (asserted in
 * debug builds through `depth`). Strings must be valid UTF-8 (like json_string):
 * jsonw_str writes null for one that is not, and jsonw_key writes "" for such a key,
 * so the output is always valid JSON. Not thread-safe; one writer per buffer.
 */
#ifndef SMALLAPPS_JSONW_H
#define SMALLAPPS_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct jsonw {
	buf *out;   /* borrowed; the writer only appends */
	bool comma; /* a value was written at this level: the next needs a ',' */
	unsigned depth;
} jsonw;

void jsonw_init(jsonw *w, buf *out);

void jsonw_object_begin(jsonw *w);
void jsonw_object_end(jsonw *w);
void jsonw_array_begin(jsonw *w);
void jsonw_array_end(jsonw *w);

/* A key inside an object; the next call writes its value. */
void jsonw_key(jsonw *w, const char *k);

/* NULL s writes null. Returns false (and writes null) when s is not valid UTF-8. */
bool jsonw_str(jsonw *w, const char *s);
bool jsonw_strn(jsonw *w, const char *s, size_t n);
void jsonw_int(jsonw *w, int64_t i);
void jsonw_real(jsonw *w, double d); /* NaN and infinities write null */
void jsonw_bool(jsonw *w, bool b);
void jsonw_null(jsonw *w);
/* Already serialized JSON, copied as is (the caller vouches for it). */
void jsonw_raw(jsonw *w, const char *json, size_t n);

/* Strict UTF-8 as jansson checks it: no overlong forms, surrogates or code points past U+10FFFF. */
bool jsonw_utf8_valid(const char *s, size_t n);

/*
 * Whether s[0..n) is an array or an object written exactly as
 * json_dumps(json_loads(s, 0, NULL), JSON_COMPACT) would write it back: no white
 * space, canonical escapes, valid UTF-8, integers without leading zeros that fit
 * in 64 bits, no duplicate keys, at most 32 levels. Real numbers are not accepted
 * (false), so the caller falls back to jansson for them. Such text can be copied
 * into an answer with jsonw_raw instead of being parsed and dumped again.
 */
bool jsonw_is_compact(const char *s, size_t n);

#endif
