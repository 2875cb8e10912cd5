/*
 * loader — from the table app.lua returns to a checked def_app (see loader.h).
 *
 * What it owns: reading the defval tree copied by the sandbox (it never touches
 * the Lua API), every check of SPEC 4 (unknown keys with "did you mean", value
 * types, ids, duplicates, references to fields, states and roles, the workflow
 * graph) and the derived data (columns, defaults, condition indexes, hook ids).
 * The content hash of an app folder is appsrc's.
 *
 * Invariants: everything reachable from the returned def_app lives in app->mem
 * (the def_app itself included) except the json_t defaults, which def_app_free
 * releases; diagnostics are appended in a fixed order (the walk order of the
 * definition, keys sorted), so `check` prints the same lines on every run.
 * Thread-safe: no shared state.
 */
#include "loader.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appsrc.h"
#include "buf.h"
#include "geo.h"
#include "util.h"
#include "validate_geo.h"

#define MAX_ID	      40
#define MAX_PAGE_SIZE 500
#define MAX_DAYS      36500

/* ------------------------------------------------------------------ */
/* The walk                                                            */

typedef struct ld {
	def_app *app;
	arena *A;      /* the definition's arena */
	arena scratch; /* where strings and temporary arrays */
	diags *d;
	const char *file;
	const char **roles; /* declared + reserved, for suggestions */
	size_t nroles;
} ld;

static void err(ld *x, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err(ld *x, const char *where, const char *fmt, ...)
{
	buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	diags_add(x->d, x->file, 0, where, "%s", buf_cstr(&b));
	buf_free(&b);
}

static const char *wherep(ld *x, const char *parent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* parent > child */
static const char *wherep(ld *x, const char *parent, const char *fmt, ...)
{
	buf b = BUF_INIT;
	if (parent && parent[0])
		buf_printf(&b, "%s > ", parent);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	const char *s = arena_strdup(&x->scratch, buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* " (vouliez-vous dire "x" ?)" or "" */
static const char *suggest(ld *x, const char *word, const char *const *cands, size_t n)
{
	const char *s = diag_suggest(word, cands, n);
	if (!s)
		return "";
	return arena_printf(&x->scratch, " (vouliez-vous dire \"%s\" ?)", s);
}

static const char *type_fr(ld *x, const defval *v)
{
	if (!v)
		return "nil";
	switch (v->kind) {
	case DV_NIL:
		return "nil";
	case DV_BOOL:
		return v->b ? "le booléen true" : "le booléen false";
	case DV_INT:
		return arena_printf(&x->scratch, "l'entier %lld", (long long)v->i);
	case DV_NUM:
		return arena_printf(&x->scratch, "le nombre %g", v->d);
	case DV_STR:
		return arena_printf(&x->scratch, "la chaîne \"%.40s\"", v->s);
	case DV_TABLE:
		return "une table";
	case DV_FUNC:
		return "une fonction";
	default:
		return arena_printf(&x->scratch, "une valeur de type %s", v->s);
	}
}

static bool is_id(const char *s, size_t max, bool dash)
{
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	size_t n = 1;
	for (const char *p = s + 1; *p; p++, n++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      (dash ? *p == '-' : *p == '_')))
			return false;
	return max == 0 || n <= max;
}

/*
 * Checks that t is a map whose keys are all in `allowed` (NULL-terminated).
 * `elsewhere`, when given, tells keys that exist for other field types.
 */
static bool check_map(ld *x, const defval *t, const char *where, const char *what,
		      const char *const *allowed, bool (*elsewhere)(const char *key),
		      const char *type_name)
{
	if (!t || t->kind != DV_TABLE) {
		err(x, where, "%s doit être une table { clé = valeur }, pas %s", what,
		    type_fr(x, t));
		return false;
	}
	size_t na = 0;
	while (allowed[na])
		na++;
	for (size_t i = 0; i < t->nfields; i++) {
		const char *k = t->fields[i].key;
		bool ok = false;
		for (size_t a = 0; a < na && !ok; a++)
			ok = strcmp(allowed[a], k) == 0;
		if (ok)
			continue;
		if (elsewhere && elsewhere(k))
			err(x, where, "clé \"%s\" sans effet pour le type \"%s\"", k, type_name);
		else
			err(x, where, "clé inconnue \"%s\"%s", k, suggest(x, k, allowed, na));
	}
	if (t->nitems)
		err(x, where,
		    "%s : %zu valeur(s) sans clé inattendue(s), une table { clé = valeur } "
		    "est attendue",
		    what, t->nitems);
	for (size_t i = 0; i < t->nbadkeys; i++)
		err(x, where, "clé invalide %s : les clés sont des noms", t->badkeys[i]);
	return true;
}

/* An array: returns false (with a diagnostic) when t is not a list. */
static bool check_list(ld *x, const defval *t, const char *where, const char *what)
{
	if (!t || t->kind != DV_TABLE) {
		err(x, where, "\"%s\" doit être une liste { ... }, pas %s", what, type_fr(x, t));
		return false;
	}
	if (t->nfields || t->nbadkeys) {
		err(x, where,
		    "\"%s\" doit être une liste { a, b, ... } (tableau), clé inattendue %s%s%s",
		    what, t->nfields ? "\"" : "", t->nfields ? t->fields[0].key : t->badkeys[0],
		    t->nfields ? "\"" : "");
		return false;
	}
	return true;
}

static bool check_text(ld *x, const defval *v, const char *where, const char *key)
{
	if (strlen(v->s) != v->len) {
		err(x, where, "\"%s\" contient un octet nul", key);
		return false;
	}
	if (!util_utf8_valid(v->s, v->len)) {
		err(x, where, "\"%s\" n'est pas du texte UTF-8 valide", key);
		return false;
	}
	return true;
}

/* String value of t.key, copied into the definition; NULL when absent or wrong. */
static const char *get_str(ld *x, const defval *t, const char *key, const char *where,
			   bool required)
{
	const defval *v = defval_get(t, key);
	if (!v) {
		if (required)
			err(x, where, "\"%s\" est obligatoire", key);
		return NULL;
	}
	if (v->kind != DV_STR) {
		err(x, where, "\"%s\" doit être une chaîne, pas %s", key, type_fr(x, v));
		return NULL;
	}
	if (!check_text(x, v, where, key))
		return NULL;
	if (required && v->len == 0) {
		err(x, where, "\"%s\" ne doit pas être vide", key);
		return NULL;
	}
	return arena_strndup(x->A, v->s, v->len);
}

static bool get_bool(ld *x, const defval *t, const char *key, const char *where, bool def)
{
	const defval *v = defval_get(t, key);
	if (!v)
		return def;
	if (v->kind != DV_BOOL) {
		err(x, where, "\"%s\" doit être un booléen (true ou false), pas %s", key,
		    type_fr(x, v));
		return def;
	}
	return v->b;
}

/* Integer in [lo, hi]; *out untouched when absent or wrong. */
static bool get_int(ld *x, const defval *t, const char *key, const char *where, long lo, long hi,
		    long *out)
{
	const defval *v = defval_get(t, key);
	if (!v)
		return false;
	int64_t i;
	if (v->kind == DV_INT)
		i = v->i;
	else if (v->kind == DV_NUM && v->d == floor(v->d) && fabs(v->d) < 9e15)
		i = (int64_t)v->d;
	else {
		err(x, where, "\"%s\" doit être un entier, pas %s", key, type_fr(x, v));
		return false;
	}
	if (i < lo || i > hi) {
		err(x, where, "\"%s\" doit être entre %ld et %ld, pas %lld", key, lo, hi,
		    (long long)i);
		return false;
	}
	*out = (long)i;
	return true;
}

static bool get_num(ld *x, const defval *t, const char *key, const char *where, double *out)
{
	const defval *v = defval_get(t, key);
	if (!v)
		return false;
	if (v->kind == DV_INT)
		*out = (double)v->i;
	else if (v->kind == DV_NUM && isfinite(v->d))
		*out = v->d;
	else {
		err(x, where, "\"%s\" doit être un nombre, pas %s", key, type_fr(x, v));
		return false;
	}
	return true;
}

/* A list of strings. Returns whether the key is present (even if wrong). */
static bool get_strlist(ld *x, const defval *t, const char *key, const char *where,
			def_strlist *out, bool allow_single)
{
	const defval *v = defval_get(t, key);
	out->v = NULL;
	out->n = 0;
	if (!v)
		return false;
	if (allow_single && v->kind == DV_STR) {
		if (!check_text(x, v, where, key))
			return true;
		out->v = arena_alloc(x->A, sizeof *out->v);
		out->v[0] = arena_strdup(x->A, v->s);
		out->n = 1;
		return true;
	}
	if (v->kind != DV_TABLE) {
		err(x, where, "\"%s\" doit être une liste de chaînes { \"a\", \"b\" }, pas %s", key,
		    type_fr(x, v));
		return true;
	}
	if (!check_list(x, v, where, key))
		return true;
	out->v = arena_alloc(x->A, (v->nitems ? v->nitems : 1) * sizeof *out->v);
	for (size_t i = 0; i < v->nitems; i++) {
		const defval *e = v->items[i];
		if (e->kind != DV_STR) {
			err(x, where, "%s[%zu] doit être une chaîne, pas %s", key, i + 1,
			    type_fr(x, e));
			continue;
		}
		if (!check_text(x, e, where, key))
			continue;
		if (def_strlist_has(out, e->s)) {
			err(x, where, "%s : \"%s\" en double", key, e->s);
			continue;
		}
		out->v[out->n++] = arena_strdup(x->A, e->s);
	}
	return true;
}

/* A function: its hook id, 0 when absent or wrong. */
static int get_func(ld *x, const defval *t, const char *key, const char *where)
{
	const defval *v = defval_get(t, key);
	if (!v)
		return 0;
	if (v->kind != DV_FUNC) {
		err(x, where, "\"%s\" doit être une fonction, pas %s", key, type_fr(x, v));
		return 0;
	}
	return v->func;
}

static void check_role(ld *x, const char *where, const char *key, const char *role)
{
	if (def_is_reserved_role(role))
		return;
	for (size_t i = 0; i < x->app->nroles; i++)
		if (strcmp(x->app->roles[i].id, role) == 0)
			return;
	err(x, where, "%s : rôle non déclaré \"%s\"%s", key, role,
	    suggest(x, role, x->roles, x->nroles));
}

static void check_roles(ld *x, const char *where, const char *key, const def_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		check_role(x, where, key, l->v[i]);
}

/* ------------------------------------------------------------------ */
/* Lua patterns (the syntax lstrlib.c accepts)                         */

static const char *pattern_problem(const char *p)
{
	int open[32], nopen = 0, ncap = 0;
	bool closed[32] = {false};
	for (; *p; p++) {
		switch (*p) {
		case '(':
			if (ncap >= 32)
				return "trop de captures (32 au plus)";
			open[nopen++] = ncap++;
			break;
		case ')':
			if (nopen == 0)
				return "')' sans '(' correspondante";
			closed[open[--nopen]] = true;
			break;
		case '%':
			p++;
			if (!*p)
				return "motif mal formé (se termine par '%')";
			if (*p == 'b') {
				if (!p[1] || !p[2])
					return "'%b' demande deux caractères";
				p += 2;
			} else if (*p == 'f') {
				if (p[1] != '[')
					return "'[' manquant après '%f'";
				p++;
				goto set;
			} else if (*p >= '0' && *p <= '9') {
				int k = *p - '1';
				if (k < 0 || k >= ncap || !closed[k])
					return "référence de capture invalide";
			}
			break;
		case '[':
		set:
			p++;
			if (*p == '^')
				p++;
			do {
				if (!*p)
					return "motif mal formé (']' manquant)";
				if (*p++ == '%' && *p)
					p++;
			} while (*p != ']');
			break;
		default:
			break;
		}
	}
	if (nopen)
		return "'(' non fermée";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */

#define TM(t)	   (1u << (t))
#define TM_ALL	   ((1u << FT__COUNT) - 1)
#define TM_DATA	   (TM_ALL & ~TM(FT_SECTION) & ~TM(FT_INFO))
#define TM_NUMERIC (TM(FT_INTEGER) | TM(FT_DECIMAL) | TM(FT_MONEY))
#define TM_DATES   (TM(FT_DATE) | TM(FT_DATETIME))

static const struct {
	const char *key;
	unsigned types;
} field_keys[] = {
    {"name", TM_ALL},
    {"type", TM_ALL},
    {"label", TM_ALL},
    {"help", TM_ALL},
    {"required", TM_DATA},
    {"default", TM_DATA & ~TM(FT_FILE) & ~TM(FT_REFERENCE) & ~TM(FT_REPEAT)},
    {"placeholder", TM_DATA},
    {"readonly", TM_DATA},
    {"personal", TM_DATA},
    {"private", TM_DATA},
    {"editable_by", TM_DATA},
    {"renamed_from", TM_DATA},
    {"visible_if", TM_DATA | TM(FT_SECTION)},
    {"page", TM(FT_SECTION)},
    {"required_if", TM_DATA},
    {"compute", TM_DATA & ~TM(FT_REPEAT)},
    {"min_length", TM(FT_TEXT) | TM(FT_TEXTAREA)},
    {"max_length", TM(FT_TEXT) | TM(FT_TEXTAREA)},
    {"pattern", TM(FT_TEXT)},
    {"pattern_message", TM(FT_TEXT)},
    {"min", TM_NUMERIC | TM_DATES | TM(FT_MULTICHOICE) | TM(FT_REPEAT)},
    {"max", TM_NUMERIC | TM_DATES | TM(FT_MULTICHOICE) | TM(FT_REPEAT)},
    {"fields", TM(FT_REPEAT)},
    {"scale", TM(FT_DECIMAL)},
    {"options", TM(FT_CHOICE) | TM(FT_MULTICHOICE)},
    {"widget", TM(FT_CHOICE)},
    {"max_size", TM(FT_FILE)},
    {"accept", TM(FT_FILE)},
    {"text", TM(FT_INFO)},
    {"messages", TM_DATA},
    {"departement", TM(FT_COMMUNE) | TM(FT_EPCI)},
    {"region", TM(FT_COMMUNE) | TM(FT_DEPARTEMENT) | TM(FT_EPCI)},
    {"deleguees", TM(FT_COMMUNE)},
    {"form", TM(FT_REFERENCE)},
    {"label_field", TM(FT_REFERENCE)},
};
#define NFIELD_KEYS (sizeof field_keys / sizeof field_keys[0])

/* messages = { <rule> = "…" or { fr = "…", en = "…" } }: the rules, the types they apply to
 * (by their keys in field_keys), in validate_rule's order. */
static const struct {
	const char *rule, *key; /* key: the field key the rule needs; NULL: any type */
} message_rules[VR__COUNT] = {
    [VR_FORMAT] = {"format", NULL},
    [VR_MIN] = {"min", "min"},
    [VR_MAX] = {"max", "max"},
    [VR_MIN_LENGTH] = {"min_length", "min_length"},
    [VR_MAX_LENGTH] = {"max_length", "max_length"},
    [VR_PATTERN] = {"pattern", "pattern"},
    [VR_REQUIRED] = {"required", NULL},
};
static const char *const message_langs[] = {"fr", "en", NULL};

static bool key_applies(const char *key, field_type t)
{
	for (size_t i = 0; i < sizeof field_keys / sizeof field_keys[0]; i++)
		if (strcmp(field_keys[i].key, key) == 0)
			return field_keys[i].types & TM(t);
	return false;
}

/* One message: a text, or { fr = …, en = … } (fr required). */
static void read_message(ld *x, const defval *v, const char *mw, def_messages *m, int r)
{
	if (v->kind == DV_STR) {
		m->fr[r] = arena_strdup(x->A, v->s);
		return;
	}
	if (v->kind != DV_TABLE) {
		err(x, mw, "attendu un texte ou { fr = \"…\", en = \"…\" }, pas %s", type_fr(x, v));
		return;
	}
	if (!check_map(x, v, mw, "un message", message_langs, NULL, NULL))
		return;
	m->fr[r] = get_str(x, v, "fr", mw, true);
	m->en[r] = get_str(x, v, "en", mw, false);
}

static void read_messages(ld *x, const defval *t, def_field *f, const char *where)
{
	const defval *ms = defval_get(t, "messages");
	if (!ms)
		return;
	const char *w = wherep(x, where, "messages");
	const char *rules[VR__COUNT + 1];
	for (int r = 0; r < VR__COUNT; r++)
		rules[r] = message_rules[r].rule;
	rules[VR__COUNT] = NULL;
	if (!check_map(x, ms, w, "\"messages\"", rules, NULL, NULL))
		return;
	def_messages *m = arena_alloc(x->A, sizeof *m);
	memset(m, 0, sizeof *m);
	for (int r = 0; r < VR__COUNT; r++) {
		const defval *v = defval_get(ms, message_rules[r].rule);
		if (!v)
			continue;
		const char *mw = wherep(x, w, "%s", message_rules[r].rule);
		if (message_rules[r].key && !key_applies(message_rules[r].key, f->type)) {
			err(x, mw, "sans effet pour le type \"%s\"", def_type_name(f->type));
			continue;
		}
		if (r == VR_REQUIRED && !f->required && !defval_get(t, "required_if"))
			err(x, mw, "sans effet : le champ n'est ni required ni required_if");
		read_message(x, v, mw, m, r);
	}
	f->messages = m;
}

static bool is_field_key(const char *k)
{
	for (size_t i = 0; i < NFIELD_KEYS; i++)
		if (strcmp(field_keys[i].key, k) == 0)
			return true;
	return false;
}

static const char **type_names(ld *x)
{
	const char **v = arena_alloc(&x->scratch, (FT__COUNT + 1) * sizeof *v);
	for (int i = 0; i < FT__COUNT; i++)
		v[i] = def_type_name((field_type)i);
	return v;
}

static bool is_texty(field_type t)
{
	const char *sql = def_type_sql(t);
	return sql && strcmp(sql, "TEXT") == 0 && t != FT_MULTICHOICE && t != FT_FILE &&
	       t != FT_REPEAT && t != FT_DATE && t != FT_DATETIME && !def_type_is_geo(t);
}

/* "today", "today+N", "today-N" or a date (datetime fields: also a datetime). */
static bool date_bound_ok(const char *s, bool datetime)
{
	if (strncmp(s, "today", 5) == 0) {
		const char *p = s + 5;
		if (!*p)
			return true;
		if (*p != '+' && *p != '-')
			return false;
		p++;
		if (!*p)
			return false;
		for (; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
		return strlen(s) < 12;
	}
	int64_t days;
	time_t t;
	return util_parse_date(s, &days) || (datetime && util_parse_datetime(s, &t));
}

static void read_options(ld *x, const defval *t, def_field *f, const char *where)
{
	const defval *v = defval_get(t, "options");
	if (!v) {
		err(x, where, "le type \"%s\" exige \"options\" (au moins une option)",
		    def_type_name(f->type));
		return;
	}
	if (!check_list(x, v, where, "options"))
		return;
	if (v->nitems == 0) {
		err(x, where, "\"options\" doit contenir au moins une option");
		return;
	}
	f->options = arena_alloc(x->A, v->nitems * sizeof *f->options);
	for (size_t i = 0; i < v->nitems; i++) {
		const defval *o = v->items[i];
		const defval *val = NULL, *lab = NULL;
		if (o->kind == DV_STR) {
			val = lab = o;
		} else if (o->kind == DV_TABLE && o->nitems == 2 && o->nfields == 0) {
			val = o->items[0];
			lab = o->items[1];
		} else if (o->kind == DV_TABLE && o->nitems == 0 && o->nbadkeys == 0 &&
			   o->nfields == 2 && defval_get(o, "value") && defval_get(o, "label")) {
			val = defval_get(o, "value");
			lab = defval_get(o, "label");
		}
		if (!val || val->kind != DV_STR || lab->kind != DV_STR || val->len == 0) {
			err(x, where,
			    "options[%zu] : attendu une chaîne ou { valeur, libellé }, pas %s",
			    i + 1, type_fr(x, o));
			continue;
		}
		if (!check_text(x, val, where, "options") || !check_text(x, lab, where, "options"))
			continue;
		bool dup = false;
		for (size_t k = 0; k < f->noptions; k++)
			dup = dup || strcmp(f->options[k].value, val->s) == 0;
		if (dup) {
			err(x, where, "options : valeur \"%s\" en double", val->s);
			continue;
		}
		f->options[f->noptions].value = arena_strdup(x->A, val->s);
		f->options[f->noptions].label = arena_strdup(x->A, lab->s);
		f->noptions++;
	}
}

static bool has_option(const def_field *f, const char *s)
{
	for (size_t i = 0; i < f->noptions; i++)
		if (strcmp(f->options[i].value, s) == 0)
			return true;
	return false;
}

static const char *option_suggest(ld *x, const def_field *f, const char *s)
{
	const char **c = arena_alloc(&x->scratch, (f->noptions + 1) * sizeof *c);
	for (size_t i = 0; i < f->noptions; i++)
		c[i] = f->options[i].value;
	return suggest(x, s, c, f->noptions);
}

/* default: checked against the type, converted to the API's value form. */
static void read_default(ld *x, const defval *t, def_field *f, const char *where)
{
	const defval *v = defval_get(t, "default");
	if (!v || !def_type_holds_data(f->type) || f->type == FT_FILE || f->type == FT_REFERENCE)
		return; /* refused by field_keys */
	const char *tn = def_type_name(f->type);
	json_t *j = NULL;
	switch (f->type) {
	case FT_INTEGER:
		if (v->kind == DV_INT)
			j = json_integer(v->i);
		break;
	case FT_DECIMAL:
		if (v->kind == DV_INT)
			j = json_real((double)v->i);
		else if (v->kind == DV_NUM && isfinite(v->d))
			j = json_real(v->d);
		break;
	case FT_MONEY:
		if (v->kind == DV_INT ||
		    (v->kind == DV_NUM && isfinite(v->d) && fabs(v->d) < 9e13)) {
			char s[64];
			snprintf(s, sizeof s, "%.2f", v->kind == DV_INT ? (double)v->i : v->d);
			j = json_string(s);
		}
		break;
	case FT_BOOLEAN:
		if (v->kind == DV_BOOL)
			j = json_boolean(v->b);
		break;
	case FT_MULTICHOICE:
		if (v->kind == DV_TABLE && v->nfields == 0 && v->nbadkeys == 0) {
			j = json_array();
			for (size_t i = 0; i < v->nitems; i++) {
				const defval *e = v->items[i];
				if (e->kind != DV_STR || !has_option(f, e->s)) {
					err(x, where, "default[%zu] : %s n'est pas une option%s",
					    i + 1, type_fr(x, e),
					    e->kind == DV_STR ? option_suggest(x, f, e->s) : "");
					json_decref(j);
					return;
				}
				json_array_append_new(j, json_string(e->s));
			}
		}
		break;
	default: /* text-like */
		if (v->kind == DV_STR && strlen(v->s) == v->len && util_utf8_valid(v->s, v->len)) {
			int64_t days;
			time_t tt;
			if (f->type == FT_CHOICE && f->noptions && !has_option(f, v->s)) {
				err(x, where, "default : \"%s\" n'est pas une option%s", v->s,
				    option_suggest(x, f, v->s));
				return;
			}
			if (f->type == FT_DATE && !util_parse_date(v->s, &days)) {
				err(x, where, "default : \"%s\" n'est pas une date AAAA-MM-JJ",
				    v->s);
				return;
			}
			if (f->type == FT_DATETIME && !util_parse_datetime(v->s, &tt)) {
				err(x, where, "default : \"%s\" n'est pas une date-heure ISO 8601",
				    v->s);
				return;
			}
			char msg[VALIDATE_MSG];
			value code = {VAL_NULL, 0, 0, NULL};
			value_set_text(&code, v->s);
			int bad = def_type_is_geo(f->type) &&
				  validate_geo_check(f, &code, LANG_FR, msg) != 0;
			value_clear(&code);
			if (bad) {
				err(x, where, "default : %s", msg);
				return;
			}
			j = json_string(v->s);
		}
		break;
	}
	if (!j) {
		err(x, where, "default : valeur de type incompatible avec un champ \"%s\" (%s)", tn,
		    type_fr(x, v));
		return;
	}
	if ((f->type == FT_INTEGER || f->type == FT_DECIMAL || f->type == FT_MONEY)) {
		double d = v->kind == DV_INT ? (double)v->i : v->d;
		if ((f->has_min && d < f->min) || (f->has_max && d > f->max)) {
			err(x, where, "default : %g hors des bornes min/max du champ", d);
			json_decref(j);
			return;
		}
	}
	f->default_value = j;
}

/*
 * One field (form field or transition field). Conditions are resolved later,
 * once every column is known.
 */
/* min_length, max_length; for text also pattern and pattern_message. */
static void read_text_keys(ld *x, const defval *t, def_field *f, const char *where)
{
	long v;
	if (get_int(x, t, "min_length", where, 0, 1000000, &v))
		f->min_length = v;
	f->max_length = f->type == FT_TEXT ? 200 : 10000;
	if (get_int(x, t, "max_length", where, 1, 1000000, &v))
		f->max_length = v;
	if (f->min_length > f->max_length)
		err(x, where, "min_length (%ld) est supérieur à max_length (%ld)", f->min_length,
		    f->max_length);
	if (f->type != FT_TEXT)
		return;
	f->pattern = get_str(x, t, "pattern", where, false);
	const char *why = f->pattern ? pattern_problem(f->pattern) : NULL;
	if (why)
		err(x, where, "pattern invalide \"%s\" : %s", f->pattern, why);
	f->pattern_message = get_str(x, t, "pattern_message", where, false);
	if (f->pattern_message && !f->pattern)
		err(x, where, "pattern_message sans pattern");
}

/* min, max (whole numbers for an integer), scale for a decimal. */
static void read_number_keys(ld *x, const defval *t, def_field *f, const char *where)
{
	f->has_min = get_num(x, t, "min", where, &f->min);
	f->has_max = get_num(x, t, "max", where, &f->max);
	if (f->type == FT_INTEGER) {
		if (f->has_min && f->min != floor(f->min)) {
			err(x, where, "\"min\" doit être un entier pour un champ \"integer\"");
			f->has_min = false;
		}
		if (f->has_max && f->max != floor(f->max)) {
			err(x, where, "\"max\" doit être un entier pour un champ \"integer\"");
			f->has_max = false;
		}
	}
	if (f->has_min && f->has_max && f->min > f->max)
		err(x, where, "min (%g) est supérieur à max (%g)", f->min, f->max);
	long v;
	if (f->type == FT_DECIMAL && get_int(x, t, "scale", where, 0, 15, &v))
		f->scale = (int)v;
}

/* min and max: a date, "today", "today+N", "today-N". */
static void read_date_keys(ld *x, const defval *t, def_field *f, const char *where)
{
	bool dt = f->type == FT_DATETIME;
	f->min_date = get_str(x, t, "min", where, false);
	f->max_date = get_str(x, t, "max", where, false);
	if (f->min_date && !date_bound_ok(f->min_date, dt))
		err(x, where,
		    "min : \"%s\" n'est ni une date AAAA-MM-JJ ni \"today\", "
		    "\"today+N\", \"today-N\"",
		    f->min_date);
	if (f->max_date && !date_bound_ok(f->max_date, dt))
		err(x, where,
		    "max : \"%s\" n'est ni une date AAAA-MM-JJ ni \"today\", "
		    "\"today+N\", \"today-N\"",
		    f->max_date);
	int64_t a, b;
	if (f->min_date && f->max_date && util_parse_date(f->min_date, &a) &&
	    util_parse_date(f->max_date, &b) && a > b)
		err(x, where, "min (%s) est postérieur à max (%s)", f->min_date, f->max_date);
}

/* options, and for a choice its widget; for a multichoice how many may be ticked. */
static void read_choice_keys(ld *x, const defval *t, def_field *f, const char *where)
{
	read_options(x, t, f, where);
	if (f->type == FT_CHOICE) {
		const char *w = get_str(x, t, "widget", where, false);
		if (w && strcmp(w, "radio") != 0 && strcmp(w, "select") != 0)
			err(x, where, "\"widget\" doit valoir \"radio\" ou \"select\", pas \"%s\"",
			    w);
		f->widget_radio = w ? strcmp(w, "radio") == 0 : f->noptions <= 5;
		return;
	}
	long v;
	if (get_int(x, t, "min", where, 0, 10000, &v)) {
		f->has_min = true;
		f->min = (double)v;
	}
	if (get_int(x, t, "max", where, 1, 10000, &v)) {
		f->has_max = true;
		f->max = (double)v;
	}
	if (f->has_min && f->has_max && f->min > f->max)
		err(x, where, "min (%g) est supérieur à max (%g)", f->min, f->max);
	if (f->has_min && f->noptions && f->min > (double)f->noptions)
		err(x, where, "min (%g) dépasse le nombre d'options (%zu)", f->min, f->noptions);
}

/* max_size and accept (MIME types). */
static void read_file_keys(ld *x, const defval *t, def_field *f, const char *where)
{
	long v;
	if (get_int(x, t, "max_size", where, 1, 1L << 40, &v))
		f->max_size = v;
	get_strlist(x, t, "accept", where, &f->accept, false);
	for (size_t i = 0; i < f->accept.n; i++)
		if (!strchr(f->accept.v[i], '/'))
			err(x, where,
			    "accept : \"%s\" n'est pas un type MIME (ex. "
			    "\"application/pdf\")",
			    f->accept.v[i]);
}

/* A restriction's code (departement, region); a name given instead is answered with its
 * code. NULL when absent or unknown. */
static const char *read_geo_code(ld *x, const defval *t, const char *key, geo_kind k,
				 const char *where)
{
	const char *s = get_str(x, t, key, where, false);
	geo_ref e, c[2];
	size_t n;
	if (!s || geo_find(k, s, &e))
		return s;
	const char *what = k == GEO_REGION ? "un code de région" : "un numéro de département";
	if (geo_resolve(k, s, NULL, c, 2, &n) == GEO_ONE) {
		buf of = BUF_INIT;
		if (k == GEO_REGION)
			buf_printf(&of, "de la région %s", geo_name(c[0]));
		else
			geo_put_of(c[0], &of);
		err(x, where, "%s : \"%s\" n'est pas %s ; celui %s est \"%s\"", key, s, what,
		    buf_cstr(&of), geo_code(c[0]));
		buf_free(&of);
	} else {
		err(x, where, "%s : \"%s\" n'est pas %s (ex. %s)", key, s, what,
		    k == GEO_REGION ? "\"76\" pour l'Occitanie" : "\"34\", \"2A\", \"971\"");
	}
	return NULL;
}

/* departement and region (known codes, the one within the other), deleguees. */
static void read_geo_keys(ld *x, const defval *t, def_field *f, const char *where)
{
	f->geo_departement = read_geo_code(x, t, "departement", GEO_DEPARTEMENT, where);
	f->geo_region = read_geo_code(x, t, "region", GEO_REGION, where);
	f->geo_deleguees = get_bool(x, t, "deleguees", where, false);
	geo_ref d, r;
	geo_scope in_region = {.region = f->geo_region};
	if (f->geo_departement && f->geo_region &&
	    geo_find(GEO_DEPARTEMENT, f->geo_departement, &d) &&
	    geo_find(GEO_REGION, f->geo_region, &r) && geo_in_scope(d, &in_region) != GEO_IN) {
		buf of = BUF_INIT;
		geo_put_of(d, &of);
		err(x, where, "le département %s (%s) n'est pas dans la région %s (%s)",
		    buf_cstr(&of), geo_code(d), geo_name(r), geo_code(r));
		buf_free(&of);
	}
}

static void read_fields(ld *x, const defval *list, def_field **out, size_t *nout, const char *where,
			const char *key);

/* Keys a line's sub-field may not have: a line is checked as a whole, its sub-fields are
 * neither hidden, computed, defaulted nor guarded one by one. */
static const char *const sub_refused[] = {"visible_if", "required_if", "compute",      "default",
					  "private",	"editable_by", "renamed_from", "readonly",
					  "personal",	NULL};

/* A repeat: its sub-fields (plain data types), and how many lines (0..200, max 50 by
 * default). */
static void read_repeat_keys(ld *x, const defval *t, def_field *f, const char *where)
{
	read_fields(x, defval_get(t, "fields"), &f->sub, &f->nsub, where, "fields");
	if (defval_get(t, "fields") && f->nsub == 0)
		err(x, where, "\"fields\" : une ligne a au moins un champ");
	const defval *list = defval_get(t, "fields");
	for (size_t i = 0; i < f->nsub; i++) {
		def_field *s = &f->sub[i];
		const char *sw = wherep(x, where, "fields[%zu] \"%s\"", i + 1, s->name);
		if (!def_type_holds_data(s->type) || s->type == FT_FILE ||
		    s->type == FT_REFERENCE || s->type == FT_REPEAT)
			err(x, sw, "type \"%s\" impossible dans une ligne de \"repeat\"",
			    def_type_name(s->type));
		const defval *st = list && i < list->nitems ? list->items[i] : NULL;
		for (size_t k = 0; st && sub_refused[k]; k++)
			if (defval_get(st, sub_refused[k]))
				err(x, sw, "\"%s\" impossible dans une ligne de \"repeat\"",
				    sub_refused[k]);
	}
	long v;
	f->has_min = true;
	f->min = 0;
	f->has_max = true;
	f->max = 50;
	if (get_int(x, t, "min", where, 0, 200, &v))
		f->min = (double)v;
	if (get_int(x, t, "max", where, 1, 200, &v))
		f->max = (double)v;
	if (f->min > f->max)
		err(x, where, "min (%g) est supérieur à max (%g)", f->min, f->max);
}

/* The keys of the field's own type. */
static void read_type_keys(ld *x, const defval *t, def_field *f, const char *where)
{
	switch (f->type) {
	case FT_TEXT:
	case FT_TEXTAREA:
		read_text_keys(x, t, f, where);
		break;
	case FT_INTEGER:
	case FT_DECIMAL:
	case FT_MONEY:
		read_number_keys(x, t, f, where);
		break;
	case FT_DATE:
	case FT_DATETIME:
		read_date_keys(x, t, f, where);
		break;
	case FT_CHOICE:
	case FT_MULTICHOICE:
		read_choice_keys(x, t, f, where);
		break;
	case FT_FILE:
		read_file_keys(x, t, f, where);
		break;
	case FT_COMMUNE:
	case FT_DEPARTEMENT:
	case FT_REGION:
	case FT_EPCI:
		read_geo_keys(x, t, f, where);
		break;
	case FT_REFERENCE:
		/* resolved by resolve_references, once every form is read */
		f->ref_form_id = get_str(x, t, "form", where, true);
		f->ref_label = get_str(x, t, "label_field", where, true);
		break;
	case FT_REPEAT:
		read_repeat_keys(x, t, f, where);
		break;
	default:
		break;
	}
}

/* The keys every data field may have. */
static void read_common_keys(ld *x, const defval *t, def_field *f, const char *where)
{
	f->placeholder = get_str(x, t, "placeholder", where, false);
	f->required = get_bool(x, t, "required", where, false);
	f->readonly = get_bool(x, t, "readonly", where, false);
	f->personal = get_bool(x, t, "personal", where, false);
	f->has_private = get_strlist(x, t, "private", where, &f->private_roles, false);
	check_roles(x, where, "private", &f->private_roles);
	f->has_editable_by = get_strlist(x, t, "editable_by", where, &f->editable_by, false);
	check_roles(x, where, "editable_by", &f->editable_by);
	f->renamed_from = get_str(x, t, "renamed_from", where, false);
	if (f->renamed_from && !is_id(f->renamed_from, MAX_ID, false))
		err(x, where, "renamed_from : nom de champ invalide \"%s\"", f->renamed_from);
	if (f->renamed_from && strcmp(f->renamed_from, f->name) == 0)
		err(x, where, "renamed_from : \"%s\" est le nom actuel du champ", f->name);
	f->compute = get_func(x, t, "compute", where);
}

static void read_field(ld *x, const defval *t, def_field *f, const char *where)
{
	f->col = -1;
	f->min_length = -1;
	f->max_length = -1;
	f->scale = -1;
	f->max_size = -1;
	if (!t || t->kind != DV_TABLE) {
		err(x, where,
		    "un champ doit être une table { name = ..., type = ..., label = ... }, "
		    "pas %s",
		    type_fr(x, t));
		f->type = FT_TEXT;
		f->name = "?";
		return;
	}
	const char *type = get_str(x, t, "type", where, true);
	/* yes_no: a boolean asked as two radios, which may stay unanswered */
	bool yes_no = type && strcmp(type, "yes_no") == 0;
	int ti = yes_no ? (int)FT_BOOLEAN : type ? def_type_from_name(type) : -1;
	f->yes_no = yes_no;
	if (type && ti < 0)
		err(x, where, "type de champ inconnu \"%s\"%s", type,
		    suggest(x, type, type_names(x), FT__COUNT));
	f->type = ti < 0 ? FT_TEXT : (field_type)ti;

	/* keys allowed for this type (all keys when the type is unknown) */
	const char *allowed[NFIELD_KEYS + 1];
	size_t na = 0;
	for (size_t i = 0; i < NFIELD_KEYS; i++)
		if (ti < 0 || (field_keys[i].types & TM(ti)))
			allowed[na++] = field_keys[i].key;
	allowed[na] = NULL;
	check_map(x, t, where, "un champ", allowed, ti < 0 ? NULL : is_field_key,
		  ti < 0 ? "" : type);

	bool section = f->type == FT_SECTION, info = f->type == FT_INFO;
	f->name = get_str(x, t, "name", where, !section && !info);
	if (f->name && !is_id(f->name, MAX_ID, false)) {
		err(x, where, "nom de champ invalide \"%s\" : attendu [a-z][a-z0-9_]{0,39}",
		    f->name);
	} else if (f->name && def_is_system_name(f->name)) {
		err(x, where,
		    "nom de champ réservé \"%s\" (colonne système : id, state, created_at, "
		    "created_by, updated_at, updated_by, version)",
		    f->name);
	}
	if (!f->name)
		f->name = section || info ? "" : "?";
	f->label = get_str(x, t, "label", where, !info);
	if (!f->label)
		f->label = f->name;
	f->help = get_str(x, t, "help", where, false);
	if (info)
		f->text = get_str(x, t, "text", where, true);
	if (section)
		f->page = get_bool(x, t, "page", where, false);
	if (section || info)
		return;

	read_common_keys(x, t, f, where);
	read_type_keys(x, t, f, where);
	read_default(x, t, f, where);
	read_messages(x, t, f, where);
}

/* visible_if / required_if, once the form's columns are known. */
static void read_conds(ld *x, const defval *t, def_field *f, const def_form *form,
		       const char *where, const char *key, def_condset *out)
{
	const defval *v = defval_get(t, key);
	if (!v)
		return;
	if (v->kind != DV_TABLE || v->nitems || v->nbadkeys) {
		err(x, where, "\"%s\" doit être une table { champ = valeur }, pas %s", key,
		    v->kind == DV_TABLE ? "une liste" : type_fr(x, v));
		return;
	}
	if (v->nfields == 0) {
		err(x, where, "\"%s\" est vide", key);
		return;
	}
	const char **names = arena_alloc(&x->scratch, (form->ncols + 1) * sizeof *names);
	for (size_t i = 0; i < form->ncols; i++)
		names[i] = form->cols[i]->name;
	out->v = arena_alloc(x->A, v->nfields * sizeof *out->v);
	for (size_t i = 0; i < v->nfields; i++) {
		const char *name = v->fields[i].key;
		const defval *want = v->fields[i].val;
		int col = def_find_col(form, name);
		if (col < 0) {
			err(x, where, "%s : champ inconnu \"%s\"%s", key, name,
			    suggest(x, name, names, form->ncols));
			continue;
		}
		if (strcmp(name, f->name) == 0) {
			err(x, where, "%s : un champ ne peut pas dépendre de lui-même", key);
			continue;
		}
		const def_field *ref = form->cols[col];
		const defval *one = want;
		size_t n = 1;
		if (want->kind == DV_TABLE) {
			if (want->nfields || want->nbadkeys || want->nitems == 0) {
				err(x, where, "%s.%s : attendu une valeur ou une liste de valeurs",
				    key, name);
				continue;
			}
			n = want->nitems;
		}
		def_cond *c = &out->v[out->n];
		c->field = ref->name;
		c->col = col;
		c->values.v = arena_alloc(x->A, n * sizeof *c->values.v);
		bool ok = true;
		for (size_t k = 0; k < n && ok; k++) {
			one = want->kind == DV_TABLE ? want->items[k] : want;
			const char *text = NULL;
			switch (ref->type) {
			case FT_BOOLEAN:
				if (one->kind == DV_BOOL)
					text = one->b ? "true" : "false";
				break;
			case FT_INTEGER:
			case FT_REFERENCE:
				if (one->kind == DV_INT)
					text = arena_printf(x->A, "%lld", (long long)one->i);
				break;
			case FT_DECIMAL:
			case FT_MONEY:
				if (one->kind == DV_INT)
					text = arena_printf(x->A, "%lld", (long long)one->i);
				else if (one->kind == DV_NUM)
					text = arena_printf(x->A, "%.17g", one->d);
				break;
			case FT_FILE:
			case FT_REPEAT:
				break;
			default:
				if (one->kind == DV_STR && check_text(x, one, where, key))
					text = arena_strdup(x->A, one->s);
				break;
			}
			if (!text) {
				err(x, where, "%s.%s : %s ne convient pas à un champ \"%s\"%s", key,
				    name, type_fr(x, one), def_type_name(ref->type),
				    ref->type == FT_BOOLEAN ? " (attendu true ou false)" : "");
				ok = false;
			} else if ((ref->type == FT_CHOICE || ref->type == FT_MULTICHOICE) &&
				   !has_option(ref, text)) {
				err(x, where, "%s.%s : \"%s\" n'est pas une option de \"%s\"%s",
				    key, name, text, name, option_suggest(x, ref, text));
				ok = false;
			} else {
				c->values.v[c->values.n++] = text;
			}
		}
		if (ok)
			out->n++;
	}
}

/* ------------------------------------------------------------------ */
/* Workflow                                                            */

static const char *const state_keys[] = {"id",	     "label",	    "final", "editable_by",
					 "due_days", "description", NULL};
static const char *const transition_keys[] = {
    "id",     "label",	 "from",   "to",     "roles",	   "self_approval", "guard",
    "fields", "comment", "action", "notify", "after_days", "approvals",	    NULL};
static const char *const approval_keys[] = {"count", "distinct", NULL};

/* approvals = { count = 2, distinct = true }: the transition happens at the count-th. */
static void read_approvals(ld *x, const defval *s, def_transition *tr, const char *tw)
{
	const defval *a = defval_get(s, "approvals");
	if (!a)
		return;
	const char *aw = wherep(x, tw, "approvals");
	if (!check_map(x, a, aw, "\"approvals\"", approval_keys, NULL, NULL))
		return;
	long n;
	if (!defval_get(a, "count"))
		err(x, aw, "\"count\" est obligatoire (le nombre d'approbations, au moins 2)");
	else if (get_int(x, a, "count", aw, 2, DEF_MAX_APPROVALS, &n))
		tr->approvals = (int)n;
	tr->approvals_distinct = get_bool(x, a, "distinct", aw, true);
	if (tr->after_days >= 0)
		err(x, aw,
		    "une transition automatique (after_days) ne se fait pas par approbations");
}
static const char *const workflow_keys[] = {"initial", "states", "transitions", "state_moves",
					    NULL};
static const char *const notify_keys[] = {"to", "subject", "body", NULL};

static const char **state_names(ld *x, const def_workflow *w)
{
	const char **v = arena_alloc(&x->scratch, (w->nstates + 1) * sizeof *v);
	for (size_t i = 0; i < w->nstates; i++)
		v[i] = w->states[i].id;
	return v;
}

static int state_ref(ld *x, const def_workflow *w, const char *where, const char *key,
		     const char *id)
{
	int i = def_find_state(w, id);
	if (i < 0)
		err(x, where, "%s : état inconnu \"%s\"%s", key, id,
		    suggest(x, id, state_names(x, w), w->nstates));
	return i;
}

/* One state of states[i]; true when it was added to w. */
static bool read_state(ld *x, const defval *s, def_workflow *w, const char *where, size_t i)
{
	def_state *st = &w->states[w->nstates];
	const defval *idv = defval_get(s, "id");
	const char *sw = idv && idv->kind == DV_STR
			     ? wherep(x, where, "states[%zu] \"%s\"", i + 1, idv->s)
			     : wherep(x, where, "states[%zu]", i + 1);
	if (!check_map(x, s, sw, "un état", state_keys, NULL, NULL))
		return false;
	st->id = get_str(x, s, "id", sw, true);
	if (!st->id)
		return false;
	if (!is_id(st->id, MAX_ID, false)) {
		err(x, sw, "identifiant d'état invalide \"%s\" : attendu [a-z][a-z0-9_]{0,39}",
		    st->id);
		return false;
	}
	if (def_find_state(w, st->id) >= 0) {
		err(x, sw, "état \"%s\" déjà défini (states[%d])", st->id,
		    def_find_state(w, st->id) + 1);
		return false;
	}
	st->label = get_str(x, s, "label", sw, false);
	if (!st->label)
		st->label = st->id;
	st->description = get_str(x, s, "description", sw, false);
	st->final = get_bool(x, s, "final", sw, false);
	st->has_editable_by = get_strlist(x, s, "editable_by", sw, &st->editable_by, false);
	check_roles(x, sw, "editable_by", &st->editable_by);
	long v;
	st->due_days = -1;
	if (get_int(x, s, "due_days", sw, 1, MAX_DAYS, &v))
		st->due_days = (int)v;
	w->nstates++;
	return true;
}

static void read_states(ld *x, const defval *t, def_workflow *w, const char *where)
{
	const defval *states = defval_get(t, "states");
	if (!states) {
		err(x, where, "\"states\" est obligatoire");
		return;
	}
	if (!check_list(x, states, where, "states"))
		return;
	if (states->nitems == 0)
		err(x, where, "\"states\" doit contenir au moins un état");
	w->states = arena_alloc(x->A, (states->nitems + 1) * sizeof *w->states);
	for (size_t i = 0; i < states->nitems; i++)
		read_state(x, states->items[i], w, where, i);
}

/* A transition's "comment": "optional" or "required". */
static void read_comment_rule(ld *x, const defval *s, def_transition *tr, const char *tw)
{
	const char *c = get_str(x, s, "comment", tw, false);
	if (!c)
		return;
	if (strcmp(c, "optional") == 0) {
		tr->comment = COMMENT_OPTIONAL;
	} else if (strcmp(c, "required") == 0) {
		tr->comment = COMMENT_REQUIRED;
	} else {
		static const char *const cv[] = {"optional", "required"};
		err(x, tw, "\"comment\" doit valoir \"optional\" ou \"required\", pas \"%s\"%s", c,
		    suggest(x, c, cv, 2));
	}
}

/* The keys of a transition whose id is sound. */
static void read_transition_keys(ld *x, const defval *s, def_workflow *w, def_transition *tr,
				 const char *tw)
{
	tr->label = get_str(x, s, "label", tw, false);
	if (!tr->label)
		tr->label = tr->id;
	if (!defval_get(s, "from"))
		err(x, tw, "\"from\" est obligatoire");
	get_strlist(x, s, "from", tw, &tr->from, true);
	tr->from_index = arena_alloc(x->A, (tr->from.n + 1) * sizeof *tr->from_index);
	for (size_t k = 0; k < tr->from.n; k++)
		tr->from_index[k] = state_ref(x, w, tw, "from", tr->from.v[k]);
	tr->to = get_str(x, s, "to", tw, true);
	if (tr->to)
		tr->to_index = state_ref(x, w, tw, "to", tr->to);
	get_strlist(x, s, "roles", tw, &tr->roles, false);
	check_roles(x, tw, "roles", &tr->roles);
	tr->self_approval = get_bool(x, s, "self_approval", tw, true);
	tr->guard = get_func(x, s, "guard", tw);
	tr->action = get_func(x, s, "action", tw);
	read_comment_rule(x, s, tr, tw);
	long v;
	if (get_int(x, s, "after_days", tw, 1, MAX_DAYS, &v))
		tr->after_days = (int)v;
	else if (defval_get(s, "after_days"))
		tr->after_days = 1; /* diagnosed: do not also call it untriggerable */
	const defval *tf = defval_get(s, "fields");
	if (tf)
		read_fields(x, tf, &tr->fields, &tr->nfields, tw, "fields");
	for (size_t i = 0; i < tr->nfields; i++) {
		if (tr->fields[i].page)
			err(x, tw,
			    "fields[%zu] : \"page\" ne s'emploie que dans les champs d'un "
			    "formulaire (les étapes d'un dépôt)",
			    i + 1);
		if (tr->fields[i].type == FT_REPEAT)
			err(x, tw,
			    "fields[%zu] : un groupe de lignes (repeat) se remplit dans le "
			    "formulaire, pas dans une transition",
			    i + 1);
	}
	read_approvals(x, s, tr, tw);
}

/* One transition of transitions[i]; true when it was added to w. */
static bool read_transition(ld *x, const defval *s, def_workflow *w, const char *where, size_t i)
{
	def_transition *tr = &w->transitions[w->ntransitions];
	const defval *idv = defval_get(s, "id");
	const char *tw = idv && idv->kind == DV_STR
			     ? wherep(x, where, "transitions[%zu] \"%s\"", i + 1, idv->s)
			     : wherep(x, where, "transitions[%zu]", i + 1);
	tr->to_index = -1;
	tr->after_days = -1;
	tr->self_approval = true;
	if (!check_map(x, s, tw, "une transition", transition_keys, NULL, NULL))
		return false;
	tr->id = get_str(x, s, "id", tw, true);
	if (!tr->id)
		return false;
	if (!is_id(tr->id, MAX_ID, false)) {
		err(x, tw,
		    "identifiant de transition invalide \"%s\" : attendu [a-z][a-z0-9_]{0,39}",
		    tr->id);
		return false;
	}
	for (size_t k = 0; k < w->ntransitions; k++)
		if (strcmp(w->transitions[k].id, tr->id) == 0) {
			err(x, tw, "transition \"%s\" déjà définie (transitions[%zu])", tr->id,
			    k + 1);
			return false;
		}
	read_transition_keys(x, s, w, tr, tw);
	w->ntransitions++;
	return true;
}

static void read_transitions(ld *x, const defval *t, def_workflow *w, const char *where,
			     const defval ***tnodes)
{
	const defval *trs = defval_get(t, "transitions");
	if (!trs || !check_list(x, trs, where, "transitions"))
		return;
	w->transitions = arena_alloc(x->A, (trs->nitems + 1) * sizeof *w->transitions);
	*tnodes = arena_alloc(&x->scratch, (trs->nitems + 1) * sizeof **tnodes);
	for (size_t i = 0; i < trs->nitems; i++) {
		size_t slot = w->ntransitions;
		if (read_transition(x, trs->items[i], w, where, i))
			(*tnodes)[slot] = trs->items[i];
	}
}

/* state_moves = { old = "new" }: where the records of removed states go. */
static void read_moves(ld *x, const defval *t, def_workflow *w, const char *where)
{
	const defval *moves = defval_get(t, "state_moves");
	if (!moves)
		return;
	const char *mw = wherep(x, where, "state_moves");
	if (moves->kind != DV_TABLE || moves->nitems || moves->nbadkeys) {
		err(x, mw, "\"state_moves\" doit être une table { ancien_etat = \"nouvel_etat\" }");
		return;
	}
	w->moves = arena_alloc(x->A, (moves->nfields + 1) * sizeof *w->moves);
	for (size_t i = 0; i < moves->nfields; i++) {
		const char *from = moves->fields[i].key;
		const defval *to = moves->fields[i].val;
		if (!is_id(from, MAX_ID, false)) {
			err(x, mw, "état invalide \"%s\"", from);
		} else if (def_find_state(w, from) >= 0) {
			err(x, mw,
			    "\"%s\" est encore un état du workflow : seul un état retiré peut "
			    "être déplacé",
			    from);
		} else if (to->kind != DV_STR) {
			err(x, mw, "%s : le nouvel état doit être une chaîne, pas %s", from,
			    type_fr(x, to));
		} else if (state_ref(x, w, mw, from, to->s) >= 0) {
			w->moves[w->nmoves].from = arena_strdup(x->A, from);
			w->moves[w->nmoves].to = arena_strdup(x->A, to->s);
			w->nmoves++;
		}
	}
}

static void read_workflow(ld *x, const defval *t, def_form *form, const char *fwhere,
			  const defval ***tnodes)
{
	const char *where = wherep(x, fwhere, "workflow");
	def_workflow *w = arena_alloc(x->A, sizeof *w);
	form->workflow = w;
	w->initial_index = -1;
	if (!check_map(x, t, where, "\"workflow\"", workflow_keys, NULL, NULL))
		return;
	read_states(x, t, w, where);
	w->initial = get_str(x, t, "initial", where, true);
	if (w->initial && w->nstates)
		w->initial_index = state_ref(x, w, where, "initial", w->initial);
	read_transitions(x, t, w, where, tnodes);
	read_moves(x, t, w, where);
}

static void read_notify_one(ld *x, const defval *n, def_notify *out, const def_form *form,
			    const char *where)
{
	if (!check_map(x, n, where, "\"notify\"", notify_keys, NULL, NULL))
		return;
	out->to = get_str(x, n, "to", where, true);
	out->subject = get_str(x, n, "subject", where, true);
	out->body = get_str(x, n, "body", where, false);
	const char **names = arena_alloc(&x->scratch, (form->ncols + 1) * sizeof *names);
	for (size_t i = 0; i < form->ncols; i++)
		names[i] = form->cols[i]->name;
	if (out->to) {
		if (strncmp(out->to, "field:", 6) == 0) {
			const char *name = out->to + 6;
			int col = def_find_col(form, name);
			if (col < 0)
				err(x, where, "notify.to : champ inconnu \"%s\"%s", name,
				    suggest(x, name, names, form->ncols));
			else if (form->cols[col]->type != FT_EMAIL)
				err(x, where,
				    "notify.to : le champ \"%s\" n'est pas de type \"email\"",
				    name);
		} else if (strncmp(out->to, "role:", 5) == 0) {
			check_role(x, where, "notify.to", out->to + 5);
		} else if (!strchr(out->to, '@') || strchr(out->to, ' ')) {
			err(x, where,
			    "notify.to invalide \"%s\" : attendu \"field:<champ>\", "
			    "\"role:<rôle>\" ou une adresse",
			    out->to);
		}
	}
	/* {{name}} placeholders must name fields (or system fields). */
	const char *texts[2] = {out->subject, out->body};
	for (int k = 0; k < 2; k++) {
		for (const char *p = texts[k]; p && (p = strstr(p, "{{"));) {
			const char *e = strstr(p + 2, "}}");
			if (!e)
				break;
			char name[64];
			size_t len = (size_t)(e - p - 2);
			snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p + 2);
			util_trim(name);
			if (def_find_col(form, name) < 0 && !def_is_system_name(name))
				err(x, where, "notify.%s : {{%s}} ne désigne aucun champ%s",
				    k ? "body" : "subject", name,
				    suggest(x, name, names, form->ncols));
			p = e + 2;
		}
	}
}

static void read_notify(ld *x, const defval *s, def_transition *tr, const def_form *form,
			const char *tw)
{
	const defval *n = defval_get(s, "notify");
	if (!n)
		return;
	if (n->kind == DV_TABLE && n->nitems && !n->nfields) {
		tr->notify = arena_alloc(x->A, n->nitems * sizeof *tr->notify);
		for (size_t i = 0; i < n->nitems; i++)
			read_notify_one(x, n->items[i], &tr->notify[tr->nnotify++], form,
					wherep(x, tw, "notify[%zu]", i + 1));
	} else {
		tr->notify = arena_alloc(x->A, sizeof *tr->notify);
		tr->nnotify = 1;
		read_notify_one(x, n, tr->notify, form, wherep(x, tw, "notify"));
	}
}

/* Automatic transitions: a loop would move records forever. */
static void check_auto_loops(ld *x, const def_workflow *w, const char *where)
{
	size_t ns = w->nstates;
	int *color = arena_alloc(&x->scratch, ns * sizeof *color);
	int *path = arena_alloc(&x->scratch, (ns + 1) * sizeof *path);
	for (size_t start = 0; start < ns; start++) {
		if (color[start])
			continue;
		/* iterative DFS over automatic edges, following one path at a time */
		size_t *next = arena_alloc(&x->scratch, ns * sizeof *next);
		size_t depth = 0;
		path[0] = (int)start;
		color[start] = 1;
		while (true) {
			int s = path[depth];
			bool pushed = false;
			while (next[s] < w->ntransitions) {
				const def_transition *t = &w->transitions[next[s]++];
				if (t->after_days < 0 || t->to_index < 0)
					continue;
				bool from_s = false;
				for (size_t k = 0; k < t->from.n; k++)
					from_s = from_s || t->from_index[k] == s;
				if (!from_s)
					continue;
				int to = t->to_index;
				if (color[to] == 1) {
					buf b = BUF_INIT;
					size_t k = 0;
					while (path[k] != to)
						k++;
					for (; k <= depth; k++)
						buf_printf(&b, "%s → ", w->states[path[k]].id);
					buf_puts(&b, w->states[to].id);
					err(x, where,
					    "les transitions automatiques (after_days) forment une "
					    "boucle : "
					    "%s",
					    buf_cstr(&b));
					buf_free(&b);
					return;
				}
				if (color[to] == 0) {
					color[to] = 1;
					path[++depth] = to;
					pushed = true;
					break;
				}
			}
			if (pushed)
				continue;
			color[s] = 2;
			if (depth == 0)
				break;
			depth--;
		}
	}
}

/* SPEC 4.5: reachability, ways out, finals, triggers, no automatic loops. */
static void check_graph(ld *x, const def_workflow *w, const char *fwhere)
{
	const char *where = wherep(x, fwhere, "workflow");
	size_t ns = w->nstates;
	if (ns == 0 || w->initial_index < 0)
		return;
	bool *seen = arena_alloc(&x->scratch, ns * sizeof *seen);
	int *queue = arena_alloc(&x->scratch, ns * sizeof *queue);
	size_t qh = 0, qt = 0;
	seen[w->initial_index] = true;
	queue[qt++] = w->initial_index;
	while (qh < qt) {
		int s = queue[qh++];
		for (size_t i = 0; i < w->ntransitions; i++) {
			const def_transition *t = &w->transitions[i];
			if (t->to_index < 0 || seen[t->to_index])
				continue;
			for (size_t k = 0; k < t->from.n; k++)
				if (t->from_index[k] == s) {
					seen[t->to_index] = true;
					queue[qt++] = t->to_index;
					break;
				}
		}
	}
	for (size_t s = 0; s < ns; s++) {
		const def_state *st = &w->states[s];
		if (!seen[s])
			err(x, where, "état \"%s\" inatteignable depuis l'état initial \"%s\"",
			    st->id, w->initial);
		const char *out = NULL;
		for (size_t i = 0; i < w->ntransitions && !out; i++)
			for (size_t k = 0; k < w->transitions[i].from.n; k++)
				if (w->transitions[i].from_index[k] == (int)s)
					out = w->transitions[i].id;
		if (st->final && out)
			err(x, where, "l'état final \"%s\" a une transition sortante \"%s\"",
			    st->id, out);
		if (!st->final && !out)
			err(x, where,
			    "état \"%s\" sans issue : il n'est pas final et aucune transition "
			    "n'en part (ajoutez final = true ou une transition)",
			    st->id);
	}
	for (size_t i = 0; i < w->ntransitions; i++) {
		const def_transition *t = &w->transitions[i];
		if (t->roles.n == 0 && t->after_days < 0)
			err(x, where,
			    "transition \"%s\" : personne ne peut la déclencher (ajoutez roles "
			    "ou after_days)",
			    t->id);
	}
	check_auto_loops(x, w, where);
}

/* ------------------------------------------------------------------ */
/* Forms                                                               */

static const char *const form_keys[] = {"id",	    "title",	"description", "fields",
					"validate", "warn",	"on_create",   "access",
					"list",	    "workflow", "drafts",      NULL};
static const char *const access_keys[] = {"create", "read", "update", "delete", NULL};
static const char *const list_keys[] = {"columns", "filters", "search", "sort", "page_size", NULL};

/* Sections with page = true start the steps of a multi-step form; what comes before the
 * first one is step 0 with it. The number of steps, or 0 for a form on one page. */
static int number_steps(def_field *v, size_t n)
{
	int step = 0, pages = 0;
	bool any = false; /* the current step has items */
	for (size_t i = 0; i < n; i++) {
		if (v[i].type == FT_SECTION && v[i].page) {
			pages++;
			if (any)
				step++;
		}
		v[i].step = step;
		any = true;
	}
	return pages ? step + 1 : 0;
}

static void read_fields(ld *x, const defval *list, def_field **out, size_t *nout, const char *where,
			const char *key)
{
	*out = NULL;
	*nout = 0;
	if (!check_list(x, list, where, key))
		return;
	def_field *v = arena_alloc(x->A, (list->nitems + 1) * sizeof *v);
	const char *section = NULL;
	const def_field *section_of = NULL;
	for (size_t i = 0; i < list->nitems; i++) {
		const defval *ft = list->items[i];
		const defval *nv = defval_get(ft, "name");
		const char *fw = nv && nv->kind == DV_STR
				     ? wherep(x, where, "%s[%zu] \"%s\"", key, i + 1, nv->s)
				     : wherep(x, where, "%s[%zu]", key, i + 1);
		def_field *f = &v[*nout];
		read_field(x, ft, f, fw);
		if (f->type == FT_SECTION) {
			section = f->label;
			section_of = f;
		} else if (f->type == FT_INFO) {
			f->section = section;
			f->section_of = section_of;
		} else {
			f->section = section;
			f->section_of = section_of;
			for (size_t k = 0; k < *nout; k++)
				if (f->name[0] && strcmp(v[k].name, f->name) == 0 &&
				    strcmp(f->name, "?") != 0) {
					err(x, fw, "champ \"%s\" déjà défini (%s[%zu])", f->name,
					    key, k + 1);
					break;
				}
		}
		(*nout)++;
	}
	*out = v;
}

/* A field name as used by list settings: a column, or a system name when allowed. */
static bool list_name(ld *x, const def_form *form, const char *where, const char *key,
		      const char *name, bool system_ok, const char **names)
{
	if (def_find_col(form, name) >= 0)
		return true;
	if (system_ok && def_is_system_name(name) && strcmp(name, "fields") != 0)
		return true;
	err(x, where, "%s : champ inconnu \"%s\"%s", key, name,
	    suggest(x, name, names, form->ncols));
	return false;
}

/* Lines are neither a filter nor an order: refuses a repeat named by key. */
static bool not_lines(ld *x, const def_form *form, const char *where, const char *key,
		      const char *name)
{
	int col = def_find_col(form, name);
	if (col < 0 || form->cols[col]->type != FT_REPEAT)
		return true;
	err(x, where, "%s : \"%s\" est un groupe de lignes (repeat)", key, name);
	return false;
}

static void read_list(ld *x, const defval *t, def_form *form, const char *fwhere)
{
	def_list *l = &form->list;
	const char *where = wherep(x, fwhere, "list");
	const char **names = arena_alloc(&x->scratch, (form->ncols + 1) * sizeof *names);
	for (size_t i = 0; i < form->ncols; i++)
		names[i] = form->cols[i]->name;
	l->sort = "-created_at";
	l->page_size = 25;
	bool has_columns = false, has_search = false;
	if (t && check_map(x, t, where, "\"list\"", list_keys, NULL, NULL)) {
		has_columns = get_strlist(x, t, "columns", where, &l->columns, false);
		for (size_t i = 0; i < l->columns.n; i++)
			list_name(x, form, where, "list.columns", l->columns.v[i], true, names);
		get_strlist(x, t, "filters", where, &l->filters, false);
		for (size_t i = 0; i < l->filters.n; i++)
			if (list_name(x, form, where, "list.filters", l->filters.v[i], true, names))
				not_lines(x, form, where, "list.filters", l->filters.v[i]);
		has_search = get_strlist(x, t, "search", where, &l->search, false);
		for (size_t i = 0; i < l->search.n; i++) {
			int col = def_find_col(form, l->search.v[i]);
			if (!list_name(x, form, where, "list.search", l->search.v[i], false, names))
				continue;
			if (!is_texty(form->cols[col]->type))
				err(x, where,
				    "list.search : le champ \"%s\" (%s) n'est pas un texte",
				    l->search.v[i], def_type_name(form->cols[col]->type));
		}
		const char *sort = get_str(x, t, "sort", where, false);
		if (sort) {
			const char *name = sort[0] == '-' || sort[0] == '+' ? sort + 1 : sort;
			if (list_name(x, form, where, "list.sort", name, true, names) &&
			    not_lines(x, form, where, "list.sort", name))
				l->sort = sort;
		}
		long v;
		if (get_int(x, t, "page_size", where, 1, MAX_PAGE_SIZE, &v))
			l->page_size = (int)v;
	}
	if (!has_columns) {
		l->columns.v = arena_alloc(x->A, 4 * sizeof *l->columns.v);
		for (size_t i = 0; i < form->nfields && l->columns.n < 4; i++)
			if (def_type_holds_data(form->fields[i].type))
				l->columns.v[l->columns.n++] = form->fields[i].name;
	}
	if (!has_search) {
		l->search.v = arena_alloc(x->A, (form->nfields + 1) * sizeof *l->search.v);
		for (size_t i = 0; i < form->nfields; i++) {
			field_type ty = form->fields[i].type;
			if (ty == FT_TEXT || ty == FT_TEXTAREA || ty == FT_EMAIL)
				l->search.v[l->search.n++] = form->fields[i].name;
		}
	}
}

/* drafts = true, or drafts = { days = N }: incomplete forms kept N days (default 30). */
static void read_drafts(ld *x, const defval *t, def_form *form, const char *fwhere)
{
	static const char *const keys[] = {"days", NULL};
	if (!t)
		return;
	if (t->kind == DV_BOOL) {
		form->drafts_days = t->b ? DEF_DRAFTS_DAYS : 0;
		return;
	}
	const char *where = wherep(x, fwhere, "drafts");
	if (t->kind != DV_TABLE) {
		err(x, fwhere, "\"drafts\" doit être true, false ou { days = N }, pas %s",
		    type_fr(x, t));
		return;
	}
	if (!check_map(x, t, where, "\"drafts\"", keys, NULL, NULL))
		return;
	long v = DEF_DRAFTS_DAYS;
	if (defval_get(t, "days") && !get_int(x, t, "days", where, 1, DEF_DRAFTS_MAX_DAYS, &v))
		return;
	form->drafts_days = (int)v;
}

static void read_access(ld *x, const defval *t, def_form *form, const char *fwhere)
{
	def_access *a = &form->access;
	if (!t)
		return;
	const char *where = wherep(x, fwhere, "access");
	if (!check_map(x, t, where, "\"access\"", access_keys, NULL, NULL))
		return;
	get_strlist(x, t, "create", where, &a->create, false);
	check_roles(x, where, "access.create", &a->create);
	a->has_update = get_strlist(x, t, "update", where, &a->update, false);
	check_roles(x, where, "access.update", &a->update);
	if (a->has_update && form->workflow)
		err(x, where,
		    "access.update est sans effet avec un workflow : utilisez editable_by "
		    "dans les états");
	a->has_delete = get_strlist(x, t, "delete", where, &a->del, false);
	check_roles(x, where, "access.delete", &a->del);
	const defval *r = defval_get(t, "read");
	if (!r)
		return;
	if (r->kind != DV_TABLE || r->nitems || r->nbadkeys) {
		err(x, where,
		    "access.read doit être une table { role = \"all\" ou \"own\" }, pas %s",
		    r->kind == DV_TABLE ? "une liste" : type_fr(x, r));
		return;
	}
	a->read = arena_alloc(x->A, (r->nfields + 1) * sizeof *a->read);
	for (size_t i = 0; i < r->nfields; i++) {
		const char *role = r->fields[i].key;
		const defval *v = r->fields[i].val;
		check_role(x, where, "access.read", role);
		if (v->kind != DV_STR || (strcmp(v->s, "all") != 0 && strcmp(v->s, "own") != 0)) {
			err(x, where, "access.read.%s doit valoir \"all\" ou \"own\", pas %s", role,
			    type_fr(x, v));
			continue;
		}
		a->read[a->nread].role = arena_strdup(x->A, role);
		a->read[a->nread].all = strcmp(v->s, "all") == 0;
		a->nread++;
	}
}

/* Columns: form data fields in order, then transition fields (one per distinct name). */
static void assign_cols(ld *x, def_form *form, const char *fwhere)
{
	size_t max = form->nfields;
	def_workflow *w = form->workflow;
	for (size_t i = 0; w && i < w->ntransitions; i++)
		max += w->transitions[i].nfields;
	form->cols = arena_alloc(x->A, (max + 1) * sizeof *form->cols);
	for (size_t i = 0; i < form->nfields; i++) {
		def_field *f = &form->fields[i];
		if (!def_type_holds_data(f->type) || !f->name[0] || strcmp(f->name, "?") == 0)
			continue;
		int have = def_find_col(form, f->name);
		if (have >= 0) {
			f->col = have; /* duplicate, already diagnosed */
			continue;
		}
		f->col = (int)form->ncols;
		form->cols[form->ncols++] = f;
	}
	for (size_t t = 0; w && t < w->ntransitions; t++) {
		def_transition *tr = &w->transitions[t];
		for (size_t i = 0; i < tr->nfields; i++) {
			def_field *f = &tr->fields[i];
			if (!def_type_holds_data(f->type) || !f->name[0] ||
			    strcmp(f->name, "?") == 0)
				continue;
			int have = def_find_col(form, f->name);
			if (have >= 0) {
				const def_field *o = form->cols[have];
				if (o->type != f->type)
					err(x,
					    wherep(
						x, fwhere,
						"workflow > transitions[%zu] \"%s\" > fields[%zu] "
						"\"%s\"",
						t + 1, tr->id, i + 1, f->name),
					    "le champ \"%s\" existe déjà avec le type \"%s\" (ici "
					    "\"%s\") : un nom, "
					    "un type",
					    f->name, def_type_name(o->type),
					    def_type_name(f->type));
				f->col = have;
				continue;
			}
			f->col = (int)form->ncols;
			form->cols[form->ncols++] = f;
		}
	}
}

static void read_form(ld *x, const defval *t, def_form *form, size_t index)
{
	const defval *idv = defval_get(t, "id");
	const char *where = idv && idv->kind == DV_STR
				? wherep(x, "", "forms[%zu] \"%s\"", index + 1, idv->s)
				: wherep(x, "", "forms[%zu]", index + 1);
	if (!check_map(x, t, where, "un formulaire", form_keys, NULL, NULL)) {
		form->id = "?";
		form->title = "?";
		return;
	}
	form->id = get_str(x, t, "id", where, true);
	if (form->id && !is_id(form->id, MAX_ID, false))
		err(x, where,
		    "identifiant de formulaire invalide \"%s\" : attendu [a-z][a-z0-9_]{0,39}",
		    form->id);
	if (!form->id)
		form->id = "?";
	form->title = get_str(x, t, "title", where, true);
	if (!form->title)
		form->title = form->id;
	form->description = get_str(x, t, "description", where, false);

	const defval *fields = defval_get(t, "fields");
	if (!fields)
		err(x, where, "\"fields\" est obligatoire");
	else
		read_fields(x, fields, &form->fields, &form->nfields, where, "fields");
	form->nsteps = number_steps(form->fields, form->nfields);
	size_t ndata = 0;
	for (size_t i = 0; i < form->nfields; i++)
		ndata += def_type_holds_data(form->fields[i].type);
	if (fields && ndata == 0)
		err(x, where, "\"fields\" doit contenir au moins un champ de données");

	const defval **tnodes = NULL;
	const defval *wf = defval_get(t, "workflow");
	size_t before = x->d->n;
	if (wf)
		read_workflow(x, wf, form, where, &tnodes);
	bool workflow_ok = x->d->n == before;

	assign_cols(x, form, where);

	/* Conditions and notifications need every column. */
	for (size_t i = 0; fields && fields->kind == DV_TABLE && i < form->nfields; i++) {
		def_field *f = &form->fields[i];
		if (f->type == FT_SECTION && i < fields->nitems) /* a whole group hides */
			read_conds(x, fields->items[i], f, form,
				   wherep(x, where, "fields[%zu] (section)", i + 1), "visible_if",
				   &f->visible_if);
		if (!def_type_holds_data(f->type) || i >= fields->nitems)
			continue;
		const char *fw = wherep(x, where, "fields[%zu] \"%s\"", i + 1, f->name);
		read_conds(x, fields->items[i], f, form, fw, "visible_if", &f->visible_if);
		read_conds(x, fields->items[i], f, form, fw, "required_if", &f->required_if);
	}
	def_workflow *w = form->workflow;
	for (size_t t2 = 0; w && tnodes && t2 < w->ntransitions; t2++) {
		def_transition *tr = &w->transitions[t2];
		const char *tw =
		    wherep(x, where, "workflow > transitions[%zu] \"%s\"", t2 + 1, tr->id);
		const defval *tf = defval_get(tnodes[t2], "fields");
		for (size_t i = 0; tf && i < tr->nfields && i < tf->nitems; i++) {
			def_field *f = &tr->fields[i];
			const char *fw = wherep(x, tw, "fields[%zu] \"%s\"", i + 1, f->name);
			read_conds(x, tf->items[i], f, form, fw, "visible_if", &f->visible_if);
			read_conds(x, tf->items[i], f, form, fw, "required_if", &f->required_if);
		}
		read_notify(x, tnodes[t2], tr, form, tw);
	}

	form->validate = get_func(x, t, "validate", where);
	form->warn = get_func(x, t, "warn", where);
	form->on_create = get_func(x, t, "on_create", where);
	read_access(x, defval_get(t, "access"), form, where);
	read_list(x, defval_get(t, "list"), form, where);
	read_drafts(x, defval_get(t, "drafts"), form, where);
	/* The graph is only judged once its states and transitions are sound. */
	if (w && workflow_ok)
		check_graph(x, w, where);
}

/* ------------------------------------------------------------------ */
/* App                                                                 */

static const char *const app_keys[] = {"title", "description", "owner", "version",
				       "roles", "privacy",     "forms", NULL};
static const char *const privacy_keys[] = {"purpose", "legal_basis", "retention_days",
					   "contact", "recipients",  NULL};

static void read_roles(ld *x, const defval *t)
{
	def_app *app = x->app;
	static const char *const reserved[] = {"public", "user", "owner", "admin"};
	size_t n = t && t->kind == DV_TABLE ? t->nfields : 0;
	app->roles = arena_alloc(x->A, (n + 1) * sizeof *app->roles);
	x->roles = arena_alloc(&x->scratch, (n + 5) * sizeof *x->roles);
	for (size_t i = 0; i < 4; i++)
		x->roles[x->nroles++] = reserved[i];
	if (!t)
		return;
	if (t->kind != DV_TABLE || t->nitems || t->nbadkeys) {
		err(x, "roles", "\"roles\" doit être une table { role = \"Libellé\" }, pas %s",
		    t->kind == DV_TABLE ? "une liste" : type_fr(x, t));
		return;
	}
	for (size_t i = 0; i < t->nfields; i++) {
		const char *id = t->fields[i].key;
		const defval *label = t->fields[i].val;
		if (!is_id(id, 0, false)) {
			err(x, "roles",
			    "identifiant de rôle invalide \"%s\" : attendu [a-z][a-z0-9_]*", id);
			continue;
		}
		if (def_is_reserved_role(id)) {
			err(x, "roles",
			    "rôle réservé \"%s\" : il existe toujours, ne le déclarez pas", id);
			continue;
		}
		if (label->kind != DV_STR || label->len == 0) {
			err(x, "roles",
			    "le libellé du rôle \"%s\" doit être une chaîne non vide, pas %s", id,
			    type_fr(x, label));
			continue;
		}
		if (!check_text(x, label, "roles", id))
			continue;
		app->roles[app->nroles].id = arena_strdup(x->A, id);
		app->roles[app->nroles].label = arena_strdup(x->A, label->s);
		x->roles[x->nroles++] = app->roles[app->nroles].id;
		app->nroles++;
	}
}

static void read_privacy(ld *x, const defval *t)
{
	def_privacy *p = &x->app->privacy;
	p->retention_days = -1;
	if (!t || !check_map(x, t, "privacy", "\"privacy\"", privacy_keys, NULL, NULL))
		return;
	p->purpose = get_str(x, t, "purpose", "privacy", false);
	p->legal_basis = get_str(x, t, "legal_basis", "privacy", false);
	p->contact = get_str(x, t, "contact", "privacy", false);
	long v;
	if (get_int(x, t, "retention_days", "privacy", 1, MAX_DAYS * 3, &v))
		p->retention_days = (int)v;
	get_strlist(x, t, "recipients", "privacy", &p->recipients, false);
}

/* A reference's target: a form of the app (itself included: "doublon de"), and a
 * text-like field of it that names its records. */
static void resolve_reference(ld *x, def_field *f, const char *where)
{
	const def_app *app = x->app;
	if (!f->ref_form_id || !f->ref_label)
		return; /* already said: required */
	const def_form *t = def_find_form(app, f->ref_form_id);
	if (!t) {
		const char **ids = arena_alloc(&x->scratch, (app->nforms + 1) * sizeof *ids);
		for (size_t i = 0; i < app->nforms; i++)
			ids[i] = app->forms[i].id;
		err(x, where, "form : formulaire inconnu \"%s\"%s", f->ref_form_id,
		    suggest(x, f->ref_form_id, ids, app->nforms));
		return;
	}
	int col = def_find_col(t, f->ref_label);
	if (col < 0) {
		const char **names = arena_alloc(&x->scratch, (t->ncols + 1) * sizeof *names);
		for (size_t i = 0; i < t->ncols; i++)
			names[i] = t->cols[i]->name;
		err(x, where, "label_field : le formulaire \"%s\" n'a pas de champ \"%s\"%s", t->id,
		    f->ref_label, suggest(x, f->ref_label, names, t->ncols));
		return;
	}
	const def_field *lf = t->cols[col];
	if (!is_texty(lf->type)) {
		err(x, where,
		    "label_field : le champ \"%s\" du formulaire \"%s\" (%s) n'est pas un texte "
		    "qui nomme ses enregistrements",
		    lf->name, t->id, def_type_name(lf->type));
		return;
	}
	f->ref_form = t;
	f->ref_label_field = lf;
}

/* Every reference field of every form, forms and transitions alike. */
static void resolve_references(ld *x)
{
	def_app *app = x->app;
	for (size_t i = 0; i < app->nforms; i++) {
		def_form *form = &app->forms[i];
		const char *fw = wherep(x, "", "forms[%zu] \"%s\"", i + 1, form->id);
		for (size_t k = 0; k < form->nfields; k++)
			if (form->fields[k].type == FT_REFERENCE)
				resolve_reference(x, &form->fields[k],
						  wherep(x, fw, "fields[%zu] \"%s\"", k + 1,
							 form->fields[k].name));
		def_workflow *w = form->workflow;
		for (size_t t = 0; w && t < w->ntransitions; t++) {
			def_transition *tr = &w->transitions[t];
			const char *tw =
			    wherep(x, fw, "workflow > transitions[%zu] \"%s\"", t + 1, tr->id);
			for (size_t k = 0; k < tr->nfields; k++)
				if (tr->fields[k].type == FT_REFERENCE)
					resolve_reference(x, &tr->fields[k],
							  wherep(x, tw, "fields[%zu] \"%s\"", k + 1,
								 tr->fields[k].name));
		}
	}
}

static void read_app(ld *x, const defval *root)
{
	def_app *app = x->app;
	if (!check_map(x, root, "", "app.lua : la table renvoyée", app_keys, NULL, NULL))
		return;
	app->title = get_str(x, root, "title", "", true);
	app->description = get_str(x, root, "description", "", false);
	app->owner = get_str(x, root, "owner", "", false);
	app->version = get_str(x, root, "version", "", false);
	read_roles(x, defval_get(root, "roles"));
	read_privacy(x, defval_get(root, "privacy"));
	const defval *forms = defval_get(root, "forms");
	if (!forms) {
		err(x, "", "\"forms\" est obligatoire");
		return;
	}
	if (!check_list(x, forms, "", "forms"))
		return;
	if (forms->nitems == 0) {
		err(x, "", "\"forms\" doit contenir au moins un formulaire");
		return;
	}
	app->forms = arena_alloc(x->A, forms->nitems * sizeof *app->forms);
	app->nforms = forms->nitems;
	for (size_t i = 0; i < forms->nitems; i++) {
		read_form(x, forms->items[i], &app->forms[i], i);
		for (size_t k = 0; k < i; k++)
			if (strcmp(app->forms[k].id, app->forms[i].id) == 0 &&
			    strcmp(app->forms[i].id, "?") != 0) {
				err(x, wherep(x, "", "forms[%zu] \"%s\"", i + 1, app->forms[i].id),
				    "formulaire \"%s\" déjà défini (forms[%zu])", app->forms[i].id,
				    k + 1);
				break;
			}
	}
	resolve_references(x);
}

/* "file:line: message" from the sandbox into a diagnostic. */
static void add_lua_error(diags *d, const char *file, const char *e)
{
	for (const char *p = strchr(e, ':'); p; p = strchr(p + 1, ':')) {
		if (!isdigit((unsigned char)p[1]))
			continue;
		const char *q = p + 1;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q != ':')
			continue;
		char src[1024];
		snprintf(src, sizeof src, "%.*s", (int)(p - e), e);
		/* short_src may be cut at the front: "...ps/x/app.lua" */
		size_t fl = strlen(file), sl = strlen(src);
		if (strncmp(src, "...", 3) == 0 && sl - 3 <= fl &&
		    strcmp(file + fl - (sl - 3), src + 3) == 0)
			snprintf(src, sizeof src, "%s", file);
		const char *msg = q + 1;
		while (*msg == ' ')
			msg++;
		diags_add(d, src, (int)strtol(p + 1, NULL, 10), "", "%s", msg);
		return;
	}
	size_t fl = strlen(file);
	if (strncmp(e, file, fl) == 0 && e[fl] == ':') {
		e += fl + 1;
		while (*e == ' ')
			e++;
	}
	diags_add(d, file, 0, "", "%s", e);
}

/* "form.field, ..." of the personal fields (the first few), into out. */
static void personal_names(const def_app *app, buf *out)
{
	size_t n = 0;
	for (size_t i = 0; i < app->nforms; i++)
		for (size_t c = 0; c < app->forms[i].ncols; c++) {
			if (!app->forms[i].cols[c]->personal)
				continue;
			if (n++ == 5) {
				buf_puts(out, ", ...");
				return;
			}
			buf_printf(out, "%s%s.%s", n > 1 ? ", " : "", app->forms[i].id,
				   app->forms[i].cols[c]->name);
		}
}

/* One control a person meets in a form: its accessible name, and the group (a field
 * of radios or boxes) it is an option of, or NULL for a control of its own. */
typedef struct control_name {
	const char *name;
	const def_field *group;
	const def_field *field;
} control_name;

static size_t form_controls(const def_form *f, control_name *out)
{
	size_t n = 0;
	for (size_t i = 0; i < f->ncols; i++) {
		const def_field *fd = f->cols[i];
		bool is_group =
		    fd->type == FT_MULTICHOICE || (fd->type == FT_CHOICE && fd->widget_radio);
		if (fd->compute || fd->readonly || (size_t)fd->col != i || fd->type == FT_BOOLEAN ||
		    fd->type == FT_REPEAT)
			continue; /* (a checkbox or yes_no: its own label and its group's legend;
				     a line's controls: the line's legend) */
		if (!is_group)
			out[n++] = (control_name){fd->label, NULL, fd};
		for (size_t k = 0; is_group && k < fd->noptions; k++)
			out[n++] = (control_name){fd->options[k].label, fd, fd};
	}
	return n;
}

/*
 * Two controls of one form with the same accessible name (RGAA 11.2): a screen reader
 * cannot tell them apart. Options of two different groups are told apart by their
 * legends, so only a control against a control or an option is said.
 */
static void same_names(const def_app *app, const char *file, diags *d)
{
	for (size_t i = 0; i < app->nforms; i++) {
		const def_form *f = &app->forms[i];
		size_t max = 0;
		for (size_t c = 0; c < f->ncols; c++)
			max += 1 + f->cols[c]->noptions;
		control_name *v = xcalloc(max ? max : 1, sizeof *v);
		size_t n = form_controls(f, v);
		for (size_t a = 0; a < n; a++)
			for (size_t b = a + 1; b < n; b++) {
				if ((v[a].group && v[b].group) || !v[a].name || !v[b].name ||
				    strcasecmp(v[a].name, v[b].name) != 0)
					continue;
				diags_add(
				    d, file, 0, "",
				    "avertissement : formulaire \"%s\" : deux contrôles "
				    "s'appellent « %s » (%s \"%s\" et %s \"%s\") : un lecteur "
				    "d'écran ne les distingue pas (RGAA 11.2)",
				    f->id, v[a].name, v[a].group ? "option de" : "champ",
				    v[a].field->name, v[b].group ? "option de" : "champ",
				    v[b].field->name);
			}
		free(v);
	}
}

void loader_warnings(const def_app *app, diags *d)
{
	const def_privacy *p = &app->privacy;
	bool block =
	    p->purpose || p->legal_basis || p->contact || p->retention_days >= 0 || p->recipients.n;
	buf file = BUF_INIT, names = BUF_INIT;
	buf_printf(&file, "%s/app.lua", app->dir ? app->dir : app->id);
	if (!block && def_app_has_personal(app)) {
		personal_names(app, &names);
		diags_add(d, buf_cstr(&file), 0, "",
			  "avertissement : des champs personnels (%s) mais pas de bloc "
			  "\"privacy\" : le registre RGPD ne dit ni finalité, ni base légale, ni "
			  "durée de conservation, et rien n'est jamais purgé",
			  buf_cstr(&names));
	} else if (block && p->retention_days < 0) {
		diags_add(d, buf_cstr(&file), 0, "privacy",
			  "avertissement : pas de \"retention_days\" : les enregistrements "
			  "terminés ne sont jamais purgés");
	}
	same_names(app, buf_cstr(&file), d);
	buf_free(&file);
	buf_free(&names);
}

bool loader_valid_app_id(const char *name)
{
	return is_id(name, MAX_ID, true);
}

/* The folder without trailing slashes, and its app.lua, for messages. */
static char *app_dir_of(const char *dir, char **file)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	char *adir = xstrndup(dir, n);
	buf fb = BUF_INIT;
	buf_printf(&fb, "%s/app.lua", adir);
	*file = buf_steal(&fb);
	return adir;
}

def_app *loader_load_src(const char *dir, appsrc *src, const char *stdlib_dir,
			 const sandbox_limits *lim, diags *d)
{
	size_t start = d->n;
	char *file;
	char *adir = app_dir_of(dir, &file);
	const char *slash = strrchr(adir, '/');
	const char *id = slash ? slash + 1 : adir;
	if (!loader_valid_app_id(id))
		diags_add(d, file, 0, "",
			  "identifiant d'application invalide \"%s\" (le nom du dossier) "
			  ": attendu [a-z][a-z0-9-]{0,39}",
			  id);
	char e[SANDBOX_ERR];
	sandbox *sb = sandbox_new_src(adir, src, stdlib_dir, lim, e);
	if (!sb) {
		add_lua_error(d, file, e);
		appsrc_free(src);
		free(file);
		free(adir);
		return NULL;
	}

	arena mem = ARENA_INIT;
	def_app *app = arena_alloc(&mem, sizeof *app);
	app->mem = mem;
	ld x = {.app = app, .A = &app->mem, .d = d, .file = file};
	app->id = arena_strdup(x.A, id);
	app->dir = arena_strdup(x.A, adir);
	app->hash = arena_strdup(x.A, src->hash);
	app->src = src;
	app->privacy.retention_days = -1;
	read_app(&x, sandbox_definition(sb));
	for (size_t i = 0; i < app->nforms; i++)
		app->forms[i].app_id = app->id;
	app->nhooks = sandbox_nfuncs(sb);
	sandbox_close(sb);
	arena_free(&x.scratch);
	free(file);
	free(adir);
	if (d->n > start) {
		def_app_free(app);
		return NULL;
	}
	return app;
}

def_app *loader_load(const char *dir, const char *stdlib_dir, const sandbox_limits *lim, diags *d)
{
	char *file;
	char *adir = app_dir_of(dir, &file);
	char e[SANDBOX_ERR];
	appsrc *src = appsrc_read(adir, e);
	if (!src) {
		const char *slash = strrchr(adir, '/');
		if (!loader_valid_app_id(slash ? slash + 1 : adir))
			diags_add(d, file, 0, "",
				  "identifiant d'application invalide \"%s\" (le nom du dossier) "
				  ": attendu [a-z][a-z0-9-]{0,39}",
				  slash ? slash + 1 : adir);
		/* the folder's own path prefix is redundant in front of app.lua's diag */
		diags_add(d, file, 0, "", "%s",
			  strstr(e, "app.lua : fichier illisible") ? "fichier illisible ou absent"
								   : e);
		free(file);
		free(adir);
		return NULL;
	}
	def_app *app = loader_load_src(adir, src, stdlib_dir, lim, d);
	free(file);
	free(adir);
	return app;
}
