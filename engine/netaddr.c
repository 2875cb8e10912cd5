/*
 * netaddr — client addresses and the client behind trusted proxies (see netaddr.h).
 *
 * Parsing is inet_pton's, on a bounded copy: this file adds only the framing
 * proxies use (brackets, ports, spaces) and the right-to-left walk.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"

static const unsigned char V4MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void unmap(netaddr *a)
{
	if (a->family == AF_INET6 && memcmp(a->b, V4MAPPED, 12) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->family = AF_INET;
	}
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool netaddr_parse(const char *s, size_t n, netaddr *out)
{
	memset(out, 0, sizeof *out);
	while (n && is_space(*s)) {
		s++;
		n--;
	}
	while (n && is_space(s[n - 1]))
		n--;
	char tmp[NETADDR_TEXT + 1];
	if (n >= 2 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return false;
		size_t rest = n - (size_t)(close + 1 - s);
		if (rest && (close[1] != ':' || !all_digits(close + 2, rest - 1)))
			return false;
		s++;
		n = (size_t)(close - s);
		if (n == 0 || n >= sizeof tmp)
			return false;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET6, tmp, out->b) != 1)
			return false;
		out->family = AF_INET6;
		unmap(out);
		return true;
	}
	if (n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET6, tmp, out->b) == 1) {
		out->family = AF_INET6;
		unmap(out);
		return true;
	}
	/* IPv4, maybe with a port: exactly one ':' then digits. */
	char *colon = strchr(tmp, ':');
	if (colon) {
		if (strchr(colon + 1, ':') || !all_digits(colon + 1, strlen(colon + 1)))
			return false;
		*colon = '\0';
	}
	if (inet_pton(AF_INET, tmp, out->b) != 1)
		return false;
	out->family = AF_INET;
	return true;
}

bool netaddr_from_sockaddr(const void *p, netaddr *out)
{
	const struct sockaddr *sa = p;
	memset(out, 0, sizeof *out);
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = p;
		memcpy(out->b, &in->sin_addr, 4);
		out->family = AF_INET;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = p;
		memcpy(out->b, &in6->sin6_addr, 16);
		out->family = AF_INET6;
		unmap(out);
		return true;
	}
	return false;
}

void netaddr_format(const netaddr *a, char out[NETADDR_TEXT])
{
	if (!a->family || !inet_ntop(a->family, a->b, out, NETADDR_TEXT))
		snprintf(out, NETADDR_TEXT, "?");
}

bool netaddr_is_loopback(const netaddr *a)
{
	static const unsigned char one[16] = {[15] = 1};
	if (a->family == AF_INET)
		return a->b[0] == 127;
	return a->family == AF_INET6 && memcmp(a->b, one, 16) == 0;
}

void netaddr_limit_key(const netaddr *a, char out[NETADDR_TEXT + 4])
{
	if (a->family != AF_INET6) {
		netaddr_format(a, out);
		return;
	}
	netaddr net = *a;
	memset(net.b + 8, 0, 8);
	char t[NETADDR_TEXT];
	netaddr_format(&net, t);
	snprintf(out, NETADDR_TEXT + 4, "%s/64", t);
}

static bool in_net(const netaddr_net *net, const netaddr *a)
{
	if (net->a.family != a->family)
		return false;
	int bits = net->prefix;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((net->a.b[i] & mask) != (a->b[i] & mask))
			return false;
	}
	return true;
}

bool netaddr_list_has(const netaddr_list *l, const netaddr *a)
{
	if (!l || !a->family)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (in_net(&l->v[i], a))
			return true;
	return false;
}

void netaddr_list_free(netaddr_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int parse_net(const char *s, size_t n, netaddr_net *out)
{
	const char *slash = memchr(s, '/', n);
	size_t an = slash ? (size_t)(slash - s) : n;
	if (!netaddr_parse(s, an, &out->a))
		return -1;
	int max = out->a.family == AF_INET ? 32 : 128;
	out->prefix = max;
	if (slash) {
		size_t pn = n - an - 1;
		if (!all_digits(slash + 1, pn) || pn > 3)
			return -1;
		int p = (int)strtol(slash + 1, NULL, 10); /* 1 to 3 digits, checked above */
		/* A mapped address was read as IPv4: its prefix counted the 96 bits before. */
		if (out->a.family == AF_INET && memchr(s, ':', an))
			p -= 96;
		if (p < 0 || p > max)
			return -1;
		out->prefix = p;
	}
	return 0;
}

int netaddr_list_parse(const char *spec, netaddr_list *out, char err[160])
{
	out->v = NULL;
	out->n = 0;
	size_t cap = 0;
	const char *p = spec ? spec : "";
	while (*p) {
		while (*p == ',' || is_space(*p))
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, ", \t");
		netaddr_net net;
		if (parse_net(p, n, &net) != 0) {
			snprintf(err, 160,
				 "\"%.*s\" is not an address or a network (e.g. 10.0.0.0/8, ::1)",
				 (int)(n > 60 ? 60 : n), p);
			netaddr_list_free(out);
			return -1;
		}
		if (out->n == cap) {
			cap = cap ? 2 * cap : 4;
			out->v = xrealloc(out->v, cap * sizeof *out->v);
		}
		out->v[out->n++] = net;
		p += n;
	}
	return 0;
}

bool netaddr_forwarded_client(const char *const *values, size_t nvalues,
			      const netaddr_list *trusted, netaddr *out)
{
	bool found = false;
	for (size_t v = nvalues; v-- > 0;) {
		const char *s = values[v] ? values[v] : "";
		size_t end = strlen(s);
		while (true) {
			/* The entry between the previous comma and `end`. */
			size_t start = end;
			while (start > 0 && s[start - 1] != ',')
				start--;
			netaddr a;
			bool blank = true;
			for (size_t i = start; i < end; i++)
				blank = blank && is_space(s[i]);
			if (!blank) {
				if (!netaddr_parse(s + start, end - start, &a))
					return found;
				*out = a;
				found = true;
				if (!netaddr_list_has(trusted, &a))
					return true;
			}
			if (start == 0)
				break;
			end = start - 1;
		}
	}
	return found;
}
