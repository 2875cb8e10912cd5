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

static int ddl(conn *c, buf *sql, const def_form *f, char *err)
{
	char *emsg = NULL;
	int src = sqlite3_exec(c->db, buf_cstr(sql), NULL, NULL, &emsg);
	int rc = STORE_OK;
	if (src != SQLITE_OK) {
		rc = store_seterr(err, STORE_ERROR, "form \"%s\": %s", f->id,
				  emsg ? emsg : sqlite3_errstr(src));
		log_message("store", "migration failed sql=\"%s\" error=\"%s\"", buf_cstr(sql),
			    emsg ? emsg : sqlite3_errstr(src));
	}
	sqlite3_free(emsg);
	buf_reset(sql);
	return rc;
}

/* Runs a cached statement with text parameters (NULL binds NULL) to its end. */
static int exec_args(conn *c, const char *sql, const char *what, int nargs, ...)
{
	sqlite3_stmt *st = NULL;
	int src = store_stmt(c, sql, &st);
	va_list ap;
	va_start(ap, nargs);
	for (int i = 0; src == SQLITE_OK && i < nargs; i++)
		src = store_bind_str(st, i + 1, va_arg(ap, const char *));
	va_end(ap);
	if (src == SQLITE_OK) {
		do
			src = sqlite3_step(st);
		while (src == SQLITE_ROW);
	}
	store_stmt_done(st);
	return src == SQLITE_DONE ? STORE_OK : store_sqlfail(c, what);
}

static int schema_set(conn *c, const def_form *f, const def_field *fd)
{
	return exec_args(c,
			 "INSERT INTO \"_schema\" (\"form\", \"column\", \"type\", \"removed\") "
			 "VALUES (?, ?, ?, 0) ON CONFLICT (\"form\", \"column\") DO UPDATE SET "
			 "\"type\" = excluded.\"type\", \"removed\" = 0",
			 "schema", 3, f->id, fd->name, def_type_name(fd->type));
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

static int check_type(const def_form *f, const def_field *fd, const colinfo *ci, char *err)
{
	if (ci->type) {
		int old = def_type_from_name(ci->type);
		if (old >= 0 && type_change_ok(old, (int)fd->type))
			return STORE_OK;
		return refuse_type(f, fd, ci->type, err);
	}
	/* A column _schema does not describe (made by hand): only the same SQL type. */
	if (ci->decl && strcasecmp(ci->decl, def_type_sql(fd->type)) == 0)
		return STORE_OK;
	return refuse_type(f, fd, ci->decl && *ci->decl ? ci->decl : "untyped", err);
}

static int table_exists(conn *c, const char *name, bool *out)
{
	sqlite3_stmt *st = NULL;
	int src;
	if ((src = store_stmt(c,
			      "SELECT count(*) FROM \"sqlite_master\" WHERE \"type\" = 'table' "
			      "AND \"name\" = ?",
			      &st)) == SQLITE_OK &&
	    (src = store_bind_str(st, 1, name)) == SQLITE_OK &&
	    (src = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0) > 0;
	store_stmt_done(st);
	return src == SQLITE_ROW ? STORE_OK : store_sqlfail(c, "table exists");
}

/* The table's columns with their declared types and remembered field types. */
static int load_columns(conn *c, const def_form *f, colinfo **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int src;
	*out = NULL;
	*n = 0;
	if ((src = store_stmt(c, "SELECT \"name\", \"type\" FROM pragma_table_info(?)", &st)) ==
		SQLITE_OK &&
	    (src = store_bind_str(st, 1, f->id)) == SQLITE_OK) {
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				*out = xrealloc(*out, cap * sizeof **out);
			}
			colinfo *ci = &(*out)[(*n)++];
			ci->name = store_col_dup(st, 0);
			ci->decl = store_col_dup(st, 1);
			ci->type = NULL;
			if (!ci->name)
				ci->name = xstrdup("");
		}
	}
	store_stmt_done(st);
	if (src != SQLITE_DONE)
		return store_sqlfail(c, "table info");
	st = NULL;
	if ((src = store_stmt(c, "SELECT \"column\", \"type\" FROM \"_schema\" WHERE \"form\" = ?",
			      &st)) == SQLITE_OK &&
	    (src = store_bind_str(st, 1, f->id)) == SQLITE_OK) {
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			colinfo *ci = name ? find_colinfo(*out, *n, name) : NULL;
			if (ci && !ci->type)
				ci->type = store_col_dup(st, 1);
		}
	}
	store_stmt_done(st);
	return src == SQLITE_DONE ? STORE_OK : store_sqlfail(c, "schema rows");
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

static int create_table(conn *c, const def_form *f, char *err)
{
	buf sql = BUF_INIT;
	int rc;
	buf_puts(&sql, "CREATE TABLE ");
	store_put_ident(&sql, f->id);
	buf_puts(&sql,
		 " (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"_state\" TEXT, "
		 "\"_state_since\" TEXT, \"_version\" INTEGER NOT NULL, \"_created_at\" TEXT, "
		 "\"_created_by\" TEXT, \"_updated_at\" TEXT, \"_updated_by\" TEXT, "
		 "\"_def_hash\" TEXT");
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(&sql, ", ");
		store_put_ident(&sql, f->cols[i]->name);
		buf_printf(&sql, " %s", def_type_sql(f->cols[i]->type));
	}
	buf_puts(&sql, ")");
	if ((rc = ddl(c, &sql, f, err)) != STORE_OK)
		goto done;
	if ((rc = exec_args(c, "DELETE FROM \"_schema\" WHERE \"form\" = ?", "schema", 1, f->id)) !=
	    STORE_OK)
		goto done;
	for (size_t i = 0; i < f->ncols; i++)
		if ((rc = schema_set(c, f, f->cols[i])) != STORE_OK)
			goto done;
done:
	buf_free(&sql);
	return rc;
}

/*
 * Indexes serve the queries the engine makes: lists in the form's default order, for
 * readers of every record and for "own" readers (created_by first), so a page is read
 * in index order and never sorts the table; states for counts and the scheduler.
 */
static int create_indexes(conn *c, const def_form *f, char *err)
{
	sortkey k;
	if (store_parse_sort(f, NULL, &k, err) != STORE_OK)
		return STORE_ERROR;
	bool by_id = strcmp(k.col, "id") == 0;
	char sort_cols[128], own_cols[160];
	if (by_id) {
		snprintf(sort_cols, sizeof sort_cols, "(\"id\")");
		snprintf(own_cols, sizeof own_cols, "(\"_created_by\", \"id\")");
	} else {
		snprintf(sort_cols, sizeof sort_cols, "(\"%s\", \"id\")", k.col);
		snprintf(own_cols, sizeof own_cols, "(\"_created_by\", \"%s\", \"id\")", k.col);
	}
	char sort_name[96], own_name[96];
	snprintf(sort_name, sizeof sort_name, "sort:%s", k.col);
	snprintf(own_name, sizeof own_name, "own:%s", k.col);
	const struct {
		const char *suffix, *cols;
	} ix[] = {{"created_at", "(\"_created_at\", \"id\")"},
		  {"created_by", "(\"_created_by\")"},
		  {"state", "(\"_state\")"},
		  {sort_name, sort_cols},
		  {own_name, own_cols}};
	buf sql = BUF_INIT;
	int rc = STORE_OK;
	for (size_t i = 0; rc == STORE_OK && i < sizeof ix / sizeof *ix; i++) {
		/* The rowid, or the created_at index, already is that one. */
		if (i == 3 && (by_id || strcmp(k.col, "_created_at") == 0))
			continue;
		/* ':' cannot occur in a form id, so these names never meet a table's. */
		buf_printf(&sql, "CREATE INDEX IF NOT EXISTS \"_ix:%s:%s\" ON ", f->id,
			   ix[i].suffix);
		store_put_ident(&sql, f->id);
		buf_printf(&sql, " %s", ix[i].cols);
		rc = ddl(c, &sql, f, err);
	}
	buf_free(&sql);
	return rc;
}

/* Brings an existing table's columns in line with f. */
static int migrate_columns(conn *c, const def_form *f, char *err)
{
	colinfo *cols = NULL;
	size_t ncols = 0;
	buf sql = BUF_INIT;
	int rc;
	if ((rc = load_columns(c, f, &cols, &ncols)) != STORE_OK)
		goto done;
	for (size_t i = 0; i < f->ncols; i++) {
		const def_field *fd = f->cols[i];
		colinfo *ci = find_colinfo(cols, ncols, fd->name);
		if (ci) {
			if ((rc = check_type(f, fd, ci, err)) != STORE_OK)
				goto done;
		} else if (fd->renamed_from && store_ident_ok(fd->renamed_from) &&
			   def_find_col(f, fd->renamed_from) < 0 &&
			   (ci = find_colinfo(cols, ncols, fd->renamed_from))) {
			if ((rc = check_type(f, fd, ci, err)) != STORE_OK)
				goto done;
			buf_puts(&sql, "ALTER TABLE ");
			store_put_ident(&sql, f->id);
			buf_puts(&sql, " RENAME COLUMN ");
			store_put_ident(&sql, fd->renamed_from);
			buf_puts(&sql, " TO ");
			store_put_ident(&sql, fd->name);
			if ((rc = ddl(c, &sql, f, err)) != STORE_OK)
				goto done;
			if ((rc = exec_args(
				 c, "DELETE FROM \"_schema\" WHERE \"form\" = ? AND \"column\" = ?",
				 "schema", 2, f->id, fd->renamed_from)) != STORE_OK)
				goto done;
			free(ci->name);
			ci->name = xstrdup(fd->name);
		} else {
			buf_puts(&sql, "ALTER TABLE ");
			store_put_ident(&sql, f->id);
			buf_puts(&sql, " ADD COLUMN ");
			store_put_ident(&sql, fd->name);
			buf_printf(&sql, " %s", def_type_sql(fd->type));
			if ((rc = ddl(c, &sql, f, err)) != STORE_OK)
				goto done;
		}
		if ((rc = schema_set(c, f, fd)) != STORE_OK)
			goto done;
	}
	/* Columns of removed fields stay, with their data; _schema remembers them. */
	for (size_t i = 0; i < ncols; i++) {
		const char *name = cols[i].name;
		if (name[0] == '_' || strcmp(name, "id") == 0 || def_find_col(f, name) >= 0)
			continue;
		if ((rc = exec_args(c,
				    "UPDATE \"_schema\" SET \"removed\" = 1 WHERE \"form\" = ? AND "
				    "\"column\" = ?",
				    "schema", 2, f->id, name)) != STORE_OK)
			goto done;
	}
done:
	if (rc == STORE_ERROR && err && !err[0])
		store_seterr(err, rc, "form \"%s\": %s", f->id, sqlite3_errmsg(c->db));
	free_columns(cols, ncols);
	buf_free(&sql);
	return rc;
}

/* Moves every record in state `from` (NULL: no state) to `to`, with a history line each. */
static int move_state(conn *c, const def_form *f, const char *from, const char *to, time_t now)
{
	char at[32];
	buf sql = BUF_INIT;
	int rc;
	util_iso_datetime(now, at);
	buf_puts(&sql, "INSERT INTO \"_history\" (\"form\", \"record_id\", \"at\", \"actor\", "
		       "\"action\", \"from_state\", \"to_state\") SELECT ?, \"id\", ?, ?, ?, "
		       "\"_state\", ? FROM ");
	store_put_ident(&sql, f->id);
	buf_puts(&sql, " WHERE \"_state\" IS ? ORDER BY \"id\"");
	rc = exec_args(c, buf_cstr(&sql), "move history", 6, f->id, at, "system", "move", to, from);
	buf_reset(&sql);
	if (rc != STORE_OK)
		goto done;
	buf_puts(&sql, "UPDATE ");
	store_put_ident(&sql, f->id);
	buf_puts(&sql, " SET \"_state\" = ?, \"_state_since\" = ?, \"_version\" = \"_version\" + 1 "
		       "WHERE \"_state\" IS ?");
	rc = exec_args(c, buf_cstr(&sql), "move", 3, to, at, from);
done:
	buf_free(&sql);
	return rc;
}

/* States held by records that the new workflow does not know: moved or refused. */
static int migrate_states(conn *c, const def_form *f, time_t now, char *err)
{
	const def_workflow *w = f->workflow;
	statecount *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	buf sql = BUF_INIT;
	int rc = STORE_OK, src;
	if (!w)
		return STORE_OK; /* states stay stored, unused, until a workflow comes back */
	buf_puts(&sql, "SELECT \"_state\", count(*) FROM ");
	store_put_ident(&sql, f->id);
	buf_puts(&sql, " GROUP BY \"_state\"");
	if ((src = store_stmt(c, buf_cstr(&sql), &st)) == SQLITE_OK) {
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				v = xrealloc(v, cap * sizeof *v);
			}
			v[n].state = store_col_dup(st, 0);
			v[n].n = sqlite3_column_int64(st, 1);
			n++;
		}
	}
	store_stmt_done(st);
	if (src != SQLITE_DONE) {
		rc = store_seterr(err, store_sqlfail(c, "states"), "form \"%s\": %s", f->id,
				  sqlite3_errmsg(c->db));
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const char *to = NULL;
		if (!v[i].state) {
			to = w->initial; /* records from before the form had a workflow */
		} else if (def_find_state(w, v[i].state) >= 0) {
			continue;
		} else {
			for (size_t m = 0; m < w->nmoves; m++)
				if (w->moves[m].from && strcmp(w->moves[m].from, v[i].state) == 0)
					to = w->moves[m].to;
			if (!to) {
				rc = store_seterr(
				    err, STORE_REFUSED,
				    "formulaire \"%s\" : l'état \"%s\" a été retiré mais %" PRId64
				    " enregistrement(s) s'y trouvent ; indiquez où les déplacer "
				    "avec "
				    "workflow.state_moves = { %s = \"<état>\" }",
				    f->id, v[i].state, v[i].n, v[i].state);
				goto done;
			}
		}
		if (!to || def_find_state(w, to) < 0) {
			rc = store_seterr(
			    err, STORE_REFUSED,
			    "formulaire \"%s\" : state_moves envoie \"%s\" vers \"%s\", qui n'est "
			    "pas un état",
			    f->id, v[i].state ? v[i].state : "(none)", to ? to : "(none)");
			goto done;
		}
		if ((rc = move_state(c, f, v[i].state, to, now)) != STORE_OK) {
			store_seterr(err, rc, "form \"%s\": %s", f->id, sqlite3_errmsg(c->db));
			goto done;
		}
	}
done:
	for (size_t i = 0; i < n; i++)
		free(v[i].state);
	free(v);
	buf_free(&sql);
	return rc;
}

static int migrate_form(conn *c, const def_form *f, time_t now, char *err)
{
	bool exists = false;
	int rc;
	if (!store_form_ok(f))
		return store_seterr(
		    err, STORE_REFUSED,
		    "formulaire \"%.60s\" : son id ou un nom de champ ne peut pas nommer une "
		    "table ou une colonne",
		    f && f->id ? f->id : "?");
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i]->renamed_from && !store_ident_ok(f->cols[i]->renamed_from))
			return store_seterr(
			    err, STORE_REFUSED,
			    "formulaire \"%s\" : champ \"%s\" : renamed_from invalide", f->id,
			    f->cols[i]->name);
	if ((rc = table_exists(c, f->id, &exists)) != STORE_OK)
		return store_seterr(err, rc, "form \"%s\": %s", f->id, sqlite3_errmsg(c->db));
	rc = exists ? migrate_columns(c, f, err) : create_table(c, f, err);
	if (rc == STORE_OK)
		rc = create_indexes(c, f, err);
	if (rc == STORE_OK)
		rc = migrate_states(c, f, now, err);
	if (rc == STORE_ERROR && err && !err[0])
		store_seterr(err, rc, "form \"%s\": %s", f->id, sqlite3_errmsg(c->db));
	return rc;
}

static int migrate_apply(store_tx *tx, void *arg)
{
	mig *m = arg;
	int rc = STORE_OK;
	for (size_t i = 0; rc == STORE_OK && i < m->app->nforms; i++)
		rc = migrate_form(tx->c, &m->app->forms[i], m->now, m->err);
	if (rc == STORE_OK && m->app->hash)
		rc = store_meta_set(tx->c, "app_hash", m->app->hash);
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
