/*
 * sandbox_fr — smallapps.fr_natif: validate.c's French checks for Lua (see
 * sandbox_fr.h).
 *
 * Each function answers as smallapps.fr always has: the normalised value (a string,
 * so it is truthy), or nil and a short French sentence that can be shown to the user
 * as is; luhn answers true or false. Arguments are taken as fr.lua took them: a
 * string, or a non-negative integer (a SIREN typed in a number field) written in
 * decimal; anything else is refused with a message naming the type. The rules are
 * validate.c's; the messages, which say more than a form field's, are here.
 * Nothing is allocated but Lua values.
 */
#include "sandbox_fr.h"

#include <lauxlib.h>

#include "validate.h"

/*
 * The argument as text (*n bytes), as fr.lua's as_string took it; NULL with nil and
 * "<what> : valeur absente." (or "... de type T inattendue.") pushed otherwise.
 */
static const char *arg_text(lua_State *L, const char *what, size_t *n)
{
	if (lua_type(L, 1) == LUA_TSTRING)
		return lua_tolstring(L, 1, n);
	if (lua_isinteger(L, 1) && lua_tointeger(L, 1) >= 0) {
		lua_pushfstring(L, "%I", (lua_Integer)lua_tointeger(L, 1));
		return lua_tolstring(L, -1, n);
	}
	lua_pushnil(L);
	if (lua_isnoneornil(L, 1))
		lua_pushfstring(L, "%s : valeur absente.", what);
	else
		lua_pushfstring(L, "%s : valeur de type %s inattendue.", what, luaL_typename(L, 1));
	return NULL;
}

/* Pushes the normalised value (why == VALIDATE_FR_OK) or nil and msg; returns the count. */
static int answer(lua_State *L, validate_fr_why why, const validate_fr *r, const char *msg)
{
	if (why == VALIDATE_FR_OK) {
		lua_pushstring(L, r->value);
		return 1;
	}
	lua_pushnil(L);
	lua_pushstring(L, msg);
	return 2;
}

static int fr_luhn(lua_State *L)
{
	size_t n = 0;
	const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &n) : NULL;
	lua_pushboolean(L, s && validate_fr_luhn(s, n));
	return 1;
}

static int fr_siren(lua_State *L)
{
	size_t n;
	const char *s = arg_text(L, "SIREN", &n);
	if (!s)
		return 2;
	validate_fr r;
	validate_fr_why why = validate_fr_siren(s, n, &r);
	return answer(L, why, &r,
		      why == VALIDATE_FR_FORMAT
			  ? "Un numéro SIREN compte 9 chiffres."
			  : "Ce numéro SIREN n'est pas valide (clé de contrôle erronée).");
}

static int fr_siret(lua_State *L)
{
	size_t n;
	const char *s = arg_text(L, "SIRET", &n);
	if (!s)
		return 2;
	validate_fr r;
	validate_fr_why why = validate_fr_siret(s, n, &r);
	return answer(L, why, &r,
		      why == VALIDATE_FR_FORMAT
			  ? "Un numéro SIRET compte 14 chiffres."
			  : "Ce numéro SIRET n'est pas valide (clé de contrôle erronée).");
}

static int fr_iban(lua_State *L)
{
	size_t n;
	const char *s = arg_text(L, "IBAN", &n);
	if (!s)
		return 2;
	validate_fr r;
	validate_fr_why why = validate_fr_iban(s, n, &r);
	switch (why) {
	case VALIDATE_FR_OK:
		return answer(L, why, &r, NULL);
	case VALIDATE_FR_LENGTH:
		lua_pushnil(L);
		if (r.want)
			lua_pushfstring(L, "Un IBAN %s compte %d caractères (%I saisis).",
					r.country, (int)r.want, (lua_Integer)r.got);
		else
			lua_pushliteral(L, "Un IBAN compte de 15 à 34 caractères.");
		return 2;
	case VALIDATE_FR_KEY:
		return answer(L, why, &r, "Cet IBAN n'est pas valide (clé de contrôle erronée).");
	case VALIDATE_FR_RIB_KEY:
		return answer(L, why, &r, "Cet IBAN n'est pas valide (clé RIB erronée).");
	default:
		return answer(L, why, &r,
			      "Un IBAN commence par le code pays et deux chiffres, suivis de "
			      "lettres et de chiffres (ex. FR76 …).");
	}
}

static int fr_phone(lua_State *L)
{
	size_t n;
	const char *s = arg_text(L, "Téléphone", &n);
	if (!s)
		return 2;
	validate_fr r;
	validate_fr_why why = validate_fr_phone(s, n, &r);
	return answer(L, why, &r,
		      why == VALIDATE_FR_LENGTH
			  ? "Un numéro français compte 10 chiffres (ex. 01 23 45 67 89)."
			  : "Saisissez un numéro français (ex. 01 23 45 67 89).");
}

static int fr_postal_code(lua_State *L)
{
	size_t n;
	const char *s = arg_text(L, "Code postal", &n);
	if (!s)
		return 2;
	validate_fr r;
	validate_fr_why why = validate_fr_postal_code(s, n, &r);
	return answer(L, why, &r,
		      why == VALIDATE_FR_UNKNOWN ? "Ce code postal n'existe pas en France."
						 : "Un code postal compte 5 chiffres.");
}

int luaopen_smallapps_fr_natif(lua_State *L)
{
	static const luaL_Reg fns[] = {
	    {"luhn", fr_luhn}, {"siren", fr_siren}, {"siret", fr_siret},
	    {"iban", fr_iban}, {"phone", fr_phone}, {"postal_code", fr_postal_code},
	    {NULL, NULL},
	};
	luaL_newlib(L, fns);
	lua_newtable(L);
	char cc[3];
	size_t len;
	for (size_t i = 0; (len = validate_iban_length(i, cc)) > 0; i++) {
		lua_pushinteger(L, (lua_Integer)len);
		lua_setfield(L, -2, cc);
	}
	lua_setfield(L, -2, "IBAN_LENGTH");
	return 1;
}
