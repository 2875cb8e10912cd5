/*
 * store_db — the driver interface's common part (see store_db.h): dispatch to the
 * engine of the connection, the statement cache both engines use, the query builder
 * and the placeholder translation for PostgreSQL.
 */
#include "store_db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"
#include "util.h"

/* ---- dispatch ---- */

int db_query(conn *c, const char *sql, const db_arg *a, int n, db_rows *out)
{
	memset(out, 0, sizeof *out);
	out->c = c;
	int rc = c->kind == DB_PG ? pg_query(c, sql, a, n, out) : lite_query(c, sql, a, n, out);
	out->rc = rc;
	return rc;
}

bool db_next(db_rows *r)
{
	if (r->rc != STORE_OK || !r->st)
		return false;
	return r->c->kind == DB_PG ? pg_next(r) : lite_next(r);
}

int db_type(const db_rows *r, int col)
{
	return r->c->kind == DB_PG ? pg_type(r, col) : lite_type(r, col);
}

int64_t db_int(const db_rows *r, int col)
{
	return r->c->kind == DB_PG ? pg_int(r, col) : lite_int(r, col);
}

double db_real(const db_rows *r, int col)
{
	return r->c->kind == DB_PG ? pg_real(r, col) : lite_real(r, col);
}

const char *db_text(const db_rows *r, int col)
{
	return r->c->kind == DB_PG ? pg_text(r, col) : lite_text(r, col);
}

size_t db_len(const db_rows *r, int col)
{
	return r->c->kind == DB_PG ? pg_len(r, col) : lite_len(r, col);
}

char *db_dup(const db_rows *r, int col)
{
	return xstrdup(db_text(r, col));
}

int db_done(db_rows *r)
{
	if (r->c && r->st) {
		if (r->c->kind == DB_PG)
			pg_done(r);
		else
			lite_done(r);
	}
	r->st = NULL;
	return r->rc;
}

int db_exec(conn *c, const char *sql, const db_arg *a, int n, int64_t *changes)
{
	db_rows r;
	int rc = db_query(c, sql, a, n, &r);
	while (rc == STORE_OK && db_next(&r))
		;
	rc = db_done(&r);
	if (changes)
		*changes = rc == STORE_OK ? r.changes : 0;
	return rc;
}

int db_int_query(conn *c, const char *sql, const db_arg *a, int n, int64_t *out)
{
	db_rows r;
	int rc = db_query(c, sql, a, n, &r);
	if (rc == STORE_OK) {
		if (db_next(&r))
			*out = db_int(&r, 0);
		else if (r.rc == STORE_OK)
			r.rc = STORE_NOTFOUND;
	}
	return db_done(&r);
}

int db_script(conn *c, const char *sql, char err[STORE_ERR_LEN])
{
	return c->kind == DB_PG ? pg_script(c, sql, err) : lite_script(c, sql, err);
}

bool db_in_tx(conn *c)
{
	return c->kind == DB_PG ? pg_in_tx(c) : lite_in_tx(c);
}

const char *db_errmsg(conn *c)
{
	if (!c || !c->h)
		return "no connection";
	return c->kind == DB_PG ? pg_errmsg(c) : lite_errmsg(c);
}

int db_fail(conn *c, int rc, const char *what)
{
	log_message("store", "%s error=\"%s\" during=%s",
		    c && c->kind == DB_PG ? "postgresql" : "sqlite", db_errmsg(c), what);
	return rc;
}

void db_close(conn *c)
{
	if (!c)
		return;
	if (c->h) {
		if (c->kind == DB_PG)
			pg_close(c);
		else
			lite_close(c);
	}
	db_cache_clear(c);
	c->h = NULL;
}

/* ---- the statement cache ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

db_slot *db_cache_get(conn *c, const char *sql)
{
	if (!c->cap)
		return NULL;
	uint64_t h = hash_str(sql);
	for (size_t j = h & (c->cap - 1); c->slots[j].sql; j = (j + 1) & (c->cap - 1))
		if (c->slots[j].hash == h && strcmp(c->slots[j].sql, sql) == 0)
			return &c->slots[j];
	return NULL;
}

void db_cache_clear(conn *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].sql);
	free(c->slots);
	c->slots = NULL;
	c->cap = c->n = 0;
}

db_slot *db_cache_put(conn *c, const char *sql)
{
	if ((c->n + 1) * 2 > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;
		db_slot *ns = xcalloc(ncap, sizeof *ns);
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->slots[i].sql)
				continue;
			size_t j = c->slots[i].hash & (ncap - 1);
			while (ns[j].sql)
				j = (j + 1) & (ncap - 1);
			ns[j] = c->slots[i];
		}
		free(c->slots);
		c->slots = ns;
		c->cap = ncap;
	}
	uint64_t h = hash_str(sql);
	size_t j = h & (c->cap - 1);
	while (c->slots[j].sql)
		j = (j + 1) & (c->cap - 1);
	c->slots[j] = (db_slot){.sql = xstrdup(sql), .hash = h};
	c->n++;
	return &c->slots[j];
}

/* ---- SQL text ---- */

void db_put_ident(buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static db_arg *qb_push(qb *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->v = xrealloc(b->v, b->cap * sizeof *b->v);
	}
	db_arg *a = &b->v[b->n++];
	memset(a, 0, sizeof *a);
	return a;
}

void qb_text(qb *b, const char *s)
{
	*qb_push(b) = DB_S(s);
}

void qb_text_own(qb *b, char *s)
{
	*qb_push(b) = DB_S(s);
	b->owned = xrealloc(b->owned, (b->nowned + 1) * sizeof *b->owned);
	b->owned[b->nowned++] = s;
}

void qb_int(qb *b, int64_t i)
{
	*qb_push(b) = DB_I(i);
}

void qb_real(qb *b, double d)
{
	*qb_push(b) = DB_D(d);
}

void qb_arg(qb *b, db_arg a)
{
	*qb_push(b) = a;
}

void qb_free(qb *b)
{
	for (size_t i = 0; i < b->nowned; i++)
		free(b->owned[i]);
	free(b->owned);
	free(b->v);
	buf_free(&b->sql);
	memset(b, 0, sizeof *b);
}

int qb_query(conn *c, const qb *b, db_rows *out)
{
	return db_query(c, buf_cstr((buf *)&b->sql), b->v, (int)b->n, out);
}

int qb_exec(conn *c, const qb *b, int64_t *changes)
{
	return db_exec(c, buf_cstr((buf *)&b->sql), b->v, (int)b->n, changes);
}

char *db_pg_placeholders(const char *sql)
{
	buf out = BUF_INIT;
	int next = 1;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			buf_putc(&out, *p);
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			buf_putc(&out, *p);
			continue;
		}
		if (*p != '?') {
			buf_putc(&out, *p);
			continue;
		}
		if (p[1] >= '0' && p[1] <= '9') {
			buf_putc(&out, '$');
			continue; /* ?N is $N */
		}
		buf_printf(&out, "$%d", next++);
	}
	return buf_steal(&out);
}
