/*
 * download — a file field's content as an HTTP answer (see download.h).
 */
#include "download.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long dl_fill(void *state, char *out, size_t max)
{
	long n = uc_file_read(state, out, max);
	return n > 0 ? n : n == 0 ? REQ_STREAM_END : REQ_STREAM_FAIL;
}

static void dl_done(void *state)
{
	uc_file_close(state);
	free(state);
}

/* A MIME type as libmagic writes it; anything else is sent as bytes. */
static bool type_ok(const char *t)
{
	if (!t || !*t || strlen(t) > 100 || !strchr(t, '/'))
		return false;
	for (const char *p = t; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    !strchr("/.+-", *p))
			return false;
	return true;
}

void download_answer(req *r, uc_file *f)
{
	buf cd = BUF_INIT;
	buf_puts(&cd, "attachment; filename*=UTF-8''");
	buf_urlenc(&cd, f->name);
	req_add_header(r, "Content-Disposition", buf_cstr(&cd));
	buf_free(&cd);
	const char *type =
	    arena_strdup(&r->mem, type_ok(f->type) ? f->type : "application/octet-stream");
	uc_file *s = xmalloc(sizeof *s); /* the stream's from here on */
	*s = *f;
	memset(f, 0, sizeof *f);
	req_stream st = {.fill = dl_fill, .done = dl_done, .state = s};
	req_stream_answer(r, type, &st);
}
