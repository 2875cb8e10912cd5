/*
 * store_tally — the dashboard's counts, kept by the database as records are written
 * (see the governance part of store.h).
 *
 * Counting a million records per state, per month and per option on every visit
 * walked four million index entries (0.6 s on SQLite): the dashboard promises 200 ms.
 * So each form has tallies, rows of _tallies (form, dim, value, shard, n): dim
 * "_state" per state, "_hour" per hour of creation (UTC, "YYYY-MM-DDTHH": the Paris
 * months start on whole UTC hours, so any month is a sum of hours), and one dim per
 * choice column, per value; and "_last", the form's last activity (its newest
 * _updated_at, in Unix seconds: a maximum, not a count). The form's table keeps them by triggers,
 * not by the engine's code: every write — a request, the scheduler, a purge, a state move, a bulk
 * load by SQL — moves the counts in the same transaction, so they cannot drift. SQLite: row
 * triggers. PostgreSQL: statement triggers (pg_triggers says why), and each connection adds into
 * its own shard of rows (pg_backend_pid() % 64), so two engines' transactions never wait on one
 * counter row; readers sum the shards.
 *
 * The triggers' signature (which choice columns) is kept in _meta. When it changes,
 * the triggers are dropped before the migration touches the columns and made again
 * after, and the form's tallies are counted again from its rows (GROUP BY, once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

#define SIG_VERSION "tally2:"

/* What a tally counts: a dim's name and its value, an SQL expression on a row
 * (prefix "new." or "old.", or none when counting again). */
typedef struct dim {
	const char *name;
	const char *col; /* NULL: the hour of creation */
} dim;

static void put_value(buf *b, const char *row, const dim *d)
{
	if (d->col) {
		buf_puts(b, row);
		store_put_ident(b, d->col);
	} else {
		buf_printf(b, "coalesce(substr(%s\"_created_at\", 1, 13), '')", row);
	}
}

/* The dims of f: the state, the hour of creation, each choice column. */
static size_t dims_of(const def_form *f, dim *out)
{
	size_t n = 0;
	out[n++] = (dim){"_state", "_state"};
	out[n++] = (dim){"_hour", NULL};
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i]->type == FT_CHOICE)
			out[n++] = (dim){f->cols[i]->name, f->cols[i]->name};
	return n;
}

static void signature(const def_form *f, buf *out)
{
	buf_puts(out, SIG_VERSION);
	for (size_t i = 0, k = 0; i < f->ncols; i++)
		if (f->cols[i]->type == FT_CHOICE)
			buf_printf(out, "%s%s", k++ ? "," : "", f->cols[i]->name);
}

static void meta_key(const def_form *f, char *key, size_t n)
{
	snprintf(key, n, "tallies:%s", f->id);
}

/* ------------------------------------------------------------------ triggers */

/*
 * SQLite: one statement of a row trigger adding delta to the tally of d for the row
 * (new. or old.), when `when` (an SQL condition, may be "") holds and the value is not
 * NULL. Form ids and column names are checked identifiers: they go in as literals.
 * (SQLite takes no alias for the table in a trigger: "n" alone is the stored count.)
 */
static void put_add(buf *b, const def_form *f, const dim *d, const char *row, int delta,
		    const char *when)
{
	buf_printf(b,
		   "INSERT INTO \"_tallies\" (\"form\", \"dim\", \"value\", \"shard\", \"n\") "
		   "SELECT '%s', '%s', ",
		   f->id, d->name);
	put_value(b, row, d);
	buf_printf(b, ", 0, %d WHERE ", delta);
	put_value(b, row, d);
	buf_printf(b,
		   " IS NOT NULL%s%s ON CONFLICT (\"form\", \"dim\", \"value\", \"shard\") DO "
		   "UPDATE SET \"n\" = \"n\" + excluded.\"n\";",
		   when[0] ? " AND " : "", when);
}

/* SQLite: "old.<v> IS NOT new.<v>". */
static void put_changed(buf *b, const dim *d)
{
	put_value(b, "old.", d);
	buf_puts(b, " IS NOT ");
	put_value(b, "new.", d);
}

/* The columns an update must touch for the tallies to move ("_state", ...). */
static void put_update_of(buf *b, const dim *d, size_t n)
{
	buf_puts(b, "\"_created_at\", \"_updated_at\"");
	for (size_t i = 0; i < n; i++)
		if (d[i].col) {
			buf_puts(b, ", ");
			store_put_ident(b, d[i].col);
		}
}

/* SQLite: the form's last activity ("_last": the newest _updated_at, in Unix seconds)
 * moved up to the row's, when `when` holds. */
static void put_last(buf *b, const def_form *f, const char *when)
{
	buf_printf(
	    b,
	    "INSERT INTO \"_tallies\" (\"form\", \"dim\", \"value\", \"shard\", \"n\") "
	    "SELECT '%s', '_last', '', 0, CAST(strftime('%%s', new.\"_updated_at\") AS "
	    "INTEGER) WHERE new.\"_updated_at\" IS NOT NULL%s%s ON CONFLICT (\"form\", "
	    "\"dim\", \"value\", \"shard\") DO UPDATE SET \"n\" = max(\"n\", excluded.\"n\");",
	    f->id, when[0] ? " AND " : "", when);
}

static void sqlite_triggers(buf *sql, const def_form *f, const dim *d, size_t n)
{
	const char *id = f->id;
	buf cond = BUF_INIT;
	buf_printf(sql, "CREATE TRIGGER \"_tally_%s_ai\" AFTER INSERT ON \"%s\" BEGIN ", id, id);
	put_last(sql, f, "");
	for (size_t i = 0; i < n; i++)
		put_add(sql, f, &d[i], "new.", 1, "");
	buf_printf(sql, "END; CREATE TRIGGER \"_tally_%s_ad\" AFTER DELETE ON \"%s\" BEGIN ", id,
		   id);
	for (size_t i = 0; i < n; i++)
		put_add(sql, f, &d[i], "old.", -1, "");
	buf_printf(sql, "END; CREATE TRIGGER \"_tally_%s_au\" AFTER UPDATE OF ", id);
	put_update_of(sql, d, n);
	buf_printf(sql, " ON \"%s\" BEGIN ", id);
	put_last(sql, f, "old.\"_updated_at\" IS NOT new.\"_updated_at\"");
	for (size_t i = 0; i < n; i++) {
		buf_reset(&cond);
		put_changed(&cond, &d[i]);
		put_add(sql, f, &d[i], "old.", -1, buf_cstr(&cond));
		put_add(sql, f, &d[i], "new.", 1, buf_cstr(&cond));
	}
	buf_puts(sql, "END;");
	buf_free(&cond);
}

/* PostgreSQL: (dim, value) of each row of a transition table, as a FROM item. */
static void pg_values(buf *b, const char *rows, const dim *d, size_t n)
{
	buf_printf(b, "%s, LATERAL (VALUES ", rows);
	for (size_t i = 0; i < n; i++) {
		buf_printf(b, "%s('%s', ", i ? ", " : "", d[i].name);
		char row[32];
		snprintf(row, sizeof row, "%s.", rows);
		put_value(b, row, &d[i]);
		buf_putc(b, ')');
	}
	buf_puts(b, ") AS \"d\" (\"dim\", \"value\") WHERE \"d\".\"value\" IS NOT NULL");
}

/* PostgreSQL: the grouped upsert of a statement's rows: old ones count down (k = -1),
 * new ones up; what an update did not change adds 0 and is left out. */
static void pg_upsert(buf *sql, const store_tx *tx, const def_form *f, const dim *d, size_t n,
		      bool old_rows, bool new_rows)
{
	buf_puts(sql, "INSERT INTO ");
	store_put_table(sql, tx->s, "_tallies");
	buf_printf(sql,
		   " AS \"t\" (\"form\", \"dim\", \"value\", \"shard\", \"n\") SELECT '%s', "
		   "\"dim\", \"value\", pg_backend_pid() %% 64, sum(\"k\") FROM (",
		   f->id);
	if (old_rows) {
		buf_puts(sql, "SELECT \"d\".*, -1 AS \"k\" FROM ");
		pg_values(sql, "old_rows", d, n);
	}
	if (old_rows && new_rows)
		buf_puts(sql, " UNION ALL ");
	if (new_rows) {
		buf_puts(sql, "SELECT \"d\".*, 1 AS \"k\" FROM ");
		pg_values(sql, "new_rows", d, n);
	}
	buf_puts(sql,
		 ") AS \"v\" GROUP BY \"dim\", \"value\" HAVING sum(\"k\") <> 0 ON CONFLICT "
		 "(\"form\", \"dim\", \"value\", \"shard\") DO UPDATE SET \"n\" = \"t\".\"n\" + "
		 "excluded.\"n\";");
}

/* PostgreSQL: the form's last activity moved up to the newest of the statement's rows. */
static void pg_last(buf *sql, const store_tx *tx, const def_form *f)
{
	buf_puts(sql, " INSERT INTO ");
	store_put_table(sql, tx->s, "_tallies");
	buf_printf(sql,
		   " AS \"t\" (\"form\", \"dim\", \"value\", \"shard\", \"n\") SELECT '%s', "
		   "'_last', '', pg_backend_pid() %% 64, extract(epoch FROM "
		   "max(\"_updated_at\")::timestamptz)::bigint FROM \"new_rows\" HAVING "
		   "max(\"_updated_at\") IS NOT NULL ON CONFLICT (\"form\", \"dim\", \"value\", "
		   "\"shard\") DO UPDATE SET \"n\" = greatest(\"t\".\"n\", excluded.\"n\");",
		   f->id);
}

/*
 * PostgreSQL: statement triggers over transition tables, one grouped upsert per
 * statement. Row triggers would update one counter row once per row written: a bulk
 * load of 100,000 rows in one transaction then leaves a chain of 100,000 versions of
 * that row, each update slower than the last (the load ran for 20 minutes instead of
 * seconds). One function serves the three triggers; PL/pgSQL plans a statement when
 * it first runs it, so each branch names only the transition tables its trigger has.
 */
static void pg_triggers(buf *sql, const store_tx *tx, const def_form *f, const dim *d, size_t n)
{
	buf_printf(sql,
		   "CREATE OR REPLACE FUNCTION %s\"_tally_%s\"() RETURNS trigger LANGUAGE plpgsql "
		   "AS $tally$ BEGIN IF TG_OP = 'INSERT' THEN ",
		   tx->s->schema, f->id);
	pg_upsert(sql, tx, f, d, n, false, true);
	pg_last(sql, tx, f);
	buf_puts(sql, " ELSIF TG_OP = 'DELETE' THEN ");
	pg_upsert(sql, tx, f, d, n, true, false);
	buf_puts(sql, " ELSE ");
	pg_upsert(sql, tx, f, d, n, true, true);
	pg_last(sql, tx, f);
	buf_puts(sql, " END IF; RETURN NULL; END $tally$;");
	static const char *const ev[][2] = {{"ai", "INSERT"}, {"ad", "DELETE"}, {"au", "UPDATE"}};
	static const char *const ref[] = {"NEW TABLE AS \"new_rows\"", "OLD TABLE AS \"old_rows\"",
					  "OLD TABLE AS \"old_rows\" NEW TABLE AS \"new_rows\""};
	for (size_t i = 0; i < 3; i++) {
		buf_printf(sql, "CREATE TRIGGER \"_tally_%s_%s\" AFTER %s ON ", f->id, ev[i][0],
			   ev[i][1]);
		store_put_table(sql, tx->s, f->id);
		buf_printf(sql,
			   " REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %s\"_tally_%s\"();",
			   ref[i], tx->s->schema, f->id);
	}
}

static int script(store_tx *tx, buf *sql, const def_form *f, char *err)
{
	char why[STORE_ERR_LEN] = "";
	int rc = db_script(tx->c, buf_cstr(sql), why);
	if (rc != STORE_OK)
		store_seterr(err, rc, "form \"%s\": tallies: %s", f->id, why);
	buf_reset(sql);
	return rc;
}

static int drop_triggers(store_tx *tx, const def_form *f, char *err)
{
	buf sql = BUF_INIT;
	if (tx->c->kind == DB_PG)
		buf_printf(&sql, "DROP FUNCTION IF EXISTS %s\"_tally_%s\"() CASCADE;",
			   tx->s->schema, f->id);
	else
		buf_printf(&sql,
			   "DROP TRIGGER IF EXISTS \"_tally_%s_ai\"; DROP TRIGGER IF EXISTS "
			   "\"_tally_%s_ad\"; DROP TRIGGER IF EXISTS \"_tally_%s_au\";",
			   f->id, f->id, f->id);
	int rc = script(tx, &sql, f, err);
	buf_free(&sql);
	return rc;
}

/* ------------------------------------------------------------------ migration */

int store_tally_begin(store_tx *tx, const def_form *f, bool *changed, char *err)
{
	char key[IDENT_MAX + 16], *old = NULL;
	buf sig = BUF_INIT;
	meta_key(f, key, sizeof key);
	signature(f, &sig);
	int rc = store_meta_get(tx->s, tx->c, key, &old);
	*changed = rc == STORE_OK && (!old || strcmp(old, buf_cstr(&sig)) != 0);
	if (rc != STORE_OK)
		store_seterr(err, rc, "form \"%s\": tallies: %s", f->id, db_errmsg(tx->c));
	else if (*changed)
		rc = drop_triggers(tx, f, err);
	free(old);
	buf_free(&sig);
	return rc;
}

/* The form's tallies counted again from its rows, one GROUP BY per dim. */
static int count_again(store_tx *tx, const def_form *f, const dim *d, size_t n)
{
	int rc =
	    store_exec(tx, "DELETE FROM {_tallies} WHERE \"form\" = ?", DB_ARGS(DB_S(f->id)), NULL);
	buf sql = BUF_INIT;
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		buf_reset(&sql);
		buf_puts(&sql, "INSERT INTO ");
		store_put_table(&sql, tx->s, "_tallies");
		buf_printf(&sql,
			   " (\"form\", \"dim\", \"value\", \"shard\", \"n\") SELECT '%s', '%s', ",
			   f->id, d[i].name);
		put_value(&sql, "", &d[i]);
		buf_puts(&sql, ", 0, count(*) FROM ");
		store_put_table(&sql, tx->s, f->id);
		buf_puts(&sql, " WHERE ");
		put_value(&sql, "", &d[i]);
		buf_puts(&sql, " IS NOT NULL GROUP BY 3");
		rc = db_exec(tx->c, buf_cstr(&sql), DB_NOARGS, NULL);
	}
	buf_reset(&sql);
	buf_puts(&sql, "INSERT INTO ");
	store_put_table(&sql, tx->s, "_tallies");
	buf_printf(&sql,
		   " (\"form\", \"dim\", \"value\", \"shard\", \"n\") SELECT '%s', '_last', '', "
		   "0, %s FROM ",
		   f->id,
		   tx->c->kind == DB_PG
		       ? "extract(epoch FROM max(\"_updated_at\")::timestamptz)::bigint"
		       : "CAST(strftime('%s', max(\"_updated_at\")) AS INTEGER)");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, " HAVING max(\"_updated_at\") IS NOT NULL");
	if (rc == STORE_OK)
		rc = db_exec(tx->c, buf_cstr(&sql), DB_NOARGS, NULL);
	buf_free(&sql);
	return rc;
}

int store_tally_end(store_tx *tx, const def_form *f, bool changed, char *err)
{
	if (!changed)
		return STORE_OK;
	dim *d = xmalloc((2 + f->ncols) * sizeof *d);
	size_t n = dims_of(f, d);
	buf sql = BUF_INIT;
	if (tx->c->kind == DB_PG)
		pg_triggers(&sql, tx, f, d, n);
	else
		sqlite_triggers(&sql, f, d, n);
	/* The triggers first: on PostgreSQL making one locks out the other engines' writes
	 * to the table until the commit, so what they wrote before is in the count. */
	int rc = script(tx, &sql, f, err);
	if (rc == STORE_OK && (rc = count_again(tx, f, d, n)) != STORE_OK)
		store_seterr(err, rc, "form \"%s\": tallies: %s", f->id, db_errmsg(tx->c));
	if (rc == STORE_OK) {
		char key[IDENT_MAX + 16];
		meta_key(f, key, sizeof key);
		signature(f, &sql);
		rc = store_meta_set(tx->s, tx->c, key, buf_cstr(&sql));
	}
	buf_free(&sql);
	free(d);
	return rc;
}

/* ------------------------------------------------------------------ reading */

int store_tallies(store *s, const def_form *f, const char *hour_from, const char *hour_to,
		  store_tally_fn fn, void *arg)
{
	if (!store_form_ok(f) || !hour_from || !hour_to)
		return STORE_ERROR;
	conn *c = NULL;
	db_rows r = {0};
	buf sql = BUF_INIT;
	/* Hours outside the window are summed into one row: they count in the total only. */
	store_sql(s, &sql,
		  "SELECT \"dim\", CASE WHEN \"dim\" = '_hour' AND (\"value\" < ? OR \"value\" >= "
		  "?) THEN '' ELSE \"value\" END, CASE WHEN \"dim\" = '_last' THEN max(\"n\") ELSE "
		  "sum(\"n\") END FROM {_tallies} WHERE \"form\" = ? GROUP BY 1, 2");
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK)
		rc = db_query(c, buf_cstr(&sql),
			      DB_ARGS(DB_S(hour_from), DB_S(hour_to), DB_S(f->id)), &r);
	if (rc == STORE_OK) {
		while (db_next(&r))
			fn(arg, db_text(&r, 0), db_text(&r, 1), db_int(&r, 2));
		rc = db_done(&r);
	}
	if (rc != STORE_OK && c)
		db_fail(c, rc, "tallies");
	store_reader_give(s, c);
	buf_free(&sql);
	return rc;
}
