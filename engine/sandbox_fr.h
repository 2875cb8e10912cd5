/*
 * sandbox_fr — "smallapps.fr_natif", the French checks of validate.c (SIREN, SIRET,
 * Luhn, IBAN, phone, postal code) as a Lua C module, so that Lua's smallapps.fr
 * (stdlib-lua/smallapps/fr.lua) and the field types share one implementation.
 *
 * Two ways in: the sandbox preloads it (sandbox.c; the only native module app code
 * can require), and plain lua5.4 loads the same code built as a shared object
 * (build/lua/smallapps/fr_natif.so, see the Makefile) for the Lua tests.
 * The functions only read their argument and push results: nothing to free, safe
 * to raise through (memory errors). Thread-safety: none needed.
 */
#ifndef SMALLAPPS_SANDBOX_FR_H
#define SMALLAPPS_SANDBOX_FR_H

#include <lua.h>

#define SANDBOX_FR_MODULE "smallapps.fr_natif"

/*
 * Pushes a new table: luhn, siren, siret, iban, phone, postal_code and IBAN_LENGTH
 * (country -> length). The name is what lua5.4's require looks for in the .so.
 */
int luaopen_smallapps_fr_natif(lua_State *L);

#endif
