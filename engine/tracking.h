/*
 * tracking — public tracking links `/suivi/<token>` for anonymous submissions (SPEC 5).
 *
 * A token is HMAC-SHA256(app secret, "<form>/<id>") cut to 160 bits, in hex: it can
 * be recomputed for a mail sent months later, yet nothing stored lets anyone derive
 * it: the secret lives in the app database's _meta, and _tracking keeps only the
 * SHA-256 of each token (the look-up key). Guessing is hopeless (2^160), and a
 * leaked database copy does not reveal live links.
 *
 * Thread-safety: every function may be called from any thread (tracking_tx_register
 * inside a store apply callback only).
 */
#ifndef SMALLAPPS_TRACKING_H
#define SMALLAPPS_TRACKING_H

#include <stdbool.h>
#include <stdint.h>

#include "def.h"
#include "registry.h"
#include "store.h"

#define TRACKING_TOKEN_LEN 41     /* 40 hex chars + NUL */

/* The token of record id of form f (the app's secret from s). 0, or -1 on a read failure. */
int tracking_token(store *s, const def_form *f, int64_t id, char out[TRACKING_TOKEN_LEN]);
/* Records the token's hash, inside the transaction that inserts the record. */
int tracking_tx_register(store_tx *tx, const def_form *f, int64_t id);
/* Whether a form hands out tracking links: its create access includes `public`. */
bool tracking_enabled(const def_form *f);

/*
 * Finds the record behind a token among the apps served. On success the app is
 * returned with a reference (registry_release it) and form and id are set; NULL when
 * the token is malformed or unknown.
 */
app_rt *tracking_find(registry *g, const char *token, const def_form **form, int64_t *id);

#endif
