/*
 * local_path — fuzz target: redirect targets (util_local_path), the check that keeps
 * the login's ?next= and every Location on this site.
 *
 * The input, up to its first NUL, is the candidate. What must hold:
 *   - the verdict and the text match a reference written here from the WHATWG URL
 *     parser's steps the engine follows: strip leading and trailing C0 controls and
 *     spaces, remove TAB/LF/CR anywhere, refuse any other control; what remains is
 *     local when it starts with "/" not followed by "/" or "\" (those name a host);
 *   - what is accepted is that text exactly, holds no control character, and is
 *     accepted again unchanged (what reaches the Location header is what was checked);
 *   - a smaller output buffer never overflows (exact-size heap buffers, so ASan sees
 *     one byte too many) and never turns a refusal into an acceptance.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util.h"

/* The reference: the browser's reading of s, or NULL when it is not a local path. */
static char *reference(const char *s)
{
	size_t start = 0, end = strlen(s);
	while (start < end && (unsigned char)s[start] <= 0x20)
		start++;
	while (end > start && (unsigned char)s[end - 1] <= 0x20)
		end--;
	char *out = malloc(end - start + 1);
	size_t k = 0;
	for (size_t i = start; i < end; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c < 0x20 || c == 0x7f) {
			free(out);
			return NULL;
		}
		out[k++] = (char)c;
	}
	out[k] = '\0';
	if (k == 0 || out[0] != '/' || (k > 1 && (out[1] == '/' || out[1] == '\\'))) {
		free(out);
		return NULL;
	}
	return out;
}

/* util_local_path into an exact-size heap buffer of outlen bytes. */
static bool run(const char *in, size_t outlen, char **out)
{
	*out = malloc(outlen ? outlen : 1);
	return util_local_path(in, *out, outlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16 * 1024)
		return 0;
	char *in = malloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\0';
	size_t len = strlen(in);
	char *want = reference(in);

	/* Room for anything: the verdict is the reference's. */
	char *got;
	bool ok = run(in, len + 2, &got);
	FUZZ_CHECK(ok == (want != NULL), "util_local_path says %d, the reference %d", ok,
		   want != NULL);
	if (ok) {
		FUZZ_CHECK(strcmp(got, want) == 0, "accepted as \"%s\", the browser reads \"%s\"",
			   got, want);
		for (const unsigned char *p = (const unsigned char *)got; *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p != 0x7f, "a control character accepted");
		char *again;
		FUZZ_CHECK(run(got, strlen(got) + 1, &again) && strcmp(again, got) == 0,
			   "what was accepted is not accepted again as it is");
		free(again);
	}
	free(got);

	/* Every smaller buffer: no overflow, and no acceptance the full check refused. */
	for (size_t outlen = 0; outlen <= len + 1 && outlen < 64; outlen++) {
		bool small = run(in, outlen, &got);
		FUZZ_CHECK(!small || (ok && strcmp(got, want) == 0),
			   "a %zu-byte buffer accepts what the full check %s", outlen,
			   ok ? "reads otherwise" : "refuses");
		free(got);
	}
	free(want);
	free(in);
	return 0;
}
