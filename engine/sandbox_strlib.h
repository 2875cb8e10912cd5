/*
 * sandbox_strlib — the sandbox's string.find, match, gmatch and gsub: Lua 5.4's
 * functions on lmatch.c's matcher, whose steps are charged to a meter the sandbox
 * supplies (see lmatch.h for what a step is, sandbox.c for the budget).
 *
 * Why they are not Lua's own: those are C that no instruction hook interrupts, and
 * one call can run for minutes. Results and error messages are Lua 5.4.4's.
 * What it does not own: which budget, the budget's error text (the meter's).
 * Thread-safety: none needed; everything lives on the C stack or in the lua_State.
 */
#ifndef SMALLAPPS_SANDBOX_STRLIB_H
#define SMALLAPPS_SANDBOX_STRLIB_H

#include <lua.h>

/*
 * Charges `steps` steps to the running call and returns how many more it may take
 * (>= 0; LONG_MAX for no limit), or raises a Lua error (does not return) once the
 * budget is spent. Called with L the thread running the pattern function.
 */
typedef long (*sandbox_strlib_meter)(lua_State *L, long steps);

/*
 * Sets "find", "match", "gmatch" and "gsub" of the table at index `idx` to metered
 * copies of Lua's. meter NULL: no limit (plain Lua behaviour). May raise (memory).
 */
void sandbox_strlib_install(lua_State *L, int idx, sandbox_strlib_meter meter);

#endif
