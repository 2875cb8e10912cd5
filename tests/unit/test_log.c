/* log: one message, one line, whatever text it carries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "log.h"

/* What log_message(component, "%s", msg) writes on stderr. Caller frees. */
static char *logged(const char *msg)
{
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	log_message("app", "essai: %s", msg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	off_t size = lseek(fd, 0, SEEK_END);
	char *out = calloc(1, (size_t)size + 1);
	assert_int_equal(pread(fd, out, (size_t)size, 0), size);
	close(fd);
	unlink(path);
	return out;
}

/* The message part: after "<timestamp> app essai: ". */
static const char *message_of(const char *line)
{
	const char *m = strstr(line, " app essai: ");
	assert_non_null(m);
	return m + strlen(" app essai: ");
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

/* A citizen's text logged by app code cannot forge a second line. */
static void control_characters_are_escaped(void **st)
{
	(void)st;
	char *line = logged("reçu : Banc\n2026-11-23T10:00:00Z http status=200\r\t\x01\x7f fin");
	assert_int_equal(count_char(line, '\n'), 1);
	assert_string_equal(message_of(line),
	                    "reçu : Banc\\n2026-11-23T10:00:00Z http status=200\\x0d\\t\\x01\\x7f fin\n");
	free(line);
}

/* One call cannot write megabytes: the rest is counted, and a character is never cut. */
static void long_messages_are_cut_on_a_character(void **st)
{
	(void)st;
	buf b = BUF_INIT;
	for (size_t i = 0; i < LOG_MAX_MESSAGE - strlen("essai: ") - 1; i++)
		buf_putc(&b, 'a');
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "é");
	char *line = logged(buf_cstr(&b));
	assert_int_equal(count_char(line, '\n'), 1);
	const char *m = message_of(line);
	const char *tail = strstr(m, " [... ");
	assert_non_null(tail);
	/* "essai: " + the a's + the é that ends on byte 4096 at most */
	size_t kept = strlen("essai: ") + (size_t)(tail - m);
	assert_true(kept <= LOG_MAX_MESSAGE);
	assert_true(kept >= LOG_MAX_MESSAGE - 1);
	assert_true(((unsigned char)tail[-1] & 0xC0) != 0xC0);   /* not a lead byte alone */
	char want[64];
	snprintf(want, sizeof want, " [... %zu octets de plus]\n",
	         strlen("essai: ") + b.len - kept);
	assert_string_equal(tail, want);
	buf_free(&b);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control_characters_are_escaped),
		cmocka_unit_test(long_messages_are_cut_on_a_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
