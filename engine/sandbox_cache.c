/*
 * sandbox_cache — each thread's Lua states, one per app version it runs (see sandbox.h).
 *
 * A lua_State belongs to one thread: states are cached in thread-specific storage,
 * keyed by app id and version (gen), and closed when the thread exits (the key's
 * destructor) or calls sandbox_thread_cleanup. A newer version of an app replaces
 * the older one's state in its slot; past SB_CACHE apps a thread evicts its first.
 */
#include "sandbox.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define SB_CACHE 16

typedef struct sb_slot {
	char app[48];
	uint64_t gen;
	sandbox *sb;
} sb_slot;

static pthread_key_t sb_key;
static pthread_once_t sb_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
	sb_slot *slots = p;
	for (int i = 0; i < SB_CACHE; i++)
		if (slots[i].sb)
			sandbox_close(slots[i].sb);
	free(slots);
}

static void key_init(void)
{
	pthread_key_create(&sb_key, cache_free);
}

void sandbox_thread_cleanup(void)
{
	pthread_once(&sb_once, key_init);
	sb_slot *slots = pthread_getspecific(sb_key);
	if (slots) {
		pthread_setspecific(sb_key, NULL);
		cache_free(slots);
	}
}

sandbox *sandbox_for(const def_app *def, uint64_t gen, const char *stdlib_dir,
		     char err[SANDBOX_ERR])
{
	pthread_once(&sb_once, key_init);
	sb_slot *slots = pthread_getspecific(sb_key);
	if (!slots) {
		slots = xcalloc(SB_CACHE, sizeof *slots);
		pthread_setspecific(sb_key, slots);
	}
	int free_slot = -1;
	for (int i = 0; i < SB_CACHE; i++) {
		if (!slots[i].sb) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (strcmp(slots[i].app, def->id) != 0)
			continue;
		if (slots[i].gen == gen)
			return slots[i].sb;
		/* An older version of this app: its state is of no more use. */
		sandbox_close(slots[i].sb);
		slots[i].sb = NULL;
		if (free_slot < 0 || free_slot > i)
			free_slot = i;
	}
	if (free_slot < 0) {
		sandbox_close(slots[0].sb);
		slots[0].sb = NULL;
		free_slot = 0;
	}
	sandbox *sb = sandbox_open(def, stdlib_dir, err);
	if (!sb)
		return NULL;
	snprintf(slots[free_slot].app, sizeof slots[free_slot].app, "%s", def->id);
	slots[free_slot].gen = gen;
	slots[free_slot].sb = sb;
	return sb;
}
