/*
 * apptest — `smallapps test` (SPEC 13): an app's own tests, run through the use cases.
 */
#ifndef SMALLAPPS_APPTEST_H
#define SMALLAPPS_APPTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct apptest_opts {
	const char *const *dirs; /* app folders; none: every app under apps_dir */
	size_t ndirs;
	const char *apps_dir;
	const char *stdlib_dir;
	bool coverage; /* per app: transitions and states no test reached */
	FILE *out;
} apptest_opts;

/*
 * Runs each app's Lua files under tests/, in name order, each on a throw-away database. Writes a
 * line per failed assertion ("path:line: expected …, got …"), per Lua error, a line
 * per file, then "N passed, N failed" (assertions). Returns the exit status: 0, or 1
 * on any failure, 2 on a usage error (a folder that is not an app).
 */
int apptest_run(const apptest_opts *o);

#endif
