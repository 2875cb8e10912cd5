/*
 * registry_int — what registry.c and registry_cluster.c share (see registry.h).
 */
#ifndef SMALLAPPS_REGISTRY_INT_H
#define SMALLAPPS_REGISTRY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "diag.h"
#include "registry.h"
#include "tracking.h"

struct app_db {
	store *s;
	atomic_int refs;
};

typedef struct entry {
	char *id;
	app_rt *cur; /* may be NULL when the app never loaded */
	app_db *db;
	char seen_hash[65]; /* last hash attempted, loaded or not */
	char *problem;	    /* formatted diagnostics of the last failed attempt */
	bool present;	    /* scan bookkeeping */
	/* PostgreSQL (a cluster of engines): */
	int64_t release;     /* the release served, or given up on (0: none yet) */
	char local_hash[65]; /* this engine's folder, as last published or refused from here */
	char published[65];  /* what this engine's folder last published (or held, known) */
} entry;

struct registry {
	registry_opts o;
	pthread_mutex_t lock;
	entry *v;
	size_t n, cap;
	atomic_uint_fast64_t next_gen;
	pthread_t watcher;
	bool watching;
	atomic_bool stop;
	unsigned char tracking_key[TRACKING_KEY_LEN];
	bool has_key;
	char dir_problem[512]; /* why apps_dir could not be read at the last scan, or "" */
	/* PostgreSQL (a cluster of engines): */
	bool cluster;		/* the backend is shared: releases are the truth */
	bool scanned;		/* a first scan is done (what is in the folders then was known) */
	store_listener *listen; /* wakes the watcher when an engine publishes */
	char instance[128];	/* host:pid, who published */
	bool db_down;		/* the last scan could not read the releases (said once) */
};

void reg_db_release(app_db *d);
entry *reg_find(registry *g, const char *id);
/* The entry of id, made when missing; with g->lock held. */
entry *reg_ensure(registry *g, const char *id);
/* The app folders, sorted; -1 (errno set) when apps_dir cannot be read. Caller frees. */
ssize_t reg_list_dirs(const char *apps_dir, char ***out);
/* Records the problem of app id; false when it was already the one recorded. */
bool reg_set_problem(registry *g, const char *id, const char *text);
/* Tells the audit (registry_opts.on_event). */
void reg_tell(registry *g, const char *action, const char *app, const char *detail);
/* The app's database, opened on first use and kept by its entry; a reference for us. */
app_db *reg_take_db(registry *g, const char *id, const char *dir, diags *d, bool *retry);
/* A version that is not served: its problem kept for /admin, logged and audited once. */
void reg_refuse(registry *g, const char *id, const diags *d, bool had, bool retry);
/* Swaps in a sound version (announce: audited as app.load/app.reload). Takes def and db. */
void reg_serve(registry *g, const char *id, def_app *def, app_db *db, bool announce);
/* Unloads entry i (its folder, or its release, is gone); g->lock held, released and taken again. */
void reg_unload(registry *g, size_t i, bool announce);

/* PostgreSQL: publish what this engine's folders hold, serve what the cluster publishes. */
int reg_cluster_scan(registry *g);

#endif
