/*
 * urlencoded — fuzz target: application/x-www-form-urlencoded bodies, as the HTML
 * door reads them (req_parse_urlencoded), then through the write pipeline.
 *
 * What must hold, whatever the bytes:
 *   - req_parse_urlencoded agrees with an independent decoder written here from the
 *     WHATWG rules the engine follows ('&' separates pairs, empty ones skipped, the
 *     first '=' splits, '+' is a space, %XX a byte; a broken escape, a NUL or bad
 *     UTF-8 refuses the whole body): same verdict, same pairs in the same order;
 *     every decoded name and value is UTF-8 without NUL;
 *   - the pairs, encoded again (buf_urlenc) and decoded, come back the same;
 *   - the pairs as an HTML submission of essai's "demande" form, by a demandeur and
 *     by an admin (pipeline_create, the HTML door): accepted, or refused with
 *     messages, never an error; an accepted record passes fixture_check_accepted
 *     (stored kinds, API round trip, resubmitted through the edit form unchanged).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fixture.h"
#include "fuzz.h"
#include "req.h"
#include "sandbox.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine_init();
	fixture_essai();
	return 0;
}

/* ---- the independent decoder ---- */

static int hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes s[0..n) into out (caller frees); false on a broken escape, a NUL or bad UTF-8. */
static bool decode(const char *s, size_t n, char **out)
{
	char *d = malloc(n + 1);
	size_t k = 0;
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		if (s[i] == '+') {
			d[k++] = ' ';
		} else if (s[i] != '%') {
			d[k++] = s[i];
		} else if (n - i >= 3 && hex((unsigned char)s[i + 1]) >= 0 &&
			   hex((unsigned char)s[i + 2]) >= 0) {
			d[k++] = (char)(hex((unsigned char)s[i + 1]) * 16 +
					hex((unsigned char)s[i + 2]));
			i += 2;
		} else {
			ok = false;
		}
	}
	d[k] = '\0';
	ok = ok && memchr(d, '\0', k) == NULL && fuzz_utf8_valid(d, k);
	if (!ok) {
		free(d);
		return false;
	}
	*out = d;
	return true;
}

typedef struct pairs {
	char **name, **value;
	size_t n;
} pairs;

static void pairs_free(pairs *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->name[i]);
		free(p->value[i]);
	}
	free(p->name);
	free(p->value);
}

static bool reference(const char *s, size_t n, pairs *out)
{
	out->name = calloc(n + 1, sizeof *out->name);
	out->value = calloc(n + 1, sizeof *out->value);
	out->n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '&')
			continue;
		const char *seg = s + start;
		size_t len = i - start;
		start = i + 1;
		if (len == 0)
			continue;
		const char *eq = memchr(seg, '=', len);
		size_t nl = eq ? (size_t)(eq - seg) : len;
		char *name = NULL, *val = NULL;
		if (!decode(seg, nl, &name))
			return false;
		if (!(eq ? decode(eq + 1, len - nl - 1, &val) : (val = strdup("")) != NULL)) {
			free(name);
			return false;
		}
		out->name[out->n] = name;
		out->value[out->n++] = val;
	}
	return true;
}

/* ---- the target ---- */

static void same_pairs(const req_kvs *kv, char *const *names, char *const *values, size_t n,
		       const char *what)
{
	FUZZ_CHECK(kv->n == n, "%s: %zu pairs, expected %zu", what, kv->n, n);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(kv->v[i].name, names[i]) == 0 &&
			       strcmp(kv->v[i].value, values[i]) == 0,
			   "%s: pair %zu is \"%s\"=\"%s\", expected \"%s\"=\"%s\"", what, i,
			   kv->v[i].name, kv->v[i].value, names[i], values[i]);
}

static void through_pipeline(const req_kvs *kv, const actor *who)
{
	pipe_pair *pp = calloc(kv->n + 1, sizeof *pp);
	for (size_t i = 0; i < kv->n; i++)
		pp[i] = (pipe_pair){kv->v[i].name, kv->v[i].value};
	write_in in = {.pairs = pp, .npairs = kv->n};
	pipe_ctx c = fixture_ctx(fixture_form("demande"), who);
	record r;
	field_errors errs = {0};
	char err[SANDBOX_ERR] = "";
	int rc = pipeline_create(&c, &in, &r, &errs, err);
	FUZZ_CHECK(rc == PIPE_OK || rc == PIPE_INVALID, "pipeline error on a form: %s", err);
	if (rc == PIPE_OK)
		fixture_check_accepted(&c, &r, true);
	else
		fixture_check_refused(&errs);
	record_clear(&r);
	field_errors_clear(&errs);
	/* What a refused form shows again: parsing alone, no rules. */
	pipeline_echo(&c, &in, &r);
	record_clear(&r);
	free(pp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	/* An exact-size copy without a terminating NUL: reading past n is caught. */
	const char *s = (const char *)data;
	arena a = ARENA_INIT;
	req_kvs kv;
	int rc = req_parse_urlencoded(&a, s, size, &kv);
	pairs ref = {0};
	bool ok = reference(s, size, &ref);
	FUZZ_CHECK((rc == 0) == ok, "req_parse_urlencoded says %d, the reference %s", rc,
		   ok ? "accepts" : "refuses");
	if (ok) {
		same_pairs(&kv, ref.name, ref.value, ref.n, "decoded");
		for (size_t i = 0; i < kv.n; i++)
			FUZZ_CHECK(util_utf8_valid(kv.v[i].name, strlen(kv.v[i].name)) &&
				       util_utf8_valid(kv.v[i].value, strlen(kv.v[i].value)),
				   "pair %zu is not UTF-8", i);

		/* Encoded again, the pairs decode to themselves. */
		buf enc = BUF_INIT;
		for (size_t i = 0; i < kv.n; i++) {
			if (i)
				buf_putc(&enc, '&');
			buf_urlenc(&enc, kv.v[i].name);
			buf_putc(&enc, '=');
			buf_urlenc(&enc, kv.v[i].value);
		}
		req_kvs again;
		FUZZ_CHECK(req_parse_urlencoded(&a, enc.data ? enc.data : "", enc.len, &again) == 0,
			   "re-encoded pairs refused: %s", buf_cstr(&enc));
		same_pairs(&again, ref.name, ref.value, ref.n, "re-encoded");
		buf_free(&enc);

		through_pipeline(&kv, fixture_demandeur());
		through_pipeline(&kv, fixture_admin());
	}
	pairs_free(&ref);
	arena_free(&a);
	/*
	 * The hooks' Lua state is cached per thread and garbage-collected later: with it
	 * alive, nearly every input ends with more allocations than frees, and libFuzzer
	 * then runs a full leak scan each time (nine tenths of the time). Closed here, an
	 * input's own leaks still show.
	 */
	sandbox_thread_cleanup();
	return 0;
}
