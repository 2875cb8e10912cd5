/*
 * compress — gzip with zlib for the answers whose client asks for it.
 */
#include "compress.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define ZLIB_CONST /* next_in is const: the body is only read */
#include <zlib.h>

/* A coding of the list, with its q: "gzip;q=0.5, br". q=0 means "not this one". */
bool compress_accepts_gzip(const char *ae)
{
	if (!ae)
		return false;
	const char *p = ae;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *name = p;
		while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		size_t n = (size_t)(p - name);
		bool gzip = (n == 4 && strncasecmp(name, "gzip", 4) == 0) ||
			    (n == 6 && strncasecmp(name, "x-gzip", 6) == 0);
		bool zero = false;
		while (*p && *p != ',') { /* parameters: only q matters */
			if (*p == ';') {
				p++;
				while (*p == ' ' || *p == '\t')
					p++;
				if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
					char *end;
					double q = strtod(p + 2, &end);
					zero = end != p + 2 && q <= 0.0;
					p = end;
					continue;
				}
			}
			if (*p)
				p++;
		}
		if (gzip)
			return !zero;
	}
	return false;
}

bool compress_type_worth(const char *ct)
{
	if (!ct)
		return false;
	return strncmp(ct, "text/", 5) == 0 || strncmp(ct, "application/json", 16) == 0 ||
	       strncmp(ct, "image/svg+xml", 13) == 0;
}

bool compress_gzip(const void *in, size_t n, buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip wrapper; level 5: most of the gain for a fraction of level 9's time */
	if (n > (1u << 30) ||
	    deflateInit2(&z, 5, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	size_t cap = deflateBound(&z, (uLong)n);
	size_t start = out->len;
	buf_reserve(out, cap + 1);
	z.next_in = in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->data + start;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	size_t made = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
		return false;
	out->len = start + made;
	out->data[out->len] = '\0'; /* a buf stays NUL-terminated, even holding bytes */
	return true;
}
