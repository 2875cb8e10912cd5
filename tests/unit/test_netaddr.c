/* netaddr: address parsing, proxy lists, the client behind trusted proxies; conns limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "conns.h"
#include "netaddr.h"

static const char *text(const netaddr *a)
{
	static char t[NETADDR_TEXT];
	netaddr_format(a, t);
	return t;
}

static void addresses_parse_with_the_framing_proxies_use(void **st)
{
	(void)st;
	netaddr a;
	static const char *const ok[][2] = {
		{"192.0.2.1", "192.0.2.1"},      {" 192.0.2.1 ", "192.0.2.1"},
		{"192.0.2.1:8080", "192.0.2.1"}, {"2001:db8::1", "2001:db8::1"},
		{"[2001:db8::1]", "2001:db8::1"}, {"[2001:db8::1]:443", "2001:db8::1"},
		{"::ffff:192.0.2.9", "192.0.2.9"}, {"::1", "::1"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_true(netaddr_parse(ok[i][0], strlen(ok[i][0]), &a));
		assert_string_equal(text(&a), ok[i][1]);
	}
	static const char *const bad[] = {"", " ", "unknown", "192.0.2", "192.0.2.1:", "192.0.2.1:x",
	                                  "1.2.3.4:5:6", "[::1", "[::1]x", "[::1]:", "256.0.0.1",
	                                  "2001:db8::1:80:80:80:80:80:80", "[]", "_hidden"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_false(netaddr_parse(bad[i], strlen(bad[i]), &a));
	/* Length-bounded: the bytes after n are not read. */
	assert_true(netaddr_parse("10.0.0.1, 10.0.0.2", 8, &a));
	assert_string_equal(text(&a), "10.0.0.1");
}

static void limit_keys_group_ipv6_by_64(void **st)
{
	(void)st;
	netaddr a;
	char k[NETADDR_TEXT + 4];
	assert_true(netaddr_parse("2001:db8:1:2:aaaa::1", 20, &a));
	netaddr_limit_key(&a, k);
	assert_string_equal(k, "2001:db8:1:2::/64");
	assert_true(netaddr_parse("192.0.2.1", 9, &a));
	netaddr_limit_key(&a, k);
	assert_string_equal(k, "192.0.2.1");
	assert_true(netaddr_is_loopback(&a) == false);
	assert_true(netaddr_parse("127.0.0.9", 9, &a));
	assert_true(netaddr_is_loopback(&a));
}

static void lists_hold_addresses_and_networks(void **st)
{
	(void)st;
	netaddr_list l;
	char err[160];
	assert_int_equal(netaddr_list_parse("10.0.0.0/8, 192.0.2.7 ::1,fd00::/8", &l, err), 0);
	assert_int_equal(l.n, 4);
	netaddr a;
	static const char *const in[] = {"10.1.2.3", "192.0.2.7", "::1", "fd12::5", "::ffff:10.9.9.9"};
	for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
		assert_true(netaddr_parse(in[i], strlen(in[i]), &a));
		assert_true(netaddr_list_has(&l, &a));
	}
	static const char *const out[] = {"11.0.0.1", "192.0.2.8", "::2", "fe80::1"};
	for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
		assert_true(netaddr_parse(out[i], strlen(out[i]), &a));
		assert_false(netaddr_list_has(&l, &a));
	}
	netaddr_list_free(&l);
	assert_int_equal(netaddr_list_parse("10.0.0.0/33", &l, err), -1);
	assert_non_null(strstr(err, "10.0.0.0/33"));
	assert_int_equal(netaddr_list_parse("proxy.example", &l, err), -1);
	assert_int_equal(netaddr_list_parse("10.0.0.0/", &l, err), -1);
	assert_int_equal(netaddr_list_parse("", &l, err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(netaddr_list_parse(NULL, &l, err), 0);
	/* A prefix on a mapped address counts the mapping's 96 bits. */
	assert_int_equal(netaddr_list_parse("::ffff:10.0.0.0/104", &l, err), 0);
	assert_true(netaddr_parse("10.200.0.1", 10, &a));
	assert_true(netaddr_list_has(&l, &a));
	netaddr_list_free(&l);
}

static const char *client(const char *const *v, size_t n, const char *trusted)
{
	netaddr_list l = {0};
	char err[160];
	netaddr a;
	if (trusted)
		assert_int_equal(netaddr_list_parse(trusted, &l, err), 0);
	bool ok = netaddr_forwarded_client(v, n, trusted ? &l : NULL, &a);
	netaddr_list_free(&l);
	return ok ? text(&a) : "-";
}

static void the_client_is_found_from_the_right(void **st)
{
	(void)st;
	const char *one[] = {"6.6.6.6, 192.0.2.1"};
	assert_string_equal(client(one, 1, NULL), "192.0.2.1");
	const char *hops[] = {"6.6.6.6, 192.0.2.1, 10.0.0.2"};
	assert_string_equal(client(hops, 1, "10.0.0.0/8"), "192.0.2.1");
	/* Lines in order: the last line's last entry is the newest hop. */
	const char *lines[] = {"6.6.6.6", "192.0.2.3 ,10.0.0.9"};
	assert_string_equal(client(lines, 2, "10.0.0.0/8"), "192.0.2.3");
	/* All of ours: the left-most one is the closest we know to the client. */
	const char *ours[] = {"10.0.0.1, 10.0.0.2"};
	assert_string_equal(client(ours, 1, "10.0.0.0/8"), "10.0.0.1");
	/* Garbage stops the walk: the last good hop is the client. */
	const char *garbage[] = {"192.0.2.5, unknown, 10.0.0.3"};
	assert_string_equal(client(garbage, 1, "10.0.0.0/8"), "10.0.0.3");
	const char *only_garbage[] = {"unknown"};
	assert_string_equal(client(only_garbage, 1, NULL), "-");
	const char *empty[] = {"", " , ,"};
	assert_string_equal(client(empty, 2, NULL), "-");
	const char *ports[] = {"[2001:db8::7]:4711"};
	assert_string_equal(client(ports, 1, NULL), "2001:db8::7");
}

static void conns_count_per_address_and_free_on_close(void **st)
{
	(void)st;
	netaddr_list exempt = {0};
	char err[160];
	assert_int_equal(netaddr_list_parse("127.0.0.1", &exempt, err), 0);
	conns_config cfg = {.max_per_addr = 2, .header_timeout = 0, .exempt = &exempt};
	conns *c = conns_open(&cfg);
	assert_non_null(c);
	netaddr a, b, p, v6a, v6b;
	netaddr_parse("192.0.2.1", 9, &a);
	netaddr_parse("192.0.2.2", 9, &b);
	netaddr_parse("127.0.0.1", 9, &p);
	netaddr_parse("2001:db8::1", 11, &v6a);
	netaddr_parse("2001:db8::2", 11, &v6b);
	conn_slot *s1 = conns_started(c, -1, &a);
	assert_true(conns_admit(c, &a));
	conn_slot *s2 = conns_started(c, -1, &a);
	assert_false(conns_admit(c, &a));
	assert_true(conns_admit(c, &b));
	conn_slot *px[5];
	for (int i = 0; i < 5; i++) {
		assert_true(conns_admit(c, &p)); /* a trusted proxy carries many clients */
		px[i] = conns_started(c, -1, &p);
	}
	/* One /64 is one subscriber. */
	conn_slot *s6a = conns_started(c, -1, &v6a);
	conn_slot *s6b = conns_started(c, -1, &v6b);
	assert_false(conns_admit(c, &v6a));
	conns_closed(c, s1);
	assert_true(conns_admit(c, &a));
	conns_stats stx;
	conns_get_stats(c, &stx);
	assert_int_equal(stx.refused, 2);
	assert_int_equal(stx.open, 8);
	conns_closed(c, s2);
	conns_closed(c, s6a);
	conns_closed(c, s6b);
	for (int i = 0; i < 5; i++)
		conns_closed(c, px[i]);
	conns_get_stats(c, &stx);
	assert_int_equal(stx.open, 0);
	conns_close(c);
	netaddr_list_free(&exempt);
}

static void the_header_deadline_shuts_down_waiting_sockets_only(void **st)
{
	(void)st;
	conns_config cfg = {.max_per_addr = 0, .header_timeout = 1};
	conns *c = conns_open(&cfg);
	int late[2], busy[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, late), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, busy), 0);
	netaddr a;
	netaddr_parse("192.0.2.1", 9, &a);
	conn_slot *sl = conns_started(c, late[0], &a);
	conn_slot *sb = conns_started(c, busy[0], &a);
	conns_headers_done(c, sb); /* its headers are in: a slow body is not cut */
	char ch;
	/* Within ~2 s the late one reads end-of-stream at the other side. */
	struct timeval tv = {3, 0};
	setsockopt(late[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	assert_int_equal(read(late[1], &ch, 1), 0);
	struct timeval tv2 = {0, 200000};
	setsockopt(busy[1], SOL_SOCKET, SO_RCVTIMEO, &tv2, sizeof tv2);
	assert_int_equal(read(busy[1], &ch, 1), -1); /* still open: timed out reading */
	conns_stats stx;
	conns_get_stats(c, &stx);
	assert_int_equal(stx.timed_out, 1);
	conns_closed(c, sl);
	conns_closed(c, sb);
	conns_close(c);
	for (int i = 0; i < 2; i++) {
		close(late[i]);
		close(busy[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_parse_with_the_framing_proxies_use),
		cmocka_unit_test(limit_keys_group_ipv6_by_64),
		cmocka_unit_test(lists_hold_addresses_and_networks),
		cmocka_unit_test(the_client_is_found_from_the_right),
		cmocka_unit_test(conns_count_per_address_and_free_on_close),
		cmocka_unit_test(the_header_deadline_shuts_down_waiting_sockets_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
