/*
 * pipeline — the write pipeline of SPEC 4.7, one implementation for every door.
 *
 * HTML forms (urlencoded pairs) and the JSON API (an object of fields) both come
 * here: parse by field type -> refuse fields the caller may not write -> defaults
 * (create) -> visible_if (hidden fields become NULL) -> compute -> field checks and
 * required/required_if -> validate -> on_create. The result is a record ready to
 * write; the pipeline_apply_* functions then write it with its history line inside
 * the store's group transaction.
 *
 * App functions run in a Lua state private to the calling thread (one per app
 * version, cached thread-locally and closed when the thread exits).
 */
#ifndef SMALLAPPS_PIPELINE_H
#define SMALLAPPS_PIPELINE_H

#include <jansson.h>
#include <time.h>

#include "access.h"
#include "record.h"
#include "registry.h"
#include "sandbox.h"
#include "store.h"
#include "validate.h"

enum { PIPE_OK = 0, PIPE_INVALID = 1, PIPE_ERROR = -1 };

/* One name=value pair of an HTML form (several for checkboxes). */
typedef struct pipe_pair {
	const char *name;
	const char *value;
} pipe_pair;

typedef struct write_in {
	const pipe_pair *pairs;   /* HTML door: every writable field counts as submitted */
	size_t npairs;
	const json_t *json;       /* API door: an object; only its keys are submitted */
} write_in;

typedef struct pipe_ctx {
	app_rt *app;
	const def_form *form;
	const actor *who;
	lang lg;
	time_t now;
} pipe_ctx;

/*
 * What hooks get as ctx for a call made on behalf of c (ctx.count, ctx.log, ctx.user).
 * env.count_arg/log_arg point into the struct: keep it where it is while in use.
 * Callers may add env.notify before calling a hook.
 */
typedef struct pipe_env {
	hook_env env;
	hook_user user;
	app_rt *app;
	time_t now;
} pipe_env;
void pipeline_env(const pipe_ctx *c, pipe_env *pe);

/* visible_if of fd holds on r (no condition: visible). */
bool pipeline_field_visible(const def_form *f, const record *r, const def_field *fd);

/* Builds a new record (system fields set). PIPE_INVALID fills errs; PIPE_ERROR fills err (log it, answer 500). */
int pipeline_create(const pipe_ctx *c, const write_in *in, record *out, field_errors *errs,
                    char err[SANDBOX_ERR]);
/* Applies an edit to a copy of `old`. */
int pipeline_update(const pipe_ctx *c, const record *old, const write_in *in, record *out,
                    field_errors *errs, char err[SANDBOX_ERR]);

/* History "changes" between two records (old NULL on create), all columns; new reference. */
json_t *pipeline_changes(const def_form *f, const record *old, const record *nw);

/* A write for the store's writer thread. Lives until the request ends. */
typedef struct pipe_job {
	const app_rt *app;        /* insert, delete: for the tracking link of anonymous submissions */
	const def_form *form;
	record rec;               /* insert/update: the new record; owned by the job */
	int64_t expect_version;   /* update */
	int64_t id;               /* delete */
	const char *actor;
	const char *at;
	json_t *changes;          /* owned */
} pipe_job;

int pipeline_apply_insert(store_tx *tx, void *job);
int pipeline_apply_update(store_tx *tx, void *job);
int pipeline_apply_delete(store_tx *tx, void *job);
void pipe_job_free(pipe_job *j);

/* The calling thread's Lua state for this app version (NULL + err on failure). */
sandbox *pipeline_sandbox(app_rt *rt, char err[SANDBOX_ERR]);
/* Closes the calling thread's Lua states (worker threads do it on exit by themselves). */
void pipeline_thread_cleanup(void);

#endif
