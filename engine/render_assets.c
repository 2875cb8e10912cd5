/*
 * render_assets — the files a page loads besides itself: the stylesheet and the script of
 * web/ (web_assets.h). Each is served under a name that carries a hash of its content
 * ("style.5c1f…e2.css"), so a browser may keep it forever (Cache-Control: immutable) and
 * an upgrade that changes it changes its name.
 */
#include "render_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "web_assets.h"

#define HASH_HEX 16 /* 64 bits of BLAKE2b: enough to tell two versions of one file apart */

typedef struct asset {
	const char *plain; /* "style.css", "conditions.js" */
	char hashed[96];   /* "style.<hash>.css" */
	char path[112];	   /* "/static/style.<hash>.css" */
	const char *type;
	const void *data;
	size_t len;
} asset;

static asset assets[1 + 8];
static size_t nassets;
static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

static void add(const char *plain, const char *type, const void *data, size_t len)
{
	if (nassets == sizeof assets / sizeof *assets)
		return;
	asset *a = &assets[nassets++];
	unsigned char h[HASH_HEX / 2];
	char hex[HASH_HEX + 1];
	crypto_generichash(h, sizeof h, data, len, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	const char *dot = strrchr(plain, '.');
	int stem = dot ? (int)(dot - plain) : (int)strlen(plain);
	*a = (asset){.plain = plain, .type = type, .data = data, .len = len};
	snprintf(a->hashed, sizeof a->hashed, "%.*s.%s%s", stem, plain, hex, dot ? dot : "");
	snprintf(a->path, sizeof a->path, "/static/%.*s.%s%s", stem, plain, hex, dot ? dot : "");
}

static const char *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (dot && strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (dot && strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	return "application/octet-stream";
}

static void assets_init(void)
{
	const char *css = render_stylesheet();
	add("style.css", type_of("style.css"), css, strlen(css));
	for (size_t i = 0; i < web_nassets; i++)
		add(web_assets[i].name, type_of(web_assets[i].name), web_assets[i].data,
		    web_assets[i].len);
}

const char *render_asset_path(const char *plain)
{
	pthread_once(&assets_once, assets_init);
	for (size_t i = 0; i < nassets; i++)
		if (strcmp(assets[i].plain, plain) == 0)
			return assets[i].path;
	return NULL;
}

bool render_asset_find(const char *name, const char **type, const void **data, size_t *len,
		       bool *hashed)
{
	pthread_once(&assets_once, assets_init);
	for (size_t i = 0; i < nassets; i++) {
		const asset *a = &assets[i];
		bool h = strcmp(a->hashed, name) == 0;
		if (h || strcmp(a->plain, name) == 0) {
			*type = a->type;
			*data = a->data;
			*len = a->len;
			*hashed = h;
			return true;
		}
	}
	return false;
}
