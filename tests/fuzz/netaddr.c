/*
 * netaddr — fuzz target: client addresses, proxy lists and the forwarded-header walk.
 *
 * Input: the first line is a --trusted-proxies list (netaddr_list_parse), every
 * other line one X-Forwarded-For header line, in the order received.
 *
 * What must hold:
 *   - netaddr_list_parse gives a list, or -1 with a message and an empty list;
 *   - every entry the walk meets: netaddr_parse agrees with inet_pton on plain
 *     addresses (IPv4-mapped IPv6 read as IPv4), and an address it accepts is printed
 *     (netaddr_format) as text it reads back to the same address; the limit key never
 *     overflows and is the address itself for IPv4, its /64 for IPv6;
 *   - netaddr_forwarded_client matches a reference walk written here over the
 *     flattened entries: from the right, our proxies are skipped, a malformed entry
 *     stops the walk and the last good hop seen is the client; no usable entry: false.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "netaddr.h"

static bool same_addr(const netaddr *a, const netaddr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

/* One entry, checked against inet_pton and read back from its printed form. */
static bool parse_entry(const char *s, size_t n, netaddr *out)
{
	bool ok = netaddr_parse(s, n, out);
	char text[64];
	if (n < sizeof text) {
		memcpy(text, s, n);
		text[n] = '\0';
		unsigned char b[16];
		if (inet_pton(AF_INET, text, b) == 1) {
			FUZZ_CHECK(
			    ok && out->family == AF_INET && memcmp(out->b, b, 4) == 0,
			    "\"%s\": inet_pton reads an IPv4 address, netaddr_parse does not",
			    text);
		} else if (inet_pton(AF_INET6, text, b) == 1) {
			static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
			bool v4 = memcmp(b, mapped, 12) == 0;
			FUZZ_CHECK(ok && out->family == (v4 ? AF_INET : AF_INET6) &&
				       memcmp(out->b, v4 ? b + 12 : b, v4 ? 4 : 16) == 0,
				   "\"%s\": inet_pton reads an IPv6 address, netaddr_parse another",
				   text);
		}
	}
	if (!ok)
		return false;
	FUZZ_CHECK(out->family == AF_INET || out->family == AF_INET6, "family %d", out->family);
	char fmt[NETADDR_TEXT], key[NETADDR_TEXT + 4];
	netaddr_format(out, fmt);
	netaddr back;
	FUZZ_CHECK(netaddr_parse(fmt, strlen(fmt), &back) && same_addr(&back, out),
		   "\"%s\" does not read back as itself", fmt);
	netaddr_limit_key(out, key);
	FUZZ_CHECK(memchr(key, '\0', sizeof key) != NULL, "limit key not terminated");
	if (out->family == AF_INET)
		FUZZ_CHECK(strcmp(key, fmt) == 0, "IPv4 limit key %s for %s", key, fmt);
	else
		FUZZ_CHECK(strlen(key) > 3 && strcmp(key + strlen(key) - 3, "/64") == 0,
			   "IPv6 limit key %s", key);
	return true;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	/* Lines, as C strings: a NUL ends a header value as it ends libmicrohttpd's. */
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *lines[64];
	size_t nlines = 0;
	for (char *p = text; nlines < 64;) {
		lines[nlines++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}

	netaddr_list trusted;
	char err[160] = "";
	if (netaddr_list_parse(lines[0], &trusted, err) != 0) {
		FUZZ_CHECK(trusted.n == 0 && trusted.v == NULL && err[0],
			   "a refused list not empty");
		trusted = (netaddr_list){NULL, 0};
	}
	for (size_t i = 0; i < trusted.n; i++) {
		int max = trusted.v[i].a.family == AF_INET ? 32 : 128;
		FUZZ_CHECK(trusted.v[i].prefix >= 0 && trusted.v[i].prefix <= max, "prefix /%d",
			   trusted.v[i].prefix);
		FUZZ_CHECK(netaddr_list_has(&trusted, &trusted.v[i].a),
			   "a network without its address");
	}

	/*
	 * The reference walk, written apart from the engine's: every entry of every line,
	 * left to right, into one list; then that list from its right end.
	 */
	const char *const *values = (const char *const *)lines + 1;
	size_t nvalues = nlines - 1;
	const char *ent[4200];
	size_t elen[4200], nent = 0;
	for (size_t v = 0; v < nvalues; v++) {
		const char *s = values[v];
		for (;;) {
			size_t n = strcspn(s, ",");
			if (!blank(s, n) && nent < 4200) {
				ent[nent] = s;
				elen[nent++] = n;
			}
			if (!s[n])
				break;
			s += n + 1;
		}
	}
	bool want = false;
	netaddr want_addr = {0};
	for (size_t i = nent; i-- > 0;) {
		netaddr a;
		if (!parse_entry(ent[i], elen[i], &a))
			break;
		want = true;
		want_addr = a;
		if (!netaddr_list_has(&trusted, &a))
			break;
	}
	netaddr got = {0};
	bool found = netaddr_forwarded_client(values, nvalues, &trusted, &got);
	FUZZ_CHECK(found == want, "netaddr_forwarded_client says %d, the reference walk %d", found,
		   want);
	if (found) {
		char a[NETADDR_TEXT], b[NETADDR_TEXT];
		netaddr_format(&got, a);
		netaddr_format(&want_addr, b);
		FUZZ_CHECK(same_addr(&got, &want_addr),
			   "the client is %s, the reference walk says %s", a, b);
	}
	netaddr_list_free(&trusted);
	free(text);
	return 0;
}
