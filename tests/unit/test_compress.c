/* compress: which Accept-Encoding values take gzip, which types gain, and that what is
 * compressed is a gzip member zlib reads back to the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "compress.h"

static void accept_encoding_is_read_with_its_q(void **state)
{
	(void)state;
	assert_true(compress_accepts_gzip("gzip"));
	assert_true(compress_accepts_gzip("gzip, deflate, br, zstd"));
	assert_true(compress_accepts_gzip("br;q=1.0, GZIP;q=0.5"));
	assert_true(compress_accepts_gzip("x-gzip"));
	assert_true(compress_accepts_gzip("deflate,gzip;q=0.001"));
	assert_false(compress_accepts_gzip(NULL));
	assert_false(compress_accepts_gzip(""));
	assert_false(compress_accepts_gzip("identity"));
	assert_false(compress_accepts_gzip("br, deflate"));
	assert_false(compress_accepts_gzip("gzip;q=0"));
	assert_false(compress_accepts_gzip("gzip; q=0.0, br"));
	assert_false(compress_accepts_gzip("gzipped"));
	assert_false(compress_accepts_gzip(";;;,,,q=1"));
	assert_false(compress_accepts_gzip("*;q=0"));
}

static void only_text_json_and_svg_are_worth_it(void **state)
{
	(void)state;
	assert_true(compress_type_worth("text/html; charset=utf-8"));
	assert_true(compress_type_worth("text/css; charset=utf-8"));
	assert_true(compress_type_worth("application/json"));
	assert_true(compress_type_worth("image/svg+xml"));
	assert_false(compress_type_worth("image/png"));
	assert_false(compress_type_worth("application/octet-stream"));
	assert_false(compress_type_worth(NULL));
}

static void what_is_compressed_reads_back_the_same(void **state)
{
	(void)state;
	static char page[20000];
	for (size_t i = 0; i < sizeof page; i++)
		page[i] = "<p>Réclamation n° </p>\n"[i % 24];
	buf z = BUF_INIT;
	buf_puts(&z, "x"); /* appended after what is there */
	assert_true(compress_gzip(page, sizeof page, &z));
	assert_true(z.len > 1 && z.len < sizeof page / 4);
	assert_int_equal((unsigned char)z.data[1], 0x1f); /* gzip magic */
	assert_int_equal((unsigned char)z.data[2], 0x8b);
	static char back[sizeof page];
	z_stream s;
	memset(&s, 0, sizeof s);
	assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
	s.next_in = (Bytef *)z.data + 1;
	s.avail_in = (uInt)(z.len - 1);
	s.next_out = (Bytef *)back;
	s.avail_out = sizeof back;
	assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
	assert_int_equal(s.total_out, sizeof page);
	inflateEnd(&s);
	assert_memory_equal(back, page, sizeof page);
	buf_free(&z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(accept_encoding_is_read_with_its_q),
	    cmocka_unit_test(only_text_json_and_svg_are_worth_it),
	    cmocka_unit_test(what_is_compressed_reads_back_the_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
