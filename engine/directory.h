/*
 * directory — sign-in through the collectivité's directory (LDAP: OpenLDAP, Active
 * Directory), configured in data/annuaire.lua (SPEC 12), through libldap.
 *
 * The password is checked by a bind as the person's entry and never kept; their name,
 * e-mail and groups are read at each sign-in, and the groups become grants through
 * the file's `groups` table. Nothing here touches the engine's databases: the use
 * case (uc_login) makes the account and its grants from what this says.
 */
#ifndef SMALLAPPS_DIRECTORY_H
#define SMALLAPPS_DIRECTORY_H

#include <stddef.h>

#define DIRECTORY_ERR 512

typedef enum directory_rc {
	DIRECTORY_OK = 0,
	DIRECTORY_DENIED,     /* no such person, several, or a wrong password */
	DIRECTORY_UNAVAILABLE /* the directory cannot be reached or answered an error */
} directory_rc;

typedef struct directory directory;

/*
 * Reads dir/annuaire.lua (run in the sandbox: stdlib_dir for its require). NULL with
 * err "" when there is no such file (no directory: local accounts only); NULL with
 * err saying what is wrong (file:line, or the key and why) when it cannot be used.
 */
directory *directory_open(const char *data_dir, const char *stdlib_dir, char err[DIRECTORY_ERR]);
void directory_close(directory *d);
const char *directory_url(const directory *d);

/* Who signed in: their grants as "app" and "role" pairs from the groups they are in. */
typedef struct directory_person {
	char *name, *email;
	char **apps, **roles;
	size_t ngrants;
} directory_person;
void directory_person_clear(directory_person *p);

/* Checks login and password against the directory; thread-safe (one connection per
 * call). why (for the log, never the person) says what went wrong. */
directory_rc directory_check(const directory *d, const char *login, const char *password,
			     directory_person *out, char why[DIRECTORY_ERR]);

#endif
