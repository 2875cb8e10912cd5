/*
 * appsrc — the Lua sources of one app version, read once into memory.
 *
 * A version of an app is its app.lua and lib/ (every *.lua file, eight levels deep
 * at most) as they were when it was loaded. Every Lua state of that version runs
 * these bytes, never the files again: worker threads open their states lazily, and
 * by then the folder may hold a save in progress, a broken edit or a half-copied
 * new version. Those must not reach a worker that happens to open its state late,
 * while the others serve the version that was checked.
 *
 * The hash (hex SHA-256 over each file's name, size and content, app.lua first,
 * then lib/ in byte order of the names) names the version: the registry compares it
 * with the folder's to see that something changed.
 *
 * Thread-safety: an appsrc is read-only once made; share it freely between threads
 * as long as its owner keeps it (def_app owns the one of a loaded version).
 */
#ifndef SMALLAPPS_APPSRC_H
#define SMALLAPPS_APPSRC_H

#include <stddef.h>

#define APPSRC_MAX_FILE	 (1024 * 1024) /* bytes of one file */
#define APPSRC_MAX_FILES 256	       /* files of one app */
#define APPSRC_ERR	 512

typedef struct appsrc_file {
	char *rel;  /* "app.lua", "lib/outils.lua" */
	char *text; /* len bytes, NUL after them */
	size_t len;
} appsrc_file;

typedef struct appsrc {
	appsrc_file *files; /* app.lua first */
	size_t n;
	char hash[65];
} appsrc;

/*
 * Reads the sources of the app in dir. NULL with why in err when app.lua is missing
 * or unreadable, or a file is too big, or there are too many; the caller frees the
 * result with appsrc_free.
 */
appsrc *appsrc_read(const char *dir, char err[APPSRC_ERR]);
/*
 * The sources as one text, to keep a version elsewhere than in a folder (a release in
 * the shared database): JSON, {"files": [[rel, base64 of the bytes], ...]} in order.
 * Caller frees.
 */
char *appsrc_pack(const appsrc *s);
/*
 * The sources of a packed text, checked as a folder would be (app.lua first, lib/
 * names, sizes, counts) and hashed anew: NULL with err when anything is off. The
 * caller compares the hash with the one it expects.
 */
appsrc *appsrc_unpack(const char *packed, char err[APPSRC_ERR]);

/* The file at rel ("lib/outils.lua"), or NULL. */
const appsrc_file *appsrc_find(const appsrc *s, const char *rel);
void appsrc_free(appsrc *s);

#endif
