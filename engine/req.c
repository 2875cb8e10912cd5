/*
 * req — the request object's helpers (see req.h): reading what was received,
 * decoding urlencoded text, setting the answer, parking for asynchronous work.
 * Nothing here knows libmicrohttpd: the glue lends suspend and resume.
 */
#include "req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const char *kvs_find(const req_kvs *k, const char *name, bool nocase)
{
	for (size_t i = 0; i < k->n; i++)
		if (nocase ? strcasecmp(k->v[i].name, name) == 0 : strcmp(k->v[i].name, name) == 0)
			return k->v[i].value;
	return NULL;
}

const char *req_kvs_get(const req_kvs *k, const char *name)
{
	return kvs_find(k, name, false);
}

const char *req_query(const req *r, const char *name)
{
	return kvs_find(&r->query, name, false);
}

const char *req_header(const req *r, const char *name)
{
	return kvs_find(&r->headers, name, true);
}

const char *req_cookie(const req *r, const char *name)
{
	return kvs_find(&r->cookies, name, false);
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

/* Decodes %XX and '+' in [s, s+n) into the arena; NULL on a broken escape, a NUL or bad UTF-8. */
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
			int h = hexval((unsigned char)s[i + 1]),
			    l = hexval((unsigned char)s[i + 2]);
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

int req_parse_urlencoded(arena *a, const char *s, size_t n, req_kvs *out)
{
	size_t count = 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '&')
			count++;
	out->v = arena_alloc(a, count * sizeof *out->v);
	out->n = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '&')
			j++;
		if (j > i) {
			const char *eq = memchr(s + i, '=', j - i);
			size_t nl = eq ? (size_t)(eq - (s + i)) : j - i;
			char *name = form_decode(a, s + i, nl);
			char *val = eq ? form_decode(a, eq + 1, (size_t)(s + j - eq - 1))
				       : arena_strdup(a, "");
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

int req_parse_form(req *r, req_kvs *out)
{
	if (r->multipart) {
		for (size_t i = 0; i < r->form.n; i++) {
			const char *v = r->form.v[i].value;
			if (!util_utf8_valid(v, strlen(v)) ||
			    !util_utf8_valid(r->form.v[i].name, strlen(r->form.v[i].name)))
				return -1;
		}
		if (r->body_broken)
			return -1;
		*out = r->form;
		return 0;
	}
	return req_parse_urlencoded(&r->mem, r->body.data ? r->body.data : "", r->body.len, out);
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

void req_stream_answer(req *r, const char *content_type, const req_stream *s)
{
	r->status = 200;
	r->content_type = content_type;
	buf_reset(&r->out);
	req_stream_drop(r);
	r->stream = *s;
}

void req_stream_drop(req *r)
{
	if (r->stream.done)
		r->stream.done(r->stream.state);
	r->stream = (req_stream){0};
}

/* The call's go_async: the connection waits, on no thread, until done. */
static void park(void *arg)
{
	req *r = arg;
	r->waiting = true;
	r->glue->suspend(r->conn);
}

/* The call's done, on whichever thread finished the work: cont runs on an HTTP thread. */
static void done(void *arg, uc_result *res)
{
	(void)res;
	req *r = arg;
	r->glue->resume(r->conn);
}

void req_call(req *r, uc_call *c, app_rt *app, const def_form *form, req_cont_fn cont)
{
	uc_call_init(c, r->env, app, form, &r->user, r->lg, &r->mem);
	c->client = r->client_key;
	c->go_async = park;
	c->done = done;
	c->arg = r;
	r->cont = cont;
}
