/*
 * pipeline — the write pipeline of SPEC 4.7, one implementation for every door.
 *
 * HTML forms (urlencoded pairs) and the JSON API (an object of fields) both come
 * here: parse by field type -> refuse fields the caller may not write -> defaults
 * (create) -> visible_if (hidden fields become NULL) -> compute -> field checks and
 * required/required_if -> validate -> on_create. The result is a record ready to
 * write; the use-case layer (usecase.h) writes it with its history line.
 *
 * App functions run in the calling thread's Lua state for the app version
 * (sandbox_for): on the sandbox pool's threads while serving.
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
#include "upload.h"
#include "validate.h"
#include "validate_repeat.h"

/* PIPE_WARN: the form's warn hook has warnings (in errs) and the input did not confirm. */
enum { PIPE_OK = 0, PIPE_INVALID = 1, PIPE_WARN = 2, PIPE_ERROR = -1 };

/* One name=value pair of an HTML form (several for checkboxes). */
typedef struct pipe_pair {
	const char *name;
	const char *value;
} pipe_pair;

typedef struct write_in {
	const pipe_pair *pairs; /* HTML door: every writable field counts as submitted */
	size_t npairs;
	const json_t *json; /* API door: an object; only its keys are submitted */
	/*
	 * Files received for file fields (both doors), by field name. A file field takes
	 * its upload; without one it keeps the record's file, unless the HTML pair
	 * "<field>__clear" asks to remove it or JSON says null. A JSON file value is
	 * { "name", "data" (base64) }, decoded by the door into an upload; an object
	 * naming the record's current content (its sha256) keeps it. Nothing else names
	 * a content: a client cannot point at a file it did not send.
	 */
	const upload_list *files;
	bool confirm;	       /* the person saw the warn hook's warnings and goes on */
	bool keep_blank_lines; /* HTML: a repeat's blank lines stay (the form comes back) */
} write_in;

/* A file field's value from in (see write_in); -1 with msg when refused. */
int pipeline_parse_file(const write_in *in, const def_field *fd, const value *old, value *out,
			lang lg, char *msg);

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

/* A reference's value as a transition's check needs it (SPEC 4.3): words typed become
 * the one readable record they name, and the id must name a record c's person may read.
 * False with the field's error in errs. */
bool pipeline_reference(const pipe_ctx *c, const def_field *fd, value *v, field_errors *errs);

/* visible_if of fd holds on r (no condition: visible). */
/* The message of a field error: the field's own for rule r (SPEC 4.3 `messages`), or the
 * engine's. */
const char *pipeline_field_msg(const def_field *fd, validate_rule r, lang lg,
			       const char *engine_msg);
bool pipeline_field_visible(const def_form *f, const record *r, const def_field *fd);

/* Builds a new record (system fields set). PIPE_INVALID fills errs; PIPE_ERROR fills err (log it,
 * answer 500). */
int pipeline_create(const pipe_ctx *c, const write_in *in, record *out, field_errors *errs,
		    char err[SANDBOX_ERR]);
/* Applies an edit to a copy of `old`. */
int pipeline_update(const pipe_ctx *c, const record *old, const write_in *in, record *out,
		    field_errors *errs, char err[SANDBOX_ERR]);

/*
 * The input as a new record, parsed by field type and nothing more (no defaults, no
 * checks, no app code): to show a refused submission again with what was typed.
 */
void pipeline_echo(const pipe_ctx *c, const write_in *in, record *out);
/* The same over the record being edited: what the person may not write stays old's. */
void pipeline_echo_edit(const pipe_ctx *c, const write_in *in, const record *old, record *out);

/*
 * History "changes" between two records, {"field": [old, new]} in API value form, for
 * every column whose value differs (private ones too: readers filter them). old NULL:
 * a creation (old values null); nw NULL: a deletion. New reference.
 */
json_t *pipeline_changes(const def_form *f, const record *old, const record *nw);

#endif
