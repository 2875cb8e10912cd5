/*
 * upload — files received from clients (see upload.h).
 *
 * libmagic's handle is not thread-safe: one is opened on first use and every lookup
 * takes the lock. Lookups read at most MAGIC_PEEK bytes, so they are short.
 */
#include "upload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

#define MAGIC_PEEK (64 * 1024)

static pthread_mutex_t magic_lock = PTHREAD_MUTEX_INITIALIZER;
static magic_t magic_db; /* guarded by magic_lock; opened once, kept for the process */
static bool magic_failed;

static void detect_type(const void *head, size_t n, char *out, size_t size)
{
	const char *t = NULL;
	pthread_mutex_lock(&magic_lock);
	if (!magic_db && !magic_failed) {
		magic_db = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
		if (!magic_db || magic_load(magic_db, NULL) != 0) {
			if (magic_db)
				magic_close(magic_db);
			magic_db = NULL;
			magic_failed = true;
		}
	}
	if (magic_db)
		t = magic_buffer(magic_db, head, n);
	snprintf(out, size, "%s", t && strchr(t, '/') ? t : "application/octet-stream");
	pthread_mutex_unlock(&magic_lock);
}

/* The last path segment, without control characters, valid UTF-8, at most NAME_MAX. */
static char *clean_name(const char *in)
{
	const char *s = in ? in : "";
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == '\\')
			s = p + 1;
	buf b = BUF_INIT;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			buf_putc(&b, *p);
	if (!util_utf8_valid(b.data ? b.data : "", b.len) || b.len == 0) {
		buf_reset(&b);
		buf_puts(&b, "fichier");
	}
	size_t n = b.len;
	if (n > UPLOAD_NAME_MAX) {
		n = UPLOAD_NAME_MAX;
		while (n > 0 && ((unsigned char)b.data[n] & 0xc0) == 0x80)
			n--; /* not inside a character */
	}
	char *out = xmalloc(n + 1);
	memcpy(out, b.data, n);
	out[n] = 0;
	buf_free(&b);
	return out;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

upload *upload_begin(const char *dir, const char *field, const char *client_name)
{
	mkdir(dir, 0700);
	upload *u = xcalloc(1, sizeof *u);
	u->path = join(dir, "up-XXXXXX");
	u->fd = mkstemp(u->path);
	if (u->fd < 0) {
		int e = errno;
		free(u->path);
		free(u);
		errno = e;
		return NULL;
	}
	u->field = xstrdup(field);
	u->name = clean_name(client_name);
	crypto_hash_sha256_init(&u->st);
	return u;
}

int upload_write(upload *u, const void *p, size_t n)
{
	const char *c = p;
	crypto_hash_sha256_update(&u->st, (const unsigned char *)p, n);
	u->size += (int64_t)n;
	while (n > 0) {
		ssize_t w = write(u->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int upload_finish(upload *u)
{
	if (u->fd < 0)
		return 0;
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&u->st, h);
	util_hex(h, sizeof h, u->sha256);
	char *head = xmalloc(MAGIC_PEEK);
	ssize_t n = pread(u->fd, head, MAGIC_PEEK, 0);
	detect_type(head, n > 0 ? (size_t)n : 0, u->type, sizeof u->type);
	free(head);
	int rc = close(u->fd);
	u->fd = -1;
	return rc == 0 && n >= 0 ? 0 : -1;
}

void upload_free(upload *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	if (!u->token[0] && u->path)
		unlink(u->path);
	free(u->field);
	free(u->name);
	free(u->path);
	free(u);
}

static int b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

upload *upload_from_base64(const char *dir, const char *field, const char *client_name,
			   const char *b64, size_t n, bool *bad)
{
	*bad = false;
	while (n > 0 && b64[n - 1] == '=')
		n--;
	if (n % 4 == 1) {
		*bad = true;
		return NULL;
	}
	upload *u = upload_begin(dir, field, client_name);
	if (!u)
		return NULL;
	unsigned char out[3 * 1024];
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int d = b64_digit((unsigned char)b64[i]);
		if (d < 0) {
			*bad = true;
			goto fail;
		}
		acc = acc << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
		if (o == sizeof out) {
			if (upload_write(u, out, o) != 0)
				goto fail;
			o = 0;
		}
	}
	if (o && upload_write(u, out, o) != 0)
		goto fail;
	if (upload_finish(u) != 0)
		goto fail;
	return u;
fail:
	upload_free(u);
	return NULL;
}

/* ---- kept uploads ---- */

static bool token_ok(const char *t)
{
	return t && strlen(t) == UPLOAD_TOKEN_LEN - 1 && strspn(t, "0123456789abcdef") == 32;
}

static char *keep_path(const char *dir, const char *token, const char *suffix)
{
	char name[64];
	snprintf(name, sizeof name, "keep-%s%s", token, suffix);
	return join(dir, name);
}

int upload_keep(upload *u, const char *dir, const char *who)
{
	char token[UPLOAD_TOKEN_LEN];
	util_random_hex(token, 16);
	char *file = keep_path(dir, token, ""), *note = keep_path(dir, token, ".json");
	json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "field", u->field, "name", u->name,
			      "size", (json_int_t)u->size, "type", u->type, "sha256", u->sha256,
			      "who", who ? who : "");
	int rc = -1;
	if (rename(u->path, file) == 0) {
		if (json_dump_file(j, note, 0) == 0) {
			free(u->path);
			u->path = file;
			file = NULL;
			memcpy(u->token, token, sizeof token);
			rc = 0;
		} else {
			rename(file, u->path);
		}
	}
	json_decref(j);
	free(file);
	free(note);
	return rc;
}

upload *upload_resume(const char *dir, const char *token, const char *field, const char *who)
{
	if (!token_ok(token))
		return NULL;
	char *note = keep_path(dir, token, ".json");
	json_t *j = json_load_file(note, 0, NULL);
	free(note);
	const char *f = json_string_value(json_object_get(j, "field"));
	const char *w = json_string_value(json_object_get(j, "who"));
	const char *sha = json_string_value(json_object_get(j, "sha256"));
	const char *type = json_string_value(json_object_get(j, "type"));
	upload *u = NULL;
	if (f && w && sha && type && strlen(sha) == 64 && strcmp(f, field) == 0 &&
	    util_ct_streq(w, who ? who : "")) {
		u = xcalloc(1, sizeof *u);
		u->fd = -1;
		u->field = xstrdup(field);
		u->name = clean_name(json_string_value(json_object_get(j, "name")));
		u->path = keep_path(dir, token, "");
		u->size = json_integer_value(json_object_get(j, "size"));
		snprintf(u->sha256, sizeof u->sha256, "%s", sha);
		snprintf(u->type, sizeof u->type, "%s", type);
		memcpy(u->token, token, UPLOAD_TOKEN_LEN);
		struct stat st;
		if (stat(u->path, &st) != 0 || st.st_size != u->size) {
			upload_free(u);
			u = NULL;
		}
	}
	json_decref(j);
	return u;
}

void upload_forget(const char *dir, const char *token)
{
	if (!token_ok(token))
		return;
	char *file = keep_path(dir, token, ""), *note = keep_path(dir, token, ".json");
	unlink(file);
	unlink(note);
	free(file);
	free(note);
}

int upload_sweep(const char *dir, int64_t max_age)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	time_t now = time(NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "up-", 3) != 0 && strncmp(e->d_name, "keep-", 5) != 0)
			continue;
		char *p = join(dir, e->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > max_age &&
		    unlink(p) == 0)
			n++;
		free(p);
	}
	closedir(d);
	return n;
}

/* ---- lists ---- */

void upload_list_add(upload_list *l, upload *u)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = u;
}

upload *upload_list_find(const upload_list *l, const char *field)
{
	for (size_t i = l ? l->n : 0; i-- > 0;) /* the last one sent wins */
		if (strcmp(l->v[i]->field, field) == 0)
			return l->v[i];
	return NULL;
}

void upload_list_free(upload_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		upload_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
