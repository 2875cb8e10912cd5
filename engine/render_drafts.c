/*
 * render_drafts — the HTML of drafts (SPEC 4.2 `drafts`, 6): the parts a form with
 * drafts adds (the "Enregistrer le brouillon" button, the hidden key of the draft
 * resumed, its "saved on …, kept until …" notice in a role=status region, the
 * "Supprimer le brouillon" form), the "Mes brouillons" page of an app, and the page
 * that gives an anonymous person their resume link, once.
 *
 * Like every render file: text is escaped by the writers (render_int.h), French first,
 * English when the page is; nothing here reads a database or decides a right.
 */
#include <string.h>

#include "render_int.h"

static bool en(const page *p)
{
	return render_page_lang(p) == LANG_EN;
}

void render_draft_hidden(buf *o, const form_view *v)
{
	if (v->draft && *v->draft)
		render_hidden(o, "_draft", v->draft);
}

void render_draft_status(buf *o, const page *p, const form_view *v)
{
	if (!v->draft_saved || !v->draft_expires)
		return;
	buf_puts(o, "<div class=\"notice success\" role=\"status\"><p>");
	buf_puts(o, en(p) ? "Draft saved on " : "Brouillon enregistré le ");
	render_put_datetime(o, p, v->draft_saved, true);
	buf_puts(o, en(p) ? ", kept until " : ", conservé jusqu'au ");
	render_put_datetime(o, p, v->draft_expires, false);
	buf_puts(o,
		 en(p) ? ". Send it when it is complete." : ". Envoyez-le quand il sera complet.");
	buf_puts(o, "</p></div>\n");
}

void render_draft_button(buf *o, const page *p, const form_view *v)
{
	if (!v->drafts)
		return;
	buf_puts(o, "<button type=\"submit\" name=\"_brouillon\" value=\"1\" class=\"secondary\">");
	buf_puts(o, en(p) ? "Save as draft" : "Enregistrer le brouillon");
	buf_puts(o, "</button> ");
}

void render_draft_delete(buf *o, const page *p, const form_view *v)
{
	if (!v->draft_delete)
		return;
	buf_puts(o, "<form method=\"post\"");
	render_attr(o, "action", v->draft_delete);
	buf_puts(o, " class=\"draft-delete\">");
	render_csrf_input(o, p);
	buf_puts(o, "<button type=\"submit\" class=\"secondary\">");
	buf_puts(o, en(p) ? "Delete the draft" : "Supprimer le brouillon");
	buf_puts(o, "</button></form>\n");
}

void render_drafts(buf *out, const page *p, const def_app *app, const draft_item *v, size_t n)
{
	const char *title = en(p) ? "My drafts" : "Mes brouillons";
	render_page_open(out, p, false);
	buf_puts(out, title);
	buf_puts(out, " — ");
	buf_html(out, app->title);
	render_page_body(out, p);
	render_breadcrumb(out, p, app, NULL, 0);
	buf_puts(out, "<h1>");
	buf_puts(out, title);
	buf_puts(out, "</h1>\n<p>");
	buf_puts(out, en(p) ? "Forms you saved without sending them. A draft is deleted when its "
			      "keeping time runs out; send it before."
			    : "Les formulaires que vous avez enregistrés sans les envoyer. Un "
			      "brouillon est supprimé à la fin de sa durée de conservation : "
			      "envoyez-le avant.");
	buf_puts(out, "</p>\n");
	if (n == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, en(p) ? "You have no draft." : "Vous n'avez aucun brouillon.");
		buf_puts(out, "</p>\n");
		render_page_close(out, p);
		return;
	}
	render_table_open(out, "brouillons", NULL);
	buf_puts(out, title);
	buf_puts(out, "</span></caption>\n<thead><tr><th scope=\"col\">");
	buf_puts(out, en(p) ? "Form" : "Formulaire");
	buf_puts(out, "</th><th scope=\"col\">");
	buf_puts(out, en(p) ? "Last saved" : "Dernier enregistrement");
	buf_puts(out, "</th><th scope=\"col\">");
	buf_puts(out, en(p) ? "Kept until" : "Conservé jusqu'au");
	buf_puts(out, "</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, "<tr><td><a");
		render_attr(out, "href", v[i].href);
		buf_puts(out, ">");
		buf_html(out, v[i].form->title);
		buf_puts(out, "<span class=\"sr-only\">");
		buf_puts(out, en(p) ? ", draft saved on " : ", brouillon du ");
		render_put_datetime(out, p, v[i].updated_at, true);
		buf_puts(out, "</span></a></td><td>");
		render_put_datetime(out, p, v[i].updated_at, true);
		buf_puts(out, "</td><td>");
		render_put_datetime(out, p, v[i].expires_at, false);
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
	render_page_close(out, p);
}

void render_draft_link(buf *out, const page *p, const def_app *app, const def_form *f,
		       const char *url, const char *expires_at)
{
	const char *title = en(p) ? "Draft saved" : "Brouillon enregistré";
	render_page_open(out, p, false);
	buf_puts(out, title);
	buf_puts(out, " — ");
	buf_html(out, f->title);
	render_page_body(out, p);
	render_breadcrumb(out, p, app, NULL, 0);
	buf_puts(out, "<h1>");
	buf_puts(out, title);
	buf_puts(out, "</h1>\n<div class=\"notice success\" role=\"status\"><p>");
	buf_puts(out, en(p) ? "Your draft of “" : "Votre brouillon « ");
	buf_html(out, f->title);
	buf_puts(out, en(p) ? "” is saved until " : " » est conservé jusqu'au ");
	render_put_datetime(out, p, expires_at, false);
	buf_puts(out, ".</p></div>\n<p>");
	buf_puts(out,
		 en(p) ? "To resume it, keep this link: it is shown only now. Whoever has the "
			 "link can read the draft, change it or send it, so do not share it."
		       : "Pour le reprendre, gardez ce lien : il n'est montré qu'une fois. "
			 "Quiconque a le lien peut lire le brouillon, le modifier ou l'envoyer : "
			 "ne le partagez pas.");
	buf_puts(out, "</p>\n<p><a");
	render_attr(out, "href", url);
	buf_puts(out, ">");
	buf_puts(out, en(p) ? "Resume my draft" : "Reprendre mon brouillon");
	buf_puts(out, "</a></p>\n<p><label for=\"lien-brouillon\">");
	buf_puts(out, en(p) ? "Resume link (to copy)" : "Lien de reprise (à copier)");
	buf_puts(out, "</label><input type=\"text\" id=\"lien-brouillon\" readonly");
	render_attr(out, "value", url);
	buf_puts(out, "></p>\n");
	render_page_close(out, p);
}
