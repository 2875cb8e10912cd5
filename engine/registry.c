/*
 * registry — loaded apps and live reload (see registry.h).
 *
 * Invariants: `entries` is protected by g->lock; app_rt and app_db reference
 * counts are atomics, and the last release frees (a definition) or closes (a
 * store). A scan never holds the lock while loading or migrating: it loads the new
 * version first, then swaps pointers under the lock.
 */
#include "registry.h"

#include <sodium.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appsrc.h"
#include "loader.h"
#include "log.h"
#include "registry_int.h"
#include "tracking.h"
#include "util.h"

void reg_db_release(app_db *d)
{
	if (d && atomic_fetch_sub(&d->refs, 1) == 1) {
		store_close(d->s);
		free(d);
	}
}

void registry_release(app_rt *rt)
{
	if (rt && atomic_fetch_sub(&rt->refs, 1) == 1) {
		def_app_free(rt->def);
		reg_db_release(rt->dbref);
		free(rt);
	}
}

static app_rt *acquire(app_rt *rt)
{
	if (rt)
		atomic_fetch_add(&rt->refs, 1);
	return rt;
}

app_rt *registry_retain(app_rt *rt)
{
	return acquire(rt);
}

registry *registry_open(const registry_opts *o)
{
	registry *g = xcalloc(1, sizeof *g);
	g->o.apps_dir = xstrdup(o->apps_dir);
	g->o.data_dir = xstrdup(o->data_dir);
	g->o.stdlib_dir = xstrdup(o->stdlib_dir);
	g->o.quiet = o->quiet;
	g->o.no_publish = o->no_publish;
	g->o.on_event = o->on_event;
	g->o.on_event_arg = o->on_event_arg;
	pthread_mutex_init(&g->lock, NULL);
	atomic_init(&g->next_gen, 1);
	atomic_init(&g->stop, false);
	g->o.backend = o->backend;
	g->cluster = store_backend_shared(o->backend);
	if (g->cluster) {
		char host[64] = "?";
		gethostname(host, sizeof host - 1);
		snprintf(g->instance, sizeof g->instance, "%s:%ld", host, (long)getpid());
		g->listen = store_listen(o->backend, "smallapps_release");
	}
	char err[STORE_ERR_LEN];
	g->has_key = store_secret(o->backend, "tracking", g->tracking_key, TRACKING_KEY_LEN, err) ==
		     STORE_OK;
	if (!g->has_key && !o->quiet)
		log_message("apps", "public tracking links are off: %s", err);
	return g;
}

void registry_close(registry *g)
{
	if (!g)
		return;
	if (g->watching) {
		atomic_store(&g->stop, true);
		pthread_join(g->watcher, NULL);
	}
	store_listen_close(g->listen);
	for (size_t i = 0; i < g->n; i++) {
		registry_release(g->v[i].cur);
		reg_db_release(g->v[i].db);
		free(g->v[i].id);
		free(g->v[i].problem);
	}
	free(g->v);
	pthread_mutex_destroy(&g->lock);
	free((char *)g->o.apps_dir);
	free((char *)g->o.data_dir);
	free((char *)g->o.stdlib_dir);
	sodium_memzero(g->tracking_key, sizeof g->tracking_key);
	free(g);
}

entry *reg_find(registry *g, const char *id)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->v[i].id, id) == 0)
			return &g->v[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The app folders present now, sorted. Caller frees. */
/* The app folders, sorted; -1 (errno set) when apps_dir cannot be read. */
ssize_t reg_list_dirs(const char *apps_dir, char ***out)
{
	*out = NULL;
	DIR *d = opendir(apps_dir);
	if (!d)
		return -1;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_name[0] == '_')
			continue;
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", apps_dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		(*out)[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(*out, n, sizeof **out, cmp_str);
	return (ssize_t)n;
}

/* Records the problem of app id; false when it was already the one recorded. */
bool reg_set_problem(registry *g, const char *id, const char *text)
{
	pthread_mutex_lock(&g->lock);
	entry *e = reg_find(g, id);
	bool changed = false;
	if (e && !(e->problem && text && strcmp(e->problem, text) == 0)) {
		free(e->problem);
		e->problem = text ? xstrdup(text) : NULL;
		changed = true;
	}
	pthread_mutex_unlock(&g->lock);
	return changed;
}

entry *reg_ensure(registry *g, const char *id)
{
	entry *e = reg_find(g, id);
	if (e)
		return e;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 8;
		g->v = xrealloc(g->v, g->cap * sizeof *g->v);
	}
	e = &g->v[g->n++];
	memset(e, 0, sizeof *e);
	e->id = xstrdup(id);
	return e;
}

void reg_tell(registry *g, const char *action, const char *app, const char *detail)
{
	if (g->o.on_event)
		g->o.on_event(g->o.on_event_arg, action, app, detail);
}

/* The app's database, opened on first use and kept by its entry; a reference for us. */
app_db *reg_take_db(registry *g, const char *id, const char *dir, diags *d, bool *retry)
{
	pthread_mutex_lock(&g->lock);
	app_db *db = reg_find(g, id)->db;
	if (db)
		atomic_fetch_add(&db->refs, 1);
	pthread_mutex_unlock(&g->lock);
	if (db)
		return db;
	char err[STORE_ERR_LEN] = "";
	store *s = store_open(g->o.backend, id, err);
	if (!s) {
		diags_add(d, dir, 0, "", "base de données : %s", err);
		*retry = true;
		return NULL;
	}
	db = xcalloc(1, sizeof *db);
	db->s = s;
	atomic_init(&db->refs, 2); /* the entry's and ours */
	pthread_mutex_lock(&g->lock);
	reg_find(g, id)->db = db;
	pthread_mutex_unlock(&g->lock);
	return db;
}

/*
 * A version that is not served: its problem kept for /admin, logged and audited once.
 * A database that cannot be opened or migrated may be repaired, restored or freed
 * (files, disk) without the definition changing: with `retry` it is tried again at
 * each scan, said only when the problem changes.
 */
void reg_refuse(registry *g, const char *id, const diags *d, bool had, bool retry)
{
	pthread_mutex_lock(&g->lock);
	if (retry)
		reg_find(g, id)->seen_hash[0] = '\0';
	pthread_mutex_unlock(&g->lock);
	buf b = BUF_INIT;
	char line[2048];
	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->v[i], line, sizeof line);
		buf_puts(&b, line);
		buf_putc(&b, '\n');
	}
	if (reg_set_problem(g, id, buf_cstr(&b))) {
		for (size_t i = 0; i < d->n && !g->o.quiet; i++) {
			diag_format(&d->v[i], line, sizeof line);
			log_message("apps", "%s", line);
		}
		if (!g->o.quiet)
			log_message("apps", "%s: not loaded%s", id,
				    had ? "; the previous version keeps serving" : "");
		char first[512] = "";
		if (d->n)
			diag_format(&d->v[0], first, sizeof first);
		reg_tell(g, "app.refused", id, first);
	}
	buf_free(&b);
}

/* Swaps in a sound version; the old one goes when its last request does. */
void reg_serve(registry *g, const char *id, def_app *def, app_db *db, bool announce)
{
	app_rt *rt = xcalloc(1, sizeof *rt);
	rt->def = def;
	rt->db = db->s;
	rt->dbref = db; /* takes our reference */
	rt->gen = atomic_fetch_add(&g->next_gen, 1);
	rt->stdlib_dir = g->o.stdlib_dir;
	rt->tracking_key = g->has_key ? g->tracking_key : NULL;
	atomic_init(&rt->refs, 1);
	pthread_mutex_lock(&g->lock);
	entry *e = reg_find(g, id);
	app_rt *old = e->cur;
	e->cur = rt;
	free(e->problem);
	e->problem = NULL;
	pthread_mutex_unlock(&g->lock);
	registry_release(old);
	char detail[128];
	snprintf(detail, sizeof detail, "version %s, %.12s", def->version ? def->version : "-",
		 def->hash);
	if (!g->o.quiet)
		log_message("apps", "%s: %s (%s)", id, old ? "reloaded" : "loaded", detail);
	if (announce)
		reg_tell(g, old ? "app.reload" : "app.load", id, detail);
}

/* Loads one app folder whose content changed; swaps it in when it is sound. */
static int load_one(registry *g, const char *id, const char *hash)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%s", g->o.apps_dir, id);
	diags d = {0};
	def_app *def = NULL;
	if (!loader_valid_app_id(id))
		diags_add(&d, dir, 0, "",
			  "nom de dossier invalide : un identifiant d'application "
			  "s'écrit [a-z][a-z0-9-]{0,39}");
	else
		def = loader_load(dir, g->o.stdlib_dir, NULL, &d);
	pthread_mutex_lock(&g->lock);
	entry *e = reg_ensure(g, id);
	/* A definition that fails fails again: wait for the files to change. */
	snprintf(e->seen_hash, sizeof e->seen_hash, "%s", hash);
	bool had = e->cur != NULL;
	pthread_mutex_unlock(&g->lock);
	bool retry = false;
	app_db *db = def ? reg_take_db(g, id, dir, &d, &retry) : NULL;
	char err[STORE_ERR_LEN] = "";
	if (db && store_migrate(db->s, def, util_now(), err) != STORE_OK) {
		diags_add(&d, dir, 0, "", "%s", err);
		retry = true;
	}
	if (!db || retry) {
		def_app_free(def);
		reg_refuse(g, id, &d, had, retry);
		diags_free(&d);
		reg_db_release(db);
		return 0;
	}
	diags_free(&d);
	reg_serve(g, id, def, db, true);
	return 1;
}

void reg_unload(registry *g, size_t i, bool announce)
{
	entry e = g->v[i];
	g->v[i] = g->v[--g->n];
	pthread_mutex_unlock(&g->lock);
	if (!g->o.quiet)
		log_message("apps", "%s: unloaded (%s)", e.id,
			    g->cluster ? "withdrawn" : "folder removed");
	if (e.cur && announce)
		reg_tell(g, "app.unload", e.id, NULL);
	registry_release(e.cur);
	reg_db_release(e.db);
	free(e.id);
	free(e.problem);
	pthread_mutex_lock(&g->lock);
}

int registry_scan(registry *g)
{
	if (g->cluster)
		return reg_cluster_scan(g);
	char **dirs;
	ssize_t listed = reg_list_dirs(g->o.apps_dir, &dirs);
	if (listed < 0) {
		/* Out of file descriptors, a network mount gone: not a reason to unload all. */
		char why[512];
		snprintf(why, sizeof why, "%s", strerror(errno));
		pthread_mutex_lock(&g->lock);
		bool same = strcmp(g->dir_problem, why) == 0;
		snprintf(g->dir_problem, sizeof g->dir_problem, "%s", why);
		pthread_mutex_unlock(&g->lock);
		if (!same && !g->o.quiet)
			log_message("apps", "cannot read %s: %s; the apps loaded keep serving",
				    g->o.apps_dir, why);
		return 0;
	}
	size_t n = (size_t)listed;
	pthread_mutex_lock(&g->lock);
	g->dir_problem[0] = '\0';
	pthread_mutex_unlock(&g->lock);
	int changes = 0;
	for (size_t i = 0; i < n; i++) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s", g->o.apps_dir, dirs[i]);
		char why[APPSRC_ERR];
		appsrc *src = appsrc_read(dir, why);
		if (!src) {
			/*
			 * No app.lua yet (a copy in progress), or not a file, or unreadable: shown
			 * on /admin and logged once; a version already loaded goes on serving.
			 */
			pthread_mutex_lock(&g->lock);
			entry *e = reg_ensure(g, dirs[i]);
			e->seen_hash[0] = '\0';
			bool had = e->cur != NULL;
			pthread_mutex_unlock(&g->lock);
			if (reg_set_problem(g, dirs[i], why) && !g->o.quiet)
				log_message("apps", "%s: %s%s", dirs[i], why,
					    had ? "; the version loaded keeps serving" : "");
			continue;
		}
		char hash[65];
		memcpy(hash, src->hash, sizeof hash);
		appsrc_free(src);
		pthread_mutex_lock(&g->lock);
		entry *e = reg_find(g, dirs[i]);
		bool same = e && strcmp(e->seen_hash, hash) == 0;
		pthread_mutex_unlock(&g->lock);
		if (!same)
			changes += load_one(g, dirs[i], hash);
	}
	/* Unload apps whose folder went away. */
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->n;) {
		bool present = false;
		for (size_t k = 0; k < n; k++)
			if (strcmp(g->v[i].id, dirs[k]) == 0)
				present = true;
		if (present) {
			i++;
			continue;
		}
		reg_unload(g, i, true);
		changes++;
	}
	pthread_mutex_unlock(&g->lock);
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	return changes;
}

/* Every second, and at once when another engine publishes a release. */
static void *watch_main(void *arg)
{
	registry *g = arg;
	while (!atomic_load(&g->stop)) {
		int told = 0;
		for (int i = 0; i < 10 && !told && !atomic_load(&g->stop); i++) {
			if (g->listen)
				told = store_listen_wait(g->listen, 100);
			else
				usleep(100 * 1000);
		}
		if (!atomic_load(&g->stop))
			registry_scan(g);
	}
	return NULL;
}

int registry_watch(registry *g)
{
	if (pthread_create(&g->watcher, NULL, watch_main, g) != 0)
		return -1;
	g->watching = true;
	return 0;
}

app_rt *registry_get(registry *g, const char *id)
{
	pthread_mutex_lock(&g->lock);
	entry *e = reg_find(g, id);
	app_rt *rt = e ? acquire(e->cur) : NULL;
	pthread_mutex_unlock(&g->lock);
	return rt;
}

static int cmp_rt(const void *a, const void *b)
{
	return strcmp((*(app_rt *const *)a)->def->id, (*(app_rt *const *)b)->def->id);
}

size_t registry_list(registry *g, app_rt ***out)
{
	pthread_mutex_lock(&g->lock);
	*out = xcalloc(g->n ? g->n : 1, sizeof **out);
	size_t k = 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].cur)
			(*out)[k++] = acquire(g->v[i].cur);
	pthread_mutex_unlock(&g->lock);
	if (k)
		qsort(*out, k, sizeof **out, cmp_rt);
	return k;
}

size_t registry_problems(registry *g, registry_problem **out)
{
	pthread_mutex_lock(&g->lock);
	*out = xcalloc(g->n ? g->n : 1, sizeof **out);
	size_t k = 0;
	for (size_t i = 0; i < g->n; i++) {
		if (!g->v[i].problem)
			continue;
		(*out)[k].app = xstrdup(g->v[i].id);
		(*out)[k].text = xstrdup(g->v[i].problem);
		(*out)[k].serving_previous = g->v[i].cur != NULL;
		k++;
	}
	pthread_mutex_unlock(&g->lock);
	return k;
}

void registry_problems_free(registry_problem *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].app);
		free(p[i].text);
	}
	free(p);
}
