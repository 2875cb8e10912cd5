/*
 * registry_cluster — deploying by copying a folder, when several engines share one
 * PostgreSQL database (SPEC 10, 14).
 *
 * The database's releases are the truth: an app is served, by every engine, in the
 * version of its newest release. A scan does two things:
 *  1. publish: a folder of this engine's apps/ that changed since this engine last
 *     saw it is checked (definition, then schema changes, applied once under the
 *     migration lock), and published as a new release, with its sources; a broken
 *     one is refused here and published nowhere, so every engine goes on serving the
 *     last good one. A folder that goes away withdraws its app. At start, folders
 *     holding a version already published are not published again (the cluster may
 *     have moved on since: another engine published a newer one).
 *  2. serve: each app whose newest release is not the one served is loaded from the
 *     release's sources (no folder needed), or unloaded when withdrawn.
 * Audit lines (app.load, app.reload, app.refused, app.unload) are written once, by
 * the engine that published; the others only log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appsrc.h"
#include "loader.h"
#include "log.h"
#include "registry_int.h"
#include "util.h"

/* A local refusal (diags formatted into the entry's problem; audited once). */
static void refused(registry *g, const char *id, diags *d, const char *hash)
{
	pthread_mutex_lock(&g->lock);
	entry *e = reg_ensure(g, id);
	bool had = e->cur != NULL;
	snprintf(e->local_hash, sizeof e->local_hash, "%s", hash);
	pthread_mutex_unlock(&g->lock);
	reg_refuse(g, id, d, had, false);
}

/*
 * Checks the folder's version and publishes it; serves it here at once. 1 when
 * published, 0 when refused or not possible now (the database: tried again later).
 */
static int publish(registry *g, const char *id, appsrc *src)
{
	char dir[4096], hash[65];
	snprintf(dir, sizeof dir, "%s/%s", g->o.apps_dir, id);
	memcpy(hash, src->hash, sizeof hash);
	char *packed = appsrc_pack(src);
	diags d = {0};
	def_app *def = NULL;
	if (!loader_valid_app_id(id)) {
		diags_add(&d, dir, 0, "",
			  "nom de dossier invalide : un identifiant d'application "
			  "s'écrit [a-z][a-z0-9-]{0,39}");
		appsrc_free(src);
	} else {
		def = loader_load_src(dir, src, g->o.stdlib_dir, NULL, &d); /* takes src */
	}
	if (!def) {
		refused(g, id, &d, hash);
		diags_free(&d);
		free(packed);
		return 0;
	}
	pthread_mutex_lock(&g->lock);
	reg_ensure(g, id);
	pthread_mutex_unlock(&g->lock);
	bool retry = false;
	app_db *db = reg_take_db(g, id, dir, &d, &retry);
	char err[STORE_ERR_LEN] = "";
	int rc = db ? store_migrate(db->s, def, util_now(), err) : STORE_UNAVAILABLE;
	int64_t rid = 0;
	bool fresh = false;
	if (rc == STORE_OK)
		rc = store_release_publish(g->o.backend, id, hash, packed, g->instance, &rid,
					   &fresh);
	free(packed);
	if (rc != STORE_OK) {
		if (rc == STORE_REFUSED) {
			diags_add(&d, dir, 0, "", "%s", err);
			refused(g, id, &d, hash);
		} else if (!g->o.quiet) {
			log_message("apps", "%s: not published yet (the database: %s); tried again",
				    id, err[0] ? err : "unavailable");
		}
		def_app_free(def);
		reg_db_release(db);
		diags_free(&d);
		return 0;
	}
	diags_free(&d);
	pthread_mutex_lock(&g->lock);
	entry *e = reg_ensure(g, id);
	snprintf(e->local_hash, sizeof e->local_hash, "%s", hash);
	snprintf(e->published, sizeof e->published, "%s", hash);
	e->release = rid;
	pthread_mutex_unlock(&g->lock);
	reg_serve(g, id, def, db, fresh); /* audited by the engine whose row it is */
	return 1;
}

/* Step 1 for one folder: publish it when it changed since this engine last saw it. */
static int publish_folder(registry *g, const char *id)
{
	char dir[4096], why[APPSRC_ERR];
	snprintf(dir, sizeof dir, "%s/%s", g->o.apps_dir, id);
	appsrc *src = appsrc_read(dir, why);
	if (!src) {
		/* A copy in progress: shown here, nothing published, the cluster goes on. */
		pthread_mutex_lock(&g->lock);
		bool had = reg_ensure(g, id)->cur != NULL;
		pthread_mutex_unlock(&g->lock);
		if (reg_set_problem(g, id, why) && !g->o.quiet)
			log_message("apps", "%s: %s%s", id, why,
				    had ? "; the version loaded keeps serving" : "");
		return 0;
	}
	pthread_mutex_lock(&g->lock);
	entry *e = reg_find(g, id);
	bool same = e && strcmp(e->local_hash, src->hash) == 0;
	pthread_mutex_unlock(&g->lock);
	bool known = false;
	if (!same && !g->scanned &&
	    store_release_known(g->o.backend, id, src->hash, &known) == STORE_OK && known) {
		/* Published before this start: the cluster's newest release decides. */
		pthread_mutex_lock(&g->lock);
		e = reg_ensure(g, id);
		snprintf(e->local_hash, sizeof e->local_hash, "%s", src->hash);
		snprintf(e->published, sizeof e->published, "%s", src->hash);
		pthread_mutex_unlock(&g->lock);
		same = true;
	}
	if (same) {
		appsrc_free(src);
		return 0;
	}
	return publish(g, id, src);
}

/*
 * Step 1 for folders gone since the last scan: an app whose served version is the one
 * this engine's folder published (or held at start) is withdrawn everywhere, even if
 * the folder then held a broken edit; a folder the cluster moved on from (another
 * engine published since) leaves nothing to withdraw.
 */
static void withdraw_gone(registry *g, char **dirs, size_t n)
{
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->n; i++) {
		entry *e = &g->v[i];
		bool present = false;
		for (size_t k = 0; k < n && !present; k++)
			present = strcmp(e->id, dirs[k]) == 0;
		if (present || !e->local_hash[0])
			continue;
		if (!e->cur || strcmp(e->cur->def->hash, e->published) != 0) {
			e->local_hash[0] = e->published[0] = '\0';
			continue;
		}
		char id[64];
		snprintf(id, sizeof id, "%s", e->id);
		pthread_mutex_unlock(&g->lock);
		int64_t rid = 0;
		bool fresh = false;
		int rc =
		    store_release_publish(g->o.backend, id, "", NULL, g->instance, &rid, &fresh);
		pthread_mutex_lock(&g->lock);
		if (rc != STORE_OK || !(e = reg_find(g, id)))
			continue; /* tried again at the next scan */
		e->local_hash[0] = e->published[0] = '\0';
		if (fresh)
			reg_tell(g, "app.unload", id, NULL);
	}
	pthread_mutex_unlock(&g->lock);
}

/* Step 2 for one app: its release r, loaded from the database's copy of its sources. */
static int load_release(registry *g, const store_release *r)
{
	char dir[4096], why[APPSRC_ERR] = "";
	snprintf(dir, sizeof dir, "%s/%s", g->o.apps_dir, r->app);
	char *packed = NULL;
	if (store_release_files(g->o.backend, r->id, &packed) != STORE_OK)
		return 0; /* the database: tried again at the next scan */
	appsrc *src = appsrc_unpack(packed, why);
	free(packed);
	diags d = {0};
	if (src && strcmp(src->hash, r->hash) != 0) {
		snprintf(why, sizeof why,
			 "version enregistrée altérée (empreinte %.12s au lieu de %.12s)",
			 src->hash, r->hash);
		appsrc_free(src);
		src = NULL;
	}
	def_app *def = src ? loader_load_src(dir, src, g->o.stdlib_dir, NULL, &d) : NULL;
	if (!src)
		diags_add(&d, dir, 0, "", "%s", why);
	bool retry = false;
	app_db *db = def ? reg_take_db(g, r->app, dir, &d, &retry) : NULL;
	char err[STORE_ERR_LEN] = "";
	int rc = db ? store_migrate(db->s, def, util_now(), err) : STORE_ERROR;
	pthread_mutex_lock(&g->lock);
	entry *e = reg_ensure(g, r->app);
	bool had = e->cur != NULL;
	/* Given up on unless the database failed (then tried again at the next scan). */
	if (rc == STORE_OK || !retry)
		e->release = r->id;
	pthread_mutex_unlock(&g->lock);
	if (rc != STORE_OK) {
		if (err[0])
			diags_add(&d, dir, 0, "", "%s", err);
		def_app_free(def);
		reg_db_release(db);
		reg_refuse(g, r->app, &d, had, retry);
		diags_free(&d);
		return 0;
	}
	diags_free(&d);
	reg_serve(g, r->app, def, db, false);
	return 1;
}

/* Step 2: every app in the version of its newest release. */
static int serve_releases(registry *g)
{
	store_release *v = NULL;
	size_t n = 0;
	if (store_releases_current(g->o.backend, &v, &n) != STORE_OK) {
		if (!g->db_down && !g->o.quiet)
			log_message("apps",
				    "cannot read the releases; the apps loaded keep serving");
		g->db_down = true;
		return 0;
	}
	g->db_down = false;
	int changes = 0;
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&g->lock);
		entry *e = reg_ensure(g, v[i].app);
		bool seen = e->release == v[i].id;
		bool same = e->cur && !v[i].withdrawn && strcmp(e->cur->def->hash, v[i].hash) == 0;
		if (!seen && (same || (v[i].withdrawn && !e->cur)))
			e->release = v[i].id;
		if (!seen && v[i].withdrawn && e->cur) {
			reg_unload(g, (size_t)(e - g->v), false);
			changes++;
		}
		pthread_mutex_unlock(&g->lock);
		if (!seen && !same && !v[i].withdrawn)
			changes += load_release(g, &v[i]);
	}
	store_releases_free(v, n);
	return changes;
}

int reg_cluster_scan(registry *g)
{
	char **dirs = NULL;
	ssize_t listed = g->o.no_publish ? 0 : reg_list_dirs(g->o.apps_dir, &dirs);
	int changes = 0;
	if (listed >= 0) {
		for (ssize_t i = 0; i < listed; i++)
			changes += publish_folder(g, dirs[i]);
		withdraw_gone(g, dirs, (size_t)listed); /* the unload is counted when served */
	} else if (!g->o.no_publish) {
		/* Not a reason to withdraw anything: said once, the cluster's versions go on. */
		char why[512];
		snprintf(why, sizeof why, "%s", strerror(errno));
		bool same = strcmp(g->dir_problem, why) == 0;
		snprintf(g->dir_problem, sizeof g->dir_problem, "%s", why);
		if (!same && !g->o.quiet)
			log_message("apps", "cannot read %s: %s; the apps loaded keep serving",
				    g->o.apps_dir, why);
	}
	if (listed >= 0)
		g->dir_problem[0] = '\0';
	for (ssize_t i = 0; i < listed; i++)
		free(dirs[i]);
	free(dirs);
	changes += serve_releases(g);
	/* What the folders held at start is known once the releases could be read. */
	if (!g->db_down)
		g->scanned = true;
	return changes;
}
