/*
 * tracking — public tracking tokens (see tracking.h).
 */
#include "tracking.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define TOKEN_BYTES 20

void tracking_token(const unsigned char key[TRACKING_KEY_LEN], const char *app_id,
		    const char *form_id, int64_t id, char out[TRACKING_TOKEN_LEN])
{
	char msg[160];
	int len = snprintf(msg, sizeof msg, "%s/%s/%lld", app_id, form_id, (long long)id);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (size_t)len, key);
	util_hex(mac, TOKEN_BYTES, out);
	sodium_memzero(mac, sizeof mac);
}

void tracking_hash(const char *token, char out[65])
{
	util_sha256_hex(token, strlen(token), out);
}

bool tracking_enabled(const def_form *f)
{
	return def_strlist_has(&f->access.create, "public");
}
