/*
 * tracking — public tracking tokens (see tracking.h).
 */
#include "tracking.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define TOKEN_BYTES 20

/* The app's secret, decoded from the hex kept in _meta. */
static int app_key(store *s, unsigned char key[32])
{
	char hex[65];
	if (store_meta_get(s, "tracking_key", hex, sizeof hex) != STORE_OK || strlen(hex) != 64)
		return -1;
	size_t n = 0;
	if (sodium_hex2bin(key, 32, hex, 64, NULL, &n, NULL) != 0 || n != 32)
		return -1;
	return 0;
}

static void make_token(const unsigned char key[32], const def_form *f, int64_t id,
                       char out[TRACKING_TOKEN_LEN])
{
	char msg[128];
	int len = snprintf(msg, sizeof msg, "%s/%lld", f->id, (long long)id);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (size_t)len, key);
	util_hex(mac, TOKEN_BYTES, out);
	sodium_memzero(mac, sizeof mac);
}

int tracking_token(store *s, const def_form *f, int64_t id, char out[TRACKING_TOKEN_LEN])
{
	unsigned char key[32];
	if (app_key(s, key) != 0)
		return -1;
	make_token(key, f, id, out);
	sodium_memzero(key, sizeof key);
	return 0;
}

bool tracking_enabled(const def_form *f)
{
	return def_strlist_has(&f->access.create, "public");
}

int tracking_tx_register(store_tx *tx, const def_form *f, int64_t id)
{
	sqlite3 *db = store_tx_db(tx);
	/* The writer's own connection reads the key: no reader needed inside apply. */
	sqlite3_stmt *st = NULL;
	unsigned char key[32];
	int rc = STORE_ERROR;
	if (sqlite3_prepare_v2(db, "SELECT \"value\" FROM \"_meta\" WHERE \"key\" = 'tracking_key'",
	                       -1, &st, NULL) != SQLITE_OK)
		goto done;
	size_t n = 0;
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != 64 ||
	    sodium_hex2bin(key, 32, (const char *)sqlite3_column_text(st, 0), 64, NULL, &n, NULL) != 0 ||
	    n != 32)
		goto done;
	sqlite3_finalize(st);
	st = NULL;
	char token[TRACKING_TOKEN_LEN], hash[65];
	make_token(key, f, id, token);
	util_sha256_hex(token, strlen(token), hash);
	if (sqlite3_prepare_v2(db,
	                       "INSERT OR REPLACE INTO \"_tracking\" (\"token_hash\", \"form\", \"record_id\") "
	                       "VALUES (?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, f->id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, id) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		goto done;
	rc = STORE_OK;
done:
	sodium_memzero(key, sizeof key);
	sqlite3_finalize(st);
	return rc;
}

typedef struct lookup {
	const char *hash;
	char form[64];
	int64_t id;
	bool found;
} lookup;

static int lookup_fn(sqlite3 *db, void *arg)
{
	lookup *l = arg;
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR;
	if (sqlite3_prepare_v2(db,
	                       "SELECT \"form\", \"record_id\" FROM \"_tracking\" WHERE \"token_hash\" = ?",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, l->hash, -1, SQLITE_STATIC) == SQLITE_OK) {
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			snprintf(l->form, sizeof l->form, "%s", (const char *)sqlite3_column_text(st, 0));
			l->id = sqlite3_column_int64(st, 1);
			l->found = true;
		}
		rc = step == SQLITE_ROW || step == SQLITE_DONE ? STORE_OK : STORE_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

app_rt *tracking_find(registry *g, const char *token, const def_form **form, int64_t *id)
{
	if (strlen(token) != 2 * TOKEN_BYTES)
		return NULL;
	for (const char *p = token; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return NULL;
	char hash[65];
	util_sha256_hex(token, strlen(token), hash);
	app_rt **apps = NULL;
	size_t n = registry_list(g, &apps);
	app_rt *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		lookup l = {.hash = hash};
		if (!hit && store_read(apps[i]->db, lookup_fn, &l) == STORE_OK && l.found &&
		    (*form = def_find_form(apps[i]->def, l.form)) != NULL) {
			*id = l.id;
			hit = apps[i];
			continue; /* keep this reference */
		}
		registry_release(apps[i]);
	}
	free(apps);
	return hit;
}
