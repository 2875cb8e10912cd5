/*
 * log — structured lines on stderr (see log.h).
 */
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

static atomic_int quiet_flag;

void log_set_quiet(int quiet)
{
	atomic_store(&quiet_flag, quiet);
}

static void stamp(buf *b)
{
	char ts[32];
	util_iso_datetime(time(NULL), ts);
	buf_puts(b, ts);
}

static void emit(buf *b)
{
	buf_putc(b, '\n');
	ssize_t w = write(STDERR_FILENO, b->data, b->len);
	(void)w;
	buf_free(b);
}

/*
 * Messages carry text from outside (app code's ctx.log and print, which may log
 * what a citizen typed; Lua errors; SMTP answers): one message stays one line, its
 * control characters written as \n, \t, \xHH, and a message too long to read is cut,
 * so no one can forge a line or fill the disk with one call.
 */
void log_vmessage(const char *component, const char *fmt, va_list ap)
{
	if (atomic_load(&quiet_flag))
		return;
	buf msg = BUF_INIT;
	buf_vprintf(&msg, fmt, ap);
	while (msg.len > 0 && msg.data[msg.len - 1] == '\n')
		msg.data[--msg.len] = '\0';
	buf b = BUF_INIT;
	stamp(&b);
	buf_printf(&b, " %s ", component);
	size_t n = msg.len < LOG_MAX_MESSAGE ? msg.len : LOG_MAX_MESSAGE;
	while (n > 0 && n < msg.len && ((unsigned char)msg.data[n] & 0xC0) == 0x80)
		n--; /* not in the middle of a UTF-8 character */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg.data[i];
		if (c == '\n')
			buf_puts(&b, "\\n");
		else if (c == '\t')
			buf_puts(&b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(&b, "\\x%02x", c);
		else
			buf_putc(&b, (char)c);
	}
	if (n < msg.len)
		buf_printf(&b, " [... %zu octets de plus]", msg.len - n);
	buf_free(&msg);
	emit(&b);
}

void log_message(const char *component, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmessage(component, fmt, ap);
	va_end(ap);
}

/* Paths are logged as given but without control characters (log injection). */
static void put_clean(buf *b, const char *s)
{
	for (; s && *s; s++)
		buf_putc(b, (unsigned char)*s < 0x20 || *s == 0x7f || *s == ' ' ? '?' : *s);
}

void log_request(const char *method, const char *path, int status, double ms, const char *user,
		 const char *id)
{
	if (atomic_load(&quiet_flag))
		return;
	buf b = BUF_INIT;
	stamp(&b);
	buf_puts(&b, " http method=");
	put_clean(&b, method);
	buf_puts(&b, " path=");
	put_clean(&b, path);
	buf_printf(&b, " status=%d ms=%.2f user=", status, ms);
	put_clean(&b, user ? user : "-");
	buf_printf(&b, " id=%s", id);
	emit(&b);
}
