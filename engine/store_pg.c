/*
 * store_pg — the PostgreSQL driver of store_db.h, over libpq.
 *
 * Statements are prepared once per connection under a name ("s<N>") and cached by
 * their text; parameters and results travel as text. Every connection is opened
 * with a connect timeout, TCP keepalives and a statement timeout, so a database
 * that went away costs a request a few seconds at most, never a hang.
 *
 * Result codes: unique violation -> STORE_CONFLICT; a lost link, a server shutting
 * down or starting, a statement or lock timeout, a deadlock or serialization
 * failure -> STORE_UNAVAILABLE (a 503: try again), and the connection is marked
 * broken when the link itself is gone so that its pool drops it; the rest ->
 * STORE_ERROR, logged with the statement.
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_db.h"
#include "store_int.h"
#include "util.h"

#define PG_CACHE_MAX	     2048 /* statements per connection (every app shares them) */
#define PG_CONNECT_TIMEOUT   "3"  /* seconds */
#define PG_STATEMENT_TIMEOUT 5000 /* ms: longer waits answer 503, not a hang */

/* OIDs of the built-in types the store uses (pg_type.h, stable across versions). */
enum {
	OID_BOOL = 16,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_NUMERIC = 1700
};

static PGconn *pg_of(conn *c)
{
	return c->h;
}

/* The server's NOTICEs ("already exists, skipping") are not the log's business. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int pg_connect(const char *conninfo, conn *c, char err[STORE_ERR_LEN])
{
	memset(c, 0, sizeof *c);
	c->kind = DB_PG;
	/* The URL's own settings win; these are the defaults a server process needs. */
	const char *keys[] = {
	    "connect_timeout",	"keepalives",	    "keepalives_idle", "keepalives_interval",
	    "keepalives_count", "application_name", "dbname",	       NULL};
	const char *vals[] = {PG_CONNECT_TIMEOUT, "1", "10", "3", "3", "smallapps", conninfo, NULL};
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		const char *m = pg ? PQerrorMessage(pg) : "out of memory";
		store_seterr(err, STORE_UNAVAILABLE, "PostgreSQL: %.*s", (int)strcspn(m, "\n"), m);
		PQfinish(pg);
		return STORE_UNAVAILABLE;
	}
	PQsetNoticeProcessor(pg, quiet, NULL);
	c->h = pg;
	c->since = time(NULL);
	char sql[160];
	snprintf(sql, sizeof sql,
		 "SET statement_timeout = %d; SET client_encoding = 'UTF8'; "
		 "SET standard_conforming_strings = on",
		 PG_STATEMENT_TIMEOUT);
	if (pg_script(c, sql, err) != STORE_OK) {
		PQfinish(pg);
		c->h = NULL;
		return STORE_UNAVAILABLE;
	}
	return STORE_OK;
}

/* What a failed result means for the caller, and whether the link is gone. */
static int classify(conn *c, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(pg_of(c)) != CONNECTION_OK) {
		c->broken = true;
		return STORE_UNAVAILABLE;
	}
	if (!state)
		return STORE_ERROR;
	if (strcmp(state, "23505") == 0)
		return STORE_CONFLICT;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
		c->broken =
		    true; /* connection exception, admin shutdown, crash, cannot connect now */
		return STORE_UNAVAILABLE;
	}
	if (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0 ||
	    strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strncmp(state, "53", 2) == 0)
		return STORE_UNAVAILABLE; /* timeout, lock, serialization, deadlock, resources */
	return STORE_ERROR;
}

static int failed(conn *c, PGresult *res, const char *sql)
{
	int rc = classify(c, res);
	if (rc == STORE_ERROR)
		log_message("store", "postgresql error=\"%s\" sql=\"%.300s\"",
			    res ? PQresultErrorMessage(res) : PQerrorMessage(pg_of(c)), sql);
	PQclear(res);
	return rc;
}

static void flush_cache(conn *c)
{
	/* Names are never reused, so a failed DEALLOCATE only leaves unused plans behind
	 * until the pool renews the connection. */
	PQclear(PQexec(pg_of(c), "DEALLOCATE ALL"));
	db_cache_clear(c);
}

/* The name of the prepared statement for sql, prepared on first use. */
static int statement(conn *c, const char *sql, char name[16])
{
	db_slot *sl = db_cache_get(c, sql);
	if (sl) {
		snprintf(name, 16, "s%u", sl->id);
		return STORE_OK;
	}
	if (c->n >= PG_CACHE_MAX)
		flush_cache(c);
	unsigned id = ++c->next_name;
	snprintf(name, 16, "s%u", id);
	char *text = db_pg_placeholders(sql);
	PGresult *res = PQprepare(pg_of(c), name, text, 0, NULL);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? STORE_OK : failed(c, res, text);
	if (rc == STORE_OK) {
		PQclear(res);
		db_cache_put(c, sql)->id = id;
	}
	free(text);
	return rc;
}

/* The arguments as text, in vals (strings in nums for numbers). */
static void as_text(const db_arg *a, int n, const char **vals, char (*nums)[32])
{
	for (int i = 0; i < n; i++) {
		switch (a[i].kind) {
		case 'i':
			snprintf(nums[i], 32, "%" PRId64, a[i].i);
			vals[i] = nums[i];
			break;
		case 'd':
			snprintf(nums[i], 32, "%.17g", a[i].d);
			vals[i] = nums[i];
			break;
		case 's':
			vals[i] = a[i].s;
			break;
		default:
			vals[i] = NULL;
			break;
		}
	}
}

int pg_query(conn *c, const char *sql, const db_arg *a, int n, db_rows *out)
{
	if (c->broken)
		return STORE_UNAVAILABLE;
	char name[16];
	int rc = statement(c, sql, name);
	if (rc != STORE_OK)
		return rc;
	const char *vals_small[16];
	char nums_small[16][32];
	const char **vals = n <= 16 ? vals_small : xcalloc((size_t)n, sizeof *vals);
	char(*nums)[32] = n <= 16 ? nums_small : xcalloc((size_t)n, sizeof *nums);
	as_text(a, n, vals, nums);
	PGresult *res = PQexecPrepared(pg_of(c), name, n, vals, NULL, NULL, 0);
	if (n > 16) {
		free(vals);
		free(nums);
	}
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		return failed(c, res, sql);
	out->st = res;
	out->row = -1;
	out->nrows = PQntuples(res);
	const char *touched = PQcmdTuples(res);
	out->changes = touched && *touched ? strtoll(touched, NULL, 10) : 0;
	return STORE_OK;
}

bool pg_next(db_rows *r)
{
	return ++r->row < r->nrows;
}

int pg_type(const db_rows *r, int col)
{
	if (PQgetisnull(r->st, r->row, col))
		return DB_T_NULL;
	switch (PQftype(r->st, col)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return DB_T_INT;
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return DB_T_REAL;
	default:
		return DB_T_TEXT;
	}
}

int64_t pg_int(const db_rows *r, int col)
{
	if (PQgetisnull(r->st, r->row, col))
		return 0;
	const char *v = PQgetvalue(r->st, r->row, col);
	if (PQftype(r->st, col) == OID_BOOL)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

double pg_real(const db_rows *r, int col)
{
	if (PQgetisnull(r->st, r->row, col))
		return 0;
	return strtod(PQgetvalue(r->st, r->row, col), NULL);
}

const char *pg_text(const db_rows *r, int col)
{
	if (r->row < 0 || r->row >= r->nrows || PQgetisnull(r->st, r->row, col))
		return NULL;
	return PQgetvalue(r->st, r->row, col);
}

size_t pg_len(const db_rows *r, int col)
{
	return (size_t)PQgetlength(r->st, r->row, col);
}

void pg_done(db_rows *r)
{
	PQclear(r->st);
}

int pg_script(conn *c, const char *sql, char err[STORE_ERR_LEN])
{
	if (c->broken)
		return STORE_UNAVAILABLE;
	PGresult *res = PQexec(pg_of(c), sql);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
		PQclear(res);
		return STORE_OK;
	}
	const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(pg_of(c));
	store_seterr(err, STORE_ERROR, "%.*s", (int)strcspn(m, "\n"), m);
	return failed(c, res, sql);
}

bool pg_in_tx(conn *c)
{
	PGTransactionStatusType t = PQtransactionStatus(pg_of(c));
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

const char *pg_errmsg(conn *c)
{
	return PQerrorMessage(pg_of(c));
}

bool pg_alive(conn *c)
{
	if (!c->h || c->broken || PQstatus(pg_of(c)) != CONNECTION_OK)
		return false;
	/*
	 * An idle connection has nothing to read: readable means the server spoke first,
	 * which it does only to say goodbye (a restart, an administrator). One poll, no
	 * round trip; the request then gets a fresh connection instead of a 503.
	 */
	struct pollfd p = {.fd = PQsocket(pg_of(c)), .events = POLLIN};
	if (p.fd < 0)
		return false;
	if (poll(&p, 1, 0) > 0 &&
	    (!PQconsumeInput(pg_of(c)) || PQstatus(pg_of(c)) != CONNECTION_OK)) {
		c->broken = true;
		return false;
	}
	return true;
}

void pg_close(conn *c)
{
	PQfinish(pg_of(c));
	c->h = NULL;
}

int pg_listen(conn *c, const char *channel)
{
	buf sql = BUF_INIT;
	buf_puts(&sql, "LISTEN ");
	db_put_ident(&sql, channel);
	int rc = pg_script(c, buf_cstr(&sql), NULL);
	buf_free(&sql);
	return rc;
}

int pg_wait_notify(conn *c, int ms)
{
	PGconn *pg = pg_of(c);
	PGnotify *n;
	int got = 0;
	while ((n = PQnotifies(pg))) {
		got = 1;
		PQfreemem(n);
	}
	if (got)
		return 1;
	struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
	if (p.fd < 0)
		return -1;
	int r = poll(&p, 1, ms);
	if (r == 0)
		return 0;
	if (r < 0 || !PQconsumeInput(pg) || PQstatus(pg) != CONNECTION_OK) {
		c->broken = true;
		return -1;
	}
	while ((n = PQnotifies(pg))) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}
