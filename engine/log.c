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

void log_vmessage(const char *component, const char *fmt, va_list ap)
{
	if (atomic_load(&quiet_flag))
		return;
	buf b = BUF_INIT;
	stamp(&b);
	buf_printf(&b, " %s ", component);
	buf_vprintf(&b, fmt, ap);
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
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
