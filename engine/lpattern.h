/*
 * lpattern — Lua 5.4's pattern functions (string.find, match, gmatch, gsub) with a
 * step meter, for the sandbox.
 *
 * Why it exists: the sandbox stops app code with an instruction-count hook, and a
 * hook only runs between VM instructions. The pattern functions of Lua's lstrlib.c
 * are C: one call can run for minutes inside a single instruction
 * (string.rep('a', 1e6):find('.-b') is quadratic, ('a?'):rep(30) .. ('a'):rep(30)
 * exponential) where no hook can stop it. This is a copy of lstrlib.c's matcher
 * that counts its work in steps and, every LPATTERN_GRANT steps, charges them to a
 * meter supplied by the embedder; the meter raises once the budget of the running
 * call is spent. Results and error messages are Lua 5.4.4's.
 *
 * What a step is: one pattern item tried at one subject position (every backtracking
 * try included). Scans are charged by size: byte by byte (a run of x*, a %b, a [set]
 * each time it is read, the pattern checked for specials) one step per 8 bytes;
 * memchr, memcmp (plain find, %1) and copies (captures, gsub results) one step per
 * 64 bytes. A step costs about what a cheap Lua instruction does (10 M take 20-70 ms).
 *
 * What it does not own: which budget, the error text (the meter's, sandbox.c).
 * Thread-safety: none needed; everything lives on the C stack or in the lua_State.
 */
#ifndef SMALLAPPS_LPATTERN_H
#define SMALLAPPS_LPATTERN_H

#include <lua.h>

/* Steps taken between two calls of the meter. */
#define LPATTERN_GRANT 1024

/*
 * Charges `steps` steps to the running call and returns how many more it may take
 * (>= 0; LONG_MAX for no limit), or raises a Lua error (does not return) once the
 * budget is spent. Called with L the thread running the pattern function.
 */
typedef long (*lpattern_meter)(lua_State *L, long steps);

/*
 * Sets "find", "match", "gmatch" and "gsub" of the table at index `idx` to metered
 * copies of Lua's. meter NULL: no limit (plain Lua behaviour). May raise (memory).
 */
void lpattern_install(lua_State *L, int idx, lpattern_meter meter);

#endif
