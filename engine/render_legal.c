/*
 * render_legal — the pages a French public site must carry (issue 15.2), linked from
 * every page's footer: the accessibility statement (the RGAA 4.1 model: état de
 * conformité, résultats des tests, contenus non accessibles, établissement de la
 * déclaration, retour d'information et contact, voies de recours), the legal notice
 * (publisher, publication director, host) and the personal-data index (each app's
 * notice, and the cookies). Their variable parts come from data/site.lua (legal_view).
 */
#include "render_int.h"
#include "site.h"

#include <string.h>

static void open_page(buf *out, const page *p, const char *title)
{
	render_page_open(out, p, false);
	buf_html(out, title);
	render_page_body(out, p);
	buf_puts(out, "<h1>");
	buf_html(out, title);
	buf_puts(out, "</h1>\n");
}

static void para(buf *out, const char *text)
{
	buf_puts(out, "<p>");
	buf_html(out, text);
	buf_puts(out, "</p>\n");
}

static const char *or_unset(const char *v)
{
	return v && *v ? v : "non renseigné (data/site.lua)";
}

void render_accessibility(buf *out, const page *p, const legal_view *v)
{
	const char *who = v->site_name ? v->site_name : "L'administration qui exploite ce service";
	const char *state = v->access_state ? v->access_state : "non conforme";
	open_page(out, p, "Déclaration d'accessibilité");
	buf_puts(out, "<p>");
	buf_html(out, who);
	buf_puts(out, " s'engage à rendre ses services numériques accessibles, conformément à "
		      "l'article 47 de la loi n° 2005-102 du 11 février 2005. Cette déclaration "
		      "d'accessibilité s'applique aux formulaires et démarches de ce site.</p>\n"
		      "<h2>État de conformité</h2>\n<p>Ce site est <strong>");
	buf_html(out, state);
	buf_puts(out, "</strong> avec le référentiel général d'amélioration de l'accessibilité "
		      "(RGAA), version 4.1.</p>\n<h2>Résultats des tests</h2>\n");
	if (v->rate) {
		buf_puts(out, "<p>L'audit de conformité réalisé");
		if (v->audit_date) {
			buf_puts(out, " le ");
			render_put_datetime(out, p, v->audit_date, false);
		}
		buf_puts(out, " révèle que ");
		buf_html(out, v->rate);
		buf_puts(out, " % des critères du RGAA 4.1 sont respectés.</p>\n");
	} else {
		para(out, "Aucun audit de conformité n'a encore été réalisé.");
	}
	if (v->checks) { /* automated checks do not replace an audit: said as such */
		buf_puts(out, "<p>Tests automatiques du ");
		render_put_datetime(out, p, v->checks->date, false);
		buf_puts(out, " (");
		buf_html(out, v->checks->tool);
		buf_printf(
		    out,
		    ", navigateur Chromium, critères WCAG 2.1 A et AA) : %d types de page "
		    "vérifiés, %d anomalie%s détectée%s. Ces tests ne couvrent qu'une partie "
		    "des critères du RGAA.</p>\n",
		    v->checks->pages, v->checks->violations, v->checks->violations > 1 ? "s" : "",
		    v->checks->violations > 1 ? "s" : "");
	}
	buf_puts(out, "<h2>Contenus non accessibles</h2>\n");
	if (v->n_not) {
		buf_puts(out, "<ul>\n");
		for (size_t i = 0; i < v->n_not; i++) {
			buf_puts(out, "<li>");
			buf_html(out, v->not_accessible[i]);
			buf_puts(out, "</li>\n");
		}
		buf_puts(out, "</ul>\n");
	} else {
		para(out, "Aucun contenu non accessible n'est signalé à ce jour.");
	}
	buf_puts(out, "<h2>Établissement de cette déclaration</h2>\n<p>Déclaration établie");
	if (v->audit_date) {
		buf_puts(out, " le ");
		render_put_datetime(out, p, v->audit_date, false);
	}
	buf_puts(out,
		 ". Technologies utilisées : HTML, CSS ; aucun JavaScript n'est nécessaire "
		 "pour remplir un formulaire.</p>\n<h2>Retour d'information et contact</h2>\n"
		 "<p>Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez ");
	if (v->access_contact) {
		buf_puts(out, "<a href=\"mailto:");
		buf_html(out, v->access_contact);
		buf_puts(out, "\">");
		buf_html(out, v->access_contact);
		buf_puts(out, "</a>");
	} else {
		buf_html(out, who);
	}
	buf_puts(out,
		 " pour être orienté vers une alternative accessible ou obtenir le contenu "
		 "sous une autre forme.</p>\n<h2>Voies de recours</h2>\n<p>Si vous constatez un "
		 "défaut d'accessibilité vous empêchant d'accéder à un contenu ou à un service, "
		 "que vous nous l'avez signalé et que vous n'avez pas obtenu de réponse "
		 "satisfaisante, vous pouvez : écrire un message au Défenseur des droits "
		 "(<a href=\"https://formulaire.defenseurdesdroits.fr/\">formulaire en "
		 "ligne</a>) ; contacter le délégué du Défenseur des droits dans votre région "
		 "(<a href=\"https://www.defenseurdesdroits.fr/saisir/delegues\">liste des "
		 "délégués</a>) ; envoyer un courrier par la poste, gratuit, sans affranchissement "
		 ": Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07.</p>\n");
	render_page_close(out, p);
}

void render_legal_notice(buf *out, const page *p, const legal_view *v)
{
	open_page(out, p, "Mentions légales");
	buf_puts(out, "<dl class=\"values\">\n<dt>Éditeur</dt>\n<dd>");
	buf_html(out, or_unset(v->publisher));
	buf_puts(out, "</dd>\n<dt>Directeur de la publication</dt>\n<dd>");
	buf_html(out, or_unset(v->director));
	buf_puts(out, "</dd>\n<dt>Hébergement</dt>\n<dd>");
	buf_html(out, or_unset(v->host));
	buf_puts(out, "</dd>\n</dl>\n");
	para(out, "Ce service repose sur smallapps, logiciel libre exploité par la direction "
		  "des systèmes d'information de la collectivité.");
	render_page_close(out, p);
}

void render_privacy_index(buf *out, const page *p, const legal_view *v)
{
	open_page(out, p, "Données personnelles");
	para(out,
	     "Chaque démarche de ce site dit quelles données elle collecte, pourquoi, "
	     "combien de temps elle les garde, qui les reçoit et comment exercer vos droits :");
	buf_puts(out, "<ul>\n");
	for (size_t i = 0; i < v->napps; i++) {
		buf_puts(out, "<li><a href=\"");
		render_url_app(out, v->apps[i]);
		buf_puts(out, "donnees-personnelles\">");
		buf_html(out, v->apps[i]->title);
		buf_puts(out, "</a></li>\n");
	}
	buf_puts(out, "</ul>\n<h2>Cookies</h2>\n");
	para(out, "Seuls des cookies strictement nécessaires au service sont déposés : la "
		  "session (rester connecté) et la protection des formulaires contre les requêtes "
		  "forgées. Aucun consentement n'est demandé, car aucun n'est requis : ni mesure "
		  "d'audience, ni publicité.");
	render_page_close(out, p);
}
