/*
 * outbox — mails as rows of the app database, delivered over SMTP (see outbox.h).
 *
 * Owns the _outbox table's rows (the table itself is created by store.c): rendering a
 * notification into a message (outbox_render), queueing it inside the caller's
 * transaction (outbox_tx_add), reading rows back for /admin/outbox, building the
 * RFC 5322 message and handing it to libcurl's SMTP client, and the sender thread.
 *
 * Delivery, row by row: a row is due when status = 'pending' and next_attempt_at <=
 * now (util_now, so SMALLAPPS_NOW fixes it too). "role:<r>" is resolved then, to the
 * addresses of the users granted r in the app (auth_role_emails); every recipient
 * goes in one SMTP transaction. One refused recipient must not cost the others their
 * mail (an agent who left, a full mailbox), so the message goes to those accepted:
 * a recipient refused with a 5xx is named in the sent row's last_error, one refused
 * with a 4xx gets a row of their own, queued with the same text and retried later
 * like any other (also when nobody accepted it: some refused for good, the others
 * for now, the row fails and the latter get their rows). Then:
 *   - 2xx at the end of DATA: 'sent', with sent_at and the server's answer;
 *   - 5xx for every recipient or after them, a role nobody with an address holds,
 *     an invalid address:
 *     'failed' at once, the answer (or the reason) kept in last_error;
 *   - anything else (4xx, connection refused, timeout): attempts + 1 and
 *     next_attempt_at = now + outbox_backoff(attempts), or 'failed' once attempts
 *     reaches max_attempts.
 * Reads go through store_read, status changes through store_write_sync (the store's
 * single writer); every UPDATE only touches a row still 'pending' with the attempts
 * it was read (or claimed) with. Before anything is sent the row is claimed: attempts
 * + 1 and next_attempt_at = now + outbox_backoff(attempts), still 'pending', committed.
 * Nothing is sent when the claim cannot be written (a database locked by another
 * process, say); when the final status cannot be written after a 250, the row stays
 * claimed and is not due before the backoff. Either way the pass ends there for that
 * database and the sender waits for the next poll: a failed write costs at most one
 * duplicate per backoff period, never one per poll. A stop (SIGTERM) during the SMTP
 * exchange undoes the claim: not an attempt. A crash between the server's 250 and the
 * UPDATE sends the row again once the backoff is over (at least once); its Message-ID
 * is stable across attempts so the duplicate can be recognised.
 *
 * Logs name the row id, app, status and SMTP answer, never a body or a whole address.
 *
 * Thread-safety: rendering and formatting are pure; outbox_deliver_due may run on any
 * thread but one pass at a time per process is assumed (the sender is the only
 * caller while serving). Memory: every function frees what it allocates except
 * where its comment in outbox.h says the caller owns the result.
 */
#include "outbox.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "auth.h"
#include "log.h"
#include "registry.h"
#include "util.h"
#include "validate.h"

#define DEFAULT_MAX_ATTEMPTS 8
#define BACKOFF_BASE 60           /* seconds after the first failure, doubled each time */
#define BACKOFF_MAX 3600
#define BATCH 50                  /* due rows read per app and pass */
#define POLL_SECONDS 5
#define CONFIDENTIAL "[confidentiel]"

/*
 * An address that is safe in a header and in the envelope: local@domain, with no
 * space, control or list/quote character. As loose as the loader's check of notify.to
 * ("mairie@localhost" is fine): what passes `check` never fails here. Field values
 * were checked as e-mail addresses by the pipeline already.
 */
static bool address_ok(const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || strlen(s) > 254)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("<>()[]\\,;:\"", *p))
			return false;
	return true;
}

/* ---- message lists ---- */

void outbox_list_add(outbox_list *l, const char *to, const char *subject, const char *body)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	outbox_msg *m = &l->v[l->n++];
	m->to = xstrdup(to ? to : "");
	m->subject = xstrdup(subject ? subject : "");
	m->body = xstrdup(body ? body : "");
}

void outbox_list_clear(outbox_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].to);
		free(l->v[i].subject);
		free(l->v[i].body);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* ---- rendering ---- */

/* An ISO datetime (UTC) as French local time: "23/11/2026 à 10:31". */
static void put_local_datetime(buf *o, const char *iso)
{
	time_t t;
	if (!iso || !util_parse_datetime(iso, &t)) {
		buf_puts(o, iso ? iso : "");
		return;
	}
	time_t local = t + util_paris_offset(t);
	struct tm l;
	gmtime_r(&local, &l);
	buf_printf(o, "%02d/%02d/%04d à %02d:%02d", l.tm_mday, l.tm_mon + 1, l.tm_year + 1900,
	           l.tm_hour, l.tm_min);
}

/* Whether a mail to `to` may carry private field fd: only to a role allowed to read it. */
static bool may_show(const def_field *fd, const char *to)
{
	if (!fd->has_private)
		return true;
	if (strncmp(to, "role:", 5) != 0)
		return false;
	const char *role = to + 5;
	actor a = {.roles = &role, .nroles = 1};
	return access_can_read_col(fd, &a);
}

/* Appends the value of placeholder `name`; false when the name is unknown. */
static bool put_placeholder(buf *o, const def_form *f, const record *r, const char *to,
                            const char *name)
{
	int col = def_find_col(f, name);
	if (col >= 0) {
		const def_field *fd = f->cols[col];
		if (!may_show(fd, to)) {
			buf_puts(o, CONFIDENTIAL);
			return true;
		}
		if ((size_t)col >= r->nvalues || !r->values)
			return true;
		const value *v = &r->values[col];
		if (fd->type == FT_CHOICE && v->kind == VAL_TEXT)
			buf_puts(o, def_option_label(fd, v->s));
		else
			validate_display(fd, v, LANG_FR, o);
		return true;
	}
	if (strcmp(name, "id") == 0) {
		buf_printf(o, "%" PRId64, r->id);
	} else if (strcmp(name, "version") == 0) {
		buf_printf(o, "%" PRId64, r->version);
	} else if (strcmp(name, "state") == 0) {
		int i = f->workflow && r->state ? def_find_state(f->workflow, r->state) : -1;
		buf_puts(o, i >= 0 ? f->workflow->states[i].label : (r->state ? r->state : ""));
	} else if (strcmp(name, "created_at") == 0) {
		put_local_datetime(o, r->created_at);
	} else if (strcmp(name, "updated_at") == 0) {
		put_local_datetime(o, r->updated_at);
	} else if (strcmp(name, "created_by") == 0) {
		buf_puts(o, r->created_by ? r->created_by : "");
	} else if (strcmp(name, "updated_by") == 0) {
		buf_puts(o, r->updated_by ? r->updated_by : "");
	} else {
		return false;
	}
	return true;
}

/* tmpl with every {{name}} replaced (spaces inside the braces allowed); unknown ones kept. */
static void fill(buf *o, const def_form *f, const record *r, const char *to, const char *tmpl)
{
	const char *p = tmpl ? tmpl : "";
	for (;;) {
		const char *open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		if (!close) {
			buf_puts(o, p);
			return;
		}
		buf_add(o, p, (size_t)(open - p));
		char name[128];
		size_t len = (size_t)(close - open - 2);
		bool done = false;
		if (len < sizeof name) {
			memcpy(name, open + 2, len);
			name[len] = '\0';
			util_trim(name);
			done = put_placeholder(o, f, r, to, name);
		}
		if (!done)
			buf_add(o, open, (size_t)(close + 2 - open));
		p = close + 2;
	}
}

int outbox_render(const def_app *app, const def_form *f, const record *r, const char *to,
                  const char *subject, const char *body, const char *link, outbox_list *out,
                  char err[OUTBOX_ERR_LEN])
{
	(void)app;
	char *addr = NULL;
	if (!to || !*to) {
		snprintf(err, OUTBOX_ERR_LEN, "notify: destinataire absent");
		return -1;
	}
	if (strncmp(to, "field:", 6) == 0) {
		int col = def_find_col(f, to + 6);
		if (col < 0) {
			snprintf(err, OUTBOX_ERR_LEN, "notify: champ inconnu \"%s\"", to + 6);
			return -1;
		}
		const value *v = (size_t)col < r->nvalues && r->values ? &r->values[col] : NULL;
		if (!v || v->kind != VAL_TEXT || !v->s)
			return 0;
		addr = util_trim(xstrdup(v->s));
		if (!*addr) {
			free(addr);
			return 0;     /* an optional e-mail field left blank: nobody to tell */
		}
	} else if (strncmp(to, "role:", 5) == 0) {
		if (!to[5]) {
			snprintf(err, OUTBOX_ERR_LEN, "notify: rôle absent dans \"%s\"", to);
			return -1;
		}
	} else if (!address_ok(to)) {
		snprintf(err, OUTBOX_ERR_LEN, "notify: destinataire invalide \"%.200s\"", to);
		return -1;
	}
	const char *dest = addr ? addr : to;

	buf subj = BUF_INIT, text = BUF_INIT;
	fill(&subj, f, r, dest, subject);
	/* One line: CR, LF (and any other control character) become a space. */
	for (size_t i = 0; i < subj.len; i++)
		if ((unsigned char)subj.data[i] < 0x20 || subj.data[i] == 0x7f)
			subj.data[i] = ' ';
	fill(&text, f, r, dest, body);
	if (link && *link) {
		while (text.len && (text.data[text.len - 1] == '\n' || text.data[text.len - 1] == '\r' ||
		                    text.data[text.len - 1] == ' '))
			text.data[--text.len] = '\0';
		if (text.len)
			buf_puts(&text, "\n\n");
		buf_puts(&text, link);
		buf_putc(&text, '\n');
	}
	outbox_list_add(out, dest, buf_cstr(&subj), buf_cstr(&text));
	buf_free(&subj);
	buf_free(&text);
	free(addr);
	return 0;
}

/* ---- queueing and reading rows ---- */

int outbox_tx_add(store_tx *tx, const def_form *f, int64_t record_id, const char *at,
                  const outbox_list *l)
{
	if (!l || l->n == 0)
		return STORE_OK;
	sqlite3 *db = store_tx_db(tx);
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR;
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO \"_outbox\" (\"form\", \"record_id\", \"created_at\","
	                       " \"to_spec\", \"subject\", \"body\", \"status\", \"attempts\","
	                       " \"next_attempt_at\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?3)",
	                       -1, &st, NULL) != SQLITE_OK)
		goto done;
	for (size_t i = 0; i < l->n; i++) {
		const outbox_msg *m = &l->v[i];
		sqlite3_reset(st);
		if (sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 2, record_id) != SQLITE_OK ||
		    sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 4, m->to, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 5, m->subject, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 6, m->body, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE)
			goto done;
	}
	rc = STORE_OK;
done:
	if (rc != STORE_OK)
		log_message("outbox", "insert: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

typedef struct row_query {
	const char *sql;
	const char *now;          /* bound to ?1 when set */
	int limit;                /* bound to ?2 (or ?1 without now) */
	bool with_body;
	outbox_row *v;
	size_t n;
} row_query;

/* Columns: id, form, record_id, created_at, to_spec, subject, status, attempts,
 * next_attempt_at, last_error, sent_at, smtp_reply[, body]. */
#define ROW_COLS                                                                          \
	"\"id\", \"form\", \"record_id\", \"created_at\", \"to_spec\", \"subject\", \"status\","  \
	" \"attempts\", \"next_attempt_at\", \"last_error\", \"sent_at\", \"smtp_reply\""

static int read_rows(sqlite3 *db, void *arg)
{
	row_query *q = arg;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int step, rc = STORE_ERROR;
	if (sqlite3_prepare_v2(db, q->sql, -1, &st, NULL) != SQLITE_OK)
		goto done;
	int k = 1;
	if (q->now && sqlite3_bind_text(st, k++, q->now, -1, SQLITE_STATIC) != SQLITE_OK)
		goto done;
	if (sqlite3_bind_int(st, k, q->limit) != SQLITE_OK)
		goto done;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (q->n == cap) {
			cap = cap ? 2 * cap : 16;
			q->v = xrealloc(q->v, cap * sizeof *q->v);
		}
		outbox_row *r = &q->v[q->n++];
		memset(r, 0, sizeof *r);
		r->id = sqlite3_column_int64(st, 0);
		r->form = col_text(st, 1);
		r->record_id = sqlite3_column_int64(st, 2);
		r->created_at = col_text(st, 3);
		r->to = col_text(st, 4);
		r->subject = col_text(st, 5);
		r->status = col_text(st, 6);
		r->attempts = sqlite3_column_int(st, 7);
		r->next_attempt_at = col_text(st, 8);
		r->last_error = col_text(st, 9);
		r->sent_at = col_text(st, 10);
		r->smtp_reply = col_text(st, 11);
		if (q->with_body)
			r->body = col_text(st, 12);
	}
	if (step == SQLITE_DONE)
		rc = STORE_OK;
done:
	if (rc != STORE_OK)
		log_message("outbox", "read: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

void outbox_rows_free(outbox_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		outbox_row *r = &v[i];
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

int outbox_recent(store *s, int limit, outbox_row **out, size_t *n)
{
	row_query q = {.sql = "SELECT " ROW_COLS " FROM \"_outbox\" ORDER BY \"id\" DESC LIMIT ?1",
	               .limit = limit};
	int rc = store_read(s, read_rows, &q);
	if (rc != STORE_OK) {
		outbox_rows_free(q.v, q.n);
		*out = NULL;
		*n = 0;
		return STORE_ERROR;
	}
	*out = q.v;
	*n = q.n;
	return STORE_OK;
}

/* ---- the message ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(buf *o, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		buf_putc(o, B64[(v >> 18) & 63]);
		buf_putc(o, B64[(v >> 12) & 63]);
		buf_putc(o, i + 1 < n ? B64[(v >> 6) & 63] : '=');
		buf_putc(o, i + 2 < n ? B64[v & 63] : '=');
	}
}

/*
 * Text for an unstructured header, starting at column `col`: as is (folded at spaces)
 * when it is printable ASCII that cannot be mistaken for an encoded word and every
 * word fits; otherwise RFC 2047 B words of at most 39 bytes (never splitting a UTF-8
 * sequence), one per line, so every line stays under 78 columns.
 */
static void put_header_text(buf *o, const char *s, size_t col)
{
	size_t n = strlen(s), word = 0;
	bool plain = strstr(s, "=?") == NULL;
	for (size_t i = 0; i < n && plain; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e)
			plain = false;
		word = c == ' ' ? 0 : word + 1;
		if (word > 70)
			plain = false;
	}
	if (plain) {
		for (size_t i = 0; i < n;) {
			size_t j = i + 1;
			while (j < n && s[j] != ' ')
				j++;
			/* s[i..j) is a word with its leading space (except the first one) */
			if (i > 0 && col + (j - i) > 78) {
				buf_puts(o, "\r\n");
				col = 0;
			}
			buf_add(o, s + i, j - i);
			col += j - i;
			i = j;
		}
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t len = n - i < 39 ? n - i : 39;
		/* back off to a character boundary (a continuation byte is 10xxxxxx) */
		while (len > 1 && i + len < n && ((unsigned char)s[i + len] & 0xc0) == 0x80)
			len--;
		if (i > 0)
			buf_puts(o, "\r\n ");
		buf_puts(o, "=?UTF-8?B?");
		put_base64(o, (const unsigned char *)s + i, len);
		buf_puts(o, "?=");
		i += len;
	}
}

/* RFC 5322 date in UTC: "Mon, 23 Nov 2026 10:31:09 +0000" (no locale involved). */
static void put_date(buf *o, time_t t)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm g;
	gmtime_r(&t, &g);
	buf_printf(o, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[g.tm_wday % 7], g.tm_mday,
	           months[g.tm_mon % 12], g.tm_year + 1900, g.tm_hour, g.tm_min, g.tm_sec);
}

/* Splits "Name <addr>" or "addr": *name (may be empty) and the address, both copied. */
static void split_from(const char *from, char **name, char **addr)
{
	const char *lt = strrchr(from, '<');
	size_t n = strlen(from);
	if (lt && n > 0 && from[n - 1] == '>') {
		*name = util_trim(xstrndup(from, (size_t)(lt - from)));
		*addr = util_trim(xstrndup(lt + 1, (size_t)(from + n - 1 - (lt + 1))));
	} else {
		*name = xstrdup("");
		*addr = util_trim(xstrdup(from));
	}
}

static void put_qp_line(buf *o, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		bool last = i + 1 == n;
		char tok[4];
		size_t tl;
		if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
			tok[0] = (char)c;
			tl = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			tl = 3;
		}
		/* a soft break "=" must fit too: at most 75 characters before it */
		if (col + tl > (last ? 76 : 75)) {
			buf_puts(o, "=\r\n");
			col = 0;
		}
		buf_add(o, tok, tl);
		col += tl;
	}
	buf_puts(o, "\r\n");
}

void outbox_format_message(buf *out, const char *from, const char *const *to, size_t nto,
                           const char *subject, const char *body, time_t date,
                           const char *msgid)
{
	char *name, *addr;
	split_from(from ? from : "", &name, &addr);

	buf_puts(out, "Date: ");
	put_date(out, date);
	buf_puts(out, "\r\nFrom: ");
	if (*name) {
		bool plain = true;
		for (const char *p = name; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\')
				plain = false;
		if (plain) {
			buf_putc(out, '"');
			buf_puts(out, name);
			buf_putc(out, '"');
		} else {
			put_header_text(out, name, 6);
		}
		buf_printf(out, " <%s>", addr);
	} else {
		buf_puts(out, addr);
	}
	buf_puts(out, "\r\nTo: ");
	size_t col = 4;
	for (size_t i = 0; i < nto; i++) {
		size_t len = strlen(to[i]);
		if (i > 0) {
			buf_putc(out, ',');
			col++;
			if (col + 1 + len > 78) {
				buf_puts(out, "\r\n");
				col = 0;
			}
			buf_putc(out, ' ');
			col++;
		}
		buf_puts(out, to[i]);
		col += len;
	}
	buf_puts(out, "\r\nSubject:");
	char *subj = xstrdup(subject ? subject : "");
	for (char *p = subj; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (*subj) {
		buf_putc(out, ' ');
		put_header_text(out, subj, 9);
	}
	free(subj);
	buf_printf(out, "\r\nMessage-ID: %s\r\n", msgid ? msgid : "");
	buf_puts(out, "MIME-Version: 1.0\r\n"
	              "Content-Type: text/plain; charset=UTF-8\r\n"
	              "Content-Transfer-Encoding: quoted-printable\r\n"
	              "Auto-Submitted: auto-generated\r\n"
	              "\r\n");
	/* The body, line by line (LF or CRLF in the text), each line quoted-printable. */
	const char *p = body ? body : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t l2 = len;
		if (l2 && p[l2 - 1] == '\r')
			l2--;
		put_qp_line(out, (const unsigned char *)p, l2);
		p += len + (nl ? 1 : 0);
	}
	free(name);
	free(addr);
}

time_t outbox_backoff(int n)
{
	time_t d = BACKOFF_BASE;
	for (int i = 1; i < n && d < BACKOFF_MAX; i++)
		d *= 2;
	return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

/* ---- SMTP through libcurl ---- */

/* Recipients refused by the server while others were accepted. */
typedef struct refusals {
	buf permanent;            /* "addr : reply ; addr : reply" (5xx) */
	size_t npermanent;
	char **temporary;         /* addresses refused with a 4xx, owned */
	size_t ntemporary;
	char temp_reply[OUTBOX_ERR_LEN];  /* the first 4xx answer, for their rows */
} refusals;

static void refusals_free(refusals *r)
{
	buf_free(&r->permanent);
	for (size_t i = 0; i < r->ntemporary; i++)
		free(r->temporary[i]);
	free(r->temporary);
	memset(r, 0, sizeof *r);
}

static void refusals_add(refusals *r, const char *addr, int code, const char *reply)
{
	if (code / 100 == 4) {
		if (!r->ntemporary)
			snprintf(r->temp_reply, sizeof r->temp_reply, "%s", reply);
		r->temporary = xrealloc(r->temporary, (r->ntemporary + 1) * sizeof *r->temporary);
		r->temporary[r->ntemporary++] = xstrdup(addr);
		return;
	}
	buf_printf(&r->permanent, "%s%s : %s", r->permanent.len ? " ; " : "", addr, reply);
	r->npermanent++;
}

typedef struct smtp_call {
	const char *data;         /* the message, CRLF lines */
	size_t len, off;
	const atomic_bool *stop;
	buf cur;                  /* the reply being read (multi-line replies joined) */
	char reply[OUTBOX_ERR_LEN];  /* the last complete reply except QUIT's 221 */
	int code;                 /* its code */
	char rcpt[320];           /* the recipient of the RCPT awaiting its reply, or "" */
	refusals *refused;        /* recipients the server refused */
} smtp_call;

static size_t on_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	smtp_call *c = arg;
	size_t room = size * nmemb, n = c->len - c->off;
	if (n > room)
		n = room;
	memcpy(ptr, c->data + c->off, n);
	c->off += n;
	return n;
}

/* libcurl hands every server reply line of an SMTP session to the header callback. */
static size_t on_reply(char *ptr, size_t size, size_t nmemb, void *arg)
{
	smtp_call *c = arg;
	size_t n = size * nmemb, len = n;
	while (len && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
		len--;
	if (len < 3 || ptr[0] < '1' || ptr[0] > '5' || ptr[1] < '0' || ptr[1] > '9' || ptr[2] < '0' ||
	    ptr[2] > '9')
		return n;
	if (c->cur.len)
		buf_putc(&c->cur, ' ');
	for (size_t i = 0; i < len; i++)  /* keep the text printable for the row and the log */
		buf_putc(&c->cur, (unsigned char)ptr[i] < 0x20 || ptr[i] == 0x7f ? ' ' : ptr[i]);
	if (len > 3 && ptr[3] == '-')
		return n;                     /* a continuation line: the reply goes on */
	int code = (ptr[0] - '0') * 100 + (ptr[1] - '0') * 10 + (ptr[2] - '0');
	if (code != 221 && code >= 200 && code < 600) {
		snprintf(c->reply, sizeof c->reply, "%s", buf_cstr(&c->cur));
		c->code = code;
	}
	if (c->rcpt[0] && code / 100 != 2 && c->refused)
		refusals_add(c->refused, c->rcpt, code, buf_cstr(&c->cur));
	c->rcpt[0] = '\0';
	buf_reset(&c->cur);
	return n;
}

/*
 * The replies alone do not say which command they answer: the commands are seen
 * here, as libcurl sends them (one at a time: it waits for each RCPT's reply).
 */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	(void)h;
	smtp_call *c = arg;
	if (type != CURLINFO_HEADER_OUT)
		return 0;
	c->rcpt[0] = '\0';
	if (size > 9 && strncasecmp(data, "RCPT TO:<", 9) == 0) {
		const char *end = memchr(data + 9, '>', size - 9);
		size_t len = end ? (size_t)(end - (data + 9)) : 0;
		if (len && len < sizeof c->rcpt) {
			memcpy(c->rcpt, data + 9, len);
			c->rcpt[len] = '\0';
		}
	}
	return 0;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t d, curl_off_t e)
{
	(void)a;
	(void)b;
	(void)d;
	(void)e;
	const smtp_call *c = arg;
	return c->stop && atomic_load(c->stop) ? 1 : 0;
}

enum outcome { SENT, TRANSIENT, PERMANENT, ABORTED };

/* Whether the URL carries a login ("smtp://user:password@host"). */
static bool url_has_login(const char *url)
{
	const char *authority = strstr(url, "://");
	if (!authority)
		return false;
	authority += 3;
	size_t n = strcspn(authority, "/?#");
	return memchr(authority, '@', n) != NULL;
}

/*
 * One SMTP transaction; res gets the server's answer or curl's error text. When it is
 * SENT, refused holds the recipients the server would not take.
 */
static enum outcome smtp_send(const outbox_opts *o, const char *from_addr,
                              const char *const *rcpt, size_t nrcpt, const buf *msg,
                              const atomic_bool *stop, char res[OUTBOX_ERR_LEN],
                              refusals *refused)
{
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(res, OUTBOX_ERR_LEN, "libcurl: cannot start");
		return TRANSIENT;
	}
	smtp_call c = {.data = msg->data, .len = msg->len, .stop = stop, .refused = refused};
	char errbuf[CURL_ERROR_SIZE] = "";
	char envfrom[320];
	snprintf(envfrom, sizeof envfrom, "<%s>", from_addr);
	struct curl_slist *to = NULL;
	for (size_t i = 0; i < nrcpt; i++) {
		char r[320];
		snprintf(r, sizeof r, "<%s>", rcpt[i]);
		to = curl_slist_append(to, r);
	}
	curl_easy_setopt(h, CURLOPT_URL, o->smtp_url);
	/* Mail only: a mistyped --smtp must not upload the message anywhere else. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	/* A password never goes in clear: with a login, no STARTTLS means no mail. */
	curl_easy_setopt(h, CURLOPT_USE_SSL,
	                 (long)(url_has_login(o->smtp_url) ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	if (o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, envfrom);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
#if LIBCURL_VERSION_NUM >= 0x080200
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#else
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);         /* for on_debug, which prints nothing */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &c);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &c);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_reply);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &c);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	CURLcode cc = curl_easy_perform(h);
	long rcode = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rcode);
	int code = c.code ? c.code : (int)rcode;
	enum outcome out;
	if (cc == CURLE_ABORTED_BY_CALLBACK && stop && atomic_load(stop)) {
		snprintf(res, OUTBOX_ERR_LEN, "stopped");
		out = ABORTED;
	} else if (cc == CURLE_OK) {
		snprintf(res, OUTBOX_ERR_LEN, "%s", c.reply[0] ? c.reply : "250");
		out = SENT;
	} else {
		/* A reply from the server says more than curl's summary of it. */
		if (c.reply[0] && c.code / 100 != 2 && c.code / 100 != 3)
			snprintf(res, OUTBOX_ERR_LEN, "%s", c.reply);
		else
			snprintf(res, OUTBOX_ERR_LEN, "%.60s%s%.180s", curl_easy_strerror(cc),
			         errbuf[0] ? ": " : "", errbuf);
		out = code / 100 == 5 ? PERMANENT : TRANSIENT;
	}
	curl_slist_free_all(to);
	curl_easy_cleanup(h);
	buf_free(&c.cur);
	return out;
}

/* ---- delivery ---- */

typedef struct row_update {
	int64_t id;
	int expect_attempts;          /* the row is updated only if it still has these */
	const char *status;
	int attempts;
	const char *next_attempt_at;  /* NULL: unchanged */
	const char *last_error;       /* NULL: unchanged */
	const char *sent_at;
	const char *smtp_reply;
	/* Sent, but these recipients answered 4xx: each gets a row of its own, due at retry_at. */
	const refusals *retry;
	const char *retry_at;
} row_update;

/* A row for one recipient refused for now, queued with the text of the row it left. */
static int queue_retry(sqlite3 *db, const row_update *u, const char *addr)
{
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR;
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO \"_outbox\" (\"form\", \"record_id\", \"created_at\","
	                       " \"to_spec\", \"subject\", \"body\", \"status\", \"attempts\","
	                       " \"next_attempt_at\", \"last_error\")"
	                       " SELECT \"form\", \"record_id\", \"created_at\", ?1, \"subject\","
	                       " \"body\", 'pending', ?2, ?3, ?4 FROM \"_outbox\" WHERE \"id\" = ?5",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int(st, 2, u->attempts) == SQLITE_OK &&
	    sqlite3_bind_text(st, 3, u->retry_at, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(st, 4, u->retry->temp_reply, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 5, u->id) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE &&
	    sqlite3_changes(db) == 1)
		rc = STORE_OK;
	sqlite3_finalize(st);
	return rc;
}

static int apply_update(store_tx *tx, void *arg)
{
	const row_update *u = arg;
	sqlite3 *db = store_tx_db(tx);
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR;
	if (sqlite3_prepare_v2(db,
	                       "UPDATE \"_outbox\" SET \"status\" = ?1, \"attempts\" = ?2,"
	                       " \"next_attempt_at\" = COALESCE(?3, \"next_attempt_at\"),"
	                       " \"last_error\" = COALESCE(?4, \"last_error\"), \"sent_at\" = ?5,"
	                       " \"smtp_reply\" = ?6 WHERE \"id\" = ?7 AND \"status\" = 'pending'"
	                       " AND \"attempts\" = ?8",
	                       -1, &st, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_bind_text(st, 1, u->status, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, u->attempts) != SQLITE_OK ||
	    (u->next_attempt_at ? sqlite3_bind_text(st, 3, u->next_attempt_at, -1, SQLITE_STATIC)
	                        : sqlite3_bind_null(st, 3)) != SQLITE_OK ||
	    (u->last_error ? sqlite3_bind_text(st, 4, u->last_error, -1, SQLITE_STATIC)
	                   : sqlite3_bind_null(st, 4)) != SQLITE_OK ||
	    (u->sent_at ? sqlite3_bind_text(st, 5, u->sent_at, -1, SQLITE_STATIC)
	                : sqlite3_bind_null(st, 5)) != SQLITE_OK ||
	    (u->smtp_reply ? sqlite3_bind_text(st, 6, u->smtp_reply, -1, SQLITE_STATIC)
	                   : sqlite3_bind_null(st, 6)) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, u->id) != SQLITE_OK ||
	    sqlite3_bind_int(st, 8, u->expect_attempts) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		goto done;
	/* Not pending any more, or attempted meanwhile: someone else has it. */
	rc = sqlite3_changes(db) == 1 ? STORE_OK : STORE_CONFLICT;
	/* A retry row that cannot be written must not undo the send: the others got it. */
	for (size_t i = 0; rc == STORE_OK && u->retry && i < u->retry->ntemporary; i++)
		if (queue_retry(db, u, u->retry->temporary[i]) != STORE_OK)
			log_message("outbox", "id=%" PRId64 ": a recipient refused for now will not be "
			            "retried: %s", u->id, sqlite3_errmsg(db));
done:
	if (rc == STORE_ERROR)
		log_message("outbox", "update: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/* Recipients of a row: the address, or the role's users' addresses. NULL + why when none. */
static char **recipients(auth *a, const char *app, const char *spec, size_t *n,
                         char why[OUTBOX_ERR_LEN])
{
	char **v = NULL;
	*n = 0;
	if (strncmp(spec, "role:", 5) == 0) {
		size_t m = 0;
		if (!a || auth_role_emails(a, app, spec + 5, &v, &m) != AUTH_OK) {
			snprintf(why, OUTBOX_ERR_LEN, "Impossible de lire les utilisateurs du rôle « %.64s ».",
			         spec + 5);
			return NULL;
		}
		size_t k = 0;
		for (size_t i = 0; i < m; i++) {   /* keep only well-formed addresses */
			if (address_ok(v[i]))
				v[k++] = v[i];
			else
				free(v[i]);
		}
		if (k == 0) {
			free(v);
			snprintf(why, OUTBOX_ERR_LEN,
			         "Aucun utilisateur du rôle « %.64s » n’a d’adresse électronique.",
			         spec + 5);
			return NULL;
		}
		*n = k;
		return v;
	}
	if (!address_ok(spec)) {
		snprintf(why, OUTBOX_ERR_LEN, "Adresse électronique invalide.");
		return NULL;
	}
	v = xmalloc(sizeof *v);
	v[0] = xstrdup(spec);
	*n = 1;
	return v;
}

/* "<app.id.hash@domain>": the same for every attempt at the same row. */
static void message_id(const char *app, const outbox_row *r, const char *from_addr,
                       char out[256])
{
	buf b = BUF_INIT;
	buf_printf(&b, "%s\n%" PRId64 "\n%s\n%s\n%s", app, r->id, r->created_at ? r->created_at : "",
	           r->to ? r->to : "", r->subject ? r->subject : "");
	char h[65];
	util_sha256_hex(b.data, b.len, h);
	buf_free(&b);
	const char *at = strrchr(from_addr, '@');
	snprintf(out, 256, "<smallapps.%s.%" PRId64 ".%.16s@%s>", app, r->id, h,
	         at && at[1] ? at + 1 : "localhost");
}

/*
 * One row: claim it, send it, write its outcome (see the top of this file). Returns 0,
 * or -1 when a status write failed: the caller ends the pass for this database.
 */
static int deliver_row(app_rt *rt, auth *a, const outbox_opts *o, const char *from_addr,
                       time_t now, const atomic_bool *stop, const outbox_row *r)
{
	const char *app = rt->def->id;
	int max = o->max_attempts > 0 ? o->max_attempts : DEFAULT_MAX_ATTEMPTS;
	char res[OUTBOX_ERR_LEN] = "", now_iso[32], next_iso[32];
	util_iso_datetime(now, now_iso);
	row_update u = {.id = r->id, .expect_attempts = r->attempts, .attempts = r->attempts + 1};
	util_iso_datetime(now + outbox_backoff(u.attempts), next_iso);
	size_t nrcpt = 0;
	char **rcpt = recipients(a, app, r->to ? r->to : "", &nrcpt, res);
	enum outcome oc = PERMANENT;
	refusals refused = {.permanent = BUF_INIT};
	char refused_note[OUTBOX_ERR_LEN];
	int rc;
	if (rcpt) {
		row_update claim = {.id = r->id, .expect_attempts = r->attempts, .status = "pending",
		                    .attempts = u.attempts, .next_attempt_at = next_iso};
		rc = store_write_sync(rt->db, apply_update, &claim);
		if (rc != STORE_OK) {
			auth_roles_free(rcpt, nrcpt);
			log_message("outbox", "app=%s id=%" PRId64 " not sent: %s", app, r->id,
			            rc == STORE_CONFLICT ? "changed since it was read"
			                                 : "cannot claim it, next try at the next poll");
			return rc == STORE_CONFLICT ? 0 : -1;
		}
		u.expect_attempts = u.attempts;
		char msgid[256];
		message_id(app, r, from_addr, msgid);
		buf msg = BUF_INIT;
		outbox_format_message(&msg, o->from, (const char *const *)rcpt, nrcpt, r->subject,
		                      r->body, now, msgid);
		oc = smtp_send(o, from_addr, (const char *const *)rcpt, nrcpt, &msg, stop, res,
		               &refused);
		buf_free(&msg);
		auth_roles_free(rcpt, nrcpt);
	}
	if (oc == ABORTED) {
		/* Stopping: not an attempt, the row goes back as it was (due at the next start). */
		row_update back = {.id = r->id, .expect_attempts = u.attempts, .status = "pending",
		                   .attempts = r->attempts, .next_attempt_at = r->next_attempt_at};
		if (store_write_sync(rt->db, apply_update, &back) != STORE_OK)
			log_message("outbox", "app=%s id=%" PRId64 " interrupted; not due before %s",
			            app, r->id, next_iso);
		refusals_free(&refused);
		return 0;
	}
	/*
	 * Every recipient refused, some for good (5xx) and some for now (4xx): the row
	 * fails for the first, and the others get rows of their own, as after a send.
	 */
	bool split = oc != SENT && refused.npermanent && refused.ntemporary &&
	             refused.npermanent + refused.ntemporary == nrcpt;
	if (split) {
		u.status = "failed";
		snprintf(refused_note, sizeof refused_note, OUTBOX_REFUSED_PREFIX "%s",
		         buf_cstr(&refused.permanent));
		u.last_error = refused_note;
		u.retry = &refused;
		u.retry_at = next_iso;
	} else if (oc == SENT) {
		u.status = "sent";
		u.sent_at = now_iso;
		u.smtp_reply = res;
		if (refused.permanent.len) {
			snprintf(refused_note, sizeof refused_note, OUTBOX_REFUSED_PREFIX "%s",
			         buf_cstr(&refused.permanent));
			u.last_error = refused_note;
		}
		if (refused.ntemporary) {
			u.retry = &refused;
			u.retry_at = next_iso;
		}
	} else if (oc == PERMANENT || u.attempts >= max) {
		u.status = "failed";
		u.last_error = res;
	} else {
		u.status = "pending";
		u.last_error = res;
		u.next_attempt_at = next_iso;
	}
	rc = store_write_sync(rt->db, apply_update, &u);
	char note[80] = "";
	if (rc == STORE_CONFLICT)
		snprintf(note, sizeof note, " (status not saved: the row changed meanwhile)");
	else if (rc != STORE_OK)
		snprintf(note, sizeof note, " (status not saved; not due before %s)", next_iso);
	char refusals_note[64] = "";   /* counts only: logs never hold an address */
	if ((oc == SENT || split) && (refused.npermanent || refused.ntemporary))
		snprintf(refusals_note, sizeof refusals_note, " refused=%zu requeued=%zu",
		         refused.npermanent, refused.ntemporary);
	log_message("outbox", "app=%s id=%" PRId64 " status=%s attempts=%d%s%s smtp=\"%s\"%s%s",
	            app, r->id, u.status, u.attempts, u.next_attempt_at ? " next=" : "",
	            u.next_attempt_at ? u.next_attempt_at : "", res, refusals_note, note);
	refusals_free(&refused);
	return rc == STORE_OK || rc == STORE_CONFLICT ? 0 : -1;
}

static int deliver_due(registry *g, auth *a, const outbox_opts *o, time_t now,
                       const atomic_bool *stop)
{
	if (!o || !o->smtp_url || !*o->smtp_url)
		return 0;
	char *name, *from_addr;
	split_from(o->from ? o->from : "", &name, &from_addr);
	char now_iso[32];
	util_iso_datetime(now, now_iso);
	app_rt **apps;
	size_t napps = registry_list(g, &apps);
	int handled = 0;
	bool failed = false, unsaved = false;
	for (size_t i = 0; i < napps; i++) {
		row_query q = {.sql = "SELECT " ROW_COLS ", \"body\" FROM \"_outbox\""
		                      " WHERE \"status\" = 'pending' AND \"next_attempt_at\" <= ?1"
		                      " ORDER BY \"next_attempt_at\", \"id\" LIMIT ?2",
		               .now = now_iso, .limit = BATCH, .with_body = true};
		if (!(stop && atomic_load(stop)) && store_read(apps[i]->db, read_rows, &q) == STORE_OK) {
			for (size_t k = 0; k < q.n && !(stop && atomic_load(stop)); k++) {
				if (deliver_row(apps[i], a, o, from_addr, now, stop, &q.v[k]) != 0) {
					unsaved = true;   /* this database refuses writes: its turn is over */
					break;
				}
				handled++;
			}
		} else if (!(stop && atomic_load(stop))) {
			failed = true;
		}
		outbox_rows_free(q.v, q.n);
		registry_release(apps[i]);
	}
	free(apps);
	free(name);
	free(from_addr);
	return unsaved || (failed && handled == 0) ? -1 : handled;
}

int outbox_deliver_due(registry *g, auth *a, const outbox_opts *o, time_t now)
{
	return deliver_due(g, a, o, now, NULL);
}

/* ---- the sender thread ---- */

struct outbox_sender {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* on CLOCK_MONOTONIC */
	bool wake;
	atomic_bool stop;
	registry *g;
	auth *a;
	outbox_opts o;
	char *url, *from, *ca;        /* owned copies behind o */
};

static void *sender_main(void *arg)
{
	outbox_sender *s = arg;
	while (!atomic_load(&s->stop)) {
		int n = deliver_due(s->g, s->a, &s->o, util_now(), &s->stop);
		pthread_mutex_lock(&s->mu);
		if (n < BATCH && !s->wake && !atomic_load(&s->stop)) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += POLL_SECONDS;
			while (!s->wake && !atomic_load(&s->stop) &&
			       pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
				;
		}
		s->wake = false;
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

outbox_sender *outbox_sender_start(registry *g, auth *a, const outbox_opts *o)
{
	char *name, *addr;
	split_from(o->from ? o->from : "", &name, &addr);
	bool ok = address_ok(addr) && !strpbrk(o->from, "\r\n");
	free(name);
	free(addr);
	if (!ok) {
		log_message("outbox", "the sender address \"%.100s\" is not an e-mail address",
		            o->from ? o->from : "");
		return NULL;
	}
	if (!o->smtp_url || (strncmp(o->smtp_url, "smtp://", 7) != 0 &&
	                     strncmp(o->smtp_url, "smtps://", 8) != 0)) {
		log_message("outbox", "the SMTP URL must start with smtp:// or smtps://");
		return NULL;
	}
	/* Told at start rather than as a TLS error on every mail. */
	if (o->ca_file && access(o->ca_file, R_OK) != 0) {
		log_message("outbox", "the certificate file \"%.200s\" cannot be read: %s", o->ca_file,
		            strerror(errno));
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_message("outbox", "libcurl failed to initialise");
		return NULL;
	}
	outbox_sender *s = xcalloc(1, sizeof *s);
	s->g = g;
	s->a = a;
	s->url = xstrdup(o->smtp_url);
	s->from = xstrdup(o->from);
	s->ca = o->ca_file ? xstrdup(o->ca_file) : NULL;
	s->o = *o;
	s->o.smtp_url = s->url;
	s->o.from = s->from;
	s->o.ca_file = s->ca;
	atomic_init(&s->stop, false);
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* The thread takes no signal: SIGTERM must reach the thread that waits for it. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&s->thread, NULL, sender_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_message("outbox", "cannot start the sender thread");
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s->url);
		free(s->from);
		free(s->ca);
		free(s);
		curl_global_cleanup();
		return NULL;
	}
	return s;
}

void outbox_sender_wake(outbox_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->wake = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void outbox_sender_stop(outbox_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stop, true);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->url);
	free(s->from);
	free(s->ca);
	free(s);
	curl_global_cleanup();
}
