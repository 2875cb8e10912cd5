/*
 * req — one HTTP request from first byte to answer, as the doors see it.
 *
 * The HTTP glue (server.c) fills a req on libmicrohttpd's first callback: method,
 * path, the client's address, and copies of the headers, cookies and query
 * arguments, so that nothing here or in the doors ever calls libmicrohttpd. It is
 * freed in the completion callback; everything a handler allocates for the request's
 * lifetime goes into r->mem (the arena) and dies there, in one place.
 *
 * A request whose work continues on another thread (app code on the sandbox pool, a
 * write waiting for its group commit) is parked by req_call's go_async: its connection is
 * suspended, and once the work is done (done, from any thread) the continuation
 * runs on an HTTP thread and renders the answer.
 *
 * Strings are the request's (arena or glue) and live until it ends.
 */
#ifndef SMALLAPPS_REQ_H
#define SMALLAPPS_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "auth.h"
#include "buf.h"
#include "registry.h"
#include "upload.h"
#include "usecase.h"
#include "validate.h"

#define REQ_MAX_BODY	(1024 * 1024) /* form and JSON bodies; larger answers 413 */
#define REQ_MAX_HEADERS 16	      /* answer headers a handler may add */
#define REQ_JSON_FLAGS	JSON_COMPACT  /* how req_json dumps; jsonw writes the same text */

typedef struct req req;

/* A decoded name=value pair: a header, a cookie, a query argument or a form field. */
typedef struct req_kv {
	const char *name;
	const char *value;
} req_kv;

typedef struct req_kvs {
	req_kv *v;
	size_t n;
} req_kvs;

/*
 * A body made while it is sent (an export of a million records in constant memory):
 * fill writes at most max bytes into out and returns how many (> 0), REQ_STREAM_END
 * once everything was written, REQ_STREAM_FAIL to cut the connection (the client sees
 * a body cut short). It runs on the connection's HTTP thread, a call per chunk, so
 * each call does a bounded piece of work. done runs once the answer is over, sent or
 * not, possibly after the request itself was freed: the state must own everything it
 * uses (not the request's arena).
 */
#define REQ_STREAM_END	(-1)
#define REQ_STREAM_FAIL (-2)
typedef struct req_stream {
	long (*fill)(void *state, char *out, size_t max);
	void (*done)(void *state);
	void *state;
} req_stream;

/* Runs on an HTTP thread once a parked request's work is done (req_call). */
typedef void (*req_cont_fn)(req *r);

/* How the glue parks and wakes a connection. */
typedef struct req_glue {
	void (*suspend)(void *conn);
	void (*resume)(void *conn);
} req_glue;

struct req {
	arena mem;
	uc_env *env; /* the process's services; borrowed */
	const req_glue *glue;
	void *conn; /* the glue's handle for this connection */
	const char *method;
	const char *path;	 /* decoded path, without the query */
	const char *client_addr; /* the client's address (behind a trusted proxy: its) */
	const char *client_key;	 /* what per-address limits count: IPv6 by /64 */
	bool local_client;	 /* loopback: error details may be shown */
	char id[17];		 /* request id, in logs and 500 pages */
	struct timespec start;
	lang lg;

	/* as received */
	req_kvs headers, cookies, query;
	buf body;
	bool body_too_large;
	/*
	 * multipart/form-data (forms with files): the glue decodes it as it arrives —
	 * text parts into form (at most REQ_MAX_BODY in all), files into uploads
	 * (temporary files, at most env->max_upload bytes in all, else body_too_large).
	 * body stays empty. body_broken: the parts could not be read.
	 */
	bool multipart, body_broken;
	req_kvs form;
	upload_list uploads;
	void *pp;	      /* the glue's decoder of the multipart body */
	int64_t upload_total; /* multipart bytes received */

	/* who: user.login NULL for anonymous */
	auth_user user;
	bool via_token;		   /* Bearer token: no CSRF needed */
	char csrf[AUTH_TOKEN_LEN]; /* the token this client's forms must carry */

	/* answer */
	int status;
	buf out;
	const char *content_type;
	const char *hdr_name[REQ_MAX_HEADERS];
	const char *hdr_value[REQ_MAX_HEADERS];
	int nhdr;
	bool cache_forever; /* static assets */
	req_stream stream;  /* set: the body is streamed (req_stream_answer), r->out unused */

	/* asynchronous work */
	bool waiting;
	req_cont_fn cont;

	/* held until the request ends */
	app_rt *app;
	void (*cleanup)(void *); /* run when the request ends (frees what a handler kept) */
	void *cleanup_arg;
};

/* Query argument (decoded), NULL when absent. The first one wins. */
const char *req_query(const req *r, const char *name);
/* A header (name compared without case), NULL when absent. The first one wins. */
const char *req_header(const req *r, const char *name);
const char *req_cookie(const req *r, const char *name);
/* The value for name among kv, NULL when absent. */
const char *req_kvs_get(const req_kvs *k, const char *name);
/*
 * Decodes an application/x-www-form-urlencoded text (a body) into the arena: every
 * name=value pair in order. -1 on a broken %-escape, a NUL, or bad UTF-8.
 */
int req_parse_urlencoded(arena *a, const char *s, size_t n, req_kvs *out);
/* The body as a form: req_parse_urlencoded of r->body, or the text parts of a multipart
 * body (-1 when one holds a NUL or bad UTF-8). */
int req_parse_form(req *r, req_kvs *out);

void req_add_header(req *r, const char *name, const char *val); /* value copied */
void req_redirect(req *r, int status, const char *location);
/* Sets the status and an HTML body that the caller fills in r->out. */
void req_html(req *r, int status);
void req_json(req *r, int status, json_t *body); /* steals body */
/* Sets the status and an already serialized JSON body; takes body's memory, leaves it empty. */
void req_json_buf(req *r, int status, buf *body);
/* A 200 whose body is streamed; s (its state) is the answer's from here on. */
void req_stream_answer(req *r, const char *content_type, const req_stream *s);
/* Ends a stream that will not be sent (its done runs); nothing when there is none. */
void req_stream_drop(req *r);

/*
 * A use-case call by this request's person on app/form (uc_call_init), wired so that
 * a write that goes asynchronous parks the request and `cont` renders its result.
 * The call and its result must live in the request (its arena). A call that answers
 * at once (not UC_PENDING) is rendered by the caller, typically with the same cont.
 */
void req_call(req *r, uc_call *c, app_rt *app, const def_form *form, req_cont_fn cont);

#endif
