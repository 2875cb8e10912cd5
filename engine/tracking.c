/*
 * tracking — public tracking tokens (see tracking.h).
 */
#include "tracking.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define TOKEN_BYTES 20

int tracking_load_key(const char *data_dir, unsigned char key[TRACKING_KEY_LEN], char err[256])
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/tracking.key", data_dir);
	char hex[2 * TRACKING_KEY_LEN + 2] = "";
	mkdir(data_dir, 0750); /* a first start: the folder may not exist yet */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* First use: O_EXCL, so two processes starting together agree on one key. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			util_random_hex(hex, TRACKING_KEY_LEN);
			hex[2 * TRACKING_KEY_LEN] = '\n';
			bool ok =
			    write(fd, hex, 2 * TRACKING_KEY_LEN + 1) == 2 * TRACKING_KEY_LEN + 1 &&
			    fsync(fd) == 0;
			close(fd);
			if (!ok) {
				unlink(path);
				snprintf(err, 256, "cannot write %.180s: %s", path,
					 strerror(errno));
				return -1;
			}
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, 256, "cannot read %.180s: %s", path, strerror(errno));
		return -1;
	}
	ssize_t n = read(fd, hex, sizeof hex - 1);
	close(fd);
	size_t bin = 0;
	if (n < 2 * TRACKING_KEY_LEN ||
	    sodium_hex2bin(key, TRACKING_KEY_LEN, hex, 2 * TRACKING_KEY_LEN, NULL, &bin, NULL) !=
		0 ||
	    bin != TRACKING_KEY_LEN) {
		snprintf(err, 256, "%.180s: expected %d hex characters", path,
			 2 * TRACKING_KEY_LEN);
		sodium_memzero(hex, sizeof hex);
		return -1;
	}
	sodium_memzero(hex, sizeof hex);
	return 0;
}

void tracking_token(const unsigned char key[TRACKING_KEY_LEN], const char *app_id,
		    const char *form_id, int64_t id, char out[TRACKING_TOKEN_LEN])
{
	char msg[160];
	int len = snprintf(msg, sizeof msg, "%s/%s/%lld", app_id, form_id, (long long)id);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (size_t)len, key);
	util_hex(mac, TOKEN_BYTES, out);
	sodium_memzero(mac, sizeof mac);
}

void tracking_hash(const char *token, char out[65])
{
	util_sha256_hex(token, strlen(token), out);
}

bool tracking_enabled(const def_form *f)
{
	return def_strlist_has(&f->access.create, "public");
}
