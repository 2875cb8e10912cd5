/*
 * smtp — one mail over SMTP through libcurl, and the text of a mail (see smtp.h).
 *
 * The message: RFC 5322 headers (RFC 2047 for a subject that is not plain ASCII),
 * UTF-8 text in quoted-printable, CRLF line ends. The exchange: one SMTP transaction
 * for every recipient; libcurl hands each server reply to on_reply and each command
 * sent to on_debug, which is how a reply is tied to the RCPT it answers (a refused
 * recipient must not cost the others their mail: RCPT failures are allowed).
 */
#include "smtp.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

/* ---- the message (RFC 5322, MIME) ---- */

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
void smtp_split_from(const char *from, char **name, char **addr)
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

void smtp_format_message(buf *out, const char *from, const char *const *to, size_t nto,
			 const char *subject, const char *body, time_t date, const char *msgid)
{
	char *name, *addr;
	smtp_split_from(from ? from : "", &name, &addr);

	buf_puts(out, "Date: ");
	put_date(out, date);
	buf_puts(out, "\r\nFrom: ");
	if (*name) {
		bool plain = true;
		for (const char *p = name; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' ||
			    *p == '\\')
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

/* ---- SMTP through libcurl ---- */

void smtp_refusals_free(smtp_refusals *r)
{
	buf_free(&r->permanent);
	for (size_t i = 0; i < r->ntemporary; i++)
		free(r->temporary[i]);
	free(r->temporary);
	memset(r, 0, sizeof *r);
}

static void refusals_add(smtp_refusals *r, const char *addr, int code, const char *reply)
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
	const char *data; /* the message, CRLF lines */
	size_t len, off;
	const atomic_bool *stop;
	buf cur;		  /* the reply being read (multi-line replies joined) */
	char reply[SMTP_ERR_LEN]; /* the last complete reply except QUIT's 221 */
	int code;		  /* its code */
	char rcpt[320];		  /* the recipient of the RCPT awaiting its reply, or "" */
	smtp_refusals *refused;	  /* recipients the server refused */
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
	if (len < 3 || ptr[0] < '1' || ptr[0] > '5' || ptr[1] < '0' || ptr[1] > '9' ||
	    ptr[2] < '0' || ptr[2] > '9')
		return n;
	if (c->cur.len)
		buf_putc(&c->cur, ' ');
	for (size_t i = 0; i < len; i++) /* keep the text printable for the row and the log */
		buf_putc(&c->cur, (unsigned char)ptr[i] < 0x20 || ptr[i] == 0x7f ? ' ' : ptr[i]);
	if (len > 3 && ptr[3] == '-')
		return n; /* a continuation line: the reply goes on */
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
smtp_outcome smtp_send(const char *url, const char *ca_file, const char *from_addr,
		       const char *const *rcpt, size_t nrcpt, const buf *msg,
		       const atomic_bool *stop, char res[SMTP_ERR_LEN], smtp_refusals *refused)
{
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(res, SMTP_ERR_LEN, "libcurl: cannot start");
		return SMTP_TRANSIENT;
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
	curl_easy_setopt(h, CURLOPT_URL, url);
	/* Mail only: a mistyped --smtp must not upload the message anywhere else. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	/* A password never goes in clear: with a login, no STARTTLS means no mail. */
	curl_easy_setopt(h, CURLOPT_USE_SSL,
			 (long)(url_has_login(url) ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	if (ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, envfrom);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
#if LIBCURL_VERSION_NUM >= 0x080200
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#else
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L); /* for on_debug, which prints nothing */
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
	smtp_outcome out;
	if (cc == CURLE_ABORTED_BY_CALLBACK && stop && atomic_load(stop)) {
		snprintf(res, SMTP_ERR_LEN, "stopped");
		out = SMTP_ABORTED;
	} else if (cc == CURLE_OK) {
		snprintf(res, SMTP_ERR_LEN, "%s", c.reply[0] ? c.reply : "250");
		out = SMTP_SENT;
	} else {
		/* A reply from the server says more than curl's summary of it. */
		if (c.reply[0] && c.code / 100 != 2 && c.code / 100 != 3)
			snprintf(res, SMTP_ERR_LEN, "%s", c.reply);
		else
			snprintf(res, SMTP_ERR_LEN, "%.60s%s%.180s", curl_easy_strerror(cc),
				 errbuf[0] ? ": " : "", errbuf);
		out = code / 100 == 5 ? SMTP_PERMANENT : SMTP_TRANSIENT;
	}
	curl_slist_free_all(to);
	curl_easy_cleanup(h);
	buf_free(&c.cur);
	return out;
}
