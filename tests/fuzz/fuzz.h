/*
 * fuzz — what every fuzz target under tests/fuzz/ shares: the libFuzzer entry points,
 * the repository's fixtures (tests/apps, stdlib-lua), temporary folders removed at
 * exit, and the one way a target reports a broken invariant.
 *
 * A target is one .c file defining LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize
 * when it needs set-up). It is linked twice: with libFuzzer (clang, make fuzz) and
 * with replay_main.c (any compiler, make test), so it must not rely on anything
 * libFuzzer provides beyond these two entry points.
 *
 * Invariants are checked with FUZZ_CHECK: a violation prints what was expected and
 * aborts, which both libFuzzer and the replay driver report as a crash with the
 * input that caused it. Not thread-safe: set-up runs once, before the inputs.
 */
#ifndef SMALLAPPS_FUZZ_H
#define SMALLAPPS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Reports a broken invariant and aborts. Never returns: the input that got here is
 * the reproducer, and carrying on would only bury the first symptom under others.
 */
_Noreturn void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                \
	} while (0)

/*
 * A known finding whose fix is pending, named in FUZZ_KNOWN ("id,id,..."): a long run
 * skips that one check so that a known bug does not stop it finding others. The
 * replay (make test) never sets it: there every reproducer bites until it is fixed.
 */
bool fuzz_known(const char *id);

/*
 * The process set-up every target needs once: a fixed clock (SMALLAPPS_NOW, so that
 * "today" rules give the same answer on every replay), libsodium, and engine logs
 * silenced unless FUZZ_VERBOSE=1 (a log line per input would drown the fuzzer's).
 */
void fuzz_engine_init(void);

/* The repository root: SMALLAPPS_FUZZ_ROOT, or the folder the targets were built from. */
const char *fuzz_root(void);
/* stdlib-lua/ of the repository (a static buffer). */
const char *fuzz_stdlib(void);

/*
 * A new empty folder under $TMPDIR (or /tmp), removed with everything in it when the
 * process exits normally. Returns a static-lifetime copy of its path; aborts on failure
 * (a target without its fixtures cannot test anything).
 */
const char *fuzz_tempdir(const char *tag);
/* Copies the folder src (files and subfolders) to dst, which must not exist. Aborts on failure. */
void fuzz_copy_tree(const char *src, const char *dst);
/* Writes n bytes to path (created or truncated). Aborts on failure. */
void fuzz_write_file(const char *path, const void *data, size_t n);
/* Reads a whole file into a NUL-terminated heap buffer (caller frees); NULL when unreadable. */
char *fuzz_read_file(const char *path, size_t *n);

/*
 * Well-formed UTF-8 by the table of RFC 3629 section 4, written here independently of
 * util_utf8_valid so that a target can check the engine's answer against it.
 */
bool fuzz_utf8_valid(const char *s, size_t n);

#endif
