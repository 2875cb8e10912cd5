/*
 * appsrc — the Lua sources of one app version, read once (see appsrc.h).
 *
 * Each file is read to its end, whatever its size said a moment before, so the
 * bytes hashed are the bytes run. The hash format (name, NUL, size as 8 bytes
 * little endian, content; app.lua then lib/ sorted) is stable: it is compared
 * across restarts only through the database's record of versions, which treats any
 * change as a new version.
 */
#include "appsrc.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "util.h"

#define MAX_DEPTH 8

typedef struct namelist {
	char **v;
	size_t n, cap;
} namelist;

/* Every *.lua under root/rel, as paths relative to root; dot files and folders skipped. */
static void collect_lua(const char *root, const char *rel, namelist *out, int depth)
{
	if (depth > MAX_DEPTH)
		return;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	DIR *dp = opendir(path);
	if (!dp)
		return;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		char sub[4096], full[8192];
		snprintf(sub, sizeof sub, "%s/%s", rel, de->d_name);
		snprintf(full, sizeof full, "%s/%s", root, sub);
		struct stat st;
		if (stat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			collect_lua(root, sub, out, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			size_t l = strlen(sub);
			if (l > 4 && strcmp(sub + l - 4, ".lua") == 0) {
				if (out->n == out->cap) {
					out->cap = out->cap ? out->cap * 2 : 16;
					out->v = xrealloc(out->v, out->cap * sizeof *out->v);
				}
				out->v[out->n++] = xstrdup(sub);
			}
		}
	}
	closedir(dp);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads root/rel whole into f. 0, or -1 with err (missing, not a file, too big). */
static int read_one(const char *root, const char *rel, appsrc_file *f, char err[APPSRC_ERR])
{
	char path[8192];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	FILE *fp = fopen(path, "rb");
	struct stat st;
	if (!fp || fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, APPSRC_ERR, "%.480s : fichier illisible ou absent", path);
		if (fp)
			fclose(fp);
		return -1;
	}
	buf b = BUF_INIT;
	char chunk[16384];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		if (b.len + n > APPSRC_MAX_FILE) {
			snprintf(err, APPSRC_ERR, "%.440s : fichier trop gros (%d octets au plus)",
				 path, APPSRC_MAX_FILE);
			rc = -1;
			break;
		}
		buf_add(&b, chunk, n);
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(err, APPSRC_ERR, "%.440s : lecture impossible (%s)", path,
			 strerror(errno));
		rc = -1;
	}
	fclose(fp);
	if (rc != 0) {
		buf_free(&b);
		return -1;
	}
	f->rel = xstrdup(rel);
	f->len = b.len;
	f->text = b.len ? buf_steal(&b) : xstrdup("");
	buf_free(&b);
	return 0;
}

static void hash_files(appsrc *s)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < s->n; i++) {
		const appsrc_file *f = &s->files[i];
		unsigned char size[8];
		for (int k = 0; k < 8; k++)
			size[k] = (unsigned char)((uint64_t)f->len >> (8 * k));
		crypto_hash_sha256_update(&st, (const unsigned char *)f->rel, strlen(f->rel) + 1);
		crypto_hash_sha256_update(&st, size, sizeof size);
		crypto_hash_sha256_update(&st, (const unsigned char *)f->text, f->len);
	}
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, h);
	util_hex(h, sizeof h, s->hash);
}

appsrc *appsrc_read(const char *dir, char err[APPSRC_ERR])
{
	namelist l = {0};
	collect_lua(dir, "lib", &l, 0);
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, cmp_str);
	appsrc *s = NULL;
	if (l.n + 1 > APPSRC_MAX_FILES) {
		snprintf(err, APPSRC_ERR, "%.400s/lib : trop de fichiers .lua (%d au plus)", dir,
			 APPSRC_MAX_FILES - 1);
		goto done;
	}
	s = xcalloc(1, sizeof *s);
	s->files = xcalloc(l.n + 1, sizeof *s->files);
	int rc = read_one(dir, "app.lua", &s->files[s->n], err);
	if (rc == 0)
		s->n++;
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		if ((rc = read_one(dir, l.v[i], &s->files[s->n], err)) == 0)
			s->n++;
	}
	if (rc != 0) {
		appsrc_free(s);
		s = NULL;
		goto done;
	}
	hash_files(s);
done:
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return s;
}

char *appsrc_pack(const appsrc *s)
{
	json_t *files = json_array();
	for (size_t i = 0; i < s->n; i++) {
		size_t cap =
		    sodium_base64_encoded_len(s->files[i].len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = xmalloc(cap);
		sodium_bin2base64(b64, cap, (const unsigned char *)s->files[i].text,
				  s->files[i].len, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(files, json_pack("[ss]", s->files[i].rel, b64));
		free(b64);
	}
	json_t *o = json_pack("{so}", "files", files);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* A name appsrc_read could have given: app.lua first, then lib/...*.lua, no "..". */
static bool rel_ok(const char *rel, size_t i)
{
	if (i == 0)
		return strcmp(rel, "app.lua") == 0;
	size_t n = strlen(rel);
	return strncmp(rel, "lib/", 4) == 0 && !strstr(rel, "..") && !strstr(rel, "//") && n >= 8 &&
	       n < 4096 && strcmp(rel + n - 4, ".lua") == 0;
}

static int unpack_file(json_t *item, size_t i, appsrc_file *f, char err[APPSRC_ERR])
{
	const char *rel = json_string_value(json_array_get(item, 0));
	const char *b64 = json_string_value(json_array_get(item, 1));
	if (!json_is_array(item) || json_array_size(item) != 2 || !rel || !b64 || !rel_ok(rel, i)) {
		snprintf(err, APPSRC_ERR, "version enregistrée : fichier %zu mal nommé", i + 1);
		return -1;
	}
	size_t cap = strlen(b64) / 4 * 3 + 3, len = 0;
	if (cap > APPSRC_MAX_FILE + 3) {
		snprintf(err, APPSRC_ERR, "version enregistrée : %.200s trop gros", rel);
		return -1;
	}
	unsigned char *bytes = xmalloc(cap + 1);
	if (sodium_base642bin(bytes, cap, b64, strlen(b64), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len > APPSRC_MAX_FILE) {
		free(bytes);
		snprintf(err, APPSRC_ERR, "version enregistrée : %.200s illisible", rel);
		return -1;
	}
	bytes[len] = '\0';
	f->rel = xstrdup(rel);
	f->text = (char *)bytes;
	f->len = len;
	return 0;
}

appsrc *appsrc_unpack(const char *packed, char err[APPSRC_ERR])
{
	json_error_t je;
	json_t *o = json_loads(packed ? packed : "", 0, &je);
	json_t *files = json_object_get(o, "files");
	size_t n = json_array_size(files);
	if (!json_is_array(files) || n == 0 || n > APPSRC_MAX_FILES) {
		json_decref(o);
		snprintf(err, APPSRC_ERR, "version enregistrée illisible");
		return NULL;
	}
	appsrc *s = xcalloc(1, sizeof *s);
	s->files = xcalloc(n, sizeof *s->files);
	for (size_t i = 0; i < n; i++, s->n++)
		if (unpack_file(json_array_get(files, i), i, &s->files[i], err) != 0) {
			appsrc_free(s);
			json_decref(o);
			return NULL;
		}
	json_decref(o);
	hash_files(s);
	return s;
}

const appsrc_file *appsrc_find(const appsrc *s, const char *rel)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->files[i].rel, rel) == 0)
			return &s->files[i];
	return NULL;
}

void appsrc_free(appsrc *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->files[i].rel);
		free(s->files[i].text);
	}
	free(s->files);
	free(s);
}
