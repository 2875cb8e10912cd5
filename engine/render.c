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
#include "render.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* ---- UI strings, one row per message: { French, English } ---- */

enum ui {
	UI_SKIP,
	UI_NAV,
	UI_HOME,
	UI_ADMIN,
	UI_LOGOUT,
	UI_LOGIN,
	UI_SWITCH,
	UI_SWITCH_CODE,
	UI_SWITCH_TITLE,
	UI_USER_SR,
	UI_FOOTER,
	UI_BREADCRUMB,
	UI_REQUIRED,
	UI_REQUIRED_IF,
	UI_CHOOSE,
	UI_ERROR_PREFIX,
	UI_ERR_SUM_ONE,
	UI_ERR_SUM_A,
	UI_ERR_SUM_B,
	UI_VISIBLE_IF,
	UI_REQUIRED_IF_HINT,
	UI_IS,
	UI_OR,
	UI_AND,
	UI_QO,
	UI_QC,
	UI_EUROS_SR,
	UI_FILE_NOTE,
	UI_SAVE,
	UI_SEND,
	UI_CANCEL,
	UI_NEW_SUFFIX,
	UI_EDIT_SUFFIX,
	UI_NUMBER,
	UI_NUMBER_SHORT,
	UI_CONFLICT_TITLE,
	UI_CONFLICT_TEXT,
	UI_CONFLICT_CAPTION,
	UI_FIELD,
	UI_YOUR_INPUT,
	UI_STORED,
	UI_EMPTY_VALUE,
	UI_STATE,
	UI_OVERDUE,
	UI_EDIT,
	UI_DELETE,
	UI_ACTIONS,
	UI_DETAILS,
	UI_META,
	UI_CREATED,
	UI_UPDATED,
	UI_BY,
	UI_VERSION,
	UI_HISTORY,
	UI_NO_HISTORY,
	UI_ACT_CREATE,
	UI_ACT_UPDATE,
	UI_ACT_DELETE,
	UI_ACT_MOVE,
	UI_ACT_TRANSITION,
	UI_SYSTEM,
	UI_TO_SR,
	UI_COMMENT,
	UI_CHANGES,
	UI_AT,
	UI_NEW,
	UI_SEE_RECORDS,
	UI_SEARCH,
	UI_FILTER,
	UI_FILTERS_LABEL,
	UI_RESET,
	UI_ALL,
	UI_YES,
	UI_NO,
	UI_OVERDUE_ONLY,
	UI_SORT,
	UI_SORT_NEWEST,
	UI_SORT_OLDEST,
	UI_SORT_UPDATED,
	UI_ASC,
	UI_DESC,
	UI_SORT_SR_ASC,
	UI_SORT_SR_DESC,
	UI_COUNT_NONE,
	UI_COUNT_ONE,
	UI_COUNT_MANY,
	UI_CAPTION_LIST,
	UI_EMPTY_FILTERED,
	UI_EMPTY_ALL,
	UI_PAGINATION,
	UI_NEXT_PAGE,
	UI_FIRST_PAGE,
	UI_COL_ID,
	UI_PORTAL_TITLE,
	UI_PORTAL_EMPTY,
	UI_PORTAL_LOGIN_HINT,
	UI_OWNER,
	UI_LOGIN_TITLE,
	UI_LOGIN_ID,
	UI_PASSWORD,
	UI_HOME_CAPTION,
	UI_COUNT,
	UI_TOTAL,
	UI_BACK_HOME,
	UI_BACK_RECORD,
	UI_SUPPORT_ID,
	UI_ERR_400,
	UI_ERR_401,
	UI_ERR_403,
	UI_ERR_404,
	UI_ERR_409,
	UI_ERR_413,
	UI_ERR_422,
	UI_ERR_429,
	UI_ERR_500,
	UI_ERR_OTHER,
	UI_MSG_400,
	UI_MSG_401,
	UI_MSG_403,
	UI_MSG_404,
	UI_MSG_409,
	UI_MSG_413,
	UI_MSG_422,
	UI_MSG_429,
	UI_MSG_500,
	UI_MSG_OTHER,
	UI_NO_FORMS,
	UI_TRANSITION_COMMENT_HELP,
	UI_ERR_405,
	UI_MSG_405,
	UI_ADMIN_APPS,
	UI_ADMIN_NO_APPS,
	UI_ADMIN_CAPTION,
	UI_APP,
	UI_IDENT,
	UI_OWNER_COL,
	UI_FORMS,
	UI_HASH,
	UI_PROBLEMS,
	UI_NO_PROBLEMS,
	UI_LUA_BUDGET,
	UI_LUA_NONE,
	UI_LUA_CAPTION,
	UI_LUA_STATUS,
	UI_LUA_OVERRUNS,
	UI_LUA_TRIPS,
	UI_LUA_REFUSED,
	UI_LUA_SUSPENDED_UNTIL,
	UI_LUA_RUNNING,
	UI_SERVING_PREVIOUS,
	UI_NOT_SERVED,
	UI_OUTBOX,
	UI_OUTBOX_INTRO,
	UI_OUTBOX_CAPTION,
	UI_OUTBOX_NONE,
	UI_OUTBOX_UNREADABLE,
	UI_OB_NUM,
	UI_OB_STATUS,
	UI_OB_CREATED,
	UI_OB_TO,
	UI_OB_SUBJECT,
	UI_OB_ATTEMPTS,
	UI_OB_NEXT,
	UI_OB_ANSWER,
	UI_OB_RECORD,
	UI_OB_PENDING,
	UI_OB_SENT,
	UI_OB_FAILED,
	UI__COUNT
};

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
	[UI_FILE_NOTE] = {"Le dépôt de fichiers n’est pas encore possible dans ce formulaire.",
	                  "File upload is not available in this form yet."},
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
	[UI_ERR_OTHER] = {"Erreur", "Error"},
	[UI_MSG_400] = {"La requête n’a pas pu être comprise.",
	                "The request could not be understood."},
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

static const char *T(const page *p, enum ui m)
{
	return ui_text[m][p && p->lg == LANG_EN ? 1 : 0];
}

/* ---- small helpers ---- */

static lang page_lang(const page *p)
{
	return p && p->lg == LANG_EN ? LANG_EN : LANG_FR;
}

/* ` name="value"` with value escaped. */
static void attr(buf *o, const char *name, const char *val)
{
	buf_putc(o, ' ');
	buf_puts(o, name);
	buf_puts(o, "=\"");
	buf_html(o, val ? val : "");
	buf_putc(o, '"');
}

static void hidden(buf *o, const char *name, const char *val)
{
	buf_puts(o, "<input type=\"hidden\"");
	attr(o, "name", name);
	attr(o, "value", val);
	buf_puts(o, ">");
}

static void csrf_input(buf *o, const page *p)
{
	hidden(o, "_csrf", p ? p->csrf : NULL);
}

static void put_int(buf *o, int64_t n)
{
	buf_printf(o, "%" PRId64, n);
}

/* A count with French digit grouping (narrow no-break space). */
static void put_count(buf *o, const page *p, int64_t n)
{
	char d[32];
	int len = snprintf(d, sizeof d, "%" PRId64, n < 0 ? -n : n);
	if (n < 0)
		buf_putc(o, '-');
	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf_puts(o, page_lang(p) == LANG_EN ? "," : "\xe2\x80\xaf");
		buf_putc(o, d[i]);
	}
}

static bool mask(const bool *m, size_t col)
{
	return m && m[col];
}

static const value *val_at(const record *r, int col)
{
	if (!r || col < 0 || (size_t)col >= r->nvalues || !r->values)
		return NULL;
	return &r->values[col];
}

static const def_field *col_field(const def_form *f, int col)
{
	if (col < 0 || (size_t)col >= f->ncols)
		return NULL;
	return f->cols[col];
}

static const char *state_label(const def_form *f, const char *id)
{
	int i = def_find_state(f->workflow, id);
	return i >= 0 ? f->workflow->states[i].label : id;
}

/* The "empty value" marker: a dash for the eye, words for screen readers. */
static void put_empty(buf *o, const page *p)
{
	buf_puts(o, "<span aria-hidden=\"true\">—</span><span class=\"sr-only\">");
	buf_puts(o, T(p, UI_EMPTY_VALUE));
	buf_puts(o, "</span>");
}

/* A value for humans, escaped; "—" for empty. */
static void put_display(buf *o, const page *p, const def_field *f, const value *v)
{
	if (!f || !v || v->kind == VAL_NULL) {
		put_empty(o, p);
		return;
	}
	buf tmp = BUF_INIT;
	validate_display(f, v, page_lang(p), &tmp);
	if (tmp.len == 0)
		put_empty(o, p);
	else
		buf_html_n(o, tmp.data, tmp.len);
	buf_free(&tmp);
}

/*
 * The text put back in an input, unescaped, into tmp. A numeric field whose input
 * did not parse comes back as VAL_TEXT holding what the user typed: echo it as is.
 */
static void input_text(const def_field *f, const value *v, buf *tmp)
{
	if (!v || v->kind == VAL_NULL)
		return;
	if (v->kind == VAL_TEXT &&
	    (f->type == FT_INTEGER || f->type == FT_DECIMAL || f->type == FT_MONEY ||
	     f->type == FT_BOOLEAN)) {
		buf_puts(tmp, v->s);
		return;
	}
	validate_input_text(f, v, tmp);
}

static bool value_is_true(const value *v)
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

static bool choice_selected(const def_field *f, const value *v, const char *opt)
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
static void put_datetime(buf *o, const page *p, const char *iso, bool with_time)
{
	time_t t;
	bool instant = true;  /* a datetime (converted to Paris time), not a calendar date */
	if (!iso || !*iso) {
		put_empty(o, p);
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
	attr(o, "datetime", iso);
	buf_putc(o, '>');
	if (page_lang(p) == LANG_EN)
		buf_printf(o, "%04d-%02d-%02d", l.tm_year + 1900, l.tm_mon + 1, l.tm_mday);
	else
		buf_printf(o, "%02d/%02d/%04d", l.tm_mday, l.tm_mon + 1, l.tm_year + 1900);
	if (with_time) {
		buf_puts(o, T(p, UI_AT));
		buf_printf(o, "%02d:%02d", l.tm_hour, l.tm_min);
	}
	buf_puts(o, "</time>");
}

static void put_quoted(buf *o, const page *p, const char *s)
{
	buf_puts(o, T(p, UI_QO));
	buf_html(o, s);
	buf_puts(o, T(p, UI_QC));
}

static void put_arrow(buf *o, const page *p)
{
	buf_puts(o, " <span aria-hidden=\"true\">→</span><span class=\"sr-only\">");
	buf_puts(o, T(p, UI_TO_SR));
	buf_puts(o, "</span> ");
}

/* Base URLs; ids are checked by the loader ([a-z][a-z0-9_]*) but escaped anyway. */
static void url_app(buf *o, const def_app *app)
{
	buf_puts(o, "/a/");
	buf_html(o, app->id);
	buf_putc(o, '/');
}

static void url_form(buf *o, const def_app *app, const def_form *f)
{
	url_app(o, app);
	buf_html(o, f->id);
	buf_putc(o, '/');
}

static void url_record(buf *o, const def_app *app, const def_form *f, int64_t id)
{
	url_form(o, app, f);
	put_int(o, id);
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
static void page_open(buf *o, const page *p, bool error)
{
	buf_puts(o, "<!DOCTYPE html>\n<html lang=\"");
	buf_puts(o, page_lang(p) == LANG_EN ? "en" : "fr");
	buf_puts(o, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	            "<title>");
	if (error)
		buf_puts(o, T(p, UI_ERROR_PREFIX));
}

static void page_body(buf *o, const page *p)
{
	buf_puts(o, " — smallapps</title>\n"
	            "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	            "</head>\n<body>\n<a class=\"skip\" href=\"#contenu\">");
	buf_puts(o, T(p, UI_SKIP));
	buf_puts(o, "</a>\n<header class=\"site\">\n<a class=\"brand\" href=\"/\">smallapps</a>\n"
	            "<nav aria-label=\"");
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
		buf_puts(o, "</li>\n<li><form method=\"post\" action=\"/logout\" class=\"inline\">");
		csrf_input(o, p);
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

static void page_close(buf *o, const page *p)
{
	buf_puts(o, "</main>\n<footer class=\"site\">\n<p>");
	buf_puts(o, T(p, UI_FOOTER));
	buf_puts(o, "</p>\n</footer>\n</body>\n</html>\n");
}

/* Breadcrumb: Accueil > app > form > record (ancestors of the current page only). */
static void breadcrumb(buf *o, const page *p, const def_app *app, const def_form *f,
                       int64_t id)
{
	buf_puts(o, "<nav class=\"breadcrumb\" aria-label=\"");
	buf_puts(o, T(p, UI_BREADCRUMB));
	buf_puts(o, "\">\n<ol>\n<li><a href=\"/\">");
	buf_puts(o, T(p, UI_HOME));
	buf_puts(o, "</a></li>\n");
	if (app && f) {
		buf_puts(o, "<li><a href=\"");
		url_app(o, app);
		buf_puts(o, "\">");
		buf_html(o, app->title);
		buf_puts(o, "</a></li>\n");
	}
	if (app && f && id > 0) {
		buf_puts(o, "<li><a href=\"");
		url_form(o, app, f);
		buf_puts(o, "\">");
		buf_html(o, f->title);
		buf_puts(o, "</a></li>\n");
	}
	buf_puts(o, "</ol>\n</nav>\n");
}

/* ---- form fields ---- */

static const char *cond_value_label(const page *p, const def_field *cf, const char *val)
{
	if (!cf)
		return val;
	if (cf->type == FT_CHOICE || cf->type == FT_MULTICHOICE)
		return def_option_label(cf, val);
	if (cf->type == FT_BOOLEAN) {
		if (strcmp(val, "true") == 0)
			return T(p, UI_YES);
		if (strcmp(val, "false") == 0)
			return T(p, UI_NO);
	}
	return val;
}

/* « Label » vaut « A » ou « B » et « Label2 » vaut « C » */
static void put_conds(buf *o, const page *p, const def_form *form, const def_condset *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		const def_cond *c = &cs->v[i];
		const def_field *cf = col_field(form, c->col);
		if (i > 0)
			buf_puts(o, T(p, UI_AND));
		put_quoted(o, p, cf ? cf->label : c->field);
		buf_puts(o, T(p, UI_IS));
		for (size_t j = 0; j < c->values.n; j++) {
			if (j > 0)
				buf_puts(o, T(p, UI_OR));
			put_quoted(o, p, cond_value_label(p, cf, c->values.v[j]));
		}
	}
}

static void field_id(buf *o, const def_field *f, const char *suffix)
{
	buf_puts(o, "f-");
	buf_html(o, f->name);
	if (suffix)
		buf_puts(o, suffix);
}

static void put_required_text(buf *o, const page *p, const def_field *f)
{
	if (f->required)
		buf_puts(o, T(p, UI_REQUIRED));
	else if (f->required_if.n)
		buf_puts(o, T(p, UI_REQUIRED_IF));
}

/* ` aria-describedby="f-x-help f-x-cond f-x-error"` when any applies. */
static void describedby(buf *o, const def_field *f, const char *err)
{
	bool help = f->help && *f->help;
	bool cond = f->visible_if.n || f->required_if.n;
	if (!help && !cond && !err)
		return;
	buf_puts(o, " aria-describedby=\"");
	const char *sep = "";
	if (help) {
		field_id(o, f, "-help");
		sep = " ";
	}
	if (cond) {
		buf_puts(o, sep);
		field_id(o, f, "-cond");
		sep = " ";
	}
	if (err) {
		buf_puts(o, sep);
		field_id(o, f, "-error");
	}
	buf_putc(o, '"');
}

/* Help, condition hint and error paragraphs, in reading order before the input. */
static void field_notes(buf *o, const page *p, const def_form *form, const def_field *f,
                        const char *err)
{
	if (f->help && *f->help) {
		buf_puts(o, "<p class=\"help\" id=\"");
		field_id(o, f, "-help");
		buf_puts(o, "\">");
		buf_html(o, f->help);
		buf_puts(o, "</p>\n");
	}
	if (f->visible_if.n || f->required_if.n) {
		buf_puts(o, "<p class=\"hint\" id=\"");
		field_id(o, f, "-cond");
		buf_puts(o, "\">");
		if (f->visible_if.n) {
			buf_puts(o, T(p, UI_VISIBLE_IF));
			put_conds(o, p, form, &f->visible_if);
			buf_puts(o, ".");
		}
		if (f->required_if.n) {
			if (f->visible_if.n)
				buf_putc(o, ' ');
			buf_puts(o, T(p, UI_REQUIRED_IF_HINT));
			put_conds(o, p, form, &f->required_if);
			buf_puts(o, ".");
		}
		buf_puts(o, "</p>\n");
	}
	if (err) {
		buf_puts(o, "<p class=\"error\" id=\"");
		field_id(o, f, "-error");
		buf_puts(o, "\"><span class=\"icon\" aria-hidden=\"true\">⚠</span> ");
		buf_puts(o, T(p, UI_ERROR_PREFIX));
		buf_html(o, err);
		buf_puts(o, "</p>\n");
	}
}

/* Common attributes of a control: id, name, describedby, invalid. */
static void control_attrs(buf *o, const def_field *f, const char *id_suffix, const char *err,
                          bool with_describedby)
{
	buf_puts(o, " id=\"");
	field_id(o, f, id_suffix);
	buf_putc(o, '"');
	attr(o, "name", f->name);
	if (with_describedby)
		describedby(o, f, err);
	if (err)
		buf_puts(o, " aria-invalid=\"true\"");
}

static const char *autocomplete_for(const def_field *f)
{
	switch (f->type) {
	case FT_EMAIL: return "email";
	case FT_PHONE: return "tel";
	case FT_POSTAL_CODE: return "postal-code";
	case FT_TEXT:
		if (!f->personal)
			return NULL;
		if (strcmp(f->name, "nom") == 0 || strcmp(f->name, "nom_famille") == 0 ||
		    strcmp(f->name, "family_name") == 0 || strcmp(f->name, "last_name") == 0)
			return "family-name";
		if (strcmp(f->name, "prenom") == 0 || strcmp(f->name, "given_name") == 0 ||
		    strcmp(f->name, "first_name") == 0)
			return "given-name";
		if (strcmp(f->name, "name") == 0 || strcmp(f->name, "nom_complet") == 0 ||
		    strcmp(f->name, "full_name") == 0)
			return "name";
		return NULL;
	default: return NULL;
	}
}

static void label_open(buf *o, const def_field *f, const char *suffix)
{
	buf_puts(o, "<label for=\"");
	field_id(o, f, suffix);
	buf_puts(o, "\">");
}

/* Radios or checkboxes in a fieldset/legend. */
static void field_group(buf *o, const page *p, const def_form *form, const def_field *f,
                        const value *v, const char *err, bool checkboxes)
{
	buf_puts(o, "<fieldset class=\"group");
	if (err)
		buf_puts(o, " has-error");
	buf_puts(o, "\"");
	describedby(o, f, err);
	buf_puts(o, ">\n<legend>");
	buf_html(o, f->label);
	put_required_text(o, p, f);
	buf_puts(o, "</legend>\n");
	field_notes(o, p, form, f, err);
	for (size_t i = 0; i < f->noptions; i++) {
		char suffix[32];
		/* the first control carries id f-<name>: the error summary links to it */
		if (i == 0)
			suffix[0] = '\0';
		else
			snprintf(suffix, sizeof suffix, "-%zu", i + 1);
		buf_puts(o, "<div class=\"choice\"><input type=\"");
		buf_puts(o, checkboxes ? "checkbox" : "radio");
		buf_putc(o, '"');
		control_attrs(o, f, suffix, err, false);
		attr(o, "value", f->options[i].value);
		if (choice_selected(f, v, f->options[i].value))
			buf_puts(o, " checked");
		if (!checkboxes && f->required)
			buf_puts(o, " required");
		buf_puts(o, "> ");
		label_open(o, f, suffix);
		buf_html(o, f->options[i].label);
		buf_puts(o, "</label></div>\n");
	}
	buf_puts(o, "</fieldset>\n");
}

/* One writable field: label, notes, control. */
static void field_input(buf *o, const page *p, const def_form *form, const def_field *f,
                        const value *v, const char *err)
{
	if (f->type == FT_CHOICE && f->widget_radio) {
		buf_puts(o, "<div class=\"field\">\n");
		field_group(o, p, form, f, v, err, false);
		buf_puts(o, "</div>\n");
		return;
	}
	if (f->type == FT_MULTICHOICE) {
		buf_puts(o, "<div class=\"field\">\n");
		field_group(o, p, form, f, v, err, true);
		buf_puts(o, "</div>\n");
		return;
	}
	buf_puts(o, err ? "<div class=\"field has-error\">\n" : "<div class=\"field\">\n");
	if (f->type == FT_FILE) {
		/* No control yet: a label would point at nothing, so a plain paragraph. */
		buf_puts(o, "<p class=\"label\">");
		buf_html(o, f->label);
		put_required_text(o, p, f);
		buf_puts(o, "</p>\n");
		field_notes(o, p, form, f, err);
		buf_puts(o, "<p class=\"note\">");
		buf_puts(o, T(p, UI_FILE_NOTE));
		buf_puts(o, "</p>\n</div>\n");
		return;
	}
	if (f->type == FT_BOOLEAN) {
		field_notes(o, p, form, f, err);
		buf_puts(o, "<div class=\"choice\"><input type=\"checkbox\"");
		control_attrs(o, f, NULL, err, true);
		buf_puts(o, " value=\"1\"");
		if (value_is_true(v))
			buf_puts(o, " checked");
		if (f->required)
			buf_puts(o, " required");
		buf_puts(o, "> ");
		label_open(o, f, NULL);
		buf_html(o, f->label);
		put_required_text(o, p, f);
		buf_puts(o, "</label></div>\n</div>\n");
		return;
	}

	label_open(o, f, NULL);
	buf_html(o, f->label);
	if (f->type == FT_MONEY) {
		buf_puts(o, "<span class=\"sr-only\">");
		buf_puts(o, T(p, UI_EUROS_SR));
		buf_puts(o, "</span>");
	}
	put_required_text(o, p, f);
	buf_puts(o, "</label>\n");
	field_notes(o, p, form, f, err);

	buf tmp = BUF_INIT;
	if (f->type == FT_CHOICE) {
		buf_puts(o, "<select");
		control_attrs(o, f, NULL, err, true);
		if (f->required)
			buf_puts(o, " required");
		buf_puts(o, ">\n<option value=\"\">");
		buf_puts(o, T(p, UI_CHOOSE));
		buf_puts(o, "</option>\n");
		for (size_t i = 0; i < f->noptions; i++) {
			buf_puts(o, "<option");
			attr(o, "value", f->options[i].value);
			if (choice_selected(f, v, f->options[i].value))
				buf_puts(o, " selected");
			buf_putc(o, '>');
			buf_html(o, f->options[i].label);
			buf_puts(o, "</option>\n");
		}
		buf_puts(o, "</select>\n</div>\n");
		return;
	}
	if (f->type == FT_TEXTAREA) {
		buf_puts(o, "<textarea");
		control_attrs(o, f, NULL, err, true);
		buf_puts(o, " rows=\"6\"");
		if (f->required)
			buf_puts(o, " required");
		if (f->placeholder)
			attr(o, "placeholder", f->placeholder);
		buf_putc(o, '>');
		/* a leading newline would be eaten by the parser */
		buf_putc(o, '\n');
		input_text(f, v, &tmp);
		buf_html_n(o, tmp.data ? tmp.data : "", tmp.len);
		buf_puts(o, "</textarea>\n</div>\n");
		buf_free(&tmp);
		return;
	}

	const char *type = "text", *inputmode = NULL;
	bool nospell = false;
	switch (f->type) {
	case FT_EMAIL: type = "email"; nospell = true; break;
	case FT_URL: type = "url"; nospell = true; break;
	case FT_PHONE: type = "tel"; break;
	case FT_POSTAL_CODE: inputmode = "numeric"; break;
	case FT_SIRET:
	case FT_SIREN: inputmode = "numeric"; nospell = true; break;
	case FT_IBAN: nospell = true; break;
	case FT_INTEGER: inputmode = "numeric"; break;
	case FT_DECIMAL:
	case FT_MONEY: inputmode = "decimal"; break;
	case FT_DATE: type = "date"; break;
	case FT_DATETIME: type = "datetime-local"; break;
	default: break;
	}
	if (f->type == FT_MONEY)
		buf_puts(o, "<div class=\"with-unit\">");
	buf_puts(o, "<input");
	attr(o, "type", type);
	control_attrs(o, f, NULL, err, true);
	input_text(f, v, &tmp);
	if (f->type == FT_DATETIME && tmp.len > 16 && tmp.data[10] == 'T')
		tmp.len = 16, tmp.data[16] = '\0';  /* datetime-local wants YYYY-MM-DDTHH:MM */
	attr(o, "value", buf_cstr(&tmp));
	buf_free(&tmp);
	if (inputmode)
		attr(o, "inputmode", inputmode);
	const char *ac = autocomplete_for(f);
	if (ac)
		attr(o, "autocomplete", ac);
	if (nospell)
		buf_puts(o, " spellcheck=\"false\" autocapitalize=\"none\"");
	if (f->type == FT_IBAN)
		buf_puts(o, " autocapitalize=\"characters\"");
	if (f->type == FT_POSTAL_CODE || f->type == FT_SIREN || f->type == FT_SIRET ||
	    f->type == FT_INTEGER || f->type == FT_DECIMAL || f->type == FT_MONEY)
		buf_puts(o, " class=\"short\"");
	if (f->required)
		buf_puts(o, " required");
	if (f->placeholder)
		attr(o, "placeholder", f->placeholder);
	buf_putc(o, '>');
	if (f->type == FT_MONEY)
		buf_puts(o, "<span class=\"unit\" aria-hidden=\"true\">€</span></div>");
	buf_puts(o, "\n</div>\n");
}

/* A readable, non-writable field inside a form: shown as text. */
static void field_readonly(buf *o, const page *p, const def_field *f, const value *v)
{
	buf_puts(o, "<div class=\"field readonly\">\n<p class=\"label\">");
	buf_html(o, f->label);
	buf_puts(o, "</p>\n<p class=\"value\">");
	put_display(o, p, f, v);
	buf_puts(o, "</p>\n</div>\n");
}

/* Whether the field is shown as a focusable control whose id is f-<name>. */
static bool has_control(const def_field *f, const bool *writable)
{
	if (f->col < 0 || f->type == FT_SECTION || f->type == FT_FILE)
		return false;
	if (f->type == FT_MULTICHOICE || (f->type == FT_CHOICE && f->widget_radio))
		if (f->noptions == 0)
			return false;
	return mask(writable, (size_t)f->col);
}

/*
 * The error summary: a heading with the count and a link per field in error.
 * `fields`/`nfields` are the fields rendered as controls on this page.
 */
static void error_summary(buf *o, const page *p, const field_errors *errors,
                          const def_field *const *fields, size_t nfields)
{
	if (!errors || errors->n == 0)
		return;
	buf_puts(o, "<div class=\"error-summary\" role=\"alert\" "
	            "aria-labelledby=\"error-summary-title\" tabindex=\"-1\">\n"
	            "<h2 id=\"error-summary-title\">");
	if (errors->n == 1) {
		buf_puts(o, T(p, UI_ERR_SUM_ONE));
	} else {
		buf_puts(o, T(p, UI_ERR_SUM_A));
		put_int(o, (int64_t)errors->n);
		buf_puts(o, T(p, UI_ERR_SUM_B));
	}
	buf_puts(o, "</h2>\n<ul>\n");
	/* errors not tied to a control (the form's "_") first, as text */
	for (size_t i = 0; i < errors->n; i++) {
		const field_error *e = &errors->v[i];
		bool tied = false;
		for (size_t j = 0; j < nfields && e->field; j++)
			tied |= strcmp(fields[j]->name, e->field) == 0;
		if (tied)
			continue;
		buf_puts(o, "<li>");
		buf_html(o, e->message);
		buf_puts(o, "</li>\n");
	}
	/* then a link per field in error, in the order of the page */
	for (size_t j = 0; j < nfields; j++) {
		const char *msg = field_errors_get(errors, fields[j]->name);
		if (!msg)
			continue;
		buf_puts(o, "<li><a href=\"#");
		field_id(o, fields[j], NULL);
		buf_puts(o, "\">");
		buf_html(o, fields[j]->label);
		buf_puts(o, " : ");
		buf_html(o, msg);
		buf_puts(o, "</a></li>\n");
	}
	buf_puts(o, "</ul>\n</div>\n");
}

/* Value shown in an input: the record's, or the field's default on a blank form. */
static const value *shown_value(const page *p, const def_field *f, const record *values,
                                value *scratch)
{
	if (values)
		return val_at(values, f->col);
	if (!f->default_value)
		return NULL;
	char msg[VALIDATE_MSG];
	if (validate_parse_json(f, f->default_value, scratch, page_lang(p), msg) != 0) {
		value_clear(scratch);
		return NULL;
	}
	return scratch;
}

/* Fields of `fields` (sections included) as controls or read-only text. */
static void form_fields(buf *o, const page *p, const def_form *form, const def_field *fields,
                        size_t nfields, const record *values, const field_errors *errors,
                        const bool *writable, const bool *readable)
{
	const def_field *pending = NULL;  /* section whose fieldset opens with its first field */
	bool open = false;
	for (size_t i = 0; i < nfields; i++) {
		const def_field *f = &fields[i];
		if (f->type == FT_SECTION) {
			if (open)
				buf_puts(o, "</fieldset>\n");
			open = false;
			pending = f;
			continue;
		}
		if (f->col < 0)
			continue;
		bool w = mask(writable, (size_t)f->col), r = mask(readable, (size_t)f->col);
		if (!w && !r)
			continue;
		if (pending) {
			buf_puts(o, "<fieldset class=\"section\">\n<legend>");
			buf_html(o, pending->label);
			buf_puts(o, "</legend>\n");
			if (pending->help && *pending->help) {
				buf_puts(o, "<p class=\"help\">");
				buf_html(o, pending->help);
				buf_puts(o, "</p>\n");
			}
			pending = NULL;
			open = true;
		}
		value scratch = {VAL_NULL, 0, 0, NULL};
		const value *v = shown_value(p, f, values, &scratch);
		if (w)
			field_input(o, p, form, f, v, errors ? field_errors_get(errors, f->name) : NULL);
		else
			field_readonly(o, p, f, v);
		value_clear(&scratch);
	}
	if (open)
		buf_puts(o, "</fieldset>\n");
}

/* Controls rendered by form_fields, for the error summary's links. Caller frees. */
static const def_field **controls(const def_field *fields, size_t nfields, const bool *writable,
                                  size_t *n)
{
	const def_field **v = xcalloc(nfields ? nfields : 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < nfields; i++)
		if (has_control(&fields[i], writable))
			v[(*n)++] = &fields[i];
	return v;
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
	"html{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
	"sans-serif;font-size:100%;line-height:1.5;color:var(--text);background:var(--bg)}\n"
	"body{margin:0}\n"
	"a{color:var(--primary);text-decoration:underline;text-underline-offset:.15em}\n"
	"a:hover{text-decoration-thickness:2px}\n"
	":focus-visible{outline:3px solid var(--focus);outline-offset:2px}\n"
	"a:focus,button:focus,input:focus,select:focus,textarea:focus,[tabindex]:focus"
	"{outline:3px solid var(--focus);outline-offset:2px}\n"
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
	".table-wrap{overflow-x:auto;margin:0 0 1rem}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"caption{text-align:left;font-weight:600;padding:.5rem 0}\n"
	"th,td{text-align:left;vertical-align:top;padding:.5rem;border-bottom:1px solid var(--line)}\n"
	"thead th{border-bottom:2px solid var(--text);white-space:nowrap}\n"
	"tbody tr:nth-child(even){background:var(--alt)}\n"
	"dl.values{display:grid;grid-template-columns:1fr;gap:.25rem 1rem;margin:0 0 1rem}\n",
	"dl.values dt{font-weight:600}\n"
	"dl.values dd{margin:0 0 .75rem;white-space:pre-line}\n"
	".filters{background:var(--alt);padding:1rem;margin:0 0 1rem;border-radius:4px}\n"
	".filters .field{margin-bottom:.75rem}\n"
	".history li{margin-bottom:1rem}\n"
	"pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--alt);padding:.75rem;"
	"border-radius:4px}\n"
	"code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}\n"
	".history blockquote{margin:.25rem 0 .25rem 1rem;padding-left:.75rem;border-left:3px solid "
	"var(--line)}\n"
	"@media (min-width:40em){dl.values{grid-template-columns:minmax(10rem,1fr) 2fr}"
	"dl.values dd{margin:0}.filters{display:grid;grid-template-columns:repeat(auto-fill,"
	"minmax(14rem,1fr));gap:0 1rem;align-items:end}h1{font-size:2rem}}\n"
	"@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}\n"
	"@media print{header.site,footer.site,.skip,.actions,.pagination,.filters{display:none}}\n",
};

static char *stylesheet;
static pthread_once_t stylesheet_once = PTHREAD_ONCE_INIT;

static void stylesheet_join(void)
{
	buf b = BUF_INIT;
	for (size_t i = 0; i < sizeof stylesheet_parts / sizeof *stylesheet_parts; i++)
		buf_puts(&b, stylesheet_parts[i]);
	stylesheet = buf_steal(&b);  /* lives as long as the process */
}

const char *render_stylesheet(void)
{
	pthread_once(&stylesheet_once, stylesheet_join);
	return stylesheet;
}

/* ---- portal ---- */

void render_portal(buf *out, const page *p, const portal_app *apps, size_t napps)
{
	page_open(out, p, false);
	buf_puts(out, T(p, UI_PORTAL_TITLE));
	page_body(out, p);
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
		url_app(out, app);
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
				url_form(out, app, pf->form);
				buf_puts(out, "new\">");
				buf_puts(out, T(p, UI_NEW));
				buf_puts(out, "<span class=\"sr-only\"> : ");
				buf_html(out, pf->form->title);
				buf_puts(out, "</span></a>");
			}
			if (pf->can_read) {
				buf_puts(out, " — <a href=\"");
				url_form(out, app, pf->form);
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
	page_close(out, p);
}

/* ---- login ---- */

void render_login(buf *out, const page *p, const char *login, const char *error,
                  const char *next)
{
	bool err = error && *error;
	page_open(out, p, err);
	buf_puts(out, T(p, UI_LOGIN_TITLE));
	page_body(out, p);
	buf_puts(out, "<h1>");
	buf_puts(out, T(p, UI_LOGIN_TITLE));
	buf_puts(out, "</h1>\n");
	if (err) {
		buf_puts(out, "<div class=\"error-summary\" role=\"alert\"><p class=\"error\" "
		              "id=\"login-error\"><span class=\"icon\" aria-hidden=\"true\">⚠</span> ");
		buf_puts(out, T(p, UI_ERROR_PREFIX));
		buf_html(out, error);
		buf_puts(out, "</p></div>\n");
	}
	const char *inv = err ? " aria-invalid=\"true\" aria-describedby=\"login-error\"" : "";
	buf_puts(out, "<form method=\"post\" action=\"/login\" novalidate>\n");
	csrf_input(out, p);
	if (next && *next)
		hidden(out, "next", next);
	buf_puts(out, "\n<div class=\"field\">\n<label for=\"login\">");
	buf_puts(out, T(p, UI_LOGIN_ID));
	buf_puts(out, "</label>\n<input type=\"text\" id=\"login\" name=\"login\" "
	              "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" "
	              "required");
	attr(out, "value", login);
	buf_puts(out, inv);
	buf_puts(out, ">\n</div>\n<div class=\"field\">\n<label for=\"password\">");
	buf_puts(out, T(p, UI_PASSWORD));
	buf_puts(out, "</label>\n<input type=\"password\" id=\"password\" name=\"password\" "
	              "autocomplete=\"current-password\" required");
	buf_puts(out, inv);
	buf_puts(out, ">\n</div>\n<div class=\"actions\"><button type=\"submit\">");
	buf_puts(out, T(p, UI_LOGIN));
	buf_puts(out, "</button></div>\n</form>\n");
	page_close(out, p);
}

/* ---- app home ---- */

void render_app_home(buf *out, const page *p, const def_app *app, const home_form *forms,
                     size_t nforms)
{
	page_open(out, p, false);
	buf_html(out, app->title);
	page_body(out, p);
	breadcrumb(out, p, NULL, NULL, 0);
	buf_puts(out, "<h1>");
	buf_html(out, app->title);
	buf_puts(out, "</h1>\n");
	if (app->description && *app->description) {
		buf_puts(out, "<p>");
		buf_html(out, app->description);
		buf_puts(out, "</p>\n");
	}
	size_t shown = 0;
	for (size_t i = 0; i < nforms; i++) {
		const home_form *hf = &forms[i];
		const def_form *f = hf->form;
		if (!hf->can_create && !hf->can_read)
			continue;
		shown++;
		buf_puts(out, "<section class=\"form\">\n<h2>");
		buf_html(out, f->title);
		buf_puts(out, "</h2>\n");
		if (f->description && *f->description) {
			buf_puts(out, "<p>");
			buf_html(out, f->description);
			buf_puts(out, "</p>\n");
		}
		buf_puts(out, "<ul class=\"actions-list\">\n");
		if (hf->can_create) {
			buf_puts(out, "<li><a class=\"button\" href=\"");
			url_form(out, app, f);
			buf_puts(out, "new\">");
			buf_puts(out, T(p, UI_NEW));
			buf_puts(out, "<span class=\"sr-only\"> : ");
			buf_html(out, f->title);
			buf_puts(out, "</span></a></li>\n");
		}
		if (hf->can_read) {
			buf_puts(out, "<li><a href=\"");
			url_form(out, app, f);
			buf_puts(out, "\">");
			buf_puts(out, T(p, UI_SEE_RECORDS));
			buf_puts(out, "<span class=\"sr-only\"> : ");
			buf_html(out, f->title);
			buf_puts(out, "</span></a></li>\n");
		}
		buf_puts(out, "</ul>\n");
		if (hf->can_read && hf->ncounts > 0) {
			buf_puts(out, "<div class=\"table-wrap\">\n<table>\n<caption>");
			buf_puts(out, T(p, UI_HOME_CAPTION));
			buf_html(out, f->title);
			buf_puts(out, "</caption>\n<thead><tr><th scope=\"col\">");
			buf_puts(out, T(p, UI_STATE));
			buf_puts(out, "</th><th scope=\"col\">");
			buf_puts(out, T(p, UI_COUNT));
			buf_puts(out, "</th><th scope=\"col\">");
			buf_puts(out, T(p, UI_OVERDUE));
			buf_puts(out, "</th></tr></thead>\n<tbody>\n");
			for (size_t j = 0; j < hf->ncounts; j++) {
				const store_state_count *c = &hf->counts[j];
				buf_puts(out, "<tr><th scope=\"row\">");
				if (c->state) {
					buf_puts(out, "<a href=\"");
					url_form(out, app, f);
					buf_puts(out, "?state=");
					buf tmp = BUF_INIT;
					buf_urlenc(&tmp, c->state);
					buf_html(out, buf_cstr(&tmp));
					buf_free(&tmp);
					buf_puts(out, "\">");
					buf_html(out, state_label(f, c->state));
					buf_puts(out, "</a>");
				} else {
					buf_puts(out, T(p, UI_TOTAL));
				}
				buf_puts(out, "</th><td>");
				put_count(out, p, c->total);
				buf_puts(out, "</td><td>");
				put_count(out, p, c->overdue);
				buf_puts(out, "</td></tr>\n");
			}
			buf_puts(out, "</tbody>\n</table>\n</div>\n");
		}
		buf_puts(out, "</section>\n");
	}
	if (shown == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_NO_FORMS));
		buf_puts(out, "</p>\n");
	}
	page_close(out, p);
}

/* ---- list ---- */

static void query_param(buf *u, char *sep, const char *name, const char *val)
{
	if (!val || !*val)
		return;
	buf_putc(u, *sep);
	*sep = '&';
	buf_urlenc(u, name);
	buf_putc(u, '=');
	buf_urlenc(u, val);
}

/* The list URL with the current query, `sort` and `after` replaced; escaped into o. */
static void list_href(buf *o, const list_view *v, const char *sort, const char *after)
{
	buf u = BUF_INIT;
	url_form(&u, v->app, v->form);  /* ids: already safe, escaped as a whole below */
	char sep = '?';
	query_param(&u, &sep, "q", v->q);
	query_param(&u, &sep, "state", v->state);
	for (size_t i = 0; i < v->neq; i++) {
		const def_field *f = col_field(v->form, v->eq[i].col);
		if (f)
			query_param(&u, &sep, f->name, v->eq[i].value);
	}
	if (v->overdue_only)
		query_param(&u, &sep, "overdue", "1");
	query_param(&u, &sep, "sort", sort);
	query_param(&u, &sep, "after", after);
	buf_puts(o, " href=\"");
	buf_html(o, buf_cstr(&u));
	buf_putc(o, '"');
	buf_free(&u);
}

static const char *eq_value(const list_view *v, int col)
{
	for (size_t i = 0; i < v->neq; i++)
		if (v->eq[i].col == col)
			return v->eq[i].value;
	return NULL;
}

static void option(buf *o, const char *val, const char *label_text, bool selected)
{
	buf_puts(o, "<option");
	attr(o, "value", val);
	if (selected)
		buf_puts(o, " selected");
	buf_putc(o, '>');
	buf_html(o, label_text);
	buf_puts(o, "</option>\n");
}

static bool streq0(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Readable list columns: indexes into form->cols. Caller frees. */
static int *list_cols(const list_view *v, size_t *n)
{
	const def_form *f = v->form;
	int *cols = xcalloc(f->ncols ? f->ncols : 1, sizeof *cols);
	*n = 0;
	if (f->list.columns.n) {
		for (size_t i = 0; i < f->list.columns.n && *n < f->ncols; i++) {
			int c = def_find_col(f, f->list.columns.v[i]);
			if (c >= 0 && mask(v->readable, (size_t)c))
				cols[(*n)++] = c;
		}
	} else {
		for (size_t c = 0; c < f->ncols && *n < 4; c++)
			if (mask(v->readable, c) && f->cols[c]->type != FT_FILE)
				cols[(*n)++] = (int)c;
	}
	return cols;
}

static void filter_form(buf *o, const page *p, const list_view *v, const int *cols, size_t ncols,
                        const char *sort)
{
	const def_form *f = v->form;
	buf_puts(o, "<form method=\"get\" class=\"filters\" role=\"search\" action=\"");
	url_form(o, v->app, f);
	buf_puts(o, "\" aria-label=\"");
	buf_puts(o, T(p, UI_FILTERS_LABEL));
	buf_puts(o, "\">\n<div class=\"field\"><label for=\"flt-q\">");
	buf_puts(o, T(p, UI_SEARCH));
	buf_puts(o, "</label><input type=\"search\" id=\"flt-q\" name=\"q\"");
	attr(o, "value", v->q);
	buf_puts(o, "></div>\n");

	if (f->workflow) {
		buf_puts(o, "<div class=\"field\"><label for=\"flt-state\">");
		buf_puts(o, T(p, UI_STATE));
		buf_puts(o, "</label><select id=\"flt-state\" name=\"state\">\n");
		option(o, "", T(p, UI_ALL), !v->state || !*v->state);
		for (size_t i = 0; i < f->workflow->nstates; i++)
			option(o, f->workflow->states[i].id, f->workflow->states[i].label,
			       streq0(v->state, f->workflow->states[i].id));
		buf_puts(o, "</select></div>\n");
	}

	for (size_t i = 0; i < f->list.filters.n; i++) {
		int c = def_find_col(f, f->list.filters.v[i]);
		if (c < 0 || !mask(v->readable, (size_t)c))
			continue;
		const def_field *ff = f->cols[c];
		const char *cur = eq_value(v, c);
		buf_puts(o, "<div class=\"field\"><label for=\"flt-");
		buf_html(o, ff->name);
		buf_puts(o, "\">");
		buf_html(o, ff->label);
		buf_puts(o, "</label>");
		if (ff->type == FT_CHOICE || ff->type == FT_MULTICHOICE || ff->type == FT_BOOLEAN) {
			buf_puts(o, "<select");
			buf_puts(o, " id=\"flt-");
			buf_html(o, ff->name);
			buf_putc(o, '"');
			attr(o, "name", ff->name);
			buf_puts(o, ">\n");
			option(o, "", T(p, UI_ALL), !cur || !*cur);
			if (ff->type == FT_BOOLEAN) {
				option(o, "true", T(p, UI_YES), streq0(cur, "true"));
				option(o, "false", T(p, UI_NO), streq0(cur, "false"));
			} else {
				for (size_t j = 0; j < ff->noptions; j++)
					option(o, ff->options[j].value, ff->options[j].label,
					       streq0(cur, ff->options[j].value));
			}
			buf_puts(o, "</select>");
		} else {
			buf_puts(o, "<input type=\"text\" id=\"flt-");
			buf_html(o, ff->name);
			buf_putc(o, '"');
			attr(o, "name", ff->name);
			attr(o, "value", cur);
			buf_putc(o, '>');
		}
		buf_puts(o, "</div>\n");
	}

	if (f->workflow) {
		buf_puts(o, "<div class=\"field choice\"><input type=\"checkbox\" id=\"flt-overdue\" "
		            "name=\"overdue\" value=\"1\"");
		if (v->overdue_only)
			buf_puts(o, " checked");
		buf_puts(o, "> <label for=\"flt-overdue\">");
		buf_puts(o, T(p, UI_OVERDUE_ONLY));
		buf_puts(o, "</label></div>\n");
	}

	buf_puts(o, "<div class=\"field\"><label for=\"flt-sort\">");
	buf_puts(o, T(p, UI_SORT));
	buf_puts(o, "</label><select id=\"flt-sort\" name=\"sort\">\n");
	bool known = false;
	static const char *const fixed[] = {"-created_at", "created_at", "-updated_at"};
	static const enum ui fixed_label[] = {UI_SORT_NEWEST, UI_SORT_OLDEST, UI_SORT_UPDATED};
	for (size_t i = 0; i < 3; i++) {
		bool sel = streq0(sort, fixed[i]);
		known |= sel;
		option(o, fixed[i], T(p, fixed_label[i]), sel);
	}
	for (size_t i = 0; i < ncols; i++) {
		const def_field *cf = f->cols[cols[i]];
		for (int desc = 0; desc < 2; desc++) {
			buf key = BUF_INIT, lab = BUF_INIT;
			if (desc)
				buf_putc(&key, '-');
			buf_puts(&key, cf->name);
			buf_puts(&lab, cf->label);
			buf_puts(&lab, T(p, desc ? UI_DESC : UI_ASC));
			bool sel = streq0(sort, buf_cstr(&key));
			known |= sel;
			option(o, buf_cstr(&key), buf_cstr(&lab), sel);
			buf_free(&key);
			buf_free(&lab);
		}
	}
	if (!known && sort && *sort)
		option(o, sort, sort, true);
	buf_puts(o, "</select></div>\n<div class=\"field\"><button type=\"submit\">");
	buf_puts(o, T(p, UI_FILTER));
	buf_puts(o, "</button> <a href=\"");
	url_form(o, v->app, f);
	buf_puts(o, "\">");
	buf_puts(o, T(p, UI_RESET));
	buf_puts(o, "</a></div>\n</form>\n");
}

/* A sortable column header: toggles ascending/descending, aria-sort on the active one. */
static void sort_th(buf *o, const page *p, const list_view *v, const char *sort,
                    const char *name, const char *label_text, bool label_is_ui)
{
	bool asc = streq0(sort, name);
	bool desc = sort && sort[0] == '-' && strcmp(sort + 1, name) == 0;
	buf_puts(o, "<th scope=\"col\"");
	if (asc)
		buf_puts(o, " aria-sort=\"ascending\"");
	else if (desc)
		buf_puts(o, " aria-sort=\"descending\"");
	buf_puts(o, "><a");
	buf next = BUF_INIT;
	if (asc)
		buf_putc(&next, '-');
	buf_puts(&next, name);
	list_href(o, v, buf_cstr(&next), NULL);
	buf_free(&next);
	buf_putc(o, '>');
	if (label_is_ui)
		buf_puts(o, label_text);
	else
		buf_html(o, label_text);
	if (asc)
		buf_puts(o, " <span aria-hidden=\"true\">▲</span>");
	else if (desc)
		buf_puts(o, " <span aria-hidden=\"true\">▼</span>");
	buf_puts(o, "<span class=\"sr-only\">");
	buf_puts(o, T(p, asc ? UI_SORT_SR_DESC : UI_SORT_SR_ASC));
	buf_puts(o, "</span></a></th>");
}

static void state_badges(buf *o, const page *p, const def_form *f, const record *r)
{
	if (f->workflow && r->state) {
		buf_puts(o, "<span class=\"badge state\">");
		buf_html(o, state_label(f, r->state));
		buf_puts(o, "</span>");
	}
	if (r->overdue) {
		buf_puts(o, " <span class=\"badge overdue\">");
		buf_puts(o, T(p, UI_OVERDUE));
		buf_puts(o, "</span>");
	}
}

void render_list(buf *out, const page *p, const list_view *v)
{
	const def_form *f = v->form;
	const char *sort = v->sort && *v->sort ? v->sort : f->list.sort;
	size_t ncols;
	int *cols = list_cols(v, &ncols);
	size_t nrec = v->records ? v->records->n : 0;

	page_open(out, p, false);
	buf_html(out, f->title);
	buf_puts(out, " — ");
	buf_html(out, v->app->title);
	page_body(out, p);
	breadcrumb(out, p, v->app, f, 0);
	buf_puts(out, "<h1>");
	buf_html(out, f->title);
	buf_puts(out, "</h1>\n");
	if (f->description && *f->description) {
		buf_puts(out, "<p>");
		buf_html(out, f->description);
		buf_puts(out, "</p>\n");
	}
	if (v->can_create) {
		buf_puts(out, "<p><a class=\"button\" href=\"");
		url_form(out, v->app, f);
		buf_puts(out, "new\">");
		buf_puts(out, T(p, UI_NEW));
		buf_puts(out, "<span class=\"sr-only\"> : ");
		buf_html(out, f->title);
		buf_puts(out, "</span></a></p>\n");
	}
	filter_form(out, p, v, cols, ncols, sort);

	buf_puts(out, "<p class=\"count\" role=\"status\">");
	if (v->total <= 0) {
		buf_puts(out, T(p, UI_COUNT_NONE));
	} else {
		put_count(out, p, v->total);
		buf_puts(out, T(p, v->total == 1 ? UI_COUNT_ONE : UI_COUNT_MANY));
	}
	buf_puts(out, "</p>\n");

	bool filtered = (v->q && *v->q) || (v->state && *v->state) || v->neq || v->overdue_only;
	if (nrec == 0) {
		buf_puts(out, "<p class=\"empty\">");
		buf_puts(out, T(p, filtered || v->after ? UI_EMPTY_FILTERED : UI_EMPTY_ALL));
		buf_puts(out, "</p>\n");
	} else {
		buf_puts(out, "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"list-caption\" "
		              "tabindex=\"0\">\n<table>\n<caption id=\"list-caption\">");
		buf_html(out, f->title);
		buf_puts(out, T(p, UI_CAPTION_LIST));
		buf_puts(out, "</caption>\n<thead><tr>");
		sort_th(out, p, v, sort, "id", T(p, UI_COL_ID), true);
		for (size_t i = 0; i < ncols; i++) {
			const def_field *cf = f->cols[cols[i]];
			sort_th(out, p, v, sort, cf->name, cf->label, false);
		}
		if (f->workflow)
			sort_th(out, p, v, sort, "state", T(p, UI_STATE), true);
		sort_th(out, p, v, sort, "created_at", T(p, UI_CREATED), true);
		buf_puts(out, "</tr></thead>\n<tbody>\n");
		for (size_t r = 0; r < nrec; r++) {
			const record *rec = &v->records->v[r];
			buf_puts(out, "<tr><td><a href=\"");
			url_record(out, v->app, f, rec->id);
			buf_puts(out, "\">");
			buf_puts(out, T(p, UI_NUMBER_SHORT));
			put_int(out, rec->id);
			buf_puts(out, "</a></td>");
			for (size_t i = 0; i < ncols; i++) {
				buf_puts(out, "<td>");
				put_display(out, p, f->cols[cols[i]], val_at(rec, cols[i]));
				buf_puts(out, "</td>");
			}
			if (f->workflow) {
				buf_puts(out, "<td>");
				state_badges(out, p, f, rec);
				buf_puts(out, "</td>");
			}
			buf_puts(out, "<td>");
			put_datetime(out, p, rec->created_at, false);
			if (!f->workflow && rec->overdue)
				state_badges(out, p, f, rec);
			buf_puts(out, "</td></tr>\n");
		}
		buf_puts(out, "</tbody>\n</table>\n</div>\n");
	}

	bool next = v->records && v->records->next && *v->records->next;
	if (next || v->after) {
		buf_puts(out, "<nav class=\"pagination\" aria-label=\"");
		buf_puts(out, T(p, UI_PAGINATION));
		buf_puts(out, "\">\n<ul>\n");
		if (v->after) {
			buf_puts(out, "<li><a");
			list_href(out, v, v->sort, NULL);
			buf_puts(out, ">");
			buf_puts(out, T(p, UI_FIRST_PAGE));
			buf_puts(out, "</a></li>\n");
		}
		if (next) {
			buf_puts(out, "<li><a rel=\"next\"");
			list_href(out, v, v->sort, v->records->next);
			buf_puts(out, ">");
			buf_puts(out, T(p, UI_NEXT_PAGE));
			buf_puts(out, "</a></li>\n");
		}
		buf_puts(out, "</ul>\n</nav>\n");
	}
	free(cols);
	page_close(out, p);
}

/* ---- form ---- */

/* The 409 notice and the comparison table of differing fields. */
static void conflict(buf *o, const page *p, const form_view *v)
{
	const def_form *f = v->form;
	buf_puts(o, "<div class=\"notice warning\" role=\"alert\">\n<h2>");
	buf_puts(o, T(p, UI_CONFLICT_TITLE));
	buf_puts(o, "</h2>\n<p>");
	buf_puts(o, T(p, UI_CONFLICT_TEXT));
	buf_puts(o, "</p>\n</div>\n<div class=\"table-wrap\">\n<table>\n<caption>");
	buf_puts(o, T(p, UI_CONFLICT_CAPTION));
	buf_puts(o, "</caption>\n<thead><tr><th scope=\"col\">");
	buf_puts(o, T(p, UI_FIELD));
	buf_puts(o, "</th><th scope=\"col\">");
	buf_puts(o, T(p, UI_YOUR_INPUT));
	buf_puts(o, "</th><th scope=\"col\">");
	buf_puts(o, T(p, UI_STORED));
	buf_puts(o, "</th></tr></thead>\n<tbody>\n");
	if (v->theirs && v->theirs->state && v->values && v->values->state &&
	    strcmp(v->theirs->state, v->values->state) != 0 && f->workflow) {
		buf_puts(o, "<tr><th scope=\"row\">");
		buf_puts(o, T(p, UI_STATE));
		buf_puts(o, "</th><td>");
		buf_html(o, state_label(f, v->values->state));
		buf_puts(o, "</td><td>");
		buf_html(o, state_label(f, v->theirs->state));
		buf_puts(o, "</td></tr>\n");
	}
	for (size_t c = 0; c < f->ncols; c++) {
		if (!mask(v->readable, c))
			continue;
		const value *mine = val_at(v->values, (int)c), *theirs = val_at(v->theirs, (int)c);
		value null = {VAL_NULL, 0, 0, NULL};
		if (value_equal(mine ? mine : &null, theirs ? theirs : &null))
			continue;
		buf_puts(o, "<tr><th scope=\"row\">");
		buf_html(o, f->cols[c]->label);
		buf_puts(o, "</th><td>");
		put_display(o, p, f->cols[c], mine);
		buf_puts(o, "</td><td>");
		put_display(o, p, f->cols[c], theirs);
		buf_puts(o, "</td></tr>\n");
	}
	buf_puts(o, "</tbody>\n</table>\n</div>\n");
}

void render_form(buf *out, const page *p, const form_view *v)
{
	const def_form *f = v->form;
	bool has_errors = v->errors && v->errors->n > 0;
	size_t nctl;
	const def_field **ctl = controls(f->fields, f->nfields, v->writable, &nctl);

	page_open(out, p, has_errors);
	buf_html(out, f->title);
	if (v->editing) {
		buf_puts(out, T(p, UI_NUMBER));
		put_int(out, v->id);
	}
	buf_puts(out, T(p, v->editing ? UI_EDIT_SUFFIX : UI_NEW_SUFFIX));
	page_body(out, p);
	breadcrumb(out, p, v->app, f, v->editing ? v->id : 0);
	buf_puts(out, "<h1>");
	buf_html(out, f->title);
	if (v->editing) {
		buf_puts(out, T(p, UI_NUMBER));
		put_int(out, v->id);
	}
	buf_puts(out, T(p, v->editing ? UI_EDIT_SUFFIX : UI_NEW_SUFFIX));
	buf_puts(out, "</h1>\n");
	error_summary(out, p, v->errors, ctl, nctl);
	if (v->theirs)
		conflict(out, p, v);
	if (!v->editing && f->description && *f->description) {
		buf_puts(out, "<p>");
		buf_html(out, f->description);
		buf_puts(out, "</p>\n");
	}

	buf_puts(out, "<form method=\"post\" novalidate");
	attr(out, "action", v->action);
	buf_puts(out, ">\n");
	csrf_input(out, p);
	if (v->editing) {
		char ver[32];
		/* After a conflict, saving means "replace the version I was shown". */
		snprintf(ver, sizeof ver, "%" PRId64, v->theirs ? v->theirs->version : v->version);
		hidden(out, "version", ver);
	}
	buf_putc(out, '\n');
	form_fields(out, p, f, f->fields, f->nfields, v->values, v->errors, v->writable,
	            v->readable);
	buf_puts(out, "<div class=\"actions\"><button type=\"submit\">");
	buf_puts(out, T(p, v->editing ? UI_SAVE : UI_SEND));
	buf_puts(out, "</button> <a href=\"");
	if (v->editing)
		url_record(out, v->app, f, v->id);
	else
		url_form(out, v->app, f);
	buf_puts(out, "\">");
	buf_puts(out, T(p, UI_CANCEL));
	buf_puts(out, "</a></div>\n</form>\n");
	free(ctl);
	page_close(out, p);
}

/* ---- transition form ---- */

void render_transition(buf *out, const page *p, const transition_view *v)
{
	const def_form *f = v->form;
	const def_transition *t = v->transition;
	bool has_errors = v->errors && v->errors->n > 0;
	const record *vals = v->values ? v->values : v->rec;

	/* Every transition field is writable here (it is filled when triggering). */
	bool *w = xcalloc(f->ncols ? f->ncols : 1, sizeof *w);
	for (size_t i = 0; i < t->nfields; i++)
		if (t->fields[i].col >= 0 && (size_t)t->fields[i].col < f->ncols &&
		    (!v->writable || v->writable[i]))
			w[t->fields[i].col] = true;
	size_t nctl;
	const def_field **ctl = controls(t->fields, t->nfields, w, &nctl);
	/* The comment textarea as a pseudo-field, so it shares the field machinery. */
	def_field comment = {0};
	comment.name = "_comment";
	comment.label = T(p, UI_COMMENT);
	comment.type = FT_TEXTAREA;
	comment.col = -1;
	comment.help = T(p, UI_TRANSITION_COMMENT_HELP);
	comment.required = t->comment == COMMENT_REQUIRED;
	comment.min_length = -1;
	comment.max_length = 10000;
	comment.scale = -1;
	comment.max_size = -1;
	const def_field **all = xcalloc(nctl + 1, sizeof *all);
	memcpy(all, ctl, nctl * sizeof *all);
	size_t nall = nctl;
	if (t->comment != COMMENT_NONE)
		all[nall++] = &comment;

	page_open(out, p, has_errors);
	buf_html(out, t->label);
	buf_puts(out, " — ");
	buf_html(out, f->title);
	buf_puts(out, T(p, UI_NUMBER));
	put_int(out, v->rec->id);
	page_body(out, p);
	breadcrumb(out, p, v->app, f, v->rec->id);
	buf_puts(out, "<h1>");
	buf_html(out, t->label);
	buf_puts(out, " — ");
	buf_html(out, f->title);
	buf_puts(out, T(p, UI_NUMBER));
	put_int(out, v->rec->id);
	buf_puts(out, "</h1>\n");
	error_summary(out, p, v->errors, all, nall);
	buf_puts(out, "<form method=\"post\" novalidate");
	attr(out, "action", v->action);
	buf_puts(out, ">\n");
	csrf_input(out, p);
	char ver[32];
	snprintf(ver, sizeof ver, "%" PRId64, v->rec->version);
	hidden(out, "version", ver);
	buf_putc(out, '\n');
	form_fields(out, p, f, t->fields, t->nfields, vals, v->errors, w, w);
	if (t->comment != COMMENT_NONE) {
		value cv = {VAL_NULL, 0, 0, NULL};
		if (v->comment && *v->comment)
			value_set_text(&cv, v->comment);
		field_input(out, p, f, &comment, &cv,
		            v->errors ? field_errors_get(v->errors, "_comment") : NULL);
		value_clear(&cv);
	}
	buf_puts(out, "<div class=\"actions\"><button type=\"submit\">");
	buf_html(out, t->label);
	buf_puts(out, "</button> <a href=\"");
	url_record(out, v->app, f, v->rec->id);
	buf_puts(out, "\">");
	buf_puts(out, T(p, UI_CANCEL));
	buf_puts(out, "</a></div>\n</form>\n");
	free(all);
	free(ctl);
	free(w);
	page_close(out, p);
}

/* ---- record ---- */

static void dl_item(buf *o, const page *p, const def_field *f, const value *v)
{
	buf_puts(o, "<dt>");
	buf_html(o, f->label);
	buf_puts(o, "</dt>\n<dd>");
	put_display(o, p, f, v);
	buf_puts(o, "</dd>\n");
}

/* A history change value (API form) displayed like a record value. */
static void put_change_value(buf *o, const page *p, const def_field *f, const json_t *j)
{
	if (!j || json_is_null(j)) {
		put_empty(o, p);
		return;
	}
	value v = {VAL_NULL, 0, 0, NULL};
	char msg[VALIDATE_MSG];
	if (f && validate_parse_json(f, j, &v, page_lang(p), msg) == 0) {
		put_display(o, p, f, &v);
	} else {
		char *s = json_is_string(j) ? NULL : json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
		buf_html(o, s ? s : json_string_value(j));
		free(s);
	}
	value_clear(&v);
}

static void history_line(buf *o, const page *p, const record_view *v,
                         const store_history_line *h)
{
	const def_form *f = v->form;
	/* An edit of fields this reader may not see: not even the fact that it happened. */
	if (streq0(h->action, "update") && (!h->changes || json_object_size(h->changes) == 0))
		return;
	buf_puts(o, "<li>\n<p>");
	put_datetime(o, p, h->at, true);
	buf_puts(o, " — <strong>");
	if (streq0(h->actor, "system"))
		buf_puts(o, T(p, UI_SYSTEM));
	else
		buf_html(o, h->actor);
	buf_puts(o, "</strong> : ");
	const char *act = h->action ? h->action : "";
	if (strcmp(act, "create") == 0) {
		buf_puts(o, T(p, UI_ACT_CREATE));
	} else if (strcmp(act, "update") == 0) {
		buf_puts(o, T(p, UI_ACT_UPDATE));
	} else if (strcmp(act, "delete") == 0) {
		buf_puts(o, T(p, UI_ACT_DELETE));
	} else if (strcmp(act, "move") == 0) {
		buf_puts(o, T(p, UI_ACT_MOVE));
	} else if (strcmp(act, "transition") == 0) {
		const def_transition *t = h->transition ? def_find_transition(f, h->transition) : NULL;
		if (t)
			buf_html(o, t->label);
		else if (h->transition)
			buf_html(o, h->transition);
		else
			buf_puts(o, T(p, UI_ACT_TRANSITION));
	} else {
		buf_html(o, act);
	}
	buf_puts(o, "</p>\n");
	if (h->from_state || h->to_state) {
		if (f->workflow && (!h->from_state || !h->to_state ||
		                    strcmp(h->from_state, h->to_state) != 0)) {
			buf_puts(o, "<p>");
			buf_puts(o, T(p, UI_STATE));
			buf_puts(o, " : ");
			if (h->from_state) {
				buf_html(o, state_label(f, h->from_state));
				put_arrow(o, p);
			}
			if (h->to_state)
				buf_html(o, state_label(f, h->to_state));
			buf_puts(o, "</p>\n");
		}
	}
	if (h->comment && *h->comment) {
		buf_puts(o, "<blockquote class=\"comment\"><p><span class=\"sr-only\">");
		buf_puts(o, T(p, UI_COMMENT));
		buf_puts(o, " : </span>");
		buf_html(o, h->comment);
		buf_puts(o, "</p></blockquote>\n");
	}
	if (h->changes && json_is_object(h->changes) && json_object_size(h->changes) > 0) {
		bool opened = false;
		const char *key;
		json_t *pair;
		json_object_foreach(h->changes, key, pair) {
			int c = def_find_col(f, key);
			if (c >= 0 && !mask(v->readable, (size_t)c))
				continue;  /* never show what the reader may not read */
			const def_field *cf = c >= 0 ? f->cols[c] : NULL;
			if (!opened) {
				buf_puts(o, "<ul class=\"changes\" aria-label=\"");
				buf_puts(o, T(p, UI_CHANGES));
				buf_puts(o, "\">\n");
				opened = true;
			}
			buf_puts(o, "<li>");
			buf_html(o, cf ? cf->label : key);
			buf_puts(o, " : ");
			const json_t *old = json_is_array(pair) ? json_array_get(pair, 0) : NULL;
			const json_t *nw = json_is_array(pair) ? json_array_get(pair, 1) : pair;
			put_change_value(o, p, cf, old);
			put_arrow(o, p);
			put_change_value(o, p, cf, nw);
			buf_puts(o, "</li>\n");
		}
		if (opened)
			buf_puts(o, "</ul>\n");
	}
	buf_puts(o, "</li>\n");
}

void render_record(buf *out, const page *p, const record_view *v)
{
	const def_form *f = v->form;
	const record *r = v->rec;

	page_open(out, p, false);
	buf_html(out, f->title);
	buf_puts(out, T(p, UI_NUMBER));
	put_int(out, r->id);
	page_body(out, p);
	breadcrumb(out, p, v->app, f, r->id);
	buf_puts(out, "<h1>");
	buf_html(out, f->title);
	buf_puts(out, T(p, UI_NUMBER));
	put_int(out, r->id);
	buf_puts(out, "</h1>\n");
	if ((f->workflow && r->state) || r->overdue) {
		buf_puts(out, "<p class=\"status\">");
		if (f->workflow && r->state) {
			buf_puts(out, T(p, UI_STATE));
			buf_puts(out, " : ");
		}
		state_badges(out, p, f, r);
		buf_puts(out, "</p>\n");
		int si = f->workflow ? def_find_state(f->workflow, r->state) : -1;
		if (si >= 0 && f->workflow->states[si].description &&
		    *f->workflow->states[si].description) {
			buf_puts(out, "<p class=\"help\">");
			buf_html(out, f->workflow->states[si].description);
			buf_puts(out, "</p>\n");
		}
	}

	/* Actions: edit, transitions, delete. */
	if (v->can_edit || v->can_delete || v->ntransitions) {
		buf_puts(out, "<div class=\"actions\">\n");
		if (v->can_edit) {
			buf_puts(out, "<a class=\"button secondary\" href=\"");
			url_record(out, v->app, f, r->id);
			buf_puts(out, "/edit\">");
			buf_puts(out, T(p, UI_EDIT));
			buf_puts(out, "</a>\n");
		}
		for (size_t i = 0; i < v->ntransitions; i++) {
			const def_transition *t = v->transitions[i];
			if (t->nfields || t->comment != COMMENT_NONE) {
				buf_puts(out, "<a class=\"button\" href=\"");
				url_record(out, v->app, f, r->id);
				buf_puts(out, "/do/");
				buf_html(out, t->id);
				buf_puts(out, "\">");
				buf_html(out, t->label);
				buf_puts(out, "</a>\n");
			} else {
				buf_puts(out, "<form method=\"post\" class=\"inline\" action=\"");
				url_record(out, v->app, f, r->id);
				buf_puts(out, "/do/");
				buf_html(out, t->id);
				buf_puts(out, "\">");
				csrf_input(out, p);
				char ver[32];
				snprintf(ver, sizeof ver, "%" PRId64, r->version);
				hidden(out, "version", ver);
				buf_puts(out, "<button type=\"submit\">");
				buf_html(out, t->label);
				buf_puts(out, "</button></form>\n");
			}
		}
		if (v->can_delete) {
			buf_puts(out, "<form method=\"post\" class=\"inline\" action=\"");
			url_record(out, v->app, f, r->id);
			buf_puts(out, "/delete\">");
			csrf_input(out, p);
			char ver[32];
			snprintf(ver, sizeof ver, "%" PRId64, r->version);
			hidden(out, "version", ver);
			buf_puts(out, "<button type=\"submit\" class=\"danger\">");
			buf_puts(out, T(p, UI_DELETE));
			buf_puts(out, "</button></form>\n");
		}
		buf_puts(out, "</div>\n");
	}

	/* Values, grouped by section; then transition fields. */
	buf_puts(out, "<h2>");
	buf_puts(out, T(p, UI_DETAILS));
	buf_puts(out, "</h2>\n");
	bool *seen = xcalloc(f->ncols ? f->ncols : 1, sizeof *seen);
	const def_field *pending = NULL;
	bool open = false;
	for (size_t i = 0; i < f->nfields; i++) {
		const def_field *fd = &f->fields[i];
		if (fd->type == FT_SECTION) {
			if (open)
				buf_puts(out, "</dl>\n");
			open = false;
			pending = fd;
			continue;
		}
		if (fd->col < 0 || (size_t)fd->col >= f->ncols)
			continue;
		seen[fd->col] = true;
		if (!mask(v->readable, (size_t)fd->col))
			continue;
		if (pending) {
			buf_puts(out, "<h3>");
			buf_html(out, pending->label);
			buf_puts(out, "</h3>\n");
			pending = NULL;
		}
		if (!open) {
			buf_puts(out, "<dl class=\"values\">\n");
			open = true;
		}
		dl_item(out, p, fd, val_at(r, fd->col));
	}
	for (size_t c = 0; c < f->ncols; c++) {
		if (seen[c] || !mask(v->readable, c))
			continue;
		if (pending) {
			/* transition fields do not belong to the last section */
			if (open)
				buf_puts(out, "</dl>\n");
			open = false;
			pending = NULL;
		}
		if (!open) {
			buf_puts(out, "<dl class=\"values\">\n");
			open = true;
		}
		dl_item(out, p, f->cols[c], val_at(r, (int)c));
	}
	if (open)
		buf_puts(out, "</dl>\n");
	free(seen);

	buf_puts(out, "<h2>");
	buf_puts(out, T(p, UI_META));
	buf_puts(out, "</h2>\n<dl class=\"values meta\">\n<dt>");
	buf_puts(out, T(p, UI_CREATED));
	buf_puts(out, "</dt>\n<dd>");
	put_datetime(out, p, r->created_at, true);
	if (r->created_by) {
		buf_puts(out, T(p, UI_BY));
		buf_html(out, r->created_by);
	}
	buf_puts(out, "</dd>\n<dt>");
	buf_puts(out, T(p, UI_UPDATED));
	buf_puts(out, "</dt>\n<dd>");
	put_datetime(out, p, r->updated_at, true);
	if (r->updated_by) {
		buf_puts(out, T(p, UI_BY));
		buf_html(out, r->updated_by);
	}
	buf_puts(out, "</dd>\n<dt>");
	buf_puts(out, T(p, UI_VERSION));
	buf_puts(out, "</dt>\n<dd>");
	put_int(out, r->version);
	buf_puts(out, "</dd>\n</dl>\n");

	buf_puts(out, "<h2>");
	buf_puts(out, T(p, UI_HISTORY));
	buf_puts(out, "</h2>\n");
	if (v->nhistory == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, T(p, UI_NO_HISTORY));
		buf_puts(out, "</p>\n");
	} else {
		/* newest first, whatever order the store gave */
		bool ascending = v->history[0].id <= v->history[v->nhistory - 1].id;
		buf_puts(out, "<ol class=\"history\">\n");
		for (size_t i = 0; i < v->nhistory; i++)
			history_line(out, p, v,
			             &v->history[ascending ? v->nhistory - 1 - i : i]);
		buf_puts(out, "</ol>\n");
	}
	page_close(out, p);
}

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
	buf_puts(out, "<div class=\"table-wrap\">\n<table>\n<caption>");
	buf_puts(out, T(p, UI_ADMIN_CAPTION));
	buf_puts(out, "</caption>\n<thead><tr>");
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
		url_app(out, a);
		buf_puts(out, "\">");
		buf_html(out, a->title);
		buf_puts(out, "</a></th><td><code>");
		buf_html(out, a->id);
		buf_puts(out, "</code></td><td>");
		if (a->owner && *a->owner)
			buf_html(out, a->owner);
		else
			put_empty(out, p);
		buf_puts(out, "</td><td>");
		if (a->version && *a->version)
			buf_html(out, a->version);
		else
			put_empty(out, p);
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
			put_empty(out, p);
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
	buf_puts(out, "<div class=\"table-wrap\">\n<table>\n<caption>");
	buf_puts(out, T(p, UI_LUA_CAPTION));
	buf_puts(out, "</caption>\n<thead><tr>");
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
			put_datetime(out, p, iso, true);
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

void render_admin(buf *out, const page *p, const admin_view *v)
{
	page_open(out, p, false);
	buf_puts(out, T(p, UI_ADMIN));
	page_body(out, p);
	buf_puts(out, "<h1>");
	buf_puts(out, T(p, UI_ADMIN));
	buf_puts(out, "</h1>\n<ul>\n<li><a href=\"/admin/outbox\">");
	buf_puts(out, T(p, UI_OUTBOX));
	buf_puts(out, "</a></li>\n</ul>\n");
	admin_apps(out, p, v->apps, v->napps);
	admin_problems(out, p, v->problems, v->nproblems);
	admin_lua(out, p, v->lua, v->nlua);
	page_close(out, p);
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
	buf_puts(out, "<div class=\"table-wrap\">\n<table>\n<caption>");
	buf_puts(out, T(p, UI_OUTBOX_CAPTION));
	buf_puts(out, " ");
	put_quoted(out, p, a->title);
	buf_puts(out, "</caption>\n<thead><tr>");
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
		put_int(out, r->id);
		buf_puts(out, "</th><td><span class=\"badge");
		buf_puts(out, sent ? " sent\">" : failed ? " failed\">" : "\">");
		if (sent || failed || pending)
			buf_puts(out, T(p, sent ? UI_OB_SENT : failed ? UI_OB_FAILED : UI_OB_PENDING));
		else
			buf_html(out, r->status);
		buf_puts(out, "</span>");
		if (sent && r->sent_at) {
			buf_puts(out, " ");
			put_datetime(out, p, r->sent_at, true);
		}
		buf_puts(out, "</td><td>");
		put_datetime(out, p, r->created_at, true);
		buf_puts(out, "</td><td>");
		buf_html(out, r->to);
		buf_puts(out, "</td><td>");
		buf_html(out, r->subject);
		buf_puts(out, "</td><td>");
		put_int(out, r->attempts);
		buf_puts(out, "</td><td>");
		if (pending)
			put_datetime(out, p, r->next_attempt_at, true);
		else
			put_empty(out, p);
		buf_puts(out, "</td><td>");
		const char *answer = sent && r->smtp_reply ? r->smtp_reply : r->last_error;
		if (answer && *answer) {
			buf_puts(out, "<code>");
			buf_html(out, answer);
			buf_puts(out, "</code>");
			/* Sent to the others: who did not get it is what the admin must see. */
			if (sent && answer != r->last_error && r->last_error &&
			    strncmp(r->last_error, OUTBOX_REFUSED_PREFIX, strlen(OUTBOX_REFUSED_PREFIX)) == 0) {
				buf_puts(out, "<br><code>");
				buf_html(out, r->last_error);
				buf_puts(out, "</code>");
			}
		} else {
			put_empty(out, p);
		}
		buf_puts(out, "</td><td><a href=\"");
		url_app(out, a);
		buf_html(out, r->form);
		buf_putc(out, '/');
		put_int(out, r->record_id);
		buf_puts(out, "\">");
		buf_html(out, r->form);
		buf_puts(out, " ");
		buf_puts(out, T(p, UI_OB_NUM));
		buf_puts(out, "\xc2\xa0");
		put_int(out, r->record_id);
		buf_puts(out, "</a></td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

void render_admin_outbox(buf *out, const page *p, const outbox_view *apps, size_t napps)
{
	page_open(out, p, false);
	buf_puts(out, T(p, UI_OUTBOX));
	page_body(out, p);
	buf_puts(out, "<nav class=\"breadcrumb\" aria-label=\"");
	buf_puts(out, T(p, UI_BREADCRUMB));
	buf_puts(out, "\">\n<ol>\n<li><a href=\"/\">");
	buf_puts(out, T(p, UI_HOME));
	buf_puts(out, "</a></li>\n<li><a href=\"/admin\">");
	buf_puts(out, T(p, UI_ADMIN));
	buf_puts(out, "</a></li>\n</ol>\n</nav>\n<h1>");
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
	page_close(out, p);
}

/* ---- error page ---- */

void render_tracking(buf *out, const page *p, const tracking_view *v)
{
	const def_form *f = v->form;
	bool en = page_lang(p) == LANG_EN;
	char num[32];
	snprintf(num, sizeof num, "%" PRId64, v->rec->id);
	page_open(out, p, false);
	buf_puts(out, en ? "Follow-up of your request" : "Suivi de votre demande");
	page_body(out, p);
	if (v->receipt) {
		buf_puts(out, "<div class=\"notice success\" role=\"status\"><p>");
		buf_puts(out, en ? "Your request no. " : "Votre demande n° ");
		buf_puts(out, num);
		buf_puts(out, en ? " has been sent." : " a bien été envoyée.");
		buf_puts(out, "</p><p>");
		buf_puts(out, en ? "Keep this address to follow it: it is the only way to find it again."
		                 : "Conservez cette adresse pour la suivre : c'est le seul moyen de la retrouver.");
		buf_puts(out, "<br><a href=\"");
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
	buf_html(out, state_label(f, v->rec->state));
	buf_puts(out, "</strong></dd>\n</dl>\n");
	if (v->nsteps) {
		buf_puts(out, "<h2>");
		buf_puts(out, en ? "History" : "Historique");
		buf_puts(out, "</h2>\n<ol class=\"history\">\n");
		for (size_t i = 0; i < v->nsteps; i++) {
			buf_puts(out, "<li>");
			put_datetime(out, p, v->steps[i].at, true);
			buf_puts(out, " — ");
			buf_html(out, state_label(f, v->steps[i].state));
			buf_puts(out, "</li>\n");
		}
		buf_puts(out, "</ol>\n");
	}
	page_close(out, p);
}

void render_error(buf *out, const page *p, int status, const char *message,
                  const char *request_id, const char *back)
{
	enum ui title, msg;
	switch (status) {
	case 400: title = UI_ERR_400; msg = UI_MSG_400; break;
	case 401: title = UI_ERR_401; msg = UI_MSG_401; break;
	case 403: title = UI_ERR_403; msg = UI_MSG_403; break;
	case 405: title = UI_ERR_405; msg = UI_MSG_405; break;
	case 404: title = UI_ERR_404; msg = UI_MSG_404; break;
	case 409: title = UI_ERR_409; msg = UI_MSG_409; break;
	case 413: title = UI_ERR_413; msg = UI_MSG_413; break;
	case 422: title = UI_ERR_422; msg = UI_MSG_422; break;
	case 429: title = UI_ERR_429; msg = UI_MSG_429; break;
	case 500: title = UI_ERR_500; msg = UI_MSG_500; break;
	default: title = UI_ERR_OTHER; msg = UI_MSG_OTHER; break;
	}
	page_open(out, p, false);
	buf_puts(out, T(p, title));
	page_body(out, p);
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
	page_close(out, p);
}
