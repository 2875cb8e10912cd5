/*
 * site — data/site.lua (see site.h).
 *
 * Keys: name (required), logo (a file of data/, SVG or PNG by its content), color
 * ("#rrggbb", at least 4.5:1 against white: it is the colour of links and of buttons
 * whose text is white), contacts { accessibility, dpo, legal }, legal { publisher,
 * director, host }, accessibility { state, audit_date, rate, not_accessible = { … } }.
 * The last two are checked here and kept for the pages that print them.
 */
#include "site.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "buf.h"
#include "sandbox.h"

#define LOGO_MAX (512 * 1024)

/* One value of a group of the file (contacts, legal, accessibility); a list gives one
 * entry per item, in order. */
typedef struct site_text_entry {
	char *group, *key, *text;
} site_text_entry;

struct site {
	char *name, *css;
	char *logo, *logo_type; /* bytes, NULL without a logo */
	size_t logo_len;
	char *contacts[3]; /* accessibility, dpo, legal */
	site_text_entry *texts;
	size_t ntexts;
};

static void keep_text(site *s, const char *group, const char *key, const char *text)
{
	s->texts = xrealloc(s->texts, (s->ntexts + 1) * sizeof *s->texts);
	s->texts[s->ntexts++] = (site_text_entry){xstrdup(group), xstrdup(key), xstrdup(text)};
}

static const char *const CONTACTS[] = {"accessibility", "dpo", "legal"};

/* Every key of t among `keys` (NULL-terminated); false with err naming the first other. */
static bool keys_known(const defval *t, const char *const *keys, const char *where,
		       char err[SITE_ERR])
{
	for (size_t i = 0; i < t->nfields; i++) {
		bool ok = false;
		for (size_t k = 0; keys[k] && !ok; k++)
			ok = strcmp(keys[k], t->fields[i].key) == 0;
		if (!ok) {
			snprintf(err, SITE_ERR, "%.300s : clé inconnue « %.60s »", where,
				 t->fields[i].key);
			return false;
		}
	}
	return true;
}

static bool is_text(const defval *v)
{
	return v && v->kind == DV_STR && v->s[0] && strlen(v->s) == v->len;
}

/* A table of texts (legal, contacts), numbers (accessibility.rate) or lists of texts,
 * checked, and kept in s. */
static bool read_group(site *s, const defval *t, const char *key, const char *const *keys,
		       const char *path, char err[SITE_ERR])
{
	const defval *g = defval_get(t, key);
	char where[400];
	snprintf(where, sizeof where, "%.300s : %s", path, key);
	if (!g)
		return true;
	if (g->kind != DV_TABLE || g->nitems) {
		snprintf(err, SITE_ERR, "%s : une table { clé = valeur } attendue", where);
		return false;
	}
	if (!keys_known(g, keys, where, err))
		return false;
	for (size_t i = 0; i < g->nfields; i++) {
		const defval *v = g->fields[i].val;
		bool list = v->kind == DV_TABLE && !v->nfields;
		for (size_t k = 0; list && k < v->nitems; k++)
			list = is_text(v->items[k]);
		if (!is_text(v) && v->kind != DV_INT && !list) {
			snprintf(err, SITE_ERR, "%s.%s : un texte attendu", where,
				 g->fields[i].key);
			return false;
		}
		char num[32];
		snprintf(num, sizeof num, "%lld", (long long)v->i);
		if (v->kind == DV_INT)
			keep_text(s, key, g->fields[i].key, num);
		else if (is_text(v))
			keep_text(s, key, g->fields[i].key, v->s);
		for (size_t k = 0; list && k < v->nitems; k++)
			keep_text(s, key, g->fields[i].key, v->items[k]->s);
	}
	return true;
}

static double channel(unsigned v)
{
	double c = v / 255.0;
	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

double site_contrast_with_white(const char *hex)
{
	if (!hex || strlen(hex) != 7 || hex[0] != '#')
		return 0;
	unsigned rgb[3];
	for (int i = 0; i < 3; i++) {
		int hi = hex_digit(hex[1 + 2 * i]), lo = hex_digit(hex[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return 0;
		rgb[i] = (unsigned)(hi * 16 + lo);
	}
	double l = 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
	return 1.05 / (l + 0.05);
}

/* The logo: a file of data/ (no path), an SVG or a PNG by what it holds. */
static bool read_logo(site *s, const char *data_dir, const char *file, const char *path,
		      char err[SITE_ERR])
{
	if (strchr(file, '/') || file[0] == '.') {
		snprintf(err, SITE_ERR, "%.300s : logo : un fichier du dossier data/, sans chemin",
			 path);
		return false;
	}
	char full[4096];
	snprintf(full, sizeof full, "%s/%s", data_dir, file);
	FILE *f = fopen(full, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0 || st.st_size <= 0 || st.st_size > LOGO_MAX) {
		snprintf(err, SITE_ERR,
			 "%.300s : logo « %.100s » : fichier absent, vide ou de plus "
			 "de 512 Kio",
			 path, file);
		if (f)
			fclose(f);
		return false;
	}
	s->logo = xmalloc((size_t)st.st_size + 1);
	s->logo_len = fread(s->logo, 1, (size_t)st.st_size, f);
	s->logo[s->logo_len] = '\0';
	fclose(f);
	if (s->logo_len >= 8 && memcmp(s->logo, "\x89PNG\r\n\x1a\n", 8) == 0)
		s->logo_type = xstrdup("image/png");
	else if (memmem(s->logo, s->logo_len < 1024 ? s->logo_len : 1024, "<svg", 4))
		s->logo_type = xstrdup("image/svg+xml");
	if (!s->logo_type) {
		snprintf(err, SITE_ERR, "%.300s : logo « %.100s » : ni SVG ni PNG", path, file);
		return false;
	}
	return true;
}

static bool read_site(site *s, const defval *t, const char *data_dir, const char *path,
		      char err[SITE_ERR])
{
	static const char *const KEYS[] = {"name",  "logo",	     "color", "contacts",
					   "legal", "accessibility", NULL};
	static const char *const LEGAL[] = {"publisher", "director", "host", NULL};
	static const char *const ACCESS[] = {"state", "audit_date", "rate", "not_accessible", NULL};
	static const char *const CONTACT_KEYS[] = {"accessibility", "dpo", "legal", NULL};
	if (!keys_known(t, KEYS, path, err) ||
	    !read_group(s, t, "contacts", CONTACT_KEYS, path, err) ||
	    !read_group(s, t, "legal", LEGAL, path, err) ||
	    !read_group(s, t, "accessibility", ACCESS, path, err))
		return false;
	const defval *name = defval_get(t, "name"), *logo = defval_get(t, "logo"),
		     *color = defval_get(t, "color");
	if (!is_text(name)) {
		snprintf(err, SITE_ERR,
			 "%.300s : « name » (le nom de la collectivité) est obligatoire", path);
		return false;
	}
	s->name = xstrdup(name->s);
	if (logo && (!is_text(logo) || !read_logo(s, data_dir, logo->s, path, err))) {
		if (!err[0])
			snprintf(err, SITE_ERR, "%.300s : « logo » : un nom de fichier", path);
		return false;
	}
	const char *hex = is_text(color) ? color->s : "#000091";
	double ratio = site_contrast_with_white(hex);
	if (ratio == 0) {
		snprintf(err, SITE_ERR, "%.300s : « color » : une couleur « #rrggbb » attendue",
			 path);
		return false;
	}
	if (ratio < 4.5) {
		char r[16];
		snprintf(r, sizeof r, "%.1f", ratio);
		*strchr(r, '.') = ','; /* written the French way, as the rule is */
		snprintf(
		    err, SITE_ERR,
		    "%.300s : « color » %s : contraste de %s:1 avec le blanc ; il faut au moins "
		    "4,5:1 (liens sur fond blanc, texte blanc des boutons)",
		    path, hex, r);
		return false;
	}
	buf css = BUF_INIT;
	buf_printf(&css, ":root{--primary:%s}\n", hex);
	s->css = buf_steal(&css);
	const defval *contacts = defval_get(t, "contacts");
	for (size_t i = 0; i < 3; i++) {
		const defval *v = defval_get(contacts, CONTACTS[i]);
		s->contacts[i] = is_text(v) ? xstrdup(v->s) : NULL;
	}
	return true;
}

site *site_open(const char *data_dir, const char *stdlib_dir, char err[SITE_ERR])
{
	char path[4096], why[SANDBOX_ERR];
	sandbox *sb = sandbox_data_file(data_dir, "site.lua", stdlib_dir, path, sizeof path, why);
	if (!sb) {
		snprintf(err, SITE_ERR, "%.500s", why); /* "" when there is no file */
		return NULL;
	}
	site *s = xcalloc(1, sizeof *s);
	bool ok = read_site(s, sandbox_definition(sb), data_dir, path, err);
	sandbox_close(sb);
	if (!ok) {
		site_close(s);
		return NULL;
	}
	return s;
}

void site_close(site *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->css);
	free(s->logo);
	free(s->logo_type);
	for (size_t i = 0; i < 3; i++)
		free(s->contacts[i]);
	for (size_t i = 0; i < s->ntexts; i++) {
		free(s->texts[i].group);
		free(s->texts[i].key);
		free(s->texts[i].text);
	}
	free(s->texts);
	free(s);
}

const char *site_name(const site *s)
{
	return s ? s->name : NULL;
}

const char *site_css(const site *s)
{
	return s ? s->css : NULL;
}

bool site_logo(const site *s, const char **type, const void **data, size_t *len)
{
	if (!s || !s->logo)
		return false;
	*type = s->logo_type;
	*data = s->logo;
	*len = s->logo_len;
	return true;
}

const char *site_contact(const site *s, const char *key)
{
	for (size_t i = 0; s && i < 3; i++)
		if (strcmp(CONTACTS[i], key) == 0)
			return s->contacts[i];
	return NULL;
}

size_t site_texts(const site *s, const char *group, const char *key, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; s && i < s->ntexts; i++)
		if (strcmp(s->texts[i].group, group) == 0 && strcmp(s->texts[i].key, key) == 0) {
			if (n < max)
				out[n] = s->texts[i].text;
			n++;
		}
	return n;
}

const char *site_text(const site *s, const char *group, const char *key)
{
	const char *v = NULL;
	return site_texts(s, group, key, &v, 1) ? v : NULL;
}

bool site_checks_read(const char *data_dir, site_checks *out)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/accessibilite-tests.json", data_dir);
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	const char *date = json_string_value(json_object_get(j, "date"));
	const char *tool = json_string_value(json_object_get(j, "tool"));
	json_t *pages = json_object_get(j, "pages"), *bad = json_object_get(j, "violations");
	bool ok = date && strlen(date) == 10 && tool && json_is_integer(pages) &&
		  json_is_integer(bad) && json_integer_value(pages) > 0 &&
		  json_integer_value(pages) < 100000 && json_integer_value(bad) >= 0 &&
		  json_integer_value(bad) < 1000000;
	if (ok) {
		snprintf(out->date, sizeof out->date, "%s", date);
		snprintf(out->tool, sizeof out->tool, "%s", tool);
		out->pages = (int)json_integer_value(pages);
		out->violations = (int)json_integer_value(bad);
	}
	json_decref(j);
	return ok;
}
