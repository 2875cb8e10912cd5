/*
 * lpattern — Lua 5.4's pattern matching with a step meter (see lpattern.h).
 *
 * The matcher below follows the pattern-matching section of Lua 5.4.4's lstrlib.c
 * function by function (MatchState, classEnd, match_class, matchbracketclass,
 * singlematch, matchbalance, max_expand, min_expand, captures, match, lmemfind,
 * push_captures, str_find_aux, gmatch, add_s, add_value, str_gsub), with the same
 * results and the same error messages. What was added is marked "meter": a STEP()
 * where work is done, settle() before anything that leaves the matcher (an error,
 * a call into Lua code, the return). Besides the meter, one change: reprepstate()
 * also resets matchdepth, so a gmatch iterator whose previous call was stopped
 * halfway (budget error) starts again with the full depth.
 *
 * Accounting: a MatchState holds a grant of steps from the meter; STEP() spends
 * from it and, when it runs out, refill() charges what was spent and asks for a
 * new grant (at most LPATTERN_GRANT, less when the call's budget is nearly spent).
 * The meter raises when the budget is spent; being a Lua error, it unwinds the
 * matcher, which holds nothing but C stack and Lua values.
 *
 * Copyright (C) 1994-2022 Lua.org, PUC-Rio (the matcher and the string functions).
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
#include "lpattern.h"

#include <lauxlib.h>

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* Maximum number of captures (must fit in an unsigned char), as in lstrlib.c. */
#define LUA_MAXCAPTURES 32
/* Maximum recursion depth of 'match' (C stack), as in lstrlib.c. */
#define MAXCCALLS 200

#define L_ESC          '%'
#define SPECIALS       "^$*+?.([%-"
#define CAP_UNFINISHED (-1)
#define CAP_POSITION   (-2)

#define uchar(c) ((unsigned char)(c))

/* meter: bytes per step of byte-by-byte scans (sets, %b, *-runs) and of mem* calls. */
#define SCAN 8
#define BULK 64

/* Upvalue 1 of every installed function. */
typedef struct meter_ud {
	lpattern_meter meter;
} meter_ud;

typedef struct MatchState {
	const char *src_init;     /* init of source string */
	const char *src_end;      /* end ('\0') of source string */
	const char *p_end;        /* end ('\0') of pattern */
	lua_State *L;
	int matchdepth;           /* control for recursive depth (to avoid C stack overflow) */
	unsigned char level;      /* total number of captures (finished or unfinished) */
	struct {
		const char *init;
		ptrdiff_t len;
	} capture[LUA_MAXCAPTURES];
	lpattern_meter meter;     /* meter: NULL for no limit */
	long grant;               /* meter: steps granted by the last refill */
	long tick;                /* meter: steps of the grant still left */
} MatchState;

/* ------------------------------------------------------------------ meter */

static void refill(MatchState *ms)
{
	long used = ms->grant - ms->tick;
	long left = LONG_MAX;
	ms->grant = ms->tick = 0;
	if (ms->meter)
		left = ms->meter(ms->L, used);     /* raises when the budget is spent */
	ms->grant = ms->tick = left < LPATTERN_GRANT ? left : LPATTERN_GRANT;
}

/* Spends n steps (n >= 0). */
#define STEP(ms, n)                                  \
	do {                                             \
		if (((ms)->tick -= (long)(n)) < 0)           \
			refill(ms);                              \
	} while (0)

/* Charges the steps spent so far; the next STEP asks the meter again. */
static void settle(MatchState *ms)
{
	long used = ms->grant - ms->tick;
	ms->grant = ms->tick = 0;
	if (used > 0 && ms->meter)
		ms->meter(ms->L, used);
}

/* luaL_error, after charging the steps spent (meter). */
static int ms_error(MatchState *ms, const char *fmt, ...)
{
	va_list ap;
	settle(ms);
	luaL_where(ms->L, 1);
	va_start(ap, fmt);
	lua_pushvfstring(ms->L, fmt, ap);
	va_end(ap);
	lua_concat(ms->L, 2);
	return lua_error(ms->L);
}

/* memcmp(a, b, n) == 0 in blocks of BULK bytes, one step each (meter). */
static int same_bytes(MatchState *ms, const char *a, const char *b, size_t n)
{
	while (n > BULK) {
		STEP(ms, 1);
		if (memcmp(a, b, BULK) != 0)
			return 0;
		a += BULK;
		b += BULK;
		n -= BULK;
	}
	STEP(ms, 1);
	return memcmp(a, b, n) == 0;
}

/* ------------------------------------------------------------------ the matcher */

static const char *match(MatchState *ms, const char *s, const char *p);

static int check_capture(MatchState *ms, int l)
{
	l -= '1';
	if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED)
		return ms_error(ms, "invalid capture index %%%d", l + 1);
	return l;
}

static int capture_to_close(MatchState *ms)
{
	int level = ms->level;
	for (level--; level >= 0; level--)
		if (ms->capture[level].len == CAP_UNFINISHED)
			return level;
	return ms_error(ms, "invalid pattern capture");
}

static const char *classEnd(MatchState *ms, const char *p)
{
	switch (*p++) {
	case L_ESC:
		if (p == ms->p_end)
			ms_error(ms, "malformed pattern (ends with '%%')");
		return p + 1;
	case '[': {
		const char *set = p;
		if (*p == '^')
			p++;
		do {  /* look for a ']' */
			if (p == ms->p_end)
				ms_error(ms, "malformed pattern (missing ']')");
			if (*(p++) == L_ESC && p < ms->p_end)
				p++;  /* skip escapes (e.g. '%]') */
		} while (*p != ']');
		STEP(ms, (p - set) / SCAN);  /* meter */
		return p + 1;
	}
	default:
		return p;
	}
}

static int match_class(int c, int cl)
{
	int res;
	switch (tolower(cl)) {
	case 'a': res = isalpha(c); break;
	case 'c': res = iscntrl(c); break;
	case 'd': res = isdigit(c); break;
	case 'g': res = isgraph(c); break;
	case 'l': res = islower(c); break;
	case 'p': res = ispunct(c); break;
	case 's': res = isspace(c); break;
	case 'u': res = isupper(c); break;
	case 'w': res = isalnum(c); break;
	case 'x': res = isxdigit(c); break;
	case 'z': res = (c == 0); break;  /* deprecated option */
	default: return (cl == c);
	}
	return (islower(cl) ? res : !res);
}

static int matchbracketclass(int c, const char *p, const char *ec)
{
	int sig = 1;
	if (*(p + 1) == '^') {
		sig = 0;
		p++;  /* skip the '^' */
	}
	while (++p < ec) {
		if (*p == L_ESC) {
			p++;
			if (match_class(c, uchar(*p)))
				return sig;
		} else if (*(p + 1) == '-' && (p + 2 < ec)) {
			p += 2;
			if (uchar(*(p - 2)) <= c && c <= uchar(*p))
				return sig;
		} else if (uchar(*p) == c) {
			return sig;
		}
	}
	return !sig;
}

static int singlematch(MatchState *ms, const char *s, const char *p, const char *ep)
{
	if (s >= ms->src_end)
		return 0;
	int c = uchar(*s);
	switch (*p) {
	case '.':
		return 1;  /* matches any char */
	case L_ESC:
		return match_class(c, uchar(*(p + 1)));
	case '[':
		STEP(ms, (ep - p) / SCAN);  /* meter */
		return matchbracketclass(c, p, ep - 1);
	default:
		return (uchar(*p) == c);
	}
}

static const char *matchbalance(MatchState *ms, const char *s, const char *p)
{
	if (p >= ms->p_end - 1)
		ms_error(ms, "malformed pattern (missing arguments to '%%b')");
	if (*s != *p)
		return NULL;
	const char *from = s, *res = NULL;
	int b = *p;
	int e = *(p + 1);
	int cont = 1;
	while (++s < ms->src_end) {
		if (*s == e) {
			if (--cont == 0) {
				res = s + 1;
				break;
			}
		} else if (*s == b) {
			cont++;
		}
	}
	STEP(ms, (s - from) / SCAN);  /* meter */
	return res;  /* NULL: string ends out of balance */
}

static const char *max_expand(MatchState *ms, const char *s, const char *p, const char *ep)
{
	ptrdiff_t i = 0;  /* counts maximum expand for item */
	while (singlematch(ms, s + i, p, ep))
		i++;
	STEP(ms, i / SCAN);  /* meter; each try below is a step of match() */
	/* keeps trying to match with the maximum repetitions */
	while (i >= 0) {
		const char *res = match(ms, (s + i), ep + 1);
		if (res)
			return res;
		i--;  /* else didn't match; reduce 1 repetition to try again */
	}
	return NULL;
}

static const char *min_expand(MatchState *ms, const char *s, const char *p, const char *ep)
{
	for (;;) {
		const char *res = match(ms, s, ep + 1);
		if (res != NULL)
			return res;
		else if (singlematch(ms, s, p, ep))
			s++;  /* try with one more repetition */
		else
			return NULL;
	}
}

static const char *start_capture(MatchState *ms, const char *s, const char *p, int what)
{
	const char *res;
	int level = ms->level;
	if (level >= LUA_MAXCAPTURES)
		ms_error(ms, "too many captures");
	ms->capture[level].init = s;
	ms->capture[level].len = what;
	ms->level = (unsigned char)(level + 1);
	if ((res = match(ms, s, p)) == NULL)  /* match failed? */
		ms->level--;  /* undo capture */
	return res;
}

static const char *end_capture(MatchState *ms, const char *s, const char *p)
{
	int l = capture_to_close(ms);
	const char *res;
	ms->capture[l].len = s - ms->capture[l].init;  /* close capture */
	if ((res = match(ms, s, p)) == NULL)  /* match failed? */
		ms->capture[l].len = CAP_UNFINISHED;  /* undo capture */
	return res;
}

static const char *match_capture(MatchState *ms, const char *s, int l)
{
	size_t len;
	l = check_capture(ms, l);
	len = (size_t)ms->capture[l].len;
	if ((size_t)(ms->src_end - s) >= len && same_bytes(ms, ms->capture[l].init, s, len))
		return s + len;
	else
		return NULL;
}

static const char *match(MatchState *ms, const char *s, const char *p)
{
	if (ms->matchdepth-- == 0)
		ms_error(ms, "pattern too complex");
init:  /* using goto to optimize tail recursion */
	STEP(ms, 1);  /* meter */
	if (p != ms->p_end) {  /* end of pattern? */
		switch (*p) {
		case '(':  /* start capture */
			if (*(p + 1) == ')')  /* position capture? */
				s = start_capture(ms, s, p + 2, CAP_POSITION);
			else
				s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
			break;
		case ')':  /* end capture */
			s = end_capture(ms, s, p + 1);
			break;
		case '$':
			if ((p + 1) != ms->p_end)  /* is the '$' the last char in pattern? */
				goto dflt;  /* no; go to default */
			s = (s == ms->src_end) ? s : NULL;  /* check end of string */
			break;
		case L_ESC:  /* escaped sequences not in the format class[*+?-]? */
			switch (*(p + 1)) {
			case 'b':  /* balanced string? */
				s = matchbalance(ms, s, p + 2);
				if (s != NULL) {
					p += 4;
					goto init;  /* return match(ms, s, p + 4); */
				}  /* else fail (s == NULL) */
				break;
			case 'f': {  /* frontier? */
				const char *ep;
				char previous;
				p += 2;
				if (*p != '[')
					ms_error(ms, "missing '[' after '%%f' in pattern");
				ep = classEnd(ms, p);  /* points to what is next */
				STEP(ms, 2 * ((ep - p) / SCAN));  /* meter */
				previous = (s == ms->src_init) ? '\0' : *(s - 1);
				if (!matchbracketclass(uchar(previous), p, ep - 1) &&
				    matchbracketclass(uchar(*s), p, ep - 1)) {
					p = ep;
					goto init;  /* return match(ms, s, ep); */
				}
				s = NULL;  /* match failed */
				break;
			}
			case '0': case '1': case '2': case '3': case '4':
			case '5': case '6': case '7': case '8': case '9':  /* capture results (%0-%9)? */
				s = match_capture(ms, s, uchar(*(p + 1)));
				if (s != NULL) {
					p += 2;
					goto init;  /* return match(ms, s, p + 2) */
				}
				break;
			default:
				goto dflt;
			}
			break;
		default:
		dflt: {  /* pattern class plus optional suffix */
			const char *ep = classEnd(ms, p);  /* points to optional suffix */
			/* does not match at least once? */
			if (!singlematch(ms, s, p, ep)) {
				if (*ep == '*' || *ep == '?' || *ep == '-') {  /* accept empty? */
					p = ep + 1;
					goto init;  /* return match(ms, s, ep + 1); */
				} else {  /* '+' or no suffix */
					s = NULL;  /* fail */
				}
			} else {  /* matched once */
				switch (*ep) {  /* handle optional suffix */
				case '?': {  /* optional */
					const char *res;
					if ((res = match(ms, s + 1, ep + 1)) != NULL) {
						s = res;
					} else {
						p = ep + 1;
						goto init;  /* else return match(ms, s, ep + 1); */
					}
					break;
				}
				case '+':  /* 1 or more repetitions */
					s++;  /* 1 match already done */
					/* FALLTHROUGH */
				case '*':  /* 0 or more repetitions */
					s = max_expand(ms, s, p, ep);
					break;
				case '-':  /* 0 or more repetitions (minimum) */
					s = min_expand(ms, s, p, ep);
					break;
				default:  /* no suffix */
					s++;
					p = ep;
					goto init;  /* return match(ms, s + 1, ep); */
				}
			}
			break;
		}
		}
	}
	ms->matchdepth++;
	return s;
}

static const char *lmemfind(MatchState *ms, const char *s1, size_t l1, const char *s2, size_t l2)
{
	if (l2 == 0)
		return s1;  /* empty strings are everywhere */
	else if (l2 > l1)
		return NULL;  /* avoids a negative 'l1' */
	const char *init;  /* to search for a '*s2' inside 's1' */
	l2--;  /* 1st char will be checked by 'memchr' */
	l1 = l1 - l2;  /* 's2' cannot be found after that */
	while (l1 > 0) {
		init = memchr(s1, *s2, l1);
		STEP(ms, (size_t)(init ? init - s1 : (ptrdiff_t)l1) / BULK);  /* meter */
		if (init == NULL)
			break;
		init++;  /* 1st char is already checked */
		if (same_bytes(ms, init, s2 + 1, l2))
			return init - 1;
		/* correct 'l1' and 's1' to try again */
		l1 -= (size_t)(init - s1);
		s1 = init;
	}
	return NULL;  /* not found */
}

/*
 * Information about the i-th capture. If there are no captures and i == 0, the
 * whole match s..e. A string capture: its length, its address in *cap. A position
 * capture: pushed on the stack, CAP_POSITION returned.
 */
static ptrdiff_t get_onecapture(MatchState *ms, int i, const char *s, const char *e,
                                const char **cap)
{
	if (i >= ms->level) {
		if (i != 0)
			ms_error(ms, "invalid capture index %%%d", i + 1);
		*cap = s;
		return e - s;
	} else {
		ptrdiff_t capl = ms->capture[i].len;
		*cap = ms->capture[i].init;
		if (capl == CAP_UNFINISHED)
			ms_error(ms, "unfinished capture");
		else if (capl == CAP_POSITION)
			lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
		return capl;
	}
}

static void push_onecapture(MatchState *ms, int i, const char *s, const char *e)
{
	const char *cap;
	ptrdiff_t l = get_onecapture(ms, i, s, e, &cap);
	if (l != CAP_POSITION) {
		STEP(ms, l / BULK);  /* meter */
		lua_pushlstring(ms->L, cap, (size_t)l);
	}
	/* else position was already pushed */
}

static int push_captures(MatchState *ms, const char *s, const char *e)
{
	int nlevels = (ms->level == 0 && s) ? 1 : ms->level;
	luaL_checkstack(ms->L, nlevels, "too many captures");
	for (int i = 0; i < nlevels; i++)
		push_onecapture(ms, i, s, e);
	return nlevels;  /* number of strings pushed */
}

/* Whether the pattern has no special characters. */
static int nospecials(MatchState *ms, const char *p, size_t l)
{
	size_t upto = 0;
	STEP(ms, l / SCAN);  /* meter */
	do {
		if (strpbrk(p + upto, SPECIALS))
			return 0;  /* pattern has a special character */
		upto += strlen(p + upto) + 1;  /* may have more after \0 */
	} while (upto <= l);
	return 1;  /* no special chars found */
}

static void prepstate(MatchState *ms, lua_State *L, const char *s, size_t ls, const char *p,
                      size_t lp)
{
	ms->L = L;
	ms->matchdepth = MAXCCALLS;
	ms->src_init = s;
	ms->src_end = s + ls;
	ms->p_end = p + lp;
	ms->level = 0;
	meter_ud *mu = lua_touserdata(L, lua_upvalueindex(1));
	ms->meter = mu ? mu->meter : NULL;
	ms->grant = ms->tick = 0;
}

static void reprepstate(MatchState *ms)
{
	ms->level = 0;
	ms->matchdepth = MAXCCALLS;  /* lstrlib.c only asserts it */
}

/* ------------------------------------------------------------------ the functions */

/* Translates a relative initial position: negative means back from the end; clips to 1. */
static size_t posrelatI(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos;
	else if (pos == 0)
		return 1;
	else if (pos < -(lua_Integer)len)  /* inverted comparison */
		return 1;  /* clip to 1 */
	else
		return len + (size_t)pos + 1;
}

static int str_find_aux(lua_State *L, int find)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = posrelatI(luaL_optinteger(L, 3, 1), ls) - 1;
	MatchState ms;
	int n;
	if (init > ls) {  /* start after string's end? */
		luaL_pushfail(L);  /* cannot find anything */
		return 1;
	}
	prepstate(&ms, L, s, ls, p, lp);
	/* explicit request or no special characters? */
	if (find && (lua_toboolean(L, 4) || nospecials(&ms, p, lp))) {
		/* do a plain search */
		const char *s2 = lmemfind(&ms, s + init, ls - init, p, lp);
		if (s2) {
			lua_pushinteger(L, (s2 - s) + 1);
			lua_pushinteger(L, (lua_Integer)((size_t)(s2 - s) + lp));
			settle(&ms);
			return 2;
		}
	} else {
		const char *s1 = s + init;
		int anchor = (*p == '^');
		if (anchor) {
			p++;
			lp--;  /* skip anchor character (p + lp, the pattern's end, is unchanged) */
		}
		do {
			const char *res;
			reprepstate(&ms);
			if ((res = match(&ms, s1, p)) != NULL) {
				if (find) {
					lua_pushinteger(L, (s1 - s) + 1);  /* start */
					lua_pushinteger(L, res - s);  /* end */
					n = push_captures(&ms, NULL, 0) + 2;
				} else {
					n = push_captures(&ms, s1, res);
				}
				settle(&ms);
				return n;
			}
		} while (s1++ < ms.src_end && !anchor);
	}
	settle(&ms);
	luaL_pushfail(L);  /* not found */
	return 1;
}

static int str_find(lua_State *L)
{
	return str_find_aux(L, 1);
}

static int str_match(lua_State *L)
{
	return str_find_aux(L, 0);
}

/* State of a gmatch iterator. */
typedef struct GMatchState {
	const char *src;          /* current position */
	const char *p;            /* pattern */
	const char *lastmatch;    /* end of last match */
	MatchState ms;            /* match state */
} GMatchState;

static int gmatch_aux(lua_State *L)
{
	GMatchState *gm = lua_touserdata(L, lua_upvalueindex(3));
	const char *src;
	gm->ms.L = L;
	gm->ms.grant = gm->ms.tick = 0;  /* meter */
	for (src = gm->src; src <= gm->ms.src_end; src++) {
		const char *e;
		reprepstate(&gm->ms);
		if ((e = match(&gm->ms, src, gm->p)) != NULL && e != gm->lastmatch) {
			gm->src = gm->lastmatch = e;
			int n = push_captures(&gm->ms, src, e);
			settle(&gm->ms);
			return n;
		}
	}
	settle(&gm->ms);
	return 0;  /* not found */
}

static int gmatch(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = posrelatI(luaL_optinteger(L, 3, 1), ls) - 1;
	GMatchState *gm;
	lua_settop(L, 2);  /* keep strings on closure to avoid being collected */
	gm = lua_newuserdatauv(L, sizeof(GMatchState), 0);
	if (init > ls)  /* start after string's end? */
		init = ls + 1;  /* avoid overflows in 's + init' */
	prepstate(&gm->ms, L, s, ls, p, lp);
	gm->src = s + init;
	gm->p = p;
	gm->lastmatch = NULL;
	lua_pushcclosure(L, gmatch_aux, 3);
	return 1;
}

static void add_s(MatchState *ms, luaL_Buffer *b, const char *s, const char *e)
{
	size_t l;
	lua_State *L = ms->L;
	const char *news = lua_tolstring(L, 3, &l);
	const char *p;
	STEP(ms, l / BULK);  /* meter */
	while ((p = memchr(news, L_ESC, l)) != NULL) {
		luaL_addlstring(b, news, (size_t)(p - news));
		p++;  /* skip ESC */
		if (*p == L_ESC) {  /* '%%' */
			luaL_addchar(b, *p);
		} else if (*p == '0') {  /* '%0' */
			STEP(ms, (e - s) / BULK);  /* meter */
			luaL_addlstring(b, s, (size_t)(e - s));
		} else if (isdigit(uchar(*p))) {  /* '%n' */
			const char *cap;
			ptrdiff_t resl = get_onecapture(ms, *p - '1', s, e, &cap);
			if (resl == CAP_POSITION) {
				luaL_addvalue(b);  /* add position to accumulated result */
			} else {
				STEP(ms, resl / BULK);  /* meter */
				luaL_addlstring(b, cap, (size_t)resl);
			}
		} else {
			ms_error(ms, "invalid use of '%c' in replacement string", L_ESC);
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
static int add_value(MatchState *ms, luaL_Buffer *b, const char *s, const char *e, int tr)
{
	lua_State *L = ms->L;
	switch (tr) {
	case LUA_TFUNCTION: {  /* call the function */
		int n;
		lua_pushvalue(L, 3);  /* push the function */
		n = push_captures(ms, s, e);  /* all captures as arguments */
		settle(ms);  /* meter: the hook counts the function's instructions */
		lua_call(L, n, 1);  /* call it */
		break;
	}
	case LUA_TTABLE:  /* index the table */
		push_onecapture(ms, 0, s, e);  /* first capture is the index */
		settle(ms);  /* meter: __index may run Lua code */
		lua_gettable(L, 3);
		break;
	default:  /* LUA_TNUMBER or LUA_TSTRING */
		add_s(ms, b, s, e);  /* add value to the buffer */
		return 1;  /* something changed */
	}
	if (!lua_toboolean(L, -1)) {  /* nil or false? */
		lua_pop(L, 1);  /* remove value */
		STEP(ms, (e - s) / BULK);  /* meter */
		luaL_addlstring(b, s, (size_t)(e - s));  /* keep original text */
		return 0;  /* no changes */
	} else if (!lua_isstring(L, -1)) {
		return ms_error(ms, "invalid replacement value (a %s)", luaL_typename(L, -1));
	} else {
		STEP(ms, lua_rawlen(L, -1) / BULK);  /* meter */
		luaL_addvalue(b);  /* add result to accumulator */
		return 1;  /* something changed */
	}
}

static int str_gsub(lua_State *L)
{
	size_t srcl, lp;
	const char *src = luaL_checklstring(L, 1, &srcl);  /* subject */
	const char *p = luaL_checklstring(L, 2, &lp);  /* pattern */
	const char *lastmatch = NULL;  /* end of last match */
	int tr = lua_type(L, 3);  /* replacement type */
	lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);  /* max replacements */
	int anchor = (*p == '^');
	lua_Integer n = 0;  /* replacement count */
	int changed = 0;  /* change flag */
	MatchState ms;
	luaL_Buffer b;
	luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
	                 tr == LUA_TTABLE, 3, "string/function/table");
	luaL_buffinit(L, &b);
	if (anchor) {
		p++;
		lp--;  /* skip anchor character */
	}
	prepstate(&ms, L, src, srcl, p, lp);
	while (n < max_s) {
		const char *e;
		reprepstate(&ms);  /* (re)prepare state for new match */
		if ((e = match(&ms, src, p)) != NULL && e != lastmatch) {  /* match? */
			n++;
			changed = add_value(&ms, &b, src, e, tr) | changed;
			src = lastmatch = e;
		} else if (src < ms.src_end) {  /* otherwise, skip one character */
			luaL_addchar(&b, *src++);
		} else {
			break;  /* end of subject */
		}
		if (anchor)
			break;
	}
	if (!changed) {  /* no changes? */
		lua_pushvalue(L, 1);  /* return original string */
	} else {  /* something changed */
		STEP(&ms, (ms.src_end - src) / BULK);  /* meter */
		luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
		luaL_pushresult(&b);  /* create and return new string */
	}
	settle(&ms);
	lua_pushinteger(L, n);  /* number of substitutions */
	return 2;
}

/* ------------------------------------------------------------------ installing */

void lpattern_install(lua_State *L, int idx, lpattern_meter meter)
{
	static const luaL_Reg fns[] = {
		{"find", str_find},
		{"match", str_match},
		{"gmatch", gmatch},
		{"gsub", str_gsub},
		{NULL, NULL},
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
