/*
 * json_record — fuzz target: a JSON record body through the API's validation.
 *
 * The body is read as api.c reads a create: UTF-8 first (util_utf8_valid, held
 * against the independent checker of fuzz.h), then jansson with
 * JSON_REJECT_DUPLICATES, then {"fields": {...}} or the bare object of fields. The
 * object goes to pipeline_create for essai's "demande" form, by a demandeur and by an
 * admin (parse by type, writable fields, defaults, visible_if, compute, checks,
 * validate, on_create: the app's hooks run in this thread's Lua state).
 *
 * What must hold, whatever the bytes:
 *   - util_utf8_valid and the independent checker agree;
 *   - the pipeline accepts or refuses with messages, never fails (PIPE_ERROR would be
 *     a 500: nothing in essai's demande fails by design);
 *   - an accepted record passes fixture_check_accepted: stored kinds, the API form of
 *     each value reads back to itself and passes its checks again, and the record
 *     sent back as JSON is accepted unchanged;
 *   - pipeline_echo (the refused form shown again) takes any object.
 */
#include <jansson.h>
#include <string.h>

#include "fixture.h"
#include "fuzz.h"
#include "sandbox.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine_init();
	fixture_essai();
	return 0;
}

static void create_as(const json_t *fields, const actor *who)
{
	pipe_ctx c = fixture_ctx(fixture_form("demande"), who);
	write_in in = {.json = fields};
	record r;
	field_errors errs = {0};
	char err[SANDBOX_ERR] = "";
	int rc = pipeline_create(&c, &in, &r, &errs, err);
	FUZZ_CHECK(rc == PIPE_OK || rc == PIPE_INVALID, "pipeline error on a JSON body: %s", err);
	if (rc == PIPE_OK)
		fixture_check_accepted(&c, &r, false);
	else
		fixture_check_refused(&errs);
	record_clear(&r);
	field_errors_clear(&errs);
	pipeline_echo(&c, &in, &r);
	record_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	const char *s = (const char *)data;
	bool utf8 = util_utf8_valid(s, size);
	FUZZ_CHECK(utf8 == fuzz_utf8_valid(s, size), "util_utf8_valid says %s, RFC 3629 says not",
		   utf8 ? "valid" : "invalid");
	if (!utf8)
		return 0; /* the API answers 400 */
	json_error_t je;
	json_t *j = json_loadb(s, size, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return 0; /* 400, with jansson's message */
	/* read_body: {"fields": {...}} alone, or the bare object of fields. */
	json_t *fields = json_is_object(j) ? json_object_get(j, "fields") : NULL;
	const json_t *body = NULL;
	if (fields && json_is_object(fields) && json_object_size(j) == 1)
		body = fields;
	else if (json_is_object(j) && !fields)
		body = j;
	if (body) {
		create_as(body, fixture_demandeur());
		create_as(body, fixture_admin());
	}
	json_decref(j);
	/*
	 * The hooks' Lua state is cached per thread and garbage-collected later: with it
	 * alive, nearly every input ends with more allocations than frees, and libFuzzer
	 * then runs a full leak scan each time (nine tenths of the time). Closed here, an
	 * input's own leaks still show.
	 */
	sandbox_thread_cleanup();
	return 0;
}
