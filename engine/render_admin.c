/*
 * render_admin — /admin: the catalog of apps, load problems, apps whose code ran past
 * its budget; /admin/outbox: the latest mails of each app (see render.h).
 */
#include "render_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* ---- admin ---- */

static void th_col(buf *o, const page *p, enum ui m)
{
	buf_puts(o, "<th scope=\"col\">");
	buf_puts(o, T(p, m));
	buf_puts(o, "</th>");
}

static void admin_apps(buf *out, const page *p, const app_rt *const *apps, size_t napps)
{
	buf_puts(out, "<h2>");
	buf_puts(out, T(p, UI_ADMIN_APPS));
	buf_puts(out, "</h2>\n");
	if (napps == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_ADMIN_NO_APPS));
		buf_puts(out, "</p>\n");
		return;
	}
	render_table_open(out, "apps", NULL);
	buf_puts(out, T(p, UI_ADMIN_CAPTION));
	buf_puts(out, "</span></caption>\n<thead><tr>");
	th_col(out, p, UI_APP);
	th_col(out, p, UI_IDENT);
	th_col(out, p, UI_OWNER_COL);
	th_col(out, p, UI_VERSION);
	th_col(out, p, UI_FORMS);
	th_col(out, p, UI_HASH);
	buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < napps; i++) {
		const def_app *a = apps[i]->def;
		buf_puts(out, "<tr><th scope=\"row\"><a href=\"");
		render_url_app(out, a);
		buf_puts(out, "\">");
		buf_html(out, a->title);
		buf_puts(out, "</a></th><td><code>");
		buf_html(out, a->id);
		buf_puts(out, "</code></td><td>");
		if (a->owner && *a->owner)
			buf_html(out, a->owner);
		else
			render_put_empty(out, p);
		buf_puts(out, "</td><td>");
		if (a->version && *a->version)
			buf_html(out, a->version);
		else
			render_put_empty(out, p);
		buf_puts(out, "</td><td>");
		for (size_t j = 0; j < a->nforms; j++) {
			if (j)
				buf_puts(out, ", ");
			buf_html(out, a->forms[j].title);
		}
		buf_puts(out, "</td><td>");
		if (a->hash) {
			buf_puts(out, "<code>");
			buf_html_n(out, a->hash, strnlen(a->hash, 12));
			buf_puts(out, "</code>");
		} else {
			render_put_empty(out, p);
		}
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

/* Apps whose code ran past its budget: suspended now or before, and how often. */
static void admin_lua(buf *out, const page *p, const sandbox_pool_app *lua, size_t n)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += lua[i].overruns > 0 || lua[i].refused > 0;
	buf_puts(out, "<h2>");
	buf_puts(out, T(p, UI_LUA_BUDGET));
	buf_puts(out, "</h2>\n");
	if (!shown) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_LUA_NONE));
		buf_puts(out, "</p>\n");
		return;
	}
	render_table_open(out, "lua", NULL);
	buf_puts(out, T(p, UI_LUA_CAPTION));
	buf_puts(out, "</span></caption>\n<thead><tr>");
	th_col(out, p, UI_IDENT);
	th_col(out, p, UI_LUA_STATUS);
	th_col(out, p, UI_LUA_OVERRUNS);
	th_col(out, p, UI_LUA_TRIPS);
	th_col(out, p, UI_LUA_REFUSED);
	buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const sandbox_pool_app *a = &lua[i];
		if (!a->overruns && !a->refused)
			continue;
		buf_puts(out, "<tr><th scope=\"row\"><code>");
		buf_html(out, a->app);
		buf_puts(out, "</code></th><td>");
		if (a->suspended_until) {
			char iso[32];
			util_iso_datetime(a->suspended_until, iso);
			buf_puts(out, T(p, UI_LUA_SUSPENDED_UNTIL));
			buf_putc(out, ' ');
			render_put_datetime(out, p, iso, true);
		} else {
			buf_puts(out, T(p, UI_LUA_RUNNING));
		}
		buf_printf(out, "</td><td>%llu</td><td>%llu</td><td>%llu</td></tr>\n",
			   (unsigned long long)a->overruns, (unsigned long long)a->trips,
			   (unsigned long long)a->refused);
	}
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

static void admin_problems(buf *out, const page *p, const registry_problem *problems,
			   size_t nproblems)
{
	buf_puts(out, "<h2>");
	buf_puts(out, T(p, UI_PROBLEMS));
	buf_puts(out, "</h2>\n");
	if (nproblems == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_NO_PROBLEMS));
		buf_puts(out, "</p>\n");
	}
	for (size_t i = 0; i < nproblems; i++) {
		const registry_problem *pb = &problems[i];
		buf_puts(out, "<section class=\"problem\">\n<h3><code>");
		buf_html(out, pb->app);
		buf_puts(out, "</code></h3>\n<p>");
		buf_puts(out, T(p, pb->serving_previous ? UI_SERVING_PREVIOUS : UI_NOT_SERVED));
		buf_puts(out, "</p>\n<pre>");
		buf_html(out, pb->text);
		buf_puts(out, "</pre>\n</section>\n");
	}
}

void render_admin_breadcrumb(buf *out, const page *p, const char *href, const char *label)
{
	buf_puts(out, "<nav class=\"breadcrumb\" aria-label=\"");
	buf_puts(out, T(p, UI_BREADCRUMB));
	buf_puts(out, "\">\n<ol>\n<li><a href=\"/\">");
	buf_puts(out, T(p, UI_HOME));
	buf_puts(out, "</a></li>\n<li><a href=\"/admin\">");
	buf_puts(out, T(p, UI_ADMIN));
	buf_puts(out, "</a></li>\n");
	if (href) {
		buf_puts(out, "<li><a href=\"");
		buf_html(out, href);
		buf_puts(out, "\">");
		buf_html(out, label);
		buf_puts(out, "</a></li>\n");
	}
	buf_puts(out, "</ol>\n</nav>\n");
}

static void th_text(buf *o, const char *text)
{
	buf_puts(o, "<th scope=\"col\">");
	buf_puts(o, text);
	buf_puts(o, "</th>");
}

/* Per form: its records, overdue ones, last activity (from the tallies: no scan). */
static void admin_activity(buf *out, const page *p, const admin_view *v)
{
	bool en = render_page_lang(p) == LANG_EN;
	if (v->nactivity == 0)
		return;
	buf_puts(out, "<h2>");
	buf_puts(out, en ? "Forms at work" : "Activité des formulaires");
	buf_puts(out, "</h2>\n");
	render_table_open(out, "activite", NULL);
	buf_puts(out, en ? "Records, overdue records and last activity of each form"
			 : "Enregistrements, retards et dernière activité de chaque formulaire");
	buf_puts(out, "</span></caption>\n<thead><tr>");
	th_text(out, en ? "Form" : "Formulaire");
	th_text(out, en ? "Application" : "Application");
	th_text(out, en ? "Records" : "Enregistrements");
	th_text(out, en ? "Overdue" : "En retard");
	th_text(out, en ? "Last activity" : "Dernière activité");
	buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < v->nactivity; i++) {
		const uc_form_stats *fs = &v->activity[i];
		const def_app *a = fs->app;
		buf_puts(out, "<tr><th scope=\"row\"><a href=\"");
		render_url_form(out, a, fs->form);
		buf_puts(out, "\">");
		buf_html(out, fs->form->title);
		buf_puts(out, "</a></th><td>");
		buf_html(out, a->title);
		buf_puts(out, "</td><td>");
		if (fs->total < 0)
			buf_puts(out, en ? "unreadable" : "illisible");
		else
			render_put_count(out, p, fs->total);
		buf_puts(out, "</td><td>");
		if (fs->form->workflow && fs->total >= 0)
			render_put_count(out, p, fs->overdue);
		else
			render_put_empty(out, p);
		buf_puts(out, "</td><td>");
		if (fs->last > 0) {
			char iso[32];
			util_iso_datetime(fs->last, iso);
			render_put_datetime(out, p, iso, true);
		} else {
			render_put_empty(out, p);
		}
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

void render_admin(buf *out, const page *p, const admin_view *v)
{
	render_page_open(out, p, false);
	buf_puts(out, T(p, UI_ADMIN));
	render_page_body(out, p);
	buf_puts(out, "<h1>");
	buf_puts(out, T(p, UI_ADMIN));
	buf_puts(out, "</h1>\n<ul>\n<li><a href=\"/admin/outbox\">");
	buf_puts(out, T(p, UI_OUTBOX));
	buf_puts(out, "</a></li>\n<li><a href=\"/admin/users\">");
	buf_puts(out,
		 render_page_lang(p) == LANG_EN ? "People and their roles" : "Personnes et rôles");
	buf_puts(out, "</a></li>\n<li><a href=\"/admin/audit\">");
	buf_puts(out, render_page_lang(p) == LANG_EN ? "Audit log" : "Journal d'audit");
	buf_puts(out, "</a></li>\n<li><a href=\"/admin/registre\">");
	buf_puts(out, render_page_lang(p) == LANG_EN ? "Record of processing activities (GDPR)"
						     : "Registre des traitements (RGPD)");
	buf_puts(out, "</a></li>\n</ul>\n");
	if (v->no_site)
		buf_puts(
		    out,
		    render_page_lang(p) == LANG_EN
			? "<div class=\"notice warning\"><p>No <code>data/site.lua</code>: "
			  "pages say “smallapps” in neutral colours. Write it to give them "
			  "the collectivité's name, logo and colour.</p></div>\n"
			: "<div class=\"notice warning\"><p>Pas de fichier "
			  "<code>data/site.lua</code> : les pages portent le nom « smallapps » et "
			  "des couleurs neutres. Écrivez-le pour leur donner le nom, le logo et "
			  "la couleur de la collectivité.</p></div>\n");
	admin_apps(out, p, v->apps, v->napps);
	admin_activity(out, p, v);
	admin_problems(out, p, v->problems, v->nproblems);
	admin_lua(out, p, v->lua, v->nlua);
	render_page_close(out, p);
}

/* ---- admin: outgoing mail ---- */

static void outbox_table(buf *out, const page *p, const outbox_view *v)
{
	const def_app *a = v->app;
	if (v->unreadable) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_OUTBOX_UNREADABLE));
		buf_puts(out, "</p>\n");
		return;
	}
	if (v->nrows == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_OUTBOX_NONE));
		buf_puts(out, "</p>\n");
		return;
	}
	render_table_open(out, "outbox", NULL);
	buf_puts(out, T(p, UI_OUTBOX_CAPTION));
	buf_puts(out, " ");
	render_put_quoted(out, p, a->title);
	buf_puts(out, "</span></caption>\n<thead><tr>");
	th_col(out, p, UI_OB_NUM);
	th_col(out, p, UI_OB_STATUS);
	th_col(out, p, UI_OB_CREATED);
	th_col(out, p, UI_OB_TO);
	th_col(out, p, UI_OB_SUBJECT);
	th_col(out, p, UI_OB_ATTEMPTS);
	th_col(out, p, UI_OB_NEXT);
	th_col(out, p, UI_OB_ANSWER);
	th_col(out, p, UI_OB_RECORD);
	buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < v->nrows; i++) {
		const outbox_row *r = &v->rows[i];
		bool sent = r->status && strcmp(r->status, "sent") == 0;
		bool failed = r->status && strcmp(r->status, "failed") == 0;
		bool pending = r->status && strcmp(r->status, "pending") == 0;
		buf_puts(out, "<tr><th scope=\"row\">");
		render_put_int(out, r->id);
		buf_puts(out, "</th><td><span class=\"badge");
		buf_puts(out, sent ? " sent\">" : failed ? " failed\">" : "\">");
		if (sent || failed || pending)
			buf_puts(out, T(p, sent	    ? UI_OB_SENT
					   : failed ? UI_OB_FAILED
						    : UI_OB_PENDING));
		else
			buf_html(out, r->status);
		buf_puts(out, "</span>");
		if (sent && r->sent_at) {
			buf_puts(out, " ");
			render_put_datetime(out, p, r->sent_at, true);
		}
		buf_puts(out, "</td><td>");
		render_put_datetime(out, p, r->created_at, true);
		buf_puts(out, "</td><td>");
		buf_html(out, r->to);
		buf_puts(out, "</td><td>");
		buf_html(out, r->subject);
		buf_puts(out, "</td><td>");
		render_put_int(out, r->attempts);
		buf_puts(out, "</td><td>");
		if (pending)
			render_put_datetime(out, p, r->next_attempt_at, true);
		else
			render_put_empty(out, p);
		buf_puts(out, "</td><td>");
		const char *answer = sent && r->smtp_reply ? r->smtp_reply : r->last_error;
		if (answer && *answer) {
			buf_puts(out, "<code>");
			buf_html(out, answer);
			buf_puts(out, "</code>");
			/* Sent to the others: who did not get it is what the admin must see. */
			if (sent && answer != r->last_error && r->last_error &&
			    strncmp(r->last_error, OUTBOX_REFUSED_PREFIX,
				    strlen(OUTBOX_REFUSED_PREFIX)) == 0) {
				buf_puts(out, "<br><code>");
				buf_html(out, r->last_error);
				buf_puts(out, "</code>");
			}
		} else {
			render_put_empty(out, p);
		}
		buf_puts(out, "</td><td><a href=\"");
		render_url_app(out, a);
		buf_html(out, r->form);
		buf_putc(out, '/');
		render_put_int(out, r->record_id);
		buf_puts(out, "\">");
		buf_html(out, r->form);
		buf_puts(out, " ");
		buf_puts(out, T(p, UI_OB_NUM));
		buf_puts(out, "\xc2\xa0");
		render_put_int(out, r->record_id);
		buf_puts(out, "</a></td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

void render_admin_outbox(buf *out, const page *p, const outbox_view *apps, size_t napps)
{
	render_page_open(out, p, false);
	buf_puts(out, T(p, UI_OUTBOX));
	render_page_body(out, p);
	render_admin_breadcrumb(out, p, NULL, NULL);
	buf_puts(out, "<h1>");
	buf_puts(out, T(p, UI_OUTBOX));
	buf_puts(out, "</h1>\n<p>");
	buf_puts(out, T(p, UI_OUTBOX_INTRO));
	buf_puts(out, "</p>\n");
	if (napps == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_ADMIN_NO_APPS));
		buf_puts(out, "</p>\n");
	}
	for (size_t i = 0; i < napps; i++) {
		buf_puts(out, "<h2>");
		buf_html(out, apps[i].app->title);
		buf_puts(out, " (<code>");
		buf_html(out, apps[i].app->id);
		buf_puts(out, "</code>)</h2>\n");
		outbox_table(out, p, &apps[i]);
	}
	render_page_close(out, p);
}

/* ---- admin: the audit log ---- */

static const char *const AUDIT_KINDS[][3] = {
    {"login", "Connexions", "Sign-ins"},
    {"login_failed", "Connexions refusées", "Refused sign-ins"},
    {"grant", "Rôles donnés", "Roles granted"},
    {"revoke", "Rôles retirés", "Roles revoked"},
    {"user", "Comptes", "Accounts"},
    {"token", "Jetons d'API", "API tokens"},
    {"deploy", "Déploiements", "Deployments"},
    {"export", "Exports", "Exports"},
    {"purge", "Purges (conservation)", "Purges (retention)"},
    {"backup", "Sauvegardes", "Backups"},
};

static void audit_filters(buf *out, const page *p, const audit_view *v)
{
	bool en = render_page_lang(p) == LANG_EN;
	buf_puts(out, "<form method=\"get\" class=\"filters\" action=\"/admin/audit\">\n");
	buf_puts(out, "<div class=\"field\"><label for=\"f-user\">");
	buf_puts(out, en ? "Person (login)" : "Personne (identifiant)");
	buf_puts(out, "</label><input type=\"text\" id=\"f-user\" name=\"user\"");
	render_attr(out, "value", v->actor ? v->actor : "");
	buf_puts(out, "></div>\n<div class=\"field\"><label for=\"f-kind\">");
	buf_puts(out, en ? "Kind" : "Type");
	buf_puts(out, "</label><select id=\"f-kind\" name=\"kind\"><option value=\"\">");
	buf_puts(out, en ? "All" : "Tous");
	buf_puts(out, "</option>");
	for (size_t i = 0; i < sizeof AUDIT_KINDS / sizeof *AUDIT_KINDS; i++) {
		buf_puts(out, "<option");
		render_attr(out, "value", AUDIT_KINDS[i][0]);
		if (v->kind && strcmp(v->kind, AUDIT_KINDS[i][0]) == 0)
			buf_puts(out, " selected");
		buf_puts(out, ">");
		buf_html(out, AUDIT_KINDS[i][en ? 2 : 1]);
		buf_puts(out, "</option>");
	}
	buf_puts(out, "</select></div>\n");
	const char *names[2] = {"from", "to"}, *vals[2] = {v->from, v->to};
	const char *labels[2][2] = {{"Du", "From"}, {"Au (inclus)", "To (included)"}};
	for (int i = 0; i < 2; i++) {
		buf_printf(out, "<div class=\"field\"><label for=\"f-%s\">%s</label>", names[i],
			   labels[i][en]);
		buf_printf(out, "<input type=\"date\" id=\"f-%s\" name=\"%s\"", names[i], names[i]);
		render_attr(out, "value", vals[i] ? vals[i] : "");
		buf_puts(out, "></div>\n");
	}
	buf_puts(out, "<button type=\"submit\">");
	buf_puts(out, en ? "Filter" : "Filtrer");
	buf_puts(out, "</button>\n</form>\n");
}

static void audit_chain(buf *out, const page *p, const store_audit_check *c)
{
	bool en = render_page_lang(p) == LANG_EN;
	if (c->intact) {
		buf_puts(out, "<p role=\"status\">");
		buf_printf(out,
			   en ? "The chain holds: %lld line(s) checked, none changed or removed."
			      : "Chaîne intacte : %lld ligne(s) vérifiée(s), aucune modifiée ni "
				"supprimée.",
			   (long long)c->lines);
	} else {
		buf_puts(out, "<p class=\"alert\" role=\"alert\">");
		buf_printf(
		    out,
		    en ? "The chain is broken at line no. %lld: that line, or one before it, "
			 "was changed or removed."
		       : "Chaîne rompue à la ligne n° %lld : cette ligne, ou une ligne avant "
			 "elle, a été modifiée ou supprimée.",
		    (long long)c->first_bad);
	}
	buf_puts(out, "</p>\n");
}

static void audit_table(buf *out, const page *p, const audit_view *v)
{
	bool en = render_page_lang(p) == LANG_EN;
	if (v->n == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, en ? "No line." : "Aucune ligne.");
		buf_puts(out, "</p>\n");
		return;
	}
	render_table_open(out, "audit", NULL);
	buf_puts(out, en ? "Audit lines, newest first" : "Lignes du journal, de la plus récente");
	buf_puts(out, "</span></caption>\n<thead><tr>");
	const char *heads[][2] = {{"N°", "No."},	{"Date", "Date"},    {"Qui", "Who"},
				  {"Action", "Action"}, {"Cible", "Target"}, {"Détail", "Detail"}};
	for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
		buf_printf(out, "<th scope=\"col\">%s</th>", heads[i][en]);
	buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < v->n; i++) {
		const store_audit_line *l = &v->lines[i];
		buf_puts(out, "<tr><td>");
		render_put_int(out, l->id);
		buf_puts(out, "</td><td>");
		render_put_datetime(out, p, l->at, true);
		buf_puts(out, "</td><td>");
		buf_html(out, l->actor);
		buf_puts(out, "</td><td><code>");
		buf_html(out, l->action);
		buf_puts(out, "</code></td><td>");
		buf_html(out, l->target);
		buf_puts(out, "</td><td>");
		buf_html(out, l->detail);
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

void render_admin_audit(buf *out, const page *p, const audit_view *v)
{
	bool en = render_page_lang(p) == LANG_EN;
	const char *title = en ? "Audit log" : "Journal d'audit";
	render_page_open(out, p, false);
	buf_puts(out, title);
	render_page_body(out, p);
	render_admin_breadcrumb(out, p, NULL, NULL);
	buf_puts(out, "<h1>");
	buf_puts(out, title);
	buf_puts(out, "</h1>\n");
	if (v->error) {
		buf_puts(out, "<p class=\"alert\" role=\"alert\">");
		buf_html(out, v->error);
		buf_puts(out, "</p>\n");
	}
	audit_chain(out, p, v->chain);
	audit_filters(out, p, v);
	audit_table(out, p, v);
	if (v->next) {
		buf_puts(out, "<p><a href=\"/admin/audit?");
		buf_html(out, v->next);
		buf_puts(out, "\">");
		buf_puts(out, en ? "Older lines" : "Lignes plus anciennes");
		buf_puts(out, "</a></p>\n");
	}
	render_page_close(out, p);
}
