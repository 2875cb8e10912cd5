/*
 * conns — per-address connection counts and the header deadline (see conns.h).
 *
 * Counts live in a chained hash table keyed by the address (IPv6 cut to its /64);
 * an entry exists while its address has connections open, so the table holds at
 * most as many entries as the server has connections. Slots of open connections are
 * kept in one list, walked by the deadline thread once a second.
 */
#include "conns.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "buf.h"
#include "metrics.h"

#define NBUCKETS 1024

typedef struct addr_count {
	struct addr_count *next;
	netaddr key;
	unsigned n;
} addr_count;

struct conn_slot {
	conn_slot *prev, *next;
	int fd;
	netaddr key;
	bool counted; /* in the per-address table (not exempt) */
	bool waiting; /* for a request's headers, since `since` */
	bool shut;    /* shut down by the deadline already */
	struct timespec since;
};

struct conns {
	conns_config cfg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	addr_count *buckets[NBUCKETS];
	conn_slot *slots;
	conns_stats stats;
	bool stop;
	bool has_thread;
	pthread_t thread;
};

static netaddr key_of(const netaddr *a)
{
	netaddr k = *a;
	if (k.family == AF_INET6)
		memset(k.b + 8, 0, 8);
	return k;
}

static size_t bucket_of(const netaddr *k)
{
	/* FNV-1a over the bytes: spread enough for a table no one can fill but by connecting. */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < sizeof k->b; i++)
		h = (h ^ k->b[i]) * 16777619u;
	return (h ^ (uint32_t)k->family) % NBUCKETS;
}

static addr_count **find(conns *c, const netaddr *k)
{
	addr_count **p = &c->buckets[bucket_of(k)];
	while (*p && !((*p)->key.family == k->family && memcmp((*p)->key.b, k->b, 16) == 0))
		p = &(*p)->next;
	return p;
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void *deadline_thread(void *arg)
{
	conns *c = arg;
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		struct timespec wake;
		clock_gettime(CLOCK_REALTIME, &wake);
		wake.tv_sec += 1;
		pthread_cond_timedwait(&c->cv, &c->mu, &wake);
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (conn_slot *s = c->slots; s; s = s->next) {
			if (!s->waiting || s->shut ||
			    elapsed(&s->since, &now) < c->cfg.header_timeout)
				continue;
			/* The descriptor is still ours: conns_closed needs this lock first. */
			shutdown(s->fd, SHUT_RDWR);
			s->shut = true;
			c->stats.timed_out++;
			metrics_conn_timed_out();
		}
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

conns *conns_open(const conns_config *cfg)
{
	conns *c = xcalloc(1, sizeof *c);
	c->cfg = *cfg;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (cfg->header_timeout > 0) {
		if (pthread_create(&c->thread, NULL, deadline_thread, c) != 0) {
			pthread_mutex_destroy(&c->mu);
			pthread_cond_destroy(&c->cv);
			free(c);
			return NULL;
		}
		c->has_thread = true;
	}
	return c;
}

void conns_close(conns *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (c->has_thread)
		pthread_join(c->thread, NULL);
	for (size_t i = 0; i < NBUCKETS; i++)
		while (c->buckets[i]) {
			addr_count *e = c->buckets[i];
			c->buckets[i] = e->next;
			free(e);
		}
	while (c->slots) {
		conn_slot *s = c->slots;
		c->slots = s->next;
		free(s);
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

static bool exempt(const conns *c, const netaddr *peer)
{
	return c->cfg.max_per_addr == 0 || netaddr_list_has(c->cfg.exempt, peer);
}

bool conns_admit(conns *c, const netaddr *peer)
{
	if (exempt(c, peer))
		return true;
	netaddr k = key_of(peer);
	pthread_mutex_lock(&c->mu);
	addr_count *e = *find(c, &k);
	bool ok = !e || e->n < c->cfg.max_per_addr;
	if (!ok) {
		c->stats.refused++;
		metrics_conn_refused();
	}
	pthread_mutex_unlock(&c->mu);
	return ok;
}

conn_slot *conns_started(conns *c, int fd, const netaddr *peer)
{
	conn_slot *s = xcalloc(1, sizeof *s);
	s->fd = fd;
	s->key = key_of(peer);
	s->counted = !exempt(c, peer);
	s->waiting = true;
	clock_gettime(CLOCK_MONOTONIC, &s->since);
	pthread_mutex_lock(&c->mu);
	if (s->counted) {
		addr_count **p = find(c, &s->key);
		if (!*p) {
			*p = xcalloc(1, sizeof **p);
			(*p)->key = s->key;
		}
		(*p)->n++;
	}
	s->next = c->slots;
	if (c->slots)
		c->slots->prev = s;
	c->slots = s;
	c->stats.open++;
	pthread_mutex_unlock(&c->mu);
	return s;
}

void conns_closed(conns *c, conn_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&c->mu);
	if (s->counted) {
		addr_count **p = find(c, &s->key);
		if (*p && --(*p)->n == 0) {
			addr_count *e = *p;
			*p = e->next;
			free(e);
		}
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		c->slots = s->next;
	if (s->next)
		s->next->prev = s->prev;
	c->stats.open--;
	pthread_mutex_unlock(&c->mu);
	free(s);
}

void conns_headers_done(conns *c, conn_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&c->mu);
	s->waiting = false;
	pthread_mutex_unlock(&c->mu);
}

void conns_request_done(conns *c, conn_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&c->mu);
	s->waiting = true;
	clock_gettime(CLOCK_MONOTONIC, &s->since);
	pthread_mutex_unlock(&c->mu);
}

void conns_get_stats(conns *c, conns_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->stats;
	pthread_mutex_unlock(&c->mu);
}
