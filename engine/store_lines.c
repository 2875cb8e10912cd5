/*
 * store_lines — each repeat's lines as a table of their own (SPEC 4.3), for whoever reads
 * the database with SQL: "<form>:<field>" (record_id, ligne from 1, a column per
 * sub-field typed as a form's column would be), beside the form's table.
 *
 * The record's own column (the JSON array of its lines) is what the engine reads and
 * writes; the database itself keeps this table equal to it, by triggers on the form's
 * table (insert, update of that column, delete), inside the transaction that writes the
 * record: no writer of ours can forget it, a retention purge or a state move included.
 * The table and its triggers are derived: when the sub-fields change (their names,
 * types or order: a signature in _meta), both are made again and filled from the column.
 * Part of the store module (store_int.h); called by store_migrate.c in its transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* "<form>:<field>", or a digest of it where PostgreSQL would cut it: ':' never occurs in
 * a definition's name, so it meets neither a form's table nor another derived name. */
#define LINES_NAME_MAX 128 /* "<form>:<field>:sync": 40 + 1 + 40 + 5 bytes, and more */

static void lines_name(const conn *c, const def_form *f, const def_field *fd, const char *suffix,
		       char out[LINES_NAME_MAX])
{
	snprintf(out, LINES_NAME_MAX, "%s:%s%s", f->id, fd->name, suffix);
	if (c->kind == DB_PG && strlen(out) > IDENT_MAX) {
		char hex[65];
		util_sha256_hex(out, strlen(out), hex);
		snprintf(out, LINES_NAME_MAX, "_lines:%.24s", hex);
	}
}

/* The SQL of one sub-field's cell from the line object j (SQLite: json_each's "value";
 * PostgreSQL: a jsonb), in the form table's storage: money in cents, booleans 0/1. */
static void put_cell(buf *sql, db_kind k, const def_field *sub)
{
	const char *n = sub->name; /* [a-z][a-z0-9_]*: safe in a JSON path and a literal */
	if (k != DB_PG) {
		if (sub->type == FT_MONEY)
			buf_printf(
			    sql, "CAST(round(json_extract(j.value, '$.%s') * 100) AS INTEGER)", n);
		else
			buf_printf(sql, "json_extract(j.value, '$.%s')", n);
		return;
	}
	const char *sqlt = def_type_sql(sub->type);
	if (sub->type == FT_MONEY)
		buf_printf(sql, "round((j.v->>'%s')::numeric * 100)::bigint", n);
	else if (sub->type == FT_BOOLEAN)
		buf_printf(sql, "CASE (j.v->>'%s')::boolean WHEN true THEN 1 WHEN false THEN 0 END",
			   n);
	else if (sub->type == FT_MULTICHOICE)
		buf_printf(sql, "(j.v->'%s')::text", n);
	else if (sqlt[0] == 'I')
		buf_printf(sql, "(j.v->>'%s')::bigint", n);
	else if (sqlt[0] == 'R')
		buf_printf(sql, "(j.v->>'%s')::double precision", n);
	else
		buf_printf(sql, "j.v->>'%s'", n);
}

/* INSERT INTO lines SELECT <rec>.id, n, cells FROM <the lines of rec's column>. */
static void put_fill(buf *sql, const store *s, db_kind k, const char *table, const def_field *fd,
		     const char *rec, const char *from)
{
	buf_puts(sql, "INSERT INTO ");
	store_put_table(sql, s, table);
	buf_puts(sql, " (\"record_id\", \"ligne\"");
	for (size_t i = 0; i < fd->nsub; i++)
		buf_printf(sql, ", \"%s\"", fd->sub[i].name);
	buf_printf(sql, ") SELECT %s.\"id\", %s", rec, k == DB_PG ? "j.n" : "j.key + 1");
	for (size_t i = 0; i < fd->nsub; i++) {
		buf_puts(sql, ", ");
		put_cell(sql, k, &fd->sub[i]);
	}
	buf_printf(sql, " FROM %s", from);
	if (k == DB_PG)
		buf_printf(sql,
			   "jsonb_array_elements(CASE WHEN %s.\"%s\" IS NULL THEN '[]'::jsonb "
			   "ELSE %s.\"%s\"::jsonb END) WITH ORDINALITY AS j(v, n)",
			   rec, fd->name, rec, fd->name);
	else
		buf_printf(sql, "json_each(%s.\"%s\") AS j", rec, fd->name);
}

static void put_ident(buf *sql, const store *s, const char *name)
{
	buf_puts(sql, s->schema);
	db_put_ident(sql, name);
}

/* The table, then the triggers that keep it (and, made again, its rows from the column). */
static void put_create(buf *sql, const store *s, db_kind k, const def_form *f, const def_field *fd,
		       const char *table, const char *fn)
{
	bool pg = k == DB_PG;
	buf_puts(sql, "CREATE TABLE ");
	store_put_table(sql, s, table);
	buf_printf(sql, " (\"record_id\" %s NOT NULL, \"ligne\" %s NOT NULL",
		   pg ? "bigint" : "INTEGER", pg ? "bigint" : "INTEGER");
	for (size_t i = 0; i < fd->nsub; i++) {
		const char *t = def_type_sql(fd->sub[i].type);
		buf_printf(sql, ", \"%s\" %s", fd->sub[i].name,
			   !pg		 ? t
			   : t[0] == 'I' ? "bigint"
			   : t[0] == 'R' ? "double precision"
					 : "text COLLATE \"C\"");
	}
	buf_puts(sql, ", PRIMARY KEY (\"record_id\", \"ligne\"));\n");
	if (pg) {
		buf_puts(sql, "CREATE FUNCTION ");
		put_ident(sql, s, fn);
		buf_puts(sql,
			 "() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN IF TG_OP <> 'INSERT' "
			 "THEN DELETE FROM ");
		store_put_table(sql, s, table);
		buf_puts(sql,
			 " WHERE \"record_id\" = OLD.\"id\"; END IF; IF TG_OP <> 'DELETE' THEN ");
		put_fill(sql, s, k, table, fd, "NEW", "");
		buf_puts(sql, "; END IF; RETURN NULL; END $fn$;\nCREATE TRIGGER ");
		db_put_ident(sql, fn);
		buf_printf(sql, " AFTER INSERT OR UPDATE OF \"%s\" OR DELETE ON ", fd->name);
		store_put_table(sql, s, f->id);
		buf_puts(sql, " FOR EACH ROW EXECUTE FUNCTION ");
		put_ident(sql, s, fn);
		buf_puts(sql, "();\n");
	} else {
		static const char *const when[] = {":ai", ":au", ":ad"};
		for (int w = 0; w < 3; w++) {
			buf_puts(sql, "CREATE TRIGGER ");
			char tn[LINES_NAME_MAX + 8];
			snprintf(tn, sizeof tn, "%s%s", fn, when[w]);
			db_put_ident(sql, tn);
			buf_printf(sql,
				   w == 0   ? " AFTER INSERT ON \"%s\" BEGIN "
				   : w == 1 ? " AFTER UPDATE OF \"%s\" ON \"%s\" BEGIN "
					    : " AFTER DELETE ON \"%s\" BEGIN ",
				   w == 1 ? fd->name : f->id, f->id);
			if (w > 0) {
				buf_puts(sql, "DELETE FROM ");
				store_put_table(sql, s, table);
				buf_puts(sql, " WHERE \"record_id\" = old.\"id\"; ");
			}
			if (w < 2) {
				put_fill(sql, s, k, table, fd, "new", "");
				buf_puts(sql, "; ");
			}
			buf_puts(sql, "END;\n");
		}
	}
	/* the lines of the records already there */
	char from[300];
	snprintf(from, sizeof from, "%s\"%s\" AS r, ", s->schema, f->id);
	put_fill(sql, s, k, table, fd, "r", from);
	buf_puts(sql, ";\n");
}

static void put_drop(buf *sql, const store *s, db_kind k, const char *table, const char *fn)
{
	if (k == DB_PG) {
		buf_puts(sql, "DROP FUNCTION IF EXISTS ");
		put_ident(sql, s, fn);
		buf_puts(sql, "() CASCADE;\n"); /* its trigger with it */
	} else {
		static const char *const when[] = {":ai", ":au", ":ad"};
		for (int w = 0; w < 3; w++) {
			char tn[LINES_NAME_MAX + 8];
			snprintf(tn, sizeof tn, "%s%s", fn, when[w]);
			buf_puts(sql, "DROP TRIGGER IF EXISTS ");
			db_put_ident(sql, tn);
			buf_puts(sql, ";\n");
		}
	}
	buf_puts(sql, "DROP TABLE IF EXISTS ");
	store_put_table(sql, s, table);
	buf_puts(sql, ";\n");
}

/* One repeat: made again when its signature changed (or its table is gone). */
static int migrate_one(store_tx *tx, const def_form *f, const def_field *fd, char *err)
{
	db_kind k = tx->c->kind;
	char table[LINES_NAME_MAX], fn[LINES_NAME_MAX], key[200];
	lines_name(tx->c, f, fd, "", table);
	lines_name(tx->c, f, fd, ":sync", fn);
	buf sig = BUF_INIT, sql = BUF_INIT;
	buf_puts(&sig, "v1");
	for (size_t i = 0; i < fd->nsub; i++)
		buf_printf(&sig, ",%s:%s", fd->sub[i].name, def_type_name(fd->sub[i].type));
	snprintf(key, sizeof key, "lines:%s:%s", f->id, fd->name);
	char *old = NULL;
	int rc = store_meta_get(tx->s, tx->c, key, &old);
	bool same = rc == STORE_OK && old && strcmp(old, buf_cstr(&sig)) == 0;
	if (rc == STORE_OK && same) {
		bool there = false;
		rc = store_table_exists(tx, table, &there);
		same = there;
	}
	if (rc == STORE_OK && !same) {
		put_drop(&sql, tx->s, k, table, fn);
		put_create(&sql, tx->s, k, f, fd, table, fn);
		char why[STORE_ERR_LEN] = "";
		rc = db_script(tx->c, buf_cstr(&sql), why);
		if (rc != STORE_OK)
			store_seterr(err, rc, "form \"%s\", lines of \"%s\": %s", f->id, fd->name,
				     why);
		else
			rc = store_meta_set(tx->s, tx->c, key, buf_cstr(&sig));
	}
	free(old);
	buf_free(&sig);
	buf_free(&sql);
	return rc;
}

int store_lines_migrate(store_tx *tx, const def_form *f, char *err)
{
	int rc = STORE_OK;
	for (size_t i = 0; rc == STORE_OK && i < f->nfields; i++)
		if (f->fields[i].type == FT_REPEAT && f->fields[i].col >= 0)
			rc = migrate_one(tx, f, &f->fields[i], err);
	return rc;
}
