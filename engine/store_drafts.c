/*
 * store_drafts — the `_drafts` table of an app database (see store_drafts.h). The same
 * parameterized SQL on SQLite and PostgreSQL (store_db.h); the table is made with the
 * engine's other tables when the app database is opened (store.c).
 */
#include "store_drafts.h"

#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

#define COLS                                                                                       \
	"\"id\", \"form\", \"owner\", \"token_hash\", \"fields\", \"step\", \"created_at\", "      \
	"\"updated_at\", \"expires_at\""

void store_draft_clear(store_draft *d)
{
	free(d->form);
	free(d->owner);
	free(d->token_hash);
	free(d->fields);
	free(d->created_at);
	free(d->updated_at);
	free(d->expires_at);
	memset(d, 0, sizeof *d);
}

void store_drafts_free(store_draft *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_draft_clear(&v[i]);
	free(v);
}

static void read_row(const db_rows *r, store_draft *d)
{
	d->id = db_int(r, 0);
	d->form = db_dup(r, 1);
	d->owner = db_dup(r, 2);
	d->token_hash = db_dup(r, 3);
	d->fields = db_dup(r, 4);
	d->step = (int)db_int(r, 5);
	d->created_at = db_dup(r, 6);
	d->updated_at = db_dup(r, 7);
	d->expires_at = db_dup(r, 8);
}

/* The rows of a query (tmpl, one argument) into *out; NOTFOUND when one is wanted and none. */
static int read_rows(store *s, const char *tmpl, db_arg a, store_draft **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	conn *c = NULL;
	db_rows r = {0};
	buf sql = BUF_INIT;
	size_t cap = 0;
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK && (rc = db_query(c, store_sql(s, &sql, tmpl), &a, 1, &r)) == STORE_OK) {
		while (db_next(&r)) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 8;
				*out = xrealloc(*out, cap * sizeof **out);
			}
			memset(&(*out)[*n], 0, sizeof **out);
			read_row(&r, &(*out)[(*n)++]);
		}
		rc = db_done(&r);
	}
	if (rc != STORE_OK) {
		db_fail(c, rc, "drafts read");
		store_drafts_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	store_reader_give(s, c);
	buf_free(&sql);
	return rc;
}

static int read_one(store *s, const char *tmpl, db_arg a, store_draft *out)
{
	memset(out, 0, sizeof *out);
	store_draft *v;
	size_t n;
	int rc = read_rows(s, tmpl, a, &v, &n);
	if (rc != STORE_OK)
		return rc;
	if (n == 0) {
		free(v);
		return STORE_NOTFOUND;
	}
	*out = v[0];
	memset(&v[0], 0, sizeof v[0]);
	store_drafts_free(v, n);
	return STORE_OK;
}

int store_draft_get(store *s, int64_t id, store_draft *out)
{
	return read_one(s, "SELECT " COLS " FROM {_drafts} WHERE \"id\" = ?", DB_I(id), out);
}

int store_draft_by_token(store *s, const char *token_hash, store_draft *out)
{
	return read_one(s, "SELECT " COLS " FROM {_drafts} WHERE \"token_hash\" = ?",
			DB_S(token_hash), out);
}

int store_drafts_of(store *s, const char *owner, store_draft **out, size_t *n)
{
	return read_rows(s,
			 "SELECT " COLS " FROM {_drafts} WHERE \"owner\" = ? "
			 "ORDER BY \"updated_at\" DESC, \"id\" DESC",
			 DB_S(owner), out, n);
}

static int apply_put(store_tx *tx, void *arg)
{
	store_draft *d = arg;
	if (d->id) {
		int64_t changes = 0;
		int rc = store_exec(tx,
				    "UPDATE {_drafts} SET \"fields\" = ?, \"step\" = ?, "
				    "\"updated_at\" = ?, \"expires_at\" = ? WHERE \"id\" = ? AND "
				    "\"form\" = ? AND \"owner\" IS NOT DISTINCT FROM ?",
				    DB_ARGS(DB_S(d->fields), DB_I(d->step), DB_S(d->updated_at),
					    DB_S(d->expires_at), DB_I(d->id), DB_S(d->form),
					    DB_S(d->owner)),
				    &changes);
		if (rc != STORE_OK)
			return db_fail(tx->c, rc, "draft update");
		return changes ? STORE_OK : STORE_NOTFOUND;
	}
	buf sql = BUF_INIT;
	db_rows r = {0};
	int rc = db_query(
	    tx->c,
	    store_sql(tx->s, &sql,
		      "INSERT INTO {_drafts} (\"form\", \"owner\", \"token_hash\", "
		      "\"fields\", \"step\", \"created_at\", \"updated_at\", "
		      "\"expires_at\") VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING \"id\""),
	    DB_ARGS(DB_S(d->form), DB_S(d->owner), DB_S(d->token_hash), DB_S(d->fields),
		    DB_I(d->step), DB_S(d->created_at), DB_S(d->updated_at), DB_S(d->expires_at)),
	    &r);
	if (rc == STORE_OK) {
		if (db_next(&r))
			d->id = db_int(&r, 0);
		rc = db_done(&r);
	}
	buf_free(&sql);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "draft insert");
}

int store_draft_put(store *s, store_draft *d)
{
	return store_write_sync(s, apply_put, d);
}

int store_tx_draft_delete(store_tx *tx, int64_t id)
{
	int64_t changes = 0;
	int rc =
	    store_exec(tx, "DELETE FROM {_drafts} WHERE \"id\" = ?", DB_ARGS(DB_I(id)), &changes);
	if (rc != STORE_OK)
		return db_fail(tx->c, rc, "draft delete");
	return changes ? STORE_OK : STORE_NOTFOUND;
}

static int apply_delete(store_tx *tx, void *arg)
{
	return store_tx_draft_delete(tx, *(int64_t *)arg);
}

int store_draft_delete(store *s, int64_t id)
{
	return store_write_sync(s, apply_delete, &id);
}

typedef struct purge_arg {
	const char *now;
	int64_t n;
} purge_arg;

static int apply_purge(store_tx *tx, void *arg)
{
	purge_arg *p = arg;
	int rc = store_exec(tx, "DELETE FROM {_drafts} WHERE \"expires_at\" < ?",
			    DB_ARGS(DB_S(p->now)), &p->n);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "drafts purge");
}

int store_drafts_purge(store *s, const char *now, int64_t *n)
{
	*n = 0;
	/* A read first: a pass with nothing due costs no write (and no fsync). */
	conn *c = NULL;
	db_rows r = {0};
	buf sql = BUF_INIT;
	bool due = false;
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK &&
	    (rc = db_query(
		 c,
		 store_sql(s, &sql,
			   "SELECT \"id\" FROM {_drafts} WHERE \"expires_at\" < ? LIMIT 1"),
		 DB_ARGS(DB_S(now)), &r)) == STORE_OK) {
		due = db_next(&r);
		rc = db_done(&r);
	}
	if (rc != STORE_OK)
		db_fail(c, rc, "drafts due");
	store_reader_give(s, c);
	buf_free(&sql);
	if (rc != STORE_OK || !due)
		return rc;
	purge_arg p = {.now = now, .n = 0};
	rc = store_write_sync(s, apply_purge, &p);
	*n = rc == STORE_OK ? p.n : 0;
	return rc;
}
