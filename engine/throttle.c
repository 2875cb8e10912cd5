/*
 * throttle — fixed-size tables of recent failures (see throttle.h).
 *
 * Two kinds of table, both open-addressed with a short probe window and keyed by a
 * keyed hash (libsodium's shorthash, SipHash-2-4) of the text key:
 *  - window tables keep, per key, the times of its last `max` events: the count in
 *    the last minute is the number of times younger than 60 s;
 *  - the pair table keeps, per (address, login), a failure count and the time of the
 *    last one, for the doubling delay.
 * When a key needs a slot and the window holds none free, the entry with the least
 * to lose is replaced: an empty or expired one, else the one with the fewest recent
 * events (ties: the oldest), so a key at its limit is the last to go.
 */
#include "throttle.h"

#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

#define WINDOW	    60	 /* seconds */
#define SLOTS	    8192 /* per table, a power of two */
#define PROBE	    8
#define PAIR_FORGET 3600 /* a pair's failures are forgotten an hour after the last */
#define MAX_EVENTS  20	 /* events a window slot remembers */

_Static_assert(THROTTLE_LOGIN_PER_ADDR <= MAX_EVENTS, "a slot remembers MAX_EVENTS events");
_Static_assert(THROTTLE_LOGIN_PER_LOGIN <= MAX_EVENTS, "a slot remembers MAX_EVENTS events");
_Static_assert(THROTTLE_SUBMIT_PER_ADDR <= MAX_EVENTS, "a slot remembers MAX_EVENTS events");

typedef struct win_slot {
	uint64_t key;		/* 0: empty */
	uint32_t t[MAX_EVENTS]; /* event times, 0: unused */
} win_slot;

typedef struct win_table {
	win_slot *slot;
	int max; /* events allowed per window */
} win_table;

typedef struct pair_slot {
	uint64_t key;
	uint32_t fails;
	uint32_t last;
} pair_slot;

struct throttle {
	store_backend *shared; /* counts in the database the engines share; NULL: here */
	pthread_mutex_t mu;
	win_table by_addr;   /* login failures per address */
	win_table by_login;  /* login failures per login */
	win_table by_submit; /* anonymous submissions per address */
	pair_slot *pairs;    /* login failures per (address, login) */
	unsigned char key[crypto_shorthash_KEYBYTES];
};

static uint64_t hash2(const throttle *t, const char *a, const char *b)
{
	unsigned char h[crypto_shorthash_BYTES];
	buf m = BUF_INIT;
	buf_puts(&m, a ? a : "");
	buf_putc(&m, '\n'); /* neither part may hold a newline: the pair is unambiguous */
	buf_puts(&m, b ? b : "");
	crypto_shorthash(h, (const unsigned char *)m.data, m.len, t->key);
	buf_free(&m);
	uint64_t v = 0;
	for (size_t i = 0; i < sizeof h && i < sizeof v; i++)
		v = (v << 8) | h[i];
	return v ? v : 1;
}

static uint32_t stamp(time_t now)
{
	return now > 0 ? (uint32_t)now : 1;
}

/* ---- window tables ---- */

static int win_count(const win_table *w, const win_slot *s, time_t now)
{
	int n = 0;
	for (int i = 0; i < w->max; i++)
		if (s->t[i] && (time_t)s->t[i] > now - WINDOW)
			n++;
	return n;
}

static uint32_t win_newest(const win_table *w, const win_slot *s)
{
	uint32_t m = 0;
	for (int i = 0; i < w->max; i++)
		if (s->t[i] > m)
			m = s->t[i];
	return m;
}

static win_slot *win_find(win_table *w, uint64_t key)
{
	size_t base = (size_t)(key & (SLOTS - 1));
	for (size_t i = 0; i < PROBE; i++) {
		win_slot *s = &w->slot[(base + i) & (SLOTS - 1)];
		if (s->key == key)
			return s;
	}
	return NULL;
}

static win_slot *win_claim(win_table *w, uint64_t key, time_t now)
{
	win_slot *s = win_find(w, key), *victim = NULL;
	if (s)
		return s;
	size_t base = (size_t)(key & (SLOTS - 1));
	int vcount = INT_MAX;
	uint32_t vnewest = UINT32_MAX;
	for (size_t i = 0; i < PROBE; i++) {
		s = &w->slot[(base + i) & (SLOTS - 1)];
		int count;
		if (!s->key || (count = win_count(w, s, now)) == 0) {
			victim = s;
			break;
		}
		uint32_t newest = win_newest(w, s);
		if (count < vcount || (count == vcount && newest < vnewest)) {
			vcount = count;
			vnewest = newest;
			victim = s;
		}
	}
	memset(victim, 0, sizeof *victim);
	victim->key = key;
	return victim;
}

static void win_record(win_table *w, win_slot *s, time_t now)
{
	int at = 0;
	for (int i = 1; i < w->max; i++)
		if (s->t[i] < s->t[at])
			at = i;
	s->t[at] = stamp(now);
}

/* Events of key in the last minute (0 when unknown). */
static int win_recent(win_table *w, uint64_t key, time_t now)
{
	win_slot *s = win_find(w, key);
	return s ? win_count(w, s, now) : 0;
}

/* ---- pairs ---- */

static bool pair_live(const pair_slot *p, time_t now)
{
	return p->key && p->fails && (time_t)p->last > now - PAIR_FORGET;
}

static pair_slot *pair_find(throttle *t, uint64_t key)
{
	size_t base = (size_t)(key & (SLOTS - 1));
	for (size_t i = 0; i < PROBE; i++) {
		pair_slot *p = &t->pairs[(base + i) & (SLOTS - 1)];
		if (p->key == key)
			return p;
	}
	return NULL;
}

static pair_slot *pair_claim(throttle *t, uint64_t key, time_t now)
{
	pair_slot *p = pair_find(t, key), *victim = NULL;
	if (p)
		return p;
	size_t base = (size_t)(key & (SLOTS - 1));
	for (size_t i = 0; i < PROBE; i++) {
		p = &t->pairs[(base + i) & (SLOTS - 1)];
		if (!pair_live(p, now)) {
			victim = p;
			break;
		}
		if (!victim || p->fails < victim->fails ||
		    (p->fails == victim->fails && p->last < victim->last))
			victim = p;
	}
	memset(victim, 0, sizeof *victim);
	victim->key = key;
	return victim;
}

/* Seconds this pair must still wait, 0 when it may try. */
static int pair_wait(const pair_slot *p, time_t now)
{
	if (!p || !pair_live(p, now) || p->fails < THROTTLE_FREE_TRIES)
		return 0;
	uint32_t n = p->fails - THROTTLE_FREE_TRIES;
	time_t delay = n >= 10 ? THROTTLE_MAX_DELAY : (time_t)1 << n;
	if (delay > THROTTLE_MAX_DELAY)
		delay = THROTTLE_MAX_DELAY;
	time_t until = (time_t)p->last + delay;
	return until > now ? (int)(until - now) : 0;
}

/* ---- public ---- */

throttle *throttle_open(void)
{
	throttle *t = xcalloc(1, sizeof *t);
	pthread_mutex_init(&t->mu, NULL);
	t->by_addr = (win_table){xcalloc(SLOTS, sizeof(win_slot)), THROTTLE_LOGIN_PER_ADDR};
	t->by_login = (win_table){xcalloc(SLOTS, sizeof(win_slot)), THROTTLE_LOGIN_PER_LOGIN};
	t->by_submit = (win_table){xcalloc(SLOTS, sizeof(win_slot)), THROTTLE_SUBMIT_PER_ADDR};
	t->pairs = xcalloc(SLOTS, sizeof(pair_slot));
	crypto_shorthash_keygen(t->key);
	return t;
}

throttle *throttle_open_shared(store_backend *b)
{
	throttle *t = throttle_open();
	char err[STORE_ERR_LEN];
	/* One key for every engine: they must name an address's counter alike. */
	if (store_secret(b, "throttle", t->key, sizeof t->key, err) != STORE_OK) {
		log_message("throttle", "cannot share the limits (%s): each engine counts alone",
			    err);
		return t;
	}
	t->shared = b;
	return t;
}

void throttle_close(throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->by_addr.slot);
	free(t->by_login.slot);
	free(t->by_submit.slot);
	free(t->pairs);
	free(t);
}

static bool given(const char *s)
{
	return s && s[0];
}

/* ---- shared: the same rules over the database's counters ---- */

static void key_text(uint64_t k, char out[24])
{
	snprintf(out, 24, "%016llx", (unsigned long long)k);
}

/* Seconds left in a fixed window that started at start. */
static int window_left(int64_t start, time_t now)
{
	int64_t left = start + WINDOW - (int64_t)now;
	return left > 0 ? (int)left : 1;
}

static int shared_allow(throttle *t, uint64_t ka, uint64_t kl, uint64_t kp, time_t now)
{
	char a[24], l[24], p[24];
	key_text(ka, a);
	key_text(kl, l);
	key_text(kp, p);
	const char *keys[3] = {ka ? a : NULL, kl ? l : NULL, kl ? p : NULL};
	store_counter c[3];
	/* The database unreachable: sign-in fails there anyway; do not add a refusal. */
	if (store_counters_get(t->shared, keys, 3, c) != STORE_OK)
		return 0;
	if (ka && c[0].start > now - WINDOW && c[0].n >= THROTTLE_LOGIN_PER_ADDR)
		return window_left(c[0].start, now);
	if (!kl)
		return 0;
	pair_slot pair = {.key = kp,
			  .fails = (uint32_t)(c[2].n > UINT32_MAX ? UINT32_MAX : c[2].n),
			  .last = (uint32_t)c[2].last};
	int wait = c[2].n ? pair_wait(&pair, now) : 0;
	if (!wait && c[2].n && pair_live(&pair, now) && c[1].start > now - WINDOW &&
	    c[1].n >= THROTTLE_LOGIN_PER_LOGIN)
		wait = window_left(c[1].start, now);
	return wait;
}

static void shared_failed(throttle *t, uint64_t ka, uint64_t kl, uint64_t kp, time_t now)
{
	char k[24];
	store_counter c;
	if (ka) {
		key_text(ka, k);
		store_counter_add(t->shared, k, now, now - WINDOW, false, &c);
	}
	if (kl) {
		key_text(kl, k);
		store_counter_add(t->shared, k, now, now - WINDOW, false, &c);
		key_text(kp, k);
		store_counter_add(t->shared, k, now, now - PAIR_FORGET, true, &c);
	}
}

bool throttle_login_allow(throttle *t, const char *addr, const char *login, time_t now,
			  int *retry_after)
{
	int wait = 0;
	uint64_t ka = given(addr) ? hash2(t, "a", addr) : 0;
	uint64_t kl = given(login) ? hash2(t, "l", login) : 0;
	uint64_t kp = given(login) ? hash2(t, addr, login) : 0;
	if (t->shared) {
		wait = shared_allow(t, ka, kl, kp, now);
		if (retry_after)
			*retry_after = wait;
		return wait == 0;
	}
	pthread_mutex_lock(&t->mu);
	if (ka && win_recent(&t->by_addr, ka, now) >= t->by_addr.max)
		wait = WINDOW;
	if (!wait && kl) {
		pair_slot *p = pair_find(t, kp);
		wait = pair_wait(p, now);
		/* Under attack, addresses that failed on this login wait; the others may try. */
		if (!wait && p && pair_live(p, now) &&
		    win_recent(&t->by_login, kl, now) >= t->by_login.max)
			wait = WINDOW;
	}
	pthread_mutex_unlock(&t->mu);
	if (retry_after)
		*retry_after = wait;
	return wait == 0;
}

void throttle_login_failed(throttle *t, const char *addr, const char *login, time_t now)
{
	uint64_t ka = given(addr) ? hash2(t, "a", addr) : 0;
	uint64_t kl = given(login) ? hash2(t, "l", login) : 0;
	uint64_t kp = given(login) ? hash2(t, addr, login) : 0;
	if (t->shared) {
		shared_failed(t, ka, kl, kp, now);
		return;
	}
	pthread_mutex_lock(&t->mu);
	if (ka)
		win_record(&t->by_addr, win_claim(&t->by_addr, ka, now), now);
	if (kl) {
		win_record(&t->by_login, win_claim(&t->by_login, kl, now), now);
		pair_slot *p = pair_claim(t, kp, now);
		if (!pair_live(p, now))
			p->fails = 0;
		if (p->fails < UINT32_MAX)
			p->fails++;
		p->last = stamp(now);
	}
	pthread_mutex_unlock(&t->mu);
}

void throttle_login_succeeded(throttle *t, const char *addr, const char *login)
{
	if (!given(login))
		return;
	uint64_t kp = hash2(t, addr, login);
	if (t->shared) {
		char k[24];
		key_text(kp, k);
		store_counter_forget(t->shared, k);
		return;
	}
	pthread_mutex_lock(&t->mu);
	pair_slot *p = pair_find(t, kp);
	if (p)
		memset(p, 0, sizeof *p);
	pthread_mutex_unlock(&t->mu);
}

bool throttle_submit(throttle *t, const char *addr, time_t now)
{
	if (!given(addr))
		return true;
	uint64_t k = hash2(t, "s", addr);
	if (t->shared) {
		/* Counted as attempted, over the limit too: a fixed window, refusals do not extend
		 * it. */
		char kt[24];
		key_text(k, kt);
		store_counter c;
		return store_counter_add(t->shared, kt, now, now - WINDOW, false, &c) != STORE_OK ||
		       c.n <= THROTTLE_SUBMIT_PER_ADDR;
	}
	pthread_mutex_lock(&t->mu);
	win_slot *s = win_claim(&t->by_submit, k, now);
	bool ok = win_count(&t->by_submit, s, now) < t->by_submit.max;
	if (ok)
		win_record(&t->by_submit, s, now);
	pthread_mutex_unlock(&t->mu);
	return ok;
}

size_t throttle_entries(throttle *t, size_t *capacity)
{
	size_t n = 0;
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < SLOTS; i++)
		n += (t->by_addr.slot[i].key != 0) + (t->by_login.slot[i].key != 0) +
		     (t->by_submit.slot[i].key != 0) + (t->pairs[i].key != 0);
	pthread_mutex_unlock(&t->mu);
	if (capacity)
		*capacity = 4 * (size_t)SLOTS;
	return n;
}
