/*
 * conns — what one address may hold of the server's connections (SPEC 12).
 *
 * Two limits keep a single client from taking the connection table that every user
 * shares: at most `max_per_addr` open connections per address (IPv6: per /64), and
 * a deadline for a request's headers: a connection that has not finished sending
 * them `header_timeout` seconds after it opened (or after its previous answer, on a
 * kept-alive connection) is shut down. A body may take its time: once the headers
 * are in, only the server's idle timeout applies, so slow but honest uploads go on.
 * Peers in `exempt` (trusted proxies, which carry many clients) are not counted.
 *
 * The deadline is kept by a thread of this module, which wakes every second and
 * shuts down (shutdown(2)) the sockets of late connections; libmicrohttpd then sees
 * the end of the stream and closes the connection itself. A socket is only touched
 * under the lock that conns_closed takes, and libmicrohttpd closes the descriptor
 * only after conns_closed returns, so a descriptor is never reused under our feet.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef SMALLAPPS_CONNS_H
#define SMALLAPPS_CONNS_H

#include <stdbool.h>
#include <stdint.h>

#include "netaddr.h"

typedef struct conns conns;
typedef struct conn_slot conn_slot;

typedef struct conns_config {
	unsigned max_per_addr;	    /* 0: no per-address limit */
	unsigned header_timeout;    /* seconds; 0: no deadline */
	const netaddr_list *exempt; /* borrowed for the life of conns; may be NULL */
} conns_config;

typedef struct conns_stats {
	uint64_t refused;   /* connections refused: their address was at its limit */
	uint64_t timed_out; /* connections shut down: headers not complete in time */
	unsigned open;	    /* connections open now */
} conns_stats;

/* Starts the deadline thread (when header_timeout > 0). NULL on failure. */
conns *conns_open(const conns_config *cfg);
/* Stops the thread; every slot must have been closed. NULL is fine. */
void conns_close(conns *c);

/* May a new connection from peer be accepted? (Counts a refusal.) */
bool conns_admit(conns *c, const netaddr *peer);
/* A connection was accepted: fd is its socket. Returns its slot (never NULL). */
conn_slot *conns_started(conns *c, int fd, const netaddr *peer);
/* The connection is closing; the slot is freed. */
void conns_closed(conns *c, conn_slot *s);
/* A request's headers are complete: no deadline until its answer is sent. */
void conns_headers_done(conns *c, conn_slot *s);
/* Its answer was sent: the next request's headers have a deadline from now. */
void conns_request_done(conns *c, conn_slot *s);

void conns_get_stats(conns *c, conns_stats *out);

#endif
