/*
 * diag — diagnostics of app definitions (see diag.h).
 *
 * A diags list owns copies of every string given to it. Formatting never
 * allocates. Thread-safety: one list per loader call.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

/*
 * s as well-formed UTF-8, each byte that starts no well-formed sequence replaced by
 * U+FFFD. Diagnostics quote app.lua (Lua's syntax errors quote the token, unknown
 * keys are named): raw bytes there would make `check --json` drop the message
 * (jansson refuses them) and a page show mojibake. Caller frees.
 */
static char *utf8_clean(const char *s)
{
	size_t n = strlen(s);
	if (util_utf8_valid(s, n))
		return xstrdup(s);
	buf b = BUF_INIT;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = 0; /* of the sequence this byte starts, when it starts one */
		if (c < 0x80)
			len = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		if (len && len <= n - i && util_utf8_valid(s + i, len)) {
			buf_add(&b, s + i, len);
			i += len;
		} else {
			buf_puts(&b, "\xef\xbf\xbd");
			i++;
		}
	}
	return buf_steal(&b);
}

void diags_add(diags *d, const char *file, int line, const char *where, const char *fmt, ...)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xrealloc(d->v, d->cap * sizeof *d->v);
	}
	buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	diag *g = &d->v[d->n++];
	g->file = utf8_clean(file ? file : "");
	g->line = line > 0 ? line : 0;
	g->where = utf8_clean(where ? where : "");
	g->message = utf8_clean(b.data ? b.data : "");
	buf_free(&b);
}

void diags_free(diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].where);
		free(d->v[i].message);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}

void diag_format(const diag *g, char *out, size_t n)
{
	if (n == 0)
		return;
	char pos[32] = "";
	if (g->line > 0)
		snprintf(pos, sizeof pos, ":%d", g->line);
	if (g->where[0])
		snprintf(out, n, "%s%s: %s: %s", g->file, pos, g->where, g->message);
	else
		snprintf(out, n, "%s%s: %s", g->file, pos, g->message);
	/* A cut in the middle of a character would make the whole line invalid UTF-8. */
	size_t len = strlen(out);
	while (len > 0 && !util_utf8_valid(out, len))
		out[--len] = '\0';
}

void diags_print(const diags *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		char line[4096];
		diag_format(&d->v[i], line, sizeof line);
		fprintf(f, "%s\n", line);
	}
}

json_t *diags_json(const diags *d)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->n; i++) {
		const diag *g = &d->v[i];
		json_t *o = json_object();
		json_object_set_new(o, "file", json_string(g->file));
		json_object_set_new(o, "line", json_integer(g->line));
		json_object_set_new(o, "where", json_string(g->where));
		json_object_set_new(o, "message", json_string(g->message));
		char text[4096];
		diag_format(g, text, sizeof text);
		json_object_set_new(o, "text", json_string(text));
		json_array_append_new(a, o);
	}
	return a;
}

const char *diag_suggest(const char *word, const char *const *candidates, size_t n)
{
	if (!word || !*word)
		return NULL;
	size_t len = strlen(word);
	int cap = len <= 3 ? 1 : 2;
	const char *best = NULL;
	int bestd = cap + 1;
	for (size_t i = 0; i < n; i++) {
		if (!candidates[i] || strcmp(candidates[i], word) == 0)
			continue;
		int dist = util_edit_distance(word, candidates[i], cap);
		if (dist < bestd) {
			bestd = dist;
			best = candidates[i];
		}
	}
	if (best || len < 4)
		return best;
	/* "retention" -> "retention_days": a word cut short or a word too long */
	for (size_t i = 0; i < n; i++) {
		size_t cl = candidates[i] ? strlen(candidates[i]) : 0;
		if (cl >= 4 && cl != len && strncmp(word, candidates[i], len < cl ? len : cl) == 0)
			return candidates[i];
	}
	return NULL;
}
