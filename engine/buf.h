/*
 * buf — growable byte buffers and bump arenas.
 *
 * Every piece of text the engine produces (HTML, SQL, CSV, log lines) is built in a
 * `buf`. HTML escaping lives here so that renderers escape by construction: the only
 * way to put user text in a page is buf_html(). An `arena` owns many small
 * allocations that die together (one request, one app definition).
 *
 * Allocation failure is fatal (xmalloc aborts): the engine runs on machines where an
 * out-of-memory condition is not recoverable in any meaningful way, and a half-built
 * answer is worse than a restart. Neither type is thread-safe; each has one owner.
 */
#ifndef SMALLAPPS_BUF_H
#define SMALLAPPS_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s); /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);

typedef struct buf {
	char *data; /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
} buf;

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void buf_reserve(buf *b, size_t extra);
void buf_add(buf *b, const void *p, size_t n);
void buf_puts(buf *b, const char *s); /* literal or trusted text, not escaped */
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_html(buf *b, const char *s); /* escapes & < > " ' ; NULL adds nothing */
void buf_html_n(buf *b, const char *s, size_t n);
void buf_urlenc(buf *b, const char *s); /* percent-encodes all but unreserved */
void buf_reset(buf *b);			/* len = 0, keeps memory */
void buf_free(buf *b);
char *buf_steal(buf *b);      /* caller frees; buffer is reset to empty */
const char *buf_cstr(buf *b); /* "" when empty; borrowed */

/* Bump allocator; everything it returns is freed by arena_free. */
typedef struct arena_block arena_block;
typedef struct arena {
	arena_block *head;
} arena;

#define ARENA_INIT                                                                                 \
	{                                                                                          \
		NULL                                                                               \
	}

void *arena_alloc(arena *a, size_t n);	     /* zeroed, 16-byte aligned */
char *arena_strdup(arena *a, const char *s); /* NULL stays NULL */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(arena *a);

#endif
