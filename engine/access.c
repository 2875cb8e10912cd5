/*
 * access — role checks (see access.h). Admins may do everything; `owner` is held
 * by the record's creator; `user` by anyone logged in; `public` by everyone.
 */
#include "access.h"

#include <string.h>

static bool is_owner(const actor *a, const record *r)
{
	return a->login && r && r->created_by && strcmp(a->login, r->created_by) == 0;
}

bool access_has_role(const actor *a, const char *role, const record *r)
{
	if (strcmp(role, "public") == 0)
		return true;
	if (strcmp(role, "user") == 0)
		return a->login != NULL;
	if (strcmp(role, "admin") == 0)
		return a->admin;
	if (strcmp(role, "owner") == 0)
		return is_owner(a, r);
	for (size_t i = 0; i < a->nroles; i++)
		if (strcmp(a->roles[i], role) == 0)
			return true;
	return false;
}

bool access_has_any(const actor *a, const def_strlist *roles, const record *r)
{
	for (size_t i = 0; i < roles->n; i++)
		if (access_has_role(a, roles->v[i], r))
			return true;
	return false;
}

bool access_can_create(const def_form *f, const actor *a)
{
	return a->admin || access_has_any(a, &f->access.create, NULL);
}

store_scope access_read_scope(const def_form *f, const actor *a)
{
	store_scope sc = {.none = true, .owner = NULL};
	if (a->admin) {
		sc.none = false;
		return sc;
	}
	bool own = false;
	for (size_t i = 0; i < f->access.nread; i++) {
		const def_read_rule *rr = &f->access.read[i];
		bool holds = strcmp(rr->role, "owner") == 0 ? a->login != NULL
							    : access_has_role(a, rr->role, NULL);
		if (!holds)
			continue;
		if (rr->all && strcmp(rr->role, "owner") != 0) {
			sc.none = false;
			sc.owner = NULL;
			return sc;
		}
		own = true;
	}
	if (own && a->login) {
		sc.none = false;
		sc.owner = a->login;
	}
	return sc;
}

bool access_can_read_any(const def_form *f, const actor *a)
{
	return !access_read_scope(f, a).none;
}

bool access_can_read_col(const def_field *fd, const actor *a)
{
	if (!fd->has_private || a->admin)
		return true;
	return access_has_any(a, &fd->private_roles, NULL);
}

access_reach access_role_reach(const def_form *f, const def_field *fd, const char *role)
{
	const char *roles[1] = {role};
	bool declared = !def_is_reserved_role(role);
	/* Someone who holds that role and nothing else: the rules decide as for anyone. */
	actor a = {.login = strcmp(role, "public") == 0 ? NULL : "\x01",
		   .roles = roles,
		   .nroles = declared ? 1 : 0};
	store_scope sc = access_read_scope(f, &a);
	if (sc.none || !access_can_read_col(fd, &a))
		return ACCESS_REACH_NONE;
	return sc.owner ? ACCESS_REACH_OWN : ACCESS_REACH_ALL;
}

bool access_can_edit(const def_form *f, const actor *a, const record *r)
{
	if (a->admin)
		return true;
	if (f->workflow) {
		int si = def_find_state(f->workflow, r ? r->state : NULL);
		if (si < 0)
			return false;
		const def_state *st = &f->workflow->states[si];
		return st->has_editable_by && access_has_any(a, &st->editable_by, r);
	}
	return f->access.has_update && access_has_any(a, &f->access.update, r);
}

bool access_can_write_col(const def_form *f, const def_field *fd, const actor *a, const record *r)
{
	(void)f;
	if (!def_type_holds_data(fd->type) || fd->compute || fd->readonly)
		return false;
	if (!access_can_read_col(fd, a))
		return false;
	if (fd->has_editable_by && !a->admin && !access_has_any(a, &fd->editable_by, r)) {
		/* On create the author is the future owner. */
		if (!(r == NULL && a->login && def_strlist_has(&fd->editable_by, "owner")))
			return false;
	}
	return true;
}

bool access_can_delete(const def_form *f, const actor *a, const record *r)
{
	if (a->admin)
		return true;
	return f->access.has_delete && access_has_any(a, &f->access.del, r);
}

access_trigger access_trigger_check(const def_transition *t, const actor *a, const record *r)
{
	/* Separation of duties binds admins too: that is its point. */
	if (!t->self_approval && is_owner(a, r))
		return ACCESS_TRIGGER_SELF_APPROVAL;
	if (a->admin || access_has_any(a, &t->roles, r))
		return ACCESS_TRIGGER_OK;
	return ACCESS_TRIGGER_ROLE;
}

bool access_can_trigger(const def_transition *t, const actor *a, const record *r)
{
	return access_trigger_check(t, a, r) == ACCESS_TRIGGER_OK;
}
