/*
 * sandbox — the only door between the engine and Lua 5.4.
 *
 * A sandbox is one lua_State with an allowlisted environment (SPEC 9): base
 * functions without dofile/loadfile/load of binary chunks/collectgarbage, string,
 * table, math (random from the engine), utf8, os.time/date/clock (engine clock),
 * `require` limited to stdlib-lua/ and the app's lib/, text chunks only. Every call
 * into app code runs under an instruction budget that pcall inside app code cannot
 * swallow (string.find/match/gmatch/gsub count their matching steps against it, see
 * sandbox_strlib.h and lmatch.h: a pattern cannot stall a worker), and the state has a memory cap
 * enforced by its allocator.
 *
 * Ownership: a sandbox belongs to one thread. Worker threads open one per app
 * version they serve (sandbox_open re-runs app.lua, so hook ids match the def),
 * from the sources read when that version was loaded (appsrc.h), never from the
 * folder as it is now.
 * Nothing here keeps malloc'ed memory across a call that may raise a Lua error.
 *
 * All functions return 0 on success, -1 on error with `err` holding a message such
 * as `apps/vaccins/app.lua:42: attempt to index a nil value`. The error of a hook call
 * that went through more than the line it names also lists the app frames, innermost
 * first, paths from the apps folder: `apps/vaccins/lib/calcul.lua:5: attempt to index a
 * nil value [traceback: vaccins/lib/calcul.lua:5 in function 'total' < vaccins/app.lua:42
 * in hook validate]` (one line, for the log; never shown to the person).
 */
#ifndef SMALLAPPS_SANDBOX_H
#define SMALLAPPS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "def.h"
#include "record.h"

#define SANDBOX_ERR 1024 /* a message and its frames */

/* Limits; defaults come from sandbox_default_limits(). */
typedef struct sandbox_limits {
	size_t mem_bytes;	/* cap of the state's heap (default 64 MiB) */
	long load_instructions; /* budget to run app.lua (default 50 M) */
	long call_instructions; /* budget per hook call (default 1 M: 50 times less than load) */
	long fail_alloc_after;	/* tests: the Nth allocation fails; 0 = never */
} sandbox_limits;

sandbox_limits sandbox_default_limits(void);

/* The person acting, as hooks see it in ctx.user (NULL for anonymous). Borrowed. */
typedef struct hook_user {
	const char *login;
	const char *name;
	const char *email;
	const char *const *roles;
	size_t nroles;
} hook_user;

/* What ctx offers to a hook call. Callbacks may be NULL (then the ctx function raises). */
typedef struct hook_env {
	const def_form *form;
	const hook_user *user;
	time_t now;
	/* ctx.count(form_id, filter): filter is a JSON object field -> value (may be NULL). */
	int (*count)(void *arg, const char *form_id, json_t *filter, int64_t *out,
		     char err[SANDBOX_ERR]);
	void *count_arg;
	/* ctx.notify{to=, subject=, body=}: only during actions. */
	int (*notify)(void *arg, const char *to, const char *subject, const char *body);
	void *notify_arg;
	/* ctx.log(message) and print(): to the engine log, tagged with the app. */
	void (*log)(void *arg, const char *message);
	void *log_arg;
} hook_env;

typedef struct sandbox sandbox;

/*
 * Runs app.lua of the sources src (borrowed: keep them while the state lives; NULL:
 * read app_dir's now) in a new state and leaves the returned table for the loader
 * (sandbox_definition). Used by loader_load; errors carry file:line.
 */
sandbox *sandbox_new_src(const char *app_dir, const struct appsrc *src, const char *stdlib_dir,
			 const sandbox_limits *lim, char err[SANDBOX_ERR]);
/* sandbox_new_src reading app_dir's sources itself. */
sandbox *sandbox_new(const char *app_dir, const char *stdlib_dir, const sandbox_limits *lim,
		     char err[SANDBOX_ERR]);
/* Opens a state ready to call the hooks of an already loaded definition. */
sandbox *sandbox_open(const def_app *app, const char *stdlib_dir, char err[SANDBOX_ERR]);
void sandbox_close(sandbox *sb);
const def_app *sandbox_app(const sandbox *sb); /* NULL for states made by sandbox_new */

/* Hooks. `r` is read as the record table (SPEC 4.4); see each for what is written back. */
int sandbox_validate(sandbox *sb, int hook, const record *r, const hook_env *env, field_errors *out,
		     char err[SANDBOX_ERR]);
/* The returned Lua value converted to the field's stored form (wrong type: error). */
int sandbox_compute(sandbox *sb, int hook, const def_field *fd, const record *r,
		    const hook_env *env, value *out, char err[SANDBOX_ERR]);
/* on_create and action: field values the function set on the table are written back to r. */
int sandbox_mutate(sandbox *sb, int hook, record *r, const hook_env *env, char err[SANDBOX_ERR]);
/* guard: *ok false with the reason (or a default) when the function returns false. */
int sandbox_guard(sandbox *sb, int hook, const record *r, const hook_env *env, bool *ok,
		  char reason[SANDBOX_ERR], char err[SANDBOX_ERR]);

/*
 * Definition values: the table returned by app.lua, copied out of Lua so the
 * loader never touches the Lua API. The copy is deterministic: array items in
 * order, then string keys sorted by strcmp, a table met twice is the same node.
 * Every function met gets a number in that order (1, 2, ...): it is the hook id
 * the loader stores in def_app, and sandbox_open numbers the functions of a
 * re-run of app.lua the same way. Nodes live as long as the sandbox.
 */
typedef enum { DV_NIL, DV_BOOL, DV_INT, DV_NUM, DV_STR, DV_TABLE, DV_FUNC, DV_OTHER } defval_kind;

typedef struct defval defval;

typedef struct defval_pair {
	const char *key;
	const defval *val;
} defval_pair;

struct defval {
	defval_kind kind;
	bool b;		      /* DV_BOOL */
	int64_t i;	      /* DV_INT */
	double d;	      /* DV_NUM (a float) */
	const char *s;	      /* DV_STR (NUL-terminated copy); DV_OTHER: the Lua type name */
	size_t len;	      /* DV_STR: length in bytes (may hold NULs) */
	int func;	      /* DV_FUNC: function number, the hook id */
	int line;	      /* DV_FUNC: line where the function is defined */
	const defval **items; /* DV_TABLE: t[1] .. t[nitems] */
	size_t nitems;
	const defval_pair *fields; /* DV_TABLE: string keys, sorted */
	size_t nfields;
	const char **badkeys; /* DV_TABLE: other keys as text, e.g. "[0]", "[true]" */
	size_t nbadkeys;
	bool busy; /* internal: being copied (cycle detection) */
};

/*
 * Runs the installation file data_dir/name (data/site.lua, data/annuaire.lua: `return
 * { ... }`, no app around it) in a new state, for sandbox_definition; its path goes into
 * path. NULL with err "" when there is no such file; NULL with err (file:line) when it
 * does not run.
 */
sandbox *sandbox_data_file(const char *data_dir, const char *name, const char *stdlib_dir,
			   char *path, size_t npath, char err[SANDBOX_ERR]);
/* The value of key in definition table t (its fields are sorted), or NULL. */
const defval *defval_get(const defval *t, const char *key);
/* The definition table of a state made by sandbox_new(_config); NULL otherwise. */
const defval *sandbox_definition(const sandbox *sb);
/* Number of functions met in the definition (hook ids run from 1 to this). */
int sandbox_nfuncs(const sandbox *sb);
/* Like sandbox_open with explicit limits (NULL: defaults). */
sandbox *sandbox_open_limits(const def_app *app, const char *stdlib_dir, const sandbox_limits *lim,
			     char err[SANDBOX_ERR]);
/* Bytes currently allocated by the state. */
size_t sandbox_mem_used(const sandbox *sb);

/*
 * The calling thread's state for version `gen` of app def (opened on first use, from
 * the sources of that version; sandbox_cache.c). It stays the thread's: closed when
 * the thread exits or calls sandbox_thread_cleanup. NULL + err on failure.
 */
sandbox *sandbox_for(const def_app *def, uint64_t gen, const char *stdlib_dir,
		     char err[SANDBOX_ERR]);
/* Closes the calling thread's states now (threads that exit do it by themselves). */
void sandbox_thread_cleanup(void);
/*
 * Calls stopped past their budget (instructions or memory) on the calling thread so
 * far: a caller compares it before and after running app code (sandbox_pool.h).
 */
unsigned long sandbox_thread_overruns(void);

/* The messages used when a budget is exceeded (tests look for them). */
#define SANDBOX_MSG_BUDGET "budget d'instructions dépassé"
#define SANDBOX_MSG_MEMORY "mémoire dépassée"

/*
 * App tests (SPEC 13): runs the test file `path` (app_dir/tests/x.lua) in a state of
 * its own, with the app's budgets (the load's instruction budget for the whole file)
 * and its lib/, where require("smallapps.test") finds the native module whose call
 * goes to host(arg, verb, args): a new JSON answer, or NULL with err. Each failed
 * assertion comes to say as "path:line: expected …, got …". Returns 0 when the file
 * ran to its end, -1 with err ("path:line: message") when a Lua error stopped it.
 */
typedef json_t *(*sandbox_test_host)(void *arg, const char *verb, const json_t *args,
				     char err[SANDBOX_ERR]);
typedef struct sandbox_test {
	const char *app_dir, *stdlib_dir, *path;
	sandbox_test_host host;
	void (*say)(void *arg, const char *line);
	void *arg;
	int passed, failed; /* assertions */
} sandbox_test;
int sandbox_test_run(sandbox_test *t, char err[SANDBOX_ERR]);

#endif
