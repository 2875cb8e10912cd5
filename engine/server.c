/*
 * server — libmicrohttpd glue and the request lifecycle (see server.h, req.h).
 *
 * The access handler follows libmicrohttpd's three phases exactly: the first call
 * only creates the req (answering there would make 0.9.75 close the connection),
 * the upload calls append to a bounded body buffer, the last call dispatches. A
 * write suspends the connection; the store's writer thread resumes it after the
 * group commit and the handler runs the continuation on the next call. Everything
 * a request owns is released in the completion callback, in one place.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "compress.h"
#include "conns.h"
#include "log.h"
#include "metrics.h"
#include "req.h"
#include "router.h"
#include "util.h"

typedef struct server {
	struct MHD_Daemon *d;
	conns *cn;
	uc_env *env;
	const server_config *cfg;
	atomic_uint_fast64_t next_id;
} server;

/* ---- the glue a request borrows (req.h) ---- */

static void conn_suspend(void *conn)
{
	MHD_suspend_connection(conn);
}

static void conn_resume(void *conn)
{
	/* Safe from any thread; the connection was suspended before the work left its thread. */
	MHD_resume_connection(conn);
}

static const req_glue GLUE = {conn_suspend, conn_resume};

/* ---- lifecycle ---- */

typedef struct header_values {
	const char *name;
	const char *v[16];
	size_t n;
} header_values;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *val)
{
	(void)kind;
	header_values *h = cls;
	if (strcasecmp(key, h->name) == 0 && h->n < sizeof h->v / sizeof *h->v)
		h->v[h->n++] = val;
	return MHD_YES;
}

/*
 * The client's address: the peer's, or behind a trusted proxy, the right-most entry
 * of the forwarded header that is not one of our proxies (netaddr.h). Every line of
 * the header counts, in order: a proxy may add its own line rather than extend one.
 */
static void identify_client(server *s, req *r)
{
	/* forwarded header lines, in order */
	netaddr peer = {0}, client;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci)
		netaddr_from_sockaddr(ci->client_addr, &peer);
	client = peer;
	const server_config *cfg = s->cfg;
	bool from_proxy =
	    cfg->trust_header && (!cfg->trusted_proxies || cfg->trusted_proxies->n == 0 ||
				  netaddr_list_has(cfg->trusted_proxies, &peer));
	if (from_proxy) {
		header_values h = {.name = cfg->trust_header};
		MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_header, &h);
		netaddr fwd;
		if (h.n && netaddr_forwarded_client(h.v, h.n, cfg->trusted_proxies, &fwd))
			client = fwd;
	}
	char text[NETADDR_TEXT], key[NETADDR_TEXT + 4];
	netaddr_format(&client, text);
	netaddr_limit_key(&client, key);
	r->client_addr = arena_strdup(&r->mem, text);
	r->client_key = arena_strdup(&r->mem, key);
	r->local_client = netaddr_is_loopback(&client);
}

typedef struct kv_collect {
	arena *mem;
	req_kvs *out;
	size_t cap;
} kv_collect;

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *val)
{
	(void)kind;
	kv_collect *k = cls;
	if (k->out->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;
		req_kv *v = arena_alloc(k->mem, cap * sizeof *v);
		if (k->out->n)
			memcpy(v, k->out->v, k->out->n * sizeof *v);
		k->out->v = v;
		k->cap = cap;
	}
	/* libmicrohttpd keeps these strings until the request ends, as long as the req. */
	k->out->v[k->out->n].name = key ? key : "";
	k->out->v[k->out->n].value = val ? val : "";
	k->out->n++;
	return MHD_YES;
}

static void collect(req *r, enum MHD_ValueKind kind, req_kvs *out)
{
	kv_collect k = {.mem = &r->mem, .out = out};
	MHD_get_connection_values(r->conn, kind, collect_kv, &k);
}

/* ---- multipart bodies (forms with files) ---- */

#define PP_BUFFER (64 * 1024)

/* The part being received: a text field grows in the arena, a file in its upload. */
static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *filename, const char *content_type,
			       const char *transfer_encoding, const char *data, uint64_t off,
			       size_t size)
{
	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	req *r = cls;
	if (!key)
		key = "";
	if (filename) {
		upload *u = r->uploads.n ? r->uploads.v[r->uploads.n - 1] : NULL;
		if (off == 0) {
			if (u)
				upload_finish(u);
			if (!filename[0] && size == 0)
				return MHD_YES; /* a file input left empty */
			u = upload_begin(r->env->upload_dir, key, filename);
			if (!u) {
				log_message("upload", "%s: %s", r->env->upload_dir,
					    strerror(errno));
				r->body_broken = true;
				return MHD_NO;
			}
			upload_list_add(&r->uploads, u);
		}
		if (u && size && upload_write(u, data, size) != 0) {
			log_message("upload", "%s: %s", u->path, strerror(errno));
			r->body_broken = true;
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (memchr(data, 0, size)) {
		r->body_broken = true;
		return MHD_NO;
	}
	r->body.len += size; /* counts the text parts against REQ_MAX_BODY */
	if (r->body.len > REQ_MAX_BODY) {
		r->body_too_large = true;
		return MHD_NO;
	}
	if (off == 0 || r->form.n == 0 || strcmp(r->form.v[r->form.n - 1].name, key) != 0) {
		req_kv *v = arena_alloc(&r->mem, (r->form.n + 1) * sizeof *v);
		if (r->form.n)
			memcpy(v, r->form.v, r->form.n * sizeof *v);
		v[r->form.n].name = arena_strdup(&r->mem, key);
		v[r->form.n].value = arena_strndup(&r->mem, data, size);
		r->form.v = v;
		r->form.n++;
	} else {
		const char *old = r->form.v[r->form.n - 1].value;
		r->form.v[r->form.n - 1].value =
		    arena_printf(&r->mem, "%s%.*s", old, (int)size, data);
	}
	return MHD_YES;
}

static bool is_multipart(const req *r)
{
	const char *ct = req_header(r, "Content-Type");
	return ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

/* A chunk of a multipart body: decoded as it comes, within max_upload. */
static void multipart_chunk(req *r, const char *data, size_t n)
{
	if (r->body_too_large || r->body_broken || !r->pp)
		return;
	r->upload_total += (int64_t)n;
	if (r->upload_total > r->env->max_upload) {
		r->body_too_large = true;
		return;
	}
	if (MHD_post_process(r->pp, data, n) != MHD_YES && !r->body_too_large)
		r->body_broken = true;
}

/* The body is complete: the last part is flushed and closed. */
static void multipart_end(req *r)
{
	if (!r->pp)
		return;
	if (MHD_destroy_post_processor(r->pp) != MHD_YES && !r->body_too_large)
		r->body_broken = true;
	r->pp = NULL;
	if (r->uploads.n && upload_finish(r->uploads.v[r->uploads.n - 1]) != 0)
		r->body_broken = true;
	if (r->body_too_large || r->body_broken)
		upload_list_free(&r->uploads); /* nothing of a refused body is kept */
}

static req *req_new(server *s, struct MHD_Connection *c, const char *url, const char *method)
{
	req *r = xcalloc(1, sizeof *r);
	r->env = s->env;
	r->glue = &GLUE;
	r->conn = c;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->method = arena_strdup(&r->mem, method);
	r->path = arena_strdup(&r->mem, url);
	r->lg = LANG_FR;
	uint64_t n = atomic_fetch_add(&s->next_id, 1);
	unsigned char rnd[4];
	util_random(rnd, sizeof rnd);
	/* Unsigned before shifting: rnd[0] << 24 promotes to int and overflows from 0x80 on. */
	snprintf(r->id, sizeof r->id, "%08x%08llx",
		 (unsigned)rnd[0] << 24 | (unsigned)rnd[1] << 16 | (unsigned)rnd[2] << 8 | rnd[3],
		 (unsigned long long)(n & 0xffffffffu));
	collect(r, MHD_HEADER_KIND, &r->headers);
	collect(r, MHD_COOKIE_KIND, &r->cookies);
	collect(r, MHD_GET_ARGUMENT_KIND, &r->query);
	identify_client(s, r);
	if (is_multipart(r)) {
		r->multipart = true;
		/* No upload folder (a caller without one): such a body cannot be read. */
		r->pp =
		    r->env->upload_dir ? MHD_create_post_processor(c, PP_BUFFER, on_part, r) : NULL;
		r->body_broken = !r->pp; /* no boundary */
	}
	const union MHD_ConnectionInfo *sc =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (sc && sc->socket_context)
		conns_headers_done(s->cn, sc->socket_context);
	return r;
}

static void req_free(req *r)
{
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	upload_list_free(&r->uploads);
	req_stream_drop(r); /* made but never sent */
	if (r->cleanup)
		r->cleanup(r->cleanup_arg);
	if (r->app)
		registry_release(r->app);
	auth_user_clear(&r->user);
	buf_free(&r->body);
	buf_free(&r->out);
	arena_free(&r->mem);
	free(r);
}

#define GZIP_MIN 1024 /* smaller answers fit in a packet as they are */

/* Compresses r->out when the client takes gzip and it gains something (issue 15.3). */
static bool gzip_body(req *r)
{
	if (r->out.len < GZIP_MIN || !compress_type_worth(r->content_type) ||
	    !compress_accepts_gzip(req_header(r, "Accept-Encoding")))
		return false;
	buf z = BUF_INIT;
	if (!compress_gzip(r->out.data, r->out.len, &z) || z.len >= r->out.len) {
		buf_free(&z);
		return false;
	}
	buf_free(&r->out);
	r->out = z;
	return true;
}

static const char CSP[] = "default-src 'none'; style-src 'self'; script-src 'self'; "
			  "img-src 'self' data:; connect-src 'self'; "
			  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/*
 * A streamed body: libmicrohttpd asks for the next chunk when the socket can take it
 * (chunked transfer encoding). The stream's functions ride in its state, whose first
 * member is the req_stream itself (see stream_box).
 */
#define STREAM_CHUNK (64 * 1024)

typedef struct stream_box {
	req_stream s;
} stream_box;

static ssize_t stream_fill(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	stream_box *b = cls;
	long n = b->s.fill(b->s.state, out, max);
	if (n == REQ_STREAM_END)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n <= 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return (ssize_t)n;
}

static void stream_done(void *cls)
{
	stream_box *b = cls;
	if (b->s.done)
		b->s.done(b->s.state);
	free(b);
}

static enum MHD_Result send_answer(req *r)
{
	if (r->status == 0) {
		r->status = 500;
		buf_reset(&r->out);
		req_stream_drop(r);
	}
	/* The answer's buffer goes to libmicrohttpd as it is (no copy); it frees it. */
	struct MHD_Response *resp;
	bool gz = false;
	if (r->stream.fill) { /* boxed: the response owns the functions with the state */
		stream_box *b = xcalloc(1, sizeof *b);
		b->s = r->stream;
		r->stream = (req_stream){0};
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_CHUNK,
							 stream_fill, b, stream_done);
		if (!resp)
			stream_done(b);
	} else if (r->out.data) {
		gz = gzip_body(r);
		resp = MHD_create_response_from_buffer_with_free_callback(r->out.len, r->out.data,
									  free);
	} else
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (r->out.data)
		r->out = (buf)BUF_INIT;
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	if (gz)
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
	if (compress_type_worth(r->content_type)) /* caches keep both versions apart */
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cache-Control",
				r->cache_forever ? "public, max-age=31536000, immutable"
						 : "no-store");
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_size, void **con_cls)
{
	(void)version;
	server *s = cls;
	req *r = *con_cls;
	if (!r) {
		*con_cls = req_new(s, c, url, method);
		return MHD_YES;
	}
	if (*upload_size && r->multipart) {
		multipart_chunk(r, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->body.len + *upload_size > REQ_MAX_BODY)
			r->body_too_large = true;
		else
			buf_add(&r->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	multipart_end(r);
	if (r->waiting) {
		r->waiting = false;
		r->cont(r);
	} else {
		router_dispatch(r);
	}
	if (r->waiting)
		return MHD_YES;
	return send_answer(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	req *r = *con_cls;
	if (!r)
		return;
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	double ms = (double)(end.tv_sec - r->start.tv_sec) * 1e3 +
		    (double)(end.tv_nsec - r->start.tv_nsec) / 1e6;
	int status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->status : 499;
	metrics_request(metrics_kind(r->path), status, ms);
	log_request(r->method, r->path, status, ms, r->user.login, r->id);
	req_free(r);
	*con_cls = NULL;
	const union MHD_ConnectionInfo *sc =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (sc && sc->socket_context)
		conns_request_done(((server *)cls)->cn, sc->socket_context);
}

/* Accept policy: an address at its connection limit is refused at once. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)addrlen;
	server *s = cls;
	netaddr peer;
	if (!netaddr_from_sockaddr(addr, &peer))
		return MHD_YES;
	return conns_admit(s->cn, &peer) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		netaddr peer = {0};
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci)
			netaddr_from_sockaddr(ci->client_addr, &peer);
		const union MHD_ConnectionInfo *fd =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = conns_started(s->cn, fd ? fd->connect_fd : -1, &peer);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conns_closed(s->cn, *socket_context);
		*socket_context = NULL;
	}
}

static int parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) != 1)
		return -1;
	return 0;
}

/*
 * libmicrohttpd's own messages. Under a flood (accept failing on every connection)
 * the same message comes thousands of times a second: it is written once, then once
 * more with its count when the flood is over or after a minute.
 */
static pthread_mutex_t mhd_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char mhd_last[256];
static time_t mhd_last_at;
static long mhd_repeats;

/* libmicrohttpd's own messages; its format strings are its own. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[256];
	vsnprintf(msg, sizeof msg, fmt, ap);
	time_t now = time(NULL);
	pthread_mutex_lock(&mhd_log_lock);
	bool same = strcmp(msg, mhd_last) == 0 && now - mhd_last_at < 60;
	long repeats = mhd_repeats;
	char last[256];
	memcpy(last, mhd_last, sizeof last);
	if (same) {
		mhd_repeats++;
	} else {
		snprintf(mhd_last, sizeof mhd_last, "%s", msg);
		mhd_last_at = now;
		mhd_repeats = 0;
	}
	pthread_mutex_unlock(&mhd_log_lock);
	if (same)
		return;
	if (repeats > 0)
		log_message("http", "%s (%ld more times)", last, repeats);
	log_message("http", "%s", msg);
}

/*
 * URL decoding, as libmicrohttpd's, except that a text holding %00 is left encoded:
 * decoded, the NUL would cut "/admin%00x" to "/admin", a route that a proxy rule on
 * the exact path did not mean to let through. Left as is, it matches no route.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	for (const char *p = s; (p = strchr(p, '%')); p++)
		if (p[1] == '0' && p[2] == '0')
			return strlen(s);
	return MHD_http_unescape(s);
}

/* Connections at most: what the file descriptor limit leaves after databases and logs. */
static unsigned connection_limit(void)
{
	struct rlimit rl;
	unsigned limit = 4096;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)limit + 256)
		limit = rl.rlim_cur > 256 + 64 ? (unsigned)(rl.rlim_cur - 256) : 64;
	return limit;
}

/*
 * The listening socket, bound before libmicrohttpd starts: the port (chosen by the
 * system for "...:0") is then known, and so the base URL of links, before the first
 * request can arrive. -1 with errno on failure.
 */
static int listen_socket(const struct sockaddr_in *sa, unsigned *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in bound;
	socklen_t len = sizeof bound;
	if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) != 0 || listen(fd, 1024) != 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*port = ntohs(bound.sin_port);
	return fd;
}

static void set_base_url(server *s, const char *host, unsigned port)
{
	char *b = s->env->base_url;
	size_t n = sizeof s->env->base_url;
	if (s->cfg->base_url)
		snprintf(b, n, "%s", s->cfg->base_url);
	else
		snprintf(b, n, "http://%s:%u", host, port);
	size_t bl = strlen(b);
	if (bl > 0 && b[bl - 1] == '/')
		b[bl - 1] = '\0';
}

static void write_port_file(const char *path, unsigned port)
{
	FILE *f = path ? fopen(path, "w") : NULL;
	if (f) {
		fprintf(f, "%u\n", port);
		fclose(f);
	}
}

static struct MHD_Daemon *start_daemon(server *s, int fd, unsigned threads)
{
	return MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG,
	    0, on_accept, s, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_END);
}

/* Stops accepting, lets requests in flight (and parked ones) finish, then stops. */
static void drain_and_stop(server *s)
{
	MHD_socket ls = MHD_quiesce_daemon(s->d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	for (int i = 0; i < 100; i++) {
		const union MHD_DaemonInfo *cc =
		    MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!cc || cc->num_connections == 0)
			break;
		usleep(100 * 1000);
	}
	MHD_stop_daemon(s->d);
}

static conns *open_conns(const server_config *cfg)
{
	bool peers_are_proxies =
	    cfg->trust_header && (!cfg->trusted_proxies || cfg->trusted_proxies->n == 0);
	conns_config cc = {.max_per_addr = peers_are_proxies ? 0 : cfg->max_conns_per_addr,
			   .header_timeout = cfg->header_timeout,
			   .exempt = cfg->trust_header ? cfg->trusted_proxies : NULL};
	if (peers_are_proxies)
		log_message("server",
			    "--trust-header %s without --trusted-proxies: the header is "
			    "believed from every peer, which must then be only the proxy",
			    cfg->trust_header);
	return conns_open(&cc);
}

int server_run(const server_config *cfg, uc_env *env)
{
	struct sockaddr_in sa;
	if (parse_listen(cfg->listen, &sa) < 0) {
		fprintf(stderr,
			"smallapps: --listen \"%s\" is not HOST:PORT (e.g. 127.0.0.1:8080)\n",
			cfg->listen);
		return 1;
	}
	server s = {.env = env, .cfg = cfg};
	atomic_init(&s.next_id, 1);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started below inherits this */
	signal(SIGPIPE, SIG_IGN);

	unsigned port = 0;
	int fd = listen_socket(&sa, &port);
	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "smallapps: cannot listen on %s: %s%s\n", cfg->listen, strerror(e),
			e == EADDRINUSE ? " (another server uses it: choose another port with "
					  "--listen HOST:PORT, or make run LISTEN=HOST:PORT)"
					: "");
		return 1;
	}
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
	set_base_url(&s, host, port);
	unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads : 2;
	if (!(s.cn = open_conns(cfg)) || !(s.d = start_daemon(&s, fd, threads))) {
		fprintf(stderr, "smallapps: cannot start the HTTP server on %s\n", cfg->listen);
		conns_close(s.cn);
		close(fd);
		return 1;
	}
	write_port_file(cfg->port_file, port);
	log_message("server", "listening on http://%s:%u (%u threads)", host, port, threads);
	if (cfg->on_listening)
		cfg->on_listening(cfg->on_listening_arg, env->base_url);

	int sig = 0;
	sigwait(&set, &sig);
	log_message("server", "signal %d: finishing requests in flight", sig);
	drain_and_stop(&s);
	conns_close(s.cn);
	log_message("server", "stopped");
	return 0;
}
