/*
 * diag — problems found in app definitions, as people read them.
 *
 * A diagnostic names the file, the line when known (syntax and runtime errors), a
 * readable place in the definition (`forms[1] "commande" > fields[3] "vaccin"`) and
 * a message, possibly with a "did you mean" suggestion. `smallapps check` prints
 * them one per line, /admin shows them, and --json emits them as an array.
 * A diags list owns its strings.
 */
#ifndef SMALLAPPS_DIAG_H
#define SMALLAPPS_DIAG_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

typedef struct diag {
	char *file;  /* e.g. "apps/vaccins/app.lua" */
	int line;    /* 0 when unknown */
	char *where; /* may be "" */
	char *message;
} diag;

typedef struct diags {
	diag *v;
	size_t n, cap;
} diags;

void diags_add(diags *d, const char *file, int line, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void diags_free(diags *d);
/*
 * "file[:line]: [where: ]message": the line only when known, the where only when
 * not empty, e.g. `apps/x/app.lua:3: unexpected symbol near 'x'` or
 * `apps/x/app.lua: forms[1] "commande" > fields[2] "doses": clé inconnue "lable" ...`.
 */
void diag_format(const diag *g, char *out, size_t n);
void diags_print(const diags *d, FILE *f);
json_t *diags_json(const diags *d); /* [{file, line, where, message, text}], new reference */

/*
 * "did you mean" helper: the candidate closest to `word` (edit distance <= 2, or
 * <= 1 for words of 3 letters or fewer; else a candidate of 4+ letters that is a
 * prefix of `word` or has it as a prefix, as "retention" -> "retention_days"), or NULL.
 */
const char *diag_suggest(const char *word, const char *const *candidates, size_t n);

#endif
