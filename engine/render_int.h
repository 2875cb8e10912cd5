/*
 * render_int — what the render_*.c files share, and nobody else sees: the UI strings
 * (French and English), the page frame, and small writers of values, dates and URLs.
 * Every writer escapes what it is given (buf_html); raw text is the engine's own.
 */
#ifndef SMALLAPPS_RENDER_INT_H
#define SMALLAPPS_RENDER_INT_H

#include "render.h"

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
	UI_FILE_CURRENT,
	UI_FILE_KEPT,
	UI_FILE_CLEAR,
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
	UI_COUNT_OVER,
	UI_EXPORTS,
	UI_EXPORT_CSV,
	UI_EXPORT_JSONL,
	UI_EXPORT_OPEN,
	UI_EXPORT_SCHEMA,
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
	UI_ERR_503,
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
	UI_MSG_503,
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

/* The UI string m in the page's language. */
const char *render_text(const page *p, enum ui m);
#define T(p, m) render_text(p, m)

void render_attr(buf *o, const char *name, const char *val);
/* Accueil, then the app (app not NULL), then the form (f and id > 0: a record's page). */
void render_breadcrumb(buf *o, const page *p, const def_app *app, const def_form *f, int64_t id);
/* Accueil > Administration [> label, a link to href]: the admin pages' breadcrumb. */
void render_admin_breadcrumb(buf *out, const page *p, const char *href, const char *label);
bool render_choice_selected(const def_field *f, const value *v, const char *opt);
const def_field *render_col_field(const def_form *f, int col);
void render_csrf_input(buf *o, const page *p);
void render_hidden(buf *o, const char *name, const char *val);
void render_table_open(buf *o, const char *key, const char *sub);

/* The items of a form (fields[0..n)): sections as fieldsets, each writable field's control
 * with its label, notes and error, readable ones as text (render_form.c). */
void render_form_fields(buf *o, const page *p, const def_form *form, const def_field *fields,
			size_t nfields, const record *values, const field_errors *errors,
			const bool *writable, const bool *readable, const form_files *ff);
/* Whether the person fills a personal field there (the form then says what becomes of it). */
bool render_collects_personal(const def_form *f, const bool *writable);
/* A multi-step form's page inside its <form>: the step's fields or the summary, the other
 * values as hidden inputs, the step's buttons (render_steps.c). */
void render_form_step(buf *out, const page *p, const form_view *v);
/* A form's draft parts (render_drafts.c): the hidden "_draft", the status notice, the
 * "Enregistrer le brouillon" button, the "Supprimer le brouillon" form after </form>. */
void render_draft_hidden(buf *o, const form_view *v);
void render_draft_status(buf *o, const page *p, const form_view *v);
void render_draft_button(buf *o, const page *p, const form_view *v);
void render_draft_delete(buf *o, const page *p, const form_view *v);
void render_input_text(const def_field *f, const value *v, buf *tmp);
bool render_mask(const bool *m, size_t col);
void render_page_body(buf *o, const page *p);
void render_page_close(buf *o, const page *p);
lang render_page_lang(const page *p);
void render_page_open(buf *o, const page *p, bool error);
void render_put_arrow(buf *o, const page *p);
void render_put_count(buf *o, const page *p, int64_t n);
void render_put_datetime(buf *o, const page *p, const char *iso, bool with_time);
void render_put_display(buf *o, const page *p, const def_field *f, const value *v);
/* A file value: its name (a link to href + the field's name when href), type and size. */
void render_put_file(buf *o, const page *p, const def_field *f, const value *v, const char *href);
void render_put_empty(buf *o, const page *p);
void render_put_int(buf *o, int64_t n);
void render_put_quoted(buf *o, const page *p, const char *s);
void render_state_badges(buf *o, const page *p, const def_form *f, const record *r);
const char *render_state_label(const def_form *f, const char *id);
bool render_streq0(const char *a, const char *b);
void render_url_app(buf *o, const def_app *app);
void render_url_form(buf *o, const def_app *app, const def_form *f);
void render_url_record(buf *o, const def_app *app, const def_form *f, int64_t id);
const value *render_val_at(const record *r, int col);
bool render_value_is_true(const value *v);

#endif
