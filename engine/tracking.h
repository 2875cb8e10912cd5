/*
 * tracking — public tracking links `/suivi/<token>` for anonymous submissions (SPEC 5).
 *
 * A token is HMAC-SHA256(secret, "<app>/<form>/<id>") cut to 160 bits, in hex: it can
 * be recomputed for a mail sent months later, yet nothing in the app databases lets
 * anyone derive it: the secret is the file <data>/tracking.key (mode 0600, made on
 * first use), and the databases keep only the SHA-256 of each token (tracking_hash,
 * the look-up key, stored by the use-case layer with the record). Guessing is
 * hopeless (2^160), and a leaked copy of an app database reveals no link.
 *
 * Pure functions (the key is the backend's secret "tracking": store_secret); thread-safe.
 */
#ifndef SMALLAPPS_TRACKING_H
#define SMALLAPPS_TRACKING_H

#include <stdbool.h>
#include <stdint.h>

#include "def.h"

#define TRACKING_TOKEN_LEN 41 /* 40 hex chars + NUL */
#define TRACKING_KEY_LEN   32

/* The token of record id of form form_id of app app_id. */
void tracking_token(const unsigned char key[TRACKING_KEY_LEN], const char *app_id,
		    const char *form_id, int64_t id, char out[TRACKING_TOKEN_LEN]);
/* The look-up key kept in the database: SHA-256 of the token, 64 hex chars. */
void tracking_hash(const char *token, char out[65]);
/* Whether a form hands out tracking links: its create access includes `public`. */
bool tracking_enabled(const def_form *f);

#endif
