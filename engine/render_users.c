/*
 * render_users — the admin pages of people and their rights: the list with its create
 * form, and one person's page (grants, disabling, password, API tokens). See render.h.
 * A secret (a generated password, a new token) is shown once, in the page that answers
 * the POST that made it; it is never in a URL.
 */
#include "render_int.h"

#include <stdio.h>
#include <string.h>

static bool en(const page *p)
{
	return render_page_lang(p) == LANG_EN;
}

/* The notices on top: an error (alert), what was done (status), a secret shown once. */
static void notices(buf *out, const page *p, const users_notice *n)
{
	if (n->error) {
		buf_puts(out, "<p class=\"alert\" role=\"alert\">");
		buf_html(out, n->error);
		buf_puts(out, "</p>\n");
	}
	if (n->done) {
		buf_puts(out, "<p role=\"status\">");
		buf_html(out, n->done);
		buf_puts(out, "</p>\n");
	}
	if (n->secret) {
		buf_puts(out, "<div class=\"secret\" role=\"status\"><p>");
		buf_html(out, n->secret_label);
		buf_puts(out, "</p>\n<p><code>");
		buf_html(out, n->secret);
		buf_puts(out, "</code></p>\n<p>");
		buf_puts(out, en(p) ? "Copy it now: it will not be shown again."
				    : "Copiez-le maintenant : il ne sera plus affiché.");
		buf_puts(out, "</p></div>\n");
	}
}

static void text_input(buf *out, const char *name, const char *label, const char *type,
		       const char *val, const char *autocomplete)
{
	buf_printf(out, "<div class=\"field\"><label for=\"f-%s\">", name);
	buf_html(out, label);
	buf_printf(out, "</label><input type=\"%s\" id=\"f-%s\" name=\"%s\"", type, name, name);
	render_attr(out, "value", val ? val : "");
	if (autocomplete)
		render_attr(out, "autocomplete", autocomplete);
	buf_puts(out, "></div>\n");
}

static void post_form(buf *out, const page *p, const char *action)
{
	buf_puts(out, "<form method=\"post\" class=\"inline\"");
	render_attr(out, "action", action);
	buf_puts(out, ">");
	render_csrf_input(out, p);
}

static void people_table(buf *out, const page *p, const uc_people *l)
{
	bool e = en(p);
	render_table_open(out, "personnes", NULL);
	buf_puts(out, e ? "People who may sign in" : "Personnes qui peuvent se connecter");
	buf_puts(out, "</span></caption>\n<thead><tr>");
	const char *heads[][2] = {{"Identifiant", "Login"}, {"Nom", "Name"},
				  {"Courriel", "Email"},    {"Administrateur", "Admin"},
				  {"État", "Status"},	    {"Dernière connexion", "Last sign-in"},
				  {"Rôles", "Roles"}};
	for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
		buf_printf(out, "<th scope=\"col\">%s</th>", heads[i][e]);
	buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < l->n; i++) {
		const uc_person *u = &l->v[i];
		buf_puts(out, "<tr><th scope=\"row\"><a href=\"/admin/users/");
		buf_html(out, u->login);
		buf_puts(out, "\">");
		buf_html(out, u->login);
		buf_puts(out, "</a></th><td>");
		buf_html(out, u->name);
		buf_puts(out, "</td><td>");
		buf_html(out, u->email);
		buf_puts(out, "</td><td>");
		buf_puts(out, u->admin ? (e ? "yes" : "oui") : (e ? "no" : "non"));
		buf_puts(out, "</td><td>");
		buf_puts(out,
			 u->disabled ? (e ? "disabled" : "désactivé") : (e ? "active" : "actif"));
		buf_puts(out, "</td><td>");
		if (u->last_login)
			render_put_datetime(out, p, u->last_login, true);
		else
			buf_puts(out, e ? "never" : "jamais");
		buf_puts(out, "</td><td>");
		for (size_t k = 0; k < u->ngrants; k++) {
			if (k)
				buf_puts(out, ", ");
			buf_html(out, u->grants[k]);
		}
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

void render_admin_users(buf *out, const page *p, const users_view *v)
{
	bool e = en(p);
	const char *title = e ? "People" : "Personnes";
	render_page_open(out, p, false);
	buf_puts(out, title);
	render_page_body(out, p);
	render_admin_breadcrumb(out, p, NULL, NULL);
	buf_printf(out, "<h1>%s</h1>\n", title);
	notices(out, p, &v->notice);
	people_table(out, p, v->people);
	buf_puts(out, "<h2>");
	buf_puts(out, e ? "Add a person" : "Ajouter une personne");
	buf_puts(out, "</h2>\n<form method=\"post\" action=\"/admin/users\" novalidate>\n");
	render_csrf_input(out, p);
	text_input(out, "login", e ? "Login" : "Identifiant", "text", v->login, "off");
	text_input(out, "name", e ? "Name" : "Nom", "text", v->name, "off");
	text_input(out, "email", e ? "Email" : "Courriel", "email", v->email, "off");
	text_input(out, "password",
		   e ? "Password (empty: one is generated and shown once)"
		     : "Mot de passe (vide : il est généré et affiché une fois)",
		   "password", NULL, "new-password");
	buf_puts(out,
		 "<div class=\"choice\"><input type=\"checkbox\" id=\"f-admin\" name=\"admin\" "
		 "value=\"1\"> <label for=\"f-admin\">");
	buf_puts(out, e ? "Global administrator" : "Administrateur général");
	buf_puts(out, "</label></div>\n<button type=\"submit\">");
	buf_puts(out, e ? "Add" : "Ajouter");
	buf_puts(out, "</button>\n</form>\n");
	render_page_close(out, p);
}

static void grants_section(buf *out, const page *p, const user_view *v)
{
	bool e = en(p);
	const uc_person *u = v->person;
	buf_puts(out, "<h2>");
	buf_puts(out, e ? "Roles" : "Rôles");
	buf_puts(out, "</h2>\n");
	if (u->ngrants == 0) {
		buf_puts(out, "<p>");
		buf_puts(out, e ? "No role." : "Aucun rôle.");
		buf_puts(out, "</p>\n");
	}
	buf_puts(out, "<ul>\n");
	for (size_t i = 0; i < u->ngrants; i++) {
		buf_puts(out, "<li>");
		buf_html(out, u->grants[i]);
		buf_puts(out, " ");
		post_form(out, p, v->revoke_action);
		render_hidden(out, "grant", u->grants[i]);
		buf_puts(out, "<button type=\"submit\" class=\"secondary\">");
		buf_puts(out, e ? "Revoke" : "Retirer");
		buf_puts(out, "<span class=\"sr-only\"> ");
		buf_html(out, u->grants[i]);
		buf_puts(out, "</span></button></form></li>\n");
	}
	buf_puts(out, "</ul>\n<form method=\"post\"");
	render_attr(out, "action", v->grant_action);
	buf_puts(out, ">\n");
	render_csrf_input(out, p);
	buf_puts(out, "<div class=\"field\"><label for=\"f-grant\">");
	buf_puts(out, e ? "Role to give" : "Rôle à donner");
	buf_puts(out, "</label><select id=\"f-grant\" name=\"grant\">");
	for (size_t i = 0; i < v->nroles; i++) {
		buf_puts(out, "<option");
		render_attr(out, "value", v->roles[i].value);
		buf_puts(out, ">");
		buf_html(out, v->roles[i].label);
		buf_puts(out, "</option>");
	}
	buf_puts(out, "</select></div>\n<button type=\"submit\">");
	buf_puts(out, e ? "Give" : "Donner");
	buf_puts(out, "</button>\n</form>\n");
}

static void tokens_section(buf *out, const page *p, const user_view *v)
{
	bool e = en(p);
	const uc_person *u = v->person;
	buf_puts(out, "<h2>");
	buf_puts(out, e ? "API tokens" : "Jetons d'API");
	buf_puts(out, "</h2>\n<ul>\n");
	for (size_t i = 0; i < u->ntokens; i++) {
		const store_token_row *t = &u->tokens[i];
		buf_puts(out, "<li>");
		buf_html(out,
			 t->label && *t->label ? t->label : (e ? "(no label)" : "(sans libellé)"));
		buf_puts(out, e ? ", made " : ", créé le ");
		render_put_datetime(out, p, t->created_at, true);
		buf_puts(out, " ");
		char action[256];
		snprintf(action, sizeof action, "%s/%s/revoke", v->tokens_action, t->hash);
		post_form(out, p, action);
		buf_puts(out, "<button type=\"submit\" class=\"secondary\">");
		buf_puts(out, e ? "Revoke" : "Révoquer");
		buf_puts(out, "<span class=\"sr-only\"> ");
		buf_html(out, t->label);
		buf_puts(out, "</span></button></form></li>\n");
	}
	buf_puts(out, "</ul>\n<form method=\"post\"");
	render_attr(out, "action", v->tokens_action);
	buf_puts(out, ">\n");
	render_csrf_input(out, p);
	text_input(out, "label", e ? "Label of a new token" : "Libellé d'un nouveau jeton", "text",
		   NULL, "off");
	buf_puts(out, "<button type=\"submit\">");
	buf_puts(out, e ? "Make a token" : "Créer un jeton");
	buf_puts(out, "</button>\n</form>\n");
}

void render_admin_user(buf *out, const page *p, const user_view *v)
{
	bool e = en(p);
	const uc_person *u = v->person;
	render_page_open(out, p, false);
	buf_html(out, u->login);
	render_page_body(out, p);
	render_admin_breadcrumb(out, p, "/admin/users", e ? "People" : "Personnes");
	buf_puts(out, "<h1>");
	buf_html(out, u->name && *u->name ? u->name : u->login);
	buf_puts(out, " (<code>");
	buf_html(out, u->login);
	buf_puts(out, "</code>)</h1>\n");
	notices(out, p, &v->notice);
	buf_puts(out, "<p>");
	buf_html(out, u->email);
	buf_puts(out,
		 u->admin ? (e ? " — global administrator" : " — administrateur général") : "");
	buf_puts(out, u->disabled ? (e ? " — disabled" : " — désactivé") : "");
	buf_puts(out, "</p>\n");
	grants_section(out, p, v);
	buf_puts(out, "<h2>");
	buf_puts(out, e ? "Access" : "Accès");
	buf_puts(out, "</h2>\n<div class=\"actions\">");
	post_form(out, p, u->disabled ? v->enable_action : v->disable_action);
	buf_puts(out, "<button type=\"submit\">");
	buf_puts(out, u->disabled ? (e ? "Enable" : "Réactiver")
				  : (e ? "Disable (ends their sessions and tokens)"
				       : "Désactiver (ses sessions et jetons cessent)"));
	buf_puts(out, "</button></form> ");
	post_form(out, p, v->password_action);
	buf_puts(out, "<button type=\"submit\" class=\"secondary\">");
	buf_puts(out, e ? "New password" : "Nouveau mot de passe");
	buf_puts(out, "</button></form></div>\n");
	tokens_section(out, p, v);
	render_page_close(out, p);
}
