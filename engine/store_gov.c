/*
 * store_gov — what data governance asks of the app databases (SPEC 6, 7, 11; see the
 * governance part of store.h): the dashboard's aggregates, the durations kept from
 * the history, and retention purges.
 *
 * Overdue counts are counts over the (state, since) index, one per state; the other
 * counts are the tallies the database keeps (store_tally.c): the engine never loops
 * over a form's records to count them.
 *
 * Durations. A stay in a state runs from the history line that put the record in it
 * to the first later line that moved it to another state (a transition to the same
 * state neither ends nor restarts it); the way to a state runs from the record's
 * "create" line to the line that entered that state. Reading a whole history to
 * count them is linear in the records (about a second for a million on SQLite), so
 * they are counted as lines are written, into _durations: one row per (form, kind,
 * state, tenth of a day) with how many. The same fold (fold_line) serves the lines
 * of one record when a transition is written (store_gov_note) and a whole form's
 * history, read once in (record, id) order, when the table must be filled again
 * (after state moves, or the first time a database meets this version). Memory: a
 * histogram per (kind, state), whatever the number of records.
 *
 * Purges read the due records through a partial index of those not purged yet, and
 * update each conditionally on the version read, with its history, in one writer job
 * per batch, like the scheduler's transitions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"
#include "util.h"

#define REBUILD_PAGE 5000 /* history lines read at once when counting again */
#define PURGE_BATCH  100  /* records per purge job */
#define STATE_MAX    128  /* bytes of a state id (ids are at most 40) */

static const char *const KIND[] = {[STORE_STAY] = "stay", [STORE_REACH] = "reach"};

/* ------------------------------------------------------------------ the fold */

/* Where one record's history has got to: its state, since when, and its creation. */
typedef struct fold {
	int64_t record; /* -1: no line yet */
	char state[STATE_MAX];
	time_t entered;
	bool created_known;
	time_t created;
} fold;

/* A duration found by the fold. */
typedef void (*emit_fn)(void *arg, store_duration kind, const char *state, int64_t tenths);

/* Seconds to tenths of a day, half up; a clock that went back counts as no time. */
static int64_t tenths_of(time_t from, time_t to)
{
	int64_t s = (int64_t)to - (int64_t)from;
	return s <= 0 ? 0 : (s * 10 + 43200) / 86400;
}

/* One history line that sets a state (to non-NULL), in (record, id) order. */
static void fold_line(fold *k, int64_t rec, const char *action, const char *to, const char *at,
		      emit_fn emit, void *arg)
{
	time_t t;
	if (!to || !at || !util_parse_datetime(at, &t) || strlen(to) >= STATE_MAX)
		return;
	if (k->record != rec) {
		k->record = rec;
		k->state[0] = '\0';
		k->created_known = false;
	}
	if (action && strcmp(action, "create") == 0 && !k->created_known) {
		k->created = t;
		k->created_known = true;
	}
	if (strcmp(k->state, to) == 0)
		return; /* a transition to the same state: the stay goes on */
	if (k->state[0])
		emit(arg, STORE_STAY, k->state, tenths_of(k->entered, t));
	if (k->state[0] && k->created_known)
		emit(arg, STORE_REACH, to, tenths_of(k->created, t));
	snprintf(k->state, sizeof k->state, "%s", to);
	k->entered = t;
}

static const char STATE_LINES[] =
    "SELECT \"record_id\", \"action\", \"to_state\", \"at\" FROM {_history} WHERE "
    "\"form\" = ? AND \"record_id\" = ? AND \"to_state\" IS NOT NULL ORDER BY \"id\"";

/*
 * Adds n to the count of (kind, state, tenths). On PostgreSQL each connection counts
 * into its own shard of rows (shared: the upsert of a transition), as group commits
 * of several engines would otherwise update the same few rows in any order and could
 * deadlock; readers sum the shards. Counting again writes shard 0 alone.
 */
static int durations_add(store_tx *tx, const def_form *f, store_duration kind, const char *state,
			 int64_t tenths, int64_t n, bool shared)
{
	return store_exec(
	    tx,
	    shared && tx->c->kind == DB_PG
		? "INSERT INTO {_durations} AS \"d\" (\"form\", \"kind\", \"state\", \"tenths\", "
		  "\"shard\", \"n\") VALUES (?, ?, ?, ?, pg_backend_pid() % 64, ?) ON CONFLICT "
		  "(\"form\", \"kind\", \"state\", \"tenths\", \"shard\") DO UPDATE SET \"n\" = "
		  "\"d\".\"n\" + excluded.\"n\""
		: "INSERT INTO {_durations} AS \"d\" (\"form\", \"kind\", \"state\", \"tenths\", "
		  "\"shard\", \"n\") VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (\"form\", \"kind\", "
		  "\"state\", \"tenths\", \"shard\") DO UPDATE SET \"n\" = \"d\".\"n\" + "
		  "excluded.\"n\"",
	    DB_ARGS(DB_S(f->id), DB_S(KIND[kind]), DB_S(state), DB_I(tenths), DB_I(n)), NULL);
}

/* What the new line of store_gov_note brings, kept until the record's lines are read. */
typedef struct note {
	int n;
	struct {
		store_duration kind;
		char state[STATE_MAX];
		int64_t tenths;
	} v[2];
} note;

static void note_emit(void *arg, store_duration kind, const char *state, int64_t tenths)
{
	note *nt = arg;
	if (nt->n == 2)
		return; /* cannot happen: one line ends one stay and reaches one state */
	nt->v[nt->n].kind = kind;
	snprintf(nt->v[nt->n].state, sizeof nt->v[0].state, "%s", state);
	nt->v[nt->n].tenths = tenths;
	nt->n++;
}

static void ignore_emit(void *arg, store_duration kind, const char *state, int64_t tenths)
{
	(void)arg;
	(void)kind;
	(void)state;
	(void)tenths;
}

int store_gov_note(store_tx *tx, const def_form *f, int64_t record_id, const char *at,
		   const char *to_state)
{
	fold k = {.record = -1};
	note nt = {0};
	db_rows r;
	buf sql = BUF_INIT;
	int rc = db_query(tx->c, store_sql(tx->s, &sql, STATE_LINES),
			  DB_ARGS(DB_S(f->id), DB_I(record_id)), &r);
	if (rc == STORE_OK) {
		while (db_next(&r))
			fold_line(&k, record_id, db_text(&r, 1), db_text(&r, 2), db_text(&r, 3),
				  ignore_emit, NULL);
		rc = db_done(&r);
	}
	buf_free(&sql);
	if (rc != STORE_OK)
		return db_fail(tx->c, rc, "durations: the record's states");
	fold_line(&k, record_id, "transition", to_state, at, note_emit, &nt);
	for (int i = 0; rc == STORE_OK && i < nt.n; i++)
		rc = durations_add(tx, f, nt.v[i].kind, nt.v[i].state, nt.v[i].tenths, 1, true);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "durations: count");
}

/* ------------------------------------------------------------------ counting again */

/* The counts of one (kind, state), per tenth of a day, while a history is read. */
typedef struct hist {
	store_duration kind;
	char *state;
	int64_t *n;
	size_t cap;
} hist;

typedef struct hists {
	hist *v;
	size_t n, cap;
} hists;

static void hists_emit(void *arg, store_duration kind, const char *state, int64_t tenths)
{
	hists *h = arg;
	hist *e = NULL;
	for (size_t i = 0; i < h->n && !e; i++)
		if (h->v[i].kind == kind && strcmp(h->v[i].state, state) == 0)
			e = &h->v[i];
	if (!e) {
		if (h->n == h->cap) {
			h->cap = h->cap ? 2 * h->cap : 8;
			h->v = xrealloc(h->v, h->cap * sizeof *h->v);
		}
		e = &h->v[h->n++];
		*e = (hist){.kind = kind, .state = xstrdup(state)};
	}
	if ((size_t)tenths >= e->cap) {
		size_t cap = e->cap ? e->cap : 64;
		while (cap <= (size_t)tenths)
			cap *= 2;
		e->n = xrealloc(e->n, cap * sizeof *e->n);
		memset(e->n + e->cap, 0, (cap - e->cap) * sizeof *e->n);
		e->cap = cap;
	}
	e->n[tenths]++;
}

static void hists_free(hists *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].state);
		free(h->v[i].n);
	}
	free(h->v);
}

/* The next page of the form's state lines after (rec, id), folded into h. *more: a full page. */
static int rebuild_page(store_tx *tx, const def_form *f, fold *k, hists *h, int64_t *rec,
			int64_t *id, bool *more)
{
	static const char tmpl[] =
	    "SELECT \"record_id\", \"action\", \"to_state\", \"at\", \"id\" FROM {_history} "
	    "WHERE \"form\" = ? AND \"to_state\" IS NOT NULL AND (\"record_id\", \"id\") > (?, ?) "
	    "ORDER BY \"record_id\", \"id\" LIMIT ?";
	db_rows r;
	buf sql = BUF_INIT;
	int n = 0;
	int rc = db_query(tx->c, store_sql(tx->s, &sql, tmpl),
			  DB_ARGS(DB_S(f->id), DB_I(*rec), DB_I(*id), DB_I(REBUILD_PAGE)), &r);
	if (rc == STORE_OK) {
		while (db_next(&r)) {
			*rec = db_int(&r, 0);
			*id = db_int(&r, 4);
			fold_line(k, *rec, db_text(&r, 1), db_text(&r, 2), db_text(&r, 3),
				  hists_emit, h);
			n++;
		}
		rc = db_done(&r);
	}
	buf_free(&sql);
	*more = n == REBUILD_PAGE;
	return rc;
}

/* Every history line of f, folded into the histograms, which replace the form's rows. */
static int rebuild(store_tx *tx, const def_form *f)
{
	fold k = {.record = -1};
	hists h = {0};
	int64_t rec = -1, id = -1;
	bool more = true;
	int rc = store_exec(tx, "DELETE FROM {_durations} WHERE \"form\" = ?", DB_ARGS(DB_S(f->id)),
			    NULL);
	while (rc == STORE_OK && more)
		rc = rebuild_page(tx, f, &k, &h, &rec, &id, &more);
	for (size_t i = 0; rc == STORE_OK && i < h.n; i++)
		for (size_t t = 0; rc == STORE_OK && t < h.v[i].cap; t++)
			if (h.v[i].n[t])
				rc = durations_add(tx, f, h.v[i].kind, h.v[i].state, (int64_t)t,
						   h.v[i].n[t], false);
	if (rc == STORE_OK) {
		char key[96];
		snprintf(key, sizeof key, "durations:%s", f->id);
		rc = store_meta_set(tx->s, tx->c, key, "1");
	}
	hists_free(&h);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "durations: count again");
}

static int rebuild_apply(store_tx *tx, void *arg)
{
	return rebuild(tx, arg);
}

int store_durations_rebuild(store *s, const def_form *f)
{
	if (!store_form_ok(f))
		return STORE_ERROR;
	return store_write_sync(s, rebuild_apply, (void *)f);
}

/* ------------------------------------------------------------------ migration */

/* The dashboard's index: state and since (overdue counts). Counts per option come from
 * the tallies: the per-choice indexes of earlier versions go. */
static int gov_indexes(store_tx *tx, const def_form *f, char *err)
{
	buf sql = BUF_INIT, suffix = BUF_INIT;
	for (size_t i = 0; i < f->ncols; i++) {
		if (f->cols[i]->type != FT_CHOICE)
			continue;
		buf_reset(&suffix);
		buf_printf(&suffix, "choice:%s", f->cols[i]->name);
		buf_puts(&sql, "DROP INDEX IF EXISTS ");
		if (tx->c->kind == DB_PG)
			buf_puts(&sql, tx->s->schema);
		store_index_name(tx->c, f->id, buf_cstr(&suffix), &sql);
		buf_puts(&sql, ";");
	}
	buf_puts(&sql, "CREATE INDEX IF NOT EXISTS ");
	store_index_name(tx->c, f->id, "state_since", &sql);
	buf_puts(&sql, " ON ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, " (\"_state\", \"_state_since\")");
	char why[STORE_ERR_LEN] = "";
	int rc = db_script(tx->c, buf_cstr(&sql), why);
	if (rc != STORE_OK)
		store_seterr(err, rc, "form \"%s\": %s", f->id, why);
	buf_free(&sql);
	buf_free(&suffix);
	return rc;
}

/* The purge's: the records not purged yet, by state and age (partial: what was purged
 * leaves it, so a pass reads only what it may purge). */
static int purge_index(store_tx *tx, const def_form *f, char *err)
{
	if (!f->workflow)
		return STORE_OK;
	buf sql = BUF_INIT;
	buf_puts(&sql, "CREATE INDEX IF NOT EXISTS ");
	store_index_name(tx->c, f->id, "purge", &sql);
	buf_puts(&sql, " ON ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, " (\"_state\", \"_state_since\", \"id\") WHERE \"_purged_at\" IS NULL");
	char why[STORE_ERR_LEN] = "";
	int rc = db_script(tx->c, buf_cstr(&sql), why);
	if (rc != STORE_OK)
		store_seterr(err, rc, "form \"%s\": %s", f->id, why);
	buf_free(&sql);
	return rc;
}

int store_gov_migrate(store_tx *tx, const def_form *f, bool moved, char *err)
{
	int rc = gov_indexes(tx, f, err);
	if (rc == STORE_OK)
		rc = purge_index(tx, f, err);
	if (rc != STORE_OK)
		return rc;
	int64_t built = 0;
	buf sql = BUF_INIT;
	char key[96];
	snprintf(key, sizeof key, "durations:%s", f->id);
	rc = db_int_query(tx->c,
			  store_sql(tx->s, &sql, "SELECT count(*) FROM {_meta} WHERE \"key\" = ?"),
			  DB_ARGS(DB_S(key)), &built);
	buf_free(&sql);
	if (rc == STORE_OK && (moved || built == 0))
		rc = rebuild(tx, f);
	if (rc != STORE_OK && err && !err[0])
		store_seterr(err, rc, "form \"%s\": durations: %s", f->id, db_errmsg(tx->c));
	return rc;
}

/* ------------------------------------------------------------------ dashboard reads */

/* Appends to b (after "SELECT count(*) FROM <table>") the WHERE clause of the i-th
 * count and its arguments; false: no such count (it is 0). */
typedef bool (*count_where_fn)(const void *arg, size_t i, qb *b);

/*
 * n counts of f's records, on one reader: out[i] for the i-th WHERE. One count per
 * key on purpose: a count of one key walks its index range and nothing else, where a
 * grouped query over the same rows sorts them or evaluates an expression per row
 * (three to ten times slower on SQLite for a million records).
 */
static int count_each(store *s, const def_form *f, size_t n, count_where_fn where, const void *arg,
		      int64_t *out, const char *what)
{
	conn *c = NULL;
	memset(out, 0, n * sizeof *out);
	if (!store_form_ok(f))
		return STORE_ERROR;
	int rc = store_reader_take(s, &c);
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		qb b = QB_INIT;
		buf_puts(&b.sql, "SELECT count(*) FROM ");
		store_put_table(&b.sql, s, f->id);
		if (where(arg, i, &b))
			rc = db_int_query(c, buf_cstr(&b.sql), b.v, (int)b.n, &out[i]);
		qb_free(&b);
	}
	if (rc != STORE_OK && c)
		db_fail(c, rc, what);
	store_reader_give(s, c);
	return rc;
}

typedef struct overdue_at {
	const def_workflow *w;
	time_t now;
} overdue_at;

/* Overdue's rule (SPEC 4.5) turned round, two counts per state: those that entered it
 * at or after the cutoff, those with no date (is_overdue and put_overdue's twin). */
static bool not_overdue_where(const void *arg, size_t i, qb *b)
{
	const overdue_at *o = arg;
	const def_state *st = &o->w->states[i / 2];
	if (st->due_days < 0)
		return false;
	buf_puts(&b->sql, " WHERE \"_state\" = ? AND ");
	qb_text(b, st->id);
	if (i % 2) {
		buf_puts(&b->sql, "\"_state_since\" IS NULL");
		return true;
	}
	char *since = xmalloc(32);
	util_iso_datetime((time_t)((int64_t)o->now - (int64_t)st->due_days * DAY), since);
	buf_puts(&b->sql, "\"_state_since\" >= ?");
	qb_text_own(b, since);
	return true;
}

int store_count_not_overdue(store *s, const def_form *f, time_t now, int64_t *out)
{
	if (!f || !f->workflow)
		return STORE_ERROR;
	overdue_at o = {f->workflow, now};
	size_t n = f->workflow->nstates;
	int64_t *two = xmalloc(2 * n * sizeof *two);
	int rc = count_each(s, f, 2 * n, not_overdue_where, &o, two, "count not overdue");
	for (size_t i = 0; i < n; i++)
		out[i] = rc == STORE_OK ? two[2 * i] + two[2 * i + 1] : 0;
	free(two);
	return rc;
}

/* Runs b on a reader; fn gets each row. */
static int read_rows(store *s, qb *b, void (*fn)(void *arg, const db_rows *r), void *arg,
		     const char *what)
{
	conn *c = NULL;
	db_rows r = {0};
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK && (rc = qb_query(c, b, &r)) == STORE_OK) {
		while (db_next(&r))
			fn(arg, &r);
		rc = db_done(&r);
	}
	if (rc != STORE_OK && c)
		db_fail(c, rc, what);
	store_reader_give(s, c);
	return rc;
}

typedef struct durs {
	store_duration_fn fn;
	void *arg;
} durs;

static void duration_row(void *arg, const db_rows *r)
{
	durs *d = arg;
	d->fn(d->arg, db_int(r, 0), db_int(r, 1));
}

int store_durations(store *s, const def_form *f, store_duration kind, const char *const *states,
		    size_t nstates, store_duration_fn fn, void *arg)
{
	if (!store_form_ok(f))
		return STORE_ERROR;
	if (nstates == 0)
		return STORE_OK;
	qb b = QB_INIT;
	buf_puts(&b.sql, "SELECT \"tenths\", sum(\"n\") FROM ");
	store_put_table(&b.sql, s, "_durations");
	buf_puts(&b.sql, " WHERE \"form\" = ? AND \"kind\" = ? AND \"state\" IN (");
	qb_text(&b, f->id);
	qb_text(&b, KIND[kind]);
	for (size_t i = 0; i < nstates; i++) {
		buf_puts(&b.sql, i ? ", ?" : "?");
		qb_text(&b, states[i]);
	}
	buf_puts(&b.sql, ") GROUP BY \"tenths\" ORDER BY \"tenths\"");
	durs d = {fn, arg};
	int rc = read_rows(s, &b, duration_row, &d, "durations");
	qb_free(&b);
	return rc;
}

typedef struct reached {
	store_reached_fn fn;
	void *arg;
} reached;

static void reached_row(void *arg, const db_rows *r)
{
	reached *x = arg;
	x->fn(x->arg, db_text(r, 0), db_text(r, 1), db_text(r, 2));
}

int store_reached(store *s, store_reached_fn fn, void *arg)
{
	qb b = QB_INIT;
	store_sql(s, &b.sql,
		  "SELECT DISTINCT \"form\", \"transition\", \"to_state\" FROM {_history} WHERE "
		  "\"to_state\" IS NOT NULL");
	reached x = {fn, arg};
	int rc = read_rows(s, &b, reached_row, &x, "reached");
	qb_free(&b);
	return rc;
}

/* ------------------------------------------------------------------ retention purge */

typedef struct purge_job {
	const store_purge_req *q;
	const char *state; /* the final state of this batch */
	char now[32], before[32];
	int64_t id[PURGE_BATCH], version[PURGE_BATCH];
	char since[32]; /* the last record's, where the next batch starts */
	size_t n;
	int64_t purged;
} purge_job;

/* The records the purge is for, in j->state: the purge index's own condition first. */
static void put_due(qb *b, const purge_job *j)
{
	buf_puts(&b->sql, " \"_purged_at\" IS NULL AND \"_state\" = ? AND \"_state_since\" < ?");
	qb_text(b, j->state);
	qb_text(b, j->before);
}

/*
 * The next batch of due records in j->state after (since, id), in the order of the
 * purge index (a partial index of the records not purged): a pass with nothing to do
 * reads nothing, whatever the number of purged records before it.
 */
static int purge_candidates(store *s, purge_job *j, int64_t after)
{
	qb b = QB_INIT;
	conn *c = NULL;
	db_rows r = {0};
	buf_puts(&b.sql, "SELECT \"id\", \"_version\", \"_state_since\" FROM ");
	store_put_table(&b.sql, s, j->q->f->id);
	buf_puts(&b.sql, " WHERE");
	put_due(&b, j);
	buf_printf(&b.sql,
		   " AND (\"_state_since\", \"id\") > (?, ?) ORDER BY \"_state_since\", \"id\" "
		   "LIMIT %d",
		   PURGE_BATCH);
	qb_text(&b, j->since); /* bound, not copied: j->since must not change under the rows */
	qb_int(&b, after);
	char last[32] = "";
	j->n = 0;
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK && (rc = qb_query(c, &b, &r)) == STORE_OK) {
		while (db_next(&r) && j->n < PURGE_BATCH) {
			j->id[j->n] = db_int(&r, 0);
			j->version[j->n++] = db_int(&r, 1);
			snprintf(last, sizeof last, "%s", db_text(&r, 2) ? db_text(&r, 2) : "");
		}
		rc = db_done(&r);
	}
	memcpy(j->since, last, sizeof last);
	if (rc != STORE_OK && c)
		db_fail(c, rc, "purge: due records");
	store_reader_give(s, c);
	qb_free(&b);
	return rc;
}

/* One history line without the erased values: changes of erased columns become
 * [null, null] (the line still says the field changed), the comment goes. */
static char *scrub_changes(const def_form *f, const bool *erase, const char *changes)
{
	json_error_t je;
	json_t *ch = changes ? json_loads(changes, 0, &je) : NULL;
	if (!json_is_object(ch)) {
		json_decref(ch);
		return NULL;
	}
	for (size_t c = 0; c < f->ncols; c++)
		if (erase[c] && json_object_get(ch, f->cols[c]->name))
			json_object_set_new(ch, f->cols[c]->name, json_pack("[n n]"));
	char *out = json_dumps(ch, JSON_COMPACT);
	json_decref(ch);
	return out;
}

/* Every history line of the record, scrubbed. */
static int scrub_history(store_tx *tx, const store_purge_req *q, int64_t id)
{
	db_rows r;
	buf sql = BUF_INIT;
	int64_t *ids = NULL;
	char **changes = NULL;
	size_t n = 0, cap = 0;
	int rc = db_query(tx->c,
			  store_sql(tx->s, &sql,
				    "SELECT \"id\", \"changes\" FROM {_history} WHERE \"form\" = ? "
				    "AND \"record_id\" = ? ORDER BY \"id\""),
			  DB_ARGS(DB_S(q->f->id), DB_I(id)), &r);
	if (rc == STORE_OK) {
		while (db_next(&r)) {
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				ids = xrealloc(ids, cap * sizeof *ids);
				changes = xrealloc(changes, cap * sizeof *changes);
			}
			ids[n] = db_int(&r, 0);
			changes[n++] = scrub_changes(q->f, q->erase, db_text(&r, 1));
		}
		rc = db_done(&r);
	}
	/* (read whole first: SQLite would see its own updates under a running SELECT) */
	for (size_t i = 0; rc == STORE_OK && i < n; i++)
		rc = store_exec(tx,
				"UPDATE {_history} SET \"changes\" = ?, \"comment\" = NULL WHERE "
				"\"id\" = ?",
				DB_ARGS(DB_S(changes[i]), DB_I(ids[i])), NULL);
	for (size_t i = 0; i < n; i++)
		free(changes[i]);
	free(changes);
	free(ids);
	buf_free(&sql);
	return rc;
}

/* One record, if it is still as read and still due: values, _purged_at, history. */
static int purge_one(store_tx *tx, purge_job *j, size_t i)
{
	const def_form *f = j->q->f;
	qb b = QB_INIT;
	buf_puts(&b.sql, "UPDATE ");
	store_put_table(&b.sql, tx->s, f->id);
	buf_puts(&b.sql, " SET \"_purged_at\" = ?, \"_version\" = \"_version\" + 1");
	qb_text(&b, j->now);
	for (size_t c = 0; c < f->ncols; c++) {
		if (!j->q->erase[c])
			continue;
		buf_puts(&b.sql, ", ");
		store_put_ident(&b.sql, f->cols[c]->name);
		buf_puts(&b.sql, " = NULL");
	}
	buf_puts(&b.sql, " WHERE \"id\" = ? AND \"_version\" = ? AND");
	qb_int(&b, j->id[i]);
	qb_int(&b, j->version[i]);
	put_due(&b, j);
	int64_t changed = 0;
	int rc = qb_exec(tx->c, &b, &changed);
	qb_free(&b);
	if (rc != STORE_OK || changed == 0)
		return rc; /* changed meanwhile: the next pass looks again */
	if ((rc = store_files_drop(tx, f, j->id[i], j->q->erase)) == STORE_OK)
		rc = scrub_history(tx, j->q, j->id[i]);
	if (rc == STORE_OK)
		rc = store_tx_history(tx, f, j->id[i], j->now, "system", "purge", NULL, NULL, NULL,
				      NULL, NULL);
	if (rc == STORE_OK)
		j->purged++;
	return rc;
}

static int purge_apply(store_tx *tx, void *arg)
{
	purge_job *j = arg;
	j->purged = 0;
	int rc = STORE_OK;
	for (size_t i = 0; rc == STORE_OK && i < j->n; i++)
		rc = purge_one(tx, j, i);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "purge");
}

/* Every due record of one final state, batch by batch. */
static int purge_state(store *s, purge_job *j, int64_t *purged)
{
	const store_purge_req *q = j->q;
	int64_t after = 0;
	int rc;
	j->since[0] = '\0';
	do {
		if ((rc = purge_candidates(s, j, after)) != STORE_OK || j->n == 0)
			break;
		after = j->id[j->n - 1];
		if ((rc = store_write_sync(s, purge_apply, j)) != STORE_OK)
			break;
		*purged += j->purged;
	} while (j->n == PURGE_BATCH && !(q->stop && atomic_load(q->stop)));
	return rc;
}

int store_purge(store *s, const store_purge_req *q, int64_t *purged)
{
	*purged = 0;
	if (!store_form_ok(q->f))
		return STORE_ERROR;
	purge_job *j = xcalloc(1, sizeof *j);
	j->q = q;
	util_iso_datetime(q->now, j->now);
	util_iso_datetime(q->before, j->before);
	int rc = STORE_OK;
	for (size_t i = 0; i < q->nstates && rc == STORE_OK; i++) {
		j->state = q->states[i];
		rc = purge_state(s, j, purged);
	}
	free(j);
	return rc;
}
