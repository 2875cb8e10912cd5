/*
 * cli_help — the command line's help texts (see cli_help.h). One table: each command,
 * its synopsis and what it does, and its own options; the storage options every
 * command takes are listed once.
 */
#include "cli_help.h"

#include <string.h>

#include "util.h"

static const char *const STORAGE[] = {"--apps", "--data", "--database", NULL};

typedef struct command {
	const char *name;
	const char *usage; /* synopsis and description, each line indented by two */
	const char *const *options;
} command;

static const char *const SERVE_OPTS[] = {"--listen",
					 "--threads",
					 "--base-url",
					 "--smtp",
					 "--smtp-ca",
					 "--mail-from",
					 "--trust-header",
					 "--trusted-proxies",
					 "--max-conns-per-address",
					 "--header-timeout",
					 "--lua-threads",
					 "--max-upload",
					 "--port-file",
					 NULL};
static const char *const CHECK_OPTS[] = {"--json", NULL};
static const char *const TEST_OPTS[] = {"--coverage", NULL};
static const char *const USER_OPTS[] = {"--name", "--email", "--admin", "--password-stdin", NULL};
static const char *const TOKEN_OPTS[] = {"--label", NULL};
static const char *const EXPORT_OPTS[] = {"--format", "--open-data", "--out", NULL};
static const char *const NONE[] = {NULL};

static const command COMMANDS[] = {
    {"serve",
     "serve  [--apps DIR] [--data DIR] [--database URL] [--listen HOST:PORT]\n"
     "       [--threads N] [--base-url URL] [--smtp URL] [--smtp-ca PEM]\n"
     "       [--mail-from ADDR] [--trust-header NAME]\n"
     "       [--trusted-proxies LIST]   (proxies whose --trust-header is believed)\n"
     "       [--max-conns-per-address N] (default 256; 0: no limit)\n"
     "       [--header-timeout SECONDS]  (to send a request's headers; default 10)\n"
     "       [--lua-threads N]           (threads running app code; default --threads)\n"
     "       [--max-upload MB]           (a form's files in all; default 64)\n"
     "       [--port-file FILE]          (writes the port it listens on)\n"
     "  serves the apps of --apps (watched: a copied folder is served within two\n"
     "  seconds), HTML and the JSON API; data/annuaire.lua: sign-in through LDAP\n",
     SERVE_OPTS},
    {"check",
     "check  [--json] [APP_DIR...]\n"
     "  lints definitions (default: every app), each problem with where it is;\n"
     "  exit 1 on any error\n",
     CHECK_OPTS},
    {"new",
     "new    ID\n"
     "  scaffolds apps/ID: a commented app.lua and tests/exemple.lua\n",
     NONE},
    {"test",
     "test   [--coverage] [APP_DIR...]\n"
     "  runs each app's tests/*.lua (default: every app), each on a throw-away\n"
     "  database; --coverage lists the transitions and states no test reached\n",
     TEST_OPTS},
    {"user",
     "user   add LOGIN [--name N] [--email E] [--admin] [--password-stdin]\n"
     "user   grant LOGIN APP:ROLE | revoke LOGIN APP:ROLE | list\n"
     "  people and their roles, each change in the audit log\n",
     USER_OPTS},
    {"token",
     "token  create LOGIN [--label L]\n"
     "  prints a new API token for LOGIN (kept by its hash only)\n",
     TOKEN_OPTS},
    {"tick",
     "tick\n"
     "  runs the scheduler once: automatic transitions, retention purges\n",
     NONE},
    {"backup",
     "backup DIR\n"
     "  a consistent copy of data/ (SQLite) while a server writes; PostgreSQL: pg_dump\n",
     NONE},
    {"audit",
     "audit  verify\n"
     "  checks the audit log's chain; exit 1 and the first altered line if broken\n",
     NONE},
    {"export",
     "export APP FORM [--format csv|json] [--open-data] [--out FILE]\n"
     "  every record (csv: for French spreadsheets; json: JSON Lines); --open-data\n"
     "  leaves out personal, private and file fields, and with --out F.csv writes\n"
     "  F.schema.json beside it\n",
     EXPORT_OPTS},
    {"demo",
     "demo   [APP...]\n"
     "  creates demo users (password demo) for the roles of these apps (default: all)\n",
     NONE},
    {"help",
     "help   [COMMAND]\n"
     "  this text, or one command's (also: smallapps COMMAND --help)\n",
     NONE},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const char SHARED[] =
    "Every command accepts --apps DIR and --data DIR (defaults ./apps and ./data), and\n"
    "--database postgres://USER@HOST/DB to keep the data in PostgreSQL instead of\n"
    "SQLite files under --data.\n";

static const char ENVIRONMENT[] =
    "Environment: SMALLAPPS_APPS, _DATA, _DATABASE, _LISTEN, _THREADS, _BASE_URL, _SMTP,\n"
    "  _SMTP_CA, _MAIL_FROM, _TRUST_HEADER, _TRUSTED_PROXIES, _MAX_CONNS_PER_ADDRESS,\n"
    "  _HEADER_TIMEOUT, _LUA_THREADS stand for the flags of the same name (a flag wins);\n"
    "  SMALLAPPS_ADMIN_PASSWORD sets the first admin's password; SMALLAPPS_NOW\n"
    "  (2026-11-23T10:00:00Z) fixes the clock, for tests and demos.\n";

static const command *find(const char *name)
{
	for (size_t i = 0; name && i < NCOMMANDS; i++)
		if (strcmp(COMMANDS[i].name, name) == 0)
			return &COMMANDS[i];
	return NULL;
}

/* The usage text with each line indented by two. */
static void put_indented(FILE *f, const char *text)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(f, "  %.*s\n", (int)n, p);
		p += n + (nl != NULL);
	}
}

void cli_usage(FILE *f)
{
	fputs("usage: smallapps <command> [options]   (smallapps help COMMAND: one command)\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		put_indented(f, COMMANDS[i].usage);
	fputs(SHARED, f);
	fputs(ENVIRONMENT, f);
}

bool cli_command_usage(FILE *f, const char *cmd)
{
	const command *c = find(cmd);
	if (!c)
		return false;
	fputs("usage: smallapps ", f);
	fputs(c->usage, f);
	fputs(SHARED, f);
	if (strcmp(c->name, "serve") == 0)
		fputs(ENVIRONMENT, f);
	return true;
}

/* The nearest of list to opt: a prefix of it, or one or two typos away. */
static const char *nearest(const char *opt, const char *const *list, int *best)
{
	const char *hit = NULL;
	for (size_t i = 0; list[i]; i++) {
		int d = strncmp(list[i], opt, strlen(opt)) == 0 && strlen(opt) > 3
			    ? 1
			    : util_edit_distance(opt, list[i], 2);
		if (d <= 2 && d < *best) {
			*best = d;
			hit = list[i];
		}
	}
	return hit;
}

void cli_unknown_option(const char *cmd, const char *opt)
{
	const command *c = find(cmd);
	const char *const *own = c ? c->options : NONE;
	int best = 3;
	const char *near = nearest(opt, own, &best);
	const char *shared = nearest(opt, STORAGE, &best);
	if (shared)
		near = shared;
	fprintf(stderr, "smallapps %s: unknown option %s", cmd, opt);
	if (near)
		fprintf(stderr, " (did you mean %s?)", near);
	fputs("\n  options:", stderr);
	for (size_t i = 0; own[i]; i++)
		fprintf(stderr, " %s", own[i]);
	for (size_t i = 0; STORAGE[i]; i++)
		fprintf(stderr, " %s", STORAGE[i]);
	fprintf(stderr, " --help\n  (smallapps help %s)\n", c ? c->name : "");
}
