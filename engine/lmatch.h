/*
 * lmatch — Lua 5.4's pattern matcher in plain C, with a step meter: one matcher for
 * the sandbox's string.find/match/gmatch/gsub (sandbox_strlib.c) and for the
 * `pattern` key of text fields (validate.c).
 *
 * Why it exists: a pattern can take minutes on a short subject
 * (string.rep('a', 1e6):find('.-b') is quadratic, ('a?'):rep(30) .. ('a'):rep(30)
 * exponential), and neither the sandbox's instruction hook (it runs between VM
 * instructions, not inside a C function) nor a form submission can wait that long.
 * This is the matching logic of Lua 5.4.4's lstrlib.c (classes, sets, quantifiers,
 * %b, %f, back-references, captures and position captures, the MAXCCALLS depth
 * limit, LUA_MAXCAPTURES) that counts its work in steps and, every LMATCH_GRANT
 * steps, asks the caller's meter whether it may go on.
 *
 * What a step is: one pattern item tried at one subject position (every
 * backtracking try included). Scans are charged by size: byte by byte (a run of x*,
 * a %b, a [set] each time it is read, a pattern checked for specials) one step per
 * LMATCH_SCAN bytes; memchr, memcmp (plain find, %1) and the caller's copies
 * (captures, gsub results, through lmatch_charge) one step per LMATCH_BULK bytes. A
 * step costs about what a cheap Lua instruction does (10 M take 20-70 ms).
 *
 * Errors: nothing here raises or allocates. A malformed pattern, a bad capture index
 * or a refusal of the meter sets `err` and `msg` (Lua's own message text, e.g.
 * "malformed pattern (missing ']')"), and the matcher unwinds by returning NULL; the
 * first error wins. The caller decides what an error means (a Lua error with that
 * text in the sandbox, a mismatch for a text field). A meter may also raise a Lua
 * error (longjmp) out of the matcher: it holds nothing but the caller's state and
 * C stack.
 *
 * Character classes are ASCII whatever the C locale (the engine never sets one, so
 * they are the ones Lua uses in the "C" locale). The pattern must be followed by a
 * '\0' (p[lp] == '\0', as for Lua strings and C strings); the subject need not be.
 * Thread-safety: none needed; everything lives in the caller's lmatch_state.
 */
#ifndef SMALLAPPS_LMATCH_H
#define SMALLAPPS_LMATCH_H

#include <stdbool.h>
#include <stddef.h>

#define LMATCH_MAXCAPTURES 32	/* as LUA_MAXCAPTURES */
#define LMATCH_MAXCCALLS   200	/* depth of the matcher's recursion, as lstrlib.c's */
#define LMATCH_GRANT	   1024 /* steps taken between two calls of the meter */
#define LMATCH_SCAN	   8	/* bytes per step of byte-by-byte scans */
#define LMATCH_BULK	   64	/* bytes per step of memchr, memcmp and copies */
#define LMATCH_MSG	   64

/*
 * Charges `steps` steps (>= 0) to whatever budget arg stands for and returns how many
 * more the match may take (LONG_MAX for no limit), or a negative number to stop it.
 */
typedef long (*lmatch_meter)(void *arg, long steps);

typedef enum lmatch_err {
	LMATCH_OK = 0,
	LMATCH_ENDS_WITH_ESCAPE,   /* malformed pattern (ends with '%') */
	LMATCH_MISSING_BRACKET,	   /* malformed pattern (missing ']') */
	LMATCH_BALANCE_ARGUMENTS,  /* malformed pattern (missing arguments to '%b') */
	LMATCH_FRONTIER_BRACKET,   /* missing '[' after '%f' in pattern */
	LMATCH_CAPTURE_INDEX,	   /* invalid capture index %N */
	LMATCH_PATTERN_CAPTURE,	   /* invalid pattern capture (a ')' closing nothing) */
	LMATCH_UNFINISHED_CAPTURE, /* unfinished capture (asked for by lmatch_capture) */
	LMATCH_TOO_MANY_CAPTURES,  /* too many captures */
	LMATCH_TOO_COMPLEX,	   /* pattern too complex (LMATCH_MAXCCALLS) */
	LMATCH_STOPPED,		   /* the meter answered with a negative number */
} lmatch_err;

/* Flags of lmatch_init. */
#define LMATCH_ANCHOR_END 1 /* the pattern's end matches only at the subject's end */

/* One capture as lmatch_capture gives it. */
typedef struct lmatch_cap {
	const char *s; /* its text (position captures: where it is) */
	size_t len;
	size_t pos; /* position captures: the 1-based position; 0 for text */
} lmatch_cap;

/*
 * Everything a match needs, on the caller's stack or in a Lua userdata (gmatch keeps
 * one between calls). Fields are lmatch.c's; callers read `err` and `msg` and may
 * change `meter_arg` between two calls.
 */
typedef struct lmatch_state {
	const char *src_init, *src_end; /* the subject */
	const char *p_end;		/* end of the pattern */
	int matchdepth;
	unsigned char level; /* captures opened so far, closed or not */
	bool anchor_end;
	struct {
		const char *init;
		ptrdiff_t len; /* or CAP_UNFINISHED, CAP_POSITION (lmatch.c) */
	} capture[LMATCH_MAXCAPTURES];
	lmatch_meter meter; /* NULL: no limit */
	void *meter_arg;
	long grant, tick; /* steps granted by the meter, and left of them */
	lmatch_err err;
	char msg[LMATCH_MSG]; /* Lua's message for err */
} lmatch_state;

/*
 * Prepares ms for subject s (ls bytes) and pattern p (lp bytes, '\0' after them).
 * Both are borrowed for as long as ms is used. meter NULL: no limit.
 */
void lmatch_init(lmatch_state *ms, const char *s, size_t ls, const char *p, size_t lp, int flags,
		 lmatch_meter meter, void *meter_arg);

/*
 * Matches the pattern from p (inside the pattern given to lmatch_init, after a '^'
 * the caller handled) against the subject from s. Returns the end of the match, or
 * NULL: no match, or an error in ms->err (check it). Forgets earlier captures and
 * errors first.
 */
const char *lmatch_match(lmatch_state *ms, const char *s, const char *p);

/* How many values a successful match gives: its captures, or the whole match (1). */
int lmatch_ncaptures(const lmatch_state *ms, bool whole);

/*
 * Capture i (0-based) of the last successful match, which ran from s to e; with no
 * captures, i == 0 is the whole match. -1 with ms->err set for an index out of range
 * or a capture left open.
 */
int lmatch_capture(lmatch_state *ms, int i, const char *s, const char *e, lmatch_cap *out);

/* Whether the pattern has a character that makes it more than plain text (metered). */
bool lmatch_has_specials(lmatch_state *ms, const char *p, size_t lp);

/* lstrlib.c's lmemfind: the first s2 (l2 bytes) in s1 (l1 bytes), or NULL (metered). */
const char *lmatch_find_plain(lmatch_state *ms, const char *s1, size_t l1, const char *s2,
			      size_t l2);

/* Charges work the caller did for the match (copying n bytes: lmatch_charge(ms, n / BULK)). */
bool lmatch_charge(lmatch_state *ms, long steps);

/*
 * Charges the steps spent since the last call of the meter, before anything that
 * leaves the matcher for long (an error, a call into Lua code, the return). False
 * when the meter stopped the match (ms->err is then LMATCH_STOPPED).
 */
bool lmatch_settle(lmatch_state *ms);

#endif
