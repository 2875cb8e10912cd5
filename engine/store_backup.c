/*
 * store_backup — a consistent copy of an installation's SQLite files (see store.h).
 *
 * Each database is copied by SQLite's online backup API from a read-only connection,
 * in one step: the copy is the database as of one read transaction while writers go
 * on (WAL), and it must pass PRAGMA integrity_check. The file contents an app's copy
 * refers to (its _files) are then copied beside it: contents are written before the
 * transaction that uses them commits and never change, so each one a copied record
 * names is there — unless a later write deleted it between the two steps (counted as
 * missing; run the backup again).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

static char *path2(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

static bool empty_or_absent(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT;
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

static int copy_file(const char *from, const char *to, int64_t *bytes)
{
	int in = open(from, O_RDONLY), out = -1, rc = -1;
	if (in >= 0)
		out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (in >= 0 && out >= 0) {
		char b[64 * 1024];
		ssize_t n;
		rc = 0;
		while (rc == 0 && (n = read(in, b, sizeof b)) != 0) {
			if (n < 0 || write(out, b, (size_t)n) != n)
				rc = -1;
			else
				*bytes += n;
		}
		if (rc == 0 && fsync(out) != 0)
			rc = -1;
	}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

/* The contents the copied app database refers to, from data/files/<app>. */
static int copy_contents(const store_backend *b, const char *dir, const char *app,
			 const char *copied_db, store_backup_report *out, char *err)
{
	conn c;
	if (lite_open(copied_db, true, &c, err) != STORE_OK)
		return STORE_ERROR;
	db_rows r;
	int rc = db_query(&c, "SELECT DISTINCT \"sha256\" FROM \"_files\"", DB_NOARGS, &r);
	if (rc != STORE_OK) { /* a database from before files: nothing to copy */
		db_done(&r);
		lite_close(&c);
		return STORE_OK;
	}
	char *from_dir = xmalloc(strlen(b->data_dir) + strlen(app) + 16);
	sprintf(from_dir, "%s/files/%s", b->data_dir, app);
	char *to_top = path2(dir, "files"), *to_dir = path2(to_top, app);
	mkdir(to_top, 0700);
	mkdir(to_dir, 0700);
	while (rc == STORE_OK && db_next(&r)) {
		const char *sha = db_text(&r, 0);
		if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
			continue;
		char sub[3] = {sha[0], sha[1], 0}, rel[72];
		snprintf(rel, sizeof rel, "%s/%s", sub, sha);
		char *from = path2(from_dir, rel), *to_sub = path2(to_dir, sub),
		     *to = path2(to_dir, rel);
		mkdir(to_sub, 0700);
		if (copy_file(from, to, &out->bytes) == 0)
			out->files++;
		else if (errno == ENOENT)
			out->missing++;
		else
			rc = store_seterr(err, STORE_ERROR, "%s: %s", to, strerror(errno));
		free(from);
		free(to_sub);
		free(to);
	}
	db_done(&r);
	lite_close(&c);
	free(from_dir);
	free(to_top);
	free(to_dir);
	return rc;
}

static int backup_db(const char *from, const char *to, store_backup_report *out, char *err)
{
	int rc = lite_backup(from, to, err);
	struct stat st;
	if (rc == STORE_OK && stat(to, &st) == 0) {
		out->databases++;
		out->bytes += st.st_size;
	}
	return rc;
}

int store_backup(store_backend *b, const char *dir, store_backup_report *out,
		 char err[STORE_ERR_LEN])
{
	memset(out, 0, sizeof *out);
	if (b->kind == DB_PG)
		return store_seterr(
		    err, STORE_REFUSED,
		    "PostgreSQL : sauvegardez la base avec pg_dump ou les outils de "
		    "l'équipe base de données (les fichiers y sont aussi)");
	char *sys = path2(b->data_dir, "system.db");
	struct stat st;
	bool none = stat(sys, &st) != 0;
	free(sys);
	if (none)
		return store_seterr(err, STORE_REFUSED, "%s : aucune installation à sauvegarder",
				    b->data_dir);
	if (!empty_or_absent(dir))
		return store_seterr(err, STORE_REFUSED,
				    "%s n'est pas vide : choisissez un dossier "
				    "nouveau ou vide",
				    dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return store_seterr(err, STORE_ERROR, "%s: %s", dir, strerror(errno));
	char *from = path2(b->data_dir, "system.db"), *to = path2(dir, "system.db");
	int rc = backup_db(from, to, out, err);
	free(from);
	free(to);
	char *apps_from = path2(b->data_dir, "apps"), *apps_to = path2(dir, "apps");
	DIR *d = rc == STORE_OK ? opendir(apps_from) : NULL;
	if (d)
		mkdir(apps_to, 0700);
	struct dirent *e;
	while (rc == STORE_OK && d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 4 || strcmp(e->d_name + n - 3, ".db") != 0 || e->d_name[0] == '.')
			continue;
		char app[256];
		snprintf(app, sizeof app, "%.*s", (int)(n - 3), e->d_name);
		from = path2(apps_from, e->d_name);
		to = path2(apps_to, e->d_name);
		rc = backup_db(from, to, out, err);
		if (rc == STORE_OK)
			rc = copy_contents(b, dir, app, to, out, err);
		free(from);
		free(to);
	}
	if (d)
		closedir(d);
	free(apps_from);
	free(apps_to);
	return rc;
}
