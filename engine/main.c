/*
 * main — the command line (SPEC 8): argument parsing only, then calls into the
 * modules. Every flag has an environment twin (SMALLAPPS_<FLAG>).
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apptest.h"
#include "auth.h"
#include "cli_help.h"
#include "diag.h"
#include "directory.h"
#include "export.h"
#include "loader.h"
#include "log.h"
#include "netaddr.h"
#include "outbox.h"
#include "registry.h"
#include "sandbox.h"
#include "sandbox_pool.h"
#include "scheduler.h"
#include "server.h"
#include "site.h"
#include "throttle.h"
#include "usecase.h"
#include "util.h"

typedef struct opts {
	const char *apps;
	const char *database;	/* NULL: SQLite files under --data */
	store_backend *backend; /* opened by main for the commands that store */
	const char *data;
	const char *listen;
	const char *base_url;
	const char *smtp;
	const char *smtp_ca;
	const char *mail_from;
	const char *trust_header;
	const char *trusted_proxies;
	const char *port_file;
	int threads;
	int max_conns_per_addr;
	int header_timeout;
	int lua_threads;
	int max_upload_mb;
	char upload_dir[PATH_MAX];
	char stdlib[PATH_MAX];
	/* sub-command arguments, flags removed */
	const char *args[32];
	int nargs;
	bool json, admin, password_stdin, open_data, coverage;
	const char *name, *email, *label, *format, *out;
} opts;

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

/* stdlib-lua/ next to the binary (build/../stdlib-lua), or SMALLAPPS_STDLIB. */
static void find_stdlib(char out[PATH_MAX])
{
	const char *env = getenv("SMALLAPPS_STDLIB");
	if (env && *env) {
		snprintf(out, PATH_MAX, "%s", env);
		return;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *dir = dirname(exe);
		const char *cands[] = {"/stdlib-lua", "/../stdlib-lua",
				       "/../share/smallapps/stdlib-lua"};
		for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
			char p[PATH_MAX + 64];
			snprintf(p, sizeof p, "%s%s", dir, cands[i]);
			struct stat st;
			if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && realpath(p, out))
				return;
		}
	}
	snprintf(out, PATH_MAX, "stdlib-lua");
}

/* A numeric flag and the environment variable that stands for it. */
typedef struct count_opt {
	const char *flag, *env;
	int *dst;
	long min, max;
	const char *zero; /* what 0 means, when it is allowed */
} count_opt;

/* Digits only, within bounds: "12abc", "" or "-1" is refused, never read as 12 or 0. */
static int count_arg(const count_opt *c, const char *given_as, const char *text)
{
	char *end = NULL;
	errno = 0;
	long v = text && *text >= '0' && *text <= '9' ? strtol(text, &end, 10) : -1;
	if (!text || !end || *end || errno || v < c->min || v > c->max) {
		fprintf(stderr,
			"smallapps: %s needs a whole number between %ld%s%s%s and %ld (got "
			"\"%.40s\")\n",
			given_as, c->min, c->zero ? " (" : "", c->zero ? c->zero : "",
			c->zero ? ")" : "", c->max, text ? text : "");
		return -1;
	}
	*c->dst = (int)v;
	return 0;
}

/* What a flag not given means: its environment variable, else the default. */
static void defaults(opts *o)
{
	o->apps = env_or("SMALLAPPS_APPS", "apps");
	o->data = env_or("SMALLAPPS_DATA", "data");
	o->database = env_or("SMALLAPPS_DATABASE", NULL);
	o->listen = env_or("SMALLAPPS_LISTEN", "127.0.0.1:8080");
	o->base_url = env_or("SMALLAPPS_BASE_URL", NULL);
	o->smtp = env_or("SMALLAPPS_SMTP", NULL);
	o->smtp_ca = env_or("SMALLAPPS_SMTP_CA", NULL);
	o->mail_from = env_or("SMALLAPPS_MAIL_FROM", "smallapps@localhost");
	o->trust_header = env_or("SMALLAPPS_TRUST_HEADER", NULL);
	o->trusted_proxies = env_or("SMALLAPPS_TRUSTED_PROXIES", NULL);
	o->port_file = env_or("SMALLAPPS_PORT_FILE", NULL);
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	o->threads = nproc > 0 ? (int)nproc : 2;
	o->max_conns_per_addr = 256;
	o->header_timeout = 10;
	o->lua_threads = 0;
	o->max_upload_mb = 64;
}

static int parse(int argc, char **argv, opts *o)
{
	defaults(o);
	const count_opt counts[] = {
	    {"--threads", "SMALLAPPS_THREADS", &o->threads, 1, 256, NULL},
	    {"--max-conns-per-address", "SMALLAPPS_MAX_CONNS_PER_ADDRESS", &o->max_conns_per_addr,
	     0, 100000, "no limit"},
	    {"--header-timeout", "SMALLAPPS_HEADER_TIMEOUT", &o->header_timeout, 0, 100000,
	     "no deadline"},
	    {"--lua-threads", "SMALLAPPS_LUA_THREADS", &o->lua_threads, 0, 256,
	     "as many as --threads"},
	    {"--max-upload", "SMALLAPPS_MAX_UPLOAD", &o->max_upload_mb, 1, 1 << 20, NULL},
	};
	const size_t ncounts = sizeof counts / sizeof *counts;
	for (size_t k = 0; k < ncounts; k++)
		if (getenv(counts[k].env) && *getenv(counts[k].env) &&
		    count_arg(&counts[k], counts[k].env, getenv(counts[k].env)) != 0)
			return -1;
	const struct {
		const char *flag;
		const char **dst;
	} texts[] = {
	    {"--apps", &o->apps},
	    {"--data", &o->data},
	    {"--database", &o->database},
	    {"--listen", &o->listen},
	    {"--base-url", &o->base_url},
	    {"--smtp", &o->smtp},
	    {"--smtp-ca", &o->smtp_ca},
	    {"--mail-from", &o->mail_from},
	    {"--trust-header", &o->trust_header},
	    {"--trusted-proxies", &o->trusted_proxies},
	    {"--port-file", &o->port_file},
	    {"--name", &o->name},
	    {"--email", &o->email},
	    {"--label", &o->label},
	    {"--format", &o->format},
	    {"--out", &o->out},
	};
	const struct {
		const char *flag;
		bool *dst;
	} flags[] = {{"--json", &o->json},
		     {"--admin", &o->admin},
		     {"--password-stdin", &o->password_stdin},
		     {"--open-data", &o->open_data},
		     {"--coverage", &o->coverage}};
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		bool known = false;
		for (size_t k = 0; k < sizeof texts / sizeof *texts && !known; k++)
			if ((known = strcmp(a, texts[k].flag) == 0)) {
				if (!next) {
					fprintf(stderr, "smallapps: %s needs a value\n", a);
					return -1;
				}
				*texts[k].dst = next;
				i++;
			}
		for (size_t k = 0; k < ncounts && !known; k++)
			if ((known = strcmp(a, counts[k].flag) == 0)) {
				if (count_arg(&counts[k], a, next) != 0)
					return -1;
				i++;
			}
		for (size_t k = 0; k < sizeof flags / sizeof *flags && !known; k++)
			if ((known = strcmp(a, flags[k].flag) == 0))
				*flags[k].dst = true;
		if (known)
			continue;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			if (!cli_command_usage(stdout, argv[1]))
				cli_usage(stdout);
			return 1; /* shown: nothing else to do */
		}
		if (strncmp(a, "--", 2) == 0) {
			cli_unknown_option(argv[1], a);
			return -1;
		}
		if (o->nargs == 32) {
			fprintf(stderr, "smallapps: too many arguments\n");
			return -1;
		}
		o->args[o->nargs++] = a;
	}
	find_stdlib(o->stdlib);
	snprintf(o->upload_dir, sizeof o->upload_dir, "%s/tmp", o->data);
	return 0;
}

static off_t file_size(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return stat(p, &st) == 0 ? st.st_size : -1;
}

/*
 * Users, grants and tokens live in system.db. A missing or empty one next to app
 * databases is a lost or truncated file, not a first start: starting afresh would
 * hand out a new admin over the old data and drop every account without a word.
 * (An empty system.db with a non-empty system.db-wal is a database that was never
 * checkpointed: it is intact.)
 */
static bool system_db_lost(const char *data)
{
	if (file_size(data, "system.db") > 0 || file_size(data, "system.db-wal") > 0)
		return false;
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/apps", data);
	DIR *d = opendir(p);
	if (!d)
		return false;
	bool any = false;
	struct dirent *e;
	while (!any && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		any = l > 3 && strcmp(e->d_name + l - 3, ".db") == 0;
	}
	closedir(d);
	return any;
}

static auth *open_auth(const opts *o)
{
	const char *fresh = getenv("SMALLAPPS_NEW_SYSTEM_DB");
	if (!store_backend_shared(o->backend) && system_db_lost(o->data) &&
	    !(fresh && strcmp(fresh, "1") == 0)) {
		fprintf(
		    stderr,
		    "smallapps: %s/system.db is missing or empty, but %s/apps holds app data:\n"
		    "  restore system.db (users, grants, tokens, audit) from the backup of %s.\n"
		    "  To start over with new accounts on the existing app data, run again with\n"
		    "  SMALLAPPS_NEW_SYSTEM_DB=1 (a new admin is created).\n",
		    o->data, o->data, o->data);
		return NULL;
	}
	char err[AUTH_ERR_LEN];
	auth *a = auth_open(o->backend, err);
	if (!a)
		fprintf(stderr, "smallapps: %s\n", err);
	return a;
}

static int ensure_admin(auth *a)
{
	int64_t n = 0;
	if (auth_admin_count(a, &n) != AUTH_OK)
		return -1;
	if (n > 0)
		return 0;
	const char *pw = getenv("SMALLAPPS_ADMIN_PASSWORD");
	char generated[33];
	if (!pw || !*pw) {
		util_random_hex(generated, 16);
		pw = generated;
	}
	char err[AUTH_ERR_LEN] = "";
	int rc = auth_user_add(a, "admin", "Administrateur", NULL, true, pw, "system", err);
	if (rc == AUTH_EXISTS)
		return 0; /* another engine of the cluster, starting at the same time, made it */
	if (rc != AUTH_OK) {
		fprintf(stderr, "smallapps: cannot create the admin: %s\n", err);
		return -1;
	}
	if (pw == generated)
		printf("\nFirst start: admin account created.\n  login: admin\n  password: %s\n"
		       "(shown once; set SMALLAPPS_ADMIN_PASSWORD to choose it)\n\n",
		       generated);
	else
		printf("First start: admin account created (password from "
		       "SMALLAPPS_ADMIN_PASSWORD).\n");
	fflush(stdout);
	return 0;
}

/* The address put in mails: --base-url, or the listening address. */
static void base_url(const opts *o, char *out, size_t n)
{
	if (o->base_url && *o->base_url)
		snprintf(out, n, "%s", o->base_url);
	else
		snprintf(out, n, "http://%s", o->listen);
	size_t len = strlen(out);
	if (len && out[len - 1] == '/')
		out[len - 1] = '\0';
}

/* `tick`: the scheduler's work, once, as of the process clock (SMALLAPPS_NOW honoured). */
static int cmd_tick(const opts *o)
{
	registry_opts ro = {.apps_dir = o->apps,
			    .data_dir = o->data,
			    .backend = o->backend,
			    .stdlib_dir = o->stdlib,
			    .quiet = true,
			    .no_publish = true};
	/* Purges are audited: no tick without the audit log. */
	auth *au = open_auth(o);
	if (!au)
		return 1;
	uc_env env = {.reg = registry_open(&ro),
		      .backend = o->backend,
		      .upload_dir = o->upload_dir,
		      .au = au};
	registry_scan(env.reg);
	base_url(o, env.base_url, sizeof env.base_url);
	tick_result res = {0};
	uc_tick(&env, util_now(), NULL, &res);
	registry_close(env.reg);
	auth_close(au);
	if (res.done_by[0]) {
		printf(
		    "0 enregistrement(s) déplacé(s) : le passage de cette minute est celui de %s\n",
		    res.done_by);
		return 0;
	}
	printf("%d enregistrement(s) déplacé(s) par les transitions automatiques\n", res.moved);
	printf("%d enregistrement(s) purgé(s) (durée de conservation écoulée)\n", res.purged);
	printf("%d brouillon(s) supprimé(s) (conservation écoulée)\n", res.drafts_purged);
	if (res.failed || res.errors)
		fprintf(
		    stderr,
		    "smallapps tick: %d enregistrement(s) non déplacé(s), %d erreur(s) de lecture "
		    "ou d'écriture (détails ci-dessus)\n",
		    res.failed, res.errors);
	return res.errors ? 1 : 0;
}

/* F.csv -> F.schema.json (F -> F.schema.json); caller frees. */
static char *schema_path(const char *out)
{
	size_t n = strlen(out);
	if (n > 4 && strcmp(out + n - 4, ".csv") == 0)
		n -= 4;
	buf p = BUF_INIT;
	buf_add(&p, out, n);
	buf_puts(&p, ".schema.json");
	return buf_steal(&p);
}

/* Writes the Table Schema of the open-data CSV beside it. */
static int write_schema(const char *csv_path, const def_app *app, const def_form *f)
{
	char *path = schema_path(csv_path);
	json_t *s = export_table_schema(app, f);
	int rc = json_dump_file(s, path, JSON_INDENT(2)) == 0 ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "smallapps export: cannot write %s: %s\n", path, strerror(errno));
	json_decref(s);
	free(path);
	return rc;
}

/* The export of one form by whoever runs the command (as an admin), to out. */
static int export_to(const opts *o, uc_env *env, app_rt *app, const def_form *f, FILE *out)
{
	char who[96];
	const char *unix_user = getenv("USER");
	snprintf(who, sizeof who, "cli:%.80s", unix_user && *unix_user ? unix_user : "?");
	auth_user admin = {.login = who, .name = who, .admin = true};
	arena mem = ARENA_INIT;
	uc_call c;
	uc_call_init(&c, env, app, f, &admin, LANG_FR, &mem);
	uc_list_query q = {.limit = 1};
	uc_result res = {0};
	int64_t rows = 0;
	export_format fmt = o->format && strcmp(o->format, "json") == 0 ? EXPORT_JSONL : EXPORT_CSV;
	uc_status st = export_write(out, &c, &q, fmt, o->open_data, &rows, &res);
	if (st == UC_OK && o->out)
		fprintf(stderr, "%lld enregistrement(s) exporté(s) dans %s\n", (long long)rows,
			o->out);
	else if (st == UC_UNAVAILABLE)
		fprintf(stderr, "smallapps export: the database cannot be reached\n");
	else if (st != UC_OK)
		fprintf(stderr, "smallapps export: %s\n", res.msg[0] ? res.msg : "failed");
	uc_result_clear(&res);
	arena_free(&mem);
	return st == UC_OK ? 0 : 1;
}

/* `export APP FORM`: every record, to stdout or --out; the schema with --open-data. */
static int cmd_export(const opts *o)
{
	if (o->nargs != 2 ||
	    (o->format && strcmp(o->format, "csv") != 0 && strcmp(o->format, "json") != 0)) {
		fprintf(stderr, "smallapps export: APP FORM [--format csv|json] [--open-data] "
				"[--out FILE]\n");
		return 2;
	}
	registry_opts ro = {.apps_dir = o->apps,
			    .data_dir = o->data,
			    .backend = o->backend,
			    .stdlib_dir = o->stdlib,
			    .quiet = true,
			    .no_publish = true};
	uc_env env = {.reg = registry_open(&ro),
		      .backend = o->backend,
		      .upload_dir = o->upload_dir,
		      .au = open_auth(o)};
	registry_scan(env.reg);
	app_rt *app = registry_get(env.reg, o->args[0]);
	const def_form *f = app ? def_find_form(app->def, o->args[1]) : NULL;
	int rc = 1;
	FILE *out = stdout;
	if (!env.au)
		goto done; /* open_auth said why */
	if (!app) {
		fprintf(stderr,
			"smallapps export: no app \"%s\" is served from %s (smallapps check "
			"%s/%s says why, if its folder is there)\n",
			o->args[0], o->apps, o->apps, o->args[0]);
		goto done;
	}
	if (!f) {
		fprintf(stderr, "smallapps export: app \"%s\" has no form \"%s\"\n", o->args[0],
			o->args[1]);
		goto done;
	}
	if (o->out && !(out = fopen(o->out, "w"))) {
		fprintf(stderr, "smallapps export: cannot write %s: %s\n", o->out, strerror(errno));
		goto done;
	}
	rc = export_to(o, &env, app, f, out);
	if (out != stdout && fclose(out) != 0 && rc == 0) {
		fprintf(stderr, "smallapps export: cannot write %s: %s\n", o->out, strerror(errno));
		rc = 1;
	}
	if (rc == 0 && o->out && o->open_data && (!o->format || strcmp(o->format, "csv") == 0))
		rc = write_schema(o->out, app->def, f);
done:
	registry_release(app);
	registry_close(env.reg);
	auth_close(env.au);
	return rc;
}

/* Everything `serve` runs, opened in this order and closed in the reverse one. */
struct serving {
	uc_env env;
	netaddr_list proxies;
	scheduler *sched;
	directory *dir;	    /* data/annuaire.lua, when there is one */
	site *site;	    /* data/site.lua, when there is one */
	site_checks checks; /* data/accessibilite-tests.json, when there is one */
};

/* The scheduler starts once the server listens: its mails then link to the real address. */
static void start_scheduler(void *arg, const char *base)
{
	(void)base;
	struct serving *sv = arg;
	sv->sched = scheduler_start(&sv->env, 60);
}

/*
 * Every connection, and every database connection, is a file descriptor: the soft
 * limit (often 1024) is raised to the hard one, so that a crowd of idle connections
 * meets the server's own connection limit, not EMFILE in the middle of its work.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* What the server serves changed: into the audit log, by "system". */
static void audit_app_event(void *arg, const char *action, const char *app, const char *detail)
{
	auth_audit(arg, "system", action, app, detail);
}

static void serving_close(struct serving *sv)
{
	scheduler_stop(sv->sched);
	/* Requests are over: the pool runs what it still holds, then its threads stop. */
	sandbox_pool_close(sv->env.lua);
	outbox_sender_stop(sv->env.mail);
	registry_close(sv->env.reg);
	throttle_close(sv->env.th);
	auth_close(sv->env.au);
	directory_close(sv->dir);
	site_close(sv->site);
	netaddr_list_free(&sv->proxies);
}

/* Opens what `serve` needs; on failure says why on stderr, closes what was opened. */
static int serving_open(const opts *o, struct serving *sv)
{
	memset(sv, 0, sizeof *sv);
	char perr[160];
	if (netaddr_list_parse(o->trusted_proxies, &sv->proxies, perr) != 0) {
		fprintf(stderr, "smallapps: --trusted-proxies: %s\n", perr);
		return -1;
	}
	if (sv->proxies.n && !o->trust_header)
		fprintf(stderr, "smallapps: --trusted-proxies has no effect without --trust-header "
				"(e.g. --trust-header X-Forwarded-For)\n");
	if (!(sv->env.au = open_auth(o)) || ensure_admin(sv->env.au) != 0) {
		serving_close(sv);
		return -1;
	}
	/* The directory's file is checked now: a typo must stop the start, not a sign-in. */
	char derr[DIRECTORY_ERR];
	sv->env.dir = sv->dir = directory_open(o->data, o->stdlib, derr);
	if (!sv->dir && derr[0]) {
		fprintf(stderr, "smallapps: %s\n", derr);
		serving_close(sv);
		return -1;
	}
	if (sv->dir)
		log_message("auth", "sign-in through the directory %s (data/annuaire.lua)",
			    directory_url(sv->dir));
	char serr[SITE_ERR];
	sv->env.site = sv->site = site_open(o->data, o->stdlib, serr);
	if (!sv->site && serr[0]) {
		fprintf(stderr, "smallapps: %s\n", serr);
		serving_close(sv);
		return -1;
	}
	if (site_checks_read(o->data, &sv->checks))
		sv->env.checks = &sv->checks;
	if (!sv->site)
		log_message("site",
			    "no %s/site.lua: pages show \"smallapps\" and the neutral colours; "
			    "write it to give them the collectivité's name, logo and colour "
			    "(SPEC 12)",
			    o->data);
	sv->env.th =
	    store_backend_shared(o->backend) ? throttle_open_shared(o->backend) : throttle_open();
	registry_opts ro = {.apps_dir = o->apps,
			    .data_dir = o->data,
			    .backend = o->backend,
			    .stdlib_dir = o->stdlib,
			    .on_event = audit_app_event,
			    .on_event_arg = sv->env.au};
	sv->env.reg = registry_open(&ro);
	sv->env.backend = o->backend;
	sv->env.upload_dir = o->upload_dir;
	sv->env.max_upload = (int64_t)o->max_upload_mb << 20;
	registry_scan(sv->env.reg);
	registry_watch(sv->env.reg);
	/* Mails queued by transitions leave through --smtp; without it they stay pending. */
	if (o->smtp && *o->smtp) {
		/* Mails carry the collectivité's name when --mail-from gives none. */
		const char *name = site_name(sv->site);
		buf from = BUF_INIT;
		if (name && !strchr(o->mail_from, '<') && !strpbrk(name, "<>\"\r\n"))
			buf_printf(&from, "%s <%s>", name, o->mail_from);
		else
			buf_puts(&from, o->mail_from);
		outbox_opts oo = {
		    .smtp_url = o->smtp, .from = buf_cstr(&from), .ca_file = o->smtp_ca};
		sv->env.mail = outbox_sender_start(sv->env.reg, sv->env.au, &oo);
		buf_free(&from);
		if (!sv->env.mail) {
			fprintf(stderr,
				"smallapps: cannot send mail (reason above): --smtp needs "
				"smtp://HOST[:PORT] (or smtps://), --mail-from an address (or "
				"\"Name <address>\"), --smtp-ca a readable PEM file\n");
			serving_close(sv);
			return -1;
		}
	}
	sandbox_pool_config pc = {.threads = o->lua_threads > 0 ? o->lua_threads : o->threads};
	if (!(sv->env.lua = sandbox_pool_open(&pc))) {
		fprintf(stderr, "smallapps: cannot start the threads that run app code\n");
		serving_close(sv);
		return -1;
	}
	return 0;
}

static int cmd_serve(const opts *o)
{
	/*
	 * Before any thread starts (store writers, the registry watcher, the sender, the
	 * scheduler, the pool, MHD's): they inherit this mask, so SIGTERM and SIGINT only
	 * ever reach the server's sigwait, even when they arrive during start-up.
	 */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A mistyped --apps would serve nothing to everyone, with nothing in the log. */
	struct stat st;
	int src = stat(o->apps, &st);
	if (src != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "smallapps: --apps %s: %s (the folder of the apps to serve)\n",
			o->apps, src != 0 ? strerror(errno) : "not a folder");
		return 1;
	}
	raise_fd_limit();
	struct serving sv;
	if (serving_open(o, &sv) != 0)
		return 1;
	server_config sc = {.listen = o->listen,
			    .threads = o->threads,
			    .base_url = o->base_url,
			    .trust_header = o->trust_header,
			    .trusted_proxies = &sv.proxies,
			    .max_conns_per_addr = (unsigned)o->max_conns_per_addr,
			    .header_timeout = (unsigned)o->header_timeout,
			    .port_file = o->port_file,
			    .on_listening = start_scheduler,
			    .on_listening_arg = &sv};
	int rc = server_run(&sc, &sv.env);
	serving_close(&sv);
	return rc;
}

static int check_one(const char *dir, const opts *o, json_t *all, int *nerr, int *nwarn)
{
	diags d = {0}, w = {0};
	def_app *app = loader_load(dir, o->stdlib, NULL, &d);
	if (app)
		loader_warnings(app, &w);
	if (all) {
		json_t *arr = diags_json(&d), *warr = diags_json(&w);
		size_t i;
		json_t *v;
		json_array_foreach(warr, i, v) json_object_set_new(v, "warning", json_true());
		json_array_extend(all, arr);
		json_array_extend(all, warr);
		json_decref(arr);
		json_decref(warr);
	} else {
		diags_print(&d, stdout);
		diags_print(&w, stdout);
		if (app)
			printf("%s: ok\n", dir);
	}
	*nerr += (int)d.n + (app ? 0 : (d.n ? 0 : 1));
	*nwarn += (int)w.n;
	diags_free(&d);
	diags_free(&w);
	def_app_free(app);
	return 0;
}

static int cmd_check(const opts *o)
{
	int nerr = 0, nwarn = 0;
	json_t *all = o->json ? json_array() : NULL;
	if (o->nargs > 0) {
		for (int i = 0; i < o->nargs; i++) {
			size_t n = strlen(o->args[i]);
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%.*s",
				 (int)(n > 1 && o->args[i][n - 1] == '/' ? n - 1 : n), o->args[i]);
			check_one(dir, o, all, &nerr, &nwarn);
		}
	} else {
		struct stat st;
		if (stat(o->apps, &st) != 0) {
			fprintf(stderr, "smallapps: %s: %s\n", o->apps, strerror(errno));
			json_decref(all);
			return 1;
		}
		/* Same rules as the server: folders starting with . or _ are not apps. */
		struct dirent **names;
		int n = scandir(o->apps, &names, NULL, alphasort);
		for (int i = 0; i < n; i++) {
			if (names[i]->d_name[0] != '.' && names[i]->d_name[0] != '_') {
				char dir[PATH_MAX];
				snprintf(dir, sizeof dir, "%s/%s", o->apps, names[i]->d_name);
				if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
					check_one(dir, o, all, &nerr, &nwarn);
			}
			free(names[i]);
		}
		if (n > 0)
			free(names);
	}
	if (all) {
		char *s = json_dumps(all, JSON_INDENT(2));
		puts(s);
		free(s);
		json_decref(all);
	} else {
		/* Warnings do not fail the check: an app with them serves. */
		if (nwarn)
			printf("%d avertissement%s\n", nwarn, nwarn > 1 ? "s" : "");
		if (nerr)
			printf("%d problème%s\n", nerr, nerr > 1 ? "s" : "");
	}
	return nerr ? 1 : 0;
}

static int read_password(char *out, size_t n)
{
	if (!fgets(out, (int)n, stdin))
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return out[0] ? 0 : -1;
}

/* s, then spaces up to `width` characters (printf's width counts bytes, not letters). */
static void print_padded(const char *s, size_t width)
{
	size_t n = util_utf8_valid(s, strlen(s)) ? util_utf8_len(s) : strlen(s);
	fputs(s, stdout);
	do
		putchar(' ');
	while (++n < width + 1);
}

static void print_user(void *arg, const auth_user *u, const char *const *grants, size_t ng)
{
	(void)arg;
	print_padded(u->login, 20);
	print_padded(u->name ? u->name : "", 32);
	fputs(u->admin ? "admin " : "", stdout);
	for (size_t i = 0; i < ng; i++)
		printf("%s%s", i ? "," : "", grants[i]);
	putchar('\n');
}

static int split_grant(const char *s, char *app, char *role)
{
	const char *c = strchr(s, ':');
	if (!c || c == s || !c[1] || (size_t)(c - s) >= 64 || strlen(c + 1) >= 64)
		return -1;
	memcpy(app, s, (size_t)(c - s));
	app[c - s] = '\0';
	strcpy(role, c + 1);
	return 0;
}

/*
 * A grant names an app served from --apps and a role it declares: a typo would
 * otherwise give a right to nothing, silently, and the real role would stay missing.
 */
static bool grant_target_ok(const opts *o, const char *app, const char *role)
{
	registry_opts ro = {.apps_dir = o->apps,
			    .data_dir = o->data,
			    .backend = o->backend,
			    .stdlib_dir = o->stdlib,
			    .quiet = true,
			    .no_publish = true};
	registry *g = registry_open(&ro);
	registry_scan(g);
	app_rt *rt = registry_get(g, app);
	def_app *local = NULL;
	const def_app *def = rt ? rt->def : NULL;
	if (!def && store_backend_shared(o->backend) && loader_valid_app_id(app)) {
		/* Not published yet (no engine started since its folder came): the folder says. */
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s/%s", o->apps, app);
		diags d = {0};
		def = local = loader_load(dir, o->stdlib, NULL, &d);
		diags_free(&d);
	}
	bool ok = false;
	if (!def) {
		fprintf(stderr,
			"smallapps: no app \"%s\" is served from %s (smallapps check %s/%s "
			"says why, if its folder is there)\n",
			app, o->apps, o->apps, app);
	} else if (def_find_role(def, role) < 0) {
		buf roles = BUF_INIT;
		for (size_t i = 0; i < def->nroles; i++)
			buf_printf(&roles, "%s%s", i ? ", " : "", def->roles[i].id);
		fprintf(stderr, "smallapps: app \"%s\" declares no role \"%s\" (its roles: %s)%s\n",
			app, role, def->nroles ? buf_cstr(&roles) : "none",
			strcmp(role, "admin") == 0 ? "; admins are made with user add --admin"
						   : "");
		buf_free(&roles);
	} else {
		ok = true;
	}
	def_app_free(local);
	registry_release(rt);
	registry_close(g);
	return ok;
}

static int cmd_user(const opts *o)
{
	if (o->nargs < 1) {
		cli_command_usage(stderr, "user");
		return 2;
	}
	auth *a = open_auth(o);
	if (!a)
		return 1;
	int rc = 1;
	const char *sub = o->args[0];
	char err[AUTH_ERR_LEN] = "";
	if (strcmp(sub, "add") == 0 && o->nargs == 2) {
		char pw[4200] = "";
		if (o->password_stdin && read_password(pw, sizeof pw) != 0) {
			fprintf(stderr, "smallapps: no password on standard input\n");
			goto done;
		}
		int r = auth_user_add(a, o->args[1], o->name, o->email, o->admin,
				      o->password_stdin ? pw : NULL, "cli", err);
		if (r == AUTH_EXISTS)
			fprintf(stderr, "smallapps: user %s already exists\n", o->args[1]);
		else if (r != AUTH_OK)
			fprintf(stderr, "smallapps: %s\n", err[0] ? err : "cannot add the user");
		else {
			printf("user %s added\n", o->args[1]);
			rc = 0;
		}
	} else if ((strcmp(sub, "grant") == 0 || strcmp(sub, "revoke") == 0) && o->nargs == 3) {
		char app[64], role[64];
		if (split_grant(o->args[2], app, role) != 0) {
			fprintf(stderr, "smallapps: expected APP:ROLE, e.g. vaccins:centre\n");
			goto done;
		}
		/* A revoke may clean up after an app that is gone; a grant must name a real role.
		 */
		if (sub[0] == 'g' && !grant_target_ok(o, app, role))
			goto done;
		int r = sub[0] == 'g' ? auth_grant(a, o->args[1], app, role, "cli")
				      : auth_revoke(a, o->args[1], app, role, "cli");
		if (r == AUTH_NOTFOUND)
			fprintf(stderr, "smallapps: no such user or grant: %s %s\n", o->args[1],
				o->args[2]);
		else if (r == AUTH_INVALID)
			fprintf(stderr, "smallapps: invalid app or role name: %s\n", o->args[2]);
		else if (r != AUTH_OK)
			fprintf(stderr, "smallapps: cannot %s\n", sub);
		else {
			printf("%s %s %s\n", o->args[1], sub[0] == 'g' ? "granted" : "revoked",
			       o->args[2]);
			rc = 0;
		}
	} else if (strcmp(sub, "list") == 0 && o->nargs == 1) {
		rc = auth_user_list(a, print_user, NULL) == AUTH_OK ? 0 : 1;
	} else {
		cli_command_usage(stderr, "user");
		rc = 2;
	}
done:
	auth_close(a);
	return rc;
}

static int cmd_token(const opts *o)
{
	if (o->nargs != 2 || strcmp(o->args[0], "create") != 0) {
		cli_command_usage(stderr, "token");
		return 2;
	}
	auth *a = open_auth(o);
	if (!a)
		return 1;
	char tok[AUTH_TOKEN_LEN];
	int r = auth_token_create(a, o->args[1], o->label ? o->label : "cli", "cli", tok);
	if (r == AUTH_OK) {
		puts(tok);
	} else {
		fprintf(stderr, "smallapps: no such user: %s\n", o->args[1]);
	}
	auth_close(a);
	return r == AUTH_OK ? 0 : 1;
}

/* Demo users for `make run`: one per declared role of each app, password "demo". */
static int cmd_demo(const opts *o)
{
	auth *a = open_auth(o);
	if (!a)
		return 1;
	registry_opts ro = {.apps_dir = o->apps,
			    .data_dir = o->data,
			    .backend = o->backend,
			    .stdlib_dir = o->stdlib,
			    .quiet = true,
			    .no_publish = false}; /* setting up: the folders here are the apps */
	registry *g = registry_open(&ro);
	registry_scan(g);
	app_rt **apps;
	size_t n = registry_list(g, &apps);
	int rc = 0;
	for (int i = 0; i < o->nargs; i++) {
		bool found = false;
		for (size_t k = 0; k < n; k++)
			found = found || strcmp(apps[k]->def->id, o->args[i]) == 0;
		if (!found) {
			fprintf(stderr, "smallapps: demo: no app \"%s\" is served from %s\n",
				o->args[i], o->apps);
			rc = 1;
		}
	}
	/*
	 * Only users made by this run get roles: an account that already exists (a real
	 * "agent1", or a demo user whose grants an admin revoked) is left as it is.
	 */
	char made[256][64];
	size_t nmade = 0;
	printf("Demo users (password: demo):\n");
	for (size_t i = 0; i < n; i++) {
		const def_app *app = apps[i]->def;
		bool wanted = o->nargs == 0;
		for (int k = 0; k < o->nargs; k++)
			wanted = wanted || strcmp(app->id, o->args[k]) == 0;
		for (size_t k = 0; wanted && k < app->nroles; k++) {
			char login[64], err[AUTH_ERR_LEN];
			snprintf(login, sizeof login, "%s", app->roles[k].id);
			for (char *p = login; *p; p++)
				if (*p == '_')
					*p = '-';
			strncat(login, "1", sizeof login - strlen(login) - 1);
			bool mine = false;
			for (size_t m = 0; m < nmade; m++)
				mine = mine || strcmp(made[m], login) == 0;
			int r = mine ? AUTH_EXISTS
				     : auth_user_add(a, login, app->roles[k].label, NULL, false,
						     "demo", "demo", err);
			if (r == AUTH_OK && nmade < sizeof made / sizeof made[0]) {
				snprintf(made[nmade++], sizeof made[0], "%s", login);
				mine = true;
			}
			if (r != AUTH_OK && !mine) {
				if (r == AUTH_EXISTS)
					printf("  %-16s %s: %s (already exists: left unchanged)\n",
					       login, app->id, app->roles[k].label);
				else
					fprintf(stderr, "smallapps: demo: %s: %s\n", login, err);
				continue;
			}
			auth_grant(a, login, app->id, app->roles[k].id, "demo");
			printf("  %-16s %s: %s\n", login, app->id, app->roles[k].label);
		}
		registry_release(apps[i]);
	}
	free(apps);
	registry_close(g);
	auth_close(a);
	return rc;
}

/* apps/ID/tests/exemple.lua: a test of the scaffolded app that passes as it is, and
 * shows the test API (SPEC 13) in its comments. */
static int write_example_test(const char *dir, const char *id)
{
	char tests[PATH_MAX + 8], file[PATH_MAX + 32];
	snprintf(tests, sizeof tests, "%s/tests", dir);
	snprintf(file, sizeof file, "%s/exemple.lua", tests);
	FILE *f = mkdir(tests, 0755) == 0 ? fopen(file, "wx") : NULL;
	if (!f) {
		fprintf(stderr, "smallapps: %s: %s\n", file, strerror(errno));
		return -1;
	}
	fprintf(
	    f,
	    "-- Tests of %s: `smallapps test %s` runs every tests/*.lua, each on a throw-away\n"
	    "-- database, through the rules a browser or the API goes through.\n"
	    "--\n"
	    "-- People: T.user(login, { roles }), T.admin(login), T.anonymous(). Their actions\n"
	    "--   create(form, fields), edit(form, id, fields), read(form, id), delete(form, id),\n"
	    "--   trigger(form, id, transition, { fields = {}, comment = \"\" }), list(form, "
	    "query)\n"
	    "-- return { status = \"ok\"|\"invalid\"|\"forbidden\"|\"not_found\"|\"conflict\", "
	    "id,\n"
	    "--   state, version, fields, errors = { field = message }, records, total }.\n"
	    "-- Checks: T.eq(got, want), T.truthy(v), T.ok(r), T.invalid(r, field [, pattern]),\n"
	    "--   T.forbidden(r), T.not_found(r), T.conflict(r), T.state(r, state).\n"
	    "-- Time and mail: T.clock(\"2026-11-23T10:00:00Z\"), T.advance(days), T.tick() (the\n"
	    "--   scheduler's pass), T.mails() (the mails queued: { to, subject, body }).\n"
	    "-- `smallapps test --coverage` also lists the transitions and states no test "
	    "reached.\n"
	    "local T = require(\"smallapps.test\")\n"
	    "T.clock(\"2026-11-23T10:00:00Z\")\n"
	    "\n"
	    "local alice = T.user(\"alice\", {})           -- signed in, no role\n"
	    "local bob = T.user(\"bob\", {})\n"
	    "local agathe = T.user(\"agathe\", { \"agent\" })\n"
	    "\n"
	    "-- A request is saved as typed\n"
	    "local r = alice:create(\"demande\", { objet = \"Banc cassé\", details = \"Square "
	    "Hugo\" })\n"
	    "T.ok(r)\n"
	    "T.eq(r.fields.objet, \"Banc cassé\")\n"
	    "\n"
	    "-- A required field left empty is refused, with a message for that field\n"
	    "T.invalid(alice:create(\"demande\", { details = \"sans objet\" }), \"objet\")\n"
	    "\n"
	    "-- Each reads their own; an agent reads them all\n"
	    "T.not_found(bob:read(\"demande\", r.id))\n"
	    "T.eq(#bob:list(\"demande\").records, 0)\n"
	    "T.eq(#agathe:list(\"demande\").records, 1)\n"
	    "\n"
	    "-- Its author may change it\n"
	    "T.ok(alice:edit(\"demande\", r.id, { details = \"Square Victor-Hugo\" }))\n"
	    "T.eq(alice:read(\"demande\", r.id).fields.details, \"Square Victor-Hugo\")\n"
	    "\n"
	    "-- Without signing in, no request\n"
	    "T.forbidden(T.anonymous():create(\"demande\", { objet = \"Banc\" }))\n",
	    id, dir);
	fclose(f);
	return 0;
}

static int cmd_new(const opts *o)
{
	if (o->nargs != 1 || !loader_valid_app_id(o->args[0])) {
		fprintf(stderr, "smallapps: new needs an id like mon-app ([a-z][a-z0-9-]{0,39})\n");
		return 2;
	}
	char dir[PATH_MAX], file[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/%s", o->apps, o->args[0]);
	if (mkdir(o->apps, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "smallapps: %s: %s\n", o->apps, strerror(errno));
		return 1;
	}
	if (mkdir(dir, 0755) != 0) {
		fprintf(stderr, "smallapps: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(file, sizeof file, "%s/app.lua", dir);
	FILE *f = fopen(file, "wx");
	if (!f) {
		fprintf(stderr, "smallapps: %s: %s\n", file, strerror(errno));
		return 1;
	}
	fprintf(
	    f,
	    "-- %s: a smallapps definition. Check it with: smallapps check %s\n"
	    "return {\n"
	    "  title = \"Ma nouvelle application\",\n"
	    "  description = \"À quoi sert-elle, pour qui ?\",\n"
	    "  owner = \"DSI\",\n"
	    "  version = \"0.1.0\",\n"
	    "  roles = { agent = \"Agent\" },           -- who does what\n"
	    "  forms = {\n"
	    "    {\n"
	    "      id = \"demande\",\n"
	    "      title = \"Demande\",\n"
	    "      fields = {\n"
	    "        { name = \"objet\", type = \"text\", label = \"Objet\", required = true },\n"
	    "        { name = \"details\", type = \"textarea\", label = \"Détails\" },\n"
	    "      },\n"
	    "      -- who may create, and read their own (\"own\") or every (\"all\") record\n"
	    "      access = { create = { \"user\" }, read = { user = \"own\", agent = \"all\" },\n"
	    "                 update = { \"owner\" } },\n"
	    "    },\n"
	    "  },\n"
	    "}\n",
	    o->args[0], dir);
	fclose(f);
	if (write_example_test(dir, o->args[0]) != 0)
		return 1;
	printf("created %s and %s/tests/exemple.lua — edit them, then: smallapps check %s && "
	       "smallapps test %s\n",
	       file, dir, dir, dir);
	return 0;
}

/* smallapps test: the apps' own tests, each file on a throw-away database. */
static int cmd_test(const opts *o)
{
	apptest_opts t = {.dirs = o->args,
			  .ndirs = (size_t)o->nargs,
			  .apps_dir = o->apps,
			  .stdlib_dir = o->stdlib,
			  .coverage = o->coverage,
			  .out = stdout};
	return apptest_run(&t);
}

/* smallapps audit verify: the audit log's chain, line by line. */
static int cmd_audit(const opts *o)
{
	if (o->nargs != 1 || strcmp(o->args[0], "verify") != 0) {
		fprintf(stderr, "usage: smallapps audit verify\n");
		return 2;
	}
	auth *au = open_auth(o);
	if (!au)
		return 1;
	store_audit_check chk;
	int rc = auth_audit_verify(au, &chk);
	auth_close(au);
	if (rc != AUTH_OK) {
		fprintf(stderr, "smallapps: audit: cannot read the audit log\n");
		return 1;
	}
	if (chk.intact) {
		printf("Journal d'audit intact : %lld ligne(s), chaîne vérifiée.\n",
		       (long long)chk.lines);
		return 0;
	}
	printf("Journal d'audit altéré : la chaîne est rompue à la ligne n° %lld (cette ligne, ou "
	       "une ligne avant elle, a été modifiée ou supprimée) ; %lld ligne(s) intacte(s) "
	       "avant.\n",
	       (long long)chk.first_bad, (long long)chk.lines);
	return 1;
}

/* smallapps backup DIR: a consistent copy of data/ while a server may be writing. */
static int cmd_backup(const opts *o)
{
	if (o->nargs != 1) {
		fprintf(stderr, "usage: smallapps backup DIR   (a new or empty folder)\n");
		return 2;
	}
	char err[STORE_ERR_LEN] = "";
	store_backup_report rep;
	int rc = store_backup(o->backend, o->args[0], &rep, err);
	if (rc != STORE_OK) {
		fprintf(stderr, "smallapps: backup: %s\n", err);
		return 1;
	}
	auth *au = open_auth(o);
	if (au) {
		char who[96], detail[160];
		const char *unix_user = getenv("USER");
		snprintf(who, sizeof who, "cli:%.80s", unix_user && *unix_user ? unix_user : "?");
		snprintf(detail, sizeof detail, "%d base(s), %lld fichier(s)", rep.databases,
			 (long long)rep.files);
		auth_audit(au, who, "backup", o->args[0], detail);
		auth_close(au);
	}
	printf("Sauvegarde dans %s : %d base(s) de données, %lld fichier(s), %.1f Mo.\n",
	       o->args[0], rep.databases, (long long)rep.files, (double)rep.bytes / 1048576.0);
	if (rep.missing)
		printf("%d fichier(s) supprimé(s) pendant la copie : relancez la sauvegarde.\n",
		       rep.missing);
	return rep.missing ? 1 : 0;
}

static bool needs_storage(const char *cmd)
{
	const char *const with[] = {"serve", "user",   "token",	 "demo",
				    "tick",  "export", "backup", "audit"};
	for (size_t i = 0; i < sizeof with / sizeof *with; i++)
		if (strcmp(cmd, with[i]) == 0)
			return true;
	return false;
}

/* SQLite files under --data, or the PostgreSQL database of --database. */
static int open_backend(opts *o)
{
	if (mkdir(o->data, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "smallapps: cannot create --data %s: %s\n", o->data,
			strerror(errno));
		return -1;
	}
	char err[STORE_ERR_LEN] = "";
	o->backend = store_backend_open(o->database, o->data, err);
	if (!o->backend) {
		fprintf(stderr, "smallapps: --database: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			cli_usage(stdout);
			return 0;
		}
		if (cli_command_usage(stdout, argv[2]))
			return 0;
		fprintf(stderr, "smallapps help: unknown command \"%s\"\n", argv[2]);
		cli_usage(stderr);
		return 2;
	}
	if (util_init() != 0)
		return 1;
	opts o = {0};
	int prc = parse(argc, argv, &o);
	if (prc != 0)
		return prc > 0 ? 0 : 2;
	const char *cmd = argv[1];
	int rc;
	if (needs_storage(cmd) && open_backend(&o) != 0)
		rc = 1;
	else if (strcmp(cmd, "serve") == 0)
		rc = cmd_serve(&o);
	else if (strcmp(cmd, "check") == 0)
		rc = cmd_check(&o);
	else if (strcmp(cmd, "user") == 0)
		rc = cmd_user(&o);
	else if (strcmp(cmd, "token") == 0)
		rc = cmd_token(&o);
	else if (strcmp(cmd, "demo") == 0)
		rc = cmd_demo(&o);
	else if (strcmp(cmd, "tick") == 0)
		rc = cmd_tick(&o);
	else if (strcmp(cmd, "export") == 0)
		rc = cmd_export(&o);
	else if (strcmp(cmd, "backup") == 0)
		rc = cmd_backup(&o);
	else if (strcmp(cmd, "audit") == 0)
		rc = cmd_audit(&o);
	else if (strcmp(cmd, "new") == 0)
		rc = cmd_new(&o);
	else if (strcmp(cmd, "test") == 0)
		rc = cmd_test(&o);
	else {
		fprintf(stderr,
			"smallapps: unknown command \"%s\" (smallapps help: the commands)\n", cmd);
		cli_usage(stderr);
		rc = 2;
	}
	sandbox_thread_cleanup();
	store_backend_close(o.backend);
	return rc;
}
