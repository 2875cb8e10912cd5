/*
 * registry — the apps being served, loaded from apps/ and reloaded live (SPEC 10).
 *
 * Each app id maps to its current version: an `app_rt` holding the immutable
 * definition and the app's store. Requests acquire a reference for their whole
 * life; a reload swaps the current pointer under a lock and the old version is
 * freed when its last reference goes, so a request in flight never sees a freed
 * definition. The store (one per app database) outlives versions: it is shared by
 * every version of the same app and closed when the app is unloaded and unused.
 * A version whose definition or migration fails is not served; the previous one
 * (if any) keeps serving and the problem is kept for /admin and the log.
 *
 * Thread-safety: all functions are safe from any thread.
 */
#ifndef SMALLAPPS_REGISTRY_H
#define SMALLAPPS_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "def.h"
#include "diag.h"
#include "store.h"

typedef struct registry registry;
typedef struct app_db app_db;

typedef struct app_rt {
	def_app *def;
	store *db;
	uint64_t gen;			   /* unique per loaded version, never reused */
	const char *stdlib_dir;		   /* borrowed from the registry */
	const unsigned char *tracking_key; /* borrowed from the registry; NULL: tracking off */
	/* private */
	atomic_int refs;
	app_db *dbref;
} app_rt;

typedef struct registry_opts {
	const char *apps_dir;
	const char *data_dir;
	store_backend *backend; /* where the app databases live; borrowed */
	const char *stdlib_dir;
	bool quiet;	 /* no log lines (CLI) */
	bool no_publish; /* PostgreSQL: serve the cluster's releases, never publish this
			  * engine's folders (commands other than serve) */
	/*
	 * Told of every change to what is served, for the audit log (SPEC 11): action
	 * "app.load" (a first version), "app.reload" (a new one), "app.refused" (a version
	 * not served: detail holds its first problem), "app.unload" (folder removed).
	 * detail is the version and content hash for loads. Called on the scanning
	 * thread, with no lock held; NULL: nobody is told.
	 */
	void (*on_event)(void *arg, const char *action, const char *app, const char *detail);
	void *on_event_arg;
} registry_opts;

registry *registry_open(const registry_opts *o);
void registry_close(registry *g);

/* Scans apps_dir: loads new and changed apps, unloads removed ones. Returns the number of changes.
 */
int registry_scan(registry *g);
/* Starts a thread that scans every second until registry_close. */
int registry_watch(registry *g);

/* Current version of app `id` with a reference, or NULL. */
app_rt *registry_get(registry *g, const char *id);
void registry_release(app_rt *rt);
/* Another reference to a version already held (for work that outlives its request). */
app_rt *registry_retain(app_rt *rt);
/* All current versions, sorted by id, each with a reference; caller releases each and frees the
 * array. */
size_t registry_list(registry *g, app_rt ***out);

/* Load problems by app id (latest attempt), for /admin and check. */
typedef struct registry_problem {
	char *app;
	char *text; /* formatted diagnostics, one per line */
	bool serving_previous;
} registry_problem;
size_t registry_problems(registry *g, registry_problem **out);
void registry_problems_free(registry_problem *p, size_t n);

#endif
