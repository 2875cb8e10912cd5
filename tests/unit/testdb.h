/*
 * testdb — the backend the unit tests run on. make test runs them twice: on SQLite
 * files (the default) and on the throw-away PostgreSQL server that tests/pg.sh
 * starts, named by SMALLAPPS_TEST_DATABASE (a key=value connection string to its
 * maintenance database). On PostgreSQL every fixture gets a database of its own,
 * made here and dropped when the fixture closes, so tests never see each other.
 *
 * Header-only, for the test programs (they are single-threaded where they use it).
 */
#ifndef SMALLAPPS_TESTDB_H
#define SMALLAPPS_TESTDB_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "store.h"

static inline const char *testdb_server(void)
{
	const char *u = getenv("SMALLAPPS_TEST_DATABASE");
	return u && *u ? u : NULL;
}

static inline bool testdb_pg(void)
{
	return testdb_server() != NULL;
}

static inline void testdb_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The databases made here, to drop at close (a fixture holds one or two). */
static struct {
	store_backend *b;
	char name[64];
	char data[256];
} testdb_made[16];

static inline void testdb_admin(const char *sql)
{
	PGconn *pg = PQconnectdb(testdb_server());
	PQsetNoticeProcessor(pg, testdb_quiet, NULL);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "testdb: cannot reach %s: %s", testdb_server(), PQerrorMessage(pg));
		abort();
	}
	PGresult *r = PQexec(pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "testdb: %s: %s", sql, PQresultErrorMessage(r));
		abort();
	}
	PQclear(r);
	PQfinish(pg);
}

/* The connection string of a fresh database (PostgreSQL), or NULL (SQLite). */
static inline const char *testdb_fresh(char *name, size_t n, char *conninfo, size_t cn)
{
	static unsigned counter;
	if (!testdb_pg())
		return NULL;
	snprintf(name, n, "sa_t_%ld_%u", (long)getpid(), ++counter);
	char sql[160];
	snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
	testdb_admin(sql);
	/* In a key=value string the last dbname wins. */
	snprintf(conninfo, cn, "%s dbname=%s", testdb_server(), name);
	return conninfo;
}

/* The backend of a fixture whose files (SQLite) go under data_dir. Fails the process on error. */
static inline store_backend *testdb_open(const char *data_dir)
{
	char name[64] = "", conninfo[1024], err[STORE_ERR_LEN] = "";
	const char *db = testdb_fresh(name, sizeof name, conninfo, sizeof conninfo);
	store_backend *b = store_backend_open(db, data_dir, err);
	if (!b) {
		fprintf(stderr, "testdb: %s\n", err);
		abort();
	}
	for (size_t i = 0; i < sizeof testdb_made / sizeof *testdb_made; i++)
		if (!testdb_made[i].b) {
			testdb_made[i].b = b;
			snprintf(testdb_made[i].name, sizeof testdb_made[i].name, "%s", name);
			snprintf(testdb_made[i].data, sizeof testdb_made[i].data, "%s", data_dir);
			break;
		}
	return b;
}

static inline size_t testdb_slot(const store_backend *b)
{
	for (size_t i = 0; i < sizeof testdb_made / sizeof *testdb_made; i++)
		if (testdb_made[i].b == b)
			return i;
	fprintf(stderr, "testdb: unknown backend\n");
	abort();
}

/*
 * A raw look at a database of b, beside the store: `db` is "system" or an app id; sql
 * names tables unqualified (SQLite: that database's file; PostgreSQL: its schema first
 * in the search path). Returns the first column of the first row (-1: no row).
 */
static inline int64_t testdb_int(const store_backend *b, const char *db, const char *sql)
{
	size_t k = testdb_slot(b);
	int64_t v = -1;
	if (testdb_made[k].name[0]) {
		char ci[1024];
		snprintf(ci, sizeof ci, "%s dbname=%s options='-c search_path=%s%s'", testdb_server(),
		         testdb_made[k].name, strcmp(db, "system") == 0 ? "smallapps" : "app_",
		         strcmp(db, "system") == 0 ? "" : db);
		PGconn *pg = PQconnectdb(ci);
		PQsetNoticeProcessor(pg, testdb_quiet, NULL);
		PGresult *r = PQexec(pg, sql);
		ExecStatusType st = PQresultStatus(r);
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
			fprintf(stderr, "testdb: %s: %s", sql, PQresultErrorMessage(r));
			abort();
		}
		if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
			const char *t = PQgetvalue(r, 0, 0);
			v = strcmp(t, "t") == 0 ? 1 : strcmp(t, "f") == 0 ? 0 : strtoll(t, NULL, 10);
		}
		PQclear(r);
		PQfinish(pg);
		return v;
	}
	char path[512];
	if (strcmp(db, "system") == 0)
		snprintf(path, sizeof path, "%s/system.db", testdb_made[k].data);
	else
		snprintf(path, sizeof path, "%s/apps/%s.db", testdb_made[k].data, db);
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(h, 5000) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "testdb: %s: %s\n", sql, sqlite3_errmsg(h));
		abort();
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		fprintf(stderr, "testdb: %s: %s\n", sql, sqlite3_errmsg(h));
		abort();
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/*
 * Does `needle` occur anywhere in the stored bytes of the system database (SQLite: the
 * files system.db*, journal included; PostgreSQL: any row of its schema, as text)?
 */
static inline bool testdb_system_contains(const store_backend *b, const char *needle)
{
	size_t k = testdb_slot(b);
	if (!testdb_made[k].name[0]) {
		bool found = false;
		const char *suffix[] = {"", "-wal", "-shm", "-journal"};
		for (size_t i = 0; i < 4 && !found; i++) {
			char path[512];
			snprintf(path, sizeof path, "%s/system.db%s", testdb_made[k].data, suffix[i]);
			FILE *fp = fopen(path, "rb");
			if (!fp)
				continue;
			buf all = BUF_INIT;
			char chunk[4096];
			size_t n;
			while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
				buf_add(&all, chunk, n);
			fclose(fp);
			found = all.len && memmem(all.data, all.len, needle, strlen(needle)) != NULL;
			buf_free(&all);
		}
		return found;
	}
	const char *tables[] = {"users", "grants", "sessions", "tokens", "audit"};
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s t WHERE t::text LIKE '%%%s%%'",
		         tables[i], needle);
		if (testdb_int(b, "system", sql) > 0)
			return true;
	}
	return false;
}

/* Closes b (every store on it closed first) and drops its database. */
static inline void testdb_close(store_backend *b)
{
	if (!b)
		return;
	store_backend_close(b);
	for (size_t i = 0; i < sizeof testdb_made / sizeof *testdb_made; i++)
		if (testdb_made[i].b == b) {
			testdb_made[i].b = NULL;
			if (testdb_made[i].name[0]) {
				char sql[160];
				snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
				         testdb_made[i].name);
				testdb_admin(sql);
			}
		}
}

#endif
