/*
 * fixture — the essai app (tests/apps/essai) served from a temporary copy for the
 * targets that run the write pipeline (urlencoded, json_record), and the checks a
 * record must pass once the pipeline accepted it, whichever door it came through.
 *
 * The app is loaded through a registry, as the server loads it, so pipeline_create
 * gets a real app_rt (hooks run in this thread's Lua state, ctx.count reads its
 * store). Set up once, kept until the process exits. Not thread-safe.
 */
#ifndef SMALLAPPS_FUZZ_FIXTURE_H
#define SMALLAPPS_FUZZ_FIXTURE_H

#include "access.h"
#include "pipeline.h"
#include "registry.h"

/* The essai app (loaded on first use; borrowed for the process's life). */
app_rt *fixture_essai(void);
/* A form of essai; aborts when it is missing (the fixture changed). */
const def_form *fixture_form(const char *id);

/* The people the targets write as: a demandeur (may create demande), and an admin. */
const actor *fixture_demandeur(void);
const actor *fixture_admin(void);

/*
 * A write context for form f by who, in French, at the fixed clock. door is "json"
 * or "html": which door resubmissions go through (fixture_check_accepted).
 */
pipe_ctx fixture_ctx(const def_form *f, const actor *who);

/*
 * What holds for every record the pipeline accepted (PIPE_OK):
 *   - each value has the stored kind of its field type, text is UTF-8 without controls
 *     the field forbids, hidden fields (visible_if) are NULL, required visible fields
 *     that a person fills are set;
 *   - each value, in its API form (validate_to_json), parses back to itself and passes
 *     the field's checks again unchanged (normalisation is idempotent);
 *   - the record sent back through the same door as the person would send it (the
 *     JSON API's values, or the edit form's inputs as a browser submits them) is
 *     accepted, with the same values.
 * `door_html` picks the door of the resubmission.
 */
void fixture_check_accepted(const pipe_ctx *c, const record *r, bool door_html);

/* What holds for a refusal (PIPE_INVALID): at least one error, each a non-empty UTF-8 message. */
void fixture_check_refused(const field_errors *e);

#endif
