/*
 * throttle — how often an address may try a password or submit anonymously (SPEC 12;
 * ASVS 2.2.1: anti-automation without letting anyone lock an account out).
 *
 * Logins are limited three ways, so that an attacker slows only himself:
 *  - per address: at most THROTTLE_LOGIN_PER_ADDR failures a minute, whatever logins
 *    they are for (password spraying from one place);
 *  - per address and login: after THROTTLE_FREE_TRIES failures, each further try
 *    waits twice as long as the previous one (1 s, 2 s, 4 s... up to 15 min),
 *    forgotten an hour after the last failure or at a success;
 *  - per login: once it has THROTTLE_LOGIN_PER_LOGIN failures in a minute, from
 *    anywhere, addresses that failed on it wait for the minute to pass.
 * An address that has not failed on a login is never refused for that login's sake:
 * the account's owner, elsewhere, still gets in with the right password.
 *
 * Anonymous submissions: at most THROTTLE_SUBMIT_PER_ADDR a minute per address,
 * counted as they are attempted (before any app code runs, whatever their outcome).
 *
 * Addresses are keys as netaddr_limit_key gives them. Memory is fixed at open: the
 * tables never grow (a flood of one-off keys evicts the least recent, never a key at
 * its limit). Keys are hashed with a per-process secret, so nobody can aim entries
 * at one slot. Time is passed in (wall-clock seconds). Thread-safe.
 */
#ifndef SMALLAPPS_THROTTLE_H
#define SMALLAPPS_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store.h"

#define THROTTLE_LOGIN_PER_ADDR	 20
#define THROTTLE_LOGIN_PER_LOGIN 5
#define THROTTLE_FREE_TRIES	 3
#define THROTTLE_MAX_DELAY	 900
#define THROTTLE_SUBMIT_PER_ADDR 20

typedef struct throttle throttle;

throttle *throttle_open(void);
/*
 * The same limits counted in the database several engines share (PostgreSQL), so that
 * engines behind one load balancer count together: 20 attempts through two engines
 * are 20. Windows there are fixed (a minute from their first event) rather than
 * sliding. When the database cannot be used, it counts here alone (logged).
 */
throttle *throttle_open_shared(store_backend *b);
void throttle_close(throttle *t);

/*
 * May `addr` try a password for `login` now? When not, *retry_after gets the seconds
 * to wait (for the Retry-After header). addr or login may be NULL or empty.
 */
bool throttle_login_allow(throttle *t, const char *addr, const char *login, time_t now,
			  int *retry_after);
void throttle_login_failed(throttle *t, const char *addr, const char *login, time_t now);
/* The right password: this address's failures on this login are forgotten. */
void throttle_login_succeeded(throttle *t, const char *addr, const char *login);

/* Counts one anonymous submission attempt; false (nothing counted) when over the limit. */
bool throttle_submit(throttle *t, const char *addr, time_t now);

/* Entries in use and the fixed capacity, over every table (tests, /metrics). */
size_t throttle_entries(throttle *t, size_t *capacity);

#endif
