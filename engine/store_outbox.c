/*
 * store_outbox — the rows of an app database's mail queue, _outbox (see store.h; the
 * queue's policy, delivery and retries are outbox.c's).
 *
 * Every status change is conditional (still 'pending', with the attempts it was read
 * with), so two senders, or a sender and an admin, never both act on a row.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"

int store_tx_outbox_add(store_tx *tx, const char *form, int64_t record_id, const char *at,
			const char *to, const char *subject, const char *body)
{
	int rc = store_exec(
	    tx,
	    "INSERT INTO {_outbox} (\"form\", \"record_id\", \"created_at\", \"to_spec\","
	    " \"subject\", \"body\", \"status\", \"attempts\", \"next_attempt_at\")"
	    " VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?)",
	    DB_ARGS(DB_S(form), DB_I(record_id), DB_S(at), DB_S(to), DB_S(subject), DB_S(body),
		    DB_S(at)),
	    NULL);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "outbox insert");
}

/* Columns: id, form, record_id, created_at, to_spec, subject, status, attempts,
 * next_attempt_at, last_error, sent_at, smtp_reply[, body]. */
#define ROW_COLS                                                                                   \
	"\"id\", \"form\", \"record_id\", \"created_at\", \"to_spec\", \"subject\", \"status\","   \
	" \"attempts\", \"next_attempt_at\", \"last_error\", \"sent_at\", \"smtp_reply\""

static void read_row(const db_rows *r, bool with_body, store_mail_row *m)
{
	memset(m, 0, sizeof *m);
	m->id = db_int(r, 0);
	m->form = db_dup(r, 1);
	m->record_id = db_int(r, 2);
	m->created_at = db_dup(r, 3);
	m->to = db_dup(r, 4);
	m->subject = db_dup(r, 5);
	m->status = db_dup(r, 6);
	m->attempts = (int)db_int(r, 7);
	m->next_attempt_at = db_dup(r, 8);
	m->last_error = db_dup(r, 9);
	m->sent_at = db_dup(r, 10);
	m->smtp_reply = db_dup(r, 11);
	if (with_body)
		m->body = db_dup(r, 12);
}

/* Runs a row query template with its arguments on a reader. */
static int read_rows(store *s, const char *tmpl, const db_arg *a, int na, bool with_body,
		     store_mail_row **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	conn *c = NULL;
	db_rows r;
	buf sql = BUF_INIT;
	size_t cap = 0;
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK && (rc = db_query(c, store_sql(s, &sql, tmpl), a, na, &r)) == STORE_OK) {
		while (db_next(&r)) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				*out = xrealloc(*out, cap * sizeof **out);
			}
			read_row(&r, with_body, &(*out)[(*n)++]);
		}
		rc = db_done(&r);
	}
	if (rc != STORE_OK) {
		db_fail(c, rc, "outbox read");
		store_outbox_rows_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	store_reader_give(s, c);
	buf_free(&sql);
	return rc;
}

int store_outbox_pending(store *s, int64_t *n)
{
	*n = 0;
	conn *c = NULL;
	int rc = store_reader_take(s, &c);
	buf sql = BUF_INIT;
	if (rc == STORE_OK)
		rc = db_int_query(
		    c,
		    store_sql(s, &sql,
			      "SELECT count(*) FROM {_outbox} WHERE \"status\" = 'pending'"),
		    DB_NOARGS, n);
	buf_free(&sql);
	if (c)
		store_reader_give(s, c);
	return rc;
}

int store_outbox_recent(store *s, int limit, store_mail_row **out, size_t *n)
{
	return read_rows(s, "SELECT " ROW_COLS " FROM {_outbox} ORDER BY \"id\" DESC LIMIT ?",
			 DB_ARGS(DB_I(limit)), false, out, n);
}

int store_outbox_due(store *s, const char *now_iso, int limit, store_mail_row **out, size_t *n)
{
	return read_rows(s,
			 "SELECT " ROW_COLS ", \"body\" FROM {_outbox}"
			 " WHERE \"status\" = 'pending' AND \"next_attempt_at\" <= ?"
			 " ORDER BY \"next_attempt_at\", \"id\" LIMIT ?",
			 DB_ARGS(DB_S(now_iso), DB_I(limit)), true, out, n);
}

void store_outbox_rows_free(store_mail_row *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		store_mail_row *r = &v[i];
		free(r->form);
		free(r->created_at);
		free(r->to);
		free(r->subject);
		free(r->body);
		free(r->status);
		free(r->next_attempt_at);
		free(r->last_error);
		free(r->sent_at);
		free(r->smtp_reply);
	}
	free(v);
}

/* A row for one recipient refused for now, queued with the text of the row it left. */
static int queue_retry(store_tx *tx, const store_mail_update *u, const char *addr)
{
	int64_t changed = 0;
	int rc = store_exec(
	    tx,
	    "INSERT INTO {_outbox} (\"form\", \"record_id\", \"created_at\", \"to_spec\","
	    " \"subject\", \"body\", \"status\", \"attempts\", \"next_attempt_at\","
	    " \"last_error\") SELECT \"form\", \"record_id\", \"created_at\","
	    " CAST(? AS TEXT), \"subject\", \"body\", 'pending', CAST(? AS INTEGER),"
	    " CAST(? AS TEXT), CAST(? AS TEXT) FROM {_outbox} WHERE \"id\" = ?",
	    DB_ARGS(DB_S(addr), DB_I(u->attempts), DB_S(u->retry_at), DB_S(u->retry_reply),
		    DB_I(u->id)),
	    &changed);
	return rc == STORE_OK && changed != 1 ? STORE_ERROR : rc;
}

static int apply_update(store_tx *tx, void *arg)
{
	const store_mail_update *u = arg;
	int64_t changed = 0;
	/*
	 * Several engines (PostgreSQL): a row another engine is claiming right now is
	 * skipped, not waited for (FOR UPDATE SKIP LOCKED); it is that engine's. The claim's
	 * next_attempt_at is its lease: until then no engine finds the row due, and if the
	 * claimer dies the row comes back after it (sent again, never lost).
	 */
	const char *sql =
	    tx->c->kind == DB_PG
		? "UPDATE {_outbox} SET \"status\" = ?, \"attempts\" = ?,"
		  " \"next_attempt_at\" = COALESCE(?, \"next_attempt_at\"),"
		  " \"last_error\" = COALESCE(?, \"last_error\"), \"sent_at\" = ?,"
		  " \"smtp_reply\" = ? WHERE \"id\" = (SELECT \"id\" FROM {_outbox} WHERE \"id\" = "
		  "?"
		  " AND \"status\" = 'pending' AND \"attempts\" = ? FOR UPDATE SKIP LOCKED)"
		: "UPDATE {_outbox} SET \"status\" = ?, \"attempts\" = ?,"
		  " \"next_attempt_at\" = COALESCE(?, \"next_attempt_at\"),"
		  " \"last_error\" = COALESCE(?, \"last_error\"), \"sent_at\" = ?,"
		  " \"smtp_reply\" = ? WHERE \"id\" = ? AND \"status\" = 'pending' AND"
		  " \"attempts\" = ?";
	int rc = store_exec(tx, sql,
			    DB_ARGS(DB_S(u->status), DB_I(u->attempts), DB_S(u->next_attempt_at),
				    DB_S(u->last_error), DB_S(u->sent_at), DB_S(u->smtp_reply),
				    DB_I(u->id), DB_I(u->expect_attempts)),
			    &changed);
	if (rc != STORE_OK)
		return db_fail(tx->c, rc, "outbox update");
	/* Not pending any more, or attempted meanwhile: someone else has it. */
	rc = changed == 1 ? STORE_OK : STORE_CONFLICT;
	/* A retry row that cannot be written must not undo the send: the others got it. Its
	 * own savepoint keeps a failed insert from aborting the job (PostgreSQL would). */
	for (size_t i = 0; rc == STORE_OK && i < u->nretry; i++) {
		if (db_exec(tx->c, "SAVEPOINT \"retry\"", DB_NOARGS, NULL) != STORE_OK)
			return STORE_ERROR;
		if (queue_retry(tx, u, u->retry_to[i]) != STORE_OK) {
			log_message("outbox",
				    "id=%" PRId64
				    ": a recipient refused for now will not be retried: %s",
				    u->id, db_errmsg(tx->c));
			if (db_exec(tx->c, "ROLLBACK TO \"retry\"", DB_NOARGS, NULL) != STORE_OK)
				return STORE_ERROR;
		}
		if (db_exec(tx->c, "RELEASE \"retry\"", DB_NOARGS, NULL) != STORE_OK)
			return STORE_ERROR;
	}
	return rc;
}

int store_outbox_update(store *s, const store_mail_update *u)
{
	return store_write_sync(s, apply_update, (void *)u);
}
