/*
 * store_cluster — state that every engine sharing a backend must agree on, kept by the
 * backend itself (see store.h): secrets (the tracking key). On SQLite there is one
 * engine and these live beside the databases; on PostgreSQL in the "smallapps"
 * schema, so a second engine finds what the first made.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "util.h"

#define SECRET_MAX 64 /* bytes */

/* SQLite: <data>/<name>.key, 0600, hex; made once (O_EXCL: two processes agree). */
static int file_secret(const store_backend *b, const char *name, unsigned char *out, size_t len,
		       char err[STORE_ERR_LEN])
{
	char path[PATH_MAX], hex[2 * SECRET_MAX + 2] = "";
	snprintf(path, sizeof path, "%s/%s.key", b->data_dir, name);
	mkdir(b->data_dir, 0750); /* a first start: the folder may not exist yet */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			util_random_hex(hex, len);
			hex[2 * len] = '\n';
			bool ok =
			    write(fd, hex, 2 * len + 1) == (ssize_t)(2 * len + 1) && fsync(fd) == 0;
			close(fd);
			if (!ok) {
				unlink(path);
				return store_seterr(err, STORE_ERROR, "cannot write %.180s: %s",
						    path, strerror(errno));
			}
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return store_seterr(err, STORE_ERROR, "cannot read %.180s: %s", path,
				    strerror(errno));
	ssize_t n = read(fd, hex, sizeof hex - 1);
	close(fd);
	size_t bin = 0;
	int rc = STORE_OK;
	if (n < (ssize_t)(2 * len) ||
	    sodium_hex2bin(out, len, hex, 2 * len, NULL, &bin, NULL) != 0 || bin != len)
		rc = store_seterr(err, STORE_ERROR, "%.180s: expected %zu hex characters", path,
				  2 * len);
	sodium_memzero(hex, sizeof hex);
	return rc;
}

/* PostgreSQL: a row of "smallapps"."_secrets", inserted by the first engine to ask. */
static int pg_secret(store_backend *b, const char *name, unsigned char *out, size_t len,
		     char err[STORE_ERR_LEN])
{
	char hex[2 * SECRET_MAX + 1];
	util_random_hex(hex, len);
	conn *c = NULL;
	int rc = store_pg_take(b, &c);
	if (rc == STORE_OK)
		rc = db_exec(c, "BEGIN", DB_NOARGS, NULL);
	if (rc == STORE_OK && (rc = store_pg_xact_lock(c, "smallapps:schema")) == STORE_OK)
		rc = db_script(c,
			       "CREATE SCHEMA IF NOT EXISTS \"smallapps\";"
			       "CREATE TABLE IF NOT EXISTS \"smallapps\".\"_secrets\" ("
			       " \"name\" text PRIMARY KEY, \"value\" text NOT NULL)",
			       err);
	if (rc == STORE_OK)
		rc = db_exec(
		    c,
		    "INSERT INTO \"smallapps\".\"_secrets\" (\"name\", \"value\") VALUES (?, ?) "
		    "ON CONFLICT (\"name\") DO NOTHING",
		    DB_ARGS(DB_S(name), DB_S(hex)), NULL);
	db_rows r = {0};
	if (rc == STORE_OK &&
	    (rc = db_query(c, "SELECT \"value\" FROM \"smallapps\".\"_secrets\" WHERE \"name\" = ?",
			   DB_ARGS(DB_S(name)), &r)) == STORE_OK) {
		size_t bin = 0;
		const char *v = db_next(&r) ? db_text(&r, 0) : NULL;
		if (!v || strlen(v) != 2 * len ||
		    sodium_hex2bin(out, len, v, 2 * len, NULL, &bin, NULL) != 0 || bin != len)
			r.rc = store_seterr(err, STORE_ERROR, "secret %s: malformed", name);
		rc = db_done(&r);
	}
	if (rc == STORE_OK)
		rc = db_exec(c, "COMMIT", DB_NOARGS, NULL);
	else if (c && db_in_tx(c))
		db_exec(c, "ROLLBACK", DB_NOARGS, NULL);
	if (rc != STORE_OK && err && !err[0])
		store_seterr(err, rc, "secret %s: %s", name, c ? db_errmsg(c) : "no connection");
	store_pg_give(b, c);
	sodium_memzero(hex, sizeof hex);
	return rc;
}

int store_secret(store_backend *b, const char *name, unsigned char *out, size_t len,
		 char err[STORE_ERR_LEN])
{
	if (err)
		err[0] = '\0';
	if (len == 0 || len > SECRET_MAX || !store_ident_ok(name))
		return store_seterr(err, STORE_ERROR, "secret %s: bad name or length", name);
	return b->kind == DB_PG ? pg_secret(b, name, out, len, err)
				: file_secret(b, name, out, len, err);
}
