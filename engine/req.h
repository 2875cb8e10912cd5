/*
 * req — one HTTP request from first byte to answer, as handlers see it.
 *
 * A req is created on libmicrohttpd's first callback and freed in its completion
 * callback; everything a handler allocates for the request's lifetime goes into
 * req->mem (the arena) and dies there, in one place. A request that writes is
 * suspended while its job waits for the group commit (req_write); the writer thread
 * resumes it and the handler's continuation renders the answer on an MHD thread.
 *
 * Handlers never touch libmicrohttpd: they read the request through these helpers
 * and set status/body/headers; server.c turns that into the response.
 */
#ifndef SMALLAPPS_REQ_H
#define SMALLAPPS_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "access.h"
#include "auth.h"
#include "buf.h"
#include "registry.h"
#include "store.h"
#include "throttle.h"
#include "validate.h"

#define REQ_MAX_BODY (1024 * 1024)   /* form and JSON bodies; larger answers 413 */
#define REQ_MAX_HEADERS 16
#define REQ_JSON_FLAGS JSON_COMPACT  /* how req_json dumps; jsonw writes the same text */

typedef struct server server;
typedef struct req req;

/* A decoded name=value pair from the query string or an urlencoded body. */
typedef struct req_kv {
	char *name;
	char *value;
} req_kv;

typedef struct req_kvs {
	req_kv *v;
	size_t n;
} req_kvs;

/* Called on an MHD thread once a req_write job is durable (or failed). */
typedef void (*req_cont_fn)(req *r, int rc);

struct req {
	arena mem;
	server *srv;
	void *conn;                  /* struct MHD_Connection * */
	const char *method;
	const char *path;            /* decoded path, without the query */
	const char *client_addr;     /* the client's address (behind a trusted proxy: its) */
	const char *client_key;      /* what per-address limits count: client_addr, IPv6 by /64 */
	bool local_client;           /* loopback: error details may be shown */
	char id[17];                 /* request id, in logs and 500 pages */
	struct timespec start;
	lang lg;

	/* body */
	buf body;
	bool body_too_large;
	bool body_bad_utf8;

	/* who: user.login NULL for anonymous */
	auth_user user;
	bool via_token;              /* Bearer token: no CSRF needed */
	char csrf[AUTH_TOKEN_LEN];   /* the token this client's forms must carry */
	bool set_csrf_cookie;        /* an anonymous client got a fresh sa_csrf cookie */

	/* answer */
	int status;
	buf out;
	const char *content_type;
	const char *hdr_name[REQ_MAX_HEADERS];
	const char *hdr_value[REQ_MAX_HEADERS];
	int nhdr;
	bool cache_forever;          /* static assets */

	/* asynchronous write */
	bool waiting;
	int write_rc;
	req_cont_fn cont;
	void *cont_arg;

	/* held references, released when the request ends */
	app_rt *app;
	void (*cleanup)(void *);     /* run when the request ends (e.g. frees a write job) */
	void *cleanup_arg;
};

/* Query parameter (decoded), NULL when absent. The first one wins. */
const char *req_query(req *r, const char *name);
/* Calls fn for each query parameter in order until it returns false. */
void req_query_each(req *r, bool (*fn)(void *arg, const char *name, const char *value), void *arg);
/* Decodes an application/x-www-form-urlencoded body; -1 on broken encoding or UTF-8. */
int req_parse_form(req *r, req_kvs *out);
const char *req_kvs_get(const req_kvs *k, const char *name);
const char *req_header(req *r, const char *name);
const char *req_cookie(req *r, const char *name);

void req_add_header(req *r, const char *name, const char *val);   /* value copied */
void req_redirect(req *r, int status, const char *location);
/* Sets the status and an HTML body that the caller fills in r->out. */
void req_html(req *r, int status);
void req_json(req *r, int status, json_t *body);                    /* steals body */
/* Sets the status and an already serialized JSON body; takes body's memory, leaves it empty. */
void req_json_buf(req *r, int status, buf *body);

/*
 * Queues a write to the app's store. The request is suspended; when the job is
 * durable (or failed) `cont` runs on an MHD thread with apply's rc and renders.
 * arg must live in r->mem or be freed by cont.
 */
void req_write(req *r, store *s, store_apply_fn apply, void *arg, req_cont_fn cont);

/* The logged-in user's roles in the request's app, as an actor for access.h. */
void req_actor(req *r, const char *app_id, actor *out);

/* Server-wide things handlers need. */
auth *req_auth(req *r);
registry *req_registry(req *r);
throttle *req_throttle(req *r);
const char *req_base_url(req *r);
/* Tells the mail sender that this request queued mail (it looks at once rather than at its next poll). */
void req_mail_queued(req *r);

#endif
