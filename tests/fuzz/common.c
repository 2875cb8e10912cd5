/*
 * common — the helpers every fuzz target shares (see fuzz.h): invariant failures,
 * fixtures from the repository, temporary folders cleaned up at exit, and an
 * independent UTF-8 checker to hold the engine's own against.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"
#include "util.h"

#ifndef FUZZ_ROOT
#define FUZZ_ROOT "."
#endif

_Noreturn void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "\n==FUZZ== invariant violated at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

bool fuzz_known(const char *id)
{
	const char *k = getenv("FUZZ_KNOWN");
	size_t n = strlen(id);
	for (const char *p = k; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != '\0'))
		if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

void fuzz_engine_init(void)
{
	/* Fixed before util_init reads it: date rules ("today+7") must not drift between a
	 * run that found a crash and the replay that checks its fix. */
	setenv("SMALLAPPS_NOW", "2026-11-23T10:00:00Z", 1);
	const char *verbose = getenv("FUZZ_VERBOSE");
	if (!(verbose && strcmp(verbose, "1") == 0))
		log_set_quiet(1);
	FUZZ_CHECK(util_init() == 0, "util_init failed");
}

const char *fuzz_root(void)
{
	const char *r = getenv("SMALLAPPS_FUZZ_ROOT");
	return r && *r ? r : FUZZ_ROOT;
}

const char *fuzz_stdlib(void)
{
	static char path[PATH_MAX];
	if (!path[0])
		snprintf(path, sizeof path, "%s/stdlib-lua", fuzz_root());
	return path;
}

/* ---- temporary folders ---- */

static char *temp_dirs[16];
static size_t ntemp_dirs;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path); /* best effort: one stuck file must not keep the others */
	return 0;
}

static void remove_temp_dirs(void)
{
	for (size_t i = 0; i < ntemp_dirs; i++) {
		nftw(temp_dirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(temp_dirs[i]);
	}
	ntemp_dirs = 0;
}

const char *fuzz_tempdir(const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof tmpl, "%s/smallapps-fuzz-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
	FUZZ_CHECK(mkdtemp(tmpl) != NULL, "mkdtemp %s: %s", tmpl, strerror(errno));
	FUZZ_CHECK(ntemp_dirs < sizeof temp_dirs / sizeof *temp_dirs, "too many temporary folders");
	if (ntemp_dirs == 0)
		atexit(remove_temp_dirs);
	temp_dirs[ntemp_dirs] = strdup(tmpl);
	FUZZ_CHECK(temp_dirs[ntemp_dirs] != NULL, "out of memory");
	return temp_dirs[ntemp_dirs++];
}

void fuzz_write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	const char *p = data;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		FUZZ_CHECK(w > 0, "write %s: %s", path, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	FUZZ_CHECK(close(fd) == 0, "close %s: %s", path, strerror(errno));
}

char *fuzz_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	size_t got;
	while (b && (got = fread(b + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (cap - len - 1 == 0) {
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!b)
		return NULL;
	b[len] = '\0';
	if (n)
		*n = len;
	return b;
}

void fuzz_copy_tree(const char *src, const char *dst)
{
	FUZZ_CHECK(mkdir(dst, 0755) == 0, "mkdir %s: %s", dst, strerror(errno));
	DIR *d = opendir(src);
	FUZZ_CHECK(d != NULL, "opendir %s: %s", src, strerror(errno));
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char s[PATH_MAX], t[PATH_MAX];
		snprintf(s, sizeof s, "%s/%s", src, e->d_name);
		snprintf(t, sizeof t, "%s/%s", dst, e->d_name);
		struct stat st;
		FUZZ_CHECK(stat(s, &st) == 0, "stat %s: %s", s, strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			fuzz_copy_tree(s, t);
		} else if (S_ISREG(st.st_mode)) {
			size_t n = 0;
			char *data = fuzz_read_file(s, &n);
			FUZZ_CHECK(data != NULL, "read %s", s);
			fuzz_write_file(t, data, n);
			free(data);
		}
	}
	closedir(d);
}

/* ---- UTF-8 ---- */

bool fuzz_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		/* RFC 3629: the first byte fixes the length and the range of the second byte. */
		size_t len;
		unsigned lo = 0x80, hi = 0xBF;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
		} else if (c == 0xE0) {
			len = 3;
			lo = 0xA0;
		} else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
			len = 3;
		} else if (c == 0xED) {
			len = 3;
			hi = 0x9F; /* no surrogates */
		} else if (c == 0xF0) {
			len = 4;
			lo = 0x90;
		} else if (c >= 0xF1 && c <= 0xF3) {
			len = 4;
		} else if (c == 0xF4) {
			len = 4;
			hi = 0x8F; /* nothing above U+10FFFF */
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xBF)
				return false;
		i += len;
	}
	return true;
}
