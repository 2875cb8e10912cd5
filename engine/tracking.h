/*
 * tracking — public tracking links `/suivi/<token>` for anonymous submissions (SPEC 5).
 *
 * A token is HMAC-SHA256(secret, "<app>/<form>/<id>") cut to 160 bits, in hex: it can
 * be recomputed for a mail sent months later, yet nothing in the app databases lets
 * anyone derive it: the secret is the file <data>/tracking.key (mode 0600, made on
 * first use), and _tracking keeps only the SHA-256 of each token (the look-up key).
 * Guessing is hopeless (2^160), and a leaked copy of an app database reveals no link.
 *
 * Thread-safety: every function may be called from any thread (tracking_tx_register
 * and tracking_tx_forget inside a store apply callback only).
 */
#ifndef SMALLAPPS_TRACKING_H
#define SMALLAPPS_TRACKING_H

#include <stdbool.h>
#include <stdint.h>

#include "def.h"
#include "registry.h"
#include "store.h"

#define TRACKING_TOKEN_LEN 41     /* 40 hex chars + NUL */
#define TRACKING_KEY_LEN 32

/* Reads <data_dir>/tracking.key, creating it on first use. 0, or -1 with err. */
int tracking_load_key(const char *data_dir, unsigned char key[TRACKING_KEY_LEN], char err[256]);

/* The token of record id of form f of app rt. 0, or -1 when tracking is off (no key). */
int tracking_token(const app_rt *rt, const def_form *f, int64_t id, char out[TRACKING_TOKEN_LEN]);
/* Records the token's hash, inside the transaction that inserts the record. */
int tracking_tx_register(store_tx *tx, const app_rt *rt, const def_form *f, int64_t id);
/* Drops the token's hash with the record, inside the transaction that deletes it. */
int tracking_tx_forget(store_tx *tx, const app_rt *rt, const def_form *f, int64_t id);
/* Whether a form hands out tracking links: its create access includes `public`. */
bool tracking_enabled(const def_form *f);

/*
 * Finds the record behind a token among the apps served. On success the app is
 * returned with a reference (registry_release it) and form and id are set; NULL when
 * the token is malformed or unknown.
 */
app_rt *tracking_find(registry *g, const char *token, const def_form **form, int64_t *id);

#endif
