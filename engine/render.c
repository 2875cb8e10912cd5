/*
 * render — the HTML pages (SPEC 6); see render.h.
 *
 * Escaping by construction (STYLE 17): the only raw text this file writes is its
 * own literals (markup and the UI strings table below). Everything else — app
 * definitions, record values, user names, tokens, URLs echoed from the request —
 * goes through buf_html, and query-string parts through buf_urlenc first.
 *
 * Accessibility (RGAA 4.1 / WCAG 2.1 AA) is built into the page frame: lang on
 * <html>, a skip link to <main id="contenu">, one <h1> per page, labels tied to
 * inputs, fieldset/legend for groups, an error summary linking to fields, errors
 * tied with aria-describedby, required fields said in text, no JavaScript.
 *
 * Rights masks (readable/writable) are deny-by-default: a NULL mask shows nothing.
 * Pure functions of their arguments; the only state is constant tables; thread-safe.
 */
#include "render_int.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reference.h"
#include "util.h"

/* ---- UI strings, one row per message: { French, English } ---- */

static const char *const ui_text[UI__COUNT][2] = {
    [UI_SKIP] = {"Aller au contenu", "Skip to content"},
    [UI_NAV] = {"Menu principal", "Main menu"},
    [UI_HOME] = {"Accueil", "Home"},
    [UI_ADMIN] = {"Administration", "Administration"},
    [UI_LOGOUT] = {"Se déconnecter", "Log out"},
    [UI_LOGIN] = {"Se connecter", "Log in"},
    [UI_SWITCH] = {"English", "Français"},
    [UI_SWITCH_CODE] = {"en", "fr"},
    [UI_SWITCH_TITLE] = {"Switch to English", "Passer en français"},
    [UI_USER_SR] = {"Connecté en tant que ", "Logged in as "},
    [UI_FOOTER] = {"smallapps — les démarches en ligne de la collectivité",
		   "smallapps — online forms of your local government"},
    [UI_BREADCRUMB] = {"Fil d’Ariane", "Breadcrumb"},
    [UI_REQUIRED] = {" (obligatoire)", " (required)"},
    [UI_REQUIRED_IF] = {" (obligatoire selon vos réponses)",
			" (required depending on your answers)"},
    [UI_CHOOSE] = {"— Choisir —", "— Choose —"},
    [UI_ERROR_PREFIX] = {"Erreur : ", "Error: "},
    [UI_ERR_SUM_ONE] = {"Le formulaire contient 1 erreur", "There is 1 error in this form"},
    [UI_ERR_SUM_A] = {"Le formulaire contient ", "There are "},
    [UI_ERR_SUM_B] = {" erreurs", " errors in this form"},
    [UI_VISIBLE_IF] = {"À remplir seulement si ", "Fill in only if "},
    [UI_REQUIRED_IF_HINT] = {"Obligatoire si ", "Required if "},
    [UI_IS] = {" vaut ", " is "},
    [UI_OR] = {" ou ", " or "},
    [UI_AND] = {" et ", " and "},
    [UI_QO] = {"« ", "“"},
    [UI_QC] = {" »", "”"},
    [UI_EUROS_SR] = {" (en euros)", " (in euros)"},
    [UI_FILE_CURRENT] = {"Fichier actuel : ", "Current file: "},
    [UI_FILE_KEPT] = {"Fichier reçu, gardé pour cet envoi (choisissez-en un autre pour le "
		      "remplacer) : ",
		      "File received, kept for this submission (choose another one to replace "
		      "it): "},
    [UI_FILE_CLEAR] = {"Retirer ce fichier", "Remove this file"},
    [UI_SAVE] = {"Enregistrer", "Save"},
    [UI_SEND] = {"Envoyer", "Submit"},
    [UI_CANCEL] = {"Annuler", "Cancel"},
    [UI_NEW_SUFFIX] = {" — nouvel enregistrement", " — new record"},
    [UI_EDIT_SUFFIX] = {" — modification", " — edit"},
    [UI_NUMBER] = {" n°", " no. "},
    [UI_NUMBER_SHORT] = {"n°", "no. "},
    [UI_CONFLICT_TITLE] = {"Cet enregistrement a été modifié entre-temps",
			   "This record was changed in the meantime"},
    [UI_CONFLICT_TEXT] = {"Quelqu’un a enregistré une autre version pendant votre saisie. "
			  "Comparez les deux versions ci-dessous, corrigez si besoin, puis "
			  "enregistrez : votre saisie remplacera alors la version enregistrée.",
			  "Someone saved another version while you were editing. Compare "
			  "both versions below, correct if needed, then save: your input will "
			  "then replace the saved version."},
    [UI_CONFLICT_CAPTION] = {"Différences entre votre saisie et la version enregistrée",
			     "Differences between your input and the saved version"},
    [UI_FIELD] = {"Champ", "Field"},
    [UI_YOUR_INPUT] = {"Votre saisie", "Your input"},
    [UI_STORED] = {"Version enregistrée", "Saved version"},
    [UI_EMPTY_VALUE] = {"non renseigné", "not filled in"},
    [UI_STATE] = {"État", "Status"},
    [UI_OVERDUE] = {"En retard", "Overdue"},
    [UI_EDIT] = {"Modifier", "Edit"},
    [UI_DELETE] = {"Supprimer", "Delete"},
    [UI_ACTIONS] = {"Actions", "Actions"},
    [UI_DETAILS] = {"Contenu", "Details"},
    [UI_META] = {"Informations", "Record information"},
    [UI_CREATED] = {"Créé le", "Created on"},
    [UI_UPDATED] = {"Modifié le", "Last changed on"},
    [UI_BY] = {" par ", " by "},
    [UI_VERSION] = {"Version", "Version"},
    [UI_HISTORY] = {"Historique", "History"},
    [UI_NO_HISTORY] = {"Aucun historique pour l’instant.", "No history yet."},
    [UI_ACT_CREATE] = {"Création", "Created"},
    [UI_ACT_UPDATE] = {"Modification", "Edited"},
    [UI_ACT_DELETE] = {"Suppression", "Deleted"},
    [UI_ACT_MOVE] = {"Changement d’état automatique", "Automatic status change"},
    [UI_ACT_TRANSITION] = {"Changement d’état", "Status change"},
    [UI_SYSTEM] = {"Système", "System"},
    [UI_TO_SR] = {" vers ", " to "},
    [UI_COMMENT] = {"Commentaire", "Comment"},
    [UI_CHANGES] = {"Modifications", "Changes"},
    [UI_AT] = {" à ", " at "},
    [UI_NEW] = {"Nouveau", "New"},
    [UI_SEE_RECORDS] = {"Voir les enregistrements", "See records"},
    [UI_SEARCH] = {"Rechercher", "Search"},
    [UI_FILTER] = {"Filtrer", "Filter"},
    [UI_FILTERS_LABEL] = {"Filtrer les enregistrements", "Filter records"},
    [UI_RESET] = {"Effacer les filtres", "Clear filters"},
    [UI_ALL] = {"Tous", "All"},
    [UI_YES] = {"Oui", "Yes"},
    [UI_NO] = {"Non", "No"},
    [UI_OVERDUE_ONLY] = {"En retard seulement", "Overdue only"},
    [UI_SORT] = {"Trier par", "Sort by"},
    [UI_SORT_NEWEST] = {"Les plus récents d’abord", "Newest first"},
    [UI_SORT_OLDEST] = {"Les plus anciens d’abord", "Oldest first"},
    [UI_SORT_UPDATED] = {"Modifiés récemment", "Recently changed"},
    [UI_ASC] = {", ordre croissant", ", ascending"},
    [UI_DESC] = {", ordre décroissant", ", descending"},
    [UI_SORT_SR_ASC] = {" (trier par ordre croissant)", " (sort ascending)"},
    [UI_SORT_SR_DESC] = {" (trier par ordre décroissant)", " (sort descending)"},
    [UI_COUNT_NONE] = {"Aucun enregistrement", "No records"},
    [UI_COUNT_ONE] = {" enregistrement", " record"},
    [UI_COUNT_MANY] = {" enregistrements", " records"},
    [UI_COUNT_OVER] = {"Plus de ", "More than "},
    [UI_EXPORTS] = {"Exporter ces enregistrements", "Export these records"},
    [UI_EXPORT_CSV] = {"Tableur (CSV)", "Spreadsheet (CSV)"},
    [UI_EXPORT_JSONL] = {"JSON Lines", "JSON Lines"},
    [UI_EXPORT_OPEN] = {"Données ouvertes (CSV, sans données personnelles)",
			"Open data (CSV, without personal data)"},
    [UI_EXPORT_SCHEMA] = {"Schéma des données ouvertes (Table Schema)",
			  "Open data schema (Table Schema)"},
    [UI_CAPTION_LIST] = {" : liste des enregistrements", ": records"},
    [UI_EMPTY_FILTERED] = {"Aucun enregistrement ne correspond à ces critères. Essayez d’effacer "
			   "les filtres.",
			   "No record matches these criteria. Try clearing the filters."},
    [UI_EMPTY_ALL] = {"Il n’y a encore aucun enregistrement.", "There are no records yet."},
    [UI_PAGINATION] = {"Pagination", "Pagination"},
    [UI_NEXT_PAGE] = {"Page suivante", "Next page"},
    [UI_FIRST_PAGE] = {"Première page", "First page"},
    [UI_COL_ID] = {"N°", "No."},
    [UI_PORTAL_TITLE] = {"Vos applications", "Your applications"},
    [UI_PORTAL_EMPTY] = {"Aucune application ne vous est ouverte pour l’instant.",
			 "No application is open to you yet."},
    [UI_PORTAL_LOGIN_HINT] = {"Connectez-vous pour voir les applications qui vous sont réservées.",
			      "Log in to see the applications reserved for you."},
    [UI_OWNER] = {"Référent : ", "Contact: "},
    [UI_LOGIN_TITLE] = {"Connexion", "Log in"},
    [UI_LOGIN_ID] = {"Identifiant", "Username"},
    [UI_PASSWORD] = {"Mot de passe", "Password"},
    [UI_HOME_CAPTION] = {"Enregistrements par état : ", "Records by status: "},
    [UI_COUNT] = {"Nombre", "Count"},
    [UI_TOTAL] = {"Total", "Total"},
    [UI_BACK_HOME] = {"Retour à l’accueil", "Back to home"},
    [UI_BACK_RECORD] = {"Revenir à l’enregistrement", "Back to the record"},
    [UI_SUPPORT_ID] = {"Si le problème persiste, communiquez ce code au support : ",
		       "If the problem persists, give this code to support: "},
    [UI_ERR_400] = {"Requête invalide", "Bad request"},
    [UI_ERR_401] = {"Connexion requise", "Login required"},
    [UI_ERR_403] = {"Accès refusé", "Access denied"},
    [UI_ERR_404] = {"Page introuvable", "Page not found"},
    [UI_ERR_409] = {"Conflit", "Conflict"},
    [UI_ERR_413] = {"Contenu trop volumineux", "Content too large"},
    [UI_ERR_422] = {"Données invalides", "Invalid data"},
    [UI_ERR_429] = {"Trop de tentatives", "Too many attempts"},
    [UI_ERR_500] = {"Erreur interne", "Internal error"},
    [UI_ERR_503] = {"Service momentanément indisponible", "Service temporarily unavailable"},
    [UI_ERR_OTHER] = {"Erreur", "Error"},
    [UI_MSG_400] = {"La requête n’a pas pu être comprise.", "The request could not be understood."},
    [UI_MSG_401] = {"Connectez-vous pour accéder à cette page.", "Log in to see this page."},
    [UI_MSG_403] = {"Vous n’avez pas le droit d’accéder à cette page.",
		    "You are not allowed to see this page."},
    [UI_MSG_404] = {"La page demandée n’existe pas ou n’existe plus. Vérifiez l’adresse.",
		    "The page does not exist or no longer exists. Check the address."},
    [UI_MSG_409] = {"L’action n’est plus possible : l’enregistrement a changé entre-temps.",
		    "This action is no longer possible: the record has changed meanwhile."},
    [UI_MSG_413] = {"Le contenu envoyé dépasse la taille autorisée.",
		    "The content sent is larger than allowed."},
    [UI_MSG_422] = {"Les données envoyées ne sont pas valides.", "The data sent is not valid."},
    [UI_MSG_429] = {"Trop de tentatives en peu de temps. Patientez quelques minutes puis "
		    "réessayez.",
		    "Too many attempts in a short time. Wait a few minutes, then try again."},
    [UI_MSG_500] = {"Une erreur s’est produite de notre côté. Réessayez dans quelques instants.",
		    "Something went wrong on our side. Try again in a moment."},
    [UI_MSG_503] = {"Le service ne peut pas répondre pour l’instant. Réessayez dans quelques "
		    "secondes.",
		    "The service cannot answer right now. Try again in a few seconds."},
    [UI_MSG_OTHER] = {"Une erreur s’est produite.", "An error occurred."},
    [UI_NO_FORMS] = {"Aucun formulaire ne vous est ouvert dans cette application.",
		     "No form of this application is open to you."},
    [UI_TRANSITION_COMMENT_HELP] = {"Ce commentaire sera conservé dans l’historique.",
				    "This comment is kept in the history."},
    [UI_ERR_405] = {"Méthode non autorisée", "Method not allowed"},
    [UI_MSG_405] = {"Cette adresse n’accepte pas ce type de requête.",
		    "This address does not accept this kind of request."},
    [UI_ADMIN_APPS] = {"Applications en service", "Applications served"},
    [UI_ADMIN_NO_APPS] = {"Aucune application n’est en service.", "No application is served."},
    [UI_ADMIN_CAPTION] = {"Catalogue des applications", "Application catalog"},
    [UI_APP] = {"Application", "Application"},
    [UI_IDENT] = {"Identifiant", "Id"},
    [UI_OWNER_COL] = {"Référent", "Contact"},
    [UI_FORMS] = {"Formulaires", "Forms"},
    [UI_HASH] = {"Empreinte", "Hash"},
    [UI_PROBLEMS] = {"Erreurs de chargement", "Load errors"},
    [UI_NO_PROBLEMS] = {"Aucune erreur de chargement.", "No load errors."},
    [UI_LUA_BUDGET] = {"Code des applications", "App code"},
    [UI_LUA_NONE] = {"Aucune application n'a dépassé son budget d'instructions ou de mémoire.",
		     "No app ran past its instruction or memory budget."},
    [UI_LUA_CAPTION] = {"Applications dont le code a dépassé son budget (suspendues 30 s, puis "
			"plus longtemps si cela continue)",
			"Apps whose code ran past its budget (suspended 30 s, then longer if it "
			"goes on)"},
    [UI_LUA_STATUS] = {"État", "Status"},
    [UI_LUA_OVERRUNS] = {"Dépassements", "Overruns"},
    [UI_LUA_TRIPS] = {"Suspensions", "Suspensions"},
    [UI_LUA_REFUSED] = {"Demandes refusées (503)", "Requests refused (503)"},
    [UI_LUA_SUSPENDED_UNTIL] = {"Suspendue jusqu'au", "Suspended until"},
    [UI_LUA_RUNNING] = {"Active", "Running"},
    [UI_SERVING_PREVIOUS] = {"La version précédente reste en service.",
			     "The previous version keeps serving."},
    [UI_NOT_SERVED] = {"Cette application n’est pas en service.",
		       "This application is not served."},
    [UI_OUTBOX] = {"Messages sortants", "Outgoing mail"},
    [UI_OUTBOX_INTRO] = {"Les 200 derniers messages de chaque application, du plus récent au "
			 "plus ancien. Sans serveur de messagerie (option --smtp), ils restent "
			 "en attente.",
			 "The latest 200 messages of each application, newest first. Without "
			 "a mail server (--smtp option), they stay pending."},
    [UI_OUTBOX_CAPTION] = {"Messages de l’application", "Messages of the application"},
    [UI_OUTBOX_NONE] = {"Aucun message.", "No messages."},
    [UI_OUTBOX_UNREADABLE] = {"Les messages de cette application n’ont pas pu être lus.",
			      "The messages of this application could not be read."},
    [UI_OB_NUM] = {"N°", "No."},
    [UI_OB_STATUS] = {"Statut", "Status"},
    [UI_OB_CREATED] = {"Créé le", "Created"},
    [UI_OB_TO] = {"Destinataire", "Recipient"},
    [UI_OB_SUBJECT] = {"Objet", "Subject"},
    [UI_OB_ATTEMPTS] = {"Tentatives", "Attempts"},
    [UI_OB_NEXT] = {"Prochain essai", "Next attempt"},
    [UI_OB_ANSWER] = {"Dernière réponse ou erreur", "Last answer or error"},
    [UI_OB_RECORD] = {"Enregistrement", "Record"},
    [UI_OB_PENDING] = {"En attente", "Pending"},
    [UI_OB_SENT] = {"Envoyé", "Sent"},
    [UI_OB_FAILED] = {"Échec", "Failed"},
};

const char *render_text(const page *p, enum ui m)
{
	return ui_text[m][p && p->lg == LANG_EN ? 1 : 0];
}

/* ---- small helpers ---- */

lang render_page_lang(const page *p)
{
	return p && p->lg == LANG_EN ? LANG_EN : LANG_FR;
}

/* ` name="value"` with value escaped. */
void render_attr(buf *o, const char *name, const char *val)
{
	buf_putc(o, ' ');
	buf_puts(o, name);
	buf_puts(o, "=\"");
	buf_html(o, val ? val : "");
	buf_putc(o, '"');
}

/* A table in a region that scrolls sideways on a narrow screen (WCAG 1.4.10): focusable, so
 * a keyboard scrolls it, and named by the caption. key and sub (may be NULL) make the
 * caption's id, unique in the page. Writes up to the caption's text, which the caller
 * ends with "</span></caption>" (the span keeps the name in view as the region scrolls). */
void render_table_open(buf *o, const char *key, const char *sub)
{
	for (int i = 0; i < 2; i++) {
		buf_puts(o, i ? "\">\n<table>\n<caption id=\"cap-"
			      : "<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" "
				"aria-labelledby=\"cap-");
		buf_html(o, key);
		if (sub) {
			buf_putc(o, '-');
			buf_html(o, sub);
		}
	}
	buf_puts(o, "\"><span class=\"cap\">");
}

void render_hidden(buf *o, const char *name, const char *val)
{
	buf_puts(o, "<input type=\"hidden\"");
	render_attr(o, "name", name);
	render_attr(o, "value", val);
	buf_puts(o, ">");
}

void render_csrf_input(buf *o, const page *p)
{
	render_hidden(o, "_csrf", p ? p->csrf : NULL);
}

void render_put_int(buf *o, int64_t n)
{
	buf_printf(o, "%" PRId64, n);
}

/* A count with French digit grouping (narrow no-break space). */
void render_put_count(buf *o, const page *p, int64_t n)
{
	char d[32];
	int len = snprintf(d, sizeof d, "%" PRId64, n < 0 ? -n : n);
	if (n < 0)
		buf_putc(o, '-');
	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf_puts(o, render_page_lang(p) == LANG_EN ? "," : "\xe2\x80\xaf");
		buf_putc(o, d[i]);
	}
}

bool render_mask(const bool *m, size_t col)
{
	return m && m[col];
}

const value *render_val_at(const record *r, int col)
{
	if (!r || col < 0 || (size_t)col >= r->nvalues || !r->values)
		return NULL;
	return &r->values[col];
}

const def_field *render_col_field(const def_form *f, int col)
{
	if (col < 0 || (size_t)col >= f->ncols)
		return NULL;
	return f->cols[col];
}

const char *render_state_label(const def_form *f, const char *id)
{
	int i = def_find_state(f->workflow, id);
	return i >= 0 ? f->workflow->states[i].label : id;
}

/* The "empty value" marker: a dash for the eye, words for screen readers. */
void render_put_empty(buf *o, const page *p)
{
	buf_puts(o, "<span aria-hidden=\"true\">—</span><span class=\"sr-only\">");
	buf_puts(o, T(p, UI_EMPTY_VALUE));
	buf_puts(o, "</span>");
}

/* A reference: its target's label linked to its page when the reader may read it, else
 * only its number, which says nothing of a record they may not read. */
static void put_reference(buf *o, const page *p, const def_field *f, int64_t id)
{
	const ref_item *it = ref_view_find(p->refs, f, id);
	if (it && f->ref_form) {
		buf_printf(o, "<a href=\"/a/%s/%s/%lld\">", f->ref_form->app_id, f->ref_form->id,
			   (long long)id);
		if (it->label)
			buf_html(o, it->label);
		else
			buf_printf(o, "n° %lld", (long long)id);
		buf_puts(o, "</a>");
		return;
	}
	buf_printf(o, "n° %lld", (long long)id);
}

/* A value for humans, escaped; "—" for empty. */
void render_put_display(buf *o, const page *p, const def_field *f, const value *v)
{
	if (!f || !v || v->kind == VAL_NULL) {
		render_put_empty(o, p);
		return;
	}
	if (f->type == FT_REFERENCE && v->kind == VAL_INT) {
		put_reference(o, p, f, v->i);
		return;
	}
	buf tmp = BUF_INIT;
	validate_display(f, v, render_page_lang(p), &tmp);
	if (tmp.len == 0)
		render_put_empty(o, p);
	else
		buf_html_n(o, tmp.data, tmp.len);
	buf_free(&tmp);
}

/* A size as people read it: "850 octets", "12 Ko", "3,4 Mo". */
static void put_size(buf *o, const page *p, int64_t n)
{
	bool en = render_page_lang(p) == LANG_EN;
	if (n < 1024)
		buf_printf(o, en ? "%lld bytes" : "%lld octets", (long long)n);
	else if (n < 1024 * 1024)
		buf_printf(o, en ? "%lld KB" : "%lld Ko", (long long)((n + 1023) / 1024));
	else {
		char t[32];
		snprintf(t, sizeof t, "%.1f", (double)n / (1024.0 * 1024.0));
		if (!en)
			for (char *c = t; *c; c++)
				if (*c == '.')
					*c = ',';
		buf_printf(o, en ? "%s MB" : "%s Mo", t);
	}
}

void render_put_file(buf *o, const page *p, const def_field *f, const value *v, const char *href)
{
	json_t *j = v && v->kind == VAL_TEXT ? json_loads(v->s, 0, NULL) : NULL;
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *type = json_string_value(json_object_get(j, "type"));
	if (!name || !type) {
		render_put_empty(o, p);
		json_decref(j);
		return;
	}
	if (href) {
		buf_puts(o, "<a href=\"");
		buf_html(o, href);
		buf_html(o, f->name);
		buf_puts(o, "\">");
	}
	buf_html(o, name);
	if (href)
		buf_puts(o, "</a>");
	char label[96];
	buf_puts(o, " (");
	buf_html(o, validate_type_label(type, label, sizeof label, render_page_lang(p) == LANG_EN));
	buf_puts(o, ", ");
	put_size(o, p, json_integer_value(json_object_get(j, "size")));
	buf_puts(o, ")");
	json_decref(j);
}

/*
 * The text put back in an input, unescaped, into tmp. A numeric field whose input
 * did not parse comes back as VAL_TEXT holding what the user typed: echo it as is.
 */
void render_input_text(const def_field *f, const value *v, buf *tmp)
{
	if (!v || v->kind == VAL_NULL)
		return;
	if (v->kind == VAL_TEXT && (f->type == FT_INTEGER || f->type == FT_DECIMAL ||
				    f->type == FT_MONEY || f->type == FT_BOOLEAN)) {
		buf_puts(tmp, v->s);
		return;
	}
	validate_input_text(f, v, tmp);
}

bool render_value_is_true(const value *v)
{
	if (!v)
		return false;
	if (v->kind == VAL_INT)
		return v->i != 0;
	if (v->kind == VAL_TEXT && v->s)
		return strcmp(v->s, "1") == 0 || strcmp(v->s, "true") == 0 ||
		       strcmp(v->s, "on") == 0;
	return false;
}

bool render_choice_selected(const def_field *f, const value *v, const char *opt)
{
	if (!v || v->kind == VAL_NULL)
		return false;
	if (f->type == FT_MULTICHOICE)
		return validate_matches(f, v, opt);
	return v->kind == VAL_TEXT && v->s && strcmp(v->s, opt) == 0;
}

/*
 * ISO datetime (UTC) shown in French local time (util_paris_offset). Calendar
 * dates (YYYY-MM-DD) are shown as they are.
 */
void render_put_datetime(buf *o, const page *p, const char *iso, bool with_time)
{
	time_t t;
	bool instant = true; /* a datetime (converted to Paris time), not a calendar date */
	if (!iso || !*iso) {
		render_put_empty(o, p);
		return;
	}
	if (!util_parse_datetime(iso, &t)) {
		int64_t days;
		if (util_parse_date(iso, &days)) {
			t = (time_t)(days * 86400);
			with_time = instant = false;
		} else {
			buf_html(o, iso);
			return;
		}
	}
	time_t local = t + (instant ? util_paris_offset(t) : 0);
	struct tm l;
	gmtime_r(&local, &l);
	buf_puts(o, "<time");
	render_attr(o, "datetime", iso);
	buf_putc(o, '>');
	if (render_page_lang(p) == LANG_EN)
		buf_printf(o, "%04d-%02d-%02d", l.tm_year + 1900, l.tm_mon + 1, l.tm_mday);
	else
		buf_printf(o, "%02d/%02d/%04d", l.tm_mday, l.tm_mon + 1, l.tm_year + 1900);
	if (with_time) {
		buf_puts(o, T(p, UI_AT));
		buf_printf(o, "%02d:%02d", l.tm_hour, l.tm_min);
	}
	buf_puts(o, "</time>");
}

void render_put_quoted(buf *o, const page *p, const char *s)
{
	buf_puts(o, T(p, UI_QO));
	buf_html(o, s);
	buf_puts(o, T(p, UI_QC));
}

void render_put_arrow(buf *o, const page *p)
{
	buf_puts(o, " <span aria-hidden=\"true\">→</span><span class=\"sr-only\">");
	buf_puts(o, T(p, UI_TO_SR));
	buf_puts(o, "</span> ");
}

/* Base URLs; ids are checked by the loader ([a-z][a-z0-9_]*) but escaped anyway. */
void render_url_app(buf *o, const def_app *app)
{
	buf_puts(o, "/a/");
	buf_html(o, app->id);
	buf_putc(o, '/');
}

void render_url_form(buf *o, const def_app *app, const def_form *f)
{
	render_url_app(o, app);
	buf_html(o, f->id);
	buf_putc(o, '/');
}

void render_url_record(buf *o, const def_app *app, const def_form *f, int64_t id)
{
	render_url_form(o, app, f);
	render_put_int(o, id);
}

/* ---- page frame ---- */

/* A path safe to link back to: starts with one '/', no scheme, no "//host". */
static const char *safe_path(const char *path)
{
	if (!path || path[0] != '/' || path[1] == '/' || path[1] == '\\')
		return "/";
	return path;
}

/* Opens the document up to inside <title>; the caller writes the title, then page_body. */
void render_page_open(buf *o, const page *p, bool error)
{
	buf_puts(o, "<!DOCTYPE html>\n<html lang=\"");
	buf_puts(o, render_page_lang(p) == LANG_EN ? "en" : "fr");
	buf_puts(o, "\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>");
	if (error)
		buf_puts(o, T(p, UI_ERROR_PREFIX));
}

void render_page_body(buf *o, const page *p)
{
	const char *name = p && p->site_name ? p->site_name : "smallapps";
	buf_puts(o, " — ");
	buf_html(o, name);
	buf_puts(o, "</title>\n<link rel=\"stylesheet\" href=\"");
	buf_puts(o, render_asset_path("style.css"));
	buf_puts(o, "\">\n");
	if (p && p->site_css) /* the collectivité's colour, after the neutral one */
		buf_puts(o, "<link rel=\"stylesheet\" href=\"/static/site.css\">\n");
	buf_puts(o, "</head>\n<body>\n<a class=\"skip\" href=\"#contenu\">");
	buf_puts(o, T(p, UI_SKIP));
	buf_puts(o, "</a>\n<header class=\"site\">\n<a class=\"brand\" href=\"/\">");
	if (p && p->site_logo) /* the name follows: the logo says nothing more (alt="") */
		buf_puts(o, "<img class=\"logo\" src=\"/static/logo\" alt=\"\" height=\"40\"> ");
	buf_html(o, name);
	buf_puts(o, "</a>\n<nav aria-label=\"");
	buf_puts(o, T(p, UI_NAV));
	buf_puts(o, "\">\n<ul>\n<li><a href=\"/\">");
	buf_puts(o, T(p, UI_HOME));
	buf_puts(o, "</a></li>\n");
	if (p && p->user_login && p->user_admin) {
		buf_puts(o, "<li><a href=\"/admin\">");
		buf_puts(o, T(p, UI_ADMIN));
		buf_puts(o, "</a></li>\n");
	}
	if (p && p->user_login) {
		buf_puts(o, "<li class=\"user\"><span class=\"sr-only\">");
		buf_puts(o, T(p, UI_USER_SR));
		buf_puts(o, "</span>");
		buf_html(o, p->user_name && *p->user_name ? p->user_name : p->user_login);
		buf_puts(o,
			 "</li>\n<li><form method=\"post\" action=\"/logout\" class=\"inline\">");
		render_csrf_input(o, p);
		buf_puts(o, "<button type=\"submit\" class=\"link\">");
		buf_puts(o, T(p, UI_LOGOUT));
		buf_puts(o, "</button></form></li>\n");
	} else {
		buf_puts(o, "<li><a href=\"/login\">");
		buf_puts(o, T(p, UI_LOGIN));
		buf_puts(o, "</a></li>\n");
	}
	buf_puts(o, "<li><a");
	buf_puts(o, " href=\"");
	buf_html(o, safe_path(p ? p->path : NULL));
	buf_puts(o, "?lang=");
	buf_puts(o, T(p, UI_SWITCH_CODE));
	buf_puts(o, "\" lang=\"");
	buf_puts(o, T(p, UI_SWITCH_CODE));
	buf_puts(o, "\" hreflang=\"");
	buf_puts(o, T(p, UI_SWITCH_CODE));
	buf_puts(o, "\" title=\"");
	buf_puts(o, T(p, UI_SWITCH_TITLE));
	buf_puts(o, "\">");
	buf_puts(o, T(p, UI_SWITCH));
	buf_puts(o, "</a></li>\n</ul>\n</nav>\n</header>\n<main id=\"contenu\" tabindex=\"-1\">\n");
	if (p && p->flash && *p->flash) {
		buf_puts(o, "<div class=\"notice success\" role=\"status\"><p>");
		buf_html(o, p->flash);
		buf_puts(o, "</p></div>\n");
	}
}

void render_page_close(buf *o, const page *p)
{
	buf_puts(o, "</main>\n<footer class=\"site\">\n<ul class=\"footer-links\">\n"
		    "<li><a href=\"/accessibilite\">Accessibilité : ");
	/* without an audit, the RGAA's word is "non conforme" */
	buf_html(o, p && p->site_access ? p->site_access : "non conforme");
	buf_puts(o, "</a></li>\n<li><a href=\"/mentions-legales\">Mentions légales</a></li>\n"
		    "<li><a href=\"/donnees-personnelles\">Données personnelles</a></li>\n</ul>\n"
		    "<p>");
	buf_puts(o, T(p, UI_FOOTER));
	buf_puts(o, "</p>\n</footer>\n</body>\n</html>\n");
}

/* Breadcrumb: Accueil > app > form > record (ancestors of the current page only). */
void render_breadcrumb(buf *o, const page *p, const def_app *app, const def_form *f, int64_t id)
{
	buf_puts(o, "<nav class=\"breadcrumb\" aria-label=\"");
	buf_puts(o, T(p, UI_BREADCRUMB));
	buf_puts(o, "\">\n<ol>\n<li><a href=\"/\">");
	buf_puts(o, T(p, UI_HOME));
	buf_puts(o, "</a></li>\n");
	if (app) {
		buf_puts(o, "<li><a href=\"");
		render_url_app(o, app);
		buf_puts(o, "\">");
		buf_html(o, app->title);
		buf_puts(o, "</a></li>\n");
	}
	if (app && f && id > 0) {
		buf_puts(o, "<li><a href=\"");
		render_url_form(o, app, f);
		buf_puts(o, "\">");
		buf_html(o, f->title);
		buf_puts(o, "</a></li>\n");
	}
	buf_puts(o, "</ol>\n</nav>\n");
}

/* ---- the stylesheet ---- */

/*
 * The stylesheet, in pieces (ISO C caps a literal at 4095 bytes), joined once.
 */
static const char *const stylesheet_parts[] = {
    ":root{--text:#1e1e1e;--muted:#4d4d4d;--bg:#fff;--alt:#f4f4f6;--line:#8a8a8a;"
    "--primary:#000091;--primary-bg:#e3e3fd;--error:#b30000;--error-bg:#fdecea;"
    "--ok:#18753c;--ok-bg:#e6f4ea;--warn:#7a4b00;--warn-bg:#fff4d6;--focus:#0a76f6}\n"
    "*,*::before,*::after{box-sizing:border-box}\n"
    "[hidden]{display:none!important}\n"
    "html{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
    "sans-serif;font-size:100%;line-height:1.5;color:var(--text);background:var(--bg)}\n"
    "body{margin:0}\n"
    "a{color:var(--primary);text-decoration:underline;text-underline-offset:.15em}\n"
    "a:hover{text-decoration-thickness:2px}\n"
    ":focus-visible{outline:3px solid var(--focus);outline-offset:2px}\n"
    "a:focus,button:focus,input:focus,select:focus,textarea:focus,[tabindex]:focus"
    "{outline:3px solid var(--focus);outline-offset:2px}\n"
    ".default-submit{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}\n"
    ".sr-only{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;"
    "overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}\n"
    ".skip{position:absolute;left:-999em;top:0;background:var(--bg);padding:.5rem 1rem;"
    "z-index:10}\n"
    ".skip:focus{left:.5rem;top:.5rem}\n"
    "header.site{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;"
    "gap:.5rem 1rem;padding:.75rem 1rem;border-bottom:3px solid var(--primary)}\n"
    ".brand{font-weight:700;font-size:1.25rem;text-decoration:none;color:var(--primary)}\n"
    "header.site ul,.breadcrumb ol,.pagination ul,.actions-list{list-style:none;margin:0;"
    "padding:0;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}\n"
    ".user{color:var(--muted)}\n"
    "main{display:block;max-width:60rem;margin:0 auto;padding:1rem}\n"
    "main:focus{outline:none}\n"
    "footer.site{border-top:1px solid var(--line);padding:1rem;color:var(--muted);"
    "font-size:.875rem;text-align:center}\n"
    "h1{font-size:1.75rem;line-height:1.25;margin:.5rem 0 1rem}\n"
    "h2{font-size:1.375rem;margin:1.5rem 0 .75rem}\n"
    ".breadcrumb{font-size:.875rem;margin-bottom:.5rem}\n"
    ".breadcrumb li+li::before{content:\"›\";margin-right:.5rem;color:var(--muted)}\n"
    "form.inline{display:inline}\n"
    ".field{margin:0 0 1.25rem}\n"
    "label,.label,legend{display:block;font-weight:600;margin-bottom:.25rem}\n"
    ".choice label{display:inline;font-weight:400}\n"
    ".choice{margin:.25rem 0;display:flex;gap:.5rem;align-items:flex-start}\n"
    ".choice input{width:1.25rem;height:1.25rem;margin-top:.15rem;flex:none}\n"
    ".help,.hint{color:var(--muted);margin:0 0 .25rem}\n"
    ".info{border-left:4px solid var(--primary);padding:.25rem 0 .25rem 1rem;"
    "margin:1rem 0;overflow-wrap:anywhere}\n"
    ".info p{margin:.25rem 0}\n"
    ".long{overflow-wrap:anywhere;word-break:break-all}\n" /* a link or a code to copy */
    ".suggestions{list-style:none;margin:0;padding:0;border:1px solid var(--muted);"
    "max-width:30rem;max-height:16rem;overflow-y:auto;background:var(--bg)}\n"
    ".suggestions li{padding:.5rem .75rem;cursor:pointer}\n"
    ".suggestions li[aria-selected=true],.suggestions li:hover{background:var(--primary);"
    "color:#fff}\n"
    ".brand .logo{vertical-align:middle;max-height:2.5rem;width:auto}\n"
    ".footer-links{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}\n"
    ".privacy-notice{font-size:.9rem;color:var(--muted);border-top:1px solid var(--line);"
    "margin-top:1.5rem;padding-top:.5rem}\n"
    ".yes-no .choice{display:inline-flex;margin-right:1.5rem}\n"
    ".hint{font-style:italic}\n"
    "input,select,textarea{font:inherit;color:inherit;background:var(--bg);"
    "border:2px solid var(--line);border-radius:4px;padding:.5rem;width:100%;max-width:36rem}\n",
    "input.short{max-width:14rem}\n"
    "textarea{min-height:8rem}\n"
    ".with-unit{display:flex;align-items:center;gap:.5rem}\n"
    ".unit{font-weight:600}\n"
    "fieldset{border:0;margin:0 0 1rem;padding:0;min-width:0}\n"
    "fieldset.section{border:1px solid var(--line);border-radius:4px;padding:1rem;"
    "margin:0 0 1.5rem}\n"
    "fieldset.section>legend{font-size:1.25rem;padding:0 .25rem}\n"
    "fieldset.lines>legend{font-weight:bold}\n"
    "fieldset.line{border:1px solid var(--line);border-radius:4px;padding:.5rem 1rem;"
    "margin:.5rem 0 1rem}\n"
    ".has-error input,.has-error select,.has-error textarea,[aria-invalid=\"true\"]"
    "{border-color:var(--error)}\n"
    ".field.has-error,.group.has-error{border-left:4px solid var(--error);padding-left:.75rem}\n"
    ".error{color:var(--error);font-weight:600;margin:0 0 .25rem}\n"
    ".error-summary{border:3px solid var(--error);background:var(--error-bg);padding:1rem;"
    "margin:0 0 1.5rem}\n"
    ".error-summary h2{margin-top:0;color:var(--error)}\n"
    ".error-summary a{color:var(--error);font-weight:600}\n"
    ".notice{border-left:6px solid var(--primary);background:var(--primary-bg);padding:.75rem 1rem;"
    "margin:0 0 1rem}\n"
    ".notice.success{border-color:var(--ok);background:var(--ok-bg)}\n"
    ".notice.warning{border-color:var(--warn);background:var(--warn-bg)}\n"
    ".notice h2{margin-top:0}\n"
    ".button,button{display:inline-block;font:inherit;font-weight:600;line-height:1.25;"
    "padding:.625rem 1rem;border:2px solid var(--primary);border-radius:4px;"
    "background:var(--primary);color:#fff;text-decoration:none;cursor:pointer;min-height:44px}\n"
    ".button.secondary,button.secondary{background:var(--bg);color:var(--primary)}\n"
    "button.danger{background:var(--error);border-color:var(--error)}\n"
    "button.link{background:none;border:0;padding:0;min-height:0;color:var(--primary);"
    "text-decoration:underline;font-weight:400}\n"
    ".actions{display:flex;flex-wrap:wrap;gap:.75rem 1rem;align-items:center;margin:1.5rem 0}\n"
    ".badge{display:inline-block;padding:.1rem .5rem;border-radius:1rem;font-size:.875rem;"
    "font-weight:600;background:var(--primary-bg);color:var(--primary);border:1px solid "
    "var(--primary)}\n"
    ".badge.overdue{background:var(--error-bg);color:var(--error);border-color:var(--error)}\n"
    ".badge.overdue::before{content:\"⚠ \"}\n"
    ".badge.sent{background:var(--ok-bg);color:var(--ok);border-color:var(--ok)}\n"
    ".badge.failed{background:var(--error-bg);color:var(--error);border-color:var(--error)}\n"
    /* relative: the .sr-only texts in cells (absolute) stay inside the scroll region */
    ".table-wrap{overflow-x:auto;margin:0 0 1rem;position:relative}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "caption{text-align:left;font-weight:600;padding:.5rem 0}\n"
    /* a wide table scrolls in its region: its name stays in view at the left */
    ".table-wrap caption .cap{position:sticky;left:0;display:inline-block;max-width:85vw}\n"
    "th,td{text-align:left;vertical-align:top;padding:.5rem;border-bottom:1px solid var(--line)}\n"
    "thead th{border-bottom:2px solid var(--text);white-space:nowrap}\n"
    "tbody tr:nth-child(even){background:var(--alt)}\n"
    "dl.values{display:grid;grid-template-columns:minmax(0,1fr);gap:.25rem 1rem;margin:0 0 1rem}\n",
    "dl.values dt{font-weight:600}\n"
    "dl.values dd{margin:0 0 .75rem;white-space:pre-line;min-width:0}\n"
    ".filters{background:var(--alt);padding:1rem;margin:0 0 1rem;border-radius:4px}\n"
    ".filters .field{margin-bottom:.75rem}\n"
    ".history li{margin-bottom:1rem}\n"
    ".stepper{margin:0 0 1.5rem}.stepper h2{margin:0}.step-state{display:block;"
    "font-size:1rem;font-weight:400;color:var(--muted)}.step-next{color:var(--muted);"
    "margin:.25rem 0 0}\n"
    ".summary-step{border-bottom:1px solid var(--line);margin:0 0 1rem;padding-bottom:1rem}\n"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--alt);padding:.75rem;"
    "border-radius:4px}\n"
    "code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}\n"
    ".history blockquote{margin:.25rem 0 .25rem 1rem;padding-left:.75rem;border-left:3px solid "
    "var(--line)}\n"
    "@media (min-width:40em){dl.values{grid-template-columns:minmax(10rem,1fr) minmax(0,2fr)}"
    "dl.values dd{margin:0}.filters{display:grid;grid-template-columns:repeat(auto-fill,"
    "minmax(14rem,1fr));gap:0 1rem;align-items:end}h1{font-size:2rem}}\n"
    "@media "
    "(prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}\n"
    "figure.chart{margin:0 0 1rem;overflow-x:auto}\n"
    "figure.chart svg{max-width:100%;height:auto}\n"
    ".print-only{display:none}\n"
    /* On paper: the collectivité's name stays, what one clicks goes; A4 margins. */
    "@media print{header.site nav,footer.site,.skip,.actions,.pagination,.filters,.breadcrumb,"
    "button,.button{display:none}.print-only{display:block}html{font-size:11pt}"
    "@page{size:A4;margin:15mm}main{max-width:none;padding:0}"
    "header.site{border-bottom:1px solid #000;padding:0 0 .5rem}"
    "section.registre,section.stats,.history li{break-inside:avoid-page}"
    ".history details>*{display:block}h2{break-after:avoid-page}"
    ".table-wrap{overflow:visible}a{color:inherit;text-decoration:none}}\n",
};

static char *stylesheet;
static pthread_once_t stylesheet_once = PTHREAD_ONCE_INIT;

static void stylesheet_join(void)
{
	buf b = BUF_INIT;
	for (size_t i = 0; i < sizeof stylesheet_parts / sizeof *stylesheet_parts; i++)
		buf_puts(&b, stylesheet_parts[i]);
	stylesheet = buf_steal(&b); /* lives as long as the process */
}

const char *render_stylesheet(void)
{
	pthread_once(&stylesheet_once, stylesheet_join);
	return stylesheet;
}

/* ---- portal ---- */

void render_portal(buf *out, const page *p, const portal_app *apps, size_t napps)
{
	render_page_open(out, p, false);
	buf_puts(out, T(p, UI_PORTAL_TITLE));
	render_page_body(out, p);
	buf_puts(out, "<h1>");
	buf_puts(out, T(p, UI_PORTAL_TITLE));
	buf_puts(out, "</h1>\n");
	if (napps == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_PORTAL_EMPTY));
		buf_puts(out, "</p>\n");
		if (!p || !p->user_login) {
			buf_puts(out, "<p><a href=\"/login\">");
			buf_puts(out, T(p, UI_PORTAL_LOGIN_HINT));
			buf_puts(out, "</a></p>\n");
		}
	}
	for (size_t i = 0; i < napps; i++) {
		const def_app *app = apps[i].app;
		buf_puts(out, "<section class=\"app\">\n<h2><a href=\"");
		render_url_app(out, app);
		buf_puts(out, "\">");
		buf_html(out, app->title);
		buf_puts(out, "</a></h2>\n");
		if (app->description && *app->description) {
			buf_puts(out, "<p>");
			buf_html(out, app->description);
			buf_puts(out, "</p>\n");
		}
		if (app->owner && *app->owner) {
			buf_puts(out, "<p class=\"help\">");
			buf_puts(out, T(p, UI_OWNER));
			buf_html(out, app->owner);
			buf_puts(out, "</p>\n");
		}
		buf_puts(out, "<ul>\n");
		for (size_t j = 0; j < apps[i].nforms; j++) {
			const portal_form *pf = &apps[i].forms[j];
			if (!pf->can_create && !pf->can_read)
				continue;
			buf_puts(out, "<li><strong>");
			buf_html(out, pf->form->title);
			buf_puts(out, "</strong>");
			if (pf->can_create) {
				buf_puts(out, " — <a href=\"");
				render_url_form(out, app, pf->form);
				buf_puts(out, "new\">");
				buf_puts(out, T(p, UI_NEW));
				buf_puts(out, "<span class=\"sr-only\"> : ");
				buf_html(out, pf->form->title);
				buf_puts(out, "</span></a>");
			}
			if (pf->can_read) {
				buf_puts(out, " — <a href=\"");
				render_url_form(out, app, pf->form);
				buf_puts(out, "\">");
				buf_puts(out, T(p, UI_SEE_RECORDS));
				buf_puts(out, "<span class=\"sr-only\"> : ");
				buf_html(out, pf->form->title);
				buf_puts(out, "</span></a>");
			}
			buf_puts(out, "</li>\n");
		}
		buf_puts(out, "</ul>\n</section>\n");
	}
	render_page_close(out, p);
}

/* ---- login ---- */

void render_login(buf *out, const page *p, const char *login, const char *error, const char *next)
{
	bool err = error && *error;
	render_page_open(out, p, err);
	buf_puts(out, T(p, UI_LOGIN_TITLE));
	render_page_body(out, p);
	buf_puts(out, "<h1>");
	buf_puts(out, T(p, UI_LOGIN_TITLE));
	buf_puts(out, "</h1>\n");
	if (err) {
		buf_puts(out,
			 "<div class=\"error-summary\" role=\"alert\"><p class=\"error\" "
			 "id=\"login-error\"><span class=\"icon\" aria-hidden=\"true\">⚠</span> ");
		buf_puts(out, T(p, UI_ERROR_PREFIX));
		buf_html(out, error);
		buf_puts(out, "</p></div>\n");
	}
	const char *inv = err ? " aria-invalid=\"true\" aria-describedby=\"login-error\"" : "";
	buf_puts(out, "<form method=\"post\" action=\"/login\" novalidate>\n");
	render_csrf_input(out, p);
	if (next && *next)
		render_hidden(out, "next", next);
	buf_puts(out, "\n<div class=\"field\">\n<label for=\"login\">");
	buf_puts(out, T(p, UI_LOGIN_ID));
	buf_puts(out, "</label>\n<input type=\"text\" id=\"login\" name=\"login\" "
		      "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" "
		      "required");
	render_attr(out, "value", login);
	buf_puts(out, inv);
	buf_puts(out, ">\n</div>\n<div class=\"field\">\n<label for=\"password\">");
	buf_puts(out, T(p, UI_PASSWORD));
	buf_puts(out, "</label>\n<input type=\"password\" id=\"password\" name=\"password\" "
		      "autocomplete=\"current-password\" required");
	buf_puts(out, inv);
	buf_puts(out, ">\n</div>\n<div class=\"actions\"><button type=\"submit\">");
	buf_puts(out, T(p, UI_LOGIN));
	buf_puts(out, "</button></div>\n</form>\n");
	render_page_close(out, p);
}

/* ---- error page ---- */

void render_tracking(buf *out, const page *p, const tracking_view *v)
{
	const def_form *f = v->form;
	bool en = render_page_lang(p) == LANG_EN;
	char num[32];
	snprintf(num, sizeof num, "%" PRId64, v->rec->id);
	render_page_open(out, p, false);
	buf_puts(out, en ? "Follow-up of your request" : "Suivi de votre demande");
	render_page_body(out, p);
	if (v->receipt) {
		buf_puts(out, "<div class=\"notice success\" role=\"status\"><p>");
		buf_puts(out, en ? "Your request no. " : "Votre demande n° ");
		buf_puts(out, num);
		buf_puts(out, en ? " has been sent." : " a bien été envoyée.");
		buf_puts(out, "</p><p>");
		buf_puts(out,
			 en ? "Keep this address to follow it: it is the only way to find it again."
			    : "Conservez cette adresse pour la suivre : c'est le seul moyen de la "
			      "retrouver.");
		buf_puts(out, "<br><a class=\"long\" href=\"");
		buf_html(out, v->link);
		buf_puts(out, "\">");
		buf_html(out, v->link);
		buf_puts(out, "</a></p></div>\n");
	}
	buf_puts(out, "<h1>");
	buf_puts(out, en ? "Follow-up of your request" : "Suivi de votre demande");
	buf_puts(out, "</h1>\n<dl class=\"record\">\n<dt>");
	buf_puts(out, en ? "Service" : "Service");
	buf_puts(out, "</dt><dd>");
	buf_html(out, v->app->title);
	buf_puts(out, "</dd>\n<dt>");
	buf_puts(out, en ? "Request" : "Demande");
	buf_puts(out, "</dt><dd>");
	buf_html(out, f->title);
	buf_puts(out, en ? ", no. " : ", n° ");
	buf_puts(out, num);
	buf_puts(out, "</dd>\n<dt>");
	buf_puts(out, en ? "Current state" : "État actuel");
	buf_puts(out, "</dt><dd><strong>");
	buf_html(out, render_state_label(f, v->rec->state));
	buf_puts(out, "</strong></dd>\n</dl>\n");
	if (v->nsteps) {
		buf_puts(out, "<h2>");
		buf_puts(out, en ? "History" : "Historique");
		buf_puts(out, "</h2>\n<ol class=\"history\">\n");
		for (size_t i = 0; i < v->nsteps; i++) {
			buf_puts(out, "<li>");
			render_put_datetime(out, p, v->steps[i].at, true);
			buf_puts(out, " — ");
			buf_html(out, render_state_label(f, v->steps[i].state));
			buf_puts(out, "</li>\n");
		}
		buf_puts(out, "</ol>\n");
	}
	render_page_close(out, p);
}

void render_error(buf *out, const page *p, int status, const char *message, const char *request_id,
		  const char *back)
{
	enum ui title, msg;
	switch (status) {
	case 400:
		title = UI_ERR_400;
		msg = UI_MSG_400;
		break;
	case 401:
		title = UI_ERR_401;
		msg = UI_MSG_401;
		break;
	case 403:
		title = UI_ERR_403;
		msg = UI_MSG_403;
		break;
	case 405:
		title = UI_ERR_405;
		msg = UI_MSG_405;
		break;
	case 404:
		title = UI_ERR_404;
		msg = UI_MSG_404;
		break;
	case 409:
		title = UI_ERR_409;
		msg = UI_MSG_409;
		break;
	case 413:
		title = UI_ERR_413;
		msg = UI_MSG_413;
		break;
	case 422:
		title = UI_ERR_422;
		msg = UI_MSG_422;
		break;
	case 429:
		title = UI_ERR_429;
		msg = UI_MSG_429;
		break;
	case 500:
		title = UI_ERR_500;
		msg = UI_MSG_500;
		break;
	case 503:
		title = UI_ERR_503;
		msg = UI_MSG_503;
		break;
	default:
		title = UI_ERR_OTHER;
		msg = UI_MSG_OTHER;
		break;
	}
	render_page_open(out, p, false);
	buf_puts(out, T(p, title));
	render_page_body(out, p);
	buf_puts(out, "<h1>");
	buf_puts(out, T(p, title));
	buf_puts(out, "</h1>\n<p>");
	if (message && *message)
		buf_html(out, message);
	else
		buf_puts(out, T(p, msg));
	buf_puts(out, "</p>\n");
	if (status == 401) {
		buf_puts(out, "<p><a href=\"/login\">");
		buf_puts(out, T(p, UI_LOGIN));
		buf_puts(out, "</a></p>\n");
	}
	if (request_id && *request_id) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_SUPPORT_ID));
		buf_puts(out, "<code>");
		buf_html(out, request_id);
		buf_puts(out, "</code></p>\n");
	}
	if (back) {
		buf_puts(out, "<p><a href=\"");
		buf_html(out, back);
		buf_puts(out, "\">");
		buf_puts(out, T(p, UI_BACK_RECORD));
		buf_puts(out, "</a></p>\n");
	}
	buf_puts(out, "<p><a href=\"/\">");
	buf_puts(out, T(p, UI_BACK_HOME));
	buf_puts(out, "</a></p>\n");
	render_page_close(out, p);
}
