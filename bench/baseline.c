/*
 * baseline — the fastest answer libmicrohttpd can give on this machine, for `make bench`.
 *
 * A minimal server that answers every request with one fixed HTML page of a given size,
 * built once at start-up and shared by every connection. It starts libmicrohttpd exactly
 * as engine/server.c does (a pool of internal polling threads with epoll, one per core,
 * suspend/resume allowed, the same connection, memory and backlog limits) and sends the
 * same response headers, so the ratio "engine req/s / baseline req/s" printed by
 * bench/run.sh measures what the engine adds (routing, session lookup, SQLite, rendering,
 * logging) and not what the HTTP library or the kernel costs.
 *
 * The answer is queued on the SECOND call of the access handler: the first call only
 * marks the connection (*con_cls). Answering on the first call makes libmicrohttpd
 * 0.9.75 close the connection after the answer, and the bench would measure TCP set-up.
 *
 * Usage: baseline [--size BYTES] [--port PORT] [--threads N]
 *   --size     body size in bytes (default 8192): run.sh passes the form page's size
 *   --port     port on 127.0.0.1 (default 0: any free port)
 *   --threads  thread pool size (default: online cores, as the engine)
 * Prints "port N" on stdout once listening, then serves until SIGINT or SIGTERM.
 * Listens on 127.0.0.1 only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SIZE (64UL * 1024 * 1024)

static struct MHD_Response *page; /* shared by every connection; MHD refcounts it */
static int connection_marker;     /* *con_cls points here after the first call */

static void usage(void)
{
	fprintf(stderr, "usage: baseline [--size BYTES] [--port PORT] [--threads N]\n");
	exit(2);
}

static unsigned long parse_num(const char *s, unsigned long max)
{
	char *end = NULL;
	unsigned long v;

	if (s == NULL || *s == '\0')
		usage();
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		usage();
	return v;
}

/* Fills buf[0..size) with an HTML-looking page; always exactly size bytes. */
static void fill_page(char *buf, size_t size)
{
	static const char head[] = "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
	                           "<title>baseline</title></head><body><main><h1>Baseline</h1>\n";
	static const char tail[] = "</main></body></html>\n";
	static const char line[] = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing.</p>\n";
	size_t pos = 0;

	if (size < sizeof head - 1 + sizeof tail - 1) {
		memset(buf, 'x', size);
		return;
	}
	memcpy(buf, head, sizeof head - 1);
	pos = sizeof head - 1;
	while (pos + sizeof tail - 1 < size) {
		size_t room = size - (sizeof tail - 1) - pos;
		size_t n = room < sizeof line - 1 ? room : sizeof line - 1;
		memcpy(buf + pos, line, n);
		pos += n;
	}
	memcpy(buf + pos, tail, sizeof tail - 1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;

	if (*con_cls == NULL) {
		*con_cls = &connection_marker;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* ignore any body */
		return MHD_YES;
	}
	return MHD_queue_response(connection, MHD_HTTP_OK, page);
}

int main(int argc, char **argv)
{
	size_t size = 8192;
	unsigned long port = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int threads = cores > 0 ? (unsigned int)cores : 1;
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t stop;
	char *body;
	int sig = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
			size = parse_num(argv[++i], MAX_SIZE);
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = parse_num(argv[++i], 65535);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = (unsigned int)parse_num(argv[++i], 1024);
		else
			usage();
	}
	if (threads == 0)
		threads = 1;

	body = malloc(size ? size : 1);
	if (body == NULL) {
		fprintf(stderr, "baseline: out of memory\n");
		return 1;
	}
	fill_page(body, size);
	page = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_MUST_FREE);
	if (page == NULL) {
		fprintf(stderr, "baseline: cannot create the response\n");
		free(body);
		return 1;
	}
	/* The headers every engine page carries (engine/server.c, send_answer), so both
	 * answers have the same size on the wire. */
	MHD_add_response_header(page, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(page, "Content-Security-Policy",
	                        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
	                        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(page, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(page, "Referrer-Policy", "same-origin");
	MHD_add_response_header(page, "X-Frame-Options", "DENY");
	MHD_add_response_header(page, "Cache-Control", "no-store");
	MHD_add_response_header(page, "X-Request-Id", "0123456789abcdef");

	/* Block the stop signals before MHD starts its threads, so they inherit the mask and
	 * only sigwait() below receives them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	/* The engine's flags and options (engine/server.c, server_run). */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                             MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
	                     0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
	                     (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
	                     MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_CONNECTION_LIMIT, 4096U,
	                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
	                     MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024U, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "baseline: cannot listen on 127.0.0.1:%lu\n", port);
		MHD_destroy_response(page);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("port %u\n", info != NULL ? (unsigned int)info->port : (unsigned int)port);
	fflush(stdout);

	while (sigwait(&stop, &sig) != 0)
		;
	MHD_stop_daemon(d);
	MHD_destroy_response(page);
	return 0;
}
