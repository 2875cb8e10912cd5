/*
 * sandbox_strlib — Lua 5.4's string.find, match, gmatch and gsub on lmatch.c's
 * matcher, with the sandbox's meter (see sandbox_strlib.h).
 *
 * The functions follow Lua 5.4.4's lstrlib.c (str_find_aux, gmatch, gmatch_aux,
 * add_s, add_value, str_gsub, push_captures): the same results, the same errors.
 * The matching itself is lmatch's; what is left here is the Lua side: arguments,
 * pushing captures, building gsub's result, turning lmatch's errors into Lua errors
 * with lstrlib.c's text (raise_error), and passing lmatch's steps on to the
 * sandbox's meter (call_meter). That meter raises once the budget is spent: the
 * error unwinds through lmatch, which holds nothing but this file's state, and
 * through a luaL_Buffer, which Lua owns. Before anything that leaves the matcher
 * for long (an error, a call into Lua code, the return) the steps spent are charged
 * (settle), so the hook's count stays exact.
 *
 * Copyright (C) 1994-2022 Lua.org, PUC-Rio (the string functions).
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy of
 * this software and associated documentation files (the "Software"), to deal in
 * the Software without restriction, including without limitation the rights to
 * use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
 * the Software, and to permit persons to whom the Software is furnished to do so,
 * subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in all
 * copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
 * FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
 * COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
 * IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
 * CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 */
#include "sandbox_strlib.h"

#include <lauxlib.h>

#include <limits.h>
#include <string.h>

#include "lmatch.h"

#define L_ESC '%'

/* Upvalue 1 of every installed function. */
typedef struct meter_ud {
	sandbox_strlib_meter meter;
} meter_ud;

/* A match in progress: lmatch's state and the Lua side of its meter. */
typedef struct strlib_state {
	lmatch_state ms;
	lua_State *L;		    /* the thread running the function (gmatch: this call) */
	sandbox_strlib_meter meter; /* NULL: no limit */
	const char *src_end;	    /* end of the subject */
} strlib_state;

/* ------------------------------------------------------------------ the meter, errors */

static long call_meter(void *arg, long steps)
{
	strlib_state *st = arg;
	return st->meter(st->L, steps); /* raises once the budget is spent */
}

/* Raises the matcher's error as lstrlib.c would, after charging the steps spent. */
static int raise_error(strlib_state *st)
{
	lmatch_settle(&st->ms);
	return luaL_error(st->L, "%s", st->ms.msg);
}

/* Raises if the last lmatch call failed. */
static void check(strlib_state *st)
{
	if (st->ms.err != LMATCH_OK)
		raise_error(st);
}

static void charge(strlib_state *st, size_t bytes)
{
	if (!lmatch_charge(&st->ms, (long)(bytes / LMATCH_BULK)))
		raise_error(st);
}

static void settle(strlib_state *st)
{
	if (!lmatch_settle(&st->ms))
		raise_error(st);
}

/* Reads the meter from upvalue 1 of the running function (NULL: no limit). */
static void prepstate(strlib_state *st, lua_State *L, const char *s, size_t ls, const char *p,
		      size_t lp)
{
	meter_ud *mu = lua_touserdata(L, lua_upvalueindex(1));
	st->L = L;
	st->meter = mu ? mu->meter : NULL;
	st->src_end = s + ls;
	lmatch_init(&st->ms, s, ls, p, lp, 0, st->meter ? call_meter : NULL, st);
}

/* ------------------------------------------------------------------ captures */

static void push_onecapture(strlib_state *st, int i, const char *s, const char *e)
{
	lmatch_cap c;
	if (lmatch_capture(&st->ms, i, s, e, &c) != 0)
		raise_error(st);
	if (c.pos) {
		lua_pushinteger(st->L, (lua_Integer)c.pos);
	} else {
		charge(st, c.len);
		lua_pushlstring(st->L, c.s, c.len);
	}
}

/* Pushes the captures (s NULL: only real captures, as find wants); returns how many. */
static int push_captures(strlib_state *st, const char *s, const char *e)
{
	int nlevels = lmatch_ncaptures(&st->ms, s != NULL);
	luaL_checkstack(st->L, nlevels, "too many captures");
	for (int i = 0; i < nlevels; i++)
		push_onecapture(st, i, s, e);
	return nlevels; /* number of values pushed */
}

/* ------------------------------------------------------------------ find, match */

/* Translates a relative initial position: negative means back from the end; clips to 1. */
static size_t posrelatI(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos;
	else if (pos == 0)
		return 1;
	else if (pos < -(lua_Integer)len) /* inverted comparison */
		return 1;		  /* clip to 1 */
	else
		return len + (size_t)pos + 1;
}

/* string.find(s, p, init, true) or a pattern without specials: memchr and memcmp. */
static int find_plain(strlib_state *st, const char *s, size_t ls, size_t init, const char *p,
		      size_t lp)
{
	lua_State *L = st->L;
	const char *s2 = lmatch_find_plain(&st->ms, s + init, ls - init, p, lp);
	check(st);
	if (!s2)
		return 0;
	lua_pushinteger(L, (s2 - s) + 1);
	lua_pushinteger(L, (lua_Integer)(s2 - s) + (lua_Integer)lp);
	return 2;
}

/* Tries the pattern from s + init on (only there when anchored); pushes what it found. */
static int find_pattern(strlib_state *st, const char *s, size_t init, const char *p, int find)
{
	lua_State *L = st->L;
	const char *s1 = s + init;
	int anchor = (*p == '^');
	if (anchor)
		p++; /* skip anchor character (the pattern's end is unchanged) */
	do {
		const char *res = lmatch_match(&st->ms, s1, p);
		if (res != NULL) {
			if (!find)
				return push_captures(st, s1, res);
			lua_pushinteger(L, (s1 - s) + 1); /* start */
			lua_pushinteger(L, res - s);	  /* end */
			return push_captures(st, NULL, NULL) + 2;
		}
		check(st);
	} while (s1++ < st->src_end && !anchor);
	return 0;
}

static int str_find_aux(lua_State *L, int find)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = posrelatI(luaL_optinteger(L, 3, 1), ls) - 1;
	strlib_state st;
	int n;
	if (init > ls) {	  /* start after string's end? */
		luaL_pushfail(L); /* cannot find anything */
		return 1;
	}
	prepstate(&st, L, s, ls, p, lp);
	/* explicit request or no special characters? */
	if (find && (lua_toboolean(L, 4) || !lmatch_has_specials(&st.ms, p, lp))) {
		check(&st);
		n = find_plain(&st, s, ls, init, p, lp);
	} else {
		check(&st);
		n = find_pattern(&st, s, init, p, find);
	}
	settle(&st);
	if (n == 0)
		luaL_pushfail(L); /* not found */
	return n ? n : 1;
}

static int str_find(lua_State *L)
{
	return str_find_aux(L, 1);
}

static int str_match(lua_State *L)
{
	return str_find_aux(L, 0);
}

/* ------------------------------------------------------------------ gmatch */

/* State of a gmatch iterator, in a userdata the iterator keeps as upvalue 3. */
typedef struct GMatchState {
	const char *src;       /* current position */
	const char *p;	       /* pattern */
	const char *lastmatch; /* end of last match */
	strlib_state st;       /* match state */
} GMatchState;

static int gmatch_aux(lua_State *L)
{
	GMatchState *gm = lua_touserdata(L, lua_upvalueindex(3));
	gm->st.L = L;
	for (const char *src = gm->src; src <= gm->st.src_end; src++) {
		const char *e = lmatch_match(&gm->st.ms, src, gm->p);
		if (e != NULL && e != gm->lastmatch) {
			gm->src = gm->lastmatch = e;
			int n = push_captures(&gm->st, src, e);
			settle(&gm->st);
			return n;
		}
		check(&gm->st);
	}
	settle(&gm->st);
	return 0; /* not found */
}

static int gmatch(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = posrelatI(luaL_optinteger(L, 3, 1), ls) - 1;
	GMatchState *gm;
	lua_settop(L, 2); /* keep strings on closure to avoid being collected */
	gm = lua_newuserdatauv(L, sizeof(GMatchState), 0);
	if (init > ls)	       /* start after string's end? */
		init = ls + 1; /* avoid overflows in 's + init' */
	prepstate(&gm->st, L, s, ls, p, lp);
	gm->src = s + init;
	gm->p = p;
	gm->lastmatch = NULL;
	lua_pushcclosure(L, gmatch_aux, 3);
	return 1;
}

/* ------------------------------------------------------------------ gsub */

static void add_s(strlib_state *st, luaL_Buffer *b, const char *s, const char *e)
{
	size_t l;
	lua_State *L = st->L;
	const char *news = lua_tolstring(L, 3, &l);
	const char *p;
	charge(st, l);
	while ((p = memchr(news, L_ESC, l)) != NULL) {
		luaL_addlstring(b, news, (size_t)(p - news));
		p++;		   /* skip ESC */
		if (*p == L_ESC) { /* '%%' */
			luaL_addchar(b, *p);
		} else if (*p == '0') { /* '%0' */
			charge(st, (size_t)(e - s));
			luaL_addlstring(b, s, (size_t)(e - s));
		} else if (*p >= '1' && *p <= '9') { /* '%n' */
			lmatch_cap c;
			if (lmatch_capture(&st->ms, *p - '1', s, e, &c) != 0)
				raise_error(st);
			if (c.pos) {
				lua_pushinteger(L, (lua_Integer)c.pos);
				luaL_addvalue(b); /* add position to accumulated result */
			} else {
				charge(st, c.len);
				luaL_addlstring(b, c.s, c.len);
			}
		} else {
			lmatch_settle(&st->ms);
			luaL_error(L, "invalid use of '%c' in replacement string", L_ESC);
		}
		l -= (size_t)(p + 1 - news);
		news = p + 1;
	}
	luaL_addlstring(b, news, l);
}

/*
 * Adds the replacement value to the buffer b. Returns whether the original string
 * was changed (function calls and table indexing resulting in nil or false do not
 * change the subject).
 */
static int add_value(strlib_state *st, luaL_Buffer *b, const char *s, const char *e, int tr)
{
	lua_State *L = st->L;
	switch (tr) {
	case LUA_TFUNCTION: { /* call the function */
		lua_pushvalue(L, 3);
		int n = push_captures(st, s, e); /* all captures as arguments */
		settle(st);			 /* the hook counts the function's instructions */
		lua_call(L, n, 1);
		break;
	}
	case LUA_TTABLE:		      /* index the table */
		push_onecapture(st, 0, s, e); /* first capture is the index */
		settle(st);		      /* __index may run Lua code */
		lua_gettable(L, 3);
		break;
	default: /* LUA_TNUMBER or LUA_TSTRING */
		add_s(st, b, s, e);
		return 1; /* something changed */
	}
	if (!lua_toboolean(L, -1)) { /* nil or false? */
		lua_pop(L, 1);
		charge(st, (size_t)(e - s));
		luaL_addlstring(b, s, (size_t)(e - s)); /* keep original text */
		return 0;				/* no changes */
	} else if (!lua_isstring(L, -1)) {
		lmatch_settle(&st->ms);
		return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
	} else {
		charge(st, lua_rawlen(L, -1));
		luaL_addvalue(b); /* add result to accumulator */
		return 1;	  /* something changed */
	}
}

static int str_gsub(lua_State *L)
{
	size_t srcl, lp;
	const char *src = luaL_checklstring(L, 1, &srcl);		  /* subject */
	const char *p = luaL_checklstring(L, 2, &lp);			  /* pattern */
	const char *lastmatch = NULL;					  /* end of last match */
	int tr = lua_type(L, 3);					  /* replacement type */
	lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1); /* max replacements */
	int anchor = (*p == '^');
	lua_Integer n = 0; /* replacement count */
	int changed = 0;   /* change flag */
	strlib_state st;
	luaL_Buffer b;
	luaL_argexpected(
	    L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
	    "string/function/table");
	luaL_buffinit(L, &b);
	if (anchor) {
		p++;
		lp--; /* skip anchor character */
	}
	prepstate(&st, L, src, srcl, p, lp);
	while (n < max_s) {
		const char *e = lmatch_match(&st.ms, src, p);
		if (e != NULL && e != lastmatch) { /* match? */
			n++;
			changed = add_value(&st, &b, src, e, tr) | changed;
			src = lastmatch = e;
		} else {
			check(&st);
			if (src >= st.src_end)
				break;		  /* end of subject */
			luaL_addchar(&b, *src++); /* otherwise, skip one character */
		}
		if (anchor)
			break;
	}
	if (!changed) {		     /* no changes? */
		lua_pushvalue(L, 1); /* return original string */
	} else {		     /* something changed */
		charge(&st, (size_t)(st.src_end - src));
		luaL_addlstring(&b, src, (size_t)(st.src_end - src));
		luaL_pushresult(&b); /* create and return new string */
	}
	settle(&st);
	lua_pushinteger(L, n); /* number of substitutions */
	return 2;
}

/* ------------------------------------------------------------------ installing */

void sandbox_strlib_install(lua_State *L, int idx, sandbox_strlib_meter meter)
{
	static const luaL_Reg fns[] = {
	    {"find", str_find}, {"match", str_match}, {"gmatch", gmatch},
	    {"gsub", str_gsub}, {NULL, NULL},
	};
	idx = lua_absindex(L, idx);
	meter_ud *mu = lua_newuserdatauv(L, sizeof *mu, 0);
	mu->meter = meter;
	for (const luaL_Reg *f = fns; f->name; f++) {
		lua_pushvalue(L, -1);
		lua_pushcclosure(L, f->func, 1);
		lua_setfield(L, idx, f->name);
	}
	lua_pop(L, 1);
}
