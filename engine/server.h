/*
 * server — the HTTP server: libmicrohttpd glue only (SPEC 6, 7, 12): the listening
 * socket, the request lifecycle (req.h), connection limits (conns.h), logging,
 * security headers and the graceful stop. The rest of the engine never sees
 * libmicrohttpd.
 *
 * libmicrohttpd runs a pool of `threads` polling threads; each request is handled
 * on one of them. Writes suspend the connection until their group commit is durable
 * (req_write), so a few threads keep many writes in flight.
 */
#ifndef SMALLAPPS_SERVER_H
#define SMALLAPPS_SERVER_H

#include <stdbool.h>

#include "netaddr.h"
#include "usecase.h"

typedef struct server_config {
	const char *listen; /* "127.0.0.1:8080"; port 0 picks a free one */
	int threads;
	const char *base_url;	  /* for links in mails; NULL: http://<listen> */
	const char *trust_header; /* e.g. X-Forwarded-For: client address from a proxy */
	/*
	 * The proxies whose trust_header is believed, and whose own entries in it are
	 * skipped (right to left) to find the client. NULL or empty with trust_header:
	 * every peer is taken for a proxy (the engine must then be reachable only
	 * through it), and the per-address connection limit does not apply to peers.
	 */
	const netaddr_list *trusted_proxies;
	unsigned max_conns_per_addr; /* 0: none */
	unsigned header_timeout;     /* seconds a request may take to send its headers; 0: none */
	const char *port_file;	     /* when set, the bound port is written there (tests) */
	/* Called once listening, with the base URL links use (the bound port known). */
	void (*on_listening)(void *arg, const char *base_url);
	void *on_listening_arg;
} server_config;

/*
 * Serves until SIGTERM/SIGINT, then finishes requests in flight. Sets env->base_url
 * once the port is known, before the first request. Returns 0 or 1.
 */
int server_run(const server_config *cfg, uc_env *env);

#endif
