/*
 * replay_main — runs a fuzz target without libFuzzer, so that `make test` replays
 * every corpus file and every past crash on machines without clang (gcc with
 * ASan+UBSan is enough).
 *
 * Usage: TARGET PATH...   (files, or folders whose files are replayed in name order;
 * names starting with "." or "README" are skipped).
 *
 * Each input is read whole and passed to LLVMFuzzerTestOneInput once, after
 * LLVMFuzzerInitialize when the target defines it, as libFuzzer would. "RUN <path>"
 * is printed (and flushed) before each input and "OK <path>" after it: a sanitizer
 * report or a broken invariant aborts the process, and the runner (replay.sh) knows
 * from the last RUN without its OK which input did it.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Not every target has set-up: libFuzzer calls it only when it is defined. */
extern int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	size_t n = 0;
	char *data = fuzz_read_file(path, &n);
	if (!data) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return -1;
	}
	printf("RUN %s\n", path);
	fflush(stdout);
	/* An exact-size copy: ASan then sees a read one byte past the input, as libFuzzer does. */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy) {
		free(data);
		return -1;
	}
	memcpy(copy, data, n);
	free(data);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	printf("OK %s\n", path);
	fflush(stdout);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0; /* a target without crashes has no crash folder */
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **nv = realloc(names, cap * sizeof *names);
			if (!nv)
				break;
			names = nv;
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && run_file(path) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0)
			continue; /* a missing folder holds no input */
		if ((S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i])) != 0)
			rc = 1;
	}
	return rc;
}
