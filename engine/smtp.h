/*
 * smtp — sending one mail to an SMTP relay (libcurl) and writing its RFC 5322 text.
 *
 * smtp:// upgrades to TLS when the relay offers STARTTLS and requires it when the URL
 * carries a login (smtp://user:password@host); smtps:// is TLS from the start. A
 * certificate that does not verify fails the attempt: a mail is never sent in clear
 * because of a bad certificate. Nothing here knows rows, apps or retries: that is
 * the outbox's. Call curl_global_init before the first send (outbox_sender_start does).
 */
#ifndef SMALLAPPS_SMTP_H
#define SMALLAPPS_SMTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

#define SMTP_ERR_LEN 256

/* Recipients refused by the server while others were accepted. */
typedef struct smtp_refusals {
	buf permanent; /* "addr : reply ; addr : reply" (5xx) */
	size_t npermanent;
	char **temporary; /* addresses refused with a 4xx, owned */
	size_t ntemporary;
	char temp_reply[SMTP_ERR_LEN]; /* the first 4xx answer, for their rows */
} smtp_refusals;
void smtp_refusals_free(smtp_refusals *r);

typedef enum { SMTP_SENT, SMTP_TRANSIENT, SMTP_PERMANENT, SMTP_ABORTED } smtp_outcome;

/*
 * One SMTP transaction from from_addr to rcpt; res gets the server's answer or
 * curl's error text. SENT: refused holds the recipients the server would not take.
 * ABORTED: *stop was set meanwhile. ca_file may be NULL (the system's store).
 */
smtp_outcome smtp_send(const char *url, const char *ca_file, const char *from_addr,
		       const char *const *rcpt, size_t nrcpt, const buf *msg,
		       const atomic_bool *stop, char res[SMTP_ERR_LEN], smtp_refusals *refused);

/*
 * Appends a whole RFC 5322 message to out: Date (RFC 5322 form, UTC), From, To (the
 * addresses, folded), Subject (as is when short plain ASCII, otherwise RFC 2047
 * =?UTF-8?B?...?= words folded under 78 columns), Message-ID (msgid, with its angle
 * brackets), MIME-Version, Content-Type text/plain UTF-8, Content-Transfer-Encoding
 * quoted-printable, Auto-Submitted, then the body in quoted-printable (lines of at
 * most 76 characters). Every line ends with CRLF. Lines starting with "." are not
 * doubled here: libcurl dot-stuffs the DATA it sends. Control characters of the
 * subject become spaces. from is "addr" or "Name <addr>".
 */
void smtp_format_message(buf *out, const char *from, const char *const *to, size_t nto,
			 const char *subject, const char *body, time_t date, const char *msgid);
/* "Name <addr>" or "addr" into heap copies (*name may be ""); caller frees both. */
void smtp_split_from(const char *from, char **name, char **addr);

#endif
