/*
 * usecase_files — the contents of file fields: downloads and housekeeping (usecase.h).
 *
 * A download is a read: the record within the person's scope (uc_read), then the
 * field as they may read it (not another role's private field). Whatever stops it is
 * NOT_FOUND, so that a download says no more than the record page does.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "usecase.h"

long uc_file_read(uc_file *f, char *out, size_t max)
{
	return store_blob_read(f->blob, out, max);
}

void uc_file_close(uc_file *f)
{
	if (!f)
		return;
	store_blob_close(f->blob);
	free(f->name);
	free(f->type);
	memset(f, 0, sizeof *f);
}

uc_status uc_file_open(uc_call *c, int64_t id, const char *field, uc_file *out, uc_result *res)
{
	memset(out, 0, sizeof *out);
	int col = def_find_col(c->form, field);
	const def_field *fd = col >= 0 ? c->form->cols[col] : NULL;
	if (!fd || fd->type != FT_FILE || !access_can_read_col(fd, &c->who)) {
		res->status = UC_NOT_FOUND;
		return UC_NOT_FOUND;
	}
	uc_status st = uc_read(c, id, res);
	if (st != UC_OK)
		return st;
	const value *v = &res->rec.values[col];
	json_t *j = v->kind == VAL_TEXT ? json_loads(v->s, 0, NULL) : NULL;
	const char *sha = json_string_value(json_object_get(j, "sha256"));
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *type = json_string_value(json_object_get(j, "type"));
	int rc = sha && name && type ? store_blob_open(c->app->db, sha, &out->size, &out->blob)
				     : STORE_NOTFOUND;
	if (rc == STORE_OK) {
		out->name = strdup(name);
		out->type = strdup(type);
		st = UC_OK;
	} else if (rc == STORE_NOTFOUND) {
		if (sha)
			log_message("files", "%s/%s #%lld: %s: content %s is missing",
				    c->app->def->id, c->form->id, (long long)id, field, sha);
		st = UC_NOT_FOUND;
	} else {
		st = rc == STORE_UNAVAILABLE ? uc_unavailable(res) : UC_ERROR;
	}
	json_decref(j);
	res->status = st;
	return st;
}

void uc_files_sweep(const uc_env *env, int *temporary, int *contents)
{
	*temporary = env->upload_dir ? upload_sweep(env->upload_dir, UC_UPLOAD_KEEP) : 0;
	*contents = 0;
	app_rt **apps = NULL;
	size_t n = registry_list(env->reg, &apps);
	for (size_t i = 0; i < n; i++) {
		int removed = 0;
		if (store_files_sweep(apps[i]->db, &removed) == STORE_OK)
			*contents += removed;
		registry_release(apps[i]);
	}
	free(apps);
	if (*temporary || *contents)
		log_message("files", "%d temporary upload(s) and %d unused content(s) removed",
			    *temporary, *contents);
}
