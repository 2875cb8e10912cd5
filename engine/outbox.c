/*
 * outbox — mails as rows of the app database, delivered over SMTP (see outbox.h).
 *
 * Owns the mail queue's policy: rendering a notification into a message
 * (outbox_render), queueing it inside the caller's transaction (outbox_tx_add, the
 * rows are store_outbox.c's), and delivery: which row is due, claiming it, its
 * recipients, the retries and the sender thread. The message text and the SMTP
 * exchange are smtp.c's.
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
 * Rows are read and changed through store_outbox_* (the store's single writer does
 * the changes); every change only touches a row still 'pending' with the attempts
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
#include "smtp.h"
#include "util.h"
#include "validate.h"

#define DEFAULT_MAX_ATTEMPTS 8
#define BACKOFF_BASE	     60 /* seconds after the first failure, doubled each time */
#define BACKOFF_MAX	     3600
#define BATCH		     50 /* due rows read per app and pass */
#define POLL_SECONDS	     5
#define CONFIDENTIAL	     "[confidentiel]"

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
		else if (fd->type == FT_REFERENCE && v->kind == VAL_INT)
			/* the number only: an address's right to read the target is unknown */
			buf_printf(o, "n° %" PRId64, v->i);
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
			return 0; /* an optional e-mail field left blank: nobody to tell */
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
		while (text.len &&
		       (text.data[text.len - 1] == '\n' || text.data[text.len - 1] == '\r' ||
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

/* ---- queueing ---- */

int outbox_tx_add(store_tx *tx, const def_form *f, int64_t record_id, const char *at,
		  const outbox_list *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		const outbox_msg *m = &l->v[i];
		if (store_tx_outbox_add(tx, f->id, record_id, at, m->to, m->subject, m->body) !=
		    STORE_OK)
			return STORE_ERROR;
	}
	return STORE_OK;
}

time_t outbox_backoff(int n)
{
	time_t d = BACKOFF_BASE;
	for (int i = 1; i < n && d < BACKOFF_MAX; i++)
		d *= 2;
	return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

/* ---- delivery ---- */

/* Recipients of a row: the address, or the role's users' addresses. NULL + why when none. */
static char **recipients(auth *a, const char *app, const char *spec, size_t *n,
			 char why[OUTBOX_ERR_LEN])
{
	char **v = NULL;
	*n = 0;
	if (strncmp(spec, "role:", 5) == 0) {
		size_t m = 0;
		if (!a || auth_role_emails(a, app, spec + 5, &v, &m) != AUTH_OK) {
			snprintf(why, OUTBOX_ERR_LEN,
				 "Impossible de lire les utilisateurs du rôle « %.64s ».",
				 spec + 5);
			return NULL;
		}
		size_t k = 0;
		for (size_t i = 0; i < m; i++) { /* keep only well-formed addresses */
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
static void message_id(const char *app, const outbox_row *r, const char *from_addr, char out[256])
{
	buf b = BUF_INIT;
	buf_printf(&b, "%s\n%" PRId64 "\n%s\n%s\n%s", app, r->id,
		   r->created_at ? r->created_at : "", r->to ? r->to : "",
		   r->subject ? r->subject : "");
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
/* One attempt in progress: the row, what it will become, and what the relay said. */
typedef struct attempt {
	const outbox_row *r;
	const char *app;
	store_mail_update u;
	char res[OUTBOX_ERR_LEN];
	char now_iso[32], next_iso[32];
	char refused_note[OUTBOX_ERR_LEN];
	smtp_refusals refused;
	size_t nrcpt;
	smtp_outcome oc;
	bool split; /* every recipient refused, some for good, some for now */
} attempt;

/*
 * Claims the row (attempts + 1, due after the backoff, committed) and sends it. Returns
 * 0, or the claim's store status when it could not be claimed (nothing was sent).
 */
static int claim_and_send(app_rt *rt, const outbox_opts *o, const char *from_addr, time_t now,
			  const atomic_bool *stop, char **rcpt, attempt *x)
{
	const outbox_row *r = x->r;
	store_mail_update claim = {.id = r->id,
				   .expect_attempts = r->attempts,
				   .status = "pending",
				   .attempts = x->u.attempts,
				   .next_attempt_at = x->next_iso};
	int rc = store_outbox_update(rt->db, &claim);
	if (rc != STORE_OK)
		return rc;
	x->u.expect_attempts = x->u.attempts;
	char msgid[256];
	message_id(x->app, r, from_addr, msgid);
	buf msg = BUF_INIT;
	smtp_format_message(&msg, o->from, (const char *const *)rcpt, x->nrcpt, r->subject, r->body,
			    now, msgid);
	x->oc = smtp_send(o->smtp_url, o->ca_file, from_addr, (const char *const *)rcpt, x->nrcpt,
			  &msg, stop, x->res, &x->refused);
	buf_free(&msg);
	return STORE_OK;
}

/* The recipients refused for now get rows of their own, due at the next attempt. */
static void requeue_temporary(attempt *x)
{
	x->u.retry_to = (const char *const *)x->refused.temporary;
	x->u.nretry = x->refused.ntemporary;
	x->u.retry_reply = x->refused.temp_reply;
	x->u.retry_at = x->next_iso;
}

/* The row's new status from the outcome (see the top of this file). */
static void decide(attempt *x, int max)
{
	store_mail_update *u = &x->u;
	smtp_refusals *rf = &x->refused;
	/* Every recipient refused, some for good (5xx) and some for now (4xx): the row fails for
	 * the first, and the others get rows of their own, as after a send. */
	bool split = x->split = x->oc != SMTP_SENT && rf->npermanent && rf->ntemporary &&
				rf->npermanent + rf->ntemporary == x->nrcpt;
	if (split || (x->oc == SMTP_SENT && rf->permanent.len)) {
		snprintf(x->refused_note, sizeof x->refused_note, OUTBOX_REFUSED_PREFIX "%s",
			 buf_cstr(&rf->permanent));
		u->last_error = x->refused_note;
	}
	if (split) {
		u->status = "failed";
		requeue_temporary(x);
	} else if (x->oc == SMTP_SENT) {
		u->status = "sent";
		u->sent_at = x->now_iso;
		u->smtp_reply = x->res;
		if (rf->ntemporary)
			requeue_temporary(x);
	} else if (x->oc == SMTP_PERMANENT || u->attempts >= max) {
		u->status = "failed";
		u->last_error = x->res;
	} else {
		u->status = "pending";
		u->last_error = x->res;
		u->next_attempt_at = x->next_iso;
	}
}

/* One line per attempt: ids, status and the relay's answer, never an address. */
static void log_attempt(const attempt *x, int rc)
{
	char note[80] = "", counts[64] = "";
	if (rc == STORE_CONFLICT)
		snprintf(note, sizeof note, " (status not saved: the row changed meanwhile)");
	else if (rc != STORE_OK)
		snprintf(note, sizeof note, " (status not saved; not due before %s)", x->next_iso);
	if ((x->oc == SMTP_SENT || x->split) && (x->refused.npermanent || x->refused.ntemporary))
		snprintf(counts, sizeof counts, " refused=%zu requeued=%zu", x->refused.npermanent,
			 x->refused.ntemporary);
	log_message("outbox", "app=%s id=%" PRId64 " status=%s attempts=%d%s%s smtp=\"%s\"%s%s",
		    x->app, x->r->id, x->u.status, x->u.attempts,
		    x->u.next_attempt_at ? " next=" : "",
		    x->u.next_attempt_at ? x->u.next_attempt_at : "", x->res, counts, note);
}

/*
 * One row: claim it, send it, write its outcome (see the top of this file). Returns 0,
 * or -1 when a status write failed: the caller ends the pass for this database.
 */
static int deliver_row(app_rt *rt, auth *a, const outbox_opts *o, const char *from_addr, time_t now,
		       const atomic_bool *stop, const outbox_row *r)
{
	attempt x = {
	    .r = r, .app = rt->def->id, .oc = SMTP_PERMANENT, .refused = {.permanent = BUF_INIT}};
	x.u = (store_mail_update){
	    .id = r->id, .expect_attempts = r->attempts, .attempts = r->attempts + 1};
	util_iso_datetime(now, x.now_iso);
	util_iso_datetime(now + outbox_backoff(x.u.attempts), x.next_iso);
	char **rcpt = recipients(a, x.app, r->to ? r->to : "", &x.nrcpt, x.res);
	if (rcpt) {
		int rc = claim_and_send(rt, o, from_addr, now, stop, rcpt, &x);
		auth_roles_free(rcpt, x.nrcpt);
		if (rc != STORE_OK) {
			log_message("outbox", "app=%s id=%" PRId64 " not sent: %s", x.app, r->id,
				    rc == STORE_CONFLICT
					? "changed since it was read"
					: "cannot claim it, next try at the next poll");
			return rc == STORE_CONFLICT ? 0 : -1;
		}
	}
	if (x.oc == SMTP_ABORTED) {
		/* Stopping: not an attempt, the row goes back as it was (due at the next start). */
		store_mail_update back = {.id = r->id,
					  .expect_attempts = x.u.attempts,
					  .status = "pending",
					  .attempts = r->attempts,
					  .next_attempt_at = r->next_attempt_at};
		if (store_outbox_update(rt->db, &back) != STORE_OK)
			log_message("outbox",
				    "app=%s id=%" PRId64 " interrupted; not due before %s", x.app,
				    r->id, x.next_iso);
		smtp_refusals_free(&x.refused);
		return 0;
	}
	decide(&x, o->max_attempts > 0 ? o->max_attempts : DEFAULT_MAX_ATTEMPTS);
	int rc = store_outbox_update(rt->db, &x.u);
	log_attempt(&x, rc);
	smtp_refusals_free(&x.refused);
	return rc == STORE_OK || rc == STORE_CONFLICT ? 0 : -1;
}

static int deliver_due(registry *g, auth *a, const outbox_opts *o, time_t now,
		       const atomic_bool *stop)
{
	if (!o || !o->smtp_url || !*o->smtp_url)
		return 0;
	char *name, *from_addr;
	smtp_split_from(o->from ? o->from : "", &name, &from_addr);
	char now_iso[32];
	util_iso_datetime(now, now_iso);
	app_rt **apps;
	size_t napps = registry_list(g, &apps);
	int handled = 0;
	bool failed = false, unsaved = false;
	for (size_t i = 0; i < napps; i++) {
		outbox_row *due = NULL;
		size_t ndue = 0;
		if (!(stop && atomic_load(stop)) &&
		    store_outbox_due(apps[i]->db, now_iso, BATCH, &due, &ndue) == STORE_OK) {
			for (size_t k = 0; k < ndue && !(stop && atomic_load(stop)); k++) {
				if (deliver_row(apps[i], a, o, from_addr, now, stop, &due[k]) !=
				    0) {
					unsaved = true; /* this database refuses writes: its turn is
							   over */
					break;
				}
				handled++;
			}
		} else if (!(stop && atomic_load(stop))) {
			failed = true;
		}
		store_outbox_rows_free(due, ndue);
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
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	bool wake;
	atomic_bool stop;
	registry *g;
	auth *a;
	outbox_opts o;
	char *url, *from, *ca; /* owned copies behind o */
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
	smtp_split_from(o->from ? o->from : "", &name, &addr);
	bool ok = address_ok(addr) && !strpbrk(o->from, "\r\n");
	free(name);
	free(addr);
	if (!ok) {
		log_message("outbox", "the sender address \"%.100s\" is not an e-mail address",
			    o->from ? o->from : "");
		return NULL;
	}
	if (!o->smtp_url ||
	    (strncmp(o->smtp_url, "smtp://", 7) != 0 && strncmp(o->smtp_url, "smtps://", 8) != 0)) {
		log_message("outbox", "the SMTP URL must start with smtp:// or smtps://");
		return NULL;
	}
	/* Told at start rather than as a TLS error on every mail. */
	if (o->ca_file && access(o->ca_file, R_OK) != 0) {
		log_message("outbox", "the certificate file \"%.200s\" cannot be read: %s",
			    o->ca_file, strerror(errno));
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
