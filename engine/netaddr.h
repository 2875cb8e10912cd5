/*
 * netaddr — client addresses: parsing, trusted-proxy lists, and the client behind a
 * proxy (SPEC 12; ASVS V1/V4 on forwarded headers).
 *
 * A proxy *appends* the address it saw to X-Forwarded-For; everything left of that
 * was written by whoever sent the request. So the client is found from the right:
 * the right-most entry that is not one of our own trusted proxies. Taking the
 * left-most entry, as many servers do, lets any client pick its own address and walk
 * around every per-address limit.
 *
 * IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are read as the IPv4 address they
 * carry, so a list entry matches however the kernel or proxy wrote the address.
 * Pure functions, no global state; netaddr_list owns its array (netaddr_list_free).
 */
#ifndef SMALLAPPS_NETADDR_H
#define SMALLAPPS_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#define NETADDR_TEXT 46 /* INET6_ADDRSTRLEN */

typedef struct netaddr {
	int family;	     /* AF_INET or AF_INET6; 0: none */
	unsigned char b[16]; /* 4 or 16 bytes, network order */
} netaddr;

typedef struct netaddr_net {
	netaddr a;
	int prefix; /* bits that must match */
} netaddr_net;

typedef struct netaddr_list {
	netaddr_net *v;
	size_t n;
} netaddr_list;

/*
 * One address in text: "192.0.2.1", "2001:db8::1", "[2001:db8::1]", with an optional
 * ":port" after an IPv4 address or a bracketed IPv6 one (some proxies write them),
 * and surrounding spaces. s need not be NUL-terminated: n bytes are read.
 */
bool netaddr_parse(const char *s, size_t n, netaddr *out);
/* From a struct sockaddr (AF_INET/AF_INET6); false for other families. */
bool netaddr_from_sockaddr(const void *sa, netaddr *out);
void netaddr_format(const netaddr *a, char out[NETADDR_TEXT]);
bool netaddr_is_loopback(const netaddr *a);
/*
 * The key per-address limits count under: the address itself for IPv4, its /64 for
 * IPv6 (one subscriber gets a whole /64, so counting single addresses would count
 * nothing). Text, e.g. "192.0.2.1" or "2001:db8:1:2::/64".
 */
void netaddr_limit_key(const netaddr *a, char out[NETADDR_TEXT + 4]);

/*
 * "10.0.0.0/8, 192.0.2.7, ::1, fd00::/8": addresses or networks, separated by commas
 * or spaces. 0, or -1 with err naming the bad entry (out is then empty).
 */
int netaddr_list_parse(const char *spec, netaddr_list *out, char err[160]);
void netaddr_list_free(netaddr_list *l);
bool netaddr_list_has(const netaddr_list *l, const netaddr *a);

/*
 * The client behind the proxies: values are the forwarded header's lines in the
 * order received (each a comma-separated list, the proxy's appended entry last).
 * From the right, entries in `trusted` are our proxies and are skipped (trusted may
 * be NULL or empty: then the right-most entry is the client). A malformed entry ends
 * the walk: what lies left of it is not to be believed, so the last good hop seen is
 * the client. False when no usable entry was found (the caller keeps the peer).
 */
bool netaddr_forwarded_client(const char *const *values, size_t nvalues,
			      const netaddr_list *trusted, netaddr *out);

#endif
