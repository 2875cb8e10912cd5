/*
 * test_sandbox — the Lua sandbox as sandbox.h promises it (SPEC 9, STYLE 9-15).
 *
 * Probes written to temporary app folders: the allowlisted environment (enumerated),
 * read-only libraries, text-only load, require limited to stdlib-lua/ and the app's
 * lib/, the engine clock, the deterministic copy of the definition, the instruction
 * budget and the memory cap (pcall in app code cannot swallow either; the state
 * serves the next call), errors with file:line (and, for a hook's, the app frames it
 * went through, bounded), failing the Nth allocation, hook calls (validate, compute,
 * mutate, guard, ctx) and isolation between app states.
 * Run from the repository root (the binary finds it from build/tests/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appsrc.h"
#include "buf.h"
#include "def.h"
#include "diag.h"
#include "loader.h"
#include "log.h"
#include "record.h"
#include "sandbox.h"
#include "util.h"

#define STDLIB "stdlib-lua"
#define NOW_ISO "2026-03-15T10:30:00Z"

/* ------------------------------------------------------------------ fixtures */

typedef struct tmpapp {
	char root[64];
	char dir[160];
	char file[200];
} tmpapp;

static void write_at(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void app_make(tmpapp *t, const char *id, const char *lua)
{
	strcpy(t->root, "/tmp/test_sandbox.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->dir, sizeof t->dir, "%s/%s", t->root, id);
	assert_int_equal(mkdir(t->dir, 0700), 0);
	snprintf(t->file, sizeof t->file, "%s/app.lua", t->dir);
	write_at(t->file, lua);
}

/* Writes <dir>/<rel>, creating lib/ and lib/sous/ as needed. */
static void app_write(const tmpapp *t, const char *rel, const char *text)
{
	char path[400];
	snprintf(path, sizeof path, "%s/lib", t->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/lib/sous", t->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/%s", t->dir, rel);
	write_at(path, text);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void app_rm(tmpapp *t)
{
	nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs lua as app.lua of a new app folder; the state must come up. */
static sandbox *run(tmpapp *t, const char *lua, const sandbox_limits *lim)
{
	char err[SANDBOX_ERR] = "";
	app_make(t, "sonde", lua);
	sandbox *sb = sandbox_new(t->dir, STDLIB, lim, err);
	if (!sb)
		fail_msg("sandbox_new: %s", err);
	assert_null(sandbox_app(sb));
	return sb;
}

/* The definition key `key` (string keys are sorted, as sandbox.h says). */
static const defval *dv(const defval *t, const char *key)
{
	assert_non_null(t);
	assert_int_equal(t->kind, DV_TABLE);
	for (size_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].key, key) == 0)
			return t->fields[i].val;
	fail_msg("no key \"%s\" in the definition", key);
	return NULL;
}

static const char *dv_s(const defval *t, const char *key)
{
	const defval *v = dv(t, key);
	if (v->kind != DV_STR)
		fail_msg("\"%s\" is not a string (kind %d)", key, (int)v->kind);
	return v->s;
}

static void assert_contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		fail_msg("\"%s\" does not contain \"%s\"", s ? s : "(null)", part);
}

/* 1-based line of the first line of src containing marker. */
static int line_of(const char *src, const char *marker)
{
	const char *p = strstr(src, marker);
	if (!p)
		fail_msg("marker %s not found", marker);
	int line = 1;
	for (const char *q = src; q < p; q++)
		line += *q == '\n';
	return line;
}

/* ------------------------------------------------------------------ the environment */

static void environment_is_exactly_the_allowlist(void **st)
{
	(void)st;
	tmpapp t;
	const char *lua =
		"local names = { 'assert', 'collectgarbage', 'dofile', 'error', 'getmetatable',\n"
		"  'ipairs', 'load', 'loadfile', 'next', 'pairs', 'pcall', 'print', 'rawequal',\n"
		"  'rawget', 'rawlen', 'rawset', 'require', 'select', 'setmetatable', 'tonumber',\n"
		"  'tostring', 'type', 'warn', 'xpcall', '_G', '_VERSION', 'coroutine', 'debug', 'io',\n"
		"  'math', 'os', 'package', 'string', 'table', 'utf8', 'unpack', 'loadstring',\n"
		"  'setfenv', 'getfenv', 'module', 'gcinfo', 'newproxy', 'bit32', '_ENV' }\n"
		"local present, absent = {}, {}\n"
		"for _, n in ipairs(names) do\n"
		"  local ok, v = pcall(function() return _ENV[n] end)\n"
		"  if ok and v ~= nil then present[#present + 1] = n else absent[#absent + 1] = n end\n"
		"end\n"
		"table.sort(present)\n"
		"table.sort(absent)\n"
		"local _, io_msg = pcall(function() return io end)\n"
		"return { present = table.concat(present, ','), absent = table.concat(absent, ','),\n"
		"         io = io_msg, G = type(next(_ENV)) }\n";
	sandbox *sb = run(&t, lua, NULL);
	const defval *d = sandbox_definition(sb);
	assert_string_equal(dv_s(d, "present"),
	                    "_VERSION,assert,error,getmetatable,ipairs,load,math,next,os,pairs,pcall,"
	                    "print,rawequal,rawget,rawlen,rawset,require,select,setmetatable,string,"
	                    "table,tonumber,tostring,type,utf8,xpcall");
	assert_string_equal(dv_s(d, "absent"),
	                    "_ENV,_G,bit32,collectgarbage,coroutine,debug,dofile,gcinfo,getfenv,io,"
	                    "loadfile,loadstring,module,newproxy,package,setfenv,unpack,warn");
	/* reading an unknown global is an error at its line, not nil */
	char want[300];
	snprintf(want, sizeof want, "%s:%d: variable globale inconnue \"io\"", t.file,
	         line_of(lua, "io_msg = pcall"));
	assert_string_equal(dv_s(d, "io"), want);
	/* a chunk's _ENV is empty: everything is read through */
	assert_string_equal(dv_s(d, "G"), "nil");
	sandbox_close(sb);
	app_rm(&t);
}

static void libraries_hold_only_the_safe_functions(void **st)
{
	(void)st;
	tmpapp t;
	sandbox *sb = run(&t,
		"local function keys(t)\n"
		"  local k = {}\n"
		"  for n in pairs(t) do k[#k + 1] = n end\n"
		"  table.sort(k)\n"
		"  return table.concat(k, ',')\n"
		"end\n"
		"return { string = keys(string), table = keys(table), utf8 = keys(utf8), os = keys(os),\n"
		"         math = keys(math), dump = type(string.dump), seed = type(math.randomseed),\n"
		"         execute = type(os.execute), getenv = type(os.getenv), remove = type(os.remove),\n"
		"         exit = type(os.exit), method = ('abc'):upper(), strmeta = tostring(getmetatable('')),\n"
		"         libmeta = tostring(getmetatable(string)) }\n",
		NULL);
	const defval *d = sandbox_definition(sb);
	assert_string_equal(dv_s(d, "string"), "byte,char,find,format,gmatch,gsub,len,lower,match,"
	                    "pack,packsize,rep,reverse,sub,unpack,upper");
	assert_string_equal(dv_s(d, "table"), "concat,insert,move,pack,remove,sort,unpack");
	assert_string_equal(dv_s(d, "utf8"), "char,charpattern,codepoint,codes,len,offset");
	assert_string_equal(dv_s(d, "os"), "clock,date,time");
	/* math depends on the build's compatibility options, except for the seed */
	const char *m = dv_s(d, "math");
	assert_contains(m, "abs,");
	assert_contains(m, "floor,");
	assert_contains(m, "maxinteger,");
	assert_contains(m, "random,");
	assert_null(strstr(m, "randomseed"));
	assert_string_equal(dv_s(d, "dump"), "nil");
	assert_string_equal(dv_s(d, "seed"), "nil");
	assert_string_equal(dv_s(d, "execute"), "nil");
	assert_string_equal(dv_s(d, "getenv"), "nil");
	assert_string_equal(dv_s(d, "remove"), "nil");
	assert_string_equal(dv_s(d, "exit"), "nil");
	assert_string_equal(dv_s(d, "method"), "ABC");   /* string methods still work */
	assert_string_equal(dv_s(d, "strmeta"), "false");
	assert_string_equal(dv_s(d, "libmeta"), "false");
	sandbox_close(sb);
	app_rm(&t);
}

static void libraries_and_environments_are_read_only(void **st)
{
	(void)st;
	tmpapp t;
	sandbox *sb = run(&t,
		"local function msg(f) local ok, e = pcall(f); return ok and 'ok' or e end\n"
		"return {\n"
		"  lib = msg(function() string.upper = nil end),\n"
		"  rawlib = msg(function() rawset(string, 'x', 1) end),\n"
		"  rawenv = msg(function() rawset(_ENV, 'x', 1) end),\n"
		"  global = msg(function() x = 1 end),\n"
		"  envmeta = msg(function() setmetatable(_ENV, nil) end),\n"
		"  gc = msg(function() setmetatable({}, { __gc = function() end }) end),\n"
		"  own = msg(function() local t = setmetatable({}, {}); rawset(t, 'a', 1); t.b = 2 end),\n"
		"  still = string.upper('a'),\n"
		"}\n",
		NULL);
	const defval *d = sandbox_definition(sb);
	assert_contains(dv_s(d, "lib"), "bibliothèque en lecture seule : impossible de modifier \"upper\"");
	assert_contains(dv_s(d, "rawlib"), "rawset : table protégée (lecture seule)");
	assert_contains(dv_s(d, "rawenv"), "rawset : table protégée (lecture seule)");
	char want[300];
	snprintf(want, sizeof want, "%s:6: affectation de la variable globale \"x\" interdite "
	         "(déclarez-la avec local)", t.file);
	assert_string_equal(dv_s(d, "global"), want);
	assert_contains(dv_s(d, "envmeta"), "cannot change a protected metatable");
	assert_contains(dv_s(d, "gc"), "setmetatable : __gc est interdit dans le bac à sable");
	assert_string_equal(dv_s(d, "own"), "ok");
	assert_string_equal(dv_s(d, "still"), "A");
	sandbox_close(sb);
	app_rm(&t);
}

static void load_accepts_lua_text_only(void **st)
{
	(void)st;
	tmpapp t;
	sandbox *sb = run(&t,
		"local bin = '\\27Lua' .. string.rep('\\0', 24)\n"
		"local f1, e1 = load(bin)\n"
		"local f2, e2 = load('return 1', 'x', 'b')\n"
		"local f3, e3 = load(bin, 'x', 'bt')\n"
		"local f4 = load('return 6 * 7')\n"
		"local f5, e5 = load(function() return nil end)\n"
		"local ok6, e6 = pcall(load('y = 1'))\n"
		"local f7 = load('return z', 'ch', 't', { z = 'env donné' })\n"
		"local f8, e8 = load('return +', '=morceau')\n"
		"local _, e9 = pcall(load('return io'))\n"
		"return { f1 = type(f1), e1 = e1, f2 = type(f2), e2 = e2, e3 = e3, r4 = f4(), e5 = e5,\n"
		"         ok6 = ok6, e6 = e6, r7 = f7(), e8 = e8, e9 = e9 }\n",
		NULL);
	const defval *d = sandbox_definition(sb);
	assert_string_equal(dv_s(d, "f1"), "nil");
	assert_string_equal(dv_s(d, "e1"), "attempt to load a binary chunk (mode is 't')");
	assert_string_equal(dv_s(d, "f2"), "nil");
	assert_string_equal(dv_s(d, "e2"), "load : seuls les morceaux texte sont acceptés");
	assert_string_equal(dv_s(d, "e3"), "attempt to load a binary chunk (mode is 't')");
	assert_int_equal(dv(d, "r4")->kind, DV_INT);
	assert_int_equal(dv(d, "r4")->i, 42);
	assert_string_equal(dv_s(d, "e5"), "load : seul un texte Lua est accepté");
	/* loaded text gets its own protected _ENV, with the same library */
	assert_int_equal(dv(d, "ok6")->kind, DV_BOOL);
	assert_false(dv(d, "ok6")->b);
	assert_string_equal(dv_s(d, "e6"), "(load):1: affectation de la variable "
	                    "globale \"y\" interdite (déclarez-la avec local)");
	assert_string_equal(dv_s(d, "r7"), "env donné");
	assert_string_equal(dv_s(d, "e8"), "morceau:1: unexpected symbol near '+'");
	assert_string_equal(dv_s(d, "e9"), "(load):1: variable globale inconnue \"io\"");
	sandbox_close(sb);
	app_rm(&t);
}

static void require_reaches_stdlib_and_the_apps_lib_only(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "modules",
		"local function msg(n) local ok, e = pcall(require, n); return ok and 'ok' or e end\n"
		"local fr, fr2 = require 'smallapps.fr', require 'smallapps.fr'\n"
		"local o = require 'lib.outils'\n"
		"return { fr = fr.siren('732829320') or 'non', same = rawequal(fr, fr2),\n"
		"  outils = o.nom, sous = require('lib.sous.module').nom, vide = require('lib.vide'),\n"
		"  up = msg('../app'), up2 = msg('lib/../../secret'), abs = msg('/etc/passwd'),\n"
		"  dots = msg('lib..outils'), os = msg('os'), io = msg('io'), debug = msg('debug'),\n"
		"  absent = msg('lib.absent'), std = msg('smallapps.absent'), bare = msg('lib'),\n"
		"  secret = msg('secret'), upper = msg('Lib.outils'), global = msg('lib.global') }\n");
	app_write(&t, "lib/outils.lua", "return { nom = 'outils' }\n");
	app_write(&t, "lib/sous/module.lua", "return { nom = 'sous-module' }\n");
	app_write(&t, "lib/vide.lua", "local x = 1\n");
	app_write(&t, "lib/global.lua", "fuite = true\nreturn 1\n");
	char secret[300];
	snprintf(secret, sizeof secret, "%s/secret.lua", t.root);
	write_at(secret, "return 'secret'\n");
	char err[SANDBOX_ERR];
	sandbox *sb = sandbox_new(t.dir, STDLIB, NULL, err);
	if (!sb)
		fail_msg("%s", err);
	const defval *d = sandbox_definition(sb);
	assert_string_equal(dv_s(d, "fr"), "732829320");
	assert_true(dv(d, "same")->kind == DV_BOOL && dv(d, "same")->b);   /* loaded once */
	assert_string_equal(dv_s(d, "outils"), "outils");
	assert_string_equal(dv_s(d, "sous"), "sous-module");
	assert_true(dv(d, "vide")->kind == DV_BOOL && dv(d, "vide")->b);  /* nil becomes true */
	static const char *const invalid[] = {"up", "up2", "abs", "dots", "upper"};
	for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
		assert_contains(dv_s(d, invalid[i]), "require : nom de module invalide");
	assert_string_equal(dv_s(d, "up"), "require : nom de module invalide \"../app\" "
	                    "(lettres minuscules, chiffres, _ et . seulement)");
	assert_string_equal(dv_s(d, "os"), "require : module \"os\" indisponible (seuls "
	                    "\"smallapps.*\" et \"lib.*\" le sont)");
	assert_contains(dv_s(d, "io"), "module \"io\" indisponible");
	assert_contains(dv_s(d, "debug"), "module \"debug\" indisponible");
	assert_contains(dv_s(d, "bare"), "module \"lib\" indisponible");
	assert_contains(dv_s(d, "secret"), "module \"secret\" indisponible");
	char want[400];
	snprintf(want, sizeof want, "require \"lib.absent\" : module introuvable (%s/lib/absent.lua)",
	         t.dir);
	assert_string_equal(dv_s(d, "absent"), want);
	assert_string_equal(dv_s(d, "std"), "require \"smallapps.absent\" : module introuvable "
	                    "(stdlib-lua/smallapps/absent.lua)");
	/* a module has its own protected _ENV too */
	snprintf(want, sizeof want, "%s/lib/global.lua:1: affectation de la variable globale "
	         "\"fuite\" interdite (déclarez-la avec local)", t.dir);
	assert_string_equal(dv_s(d, "global"), want);
	sandbox_close(sb);
	app_rm(&t);
}

/*
 * smallapps.fr_natif (sandbox_fr.c, the French checks of the field types) is the one
 * native module: preloaded, read-only, reached through require like the stdlib. No
 * other native module is found, whatever the name or the file lying around.
 */
static void the_only_native_module_is_the_preloaded_french_checks(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "natif",
		"local function msg(n) local ok, e = pcall(require, n); return ok and 'ok' or e end\n"
		"local n, fr = require 'smallapps.fr_natif', require 'smallapps.fr'\n"
		"local ok, ro = pcall(function() n.siren = print end)\n"
		"local _, cle = n.iban('FR0630006000011234567890188')\n"
		"return { siren = n.siren('443 061 841'), cle = cle, same = rawequal(n, require 'smallapps.fr_natif'),\n"
		"  fr = fr.siret == n.siret and fr.luhn == n.luhn, ro = ro, fr_len = fr.IBAN_LENGTH.FR,\n"
		"  so = msg('lib.natif'), autre = msg('smallapps.fr_natif2'), lpeg = msg('lpeg'),\n"
		"  socket = msg('socket.core') }\n");
	app_write(&t, "lib/natif.so", "\x7f" "ELF\n");
	char err[SANDBOX_ERR];
	sandbox *sb = sandbox_new(t.dir, STDLIB, NULL, err);
	if (!sb)
		fail_msg("%s", err);
	const defval *d = sandbox_definition(sb);
	assert_string_equal(dv_s(d, "siren"), "443061841");
	assert_string_equal(dv_s(d, "cle"), "Cet IBAN n'est pas valide (clé RIB erronée).");
	assert_true(dv(d, "same")->kind == DV_BOOL && dv(d, "same")->b);
	assert_true(dv(d, "fr")->kind == DV_BOOL && dv(d, "fr")->b); /* fr.lua's are these */
	assert_contains(dv_s(d, "ro"), "lecture seule");
	assert_int_equal(dv(d, "fr_len")->i, 27);
	char want[400];
	snprintf(want, sizeof want, "require \"lib.natif\" : module introuvable (%s/lib/natif.lua)",
	         t.dir);
	assert_string_equal(dv_s(d, "so"), want);
	assert_string_equal(dv_s(d, "autre"), "require \"smallapps.fr_natif2\" : module "
	                    "introuvable (stdlib-lua/smallapps/fr_natif2.lua)");
	assert_contains(dv_s(d, "lpeg"), "module \"lpeg\" indisponible");
	assert_contains(dv_s(d, "socket"), "module \"socket.core\" indisponible");
	sandbox_close(sb);
	app_rm(&t);
}

static void unknown_global_suggests_the_allowed_name(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "faute", "local x = 1\npirnt('x')\nreturn {}\n");
	char err[SANDBOX_ERR];
	assert_null(sandbox_new(t.dir, STDLIB, NULL, err));
	char want[300];
	snprintf(want, sizeof want, "%s:2: variable globale inconnue \"pirnt\" "
	         "(vouliez-vous dire \"print\" ?)", t.file);
	assert_string_equal(err, want);
	app_rm(&t);
}

static void clock_and_random_come_from_the_engine(void **st)
{
	(void)st;
	const char *lua =
		"return { t = os.time(), d = os.date('%Y-%m-%d %H:%M'), h = os.date('*t').hour,\n"
		"         t2 = os.time({ year = 2026, month = 1, day = 2 }), c = math.type(os.clock()),\n"
		"         r = math.random(1000000000) }\n";
	tmpapp t1, t2;
	sandbox *a = run(&t1, lua, NULL), *b = run(&t2, lua, NULL);
	const defval *d = sandbox_definition(a);
	time_t now;
	assert_true(util_parse_datetime(NOW_ISO, &now));
	assert_int_equal(util_now(), now);
	assert_int_equal(dv(d, "t")->i, (int64_t)now);
	assert_string_equal(dv_s(d, "d"), "2026-03-15 10:30");   /* UTC */
	assert_int_equal(dv(d, "h")->i, 10);
	time_t noon;
	assert_true(util_parse_datetime("2026-01-02T12:00:00Z", &noon));
	assert_int_equal(dv(d, "t2")->i, (int64_t)noon);          /* a table is read as UTC, noon */
	assert_string_equal(dv_s(d, "c"), "float");
	/* the same clock, yet not the same numbers: each state has its own random seed */
	assert_int_equal(dv(d, "r")->kind, DV_INT);
	assert_int_not_equal(dv(d, "r")->i, dv(sandbox_definition(b), "r")->i);
	sandbox_close(a);
	sandbox_close(b);
	app_rm(&t1);
	app_rm(&t2);
}

/* ------------------------------------------------------------------ the definition copy */

static void definition_copy_is_ordered_and_numbers_functions(void **st)
{
	(void)st;
	tmpapp t;
	sandbox *sb = run(&t,
		"local shared = { k = 'v' }\n"
		"local f = function() end\n"
		"local g = function()\n"
		"end\n"
		"return {\n"
		"  f, 'deux', 3.5, shared,\n"
		"  zeta = g, alpha = f, beta = shared, gamma = 7, delta = true, nul = 'a\\0b',\n"
		"  [0] = 'zero', [true] = 'vrai', [10] = 'dix',\n"
		"}\n",
		NULL);
	const defval *d = sandbox_definition(sb);
	assert_int_equal(d->kind, DV_TABLE);
	assert_int_equal(d->nitems, 4);
	assert_int_equal(d->items[0]->kind, DV_FUNC);
	assert_int_equal(d->items[0]->func, 1);
	assert_int_equal(d->items[0]->line, 2);
	assert_string_equal(d->items[1]->s, "deux");
	assert_int_equal(d->items[2]->kind, DV_NUM);
	assert_true(d->items[2]->d == 3.5);
	assert_int_equal(d->items[3]->kind, DV_TABLE);
	/* string keys sorted by strcmp */
	static const char *const keys[] = {"alpha", "beta", "delta", "gamma", "nul", "zeta"};
	assert_int_equal(d->nfields, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(d->fields[i].key, keys[i]);
	/* met twice: the same node, the same number */
	assert_ptr_equal(dv(d, "alpha"), d->items[0]);
	assert_ptr_equal(dv(d, "beta"), d->items[3]);
	assert_string_equal(dv_s(dv(d, "beta"), "k"), "v");
	assert_int_equal(dv(d, "zeta")->kind, DV_FUNC);
	assert_int_equal(dv(d, "zeta")->func, 2);
	assert_int_equal(dv(d, "zeta")->line, 3);
	assert_int_equal(sandbox_nfuncs(sb), 2);
	assert_int_equal(dv(d, "gamma")->kind, DV_INT);
	assert_int_equal(dv(d, "gamma")->i, 7);
	assert_true(dv(d, "delta")->kind == DV_BOOL && dv(d, "delta")->b);
	const defval *nul = dv(d, "nul");
	assert_int_equal(nul->len, 3);
	assert_memory_equal(nul->s, "a\0b", 3);
	/* other keys are kept as text for the diagnostics */
	assert_int_equal(d->nbadkeys, 3);
	int seen = 0;
	for (size_t i = 0; i < d->nbadkeys; i++)
		seen |= strcmp(d->badkeys[i], "[0]") == 0 ? 1 :
		        strcmp(d->badkeys[i], "[true]") == 0 ? 2 :
		        strcmp(d->badkeys[i], "[10]") == 0 ? 4 : 8;
	assert_int_equal(seen, 7);
	sandbox_close(sb);
	app_rm(&t);
}

/* ------------------------------------------------------------------ hooks: the probe app */

/*
 * validate dispatches on r.x to a probe of P (a probe returns the message put under
 * "_"); compute, on_create and the guard read r.x too. lib/etat.lua holds a counter,
 * lib/aide.lua raises at its line 2.
 */
static const char *const SONDE[] = {
	"local P = {}\n",
	"local saved_log\n",
	"P.ok = function() return 'bien' end\n",
	"P.boucle = function() while true do end end\n",
	"P.boucle_pcall = function()\n",
	"  while true do\n",
	"    pcall(function() while true do end end)\n",
	"    xpcall(function() while true do end end, function(e) return e end)\n",
	"  end\n",
	"end\n",
	"P.bombe = function()\n",
	"  local t, i = {}, 0\n",
	"  while true do i = i + 1; t[i] = string.rep('x', 1000) .. i end\n",
	"end\n",
	"P.bombe_pcall = function()\n",
	"  local ok = pcall(function()\n",
	"    local t = {}\n",
	"    for i = 1, 1e9 do t[i] = string.rep('y', 4096) .. i end\n",
	"  end)\n",
	"  return 'rattrapé : ' .. tostring(ok)\n",
	"end\n",
	"P.bombe_pcall_tables = function()\n",
	"  local ok = pcall(function()\n",
	"    local t = {}\n",
	"    for i = 1, 1e9 do t[i] = { i, i, i, i, i, i, i, i } end\n",
	"  end)\n",
	"  return 'rattrapé : ' .. tostring(ok)\n",
	"end\n",
	"P.bombe_pcall_muette = function() pcall(string.rep, 'y', 1 << 29) end\n",
	"P.enorme = function() return ('x'):rep(1 << 30) end\n",
	"local aaa = string.rep('a', 3e4)\n",
	"local function expo() return ('a'):rep(40):match(('a?'):rep(40) .. ('a'):rep(40)) end\n",
	"P.quadratique = function() return tostring(aaa:find('.-b')) end\n",
	"P.quadratique_pcall = function()\n",
	"  local ok = pcall(string.find, aaa, '.-b')\n",
	"  return 'rattrapé : ' .. tostring(ok)\n",
	"end\n",
	"P.exponentielle = function() return tostring(('a'):rep(40):match(('a?'):rep(40) .. ('a'):rep(40))) end\n",
	"P.exponentielle_pcall = function()\n",
	"  local ok = pcall(expo)\n",
	"  return 'rattrapé : ' .. tostring(ok)\n",
	"end\n",
	"P.gmatch = function() for _ in aaa:gmatch('.-b') do end end\n",
	"P.gsub = function() return (string.gsub(aaa, '.-b', '')) end\n",
	"P.equilibre = function() return tostring(string.rep('(', 3e4):find('%b()')) end\n",
	"P.reference = function() return tostring(aaa:find('(a*)%1b')) end\n",
	"P.litterale = function() return tostring(aaa:rep(30):find(aaa .. 'b', 1, true)) end\n",
	"P.motif_ok = function() return tostring(aaa:sub(1, 500):find('.-b')) .. ' ' .. #aaa:gsub('a', 'bb') end\n",
	"P.motifs_repetes = function() for i = 1, 100 do aaa:sub(1, 1000):find('.-b') end end\n",
	"P.rep_boucle = function() for i = 1, 1e6 do local x = ('a'):rep(1e6) end end\n",
	"P.rep_boucle_pcall = function()\n",
	"  pcall(function() for i = 1, 1e6 do local x = ('a'):rep(1e6) end end)\n",
	"  return 'rattrapé'\n",
	"end\n",
	"P.tri = function() local t = { aaa:byte(1, -1) }; for i = 1, 1e4 do table.sort(t) end end\n",
	"P.depaquetage = function() local t = { aaa:byte(1, -1) }; for i = 1, 1e5 do select('#', table.unpack(t)) end end\n",
	"P.octets = function() for i = 1, 1e5 do select('#', aaa:byte(1, -1)) end end\n",
	"P.concat = function() local t = { aaa:byte(1, -1) }; for i = 1, 1e5 do table.concat(t) end end\n",
	"P.deplacement = function() local t = { aaa:byte(1, -1) }; for i = 1, 1e5 do table.move(t, 1, #t, 1) end end\n",
	"local vides = (' '):rep(1e6)\n",
	"P.insertion = function() local t = { aaa:byte(1, -1) }; for i = 1, 1e5 do table.insert(t, 1, 0); table.remove(t, 1) end end\n",
	"P.utf8_len = function() for i = 1, 1e5 do utf8.len(vides) end end\n",
	"P.utf8_offset = function() for i = 1, 1e5 do utf8.offset(vides, -1e6) end end\n",
	"P.utf8_codepoint = function() for i = 1, 1e5 do select('#', utf8.codepoint(aaa, 1, -1)) end end\n",
	"P.tonumber = function() for i = 1, 1e5 do tonumber(vides) end end\n",
	"P.fr_natif = function() local n = require('smallapps.fr_natif'); for i = 1, 1e5 do n.siren(vides) end end\n",
	"P.load = function() for i = 1, 1e5 do load(vides) end end\n",
	"P.unpack_fmt = function() local f = ('x'):rep(1e6); for i = 1, 1e5 do string.packsize(f) end end\n",
	"P.unpack_chaine = function() for k = 1, 1e9 do select('#', table.unpack('', 1, 900000)) end end\n",
	"local reel = { aaa:byte(1, -1) }\n",
	"local proxy = setmetatable({}, { __len = function() return #reel end, __index = reel, __newindex = reel })\n",
	"P.proxy_tri = function() for i = 1, 1e4 do table.sort(proxy) end end\n",
	"P.proxy_concat = function() for i = 1, 1e4 do table.concat(proxy) end end\n",
	"P.concat_erreur = function() return table.concat({ 1, {}, 3 }) end\n",
	"P.plages = function()\n",
	"  local a, e1 = pcall(table.unpack, {}, 1, 1e7)\n",
	"  local b, e2 = pcall(table.move, {}, math.mininteger, -1, 1)\n",
	"  return tostring(a) .. ' ' .. e1 .. ' | ' .. tostring(b) .. ' ' .. e2\n",
	"end\n",
	"P.boucles_ok = function()\n",
	"  local t, s = {}, 'déjà vu'\n",
	"  for i = 1, 500 do table.insert(t, i); table.insert(t, 1, i); table.remove(t) end\n",
	"  for i = 1, 500 do table.remove(t, 1) end\n",
	"  local n = 0\n",
	"  for p, c in utf8.codes(s) do n = n + utf8.len(s, p, p) + utf8.codepoint(s, p) // 1000000 end\n",
	"  n = n + load('return 1')() + string.unpack('i4', string.pack('i4', 5)) - string.packsize('i4')\n",
	"  return #t .. ' ' .. n .. ' ' .. utf8.offset(s, 3) .. ' ' .. tonumber(' 42 ') .. ' ' ..\n",
	"    tostring(tonumber('x')) .. ' ' .. select(2, pcall(table.insert, {}, 1, 2, 3))\n",
	"end\n",
	"P.tables_ok = function()\n",
	"  local t = { ('azerty'):byte(1, -1) }\n",
	"  table.sort(t)\n",
	"  local ok, e = pcall(table.sort, 'x')\n",
	"  return table.concat(t, ',') .. ' ' .. select('#', table.unpack(t)) .. ' ' ..\n",
	"    #table.move(t, 1, 3, 7) .. ' ' .. ('abc'):byte(-1) .. ' ' .. #{ ('abc'):byte(-10, 10) } ..\n",
	"    ' ' .. tostring(ok) .. ' ' .. e:match('bad argument #1.*')\n",
	"end\n",
	"P.erreur = function() error('boum') end\n",
	"P.nil_index = function() local t; return t.x end\n",
	"P.objet = function() error({ code = 1 }) end\n",
	"P.lib = function() return require('lib.aide').casse() end\n",
	"P.io = function() return tostring(io) end\n",
	"P.garde_log = function(r, ctx) saved_log = ctx.log; return 'gardé' end\n",
	"P.vieux_log = function() saved_log('tard'); return 'pas normal' end\n",
	"P.print = function(r, ctx) print('a', 1, true); ctx.log('journal'); return 'imprimé' end\n",
	"P.count_boucle = function(r, ctx) for i = 1, 1e6 do ctx.count('f') end end\n",
	"P.journal_boucle = function(r, ctx) for i = 1, 5000 do ctx.log('ligne ' .. i) end return 'fini' end\n",
	"P.ctx = function(r, ctx)\n",
	"  local u = ctx.user\n",
	"  return table.concat({ ctx.app, ctx.form, ctx.now, ctx.today, u and u.login or '-',\n",
	"    u and u.name or '-', u and table.concat(u.roles, '+') or '-' }, '|')\n",
	"end\n",
	"P.count = function(r, ctx) return 'n=' .. ctx.count('f', { x = 'count', n = 3 }) end\n",
	"P.count_nil = function(r, ctx) return 'n=' .. ctx.count('f') end\n",
	"P.notify = function(r, ctx) ctx.notify{ to = 'a@b.fr', subject = 'Objet' }; return 'envoyé' end\n",
	"P.ecrit = function(r) r.n = 5 end\n",
	"P.systeme = function(r) r.id = 5 end\n",
	"P.inconnu = function(r) return r.nn end\n",
	"P.valeurs = function(r)\n",
	"  return string.format('%s|%s|%s|%s|%s|%d|%s', tostring(r.m), math.type(r.n), r.choix[2],\n",
	"    r.x, r.state, r.id, tostring(r.nouveau))\n",
	"end\n",
	"P.table = function() return { n = 'trop grand', _ = 'global', x = 'x faux' } end\n",
	"P.mauvais = function() return 42 end\n",
	"P.champ_inconnu = function() return { zz = 'a' } end\n",
	"P.compteur = function() local m = require('lib.etat'); m.n = m.n + 1; return 'compteur=' .. m.n end\n",
	"return {\n",
	"  title = 'Sonde',\n",
	"  forms = { {\n",
	"    id = 'f', title = 'F',\n",
	"    fields = {\n",
	"      { name = 'x', type = 'text', label = 'X' },\n",
	"      { name = 'n', type = 'integer', label = 'N' },\n",
	"      { name = 'm', type = 'money', label = 'M', compute = function(r)\n",
	"          if r.x == 'texte' then return 'douze' end\n",
	"          return 12.5\n",
	"        end },\n",
	"      { name = 'choix', type = 'multichoice', label = 'C', options = { 'a', 'b' } },\n",
	"    },\n",
	"    validate = function(r, ctx) return P[r.x](r, ctx) end,\n",
	"    on_create = function(r, ctx)\n",
	"      if r.x == 'casse' then r.n = 7; error('après écriture') end\n",
	"      if r.x == 'mauvais_type' then r.n = 'sept' end\n",
	"      r.n = (r.n or 0) + 1\n",
	"      r.choix = { 'b', 'a' }\n",
	"      r.x = nil\n",
	"    end,\n",
	"    access = { create = { 'user' } },\n",
	"    workflow = { initial = 'a',\n",
	"      states = { { id = 'a' }, { id = 'b', final = true } },\n",
	"      transitions = { { id = 'aller', from = 'a', to = 'b', roles = { 'user' },\n",
	"        fields = { { name = 'nouveau', type = 'text', label = 'Nouveau' } },\n",
	"        guard = function(r)\n",
	"          if r.x == 'non' then return false, 'Pas maintenant.' end\n",
	"          if r.x == 'muet' then return false end\n",
	"          if r.x == 'nombre' then return 1 end\n",
	"          return true\n",
	"        end } } },\n",
	"  } },\n",
	"}\n",
	NULL,
};

typedef struct probe {
	tmpapp t;
	char *src;
	def_app *app;
	sandbox *sb;
	const def_form *f;
	record r;
	hook_env env;
	sandbox_limits lim;
	field_errors fe;
	char err[SANDBOX_ERR];
	char msg[SANDBOX_ERR];
} probe;

static void probe_files(probe *p, const char *id)
{
	buf b = BUF_INIT;
	for (size_t i = 0; SONDE[i]; i++)
		buf_puts(&b, SONDE[i]);
	p->src = buf_steal(&b);
	app_make(&p->t, id, p->src);
	app_write(&p->t, "lib/aide.lua", "local M = {}\nfunction M.casse() error('aide cassée') end\nreturn M\n");
	app_write(&p->t, "lib/etat.lua", "return { n = 0 }\n");
}

static void probe_start(probe *p)
{
	p->sb = sandbox_open_limits(p->app, STDLIB, &p->lim, p->err);
	if (!p->sb)
		fail_msg("sandbox_open: %s", p->err);
	assert_ptr_equal(sandbox_app(p->sb), p->app);
	p->f = def_find_form(p->app, "f");
	assert_non_null(p->f);
	record_init(&p->r, p->f);
	p->r.id = 9;
	record_set_sys(&p->r.state, "a");
	p->env = (hook_env){.form = p->f, .now = util_now()};
}

static probe *probe_new_budget(const char *id, long call_instructions)
{
	probe *p = calloc(1, sizeof *p);
	probe_files(p, id);
	diags d = {0};
	p->app = loader_load(p->t.dir, STDLIB, NULL, &d);
	if (!p->app) {
		char line[1024];
		for (size_t i = 0; i < d.n; i++) {
			diag_format(&d.v[i], line, sizeof line);
			print_message("  %s\n", line);
		}
		fail_msg("the probe app does not load");
	}
	diags_free(&d);
	p->lim = sandbox_default_limits();
	p->lim.call_instructions = call_instructions;
	p->lim.mem_bytes = 32u * 1024 * 1024;
	probe_start(p);
	return p;
}

static probe *probe_new(const char *id)
{
	return probe_new_budget(id, 2000000);
}

static void probe_free(probe *p)
{
	record_clear(&p->r);
	field_errors_clear(&p->fe);
	sandbox_close(p->sb);
	def_app_free(p->app);
	app_rm(&p->t);
	free(p->src);
	free(p);
}

static void set_x(probe *p, const char *x)
{
	int col = def_find_col(p->f, "x");
	value_clear(&p->r.values[col]);
	value_set_text(&p->r.values[col], x);
}

/* Calls validate with r.x = what. Returns rc; p->msg holds "_", p->err the error. */
static int call(probe *p, const char *what)
{
	set_x(p, what);
	field_errors_clear(&p->fe);
	p->err[0] = p->msg[0] = '\0';
	int rc = sandbox_validate(p->sb, p->f->validate, &p->r, &p->env, &p->fe, p->err);
	const char *m = field_errors_get(&p->fe, "_");
	snprintf(p->msg, sizeof p->msg, "%s", m ? m : "");
	return rc;
}

static const char *call_ok(probe *p, const char *what)
{
	if (call(p, what) != 0)
		fail_msg("probe %s: %s", what, p->err);
	return p->msg;
}

static void call_fails(probe *p, const char *what)
{
	if (call(p, what) == 0)
		fail_msg("probe %s succeeded (%s)", what, p->msg);
	assert_true(p->err[0] != '\0');
}

/* "<app.lua>:<line of marker>: rest" */
static void expect_at(probe *p, const char *marker, const char *rest)
{
	char want[SANDBOX_ERR];
	snprintf(want, sizeof want, "%s:%d: %s", p->t.file, line_of(p->src, marker), rest);
	assert_string_equal(p->err, want);
}

/* ------------------------------------------------------------------ budget and memory */

static void infinite_loop_is_stopped_and_the_state_goes_on(void **st)
{
	(void)st;
	probe *p = probe_new("budget");
	assert_string_equal(call_ok(p, "ok"), "bien");
	call_fails(p, "boucle");
	expect_at(p, "P.boucle = ", SANDBOX_MSG_BUDGET " (2000000 instructions)");
	assert_string_equal(call_ok(p, "ok"), "bien");
	/* pcall and xpcall in app code cannot swallow the stop */
	call_fails(p, "boucle_pcall");
	assert_contains(p->err, SANDBOX_MSG_BUDGET " (2000000 instructions)");
	assert_contains(p->err, p->t.file);
	assert_string_equal(call_ok(p, "ok"), "bien");
	/* the budget is per call, not per state */
	for (int i = 0; i < 3; i++) {
		call_fails(p, "boucle");
		assert_contains(p->err, SANDBOX_MSG_BUDGET);
	}
	assert_string_equal(call_ok(p, "ok"), "bien");
	probe_free(p);
}

static void memory_bomb_is_stopped_and_the_state_goes_on(void **st)
{
	(void)st;
	/* A budget the bombs cannot spend before the memory: allocations count against it. */
	probe *p = probe_new_budget("memoire", 50000000);
	size_t base = sandbox_mem_used(p->sb);
	assert_true(base > 0 && base < p->lim.mem_bytes);
	call_fails(p, "bombe");
	assert_contains(p->err, SANDBOX_MSG_MEMORY " (limite : 32768 Kio)");
	assert_string_equal(call_ok(p, "ok"), "bien");
	/*
	 * pcall in app code cannot swallow it either, whether the refused allocation was
	 * retried after a collection (tables) or not (string buffers raise at once).
	 */
	call_fails(p, "bombe_pcall_tables");
	assert_contains(p->err, SANDBOX_MSG_MEMORY);
	assert_string_equal(call_ok(p, "ok"), "bien");
	call_fails(p, "bombe_pcall");
	assert_contains(p->err, SANDBOX_MSG_MEMORY " (limite : 32768 Kio)");
	assert_string_equal(call_ok(p, "ok"), "bien");
	call_fails(p, "bombe_pcall_muette");              /* caught, then nothing allocated */
	assert_contains(p->err, SANDBOX_MSG_MEMORY " (limite : 32768 Kio)");
	assert_string_equal(call_ok(p, "ok"), "bien");
	call_fails(p, "enorme");                          /* one allocation past the cap */
	assert_contains(p->err, SANDBOX_MSG_MEMORY);
	for (int i = 0; i < 3; i++)
		call_fails(p, "bombe");
	assert_string_equal(call_ok(p, "ok"), "bien");
	assert_true(sandbox_mem_used(p->sb) <= p->lim.mem_bytes);
	probe_free(p);

	/* the cap holds while app.lua runs too */
	tmpapp t;
	app_make(&t, "bombe", "local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('z', 1000) .. i end\n");
	sandbox_limits lim = sandbox_default_limits();
	lim.mem_bytes = 4u * 1024 * 1024;
	char err[SANDBOX_ERR];
	assert_null(sandbox_new(t.dir, STDLIB, &lim, err));
	char want[300];
	snprintf(want, sizeof want, "%s: " SANDBOX_MSG_MEMORY " (limite : 4096 Kio)", t.file);
	assert_string_equal(err, want);
	app_rm(&t);
}

/* ------------------------------------------------------------------ pattern functions */

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The probe `what` is stopped by the budget in well under a second, with the error
 * at the line of `marker` when given; then the state serves a call.
 */
static void stopped_quickly(probe *p, const char *what, const char *marker)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = call(p, what);
	double s = seconds_since(&t0);
	if (rc == 0)
		fail_msg("probe %s succeeded (%s)", what, p->msg);
	assert_contains(p->err, SANDBOX_MSG_BUDGET " (2000000 instructions)");
	assert_contains(p->err, p->t.file);
	if (s > 0.5)
		fail_msg("probe %s stopped after %.2f s", what, s);
	if (marker)
		expect_at(p, marker, SANDBOX_MSG_BUDGET " (2000000 instructions)");
	assert_string_equal(call_ok(p, "ok"), "bien");
}

/*
 * string.find/match/gmatch/gsub run in C where the instruction hook cannot stop
 * them: the sandbox's copies count their steps against the call's budget. A
 * quadratic or exponential pattern is stopped like an infinite loop, pcall in app
 * code cannot swallow the stop, and the state serves the next call.
 */
static void pattern_bombs_are_stopped_and_the_state_goes_on(void **st)
{
	(void)st;
	probe *p = probe_new("motifs");
	stopped_quickly(p, "quadratique", "P.quadratique = ");
	stopped_quickly(p, "quadratique_pcall", NULL);
	stopped_quickly(p, "exponentielle", "P.exponentielle = ");
	stopped_quickly(p, "exponentielle_pcall", NULL);
	stopped_quickly(p, "gmatch", "P.gmatch = ");
	stopped_quickly(p, "gsub", "P.gsub = ");
	stopped_quickly(p, "equilibre", "P.equilibre = ");
	stopped_quickly(p, "reference", "P.reference = ");
	stopped_quickly(p, "litterale", "P.litterale = ");
	/* steps add up over the calls of one hook call, against the same budget */
	stopped_quickly(p, "motifs_repetes", "P.motifs_repetes = ");
	/* ordinary work within the budget is not disturbed */
	assert_string_equal(call_ok(p, "motif_ok"), "nil 60000");
	/* nor other C functions that a loop of a few instructions calls on big data */
	stopped_quickly(p, "rep_boucle", "P.rep_boucle = ");
	stopped_quickly(p, "rep_boucle_pcall", NULL);
	stopped_quickly(p, "tri", "P.tri = ");
	stopped_quickly(p, "depaquetage", "P.depaquetage = ");
	stopped_quickly(p, "octets", "P.octets = ");
	stopped_quickly(p, "concat", "P.concat = ");
	stopped_quickly(p, "deplacement", "P.deplacement = ");
	stopped_quickly(p, "insertion", "P.insertion = ");
	stopped_quickly(p, "utf8_len", "P.utf8_len = ");
	stopped_quickly(p, "utf8_offset", "P.utf8_offset = ");
	stopped_quickly(p, "utf8_codepoint", "P.utf8_codepoint = ");
	stopped_quickly(p, "tonumber", "P.tonumber = ");
	stopped_quickly(p, "fr_natif", "P.fr_natif = ");
	stopped_quickly(p, "load", "P.load = ");
	stopped_quickly(p, "unpack_chaine", "P.unpack_chaine = ");
	stopped_quickly(p, "proxy_tri", "P.proxy_tri = ");
	stopped_quickly(p, "proxy_concat", "P.proxy_concat = ");
	/* the wrapped functions' own errors still say where in app.lua */
	call_fails(p, "concat_erreur");
	expect_at(p, "P.concat_erreur = ", "invalid value (table) at index 2 in table for 'concat'");
	/* ranges Lua refuses at once stay errors app code can catch, not a spent budget */
	assert_string_equal(call_ok(p, "plages"),
	                    "false too many results to unpack | false bad argument #3 to "
	                    "'table.move' (too many elements to move)");
	stopped_quickly(p, "unpack_fmt", "P.unpack_fmt = ");
	assert_string_equal(call_ok(p, "boucles_ok"),
	                    "0 9 4 42 nil wrong number of arguments to 'insert'");
	assert_string_equal(call_ok(p, "tables_ok"),
	                    "97,101,114,116,121,122 6 9 99 3 false bad argument #1 to 'table.sort' "
	                    "(table expected, got string)");
	for (int i = 0; i < 3; i++)
		stopped_quickly(p, "quadratique", "P.quadratique = ");
	assert_string_equal(call_ok(p, "motif_ok"), "nil 60000");
	probe_free(p);
}

/*
 * Differential cases: each expression, run in the sandbox through sandbox_strlib.c
 * (lmatch.c's matcher), gives
 * what Lua 5.4.4's own string library gives. The expected answers are the output
 * of lua5.4 on the same harness (the app.lua this test writes, `return { r = R }`
 * printed item by item), with the "chunk:line: " of error messages left out.
 */
static const struct {
	const char *expr;
	const char *want;
} PATTERN_CASES[] = {
	{"('hello world'):find('wor')",
	 "7,9"},
	{"('hello'):find('^h')",
	 "1,1"},
	{"('hello'):find('^e')",
	 "nil"},
	{"('hello'):find('o$')",
	 "5,5"},
	{"('a$b'):find('$b')",
	 "2,3"},
	{"('hello'):match('^(h)(.-)$')",
	 "\"h\",\"ello\""},
	{"('abc123 DEF_!'):gsub('%a', '.')",
	 "\"...123 ..._!\",6"},
	{"('abc123 DEF_!'):gsub('%d', '#')",
	 "\"abc### DEF_!\",3"},
	{"('abc123 DEF_!'):gsub('%l+', '')",
	 "\"123 DEF_!\",1"},
	{"('a b\\t\\nc'):gsub('%s', '_')",
	 "\"a_b__c\",3"},
	{"('abc123 DEF_!'):gsub('%u', 'u')",
	 "\"abc123 uuu_!\",3"},
	{"('abc123 DEF_!'):gsub('%w+', '<%0>')",
	 "\"<abc123> <DEF>_!\",2"},
	{"('0x1F zz'):match('%x+', 3)",
	 "\"1F\""},
	{"('a,b;c.d!'):gsub('%p', '')",
	 "\"abcd\",4"},
	{"('a\\1b\\127c\\n'):gsub('%c', '?')",
	 "\"a?b?c?\",3"},
	{"('a b\\tc~'):gsub('%g', 'g')",
	 "\"g g\\9gg\",4"},
	{"('aB3 _!\\t~'):gsub('%A', '*')",
	 "\"aB******\",6"},
	{"('aB3 _!\\t~'):gsub('%D', '*')",
	 "\"**3*****\",7"},
	{"('aB3 _!\\t~'):gsub('%L', '*')",
	 "\"a*******\",7"},
	{"('aB3 _!\\t~'):gsub('%S', '*')",
	 "\"*** **\\9*\",6"},
	{"('aB3 _!\\t~'):gsub('%U', '*')",
	 "\"*B******\",7"},
	{"('aB3 _!\\t~'):gsub('%W', '*')",
	 "\"aB3*****\",5"},
	{"('aB3 _!\\t~'):gsub('%X', '*')",
	 "\"aB3*****\",5"},
	{"('aB3 _!\\t~'):gsub('%P', '*')",
	 "\"****_!*~\",5"},
	{"('aB3 _!\\t~'):gsub('%C', '*')",
	 "\"******\\9*\",7"},
	{"('aB3 _!\\t~'):gsub('%G', '*')",
	 "\"aB3*_!*~\",2"},
	{"('hello-world_2'):gsub('[%w_]', '')",
	 "\"-\",12"},
	{"('a-b]c'):gsub('[%]%-]', '#')",
	 "\"a#b#c\",2"},
	{"('abcxyz'):gsub('[b-y]', '.')",
	 "\"a....z\",4"},
	{"('abcxyz'):gsub('[^b-y]', '.')",
	 "\".bcxy.\",2"},
	{"('a]b'):find('[]]')",
	 "2,2"},
	{"('a^b'):find('[b^]')",
	 "2,2"},
	{"('x-y'):find('[a-]')",
	 "2,2"},
	{"('a1 B2'):gsub('[%a%d]', '')",
	 "\" \",4"},
	{"('aaab'):match('a*')",
	 "\"aaa\""},
	{"('aaab'):match('a+b')",
	 "\"aaab\""},
	{"('aaab'):match('a-b')",
	 "\"aaab\""},
	{"('aaab'):match('a-')",
	 "\"\""},
	{"('ab'):match('a?b'), ('b'):match('a?b'), ('xb'):match('a?b')",
	 "\"ab\",\"b\",\"b\""},
	{"('<a><b>'):match('<(.-)>'), ('<a><b>'):match('<(.*)>')",
	 "\"a\",\"a><b\""},
	{"('key = value'):match('(%w+)%s*=%s*(%w+)')",
	 "\"key\",\"value\""},
	{"('hello'):find('()ll()')",
	 "3,4,3,5"},
	{"('hello'):match('()')",
	 "1"},
	{"('abcabc'):find('(abc)%1')",
	 "1,6,\"abc\""},
	{"('x \"hi\" y'):match('([\"\\'])(.-)%1')",
	 "\"\\\"\",\"hi\""},
	{"('a(b(c)d)e'):match('%b()')",
	 "\"(b(c)d)\""},
	{"('f(a(b)'):find('%b()')",
	 "4,6"},
	{"('THE (quick) fox'):gsub('%f[%a]%a+', '<%0>')",
	 "\"<THE> (<quick>) <fox>\",3"},
	{"('hello world from Lua'):gsub('%f[%w]%w+', function(w) return w:upper() end)",
	 "\"HELLO WORLD FROM LUA\",4"},
	{"('THE (quick) fox'):find('%f[%a]', 2)",
	 "6,5"},
	{"('hello'):gsub('', '-')",
	 "\"-h-e-l-l-o-\",6"},
	{"('hello world'):gsub('(%w+) (%w+)', '%2 %1')",
	 "\"world hello\",1"},
	{"('hello'):gsub('l', '%%')",
	 "\"he%%o\",2"},
	{"('abc'):gsub('%w', '%0%0')",
	 "\"aabbcc\",3"},
	{"('$name is $age'):gsub('%$(%w+)', { name = 'Ana', age = 7 })",
	 "\"Ana is 7\",2"},
	{"('a b c'):gsub('%w', { a = false, b = 'B' })",
	 "\"a B c\",3"},
	{"('a b c'):gsub('%w', function(c) if c == 'b' then return nil end return c:upper() end)",
	 "\"A b C\",3"},
	{"('abc'):gsub('%w', 'x', 2)",
	 "\"xxc\",2"},
	{"('abc'):gsub('%w', 'x', 0)",
	 "\"abc\",0"},
	{"('abc'):gsub('^%w', 'x')",
	 "\"xbc\",1"},
	{"('hello world'):gsub('o', 'xx', -1)",
	 "\"hello world\",0"},
	{"('abc'):gsub('()', '%1')",
	 "\"1a2b3c4\",4"},
	{"('abc'):gsub('%w', 5)",
	 "\"555\",3"},
	{"('xxx'):gsub('x*', '-')",
	 "\"-\",1"},
	{"(function() local t = {} for w in ('one two  three'):gmatch('%a+') do t[#t + 1] = w end return table.concat(t, ',') end)()",
	 "\"one,two,three\""},
	{"(function() local t = {} for k, v in ('k=v, a=b'):gmatch('(%w+)=(%w+)') do t[#t + 1] = k .. ':' .. v end return table.concat(t, ',') end)()",
	 "\"k:v,a:b\""},
	{"(function() local t = {} for m in ('^a^a'):gmatch('^a') do t[#t + 1] = m end return table.concat(t, ','), #t end)()",
	 "\"^a,^a\",2"},
	{"(function() local t = {} for m in ('aaa'):gmatch('^a') do t[#t + 1] = m end return #t end)()",
	 "0"},
	{"(function() local t = {} for m in ('abcabc'):gmatch('a.', 3) do t[#t + 1] = m end return table.concat(t, ',') end)()",
	 "\"ab\""},
	{"(function() local t = {} for m in ('abcabc'):gmatch('a.', -3) do t[#t + 1] = m end return table.concat(t, ',') end)()",
	 "\"ab\""},
	{"(function() local n = 0 for m in ('abc'):gmatch('x*') do n = n + 1 end return n end)()",
	 "4"},
	{"(function() local t = {} for p in ('hello'):gmatch('()l') do t[#t + 1] = p end return table.concat(t, ',') end)()",
	 "\"3,4\""},
	{"(function() local t = {} for m in ('abc'):gmatch('.', 10) do t[#t + 1] = m end return #t end)()",
	 "0"},
	{"('hello'):find('l', -2)",
	 "4,4"},
	{"('hello'):find('l', 10)",
	 "nil"},
	{"('hello'):find('', 6), ('hello'):find('', 7)",
	 "6,nil"},
	{"('a.b'):find('.', 1, true)",
	 "2,2"},
	{"('a+b'):find('+b', 1, true)",
	 "2,3"},
	{"('hello'):find('l', -100)",
	 "3,3"},
	{"('hello'):match('.', -1)",
	 "\"o\""},
	{"('ab\\0cd'):find('\\0c'), ('ab\\0cd'):find('%z')",
	 "3,3,3"},
	{"string.find(12345, 3), string.match('x=1', '=(%d)')",
	 "3,\"1\""},
	{"('héllo wörld'):find('ö')",
	 "9,10"},
	{"('Crème brûlée'):gsub('[\\128-\\255]+', '?')",
	 "\"Cr?me br?l?e\",3"},
	{"('été'):match('^(.-)t')",
	 "\"é\""},
	{"('naïve café'):gsub('%a+', '<%0>')",
	 "\"<na>ï<ve> <caf>é\",3"},
	{"('a'):find('%')",
	 "E:malformed pattern (ends with '%')"},
	{"('a'):find('[a')",
	 "E:malformed pattern (missing ']')"},
	{"('a'):find('[^')",
	 "E:malformed pattern (missing ']')"},
	{"('a'):find('%f')",
	 "E:missing '[' after '%f' in pattern"},
	{"('a'):find('%fa')",
	 "E:missing '[' after '%f' in pattern"},
	{"('a'):find('%b')",
	 "E:malformed pattern (missing arguments to '%b')"},
	{"('a'):find('(%1)')",
	 "E:invalid capture index %1"},
	{"('a'):gsub('a', '%2')",
	 "E:invalid capture index %2"},
	{"('a'):gsub('a', '%x')",
	 "E:invalid use of '%' in replacement string"},
	{"('a'):find('a)')",
	 "nil"},
	{"('a'):find('(a))')",
	 "E:invalid pattern capture"},
	{"('a'):match('(a')",
	 "E:unfinished capture"},
	{"('a'):gsub('a', { a = true })",
	 "E:invalid replacement value (a boolean)"},
	{"('a'):gsub('a')",
	 "E:bad argument #2 to 'gsub' (string/function/table expected, got no value)"},
	{"string.find('a')",
	 "E:bad argument #2 to 'find' (string expected, got no value)"},
	{"('a'):find(('()'):rep(33))",
	 "E:too many captures"},
	{"('a'):rep(250):match(('a?'):rep(250))",
	 "E:pattern too complex"},
	{"('ab'):gsub('(a)(b)', '%3')",
	 "E:invalid capture index %3"},
	{"('abc'):gsub('b', '%')",
	 "E:invalid use of '%' in replacement string"},
	{"('abc'):gsub('%w', '%1')",
	 "\"abc\",3"},
	{"('abc'):gsub('^x', 'y')",
	 "\"abc\",0"},
	{"string.gsub('hello', 'l+', string.upper)",
	 "\"heLLo\",1"},
	{"('abc'):find('b', 2.0)",
	 "2,2"},
	{"('abc'):find('b', 1.5)",
	 "E:bad argument #2 to 'find' (number has no integer representation)"},
	{"('one;two;;three'):gsub(';;', ';', 1)",
	 "\"one;two;three\",1"},
	{"('  trim me  '):match('^%s*(.-)%s*$')",
	 "\"trim me\""},
	{"('2026-03-15'):match('^(%d%d%d%d)-(%d%d)-(%d%d)$')",
	 "\"2026\",\"03\",\"15\""},
	{"('user@example.fr'):match('^[%w._%-]+@[%w.-]+%.%a+$')",
	 "\"user@example.fr\""},
	{"('b'):match('a-b'), ('b'):match('a*b'), ('b'):match('a+b'), ('b'):match('a?b')",
	 "\"b\",\"b\",nil,\"b\""},
	{"('xb'):find('a-b')",
	 "2,2"},
	{"('/usr/local/lib'):match('^(.-)/([^/]*)$')",
	 "\"/usr/local\",\"lib\""},
};

static const char PATTERN_HARNESS[] =
	"local function show(ok, ...)\n"
	"  if not ok then return 'E:' .. tostring((...)) end\n"
	"  local out = {}\n"
	"  for i = 1, select('#', ...) do\n"
	"    local v = select(i, ...)\n"
	"    out[i] = type(v) == 'string' and string.format('%q', v) or tostring(v)\n"
	"  end\n"
	"  return table.concat(out, ',')\n"
	"end\n"
	"local R = {}\n";

/* "E:<chunk>:<line>: message" -> "E:message" */
static void strip_where(char *s)
{
	if (strncmp(s, "E:", 2) != 0)
		return;
	char *c = strchr(s + 2, ':');
	if (!c || !(c[1] >= '0' && c[1] <= '9'))
		return;
	char *e = c + 1;
	while (*e >= '0' && *e <= '9')
		e++;
	if (e[0] == ':' && e[1] == ' ')
		memmove(s + 2, e + 2, strlen(e + 2) + 1);
}

static void patterns_behave_as_in_lua(void **st)
{
	(void)st;
	size_t n = sizeof PATTERN_CASES / sizeof PATTERN_CASES[0];
	buf b = BUF_INIT;
	buf_puts(&b, PATTERN_HARNESS);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "R[#R + 1] = show(pcall(function() return %s end))\n",
		           PATTERN_CASES[i].expr);
	buf_puts(&b, "return { r = R }\n");
	tmpapp t;
	sandbox *sb = run(&t, buf_cstr(&b), NULL);
	const defval *r = dv(sandbox_definition(sb), "r");
	assert_int_equal(r->nitems, n);
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		char got[512];
		assert_int_equal(r->items[i]->kind, DV_STR);
		snprintf(got, sizeof got, "%s", r->items[i]->s);
		strip_where(got);
		if (strcmp(got, PATTERN_CASES[i].want) != 0) {
			print_message("case %zu: %s\n  want %s\n  got  %s\n", i + 1,
			              PATTERN_CASES[i].expr, PATTERN_CASES[i].want, got);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	/* the methods are the sandbox's functions, the same as string.* */
	sandbox_close(sb);
	app_rm(&t);
	buf_free(&b);
}

static void failing_the_nth_allocation_is_an_error_never_a_crash(void **st)
{
	(void)st;
	tmpapp t;
	app_make(&t, "fautes", "local fr = require 'smallapps.fr'\n"
	         "return { title = 'T', n = fr.siren('732829320'), f = function() end }\n");
	sandbox_limits lim = sandbox_default_limits();
	long n, failures = 0;
	sandbox *sb = NULL;
	for (n = 1; n < 100000 && !sb; n++) {
		lim.fail_alloc_after = n;
		char err[SANDBOX_ERR] = "";
		sb = sandbox_new(t.dir, STDLIB, &lim, err);
		if (!sb) {
			failures++;
			if (!strstr(err, SANDBOX_MSG_MEMORY) && !strstr(err, "not enough memory"))
				fail_msg("allocation %ld: unexpected error \"%s\"", n, err);
		}
	}
	assert_non_null(sb);
	assert_true(failures > 100);
	assert_string_equal(dv_s(sandbox_definition(sb), "n"), "732829320");
	sandbox_close(sb);
	app_rm(&t);
}

static void failing_an_allocation_inside_a_hook_is_an_error(void **st)
{
	(void)st;
	probe *p = probe_new("fautes");
	sandbox_close(p->sb);
	p->sb = NULL;
	record_clear(&p->r);
	/* open, then fail from the Nth allocation on: somewhere in the call, sooner or later */
	long opened = 0, call_failures = 0;
	bool done = false;
	for (long n = 1; n < 100000 && !done; n++) {
		p->lim.fail_alloc_after = n;
		p->sb = sandbox_open_limits(p->app, STDLIB, &p->lim, p->err);
		if (!p->sb)
			continue;
		opened++;
		p->f = def_find_form(p->app, "f");
		record_init(&p->r, p->f);
		p->env = (hook_env){.form = p->f, .now = util_now()};
		if (call(p, "ok") == 0) {
			assert_string_equal(p->msg, "bien");
			done = true;
		} else {
			call_failures++;
			if (!strstr(p->err, SANDBOX_MSG_MEMORY) && !strstr(p->err, "not enough memory") &&
			    !strstr(p->err, "stack overflow") && !strstr(p->err, "erreur dans le traitement"))
				fail_msg("allocation %ld: unexpected error \"%s\"", n, p->err);
		}
		record_clear(&p->r);
		sandbox_close(p->sb);
		p->sb = NULL;
	}
	assert_true(done);
	assert_true(opened > 0);
	assert_true(call_failures > 0);
	p->lim.fail_alloc_after = 0;
	probe_start(p);
	probe_free(p);
}

/* ------------------------------------------------------------------ errors */

static void hook_errors_carry_file_and_line(void **st)
{
	(void)st;
	probe *p = probe_new("erreurs");
	/* the message names the only app frame: nothing to add */
	call_fails(p, "erreur");
	expect_at(p, "P.erreur = ", "boum");
	call_fails(p, "nil_index");
	expect_at(p, "P.nil_index = ", "attempt to index a nil value (local 't')");
	/* nothing says where: the frame does (validate tail-called P.objet) */
	char want[400];
	call_fails(p, "objet");
	snprintf(want, sizeof want, "(objet d'erreur de type table) [traceback: erreurs/app.lua:%d "
	         "in hook validate < (...tail calls...)]", line_of(p->src, "P.objet = "));
	assert_string_equal(p->err, want);
	call_fails(p, "lib");
	snprintf(want, sizeof want, "%s/lib/aide.lua:2: aide cassée", p->t.dir);
	assert_string_equal(p->err, want);
	/* the environment of hooks is the same allowlist */
	call_fails(p, "io");
	expect_at(p, "P.io = ", "variable globale inconnue \"io\"");
	assert_string_equal(call_ok(p, "ok"), "bien");
	/* an unknown hook id is refused before entering Lua */
	assert_int_equal(sandbox_validate(p->sb, p->app->nhooks + 1, &p->r, &p->env, &p->fe, p->err), -1);
	assert_contains(p->err, "inconnue");
	assert_int_equal(sandbox_validate(p->sb, 0, &p->r, &p->env, &p->fe, p->err), -1);
	probe_free(p);
}

/* An app whose validate hook calls its lib/calcul.lua, where the errors are. */
static const char TRACES_APP[] =
	"local calcul = require 'lib.calcul'\n"
	"return {\n"
	"  title = 'Traces',\n"
	"  forms = { {\n"
	"    id = 'f', title = 'F',\n"
	"    fields = { { name = 'x', type = 'text', label = 'X' } },\n"
	"    validate = function(r, ctx)\n"
	"      if r.x == 'profond' then\n"
	"        local v = calcul.profond(20) -- appel profond\n"
	"        return v\n"
	"      elseif r.x == 'abime' then\n"
	"        local v = calcul.abime(0) -- appel abime\n"
	"        return v\n"
	"      elseif r.x == 'long' then\n"
	"        local v = calcul.long() -- appel long\n"
	"        return v\n"
	"      elseif r.x == 'protege' then\n"
	"        local ok = pcall(calcul.total, r)\n"
	"        error({}) -- appel objet\n"
	"      end\n"
	"      local t = calcul.total(r) -- appel total\n"
	"      return t\n"
	"    end,\n"
	"  } },\n"
	"}\n";

static const char TRACES_LIB[] =
	"local M = {}\n"
	"function M.total(r)\n"
	"  local lignes\n"
	"  return lignes.montant -- erreur total\n"
	"end\n"
	"function M.profond(n)\n"
	"  if n == 0 then error('fond') end -- erreur profond\n"
	"  local v = M.profond(n - 1) -- appel recursif\n"
	"  return v\n"
	"end\n"
	"function M.long()\n"
	"  error(string.rep('é', 1000))\n"
	"end\n"
	"function M.abime(n)\n"
	"  return 1 + M.abime(n + 1)\n"
	"end\n"
	"return M\n";

typedef struct traces {
	tmpapp t;
	def_app *app;
	sandbox *sb;
	const def_form *f;
	record r;
	field_errors fe;
	char err[SANDBOX_ERR];
} traces;

static void traces_open(traces *x, long call_instructions)
{
	sandbox_limits lim = sandbox_default_limits();
	memset(x, 0, sizeof *x);
	app_make(&x->t, "traces", TRACES_APP);
	app_write(&x->t, "lib/calcul.lua", TRACES_LIB);
	diags d = {0};
	x->app = loader_load(x->t.dir, STDLIB, NULL, &d);
	diags_free(&d);
	assert_non_null(x->app);
	lim.call_instructions = call_instructions;
	x->sb = sandbox_open_limits(x->app, STDLIB, &lim, x->err);
	if (!x->sb)
		fail_msg("sandbox_open: %s", x->err);
	x->f = def_find_form(x->app, "f");
	record_init(&x->r, x->f);
}

/* Validate with r.x = what; it must fail. */
static const char *traces_fail(traces *x, const char *what)
{
	hook_env env = {.form = x->f, .now = util_now()};
	int col = def_find_col(x->f, "x");
	value_clear(&x->r.values[col]);
	value_set_text(&x->r.values[col], what);
	field_errors_clear(&x->fe);
	x->err[0] = '\0';
	if (sandbox_validate(x->sb, x->f->validate, &x->r, &env, &x->fe, x->err) == 0)
		fail_msg("validate %s succeeded", what);
	return x->err;
}

static void traces_close(traces *x)
{
	record_clear(&x->r);
	field_errors_clear(&x->fe);
	sandbox_close(x->sb);
	def_app_free(x->app);
	app_rm(&x->t);
}

static void hook_error_names_the_lib_line_and_the_app_line_that_called_it(void **st)
{
	(void)st;
	traces x;
	traces_open(&x, 1000000);
	char want[SANDBOX_ERR];
	snprintf(want, sizeof want, "%s/lib/calcul.lua:%d: attempt to index a nil value (local "
	         "'lignes') [traceback: traces/lib/calcul.lua:%d in function 'total' < "
	         "traces/app.lua:%d in hook validate]", x.t.dir, line_of(TRACES_LIB, "erreur total"),
	         line_of(TRACES_LIB, "erreur total"), line_of(TRACES_APP, "appel total"));
	assert_string_equal(traces_fail(&x, "total"), want);
	/* an error app code caught leaves nothing behind; a table says where through its frame */
	snprintf(want, sizeof want, "(objet d'erreur de type table) [traceback: traces/app.lua:%d "
	         "in hook validate]", line_of(TRACES_APP, "appel objet"));
	assert_string_equal(traces_fail(&x, "protege"), want);
	traces_close(&x);
}

static size_t count_of(const char *s, const char *part)
{
	size_t n = 0;
	for (const char *p = strstr(s, part); p; p = strstr(p + 1, part))
		n++;
	return n;
}

static void frames_of_a_deep_error_are_bounded_to_the_innermost_and_the_outermost(void **st)
{
	(void)st;
	traces x;
	traces_open(&x, 50000000);
	/* 21 frames of profond and the hook: the 6 innermost, "...", the outermost 2 */
	const char *err = traces_fail(&x, "profond");
	char part[300];
	snprintf(part, sizeof part, "fond [traceback: traces/lib/calcul.lua:%d in function "
	         "'profond' < traces/lib/calcul.lua:%d in function 'profond' < ",
	         line_of(TRACES_LIB, "erreur profond"), line_of(TRACES_LIB, "appel recursif"));
	assert_contains(err, part);
	snprintf(part, sizeof part, "'profond' < ... < traces/lib/calcul.lua:%d in function "
	         "'profond' < traces/app.lua:%d in hook validate]",
	         line_of(TRACES_LIB, "appel recursif"), line_of(TRACES_APP, "appel profond"));
	assert_contains(err, part);
	assert_int_equal(count_of(err, " < "), 8);
	/* a long message is cut (between characters) so that its frames stay */
	err = traces_fail(&x, "long");
	assert_true(util_utf8_valid(err, strlen(err)));
	assert_int_equal(err[strlen(err) - 1], ']');
	snprintf(part, sizeof part, "é [traceback: traces/lib/calcul.lua:%d in function 'long' < "
	         "traces/app.lua:%d in hook validate]", line_of(TRACES_LIB, "error(string.rep"),
	         line_of(TRACES_APP, "appel long"));
	assert_contains(err, part);
	/* a runaway recursion: one bounded line, read without walking every level */
	err = traces_fail(&x, "abime");
	assert_contains(err, "stack overflow [traceback: traces/lib/calcul.lua:");
	snprintf(part, sizeof part, "'abime' < ... < traces/lib/calcul.lua:%d in function 'abime' "
	         "< traces/app.lua:%d in hook validate]", line_of(TRACES_LIB, "M.abime(n + 1)"),
	         line_of(TRACES_APP, "appel abime"));
	assert_contains(err, part);
	assert_int_equal(count_of(err, " < "), 8);
	traces_close(&x);
}

/* ------------------------------------------------------------------ hook calls */

static void validate_results_become_field_errors(void **st)
{
	(void)st;
	probe *p = probe_new("valider");
	assert_int_equal(call(p, "table"), 0);
	/* the whole form first, then the columns in order */
	assert_int_equal(p->fe.n, 3);
	assert_string_equal(p->fe.v[0].field, "_");
	assert_string_equal(p->fe.v[0].message, "global");
	assert_string_equal(p->fe.v[1].field, "x");
	assert_string_equal(p->fe.v[1].message, "x faux");
	assert_string_equal(p->fe.v[2].field, "n");
	assert_string_equal(p->fe.v[2].message, "trop grand");
	call_fails(p, "mauvais");
	int vline = line_of(p->src, "validate = function");
	char want[SANDBOX_ERR];
	snprintf(want, sizeof want, "%s:%d: validate doit renvoyer nil ou une table "
	         "{ champ = \"message\" }, pas l'entier 42", p->t.file, vline);
	assert_string_equal(p->err, want);
	call_fails(p, "champ_inconnu");
	snprintf(want, sizeof want, "%s:%d: validate : champ inconnu dans le résultat \"zz\"",
	         p->t.file, vline);
	assert_string_equal(p->err, want);
	probe_free(p);
}

static void records_are_seen_as_lua_values_and_read_only_outside_mutations(void **st)
{
	(void)st;
	probe *p = probe_new("dossier");
	value_set_int(&p->r.values[def_find_col(p->f, "m")], 1250);      /* cents */
	value_set_int(&p->r.values[def_find_col(p->f, "n")], 41);
	value_set_text(&p->r.values[def_find_col(p->f, "choix")], "[\"a\",\"b\"]");
	assert_string_equal(call_ok(p, "valeurs"), "12.5|integer|b|valeurs|a|9|nil");
	call_fails(p, "ecrit");
	expect_at(p, "P.ecrit = ", "le dossier est en lecture seule ici (seuls on_create et les "
	          "actions de transition modifient des champs) : champ \"n\"");
	call_fails(p, "systeme");
	expect_at(p, "P.systeme = ", "\"id\" est un champ système, en lecture seule");
	call_fails(p, "inconnu");
	expect_at(p, "P.inconnu = ", "champ inconnu \"nn\" (vouliez-vous dire \"n\" ?)");
	/* nothing was written back */
	assert_int_equal(p->r.values[def_find_col(p->f, "n")].i, 41);
	probe_free(p);
}

static void compute_converts_to_the_stored_form(void **st)
{
	(void)st;
	probe *p = probe_new("calcul");
	const def_field *m = p->f->cols[def_find_col(p->f, "m")];
	assert_true(m->compute > 0);
	value out = {0};
	set_x(p, "ok");
	assert_int_equal(sandbox_compute(p->sb, m->compute, m, &p->r, &p->env, &out, p->err), 0);
	assert_int_equal(out.kind, VAL_INT);
	assert_int_equal(out.i, 1250);                    /* 12.5 euros */
	set_x(p, "texte");
	assert_int_equal(sandbox_compute(p->sb, m->compute, m, &p->r, &p->env, &out, p->err), -1);
	char want[SANDBOX_ERR];
	snprintf(want, sizeof want, "%s:%d: compute du champ \"m\" : montant en euros (nombre) "
	         "attendu, reçu la chaîne \"douze\"", p->t.file, line_of(p->src, "compute = function"));
	assert_string_equal(p->err, want);
	assert_int_equal(out.kind, VAL_INT);              /* untouched on error */
	assert_int_equal(out.i, 1250);
	value_clear(&out);
	probe_free(p);
}

static void mutations_write_back_only_what_was_set_and_only_on_success(void **st)
{
	(void)st;
	probe *p = probe_new("mutation");
	int cn = def_find_col(p->f, "n"), cx = def_find_col(p->f, "x"), cc = def_find_col(p->f, "choix");
	int cm = def_find_col(p->f, "m");
	value_set_int(&p->r.values[cn], 41);
	value_set_int(&p->r.values[cm], 300);
	set_x(p, "ok");
	assert_int_equal(sandbox_mutate(p->sb, p->f->on_create, &p->r, &p->env, p->err), 0);
	assert_int_equal(p->r.values[cn].kind, VAL_INT);
	assert_int_equal(p->r.values[cn].i, 42);
	assert_int_equal(p->r.values[cc].kind, VAL_TEXT);
	assert_string_equal(p->r.values[cc].s, "[\"b\",\"a\"]");
	assert_int_equal(p->r.values[cx].kind, VAL_NULL);   /* set to nil */
	assert_int_equal(p->r.values[cm].i, 300);           /* not touched */

	set_x(p, "casse");
	assert_int_equal(sandbox_mutate(p->sb, p->f->on_create, &p->r, &p->env, p->err), -1);
	expect_at(p, "if r.x == 'casse'", "après écriture");
	assert_int_equal(p->r.values[cn].i, 42);            /* r.n = 7 was not kept */
	assert_string_equal(p->r.values[cx].s, "casse");

	set_x(p, "mauvais_type");
	assert_int_equal(sandbox_mutate(p->sb, p->f->on_create, &p->r, &p->env, p->err), -1);
	expect_at(p, "if r.x == 'mauvais_type'", "champ \"n\" : nombre entier attendu, reçu la "
	          "chaîne \"sept\"");
	assert_int_equal(p->r.values[cn].i, 42);
	probe_free(p);
}

static void guards_answer_true_or_false_with_a_reason(void **st)
{
	(void)st;
	probe *p = probe_new("garde");
	const def_transition *tr = def_find_transition(p->f, "aller");
	assert_true(tr->guard > 0);
	bool ok = false;
	char reason[SANDBOX_ERR];
	set_x(p, "oui");
	assert_int_equal(sandbox_guard(p->sb, tr->guard, &p->r, &p->env, &ok, reason, p->err), 0);
	assert_true(ok);
	set_x(p, "non");
	assert_int_equal(sandbox_guard(p->sb, tr->guard, &p->r, &p->env, &ok, reason, p->err), 0);
	assert_false(ok);
	assert_string_equal(reason, "Pas maintenant.");
	set_x(p, "muet");
	ok = true;
	assert_int_equal(sandbox_guard(p->sb, tr->guard, &p->r, &p->env, &ok, reason, p->err), 0);
	assert_false(ok);
	assert_string_equal(reason, "Cette action n'est pas possible pour ce dossier.");
	set_x(p, "nombre");
	ok = true;
	assert_int_equal(sandbox_guard(p->sb, tr->guard, &p->r, &p->env, &ok, reason, p->err), -1);
	assert_false(ok);
	char want[SANDBOX_ERR];
	snprintf(want, sizeof want, "%s:%d: guard doit renvoyer true, ou false et un motif, pas "
	         "l'entier 1", p->t.file, line_of(p->src, "guard = function"));
	assert_string_equal(p->err, want);
	probe_free(p);
}

typedef struct seen {
	char log[8][128];
	int nlog;
	int nlog_total;
	char form[32];
	char filter[128];
	char to[64], subject[64], body[64];
} seen;

static void on_log(void *arg, const char *m)
{
	seen *s = arg;
	s->nlog_total++;
	if (s->nlog < 8)
		snprintf(s->log[s->nlog++], sizeof s->log[0], "%s", m);
}

static int on_count(void *arg, const char *form, json_t *filter, int64_t *out, char err[SANDBOX_ERR])
{
	seen *s = arg;
	(void)err;
	snprintf(s->form, sizeof s->form, "%s", form);
	char *j = filter ? json_dumps(filter, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	snprintf(s->filter, sizeof s->filter, "%s", j ? j : "NULL");
	free(j);
	*out = 17;
	return 0;
}

static int on_notify(void *arg, const char *to, const char *subject, const char *body)
{
	seen *s = arg;
	snprintf(s->to, sizeof s->to, "%s", to);
	snprintf(s->subject, sizeof s->subject, "%s", subject);
	snprintf(s->body, sizeof s->body, "%s", body);
	return 0;
}

static void ctx_offers_user_clock_and_the_engine_callbacks(void **st)
{
	(void)st;
	probe *p = probe_new("contexte");
	static const char *const roles[] = {"centre", "user"};
	hook_user u = {.login = "alice", .name = "Alice Martin", .email = "alice@example.org",
	               .roles = roles, .nroles = 2};
	seen s = {0};
	time_t t;
	assert_true(util_parse_datetime("2026-05-04T10:15:00Z", &t));
	p->env.user = &u;
	p->env.now = t;
	assert_string_equal(call_ok(p, "ctx"),
	                    "contexte|f|2026-05-04T10:15:00Z|2026-05-04|alice|Alice Martin|centre+user");
	p->env.user = NULL;
	assert_string_equal(call_ok(p, "ctx"), "contexte|f|2026-05-04T10:15:00Z|2026-05-04|-|-|-");
	/* ctx.today is the French day, like "today" in field bounds: 22:30 UTC in May is
	 * already tomorrow in Paris (UTC+2). */
	assert_true(util_parse_datetime("2026-05-04T22:30:00Z", &t));
	p->env.now = t;
	assert_string_equal(call_ok(p, "ctx"), "contexte|f|2026-05-04T22:30:00Z|2026-05-05|-|-|-");
	p->env.now = 0;
	assert_true(util_parse_datetime("2026-05-04T10:15:00Z", &t));
	p->env.now = t;

	/* callbacks left NULL: the ctx function raises */
	call_fails(p, "count");
	assert_contains(p->err, "ctx.count n'est pas disponible ici");
	call_fails(p, "notify");
	assert_contains(p->err, "ctx.notify n'est disponible que dans une action de transition");

	p->env.count = on_count;
	p->env.count_arg = &s;
	p->env.notify = on_notify;
	p->env.notify_arg = &s;
	p->env.log = on_log;
	p->env.log_arg = &s;
	assert_string_equal(call_ok(p, "count"), "n=17");
	assert_string_equal(s.form, "f");
	assert_string_equal(s.filter, "{\"n\":3,\"x\":\"count\"}");
	assert_string_equal(call_ok(p, "count_nil"), "n=17");
	assert_string_equal(s.filter, "NULL");
	/* each is a query: a loop of them stops at the 101st, and the next call counts again */
	call_fails(p, "count_boucle");
	expect_at(p, "P.count_boucle = ", "ctx.count : plus de 100 appels dans un même appel");
	assert_string_equal(call_ok(p, "count_nil"), "n=17");
	assert_string_equal(call_ok(p, "notify"), "envoyé");
	assert_string_equal(s.to, "a@b.fr");
	assert_string_equal(s.subject, "Objet");
	assert_string_equal(s.body, "");
	assert_string_equal(call_ok(p, "print"), "imprimé");
	assert_int_equal(s.nlog, 2);
	assert_string_equal(s.log[0], "a\t1\ttrue");       /* print goes to the log */
	assert_string_equal(s.log[1], "journal");
	/* a loop of ctx.log keeps its first 200 lines, and the next call logs again */
	s.nlog_total = 0;
	assert_string_equal(call_ok(p, "journal_boucle"), "fini");
	assert_int_equal(s.nlog_total, 200);
	assert_string_equal(call_ok(p, "print"), "imprimé");
	assert_int_equal(s.nlog_total, 202);
	s.nlog = 2;

	/* a ctx function kept from an earlier call is dead */
	assert_string_equal(call_ok(p, "garde_log"), "gardé");
	call_fails(p, "vieux_log");
	expect_at(p, "P.vieux_log = ", "ctx.log utilisé en dehors de l'appel qui l'a reçu");
	assert_int_equal(s.nlog, 2);
	probe_free(p);
}

/* ------------------------------------------------------------------ states and apps */

static void apps_do_not_share_state(void **st)
{
	(void)st;
	probe *a = probe_new("appli-a"), *b = probe_new("appli-b");
	assert_string_equal(call_ok(a, "compteur"), "compteur=1");
	assert_string_equal(call_ok(a, "compteur"), "compteur=2");
	assert_string_equal(call_ok(a, "compteur"), "compteur=3");
	/* the same module name in another app is another module in another state */
	assert_string_equal(call_ok(b, "compteur"), "compteur=1");
	/* and a second state of the same app starts afresh too */
	char err[SANDBOX_ERR];
	sandbox *a2 = sandbox_open(a->app, STDLIB, err);
	if (!a2)
		fail_msg("%s", err);
	field_errors fe = {0};
	assert_int_equal(sandbox_validate(a2, a->f->validate, &a->r, &a->env, &fe, err), 0);
	assert_string_equal(field_errors_get(&fe, "_"), "compteur=1");
	field_errors_clear(&fe);
	sandbox_close(a2);
	assert_string_equal(call_ok(a, "compteur"), "compteur=4");
	/* b's ctx names b */
	assert_contains(call_ok(b, "ctx"), "appli-b|f|");
	probe_free(a);
	probe_free(b);
}

/*
 * A state opened after the folder changed on disk (a save in progress, a broken
 * edit, a new version not yet loaded) runs the version loaded, like the others:
 * lazily opened states of one version never differ.
 */
static void open_runs_the_version_loaded_not_the_folder_as_it_is_now(void **st)
{
	(void)st;
	probe *p = probe_new("change");
	app_write(&p->t, "lib/etat.lua", "return { n = 100 }\n");
	app_write(&p->t, "lib/nouveau.lua", "return 1\n");
	app_write(&p->t, "app.lua", "return { cassé\n");
	char err[SANDBOX_ERR];
	sandbox *late = sandbox_open(p->app, STDLIB, err);
	if (!late)
		fail_msg("sandbox_open: %s", err);
	sandbox *early = p->sb;
	p->sb = late;
	assert_string_equal(call_ok(p, "compteur"), "compteur=1");   /* lib/etat.lua as loaded */
	assert_string_equal(call_ok(p, "ok"), "bien");
	p->sb = early;
	assert_string_equal(call_ok(p, "compteur"), "compteur=1");
	sandbox_close(late);
	/* and a module that was not there when the version was loaded is not found */
	assert_null(appsrc_find(p->app->src, "lib/nouveau.lua"));
	assert_non_null(appsrc_find(p->app->src, "lib/etat.lua"));
	probe_free(p);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	(void)argc;
	/* Paths are relative to the repository root: go there from build/tests/. */
	if (access("stdlib-lua", F_OK) != 0) {
		char self[4096];
		snprintf(self, sizeof self, "%s", argv[0]);
		char up[4200];
		snprintf(up, sizeof up, "%s/../..", dirname(self));
		if (chdir(up) != 0 || access("stdlib-lua", F_OK) != 0) {
			fprintf(stderr, "test_sandbox: run from the repository root\n");
			return 1;
		}
	}
	alarm(60);    /* a sandbox that fails to stop a loop must fail the suite, not hang it */
	setenv("TZ", "TST-3", 1);   /* a machine 3 h ahead of UTC: os.date must not follow it */
	tzset();
	setenv("SMALLAPPS_NOW", NOW_ISO, 1);
	if (util_init() != 0)
		return 1;
	log_set_quiet(1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(environment_is_exactly_the_allowlist),
		cmocka_unit_test(libraries_hold_only_the_safe_functions),
		cmocka_unit_test(libraries_and_environments_are_read_only),
		cmocka_unit_test(load_accepts_lua_text_only),
		cmocka_unit_test(require_reaches_stdlib_and_the_apps_lib_only),
		cmocka_unit_test(the_only_native_module_is_the_preloaded_french_checks),
		cmocka_unit_test(unknown_global_suggests_the_allowed_name),
		cmocka_unit_test(clock_and_random_come_from_the_engine),
		cmocka_unit_test(definition_copy_is_ordered_and_numbers_functions),
		cmocka_unit_test(infinite_loop_is_stopped_and_the_state_goes_on),
		cmocka_unit_test(memory_bomb_is_stopped_and_the_state_goes_on),
		cmocka_unit_test(pattern_bombs_are_stopped_and_the_state_goes_on),
		cmocka_unit_test(patterns_behave_as_in_lua),
		cmocka_unit_test(failing_the_nth_allocation_is_an_error_never_a_crash),
		cmocka_unit_test(failing_an_allocation_inside_a_hook_is_an_error),
		cmocka_unit_test(hook_errors_carry_file_and_line),
		cmocka_unit_test(hook_error_names_the_lib_line_and_the_app_line_that_called_it),
		cmocka_unit_test(frames_of_a_deep_error_are_bounded_to_the_innermost_and_the_outermost),
		cmocka_unit_test(validate_results_become_field_errors),
		cmocka_unit_test(records_are_seen_as_lua_values_and_read_only_outside_mutations),
		cmocka_unit_test(compute_converts_to_the_stored_form),
		cmocka_unit_test(mutations_write_back_only_what_was_set_and_only_on_success),
		cmocka_unit_test(guards_answer_true_or_false_with_a_reason),
		cmocka_unit_test(ctx_offers_user_clock_and_the_engine_callbacks),
		cmocka_unit_test(apps_do_not_share_state),
		cmocka_unit_test(open_runs_the_version_loaded_not_the_folder_as_it_is_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
