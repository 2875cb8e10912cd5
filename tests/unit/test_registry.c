/*
 * test_registry — deploying by copying a folder (SPEC 10): what a scan loads, reloads,
 * refuses and unloads, what it tells the audit, what /admin is shown, and that a
 * version in use outlives its replacement. Real folders and app databases in a
 * temporary directory; the last test swaps versions under two reading threads (run
 * under ASan by make test, it catches a version freed while read).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testdb.h"

#include "log.h"
#include "registry.h"
#include "util.h"

typedef struct event {
	char action[32], app[64], detail[512];
} event;

typedef struct fx {
	store_backend *b;
	char dir[64];
	char apps[96], data[96];
	registry *reg;
	event ev[32];
	int nev;
} fx;

static void on_event(void *arg, const char *action, const char *app, const char *detail)
{
	fx *x = arg;
	assert_true(x->nev < 32);
	event *e = &x->ev[x->nev++];
	snprintf(e->action, sizeof e->action, "%s", action);
	snprintf(e->app, sizeof e->app, "%s", app);
	snprintf(e->detail, sizeof e->detail, "%s", detail ? detail : "");
}

static int setup(void **state)
{
	fx *x = calloc(1, sizeof *x);
	strcpy(x->dir, "/tmp/test_registry.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->apps, sizeof x->apps, "%s/apps", x->dir);
	snprintf(x->data, sizeof x->data, "%s/data", x->dir);
	assert_int_equal(mkdir(x->apps, 0700), 0);
	assert_int_equal(mkdir(x->data, 0700), 0);
	x->b = testdb_open(x->data);
	registry_opts ro = {.backend = x->b, .apps_dir = x->apps, .data_dir = x->data, .stdlib_dir = "stdlib-lua",
	                    .quiet = true, .on_event = on_event, .on_event_arg = x};
	x->reg = registry_open(&ro);
	assert_non_null(x->reg);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;
	registry_close(x->reg);
	testdb_close(x->b);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

/* apps/<id>/app.lua with `title`, a version and one form whose field x has `type`. */
static void write_app(const fx *x, const char *id, const char *title, const char *type)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", x->apps, id);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/%s/app.lua", x->apps, id);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
	        "return {\n"
	        "  title = \"%s\", version = \"1.2.0\",\n"
	        "  forms = { { id = \"f\", title = \"F\",\n"
	        "    fields = { { name = \"x\", type = \"%s\", label = \"X\" } },\n"
	        "    access = { create = { \"user\" }, read = { user = \"own\" } } } },\n"
	        "}\n",
	        title, type);
	fclose(f);
}

static void write_file(const fx *x, const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", x->apps, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_app(const fx *x, const char *id)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/%s'", x->apps, id);
	assert_int_equal(system(cmd), 0);
}

static const char *problem_of(registry *g, const char *id, bool *serving_previous, char *out,
                              size_t len)
{
	registry_problem *p;
	size_t n = registry_problems(g, &p);
	const char *hit = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].app, id) == 0) {
			snprintf(out, len, "%s", p[i].text);
			*serving_previous = p[i].serving_previous;
			hit = out;
		}
	registry_problems_free(p, n);
	return hit;
}

static void a_new_folder_is_loaded_served_and_audited_once(void **state)
{
	fx *x = *state;
	write_app(x, "demo", "Démo", "text");
	assert_int_equal(registry_scan(x->reg), 1);
	assert_int_equal(x->nev, 1);
	assert_string_equal(x->ev[0].action, "app.load");
	assert_string_equal(x->ev[0].app, "demo");
	assert_non_null(strstr(x->ev[0].detail, "version 1.2.0, "));
	app_rt *rt = registry_get(x->reg, "demo");
	assert_non_null(rt);
	assert_string_equal(rt->def->title, "Démo");
	char hash12[13];
	snprintf(hash12, sizeof hash12, "%s", rt->def->hash);
	assert_non_null(strstr(x->ev[0].detail, hash12));
	uint64_t gen = rt->gen;
	registry_release(rt);
	/* Nothing changed: nothing is done, nothing is said. */
	assert_int_equal(registry_scan(x->reg), 0);
	assert_int_equal(x->nev, 1);
	rt = registry_get(x->reg, "demo");
	assert_true(rt->gen == gen);
	registry_release(rt);
	assert_null(registry_get(x->reg, "absent"));
}

static void a_change_is_a_new_version_and_the_old_one_lives_while_held(void **state)
{
	fx *x = *state;
	write_app(x, "demo", "Première", "text");
	assert_int_equal(registry_scan(x->reg), 1);
	app_rt *v1 = registry_get(x->reg, "demo");
	write_app(x, "demo", "Seconde", "text");
	assert_int_equal(registry_scan(x->reg), 1);
	assert_string_equal(x->ev[1].action, "app.reload");
	app_rt *v2 = registry_get(x->reg, "demo");
	assert_true(v2->gen > v1->gen);
	assert_string_equal(v2->def->title, "Seconde");
	/* A request that started on v1 finishes on v1, on the same database. */
	assert_string_equal(v1->def->title, "Première");
	assert_ptr_equal(v1->db, v2->db);
	registry_release(v1);
	registry_release(v2);
	/* A file in lib/ is part of the app: changing it is a new version too. */
	char lib[160];
	snprintf(lib, sizeof lib, "%s/demo/lib", x->apps);
	assert_int_equal(mkdir(lib, 0700), 0);
	write_file(x, "demo/lib/outils.lua", "return {}\n");
	assert_int_equal(registry_scan(x->reg), 1);
	/* Any other file is not. */
	write_file(x, "demo/LISEZMOI.txt", "notes\n");
	assert_int_equal(registry_scan(x->reg), 0);
}

static void a_broken_version_is_refused_and_the_previous_keeps_serving(void **state)
{
	fx *x = *state;
	write_app(x, "demo", "Bonne", "text");
	assert_int_equal(registry_scan(x->reg), 1);
	write_file(x, "demo/app.lua", "return { title = \"Cassée\", forms = { { id = \"f\", \n");
	assert_int_equal(registry_scan(x->reg), 0);
	assert_int_equal(x->nev, 2);
	assert_string_equal(x->ev[1].action, "app.refused");
	assert_non_null(strstr(x->ev[1].detail, "app.lua"));
	app_rt *rt = registry_get(x->reg, "demo");
	assert_string_equal(rt->def->title, "Bonne");
	registry_release(rt);
	char text[2048];
	bool prev = false;
	assert_non_null(problem_of(x->reg, "demo", &prev, text, sizeof text));
	assert_true(prev);
	/* The same broken files are not tried (nor said) again. */
	assert_int_equal(registry_scan(x->reg), 0);
	assert_int_equal(x->nev, 2);
	/* Fixed: served, and the problem is gone. */
	write_app(x, "demo", "Réparée", "text");
	assert_int_equal(registry_scan(x->reg), 1);
	assert_string_equal(x->ev[2].action, "app.reload");
	assert_null(problem_of(x->reg, "demo", &prev, text, sizeof text));
}

static void a_type_change_the_data_cannot_follow_is_refused(void **state)
{
	fx *x = *state;
	write_app(x, "demo", "Texte", "text");
	assert_int_equal(registry_scan(x->reg), 1);
	write_app(x, "demo", "Nombre", "integer");
	assert_int_equal(registry_scan(x->reg), 0);
	assert_string_equal(x->ev[1].action, "app.refused");
	assert_non_null(strstr(x->ev[1].detail, "change de type"));
	app_rt *rt = registry_get(x->reg, "demo");
	assert_string_equal(rt->def->title, "Texte");
	registry_release(rt);
}

static void folders_that_are_not_apps_are_shown_not_served(void **state)
{
	fx *x = *state;
	write_app(x, "Mauvais_Nom", "X", "text");
	char empty[160];
	snprintf(empty, sizeof empty, "%s/en-cours", x->apps);
	assert_int_equal(mkdir(empty, 0700), 0); /* a copy that has not brought app.lua yet */
	assert_int_equal(registry_scan(x->reg), 0);
	assert_null(registry_get(x->reg, "Mauvais_Nom"));
	assert_null(registry_get(x->reg, "en-cours"));
	char text[2048];
	bool prev = true;
	assert_non_null(problem_of(x->reg, "Mauvais_Nom", &prev, text, sizeof text));
	assert_non_null(strstr(text, "nom de dossier invalide"));
	assert_false(prev);
	assert_non_null(problem_of(x->reg, "en-cours", &prev, text, sizeof text));
	assert_non_null(strstr(text, "app.lua"));
	/* The copy completes: served at the next scan. */
	write_app(x, "en-cours", "Arrivée", "text");
	assert_int_equal(registry_scan(x->reg), 1);
	app_rt *rt = registry_get(x->reg, "en-cours");
	assert_non_null(rt);
	registry_release(rt);
	assert_null(problem_of(x->reg, "en-cours", &prev, text, sizeof text));
}

static void a_removed_folder_is_unloaded_but_a_held_version_stays_usable(void **state)
{
	fx *x = *state;
	write_app(x, "demo", "Démo", "text");
	write_app(x, "autre", "Autre", "text");
	assert_int_equal(registry_scan(x->reg), 2);
	app_rt *held = registry_get(x->reg, "demo");
	remove_app(x, "demo");
	assert_int_equal(registry_scan(x->reg), 1);
	assert_string_equal(x->ev[x->nev - 1].action, "app.unload");
	assert_string_equal(x->ev[x->nev - 1].app, "demo");
	assert_null(registry_get(x->reg, "demo"));
	app_rt **all;
	size_t n = registry_list(x->reg, &all);
	assert_int_equal(n, 1);
	assert_string_equal(all[0]->def->id, "autre");
	registry_release(all[0]);
	free(all);
	/* The request holding it still reads its definition and its database. */
	store_query q = {.now = util_now()};
	int64_t count = -1;
	assert_int_equal(store_count(held->db, &held->def->forms[0], &q, &count), STORE_OK);
	assert_int_equal(count, 0);
	registry_release(held);
}

static void an_unreadable_apps_folder_unloads_nothing(void **state)
{
	fx *x = *state;
	write_app(x, "demo", "Démo", "text");
	assert_int_equal(registry_scan(x->reg), 1);
	char moved[128];
	snprintf(moved, sizeof moved, "%s/ailleurs", x->dir);
	assert_int_equal(rename(x->apps, moved), 0);
	assert_int_equal(registry_scan(x->reg), 0);
	app_rt *rt = registry_get(x->reg, "demo");
	assert_non_null(rt);
	registry_release(rt);
	assert_int_equal(rename(moved, x->apps), 0);
}

typedef struct reader {
	registry *reg;
	atomic_bool *stop;
	long reads;
	long bad;                 /* cmocka's asserts belong to the main thread */
} reader;

static void *read_loop(void *arg)
{
	reader *r = arg;
	while (!atomic_load(r->stop)) {
		app_rt *rt = registry_get(r->reg, "demo");
		if (rt) {
			/* Touch the definition: freed too early, ASan says so here. */
			if (strncmp(rt->def->title, "Version ", 8) != 0 || rt->def->nforms != 1)
				r->bad++;
			registry_release(rt);
			r->reads++;
		}
	}
	return NULL;
}

static void versions_swap_under_readers_without_a_freed_read(void **state)
{
	fx *x = *state;
	write_app(x, "demo", "Version 0", "text");
	assert_int_equal(registry_scan(x->reg), 1);
	atomic_bool stop = false;
	reader rd[2] = {{x->reg, &stop, 0, 0}, {x->reg, &stop, 0, 0}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, read_loop, &rd[i]), 0);
	for (int v = 1; v <= 20; v++) {
		char title[32];
		snprintf(title, sizeof title, "Version %d", v);
		write_app(x, "demo", title, "text");
		assert_int_equal(registry_scan(x->reg), 1);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_true(rd[0].reads > 0 && rd[1].reads > 0);
	assert_int_equal(rd[0].bad + rd[1].bad, 0);
	app_rt *rt = registry_get(x->reg, "demo");
	assert_string_equal(rt->def->title, "Version 20");
	registry_release(rt);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_new_folder_is_loaded_served_and_audited_once),
		T(a_change_is_a_new_version_and_the_old_one_lives_while_held),
		T(a_broken_version_is_refused_and_the_previous_keeps_serving),
		T(a_type_change_the_data_cannot_follow_is_refused),
		T(folders_that_are_not_apps_are_shown_not_served),
		T(a_removed_folder_is_unloaded_but_a_held_version_stays_usable),
		T(an_unreadable_apps_folder_unloads_nothing),
		T(versions_swap_under_readers_without_a_freed_read),
	};
#undef T
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
