/*
 * store_drafts — the drafts of an app database (SPEC 4.2 `drafts`): what a person typed
 * in a form with drafts and saved without sending it. A draft is not a record: it has
 * its own table, `_drafts`, that no list, count, export or history reads.
 *
 * A row holds the form, its owner (a login; NULL for an anonymous person, who has a
 * resume link instead: only the SHA-256 of its token is kept), the typed values as a
 * JSON object in the API's value form (text for what did not parse), the step reached
 * in a multi-step form, and when it was made, last saved and will be purged.
 *
 * Writes go through the store's writer (store_write_sync); reads through a reader.
 * Thread-safe like store.h. Strings of a store_draft are heap copies: store_draft_clear.
 */
#ifndef SMALLAPPS_STORE_DRAFTS_H
#define SMALLAPPS_STORE_DRAFTS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct store_draft {
	int64_t id;
	char *form;
	char *owner;	  /* NULL: anonymous */
	char *token_hash; /* anonymous: the look-up key of its link; else NULL */
	char *fields;	  /* JSON object */
	int step;
	char *created_at, *updated_at, *expires_at; /* ISO 8601 UTC */
} store_draft;

void store_draft_clear(store_draft *d);
void store_drafts_free(store_draft *v, size_t n);

/*
 * Saves d: d->id 0 inserts it (d->id set), else updates fields, step, updated_at and
 * expires_at of that id if it still belongs to d->form and d->owner (STORE_NOTFOUND
 * otherwise).
 */
int store_draft_put(store *s, store_draft *d);
/* One draft by id, or by the hash of its link (STORE_NOTFOUND). */
int store_draft_get(store *s, int64_t id, store_draft *out);
int store_draft_by_token(store *s, const char *token_hash, store_draft *out);
/* The drafts of owner (a login), newest save first. *out: store_drafts_free. */
int store_drafts_of(store *s, const char *owner, store_draft **out, size_t *n);
/* Deletes draft id (STORE_NOTFOUND when it is gone). */
int store_draft_delete(store *s, int64_t id);
/* The same inside a write (a create that sends the draft: both or neither). */
int store_tx_draft_delete(store_tx *tx, int64_t id);
/* Deletes the drafts that expired before now (ISO 8601 UTC); *n: how many. */
int store_drafts_purge(store *s, const char *now, int64_t *n);

#endif
