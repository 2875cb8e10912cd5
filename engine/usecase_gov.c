/*
 * usecase_gov — governed data (SPEC 6, 7, 11): the dashboard of an app, the GDPR
 * register of every app, and retention purges (see usecase.h).
 *
 * The dashboard shows a form only to those who read every record of it (and admins):
 * counts of records they could not list would say what the read rule hides. Its
 * numbers are the store's aggregates (store.h's governance part); nothing here walks
 * records. The register is made from the definitions alone; who reads a personal
 * field is access.h's answer for each role, so it says what the rules do.
 */
#include "usecase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stats.h"
#include "util.h"

/* ------------------------------------------------------------------ the dashboard */

static bool reads_all(const def_form *f, const actor *who)
{
	store_scope sc = access_read_scope(f, who);
	return !sc.none && !sc.owner;
}

bool uc_stats_covers(const uc_call *c, const def_form *f)
{
	return reads_all(f, &c->who);
}

static void hist_row(void *arg, int64_t tenths, int64_t n)
{
	stats_hist_add(arg, tenths, n);
}

/* One duration from the store's histogram of `kind` over `states`. */
static int duration(const app_rt *app, const def_form *f, store_duration kind,
		    const char *const *states, size_t n, uc_duration *out)
{
	stats_hist h = {0};
	int rc = store_durations(app->db, f, kind, states, n, hist_row, &h);
	out->count = h.total;
	out->median = stats_rank(&h, 500);
	out->p90 = stats_rank(&h, 900);
	stats_hist_free(&h);
	return rc;
}

/* Where the form's tallies go while they are read (store_tallies). */
typedef struct tally_sink {
	uc_form_stats *fs;
	const stats_months *m;
} tally_sink;

static void tally_choice(uc_form_stats *fs, const char *dim, const char *val, int64_t n)
{
	for (size_t i = 0; i < fs->nchoice; i++) {
		uc_choice_count *cc = &fs->choice[i];
		if (strcmp(cc->field->name, dim) != 0)
			continue;
		/* (a value no option has any more, after an edited definition, is not shown) */
		for (size_t o = 0; o < cc->field->noptions; o++)
			if (strcmp(cc->field->options[o].value, val) == 0)
				cc->n[o] += n;
		return;
	}
}

static void tally_row(void *arg, const char *dim, const char *val, int64_t n)
{
	tally_sink *t = arg;
	uc_form_stats *fs = t->fs;
	if (!dim || !val)
		return;
	if (strcmp(dim, "_hour") == 0) {
		fs->total += n;
		/* Paris months start on whole UTC hours: an hour is in one month or another. */
		for (size_t i = 0; val[0] && i < STATS_MONTHS; i++)
			if (strncmp(val, t->m->bound[i], 13) >= 0 &&
			    strncmp(val, t->m->bound[i + 1], 13) < 0)
				fs->by_month[i] += n;
	} else if (strcmp(dim, "_last") == 0) {
		fs->last = (time_t)n;
	} else if (strcmp(dim, "_state") == 0) {
		const def_workflow *w = fs->form->workflow;
		for (size_t i = 0; w && i < w->nstates; i++)
			if (strcmp(w->states[i].id, val) == 0)
				fs->by_state[i] += n;
	} else {
		tally_choice(fs, dim, val, n);
	}
}

/* Every choice field the person may read, every option (zeros included), to be
 * filled by the tallies. */
static void choice_slots(uc_call *c, const def_form *f, uc_form_stats *fs)
{
	fs->choice = arena_alloc(c->mem, (f->ncols ? f->ncols : 1) * sizeof *fs->choice);
	for (size_t col = 0; col < f->ncols; col++) {
		const def_field *fd = f->cols[col];
		if (fd->type != FT_CHOICE || !access_can_read_col(fd, &c->who))
			continue;
		uc_choice_count *cc = &fs->choice[fs->nchoice++];
		cc->field = fd;
		cc->n = arena_alloc(c->mem, (fd->noptions ? fd->noptions : 1) * sizeof *cc->n);
		memset(cc->n, 0, (fd->noptions ? fd->noptions : 1) * sizeof *cc->n);
	}
}

/* Total, by state, by month and by choice, from the tallies. */
static int count_stats(uc_call *c, const def_form *f, uc_form_stats *fs)
{
	stats_months m;
	stats_months_to(c->now, &m);
	memcpy(fs->month, m.label, sizeof fs->month);
	if (f->workflow) {
		size_t ns = f->workflow->nstates;
		fs->by_state = arena_alloc(c->mem, ns * sizeof *fs->by_state);
		memset(fs->by_state, 0, ns * sizeof *fs->by_state);
	}
	choice_slots(c, f, fs);
	char from[16], to[16];
	snprintf(from, sizeof from, "%.13s", m.bound[0]);
	snprintf(to, sizeof to, "%.13s", m.bound[STATS_MONTHS]);
	tally_sink t = {fs, &m};
	return store_tallies(c->app->db, f, from, to, tally_row, &t);
}

/* Overdue records: each state's tally less those that entered it recently. */
static int overdue_stats(uc_call *c, const def_form *f, uc_form_stats *fs)
{
	const def_workflow *w = f->workflow;
	if (!w)
		return STORE_OK;
	int64_t *recent = arena_alloc(c->mem, w->nstates * sizeof *recent);
	int rc = store_count_not_overdue(c->app->db, f, c->now, recent);
	for (size_t i = 0; i < w->nstates && rc == STORE_OK; i++)
		if (w->states[i].due_days >= 0 && fs->by_state[i] > recent[i])
			fs->overdue += fs->by_state[i] - recent[i];
	return rc;
}

/* The durations of the workflow. */
static int workflow_stats(uc_call *c, const def_form *f, uc_form_stats *fs)
{
	const def_workflow *w = f->workflow;
	if (!w)
		return STORE_OK;
	size_t ns = w->nstates, nfinal = 0;
	const char **ids = arena_alloc(c->mem, ns * sizeof *ids);
	const char **finals = arena_alloc(c->mem, ns * sizeof *finals);
	for (size_t i = 0; i < ns; i++) {
		ids[i] = w->states[i].id;
		if (w->states[i].final)
			finals[nfinal++] = w->states[i].id;
	}
	fs->in_state = arena_alloc(c->mem, ns * sizeof *fs->in_state);
	int rc = STORE_OK;
	for (size_t i = 0; i < ns && rc == STORE_OK; i++)
		rc = duration(c->app, f, STORE_STAY, &ids[i], 1, &fs->in_state[i]);
	if (rc == STORE_OK)
		rc = duration(c->app, f, STORE_REACH, finals, nfinal, &fs->to_final);
	return rc;
}

size_t uc_activity(const uc_env *env, app_rt *const *apps, size_t napps, arena *mem,
		   uc_form_stats **out)
{
	size_t n = 0;
	for (size_t i = 0; i < napps; i++)
		n += apps[i]->def->nforms;
	*out = arena_alloc(mem, (n ? n : 1) * sizeof **out);
	n = 0;
	for (size_t i = 0; i < napps; i++) {
		for (size_t k = 0; k < apps[i]->def->nforms; k++) {
			const def_form *f = &apps[i]->def->forms[k];
			uc_form_stats *fs = &(*out)[n++];
			uc_call c = {
			    .env = env, .app = apps[i], .form = f, .now = util_now(), .mem = mem};
			c.who.admin = true;
			fs->app = apps[i]->def;
			fs->form = f;
			if (count_stats(&c, f, fs) != STORE_OK ||
			    overdue_stats(&c, f, fs) != STORE_OK)
				fs->total = -1;
		}
	}
	return n;
}

uc_status uc_stats(uc_call *c, uc_dashboard *out, uc_result *res)
{
	const def_app *app = c->app->def;
	memset(out, 0, sizeof *out);
	memset(res, 0, sizeof *res);
	if (c->unavailable)
		return uc_unavailable(res);
	util_iso_datetime(c->now, out->generated_at);
	out->forms = arena_alloc(c->mem, (app->nforms ? app->nforms : 1) * sizeof *out->forms);
	int rc = STORE_OK;
	for (size_t i = 0; i < app->nforms && rc == STORE_OK; i++) {
		const def_form *f = &app->forms[i];
		if (!reads_all(f, &c->who))
			continue;
		uc_form_stats *fs = &out->forms[out->nforms++];
		fs->form = f;
		if ((rc = count_stats(c, f, fs)) == STORE_OK &&
		    (rc = overdue_stats(c, f, fs)) == STORE_OK)
			rc = workflow_stats(c, f, fs);
	}
	if (rc == STORE_UNAVAILABLE)
		return uc_unavailable(res);
	if (rc != STORE_OK) {
		snprintf(res->msg, sizeof res->msg, "statistiques : lecture impossible");
		return res->status = UC_ERROR;
	}
	if (out->nforms == 0)
		return res->status = UC_FORBIDDEN;
	return res->status = UC_OK;
}

/* ------------------------------------------------------------------ the register */

static void add_reader(uc_reader *v, size_t *n, const char *role, const char *label,
		       access_reach reach)
{
	if (reach == ACCESS_REACH_NONE)
		return;
	v[(*n)++] = (uc_reader){.role = role, .label = label, .all = reach == ACCESS_REACH_ALL};
}

/* Who reads column fd: the public, any signed-in person (all, or the author for their
 * own), each declared role, admins. */
static void field_readers(const def_app *app, const def_form *f, const def_field *fd, arena *mem,
			  uc_personal *out)
{
	uc_reader *v = arena_alloc(mem, (app->nroles + 3) * sizeof *v);
	size_t n = 0;
	add_reader(v, &n, "public", NULL, access_role_reach(f, fd, "public"));
	access_reach user = access_role_reach(f, fd, "user");
	add_reader(v, &n, user == ACCESS_REACH_OWN ? "owner" : "user", NULL, user);
	for (size_t r = 0; r < app->nroles; r++)
		add_reader(v, &n, app->roles[r].id, app->roles[r].label,
			   access_role_reach(f, fd, app->roles[r].id));
	add_reader(v, &n, "admin", NULL, ACCESS_REACH_ALL);
	out->readers = v;
	out->nreaders = n;
}

static void register_app(const def_app *app, arena *mem, uc_register_app *out)
{
	size_t cap = 0;
	for (size_t i = 0; i < app->nforms; i++)
		cap += app->forms[i].ncols;
	uc_personal *v = arena_alloc(mem, (cap ? cap : 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < app->nforms; i++) {
		const def_form *f = &app->forms[i];
		for (size_t c = 0; c < f->ncols; c++) {
			if (!f->cols[c]->personal)
				continue;
			v[n].form = f;
			v[n].field = f->cols[c];
			field_readers(app, f, f->cols[c], mem, &v[n]);
			n++;
		}
	}
	bool has_privacy = app->privacy.purpose || app->privacy.legal_basis ||
			   app->privacy.contact || app->privacy.retention_days >= 0 ||
			   app->privacy.recipients.n;
	*out = (uc_register_app){.app = app,
				 .fields = v,
				 .nfields = n,
				 .no_privacy = n > 0 && !has_privacy,
				 .no_retention = has_privacy && app->privacy.retention_days < 0};
}

uc_status uc_register_read(const uc_env *env, const auth_user *user, arena *mem, uc_register *out)
{
	memset(out, 0, sizeof *out);
	if (!user || !user->login || !user->admin)
		return UC_FORBIDDEN;
	util_iso_datetime(util_now(), out->generated_at);
	out->nrefs = registry_list(env->reg, &out->refs);
	out->apps = arena_alloc(mem, (out->nrefs ? out->nrefs : 1) * sizeof *out->apps);
	for (size_t i = 0; i < out->nrefs; i++)
		register_app(out->refs[i]->def, mem, &out->apps[out->napps++]);
	return UC_OK;
}

void uc_register_release(uc_register *r)
{
	for (size_t i = 0; i < r->nrefs; i++)
		registry_release(r->refs[i]);
	free(r->refs);
	memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ retention */

/* One form's purge: the columns of personal fields and of files are emptied. */
static int64_t retention_form(app_rt *rt, const def_form *f, time_t now, const atomic_bool *stop,
			      tick_result *out)
{
	const def_workflow *w = f->workflow;
	const def_app *app = rt->def;
	const char **finals = xcalloc(w->nstates, sizeof *finals);
	bool *erase = xcalloc(f->ncols ? f->ncols : 1, sizeof *erase);
	size_t nfinal = 0;
	for (size_t i = 0; i < w->nstates; i++)
		if (w->states[i].final)
			finals[nfinal++] = w->states[i].id;
	/* Files go whether or not marked personal: a scan says more than its field's label.
	 * Their blobs, no longer used by the record, are the file store's to collect. */
	for (size_t c = 0; c < f->ncols; c++)
		erase[c] = f->cols[c]->personal || f->cols[c]->type == FT_FILE;
	store_purge_req q = {.f = f,
			     .erase = erase,
			     .states = finals,
			     .nstates = nfinal,
			     .before = now - (time_t)app->privacy.retention_days * 86400,
			     .now = now,
			     .stop = stop};
	int64_t n = 0;
	if (store_purge(rt->db, &q, &n) != STORE_OK) {
		log_message("retention", "%s/%s: purge interrupted (see above)", app->id, f->id);
		out->errors++;
	}
	free(finals);
	free(erase);
	return n;
}

void uc_retention(const uc_env *env, time_t now, const atomic_bool *stop, tick_result *out)
{
	app_rt **apps = NULL;
	size_t n = registry_list(env->reg, &apps);
	for (size_t i = 0; i < n; i++) {
		const def_app *app = apps[i]->def;
		for (size_t k = 0; app->privacy.retention_days > 0 && k < app->nforms &&
				   !(stop && atomic_load(stop));
		     k++) {
			const def_form *f = &app->forms[k];
			if (!f->workflow)
				continue; /* no final state: nothing ever ends */
			int64_t purged = retention_form(apps[i], f, now, stop, out);
			if (purged == 0)
				continue;
			out->purged += (int)purged;
			char target[160], detail[160];
			snprintf(target, sizeof target, "%s/%s", app->id, f->id);
			snprintf(detail, sizeof detail,
				 "%lld enregistrement(s) purgé(s) (conservation : %d jours)",
				 (long long)purged, app->privacy.retention_days);
			log_message("retention", "%s: %s", target, detail);
			if (env->au)
				auth_audit(env->au, "system", "retention.purge", target, detail);
		}
		registry_release(apps[i]);
	}
	free(apps);
}
