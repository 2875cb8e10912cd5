/*
 * compress — answers compressed for the clients that ask (Accept-Encoding: gzip), with
 * zlib: a page of 16 KB becomes 4 KB on a slow mobile network (issue 15.3).
 */
#ifndef SMALLAPPS_COMPRESS_H
#define SMALLAPPS_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Whether an Accept-Encoding header value takes gzip (a q=0 refuses it). */
bool compress_accepts_gzip(const char *accept_encoding);
/* Whether a body of this type gains from compression (text, JSON, SVG). */
bool compress_type_worth(const char *content_type);
/* in as a gzip member appended to out; false (out unchanged) on a zlib failure. */
bool compress_gzip(const void *in, size_t n, buf *out);

#endif
