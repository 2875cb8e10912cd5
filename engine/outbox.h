/*
 * outbox — mails as data (SPEC 4.5 `notify`, 4.6 `ctx.notify`).
 *
 * A transition's mails are rows of the app database's _outbox table (store_outbox.c),
 * written by outbox_tx_add inside the same transaction as the state change:
 * a transition rolled back sends nothing, a committed one never loses its mails. A
 * sender thread delivers pending rows over SMTP (libcurl), with retries and backoff,
 * and marks each row sent or failed with the server's answer. Without an SMTP URL the
 * rows stay pending, visible in /admin/outbox.
 *
 * Thread-safety: outbox_render and the list helpers are pure; outbox_tx_add runs on
 * a store's writer thread (inside apply); the sender has its own thread.
 */
#ifndef SMALLAPPS_OUTBOX_H
#define SMALLAPPS_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "def.h"
#include "record.h"
#include "smtp.h"
#include "store.h"

struct registry;
struct auth;

#define OUTBOX_ERR_LEN SMTP_ERR_LEN

/* A mail ready to queue: recipient spec, subject and body with placeholders filled. */
typedef struct outbox_msg {
	char *to;      /* an address, or "role:<role>" (resolved to the role's users when sent) */
	char *subject; /* one line, UTF-8 */
	char *body;    /* UTF-8 text, the link already appended */
} outbox_msg;

typedef struct outbox_list {
	outbox_msg *v;
	size_t n, cap;
} outbox_list;

void outbox_list_add(outbox_list *l, const char *to, const char *subject, const char *body);
void outbox_list_clear(outbox_list *l);

/*
 * Renders one notification for record r of form f and appends it to out:
 *  - to: "field:<name>" becomes the record's value of that field (an empty value adds
 *    nothing and is not an error: an optional e-mail field may be blank), "role:<r>"
 *    and plain addresses are kept as they are; anything else is an error;
 *  - {{name}} in subject and body becomes the display value of field `name` (choice
 *    labels, French dates and amounts), or of the system fields id, state (its label),
 *    created_at, created_by; unknown names stay as written;
 *  - a private field is filled only when `to` is "role:<r>" with r among the roles
 *    allowed to read it; otherwise it becomes "[confidentiel]";
 *  - the subject loses any CR/LF (header injection); `link` (may be NULL) is appended
 *    to the body on its own line.
 * Returns 0, or -1 with err.
 */
int outbox_render(const def_app *app, const def_form *f, const record *r, const char *to,
		  const char *subject, const char *body, const char *link, outbox_list *out,
		  char err[OUTBOX_ERR_LEN]);

/* Inside a store apply callback: one pending row per message. STORE_OK or STORE_ERROR. */
int outbox_tx_add(store_tx *tx, const def_form *f, int64_t record_id, const char *at,
		  const outbox_list *l);

/* How a sent row's last_error starts when some recipients were refused (see outbox.c). */
#define OUTBOX_REFUSED_PREFIX "Refus\xc3\xa9 pour "

/* A row of the queue as the store reads it (store.h). */
typedef store_mail_row outbox_row;

/* ---- delivery ---- */

typedef struct outbox_opts {
	/* "smtp://host:port": STARTTLS when the server offers it, and required when the
	 * URL carries a login (smtp://user:password@host); "smtps://": TLS from the start.
	 * Either way a certificate that does not verify fails the attempt: a relay that
	 * offers TLS never gets the mail in clear because of a bad certificate.
	 * NULL: nothing is sent. */
	const char *smtp_url;
	const char *ca_file; /* PEM certificates that sign the relay's; NULL: the system's */
	const char *from;    /* envelope and From: address; "Name <addr>" is accepted too */
	int max_attempts;    /* then the row is "failed" (default 8 when 0) */
} outbox_opts;

/* Seconds to wait after the n-th failed attempt (n >= 1): 60, 120, 240, ... at most 3600. */
time_t outbox_backoff(int n);

/*
 * One pass over every app served: sends the rows due at `now`. Returns rows handled,
 * or -1 when a status write failed (that app's rows wait for the next pass) or no
 * row was handled and a read failed.
 */
int outbox_deliver_due(struct registry *g, struct auth *a, const outbox_opts *o, time_t now);

typedef struct outbox_sender outbox_sender;
/*
 * Starts a thread that runs outbox_deliver_due every few seconds (and at once) until
 * outbox_sender_stop; o's strings are copied. NULL (logged) when o->from is not an
 * address, o->smtp_url is not smtp:// or smtps://, o->ca_file cannot be read, or the
 * thread cannot start. Call it before other threads use libcurl
 * (it runs curl_global_init) and with the registry open until outbox_sender_stop.
 */
outbox_sender *outbox_sender_start(struct registry *g, struct auth *a, const outbox_opts *o);
void outbox_sender_stop(outbox_sender *s);
/* Asks the sender to look now (after a commit that queued mail); NULL is fine. */
void outbox_sender_wake(outbox_sender *s);

#endif
