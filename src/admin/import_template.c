/* import_template.c — GET /api/v1/imports/template?entity=leads: the xlsx
 * a spreadsheet user fills in, written by libxlsxwriter.
 *
 * Row 1 is the header: one column per importable field (the caller's:
 * custom fields included, admin-only ones only for administrators),
 * labelled as the web UI labels it, a required one marked " *" in bold
 * red. Row 2 is the notes row: what each column takes, each note
 * beginning with "# " so that the importer knows it and skips it (a row
 * right after the header whose first cell begins with "# "). Select
 * fields carry a drop-down of their choices on rows 3 to 10,002 (when the
 * choices fit Excel's 255-character list; the note names them anyway).
 * The header row is frozen.
 */
#include "atrium.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include "admin/import_int.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/ftype.h"

#define TEMPLATE_ROWS 10000 /* rows the drop-downs cover */

/* The note of a column: what the cell takes. */
static void note(const struct imp_target *t, struct buf *b)
{
	const struct field *f = t->f;
	buf_adds(b, "# ");
	if (f->flags & F_REQUIRED)
		buf_adds(b, "Required. ");
	switch (f->type) {
	case FT_ENUM:
	case FT_MULTI:
		buf_adds(b, f->type == FT_MULTI ? "Any of (comma-separated): "
						: "One of: ");
		for (int i = 0; f->choices && f->choices[i]; i++)
			buf_printf(b, "%s%s", i ? ", " : "", f->choices[i]);
		break;
	case FT_EMAIL:
		buf_adds(b, "An email address.");
		break;
	case FT_PHONE:
		buf_adds(b, "A phone number.");
		break;
	case FT_URL:
		buf_adds(b, "A web address (http or https).");
		break;
	case FT_MONEY:
		buf_adds(b, "An amount, e.g. 1250.50.");
		break;
	case FT_DECIMAL:
		buf_printf(b, "A number with at most %d decimals.", f->scale);
		break;
	case FT_INT:
		buf_adds(b, "A whole number.");
		break;
	case FT_BOOL:
		buf_adds(b, "true or false (yes/no).");
		break;
	case FT_CURRENCY:
		buf_adds(b, "A currency code, e.g. EUR, RON.");
		break;
	case FT_COUNTRY:
		buf_adds(b, "A two-letter country code, e.g. RO.");
		break;
	case FT_DATE:
		buf_adds(b, "A date (YYYY-MM-DD, or a date cell).");
		break;
	case FT_DATETIME:
		buf_adds(b, "A date and time (YYYY-MM-DDTHH:MM:SSZ).");
		break;
	case FT_STAFF:
		buf_adds(b, "A staff member's email or id.");
		break;
	case FT_STAFF_LIST:
		buf_adds(b, "Staff members' emails or ids, comma-separated.");
		break;
	case FT_TAGS:
		buf_adds(b, "Tags, comma-separated.");
		break;
	case FT_REF:
		buf_printf(b, "The id of a %s.", f->ref ? f->ref : "record");
		break;
	default:
		if (f->max > 0)
			buf_printf(b, "Text, at most %d characters.", f->max);
		else
			buf_adds(b, "Text.");
	}
	if (f->hint)
		buf_printf(b, " %s", f->hint);
}

int imports_h_template(struct req *r)
{
	const char *plural = req_query(r, "entity");
	const struct entity *e = imp_entity(plural);
	if (!e) {
		atr_field(&r->err, "entity", plural ? "invalid" : "required",
			  "choose one of leads, clients, contacts, tasks, "
			  "tickets, contracts, projects");
		return -1;
	}
	if (!req_db(r))
		return -1;
	const struct field_set *fs = entity_fields(r, e);
	if (!fs)
		return -1;
	struct imp_target *t;
	int n = imp_targets(r, fs, &t);

	char path[] = "/tmp/atrium-template-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"cannot write the template: %s", strerror(errno));
	close(fd);
	lxw_workbook *wb = workbook_new(path);
	if (!wb) {
		unlink(path);
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"cannot write the template");
	}
	lxw_worksheet *ws = workbook_add_worksheet(wb, e->label);
	lxw_format *head = workbook_add_format(wb);
	format_set_bold(head);
	format_set_bg_color(head, 0xE8EEF7);
	lxw_format *req_head = workbook_add_format(wb);
	format_set_bold(req_head);
	format_set_bg_color(req_head, 0xE8EEF7);
	format_set_font_color(req_head, 0xB00020);
	lxw_format *notes = workbook_add_format(wb);
	format_set_italic(notes);
	format_set_font_color(notes, 0x555555);
	format_set_text_wrap(notes);
	lxw_format *text = workbook_add_format(wb);
	format_set_num_format(text, "@");
	lxw_format *date = workbook_add_format(wb);
	format_set_num_format(date, "yyyy-mm-dd");
	struct buf b = BUF_INIT;
	for (int i = 0; i < n; i++) {
		const struct field *f = t[i].f;
		char lbuf[128];
		const char *label = field_label(f, lbuf, sizeof lbuf);
		bool required = f->flags & F_REQUIRED;
		buf_reset(&b);
		buf_printf(&b, "%s%s", label, required ? " *" : "");
		lxw_col_t col = (lxw_col_t)i;
		worksheet_write_string(ws, 0, col, b.p, required ? req_head : head);
		buf_reset(&b);
		note(&t[i], &b);
		worksheet_write_string(ws, 1, col, b.p, notes);
		/* Phones and codes stay text (no 0 lost), dates show as
		 * dates. */
		lxw_format *fmt = f->type == FT_DATE	? date
				  : f->type == FT_PHONE ? text
							: NULL;
		worksheet_set_column(ws, col, col, 22, fmt);
		if ((f->type == FT_ENUM || f->type == FT_BOOL) &&
		    (f->choices || f->type == FT_BOOL)) {
			static const char *const bools[] = {"true", "false", NULL};
			const char *const *ch = f->type == FT_BOOL ? bools
								   : f->choices;
			size_t len = 0;
			for (int k = 0; ch[k]; k++)
				len += strlen(ch[k]) + 1;
			if (len <= 255) {
				lxw_data_validation dv = {
					.validate = LXW_VALIDATION_TYPE_LIST,
					.value_list = (char **)ch,
					.ignore_blank = LXW_VALIDATION_ON,
				};
				worksheet_data_validation_range(
					ws, 2, col, TEMPLATE_ROWS + 1, col, &dv);
			}
		}
	}
	buf_free(&b);
	worksheet_set_row(ws, 1, 45, NULL);
	worksheet_freeze_panes(ws, 1, 0);
	lxw_error le = workbook_close(wb);
	size_t len = 0;
	char *data = NULL;
	FILE *fp = le == LXW_NO_ERROR ? fopen(path, "rb") : NULL;
	if (fp) {
		struct buf out = BUF_INIT;
		char tmp[16384];
		size_t k;
		while ((k = fread(tmp, 1, sizeof tmp, fp)) > 0)
			buf_add(&out, tmp, k);
		fclose(fp);
		len = out.len;
		data = buf_detach(&out);
	}
	unlink(path);
	if (!data)
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"cannot write the template: %s",
				lxw_strerror(le));
	r->status = 200;
	r->raw_owned = data;
	r->raw_len = len;
	r->ctype = "application/vnd.openxmlformats-officedocument."
		   "spreadsheetml.sheet";
	req_add_header(r, "Content-Disposition",
		       req_attachment(r, arena_printf(r->arena,
						      "%s-import-template.xlsx",
						      e->plural)));
	return 0;
}
