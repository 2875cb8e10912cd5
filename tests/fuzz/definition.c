/*
 * definition — fuzz target: app definitions through the loader and checker (SPEC 4, 9).
 *
 * The input is either app.lua itself (when it starts with "--", "return" or "local":
 * the seed corpus holds the example apps and the broken fixtures that way) or, for any
 * other bytes, the choices of a small generator that writes a definition as Lua text:
 * the keys of SPEC 4 (app, form, field, access, list, workflow, state, transition,
 * notify, privacy) with misspelt and foreign keys among them, values of the expected
 * kind or of any Lua type (numbers at the edges, NaN, strings with NUL or bad UTF-8,
 * nested and cyclic tables, tables whose metatables raise or loop, functions that
 * loop, raise or allocate), and code around the table (globals, require, errors).
 * Names come from small pools so that references (visible_if, list columns, states,
 * roles) often resolve and the checker's deeper rules run.
 *
 * The text is written to a temporary app folder (with the example apps' lib/ files)
 * and loaded with loader_load. What must hold:
 *   - no crash, no sanitizer report, no Lua panic, whatever app.lua does;
 *   - a definition, or NULL with at least one diagnostic: never both, never neither;
 *     each diagnostic has a non-empty UTF-8 message;
 *   - an accepted definition is consistent where the engine relies on it without
 *     checking again: ids and names match their patterns, columns, conditions,
 *     states and transitions point where they say (indexes in range, names equal);
 *   - an accepted definition migrates a fresh database (store_migrate: STORE_OK), and
 *     its hooks can be opened for calls (sandbox_open), as serving it will.
 * The load budget is cut to 2 M instructions (production: 50 M) so that looping
 * definitions cost milliseconds; the limit is still hit and reported the same way.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "def.h"
#include "diag.h"
#include "fuzz.h"
#include "loader.h"
#include "sandbox.h"
#include "store.h"
#include "util.h"

#define MAX_TEXT  60000 /* bytes of generated Lua: past it, values become nil */
#define MAX_DEPTH 7

static char app_dir[PATH_MAX], app_file[PATH_MAX + 16], db_dir[PATH_MAX];
static sandbox_limits limits;
static store_backend *backend; /* SQLite files in db_dir */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine_init();
	const char *tmp = fuzz_tempdir("definition");
	/* The folder's name is the app id, so it must be a valid one. */
	snprintf(app_dir, sizeof app_dir, "%s/fz", tmp);
	snprintf(app_file, sizeof app_file, "%s/app.lua", app_dir);
	snprintf(db_dir, sizeof db_dir, "%s/db", tmp);
	FUZZ_CHECK(mkdir(app_dir, 0755) == 0 && mkdir(db_dir, 0700) == 0, "mkdir in %s", tmp);
	/* The libraries the example apps require, so that their app.lua loads as it is. */
	char lib[PATH_MAX + 8], src[PATH_MAX];
	snprintf(lib, sizeof lib, "%s/lib", app_dir);
	FUZZ_CHECK(mkdir(lib, 0755) == 0, "mkdir %s", lib);
	static const char *const libs[] = {"apps/vaccins/lib/conditionnement.lua",
					   "apps/ponts-sete/lib/ponts.lua"};
	for (size_t i = 0; i < sizeof libs / sizeof *libs; i++) {
		snprintf(src, sizeof src, "%s/%s", fuzz_root(), libs[i]);
		size_t n = 0;
		char *text = fuzz_read_file(src, &n);
		if (!text)
			continue; /* an example app moved: its seed is then refused */
		char dst[PATH_MAX * 2];
		snprintf(dst, sizeof dst, "%s/%s", lib, strrchr(libs[i], '/') + 1);
		fuzz_write_file(dst, text, n);
		free(text);
	}
	char err[STORE_ERR_LEN] = "";
	backend = store_backend_open(NULL, db_dir, err);
	FUZZ_CHECK(backend != NULL, "store_backend_open: %s", err);
	limits = sandbox_default_limits();
	limits.load_instructions = 2000000L;
	limits.mem_bytes = 32u * 1024 * 1024;
	return 0;
}

/* ---- the generator ---- */

typedef struct gen {
	const uint8_t *p;
	size_t n, i;
	buf out;
	int depth;
	unsigned nforms, nfields, nstates; /* names given so far: new ones differ by default */
} gen;

/* The next choice among n; 0 once the input is used up, so generation always ends. */
static unsigned pick(gen *g, unsigned n)
{
	if (n <= 1 || g->i >= g->n)
		return 0;
	return g->p[g->i++] % n;
}

static bool full(const gen *g)
{
	return g->out.len > MAX_TEXT || g->depth > MAX_DEPTH;
}

static void put_string(gen *g, const char *s, size_t n)
{
	buf_putc(&g->out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			buf_printf(&g->out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(&g->out, "\\%03u", c);
		else
			buf_putc(&g->out, (char)c);
	}
	buf_putc(&g->out, '"');
}

static void put_cstr(gen *g, const char *s)
{
	put_string(g, s, strlen(s));
}

/* A string from the input's own bytes (any bytes: bad UTF-8, NUL, controls). */
static void put_raw_string(gen *g)
{
	size_t len = pick(g, 24);
	size_t avail = g->n - g->i;
	if (len > avail)
		len = avail;
	put_string(g, (const char *)g->p + g->i, len);
	g->i += len;
}

#define POOL(name, ...) static const char *const name[] = {__VA_ARGS__}
#define NPOOL(name)	(unsigned)(sizeof name / sizeof *name)

POOL(texts, "Titre", "Demande d'achat", "", "é€😀", "a\0b", "{{objet}} {{id}}", "\xff\xfe",
     "x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x");
POOL(form_ids, "demande", "d", "f_1", "signalement", "Bad", "", "_x",
     "a234567890123456789012345678901234567890z");
POOL(field_names, "objet", "quantite", "urgent", "motif", "categorie", "tags", "montant", "le",
     "courriel", "x", "y", "id", "created_at", "state", "version", "fields", "Bad-Name", "a1_b",
     "");
POOL(type_names, "text", "textarea", "integer", "decimal", "money", "boolean", "date", "datetime",
     "email", "phone", "postal_code", "siret", "siren", "iban", "url", "choice", "multichoice",
     "file", "section", "texte", "", "Integer");
POOL(roles, "agent", "chef", "demandeur", "public", "user", "owner", "admin", "x", "Bad Role", "");
POOL(states, "s1", "s2", "s3", "deposee", "traitee", "", "S-1");
POOL(date_bounds, "today", "today+7", "today-3", "2026-01-01", "2026-02-30", "tomorrow",
     "today+99999999999", "2026-11-23T10:00");
POOL(patterns, "%d+", "[a-z]+", "%", "[", "(", "%b()", "%f[%w]%w+", "^x$", "(.-)(.-)(.-)(.-)x",
     ".*.*.*.*.*.*y", "[%a-%d]", "%1", "(()", "%g", "[^%]]", "%z");
POOL(options, "a", "b", "x", "", "a", "oui");
POOL(numbers, "0", "1", "-1", "10", "100", "2^31", "2^53 + 1", "math.maxinteger", "math.mininteger",
     "0.5", "-0.0", "1e308", "1/0", "-1/0", "0/0", "5000", "3", "2");
POOL(garbage_keys, "lable", "titel", "requried", "", "1", "__index", "forms ", "Type", "min_lenght",
     "opts", "workflows", "on_update");
POOL(mimes, "application/pdf", "image/png", "image/*", "", "text/html");
POOL(notify_to, "field:courriel", "role:agent", "a@example.fr", "field:inconnu", "role:", "",
     "field:objet");
/* Statements of generated functions: loops, errors, allocations, side effects. */
POOL(fn_stmts, "", "for i = 1, 100 do end", "while true do end", "error('panne')", "error({})",
     "error(setmetatable({}, {__tostring = error}))", "ctx.notify { to = 'role:agent' }",
     "r.objet = string.rep('x', 1000)", "local t = {} for i = 1, 1e7 do t[i] = i end",
     "local s = string.rep('x', 1 << 30)", "local x = r.quantite + 1", "r.id = 5",
     "local ok = pcall(function() while true do end end)", "ctx.log(string.rep('z', 9000))",
     "local n = ctx.count('demande', { state = 's1' })", "setmetatable(r, nil)");
/* The last statement: results of every kind. */
POOL(fn_finals, "return nil", "return true", "return false, 'non'", "return { objet = 'x' }",
     "return { _ = 'Pas ainsi.' }", "return r.quantite", "return (r.quantite or 0) * 2",
     "return 'texte'", "return 1.5", "return 0/0", "return r", "return require('smallapps.fr')",
     "return os.date('*t')", "return math.random(1, 10)", "return pcall(error)",
     "return select('#', ...)", "return #r.tags", "return setmetatable({}, {__index = error})",
     "return { objet = setmetatable({}, {__tostring = error}) }", "return function() end");
/* Metatables for definition tables: the loader reads them from C. */
POOL(metatables, "{ __index = function(t, k) error('lu : ' .. tostring(k)) end }",
     "{ __index = function(t, k) while true do end end }",
     "{ __index = function(t, k) return t end }", "{ __pairs = function(t) error('pairs') end }",
     "{ __pairs = function(t) return function() return 1, 2 end, t, nil end }",
     "{ __len = function() return -1 end }", "{ __len = function() return 1e9 end }",
     "{ __len = function() error('len') end }", "{ __len = function() return 'x' end }",
     "{ __newindex = error }", "{ __gc = function() error('gc') end }",
     "{ __tostring = function() error('ts') end }", "{ __name = 5 }",
     "{ __eq = function() error('eq') end }", "{ __close = error }",
     "{ __metatable = false, __index = { title = 'caché' } }");
/* Code put before the returned table. */
POOL(prologues, "", "local fr = require 'smallapps.fr'\n", "x = 1\n", "print('chargement')\n",
     "local t = {} t[t] = t\n", "error('au chargement')\n", "while true do end\n",
     "string.rep('x', 1 << 28)\n", "local s = string.rep('a', 40) s:find('(a*)*b')\n",
     "setmetatable(_ENV, nil)\n", "rawset(_G or {}, 'x', 1)\n", "os.exit(1)\n",
     "load('return 1')()\n", "require 'inexistant'\n", "require '../../etc/passwd'\n",
     "collectgarbage()\n", "io.write('x')\n", "debug.sethook()\n",
     "local ok = pcall(function() while true do end end)\n", "string.dump(function() end)\n",
     "local p = require 'conditionnement'\n");

static void gen_value_any(gen *g);
static void gen_string_from(gen *g, const char *const *pool, unsigned n);

static void put_pool(gen *g, const char *const *pool, unsigned n)
{
	/* Pool strings may hold NUL: their length is sizeof-less, so NUL ends them except
	 * for the one written as "a\0b", which is spelt out. */
	const char *s = pool[pick(g, n)];
	if (s == texts[4])
		put_string(g, "a\0b", 3);
	else
		put_cstr(g, s);
}

static void gen_number(gen *g)
{
	buf_printf(&g->out, "(%s)", numbers[pick(g, NPOOL(numbers))]);
}

static void gen_function(gen *g)
{
	buf_printf(&g->out, "function(r, ctx, ...) %s ", fn_stmts[pick(g, NPOOL(fn_stmts))]);
	buf_printf(&g->out, "%s end", fn_finals[pick(g, NPOOL(fn_finals))]);
}

typedef enum kind {
	K_TEXT,
	K_FORM_ID,    /* a new form's id */
	K_FIELD_NAME, /* a new field's name */
	K_FIELD_REF,  /* a field named elsewhere (visible_if, list, renamed_from) */
	K_STATE_ID,   /* a new state's id */
	K_STATE_REF,  /* a state named elsewhere (initial, from, to, state_moves) */
	K_TRANSITION_ID,
	K_TYPE,
	K_ROLE,
	K_BOOL,
	K_INT,
	K_NUMBER_OR_DATE,
	K_PATTERN,
	K_FUNC,
	K_ROLE_LIST,
	K_FIELD_LIST,
	K_STATE_OR_LIST,
	K_READ_MAP,
	K_ROLE_MAP,
	K_COND_MAP,
	K_STATE_MAP,
	K_OPTIONS,
	K_MIME,
	K_MIME_LIST,
	K_STR_LIST,
	K_APP,
	K_FORM,
	K_FORMS,
	K_FIELD,
	K_FIELDS,
	K_ACCESS,
	K_LIST,
	K_WORKFLOW,
	K_STATE_DEF,
	K_STATES,
	K_TRANSITION,
	K_TRANSITIONS,
	K_NOTIFY,
	K_PRIVACY,
	K_COMMENT,
	K_WIDGET,
	K_SORT,
	K_NOTIFY_TO,
	K_DEFAULT,
	K_ANY
} kind;

/*
 * A key of a definition table and the kind of its value. Required keys are written
 * unless a choice drops them, so that the choices' default (0, and every choice once
 * the input is used up) makes a definition the checker accepts: the fuzzer starts
 * from valid ground and each byte moves it somewhere else.
 */
typedef struct keydef {
	const char *key;
	kind k;
	bool required;
} keydef;

static const keydef app_keys[] = {
    {"title", K_TEXT, true},	    {"forms", K_FORMS, true}, {"roles", K_ROLE_MAP, true},
    {"description", K_TEXT, false}, {"owner", K_TEXT, false}, {"version", K_TEXT, false},
    {"privacy", K_PRIVACY, false},
};
static const keydef privacy_keys[] = {
    {"purpose", K_TEXT, true},	{"legal_basis", K_TEXT, false},	   {"retention_days", K_INT, false},
    {"contact", K_TEXT, false}, {"recipients", K_STR_LIST, false},
};
static const keydef form_keys[] = {
    {"id", K_FORM_ID, true},	  {"title", K_TEXT, true},	  {"fields", K_FIELDS, true},
    {"access", K_ACCESS, true},	  {"description", K_TEXT, false}, {"validate", K_FUNC, false},
    {"on_create", K_FUNC, false}, {"list", K_LIST, false},	  {"workflow", K_WORKFLOW, false},
};
/* Beyond name, type and label, which gen_field writes itself. */
static const keydef field_keys[] = {
    {"help", K_TEXT, false},
    {"required", K_BOOL, false},
    {"default", K_DEFAULT, false},
    {"placeholder", K_TEXT, false},
    {"readonly", K_BOOL, false},
    {"personal", K_BOOL, false},
    {"private", K_ROLE_LIST, false},
    {"editable_by", K_ROLE_LIST, false},
    {"renamed_from", K_FIELD_REF, false},
    {"visible_if", K_COND_MAP, false},
    {"required_if", K_COND_MAP, false},
    {"compute", K_FUNC, false},
    {"section", K_TEXT, false},
    {"min_length", K_INT, false},
    {"max_length", K_INT, false},
    {"pattern", K_PATTERN, false},
    {"pattern_message", K_TEXT, false},
    {"min", K_NUMBER_OR_DATE, false},
    {"max", K_NUMBER_OR_DATE, false},
    {"scale", K_INT, false},
    {"options", K_OPTIONS, false},
    {"widget", K_WIDGET, false},
    {"max_size", K_INT, false},
    {"accept", K_MIME_LIST, false},
    {"name", K_FIELD_NAME, false},
    {"type", K_TYPE, false},
    {"label", K_TEXT, false},
};
static const keydef access_keys[] = {
    {"create", K_ROLE_LIST, true},
    {"read", K_READ_MAP, true},
    {"update", K_ROLE_LIST, false},
    {"delete", K_ROLE_LIST, false},
};
static const keydef list_keys[] = {
    {"columns", K_FIELD_LIST, false}, {"filters", K_FIELD_LIST, false},
    {"search", K_FIELD_LIST, false},  {"sort", K_SORT, false},
    {"page_size", K_INT, false},
};
static const keydef workflow_keys[] = {
    {"initial", K_STATE_REF, true},
    {"states", K_STATES, true},
    {"transitions", K_TRANSITIONS, false},
    {"state_moves", K_STATE_MAP, false},
};
static const keydef state_keys[] = {
    {"id", K_STATE_ID, true},
    {"label", K_TEXT, true},
    {"final", K_BOOL, false},
    {"description", K_TEXT, false},
    {"editable_by", K_ROLE_LIST, false},
    {"due_days", K_INT, false},
};
static const keydef transition_keys[] = {
    {"id", K_TRANSITION_ID, true}, {"label", K_TEXT, true},	  {"from", K_STATE_OR_LIST, true},
    {"to", K_STATE_REF, true},	   {"roles", K_ROLE_LIST, true},  {"guard", K_FUNC, false},
    {"fields", K_FIELDS, false},   {"comment", K_COMMENT, false}, {"action", K_FUNC, false},
    {"notify", K_NOTIFY, false},   {"after_days", K_INT, false},  {"self_approval", K_BOOL, false},
};
static const keydef notify_keys[] = {
    {"to", K_NOTIFY_TO, true},
    {"subject", K_TEXT, true},
    {"body", K_TEXT, false},
};

#define NKEYS(a) (unsigned)(sizeof a / sizeof *a)

static void gen_kind(gen *g, kind k);

/* A table that may get a metatable: `setmetatable({...}, {...})`. */
static void open_table(gen *g, bool *meta)
{
	*meta = pick(g, 12) == 11;
	buf_puts(&g->out, *meta ? "setmetatable({" : "{");
	g->depth++;
}

static void close_table(gen *g, bool meta)
{
	g->depth--;
	buf_puts(&g->out, "}");
	if (meta)
		buf_printf(&g->out, ", %s)", metatables[pick(g, NPOOL(metatables))]);
}

static bool is_ident(const char *s)
{
	if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static void put_key(gen *g, const char *key)
{
	if (is_ident(key)) {
		buf_printf(&g->out, "%s = ", key);
	} else {
		buf_putc(&g->out, '[');
		put_cstr(g, key);
		buf_puts(&g->out, "] = ");
	}
}

/* A few optional entries: known keys (duplicates too), misspelt ones, positional values. */
static void gen_extras(gen *g, const keydef *keys, unsigned nkeys)
{
	unsigned n = pick(g, 4);
	for (unsigned i = 0; i < n && !full(g); i++) {
		unsigned c = pick(g, nkeys + 2);
		if (c < nkeys) {
			put_key(g, keys[c].key);
			gen_kind(g, keys[c].k);
		} else if (c == nkeys) {
			put_key(g, garbage_keys[pick(g, NPOOL(garbage_keys))]);
			gen_value_any(g);
		} else {
			gen_value_any(g);
		}
		buf_puts(&g->out, ", ");
	}
}

/* A map of `keys`: the required ones (each may be dropped), then a few extras. */
static void gen_map(gen *g, const keydef *keys, unsigned nkeys)
{
	bool meta;
	open_table(g, &meta);
	for (unsigned i = 0; i < nkeys && !full(g); i++) {
		if (!keys[i].required || pick(g, 16) == 15)
			continue;
		put_key(g, keys[i].key);
		gen_kind(g, keys[i].k);
		buf_puts(&g->out, ", ");
	}
	gen_extras(g, keys, nkeys);
	close_table(g, meta);
}

/* An array of min..max values of kind k (min by default), sometimes with holes. */
static void gen_array(gen *g, kind k, unsigned min, unsigned max)
{
	bool meta;
	open_table(g, &meta);
	unsigned n = min + pick(g, max - min + 1);
	for (unsigned i = 0; i < n && !full(g); i++) {
		unsigned how = pick(g, 16);
		if (how == 14)
			buf_puts(&g->out, "nil, ");
		else if (how == 15)
			buf_printf(&g->out, "[%u] = ", 1 + pick(g, 8));
		gen_kind(g, k);
		buf_puts(&g->out, ", ");
	}
	close_table(g, meta);
}

/* A map from pool keys (at least min entries) to values of kind k. */
static void gen_pool_map(gen *g, const char *const *pool, unsigned npool, kind k, unsigned min)
{
	bool meta;
	open_table(g, &meta);
	unsigned n = min + pick(g, 4);
	for (unsigned i = 0; i < n && !full(g); i++) {
		put_key(g, pool[(pick(g, npool) + i) % npool]);
		gen_kind(g, k);
		buf_puts(&g->out, ", ");
	}
	close_table(g, meta);
}

static void gen_string_from(gen *g, const char *const *pool, unsigned n)
{
	if (pick(g, 10) == 9)
		put_raw_string(g);
	else
		put_pool(g, pool, n);
}

/* A new name: by default the next one of the pool, so that siblings differ. */
static void gen_new_name(gen *g, const char *const *pool, unsigned n, unsigned *counter)
{
	if (pick(g, 10) == 9)
		put_raw_string(g);
	else
		put_cstr(g, pool[(pick(g, n) + (*counter)++) % n]);
}

static void gen_value_any(gen *g)
{
	if (full(g)) {
		buf_puts(&g->out, "nil");
		return;
	}
	switch (pick(g, 12)) {
	case 0:
		buf_puts(&g->out, "nil");
		break;
	case 1:
		buf_puts(&g->out, pick(g, 2) ? "true" : "false");
		break;
	case 2:
		gen_number(g);
		break;
	case 3:
		gen_string_from(g, texts, NPOOL(texts));
		break;
	case 4:
		gen_function(g);
		break;
	case 5:
		gen_array(g, K_ANY, 0, 3);
		break;
	case 6:
		gen_pool_map(g, field_names, NPOOL(field_names), K_ANY, 0);
		break;
	case 7:
		buf_puts(&g->out, "(function() local c = {} c[1] = c c.x = c return c end)()");
		break;
	case 8:
		buf_puts(&g->out, "_ENV");
		break;
	case 9:
		buf_puts(&g->out, "string");
		break;
	case 10:
		buf_puts(&g->out, "coroutine and coroutine.create(print) or print");
		break;
	default:
		put_raw_string(g);
		break;
	}
}

/* name, type and label, the options a choice needs, then a few other keys. */
static void gen_field(gen *g)
{
	bool meta;
	open_table(g, &meta);
	put_key(g, "name");
	gen_kind(g, K_FIELD_NAME);
	unsigned t = pick(g, NPOOL(type_names));
	buf_puts(&g->out, ", type = ");
	if (pick(g, 16) == 15)
		gen_value_any(g);
	else
		put_cstr(g, type_names[t]);
	buf_puts(&g->out, ", label = ");
	gen_kind(g, K_TEXT);
	buf_puts(&g->out, ", ");
	bool choice =
	    strcmp(type_names[t], "choice") == 0 || strcmp(type_names[t], "multichoice") == 0;
	if (choice && pick(g, 8) != 7) {
		buf_puts(&g->out, "options = ");
		gen_kind(g, K_OPTIONS);
		buf_puts(&g->out, ", ");
	}
	gen_extras(g, field_keys, NKEYS(field_keys));
	close_table(g, meta);
}

static void gen_kind(gen *g, kind k)
{
	if (full(g)) {
		buf_puts(&g->out, "nil");
		return;
	}
	/* One value in sixteen is of any type: wrong types everywhere. */
	if (pick(g, 16) == 15) {
		gen_value_any(g);
		return;
	}
	switch (k) {
	case K_TEXT:
		gen_string_from(g, texts, NPOOL(texts));
		break;
	case K_FORM_ID:
		gen_new_name(g, form_ids, NPOOL(form_ids), &g->nforms);
		break;
	case K_FIELD_NAME:
		gen_new_name(g, field_names, NPOOL(field_names), &g->nfields);
		break;
	case K_FIELD_REF:
		gen_string_from(g, field_names, NPOOL(field_names));
		break;
	case K_STATE_ID:
		gen_new_name(g, states, NPOOL(states), &g->nstates);
		break;
	case K_STATE_REF:
		gen_string_from(g, states, NPOOL(states));
		break;
	case K_TRANSITION_ID:
		gen_string_from(g, form_ids, NPOOL(form_ids));
		break;
	case K_TYPE:
		gen_string_from(g, type_names, NPOOL(type_names));
		break;
	case K_ROLE:
		gen_string_from(g, roles, NPOOL(roles));
		break;
	case K_BOOL:
		buf_puts(&g->out, pick(g, 2) ? "false" : "true");
		break;
	case K_INT:
		gen_number(g);
		break;
	case K_NUMBER_OR_DATE:
		if (pick(g, 2))
			gen_string_from(g, date_bounds, NPOOL(date_bounds));
		else
			gen_number(g);
		break;
	case K_PATTERN:
		gen_string_from(g, patterns, NPOOL(patterns));
		break;
	case K_FUNC:
		gen_function(g);
		break;
	case K_ROLE_LIST:
		gen_array(g, K_ROLE, 1, 3);
		break;
	case K_FIELD_LIST:
		gen_array(g, K_FIELD_REF, 1, 4);
		break;
	case K_STR_LIST:
		gen_array(g, K_TEXT, 0, 2);
		break;
	case K_MIME:
		gen_string_from(g, mimes, NPOOL(mimes));
		break;
	case K_MIME_LIST:
		gen_array(g, K_MIME, 1, 3);
		break;
	case K_STATE_OR_LIST:
		if (pick(g, 2))
			gen_array(g, K_STATE_REF, 1, 3);
		else
			gen_kind(g, K_STATE_REF);
		break;
	case K_READ_MAP: {
		bool meta;
		open_table(g, &meta);
		unsigned n = 1 + pick(g, 3);
		for (unsigned i = 0; i < n; i++) {
			put_key(g, roles[(pick(g, NPOOL(roles)) + i) % NPOOL(roles)]);
			unsigned how = pick(g, 3);
			put_cstr(g, how == 0 ? "all" : how == 1 ? "own" : "some");
			buf_puts(&g->out, ", ");
		}
		close_table(g, meta);
		break;
	}
	case K_ROLE_MAP:
		gen_pool_map(g, roles, NPOOL(roles), K_TEXT, 1);
		break;
	case K_STATE_MAP:
		gen_pool_map(g, states, NPOOL(states), K_STATE_REF, 0);
		break;
	case K_COND_MAP: {
		bool meta;
		open_table(g, &meta);
		unsigned n = 1 + pick(g, 2);
		for (unsigned i = 0; i < n; i++) {
			put_key(g, field_names[pick(g, NPOOL(field_names))]);
			switch (pick(g, 4)) {
			case 0:
				put_pool(g, options, NPOOL(options));
				break;
			case 1:
				buf_puts(&g->out, "true");
				break;
			case 2:
				gen_number(g);
				break;
			default:
				gen_array(g, K_ANY, 1, 2);
				break;
			}
			buf_puts(&g->out, ", ");
		}
		close_table(g, meta);
		break;
	}
	case K_OPTIONS: {
		bool meta;
		open_table(g, &meta);
		unsigned n = 1 + pick(g, 4);
		for (unsigned i = 0; i < n; i++) {
			const char *v = options[(pick(g, NPOOL(options)) + i) % NPOOL(options)];
			if (pick(g, 2) == 0) {
				put_cstr(g, v);
			} else {
				buf_puts(&g->out, "{ ");
				put_cstr(g, v);
				buf_puts(&g->out, ", ");
				gen_kind(g, K_TEXT);
				buf_puts(&g->out, " }");
			}
			buf_puts(&g->out, ", ");
		}
		close_table(g, meta);
		break;
	}
	case K_APP:
		gen_map(g, app_keys, NKEYS(app_keys));
		break;
	case K_FORM:
		gen_map(g, form_keys, NKEYS(form_keys));
		break;
	case K_FORMS:
		gen_array(g, K_FORM, 1, 2);
		break;
	case K_FIELD:
		gen_field(g);
		break;
	case K_FIELDS:
		gen_array(g, K_FIELD, 1, 5);
		break;
	case K_ACCESS:
		gen_map(g, access_keys, NKEYS(access_keys));
		break;
	case K_LIST:
		gen_map(g, list_keys, NKEYS(list_keys));
		break;
	case K_WORKFLOW:
		gen_map(g, workflow_keys, NKEYS(workflow_keys));
		break;
	case K_STATE_DEF:
		gen_map(g, state_keys, NKEYS(state_keys));
		break;
	case K_STATES:
		gen_array(g, K_STATE_DEF, 1, 4);
		break;
	case K_TRANSITION:
		gen_map(g, transition_keys, NKEYS(transition_keys));
		break;
	case K_TRANSITIONS:
		gen_array(g, K_TRANSITION, 0, 3);
		break;
	case K_NOTIFY:
		if (pick(g, 2))
			gen_array(g, K_NOTIFY, 1, 2);
		else
			gen_map(g, notify_keys, NKEYS(notify_keys));
		break;
	case K_PRIVACY:
		gen_map(g, privacy_keys, NKEYS(privacy_keys));
		break;
	case K_COMMENT: {
		unsigned how = pick(g, 3);
		put_cstr(g, how == 0 ? "optional" : how == 1 ? "required" : "souvent");
		break;
	}
	case K_WIDGET: {
		unsigned how = pick(g, 3);
		put_cstr(g, how == 0 ? "radio" : how == 1 ? "select" : "slider");
		break;
	}
	case K_SORT: {
		static const char *const sorts[] = {
		    "-created_at", "objet", "-quantite", "state", "id",
		    "+x",	   "-",	    "",		 "--id",  "updated_at"};
		gen_string_from(g, sorts, NPOOL(sorts));
		break;
	}
	case K_NOTIFY_TO:
		gen_string_from(g, notify_to, NPOOL(notify_to));
		break;
	case K_DEFAULT:
		switch (pick(g, 4)) {
		case 0:
			put_pool(g, options, NPOOL(options));
			break;
		case 1:
			gen_number(g);
			break;
		case 2:
			buf_puts(&g->out, pick(g, 2) ? "true" : "false");
			break;
		default:
			gen_array(g, K_ANY, 1, 2);
			break;
		}
		break;
	case K_ANY:
		gen_value_any(g);
		break;
	}
}

/* app.lua from the generator's choices. */
static void generate(const uint8_t *data, size_t size, buf *out)
{
	gen g = {.p = data, .n = size, .out = BUF_INIT};
	buf_puts(&g.out, "-- generated by tests/fuzz/definition.c\n");
	unsigned pro = pick(&g, NPOOL(prologues) * 4);
	if (pro < NPOOL(prologues))
		buf_puts(&g.out, prologues[pro]);
	buf_puts(&g.out, "return ");
	gen_kind(&g, K_APP);
	buf_putc(&g.out, '\n');
	*out = g.out;
}

/* ---- what an accepted definition must be ---- */

static bool ident_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static void check_conds(const def_form *f, const def_condset *cs, const char *what,
			const char *field)
{
	for (size_t i = 0; i < cs->n; i++) {
		const def_cond *c = &cs->v[i];
		FUZZ_CHECK(c->col >= 0 && (size_t)c->col < f->ncols &&
			       strcmp(f->cols[c->col]->name, c->field) == 0,
			   "%s of %s.%s names \"%s\" but points at column %d", what, f->id, field,
			   c->field, c->col);
		FUZZ_CHECK(c->values.n > 0, "%s of %s.%s without a value", what, f->id, field);
	}
}

static void check_field(const def_form *f, const def_field *fd)
{
	FUZZ_CHECK((unsigned)fd->type < FT__COUNT, "field %s: type %d", fd->name, (int)fd->type);
	if (fd->type == FT_SECTION) {
		FUZZ_CHECK(fd->col == -1, "section %s has a column", fd->name ? fd->name : "?");
		return;
	}
	FUZZ_CHECK(ident_ok(fd->name, 40) && !def_is_system_name(fd->name),
		   "field name \"%s\" accepted", fd->name);
	FUZZ_CHECK(fd->col >= 0 && (size_t)fd->col < f->ncols && f->cols[fd->col] == fd,
		   "field %s.%s: column %d does not hold it", f->id, fd->name, fd->col);
	FUZZ_CHECK(def_find_col(f, fd->name) == fd->col, "field %s.%s: found at another column",
		   f->id, fd->name);
	FUZZ_CHECK(!fd->has_min || !fd->has_max || fd->min <= fd->max,
		   "field %s.%s: min %g > max %g", f->id, fd->name, fd->min, fd->max);
	FUZZ_CHECK(fd->min_length < 0 || fd->max_length < 0 || fd->min_length <= fd->max_length,
		   "field %s.%s: min_length > max_length", f->id, fd->name);
	if (fd->type == FT_CHOICE || fd->type == FT_MULTICHOICE) {
		FUZZ_CHECK(fd->noptions > 0, "choice %s.%s without options", f->id, fd->name);
		for (size_t i = 0; i < fd->noptions; i++)
			FUZZ_CHECK(fd->options[i].value && fd->options[i].label,
				   "choice %s.%s: option %zu incomplete", f->id, fd->name, i);
	}
	check_conds(f, &fd->visible_if, "visible_if", fd->name);
	check_conds(f, &fd->required_if, "required_if", fd->name);
}

static void check_definition(const def_app *app)
{
	FUZZ_CHECK(app->id && app->title && app->hash, "definition without id, title or hash");
	FUZZ_CHECK(app->nforms > 0, "definition without forms");
	for (size_t i = 0; i < app->nroles; i++) {
		const char *r = app->roles[i].id;
		FUZZ_CHECK(ident_ok(r, SIZE_MAX) && !def_is_reserved_role(r),
			   "role \"%s\" accepted", r);
	}
	for (size_t fi = 0; fi < app->nforms; fi++) {
		const def_form *f = &app->forms[fi];
		FUZZ_CHECK(ident_ok(f->id, 40), "form id \"%s\" accepted", f->id);
		FUZZ_CHECK(def_find_form(app, f->id) == f, "form id \"%s\" twice", f->id);
		FUZZ_CHECK(f->list.page_size >= 1 && f->list.page_size <= 500,
			   "form %s: page_size %d", f->id, f->list.page_size);
		for (size_t c = 0; c < f->ncols; c++)
			FUZZ_CHECK(f->cols[c] && f->cols[c]->col == (int)c &&
				       f->cols[c]->type != FT_SECTION,
				   "form %s: column %zu is not what it says", f->id, c);
		for (size_t k = 0; k < f->nfields; k++)
			check_field(f, &f->fields[k]);
		const char *const *lists[] = {f->list.columns.v, f->list.filters.v,
					      f->list.search.v};
		size_t nlists[] = {f->list.columns.n, f->list.filters.n, f->list.search.n};
		for (size_t l = 0; l < 3; l++)
			for (size_t k = 0; k < nlists[l]; k++)
				FUZZ_CHECK(def_find_col(f, lists[l][k]) >= 0 ||
					       def_is_system_name(lists[l][k]),
					   "form %s: list names unknown field \"%s\"", f->id,
					   lists[l][k]);
		const def_workflow *w = f->workflow;
		if (!w)
			continue;
		FUZZ_CHECK(w->nstates > 0 && w->initial_index >= 0 &&
			       (size_t)w->initial_index < w->nstates &&
			       strcmp(w->states[w->initial_index].id, w->initial) == 0,
			   "form %s: initial state \"%s\" at %d", f->id, w->initial,
			   w->initial_index);
		for (size_t s = 0; s < w->nstates; s++) {
			FUZZ_CHECK(ident_ok(w->states[s].id, 40), "state id \"%s\" accepted",
				   w->states[s].id);
			FUZZ_CHECK(def_find_state(w, w->states[s].id) == (int)s,
				   "state \"%s\" twice", w->states[s].id);
		}
		for (size_t t = 0; t < w->ntransitions; t++) {
			const def_transition *tr = &w->transitions[t];
			FUZZ_CHECK(ident_ok(tr->id, 40), "transition id \"%s\" accepted", tr->id);
			FUZZ_CHECK(tr->to_index >= 0 && (size_t)tr->to_index < w->nstates &&
				       strcmp(w->states[tr->to_index].id, tr->to) == 0,
				   "transition %s: to \"%s\" at %d", tr->id, tr->to, tr->to_index);
			FUZZ_CHECK(tr->from.n > 0, "transition %s from nowhere", tr->id);
			for (size_t k = 0; k < tr->from.n; k++)
				FUZZ_CHECK(
				    tr->from_index[k] >= 0 &&
					(size_t)tr->from_index[k] < w->nstates &&
					strcmp(w->states[tr->from_index[k]].id, tr->from.v[k]) == 0,
				    "transition %s: from \"%s\" at %d", tr->id, tr->from.v[k],
				    tr->from_index[k]);
			for (size_t k = 0; k < tr->nfields; k++) {
				const def_field *fd = &tr->fields[k];
				FUZZ_CHECK(fd->type != FT_SECTION && fd->col >= 0 &&
					       (size_t)fd->col < f->ncols &&
					       strcmp(f->cols[fd->col]->name, fd->name) == 0,
					   "transition %s: field %s at column %d", tr->id, fd->name,
					   fd->col);
			}
			FUZZ_CHECK(tr->guard <= app->nhooks && tr->action <= app->nhooks,
				   "transition %s: hook id past %d", tr->id, app->nhooks);
		}
		FUZZ_CHECK(f->validate <= app->nhooks && f->on_create <= app->nhooks,
			   "form %s: hook id past %d", f->id, app->nhooks);
	}
}

/* A fresh database takes the definition, and its hooks open, as serving it will. */
static void check_serves(const def_app *app)
{
	char err[STORE_ERR_LEN] = "";
	store *s = store_open(backend, app->id, err);
	FUZZ_CHECK(s != NULL, "store_open: %s", err);
	int rc = store_migrate(s, app, util_now(), err);
	FUZZ_CHECK(rc == STORE_OK,
		   "an accepted definition does not migrate a fresh database: %d %s", rc, err);
	store_close(s);
	/* Fresh for the next one: the backend keeps an app's database in <data>/apps/<id>.db. */
	static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		char p[PATH_MAX * 2];
		snprintf(p, sizeof p, "%s/apps/%s.db%s", db_dir, app->id, ext[i]);
		unlink(p);
	}
	if (app->nhooks > 0) {
		char serr[SANDBOX_ERR] = "";
		sandbox *sb = sandbox_open(app, fuzz_stdlib(), serr);
		FUZZ_CHECK(sb != NULL, "an accepted definition's hooks cannot be opened: %s", serr);
		sandbox_close(sb);
	}
}

static bool is_text(const uint8_t *d, size_t n)
{
	return (n >= 2 && memcmp(d, "--", 2) == 0) || (n >= 6 && memcmp(d, "return", 6) == 0) ||
	       (n >= 5 && memcmp(d, "local", 5) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 128 * 1024)
		return 0;
	buf text = BUF_INIT;
	if (is_text(data, size))
		buf_add(&text, data, size);
	else
		generate(data, size, &text);
	fuzz_write_file(app_file, text.data ? text.data : "", text.len);
	if (getenv("FUZZ_SHOW"))
		fprintf(stderr, "---- app.lua\n%s\n----\n", buf_cstr(&text));
	buf_free(&text);

	diags d = {0};
	def_app *app = loader_load(app_dir, fuzz_stdlib(), &limits, &d);
	FUZZ_CHECK(!app || d.n == 0, "a definition accepted with %zu diagnostics (first: %s)", d.n,
		   d.v[0].message);
	FUZZ_CHECK(app || d.n > 0, "a definition refused without a diagnostic");
	if (getenv("FUZZ_SHOW"))
		diags_print(&d, stderr);
	for (size_t i = 0; i < d.n; i++) {
		const char *m = d.v[i].message;
		FUZZ_CHECK(m && m[0], "a diagnostic without a message");
		/* Else `check --json` drops it (jansson refuses such strings). */
		FUZZ_CHECK(fuzz_utf8_valid(m, strlen(m)), "a diagnostic that is not UTF-8: %s", m);
		char line[2048];
		diag_format(&d.v[i], line, sizeof line);
	}
	/* `smallapps check --json` gives the same list: nothing may get lost on the way. */
	json_t *all = diags_json(&d);
	FUZZ_CHECK(json_array_size(all) == d.n, "check --json lists %zu of %zu diagnostics",
		   json_array_size(all), d.n);
	for (size_t i = 0; i < d.n; i++)
		FUZZ_CHECK(json_is_string(json_object_get(json_array_get(all, i), "message")) &&
			       json_is_string(json_object_get(json_array_get(all, i), "text")),
			   "check --json drops the message of \"%s\"", d.v[i].message);
	json_decref(all);
	diags_free(&d);
	if (app) {
		if (getenv("FUZZ_SHOW"))
			fprintf(stderr, "accepted: %zu form(s), %d hook(s)\n", app->nforms,
				app->nhooks);
		check_definition(app);
		check_serves(app);
		def_app_free(app);
	}
	/* Each load leaves this thread's Lua states cached: free them, as a server would not. */
	sandbox_thread_cleanup();
	return 0;
}
