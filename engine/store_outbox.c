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
	static const char sql[] =
	    "INSERT INTO \"_outbox\" (\"form\", \"record_id\", \"created_at\", \"to_spec\","
	    " \"subject\", \"body\", \"status\", \"attempts\", \"next_attempt_at\")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?3)";
	sqlite3_stmt *st = NULL;
	int rc = STORE_OK;
	if (store_stmt(tx->c, sql, &st) != SQLITE_OK || store_bind_str(st, 1, form) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, record_id) != SQLITE_OK ||
	    store_bind_str(st, 3, at) != SQLITE_OK || store_bind_str(st, 4, to) != SQLITE_OK ||
	    store_bind_str(st, 5, subject) != SQLITE_OK ||
	    store_bind_str(st, 6, body) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlfail(tx->c, "outbox insert");
	store_stmt_done(st);
	return rc;
}

/* Columns: id, form, record_id, created_at, to_spec, subject, status, attempts,
 * next_attempt_at, last_error, sent_at, smtp_reply[, body]. */
#define ROW_COLS                                                                                   \
	"\"id\", \"form\", \"record_id\", \"created_at\", \"to_spec\", \"subject\", \"status\","   \
	" \"attempts\", \"next_attempt_at\", \"last_error\", \"sent_at\", \"smtp_reply\""

static void read_row(sqlite3_stmt *st, bool with_body, store_mail_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	r->form = store_col_dup(st, 1);
	r->record_id = sqlite3_column_int64(st, 2);
	r->created_at = store_col_dup(st, 3);
	r->to = store_col_dup(st, 4);
	r->subject = store_col_dup(st, 5);
	r->status = store_col_dup(st, 6);
	r->attempts = sqlite3_column_int(st, 7);
	r->next_attempt_at = store_col_dup(st, 8);
	r->last_error = store_col_dup(st, 9);
	r->sent_at = store_col_dup(st, 10);
	r->smtp_reply = store_col_dup(st, 11);
	if (with_body)
		r->body = store_col_dup(st, 12);
}

/* Runs a row query (now bound to ?1 when given, limit after it). */
static int read_rows(store *s, const char *sql, const char *now, int limit, bool with_body,
		     store_mail_row **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	conn *c = store_reader_take(s);
	if (!c)
		return STORE_ERROR;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int k = 1, step = SQLITE_ERROR, rc = STORE_ERROR;
	if (store_stmt(c, sql, &st) != SQLITE_OK ||
	    (now && store_bind_str(st, k++, now) != SQLITE_OK) ||
	    sqlite3_bind_int(st, k, limit) != SQLITE_OK)
		goto done;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		read_row(st, with_body, &(*out)[(*n)++]);
	}
	if (step == SQLITE_DONE)
		rc = STORE_OK;
done:
	if (rc != STORE_OK) {
		store_sqlfail(c, "outbox read");
		store_outbox_rows_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	store_stmt_done(st);
	store_reader_give(s, c);
	return rc;
}

int store_outbox_recent(store *s, int limit, store_mail_row **out, size_t *n)
{
	return read_rows(s, "SELECT " ROW_COLS " FROM \"_outbox\" ORDER BY \"id\" DESC LIMIT ?1",
			 NULL, limit, false, out, n);
}

int store_outbox_due(store *s, const char *now_iso, int limit, store_mail_row **out, size_t *n)
{
	return read_rows(s,
			 "SELECT " ROW_COLS ", \"body\" FROM \"_outbox\""
			 " WHERE \"status\" = 'pending' AND \"next_attempt_at\" <= ?1"
			 " ORDER BY \"next_attempt_at\", \"id\" LIMIT ?2",
			 now_iso, limit, true, out, n);
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
static int queue_retry(conn *c, const store_mail_update *u, const char *addr)
{
	static const char sql[] =
	    "INSERT INTO \"_outbox\" (\"form\", \"record_id\", \"created_at\", \"to_spec\","
	    " \"subject\", \"body\", \"status\", \"attempts\", \"next_attempt_at\", \"last_error\")"
	    " SELECT \"form\", \"record_id\", \"created_at\", ?1, \"subject\", \"body\", 'pending',"
	    " ?2, ?3, ?4 FROM \"_outbox\" WHERE \"id\" = ?5";
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR;
	if (store_stmt(c, sql, &st) == SQLITE_OK && store_bind_str(st, 1, addr) == SQLITE_OK &&
	    sqlite3_bind_int(st, 2, u->attempts) == SQLITE_OK &&
	    store_bind_str(st, 3, u->retry_at) == SQLITE_OK &&
	    store_bind_str(st, 4, u->retry_reply) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 5, u->id) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE &&
	    sqlite3_changes(c->db) == 1)
		rc = STORE_OK;
	store_stmt_done(st);
	return rc;
}

static int apply_update(store_tx *tx, void *arg)
{
	static const char sql[] =
	    "UPDATE \"_outbox\" SET \"status\" = ?1, \"attempts\" = ?2,"
	    " \"next_attempt_at\" = COALESCE(?3, \"next_attempt_at\"),"
	    " \"last_error\" = COALESCE(?4, \"last_error\"), \"sent_at\" = ?5, \"smtp_reply\" = ?6"
	    " WHERE \"id\" = ?7 AND \"status\" = 'pending' AND \"attempts\" = ?8";
	const store_mail_update *u = arg;
	conn *c = tx->c;
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR;
	if (store_stmt(c, sql, &st) != SQLITE_OK || store_bind_str(st, 1, u->status) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, u->attempts) != SQLITE_OK ||
	    store_bind_str(st, 3, u->next_attempt_at) != SQLITE_OK ||
	    store_bind_str(st, 4, u->last_error) != SQLITE_OK ||
	    store_bind_str(st, 5, u->sent_at) != SQLITE_OK ||
	    store_bind_str(st, 6, u->smtp_reply) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, u->id) != SQLITE_OK ||
	    sqlite3_bind_int(st, 8, u->expect_attempts) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_stmt_done(st);
		return store_sqlfail(c, "outbox update");
	}
	store_stmt_done(st);
	/* Not pending any more, or attempted meanwhile: someone else has it. */
	rc = sqlite3_changes(c->db) == 1 ? STORE_OK : STORE_CONFLICT;
	/* A retry row that cannot be written must not undo the send: the others got it. */
	for (size_t i = 0; rc == STORE_OK && i < u->nretry; i++)
		if (queue_retry(c, u, u->retry_to[i]) != STORE_OK)
			log_message("outbox",
				    "id=%" PRId64 ": a recipient refused for now will not be "
				    "retried: %s",
				    u->id, sqlite3_errmsg(c->db));
	return rc;
}

int store_outbox_update(store *s, const store_mail_update *u)
{
	return store_write_sync(s, apply_update, (void *)u);
}
