/*
 * test_gov — governed data at the layers that decide it (SPEC 6, 7, 11): the
 * dashboard's arithmetic (nearest rank, Paris months), its numbers as uc_stats gives
 * them on a data set written at chosen times, the durations kept while the history
 * is written against those counted again from it, who the dashboard and the register
 * are for, check's privacy warnings, and retention purges (uc_retention and the
 * store under it). tests/http/governance.py checks the same through both doors.
 *
 * The fixture serves tests/apps/voirie (retention 60 days) from a real registry, a
 * real system database and app database, on the backend testdb.h names.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testdb.h"

#include "loader.h"
#include "log.h"
#include "sandbox.h"
#include "stats.h"
#include "usecase.h"
#include "util.h"

/* ------------------------------------------------------------------ pure arithmetic */

static stats_hist hist_of(const int64_t *values, size_t n)
{
	stats_hist h = {0};
	for (size_t i = 0; i < n; i++)
		stats_hist_add(&h, values[i], 1);
	return h;
}

static void nearest_rank_is_the_ceil_of_p_n_th_smallest(void **state)
{
	(void)state;
	stats_hist h = {0};
	assert_int_equal(stats_rank(&h, 500), -1); /* nothing: no median */
	int64_t four[] = {15, 15, 15, 40};
	h = hist_of(four, 4);
	assert_int_equal(stats_rank(&h, 500), 15); /* ceil(2) = 2nd */
	assert_int_equal(stats_rank(&h, 900), 40); /* ceil(3.6) = 4th */
	stats_hist_free(&h);
	int64_t ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	h = hist_of(ten, 10);
	assert_int_equal(stats_rank(&h, 500), 5); /* 5th, not the mean of 5 and 6 */
	assert_int_equal(stats_rank(&h, 900), 9); /* 9th */
	stats_hist_free(&h);
	int64_t one[] = {525};
	h = hist_of(one, 1);
	assert_int_equal(stats_rank(&h, 500), 525);
	assert_int_equal(stats_rank(&h, 900), 525);
	stats_hist_free(&h);
	/* counts by value, as the store gives them */
	stats_hist_add(&h, 3, 6);
	stats_hist_add(&h, 7, 3);
	stats_hist_add(&h, 12, 1);
	assert_int_equal(h.total, 10);
	assert_int_equal(stats_rank(&h, 500), 3);
	assert_int_equal(stats_rank(&h, 900), 7);   /* 9th of 10 */
	assert_int_equal(stats_rank(&h, 1000), 12); /* the largest */
	stats_hist_free(&h);
}

static void months_are_the_twelve_paris_months_up_to_now(void **state)
{
	(void)state;
	time_t now;
	stats_months m;
	assert_true(util_parse_datetime("2026-03-10T12:00:00Z", &now));
	stats_months_to(now, &m);
	assert_string_equal(m.label[0], "2025-04");
	assert_string_equal(m.label[9], "2026-01");
	assert_string_equal(m.label[11], "2026-03");
	/* April starts in summer time (UTC+2), November in winter time (UTC+1) */
	assert_string_equal(m.bound[0], "2025-03-31T22:00:00Z");
	assert_string_equal(m.bound[7], "2025-10-31T23:00:00Z");
	assert_string_equal(m.bound[12], "2026-03-31T22:00:00Z");
	/* 1 January 00:30 in Paris is still 31 December in UTC: January already */
	assert_true(util_parse_datetime("2025-12-31T23:30:00Z", &now));
	stats_months_to(now, &m);
	assert_string_equal(m.label[11], "2026-01");
	assert_string_equal(m.label[0], "2025-02");
	assert_string_equal(m.bound[11], "2025-12-31T23:00:00Z");
}

/* ------------------------------------------------------------------ the fixture */

typedef struct fx {
	store_backend *b;
	char dir[64], apps[96], data[96];
	uc_env env;
	app_rt *app;
	const def_form *form; /* signalement */
	arena mem;
} fx;

static int setup(void **state)
{
	fx *x = calloc(1, sizeof *x);
	strcpy(x->dir, "/tmp/test_gov.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->apps, sizeof x->apps, "%s/apps", x->dir);
	snprintf(x->data, sizeof x->data, "%s/data", x->dir);
	assert_int_equal(mkdir(x->apps, 0700), 0);
	assert_int_equal(mkdir(x->data, 0700), 0);
	char target[PATH_MAX], dst[192];
	assert_non_null(realpath("tests/apps/voirie", target));
	snprintf(dst, sizeof dst, "%s/voirie", x->apps);
	assert_int_equal(symlink(target, dst), 0);
	char err[AUTH_ERR_LEN];
	x->b = testdb_open(x->data);
	x->env.au = auth_open(x->b, err);
	assert_non_null(x->env.au);
	registry_opts ro = {.backend = x->b,
			    .apps_dir = x->apps,
			    .data_dir = x->data,
			    .stdlib_dir = "stdlib-lua",
			    .quiet = true};
	x->env.reg = registry_open(&ro);
	assert_int_equal(registry_scan(x->env.reg), 1);
	x->app = registry_get(x->env.reg, "voirie");
	x->form = def_find_form(x->app->def, "signalement");
	static const char *const people[][2] = {
	    {"alice", "demandeur"}, {"agathe", "agent"}, {"eloi", "elu"}};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(auth_user_add(x->env.au, people[i][0], people[i][0], NULL, false,
					       "pw", "test", err),
				 AUTH_OK);
		assert_int_equal(
		    auth_grant(x->env.au, people[i][0], "voirie", people[i][1], "test"), AUTH_OK);
	}
	assert_int_equal(auth_user_add(x->env.au, "root", "Root", NULL, true, "pw", "test", err),
			 AUTH_OK);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;
	registry_release(x->app);
	registry_close(x->env.reg);
	auth_close(x->env.au);
	testdb_close(x->b);
	arena_free(&x->mem);
	sandbox_thread_cleanup();
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

static time_t at(const char *iso)
{
	time_t t;
	assert_true(util_parse_datetime(iso, &t));
	return t;
}

/* A call by login on signalement, as of `when`. */
static void call_at(fx *x, uc_call *c, const char *login, const char *when)
{
	auth_user u = {0};
	assert_int_equal(auth_user_get(x->env.au, login, &u), AUTH_OK);
	uc_call_init(c, &x->env, x->app, x->form, &u, LANG_FR, &x->mem);
	auth_user_clear(&u);
	if (when)
		c->now = at(when);
}

static int64_t create(fx *x, const char *login, const char *when, const char *json)
{
	uc_call c;
	uc_result res;
	call_at(x, &c, login, when);
	json_t *body = json_loads(json, 0, NULL);
	assert_non_null(body);
	write_in in = {.json = body};
	assert_int_equal(uc_create(&c, &in, &res), UC_OK);
	int64_t id = res.rec.id;
	uc_result_clear(&res);
	json_decref(body);
	return id;
}

static void trigger(fx *x, const char *when, int64_t id, const char *t, const char *comment)
{
	uc_call c;
	uc_result res;
	call_at(x, &c, "agathe", when);
	json_t *body = json_object();
	write_in in = {.json = body};
	assert_int_equal(uc_trigger(&c, id, t, -1, &in, comment, &res), UC_OK);
	uc_result_clear(&res);
	json_decref(body);
}

/* The data set of tests/http/governance.py: A..E, ids in ids[0..4]. */
static void data_set(fx *x, int64_t ids[5])
{
	const char *t0 = "2026-01-10T09:00:00Z", *t1 = "2026-01-11T21:00:00Z",
		   *t2 = "2026-03-05T09:00:00Z", *t3 = "2026-03-09T09:00:00Z";
	ids[0] =
	    create(x, "alice", t0,
		   "{\"nom\": \"Dupont\", \"courriel\": \"dupont@exemple.fr\", \"lieu\": \"Rue "
		   "des Lilas\", \"nature\": \"nid\"}");
	ids[1] = create(x, "root", t0,
			"{\"nom\": \"Martin\", \"lieu\": \"Place\", \"nature\": \"nid\", "
			"\"urgence\": \"forte\"}");
	ids[2] = create(x, "alice", t0,
			"{\"nom\": \"Durand\", \"courriel\": \"durand@exemple.fr\", \"lieu\": "
			"\"Impasse\", \"nature\": \"eclairage\"}");
	trigger(x, t1, ids[0], "prendre", NULL);
	trigger(x, t1, ids[1], "prendre", NULL);
	trigger(x, t1, ids[2], "rejeter", "M. Durand au 06 12 34 56 78");
	ids[3] = create(x, "alice", t2,
			"{\"nom\": \"Petit\", \"lieu\": \"Quai\", \"nature\": "
			"\"proprete\"}");
	ids[4] =
	    create(x, "alice", t2, "{\"nom\": \"Roux\", \"lieu\": \"Rue\", \"nature\": \"nid\"}");
	trigger(x, t2, ids[0], "traiter", "Merci M. Dupont");
	trigger(x, t2, ids[1], "relancer", NULL);
	trigger(x, t3, ids[3], "prendre", NULL);
}

static const uc_form_stats *form_stats(const uc_dashboard *d, const char *id)
{
	for (size_t i = 0; i < d->nforms; i++)
		if (strcmp(d->forms[i].form->id, id) == 0)
			return &d->forms[i];
	return NULL;
}

static void assert_duration(const uc_duration *d, int64_t count, int64_t median, int64_t p90)
{
	assert_int_equal(d->count, count);
	assert_int_equal(d->median, median);
	assert_int_equal(d->p90, p90);
}

/* ------------------------------------------------------------------ the dashboard */

static void stats_count_months_states_durations_and_choices(void **state)
{
	fx *x = *state;
	int64_t ids[5];
	data_set(x, ids);
	/* Paris months: 1 February 00:30 in Paris is 31 January in UTC */
	create(x, "alice", "2026-01-31T23:30:00Z", "{\"nom\": \"N\", \"lieu\": \"L\"}");
	uc_call c;
	uc_dashboard d;
	uc_result res;
	call_at(x, &c, "root", "2026-03-10T12:00:00Z");
	assert_int_equal(uc_stats(&c, &d, &res), UC_OK);
	assert_string_equal(d.generated_at, "2026-03-10T12:00:00Z");
	assert_int_equal(d.nforms, 2);
	const uc_form_stats *fs = form_stats(&d, "signalement");
	assert_non_null(fs);
	assert_int_equal(fs->total, 6);
	assert_int_equal(fs->overdue, 2); /* E and the new one, in "recu" past 3 days */
	int64_t by_state[] = {2, 2, 1, 1};
	assert_memory_equal(fs->by_state, by_state, sizeof by_state);
	int64_t months[12] = {[9] = 3, [10] = 1, [11] = 2};
	assert_memory_equal(fs->by_month, months, sizeof months);
	assert_string_equal(fs->month[10], "2026-02");
	assert_duration(&fs->in_state[0], 4, 15, 40);	/* recu: 1.5 x3, 4.0 */
	assert_duration(&fs->in_state[1], 1, 525, 525); /* en_cours: A's 52.5 */
	assert_duration(&fs->in_state[2], 0, -1, -1);	/* final: never left */
	assert_duration(&fs->to_final, 2, 15, 540);
	assert_int_equal(fs->nchoice, 2);
	assert_string_equal(fs->choice[0].field->name, "nature");
	int64_t nature[] = {3, 1, 1};
	assert_memory_equal(fs->choice[0].n, nature, sizeof nature);
	int64_t urgence[] = {0, 1};
	assert_memory_equal(fs->choice[1].n, urgence, sizeof urgence);
	const uc_form_stats *note = form_stats(&d, "note");
	assert_non_null(note);
	assert_null(note->by_state);
	assert_int_equal(note->to_final.count, 0);
}

static void the_dashboard_covers_the_forms_read_wholly(void **state)
{
	fx *x = *state;
	create(x, "alice", NULL, "{\"nom\": \"N\", \"lieu\": \"L\"}");
	uc_call c;
	uc_dashboard d;
	uc_result res;
	call_at(x, &c, "alice", NULL); /* reads her own only */
	assert_int_equal(uc_stats(&c, &d, &res), UC_FORBIDDEN);
	call_at(x, &c, "eloi", NULL); /* all signalements, no note, not the private urgence */
	assert_int_equal(uc_stats(&c, &d, &res), UC_OK);
	assert_int_equal(d.nforms, 1);
	assert_int_equal(d.forms[0].nchoice, 1);
	assert_string_equal(d.forms[0].choice[0].field->name, "nature");
	assert_true(uc_stats_covers(&c, x->form));
	assert_false(uc_stats_covers(&c, def_find_form(x->app->def, "note")));
	call_at(x, &c, "agathe", NULL); /* notes of her own: left out */
	assert_int_equal(uc_stats(&c, &d, &res), UC_OK);
	assert_int_equal(d.nforms, 1);
	assert_int_equal(d.forms[0].nchoice, 2);
}

static void hist_into(void *arg, int64_t tenths, int64_t n)
{
	buf *b = arg;
	buf_printf(b, "%lld:%lld ", (long long)tenths, (long long)n);
}

/* Every histogram of the form, as text. */
static void durations_text(fx *x, buf *out)
{
	const def_workflow *w = x->form->workflow;
	buf_reset(out);
	for (size_t i = 0; i < w->nstates; i++) {
		buf_printf(out, "%s stay ", w->states[i].id);
		assert_int_equal(store_durations(x->app->db, x->form, STORE_STAY, &w->states[i].id,
						 1, hist_into, out),
				 STORE_OK);
		buf_printf(out, "reach ");
		assert_int_equal(store_durations(x->app->db, x->form, STORE_REACH, &w->states[i].id,
						 1, hist_into, out),
				 STORE_OK);
		buf_puts(out, "| ");
	}
}

static void durations_kept_while_writing_equal_those_counted_again(void **state)
{
	fx *x = *state;
	int64_t ids[5];
	data_set(x, ids);
	buf kept = BUF_INIT, again = BUF_INIT;
	durations_text(x, &kept);
	assert_string_equal(buf_cstr(&kept),
			    "recu stay 15:3 40:1 reach | en_cours stay 525:1 reach 15:2 40:1 | "
			    "traite stay reach 540:1 | rejete stay reach 15:1 | ");
	assert_int_equal(store_durations_rebuild(x->app->db, x->form), STORE_OK);
	durations_text(x, &again);
	assert_string_equal(buf_cstr(&again), buf_cstr(&kept));
	buf_free(&kept);
	buf_free(&again);
}

typedef struct tally_find {
	const char *dim, *val;
	int64_t n, total;
} tally_find;

static void tally_into(void *arg, const char *dim, const char *val, int64_t n)
{
	tally_find *t = arg;
	if (strcmp(dim, "_hour") == 0)
		t->total += n;
	if (strcmp(dim, t->dim) == 0 && strcmp(val, t->val) == 0)
		t->n += n;
}

/* The form's tally of (dim, val); *total (may be NULL): of all records. */
static int64_t tally(fx *x, const char *dim, const char *val, int64_t *total)
{
	tally_find t = {dim, val, 0, 0};
	assert_int_equal(store_tallies(x->app->db, x->form, "0000", "9999", tally_into, &t),
			 STORE_OK);
	if (total)
		*total = t.total;
	return t.n;
}

/* Every tally of signalement equals the count of the rows it stands for. */
static void assert_tallies_are_counts(fx *x)
{
	char sql[256];
	const def_workflow *w = x->form->workflow;
	for (size_t i = 0; i < w->nstates; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM signalement WHERE _state = '%s'",
			 w->states[i].id);
		assert_int_equal(tally(x, "_state", w->states[i].id, NULL),
				 testdb_int(x->b, "voirie", sql));
	}
	const char *choices[][2] = {{"nature", "nid"},
				    {"nature", "eclairage"},
				    {"nature", "proprete"},
				    {"urgence", "faible"},
				    {"urgence", "forte"}};
	for (size_t i = 0; i < 5; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM signalement WHERE %s = '%s'",
			 choices[i][0], choices[i][1]);
		assert_int_equal(tally(x, choices[i][0], choices[i][1], NULL),
				 testdb_int(x->b, "voirie", sql));
	}
	int64_t total = 0;
	assert_int_equal(tally(x, "_hour", "2026-01-10T09", &total),
			 testdb_int(x->b, "voirie",
				    "SELECT count(*) FROM signalement WHERE _created_at LIKE "
				    "'2026-01-10T09%'"));
	assert_int_equal(total, testdb_int(x->b, "voirie", "SELECT count(*) FROM signalement"));
	/* the last activity: the newest write, in Unix seconds */
	assert_int_equal(tally(x, "_last", "", NULL),
			 testdb_int(x->b, "voirie",
				    testdb_pg() ? "SELECT extract(epoch FROM max(_updated_at)::"
						  "timestamptz)::bigint FROM signalement"
						: "SELECT CAST(strftime('%s', max(_updated_at)) AS "
						  "INTEGER) FROM signalement"));
}

static void tallies_follow_every_write_and_equal_a_count_again(void **state)
{
	fx *x = *state;
	int64_t ids[5];
	data_set(x, ids);
	assert_tallies_are_counts(x);
	assert_int_equal(tally(x, "_state", "recu", NULL), 1);
	assert_int_equal(tally(x, "nature", "nid", NULL), 3);
	/* writes that are not the engine's (a bulk load, a DBA's fix) move them too */
	char sql[160];
	snprintf(sql, sizeof sql, "UPDATE signalement SET nature = 'proprete' WHERE id = %lld",
		 (long long)ids[4]);
	testdb_int(x->b, "voirie", sql);
	snprintf(sql, sizeof sql, "UPDATE signalement SET _state = 'traite' WHERE id = %lld",
		 (long long)ids[3]);
	testdb_int(x->b, "voirie", sql);
	snprintf(sql, sizeof sql, "DELETE FROM signalement WHERE id = %lld", (long long)ids[1]);
	testdb_int(x->b, "voirie", sql);
	testdb_int(x->b, "voirie",
		   "UPDATE signalement SET urgence = 'faible' WHERE nature = 'nid'");
	assert_tallies_are_counts(x);
	assert_int_equal(tally(x, "nature", "nid", NULL), 1);
	assert_int_equal(tally(x, "urgence", "faible", NULL), 1);
	/* a purge that empties a personal column: that count goes down */
	tick_result out = {0};
	uc_retention(&x->env, at("2026-06-14T09:00:00Z"), NULL, &out);
	assert_true(out.purged > 0);
	assert_tallies_are_counts(x);
	/* counted again from the rows when the store meets the form anew */
	testdb_int(x->b, "voirie", "DELETE FROM _tallies");
	testdb_int(x->b, "voirie", "DELETE FROM _meta WHERE key = 'tallies:signalement'");
	char err[STORE_ERR_LEN] = "";
	assert_int_equal(store_migrate(x->app->db, x->app->def, util_now(), err), STORE_OK);
	assert_tallies_are_counts(x);
	assert_int_equal(tally(x, "_state", "traite", NULL), 2);
}

/* ------------------------------------------------------------------ the register */

static void the_register_says_who_reads_each_personal_field(void **state)
{
	fx *x = *state;
	auth_user u = {0};
	uc_register reg;
	assert_int_equal(auth_user_get(x->env.au, "eloi", &u), AUTH_OK);
	assert_int_equal(uc_register_read(&x->env, &u, &x->mem, &reg), UC_FORBIDDEN);
	auth_user_clear(&u);
	assert_int_equal(auth_user_get(x->env.au, "root", &u), AUTH_OK);
	assert_int_equal(uc_register_read(&x->env, &u, &x->mem, &reg), UC_OK);
	auth_user_clear(&u);
	assert_int_equal(reg.napps, 1);
	const uc_register_app *ra = &reg.apps[0];
	assert_false(ra->no_privacy);
	assert_false(ra->no_retention);
	assert_int_equal(ra->nfields, 4);
	buf b = BUF_INIT;
	for (size_t i = 0; i < ra->nfields; i++) {
		buf_printf(&b, "%s.%s:", ra->fields[i].form->id, ra->fields[i].field->name);
		for (size_t k = 0; k < ra->fields[i].nreaders; k++)
			buf_printf(&b, " %s/%s", ra->fields[i].readers[k].role,
				   ra->fields[i].readers[k].all ? "all" : "own");
		buf_puts(&b, "\n");
	}
	/* roles in the app's declared order: agent, demandeur, elu (a map, sorted) */
	assert_string_equal(buf_cstr(&b),
			    "signalement.nom: agent/all demandeur/own elu/all admin/all\n"
			    "signalement.courriel: agent/all demandeur/own elu/all admin/all\n"
			    "signalement.telephone: agent/all admin/all\n"
			    "note.auteur: agent/own admin/all\n");
	buf_free(&b);
	uc_register_release(&reg);
	/* reserved roles: an open form and its author */
	def_field fd = {.name = "x"};
	def_read_rule rules[] = {{"user", false}};
	def_form f = {.access = {.read = rules, .nread = 1}};
	assert_int_equal(access_role_reach(&f, &fd, "user"), ACCESS_REACH_OWN);
	assert_int_equal(access_role_reach(&f, &fd, "public"), ACCESS_REACH_NONE);
	rules[0] = (def_read_rule){"public", true};
	assert_int_equal(access_role_reach(&f, &fd, "public"), ACCESS_REACH_ALL);
}

/* A definition in a fresh folder; its warnings as "where|message" lines. */
static void warnings_of(const char *lua, buf *out)
{
	char root[64] = "/tmp/test_gov_app.XXXXXX", dir[128], file[160], cmd[96];
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof dir, "%s/app", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(file, sizeof file, "%s/app.lua", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs(lua, f);
	fclose(f);
	diags d = {0}, w = {0};
	def_app *app = loader_load(dir, "stdlib-lua", NULL, &d);
	assert_non_null(app);
	assert_int_equal(d.n, 0);
	loader_warnings(app, &w);
	buf_reset(out);
	for (size_t i = 0; i < w.n; i++)
		buf_printf(out, "%s|%s\n", w.v[i].where, w.v[i].message);
	diags_free(&w);
	diags_free(&d);
	def_app_free(app);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void check_warns_about_personal_data_without_privacy_or_retention(void **state)
{
	(void)state;
	buf b = BUF_INIT;
	warnings_of("return { title = 'T', forms = { { id = 'f', title = 'F', fields = { "
		    "{ name = 'n', type = 'text', label = 'N', personal = true } } } } }",
		    &b);
	assert_non_null(strstr(buf_cstr(&b), "|avertissement : des champs personnels (f.n) mais "
					     "pas de bloc \"privacy\""));
	warnings_of("return { title = 'T', privacy = { purpose = 'p' }, forms = { { id = 'f', "
		    "title = 'F', fields = { { name = 'n', type = 'text', label = 'N' } } } } }",
		    &b);
	assert_string_equal(buf_cstr(&b), "privacy|avertissement : pas de \"retention_days\" : les "
					  "enregistrements terminés ne sont jamais purgés\n");
	warnings_of("return { title = 'T', privacy = { retention_days = 10 }, forms = { { id = "
		    "'f', title = 'F', fields = { { name = 'n', type = 'text', label = 'N', "
		    "personal = true } } } } }",
		    &b);
	assert_string_equal(buf_cstr(&b), "");
	warnings_of("return { title = 'T', forms = { { id = 'f', title = 'F', fields = { "
		    "{ name = 'n', type = 'text', label = 'N' } } } } }",
		    &b);
	assert_string_equal(buf_cstr(&b), ""); /* nothing personal, nothing to say */
	buf_free(&b);
}

/* ------------------------------------------------------------------ retention */

static void read_as_root(fx *x, int64_t id, uc_result *res)
{
	uc_call c;
	call_at(x, &c, "root", NULL);
	assert_int_equal(uc_read(&c, id, res), UC_OK);
}

static const value *val(fx *x, const record *r, const char *name)
{
	int col = def_find_col(x->form, name);
	assert_true(col >= 0);
	return &r->values[col];
}

static void retention_purges_final_records_once(void **state)
{
	fx *x = *state;
	int64_t ids[5];
	data_set(x, ids);
	uc_result before[5], r;
	for (size_t i = 0; i < 5; i++)
		read_as_root(x, ids[i], &before[i]);
	tick_result out = {0};
	uc_retention(&x->env, at("2026-03-10T12:00:00Z"), NULL, &out);
	assert_int_equal(out.purged, 0); /* C final for 57.6 days: not yet */
	uc_retention(&x->env, at("2026-03-13T09:00:00Z"), NULL, &out);
	assert_int_equal(out.purged, 1);
	uc_retention(&x->env, at("2026-03-13T09:00:00Z"), NULL, &out);
	assert_int_equal(out.purged, 1); /* idempotent */
	read_as_root(x, ids[2], &r);
	assert_string_equal(r.rec.purged_at, "2026-03-13T09:00:00Z");
	assert_int_equal(val(x, &r.rec, "nom")->kind, VAL_NULL);
	assert_int_equal(val(x, &r.rec, "courriel")->kind, VAL_NULL);
	assert_string_equal(val(x, &r.rec, "lieu")->s, "Impasse");
	assert_string_equal(val(x, &r.rec, "nature")->s, "eclairage");
	assert_int_equal(r.rec.version, before[2].rec.version + 1);
	/* its history: the transitions, not the values, nor the comment */
	uc_call c;
	store_history_line *h;
	size_t n;
	call_at(x, &c, "root", NULL);
	assert_int_equal(uc_history(&c, &r.rec, &h, &n), UC_OK);
	assert_int_equal(n, 3);
	assert_string_equal(h[1].action, "transition");
	assert_string_equal(h[1].from_state, "recu");
	assert_string_equal(h[1].to_state, "rejete");
	assert_string_equal(h[1].actor, "agathe");
	assert_null(h[1].comment);
	assert_string_equal(h[2].action, "purge");
	char *ch = json_dumps(h[0].changes, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(ch, "{\"courriel\":[null,null],\"lieu\":[null,\"Impasse\"],"
				"\"nature\":[null,\"eclairage\"],\"nom\":[null,null]}");
	free(ch);
	store_history_free(h, n);
	uc_result_clear(&r);
	/* A's turn; the others are not final */
	uc_retention(&x->env, at("2026-05-05T09:00:00Z"), NULL, &out);
	assert_int_equal(out.purged, 2);
	for (size_t i = 0; i < 5; i++) {
		read_as_root(x, ids[i], &r);
		if (i == 0)
			assert_string_equal(r.rec.purged_at, "2026-05-05T09:00:00Z");
		if (i == 1 || i >= 3) {
			assert_null(r.rec.purged_at);
			assert_int_equal(r.rec.version, before[i].rec.version);
			assert_string_equal(val(x, &r.rec, "nom")->s,
					    val(x, &before[i].rec, "nom")->s);
		}
		uc_result_clear(&r);
		uc_result_clear(&before[i]);
	}
	assert_int_equal(
	    testdb_int(x->b, "voirie",
		       "SELECT count(*) FROM _history WHERE changes LIKE '%Dupont%' OR "
		       "changes LIKE '%Durand%' OR comment LIKE '%Durand%'"),
	    0);
	assert_int_equal(testdb_int(x->b, "system",
				    "SELECT count(*) FROM audit WHERE action = 'retention.purge'"),
			 2);
}

static void a_purge_goes_through_every_batch_in_the_order_of_its_index(void **state)
{
	fx *x = *state;
	/* Batches of 100 follow (since, id): here 150 early ids rejected last, then 150 late
	 * ids rejected first, so a batch goes from one instant to the next, ids going down. */
	int64_t ids[300];
	for (int i = 0; i < 300; i++)
		ids[i] = create(x, "alice", "2026-01-10T09:00:00Z",
				"{\"nom\": \"Dupont\", \"lieu\": \"L\"}");
	for (int i = 150; i < 300; i++)
		trigger(x, "2026-01-11T09:00:00Z", ids[i], "rejeter", "non");
	for (int i = 0; i < 150; i++)
		trigger(x, "2026-01-12T09:00:00Z", ids[i], "rejeter", "non");
	tick_result out = {0};
	uc_retention(&x->env, at("2026-03-14T09:00:00Z"), NULL, &out);
	assert_int_equal(out.purged, 300);
	assert_int_equal(
	    testdb_int(x->b, "voirie", "SELECT count(*) FROM signalement WHERE _purged_at IS NULL"),
	    0);
	uc_retention(&x->env, at("2026-03-14T09:01:00Z"), NULL, &out);
	assert_int_equal(out.purged, 300);
}

static void a_table_from_an_earlier_version_gains_purged_at(void **state)
{
	fx *x = *state;
	int64_t id = create(x, "alice", NULL, "{\"nom\": \"N\", \"lieu\": \"L\"}");
	trigger(x, NULL, id, "prendre", NULL);
	/* as the engine before this version left it: no column, no durations counted */
	testdb_int(x->b, "voirie", "DROP INDEX \"_ix:signalement:purge\"");
	testdb_int(x->b, "voirie", "ALTER TABLE signalement DROP COLUMN _purged_at");
	testdb_int(x->b, "voirie", "DELETE FROM _meta WHERE key = 'durations:signalement'");
	testdb_int(x->b, "voirie", "DELETE FROM _durations");
	char err[STORE_ERR_LEN] = "";
	assert_int_equal(store_migrate(x->app->db, x->app->def, util_now(), err), STORE_OK);
	uc_result r;
	read_as_root(x, id, &r);
	assert_null(r.rec.purged_at);
	uc_result_clear(&r);
	assert_int_equal(testdb_int(x->b, "voirie",
				    "SELECT sum(n) FROM _durations WHERE form = 'signalement' AND "
				    "kind = 'stay' AND state = 'recu'"),
			 1);
}

int main(void)
{
	log_set_quiet(1);
	util_init();
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nearest_rank_is_the_ceil_of_p_n_th_smallest),
	    cmocka_unit_test(months_are_the_twelve_paris_months_up_to_now),
	    cmocka_unit_test(check_warns_about_personal_data_without_privacy_or_retention),
	    T(stats_count_months_states_durations_and_choices),
	    T(the_dashboard_covers_the_forms_read_wholly),
	    T(durations_kept_while_writing_equal_those_counted_again),
	    T(tallies_follow_every_write_and_equal_a_count_again),
	    T(the_register_says_who_reads_each_personal_field),
	    T(retention_purges_final_records_once),
	    T(a_purge_goes_through_every_batch_in_the_order_of_its_index),
	    T(a_table_from_an_earlier_version_gains_purged_at),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
