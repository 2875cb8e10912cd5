/*
 * loader — app definitions from Lua tables to checked C structures (SPEC 4, 9).
 *
 * loader_load runs apps/<id>/app.lua in a fresh sandbox, converts every key (unknown
 * keys, wrong types and misspellings are diagnosed with "did you mean"), resolves
 * references (fields named by visible_if/required_if/list, states, roles), checks
 * the workflow graph (SPEC 4.5) and returns an immutable def_app. It reports every
 * problem it can find, not just the first. Thread-safe (no shared state).
 */
#ifndef SMALLAPPS_LOADER_H
#define SMALLAPPS_LOADER_H

#include "def.h"
#include "diag.h"
#include "sandbox.h"

/*
 * Loads the app in `dir` (its id is the folder name). Returns the definition, or
 * NULL when any error was found; every problem is appended to `d`. `lim` may be
 * NULL for the defaults.
 */
def_app *loader_load(const char *dir, const char *stdlib_dir, const sandbox_limits *lim, diags *d);
/*
 * The same from sources already read (a release kept in the shared database): dir
 * names the app (its last part is the id) and its files in messages; it need not
 * exist. Takes src.
 */
def_app *loader_load_src(const char *dir, struct appsrc *src, const char *stdlib_dir,
			 const sandbox_limits *lim, diags *d);

/*
 * What `check` says of a definition that loads but that a data protection officer
 * would question (SPEC 11), as diagnostics naming the `privacy` key: personal fields
 * and no privacy block (the register has nothing to say, nothing is ever purged), or
 * a privacy block without retention_days. Not errors: the app serves.
 */
void loader_warnings(const def_app *app, diags *d);

/* True when name is a valid app id ([a-z][a-z0-9-]{0,39}). */
bool loader_valid_app_id(const char *name);

#endif
