/*
 * geo — look-ups over the compiled administrative divisions (see geo.h).
 *
 * Codes are found by binary search in the tables (sorted by code), postal codes in
 * geo_postal_order. Names go through one index per kind: every row's folded name, sorted,
 * built once by build_indexes under pthread_once and read-only after; it lives as long as
 * the process (the tables it points into are static). Nothing else is mutable.
 */
#include "geo.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo_data.h"
#include "util.h"

#define PICK_MAX 64 /* candidates geo_resolve and geo_search keep at most */

const char *geo_version(void)
{
	return geo_data_version;
}

size_t geo_count(geo_kind k)
{
	switch (k) {
	case GEO_COMMUNE:
		return geo_ncommunes;
	case GEO_DEPARTEMENT:
		return geo_ndepartements;
	case GEO_REGION:
		return geo_nregions;
	case GEO_EPCI:
		return geo_nepcis;
	default:
		return 0;
	}
}

static bool valid(geo_ref e)
{
	return e.row >= 0 && (size_t)e.row < geo_count(e.kind);
}

static const char *pool_name(uint32_t off)
{
	return geo_name_chunks[off >> 12] + (off & 0xfff);
}

const char *geo_code(geo_ref e)
{
	if (!valid(e))
		return "";
	switch (e.kind) {
	case GEO_COMMUNE:
		return geo_communes[e.row].code;
	case GEO_DEPARTEMENT:
		return geo_departements[e.row].code;
	case GEO_REGION:
		return geo_regions[e.row].code;
	default:
		return geo_epcis[e.row].code;
	}
}

const char *geo_name(geo_ref e)
{
	if (!valid(e))
		return "";
	switch (e.kind) {
	case GEO_COMMUNE:
		return pool_name(geo_communes[e.row].name);
	case GEO_DEPARTEMENT:
		return pool_name(geo_departements[e.row].name);
	case GEO_REGION:
		return pool_name(geo_regions[e.row].name);
	default:
		return pool_name(geo_epcis[e.row].name);
	}
}

void geo_label(geo_ref e, buf *out)
{
	if (!valid(e))
		return;
	buf_puts(out, geo_name(e));
	if (e.kind == GEO_COMMUNE)
		buf_printf(out, " (%s)", geo_departements[geo_communes[e.row].dep].code);
	else if (e.kind == GEO_DEPARTEMENT)
		buf_printf(out, " (%s)", geo_departements[e.row].code);
}

void geo_put_of(geo_ref e, buf *out)
{
	/* INSEE's typeLiaison: the "charnière" before the name */
	static const char *const of[] = {"de ",	  "d'",	  "du ",     "de la ", "des ",
					 "de l'", "des ", "de las ", "de los "};
	unsigned l = 0;
	if (valid(e) && e.kind == GEO_DEPARTEMENT)
		l = geo_departements[e.row].liaison;
	else if (valid(e) && e.kind == GEO_REGION)
		l = geo_regions[e.row].liaison;
	buf_puts(out, of[l < sizeof of / sizeof *of ? l : 0]);
	buf_puts(out, geo_name(e));
}

bool geo_departement_of(geo_ref e, geo_ref *out)
{
	if (!valid(e) || (e.kind != GEO_COMMUNE && e.kind != GEO_DEPARTEMENT))
		return false;
	*out = (geo_ref){GEO_DEPARTEMENT, e.kind == GEO_COMMUNE ? geo_communes[e.row].dep : e.row};
	return true;
}

bool geo_region_of(geo_ref e, geo_ref *out)
{
	geo_ref d;
	if (!geo_departement_of(e, &d) || geo_departements[d.row].region == GEO_NONE8)
		return false;
	*out = (geo_ref){GEO_REGION, geo_departements[d.row].region};
	return true;
}

bool geo_epci_of(geo_ref e, geo_ref *out)
{
	if (!valid(e) || e.kind != GEO_COMMUNE || geo_communes[e.row].epci == 0)
		return false;
	*out = (geo_ref){GEO_EPCI, geo_communes[e.row].epci - 1};
	return true;
}

bool geo_parent(geo_ref e, geo_ref *out)
{
	if (!valid(e) || e.kind != GEO_COMMUNE || geo_communes[e.row].parent == 0)
		return false;
	*out = (geo_ref){GEO_COMMUNE, geo_communes[e.row].parent - 1};
	return true;
}

const char *geo_commune_type(geo_ref e)
{
	static const char *const types[] = {"commune-actuelle", "commune-deleguee",
					    "commune-associee", "arrondissement-municipal"};
	if (!valid(e) || e.kind != GEO_COMMUNE || geo_communes[e.row].kind >= 4)
		return NULL;
	return types[geo_communes[e.row].kind];
}

bool geo_is_current(geo_ref e)
{
	return !valid(e) || e.kind != GEO_COMMUNE || geo_communes[e.row].kind == GEO_ROW_ACTUELLE;
}

size_t geo_postal_count(geo_ref e)
{
	return valid(e) && e.kind == GEO_COMMUNE ? geo_communes[e.row].ncp : 0;
}

void geo_postal_code(geo_ref e, size_t i, char out[6])
{
	out[0] = '\0';
	if (i < geo_postal_count(e))
		snprintf(out, 6, "%05u",
			 (unsigned)geo_postal_codes[geo_communes[e.row].cp + i] % 100000u);
}

const char *geo_epci_type(geo_ref e)
{
	return valid(e) && e.kind == GEO_EPCI ? geo_epcis[e.row].type : NULL;
}

size_t geo_epci_departements(geo_ref e, geo_ref *out, size_t max)
{
	if (!valid(e) || e.kind != GEO_EPCI)
		return 0;
	const geo_epci_row *r = &geo_epcis[e.row];
	for (size_t i = 0; i < r->ndeps && i < max; i++)
		out[i] = (geo_ref){GEO_DEPARTEMENT, r->deps[i]};
	return r->ndeps;
}

/* ---- codes ---- */

/* The first row whose code is code (the commune actuelle of a shared code), or -1. */
static int find_row(geo_kind k, const char *code)
{
	size_t lo = 0, hi = geo_count(k);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(geo_code((geo_ref){k, (int)mid}), code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < geo_count(k) && strcmp(geo_code((geo_ref){k, (int)lo}), code) == 0 ? (int)lo
										       : -1;
}

bool geo_find(geo_kind k, const char *code, geo_ref *out)
{
	if (!code || strlen(code) > 9)
		return false;
	int row = find_row(k, code);
	if (row < 0)
		return false;
	*out = (geo_ref){k, row};
	return true;
}

/* ---- scope ---- */

static bool dep_in_region(int dep, const char *region)
{
	uint8_t r = geo_departements[dep].region;
	return r != GEO_NONE8 && strcmp(geo_regions[r].code, region) == 0;
}

geo_fit geo_in_scope(geo_ref e, const geo_scope *s)
{
	if (!valid(e) || !s)
		return GEO_IN;
	switch (e.kind) {
	case GEO_COMMUNE: {
		const geo_commune_row *c = &geo_communes[e.row];
		if (c->kind != GEO_ROW_ACTUELLE && !s->deleguees)
			return GEO_NOT_CURRENT;
		if (s->departement && strcmp(geo_departements[c->dep].code, s->departement) != 0)
			return GEO_OUT_DEPARTEMENT;
		if (s->region && !dep_in_region(c->dep, s->region))
			return GEO_OUT_REGION;
		return GEO_IN;
	}
	case GEO_DEPARTEMENT:
		return s->region && !dep_in_region(e.row, s->region) ? GEO_OUT_REGION : GEO_IN;
	case GEO_EPCI: {
		const geo_epci_row *r = &geo_epcis[e.row];
		bool dep = !s->departement, reg = !s->region;
		for (size_t i = 0; i < r->ndeps; i++) {
			dep = dep || strcmp(geo_departements[r->deps[i]].code, s->departement) == 0;
			reg = reg || dep_in_region(r->deps[i], s->region);
		}
		return !dep ? GEO_OUT_DEPARTEMENT : !reg ? GEO_OUT_REGION : GEO_IN;
	}
	default:
		return GEO_IN;
	}
}

/* ---- folding ---- */

/* Characters between words: no-break and thin spaces, dashes, quotes, guillemets. */
static bool is_separator(uint32_t c)
{
	if (c < 0x80)
		return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			 (c >= 'A' && c <= 'Z'));
	return c == 0xA0 || c == 0xAB || c == 0xBB || c == 0xB7 || c == 0x2009 || c == 0x202F ||
	       (c >= 0x2010 && c <= 0x2015) || (c >= 0x2018 && c <= 0x201F) || c == 0x2026;
}

/* Decodes the (valid) UTF-8 sequence at s: its code point and length. */
static uint32_t decode(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
	uint32_t c = s[0] & (0x3F >> (n - 1));
	for (size_t k = 1; k < n; k++)
		c = c << 6 | (s[k] & 0x3F);
	*len = n;
	return c;
}

/* Folding's output: out[len], cap bytes; word is where the current word starts. */
typedef struct folder {
	char *out;
	size_t len, cap;
	size_t word, prev; /* starts of the current and previous word (len: none yet) */
	bool in_word, ok;
} folder;

static void fold_put(folder *f, const char *s, size_t n)
{
	if (f->len + n >= f->cap) {
		f->ok = false;
		return;
	}
	memcpy(f->out + f->len, s, n);
	f->len += n;
}

/* A new word starts: "st" and "ste" before it were "saint" and "sainte". */
static void fold_word_start(folder *f)
{
	size_t n = f->len - f->prev;
	if (f->prev < f->len && (n == 2 || n == 3) && strncmp(f->out + f->prev, "ste", n) == 0) {
		f->len = f->prev;
		fold_put(f, n == 2 ? "saint" : "sainte", n == 2 ? 5 : 6);
	}
	f->word = f->len;
	f->in_word = true;
}

bool geo_fold(const char *s, size_t n, char *out, size_t cap)
{
	char in[GEO_FOLD_SIZE];
	if (out && cap)
		out[0] = '\0';
	if (!s || !out || cap == 0 || n >= sizeof in || memchr(s, '\0', n) ||
	    !util_utf8_valid(s, n))
		return false;
	/* letters as search folds them (util_fold), then words joined */
	memcpy(in, s, n);
	in[n] = '\0';
	buf letters = BUF_INIT;
	util_fold(in, &letters);
	folder f = {.out = out, .cap = cap, .ok = true};
	const unsigned char *u = (const unsigned char *)buf_cstr(&letters);
	for (size_t i = 0, len; i < letters.len && f.ok; i += len) {
		uint32_t c = decode(u + i, &len);
		if (is_separator(c)) {
			if (f.in_word)
				f.prev = f.word;
			f.in_word = false;
			continue;
		}
		if (!f.in_word)
			fold_word_start(&f);
		fold_put(&f, (const char *)u + i, len);
	}
	buf_free(&letters);
	out[f.ok ? f.len : 0] = '\0';
	return f.ok;
}

/* ---- the name indexes ---- */

typedef struct name_key {
	const char *key; /* folded name, in the index's pool */
	int row;
} name_key;

typedef struct name_index {
	char *pool;
	name_key *keys;
	size_t n;
} name_index;

static name_index indexes[GEO__KINDS];
static pthread_once_t indexes_once = PTHREAD_ONCE_INIT;

static int key_cmp(const void *a, const void *b)
{
	const name_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->row > y->row) - (x->row < y->row);
}

static void build_index(geo_kind k, name_index *ix)
{
	size_t n = geo_count(k);
	buf pool = BUF_INIT;
	size_t *at = xcalloc(n ? n : 1, sizeof *at);
	char folded[GEO_FOLD_SIZE];
	for (size_t i = 0; i < n; i++) {
		const char *name = geo_name((geo_ref){k, (int)i});
		if (!geo_fold(name, strlen(name), folded, sizeof folded))
			folded[0] = '\0'; /* (the generator keeps names short and valid) */
		at[i] = pool.len;
		buf_add(&pool, folded, strlen(folded) + 1);
	}
	ix->pool = buf_steal(&pool);
	ix->keys = xcalloc(n ? n : 1, sizeof *ix->keys);
	for (size_t i = 0; i < n; i++)
		ix->keys[i] = (name_key){ix->pool + at[i], (int)i};
	free(at);
	qsort(ix->keys, n, sizeof *ix->keys, key_cmp);
	ix->n = n;
}

static void build_indexes(void)
{
	for (int k = 0; k < GEO__KINDS; k++)
		build_index((geo_kind)k, &indexes[k]);
}

static const name_index *index_of(geo_kind k)
{
	pthread_once(&indexes_once, build_indexes);
	return &indexes[k];
}

/* The first key of ix not below p. */
static size_t lower_bound(const name_index *ix, const char *p)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->keys[mid].key, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- candidates ---- */

typedef struct pick {
	geo_kind kind;
	const geo_scope *s;
	geo_ref *out;
	bool exact[PICK_MAX];
	size_t max, n, total;
} pick;

static void pick_init(pick *p, geo_kind k, const geo_scope *s, geo_ref *out, size_t max)
{
	memset(p, 0, sizeof *p);
	p->kind = k;
	p->s = s;
	p->out = out;
	p->max = max < PICK_MAX ? max : PICK_MAX;
}

static bool pick_full(const pick *p)
{
	return p->total > p->max;
}

/*
 * Adds row as what it stands for in the scope: a commune déléguée, associée or
 * arrondissement is its commune when the scope takes current communes only, and the
 * commune nouvelle whose code it shares otherwise; it is then no exact match.
 */
static void pick_add(pick *p, int row, bool exact)
{
	geo_ref e = {p->kind, row};
	if (p->kind == GEO_COMMUNE && geo_communes[row].kind != GEO_ROW_ACTUELLE) {
		bool deleguees = p->s && p->s->deleguees;
		if (!(deleguees ? geo_find(GEO_COMMUNE, geo_communes[row].code, &e)
				: geo_parent(e, &e)))
			return;
		exact = exact && e.row == row;
	}
	if (geo_in_scope(e, p->s) != GEO_IN)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (p->out[i].row == e.row) {
			p->exact[i] = p->exact[i] || exact;
			return;
		}
	p->total++;
	if (p->n < p->max) {
		p->out[p->n] = e;
		p->exact[p->n++] = exact;
	}
}

/* The communes with postal codes from lo to hi. */
static void pick_postal(pick *p, uint32_t lo, uint32_t hi)
{
	size_t a = 0, b = geo_npostal_codes;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (geo_postal_codes[geo_postal_order[mid]] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	for (; a < geo_npostal_codes && !pick_full(p); a++) {
		size_t pos = geo_postal_order[a];
		if (geo_postal_codes[pos] > hi)
			break;
		/* the commune whose postal codes hold pos: the last row starting at or before it */
		size_t r0 = 0, r1 = geo_ncommunes;
		while (r0 < r1) {
			size_t mid = r0 + (r1 - r0) / 2;
			if (geo_communes[mid].cp <= pos)
				r0 = mid + 1;
			else
				r1 = mid;
		}
		if (r0 > 0)
			pick_add(p, (int)r0 - 1, lo == hi);
	}
}

/* Rows whose folded name is folded (exact) or starts with it (not exact, after). */
static void pick_names(pick *p, const char *folded, bool exact)
{
	const name_index *ix = index_of(p->kind);
	size_t plen = strlen(folded);
	if (plen == 0)
		return;
	for (size_t i = lower_bound(ix, folded); i < ix->n && !pick_full(p); i++) {
		const name_key *k = &ix->keys[i];
		if (strncmp(k->key, folded, plen) != 0)
			break;
		bool same = k->key[plen] == '\0';
		if (exact && !same)
			break;
		if (!exact && same)
			continue;
		pick_add(p, k->row, exact);
	}
}

/* Exact names among rows whose code (or, for communes, département) is hint. */
static void pick_hinted(pick *p, const char *folded, const char *hint)
{
	const name_index *ix = index_of(p->kind);
	for (size_t i = lower_bound(ix, folded); i < ix->n && !pick_full(p); i++) {
		const name_key *k = &ix->keys[i];
		if (strcmp(k->key, folded) != 0)
			break;
		geo_ref e = {p->kind, k->row}, d;
		if (strcmp(geo_code(e), hint) == 0 ||
		    (geo_departement_of(e, &d) && e.kind == GEO_COMMUNE &&
		     strcmp(geo_code(d), hint) == 0))
			pick_add(p, k->row, true);
	}
}

/* s without its white space at both ends, into out (cap bytes); false when too long. */
static bool trimmed(const char *s, char *out, size_t cap)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n >= cap)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* Whether s is n ASCII digits. */
static bool digits(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789") == n;
}

/* A code as people may type it: Corsica's "2a" is "2A". */
static void code_case(char *s)
{
	for (; *s; s++)
		if (*s == 'a' || *s == 'b')
			*s = (char)(*s - 'a' + 'A');
}

static geo_match pick_result(const pick *p, size_t *n)
{
	*n = p->n;
	if (p->total == 0)
		return GEO_NONE;
	if (p->total > p->max)
		return GEO_TOO_MANY;
	return p->n == 1 && p->exact[0] ? GEO_ONE : GEO_SEVERAL;
}

/* "Name (hint)": the name's folded form and the hint, when text ends so. */
static bool split_hint(const char *t, char *folded, size_t cap, char *hint, size_t hcap)
{
	size_t n = strlen(t);
	const char *open = strrchr(t, '(');
	if (n < 4 || t[n - 1] != ')' || !open || open == t)
		return false;
	if (!trimmed(open + 1, hint, hcap))
		return false;
	size_t h = strlen(hint);
	if (h == 0 || hint[h - 1] != ')')
		return false;
	hint[h - 1] = '\0';
	char inner[GEO_TEXT_MAX + 1];
	if (!trimmed(hint, inner, sizeof inner))
		return false;
	memcpy(hint, inner, strlen(inner) + 1);
	code_case(hint);
	return geo_fold(t, (size_t)(open - t), folded, cap) && folded[0];
}

geo_match geo_resolve(geo_kind k, const char *text, const geo_scope *s, geo_ref *out, size_t max,
		      size_t *n)
{
	char t[GEO_TEXT_MAX + 1], code[16], folded[GEO_FOLD_SIZE], hint[GEO_TEXT_MAX + 1];
	pick p;
	pick_init(&p, k, s, out, max);
	*n = 0;
	if (!text || (unsigned)k >= GEO__KINDS || max == 0 || !trimmed(text, t, sizeof t) ||
	    !t[0] || !util_utf8_valid(t, strlen(t)))
		return GEO_NONE;
	geo_ref e;
	if (strlen(t) < sizeof code) {
		memcpy(code, t, strlen(t) + 1);
		code_case(code);
		/* five digits are a postal code first: people know theirs, not the INSEE code */
		if (k == GEO_COMMUNE && digits(code, 5)) {
			uint32_t cp = (uint32_t)strtoul(code, NULL, 10);
			pick_postal(&p, cp, cp);
		}
		if (p.total == 0 && geo_find(k, code, &e))
			pick_add(&p, e.row, true);
		if (p.total)
			return pick_result(&p, n);
	}
	if (split_hint(t, folded, sizeof folded, hint, sizeof hint)) {
		pick_hinted(&p, folded, hint);
		if (p.total)
			return pick_result(&p, n);
	}
	if (!geo_fold(t, strlen(t), folded, sizeof folded))
		return GEO_NONE;
	pick_names(&p, folded, true);
	if (p.total == 0)
		pick_names(&p, folded, false);
	return pick_result(&p, n);
}

void geo_input_text(geo_ref e, const geo_scope *s, buf *out)
{
	if (!valid(e))
		return;
	buf b = BUF_INIT;
	geo_label(e, &b);
	geo_ref c[2];
	size_t n;
	if (geo_resolve(e.kind, buf_cstr(&b), s, c, 2, &n) == GEO_ONE && c[0].row == e.row)
		buf_puts(out, buf_cstr(&b));
	else
		buf_printf(out, "%s (%s)", geo_name(e), geo_code(e));
	buf_free(&b);
}

/* Rows of a small table whose code starts with prefix. */
static void pick_code_prefix(pick *p, const char *prefix)
{
	size_t n = geo_count(p->kind), plen = strlen(prefix);
	for (size_t i = 0; i < n && p->n < p->max; i++)
		if (strncmp(geo_code((geo_ref){p->kind, (int)i}), prefix, plen) == 0)
			pick_add(p, (int)i, false);
}

size_t geo_search(geo_kind k, const char *q, const geo_scope *s, geo_ref *out, size_t max)
{
	char t[GEO_TEXT_MAX + 1], folded[GEO_FOLD_SIZE];
	pick p;
	pick_init(&p, k, s, out, max);
	if (!q || (unsigned)k >= GEO__KINDS || max == 0 || !trimmed(q, t, sizeof t) || !t[0] ||
	    !util_utf8_valid(t, strlen(t)))
		return 0;
	geo_ref e;
	char code[16];
	if (strlen(t) < sizeof code) {
		memcpy(code, t, strlen(t) + 1);
		code_case(code);
		size_t len = strlen(code);
		/* digits are the start of a postal code first, as in geo_resolve */
		if (k == GEO_COMMUNE && len <= 5 && digits(code, len)) {
			uint32_t lo = (uint32_t)strtoul(code, NULL, 10), span = 1;
			for (size_t i = len; i < 5; i++)
				span *= 10;
			pick_postal(&p, lo * span, lo * span + span - 1);
		}
		if (p.n < p.max && geo_find(k, code, &e))
			pick_add(&p, e.row, true);
		if (k != GEO_COMMUNE && (digits(code, len) || code[0] == '2'))
			pick_code_prefix(&p, code);
	}
	if (p.n < p.max && geo_fold(t, strlen(t), folded, sizeof folded)) {
		pick_names(&p, folded, true);
		if (p.n < p.max)
			pick_names(&p, folded, false);
	}
	return p.n;
}
