/*
 * web_assets — the files of web/ (the script that applies conditions as one types),
 * embedded in the binary at build time by tools/embed.sh: the binary serves them itself,
 * as it does the stylesheet. Read-only data.
 */
#ifndef SMALLAPPS_WEB_ASSETS_H
#define SMALLAPPS_WEB_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
	const char *name; /* "conditions.js" */
	const unsigned char *data;
	size_t len;
} web_asset;

extern const web_asset web_assets[];
extern const size_t web_nassets;

#endif
