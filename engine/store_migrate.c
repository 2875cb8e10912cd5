/*
 * store_migrate — bringing an app database in line with a new definition (SPEC 4.8,
 * 10; see store_migrate in store.h): new tables and columns, renamed columns, kept
 * removed ones, refused type changes, state moves; one transaction, on the writer.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "store_int.h"
#include "util.h"
#include "validate.h"

/* ------------------------------------------------------------------ migration */

typedef struct colinfo {
	char *name;
	char *decl; /* declared SQL type */
	char *type; /* field type name remembered in _schema, or NULL */
} colinfo;

typedef struct statecount {
	char *state; /* NULL: records without a state */
	int64_t n;
} statecount;

typedef struct mig {
	const def_app *app;
	time_t now;
	char *err;
} mig;

/* The type changes that cannot lose or reinterpret stored data. */
static bool type_change_ok(int from, int to)
{
	if (from == to)
		return true;
	if ((from == FT_TEXT || from == FT_TEXTAREA) && (to == FT_TEXT || to == FT_TEXTAREA))
		return true;
	if (from == FT_INTEGER && to == FT_DECIMAL)
		return true;
	if (from == FT_CHOICE && (to == FT_TEXT || to == FT_TEXTAREA))
		return true;
	return false;
}

static colinfo *find_colinfo(colinfo *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* The engine's column type for a field (def_type_sql is SQLite's name). */
static const char *col_type(const conn *c, field_type t)
{
	const char *sql = def_type_sql(t);
	if (c->kind != DB_PG)
		return sql;
	return sql[0] == 'I' ? "bigint" : sql[0] == 'R' ? "double precision" : "text COLLATE \"C\"";
}

/* The type PostgreSQL's catalog reports for col_type (information_schema.columns.data_type). */
static const char *catalog_type(const conn *c, field_type t)
{
	const char *sql = def_type_sql(t);
	if (c->kind != DB_PG)
		return sql;
	return sql[0] == 'I' ? "bigint" : sql[0] == 'R' ? "double precision" : "text";
}

static int ddl(store_tx *tx, buf *sql, const def_form *f, char *err)
{
	char why[STORE_ERR_LEN] = "";
	int rc = db_script(tx->c, buf_cstr(sql), why);
	if (rc != STORE_OK)
		store_seterr(err, rc, "form \"%s\": %s", f->id, why);
	buf_reset(sql);
	return rc;
}

static int schema_set(store_tx *tx, const def_form *f, const def_field *fd)
{
	return store_exec(tx,
			  "INSERT INTO {_schema} (\"form\", \"column\", \"type\", \"removed\") "
			  "VALUES (?, ?, ?, 0) ON CONFLICT (\"form\", \"column\") DO UPDATE SET "
			  "\"type\" = excluded.\"type\", \"removed\" = 0",
			  DB_ARGS(DB_S(f->id), DB_S(fd->name), DB_S(def_type_name(fd->type))),
			  NULL);
}

static int refuse_type(const def_form *f, const def_field *fd, const char *old, char *err)
{
	if (fd->renamed_from && strcmp(fd->renamed_from, fd->name) != 0)
		return store_seterr(
		    err, STORE_REFUSED,
		    "formulaire \"%s\" : le champ \"%s\" (renommé depuis \"%s\") change de type "
		    "%s -> %s, ce qui pourrait réinterpréter les données enregistrées ; gardez "
		    "l'ancien type ou ajoutez un nouveau champ",
		    f->id, fd->name, fd->renamed_from, old, def_type_name(fd->type));
	return store_seterr(
	    err, STORE_REFUSED,
	    "formulaire \"%s\" : le champ \"%s\" change de type %s -> %s, ce qui pourrait "
	    "réinterpréter les données enregistrées ; gardez l'ancien type ou ajoutez un "
	    "nouveau champ",
	    f->id, fd->name, old, def_type_name(fd->type));
}

static int check_type(const conn *c, const def_form *f, const def_field *fd, const colinfo *ci,
		      char *err)
{
	if (ci->type) {
		int old = def_type_from_name(ci->type);
		if (old >= 0 && type_change_ok(old, (int)fd->type))
			return STORE_OK;
		return refuse_type(f, fd, ci->type, err);
	}
	/* A column _schema does not describe (made by hand): only the same SQL type. */
	if (ci->decl && strcasecmp(ci->decl, catalog_type(c, fd->type)) == 0)
		return STORE_OK;
	return refuse_type(f, fd, ci->decl && *ci->decl ? ci->decl : "untyped", err);
}

/*
 * PostgreSQL types its columns: an integer field that became a decimal one needs its
 * column converted (SQLite stores either in the same column).
 */
static int convert_column(store_tx *tx, const def_form *f, const def_field *fd, const colinfo *ci,
			  char *err)
{
	if (tx->c->kind != DB_PG || !ci->decl ||
	    strcmp(ci->decl, catalog_type(tx->c, fd->type)) == 0)
		return STORE_OK;
	buf sql = BUF_INIT;
	buf_puts(&sql, "ALTER TABLE ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, " ALTER COLUMN ");
	store_put_ident(&sql, fd->name);
	buf_printf(&sql, " TYPE %s USING ", col_type(tx->c, fd->type));
	store_put_ident(&sql, fd->name);
	buf_printf(&sql, "::%s", catalog_type(tx->c, fd->type));
	int rc = ddl(tx, &sql, f, err);
	buf_free(&sql);
	return rc;
}

static void add_colinfo(colinfo **v, size_t *n, size_t *cap, const char *name, const char *decl)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*v = xrealloc(*v, *cap * sizeof **v);
	}
	colinfo *ci = &(*v)[(*n)++];
	ci->name = xstrdup(name ? name : "");
	ci->decl = xstrdup(decl);
	ci->type = NULL;
}

/* The table's columns with their declared types and remembered field types. */
static int load_columns(store_tx *tx, const def_form *f, colinfo **out, size_t *n)
{
	db_rows r;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	int rc =
	    tx->c->kind == DB_PG
		? db_query(tx->c,
			   "SELECT column_name, data_type FROM information_schema.columns "
			   "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
			   DB_ARGS(DB_S(tx->s->name), DB_S(f->id)), &r)
		: db_query(tx->c, "SELECT \"name\", \"type\" FROM pragma_table_info(?)",
			   DB_ARGS(DB_S(f->id)), &r);
	if (rc == STORE_OK) {
		while (db_next(&r))
			add_colinfo(out, n, &cap, db_text(&r, 0), db_text(&r, 1));
		rc = db_done(&r);
	}
	if (rc != STORE_OK)
		return db_fail(tx->c, rc, "table info");
	buf sql = BUF_INIT;
	rc = db_query(
	    tx->c,
	    store_sql(tx->s, &sql, "SELECT \"column\", \"type\" FROM {_schema} WHERE \"form\" = ?"),
	    DB_ARGS(DB_S(f->id)), &r);
	buf_free(&sql);
	if (rc == STORE_OK) {
		while (db_next(&r)) {
			const char *name = db_text(&r, 0);
			colinfo *ci = name ? find_colinfo(*out, *n, name) : NULL;
			if (ci && !ci->type)
				ci->type = db_dup(&r, 1);
		}
		rc = db_done(&r);
	}
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "schema rows");
}

static void free_columns(colinfo *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].decl);
		free(v[i].type);
	}
	free(v);
}

static int create_table(store_tx *tx, const def_form *f, char *err)
{
	bool pg = tx->c->kind == DB_PG;
	buf sql = BUF_INIT;
	int rc;
	buf_puts(&sql, "CREATE TABLE ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql,
		 pg ? " (\"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
		      "\"_state\" text COLLATE \"C\", \"_state_since\" text COLLATE \"C\", "
		      "\"_version\" bigint NOT NULL, \"_created_at\" text COLLATE \"C\", "
		      "\"_created_by\" text COLLATE \"C\", \"_updated_at\" text COLLATE \"C\", "
		      "\"_updated_by\" text COLLATE \"C\", \"_def_hash\" text, "
		      "\"_purged_at\" text COLLATE \"C\""
		    : " (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"_state\" TEXT, "
		      "\"_state_since\" TEXT, \"_version\" INTEGER NOT NULL, \"_created_at\" TEXT, "
		      "\"_created_by\" TEXT, \"_updated_at\" TEXT, \"_updated_by\" TEXT, "
		      "\"_def_hash\" TEXT, \"_purged_at\" TEXT");
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(&sql, ", ");
		store_put_ident(&sql, f->cols[i]->name);
		buf_printf(&sql, " %s", col_type(tx->c, f->cols[i]->type));
	}
	buf_puts(&sql, ")");
	if ((rc = ddl(tx, &sql, f, err)) != STORE_OK)
		goto done;
	if ((rc = store_exec(tx, "DELETE FROM {_schema} WHERE \"form\" = ?", DB_ARGS(DB_S(f->id)),
			     NULL)) != STORE_OK)
		goto done;
	for (size_t i = 0; i < f->ncols; i++)
		if ((rc = schema_set(tx, f, f->cols[i])) != STORE_OK)
			goto done;
done:
	buf_free(&sql);
	return rc;
}

/*
 * An index's name. SQLite keeps the names it always had; PostgreSQL names are limited
 * to 63 bytes (longer ones are cut, and two cut alike would collide), so a long one is
 * replaced by a digest of itself.
 */
static void index_name(const conn *c, const char *form, const char *suffix, buf *out)
{
	char name[256];
	snprintf(name, sizeof name, "_ix:%s:%s", form, suffix);
	if (c->kind == DB_PG && strlen(name) > IDENT_MAX) {
		char hex[65];
		util_sha256_hex(name, strlen(name), hex);
		snprintf(name, sizeof name, "_ix:%.24s", hex);
	}
	db_put_ident(out, name);
}

static int make_index(store_tx *tx, const def_form *f, const char *suffix, const char *cols,
		      char *err)
{
	buf sql = BUF_INIT;
	/* ':' cannot occur in a form id, so these names never meet a table's. */
	buf_puts(&sql, "CREATE INDEX IF NOT EXISTS ");
	index_name(tx->c, f->id, suffix, &sql);
	buf_puts(&sql, " ON ");
	store_put_table(&sql, tx->s, f->id);
	buf_printf(&sql, " %s", cols);
	int rc = ddl(tx, &sql, f, err);
	buf_free(&sql);
	return rc;
}

static int drop_index(store_tx *tx, const def_form *f, const char *suffix, char *err)
{
	buf sql = BUF_INIT;
	buf_puts(&sql, "DROP INDEX IF EXISTS ");
	if (tx->c->kind == DB_PG)
		buf_puts(&sql, tx->s->schema); /* an index lives in its table's schema */
	index_name(tx->c, f->id, suffix, &sql);
	int rc = ddl(tx, &sql, f, err);
	buf_free(&sql);
	return rc;
}

void store_index_name(const conn *c, const char *form, const char *suffix, buf *out)
{
	index_name(c, form, suffix, out);
}

/*
 * A list's order as an index: (lead, col, id[, tail]), where lead is a column the list
 * asks to be equal (created_by for "own" readers, the state, a filter), or none; tail a
 * column read beside it (a filter's index holds the state: "this value, in this state"
 * is counted from the index alone, without reading each record). A nullable
 * column sorts NULL first ascending (SQLite's order; written out on PostgreSQL, whose
 * default is the other way), as the lists' ORDER BY says, so a page is a range of the
 * index, walked and never sorted.
 */
static int order_index(store_tx *tx, const def_form *f, const char *lead, const sortkey *k,
		       const char *tail, char *err)
{
	char cols[320], suffix[160];
	char lead_sql[80] = "", tail_sql[80] = "";
	if (lead)
		snprintf(lead_sql, sizeof lead_sql, "\"%s\", ", lead);
	if (tail)
		snprintf(tail_sql, sizeof tail_sql, ", \"%s\"", tail);
	if (strcmp(k->col, "id") == 0)
		snprintf(cols, sizeof cols, "(%s\"id\"%s)", lead_sql, tail_sql);
	else
		snprintf(cols, sizeof cols, "(%s\"%s\"%s, \"id\"%s)", lead_sql, k->col,
			 tx->c->kind == DB_PG && !k->nonnull ? " NULLS FIRST" : "", tail_sql);
	/* The names indexes always had: "sort:<col>", "own:<col>". */
	const char *tag = !lead ? "sort" : strcmp(lead, "_created_by") == 0 ? "own" : lead;
	snprintf(suffix, sizeof suffix, "%s:%s%s%s", tag, k->col, tail ? "+" : "",
		 tail ? tail : "");
	return make_index(tx, f, suffix, cols, err);
}

/*
 * Indexes serve the queries the engine makes, so that a page of a million records is a
 * range of an index: the default order, alone, for "own" readers (created_by first),
 * within a state, and within each filter's value. created_at also serves the
 * dashboard's months. Each index costs every write, so there is no other: a list sorted
 * by another column (a header clicked) reads every matching record, and indexes earlier
 * versions made for that, or that another one now covers, are dropped.
 */
static int create_indexes(store_tx *tx, const def_form *f, char *err)
{
	sortkey k;
	if (store_parse_sort(f, NULL, &k, err) != STORE_OK)
		return STORE_ERROR;
	int rc = make_index(tx, f, "created_at", "(\"_created_at\", \"id\")", err);
	/* The rowid, or the created_at index, already is the default order's. */
	if (rc == STORE_OK && strcmp(k.col, "id") != 0 && strcmp(k.col, "_created_at") != 0)
		rc = order_index(tx, f, NULL, &k, NULL, err);
	if (rc == STORE_OK)
		rc = order_index(tx, f, "_created_by", &k, NULL, err);
	if (rc == STORE_OK)
		rc = order_index(tx, f, "_state", &k, NULL, err);
	for (size_t i = 0; rc == STORE_OK && i < f->list.filters.n; i++) {
		int col = def_find_col(f, f->list.filters.v[i]);
		if (col >= 0)
			rc = order_index(tx, f, f->cols[col]->name, &k,
					 f->workflow ? "_state" : NULL, err);
	}
	if (rc == STORE_OK)
		rc = drop_index(tx, f, "created_by", err); /* the "own" index leads with it */
	for (size_t i = 0; rc == STORE_OK && i < f->ncols; i++) {
		char suffix[96];
		snprintf(suffix, sizeof suffix, "sort:%s", f->cols[i]->name);
		if (strcmp(f->cols[i]->name, k.col) != 0)
			rc = drop_index(tx, f, suffix, err);
	}
	return rc;
}

/* Renames column fd->renamed_from (ci) to fd->name. */
static int rename_column(store_tx *tx, const def_form *f, const def_field *fd, colinfo *ci,
			 char *err)
{
	buf sql = BUF_INIT;
	buf_puts(&sql, "ALTER TABLE ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, " RENAME COLUMN ");
	store_put_ident(&sql, fd->renamed_from);
	buf_puts(&sql, " TO ");
	store_put_ident(&sql, fd->name);
	int rc = ddl(tx, &sql, f, err);
	buf_free(&sql);
	if (rc == STORE_OK)
		rc = store_exec(tx, "DELETE FROM {_schema} WHERE \"form\" = ? AND \"column\" = ?",
				DB_ARGS(DB_S(f->id), DB_S(fd->renamed_from)), NULL);
	if (rc == STORE_OK) {
		free(ci->name);
		ci->name = xstrdup(fd->name);
	}
	return rc;
}

static int add_column(store_tx *tx, const def_form *f, const def_field *fd, char *err)
{
	buf sql = BUF_INIT;
	buf_puts(&sql, "ALTER TABLE ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, " ADD COLUMN ");
	store_put_ident(&sql, fd->name);
	buf_printf(&sql, " %s", col_type(tx->c, fd->type));
	int rc = ddl(tx, &sql, f, err);
	buf_free(&sql);
	return rc;
}

/* One field's column: kept (type checked), renamed, or added. */
static int migrate_column(store_tx *tx, const def_form *f, const def_field *fd, colinfo *cols,
			  size_t ncols, char *err)
{
	colinfo *ci = find_colinfo(cols, ncols, fd->name);
	int rc;
	if (ci) {
		if ((rc = check_type(tx->c, f, fd, ci, err)) == STORE_OK)
			rc = convert_column(tx, f, fd, ci, err);
	} else if (fd->renamed_from && store_ident_ok(fd->renamed_from) &&
		   def_find_col(f, fd->renamed_from) < 0 &&
		   (ci = find_colinfo(cols, ncols, fd->renamed_from))) {
		if ((rc = check_type(tx->c, f, fd, ci, err)) == STORE_OK &&
		    (rc = convert_column(tx, f, fd, ci, err)) == STORE_OK)
			rc = rename_column(tx, f, fd, ci, err);
	} else {
		rc = add_column(tx, f, fd, err);
	}
	return rc == STORE_OK ? schema_set(tx, f, fd) : rc;
}

/* System columns that tables made by an earlier version lack: added, empty. */
static int add_system_columns(store_tx *tx, const def_form *f, colinfo *cols, size_t ncols,
			      char *err)
{
	if (find_colinfo(cols, ncols, "_purged_at"))
		return STORE_OK;
	buf sql = BUF_INIT;
	buf_puts(&sql, "ALTER TABLE ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, tx->c->kind == DB_PG ? " ADD COLUMN \"_purged_at\" text COLLATE \"C\""
					    : " ADD COLUMN \"_purged_at\" TEXT");
	int rc = ddl(tx, &sql, f, err);
	buf_free(&sql);
	return rc;
}

/* Brings an existing table's columns in line with f. */
static int migrate_columns(store_tx *tx, const def_form *f, char *err)
{
	colinfo *cols = NULL;
	size_t ncols = 0;
	int rc = load_columns(tx, f, &cols, &ncols);
	if (rc == STORE_OK)
		rc = add_system_columns(tx, f, cols, ncols, err);
	for (size_t i = 0; rc == STORE_OK && i < f->ncols; i++)
		rc = migrate_column(tx, f, f->cols[i], cols, ncols, err);
	/* Columns of removed fields stay, with their data; _schema remembers them. */
	for (size_t i = 0; rc == STORE_OK && i < ncols; i++) {
		const char *name = cols[i].name;
		if (name[0] == '_' || strcmp(name, "id") == 0 || def_find_col(f, name) >= 0)
			continue;
		rc = store_exec(tx,
				"UPDATE {_schema} SET \"removed\" = 1 WHERE \"form\" = ? AND "
				"\"column\" = ?",
				DB_ARGS(DB_S(f->id), DB_S(name)), NULL);
	}
	if (rc != STORE_OK && rc != STORE_REFUSED && err && !err[0])
		store_seterr(err, rc, "form \"%s\": %s", f->id, db_errmsg(tx->c));
	free_columns(cols, ncols);
	return rc;
}

/* Moves every record in state `from` (NULL: no state) to `to`, with a history line each. */
static int move_state(store_tx *tx, const def_form *f, const char *from, const char *to, time_t now)
{
	char at[32];
	buf sql = BUF_INIT;
	util_iso_datetime(now, at);
	/* {form} is the form's table (store_sql); the casts type the selected parameters. */
	buf_puts(&sql,
		 "INSERT INTO {_history} (\"form\", \"record_id\", \"at\", \"actor\", "
		 "\"action\", \"from_state\", \"to_state\") SELECT CAST(? AS TEXT), \"id\", "
		 "CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), \"_state\", CAST(? AS TEXT) "
		 "FROM {");
	buf_puts(&sql, f->id);
	buf_puts(&sql, "} WHERE \"_state\" IS NOT DISTINCT FROM ? ORDER BY \"id\"");
	int rc = store_exec(
	    tx, buf_cstr(&sql),
	    DB_ARGS(DB_S(f->id), DB_S(at), DB_S("system"), DB_S("move"), DB_S(to), DB_S(from)),
	    NULL);
	buf_reset(&sql);
	if (rc == STORE_OK) {
		buf_puts(&sql, "UPDATE {");
		buf_puts(&sql, f->id);
		buf_puts(&sql, "} SET \"_state\" = ?, \"_state_since\" = ?, \"_version\" = "
			       "\"_version\" + 1 WHERE \"_state\" IS NOT DISTINCT FROM ?");
		rc = store_exec(tx, buf_cstr(&sql), DB_ARGS(DB_S(to), DB_S(at), DB_S(from)), NULL);
	}
	buf_free(&sql);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "move");
}

/* The states records of f are in, with their counts. */
static int state_counts(store_tx *tx, const def_form *f, statecount **v, size_t *n)
{
	buf sql = BUF_INIT;
	db_rows r;
	size_t cap = 0;
	buf_puts(&sql, "SELECT \"_state\", count(*) FROM ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, " GROUP BY \"_state\"");
	int rc = db_query(tx->c, buf_cstr(&sql), DB_NOARGS, &r);
	if (rc == STORE_OK) {
		while (db_next(&r)) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 8;
				*v = xrealloc(*v, cap * sizeof **v);
			}
			(*v)[*n].state = db_dup(&r, 0);
			(*v)[*n].n = db_int(&r, 1);
			(*n)++;
		}
		rc = db_done(&r);
	}
	buf_free(&sql);
	return rc;
}

/* Where the records in state `from` go under the new workflow (NULL: refused, err says why). */
static int move_target(const def_form *f, const statecount *sc, const char **to, char *err)
{
	const def_workflow *w = f->workflow;
	*to = NULL;
	if (!sc->state) {
		*to = w->initial; /* records from before the form had a workflow */
	} else {
		for (size_t m = 0; m < w->nmoves; m++)
			if (w->moves[m].from && strcmp(w->moves[m].from, sc->state) == 0)
				*to = w->moves[m].to;
		if (!*to)
			return store_seterr(
			    err, STORE_REFUSED,
			    "formulaire \"%s\" : l'état \"%s\" a été retiré mais %" PRId64
			    " enregistrement(s) s'y trouvent ; indiquez où les déplacer avec "
			    "workflow.state_moves = { %s = \"<état>\" }",
			    f->id, sc->state, sc->n, sc->state);
	}
	if (!*to || def_find_state(w, *to) < 0)
		return store_seterr(
		    err, STORE_REFUSED,
		    "formulaire \"%s\" : state_moves envoie \"%s\" vers \"%s\", qui "
		    "n'est pas un état",
		    f->id, sc->state ? sc->state : "(none)", *to ? *to : "(none)");
	return STORE_OK;
}

/* States held by records that the new workflow does not know: moved or refused. */
static int migrate_states(store_tx *tx, const def_form *f, time_t now, bool *moved, char *err)
{
	const def_workflow *w = f->workflow;
	statecount *v = NULL;
	size_t n = 0;
	if (!w)
		return STORE_OK; /* states stay stored, unused, until a workflow comes back */
	int rc = state_counts(tx, f, &v, &n);
	if (rc != STORE_OK)
		store_seterr(err, db_fail(tx->c, rc, "states"), "form \"%s\": %s", f->id,
			     db_errmsg(tx->c));
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		const char *to;
		if (v[i].state && def_find_state(w, v[i].state) >= 0)
			continue;
		if ((rc = move_target(f, &v[i], &to, err)) == STORE_OK &&
		    (rc = move_state(tx, f, v[i].state, to, now)) != STORE_OK)
			store_seterr(err, rc, "form \"%s\": %s", f->id, db_errmsg(tx->c));
		*moved = true;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].state);
	free(v);
	return rc;
}

static int column_exists(store_tx *tx, const char *table, const char *col, bool *out)
{
	int64_t n = 0;
	int rc = tx->c->kind == DB_PG
		     ? db_int_query(tx->c,
				    "SELECT count(*) FROM information_schema.columns WHERE "
				    "table_schema = ? AND table_name = ? AND column_name = ?",
				    DB_ARGS(DB_S(tx->s->name), DB_S(table), DB_S(col)), &n)
		     : db_int_query(tx->c,
				    "SELECT count(*) FROM pragma_table_info(?) WHERE \"name\" = ?",
				    DB_ARGS(DB_S(table), DB_S(col)), &n);
	*out = n > 0;
	return rc;
}

/* SQLite: the form's FTS5 table of its search words, kept by triggers. */
static int fts_table(store_tx *tx, const def_form *f, char *err)
{
	/* Names from the form id, [a-z][a-z0-9_]*: nothing to quote inside them. */
	const char *id = f->id;
	buf sql = BUF_INIT;
	buf_printf(&sql,
		   "CREATE VIRTUAL TABLE IF NOT EXISTS \"_fts_%s\" USING fts5(\"_search\", "
		   "content='%s', content_rowid='id', "
		   "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3');",
		   id, id);
	buf_printf(&sql,
		   "CREATE TRIGGER IF NOT EXISTS \"_fts_%s_ai\" AFTER INSERT ON \"%s\" BEGIN "
		   "INSERT INTO \"_fts_%s\" (rowid, \"_search\") VALUES (new.\"id\", "
		   "new.\"_search\"); END;",
		   id, id, id);
	buf_printf(&sql,
		   "CREATE TRIGGER IF NOT EXISTS \"_fts_%s_ad\" AFTER DELETE ON \"%s\" BEGIN "
		   "INSERT INTO \"_fts_%s\" (\"_fts_%s\", rowid, \"_search\") VALUES ('delete', "
		   "old.\"id\", old.\"_search\"); END;",
		   id, id, id, id);
	buf_printf(&sql,
		   "CREATE TRIGGER IF NOT EXISTS \"_fts_%s_au\" AFTER UPDATE OF \"_search\" ON "
		   "\"%s\" BEGIN INSERT INTO \"_fts_%s\" (\"_fts_%s\", rowid, \"_search\") "
		   "VALUES ('delete', old.\"id\", old.\"_search\"); INSERT INTO \"_fts_%s\" "
		   "(rowid, \"_search\") VALUES (new.\"id\", new.\"_search\"); END;",
		   id, id, id, id, id);
	/* Merging segments less often halves what each small write costs the index (a
	 * search then reads a few more segments). */
	buf_printf(&sql, "INSERT INTO \"_fts_%s\" (\"_fts_%s\", rank) VALUES ('automerge', 16);",
		   id, id);
	int rc = ddl(tx, &sql, f, err);
	buf_free(&sql);
	return rc;
}

/* Recomputes every record's _search (the search fields changed), page by page. */
static int search_backfill(store_tx *tx, const def_form *f)
{
	int64_t after = 0;
	int rc = STORE_OK;
	for (;;) {
		store_page page = {0};
		int64_t ids[512];
		size_t n = 0;
		rc = store_tx_page_by_id(tx, f, after, 500, &page);
		if (rc != STORE_OK || page.n == 0) {
			store_page_free(&page);
			break;
		}
		buf sql = BUF_INIT;
		buf_puts(&sql, "UPDATE ");
		store_put_table(&sql, tx->s, f->id);
		buf_puts(&sql, " SET \"_search\" = ? WHERE \"id\" = ?");
		for (size_t i = 0; rc == STORE_OK && i < page.n; i++) {
			char *text = store_search_text(f, &page.v[i]);
			rc = db_exec(tx->c, buf_cstr(&sql), DB_ARGS(DB_S(text), DB_I(page.v[i].id)),
				     NULL);
			free(text);
			ids[n++] = page.v[i].id;
		}
		buf_free(&sql);
		after = n ? ids[n - 1] : after;
		store_page_free(&page);
		if (rc != STORE_OK || n < 500)
			break;
	}
	return rc;
}

/* SQLite: the FTS5 table and its triggers dropped, to be made again another way. */
static int fts_drop(store_tx *tx, const def_form *f, char *err)
{
	const char *id = f->id;
	buf sql = BUF_INIT;
	buf_printf(&sql,
		   "DROP TRIGGER IF EXISTS \"_fts_%s_ai\"; DROP TRIGGER IF EXISTS \"_fts_%s_ad\"; "
		   "DROP TRIGGER IF EXISTS \"_fts_%s_au\"; DROP TABLE IF EXISTS \"_fts_%s\";",
		   id, id, id, id);
	int rc = ddl(tx, &sql, f, err);
	buf_free(&sql);
	return rc;
}

/*
 * PostgreSQL: the words of _search as the search index holds them, a stored generated
 * column. ASCII punctuation becomes space first, so that words are what SQLite's
 * tokenizer makes of the text (runs of letters and digits), not the parser's e-mails,
 * URLs or decimals; the 'simple' configuration keeps every word as it is (the text is
 * folded already). Positions are stripped (searches want words, not phrases) and the
 * text cut at 250,000 characters, under what a tsvector holds (1 MB): a search field
 * is 10,000 at most unless its author raised max_length.
 */
static const char PG_WORDS[] =
    "strip(to_tsvector('simple'::regconfig, left(translate(\"_search\", "
    "'!\"#$%&''()*+,-./:;<=>?@[\\]^_`{|}~' || chr(9) || chr(10) || chr(13), repeat(' ', 35)), "
    "250000)))";

static int pg_words(store_tx *tx, const def_form *f, char *err)
{
	bool has = false;
	int rc = column_exists(tx, f->id, "_words", &has);
	buf sql = BUF_INIT;
	if (rc == STORE_OK && !has) {
		buf_puts(&sql, "ALTER TABLE ");
		store_put_table(&sql, tx->s, f->id);
		buf_printf(&sql, " ADD COLUMN \"_words\" tsvector GENERATED ALWAYS AS (%s) STORED",
			   PG_WORDS);
		rc = ddl(tx, &sql, f, err);
	}
	buf_free(&sql);
	if (rc == STORE_OK)
		rc = make_index(tx, f, "words", "USING gin (\"_words\")", err);
	/* the trigram index of earlier versions: slower, and a cost to every write */
	if (rc == STORE_OK)
		rc = drop_index(tx, f, "search", err);
	return rc;
}

/*
 * The search column and its index: the folded text of the public search fields
 * (store_search_text), indexed (SQLite: an FTS5 table of its words; PostgreSQL: a GIN
 * index of its words, pg_words), so a search is no scan of the table. Which fields
 * make the text is kept in _meta: when they change, every record's text is made
 * again and the index rebuilt.
 */
static int search_index(store_tx *tx, const def_form *f, char *err)
{
	bool has = false, pg = tx->c->kind == DB_PG;
	int rc = column_exists(tx, f->id, "_search", &has);
	buf sql = BUF_INIT, sig = BUF_INIT;
	if (rc == STORE_OK && !has) {
		buf_puts(&sql, "ALTER TABLE ");
		store_put_table(&sql, tx->s, f->id);
		buf_puts(&sql, pg ? " ADD COLUMN \"_search\" text COLLATE \"C\""
				  : " ADD COLUMN \"_search\" TEXT");
		rc = ddl(tx, &sql, f, err);
	}
	const def_field *fields[64];
	size_t nf = store_search_fields(f, f->list.search.n <= 64 ? fields : NULL);
	/* (earlier versions wrote "trgm:" before the fields on PostgreSQL: the same text) */
	buf_puts(&sig, pg ? "trgm:" : "words:");
	for (size_t i = 0; i < nf && f->list.search.n <= 64; i++)
		buf_printf(&sig, "%s%s", i ? "," : "", fields[i]->name);
	char key[IDENT_MAX + 16], *old = NULL;
	snprintf(key, sizeof key, "search:%s", f->id);
	if (rc == STORE_OK)
		rc = store_meta_get(tx->s, tx->c, key, &old);
	bool changed = rc == STORE_OK && (!old || strcmp(old, buf_cstr(&sig)) != 0);
	/* Made again without its triggers: they would take out of the new index words
	 * that never went in (FTS5 calls that a corrupt index). */
	if (changed && !pg)
		rc = fts_drop(tx, f, err);
	if (rc == STORE_OK && changed)
		rc = search_backfill(tx, f);
	if (rc == STORE_OK)
		rc = pg ? pg_words(tx, f, err) : fts_table(tx, f, err);
	if (rc == STORE_OK && changed && !pg) {
		buf_reset(&sql);
		buf_printf(&sql, "INSERT INTO \"_fts_%s\" (\"_fts_%s\") VALUES ('rebuild')", f->id,
			   f->id);
		rc = ddl(tx, &sql, f, err);
	}
	if (rc == STORE_OK && changed)
		rc = store_meta_set(tx->s, tx->c, key, buf_cstr(&sig));
	free(old);
	buf_free(&sql);
	buf_free(&sig);
	return rc;
}

static int migrate_form(store_tx *tx, const def_form *f, time_t now, char *err)
{
	bool exists = false, moved = false;
	int rc;
	if (!store_form_ok(f))
		return store_seterr(
		    err, STORE_REFUSED,
		    "formulaire \"%.60s\" : son id ou un nom de champ ne peut pas nommer "
		    "une table ou une colonne",
		    f && f->id ? f->id : "?");
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i]->renamed_from && !store_ident_ok(f->cols[i]->renamed_from))
			return store_seterr(
			    err, STORE_REFUSED,
			    "formulaire \"%s\" : champ \"%s\" : renamed_from invalide", f->id,
			    f->cols[i]->name);
	if ((rc = store_table_exists(tx, f->id, &exists)) != STORE_OK)
		return store_seterr(err, rc, "form \"%s\": %s", f->id, db_errmsg(tx->c));
	bool tallies = false;
	if ((rc = store_tally_begin(tx, f, &tallies, err)) != STORE_OK)
		return rc;
	rc = exists ? migrate_columns(tx, f, err) : create_table(tx, f, err);
	if (rc == STORE_OK)
		rc = create_indexes(tx, f, err);
	if (rc == STORE_OK)
		rc = search_index(tx, f, err);
	if (rc == STORE_OK)
		rc = store_lines_migrate(tx, f, err);
	if (rc == STORE_OK)
		rc = migrate_states(tx, f, now, &moved, err);
	/* Moves wrote history lines in bulk: the durations are counted again from it. */
	if (rc == STORE_OK)
		rc = store_gov_migrate(tx, f, moved, err);
	if (rc == STORE_OK)
		rc = store_tally_end(tx, f, tallies, err);
	if (rc != STORE_OK && rc != STORE_REFUSED && err && !err[0])
		store_seterr(err, rc, "form \"%s\": %s", f->id, db_errmsg(tx->c));
	return rc;
}

static int migrate_apply(store_tx *tx, void *arg)
{
	mig *m = arg;
	int rc = STORE_OK;
	if (tx->c->kind == DB_PG) {
		/* Engines loading the same version at once: one migrates, the others then find
		 * nothing to do. A large table may take longer than a request's timeout. */
		char key[128];
		snprintf(key, sizeof key, "smallapps:migrate:%s", tx->s->name);
		if ((rc = store_pg_xact_lock(tx->c, key)) == STORE_OK)
			rc = db_exec(tx->c, "SET LOCAL statement_timeout = 0", DB_NOARGS, NULL);
	}
	for (size_t i = 0; rc == STORE_OK && i < m->app->nforms; i++)
		rc = migrate_form(tx, &m->app->forms[i], m->now, m->err);
	if (rc == STORE_OK && m->app->hash)
		rc = store_meta_set(tx->s, tx->c, "app_hash", m->app->hash);
	return rc;
}

int store_migrate(store *s, const def_app *app, time_t now, char err[STORE_ERR_LEN])
{
	char local[STORE_ERR_LEN];
	mig m = {app, now, err ? err : local};
	m.err[0] = '\0';
	int rc = store_write_sync(s, migrate_apply, &m);
	if (rc != STORE_OK && !m.err[0])
		store_seterr(m.err, rc, "the schema change could not be saved");
	return rc;
}
