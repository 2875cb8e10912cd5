/* throttle: login failures per address, per (address, login) and per login; submissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "throttle.h"

#define T0 ((time_t)1795000000)

static int setup(void **state)
{
	*state = throttle_open();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	throttle_close(*state);
	return 0;
}

static bool allow(throttle *t, const char *addr, const char *login, time_t now, int *wait)
{
	int w = -1;
	bool ok = throttle_login_allow(t, addr, login, now, &w);
	if (wait)
		*wait = w;
	assert_true(ok ? w == 0 : w > 0);
	return ok;
}

/* The account's owner is never locked out by someone else's failures. */
static void failures_elsewhere_never_lock_out_a_clean_address(void **state)
{
	throttle *t = *state;
	for (int i = 0; i < 50; i++) {
		char addr[32];
		snprintf(addr, sizeof addr, "203.0.113.%d", i % 3);
		if (allow(t, addr, "alice", T0 + i, NULL))
			throttle_login_failed(t, addr, "alice", T0 + i);
	}
	assert_true(allow(t, "198.51.100.20", "alice", T0 + 50, NULL));
	/* The attacking addresses wait. */
	assert_false(allow(t, "203.0.113.1", "alice", T0 + 50, NULL));
}

static void an_address_and_login_wait_twice_as_long_after_each_failure(void **state)
{
	throttle *t = *state;
	time_t now = T0;
	for (int i = 0; i < THROTTLE_FREE_TRIES; i++) {
		assert_true(allow(t, "192.0.2.1", "bob", now, NULL));
		throttle_login_failed(t, "192.0.2.1", "bob", now);
	}
	int expect = 1, wait;
	for (int i = 0; i < 12; i++) {
		assert_false(allow(t, "192.0.2.1", "bob", now, &wait));
		assert_int_equal(wait, expect > THROTTLE_MAX_DELAY ? THROTTLE_MAX_DELAY : expect);
		now += wait;
		/* Past the per-login minute, so only the doubling delay counts. */
		now += 61;
		assert_true(allow(t, "192.0.2.1", "bob", now, NULL));
		throttle_login_failed(t, "192.0.2.1", "bob", now);
		expect *= 2;
	}
	/* The right password clears the pair: no delay for the next mistake. */
	throttle_login_succeeded(t, "192.0.2.1", "bob");
	now += 3000;
	assert_true(allow(t, "192.0.2.1", "bob", now, NULL));
	/* And an hour without failure forgets them too. */
	for (int i = 0; i < 15; i++)
		throttle_login_failed(t, "192.0.2.9", "carol", T0);
	assert_false(allow(t, "192.0.2.9", "carol", T0 + 100, NULL));
	assert_true(allow(t, "192.0.2.9", "carol", T0 + 3601, NULL));
}

static void an_address_is_limited_across_logins(void **state)
{
	throttle *t = *state;
	for (int i = 0; i < THROTTLE_LOGIN_PER_ADDR; i++) {
		char login[32];
		snprintf(login, sizeof login, "user%d", i);
		assert_true(allow(t, "203.0.113.7", login, T0, NULL));
		throttle_login_failed(t, "203.0.113.7", login, T0);
	}
	int wait;
	assert_false(allow(t, "203.0.113.7", "fresh", T0 + 1, &wait));
	assert_int_equal(wait, 60);
	assert_true(allow(t, "203.0.113.8", "fresh", T0 + 1, NULL));
	assert_true(allow(t, "203.0.113.7", "fresh", T0 + 60, NULL));
}

static void anonymous_submissions_are_counted_when_attempted(void **state)
{
	throttle *t = *state;
	for (int i = 0; i < THROTTLE_SUBMIT_PER_ADDR; i++)
		assert_true(throttle_submit(t, "192.0.2.77", T0 + i));
	assert_false(throttle_submit(t, "192.0.2.77", T0 + 30));
	assert_true(throttle_submit(t, "192.0.2.78", T0 + 30));
	assert_true(throttle_submit(t, "192.0.2.77", T0 + 60)); /* the first left the minute */
	assert_true(throttle_submit(t, NULL, T0));
}

static void memory_is_bounded_under_100k_addresses(void **state)
{
	throttle *t = *state;
	for (int i = 0; i < THROTTLE_LOGIN_PER_ADDR; i++)
		throttle_login_failed(t, "198.51.100.1", NULL, T0);
	for (int i = 0; i < 8; i++)
		throttle_login_failed(t, "198.51.100.2", "alice", T0);
	for (int i = 0; i < 100000; i++) {
		char addr[48], login[32];
		snprintf(addr, sizeof addr, "2001:db8::%x:%x", i >> 16, i & 0xffff);
		snprintf(login, sizeof login, "spray%d", i);
		throttle_login_failed(t, addr, login, T0 + 1);
	}
	size_t cap = 0, used = throttle_entries(t, &cap);
	assert_true(cap > 0 && cap <= 65536);
	assert_true(used <= cap);
	/* The flood evicted one-off entries, not the ones at their limit. */
	assert_false(allow(t, "198.51.100.1", NULL, T0 + 2, NULL));
	assert_false(allow(t, "198.51.100.2", "alice", T0 + 2, NULL));
	assert_true(allow(t, "2001:db8::1:1", "spray65537", T0 + 2, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(failures_elsewhere_never_lock_out_a_clean_address, setup, teardown),
		cmocka_unit_test_setup_teardown(an_address_and_login_wait_twice_as_long_after_each_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(an_address_is_limited_across_logins, setup, teardown),
		cmocka_unit_test_setup_teardown(anonymous_submissions_are_counted_when_attempted, setup, teardown),
		cmocka_unit_test_setup_teardown(memory_is_bounded_under_100k_addresses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
