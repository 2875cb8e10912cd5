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

#include "conns.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "req.h"
#include "router.h"
#include "util.h"

struct server {
	struct MHD_Daemon *d;
	conns *cn;
	registry *reg;
	auth *au;
	const server_config *cfg;
	char base_url[256];
	atomic_uint_fast64_t next_id;
};

/* ---- request helpers (req.h) ---- */

auth *req_auth(req *r)
{
	return r->srv->au;
}

registry *req_registry(req *r)
{
	return r->srv->reg;
}

throttle *req_throttle(req *r)
{
	return r->srv->cfg->throttle;
}

void req_mail_queued(req *r)
{
	if (r->srv->cfg->mail)
		outbox_sender_wake(r->srv->cfg->mail);
}

const char *req_base_url(req *r)
{
	return r->srv->base_url;
}

const char *req_query(req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct each_arg {
	bool (*fn)(void *arg, const char *name, const char *value);
	void *arg;
} each_arg;

static enum MHD_Result each_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *val)
{
	(void)kind;
	each_arg *e = cls;
	return e->fn(e->arg, key, val) ? MHD_YES : MHD_NO;
}

void req_query_each(req *r, bool (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	each_arg e = {fn, arg};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, each_param, &e);
}

const char *req_header(req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX and '+' in [s, s+n) into the arena; NULL on a broken escape or UTF-8. */
static char *form_decode(arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[k++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n)
				return NULL;
			int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return NULL;
			out[k++] = (char)(h * 16 + l);
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
	if (memchr(out, '\0', k) || !util_utf8_valid(out, k))
		return NULL;
	return out;
}

int req_parse_form(req *r, req_kvs *out)
{
	const char *s = r->body.data ? r->body.data : "";
	size_t n = r->body.len;
	size_t count = 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '&')
			count++;
	out->v = arena_alloc(&r->mem, count * sizeof *out->v);
	out->n = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '&')
			j++;
		if (j > i) {
			const char *eq = memchr(s + i, '=', j - i);
			size_t nl = eq ? (size_t)(eq - (s + i)) : j - i;
			char *name = form_decode(&r->mem, s + i, nl);
			char *val = eq ? form_decode(&r->mem, eq + 1, (size_t)(s + j - eq - 1))
			               : arena_strdup(&r->mem, "");
			if (!name || !val)
				return -1;
			out->v[out->n].name = name;
			out->v[out->n].value = val;
			out->n++;
		}
		i = j + 1;
	}
	return 0;
}

const char *req_kvs_get(const req_kvs *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i].name, name) == 0)
			return k->v[i].value;
	return NULL;
}

void req_add_header(req *r, const char *name, const char *val)
{
	if (r->nhdr >= REQ_MAX_HEADERS)
		return;
	r->hdr_name[r->nhdr] = name;
	r->hdr_value[r->nhdr] = arena_strdup(&r->mem, val);
	r->nhdr++;
}

void req_redirect(req *r, int status, const char *location)
{
	r->status = status;
	buf_reset(&r->out);
	r->content_type = "text/plain; charset=utf-8";
	req_add_header(r, "Location", location);
}

void req_html(req *r, int status)
{
	r->status = status;
	r->content_type = "text/html; charset=utf-8";
}

void req_json(req *r, int status, json_t *body)
{
	r->status = status;
	r->content_type = "application/json";
	buf_reset(&r->out);
	if (body) {
		char *s = json_dumps(body, REQ_JSON_FLAGS);
		buf_puts(&r->out, s);
		free(s);
		json_decref(body);
	}
}

void req_json_buf(req *r, int status, buf *body)
{
	r->status = status;
	r->content_type = "application/json";
	buf_free(&r->out);
	r->out = *body;
	*body = (buf)BUF_INIT;
}

/* The store passes one argument to apply and done; this carries both the request and the job. */
typedef struct write_job {
	req *r;
	store_apply_fn apply;
	void *arg;
} write_job;

static int write_apply(store_tx *tx, void *arg)
{
	write_job *j = arg;
	return j->apply(tx, j->arg);
}

static void write_done(void *arg, int rc)
{
	write_job *j = arg;
	j->r->write_rc = rc;
	/* The connection was suspended before the job was queued, so resuming is safe here. */
	MHD_resume_connection(j->r->conn);
}

void req_write(req *r, store *s, store_apply_fn apply, void *arg, req_cont_fn cont)
{
	write_job *j = arena_alloc(&r->mem, sizeof *j);
	j->r = r;
	j->apply = apply;
	j->arg = arg;
	r->waiting = true;
	r->cont = cont;
	MHD_suspend_connection(r->conn);
	store_submit(s, write_apply, write_done, j);
}

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
	netaddr peer = {0}, client;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci)
		netaddr_from_sockaddr(ci->client_addr, &peer);
	client = peer;
	const server_config *cfg = s->cfg;
	bool from_proxy = cfg->trust_header &&
	                  (!cfg->trusted_proxies || cfg->trusted_proxies->n == 0 ||
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

static req *req_new(server *s, struct MHD_Connection *c, const char *url, const char *method)
{
	req *r = xcalloc(1, sizeof *r);
	r->srv = s;
	r->conn = c;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->method = arena_strdup(&r->mem, method);
	r->path = arena_strdup(&r->mem, url);
	r->status = 0;
	r->lg = LANG_FR;
	uint64_t n = atomic_fetch_add(&s->next_id, 1);
	unsigned char rnd[4];
	util_random(rnd, sizeof rnd);
	snprintf(r->id, sizeof r->id, "%08x%08llx", (unsigned)(rnd[0] << 24 | rnd[1] << 16 | rnd[2] << 8 | rnd[3]),
	         (unsigned long long)(n & 0xffffffffu));

	identify_client(s, r);
	const union MHD_ConnectionInfo *sc =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (sc && sc->socket_context)
		conns_headers_done(s->cn, sc->socket_context);
	return r;
}

static void req_free(req *r)
{
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

static const char CSP[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static enum MHD_Result send_answer(req *r)
{
	if (r->status == 0) {
		r->status = 500;
		buf_reset(&r->out);
	}
	/* The answer's buffer goes to libmicrohttpd as it is (no copy); it frees it. */
	struct MHD_Response *resp;
	if (r->out.data)
		resp = MHD_create_response_from_buffer_with_free_callback(r->out.len, r->out.data,
		                                                          free);
	else
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (r->out.data)
		r->out = (buf)BUF_INIT;
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cache-Control",
	                        r->cache_forever ? "public, max-age=86400" : "no-store");
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_size, void **con_cls)
{
	(void)version;
	server *s = cls;
	req *r = *con_cls;
	if (!r) {
		*con_cls = req_new(s, c, url, method);
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
	if (r->waiting) {
		r->waiting = false;
		r->cont(r, r->write_rc);
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
	metrics_request(status, ms);
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

int server_run(const server_config *cfg, registry *reg, auth *au)
{
	struct sockaddr_in sa;
	if (parse_listen(cfg->listen, &sa) < 0) {
		fprintf(stderr, "smallapps: --listen \"%s\" is not HOST:PORT (e.g. 127.0.0.1:8080)\n",
		        cfg->listen);
		return 1;
	}
	server s = {.reg = reg, .au = au, .cfg = cfg};
	atomic_init(&s.next_id, 1);
	bool peers_are_proxies =
		cfg->trust_header && (!cfg->trusted_proxies || cfg->trusted_proxies->n == 0);
	conns_config ccfg = {.max_per_addr = peers_are_proxies ? 0 : cfg->max_conns_per_addr,
	                   .header_timeout = cfg->header_timeout,
	                   .exempt = cfg->trust_header ? cfg->trusted_proxies : NULL};
	if (!(s.cn = conns_open(&ccfg))) {
		fprintf(stderr, "smallapps: cannot start the connection watch thread\n");
		return 1;
	}
	if (peers_are_proxies)
		log_message("server", "--trust-header %s without --trusted-proxies: the header is "
		                      "believed from every peer, which must then be only the proxy",
		            cfg->trust_header);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started below inherits this */
	signal(SIGPIPE, SIG_IGN);

	unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads : 2;
	s.d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			MHD_USE_ERROR_LOG,
		ntohs(sa.sin_port), on_accept, &s, on_access, &s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT,
		connection_limit(), MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
		MHD_OPTION_LISTEN_BACKLOG_SIZE,
		(unsigned)1024, MHD_OPTION_END);
	if (!s.d) {
		int e = errno;
		fprintf(stderr, "smallapps: cannot listen on %s: %s%s\n", cfg->listen, strerror(e),
		        e == EADDRINUSE ? " (another server uses it: choose another port with "
		                          "--listen HOST:PORT, or make run LISTEN=HOST:PORT)"
		                        : "");
		conns_close(s.cn);
		return 1;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s.d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = di ? di->port : ntohs(sa.sin_port);
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
	if (cfg->base_url)
		snprintf(s.base_url, sizeof s.base_url, "%s", cfg->base_url);
	else
		snprintf(s.base_url, sizeof s.base_url, "http://%s:%u", host, port);
	size_t bl = strlen(s.base_url);
	if (bl > 0 && s.base_url[bl - 1] == '/')
		s.base_url[bl - 1] = '\0';
	if (cfg->port_file) {
		FILE *f = fopen(cfg->port_file, "w");
		if (f) {
			fprintf(f, "%u\n", port);
			fclose(f);
		}
	}
	log_message("server", "listening on http://%s:%u (%u threads)", host, port, threads);
	if (cfg->on_listening)
		cfg->on_listening(cfg->on_listening_arg, s.base_url);

	int sig = 0;
	sigwait(&set, &sig);
	log_message("server", "signal %d: finishing requests in flight", sig);
	/* Stop accepting, let requests in flight (and suspended writes) finish. */
	MHD_socket ls = MHD_quiesce_daemon(s.d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	for (int i = 0; i < 100; i++) {
		const union MHD_DaemonInfo *cc =
			MHD_get_daemon_info(s.d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!cc || cc->num_connections == 0)
			break;
		usleep(100 * 1000);
	}
	MHD_stop_daemon(s.d);
	conns_close(s.cn);
	log_message("server", "stopped");
	return 0;
}

void req_actor(req *r, const char *app_id, actor *out)
{
	memset(out, 0, sizeof *out);
	out->login = r->user.login;
	out->name = r->user.name;
	out->email = r->user.email;
	out->admin = r->user.admin;
	if (!r->user.login)
		return;
	char **roles = NULL;
	size_t n = 0;
	if (auth_roles(r->srv->au, r->user.login, app_id, &roles, &n) != AUTH_OK)
		return;
	const char **v = arena_alloc(&r->mem, (n ? n : 1) * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = arena_strdup(&r->mem, roles[i]);
	auth_roles_free(roles, n);
	out->roles = v;
	out->nroles = n;
}
