/*
 * render_gov — the pages of governed data (see render.h): the dashboard of an app and
 * the GDPR register.
 *
 * Charts are SVG written on the server: horizontal bars, one row per month or state,
 * the value written beside each bar. Each has a text alternative (role="img" with a
 * <title> and a <desc> that lists every value) and is followed by a table of the
 * same numbers, with a caption and th scopes, for those who read tables better. The
 * drawing itself is aria-hidden. Colours and sizes are SVG attributes, not styles:
 * the Content-Security-Policy allows no inline style.
 */
#include "render_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *tr(const page *p, const char *fr, const char *en)
{
	return render_page_lang(p) == LANG_EN ? en : fr;
}

/* Tenths of a day as days with one decimal ("1,5"; "1.5" in English), or the empty mark. */
static void put_days(buf *o, const page *p, int64_t tenths)
{
	if (tenths < 0) {
		render_put_empty(o, p);
		return;
	}
	buf_printf(o, "%" PRId64 "%s%" PRId64, tenths / 10, tr(p, ",", "."), tenths % 10);
}

/* "2026-01" as "janvier 2026" (or "January 2026"), plain text. */
static void month_text(const page *p, const char *ym, char out[32])
{
	static const char *const fr[12] = {"janvier",	"février", "mars",     "avril",
					   "mai",	"juin",	   "juillet",  "août",
					   "septembre", "octobre", "novembre", "décembre"};
	static const char *const en[12] = {"January",	"February", "March",	"April",
					   "May",	"June",	    "July",	"August",
					   "September", "October",  "November", "December"};
	int m =
	    ym && strlen(ym) == 7 && ym[5] >= '0' && ym[5] <= '1' && ym[6] >= '0' && ym[6] <= '9'
		? (ym[5] - '0') * 10 + (ym[6] - '0')
		: 0;
	if (m < 1 || m > 12)
		snprintf(out, 32, "%.7s", ym ? ym : "");
	else
		snprintf(out, 32, "%s %.4s", (render_page_lang(p) == LANG_EN ? en : fr)[m - 1], ym);
}

/* ---- bar charts ---- */

typedef struct bar {
	const char *label; /* escaped when written */
	int64_t value;
} bar;

#define CHART_W	    640
#define CHART_LABEL 200 /* room for the labels, left of the bars */
#define CHART_ROW   28

/* A label as the chart shows it: at most 26 characters, "…" past that (the table has it all). */
static void put_chart_label(buf *o, const char *s)
{
	size_t chars = 0, i = 0, n = strlen(s);
	while (i < n && chars < 26) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	buf_html_n(o, s, i);
	if (i < n)
		buf_puts(o, "…");
}

/* The chart's name and text alternative: every label and value, in words. */
static void svg_names(buf *o, const page *p, const char *id, const char *title, const bar *v,
		      size_t n)
{
	buf_puts(o, "<title id=\"");
	buf_html(o, id);
	buf_puts(o, "-t\">");
	buf_html(o, title);
	buf_puts(o, "</title><desc id=\"");
	buf_html(o, id);
	buf_puts(o, "-d\">");
	for (size_t i = 0; i < n; i++) {
		buf_puts(o, i ? " ; " : "");
		buf_html(o, v[i].label);
		buf_puts(o, tr(p, " : ", ": "));
		render_put_count(o, p, v[i].value);
	}
	buf_puts(o, "</desc>\n");
}

/*
 * An SVG chart of bars, id unique in the page: title and desc (its text alternative)
 * name it for assistive technologies; the drawing is hidden from them.
 */
static void svg_bars(buf *o, const page *p, const char *id, const char *title, const bar *v,
		     size_t n)
{
	int64_t max = 1;
	for (size_t i = 0; i < n; i++)
		if (v[i].value > max)
			max = v[i].value;
	int h = (int)n * CHART_ROW + 8, room = CHART_W - CHART_LABEL - 70;
	buf_printf(o,
		   "<figure class=\"chart\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
		   "role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "aria-labelledby=\"",
		   CHART_W, h, CHART_W, h);
	buf_html(o, id);
	buf_puts(o, "-t ");
	buf_html(o, id);
	buf_puts(o, "-d\">");
	svg_names(o, p, id, title, v, n);
	buf_puts(o, "<g aria-hidden=\"true\" font-family=\"system-ui, sans-serif\" "
		    "font-size=\"13\" fill=\"#1e1e1e\">\n");
	for (size_t i = 0; i < n; i++) {
		int y = (int)i * CHART_ROW + 4;
		int w = (int)(v[i].value * room / max);
		if (v[i].value > 0 && w < 2)
			w = 2; /* a small count still shows */
		buf_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", CHART_LABEL - 8,
			   y + 18);
		put_chart_label(o, v[i].label);
		buf_puts(o, "</text>");
		/* No bar for nothing: the value beside says 0. */
		if (w > 0)
			buf_printf(o,
				   "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				   "fill=\"#000091\"></rect>",
				   CHART_LABEL, y + 4, w, CHART_ROW - 8);
		buf_printf(o, "<text x=\"%d\" y=\"%d\">", CHART_LABEL + w + 6, y + 18);
		render_put_count(o, p, v[i].value);
		buf_puts(o, "</text>\n");
	}
	buf_puts(o, "</g>\n</svg>\n</figure>\n");
}

/* ---- the dashboard ---- */

static void th_col(buf *o, const char *text)
{
	buf_puts(o, "<th scope=\"col\">");
	buf_puts(o, text);
	buf_puts(o, "</th>");
}

/* The table's caption: "<what> : <form title>". */
static void open_table(buf *o, const page *p, const char *what, const def_form *f, const char *key)
{
	render_table_open(o, key, NULL);
	buf_puts(o, what);
	buf_puts(o, tr(p, " : ", ": "));
	buf_html(o, f->title);
	buf_puts(o, "</span></caption>\n<thead><tr>");
}

static void key_figures(buf *o, const page *p, const uc_form_stats *fs)
{
	buf_puts(o, "<dl class=\"values\">\n<dt>");
	buf_puts(o, tr(p, "Enregistrements", "Records"));
	buf_puts(o, "</dt><dd>");
	render_put_count(o, p, fs->total);
	buf_puts(o, "</dd>\n");
	if (!fs->form->workflow) {
		buf_puts(o, "</dl>\n");
		return;
	}
	buf_puts(o, "<dt>");
	buf_puts(o, tr(p, "En retard", "Overdue"));
	buf_puts(o, "</dt><dd>");
	render_put_count(o, p, fs->overdue);
	buf_puts(o, "</dd>\n<dt>");
	buf_puts(o,
		 tr(p, "Traités (arrivés à un état final)", "Completed (reached a final state)"));
	buf_puts(o, "</dt><dd>");
	render_put_count(o, p, fs->to_final.count);
	buf_puts(o, "</dd>\n<dt>");
	buf_puts(o, tr(p, "Délai de traitement, de la création à l’état final (jours)",
		       "Processing time, from creation to a final state (days)"));
	buf_puts(o, "</dt><dd>");
	buf_puts(o, tr(p, "médiane ", "median "));
	put_days(o, p, fs->to_final.median);
	buf_puts(o, tr(p, " ; 90e centile ", "; 90th percentile "));
	put_days(o, p, fs->to_final.p90);
	buf_puts(o, "</dd>\n</dl>\n");
}

static void months_section(buf *o, const page *p, const uc_form_stats *fs, const char *id)
{
	const char *title = tr(p, "Enregistrements créés par mois", "Records created per month");
	char names[12][32];
	bar v[12];
	for (size_t i = 0; i < 12; i++) {
		month_text(p, fs->month[i], names[i]);
		v[i] = (bar){names[i], fs->by_month[i]};
	}
	buf_puts(o, "<h3>");
	buf_puts(o, title);
	buf_puts(o, "</h3>\n");
	svg_bars(o, p, id, title, v, 12);
	open_table(o, p, title, fs->form, id);
	th_col(o, tr(p, "Mois", "Month"));
	th_col(o, tr(p, "Enregistrements", "Records"));
	buf_puts(o, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < 12; i++) {
		buf_puts(o, "<tr><th scope=\"row\"><time datetime=\"");
		buf_html(o, fs->month[i]);
		buf_puts(o, "\">");
		buf_html(o, names[i]);
		buf_puts(o, "</time></th><td>");
		render_put_count(o, p, fs->by_month[i]);
		buf_puts(o, "</td></tr>\n");
	}
	buf_puts(o, "</tbody>\n</table>\n</div>\n");
}

/* One duration's cells: completed stays, median, 90th percentile. */
static void duration_cells(buf *o, const page *p, const uc_duration *d)
{
	buf_puts(o, "<td>");
	render_put_count(o, p, d->count);
	buf_puts(o, "</td><td>");
	put_days(o, p, d->median);
	buf_puts(o, "</td><td>");
	put_days(o, p, d->p90);
	buf_puts(o, "</td>");
}

static void states_section(buf *o, const page *p, const uc_form_stats *fs, const char *id)
{
	const def_workflow *w = fs->form->workflow;
	const char *title = tr(p, "Enregistrements par état", "Records by status");
	bar *v = xcalloc(w->nstates, sizeof *v);
	for (size_t i = 0; i < w->nstates; i++)
		v[i] = (bar){w->states[i].label, fs->by_state[i]};
	buf_puts(o, "<h3>");
	buf_puts(o, title);
	buf_puts(o, "</h3>\n");
	svg_bars(o, p, id, title, v, w->nstates);
	free(v);
	open_table(o, p, tr(p, "États et durées", "Statuses and durations"), fs->form, id);
	th_col(o, T(p, UI_STATE));
	th_col(o, tr(p, "Enregistrements", "Records"));
	th_col(o, tr(p, "Séjours terminés", "Completed stays"));
	th_col(o, tr(p, "Durée médiane (jours)", "Median time (days)"));
	th_col(o, tr(p, "90e centile (jours)", "90th percentile (days)"));
	buf_puts(o, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < w->nstates; i++) {
		buf_puts(o, "<tr><th scope=\"row\">");
		buf_html(o, w->states[i].label);
		buf_puts(o, "</th><td>");
		render_put_count(o, p, fs->by_state[i]);
		buf_puts(o, "</td>");
		if (w->states[i].final)
			buf_puts(o, tr(p, "<td colspan=\"3\">état final</td>",
				       "<td colspan=\"3\">final status</td>"));
		else
			duration_cells(o, p, &fs->in_state[i]);
		buf_puts(o, "</tr>\n");
	}
	buf_puts(o, "</tbody>\n</table>\n</div>\n");
}

static void choice_section(buf *o, const page *p, const uc_form_stats *fs,
			   const uc_choice_count *cc)
{
	const def_field *fd = cc->field;
	buf_puts(o, "<h3>");
	buf_html(o, fd->label);
	buf_puts(o, "</h3>\n");
	render_table_open(o, fs->form->id, fd->name);
	buf_puts(o, tr(p, "Enregistrements par valeur de ", "Records per value of "));
	render_put_quoted(o, p, fd->label);
	buf_puts(o, tr(p, " : ", ": "));
	buf_html(o, fs->form->title);
	buf_puts(o, "</span></caption>\n<thead><tr>");
	th_col(o, tr(p, "Valeur", "Value"));
	th_col(o, tr(p, "Enregistrements", "Records"));
	buf_puts(o, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < fd->noptions; i++) {
		buf_puts(o, "<tr><th scope=\"row\">");
		buf_html(o, fd->options[i].label);
		buf_puts(o, "</th><td>");
		render_put_count(o, p, cc->n[i]);
		buf_puts(o, "</td></tr>\n");
	}
	buf_puts(o, "</tbody>\n</table>\n</div>\n");
}

static void form_section(buf *o, const page *p, const uc_form_stats *fs)
{
	char id[96];
	buf_puts(o, "<section class=\"stats\">\n<h2>");
	buf_html(o, fs->form->title);
	buf_puts(o, "</h2>\n");
	key_figures(o, p, fs);
	snprintf(id, sizeof id, "graphe-%s-mois", fs->form->id);
	months_section(o, p, fs, id);
	if (fs->form->workflow) {
		snprintf(id, sizeof id, "graphe-%s-etats", fs->form->id);
		states_section(o, p, fs, id);
	}
	for (size_t i = 0; i < fs->nchoice; i++)
		choice_section(o, p, fs, &fs->choice[i]);
	buf_puts(o, "</section>\n");
}

void render_stats(buf *out, const page *p, const def_app *app, const uc_dashboard *d)
{
	const char *title = tr(p, "Tableau de bord", "Dashboard");
	render_page_open(out, p, false);
	buf_puts(out, title);
	buf_puts(out, " — ");
	buf_html(out, app->title);
	render_page_body(out, p);
	render_breadcrumb(out, p, app, NULL, 0);
	buf_puts(out, "<h1>");
	buf_puts(out, title);
	buf_puts(out, tr(p, " : ", ": "));
	buf_html(out, app->title);
	buf_puts(out, "</h1>\n<p class=\"help\">");
	buf_puts(out, tr(p, "Chiffres au ", "Figures as of "));
	render_put_datetime(out, p, d->generated_at, true);
	buf_puts(out, tr(p,
			 ". Les durées sont en jours, calculées d’après l’historique des "
			 "enregistrements : la médiane partage les cas en deux moitiés, et 90 % "
			 "des cas durent au plus la valeur du 90e centile.",
			 ". Durations are in days, from the records' history: the median splits "
			 "the cases in two halves, and 90% of the cases last at most the 90th "
			 "percentile."));
	buf_puts(out, "</p>\n");
	for (size_t i = 0; i < d->nforms; i++)
		form_section(out, p, &d->forms[i]);
	render_page_close(out, p);
}

/* ---- the register ---- */

static void reader_text(buf *o, const page *p, const uc_reader *rd)
{
	if (rd->label)
		buf_html(o, rd->label);
	else if (strcmp(rd->role, "public") == 0)
		buf_puts(o, tr(p, "Tout le monde, sans connexion", "Anyone, without signing in"));
	else if (strcmp(rd->role, "user") == 0)
		buf_puts(o, tr(p, "Toute personne connectée", "Anyone signed in"));
	else if (strcmp(rd->role, "owner") == 0)
		buf_puts(o, tr(p, "L’auteur de l’enregistrement", "The record's author"));
	else
		buf_puts(o, tr(p, "Administrateurs", "Administrators"));
	buf_puts(o, rd->all ? tr(p, " (tous les enregistrements)", " (all records)")
			    : tr(p, " (ses propres enregistrements)", " (their own records)"));
}

/* A <dt>/<dd> pair; an absent value shows as "not filled in". */
static void dl_text(buf *o, const page *p, const char *term, const char *text)
{
	buf_puts(o, "<dt>");
	buf_puts(o, term);
	buf_puts(o, "</dt><dd>");
	if (text && *text)
		buf_html(o, text);
	else
		render_put_empty(o, p);
	buf_puts(o, "</dd>\n");
}

static void register_processing(buf *o, const page *p, const def_app *a)
{
	const def_privacy *pv = &a->privacy;
	buf_puts(o, "<dl class=\"values\">\n");
	dl_text(o, p, tr(p, "Identifiant", "Id"), a->id);
	dl_text(o, p, tr(p, "Référent", "Owner"), a->owner);
	dl_text(o, p, tr(p, "Finalité", "Purpose"), pv->purpose);
	dl_text(o, p, tr(p, "Base légale", "Legal basis"), pv->legal_basis);
	buf_puts(o, "<dt>");
	buf_puts(o, tr(p, "Durée de conservation", "Retention"));
	buf_puts(o, "</dt><dd>");
	if (pv->retention_days >= 0) {
		render_put_count(o, p, pv->retention_days);
		buf_puts(o, tr(p, " jours après l’arrivée à un état final",
			       " days after reaching a final status"));
	} else {
		render_put_empty(o, p);
	}
	buf_puts(o, "</dd>\n<dt>");
	buf_puts(o, tr(p, "Destinataires", "Recipients"));
	buf_puts(o, "</dt><dd>");
	for (size_t i = 0; i < pv->recipients.n; i++) {
		buf_puts(o, i ? ", " : "");
		buf_html(o, pv->recipients.v[i]);
	}
	if (!pv->recipients.n)
		render_put_empty(o, p);
	buf_puts(o, "</dd>\n");
	dl_text(o, p, tr(p, "Contact", "Contact"), pv->contact);
	buf_puts(o, "</dl>\n");
}

static void register_fields(buf *o, const page *p, const uc_register_app *ra)
{
	if (ra->nfields == 0) {
		buf_puts(o, "<p>");
		buf_puts(o, tr(p, "Aucun champ n’est déclaré personnel.",
			       "No field is declared personal."));
		buf_puts(o, "</p>\n");
		return;
	}
	render_table_open(o, "registre", ra->app->id);
	buf_puts(o, tr(p, "Données personnelles et qui peut les lire : ",
		       "Personal data and who may read it: "));
	buf_html(o, ra->app->title);
	buf_puts(o, "</span></caption>\n<thead><tr>");
	th_col(o, tr(p, "Formulaire", "Form"));
	th_col(o, tr(p, "Champ", "Field"));
	th_col(o, tr(p, "Type", "Type"));
	th_col(o, tr(p, "Lecteurs", "Readers"));
	buf_puts(o, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < ra->nfields; i++) {
		const uc_personal *pf = &ra->fields[i];
		buf_puts(o, "<tr><td>");
		buf_html(o, pf->form->title);
		buf_puts(o, "</td><th scope=\"row\">");
		buf_html(o, pf->field->label);
		buf_puts(o, "</th><td><code>");
		buf_html(o, def_type_name(pf->field->type));
		buf_puts(o, "</code></td><td><ul>");
		for (size_t k = 0; k < pf->nreaders; k++) {
			buf_puts(o, "<li>");
			reader_text(o, p, &pf->readers[k]);
			buf_puts(o, "</li>");
		}
		buf_puts(o, "</ul></td></tr>\n");
	}
	buf_puts(o, "</tbody>\n</table>\n</div>\n");
}

static void register_app(buf *o, const page *p, const uc_register_app *ra)
{
	buf_puts(o, "<section class=\"registre\">\n<h2>");
	buf_html(o, ra->app->title);
	buf_puts(o, "</h2>\n");
	if (ra->no_privacy || ra->no_retention) {
		buf_puts(o, "<div class=\"notice warning\"><p>");
		buf_puts(
		    o, ra->no_privacy
			   ? tr(p,
				"Cette application recueille des données personnelles mais sa "
				"définition n’a pas de bloc « privacy » : finalité, base légale et "
				"durée de conservation sont à renseigner.",
				"This application collects personal data but its definition has "
				"no \"privacy\" block: purpose, legal basis and retention are "
				"missing.")
			   : tr(p,
				"Pas de durée de conservation (« retention_days ») : rien n’est "
				"jamais purgé.",
				"No retention (\"retention_days\"): nothing is ever purged."));
		buf_puts(o, "</p></div>\n");
	}
	register_processing(o, p, ra->app);
	register_fields(o, p, ra);
	buf_puts(o, "</section>\n");
}

void render_registre(buf *out, const page *p, const uc_register *reg)
{
	const char *title =
	    tr(p, "Registre des traitements (RGPD)", "Record of processing activities (GDPR)");
	render_page_open(out, p, false);
	buf_puts(out, title);
	render_page_body(out, p);
	render_admin_breadcrumb(out, p, NULL, NULL);
	buf_puts(out, "<h1>");
	buf_puts(out, title);
	buf_puts(out, "</h1>\n<p class=\"help\">");
	buf_puts(out, tr(p, "Établi d’après les définitions des applications en service, le ",
			 "Made from the definitions of the applications served, on "));
	render_put_datetime(out, p, reg->generated_at, true);
	buf_puts(out, tr(p,
			 ". Pour l’imprimer ou l’enregistrer en PDF, utilisez la fonction "
			 "d’impression du navigateur.",
			 ". To print it or save it as PDF, use the browser's print function."));
	buf_puts(out, "</p>\n");
	if (reg->napps == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_ADMIN_NO_APPS));
		buf_puts(out, "</p>\n");
	}
	for (size_t i = 0; i < reg->napps; i++)
		register_app(out, p, &reg->apps[i]);
	render_page_close(out, p);
}

/* ---- personal data: the notice of an app (GDPR art. 13 and 14) ---- */

static void privacy_dd(buf *out, const char *dt, const char *dd, const page *p)
{
	buf_puts(out, "<dt>");
	buf_puts(out, dt);
	buf_puts(out, "</dt>\n<dd>");
	if (dd && *dd)
		buf_html(out, dd);
	else
		render_put_empty(out, p);
	buf_puts(out, "</dd>\n");
}

/* "N jours après la clôture du dossier", or that nothing is purged. */
static void put_retention(buf *out, const page *p, int days)
{
	bool en = render_page_lang(p) == LANG_EN;
	if (days < 0)
		buf_puts(out,
			 en ? "not set: records are kept until deleted"
			    : "non fixée : les dossiers sont conservés jusqu'à leur suppression");
	else
		buf_printf(
		    out,
		    en ? "%d days after the request is closed, then personal data is erased"
		       : "%d jours après la clôture du dossier, puis les données personnelles "
			 "sont effacées",
		    days);
}

void render_privacy_notice(buf *out, const page *p, const def_app *app, const char *dpo)
{
	bool en = render_page_lang(p) == LANG_EN;
	const def_privacy *pv = &app->privacy;
	render_page_open(out, p, false);
	buf_puts(out, en ? "Personal data — " : "Données personnelles — ");
	buf_html(out, app->title);
	render_page_body(out, p);
	buf_puts(out, "<h1>");
	buf_puts(out, en ? "Personal data: " : "Données personnelles : ");
	buf_html(out, app->title);
	buf_puts(out, "</h1>\n<dl class=\"values\">\n");
	privacy_dd(out, en ? "Controller" : "Responsable du traitement", app->owner, p);
	privacy_dd(out, en ? "Purpose" : "Finalité", pv->purpose, p);
	privacy_dd(out, en ? "Legal basis" : "Base légale", pv->legal_basis, p);
	buf_puts(out, en ? "<dt>Retention</dt>\n<dd>" : "<dt>Durée de conservation</dt>\n<dd>");
	put_retention(out, p, pv->retention_days);
	buf_puts(out, "</dd>\n<dt>");
	buf_puts(out, en ? "Recipients" : "Destinataires");
	buf_puts(out, "</dt>\n<dd>");
	for (size_t i = 0; i < pv->recipients.n; i++) {
		buf_puts(out, i ? ", " : "");
		buf_html(out, pv->recipients.v[i]);
	}
	if (!pv->recipients.n)
		buf_puts(out, en ? "the services that handle the request"
				 : "les services chargés de la demande");
	buf_puts(out, "</dd>\n</dl>\n<h2>");
	buf_puts(out, en ? "Data collected" : "Données collectées");
	buf_puts(out, "</h2>\n<ul>\n");
	for (size_t i = 0; i < app->nforms; i++)
		for (size_t c = 0; c < app->forms[i].ncols; c++)
			if (app->forms[i].cols[c]->personal) {
				buf_puts(out, "<li>");
				buf_html(out, app->forms[i].cols[c]->label);
				buf_puts(out, " (");
				buf_html(out, app->forms[i].title);
				buf_puts(out, ")</li>\n");
			}
	buf_puts(out, "</ul>\n<h2>");
	buf_puts(out, en ? "Your rights" : "Vos droits");
	buf_puts(out, "</h2>\n<p>");
	buf_puts(out, en ? "You may access, correct and erase your data, limit or object to its "
			   "use. Write to "
			 : "Vous pouvez accéder à vos données, les faire rectifier ou effacer, en "
			   "limiter l'usage ou vous y opposer. Écrivez à ");
	if (pv->contact && *pv->contact) {
		buf_puts(out, "<a href=\"mailto:");
		buf_html(out, pv->contact);
		buf_puts(out, "\">");
		buf_html(out, pv->contact);
		buf_puts(out, "</a>");
	} else {
		buf_html(out, app->owner ? app->owner : app->title);
	}
	if (dpo && *dpo) {
		buf_puts(out, en ? " or to the data protection officer, <a href=\"mailto:"
				 : " ou au délégué à la protection des données, <a href=\"mailto:");
		buf_html(out, dpo);
		buf_puts(out, "\">");
		buf_html(out, dpo);
		buf_puts(out, "</a>");
	}
	buf_puts(
	    out,
	    en ? ". If you think your rights are not respected, you may complain to "
		 "the CNIL (<a href=\"https://www.cnil.fr/fr/plaintes\">cnil.fr/fr/plaintes</a>)."
	       : ". Si vous estimez que vos droits ne sont pas respectés, vous pouvez "
		 "adresser une réclamation à la CNIL (<a "
		 "href=\"https://www.cnil.fr/fr/plaintes\">cnil.fr/fr/plaintes</a>).");
	buf_puts(out, "</p>\n<h2>Cookies</h2>\n<p>");
	buf_puts(out,
		 en ? "Only cookies strictly necessary to the service: the session (to stay "
		      "signed in) and the forms' protection against forged requests. No "
		      "consent is asked, as none is needed: no measurement, no advertising."
		    : "Seuls des cookies strictement nécessaires au service : la session (rester "
		      "connecté) et la protection des formulaires contre les requêtes forgées. "
		      "Aucun consentement n'est demandé, car aucun n'est requis : ni mesure "
		      "d'audience, ni publicité.");
	buf_puts(out, "</p>\n");
	render_page_close(out, p);
}

void render_privacy_short(buf *out, const page *p, const def_app *app)
{
	bool en = render_page_lang(p) == LANG_EN;
	const def_privacy *pv = &app->privacy;
	buf_puts(out, "<div class=\"privacy-notice\">\n<p>");
	buf_puts(out, en ? "Your personal data is processed by "
			 : "Vos données personnelles sont "
			   "traitées par ");
	buf_html(out, app->owner && *app->owner ? app->owner : app->title);
	if (pv->purpose && *pv->purpose) {
		buf_puts(out, en ? " for: " : " pour : ");
		buf_html(out, pv->purpose);
	}
	buf_puts(out, en ? ". Retention: " : ". Conservation : ");
	put_retention(out, p, pv->retention_days);
	buf_puts(out, en ? ". You may access, correct or erase it. "
			 : ". Vous pouvez y accéder, "
			   "les faire rectifier ou "
			   "effacer. ");
	buf_puts(out, "<a href=\"");
	render_url_app(out, app);
	buf_puts(out, en ? "donnees-personnelles\">Your data and your rights</a>"
			 : "donnees-personnelles\">Vos données et vos droits</a>");
	buf_puts(out, "</p>\n</div>\n");
}
