/*
 * test_site — the contrast rule of data/site.lua's colour (WCAG 2.1: at least 4.5:1 with
 * white, since the colour is that of links on white and of buttons with white text).
 * tests/http/site.py checks the file itself against the real server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "site.h"

static void contrast_with_white_follows_wcag(void **state)
{
	(void)state;
	assert_true(site_contrast_with_white("#ffffff") > 0.999);
	assert_true(site_contrast_with_white("#ffffff") < 1.001);
	assert_true(site_contrast_with_white("#000000") > 20.99); /* 21:1, the most */
	/* the threshold falls between these two greys: #767676 passes, #777777 does not */
	assert_true(site_contrast_with_white("#767676") >= 4.5);
	assert_true(site_contrast_with_white("#777777") < 4.5);
	assert_true(site_contrast_with_white("#000091") > 14); /* the State's blue */
	assert_true(site_contrast_with_white("#7fb2e5") < 2.3);
	assert_true(site_contrast_with_white("#7FB2E5") < 2.3); /* either case */
}

static void a_colour_that_is_not_rrggbb_has_no_contrast(void **state)
{
	(void)state;
	const char *bad[] = {"red", "#fff", "#12345", "#1234567", "#12345g", "000091", "", NULL};
	for (size_t i = 0; bad[i]; i++)
		assert_true(site_contrast_with_white(bad[i]) == 0);
	assert_true(site_contrast_with_white(NULL) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(contrast_with_white_follows_wcag),
	    cmocka_unit_test(a_colour_that_is_not_rrggbb_has_no_contrast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
