/*
 * sandbox — the only file that speaks the Lua C API (see sandbox.h, SPEC 9), with
 * sandbox_strlib.c (Lua's pattern functions it installs in `string`) and sandbox_fr.c.
 *
 * What it owns: one lua_State per sandbox, its allocator (byte count, cap, and
 * "fail from the Nth allocation on" for tests), the allowlisted environment, the
 * instruction budget, `require`, and the conversions between records and Lua
 * tables for hook calls. What it does not own: the meaning of a definition (the
 * loader reads the copied tree of defval nodes) and the write pipeline.
 *
 * Invariants:
 *  - Every entry into Lua goes through sb_pcall(): a light C function run under
 *    lua_pcall with a message handler below it; the instruction hook is armed for
 *    the call and disarmed after; the stack is back where it started.
 *  - Setting up the environment also runs under sb_pcall, so an allocation
 *    failure at any moment is an error, never a panic.
 *  - Nothing malloc'ed is held across a Lua call that may raise, except through
 *    slots owned by the caller of sb_pcall (callctx outputs, sb->pending) that
 *    are released after lua_pcall returns.
 *  - App code never sees the real global table, the real library tables, the
 *    string metatable, `debug`, `io`, `package`, `coroutine` or `os` beyond
 *    time/date/clock. Libraries are read-only proxies; chunks get their own
 *    _ENV whose metatable reads through to the library and refuses writes.
 *  - Once the budget is spent (or memory is exhausted) the hook is re-armed with a
 *    count of 1 and raises at every instruction, so `pcall` in app code cannot
 *    swallow the stop.
 *  - string.find/match/gmatch/gsub (also reached as ("x"):find) are sandbox_strlib's:
 *    C code that no hook interrupts, so each step of their matcher counts as one
 *    instruction against the same budget (sb_meter), and a spent budget stops the
 *    call the same way. The hook is armed HOOK_SLICE instructions at a time so that
 *    sb->remaining is exact to within one slice when the matcher asks.
 *  - Other library functions whose work is not bounded by one instruction are
 *    charged the same way, so a loop of few instructions cannot make them stall a
 *    worker: every ALLOC_BYTES_PER_STEP bytes allocated during a call count as an
 *    instruction (string.rep, .., table.concat, upper, gsub's result...), and
 *    table.sort, unpack, move, concat, insert and remove at a position, string.byte,
 *    string.pack/unpack/packsize, utf8.len/offset/codepoint, tonumber and load pay
 *    for the elements or bytes they go through before they run (metered()): what a
 *    hook does with short values costs next to nothing, what it does in a loop over
 *    big ones adds up. Known gap: comparing two long strings (== or <) is one
 *    instruction however long they are, so a loop comparing megabyte strings is
 *    bounded by its instruction count only.
 * A sandbox belongs to one thread.
 */
#include "sandbox.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appsrc.h"
#include "buf.h"
#include "diag.h"
#include "loader.h"
#include "log.h"
#include "sandbox_fr.h"
#include "sandbox_strlib.h"
#include "util.h"

#define MEM_SLACK	 (256 * 1024) /* headroom to raise the error once the cap is hit */
#define MAX_MODULE_BYTES (1024 * 1024)
#define MAX_DEF_NODES	 200000
#define MAX_DEF_DEPTH	 64
#define MAX_JSON_DEPTH	 16
#define HOOK_SLICE	 100000 /* instructions the hook counts at a time */
#define MAX_LOG_LINES	 200	/* ctx.log and print lines kept per call */
#define MAX_COUNTS	 100	/* ctx.count queries per call */
#define MAX_FRAMES	 8	/* app frames named in an error: 6 innermost, 2 outermost */
#define FRAMES_BYTES	 (SANDBOX_ERR / 2) /* their share of err; the message keeps the rest */
#define WALK_TOP	 48		   /* stack levels read from the error down */
#define WALK_BOTTOM	 16		   /* and from the bottom up */
/*
 * Measured with lua5.4 on the CI machine: a simple instruction takes about 1 ns, and
 * ('a'):rep(1e6) 2.4 ms (page faults of fresh memory, then filling and copying it),
 * some 2.4 ns per byte. Four bytes an instruction stays on the generous side; a
 * hook's own data (well under a megabyte) costs a few percent of its budget.
 */
#define ALLOC_BYTES_PER_STEP 4

/* Registry keys (their addresses). */
static const char K_LIB = 'L';	   /* the allowlisted library seen through _ENV */
static const char K_ENVMT = 'E';   /* metatable of every chunk's _ENV */
static const char K_FROZEN = 'F';  /* weak set of tables rawset must refuse */
static const char K_HOOKS = 'H';   /* function number -> function */
static const char K_LOADED = 'M';  /* module name -> value */
static const char K_METERED = 'T'; /* "table"/"string" -> name -> library function */
static const char K_LOADING = 'G'; /* module name -> call number (cycle detection) */
static const char K_NAMES = 'N';   /* form (light userdata) -> { name = col | -1 } */

typedef enum { HK_VALIDATE, HK_COMPUTE, HK_MUTATE, HK_GUARD } hook_kind;

/* One hook call: inputs, and outputs owned by the C caller of sb_pcall. */
typedef struct callctx {
	hook_kind kind;
	int hook;
	lua_Integer callno;
	const record *r;
	const hook_env *env;
	const def_form *form;
	json_t **pre;	      /* ncols parsed JSON values (multichoice, file) or NULL */
	field_errors *errors; /* validate */
	const def_field *fd;  /* compute */
	value *out;	      /* compute */
	value *newvals;	      /* mutate: ncols */
	bool *dirty;	      /* mutate: ncols */
	bool *ok;	      /* guard */
	char *reason;	      /* guard: SANDBOX_ERR */
} callctx;

struct sandbox {
	lua_State *L;
	sandbox_limits lim;
	size_t used;	     /* bytes allocated by the state */
	long nallocs;	     /* growing allocations so far (fail_alloc_after) */
	const void *refused; /* last refused request, to tell a retry after GC */
	size_t refused_size;
	bool mem_hit; /* memory refused twice in this call: stop it */
	bool in_call;
	bool budget_spent;
	long budget;	    /* instructions allowed to this call (<= 0: no limit) */
	long remaining;	    /* instructions left in this call */
	int armed;	    /* count the hook is armed with */
	lua_Integer callno; /* serial of the current call */
	int log_lines;	    /* ctx.log and print lines of the current call */
	int counts;	    /* ctx.count queries of the current call */
	char *app_dir;	    /* without trailing slash */
	char *stdlib_dir;
	char *app_file;	    /* app_dir/app.lua */
	char *app_id;	    /* basename of app_dir, for the log */
	const appsrc *src;  /* app.lua and lib/ as loaded: never read from disk again */
	appsrc *own_src;    /* src when this state read it (sandbox_new) */
	const def_app *app; /* sandbox_open */
	arena defmem;	    /* defval nodes */
	const defval *def;
	int nfuncs;
	long ndefnodes;
	json_t *pending;	   /* JSON under construction in a protected call */
	callctx *cur;		   /* hook call in progress */
	char frames[FRAMES_BYTES]; /* app frames of the last error of a hook call */
};

/* ------------------------------------------------------------------ */
/* Allocator and hook                                                  */

static sandbox *getsb(lua_State *L)
{
	return *(sandbox **)lua_getextraspace(L);
}

static void sb_hook(lua_State *L, lua_Debug *ar);

static void arm(sandbox *sb, long n)
{
	int c = n > HOOK_SLICE ? HOOK_SLICE : n < 1 ? 1 : (int)n;
	sb->armed = c;
	lua_sethook(sb->L, sb_hook, LUA_MASKCOUNT, c);
}

/*
 * lua_Alloc: counts bytes, refuses growth past the cap, and in tests fails every
 * growing allocation from the Nth on (as ltests.c does). Lua retries a refused
 * allocation once after a full collection: only a second refusal of the same
 * request means memory is really exhausted, and then the hook stops the call.
 */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	sandbox *sb = ud;
	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		sb->used -= osize;
		return NULL;
	}
	if (nsize > osize) {
		/*
		 * Another request after a refusal that was not retried: lauxlib's buffers
		 * raise at once, without the collection and retry, and app code may catch
		 * that error. Memory is exhausted all the same: stop the call.
		 */
		if (sb->refused_size && (sb->refused != ptr || sb->refused_size != nsize) &&
		    !sb->mem_hit) {
			sb->mem_hit = true;
			if (sb->L && sb->in_call)
				arm(sb, 1);
		}
		bool refuse = false;
		size_t cap = sb->lim.mem_bytes + (sb->mem_hit ? MEM_SLACK : 0);
		if (sb->lim.fail_alloc_after > 0 && ++sb->nallocs >= sb->lim.fail_alloc_after)
			refuse = true;
		else if (nsize - osize > cap || sb->used + (nsize - osize) > cap)
			refuse = true;
		if (refuse) {
			if (sb->refused == ptr && sb->refused_size == nsize) {
				sb->mem_hit = true;
				if (sb->L && sb->in_call)
					arm(sb, 1);
			}
			sb->refused = ptr;
			sb->refused_size = nsize;
			return NULL;
		}
		sb->refused = NULL;
		sb->refused_size = 0;
	}
	void *q = realloc(ptr, nsize);
	if (!q)
		return nsize <= osize ? ptr : NULL;
	sb->used = sb->used - osize + nsize;
	if (nsize > osize && sb->in_call && sb->budget > 0 && !sb->budget_spent && sb->L) {
		sb->remaining -= (long)((nsize - osize) / ALLOC_BYTES_PER_STEP);
		if (sb->remaining < 0) {
			/* Cannot raise here: the hook stops the call at its next instruction. */
			sb->budget_spent = true;
			arm(sb, 1);
		}
	}
	return q;
}

static void sb_hook(lua_State *L, lua_Debug *ar)
{
	sandbox *sb = getsb(L);
	if (!sb->mem_hit && !sb->budget_spent) {
		sb->remaining -= sb->armed;
		if (sb->remaining > 0) {
			arm(sb, sb->remaining);
			return;
		}
		sb->budget_spent = true;
	}
	/* From now on every instruction raises: pcall in app code cannot go on. */
	arm(sb, 1);
	lua_getinfo(L, "Sl", ar);
	if (sb->mem_hit)
		lua_pushfstring(L, "%s:%d: %s (limite : %d Kio)", ar->short_src, ar->currentline,
				SANDBOX_MSG_MEMORY, (int)(sb->lim.mem_bytes / 1024));
	else
		lua_pushfstring(L, "%s:%d: %s (%I instructions)", ar->short_src, ar->currentline,
				SANDBOX_MSG_BUDGET, (lua_Integer)sb->budget);
	lua_error(L);
}

/*
 * sandbox_strlib's meter: `steps` steps of a pattern function count as that many
 * instructions of the current call. Past the budget it stops the call as sb_hook
 * does: budget_spent, the hook raising at every instruction from now on (so app
 * code that catches this error stops at its next instruction), and the same message.
 */
static long sb_meter(lua_State *L, long steps)
{
	sandbox *sb = getsb(L);
	if (!sb->in_call)
		return LONG_MAX;
	if (!sb->mem_hit && !sb->budget_spent) {
		if (sb->budget <= 0)
			return LONG_MAX;
		sb->remaining -= steps;
		if (sb->remaining >= 0)
			return sb->remaining;
		sb->budget_spent = true;
	}
	arm(sb, 1);
	if (sb->mem_hit)
		return luaL_error(L, "%s (limite : %d Kio)", SANDBOX_MSG_MEMORY,
				  (int)(sb->lim.mem_bytes / 1024));
	return luaL_error(L, "%s (%I instructions)", SANDBOX_MSG_BUDGET, (lua_Integer)sb->budget);
}

/* ---- library functions that pay for their elements (see the top of this file) ---- */

enum meter_kind {
	METER_SORT,
	METER_UNPACK,
	METER_CONCAT,
	METER_MOVE,
	METER_BYTE,
	METER_INSERT,	   /* table.insert(t, pos, v) shifts #t - pos elements */
	METER_REMOVE,	   /* table.remove(t, pos) too */
	METER_UTF8_LEN,	   /* utf8.len(s, i, j): bytes from i to j (default -1) */
	METER_UTF8_OFFSET, /* utf8.offset(s, n): |n| characters, #s at most */
	METER_SCAN,	   /* tonumber(s): every byte (leading spaces...) */
	METER_PACK,	   /* string.pack/unpack/packsize(fmt, ...): every byte of fmt */
};

/* Argument a as an integer (floats with an integral value too), or def when absent. */
static bool int_arg(lua_State *L, int a, lua_Integer def, lua_Integer *out)
{
	if (lua_isnoneornil(L, a)) {
		*out = def;
		return true;
	}
	int ok = 0;
	*out = lua_tointegerx(L, a, &ok);
	return ok != 0;
}

/*
 * The length the library function will use: luaL_len, which runs __len (a proxy
 * table's, say) like the function does; a plain table's is read directly.
 */
static double table_len(lua_State *L, int idx)
{
	if (lua_type(L, idx) == LUA_TTABLE && !lua_getmetatable(L, idx))
		return (double)lua_rawlen(L, idx);
	if (lua_type(L, idx) == LUA_TTABLE)
		lua_pop(L, 1);
	else if (!luaL_getmetafield(L, idx, "__len"))
		return 0;
	else
		lua_pop(L, 1);
	return (double)luaL_len(L, idx);
}

/* Elements from i to j, as a double: ranges written by app code may be absurd. */
static double span(lua_Integer i, lua_Integer j)
{
	return j >= i ? (double)j - (double)i + 1 : 0;
}

/* What the call at hand will go through; 0 when its arguments are wrong (it will say so). */
static double metered_cost(lua_State *L, enum meter_kind kind)
{
	lua_Integer i, j;
	switch (kind) {
	case METER_SORT: {
		double n = table_len(L, 1);
		return n > 1 ? n * log2(n) : 0;
	}
	case METER_UNPACK:
	case METER_CONCAT: {
		/* unpack indexes anything (a string's elements are nil); concat wants a table */
		int a = kind == METER_UNPACK ? 2 : 3;
		if (!int_arg(L, a, 1, &i))
			return 0;
		if (!lua_isnoneornil(L, a + 1))
			return int_arg(L, a + 1, 0, &j) ? span(i, j) : 0;
		double n = table_len(L, 1);
		return n >= (double)i ? n - (double)i + 1 : 0;
	}
	case METER_MOVE:
		/* ranges table.move refuses at once (too many elements) cost nothing */
		if (!int_arg(L, 2, 0, &i) || !int_arg(L, 3, 0, &j) ||
		    (j >= i && !(i > 0 || j < LUA_MAXINTEGER + i)))
			return 0;
		return span(i, j);
	case METER_INSERT:
	case METER_REMOVE: {
		/* Appending (insert(t, v)) and removing the last (remove(t)) shift nothing. */
		int with_pos = kind == METER_INSERT ? 3 : 2;
		if (lua_gettop(L) < with_pos || !int_arg(L, 2, 0, &i))
			return 0;
		double n = table_len(L, 1);
		return n >= (double)i ? n - (double)i + 1 : 0;
	}
	case METER_SCAN:
	case METER_PACK:
		return lua_type(L, 1) == LUA_TSTRING ? (double)lua_rawlen(L, 1) : 0;
	case METER_UTF8_OFFSET: {
		if (lua_type(L, 1) != LUA_TSTRING || !int_arg(L, 2, 0, &i))
			return 0;
		double n = i < 0 ? -(double)i : (double)i, len = (double)lua_rawlen(L, 1);
		return n < len ? n : len;
	}
	case METER_BYTE: /* string.byte, utf8.codepoint: j defaults to i */
	case METER_UTF8_LEN: {
		size_t len;
		if (lua_type(L, 1) != LUA_TSTRING && lua_type(L, 1) != LUA_TNUMBER)
			return 0;
		lua_tolstring(L, 1, &len);
		if (!int_arg(L, 2, 1, &i) || !int_arg(L, 3, kind == METER_BYTE ? i : -1, &j))
			return 0;
		/* string.byte's own clamping of positions */
		lua_Integer n = (lua_Integer)len;
		i = i > 0 ? i : i == 0 || i < -n ? 1 : n + i + 1;
		j = j > n ? n : j >= 0 ? j : j < -n ? 0 : n + j + 1;
		return span(i, j);
	}
	}
	return 0;
}

/* Most values a Lua call can return (LUAI_MAXSTACK): unpack and byte refuse more at once. */
#define MAX_RESULTS 1000000.0

/* Whether an error message already says where ("app.lua:12: ..."). */
static bool has_position(const char *msg)
{
	const char *colon = strchr(msg, ':');
	if (!colon || colon == msg || !isdigit((unsigned char)colon[1]))
		return false;
	const char *p = colon + 1;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == ':';
}

/*
 * Upvalues: the library's function, the meter_kind. The function runs under a
 * protected call so that its own errors ("invalid value (at index 2) in table for
 * 'concat'") get the app's file:line, as when app code calls it directly; errors that
 * already carry a position (a comparator's, the budget's) go on unchanged.
 */
static int metered(lua_State *L)
{
	enum meter_kind kind = (enum meter_kind)lua_tointeger(L, lua_upvalueindex(2));
	double cost = metered_cost(L, kind);
	if ((kind == METER_UNPACK || kind == METER_BYTE) && cost > MAX_RESULTS)
		cost = MAX_RESULTS;
	if (cost >= 1)
		sb_meter(L, cost > (double)(LONG_MAX / 2) ? LONG_MAX / 2 : (long)cost);
	int nargs = lua_gettop(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	int st = lua_pcall(L, nargs, LUA_MULTRET, 0);
	if (st == LUA_OK)
		return lua_gettop(L);
	if (st == LUA_ERRRUN && lua_type(L, -1) == LUA_TSTRING &&
	    !has_position(lua_tostring(L, -1))) {
		luaL_where(L, 1);
		lua_insert(L, -2);
		lua_concat(L, 2);
	}
	return lua_error(L);
}

/*
 * Replaces t[name] (t at idx, library lib) by its metered version. The library's
 * function is also kept under K_METERED[lib][name]: called from C it has no name of
 * its own, and lauxlib names it in argument errors by looking for it there.
 */
static void meter_field(lua_State *L, int idx, const char *lib, const char *name,
			enum meter_kind kind)
{
	idx = lua_absindex(L, idx);
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &K_METERED) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &K_METERED);
	}
	luaL_getsubtable(L, -1, lib);
	lua_getfield(L, idx, name);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, name);
	lua_pushinteger(L, kind);
	lua_pushcclosure(L, metered, 2);
	lua_setfield(L, idx, name);
	lua_pop(L, 2);
}

static int sb_panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);
	log_message("lua", "panic (unprotected error): %s", msg ? msg : "?");
	abort();
}

/* ------------------------------------------------------------------ */
/* The one protected-call wrapper                                      */

/*
 * A failed hook call names the app frames it went through after its message, innermost
 * first: "x/lib/calcul.lua:5 in function 'total' < x/app.lua:42 in hook validate". The
 * stack is read WALK_TOP levels from the error down and WALK_BOTTOM from the bottom up
 * only: lua_getstack costs the depth, and a runaway recursion is deep.
 */

static const char *const hook_names[] = {
    [HK_VALIDATE] = "validate",
    [HK_COMPUTE] = "compute",
    [HK_MUTATE] = "on_create/action",
    [HK_GUARD] = "guard",
};

/* The deepest valid level, found by bisection as lauxlib's traceback does. */
static int last_level(lua_State *L)
{
	lua_Debug ar;
	int li = 1, le = 1;
	while (lua_getstack(L, le, &ar)) {
		li = le;
		le *= 2;
	}
	while (li < le) {
		int m = (li + le) / 2;
		if (lua_getstack(L, m, &ar))
			li = m + 1;
		else
			le = m;
	}
	return le - 1;
}

/* The app's file ("lib/x.lua") running at level; NULL for C, the stdlib and load()ed text. */
static const char *frame_file(const sandbox *sb, lua_State *L, int level, lua_Debug *ar)
{
	if (!lua_getstack(L, level, ar) || !lua_getinfo(L, "Slnt", ar))
		return NULL;
	size_t n = strlen(sb->app_dir);
	if (ar->source[0] != '@' || strncmp(ar->source + 1, sb->app_dir, n) != 0 ||
	    ar->source[n + 1] != '/')
		return NULL;
	return ar->source + n + 2;
}

/* Levels of the app's frames, innermost first; 0 stands for levels not read. */
static int app_levels(const sandbox *sb, lua_State *L, int last,
		      int out[WALK_TOP + WALK_BOTTOM + 1])
{
	lua_Debug ar;
	int n = 0;
	for (int level = 1; level <= last; level++) {
		if (level == WALK_TOP + 1 && last > WALK_TOP + WALK_BOTTOM) {
			out[n++] = 0;
			level = last - WALK_BOTTOM + 1;
		}
		if (frame_file(sb, L, level, &ar))
			out[n++] = level;
	}
	return n;
}

/* Whether msg starts with the position of the frame at level, as luaL_where writes it. */
static bool says_where(lua_State *L, int level, const char *msg)
{
	lua_Debug ar;
	char where[LUA_IDSIZE + 32];
	if (!lua_getstack(L, level, &ar) || !lua_getinfo(L, "Sl", &ar))
		return false;
	int k = snprintf(where, sizeof where, "%s:%d:", ar.short_src, ar.currentline);
	return k > 0 && strncmp(msg, where, (size_t)k) == 0;
}

/* "x/lib/calcul.lua:5 in function 'total'"; the hook runs right under hook_cf. */
static void describe_frame(const sandbox *sb, lua_State *L, int level, bool hook, char *out,
			   size_t size)
{
	lua_Debug ar;
	const char *file = frame_file(sb, L, level, &ar);
	char what[160];
	if (!file) {
		snprintf(out, size, "...");
		return;
	}
	if (hook)
		snprintf(what, sizeof what, "hook %s", hook_names[sb->cur->kind]);
	else if (*ar.namewhat)
		snprintf(what, sizeof what, "%s '%.40s'",
			 strcmp(ar.namewhat, "metamethod") == 0 ? "metamethod" : "function",
			 ar.name);
	else if (*ar.what == 'm')
		snprintf(what, sizeof what, "main chunk");
	else
		snprintf(what, sizeof what, "function <%.120s:%d>", file, ar.linedefined);
	/* Its callers were replaced by it: what called them is lost. */
	snprintf(out, size, "%.60s/%.120s:%d in %s%s", sb->app_id, file, ar.currentline, what,
		 ar.istailcall ? " < (...tail calls...)" : "");
}

/* Appends piece to sb->frames after " < "; false (and "..." instead) once it does not fit. */
static bool put_frame(sandbox *sb, size_t *len, const char *piece)
{
	const char *sep = *len ? " < " : "";
	size_t need = strlen(sep) + strlen(piece);
	if (*len + need + sizeof " < ..." > FRAMES_BYTES) {
		snprintf(sb->frames + *len, FRAMES_BYTES - *len, "%s...", sep);
		return false;
	}
	snprintf(sb->frames + *len, FRAMES_BYTES - *len, "%s%s", sep, piece);
	*len += need;
	return true;
}

/*
 * sb->frames for the error msg of a hook call: "" when msg already says where the only
 * frame is. Reads the stack and formats in C: nothing allocated when memory is short.
 */
static void collect_frames(sandbox *sb, lua_State *L, const char *msg)
{
	int levels[WALK_TOP + WALK_BOTTOM + 1];
	int last = last_level(L);
	int n = app_levels(sb, L, last, levels);
	size_t len = 0;
	bool gap = false;
	sb->frames[0] = '\0';
	if (n == 1 && says_where(L, levels[0], msg))
		return;
	for (int i = 0; i < n; i++) {
		char piece[400] = "...";
		bool elide = n > MAX_FRAMES && i == MAX_FRAMES - 2;
		if (levels[i] && !elide)
			describe_frame(sb, L, levels[i], levels[i] == last - 1, piece,
				       sizeof piece);
		bool dots = strcmp(piece, "...") == 0;
		if (!(dots && gap) && !put_frame(sb, &len, piece))
			return;
		gap = dots;
		if (elide)
			i = n - 3; /* then the outermost two */
	}
}

static int sb_msgh(lua_State *L)
{
	sandbox *sb = getsb(L);
	int t = lua_type(L, 1);
	if (t != LUA_TSTRING && t != LUA_TNUMBER)
		lua_pushfstring(L, "(objet d'erreur de type %s)", luaL_typename(L, 1));
	else
		lua_pushvalue(L, 1);
	if (sb->cur)
		collect_frames(sb, L, lua_tostring(L, -1));
	return 1;
}

static void copy_msg(char err[SANDBOX_ERR], const char *msg)
{
	snprintf(err, SANDBOX_ERR, "%s", msg);
}

/* msg and, when there are, its frames: one line for the log, the frames kept whole. */
static void copy_msg_frames(char err[SANDBOX_ERR], const char *msg, const char *frames)
{
	if (!frames[0]) {
		copy_msg(err, msg);
		return;
	}
	size_t room = SANDBOX_ERR - sizeof " [traceback: ]" - strlen(frames), n = strlen(msg);
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80)
			n--; /* not in the middle of a UTF-8 character */
	}
	snprintf(err, SANDBOX_ERR, "%.*s [traceback: %s]", (int)n, msg, frames);
}

/* Calls of this thread stopped past their budget (sandbox_thread_overruns). */
static _Thread_local unsigned long thread_overruns;

unsigned long sandbox_thread_overruns(void)
{
	return thread_overruns;
}

/* A new call: budget and counters afresh. */
static void call_reset(sandbox *sb, long budget)
{
	sb->frames[0] = '\0';
	sb->mem_hit = false;
	sb->budget_spent = false;
	sb->refused = NULL;
	sb->refused_size = 0;
	sb->budget = budget;
	sb->remaining = budget > 0 ? budget : LONG_MAX;
	sb->log_lines = 0;
	sb->counts = 0;
}

/* err of a failed call (error object on top): the budgets say so in their own words. */
static void failure_message(sandbox *sb, int st, char err[SANDBOX_ERR])
{
	lua_State *L = sb->L;
	const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	if (sb->mem_hit || st == LUA_ERRMEM) {
		if (msg && strstr(msg, SANDBOX_MSG_MEMORY))
			copy_msg(err, msg);
		else
			snprintf(err, SANDBOX_ERR, "%s: %s (limite : %zu Kio)", sb->app_file,
				 SANDBOX_MSG_MEMORY, sb->lim.mem_bytes / 1024);
	} else if (sb->budget_spent) {
		if (msg && strstr(msg, SANDBOX_MSG_BUDGET))
			copy_msg(err, msg);
		else
			snprintf(err, SANDBOX_ERR, "%s: %s (%ld instructions)", sb->app_file,
				 SANDBOX_MSG_BUDGET, sb->budget);
	} else if (st == LUA_ERRERR) {
		snprintf(err, SANDBOX_ERR, "%s: erreur dans le traitement d'une erreur",
			 sb->app_file);
	} else {
		copy_msg_frames(err, msg ? msg : "erreur inconnue", sb->frames);
	}
}

/* The stack back to where it started: handler, plus the error object on failure. */
static void restore_stack(sandbox *sb, int base, int st)
{
	lua_State *L = sb->L;
	int expect = base + 1 + (st != LUA_OK);
	if (lua_gettop(L) != expect)
		log_message("lua", "%s: stack imbalance after a call (%d, expected %d)", sb->app_id,
			    lua_gettop(L), expect);
	lua_settop(L, base);
}

/*
 * Runs f(ud) in protected mode with `budget` instructions (<= 0: unlimited).
 * Returns 0, or -1 with err set to "file:line: message" (and the frames of a hook's
 * error). The stack is left as found.
 */
static int sb_pcall(sandbox *sb, lua_CFunction f, void *ud, long budget, char err[SANDBOX_ERR])
{
	lua_State *L = sb->L;
	int base = lua_gettop(L);

	call_reset(sb, budget);
	if (!lua_checkstack(L, 4)) {
		snprintf(err, SANDBOX_ERR, "%s: %s (pile)", sb->app_file, SANDBOX_MSG_MEMORY);
		return -1;
	}
	lua_pushcfunction(L, sb_msgh);
	lua_pushcfunction(L, f);
	lua_pushlightuserdata(L, ud);
	sb->in_call = true;
	if (budget > 0)
		arm(sb, sb->remaining);
	int st = lua_pcall(L, 1, 0, base + 1);
	lua_sethook(L, NULL, 0, 0);
	sb->in_call = false;
	/* A refusal never retried whose error app code caught: the call failed all the same. */
	if (st == LUA_OK && sb->refused_size) {
		sb->mem_hit = true;
		st = LUA_ERRMEM;
		lua_pushnil(L); /* in place of the error object */
	}
	if (st != LUA_OK) {
		if (sb->mem_hit || st == LUA_ERRMEM || sb->budget_spent)
			thread_overruns++;
		failure_message(sb, st, err);
	}
	if (sb->pending) {
		json_decref(sb->pending);
		sb->pending = NULL;
	}
	restore_stack(sb, base, st);
	return st == LUA_OK ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The environment                                                     */

static int ro_newindex(lua_State *L)
{
	return luaL_error(L, "bibliothèque en lecture seule : impossible de modifier \"%s\"",
			  lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

/* Iterates the table held in upvalue 1 (the hidden one behind a proxy). */
static int ro_next(lua_State *L)
{
	lua_settop(L, 2);
	if (lua_next(L, lua_upvalueindex(1)))
		return 2;
	lua_pushnil(L);
	return 1;
}

static int ro_pairs(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushcclosure(L, ro_next, 1);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

static void mark_frozen(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_FROZEN);
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

/* Pushes a read-only proxy of the table at `real`. */
static void push_readonly(lua_State *L, int real)
{
	real = lua_absindex(L, real);
	lua_newtable(L);
	lua_createtable(L, 0, 4);
	lua_pushvalue(L, real);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, ro_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushvalue(L, real);
	lua_pushcclosure(L, ro_pairs, 1);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	mark_frozen(L, -1);
}

/* Copies the table at idx, leaving out the names in `skip`; pushes the copy. */
static void push_copy(lua_State *L, int idx, const char *const *skip)
{
	idx = lua_absindex(L, idx);
	lua_newtable(L);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		bool drop = false;
		if (lua_type(L, -2) == LUA_TSTRING)
			for (const char *const *s = skip; s && *s; s++)
				if (strcmp(*s, lua_tostring(L, -2)) == 0)
					drop = true;
		if (drop) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, -4);
	}
}

static int env_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	if (!lua_isnil(L, -1) || lua_type(L, 2) != LUA_TSTRING)
		return 1;
	/* Reading an unknown global is a typo, not nil. */
	const char *names[64];
	size_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, lua_upvalueindex(1))) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING && n < 64)
			names[n++] = lua_tostring(L, -1);
	}
	const char *k = lua_tostring(L, 2);
	const char *s = diag_suggest(k, names, n);
	if (s)
		return luaL_error(
		    L, "variable globale inconnue \"%s\" (vouliez-vous dire \"%s\" ?)", k, s);
	return luaL_error(L, "variable globale inconnue \"%s\"", k);
}

static int env_newindex(lua_State *L)
{
	return luaL_error(L,
			  "affectation de la variable globale \"%s\" interdite "
			  "(déclarez-la avec local)",
			  lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

/* Pushes a fresh _ENV for one chunk. */
static void push_env(lua_State *L)
{
	lua_newtable(L);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_ENVMT);
	lua_setmetatable(L, -2);
	mark_frozen(L, -1);
}

static void log_line(sandbox *sb, const char *msg)
{
	/* A loop of ctx.log must not fill the disk: the log keeps the first lines of a call. */
	if (++sb->log_lines > MAX_LOG_LINES) {
		if (sb->log_lines == MAX_LOG_LINES + 1)
			log_message("lua",
				    "%s: plus de %d lignes de journal dans un appel : les "
				    "suivantes sont ignorées",
				    sb->app_id, MAX_LOG_LINES);
		return;
	}
	const hook_env *env = sb->cur ? sb->cur->env : NULL;
	if (env && env->log)
		env->log(env->log_arg, msg);
	else
		log_message("lua", "%s: %.2000s", sb->app_id, msg);
}

static int sb_print(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	log_line(getsb(L), lua_tostring(L, -1));
	return 0;
}

/* setmetatable without __gc: finalizers would run app code outside any call. */
static int sb_setmetatable(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	int t = lua_type(L, 2);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
	if (t == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L,
					  "setmetatable : __gc est interdit dans le bac à sable");
	}
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

static int sb_rawset(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkany(L, 2);
	luaL_checkany(L, 3);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_FROZEN);
	lua_pushvalue(L, 1);
	lua_rawget(L, -2);
	if (lua_toboolean(L, -1))
		return luaL_error(L, "rawset : table protégée (lecture seule)");
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 1;
}

/* load(text [, chunkname [, mode [, env]]]): text chunks only. */
static int sb_load(lua_State *L)
{
	size_t n;
	int nargs = lua_gettop(L);
	if (lua_type(L, 1) != LUA_TSTRING) {
		lua_pushnil(L);
		lua_pushliteral(L, "load : seul un texte Lua est accepté");
		return 2;
	}
	const char *s = lua_tolstring(L, 1, &n);
	const char *name = luaL_optstring(L, 2, "=(load)");
	const char *mode = luaL_optstring(L, 3, "t");
	if (!strchr(mode, 't')) {
		lua_pushnil(L);
		lua_pushliteral(L, "load : seuls les morceaux texte sont acceptés");
		return 2;
	}
	sb_meter(L, (long)(n < LONG_MAX / 2 ? n : LONG_MAX / 2)); /* the lexer reads every byte */
	if (luaL_loadbufferx(L, s, n, name, "t") != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	if (nargs >= 4)
		lua_pushvalue(L, 4);
	else
		push_env(L);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	return 1;
}

/* Reads a file into a Lua userdata pushed on the stack; NULL when absent. */
static const char *push_file(lua_State *L, const char *path, size_t *len)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	if (st.st_size > MAX_MODULE_BYTES)
		luaL_error(L, "%s : fichier trop gros (%d octets au plus)", path, MAX_MODULE_BYTES);
	size_t size = (size_t)st.st_size;
	char *b = lua_newuserdatauv(L, size ? size : 1, 0);
	FILE *f = fopen(path, "rb");
	if (!f) {
		lua_pop(L, 1);
		return NULL;
	}
	*len = fread(b, 1, size, f);
	fclose(f);
	return b;
}

/* Loads a text chunk named after `path` with a fresh _ENV; pushes the function. */
static void load_text(lua_State *L, const char *path, const char *text, size_t len)
{
	lua_pushfstring(L, "@%s", path);
	if (luaL_loadbufferx(L, text, len, lua_tostring(L, -1), "t") != LUA_OK)
		lua_error(L);
	push_env(L);
	lua_setupvalue(L, -2, 1);
	lua_replace(L, -2); /* function over the chunk name */
}

/* Loads the text chunk in the file `path` (the stdlib's); pushes the function. */
static void load_chunk(lua_State *L, const char *path)
{
	size_t len = 0;
	const char *text = push_file(L, path, &len);
	if (!text)
		luaL_error(L, "%s : fichier introuvable", path);
	load_text(L, path, text, len);
	lua_remove(L, -2); /* the buffer */
}

/* Loads the app's file rel ("app.lua", "lib/x.lua") from its sources; pushes the function. */
static bool load_app_file(lua_State *L, const sandbox *sb, const char *rel)
{
	const appsrc_file *f = appsrc_find(sb->src, rel);
	if (!f)
		return false;
	lua_pushfstring(L, "%s/%s", sb->app_dir, rel);
	load_text(L, lua_tostring(L, -1), f->text, f->len);
	lua_remove(L, -2); /* the path */
	return true;
}

static bool valid_module_name(const char *s, size_t n)
{
	if (n == 0 || n > 100 || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '.'))
			return false;
	return true;
}

/* require "smallapps.x" (stdlib-lua/smallapps/x.lua) or "lib.x" (<app>/lib/x.lua). */
static int sb_require(lua_State *L)
{
	sandbox *sb = getsb(L);
	size_t n;
	const char *name = luaL_checklstring(L, 1, &n);
	if (!valid_module_name(name, n) || strlen(name) != n)
		return luaL_error(L,
				  "require : nom de module invalide \"%s\" "
				  "(lettres minuscules, chiffres, _ et . seulement)",
				  name);
	lua_settop(L, 1);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_LOADED);  /* 2 */
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_LOADING); /* 3 */
	lua_pushvalue(L, 1);
	if (lua_rawget(L, 2) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	lua_pushvalue(L, 1);
	lua_rawget(L, 3);
	if (lua_tointeger(L, -1) == sb->callno && lua_isinteger(L, -1))
		return luaL_error(L, "require circulaire du module \"%s\"", name);
	lua_pop(L, 1);

	/* The stdlib is part of the installation; lib.* is the app's, read with its version. */
	bool app_module = strncmp(name, "lib.", 4) == 0;
	const char *root = app_module ? sb->app_dir : sb->stdlib_dir;
	if (!app_module && strncmp(name, "smallapps.", 10) != 0)
		return luaL_error(L,
				  "require : module \"%s\" indisponible (seuls \"smallapps.*\" "
				  "et \"lib.*\" le sont)",
				  name);
	if (!root || (app_module && !sb->src))
		return luaL_error(L, "require : pas de dossier pour \"%s\"", name);
	char rel[1024];
	size_t k = 0;
	for (const char *p = name; *p && k < sizeof rel - 5; p++)
		rel[k++] = *p == '.' ? '/' : *p;
	snprintf(rel + k, sizeof rel - k, ".lua");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root, rel);

	struct stat st;
	if (app_module ? !appsrc_find(sb->src, rel) : stat(path, &st) != 0)
		return luaL_error(L, "require \"%s\" : module introuvable (%s)", name, path);
	lua_pushvalue(L, 1);
	lua_pushinteger(L, sb->callno);
	lua_rawset(L, 3);
	if (app_module)
		load_app_file(L, sb, rel);
	else
		load_chunk(L, path);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, 1);
	lua_pushvalue(L, -2);
	lua_rawset(L, 2);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	lua_rawset(L, 3);
	return 1;
}

/* os.time([t]): now from the engine clock; a table is read as UTC. */
static int getfield_int(lua_State *L, const char *k, int d, int delta)
{
	int t = lua_getfield(L, 1, k);
	int isnum;
	lua_Integer v = lua_tointegerx(L, -1, &isnum);
	lua_pop(L, 1);
	if (!isnum) {
		if (t != LUA_TNIL)
			return luaL_error(L, "os.time : le champ \"%s\" doit être un entier", k);
		if (d < 0)
			return luaL_error(L, "os.time : champ \"%s\" manquant", k);
		return d;
	}
	if (v < INT_MIN / 2 || v > INT_MAX / 2)
		return luaL_error(L, "os.time : champ \"%s\" hors limites", k);
	return (int)v - delta;
}

static int sb_os_time(lua_State *L)
{
	if (lua_isnoneornil(L, 1)) {
		lua_pushinteger(L, (lua_Integer)util_now());
		return 1;
	}
	luaL_checktype(L, 1, LUA_TTABLE);
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = getfield_int(L, "year", -1, 1900);
	tm.tm_mon = getfield_int(L, "month", -1, 1);
	tm.tm_mday = getfield_int(L, "day", -1, 0);
	tm.tm_hour = getfield_int(L, "hour", 12, 0);
	tm.tm_min = getfield_int(L, "min", 0, 0);
	tm.tm_sec = getfield_int(L, "sec", 0, 0);
	lua_pushinteger(L, (lua_Integer)timegm(&tm));
	return 1;
}

/* os.date([fmt [, t]]): always UTC, t defaults to the engine clock. */
static int sb_os_date(lua_State *L)
{
	const char *fmt = luaL_optstring(L, 1, "%c");
	lua_Integer t = luaL_optinteger(L, 2, (lua_Integer)util_now());
	lua_pushvalue(L, lua_upvalueindex(1));
	if (fmt[0] == '!')
		lua_pushstring(L, fmt);
	else
		lua_pushfstring(L, "!%s", fmt);
	lua_pushinteger(L, t);
	lua_call(L, 2, 1);
	return 1;
}

static int sb_os_clock(lua_State *L)
{
	lua_pushnumber(L, (lua_Number)clock() / CLOCKS_PER_SEC);
	return 1;
}

static const char *const base_allow[] = {
    "assert",	    "error",	"ipairs",   "next",   "pairs",	  "pcall",
    "xpcall",	    "rawequal", "rawget",   "rawlen", "select",	  "setmetatable",
    "getmetatable", "tonumber", "tostring", "type",   "_VERSION", NULL};

/* Registry tables every state starts with; K_FROZEN's keys are weak. */
static void new_registry_tables(lua_State *L)
{
	static const void *const plain[] = {&K_HOOKS, &K_LOADED, &K_LOADING, &K_NAMES};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		lua_newtable(L);
		lua_rawsetp(L, LUA_REGISTRYINDEX, plain[i]);
	}
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &K_FROZEN);
}

/* The allowlisted base functions of g, with the engine's own where the stock ones leak. */
static void add_base(lua_State *L, int g, int lib)
{
	for (const char *const *n = base_allow; *n; n++) {
		lua_getfield(L, g, *n);
		lua_setfield(L, lib, *n);
	}
	meter_field(L, lib, "_G", "tonumber", METER_SCAN);
	lua_pushcfunction(L, sb_print);
	lua_setfield(L, lib, "print");
	lua_pushcfunction(L, sb_rawset);
	lua_setfield(L, lib, "rawset");
	lua_getfield(L, g, "setmetatable");
	lua_pushcclosure(L, sb_setmetatable, 1);
	lua_setfield(L, lib, "setmetatable");
	lua_pushcfunction(L, sb_load);
	lua_setfield(L, lib, "load");
	lua_pushcfunction(L, sb_require);
	lua_setfield(L, lib, "require");
}

/* string: a copy without dump; it also backs ("x"):method(), behind a hidden metatable. */
static void add_string(lua_State *L, int str, int lib)
{
	static const char *const no_dump[] = {"dump", NULL};
	push_copy(L, str, no_dump);
	int copy = lua_gettop(L);
	sandbox_strlib_install(L, copy, sb_meter);
	meter_field(L, copy, "string", "byte", METER_BYTE);
	meter_field(L, copy, "string", "pack", METER_PACK);
	meter_field(L, copy, "string", "unpack", METER_PACK);
	meter_field(L, copy, "string", "packsize", METER_PACK);
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushvalue(L, copy);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
	push_readonly(L, copy);
	lua_setfield(L, lib, "string");
	lua_pop(L, 1);
}

typedef struct meter_spec {
	const char *name;
	enum meter_kind kind;
} meter_spec;

/*
 * lib[name]: a read-only copy of the library at src without the names in skip, the
 * functions in meters (ended by a NULL name) paying for their elements.
 */
static void add_library(lua_State *L, int src, int lib, const char *name, const char *const *skip,
			const meter_spec *meters)
{
	push_copy(L, src, skip);
	for (const meter_spec *m = meters; m && m->name; m++)
		meter_field(L, -1, name, m->name, m->kind);
	push_readonly(L, -1);
	lua_setfield(L, lib, name);
	lua_pop(L, 1);
}

/*
 * math.random: seeded by the engine from the system's random source. Not from the
 * clock: every state made in the same second (all of them under SMALLAPPS_NOW)
 * drew the same numbers, so the workers handed out the same "random" references.
 */
static void seed_random(lua_State *L, int math)
{
	lua_Integer seed[2];
	randombytes_buf(seed, sizeof seed);
	lua_getfield(L, math, "randomseed");
	lua_pushinteger(L, seed[0]);
	lua_pushinteger(L, seed[1]);
	lua_call(L, 2, 0);
}

/* os: time, date and clock only, on the engine clock (os.date in UTC). */
static void add_os(lua_State *L, int os, int lib)
{
	lua_createtable(L, 0, 3);
	lua_pushcfunction(L, sb_os_time);
	lua_setfield(L, -2, "time");
	lua_getfield(L, os, "date");
	lua_pushcclosure(L, sb_os_date, 1);
	lua_setfield(L, -2, "date");
	lua_pushcfunction(L, sb_os_clock);
	lua_setfield(L, -2, "clock");
	push_readonly(L, -1);
	lua_setfield(L, lib, "os");
	lua_pop(L, 1);
}

/* smallapps.fr_natif, the one native module require finds: read-only, paid per byte. */
static void add_fr_module(lua_State *L)
{
	luaopen_smallapps_fr_natif(L);
	for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1))
		if (lua_type(L, -1) == LUA_TFUNCTION)
			meter_field(L, -3, SANDBOX_FR_MODULE, lua_tostring(L, -2), METER_SCAN);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_LOADED);
	push_readonly(L, -2);
	lua_setfield(L, -2, SANDBOX_FR_MODULE);
	lua_pop(L, 2);
}

/* K_LIB, and K_ENVMT: the metatable of every chunk's _ENV, reading through to lib. */
static void set_env_metatable(lua_State *L, int lib)
{
	lua_pushvalue(L, lib);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &K_LIB);
	lua_createtable(L, 0, 3);
	lua_pushvalue(L, lib);
	lua_pushcclosure(L, env_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, env_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &K_ENVMT);
}

static const meter_spec table_meters[] = {
    {"sort", METER_SORT},
    {"unpack", METER_UNPACK},
    {"concat", METER_CONCAT},
    {"move", METER_MOVE},
    {"insert", METER_INSERT},
    {"remove", METER_REMOVE},
    {NULL, 0},
};

static const meter_spec utf8_meters[] = {
    {"len", METER_UTF8_LEN},
    {"offset", METER_UTF8_OFFSET},
    {"codepoint", METER_BYTE},
    {NULL, 0},
};

/* Builds the environment under sb_pcall (its argument, the sandbox, is slot 1). */
static int setup_cf(lua_State *L)
{
	static const char *const no_seed[] = {"randomseed", NULL};
	enum { G = 2, STRING, TABLE, MATH, UTF8, OS, LIB };

	new_registry_tables(L);
	luaL_requiref(L, "_G", luaopen_base, 0); /* G: the real globals */
	luaL_requiref(L, "string", luaopen_string, 0);
	luaL_requiref(L, "table", luaopen_table, 0);
	luaL_requiref(L, "math", luaopen_math, 0);
	luaL_requiref(L, "utf8", luaopen_utf8, 0);
	luaL_requiref(L, "os", luaopen_os, 0);
	lua_newtable(L); /* LIB */

	add_base(L, G, LIB);
	add_string(L, STRING, LIB);
	add_library(L, TABLE, LIB, "table", NULL, table_meters);
	seed_random(L, MATH);
	add_library(L, MATH, LIB, "math", no_seed, NULL);
	add_library(L, UTF8, LIB, "utf8", NULL, utf8_meters);
	add_os(L, OS, LIB);
	add_fr_module(L);
	set_env_metatable(L, LIB);

	/* Nothing reaches the real globals any more; chunks always get their own _ENV. */
	lua_newtable(L);
	lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_METERED);
	lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Running app.lua and copying the definition                          */

typedef struct copyctx {
	sandbox *sb;
	int memo; /* stack index: table/function -> light userdata node */
	int depth;
} copyctx;

static int cmp_pair(const void *a, const void *b)
{
	return strcmp(((const defval_pair *)a)->key, ((const defval_pair *)b)->key);
}

static const defval *copy_value(lua_State *L, copyctx *c, int idx);

/* 0: an array item (1..n), 1: a usable string key, 2: any other key. */
static int key_class(lua_State *L, size_t n)
{
	if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && (size_t)lua_tointeger(L, -1) <= n)
		return 0;
	if (lua_type(L, -1) == LUA_TSTRING) {
		size_t kl;
		const char *k = lua_tolstring(L, -1, &kl);
		return strlen(k) == kl ? 1 : 2;
	}
	return 2;
}

/* The key on top that is neither an item nor a name, as the loader's messages show it. */
static void bad_key_text(lua_State *L, char *text, size_t size)
{
	switch (lua_type(L, -1)) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, -1))
			snprintf(text, size, "[%lld]", (long long)lua_tointeger(L, -1));
		else
			snprintf(text, size, "[%g]", lua_tonumber(L, -1));
		break;
	case LUA_TBOOLEAN:
		snprintf(text, size, "[%s]", lua_toboolean(L, -1) ? "true" : "false");
		break;
	case LUA_TSTRING:
		snprintf(text, size, "[\"%.40s\"]", lua_tostring(L, -1));
		break;
	default:
		snprintf(text, size, "[%s]", luaL_typename(L, -1));
	}
}

static void copy_table(lua_State *L, copyctx *c, int idx, defval *v)
{
	arena *A = &c->sb->defmem;
	size_t n = 0;
	while (lua_rawgeti(L, idx, (lua_Integer)n + 1) != LUA_TNIL) {
		lua_pop(L, 1);
		n++;
	}
	lua_pop(L, 1);
	size_t nkeys = 0, nbad = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		int k = key_class(L, n);
		nkeys += k == 1;
		nbad += k == 2;
	}
	const defval **items = arena_alloc(A, (n ? n : 1) * sizeof *items);
	defval_pair *pairs = arena_alloc(A, (nkeys ? nkeys : 1) * sizeof *pairs);
	const char **bad = arena_alloc(A, (nbad ? nbad : 1) * sizeof *bad);
	size_t ik = 0, ib = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		int k = key_class(L, n);
		if (k == 1 && ik < nkeys) {
			pairs[ik++].key = arena_strdup(A, lua_tostring(L, -1));
		} else if (k == 2 && ib < nbad) {
			char text[64];
			bad_key_text(L, text, sizeof text);
			bad[ib++] = arena_strdup(A, text);
		}
	}
	qsort(pairs, ik, sizeof *pairs, cmp_pair);
	for (size_t i = 0; i < n; i++) {
		lua_rawgeti(L, idx, (lua_Integer)i + 1);
		items[i] = copy_value(L, c, -1);
		lua_pop(L, 1);
	}
	for (size_t i = 0; i < ik; i++) {
		lua_pushstring(L, pairs[i].key);
		lua_rawget(L, idx);
		pairs[i].val = copy_value(L, c, -1);
		lua_pop(L, 1);
	}
	v->items = items;
	v->nitems = n;
	v->fields = pairs;
	v->nfields = ik;
	v->badkeys = bad;
	v->nbadkeys = ib;
}

/* The node made before for the table or function at idx, or NULL; a cycle raises. */
static const defval *copied_before(lua_State *L, copyctx *c, int idx)
{
	lua_pushvalue(L, idx);
	lua_rawget(L, c->memo);
	defval *seen = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (seen && seen->busy)
		luaL_error(L,
			   "%s: la table renvoyée contient un cycle (une table se contient "
			   "elle-même)",
			   c->sb->app_file);
	return seen;
}

/* nil, booleans, numbers, strings, and the kinds a definition has no use for. */
static void copy_scalar(lua_State *L, copyctx *c, int idx, int t, defval *v)
{
	switch (t) {
	case LUA_TNIL:
		v->kind = DV_NIL;
		break;
	case LUA_TBOOLEAN:
		v->kind = DV_BOOL;
		v->b = lua_toboolean(L, idx);
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			v->kind = DV_INT;
			v->i = lua_tointeger(L, idx);
		} else {
			v->kind = DV_NUM;
			v->d = lua_tonumber(L, idx);
		}
		break;
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		v->kind = DV_STR;
		v->s = arena_strndup(&c->sb->defmem, s, n);
		v->len = n;
		break;
	}
	default:
		v->kind = DV_OTHER;
		v->s = lua_typename(L, t);
		break;
	}
}

/* A function gets the next number, its hook id: K_HOOKS[number] keeps it for the calls. */
static void copy_function(lua_State *L, copyctx *c, int idx, defval *v)
{
	sandbox *sb = c->sb;
	v->kind = DV_FUNC;
	v->func = ++sb->nfuncs;
	lua_Debug ar;
	lua_pushvalue(L, idx);
	lua_getinfo(L, ">S", &ar);
	v->line = ar.linedefined > 0 ? ar.linedefined : 0;
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_HOOKS);
	lua_pushvalue(L, idx);
	lua_rawseti(L, -2, v->func);
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	lua_pushlightuserdata(L, v);
	lua_rawset(L, c->memo);
}

/* A table, remembered (and busy) before its contents are copied, so cycles are caught. */
static void copy_table_node(lua_State *L, copyctx *c, int idx, defval *v)
{
	if (c->depth >= MAX_DEF_DEPTH)
		luaL_error(L, "%s: définition trop profonde (plus de %d niveaux)", c->sb->app_file,
			   MAX_DEF_DEPTH);
	v->kind = DV_TABLE;
	lua_pushvalue(L, idx);
	lua_pushlightuserdata(L, v);
	lua_rawset(L, c->memo);
	v->busy = true;
	c->depth++;
	copy_table(L, c, idx, v);
	c->depth--;
	v->busy = false;
}

static const defval *copy_value(lua_State *L, copyctx *c, int idx)
{
	sandbox *sb = c->sb;
	idx = lua_absindex(L, idx);
	luaL_checkstack(L, 8, "définition trop profonde");
	int t = lua_type(L, idx);
	if (t == LUA_TTABLE || t == LUA_TFUNCTION) {
		const defval *seen = copied_before(L, c, idx);
		if (seen)
			return seen;
	}
	if (++sb->ndefnodes > MAX_DEF_NODES)
		luaL_error(L, "%s: définition trop grande (plus de %d valeurs)", sb->app_file,
			   MAX_DEF_NODES);
	defval *v = arena_alloc(&sb->defmem, sizeof *v);
	if (t == LUA_TFUNCTION)
		copy_function(L, c, idx, v);
	else if (t == LUA_TTABLE)
		copy_table_node(L, c, idx, v);
	else
		copy_scalar(L, c, idx, t, v);
	return v;
}

/* The table on top of the stack, copied out of Lua as the definition (sandbox_definition). */
static void copy_definition(lua_State *L, sandbox *sb)
{
	lua_newtable(L);
	copyctx c = {sb, lua_gettop(L), 0};
	sb->nfuncs = 0;
	sb->ndefnodes = 0;
	sb->def = copy_value(L, &c, -2);
}

static int run_main_cf(lua_State *L)
{
	sandbox *sb = lua_touserdata(L, 1);
	sb->callno++;
	if (!load_app_file(L, sb, "app.lua"))
		return luaL_error(L, "%s: fichier introuvable", sb->app_file);
	lua_call(L, 0, 1);
	if (!lua_istable(L, -1)) {
		lua_pushfstring(L, "%s: app.lua doit renvoyer une table (return { ... }), pas %s",
				sb->app_file, luaL_typename(L, -1));
		return lua_error(L);
	}
	copy_definition(L, sb);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

sandbox_limits sandbox_default_limits(void)
{
	sandbox_limits l = {
	    .mem_bytes = 64u * 1024 * 1024,
	    .load_instructions = 50000000L,
	    .call_instructions = 1000000L, /* a hook runs while someone waits: ~5 ms */
	    .fail_alloc_after = 0,
	};
	return l;
}

void sandbox_close(sandbox *sb)
{
	if (!sb)
		return;
	if (sb->L) {
		/* Finalizers cannot be set (setmetatable refuses __gc); still, bound lua_close. */
		sb->in_call = true;
		sb->budget_spent = false;
		sb->remaining = sb->budget =
		    sb->lim.call_instructions > 0 ? sb->lim.call_instructions : 1000000;
		arm(sb, sb->remaining);
		lua_close(sb->L);
	}
	if (sb->pending)
		json_decref(sb->pending);
	appsrc_free(sb->own_src);
	arena_free(&sb->defmem);
	free(sb->app_dir);
	free(sb->stdlib_dir);
	free(sb->app_file);
	free(sb->app_id);
	free(sb);
}

static sandbox *sb_create(const char *app_dir, const char *stdlib_dir, const sandbox_limits *lim,
			  char err[SANDBOX_ERR])
{
	sandbox *sb = xcalloc(1, sizeof *sb);
	sb->lim = lim ? *lim : sandbox_default_limits();
	if (sb->lim.mem_bytes == 0)
		sb->lim.mem_bytes = sandbox_default_limits().mem_bytes;
	size_t n = strlen(app_dir);
	while (n > 1 && app_dir[n - 1] == '/')
		n--;
	sb->app_dir = xstrndup(app_dir, n);
	sb->stdlib_dir = xstrdup(stdlib_dir);
	buf b = BUF_INIT;
	buf_printf(&b, "%s/app.lua", sb->app_dir);
	sb->app_file = buf_steal(&b);
	const char *slash = strrchr(sb->app_dir, '/');
	sb->app_id = xstrdup(slash ? slash + 1 : sb->app_dir);

	sb->L = lua_newstate(sb_alloc, sb);
	if (!sb->L) {
		snprintf(err, SANDBOX_ERR, "%s: %s (création de l'état Lua)", sb->app_file,
			 SANDBOX_MSG_MEMORY);
		sandbox_close(sb);
		return NULL;
	}
	*(sandbox **)lua_getextraspace(sb->L) = sb;
	lua_atpanic(sb->L, sb_panic);
	if (sb_pcall(sb, setup_cf, sb, 0, err) != 0) {
		sandbox_close(sb);
		return NULL;
	}
	return sb;
}

/* sb's sources: src when given (borrowed), else read from its folder now (owned). */
static int sb_sources(sandbox *sb, const appsrc *src, char err[SANDBOX_ERR])
{
	if (src) {
		sb->src = src;
		return 0;
	}
	char why[APPSRC_ERR];
	if (!(sb->own_src = appsrc_read(sb->app_dir, why))) {
		snprintf(err, SANDBOX_ERR, "%s", why);
		return -1;
	}
	sb->src = sb->own_src;
	return 0;
}

sandbox *sandbox_new_src(const char *app_dir, const appsrc *src, const char *stdlib_dir,
			 const sandbox_limits *lim, char err[SANDBOX_ERR])
{
	sandbox *sb = sb_create(app_dir, stdlib_dir, lim, err);
	if (!sb)
		return NULL;
	if (sb_sources(sb, src, err) != 0 ||
	    sb_pcall(sb, run_main_cf, sb, sb->lim.load_instructions, err) != 0) {
		sandbox_close(sb);
		return NULL;
	}
	return sb;
}

sandbox *sandbox_new(const char *app_dir, const char *stdlib_dir, const sandbox_limits *lim,
		     char err[SANDBOX_ERR])
{
	return sandbox_new_src(app_dir, NULL, stdlib_dir, lim, err);
}

sandbox *sandbox_open_limits(const def_app *app, const char *stdlib_dir, const sandbox_limits *lim,
			     char err[SANDBOX_ERR])
{
	sandbox *sb = sb_create(app->dir, stdlib_dir, lim, err);
	if (!sb)
		return NULL;
	sb->app = app;
	if (sb_sources(sb, app->src, err) != 0 ||
	    sb_pcall(sb, run_main_cf, sb, sb->lim.load_instructions, err) != 0) {
		sandbox_close(sb);
		return NULL;
	}
	if (sb->nfuncs != app->nhooks) {
		snprintf(err, SANDBOX_ERR,
			 "%s: la définition a changé depuis son chargement "
			 "(%d fonctions au lieu de %d)",
			 sb->app_file, sb->nfuncs, app->nhooks);
		sandbox_close(sb);
		return NULL;
	}
	/* The copy was only needed to number the functions. */
	arena_free(&sb->defmem);
	sb->def = NULL;
	return sb;
}

sandbox *sandbox_open(const def_app *app, const char *stdlib_dir, char err[SANDBOX_ERR])
{
	return sandbox_open_limits(app, stdlib_dir, NULL, err);
}

const def_app *sandbox_app(const sandbox *sb)
{
	return sb->app;
}

const defval *sandbox_definition(const sandbox *sb)
{
	return sb->def;
}

int sandbox_nfuncs(const sandbox *sb)
{
	return sb->nfuncs;
}

size_t sandbox_mem_used(const sandbox *sb)
{
	return sb->used;
}

/* ------------------------------------------------------------------ */
/* Values between records and Lua                                      */

static const char *const sys_names[] = {"id",	      "state",	    "created_at", "created_by",
					"updated_at", "updated_by", "version",	  NULL};

static void push_json(lua_State *L, const json_t *j, int depth)
{
	luaL_checkstack(L, 4, NULL);
	if (depth > MAX_JSON_DEPTH) {
		lua_pushnil(L);
		return;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;
		lua_createtable(L, 0, (int)json_object_size(j));
		json_object_foreach((json_t *)j, k, v)
		{
			push_json(L, v, depth + 1);
			lua_setfield(L, -2, k);
		}
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;
		lua_createtable(L, (int)json_array_size(j), 0);
		json_array_foreach(j, i, v)
		{
			push_json(L, v, depth + 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	}
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(j));
		break;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(j));
		break;
	case JSON_TRUE:
		lua_pushboolean(L, 1);
		break;
	case JSON_FALSE:
		lua_pushboolean(L, 0);
		break;
	default:
		lua_pushnil(L);
	}
}

/* A repeat's lines as a Lua array of tables: sub-fields as push_value gives them (money in
 * euros), from the JSON read before the call (nothing of ours is allocated here). */
static void push_lines(lua_State *L, const def_field *fd, const json_t *lines)
{
	lua_createtable(L, (int)json_array_size(lines), 0);
	size_t k;
	const json_t *line;
	json_array_foreach(lines, k, line)
	{
		lua_createtable(L, 0, (int)fd->nsub);
		for (size_t i = 0; i < fd->nsub; i++) {
			const json_t *cell = json_object_get(line, fd->sub[i].name);
			if (!cell || json_is_null(cell))
				continue;
			if (fd->sub[i].type == FT_MONEY && json_is_string(cell)) {
				double d = strtod(json_string_value(cell), NULL);
				if (d == floor(d) && fabs(d) < 9e15)
					lua_pushinteger(L, (lua_Integer)d);
				else
					lua_pushnumber(L, d);
			} else {
				push_json(L, cell, 1);
			}
			lua_setfield(L, -2, fd->sub[i].name);
		}
		lua_rawseti(L, -2, (lua_Integer)k + 1);
	}
}

/* Pushes a stored value as the app sees it (SPEC 4.4); nil for NULL. */
static void push_value(lua_State *L, const def_field *fd, const value *v, const json_t *pre)
{
	if (v->kind == VAL_NULL) {
		lua_pushnil(L);
		return;
	}
	switch (fd->type) {
	case FT_MONEY:
		if (v->kind == VAL_INT && v->i % 100 == 0)
			lua_pushinteger(L, v->i / 100);
		else
			lua_pushnumber(L, (v->kind == VAL_INT ? (double)v->i : v->d) / 100.0);
		return;
	case FT_BOOLEAN:
		lua_pushboolean(L, v->kind == VAL_INT	 ? v->i != 0
				   : v->kind == VAL_REAL ? v->d != 0
							 : 1);
		return;
	case FT_DECIMAL:
		lua_pushnumber(L, v->kind == VAL_INT ? (double)v->i : v->d);
		return;
	case FT_MULTICHOICE:
	case FT_FILE:
		if (pre) {
			push_json(L, pre, 0);
			return;
		}
		break;
	case FT_REPEAT:
		if (pre) {
			push_lines(L, fd, pre);
			return;
		}
		break;
	default:
		break;
	}
	switch (v->kind) {
	case VAL_INT:
		lua_pushinteger(L, (lua_Integer)v->i);
		break;
	case VAL_REAL:
		lua_pushnumber(L, v->d);
		break;
	case VAL_TEXT:
		lua_pushstring(L, v->s ? v->s : "");
		break;
	default:
		lua_pushnil(L);
	}
}

static void what_is(lua_State *L, int idx, char *out, size_t n)
{
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		snprintf(out, n, "nil");
		break;
	case LUA_TBOOLEAN:
		snprintf(out, n, "le booléen %s", lua_toboolean(L, idx) ? "true" : "false");
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			snprintf(out, n, "l'entier %lld", (long long)lua_tointeger(L, idx));
		else
			snprintf(out, n, "le nombre %g", lua_tonumber(L, idx));
		break;
	case LUA_TSTRING:
		snprintf(out, n, "la chaîne \"%.40s\"", lua_tostring(L, idx));
		break;
	case LUA_TTABLE:
		snprintf(out, n, "une table");
		break;
	case LUA_TFUNCTION:
		snprintf(out, n, "une fonction");
		break;
	default:
		snprintf(out, n, "une valeur de type %s", luaL_typename(L, idx));
	}
}

static bool has_option(const def_field *fd, const char *s)
{
	for (size_t i = 0; i < fd->noptions; i++)
		if (strcmp(fd->options[i].value, s) == 0)
			return true;
	return false;
}

/* A Lua string without NULs and valid UTF-8, or NULL. */
static const char *good_string(lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		return NULL;
	size_t n;
	const char *s = lua_tolstring(L, idx, &n);
	if (strlen(s) != n || !util_utf8_valid(s, n))
		return NULL;
	return s;
}

/* An integer, or a float with an integral value. */
static int to_integer(lua_State *L, int idx, value *out, const char *got, char msg[SANDBOX_ERR])
{
	lua_Integer i;
	if (lua_type(L, idx) == LUA_TNUMBER && lua_isinteger(L, idx)) {
		value_set_int(out, lua_tointeger(L, idx));
		return 0;
	}
	if (lua_type(L, idx) == LUA_TNUMBER &&
	    lua_numbertointeger(floor(lua_tonumber(L, idx)), &i) &&
	    (lua_Number)i == lua_tonumber(L, idx)) {
		value_set_int(out, i);
		return 0;
	}
	snprintf(msg, SANDBOX_ERR, "nombre entier attendu, reçu %s", got);
	return -1;
}

/* A list of options (strings), stored as a compact JSON array; got is reused. */
static int to_multichoice(lua_State *L, int idx, const def_field *fd, value *out, char got[80],
			  char msg[SANDBOX_ERR])
{
	if (lua_type(L, idx) != LUA_TTABLE) {
		snprintf(msg, SANDBOX_ERR, "liste de valeurs attendue, reçu %s", got);
		return -1;
	}
	json_t *arr = json_array();
	lua_Unsigned n = lua_rawlen(L, idx);
	for (lua_Unsigned i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, (lua_Integer)i);
		const char *s = good_string(L, -1);
		if (!s || (fd->noptions && !has_option(fd, s))) {
			what_is(L, -1, got, 80);
			lua_pop(L, 1);
			json_decref(arr);
			snprintf(msg, SANDBOX_ERR,
				 s ? "valeur %llu : \"%.40s\" n'est pas une option"
				   : "valeur %llu : option (chaîne) attendue, reçu %s",
				 (unsigned long long)i, s ? s : got);
			return -1;
		}
		json_array_append_new(arr, json_string(s));
		lua_pop(L, 1);
	}
	char *text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	value_set_text(out, text);
	free(text);
	return 0;
}

/* A number, a boolean or a valid string as JSON; NULL for anything else. */
static json_t *simple_json(lua_State *L, int idx)
{
	if (lua_type(L, idx) == LUA_TNUMBER)
		return lua_isinteger(L, idx) ? json_integer(lua_tointeger(L, idx))
					     : json_real(lua_tonumber(L, idx));
	if (lua_type(L, idx) == LUA_TBOOLEAN)
		return json_boolean(lua_toboolean(L, idx));
	if (good_string(L, idx))
		return json_string(lua_tostring(L, idx));
	return NULL;
}

/* A table of simple keys and values, stored as a compact JSON object. */
static int to_file(lua_State *L, int idx, value *out, const char *got, char msg[SANDBOX_ERR])
{
	if (lua_type(L, idx) != LUA_TTABLE) {
		snprintf(msg, SANDBOX_ERR, "table {name, size, type, sha256} attendue, reçu %s",
			 got);
		return -1;
	}
	json_t *obj = json_object();
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *k = good_string(L, -2);
		json_t *jv = simple_json(L, -1);
		if (!k || !jv) {
			json_decref(jv);
			json_decref(obj);
			lua_pop(L, 2);
			snprintf(msg, SANDBOX_ERR, "fichier : clés et valeurs simples attendues");
			return -1;
		}
		json_object_set_new(obj, k, jv);
		lua_pop(L, 1);
	}
	char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	value_set_text(out, text);
	free(text);
	return 0;
}

static int lua_to_value(lua_State *L, int idx, const def_field *fd, value *out,
			char msg[SANDBOX_ERR]);

/* A sub-field's stored value in a line's JSON (SPEC 7's value form: money as "12.50",
 * booleans as true/false, multichoice as its array). */
static json_t *cell_json(const def_field *sub, const value *v)
{
	switch (v->kind) {
	case VAL_INT:
		if (sub->type == FT_BOOLEAN)
			return json_boolean(v->i != 0);
		if (sub->type == FT_MONEY) {
			char t[48];
			uint64_t u = v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i;
			snprintf(t, sizeof t, "%s%llu.%02u", v->i < 0 ? "-" : "",
				 (unsigned long long)(u / 100), (unsigned)(u % 100));
			return json_string(t);
		}
		return json_integer((json_int_t)v->i);
	case VAL_REAL:
		return json_real(v->d);
	case VAL_TEXT:
		if (sub->type == FT_MULTICHOICE && v->s) {
			json_t *j = json_loads(v->s, 0, NULL);
			if (j)
				return j;
		}
		return json_string(v->s ? v->s : "");
	default:
		return json_null();
	}
}

/* A repeat's lines: an array of tables of sub-fields, stored as validate_repeat.h says. */
static int to_repeat(lua_State *L, int idx, const def_field *fd, value *out, const char *got,
		     char msg[SANDBOX_ERR])
{
	if (lua_type(L, idx) != LUA_TTABLE) {
		snprintf(msg, SANDBOX_ERR, "liste de lignes { { ... }, ... } attendue, reçu %s",
			 got);
		return -1;
	}
	json_t *lines = json_array();
	lua_Unsigned n = lua_rawlen(L, idx);
	for (lua_Unsigned k = 1; k <= n; k++) {
		lua_rawgeti(L, idx, (lua_Integer)k);
		if (lua_type(L, -1) != LUA_TTABLE) {
			lua_pop(L, 1);
			json_decref(lines);
			snprintf(msg, SANDBOX_ERR, "ligne %llu : table attendue",
				 (unsigned long long)k);
			return -1;
		}
		json_t *line = json_object();
		json_array_append_new(lines, line);
		for (size_t i = 0; i < fd->nsub; i++) {
			const def_field *sub = &fd->sub[i];
			lua_pushstring(L, sub->name);
			lua_rawget(L, -2);
			value v = {0};
			char m[SANDBOX_ERR];
			int rc = lua_to_value(L, -1, sub, &v, m);
			lua_pop(L, 1);
			if (rc != 0) {
				lua_pop(L, 1);
				json_decref(lines);
				snprintf(msg, SANDBOX_ERR, "ligne %llu, %s : %.150s",
					 (unsigned long long)k, sub->name, m);
				return -1;
			}
			json_object_set_new(line, sub->name, cell_json(sub, &v));
			value_clear(&v);
		}
		lua_pop(L, 1);
	}
	value_clear(out);
	if (json_array_size(lines)) {
		char *text = json_dumps(lines, JSON_COMPACT);
		value_set_text(out, text);
		free(text);
	}
	json_decref(lines);
	return 0;
}

/* Text of the text-like types; for a choice, one of its options. */
static int to_text(lua_State *L, int idx, const def_field *fd, value *out, const char *got,
		   char msg[SANDBOX_ERR])
{
	const char *s = good_string(L, idx);
	if (!s) {
		snprintf(msg, SANDBOX_ERR, "texte attendu, reçu %s", got);
		return -1;
	}
	if (fd->type == FT_CHOICE && fd->noptions && !has_option(fd, s)) {
		snprintf(msg, SANDBOX_ERR, "\"%.60s\" n'est pas une option", s);
		return -1;
	}
	value_set_text(out, s);
	return 0;
}

/*
 * Converts the Lua value at idx to the stored form of field fd. Never raises.
 * Returns 0 with *out set (out must be clear), or -1 with msg.
 */
static int lua_to_value(lua_State *L, int idx, const def_field *fd, value *out,
			char msg[SANDBOX_ERR])
{
	char got[80];
	idx = lua_absindex(L, idx);
	what_is(L, idx, got, sizeof got);
	int t = lua_type(L, idx);
	double d = t == LUA_TNUMBER ? lua_tonumber(L, idx) : NAN;
	if (t == LUA_TNIL) {
		value_clear(out);
		return 0;
	}
	switch (fd->type) {
	case FT_INTEGER:
	case FT_REFERENCE:
		return to_integer(L, idx, out, got, msg);
	case FT_DECIMAL:
		if (isfinite(d)) {
			value_set_real(out, d);
			return 0;
		}
		snprintf(msg, SANDBOX_ERR, "nombre attendu, reçu %s", got);
		return -1;
	case FT_MONEY:
		if (isfinite(d) && fabs(d) < 9e13) {
			value_set_int(out, (int64_t)llround(d * 100.0));
			return 0;
		}
		snprintf(msg, SANDBOX_ERR, "montant en euros (nombre) attendu, reçu %s", got);
		return -1;
	case FT_BOOLEAN:
		if (t == LUA_TBOOLEAN) {
			value_set_int(out, lua_toboolean(L, idx) ? 1 : 0);
			return 0;
		}
		snprintf(msg, SANDBOX_ERR, "booléen (true ou false) attendu, reçu %s", got);
		return -1;
	case FT_MULTICHOICE:
		return to_multichoice(L, idx, fd, out, got, msg);
	case FT_REPEAT:
		return to_repeat(L, idx, fd, out, got, msg);
	case FT_FILE:
		return to_file(L, idx, out, got, msg);
	case FT_SECTION:
	case FT_INFO:
		snprintf(msg, SANDBOX_ERR, "une section ou un texte ne contient pas de valeur");
		return -1;
	default:
		return to_text(L, idx, fd, out, got, msg);
	}
}

/* ------------------------------------------------------------------ */
/* Hook calls                                                          */

/* The call in progress, checked against the serial captured by a closure. */
static callctx *current_call(lua_State *L, int upv, const char *what)
{
	sandbox *sb = getsb(L);
	if (!sb->cur || lua_tointeger(L, lua_upvalueindex(upv)) != sb->callno)
		luaL_error(L, "%s utilisé en dehors de l'appel qui l'a reçu", what);
	return sb->cur;
}

/* Pushes the names table of a form: { name = col (0-based) or -1 for system fields }. */
static void push_names(lua_State *L, const def_form *f)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_NAMES);
	if (lua_rawgetp(L, -1, f) == LUA_TTABLE) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	lua_createtable(L, 0, (int)f->ncols + 7);
	for (size_t i = 0; i < f->ncols; i++) {
		lua_pushinteger(L, (lua_Integer)i);
		lua_setfield(L, -2, f->cols[i]->name);
	}
	for (const char *const *s = sys_names; *s; s++) {
		lua_pushinteger(L, -1);
		lua_setfield(L, -2, *s);
	}
	lua_pushvalue(L, -1);
	lua_rawsetp(L, -3, f);
	lua_remove(L, -2);
}

static int unknown_field(lua_State *L, const def_form *f, const char *k)
{
	const char *names[256];
	size_t n = 0;
	for (size_t i = 0; i < f->ncols && n < 256; i++)
		names[n++] = f->cols[i]->name;
	const char *s = diag_suggest(k, names, n);
	if (s)
		return luaL_error(L, "champ inconnu \"%s\" (vouliez-vous dire \"%s\" ?)", k, s);
	return luaL_error(L, "champ inconnu \"%s\" dans le formulaire \"%s\"", k, f->id);
}

/* r.x: upvalues data, names, call serial. */
static int rec_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL || lua_type(L, 2) != LUA_TSTRING)
		return 1;
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL) {
		lua_pushnil(L);
		return 1;
	}
	callctx *c = current_call(L, 3, "le dossier");
	return unknown_field(L, c->form, lua_tostring(L, 2));
}

static int rec_newindex(lua_State *L)
{
	callctx *c = current_call(L, 3, "le dossier");
	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "nom de champ attendu (chaîne)");
	const char *k = lua_tostring(L, 2);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNIL)
		return unknown_field(L, c->form, k);
	lua_Integer col = lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (col < 0)
		return luaL_error(L, "\"%s\" est un champ système, en lecture seule", k);
	if (c->kind != HK_MUTATE)
		return luaL_error(L,
				  "le dossier est en lecture seule ici (seuls on_create et les "
				  "actions de transition modifient des champs) : champ \"%s\"",
				  k);
	if (NULL == c->newvals || (size_t)col >= c->form->ncols)
		return luaL_error(L, "champ \"%s\" : colonne invalide", k);
	value tmp = {0};
	char msg[SANDBOX_ERR];
	if (lua_to_value(L, 3, c->form->cols[col], &tmp, msg) != 0)
		return luaL_error(L, "champ \"%s\" : %s", k, msg);
	value_clear(&c->newvals[col]);
	c->newvals[col] = tmp;
	c->dirty[col] = true;
	lua_settop(L, 3);
	lua_rawset(L, lua_upvalueindex(1));
	return 0;
}

static void push_record(lua_State *L, callctx *c)
{
	const record *r = c->r;
	const def_form *f = c->form;
	lua_Integer callno = c->callno;
	luaL_checkstack(L, 10, NULL);
	lua_createtable(L, 0, (int)f->ncols + 7); /* data */
	int data = lua_gettop(L);
	if (r->id) {
		lua_pushinteger(L, r->id);
		lua_setfield(L, data, "id");
	}
	if (r->version) {
		lua_pushinteger(L, r->version);
		lua_setfield(L, data, "version");
	}
	const struct {
		const char *k;
		const char *v;
	} sys[] = {
	    {"state", r->state},	   {"created_at", r->created_at},
	    {"created_by", r->created_by}, {"updated_at", r->updated_at},
	    {"updated_by", r->updated_by},
	};
	for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
		if (sys[i].v) {
			lua_pushstring(L, sys[i].v);
			lua_setfield(L, data, sys[i].k);
		}
	for (size_t i = 0; i < f->ncols && i < r->nvalues; i++) {
		if (r->values[i].kind == VAL_NULL)
			continue;
		push_value(L, f->cols[i], &r->values[i], c->pre ? c->pre[i] : NULL);
		lua_setfield(L, data, f->cols[i]->name);
	}
	push_names(L, f); /* data+1 */
	lua_newtable(L);  /* proxy */
	lua_createtable(L, 0, 4);
	lua_pushvalue(L, data);
	lua_pushvalue(L, data + 1);
	lua_pushinteger(L, callno);
	lua_pushcclosure(L, rec_index, 3);
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, data);
	lua_pushvalue(L, data + 1);
	lua_pushinteger(L, callno);
	lua_pushcclosure(L, rec_newindex, 3);
	lua_setfield(L, -2, "__newindex");
	lua_pushvalue(L, data);
	lua_pushcclosure(L, ro_pairs, 1);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	mark_frozen(L, -1);
	lua_replace(L, data);
	lua_pop(L, 1);
}

static int ctx_log(lua_State *L)
{
	current_call(L, 1, "ctx.log");
	const char *s = luaL_tolstring(L, 1, NULL);
	log_line(getsb(L), s);
	return 0;
}

static int ctx_notify(lua_State *L)
{
	callctx *c = current_call(L, 1, "ctx.notify");
	if (!c->env || !c->env->notify)
		return luaL_error(L,
				  "ctx.notify n'est disponible que dans une action de transition");
	luaL_checktype(L, 1, LUA_TTABLE);
	const char *v[3];
	static const char *const keys[3] = {"to", "subject", "body"};
	for (int i = 0; i < 3; i++) {
		lua_getfield(L, 1, keys[i]);
		v[i] = good_string(L, -1);
		if (!v[i] && !(i == 2 && lua_isnil(L, -1)))
			return luaL_error(L, "ctx.notify : \"%s\" doit être un texte", keys[i]);
	}
	if (c->env->notify(c->env->notify_arg, v[0], v[1], v[2] ? v[2] : "") != 0)
		return luaL_error(L, "ctx.notify : message refusé (destinataire \"%s\")", v[0]);
	return 0;
}

static int ctx_count(lua_State *L)
{
	callctx *c = current_call(L, 1, "ctx.count");
	sandbox *sb = getsb(L);
	const char *form = luaL_checkstring(L, 1);
	if (!c->env || !c->env->count)
		return luaL_error(L, "ctx.count n'est pas disponible ici");
	/* Each is a query over the app's records: a loop of them is a bug, not a need. */
	if (++sb->counts > MAX_COUNTS)
		return luaL_error(L, "ctx.count : plus de %d appels dans un même appel",
				  MAX_COUNTS);
	json_t *filter = NULL;
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		sb->pending = json_object(); /* released by sb_pcall if we raise */
		lua_pushnil(L);
		while (lua_next(L, 2)) {
			const char *k = good_string(L, -2);
			json_t *jv = simple_json(L, -1);
			if (!k || !jv) {
				json_decref(jv);
				return luaL_error(
				    L, "ctx.count : filtre invalide (champ = valeur simple)");
			}
			json_object_set_new(sb->pending, k, jv);
			lua_pop(L, 1);
		}
		filter = sb->pending;
	}
	int64_t n = 0;
	char e[SANDBOX_ERR] = "";
	int rc = c->env->count(c->env->count_arg, form, filter, &n, e);
	if (sb->pending) {
		json_decref(sb->pending);
		sb->pending = NULL;
	}
	if (rc != 0)
		return luaL_error(L, "ctx.count : %s", e[0] ? e : "échec");
	lua_pushinteger(L, (lua_Integer)n);
	return 1;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	if (!v)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

static void push_ctx(lua_State *L, callctx *c, const sandbox *sb)
{
	const hook_env *env = c->env;
	luaL_checkstack(L, 6, NULL);
	lua_createtable(L, 0, 9);
	if (env && env->user) {
		const hook_user *u = env->user;
		lua_createtable(L, 0, 4);
		set_str(L, "login", u->login);
		set_str(L, "name", u->name);
		set_str(L, "email", u->email);
		lua_createtable(L, (int)u->nroles, 0);
		for (size_t i = 0; i < u->nroles; i++) {
			lua_pushstring(L, u->roles[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lua_setfield(L, -2, "roles");
		lua_setfield(L, -2, "user");
	}
	char now[32], today[11];
	time_t t = env && env->now ? env->now : util_now();
	util_iso_datetime(t, now);
	/* The French calendar day, as the date bounds of field checks use ("today+2"). */
	util_days_to_date(util_local_days(t), today);
	set_str(L, "now", now);
	set_str(L, "today", today);
	set_str(L, "app", sb->app ? sb->app->id : sb->app_id);
	set_str(L, "form", c->form->id);
	static const struct {
		const char *k;
		lua_CFunction f;
	} fns[] = {
	    {"log", ctx_log},
	    {"notify", ctx_notify},
	    {"count", ctx_count},
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		lua_pushinteger(L, c->callno);
		lua_pushcclosure(L, fns[i].f, 1);
		lua_setfield(L, -2, fns[i].k);
	}
}

/* "lignes[2].quantite": a sub-field of a line of one of f's repeats (lines from 1). */
static bool is_line_name(const def_form *f, const char *k)
{
	const char *br = strchr(k, '[');
	if (!br)
		return false;
	char name[64];
	size_t n = (size_t)(br - k);
	if (n == 0 || n >= sizeof name)
		return false;
	memcpy(name, k, n);
	name[n] = '\0';
	int col = def_find_col(f, name);
	if (col < 0 || f->cols[col]->type != FT_REPEAT)
		return false;
	const char *p = br + 1;
	if (*p < '1' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p[0] != ']' || p[1] != '.')
		return false;
	for (size_t i = 0; i < f->cols[col]->nsub; i++)
		if (strcmp(p + 2, f->cols[col]->sub[i].name) == 0)
			return true;
	return false;
}

/* The messages validate gave a repeat's lines, by line then sub-field. */
static void read_line_errors(lua_State *L, callctx *c, int r1)
{
	for (size_t i = 0; i < c->form->ncols; i++) {
		const def_field *fd = c->form->cols[i];
		for (int k = 1; fd->type == FT_REPEAT && k <= 200; k++)
			for (size_t j = 0; j < fd->nsub; j++) {
				char key[160];
				snprintf(key, sizeof key, "%s[%d].%s", fd->name, k,
					 fd->sub[j].name);
				if (lua_getfield(L, r1, key) == LUA_TSTRING)
					field_errors_add(c->errors, key, lua_tostring(L, -1));
				lua_pop(L, 1);
			}
	}
}

/* validate's result at r1: nil, a message for the whole form, or { field = "message" }. */
static int read_validate(lua_State *L, callctx *c, int r1, const char *where)
{
	char msg[SANDBOX_ERR];
	int t = lua_type(L, r1);
	if (t == LUA_TNIL)
		return 0;
	if (t == LUA_TSTRING) {
		field_errors_add(c->errors, "_", lua_tostring(L, r1));
		return 0;
	}
	if (t != LUA_TTABLE) {
		what_is(L, r1, msg, sizeof msg);
		return luaL_error(L,
				  "%s validate doit renvoyer nil ou une table "
				  "{ champ = \"message\" }, pas %s",
				  where, msg);
	}
	lua_pushnil(L);
	while (lua_next(L, r1)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		bool known = k && (strcmp(k, "_") == 0 || def_find_col(c->form, k) >= 0 ||
				   is_line_name(c->form, k));
		if (!known || !good_string(L, -1))
			return luaL_error(L, "%s validate : %s \"%s\"", where,
					  known ? "message non textuel pour le champ"
						: "champ inconnu dans le résultat",
					  k ? k : "?");
		lua_pop(L, 1);
	}
	/* In a stable order: the whole form first, then the columns. */
	if (lua_getfield(L, r1, "_") == LUA_TSTRING)
		field_errors_add(c->errors, "_", lua_tostring(L, -1));
	lua_pop(L, 1);
	for (size_t i = 0; i < c->form->ncols; i++) {
		if (lua_getfield(L, r1, c->form->cols[i]->name) == LUA_TSTRING)
			field_errors_add(c->errors, c->form->cols[i]->name, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	read_line_errors(L, c, r1);
	return 0;
}

/* guard's results from r1: true, or false and a reason (a default one when absent). */
static int read_guard(lua_State *L, callctx *c, int r1, int nres, const char *where)
{
	char msg[SANDBOX_ERR];
	if (lua_type(L, r1) != LUA_TBOOLEAN) {
		what_is(L, r1, msg, sizeof msg);
		return luaL_error(L, "%s guard doit renvoyer true, ou false et un motif, pas %s",
				  where, msg);
	}
	*c->ok = lua_toboolean(L, r1);
	if (!*c->ok) {
		const char *why = nres >= 2 ? good_string(L, r1 + 1) : NULL;
		snprintf(c->reason, SANDBOX_ERR, "%s",
			 why ? why : "Cette action n'est pas possible pour ce dossier.");
	}
	return 0;
}

static int hook_cf(lua_State *L)
{
	callctx *c = lua_touserdata(L, 1);
	sandbox *sb = getsb(L);
	char msg[SANDBOX_ERR];
	lua_settop(L, 0);
	luaL_checkstack(L, 20, NULL);

	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_HOOKS);
	if (lua_rawgeti(L, 1, c->hook) != LUA_TFUNCTION)
		return luaL_error(L, "%s: fonction %d inconnue", sb->app_file, c->hook);
	lua_Debug ar;
	lua_pushvalue(L, 2);
	lua_getinfo(L, ">S", &ar);
	lua_pushfstring(L, "%s:%d:", ar.short_src, ar.linedefined); /* 3: where */
	lua_pushvalue(L, 2);					    /* 4: fn */
	push_record(L, c);					    /* 5 */
	push_ctx(L, c, sb);					    /* 6 */
	lua_call(L, 2, LUA_MULTRET);
	int r1 = 4, nres = lua_gettop(L) - 3;
	const char *where = lua_tostring(L, 3);
	if (nres < 1) {
		lua_pushnil(L);
		nres = 1;
	}
	switch (c->kind) {
	case HK_VALIDATE:
		return read_validate(L, c, r1, where);
	case HK_COMPUTE:
		if (lua_to_value(L, r1, c->fd, c->out, msg) != 0)
			return luaL_error(L, "%s compute du champ \"%s\" : %s", where, c->fd->name,
					  msg);
		return 0;
	case HK_MUTATE:
		return 0;
	case HK_GUARD:
		return read_guard(L, c, r1, nres, where);
	}
	return 0;
}

static int run_hook(sandbox *sb, callctx *c, const hook_env *env, char err[SANDBOX_ERR])
{
	if (!env || !env->form) {
		snprintf(err, SANDBOX_ERR, "%s: appel sans formulaire", sb->app_file);
		return -1;
	}
	if (c->hook < 1 || c->hook > sb->nfuncs) {
		snprintf(err, SANDBOX_ERR, "%s: fonction %d inconnue", sb->app_file, c->hook);
		return -1;
	}
	const def_form *f = env->form;
	if (c->r->nvalues != f->ncols) {
		snprintf(err, SANDBOX_ERR, "%s: dossier incohérent avec le formulaire \"%s\"",
			 sb->app_file, f->id);
		return -1;
	}
	c->env = env;
	c->form = f;
	c->pre = xcalloc(f->ncols ? f->ncols : 1, sizeof *c->pre);
	for (size_t i = 0; i < f->ncols; i++) {
		const value *v = &c->r->values[i];
		field_type t = f->cols[i]->type;
		if ((t == FT_MULTICHOICE || t == FT_FILE || t == FT_REPEAT) &&
		    v->kind == VAL_TEXT && v->s)
			c->pre[i] = json_loads(v->s, JSON_DECODE_ANY, NULL);
	}
	c->callno = ++sb->callno;
	sb->cur = c;
	int rc = sb_pcall(sb, hook_cf, c, sb->lim.call_instructions, err);
	sb->cur = NULL;
	for (size_t i = 0; i < f->ncols; i++)
		if (c->pre[i])
			json_decref(c->pre[i]);
	free(c->pre);
	c->pre = NULL;
	return rc;
}

int sandbox_validate(sandbox *sb, int hook, const record *r, const hook_env *env, field_errors *out,
		     char err[SANDBOX_ERR])
{
	callctx c = {.kind = HK_VALIDATE, .hook = hook, .r = r, .errors = out};
	return run_hook(sb, &c, env, err);
}

int sandbox_compute(sandbox *sb, int hook, const def_field *fd, const record *r,
		    const hook_env *env, value *out, char err[SANDBOX_ERR])
{
	value tmp = {0};
	callctx c = {.kind = HK_COMPUTE, .hook = hook, .r = r, .fd = fd, .out = &tmp};
	int rc = run_hook(sb, &c, env, err);
	if (rc == 0) {
		value_clear(out);
		*out = tmp;
	} else {
		value_clear(&tmp);
	}
	return rc;
}

int sandbox_mutate(sandbox *sb, int hook, record *r, const hook_env *env, char err[SANDBOX_ERR])
{
	size_t n = r->nvalues;
	callctx c = {.kind = HK_MUTATE, .hook = hook, .r = r};
	c.newvals = xcalloc(n ? n : 1, sizeof *c.newvals);
	c.dirty = xcalloc(n ? n : 1, sizeof *c.dirty);
	int rc = run_hook(sb, &c, env, err);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && c.dirty[i]) {
			value_clear(&r->values[i]);
			r->values[i] = c.newvals[i];
			memset(&c.newvals[i], 0, sizeof c.newvals[i]);
		}
		value_clear(&c.newvals[i]);
	}
	free(c.newvals);
	free(c.dirty);
	return rc;
}

int sandbox_guard(sandbox *sb, int hook, const record *r, const hook_env *env, bool *ok,
		  char reason[SANDBOX_ERR], char err[SANDBOX_ERR])
{
	*ok = false;
	reason[0] = '\0';
	callctx c = {.kind = HK_GUARD, .hook = hook, .r = r, .ok = ok, .reason = reason};
	int rc = run_hook(sb, &c, env, err);
	if (rc != 0)
		*ok = false;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Installation files (data/annuaire.lua)                              */

static int run_config_cf(lua_State *L)
{
	sandbox *sb = lua_touserdata(L, 1);
	sb->callno++;
	load_chunk(L, sb->app_file);
	lua_call(L, 0, 1);
	if (!lua_istable(L, -1)) {
		lua_pushfstring(L,
				"%s : le fichier doit renvoyer une table (return { ... }), pas %s",
				sb->app_file, luaL_typename(L, -1));
		return lua_error(L);
	}
	copy_definition(L, sb);
	return 0;
}

sandbox *sandbox_data_file(const char *data_dir, const char *name, const char *stdlib_dir,
			   char *path, size_t npath, char err[SANDBOX_ERR])
{
	struct stat st;
	err[0] = '\0';
	snprintf(path, npath, "%s/%s", data_dir, name);
	if (stat(path, &st) != 0)
		return NULL;
	sandbox *sb = sb_create(data_dir, stdlib_dir, NULL, err);
	if (!sb)
		return NULL;
	free(sb->app_file);
	sb->app_file = xstrdup(path);
	if (sb_pcall(sb, run_config_cf, sb, sb->lim.load_instructions, err) != 0) {
		sandbox_close(sb);
		return NULL;
	}
	return sb;
}

const defval *defval_get(const defval *t, const char *key)
{
	if (!t || t->kind != DV_TABLE)
		return NULL;
	size_t lo = 0, hi = t->nfields;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(t->fields[mid].key, key);
		if (c == 0)
			return t->fields[mid].val;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* App tests (SPEC 13)                                                 */

/* A Lua value as JSON for the test host: a table with keys 1..n is an array, one with
 * string keys an object (an empty one: an object); NULL for anything else. */
static json_t *lua_json(lua_State *L, int idx, int depth)
{
	idx = lua_absindex(L, idx);
	if (lua_type(L, idx) == LUA_TNIL)
		return json_null();
	if (lua_type(L, idx) != LUA_TTABLE)
		return simple_json(L, idx);
	if (depth > MAX_JSON_DEPTH || !lua_checkstack(L, 4)) /* (never raises: nothing leaks) */
		return NULL;
	size_t n = lua_rawlen(L, idx), keys = 0;
	bool ints = true;
	for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
		keys++;
		ints = ints && lua_isinteger(L, -2);
	}
	json_t *out = NULL;
	if (n > 0 && ints && keys == n) {
		out = json_array();
		for (size_t i = 1; out && i <= n; i++) {
			lua_rawgeti(L, idx, (lua_Integer)i);
			json_t *v = lua_json(L, -1, depth + 1);
			lua_pop(L, 1);
			if (!v) {
				json_decref(out);
				out = NULL;
			} else {
				json_array_append_new(out, v);
			}
		}
		return out;
	}
	out = json_object();
	for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
		const char *k = good_string(L, -2);
		json_t *v = k ? lua_json(L, -1, depth + 1) : NULL;
		if (!v) {
			lua_pop(L, 2);
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, k, v);
	}
	return out;
}

/* natif.call(verb, args): the host's answer as a table, or nil and its message. */
static int test_call(lua_State *L)
{
	sandbox *sb = getsb(L);
	sandbox_test *t = lua_touserdata(L, lua_upvalueindex(1));
	const char *verb = luaL_checkstring(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	json_t *args = lua_json(L, 2, 0);
	if (!args) {
		lua_pushnil(L);
		lua_pushfstring(
		    L, "%s : arguments invalides (textes UTF-8, nombres, booléens, tables)", verb);
		return 2;
	}
	char err[SANDBOX_ERR] = "";
	json_t *res = t->host(t->arg, verb, args, err);
	json_decref(args);
	if (!res) {
		lua_pushnil(L);
		lua_pushstring(L, err[0] ? err : verb);
		return 2;
	}
	sb->pending = res;
	push_json(L, res, 0);
	sb->pending = NULL;
	json_decref(res);
	return 1;
}

static int test_pass(lua_State *L)
{
	sandbox_test *t = lua_touserdata(L, lua_upvalueindex(1));
	t->passed++;
	return 0;
}

/* natif.fail(message): reported at the line of the test file that asserted. */
static int test_fail(lua_State *L)
{
	sandbox_test *t = lua_touserdata(L, lua_upvalueindex(1));
	const char *msg = luaL_checkstring(L, 1);
	int line = -1;
	lua_Debug ar;
	for (int level = 1; line < 0 && lua_getstack(L, level, &ar); level++)
		if (lua_getinfo(L, "Sl", &ar) && ar.source[0] == '@' &&
		    strcmp(ar.source + 1, t->path) == 0)
			line = ar.currentline;
	char text[SANDBOX_ERR];
	snprintf(text, sizeof text, "%s:%d: %s", t->path, line, msg);
	t->failed++;
	t->say(t->arg, text);
	return 0;
}

static int run_test_cf(lua_State *L)
{
	sandbox_test *t = lua_touserdata(L, 1);
	static const luaL_Reg fns[] = {
	    {"call", test_call}, {"pass", test_pass}, {"fail", test_fail}, {NULL, NULL}};
	lua_rawgetp(L, LUA_REGISTRYINDEX, &K_LOADED);
	lua_newtable(L);
	lua_pushlightuserdata(L, t);
	luaL_setfuncs(L, fns, 1);
	lua_setfield(L, -2, "smallapps.test_natif");
	lua_pop(L, 1);
	load_chunk(L, t->path);
	lua_call(L, 0, 0);
	return 0;
}

int sandbox_test_run(sandbox_test *t, char err[SANDBOX_ERR])
{
	t->passed = t->failed = 0;
	sandbox *sb = sb_create(t->app_dir, t->stdlib_dir, NULL, err);
	if (!sb)
		return -1;
	int rc = sb_sources(sb, NULL, err);
	if (rc == 0) {
		sb->callno++;
		rc = sb_pcall(sb, run_test_cf, t, sb->lim.load_instructions, err);
	}
	sandbox_close(sb);
	return rc;
}
