/*
 * store_files — the contents of file fields, content-addressed (see store.h).
 *
 * A record's file value names its content by SHA-256. Which record uses which content
 * is kept in _files (form, record, field -> sha256), rewritten by every insert, update
 * and delete of a form with file fields, in the write's own transaction. The content
 * itself lives, on SQLite, in data/files/<app>/<first two hex digits>/<sha256>; on
 * PostgreSQL, in _blobs and its parts (shared by every engine, no shared disk needed),
 * which _files references, so that a content cannot vanish under a reference.
 *
 * Content is placed and removed on the writer thread only. A content whose last
 * reference goes is noted in s->gone during the group and removed once the group is
 * committed — unless a later job of the same group took it again; a job rolled back
 * takes its notes back (store.c keeps the marks). A content placed for a job that
 * failed is an orphan until store_files_sweep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "util.h"

#define PART (192 * 1024) /* PostgreSQL: bytes of a part (sent and read as hex) */

static bool sha_ok(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

bool store_form_has_files(const def_form *f)
{
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i]->type == FT_FILE)
			return true;
	return false;
}

/* The content's sha256 of a stored file value, or false. */
static bool value_sha(const value *v, char out[65])
{
	if (v->kind != VAL_TEXT || !v->s)
		return false;
	json_t *j = json_loads(v->s, 0, NULL);
	const char *s = json_string_value(json_object_get(j, "sha256"));
	bool ok = sha_ok(s);
	if (ok)
		memcpy(out, s, 65);
	json_decref(j);
	return ok;
}

static char *blob_path(const store *s, const char *sha)
{
	size_t n = strlen(s->files_dir) + 72;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%.2s/%s", s->files_dir, sha, sha);
	return p;
}

static void gone_add(store *s, const char *sha)
{
	for (size_t i = 0; i < s->ngone; i++)
		if (strcmp(s->gone[i], sha) == 0)
			return;
	if (s->ngone == s->capgone) {
		s->capgone = s->capgone ? 2 * s->capgone : 8;
		s->gone = xrealloc(s->gone, s->capgone * sizeof *s->gone);
	}
	memcpy(s->gone[s->ngone++], sha, 65);
}

static void gone_remove(store *s, const char *sha)
{
	for (size_t i = 0; i < s->ngone; i++)
		if (strcmp(s->gone[i], sha) == 0) {
			memmove(&s->gone[i], &s->gone[i + 1], (s->ngone - i - 1) * sizeof *s->gone);
			s->ngone--;
			return;
		}
}

/* ---- placing content ---- */

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char b[64 * 1024];
	ssize_t n = in < 0 || out < 0 ? -1 : 0;
	while (n == 0 && (n = read(in, b, sizeof b)) > 0)
		n = write(out, b, (size_t)n) == n ? 0 : -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		n = -1;
	return n == 0 ? 0 : -1;
}

/* SQLite: the content in its place, durable before the transaction that uses it. */
static int put_file(store *s, const char *sha, const char *path)
{
	char *to = blob_path(s, sha);
	struct stat st;
	int rc = STORE_OK;
	if (stat(to, &st) != 0) {
		char *dir = xstrdup(to);
		*strrchr(dir, '/') = 0;
		mkdir(s->files_dir, 0700);
		mkdir(dir, 0700);
		char *tmp = NULL;
		if (link(path, to) != 0 && errno != EEXIST) {
			size_t n = strlen(to) + 8;
			tmp = xmalloc(n);
			snprintf(tmp, n, "%s.part", to);
			if (copy_file(path, tmp) != 0 || rename(tmp, to) != 0)
				rc = STORE_ERROR;
		}
		if (rc == STORE_OK &&
		    (fsync_path(to, O_RDONLY) != 0 || fsync_path(dir, O_RDONLY | O_DIRECTORY) != 0))
			rc = STORE_ERROR;
		if (rc != STORE_OK) {
			log_message("store", "%s: cannot place a file: %s", to, strerror(errno));
			if (tmp)
				unlink(tmp);
		}
		free(tmp);
		free(dir);
	}
	free(to);
	return rc;
}

/* PostgreSQL: the content as parts, once per content (ON CONFLICT: already there). */
static int put_rows(store_tx *tx, const char *sha, const char *path, int64_t size)
{
	int64_t added = 0;
	int rc = store_exec(tx,
			    "INSERT INTO {_blobs} (\"sha256\", \"size\") VALUES (?, ?) "
			    "ON CONFLICT (\"sha256\") DO NOTHING",
			    DB_ARGS(DB_S(sha), DB_I(size)), &added);
	if (rc != STORE_OK || added == 0)
		return rc;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return STORE_ERROR;
	unsigned char *part = xmalloc(PART);
	char *hex = xmalloc(2 * PART + 1);
	for (int n = 0; rc == STORE_OK; n++) {
		ssize_t got = read(fd, part, PART);
		if (got < 0)
			rc = STORE_ERROR;
		if (got <= 0)
			break;
		util_hex(part, (size_t)got, hex);
		rc = store_exec(tx,
				"INSERT INTO {_blob_parts} (\"sha256\", \"n\", \"data\") "
				"VALUES (?, ?, decode(?, 'hex'))",
				DB_ARGS(DB_S(sha), DB_I(n), DB_S(hex)), NULL);
	}
	free(hex);
	free(part);
	close(fd);
	return rc;
}

int store_tx_blob_put(store_tx *tx, const char *sha256, const char *path, int64_t size)
{
	if (!sha_ok(sha256))
		return STORE_ERROR;
	gone_remove(tx->s, sha256);
	return tx->c->kind == DB_PG ? put_rows(tx, sha256, path, size)
				    : put_file(tx->s, sha256, path);
}

/* ---- references ---- */

static bool blob_there(store_tx *tx, const char *sha)
{
	if (tx->c->kind == DB_PG)
		return true; /* the foreign key says it */
	char *p = blob_path(tx->s, sha);
	struct stat st;
	bool ok = stat(p, &st) == 0;
	free(p);
	return ok;
}

static int still_used(store_tx *tx, const char *sha, bool *used)
{
	buf sql = BUF_INIT;
	db_rows r = {0};
	int rc = db_query(
	    tx->c, store_sql(tx->s, &sql, "SELECT 1 FROM {_files} WHERE \"sha256\" = ? LIMIT 1"),
	    DB_ARGS(DB_S(sha)), &r);
	*used = rc == STORE_OK && db_next(&r);
	rc = db_done(&r);
	buf_free(&sql);
	return rc;
}

int store_files_refs(store_tx *tx, const def_form *f, int64_t id, const record *r)
{
	if (!store_form_has_files(f))
		return STORE_OK;
	buf sql = BUF_INIT;
	db_rows rows = {0};
	char(*old)[65] = NULL;
	size_t nold = 0;
	int rc = db_query(tx->c,
			  store_sql(tx->s, &sql,
				    "DELETE FROM {_files} WHERE \"form\" = ? AND \"record_id\" = ? "
				    "RETURNING \"sha256\""),
			  DB_ARGS(DB_S(f->id), DB_I(id)), &rows);
	while (rc == STORE_OK && db_next(&rows)) {
		old = xrealloc(old, (nold + 1) * sizeof *old);
		snprintf(old[nold++], 65, "%s", db_text(&rows, 0) ? db_text(&rows, 0) : "");
	}
	rc = db_done(&rows);
	for (size_t col = 0; r && rc == STORE_OK && col < f->ncols; col++) {
		char sha[65];
		if (f->cols[col]->type != FT_FILE || !value_sha(&r->values[col], sha))
			continue;
		if (!blob_there(tx, sha)) {
			log_message("store", "%s: %s.%s refers to a file that is not there",
				    tx->s->name, f->id, f->cols[col]->name);
			rc = STORE_ERROR;
			break;
		}
		rc = store_exec(
		    tx,
		    "INSERT INTO {_files} (\"form\", \"record_id\", \"field\", \"sha256\") "
		    "VALUES (?, ?, ?, ?)",
		    DB_ARGS(DB_S(f->id), DB_I(id), DB_S(f->cols[col]->name), DB_S(sha)), NULL);
		gone_remove(tx->s, sha);
	}
	for (size_t i = 0; rc == STORE_OK && i < nold; i++) {
		bool used = true;
		rc = still_used(tx, old[i], &used);
		if (rc == STORE_OK && !used)
			gone_add(tx->s, old[i]);
	}
	free(old);
	buf_free(&sql);
	return rc;
}

int store_files_drop(store_tx *tx, const def_form *f, int64_t id, const bool *cols)
{
	int rc = STORE_OK;
	buf sql = BUF_INIT;
	store_sql(tx->s, &sql,
		  "DELETE FROM {_files} WHERE \"form\" = ? AND \"record_id\" = ? AND \"field\" = ? "
		  "RETURNING \"sha256\"");
	for (size_t col = 0; rc == STORE_OK && col < f->ncols; col++) {
		if (f->cols[col]->type != FT_FILE || !cols[col])
			continue;
		db_rows rows = {0};
		char sha[65] = "";
		rc = db_query(tx->c, buf_cstr(&sql),
			      DB_ARGS(DB_S(f->id), DB_I(id), DB_S(f->cols[col]->name)), &rows);
		if (rc == STORE_OK && db_next(&rows) && db_text(&rows, 0))
			snprintf(sha, sizeof sha, "%s", db_text(&rows, 0));
		rc = db_done(&rows);
		bool used = true;
		if (rc == STORE_OK && sha[0] && (rc = still_used(tx, sha, &used)) == STORE_OK &&
		    !used)
			gone_add(tx->s, sha);
	}
	buf_free(&sql);
	return rc;
}

void store_files_after(store *s, conn *c, bool committed)
{
	if (committed && s->ngone && c->kind == DB_SQLITE) {
		for (size_t i = 0; i < s->ngone; i++) {
			char *p = blob_path(s, s->gone[i]);
			if (unlink(p) != 0 && errno != ENOENT)
				log_message("store", "%s: %s", p, strerror(errno));
			free(p);
		}
	} else if (committed && s->ngone) {
		/* Outside the group's transaction: an engine that took the content again in
		 * the meantime holds it by the foreign key, and this delete fails harmlessly. */
		buf sql = BUF_INIT;
		store_sql(s, &sql,
			  "DELETE FROM {_blobs} WHERE \"sha256\" = ? AND NOT EXISTS "
			  "(SELECT 1 FROM {_files} WHERE \"sha256\" = ?)");
		for (size_t i = 0; i < s->ngone; i++)
			db_exec(c, buf_cstr(&sql), DB_ARGS(DB_S(s->gone[i]), DB_S(s->gone[i])),
				NULL);
		buf_free(&sql);
	}
	s->ngone = 0;
}

/* ---- reading content ---- */

struct store_blob {
	store *s;
	char sha[65];
	int fd;		  /* SQLite */
	int part;	  /* PostgreSQL: the next part to read */
	unsigned char *b; /* PostgreSQL: the part being sent */
	size_t len, off;
	bool end;
};

int store_blob_open(store *s, const char *sha256, int64_t *size, store_blob **out)
{
	*out = NULL;
	if (!sha_ok(sha256))
		return STORE_NOTFOUND;
	store_blob *b = xcalloc(1, sizeof *b);
	b->s = s;
	b->fd = -1;
	memcpy(b->sha, sha256, 65);
	int rc = STORE_OK;
	if (s->b->kind == DB_SQLITE) {
		char *p = blob_path(s, sha256);
		b->fd = open(p, O_RDONLY);
		struct stat st;
		if (b->fd < 0 || fstat(b->fd, &st) != 0)
			rc = STORE_NOTFOUND;
		else
			*size = st.st_size;
		free(p);
	} else {
		conn *c;
		if ((rc = store_reader_take(s, &c)) == STORE_OK) {
			buf sql = BUF_INIT;
			rc = db_int_query(
			    c,
			    store_sql(s, &sql,
				      "SELECT \"size\" FROM {_blobs} WHERE \"sha256\" = ?"),
			    DB_ARGS(DB_S(sha256)), size);
			buf_free(&sql);
			store_reader_give(s, c);
		}
	}
	if (rc != STORE_OK) {
		store_blob_close(b);
		return rc;
	}
	*out = b;
	return STORE_OK;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* PostgreSQL: the next part into b->b. */
static int next_part(store_blob *b)
{
	conn *c;
	int rc = store_reader_take(b->s, &c);
	if (rc != STORE_OK)
		return rc;
	buf sql = BUF_INIT;
	db_rows r = {0};
	rc = db_query(c,
		      store_sql(b->s, &sql,
				"SELECT encode(\"data\", 'hex') FROM {_blob_parts} "
				"WHERE \"sha256\" = ? AND \"n\" = ?"),
		      DB_ARGS(DB_S(b->sha), DB_I(b->part)), &r);
	b->len = b->off = 0;
	if (rc == STORE_OK && db_next(&r)) {
		const char *h = db_text(&r, 0);
		size_t n = db_len(&r, 0) / 2;
		free(b->b);
		b->b = xmalloc(n ? n : 1);
		for (size_t i = 0; i < n; i++)
			b->b[i] = (unsigned char)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
		b->len = n;
		b->part++;
	} else {
		b->end = true;
	}
	rc = db_done(&r) == STORE_OK ? rc : STORE_ERROR;
	buf_free(&sql);
	store_reader_give(b->s, c);
	return rc;
}

long store_blob_read(store_blob *b, char *out, size_t max)
{
	if (b->fd >= 0) {
		ssize_t n;
		do
			n = read(b->fd, out, max);
		while (n < 0 && errno == EINTR);
		return n;
	}
	if (b->off == b->len && !b->end && next_part(b) != STORE_OK)
		return -1;
	size_t n = b->len - b->off < max ? b->len - b->off : max;
	memcpy(out, b->b + b->off, n);
	b->off += n;
	return (long)n;
}

void store_blob_close(store_blob *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	free(b->b);
	free(b);
}

/* ---- orphans ---- */

typedef struct sweep_job {
	int removed;
} sweep_job;

/* SQLite: every content under the app's folder that no record refers to. */
static int sweep_dir(store_tx *tx, sweep_job *j)
{
	DIR *top = opendir(tx->s->files_dir);
	if (!top)
		return STORE_OK;
	int rc = STORE_OK;
	struct dirent *e;
	while (rc == STORE_OK && (e = readdir(top))) {
		if (strlen(e->d_name) != 2 || strspn(e->d_name, "0123456789abcdef") != 2)
			continue;
		size_t n = strlen(tx->s->files_dir) + 4;
		char *sub = xmalloc(n);
		snprintf(sub, n, "%s/%s", tx->s->files_dir, e->d_name);
		DIR *d = opendir(sub);
		struct dirent *g;
		while (d && rc == STORE_OK && (g = readdir(d))) {
			bool used = true;
			if (!sha_ok(g->d_name))
				continue;
			rc = still_used(tx, g->d_name, &used);
			if (rc == STORE_OK && !used) {
				gone_add(tx->s, g->d_name);
				j->removed++;
			}
		}
		if (d)
			closedir(d);
		free(sub);
	}
	closedir(top);
	return rc;
}

static int sweep_apply(store_tx *tx, void *arg)
{
	sweep_job *j = arg;
	if (tx->c->kind == DB_SQLITE)
		return sweep_dir(tx, j);
	int64_t n = 0;
	int rc = store_exec(tx,
			    "DELETE FROM {_blobs} b WHERE NOT EXISTS "
			    "(SELECT 1 FROM {_files} f WHERE f.\"sha256\" = b.\"sha256\")",
			    DB_NOARGS, &n);
	j->removed = (int)n;
	return rc;
}

int store_files_sweep(store *s, int *removed)
{
	sweep_job j = {0};
	int rc = store_write_sync(s, sweep_apply, &j);
	*removed = j.removed;
	return rc;
}
