/*
 * upload — a file received from a client, on its way to a record.
 *
 * The bytes go to a temporary file under the upload directory (data/tmp) as they
 * arrive, hashed (SHA-256) on the way, so that a 50 MB upload never sits in memory.
 * Once complete, its type is read from its first bytes by libmagic — never from the
 * name or the client's Content-Type, which the client chooses. The temporary file is
 * removed by upload_free unless the upload is kept for a form sent back with errors
 * (upload_keep): then it waits, under an unguessable token, for the same person's
 * next try, and upload_sweep removes what nobody came back for.
 *
 * An upload belongs to one thread at a time (its request's). The type detector is
 * shared and guarded by a lock.
 */
#ifndef SMALLAPPS_UPLOAD_H
#define SMALLAPPS_UPLOAD_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPLOAD_NAME_MAX	 255 /* bytes of a file name kept (UTF-8, cut at a character) */
#define UPLOAD_TOKEN_LEN 33  /* hex token of a kept upload + NUL */

typedef struct upload {
	char *field; /* the form field it was sent for */
	char *name;  /* the client's file name, without directories or control characters */
	char *path;  /* the temporary file */
	int64_t size;
	char sha256[65];
	char type[128]; /* MIME type from the content, "application/octet-stream" if unknown */
	char token[UPLOAD_TOKEN_LEN]; /* set once kept */
	/* private while receiving */
	int fd;
	crypto_hash_sha256_state st;
} upload;

/* A list of uploads, owned (upload_list_free frees them and their files). */
typedef struct upload_list {
	upload **v;
	size_t n;
} upload_list;

/* Starts an upload into a new temporary file under dir; NULL (errno set) on failure. */
upload *upload_begin(const char *dir, const char *field, const char *client_name);
int upload_write(upload *u, const void *p, size_t n); /* 0, or -1 (errno) */
/* Closes the file, fixes sha256 and type. 0, or -1 (errno). */
int upload_finish(upload *u);
/* Removes the temporary file (unless kept) and frees u. NULL is fine. */
void upload_free(upload *u);

/*
 * A base64 text (RFC 4648, padding optional, no other characters) as a finished
 * upload. NULL with *bad set when the text is not base64, NULL with errno on a
 * file error.
 */
upload *upload_from_base64(const char *dir, const char *field, const char *client_name,
			   const char *b64, size_t n, bool *bad);

/*
 * Keeps u's file for its owner's next try (a form sent back with errors): sets
 * u->token; the file then outlives upload_free. who is the person ("" anonymous).
 * upload_resume gives it back to the same person only, for the same field; NULL when
 * unknown, expired, or someone else's.
 */
int upload_keep(upload *u, const char *dir, const char *who);
upload *upload_resume(const char *dir, const char *token, const char *field, const char *who);
/* Forgets a kept upload once used (its file and note). */
void upload_forget(const char *dir, const char *token);
/* Removes temporary and kept files older than max_age seconds; how many. */
int upload_sweep(const char *dir, int64_t max_age);

void upload_list_add(upload_list *l, upload *u); /* takes u */
upload *upload_list_find(const upload_list *l, const char *field);
void upload_list_free(upload_list *l);

#endif
