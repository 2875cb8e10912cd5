/*
 * store_records — records, lists, counts, history and tracking links of the app
 * databases (see store.h).
 *
 * One WHERE compiler (compile_where) serves get, list, count and count_states, so a
 * list never shows what a get refuses. Lists page by keyset: a cursor carries the
 * sort key and the last row's sort value and id, so a page costs an index range scan
 * however deep it is, and a cursor made for another sort order is refused.
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

/* STORE_BADQUERY with its reason for the caller (q->why) and a detail for the log (err). */
static int bad(const store_query *q, store_bad why, char *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(const store_query *q, store_bad why, char *err, const char *fmt, ...)
{
	if (q->why)
		*q->why = why;
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, STORE_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return STORE_BADQUERY;
}

/* ------------------------------------------------------------------ values and rows */

enum { C_ID, C_STATE, C_SINCE, C_VERSION, C_CAT, C_CBY, C_UAT, C_UBY, C_HASH, C_PURGED, C_DATA };

static const char SYS_SELECT[] = "\"id\", \"_state\", \"_state_since\", \"_version\", "
				 "\"_created_at\", \"_created_by\", \"_updated_at\", "
				 "\"_updated_by\", \"_def_hash\", \"_purged_at\"";

static void put_select(buf *b, const store *s, const def_form *f)
{
	buf_puts(b, "SELECT ");
	buf_puts(b, SYS_SELECT);
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(b, ", ");
		store_put_ident(b, f->cols[i]->name);
	}
	buf_puts(b, " FROM ");
	store_put_table(b, s, f->id);
}

static db_arg value_arg(const value *v)
{
	switch (v->kind) {
	case VAL_INT:
		return DB_I(v->i);
	case VAL_REAL:
		return DB_D(v->d);
	case VAL_TEXT:
		return DB_S(v->s);
	case VAL_NULL:
		break;
	}
	return DB_NULL;
}

/*
 * A column into a value. The field type says the expected class (INTEGER, REAL,
 * TEXT); a stored value of another class is kept as stored, except integers in a
 * REAL field (integer -> decimal migration, or an integral decimal), read as reals.
 */
/* A text value: copied, or (borrow) pointing into SQLite's row until the next step. */
static void set_text(value *v, const char *t, bool borrow)
{
	if (!borrow) {
		value_set_text(v, t);
		return;
	}
	v->kind = t ? VAL_TEXT : VAL_NULL;
	v->s = (char *)t;
}

static void read_value(const db_rows *r, int i, const def_field *fd, value *v, bool borrow)
{
	const char *sql = def_type_sql(fd->type);
	bool want_real = sql && sql[0] == 'R'; /* "REAL" */
	bool want_text = sql && sql[0] == 'T'; /* "TEXT" */
	switch (db_type(r, i)) {
	case DB_T_INT:
		if (want_real)
			value_set_real(v, (double)db_int(r, i));
		else if (want_text)
			set_text(v, db_text(r, i), borrow);
		else
			value_set_int(v, db_int(r, i));
		break;
	case DB_T_REAL:
		if (want_text)
			set_text(v, db_text(r, i), borrow);
		else
			value_set_real(v, db_real(r, i));
		break;
	case DB_T_TEXT: {
		const char *t = db_text(r, i);
		if (t)
			set_text(v, t, borrow);
		break;
	}
	default:
		break;
	}
}

/* The C twin of put_overdue(): keep the two in step. */
static bool is_overdue(const def_form *f, const char *state, const char *since, time_t now)
{
	if (!f->workflow || !state || !since)
		return false;
	int k = def_find_state(f->workflow, state);
	if (k < 0 || f->workflow->states[k].due_days < 0)
		return false;
	time_t t;
	if (!util_parse_datetime(since, &t))
		return false;
	return (int64_t)t < (int64_t)now - (int64_t)f->workflow->states[k].due_days * DAY;
}

static void set_col_text(char **slot_, const db_rows *st, int i, bool borrow)
{
	const char *t = db_text(st, i);
	if (borrow)
		*slot_ = (char *)t;
	else
		record_set_sys(slot_, t);
}

/*
 * The current row (selected by put_select) into r, whose values must all be NULL.
 * borrow: r's strings point into the engine's row, valid until the next row; such a
 * record is read only, never cleared.
 */
static void fill_row(const db_rows *st, const def_form *f, time_t now, record *r, bool borrow)
{
	r->id = db_int(st, C_ID);
	r->version = db_int(st, C_VERSION);
	if (f->workflow)
		set_col_text(&r->state, st, C_STATE, borrow);
	set_col_text(&r->state_since, st, C_SINCE, borrow);
	set_col_text(&r->created_at, st, C_CAT, borrow);
	set_col_text(&r->created_by, st, C_CBY, borrow);
	set_col_text(&r->updated_at, st, C_UAT, borrow);
	set_col_text(&r->updated_by, st, C_UBY, borrow);
	set_col_text(&r->def_hash, st, C_HASH, borrow);
	set_col_text(&r->purged_at, st, C_PURGED, borrow);
	for (size_t i = 0; i < f->ncols; i++)
		read_value(st, C_DATA + (int)i, f->cols[i], &r->values[i], borrow);
	r->overdue = is_overdue(f, r->state, r->state_since, now);
}

/* The current row into r, which is initialised here and owns its strings. */
static void read_row(const db_rows *st, const def_form *f, time_t now, record *r)
{
	record_init(r, f);
	fill_row(st, f, now, r, false);
}

/* ------------------------------------------------------------------ query builder */

/* Times are ISO 8601 UTC text of one width: compared as text, the same on both engines. */
static void qb_time(qb *b, time_t t)
{
	char *iso = xmalloc(32);
	util_iso_datetime(t, iso);
	qb_text_own(b, iso);
}

/*
 * "((state = ? AND since < ?) OR ...)" over the states with due_days, or "FALSE": the
 * SQL twin of is_overdue().
 */
static void put_overdue(qb *b, const def_form *f, time_t now)
{
	const def_workflow *w = f->workflow;
	bool any = false;
	for (size_t i = 0; w && i < w->nstates; i++) {
		if (w->states[i].due_days < 0)
			continue;
		buf_puts(&b->sql, any ? " OR " : "(");
		buf_puts(&b->sql, "(\"_state\" = ? AND \"_state_since\" < ?)");
		qb_text(b, w->states[i].id);
		qb_time(b, (time_t)((int64_t)now - (int64_t)w->states[i].due_days * DAY));
		any = true;
	}
	buf_puts(&b->sql, any ? ")" : "FALSE");
}

/*
 * A search is words: q, folded, split at spaces. Each word must be found, in any order,
 * at the start of a word of the text ("dup" finds "Jean-Dupont", not "Ledupont"), its
 * punctuation literally ("a_b" is not "a b"). A word's letters and digits are what the
 * full-text index holds (tokens); bytes of other scripts count as letters.
 */
static bool is_token_char(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* The next word of *p (advanced past it), its length in *n; NULL after the last. */
static const char *next_term(const char **p, size_t *n)
{
	const char *t = *p + strspn(*p, " \t\r\n\f\v");
	*n = strcspn(t, " \t\r\n\f\v");
	*p = t + *n;
	return *n ? t : NULL;
}

static bool term_has_tokens(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_token_char((unsigned char)t[i]))
			return true;
	return false;
}

/* Only letters and digits: the index alone decides (no literal check needed). */
static bool term_is_word(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_token_char((unsigned char)t[i]))
			return false;
	return true;
}

/* '%' + t with %, _ and \ escaped by \ + '%'; caller frees. */
static char *like_term(const char *t, size_t n)
{
	buf p = BUF_INIT;
	buf_putc(&p, '%');
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '%' || t[i] == '_' || t[i] == '\\')
			buf_putc(&p, '\\');
		buf_putc(&p, t[i]);
	}
	buf_putc(&p, '%');
	return buf_steal(&p);
}

/* PostgreSQL: t at the start of a word (a regular expression); caller frees. */
static char *word_start_regex(const char *t, size_t n)
{
	buf p = BUF_INIT;
	buf_puts(&p, "(^|[^[:alnum:]])");
	for (size_t i = 0; i < n; i++) {
		if (!is_token_char((unsigned char)t[i]))
			buf_putc(&p, '\\'); /* any other character, literally */
		buf_putc(&p, t[i]);
	}
	return buf_steal(&p);
}

/* SQLite: t as an FTS5 phrase whose last token is a prefix: "t"* ("" for "). */
static void fts_phrase(buf *m, const char *t, size_t n)
{
	buf_puts(m, m->len ? " \"" : "\"");
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '"')
			buf_putc(m, '"');
		buf_putc(m, t[i]);
	}
	buf_puts(m, "\"*");
}

/* SQLite: the words of the folded search q that hold tokens, as one MATCH (AND). */
static void fts_match(const char *q, buf *m)
{
	const char *t;
	size_t n;
	while ((t = next_term(&q, &n)))
		if (term_has_tokens(t, n))
			fts_phrase(m, t, n);
}

static void put_fts_name(buf *sql, const store *s, const def_form *f)
{
	char fts[IDENT_MAX + 8];
	snprintf(fts, sizeof fts, "_fts_%s", f->id);
	store_put_table(sql, s, fts);
}

/*
 * SQLite: "id" among the matches of the MATCH expression m in the form's FTS5 table.
 * walk: many matches — written +"id" so that the engine walks the page's order index
 * and looks each row up among them, instead of reading every match and sorting.
 */
static void put_fts(qb *b, const store *s, const def_form *f, buf *m, bool walk)
{
	buf_puts(&b->sql,
		 walk ? "+\"id\" IN (SELECT \"rowid\" FROM " : "\"id\" IN (SELECT \"rowid\" FROM ");
	put_fts_name(&b->sql, s, f);
	buf_puts(&b->sql, " WHERE ");
	put_fts_name(&b->sql, s, f);
	buf_puts(&b->sql, " MATCH ?)");
	qb_text_own(b, buf_steal(m));
}

/*
 * PostgreSQL: a word prefix of t for the words column (store_migrate.c's pg_words), as a
 * tsquery ('dupont':*) into q: t's longest run of letters and digits (the likeliest to
 * be rare: for "CMD-0042", '0042':*, not 'cmd':*, which every record has), the LIKE
 * checking the rest. Only runs of ASCII go in: whether a letter of another script
 * joins a word depends on the database's locale. Returns whether the query decides
 * alone, as FTS5 does on SQLite: t is that one run.
 */
static bool words_query(const char *t, size_t n, buf *q)
{
	size_t runs = 0, best = 0, best_len = 0;
	for (size_t i = 0; i < n;) {
		if (!is_token_char((unsigned char)t[i])) {
			i++;
			continue;
		}
		size_t j = i;
		bool ascii = true;
		for (; j < n && is_token_char((unsigned char)t[j]); j++)
			ascii = ascii && (unsigned char)t[j] < 0x80;
		runs++;
		/* (a tsquery word is 2,047 bytes at most) */
		if (ascii && j - i > best_len && j - i <= 1000) {
			best = i;
			best_len = j - i;
		}
		i = j;
	}
	if (best_len)
		buf_printf(q, "'%.*s':*", (int)best_len, t + best);
	return runs == 1 && best_len == n;
}

/* The public search text holds word t: through its index, literally where t has punctuation. */
static void put_public_term(qb *b, const store *s, const def_form *f, const char *t, size_t n,
			    bool walk)
{
	bool pg = s->b->kind == DB_PG, tokens = term_has_tokens(t, n), word = term_is_word(t, n);
	buf_putc(&b->sql, '(');
	if (pg) {
		buf words = BUF_INIT;
		bool alone = words_query(t, n, &words), indexed = words.len > 0;
		if (indexed) {
			buf_puts(&b->sql, "\"_words\" @@ ?::tsquery");
			qb_text_own(b, buf_steal(&words));
		}
		buf_free(&words);
		if (!alone) {
			buf_puts(&b->sql, indexed ? " AND \"_search\" LIKE ? ESCAPE '\\'"
						  : "\"_search\" LIKE ? ESCAPE '\\'");
			qb_text_own(b, like_term(t, n));
		}
		if (!alone && is_token_char((unsigned char)t[0])) {
			buf_puts(&b->sql, " AND \"_search\" ~ ?");
			qb_text_own(b, word_start_regex(t, n));
		}
	} else {
		if (tokens) {
			buf m = BUF_INIT;
			fts_phrase(&m, t, n);
			put_fts(b, s, f, &m, walk);
		}
		if (!word) {
			buf_puts(&b->sql, tokens ? " AND \"_search\" LIKE ? ESCAPE '\\'"
						 : "\"_search\" LIKE ? ESCAPE '\\'");
			qb_text_own(b, like_term(t, n));
		}
	}
	buf_putc(&b->sql, ')');
}

/* A column as search compares it, accents and case folded (util_fold's twin in SQL). */
static void put_folded(buf *sql, const store *s, const char *col)
{
	bool pg = s->b->kind == DB_PG;
	buf_puts(sql, !pg ? "sa_fold(" : s->b->unaccent ? "lower(unaccent(" : "lower((");
	store_put_ident(sql, col);
	buf_puts(sql, pg ? "::text))" : ")");
}

/* Private search fields this reader may read (searched apart: see put_search). */
static bool private_searchable(const def_form *f, const store_query *q, size_t i)
{
	int c = def_find_col(f, f->list.search.v[i]);
	return c >= 0 && f->cols[c]->has_private && (!q->readable || q->readable[c]);
}

/*
 * q over the form's search fields. Those every reader may read are folded once, at the
 * write, into the column _search (store_search_text), searched through an index: SQLite's
 * FTS5 table _fts_<form> of its words, PostgreSQL's GIN index of the column _words
 * (store_migrate.c), so a search is no scan of the table. A private search field is
 * searched only for readers who may read it, in its own column (folded on the fly: a
 * match must not reveal it to others). On SQLite, without such fields, every word goes
 * into one MATCH.
 */
static void put_search(qb *b, const store *s, const def_form *f, const store_query *q, bool walk)
{
	buf folded = BUF_INIT;
	util_fold(q->q, &folded);
	bool pub = store_search_fields(f, NULL) > 0, priv = false;
	for (size_t i = 0; i < f->list.search.n; i++)
		priv = priv || private_searchable(f, q, i);
	const char *p = buf_cstr(&folded), *t;
	size_t n;
	if (!pub && !priv) {
		buf_puts(&b->sql, " AND FALSE");
	} else if (s->b->kind != DB_PG && !priv) {
		buf m = BUF_INIT;
		fts_match(p, &m);
		if (m.len) {
			buf_puts(&b->sql, " AND ");
			put_fts(b, s, f, &m, walk);
		}
		buf_free(&m);
		for (; (t = next_term(&p, &n));)
			if (!term_is_word(t, n)) {
				buf_puts(&b->sql, " AND \"_search\" LIKE ? ESCAPE '\\'");
				qb_text_own(b, like_term(t, n));
			}
	} else {
		for (; (t = next_term(&p, &n));) {
			buf_puts(&b->sql, " AND (");
			if (pub)
				put_public_term(b, s, f, t, n, walk);
			bool first = !pub;
			for (size_t i = 0; i < f->list.search.n; i++) {
				if (!private_searchable(f, q, i))
					continue;
				buf_puts(&b->sql, first ? "" : " OR ");
				first = false;
				put_folded(&b->sql, s,
					   f->cols[def_find_col(f, f->list.search.v[i])]->name);
				buf_puts(&b->sql, " LIKE ? ESCAPE '\\'");
				qb_text_own(b, like_term(t, n));
			}
			buf_putc(&b->sql, ')');
		}
	}
	buf_free(&folded);
}

/* A multichoice column (a JSON array) holds value. */
static void put_contains(qb *b, const store *s, const char *col, const char *want)
{
	buf *sql = &b->sql;
	if (s->b->kind == DB_PG) {
		buf_puts(sql, "COALESCE(jsonb_exists(");
		store_put_ident(sql, col);
		buf_puts(sql, "::jsonb, ?), FALSE)");
	} else {
		buf_puts(sql, "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(");
		store_put_ident(sql, col);
		buf_puts(sql, ") THEN ");
		store_put_ident(sql, col);
		buf_puts(sql, " END) WHERE \"value\" = ?)");
	}
	qb_text(b, want);
}

/*
 * One field filter, comparing the column itself with the value typed as the column
 * stores it (validate_filter): a money filter "12,50" is 1250 cents on both engines,
 * and a number that does not read as one matches nothing (never a type error).
 */
static int put_filter(qb *b, const store *s, const def_field *fd, const store_eq *e,
		      const store_query *q, char *err)
{
	buf *sql = &b->sql;
	if (fd->type == FT_MULTICHOICE && e->value && e->value[0]) {
		put_contains(b, s, fd->name, e->value);
		return STORE_OK;
	}
	value v;
	bool or_null = false;
	filter_kind k = e->value ? validate_filter(fd, e->value, &v, &or_null) : FILTER_EMPTY;
	switch (k) {
	case FILTER_BAD:
		return bad(q, STORE_BAD_FILTER, err, "filter \"%s\" takes true or false", fd->name);
	case FILTER_NONE:
		buf_puts(sql, "FALSE");
		return STORE_OK;
	case FILTER_EMPTY:
		store_put_ident(sql, fd->name);
		buf_puts(sql, " IS NULL");
		return STORE_OK;
	case FILTER_VALUE:
		break;
	}
	buf_putc(sql, '(');
	store_put_ident(sql, fd->name);
	buf_puts(sql, " = ?");
	if (or_null) {
		buf_puts(sql, " OR ");
		store_put_ident(sql, fd->name);
		buf_puts(sql, " IS NULL");
	}
	buf_putc(sql, ')');
	if (v.kind == VAL_TEXT)
		qb_text_own(b, v.s); /* the query frees it */
	else
		qb_arg(b, value_arg(&v));
	return STORE_OK;
}

/* A reference's look-ups: a page of ids (labels), or the words typed in its input, each
 * searched in the target's label column as search compares (folded). */
static int put_reference_terms(qb *b, const store *s, const def_form *f, const store_query *q,
			       char *err)
{
	if (q->nids) {
		buf_puts(&b->sql, " AND \"id\" IN (");
		for (size_t i = 0; i < q->nids; i++) {
			buf_puts(&b->sql, i ? ", ?" : "?");
			qb_int(b, q->ids[i]);
		}
		buf_putc(&b->sql, ')');
	}
	if (!q->contains)
		return STORE_OK;
	if (q->contains_col < 0 || (size_t)q->contains_col >= f->ncols)
		return bad(q, STORE_BAD_FILTER, err, "unknown search column");
	if (strlen(q->contains) > SEARCH_MAX)
		return bad(q, STORE_BAD_SEARCH, err, "search text is too long");
	buf folded = BUF_INIT;
	util_fold(q->contains, &folded);
	const char *p = buf_cstr(&folded), *t;
	size_t n;
	while ((t = next_term(&p, &n))) {
		buf_puts(&b->sql, " AND ");
		put_folded(&b->sql, s, f->cols[q->contains_col]->name);
		buf_puts(&b->sql, " LIKE ? ESCAPE '\\'");
		qb_text_own(b, like_term(t, n));
	}
	buf_free(&folded);
	return STORE_OK;
}

/*
 * The one WHERE clause of every read: the scope (read rule), then the filters of q.
 * Appends " WHERE ..." to b. err may be NULL.
 */
/* walk: a search with many matches, read in the page's order (put_fts). */
static int compile_where(qb *b, const store *s, const def_form *f, const store_query *q, bool walk,
			 char *err)
{
	buf *sql = &b->sql;
	buf_puts(sql, " WHERE ");
	if (q->scope.none) {
		buf_puts(sql, "FALSE");
		return STORE_OK;
	}
	buf_puts(sql, "TRUE");
	if (q->scope.owner) {
		buf_puts(sql, " AND \"_created_by\" = ?");
		qb_text(b, q->scope.owner);
	}
	if (q->state) {
		if (def_find_state(f->workflow, q->state) < 0)
			return bad(q, STORE_BAD_STATE, err, "unknown state \"%.100s\"", q->state);
		buf_puts(sql, " AND \"_state\" = ?");
		qb_text(b, q->state);
	}
	for (size_t i = 0; i < q->neq; i++) {
		const store_eq *e = &q->eq[i];
		if (e->col < 0 || (size_t)e->col >= f->ncols)
			return bad(q, STORE_BAD_FILTER, err, "unknown filter field");
		buf_puts(sql, " AND ");
		int rc = put_filter(b, s, f->cols[e->col], e, q, err);
		if (rc != STORE_OK)
			return rc;
	}
	if (q->q && q->q[0]) {
		if (strlen(q->q) > SEARCH_MAX)
			return bad(q, STORE_BAD_SEARCH, err, "search text is too long");
		put_search(b, s, f, q, walk);
	}
	if (q->overdue_only) {
		buf_puts(sql, " AND ");
		put_overdue(b, f, q->now);
	}
	if (q->entered_before) {
		buf_puts(sql, " AND \"_state_since\" <= ?");
		qb_time(b, q->entered_before);
	}
	return put_reference_terms(b, s, f, q, err);
}

/* ------------------------------------------------------------------ sort and cursor */

int store_parse_sort(const def_form *f, const char *sort, sortkey *k, char *err)
{
	if (!sort || !*sort)
		sort = f->list.sort && *f->list.sort ? f->list.sort : "-created_at";
	k->desc = sort[0] == '-';
	const char *name = sort + (sort[0] == '-' || sort[0] == '+' || sort[0] == ' ');
	static const struct {
		const char *name, *col;
		int sel;
		bool nonnull;
	} sys[] = {{"id", "id", C_ID, true},
		   {"created_at", "_created_at", C_CAT, true},
		   {"updated_at", "_updated_at", C_UAT, true},
		   {"state", "_state", C_STATE, false}};
	k->col = NULL;
	k->nonnull = false;
	for (size_t i = 0; i < sizeof sys / sizeof *sys; i++) {
		if (strcmp(name, sys[i].name) == 0) {
			k->col = sys[i].col;
			k->sel = sys[i].sel;
			k->nonnull = sys[i].nonnull;
		}
	}
	if (!k->col) {
		int c = def_find_col(f, name);
		if (c < 0)
			return store_seterr(err, STORE_BADQUERY, "unknown sort field \"%.100s\"",
					    name);
		k->col = f->cols[c]->name;
		k->sel = C_DATA + c;
	}
	snprintf(k->key, sizeof k->key, "%s%s", k->desc ? "-" : "", name);
	return STORE_OK;
}

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64url_encode(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = B64URL[(v >> 18) & 63];
		out[o++] = B64URL[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = B64URL[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = B64URL[v & 63];
	}
	out[o] = '\0';
	return out;
}

static int b64url_val(char c)
{
	const char *p = c ? strchr(B64URL, c) : NULL;
	return p ? (int)(p - B64URL) : -1;
}

/* Strict: only the URL-safe alphabet, no padding, no stray trailing bits. */
static bool b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outn)
{
	if (n % 4 == 1)
		return false;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_val(s[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return false;
	*outn = o;
	return true;
}

/* Cursor of the current row: base64url of ["<sort key>", <sort value>, <id>]. Caller frees. */
static char *make_cursor(const sortkey *k, const db_rows *st)
{
	json_t *v = NULL;
	switch (db_type(st, k->sel)) {
	case DB_T_INT:
		v = json_integer(db_int(st, k->sel));
		break;
	case DB_T_REAL:
		v = json_real(db_real(st, k->sel));
		break;
	case DB_T_NULL:
		v = json_null();
		break;
	default: {
		const char *t = db_text(st, k->sel);
		v = t ? json_stringn(t, db_len(st, k->sel)) : NULL;
		break;
	}
	}
	if (!v)
		return NULL;
	json_t *a = json_pack("[s o I]", k->key, v, (json_int_t)db_int(st, C_ID));
	char *txt = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	if (!txt)
		return NULL;
	char *out = b64url_encode((const unsigned char *)txt, strlen(txt));
	free(txt);
	return out;
}

/* Checks and decodes a cursor made by make_cursor for the same sort key; *out: new ref. */
static int parse_cursor(const char *after, const sortkey *k, json_t **out, char *err)
{
	unsigned char raw[CURSOR_MAX];
	size_t n = strlen(after), rn = 0;
	*out = NULL;
	if (n == 0 || n > CURSOR_MAX || !b64url_decode(after, n, raw, &rn))
		return store_seterr(err, STORE_BADQUERY, "malformed cursor");
	json_error_t je;
	json_t *a = json_loadb((const char *)raw, rn, 0, &je);
	json_t *key = json_array_get(a, 0), *v = json_array_get(a, 1), *id = json_array_get(a, 2);
	if (!json_is_array(a) || json_array_size(a) != 3 || !json_is_string(key) ||
	    !json_is_integer(id) ||
	    !(json_is_null(v) || json_is_integer(v) || json_is_real(v) || json_is_string(v))) {
		json_decref(a);
		return store_seterr(err, STORE_BADQUERY, "malformed cursor");
	}
	if (strcmp(json_string_value(key), k->key) != 0) {
		json_decref(a);
		return store_seterr(err, STORE_BADQUERY, "cursor belongs to another sort order");
	}
	*out = a;
	return STORE_OK;
}

/*
 * Keyset pages, each piece an index range. Lists sort NULL first ascending and last
 * descending (written out: the engines' defaults differ). Rows after a cursor on
 * (col, id) are one range when col is never NULL or when the rest stays on one side
 * of the NULLs; otherwise two, run one after the other (segment 0, then 1):
 *   ascending from a NULL:       NULLs with a greater id, then every non-NULL;
 *   descending from a value:     (col, id) below it, then every NULL.
 * A single OR of the two would make the engines scan the index from its start instead
 * of seeking to the cursor. Appends the segment's condition; false when there is none.
 */
static bool put_segment(qb *b, const sortkey *k, json_t *cur, int seg)
{
	buf *sql = &b->sql;
	const char *cmp = k->desc ? "<" : ">";
	if (!cur)
		return seg == 0;
	json_t *v = json_array_get(cur, 1);
	int64_t id = json_integer_value(json_array_get(cur, 2));
	if (k->sel == C_ID || (k->nonnull && json_is_null(v))) {
		if (seg > 0)
			return false;
		buf_printf(sql, " AND \"id\" %s ?", cmp);
		qb_int(b, id);
		return true;
	}
	bool null_first = json_is_null(v) && !k->desc;
	bool null_last = !json_is_null(v) && k->desc && !k->nonnull;
	if (seg == 1 && !null_first && !null_last)
		return false;
	if (seg == 1) {
		buf_puts(sql, " AND ");
		store_put_ident(sql, k->col);
		buf_puts(sql, null_first ? " IS NOT NULL" : " IS NULL");
		return true;
	}
	if (json_is_null(v)) {
		buf_puts(sql, " AND ");
		store_put_ident(sql, k->col);
		buf_printf(sql, " IS NULL AND \"id\" %s ?", cmp);
		qb_int(b, id);
		return true;
	}
	buf_puts(sql, " AND (");
	store_put_ident(sql, k->col);
	buf_printf(sql, ", \"id\") %s (?, ?)", cmp);
	if (json_is_integer(v))
		qb_int(b, json_integer_value(v));
	else if (json_is_real(v))
		qb_real(b, json_real_value(v));
	else
		qb_text(b, json_string_value(v));
	qb_int(b, id);
	return true;
}

/* ------------------------------------------------------------------ reads */

static const store_scope ALL = {false, NULL};

int store_get(store *s, const def_form *f, int64_t id, const store_scope *scope, time_t now,
	      record *out)
{
	qb b = QB_INIT;
	conn *c = NULL;
	db_rows r = {0};
	store_query q;
	memset(out, 0, sizeof *out);
	memset(&q, 0, sizeof q);
	q.scope = scope ? *scope : ALL;
	int rc = store_form_ok(f) ? STORE_OK : STORE_ERROR;
	if (rc == STORE_OK) {
		put_select(&b.sql, s, f);
		rc = compile_where(&b, s, f, &q, false, NULL);
	}
	buf_puts(&b.sql, " AND \"id\" = ?");
	qb_int(&b, id);
	if (rc == STORE_OK)
		rc = store_reader_take(s, &c);
	if (rc == STORE_OK && (rc = qb_query(c, &b, &r)) == STORE_OK) {
		if (db_next(&r))
			read_row(&r, f, now, out);
		else if (r.rc == STORE_OK)
			r.rc = STORE_NOTFOUND;
		rc = db_done(&r);
	}
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		db_fail(c, rc, "get");
	store_reader_give(s, c);
	qb_free(&b);
	return rc;
}

/* How a page is read: its order, the cursor it starts after, how a search is read. */
typedef struct page_plan {
	sortkey k;
	json_t *cur;
	bool walk; /* a search with many matches: walk the order's index (put_fts) */
} page_plan;

/*
 * The SELECT of segment seg of one page of f: the predicate, the cursor's range, the
 * order, at most `limit` rows. STORE_NOTFOUND (nothing to run) when there is no such
 * segment.
 */
static int list_sql(const store *s, const def_form *f, const store_query *q, const page_plan *pl,
		    int seg, int64_t limit, qb *b, char *err)
{
	const sortkey *k = &pl->k;
	put_select(&b->sql, s, f);
	int rc = compile_where(b, s, f, q, pl->walk, err);
	if (rc != STORE_OK)
		return rc;
	if (!put_segment(b, k, pl->cur, seg))
		return STORE_NOTFOUND;
	const char *dir = k->desc ? "DESC" : "ASC";
	buf_puts(&b->sql, " ORDER BY ");
	if (k->sel != C_ID) {
		store_put_ident(&b->sql, k->col);
		/* Written out for a nullable column, as its index is made (store_migrate.c). */
		buf_printf(&b->sql, " %s%s, ", dir,
			   k->nonnull ? ""
			   : k->desc  ? " NULLS LAST"
				      : " NULLS FIRST");
	}
	buf_printf(&b->sql, "\"id\" %s LIMIT ?", dir);
	qb_int(b, limit);
	return STORE_OK;
}

/*
 * SQLite reads a search's matches from the full-text index, looks each up and sorts
 * them: quick for a few, slow for tens of thousands, where walking the page's order
 * and keeping the rows that match finds a page after a few hundred rows. The matches
 * are counted up to where the walk wins (a page's rows for every 40 read).
 */
static int search_walks(store *s, conn *c, const def_form *f, const store_query *q, bool *walk)
{
	*walk = false;
	if (s->b->kind == DB_PG || !q->q || !q->q[0] || !store_search_fields(f, NULL))
		return STORE_OK;
	buf folded = BUF_INIT, m = BUF_INIT;
	util_fold(q->q, &folded);
	fts_match(buf_cstr(&folded), &m);
	buf_free(&folded);
	int rc = STORE_OK;
	if (m.len) {
		int64_t cap = 40 * ((int64_t)q->limit + 1), n = 0;
		qb b = QB_INIT;
		buf_puts(&b.sql, "SELECT count(*) FROM (SELECT 1 FROM ");
		put_fts_name(&b.sql, s, f);
		buf_puts(&b.sql, " WHERE ");
		put_fts_name(&b.sql, s, f);
		buf_puts(&b.sql, " MATCH ? LIMIT ?)");
		qb_text_own(&b, buf_steal(&m));
		qb_int(&b, cap);
		db_rows r = {0};
		if ((rc = qb_query(c, &b, &r)) == STORE_OK) {
			if (db_next(&r))
				n = db_int(&r, 0);
			rc = db_done(&r);
		}
		qb_free(&b);
		*walk = n >= cap;
	}
	buf_free(&m);
	return rc;
}

/* The plan of q's page, on c: its order and cursor checked, the search's way chosen. */
static int plan_page(store *s, conn *c, const def_form *f, const store_query *q, page_plan *pl,
		     char *err)
{
	if (q->limit < 1 || q->limit > LIMIT_MAX)
		return bad(q, STORE_BAD_LIMIT, err, "limit must be between 1 and %d", LIMIT_MAX);
	int rc = store_parse_sort(f, q->sort, &pl->k, err);
	if (rc != STORE_OK) {
		if (q->why)
			*q->why = STORE_BAD_SORT;
		return rc;
	}
	if (q->after && (rc = parse_cursor(q->after, &pl->k, &pl->cur, err)) != STORE_OK) {
		if (q->why)
			*q->why = STORE_BAD_CURSOR;
		return rc;
	}
	if ((rc = search_walks(s, c, f, q, &pl->walk)) != STORE_OK)
		store_seterr(err, db_fail(c, rc, "search"), "cannot read the search");
	return rc;
}

/* One page being read: where its rows go, how many so far, the next page's cursor. */
typedef struct page_run {
	const def_form *f;
	const store_query *q;
	const page_plan *pl;
	store_page *page; /* copies here (store_list), or ... */
	store_row_fn fn;  /* ... borrowed rows there (store_list_each) */
	void *arg;
	record tmp;
	size_t n;   /* rows taken */
	bool more;  /* a row beyond the page exists */
	char *next; /* the cursor of the last row taken */
} page_run;

/* Takes the rows of one segment's result until the page is full (then notes one more). */
static int take_rows(page_run *p, db_rows *r, char *err)
{
	while (!p->more && db_next(r)) {
		if (p->n == (size_t)p->q->limit) {
			p->more = true;
			break;
		}
		if (p->page) {
			read_row(r, p->f, p->q->now, &p->page->v[p->n]);
			p->page->n = p->n + 1;
		} else {
			value *vals = p->tmp.values;
			memset(vals, 0, p->f->ncols * sizeof *vals);
			p->tmp = (record){.nvalues = p->f->ncols, .values = vals};
			fill_row(r, p->f, p->q->now, &p->tmp, true);
			p->fn(p->arg, &p->tmp);
		}
		if (++p->n == (size_t)p->q->limit && !(p->next = make_cursor(&p->pl->k, r)))
			r->rc = store_seterr(err, STORE_ERROR, "cannot build the cursor");
	}
	return db_done(r);
}

/* Segment seg of the page, on c. */
static int run_segment(store *s, conn *c, page_run *p, int seg, char *err)
{
	qb b = QB_INIT;
	db_rows r = {0};
	int rc =
	    list_sql(s, p->f, p->q, p->pl, seg, (int64_t)p->q->limit + 1 - (int64_t)p->n, &b, err);
	if (rc == STORE_NOTFOUND) {
		qb_free(&b);
		return STORE_OK;
	}
	if (rc == STORE_OK && (rc = qb_query(c, &b, &r)) != STORE_OK)
		store_seterr(err, db_fail(c, rc, "list"), "cannot read the list");
	if (rc == STORE_OK && (rc = take_rows(p, &r, err)) != STORE_OK)
		db_fail(c, rc, "list");
	qb_free(&b);
	return rc;
}

/*
 * The rows of one page go to fn with borrowed strings (store_list_each), or are
 * copied into page->v (store_list). next gets the cursor of the next page (caller frees).
 */
static int list_rows(store *s, const def_form *f, const store_query *q, store_page *page,
		     store_row_fn fn, void *arg, char **next_out, char err[STORE_ERR_LEN])
{
	conn *c = NULL;
	page_plan pl = {0};
	page_run p = {.f = f, .q = q, .pl = &pl, .page = page, .fn = fn, .arg = arg};
	*next_out = NULL;
	if (err)
		err[0] = '\0';
	int rc =
	    store_form_ok(f) ? STORE_OK : store_seterr(err, STORE_ERROR, "form cannot be queried");
	if (rc == STORE_OK && (rc = store_reader_take(s, &c)) != STORE_OK)
		store_seterr(err, rc, "cannot reach the database");
	if (rc == STORE_OK)
		rc = plan_page(s, c, f, q, &pl, err);
	if (rc == STORE_OK) {
		if (page)
			page->v = xcalloc((size_t)q->limit, sizeof *page->v);
		else
			record_init(&p.tmp, f); /* one values array for every row */
	}
	for (int seg = 0; rc == STORE_OK && seg < 2 && !p.more; seg++)
		rc = run_segment(s, c, &p, seg, err);
	if (rc == STORE_OK && p.more) {
		*next_out = p.next;
		p.next = NULL;
	}
	free(p.tmp.values); /* the borrowed strings are the engine's */
	store_reader_give(s, c);
	free(p.next);
	json_decref(pl.cur);
	return rc;
}

int store_list_explain(store *s, const def_form *f, const store_query *q, int seg, buf *plan)
{
	page_plan pl = {0};
	qb b = QB_INIT;
	conn *c = NULL;
	db_rows r = {0};
	char err[STORE_ERR_LEN];
	buf_puts(&b.sql, s->b->kind == DB_PG ? "EXPLAIN " : "EXPLAIN QUERY PLAN ");
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK)
		rc = plan_page(s, c, f, q, &pl, err);
	if (rc == STORE_OK)
		rc = list_sql(s, f, q, &pl, seg, q->limit + 1, &b, err);
	if (rc == STORE_OK && (rc = qb_query(c, &b, &r)) == STORE_OK) {
		/* SQLite: (id, parent, notused, detail); PostgreSQL: one text column. */
		int col = s->b->kind == DB_PG ? 0 : 3;
		while (db_next(&r)) {
			buf_puts(plan, db_text(&r, col) ? db_text(&r, col) : "");
			buf_putc(plan, '\n');
		}
		rc = db_done(&r);
	}
	store_reader_give(s, c);
	json_decref(pl.cur);
	qb_free(&b);
	return rc;
}

int store_list(store *s, const def_form *f, const store_query *q, store_page *out,
	       char err[STORE_ERR_LEN])
{
	memset(out, 0, sizeof *out);
	int rc = list_rows(s, f, q, out, NULL, NULL, &out->next, err);
	if (rc != STORE_OK)
		store_page_free(out);
	return rc;
}

int store_list_each(store *s, const def_form *f, const store_query *q, store_row_fn fn, void *arg,
		    char **next, char err[STORE_ERR_LEN])
{
	return list_rows(s, f, q, NULL, fn, arg, next, err);
}

void store_page_free(store_page *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		record_clear(&p->v[i]);
	free(p->v);
	free(p->next);
	memset(p, 0, sizeof *p);
}

/* Runs b (one row, first column an integer) on a reader. */
static int read_int(store *s, qb *b, int64_t *out, const char *what)
{
	conn *c = NULL;
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK &&
	    (rc = db_int_query(c, buf_cstr(&b->sql), b->v, (int)b->n, out)) != STORE_OK)
		db_fail(c, rc, what);
	store_reader_give(s, c);
	return rc;
}

/*
 * SQLite: a search alone (no scope, state or filter) whose words the index decides by
 * itself (no punctuation, no private field) is counted in the FTS5 table, without
 * looking each match up in the form's table: every record is a document of it.
 */
static bool count_in_fts(const store *s, const def_form *f, const store_query *q)
{
	if (s->b->kind == DB_PG || !q->q || q->scope.owner || q->state || q->neq ||
	    q->overdue_only || q->entered_before || !store_search_fields(f, NULL) ||
	    strlen(q->q) > SEARCH_MAX)
		return false;
	for (size_t i = 0; i < f->list.search.n; i++)
		if (private_searchable(f, q, i))
			return false;
	buf folded = BUF_INIT;
	util_fold(q->q, &folded);
	bool words = true, any = false;
	const char *p = buf_cstr(&folded), *t;
	size_t n;
	while (words && (t = next_term(&p, &n))) {
		words = term_is_word(t, n);
		any = true;
	}
	buf_free(&folded);
	return words && any;
}

int store_count_upto(store *s, const def_form *f, const store_query *q, int64_t cap, int64_t *out)
{
	int rc = STORE_OK;
	qb b = QB_INIT;
	*out = 0;
	if (!store_form_ok(f))
		return STORE_ERROR;
	if (q->scope.none)
		return STORE_OK;
	buf_puts(&b.sql,
		 cap > 0 ? "SELECT count(*) FROM (SELECT 1 FROM " : "SELECT count(*) FROM ");
	if (count_in_fts(s, f, q)) {
		buf m = BUF_INIT, folded = BUF_INIT;
		util_fold(q->q, &folded);
		fts_match(buf_cstr(&folded), &m);
		buf_free(&folded);
		put_fts_name(&b.sql, s, f);
		buf_puts(&b.sql, " WHERE ");
		put_fts_name(&b.sql, s, f);
		buf_puts(&b.sql, " MATCH ?");
		qb_text_own(&b, buf_steal(&m));
	} else {
		store_put_table(&b.sql, s, f->id);
		rc = compile_where(&b, s, f, q, false, NULL);
	}
	if (cap > 0) {
		buf_puts(&b.sql, " LIMIT ?) AS \"upto\"");
		qb_int(&b, cap + 1);
	}
	if (rc == STORE_OK)
		rc = read_int(s, &b, out, "count");
	qb_free(&b);
	return rc;
}

int store_count(store *s, const def_form *f, const store_query *q, int64_t *out)
{
	return store_count_upto(s, f, q, 0, out);
}

int store_count_states(store *s, const def_form *f, const store_scope *scope, time_t now,
		       store_state_count *out)
{
	qb b = QB_INIT;
	conn *c = NULL;
	db_rows r = {0};
	store_query q;
	const def_workflow *w = f ? f->workflow : NULL;
	size_t ns = w ? w->nstates : 1;
	if (!store_form_ok(f))
		return STORE_ERROR;
	for (size_t i = 0; i < ns; i++) {
		out[i].state = w ? w->states[i].id : NULL;
		out[i].total = out[i].overdue = 0;
	}
	memset(&q, 0, sizeof q);
	q.scope = scope ? *scope : ALL;
	if (q.scope.none)
		return (int)ns;
	buf_puts(&b.sql, "SELECT \"_state\", count(*), sum(CASE WHEN ");
	put_overdue(&b, f, now);
	buf_puts(&b.sql, " THEN 1 ELSE 0 END) FROM ");
	store_put_table(&b.sql, s, f->id);
	int rc = compile_where(&b, s, f, &q, false, NULL);
	buf_puts(&b.sql, " GROUP BY \"_state\"");
	if (rc == STORE_OK)
		rc = store_reader_take(s, &c);
	if (rc == STORE_OK && (rc = qb_query(c, &b, &r)) == STORE_OK) {
		while (db_next(&r)) {
			int k = 0;
			if (w && (k = def_find_state(w, db_text(&r, 0))) < 0)
				continue; /* a state migration has not moved yet: not shown */
			out[k].total += db_int(&r, 1);
			out[k].overdue += db_int(&r, 2);
		}
		rc = db_done(&r);
	}
	if (rc != STORE_OK)
		db_fail(c, rc, "count_states");
	store_reader_give(s, c);
	qb_free(&b);
	return rc == STORE_OK ? (int)ns : rc;
}

static void history_from_row(const db_rows *r, store_history_line *h)
{
	memset(h, 0, sizeof *h);
	h->id = db_int(r, 0);
	h->at = db_dup(r, 1);
	h->actor = db_dup(r, 2);
	h->action = db_dup(r, 3);
	h->from_state = db_dup(r, 4);
	h->to_state = db_dup(r, 5);
	h->transition = db_dup(r, 6);
	h->comment = db_dup(r, 7);
	const char *ch = db_text(r, 8);
	if (ch) {
		json_error_t je;
		h->changes = json_loads(ch, 0, &je);
	}
}

int store_history(store *s, const def_form *f, int64_t record_id, store_history_line **out,
		  size_t *n)
{
	static const char tmpl[] =
	    "SELECT \"id\", \"at\", \"actor\", \"action\", \"from_state\", \"to_state\", "
	    "\"transition\", \"comment\", \"changes\" FROM {_history} "
	    "WHERE \"form\" = ? AND \"record_id\" = ? ORDER BY \"id\"";
	conn *c = NULL;
	db_rows r = {0};
	buf sql = BUF_INIT;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (!store_form_ok(f))
		return STORE_ERROR;
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK &&
	    (rc = db_query(c, store_sql(s, &sql, tmpl), DB_ARGS(DB_S(f->id), DB_I(record_id)),
			   &r)) == STORE_OK) {
		while (db_next(&r)) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 8;
				*out = xrealloc(*out, cap * sizeof **out);
			}
			history_from_row(&r, &(*out)[(*n)++]);
		}
		rc = db_done(&r);
	}
	if (rc != STORE_OK) {
		db_fail(c, rc, "history");
		store_history_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	store_reader_give(s, c);
	buf_free(&sql);
	return rc;
}

void store_history_line_clear(store_history_line *l)
{
	free(l->at);
	free(l->actor);
	free(l->action);
	free(l->from_state);
	free(l->to_state);
	free(l->transition);
	free(l->comment);
	json_decref(l->changes);
	memset(l, 0, sizeof *l);
}

void store_history_free(store_history_line *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_history_line_clear(&v[i]);
	free(v);
}

/* ------------------------------------------------------------------ search text */

size_t store_search_fields(const def_form *f, const def_field **out)
{
	size_t n = 0;
	for (size_t i = 0; i < f->list.search.n; i++) {
		int c = def_find_col(f, f->list.search.v[i]);
		if (c < 0 || f->cols[c]->has_private)
			continue;
		if (out)
			out[n] = f->cols[c];
		n++;
	}
	return n;
}

char *store_search_text(const def_form *f, const record *r)
{
	buf raw = BUF_INIT, out = BUF_INIT;
	bool any = false;
	for (size_t i = 0; i < f->list.search.n; i++) {
		int c = def_find_col(f, f->list.search.v[i]);
		if (c < 0 || f->cols[c]->has_private || (size_t)c >= r->nvalues)
			continue;
		const value *v = &r->values[c];
		if (v->kind == VAL_NULL)
			continue;
		/* One line per field: a search never matches across two of them. */
		if (any)
			buf_putc(&raw, '\n');
		if (v->kind == VAL_TEXT)
			buf_puts(&raw, v->s);
		else if (v->kind == VAL_INT)
			buf_printf(&raw, "%lld", (long long)v->i);
		else
			buf_printf(&raw, "%.15g", v->d);
		any = true;
	}
	if (!any) {
		buf_free(&raw);
		return NULL;
	}
	util_fold(buf_cstr(&raw), &out);
	buf_free(&raw);
	return buf_steal(&out);
}

/* ------------------------------------------------------------------ writes */

int store_tx_insert(store_tx *tx, const def_form *f, record *r)
{
	if (!store_form_ok(f) || r->nvalues != f->ncols)
		return STORE_ERROR;
	qb b = QB_INIT;
	buf_puts(&b.sql, "INSERT INTO ");
	store_put_table(&b.sql, tx->s, f->id);
	buf_puts(&b.sql, " (\"_state\", \"_state_since\", \"_version\", \"_created_at\", "
			 "\"_created_by\", \"_updated_at\", \"_updated_by\", \"_def_hash\", "
			 "\"_search\"");
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(&b.sql, ", ");
		store_put_ident(&b.sql, f->cols[i]->name);
	}
	buf_puts(&b.sql, ") VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?");
	for (size_t i = 0; i < f->ncols; i++)
		buf_puts(&b.sql, ", ?");
	buf_puts(&b.sql, ") RETURNING \"id\"");
	qb_text(&b, f->workflow ? r->state : NULL);
	qb_text(&b, r->state_since);
	qb_text(&b, r->created_at);
	qb_text(&b, r->created_by);
	qb_text(&b, r->updated_at);
	qb_text(&b, r->updated_by);
	qb_text(&b, r->def_hash);
	qb_text_own(&b, store_search_text(f, r));
	for (size_t i = 0; i < f->ncols; i++)
		qb_arg(&b, value_arg(&r->values[i]));
	int64_t id = 0;
	int rc = db_int_query(tx->c, buf_cstr(&b.sql), b.v, (int)b.n, &id);
	if (rc == STORE_OK) {
		r->id = id;
		r->version = 1;
	} else {
		db_fail(tx->c, rc, "insert");
	}
	qb_free(&b);
	return rc == STORE_OK ? store_files_refs(tx, f, id, r) : rc;
}
/* NOTFOUND or CONFLICT for a row an UPDATE did not touch. */
static int why_untouched(store_tx *tx, const def_form *f, int64_t id)
{
	buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT \"_version\" FROM ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, " WHERE \"id\" = ?");
	int64_t version;
	int rc = db_int_query(tx->c, buf_cstr(&sql), DB_ARGS(DB_I(id)), &version);
	buf_free(&sql);
	if (rc == STORE_OK)
		return STORE_CONFLICT;
	return rc == STORE_NOTFOUND ? rc : db_fail(tx->c, rc, "update check");
}

int store_tx_update(store_tx *tx, const def_form *f, record *r, int64_t expect_version)
{
	if (!store_form_ok(f) || r->nvalues != f->ncols)
		return STORE_ERROR;
	qb b = QB_INIT;
	buf_puts(&b.sql, "UPDATE ");
	store_put_table(&b.sql, tx->s, f->id);
	buf_puts(&b.sql,
		 " SET \"_state\" = ?, \"_state_since\" = ?, \"_version\" = \"_version\" + 1, "
		 "\"_updated_at\" = ?, \"_updated_by\" = ?, \"_def_hash\" = ?, \"_search\" = ?");
	qb_text(&b, f->workflow ? r->state : NULL);
	qb_text(&b, r->state_since);
	qb_text(&b, r->updated_at);
	qb_text(&b, r->updated_by);
	qb_text(&b, r->def_hash);
	qb_text_own(&b, store_search_text(f, r));
	for (size_t i = 0; i < f->ncols; i++) {
		buf_puts(&b.sql, ", ");
		store_put_ident(&b.sql, f->cols[i]->name);
		buf_puts(&b.sql, " = ?");
		qb_arg(&b, value_arg(&r->values[i]));
	}
	buf_puts(&b.sql, " WHERE \"id\" = ? AND \"_version\" = ?");
	qb_int(&b, r->id);
	qb_int(&b, expect_version);
	int64_t changed = 0;
	int rc = qb_exec(tx->c, &b, &changed);
	qb_free(&b);
	if (rc != STORE_OK)
		return db_fail(tx->c, rc, "update");
	if (changed == 0)
		return why_untouched(tx, f, r->id);
	r->version = expect_version + 1;
	return store_files_refs(tx, f, r->id, r);
}

int store_tx_delete(store_tx *tx, const def_form *f, int64_t id)
{
	if (!store_form_ok(f))
		return STORE_ERROR;
	buf sql = BUF_INIT;
	buf_puts(&sql, "DELETE FROM ");
	store_put_table(&sql, tx->s, f->id);
	buf_puts(&sql, " WHERE \"id\" = ?");
	int64_t changed = 0;
	int rc = db_exec(tx->c, buf_cstr(&sql), DB_ARGS(DB_I(id)), &changed);
	buf_free(&sql);
	if (rc != STORE_OK)
		return db_fail(tx->c, rc, "delete");
	return changed == 0 ? STORE_NOTFOUND : store_files_refs(tx, f, id, NULL);
}

int store_tx_page_by_id(store_tx *tx, const def_form *f, int64_t after, int limit, store_page *out)
{
	memset(out, 0, sizeof *out);
	buf sql = BUF_INIT;
	db_rows r;
	put_select(&sql, tx->s, f);
	buf_puts(&sql, " WHERE \"id\" > ? ORDER BY \"id\" LIMIT ?");
	out->v = xcalloc((size_t)limit, sizeof *out->v);
	int rc = db_query(tx->c, buf_cstr(&sql), DB_ARGS(DB_I(after), DB_I(limit)), &r);
	while (rc == STORE_OK && out->n < (size_t)limit && db_next(&r))
		read_row(&r, f, util_now(), &out->v[out->n++]);
	if (rc == STORE_OK)
		rc = db_done(&r);
	buf_free(&sql);
	return rc;
}

int store_tx_get(store_tx *tx, const def_form *f, int64_t id, record *out)
{
	memset(out, 0, sizeof *out);
	if (!store_form_ok(f))
		return STORE_ERROR;
	buf sql = BUF_INIT;
	db_rows r;
	put_select(&sql, tx->s, f);
	buf_puts(&sql, " WHERE \"id\" = ?");
	int rc = db_query(tx->c, buf_cstr(&sql), DB_ARGS(DB_I(id)), &r);
	if (rc == STORE_OK) {
		if (db_next(&r))
			read_row(&r, f, util_now(), out);
		else if (r.rc == STORE_OK)
			r.rc = STORE_NOTFOUND;
		rc = db_done(&r);
	}
	buf_free(&sql);
	return rc == STORE_OK || rc == STORE_NOTFOUND ? rc : db_fail(tx->c, rc, "tx get");
}

int store_tx_history(store_tx *tx, const def_form *f, int64_t record_id, const char *at,
		     const char *actor, const char *action, const char *from_state,
		     const char *to_state, const char *transition, const char *comment,
		     json_t *changes)
{
	if (!store_form_ok(f) || !at || !action)
		return STORE_ERROR;
	char *ch = NULL;
	/* A state change ends a stay: the dashboard's durations follow the history. */
	if (strcmp(action, "transition") == 0 && to_state) {
		int rc = store_gov_note(tx, f, record_id, at, to_state);
		if (rc != STORE_OK)
			return rc;
	}
	if (changes && !(ch = json_dumps(changes, JSON_COMPACT)))
		return STORE_ERROR;
	int rc = store_exec(
	    tx,
	    "INSERT INTO {_history} (\"form\", \"record_id\", \"at\", \"actor\", "
	    "\"action\", \"from_state\", \"to_state\", \"transition\", \"comment\", "
	    "\"changes\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_ARGS(DB_S(f->id), DB_I(record_id), DB_S(at), DB_S(actor), DB_S(action),
		    DB_S(from_state), DB_S(to_state), DB_S(transition), DB_S(comment), DB_S(ch)),
	    NULL);
	free(ch);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "history insert");
}

/* ------------------------------------------------------------------ tracking links */

int store_tx_tracking_add(store_tx *tx, const char *hash, const char *form, int64_t id)
{
	int rc = store_exec(tx,
			    "INSERT INTO {_tracking} (\"token_hash\", \"form\", \"record_id\") "
			    "VALUES (?, ?, ?) ON CONFLICT (\"token_hash\") DO UPDATE SET "
			    "\"form\" = excluded.\"form\", \"record_id\" = excluded.\"record_id\"",
			    DB_ARGS(DB_S(hash), DB_S(form), DB_I(id)), NULL);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "tracking insert");
}

int store_tx_tracking_remove(store_tx *tx, const char *hash)
{
	int rc = store_exec(tx, "DELETE FROM {_tracking} WHERE \"token_hash\" = ?",
			    DB_ARGS(DB_S(hash)), NULL);
	return rc == STORE_OK ? rc : db_fail(tx->c, rc, "tracking delete");
}

int store_tracking_find(store *s, const char *hash, char form[64], int64_t *id)
{
	conn *c = NULL;
	db_rows r;
	buf sql = BUF_INIT;
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK &&
	    (rc = db_query(c,
			   store_sql(s, &sql,
				     "SELECT \"form\", \"record_id\" FROM {_tracking} WHERE "
				     "\"token_hash\" = ?"),
			   DB_ARGS(DB_S(hash)), &r)) == STORE_OK) {
		if (db_next(&r)) {
			snprintf(form, 64, "%s", db_text(&r, 0) ? db_text(&r, 0) : "");
			*id = db_int(&r, 1);
		} else if (r.rc == STORE_OK) {
			r.rc = STORE_NOTFOUND;
		}
		rc = db_done(&r);
	}
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		db_fail(c, rc, "tracking lookup");
	store_reader_give(s, c);
	buf_free(&sql);
	return rc;
}

/* ------------------------------------------------------------------ idempotency keys */

void store_idem_clear(store_idem *x)
{
	free(x->body);
	free(x->form);
	free(x->location);
	free(x->response);
	memset(x, 0, sizeof *x);
}

int store_idem_get(store *s, const char *key, int64_t since, store_idem *out)
{
	memset(out, 0, sizeof *out);
	conn *c = NULL;
	db_rows r = {0};
	buf sql = BUF_INIT;
	int rc = store_reader_take(s, &c);
	if (rc == STORE_OK &&
	    (rc = db_query(
		 c,
		 store_sql(s, &sql,
			   "SELECT \"body\", \"form\", \"record_id\", \"status\", "
			   "\"location\", \"response\" FROM {_idempotency} WHERE \"key\" = ? "
			   "AND \"at\" >= ?"),
		 DB_ARGS(DB_S(key), DB_I(since)), &r)) == STORE_OK) {
		if (db_next(&r)) {
			out->body = db_dup(&r, 0);
			out->form = db_dup(&r, 1);
			out->record_id = db_int(&r, 2);
			out->status = (int)db_int(&r, 3);
			out->location = db_dup(&r, 4);
			out->response = db_dup(&r, 5);
		} else if (r.rc == STORE_OK) {
			r.rc = STORE_NOTFOUND;
		}
		rc = db_done(&r);
	}
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		db_fail(c, rc, "idempotency lookup");
	store_reader_give(s, c);
	buf_free(&sql);
	return rc;
}

int store_tx_idem_add(store_tx *tx, const char *key, const char *body, const char *form,
		      int64_t record_id, int64_t now, int64_t since)
{
	/* A key older than the retention is free again. */
	int rc = store_exec(tx, "DELETE FROM {_idempotency} WHERE \"key\" = ? AND \"at\" < ?",
			    DB_ARGS(DB_S(key), DB_I(since)), NULL);
	if (rc == STORE_OK && (now & 255) == 0)
		rc = store_exec(tx, "DELETE FROM {_idempotency} WHERE \"at\" < ?",
				DB_ARGS(DB_I(since)), NULL);
	if (rc == STORE_OK)
		rc = store_exec(
		    tx,
		    "INSERT INTO {_idempotency} (\"key\", \"body\", \"form\", "
		    "\"record_id\", \"at\") VALUES (?, ?, ?, ?, ?)",
		    DB_ARGS(DB_S(key), DB_S(body), DB_S(form), DB_I(record_id), DB_I(now)), NULL);
	/* A unique violation is the caller's to read (the same key, committed first). */
	return rc == STORE_OK || rc == STORE_CONFLICT ? rc
						      : db_fail(tx->c, rc, "idempotency insert");
}

typedef struct idem_answer {
	char *key, *location, *response;
	int status;
} idem_answer;

static int apply_idem_answer(store_tx *tx, void *arg)
{
	idem_answer *a = arg;
	return store_exec(
	    tx,
	    "UPDATE {_idempotency} SET \"status\" = ?, \"location\" = ?, "
	    "\"response\" = ? WHERE \"key\" = ?",
	    DB_ARGS(DB_I(a->status), DB_S(a->location), DB_S(a->response), DB_S(a->key)), NULL);
}

static void idem_answer_done(void *arg, int rc)
{
	idem_answer *a = arg;
	if (rc != STORE_OK)
		log_message("store", "the answer of an idempotency key was not kept; a retry is "
				     "answered from the record");
	free(a->key);
	free(a->location);
	free(a->response);
	free(a);
}

void store_idem_answer(store *s, const char *key, int status, const char *location,
		       const char *response)
{
	idem_answer *a = xcalloc(1, sizeof *a);
	a->key = xstrdup(key);
	a->location = xstrdup(location);
	a->response = xstrdup(response);
	a->status = status;
	store_submit(s, apply_idem_answer, idem_answer_done, a);
}
