/*
 * http — fuzz target: raw bytes on a TCP connection to the real engine.
 *
 * At set-up the engine is started in-process as `smallapps serve` starts it
 * (server_run on 127.0.0.1, port chosen by the system, libmicrohttpd and every engine
 * thread included) with a fixed app set: tests/apps/essai, minus its "lent" form (its
 * hook loops on purpose and answers 500 by design, which would hide real 500s).
 * Behind --trust-header X-Forwarded-For with 127.0.0.0/8 as the proxy, so forwarded
 * addresses reach netaddr as they would behind a real proxy.
 *
 * Each input is one connection: the bytes are written as they are (after the
 * placeholder substitution below), the write side is shut, and the answer is read
 * until the engine closes. What must hold, whatever the bytes:
 *   - no crash and no sanitizer report, in the engine or libmicrohttpd's callbacks;
 *   - no hang: the engine closes within HANG_SECONDS;
 *   - a request that is plainly complete and well-formed (see must_answer) is answered;
 *   - the answer is a sequence of well-formed HTTP/1.x responses (status line, header
 *     lines without stray CR/LF, a body of the announced length), nothing after;
 *   - the engine's own answers (those with X-Request-Id) are never 500 (with this app
 *     set nothing fails by design), carry the security headers, redirect only to
 *     local paths, send JSON that parses without duplicate keys, and never put the
 *     marker "<fz" of the input unescaped into HTML.
 *
 * Placeholders, so that inputs can reach what needs a signed-in person: "@TA@",
 * "@TG@", "@TD@" become the API tokens of an admin, an agent and a demandeur of the
 * essai app; "@SA@", "@SG@", "@SD@" their session cookies and "@CA@", "@CG@", "@CD@"
 * the CSRF tokens that go with them. Sessions a logout ended are opened again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "fuzz.h"
#include "netaddr.h"
#include "registry.h"
#include "sandbox_pool.h"
#include "server.h"
#include "store.h"
#include "throttle.h"
#include "usecase.h"
#include "util.h"

#define HANG_SECONDS 10
#define MAX_ANSWER   (8 * 1024 * 1024)

/* ---- the engine, started once ---- */

typedef struct person {
	const char *login;
	const char *role; /* in essai; NULL: none */
	bool admin;
	char token[AUTH_TOKEN_LEN];
	char session[AUTH_TOKEN_LEN];
	char csrf[AUTH_TOKEN_LEN];
	char tag; /* the letter of its placeholders */
} person;

static person people[] = {
    {.login = "admin", .admin = true, .tag = 'A'},
    {.login = "agent1", .role = "agent", .tag = 'G'},
    {.login = "dem1", .role = "demandeur", .tag = 'D'},
};
#define NPEOPLE (sizeof people / sizeof *people)

static uc_env env;
static netaddr_list proxies;
static server_config cfg;
static unsigned port;
static bool check_500 = true;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static bool ready;

static void on_listening(void *arg, const char *base_url)
{
	(void)arg;
	const char *colon = strrchr(base_url, ':');
	pthread_mutex_lock(&ready_lock);
	port = colon ? (unsigned)atoi(colon + 1) : 0;
	ready = true;
	pthread_cond_signal(&ready_cond);
	pthread_mutex_unlock(&ready_lock);
}

static void *serve(void *arg)
{
	(void)arg;
	/* Returns only on SIGTERM/SIGINT, which the fuzzer never sends to this thread. */
	server_run(&cfg, &env);
	return NULL;
}

/*
 * essai as the tests have it, without the form whose validate loops forever: its
 * 500 is the engine working as designed, and would make every 500 look expected.
 * If the fixture changed so that the form cannot be cut out, the app is served as it
 * is and the "never 500" check is off (said on stderr), rather than failing set-up.
 */
static void copy_essai(const char *apps)
{
	char src[PATH_MAX], dst[PATH_MAX + 16], file[PATH_MAX + 32];
	snprintf(src, sizeof src, "%s/tests/apps/essai", fuzz_root());
	snprintf(dst, sizeof dst, "%s/essai", apps);
	fuzz_copy_tree(src, dst);
	snprintf(file, sizeof file, "%s/app.lua", dst);
	size_t n = 0;
	char *text = fuzz_read_file(file, &n);
	FUZZ_CHECK(text != NULL, "cannot read %s", file);
	char *start = strstr(text, "\n    {\n      id = \"lent\",");
	char *end = start ? strstr(start + 1, "\n    },\n") : NULL;
	if (start && end) {
		end += strlen("\n    },");
		memmove(start, end, strlen(end) + 1);
		fuzz_write_file(file, text, strlen(text));
	} else if (strstr(text, "while true")) {
		check_500 = false;
		fprintf(stderr, "http fuzz: tests/apps/essai changed, its looping form stays: "
				"answers 500 are not checked\n");
	}
	free(text);
}

static void open_session(person *p)
{
	FUZZ_CHECK(auth_session_create(env.au, p->login, util_now(), p->session, p->csrf) ==
		       AUTH_OK,
		   "cannot open a session for %s", p->login);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine_init();
	const char *tmp = fuzz_tempdir("http");
	static char apps[PATH_MAX], data[PATH_MAX], uploads[PATH_MAX + 8]; /* the engine keeps them */
	snprintf(apps, sizeof apps, "%s/apps", tmp);
	snprintf(data, sizeof data, "%s/data", tmp);
	FUZZ_CHECK(mkdir(apps, 0755) == 0 && mkdir(data, 0700) == 0, "mkdir in %s", tmp);
	copy_essai(apps);

	char err[STORE_ERR_LEN] = "";
	store_backend *backend = store_backend_open(NULL, data, err); /* SQLite files */
	FUZZ_CHECK(backend != NULL, "store_backend_open: %s", err);
	env.au = auth_open(backend, err);
	FUZZ_CHECK(env.au != NULL, "auth_open: %s", err);
	for (size_t i = 0; i < NPEOPLE; i++) {
		person *p = &people[i];
		/* Only the admin has a password: every check costs an argon2 hash. */
		FUZZ_CHECK(auth_user_add(env.au, p->login, p->login, NULL, p->admin,
					 p->admin ? "fuzz-admin-pw" : NULL, "fuzz", err) == AUTH_OK,
			   "user %s: %s", p->login, err);
		if (p->role)
			FUZZ_CHECK(auth_grant(env.au, p->login, "essai", p->role, "fuzz") ==
				       AUTH_OK,
				   "grant %s", p->login);
		FUZZ_CHECK(auth_token_create(env.au, p->login, "fuzz", "fuzz", p->token) == AUTH_OK,
			   "token %s", p->login);
		open_session(p);
	}
	env.th = throttle_open();
	snprintf(uploads, sizeof uploads, "%s/tmp", data);
	env.upload_dir = uploads;
	env.max_upload = 4 << 20; /* multipart bodies: files go to temporary files there */
	registry_opts ro = {.apps_dir = apps,
			    .data_dir = data,
			    .backend = backend,
			    .stdlib_dir = fuzz_stdlib(),
			    .quiet = true};
	env.reg = registry_open(&ro);
	FUZZ_CHECK(registry_scan(env.reg) >= 1, "essai did not load");
	app_rt *essai = registry_get(env.reg, "essai");
	FUZZ_CHECK(essai != NULL, "essai is not served");
	registry_release(essai);
	sandbox_pool_config pc = {.threads = 1};
	env.lua = sandbox_pool_open(&pc);
	FUZZ_CHECK(env.lua != NULL, "sandbox_pool_open");

	char perr[160] = "";
	FUZZ_CHECK(netaddr_list_parse("127.0.0.0/8, ::1", &proxies, perr) == 0, "%s", perr);
	cfg = (server_config){.listen = "127.0.0.1:0",
			      .threads = 2,
			      .trust_header = "X-Forwarded-For",
			      .trusted_proxies = &proxies,
			      .max_conns_per_addr = 0,
			      .header_timeout = 0,
			      .on_listening = on_listening};
	pthread_t t;
	FUZZ_CHECK(pthread_create(&t, NULL, serve, NULL) == 0, "pthread_create");
	pthread_detach(t);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&ready_lock);
	while (!ready && pthread_cond_timedwait(&ready_cond, &ready_lock, &until) == 0)
		;
	bool ok = ready && port > 0;
	pthread_mutex_unlock(&ready_lock);
	FUZZ_CHECK(ok, "the server did not start listening within 30 s");
	return 0;
}

/* ---- one input ---- */

/* The input with its placeholders replaced; sessions a logout ended are reopened. */
static void substitute(const uint8_t *data, size_t size, buf *out)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '@' && i + 3 < size && data[i + 3] == '@' &&
		    (data[i + 1] == 'T' || data[i + 1] == 'S' || data[i + 1] == 'C')) {
			for (size_t k = 0; k < NPEOPLE; k++) {
				person *p = &people[k];
				if (data[i + 2] != p->tag)
					continue;
				if (data[i + 1] != 'T') {
					auth_user u = {0};
					char csrf[AUTH_TOKEN_LEN];
					if (auth_session_lookup(env.au, p->session, util_now(), &u,
								csrf) != AUTH_OK)
						open_session(p);
					auth_user_clear(&u);
				}
				buf_puts(out, data[i + 1] == 'T'   ? p->token
					      : data[i + 1] == 'S' ? p->session
								   : p->csrf);
				i += 3;
				goto next;
			}
		}
		buf_putc(out, (char)data[i]);
	next:;
	}
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Is fd the engine's end of the connection whose client end has port cport? */
static bool engine_end(int fd, uint16_t cport)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &len) != 0 || a.sin_family != AF_INET ||
	    ntohs(a.sin_port) != port)
		return false;
	len = sizeof a;
	return getpeername(fd, (struct sockaddr *)&a, &len) == 0 && ntohs(a.sin_port) == cport;
}

/* The engine's socket for the connection from cport (it is in this process), or -1. */
static int find_engine_end(uint16_t cport)
{
	static int last = -1; /* accepted sockets tend to get the same number every time */
	if (last >= 0 && engine_end(last, cport))
		return last;
	for (int fd = 3; fd < 4096; fd++)
		if (engine_end(fd, cport))
			return last = fd;
	return -1;
}

/* Reads what is there (without waiting); false once the engine closed. */
static bool drain(int fd, buf *answer)
{
	char chunk[65536];
	for (;;) {
		ssize_t r = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
		if (r > 0) {
			FUZZ_CHECK(answer->len + (size_t)r <= MAX_ANSWER,
				   "answer larger than %d bytes", MAX_ANSWER);
			buf_add(answer, chunk, (size_t)r);
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		return false; /* closed, or reset after the answer */
	}
}

/*
 * Sends the request and reads the answer until the engine closes.
 *
 * The end of the request is told by shutting the write side, but only once the
 * engine has read every byte sent (its socket's FIONREAD is 0): libmicrohttpd reads
 * once per readiness event, so a FIN that arrives with the last bytes is never seen,
 * and the connection would stay open until its 30 s timeout. Sent on its own, the FIN
 * is a new event. Writing and reading interleave: an engine that answers early (413)
 * and stops reading must not block us.
 */
static void exchange(const char *req, size_t n, buf *answer)
{
	/* Non-blocking from the start: a signal (libFuzzer's timer, the leak checker's
	 * stop-the-world) interrupting a blocking connect would leave it half done. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	FUZZ_CHECK(fd >= 0, "socket: %s", strerror(errno));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		FUZZ_CHECK(errno == EINPROGRESS || errno == EINTR, "connect: %s", strerror(errno));
		struct pollfd cp = {.fd = fd, .events = POLLOUT};
		int pr;
		while ((pr = poll(&cp, 1, HANG_SECONDS * 1000)) < 0 && errno == EINTR)
			;
		int soerr = 0;
		socklen_t slen = sizeof soerr;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen);
		FUZZ_CHECK(pr == 1 && soerr == 0, "connect: %s",
			   pr == 1 ? strerror(soerr) : "no answer from the engine's socket");
	}
	struct sockaddr_in me;
	socklen_t mlen = sizeof me;
	FUZZ_CHECK(getsockname(fd, (struct sockaddr *)&me, &mlen) == 0, "getsockname");
	uint16_t cport = ntohs(me.sin_port);
	size_t sent = 0;
	bool sending = n > 0, open = true, shut = false;
	double deadline = now_s() + HANG_SECONDS;
	while (open) {
		double left = deadline - now_s();
		FUZZ_CHECK(left > 0,
			   "hang: the engine neither finished nor closed within %d s (%zu of %zu "
			   "bytes sent, %zu received)",
			   HANG_SECONDS, sent, n, answer->len);
		if (!sending && !shut) {
			int efd = find_engine_end(cport);
			int unread = 0;
			/* Not found: not accepted yet (wait) or already closed (then EOF comes). */
			if (efd >= 0 && ioctl(efd, FIONREAD, &unread) == 0 && unread == 0) {
				shutdown(fd, SHUT_WR);
				shut = true;
			}
		}
		struct pollfd p = {.fd = fd, .events = POLLIN | (sending ? POLLOUT : 0)};
		int wait_ms = sending || shut ? (int)(left * 1000) + 1 : 1;
		int pr = poll(&p, 1, wait_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		FUZZ_CHECK(pr >= 0, "poll: %s", strerror(errno));
		if (sending && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = send(fd, req + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w > 0)
				sent += (size_t)w;
			/* EPIPE/ECONNRESET: the engine stopped reading; what it answered counts. */
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == n)
				sending = false;
		}
		if (p.revents & (POLLIN | POLLERR | POLLHUP))
			open = drain(fd, answer);
	}
	close(fd);
}

/* ---- what a complete, well-formed request looks like ---- */

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/*
 * True when the input starts with a request no server may leave unanswered: a
 * request line "METHOD /target HTTP/1.x" of plain characters, header lines
 * "name: value" of printable ASCII, the empty line, and nothing saying a body
 * follows. What comes after it (a pipelined request, garbage) does not matter: the
 * first request is complete before it.
 */
static bool must_answer(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && i < 16 && s[i] >= 'A' && s[i] <= 'Z')
		i++;
	if (i == 0 || i >= n || s[i] != ' ' || i + 1 >= n || s[i + 1] != '/')
		return false;
	i++;
	size_t t = i;
	while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
		i++;
	if (i - t > 4096 || n - i < 10 || memcmp(s + i, " HTTP/1.", 8) != 0 ||
	    (s[i + 8] != '0' && s[i + 8] != '1') || s[i + 9] != '\r' || i + 10 >= n ||
	    s[i + 10] != '\n')
		return false;
	i += 11;
	size_t headers = i;
	for (;;) {
		if (i - headers > 8192 || i + 1 >= n)
			return false;
		if (s[i] == '\r' && s[i + 1] == '\n')
			return true;
		size_t name = i;
		while (i < n && is_tchar((unsigned char)s[i]))
			i++;
		size_t nl = i - name;
		if (nl == 0 || nl > 64 || i >= n || s[i] != ':')
			return false;
		if ((nl == 14 && strncasecmp(s + name, "Content-Length", 14) == 0) ||
		    (nl == 17 && strncasecmp(s + name, "Transfer-Encoding", 17) == 0))
			return false;
		i++;
		while (i < n && (s[i] == '\t' ||
				 ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f)))
			i++;
		if (i + 1 >= n || s[i] != '\r' || s[i + 1] != '\n')
			return false;
		i += 2;
	}
}

/* ---- what a well-formed answer looks like ---- */

typedef struct answer_view {
	const char *p;
	size_t n;
	size_t at;
} answer_view;

typedef struct header_line {
	const char *name, *value;
	size_t nn, vn;
} header_line;

/* The value of header `name` among h, NULL when absent; *vn its length. */
static const char *find_header(const header_line *h, size_t nh, const char *name, size_t *vn)
{
	for (size_t i = 0; i < nh; i++)
		if (h[i].nn == strlen(name) && strncasecmp(h[i].name, name, h[i].nn) == 0) {
			*vn = h[i].vn;
			return h[i].value;
		}
	return NULL;
}

/*
 * A Location a browser keeps on this site: after the leading and trailing C0 controls
 * and spaces are stripped and TAB/LF/CR removed, it starts with one "/" that a "/" or
 * "\" does not follow (else it names another host), and holds no other control.
 */
static bool local_location(const char *v, size_t n)
{
	while (n && (unsigned char)*v <= 0x20) {
		v++;
		n--;
	}
	while (n && (unsigned char)v[n - 1] <= 0x20)
		n--;
	char first[2];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c < 0x20 || c == 0x7f)
			return false;
		if (k < 2)
			first[k] = (char)c;
		k++;
	}
	return k >= 1 && first[0] == '/' && (k == 1 || (first[1] != '/' && first[1] != '\\'));
}

static bool starts(const answer_view *a, const char *s)
{
	size_t n = strlen(s);
	return a->n - a->at >= n && memcmp(a->p + a->at, s, n) == 0;
}

/* Checks what the engine itself answered (libmicrohttpd's own refusals excepted). */
static void check_engine_answer(int status, const header_line *h, size_t nh, const char *body,
				size_t bn)
{
	size_t vn;
	const char *v;
	FUZZ_CHECK(!check_500 || status != 500, "the engine answered 500 (an internal error)");
	static const char *const must[] = {"Content-Security-Policy", "X-Content-Type-Options",
					   "X-Frame-Options", "Referrer-Policy", "Cache-Control"};
	for (size_t i = 0; i < sizeof must / sizeof *must; i++)
		FUZZ_CHECK(find_header(h, nh, must[i], &vn), "answer %d without %s", status,
			   must[i]);
	for (size_t i = 0; i < nh; i++)
		if (h[i].nn == 8 && strncasecmp(h[i].name, "Location", 8) == 0)
			FUZZ_CHECK(local_location(h[i].value, h[i].vn),
				   "answer %d redirects off the site: Location: %.*s", status,
				   (int)h[i].vn, h[i].value);
	if (bn == 0 || !(v = find_header(h, nh, "Content-Type", &vn)))
		return; /* HEAD, 204, 304, redirects */
	if (vn >= 16 && strncasecmp(v, "application/json", 16) == 0) {
		json_error_t je;
		json_t *j = json_loadb(body, bn, JSON_REJECT_DUPLICATES, &je);
		FUZZ_CHECK(j != NULL, "answer %d: its JSON does not parse: %s (%d:%d)", status,
			   je.text, je.line, je.column);
		json_decref(j);
	} else if (vn >= 9 && strncasecmp(v, "text/html", 9) == 0) {
		/* The marker can only get there from the request, unescaped. */
		FUZZ_CHECK(!memmem(body, bn, "<fz", 3), "answer %d: HTML holds \"<fz\" unescaped",
			   status);
	}
}

/* One response from a->at: status line, headers, body; advances a->at past it. */
static void check_response(answer_view *a)
{
	const char *p = a->p + a->at;
	size_t left = a->n - a->at;
	FUZZ_CHECK(left >= 15 && memcmp(p, "HTTP/1.", 7) == 0 && (p[7] == '0' || p[7] == '1') &&
		       p[8] == ' ' && p[9] >= '1' && p[9] <= '5' && p[10] >= '0' && p[10] <= '9' &&
		       p[11] >= '0' && p[11] <= '9' && p[12] == ' ',
		   "not an HTTP/1.x status line at byte %zu: \"%.40s\"", a->at, p);
	int status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	const char *eol = memmem(p, left, "\r\n", 2);
	FUZZ_CHECK(eol != NULL, "status line without CRLF");
	for (const char *c = p; c < eol; c++)
		FUZZ_CHECK(*c != '\r' && *c != '\n' && *c != '\0',
			   "control character in the status line");
	a->at += (size_t)(eol + 2 - p);

	header_line h[64];
	size_t nh = 0;
	for (;;) {
		p = a->p + a->at;
		left = a->n - a->at;
		eol = memmem(p, left, "\r\n", 2);
		FUZZ_CHECK(eol != NULL, "answer %d: headers without their end", status);
		a->at += (size_t)(eol + 2 - p);
		if (eol == p)
			break;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		FUZZ_CHECK(colon && colon > p, "answer %d: header line without a name: \"%.*s\"",
			   status, (int)(eol - p), p);
		for (const char *c = p; c < colon; c++)
			FUZZ_CHECK(is_tchar((unsigned char)*c),
				   "answer %d: bad header name \"%.*s\"", status, (int)(colon - p),
				   p);
		/* A CR or LF inside a value would split the answer (header injection). */
		for (const char *c = colon + 1; c < eol; c++)
			FUZZ_CHECK(*c != '\r' && *c != '\n' && *c != '\0',
				   "answer %d: control character in header \"%.*s\"", status,
				   (int)(colon - p), p);
		FUZZ_CHECK(nh < sizeof h / sizeof *h, "answer %d: more than 64 headers", status);
		const char *v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		h[nh++] = (header_line){p, v, (size_t)(colon - p), (size_t)(eol - v)};
	}

	size_t vn = 0, body = 0;
	const char *cl = find_header(h, nh, "Content-Length", &vn);
	const char *te = find_header(h, nh, "Transfer-Encoding", &vn);
	FUZZ_CHECK(!te, "answer %d is chunked: the engine's answers are whole buffers", status);
	if (status >= 100 && status < 200)
		return; /* 100 Continue: the real answer follows */
	if (cl) {
		char *end;
		unsigned long long len = strtoull(cl, &end, 10);
		FUZZ_CHECK(end != cl, "answer %d: bad Content-Length", status);
		/*
		 * An answer to HEAD announces its length without a body. Which request of a
		 * pipeline was HEAD is not known here, so no body is accepted when what
		 * follows is the next status line or the end.
		 */
		size_t rest = a->n - a->at;
		if (len <= rest && (len == rest || memcmp(a->p + a->at + len, "HTTP/1.",
							  rest - len < 7 ? rest - len : 7) == 0))
			body = (size_t)len;
		else
			FUZZ_CHECK(rest == 0 || starts(a, "HTTP/1."),
				   "answer %d: a body of %llu bytes announced, %zu bytes follow",
				   status, len, rest);
	} else {
		body = a->n - a->at; /* until the engine closes */
	}
	if (find_header(h, nh, "X-Request-Id", &vn))
		check_engine_answer(status, h, nh, a->p + a->at, body);
	a->at += body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0; /* a body limit test belongs to the HTTP suite, not to each run */
	buf req = BUF_INIT, answer = BUF_INIT;
	substitute(data, size, &req);
	exchange(req.data ? req.data : "", req.len, &answer);
	bool complete = must_answer(req.data ? req.data : "", req.len);
	FUZZ_CHECK(!complete || answer.len > 0,
		   "a complete, well-formed request got no answer (the connection was closed)");
	answer_view a = {answer.data, answer.len, 0};
	if (getenv("FUZZ_SHOW")) /* what was asked and answered, one line each */
		fprintf(stderr, "> %.*s\n< %.*s\n", (int)strcspn(buf_cstr(&req), "\r\n"),
			buf_cstr(&req), (int)strcspn(buf_cstr(&answer), "\r\n"), buf_cstr(&answer));
	while (a.at < a.n)
		check_response(&a);
	buf_free(&req);
	buf_free(&answer);
	return 0;
}
