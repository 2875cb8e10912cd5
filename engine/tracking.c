/*
 * tracking — public tracking tokens (see tracking.h).
 */
#include "tracking.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define TOKEN_BYTES 20

int tracking_load_key(const char *data_dir, unsigned char key[TRACKING_KEY_LEN], char err[256])
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/tracking.key", data_dir);
	char hex[2 * TRACKING_KEY_LEN + 2] = "";
	mkdir(data_dir, 0750); /* a first start: the folder may not exist yet */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* First use: O_EXCL, so two processes starting together agree on one key. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			util_random_hex(hex, TRACKING_KEY_LEN);
			hex[2 * TRACKING_KEY_LEN] = '\n';
			bool ok = write(fd, hex, 2 * TRACKING_KEY_LEN + 1) == 2 * TRACKING_KEY_LEN + 1 &&
			          fsync(fd) == 0;
			close(fd);
			if (!ok) {
				unlink(path);
				snprintf(err, 256, "cannot write %.180s: %s", path, strerror(errno));
				return -1;
			}
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, 256, "cannot read %.180s: %s", path, strerror(errno));
		return -1;
	}
	ssize_t n = read(fd, hex, sizeof hex - 1);
	close(fd);
	size_t bin = 0;
	if (n < 2 * TRACKING_KEY_LEN ||
	    sodium_hex2bin(key, TRACKING_KEY_LEN, hex, 2 * TRACKING_KEY_LEN, NULL, &bin, NULL) != 0 ||
	    bin != TRACKING_KEY_LEN) {
		snprintf(err, 256, "%.180s: expected %d hex characters", path, 2 * TRACKING_KEY_LEN);
		sodium_memzero(hex, sizeof hex);
		return -1;
	}
	sodium_memzero(hex, sizeof hex);
	return 0;
}

static void make_token(const unsigned char key[TRACKING_KEY_LEN], const char *app_id,
                       const def_form *f, int64_t id, char out[TRACKING_TOKEN_LEN])
{
	char msg[160];
	int len = snprintf(msg, sizeof msg, "%s/%s/%lld", app_id, f->id, (long long)id);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (size_t)len, key);
	util_hex(mac, TOKEN_BYTES, out);
	sodium_memzero(mac, sizeof mac);
}

int tracking_token(const app_rt *rt, const def_form *f, int64_t id, char out[TRACKING_TOKEN_LEN])
{
	if (!rt->tracking_key)
		return -1;
	make_token(rt->tracking_key, rt->def->id, f, id, out);
	return 0;
}

bool tracking_enabled(const def_form *f)
{
	return def_strlist_has(&f->access.create, "public");
}

int tracking_tx_register(store_tx *tx, const app_rt *rt, const def_form *f, int64_t id)
{
	char token[TRACKING_TOKEN_LEN], hash[65];
	if (tracking_token(rt, f, id, token) != 0)
		return STORE_OK; /* tracking off: the submitter gets the plain receipt */
	util_sha256_hex(token, strlen(token), hash);
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR;
	if (sqlite3_prepare_v2(store_tx_db(tx),
	                       "INSERT OR REPLACE INTO \"_tracking\" (\"token_hash\", \"form\", \"record_id\") "
	                       "VALUES (?, ?, ?)",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	    sqlite3_bind_text(st, 2, f->id, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 3, id) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(st);
	return rc;
}

/* The token is recomputed, so its row is found by primary key: no index on record_id. */
int tracking_tx_forget(store_tx *tx, const app_rt *rt, const def_form *f, int64_t id)
{
	char token[TRACKING_TOKEN_LEN], hash[65];
	/* Not tracking_enabled(f): a form that stopped being public keeps its old links. */
	if (tracking_token(rt, f, id, token) != 0)
		return STORE_OK;
	util_sha256_hex(token, strlen(token), hash);
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR;
	if (sqlite3_prepare_v2(store_tx_db(tx), "DELETE FROM \"_tracking\" WHERE \"token_hash\" = ?",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_DONE)
		rc = STORE_OK;
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
