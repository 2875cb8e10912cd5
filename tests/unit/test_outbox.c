/*
 * test_outbox — mails as data: rendering a notification (recipients, placeholders
 * with display values, private fields, header injection), the RFC 5322 / MIME message
 * given to libcurl (checked by decoding it back: RFC 2047 words, quoted-printable),
 * the retry backoff, the rows written inside a store transaction and read back, and
 * the /admin/outbox page.
 *
 * The definition is built by hand, like test_render's; the store test uses a real
 * database in a temporary folder.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "outbox.h"
#include "testdb.h"
#include "render.h"
#include "util.h"

/* ---- fixture ---- */

enum { C_NOM, C_COURRIEL, C_MONTANT, C_LE, C_CATEGORIE, C_NOTE, C_LIEN, NCOLS };

typedef struct fixture {
	def_app app;
	def_form form;
	def_field fields[NCOLS];
	const def_field *cols[NCOLS];
	def_option cat_opts[2];
	const char *note_roles[1];
	def_workflow wf;
	def_state states[2];
	record rec;
	outbox_list out;
	char err[OUTBOX_ERR_LEN];
} fixture;

static def_field *add_field(fixture *x, int col, const char *name, const char *label,
                            field_type t)
{
	def_field *f = &x->fields[col];
	memset(f, 0, sizeof *f);
	f->name = name;
	f->label = label;
	f->type = t;
	f->col = col;
	f->min_length = f->max_length = -1;
	f->scale = -1;
	f->max_size = -1;
	x->cols[col] = f;
	return f;
}

static int setup(void **state)
{
	fixture *x = calloc(1, sizeof *x);
	x->app.id = "demo";
	x->app.title = "Démo";
	x->app.forms = &x->form;
	x->app.nforms = 1;
	x->form.id = "demande";
	x->form.title = "Demande";
	add_field(x, C_NOM, "nom", "Nom", FT_TEXT);
	add_field(x, C_COURRIEL, "courriel", "Courriel", FT_EMAIL);
	add_field(x, C_MONTANT, "montant", "Montant", FT_MONEY);
	add_field(x, C_LE, "le", "Pour le", FT_DATE);
	def_field *cat = add_field(x, C_CATEGORIE, "categorie", "Catégorie", FT_CHOICE);
	x->cat_opts[0] = (def_option){"a", "Catégorie A"};
	x->cat_opts[1] = (def_option){"b", "Catégorie B"};
	cat->options = x->cat_opts;
	cat->noptions = 2;
	def_field *note = add_field(x, C_NOTE, "note", "Note interne", FT_TEXTAREA);
	note->has_private = true;
	x->note_roles[0] = "agent";
	note->private_roles = (def_strlist){x->note_roles, 1};
	add_field(x, C_LIEN, "lien", "Dossier lié", FT_REFERENCE);
	x->form.fields = x->fields;
	x->form.nfields = NCOLS;
	x->form.cols = x->cols;
	x->form.ncols = NCOLS;
	x->states[0] = (def_state){.id = "deposee", .label = "Déposée", .due_days = -1};
	x->states[1] = (def_state){.id = "acceptee", .label = "Acceptée", .final = true,
	                           .due_days = -1};
	x->wf = (def_workflow){.initial = "deposee", .states = x->states, .nstates = 2};
	x->form.workflow = &x->wf;

	record_init(&x->rec, &x->form);
	x->rec.id = 42;
	x->rec.version = 3;
	record_set_sys(&x->rec.state, "acceptee");
	record_set_sys(&x->rec.created_at, "2026-11-23T09:31:00Z");   /* 10:31 in Paris */
	record_set_sys(&x->rec.created_by, "alice");
	value_set_text(&x->rec.values[C_NOM], "Dupont");
	value_set_text(&x->rec.values[C_COURRIEL], "alice@example.org");
	value_set_int(&x->rec.values[C_MONTANT], 123456);                /* cents */
	value_set_text(&x->rec.values[C_LE], "2026-12-01");
	value_set_text(&x->rec.values[C_CATEGORIE], "b");
	value_set_text(&x->rec.values[C_NOTE], "Très secret");
	value_set_int(&x->rec.values[C_LIEN], 7);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fixture *x = *state;
	record_clear(&x->rec);
	outbox_list_clear(&x->out);
	free(x);
	return 0;
}

static int render(fixture *x, const char *to, const char *subject, const char *body,
                  const char *link)
{
	return outbox_render(&x->app, &x->form, &x->rec, to, subject, body, link, &x->out, x->err);
}

/* ---- rendering ---- */

/* A reference is its number: a mail's address may not read the target's label. */
static void a_reference_is_its_number(void **state)
{
	fixture *x = *state;
	assert_int_equal(render(x, "role:agent", "Lié au {{lien}}", "{{lien}}", NULL), 0);
	assert_string_equal(x->out.v[0].subject, "Lié au n° 7");
}

static void placeholders_become_display_values(void **state)
{
	fixture *x = *state;
	assert_int_equal(render(x, "role:agent", "Demande {{id}} : {{ categorie }}",
	                        "{{nom}} — {{montant}} pour le {{le}}, état {{state}}, déposée le "
	                        "{{created_at}} par {{created_by}} (v{{version}}). {{inconnu}} {{nom",
	                        NULL),
	                 0);
	assert_int_equal(x->out.n, 1);
	assert_string_equal(x->out.v[0].to, "role:agent");
	assert_string_equal(x->out.v[0].subject, "Demande 42 : Catégorie B");
	/* money and dates as validate_display shows them to a French reader */
	buf want = BUF_INIT;
	buf_puts(&want, "Dupont — ");
	validate_display(&x->fields[C_MONTANT], &x->rec.values[C_MONTANT], LANG_FR, &want);
	buf_puts(&want, " pour le 01/12/2026, état Acceptée, déposée le 23/11/2026 à 10:31 par "
	                "alice (v3). {{inconnu}} {{nom");
	assert_string_equal(x->out.v[0].body, buf_cstr(&want));
	assert_non_null(strstr(want.data, "1"));
	assert_non_null(strstr(want.data, "234,56"));
	assert_non_null(strstr(want.data, "€"));
	buf_free(&want);
}

static void recipient_from_a_field_and_blank_field_adds_nothing(void **state)
{
	fixture *x = *state;
	assert_int_equal(render(x, "field:courriel", "Objet", "Corps", NULL), 0);
	assert_int_equal(x->out.n, 1);
	assert_string_equal(x->out.v[0].to, "alice@example.org");
	value_clear(&x->rec.values[C_COURRIEL]);
	assert_int_equal(render(x, "field:courriel", "Objet", "Corps", NULL), 0);
	assert_int_equal(x->out.n, 1);                        /* nothing added, no error */
	value_set_text(&x->rec.values[C_COURRIEL], "   ");
	assert_int_equal(render(x, "field:courriel", "Objet", "Corps", NULL), 0);
	assert_int_equal(x->out.n, 1);
	assert_int_equal(render(x, "mairie@sete.fr", "Objet", "Corps", NULL), 0);
	assert_string_equal(x->out.v[1].to, "mairie@sete.fr");
	assert_int_equal(render(x, "accueil@localhost", "Objet", "Corps", NULL), 0);  /* as check allows */
	assert_string_equal(x->out.v[2].to, "accueil@localhost");
}

static void bad_recipient_specs_are_errors(void **state)
{
	fixture *x = *state;
	assert_int_equal(render(x, "field:inconnu", "s", "b", NULL), -1);
	assert_non_null(strstr(x->err, "inconnu"));
	assert_int_equal(render(x, "pas une adresse", "s", "b", NULL), -1);
	assert_int_equal(render(x, "role:", "s", "b", NULL), -1);
	assert_int_equal(render(x, "", "s", "b", NULL), -1);
	assert_int_equal(render(x, "a@b.fr\r\nBcc: x@y.fr", "s", "b", NULL), -1);
	assert_int_equal(render(x, "a@b.fr\r\n", "s", "b", NULL), -1);
	assert_int_equal(render(x, "Nom <a@b.fr>", "s", "b", NULL), -1);
	assert_int_equal(x->out.n, 0);
}

static void private_fields_only_reach_roles_allowed_to_read_them(void **state)
{
	fixture *x = *state;
	const char *specs[] = {"role:agent", "role:demandeur", "mairie@sete.fr", "field:courriel"};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(render(x, specs[i], "Note : {{note}}", "{{note}}", NULL), 0);
	assert_string_equal(x->out.v[0].subject, "Note : Très secret");
	assert_string_equal(x->out.v[0].body, "Très secret");
	for (size_t i = 1; i < 4; i++) {
		assert_string_equal(x->out.v[i].subject, "Note : [confidentiel]");
		assert_string_equal(x->out.v[i].body, "[confidentiel]");
	}
}

static void subject_loses_cr_and_lf_but_body_keeps_lines(void **state)
{
	fixture *x = *state;
	value_set_text(&x->rec.values[C_NOM], "Dupont\r\nBcc: pirate@example.org");
	assert_int_equal(render(x, "role:agent", "Demande de {{nom}}\nX-Injected: 1",
	                        "Ligne 1\n{{nom}}", NULL),
	                 0);
	const char *s = x->out.v[0].subject;
	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, '\n'));
	assert_string_equal(s, "Demande de Dupont  Bcc: pirate@example.org X-Injected: 1");
	assert_string_equal(x->out.v[0].body, "Ligne 1\nDupont\r\nBcc: pirate@example.org");
}

static void link_goes_on_its_own_line(void **state)
{
	fixture *x = *state;
	assert_int_equal(render(x, "role:agent", "s", "Bonjour.\n\n", "https://ex.fr/a/demo/demande/42"),
	                 0);
	assert_string_equal(x->out.v[0].body, "Bonjour.\n\nhttps://ex.fr/a/demo/demande/42\n");
	assert_int_equal(render(x, "role:agent", "s", "", "https://ex.fr/x"), 0);
	assert_string_equal(x->out.v[1].body, "https://ex.fr/x\n");
	assert_int_equal(render(x, "role:agent", "s", "Sans lien", NULL), 0);
	assert_string_equal(x->out.v[2].body, "Sans lien");
}

/* ---- the message ---- */

static int b64val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(t, c) : NULL;
	return p ? (int)(p - t) : -1;
}

/* Decodes an unstructured header value (after "Name: "), unfolding and decoding words. */
static void decode_header(const char *v, size_t n, buf *out)
{
	const char *p = v, *end = v + n;
	while (p < end) {
		if (end - p >= 10 && strncmp(p, "=?UTF-8?B?", 10) == 0) {
			const char *q = strstr(p + 10, "?=");
			assert_non_null(q);
			unsigned acc = 0;
			int bits = 0;
			for (const char *c = p + 10; c < q; c++) {
				if (*c == '=')
					break;
				int d = b64val(*c);
				assert_true(d >= 0);
				acc = (acc << 6) | (unsigned)d;
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					buf_putc(out, (char)((acc >> bits) & 0xff));
				}
			}
			p = q + 2;
			/* whitespace between two encoded words is dropped (RFC 2047 6.2) */
			const char *r = p;
			while (r < end && (*r == '\r' || *r == '\n' || *r == ' '))
				r++;
			if (r != p && end - r >= 10 && strncmp(r, "=?UTF-8?B?", 10) == 0)
				p = r;
		} else if (*p == '\r' && p + 2 < end && p[1] == '\n' && p[2] == ' ') {
			p += 2;       /* unfolding: CRLF before whitespace goes */
		} else {
			buf_putc(out, *p++);
		}
	}
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void decode_qp(const char *s, buf *out)
{
	while (*s) {
		if (*s == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (*s == '=') {
			int h = hexval(s[1]), l = hexval(s[2]);
			assert_true(h >= 0 && l >= 0);
			buf_putc(out, (char)(h * 16 + l));
			s += 3;
		} else if (*s == '\r' && s[1] == '\n') {
			buf_putc(out, '\n');
			s += 2;
		} else {
			buf_putc(out, *s++);
		}
	}
}

/* The value of header `name` (folded lines included), or NULL. */
static const char *header(const char *msg, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = msg; p && *p && !(p[0] == '\r' && p[1] == '\n');) {
		const char *eol = strstr(p, "\r\n");
		if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			const char *e = eol;
			while (e && e[2] == ' ')          /* continuation lines */
				e = strstr(e + 2, "\r\n");
			*len = (size_t)(e - v);
			return v;
		}
		p = eol ? eol + 2 : NULL;
	}
	return NULL;
}

static void assert_lines_crlf_and_short(const char *msg)
{
	for (const char *p = msg; *p;) {
		const char *eol = strstr(p, "\r\n");
		assert_non_null(eol);
		assert_true(eol - p <= 78);
		for (const char *c = p; c < eol; c++)
			assert_true(*c != '\n' && *c != '\r');
		p = eol + 2;
	}
}

static void message_has_mime_headers_and_crlf_lines(void **state)
{
	(void)state;
	const char *to[] = {"alice@example.org"};
	buf m = BUF_INIT;
	/* Mon, 23 Nov 2026 10:31:09 UTC */
	smtp_format_message(&m, "smallapps@mairie.example", to, 1, "Demande acceptée", "Bonjour\n",
	                      (time_t)1795429869, "<x.1@mairie.example>");
	const char *s = buf_cstr(&m);
	assert_lines_crlf_and_short(s);
	assert_non_null(strstr(s, "Date: Mon, 23 Nov 2026 10:31:09 +0000\r\n"));
	assert_non_null(strstr(s, "From: smallapps@mairie.example\r\n"));
	assert_non_null(strstr(s, "To: alice@example.org\r\n"));
	assert_non_null(strstr(s, "Subject: =?UTF-8?B?RGVtYW5kZSBhY2NlcHTDqWU=?=\r\n"));
	assert_non_null(strstr(s, "Message-ID: <x.1@mairie.example>\r\n"));
	assert_non_null(strstr(s, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(s, "Content-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(s, "Content-Transfer-Encoding: quoted-printable\r\n"));
	assert_non_null(strstr(s, "\r\n\r\nBonjour\r\n"));
	assert_int_equal(strncmp(s + m.len - 11, "\r\nBonjour\r\n", 11), 0);
	buf_free(&m);

	/* Plain short ASCII subjects are left readable. */
	smtp_format_message(&m, "a@b.fr", to, 1, "Demande 42 acceptee", "", 0, "<i@b.fr>");
	assert_non_null(strstr(buf_cstr(&m), "Subject: Demande 42 acceptee\r\n"));
	assert_non_null(strstr(buf_cstr(&m), "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	buf_free(&m);
	/* ...unless they look like an encoded word. */
	smtp_format_message(&m, "a@b.fr", to, 1, "=?UTF-8?B?x?=", "", 0, "<i@b.fr>");
	assert_null(strstr(buf_cstr(&m), "Subject: =?UTF-8?B?x?="));
	buf_free(&m);
}

static void long_utf8_subject_is_folded_into_words_that_decode_back(void **state)
{
	(void)state;
	const char *subject = "Votre demande n°12345 « été » a été acceptée par le service "
	                      "des déplacements — réponse définitive, sans recours gracieux ✓";
	const char *to[] = {"alice@example.org"};
	buf m = BUF_INIT, dec = BUF_INIT;
	smtp_format_message(&m, "a@b.fr", to, 1, subject, "x", 0, "<i@b.fr>");
	const char *s = buf_cstr(&m);
	assert_lines_crlf_and_short(s);
	size_t n;
	const char *v = header(s, "Subject", &n);
	assert_non_null(v);
	assert_non_null(memchr(v, '\n', n));                 /* folded */
	decode_header(v, n, &dec);
	assert_string_equal(buf_cstr(&dec), subject);
	buf_free(&m);
	buf_free(&dec);

	/* A long ASCII subject is folded at spaces and unfolds to itself. */
	const char *ascii = "Relance : votre demande de subvention pour l'association sportive "
	                    "est incomplete, merci de completer le dossier avant le 30 novembre";
	smtp_format_message(&m, "a@b.fr", to, 1, ascii, "x", 0, "<i@b.fr>");
	assert_lines_crlf_and_short(buf_cstr(&m));
	v = header(buf_cstr(&m), "Subject", &n);
	decode_header(v, n, &dec);
	assert_string_equal(buf_cstr(&dec), ascii);
	buf_free(&m);
	buf_free(&dec);

	/* Control characters never reach the header. */
	smtp_format_message(&m, "a@b.fr", to, 1, "a\r\nBcc: x@y.fr", "x", 0, "<i@b.fr>");
	assert_null(strstr(buf_cstr(&m), "\r\nBcc:"));
	assert_non_null(strstr(buf_cstr(&m), "Subject: a  Bcc: x@y.fr\r\n"));
	buf_free(&m);
}

static void body_is_quoted_printable_and_decodes_back(void **state)
{
	(void)state;
	const char *body = "Bonjour Éloïse,\n"
	                   "Montant : 1 234,56 € = total.\n"
	                   ".\n"
	                   ".ligne qui commence par un point\n"
	                   "espaces en fin   \n"
	                   "tab\t\n"
	                   "Une très longue ligne qui dépasse largement les soixante-seize caractères "
	                   "autorisés par la RFC 2045 pour le quoted-printable, avec des accents éèà.\r\n"
	                   "\n"
	                   "https://exemple.fr/a/demo/demande/42\n";
	const char *to[] = {"alice@example.org"};
	buf m = BUF_INIT, dec = BUF_INIT;
	smtp_format_message(&m, "a@b.fr", to, 1, "s", body, 0, "<i@b.fr>");
	const char *s = buf_cstr(&m);
	assert_lines_crlf_and_short(s);
	const char *b = strstr(s, "\r\n\r\n");
	assert_non_null(b);
	b += 4;
	for (const char *p = b; *p;) {                       /* QP: lines of at most 76 */
		const char *eol = strstr(p, "\r\n");
		assert_true(eol - p <= 76);
		assert_true(eol == p || (eol[-1] != ' ' && eol[-1] != '\t'));
		for (const char *c = p; c < eol; c++)
			assert_true((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
		p = eol + 2;
	}
	assert_non_null(strstr(b, "\r\n.\r\n.ligne"));         /* dots are curl's job */
	assert_non_null(strstr(b, "=3D total"));
	decode_qp(b, &dec);
	/* The body comes back with LF line ends, CRLF in the text normalised. */
	assert_string_equal(buf_cstr(&dec),
	                    "Bonjour Éloïse,\n"
	                    "Montant : 1 234,56 € = total.\n"
	                    ".\n"
	                    ".ligne qui commence par un point\n"
	                    "espaces en fin   \n"
	                    "tab\t\n"
	                    "Une très longue ligne qui dépasse largement les soixante-seize "
	                    "caractères autorisés par la RFC 2045 pour le quoted-printable, avec des "
	                    "accents éèà.\n"
	                    "\n"
	                    "https://exemple.fr/a/demo/demande/42\n");
	buf_free(&m);
	buf_free(&dec);
}

static void from_name_and_many_recipients_are_well_formed(void **state)
{
	(void)state;
	const char *to[] = {"agent.un@mairie-de-sete.fr", "agent.deux@mairie-de-sete.fr",
	                    "agent.trois@mairie-de-sete.fr", "agent.quatre@mairie-de-sete.fr"};
	buf m = BUF_INIT, dec = BUF_INIT;
	smtp_format_message(&m, "Mairie de Sète <noreply@sete.fr>", to, 4, "s", "x", 0,
	                      "<i@sete.fr>");
	const char *s = buf_cstr(&m);
	assert_lines_crlf_and_short(s);
	size_t n;
	const char *v = header(s, "From", &n);
	decode_header(v, n, &dec);
	assert_string_equal(buf_cstr(&dec), "Mairie de Sète <noreply@sete.fr>");
	buf_reset(&dec);
	v = header(s, "To", &n);
	decode_header(v, n, &dec);
	assert_string_equal(buf_cstr(&dec),
	                    "agent.un@mairie-de-sete.fr, agent.deux@mairie-de-sete.fr, "
	                    "agent.trois@mairie-de-sete.fr, agent.quatre@mairie-de-sete.fr");
	buf_free(&m);
	smtp_format_message(&m, "Mairie <noreply@sete.fr>", to, 1, "s", "x", 0, "<i@sete.fr>");
	assert_non_null(strstr(buf_cstr(&m), "From: \"Mairie\" <noreply@sete.fr>\r\n"));
	buf_free(&m);
	buf_free(&dec);
}

static void backoff_doubles_from_a_minute_up_to_an_hour(void **state)
{
	(void)state;
	assert_int_equal(outbox_backoff(1), 60);
	assert_int_equal(outbox_backoff(2), 120);
	assert_int_equal(outbox_backoff(3), 240);
	assert_int_equal(outbox_backoff(6), 1920);
	assert_int_equal(outbox_backoff(7), 3600);
	assert_int_equal(outbox_backoff(100), 3600);
}

/* ---- rows ---- */

typedef struct add_job {
	const def_form *f;
	const outbox_list *l;
} add_job;

static int add_apply(store_tx *tx, void *arg)
{
	add_job *j = arg;
	return outbox_tx_add(tx, j->f, 42, "2026-11-23T10:00:00Z", j->l);
}

static int add_then_fail(store_tx *tx, void *arg)
{
	add_apply(tx, arg);
	return STORE_ERROR;       /* the transaction rolls back: its mails go with it */
}

static void rows_are_written_pending_in_the_transaction_and_read_back(void **state)
{
	fixture *x = *state;
	char dir[] = "/tmp/test_outbox.XXXXXX", err[STORE_ERR_LEN];
	assert_non_null(mkdtemp(dir));
	store_backend *b = testdb_open(dir);
	store *s = store_open(b, "demo", err);
	assert_non_null(s);
	outbox_list_add(&x->out, "role:agent", "Premier <b>", "corps 1");
	outbox_list_add(&x->out, "alice@example.org", "Second", "corps 2");
	add_job j = {&x->form, &x->out};
	assert_int_equal(store_write_sync(s, add_apply, &j), STORE_OK);
	assert_int_equal(store_write_sync(s, add_then_fail, &j), STORE_ERROR);
	outbox_row *rows;
	size_t n;
	assert_int_equal(store_outbox_recent(s, 200, &rows, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].subject, "Second");       /* newest first */
	assert_string_equal(rows[0].to, "alice@example.org");
	assert_string_equal(rows[1].to, "role:agent");
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(rows[i].status, "pending");
		assert_int_equal(rows[i].attempts, 0);
		assert_string_equal(rows[i].form, "demande");
		assert_int_equal(rows[i].record_id, 42);
		assert_string_equal(rows[i].created_at, "2026-11-23T10:00:00Z");
		assert_string_equal(rows[i].next_attempt_at, "2026-11-23T10:00:00Z");
		assert_null(rows[i].sent_at);
		assert_null(rows[i].body);
	}
	store_outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_recent(s, 1, &rows, &n), STORE_OK);
	assert_int_equal(n, 1);

	/* The admin page shows them, escaped, status in words. */
	outbox_view v = {.app = &x->app, .rows = rows, .nrows = n};
	page pg = {.lg = LANG_FR, .path = "/admin/outbox", .user_login = "admin", .user_admin = true,
	           .csrf = "c"};
	buf h = BUF_INIT;
	render_admin_outbox(&h, &pg, &v, 1);
	assert_non_null(strstr(buf_cstr(&h), "<h1>Messages sortants</h1>"));
	assert_non_null(strstr(buf_cstr(&h), "<caption id=\"cap-outbox\">"));
	assert_non_null(strstr(buf_cstr(&h), "<th scope=\"col\">Statut</th>"));
	assert_non_null(strstr(buf_cstr(&h), "<th scope=\"row\">2</th>"));
	assert_non_null(strstr(buf_cstr(&h), "En attente"));
	buf_free(&h);
	store_outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_recent(s, 200, &rows, &n), STORE_OK);
	v = (outbox_view){.app = &x->app, .rows = rows, .nrows = n};
	render_admin_outbox(&h, &pg, &v, 1);
	assert_non_null(strstr(buf_cstr(&h), "Premier &lt;b&gt;"));
	assert_null(strstr(buf_cstr(&h), "Premier <b>"));
	buf_free(&h);
	store_outbox_rows_free(rows, n);

	store_close(s);
	testdb_close(b);
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(placeholders_become_display_values, setup, teardown),
		cmocka_unit_test_setup_teardown(a_reference_is_its_number, setup, teardown),
		cmocka_unit_test_setup_teardown(recipient_from_a_field_and_blank_field_adds_nothing,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(bad_recipient_specs_are_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(private_fields_only_reach_roles_allowed_to_read_them,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(subject_loses_cr_and_lf_but_body_keeps_lines, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(link_goes_on_its_own_line, setup, teardown),
		cmocka_unit_test(message_has_mime_headers_and_crlf_lines),
		cmocka_unit_test(long_utf8_subject_is_folded_into_words_that_decode_back),
		cmocka_unit_test(body_is_quoted_printable_and_decodes_back),
		cmocka_unit_test(from_name_and_many_recipients_are_well_formed),
		cmocka_unit_test(backoff_doubles_from_a_minute_up_to_an_hour),
		cmocka_unit_test_setup_teardown(rows_are_written_pending_in_the_transaction_and_read_back,
		                                setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
