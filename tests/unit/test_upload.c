/*
 * test_upload — files received from clients: the bytes on disk and their SHA-256, the
 * type from the content whatever the name, names cleaned of paths and control
 * characters, base64 as the API sends it (and refused when it is not), uploads kept for
 * their sender only, the sweep of old ones, and the words of an accept list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "upload.h"
#include "util.h"
#include "validate.h"

static const unsigned char PNG[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0,    0,
				    13,	  'I', 'H', 'D', 'R',  0,    0,	   0,	 1,    0,    0,
				    0,	  1,   8,   2,	 0,    0,    0,	   0x90, 0x77, 0x53, 0xde};
static const char PDF[] = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

static int setup(void **state)
{
	char *dir = strdup("/tmp/test_upload_XXXXXX");
	assert_non_null(mkdtemp(dir));
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static size_t files_in(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static upload *received(const char *dir, const char *name, const void *p, size_t n)
{
	upload *u = upload_begin(dir, "photo", name);
	assert_non_null(u);
	/* in two pieces, as a body arrives */
	assert_int_equal(upload_write(u, p, n / 2), 0);
	assert_int_equal(upload_write(u, (const char *)p + n / 2, n - n / 2), 0);
	assert_int_equal(upload_finish(u), 0);
	return u;
}

static void bytes_hash_and_type_come_from_the_content(void **state)
{
	const char *dir = *state;
	upload *u = received(dir, "photo.pdf", PNG, sizeof PNG);
	char want[65];
	util_sha256_hex(PNG, sizeof PNG, want);
	assert_string_equal(u->sha256, want);
	assert_int_equal(u->size, sizeof PNG);
	assert_string_equal(u->type, "image/png"); /* the name said PDF */
	upload *v = received(dir, "photo.png", PDF, strlen(PDF));
	assert_string_equal(v->type, "application/pdf");
	struct stat st;
	assert_int_equal(stat(u->path, &st), 0);
	assert_int_equal(st.st_size, sizeof PNG);
	char *path = strdup(u->path);
	upload_free(u);
	upload_free(v);
	assert_int_not_equal(stat(path, &st), 0); /* the temporary file went with it */
	free(path);
	assert_int_equal(files_in(dir), 0);
	upload *e = received(dir, "vide", "", 0);
	assert_string_equal(e->type, "application/x-empty");
	upload_free(e);
}

static void names_lose_their_paths_and_control_characters(void **state)
{
	const char *dir = *state;
	const struct {
		const char *in, *out;
	} cases[] = {
	    {"../../etc/passwd", "passwd"},
	    {"C:\\Users\\moi\\Bureau\\scan.pdf", "scan.pdf"},
	    {"rapport\r\n\t final.pdf", "rapport final.pdf"},
	    {"", "fichier"},
	    {"dossier/", "fichier"},
	    {"\xff\xfe.pdf", "fichier"},
	    {"Réponse signée.pdf", "Réponse signée.pdf"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		upload *u = upload_begin(dir, "f", cases[i].in);
		assert_string_equal(u->name, cases[i].out);
		upload_free(u);
	}
	char longname[600];
	memset(longname, 0, sizeof longname);
	for (int i = 0; i < 200; i++)
		strcat(longname, "é"); /* 400 bytes */
	upload *u = upload_begin(dir, "f", longname);
	assert_true(strlen(u->name) <= UPLOAD_NAME_MAX);
	assert_true(util_utf8_valid(u->name, strlen(u->name))); /* not cut inside a character */
	upload_free(u);
}

static void base64_is_decoded_or_refused(void **state)
{
	const char *dir = *state;
	bool bad = true;
	/* "%PDF-1.4" in base64, padded and not, and in the URL-safe alphabet */
	const char *forms[] = {"JVBERi0xLjQ=", "JVBERi0xLjQ"};
	for (size_t i = 0; i < 2; i++) {
		upload *u =
		    upload_from_base64(dir, "piece", "a.pdf", forms[i], strlen(forms[i]), &bad);
		assert_non_null(u);
		assert_false(bad);
		assert_int_equal(u->size, 8);
		char want[65];
		util_sha256_hex("%PDF-1.4", 8, want);
		assert_string_equal(u->sha256, want);
		upload_free(u);
	}
	const char *broken[] = {"@@@@", "JVBERi0xLjQ=A", "J", "JVB ERi0x"};
	for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
		upload *u =
		    upload_from_base64(dir, "piece", "a.pdf", broken[i], strlen(broken[i]), &bad);
		assert_null(u);
		assert_true(bad);
	}
	assert_int_equal(files_in(dir), 0); /* nothing left of the refused ones */
}

static void a_kept_upload_is_for_its_sender_and_its_field(void **state)
{
	const char *dir = *state;
	upload *u = received(dir, "garde.png", PNG, sizeof PNG);
	assert_int_equal(upload_keep(u, dir, "alice"), 0);
	char token[UPLOAD_TOKEN_LEN];
	memcpy(token, u->token, sizeof token);
	char sha[65];
	memcpy(sha, u->sha256, sizeof sha);
	upload_free(u); /* kept: the file stays */
	assert_null(upload_resume(dir, token, "photo", "bob"));
	assert_null(upload_resume(dir, token, "piece", "alice"));
	assert_null(upload_resume(dir, "../../etc/passwd", "photo", "alice"));
	assert_null(upload_resume(dir, "0123456789abcdef0123456789abcdef", "photo", "alice"));
	upload *r = upload_resume(dir, token, "photo", "alice");
	assert_non_null(r);
	assert_string_equal(r->name, "garde.png");
	assert_string_equal(r->sha256, sha);
	assert_string_equal(r->type, "image/png");
	assert_int_equal(r->size, sizeof PNG);
	upload_free(r);
	upload_forget(dir, token);
	assert_null(upload_resume(dir, token, "photo", "alice"));
	assert_int_equal(files_in(dir), 0);
}

static void the_sweep_removes_what_is_old_only(void **state)
{
	const char *dir = *state;
	upload *old = received(dir, "old.png", PNG, sizeof PNG);
	assert_int_equal(upload_keep(old, dir, "alice"), 0);
	upload *fresh = received(dir, "new.png", PNG, sizeof PNG);
	assert_int_equal(upload_keep(fresh, dir, "alice"), 0);
	char note[512];
	snprintf(note, sizeof note, "%s/keep-%s.json", dir, old->token);
	struct utimbuf t = {.actime = time(NULL) - 2 * 86400, .modtime = time(NULL) - 2 * 86400};
	assert_int_equal(utime(old->path, &t), 0);
	assert_int_equal(utime(note, &t), 0);
	assert_int_equal(upload_sweep(dir, 86400), 2); /* the old file and its note */
	assert_int_equal(files_in(dir), 2);
	assert_non_null(upload_resume(dir, fresh->token, "photo", "alice"));
	upload_forget(dir, fresh->token);
	upload_free(old);
	upload_free(fresh);
}

static void accepted_types_are_said_in_words(void **state)
{
	(void)state;
	const char *png_jpeg[] = {"image/png", "image/jpeg"};
	const char *pdf_odt[] = {"application/pdf", "application/vnd.oasis.opendocument.text"};
	const char *images[] = {"image/*"};
	def_field f = {.name = "photo", .type = FT_FILE};
	char msg[VALIDATE_MSG];
	f.accept = (def_strlist){.v = png_jpeg, .n = 2};
	validate_accept_text(&f, LANG_FR, msg);
	assert_string_equal(msg, "Ce fichier n'est pas une image PNG ou JPEG.");
	validate_accept_text(&f, LANG_EN, msg);
	assert_string_equal(msg, "This file is not a PNG image or JPEG image.");
	f.accept = (def_strlist){.v = pdf_odt, .n = 2};
	validate_accept_text(&f, LANG_FR, msg);
	assert_string_equal(msg, "Ce fichier n'est pas un document PDF ou OpenDocument (ODT).");
	f.accept = (def_strlist){.v = images, .n = 1};
	validate_accept_text(&f, LANG_FR, msg);
	assert_string_equal(msg, "Ce fichier n'est pas une image.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(bytes_hash_and_type_come_from_the_content, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(names_lose_their_paths_and_control_characters, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(base64_is_decoded_or_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_kept_upload_is_for_its_sender_and_its_field, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(the_sweep_removes_what_is_old_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(accepted_types_are_said_in_words, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
