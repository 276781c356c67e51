/* sheet_xlsx_part.c — the xlsx reader's part layer: a zip entry streamed
 * through expat in 64 KiB reads, its uncompressed size and ratio bounded
 * (SHEET_MAX_PART, SHEET_MAX_RATIO: zip bombs stop at the limit, whatever
 * the entry's header claims), any DTD or entity declaration refused (no
 * entity expansion), nesting bounded (XML_DEPTH_MAX).
 */
#include "atrium.h"

#include "admin/sheet_xlsx_int.h"

/* ---- names and parts ----------------------------------------------------- */

const char *xlsx_local(const char *name)
{
	const char *c = strrchr(name, ':');
	return c ? c + 1 : name;
}

const char *xlsx_attr(const char **atts, const char *name)
{
	for (int i = 0; atts[i]; i += 2)
		if (!strcmp(xlsx_local(atts[i]), name))
			return atts[i + 1];
	return NULL;
}

/* A relationship target relative to the part at base ("xl/workbook.xml"),
 * as a zip entry name (caller frees). */
char *xlsx_resolve(const char *base, const char *target)
{
	if (target[0] == '/')
		return xstrdup(target + 1);
	const char *slash = strrchr(base, '/');
	size_t dir = slash ? (size_t)(slash - base) : 0;
	while (!strncmp(target, "../", 3)) {
		target += 3;
		while (dir > 0 && base[dir - 1] != '/')
			dir--;
		if (dir > 0)
			dir--;
	}
	if (dir == 0)
		return xstrdup(target);
	return xasprintf("%.*s/%s", (int)dir, base, target);
}

static void XMLCALL refuse_doctype(void *ud, const XML_Char *name,
				   const XML_Char *sysid, const XML_Char *pubid,
				   int has_internal)
{
	struct part *pt = ud;
	pt->refused = true;
	XML_StopParser(pt->p, XML_FALSE);
}

static void XMLCALL refuse_entity(void *ud, const XML_Char *name, int pe,
				  const XML_Char *value, int vlen,
				  const XML_Char *base, const XML_Char *sysid,
				  const XML_Char *pubid, const XML_Char *notation)
{
	struct part *pt = ud;
	pt->refused = true;
	XML_StopParser(pt->p, XML_FALSE);
}

/* Streams entry name (absent: 0 when optional, else refused) through
 * expat with the handlers, at most limit bytes uncompressed. 0, or -1
 * with x->err (x->rc set by a handler also ends it). */
int xlsx_part_parse(struct xlsx *x, const char *name, bool optional,
		      uint64_t limit, XML_StartElementHandler start,
		      XML_EndElementHandler end, XML_CharacterDataHandler text)
{
	zip_int64_t idx = zip_name_locate(x->za, name, 0);
	if (idx < 0) {
		if (optional)
			return 0;
		return atr_fail(x->err, ATR_E_INVALID,
				"not an xlsx workbook: '%.64s' is missing", name);
	}
	zip_stat_t zs;
	if (zip_stat_index(x->za, (zip_uint64_t)idx, 0, &zs) < 0 ||
	    !(zs.valid & ZIP_STAT_SIZE) || !(zs.valid & ZIP_STAT_COMP_SIZE))
		return atr_fail(x->err, ATR_E_INVALID,
				"the workbook's part '%.64s' is unreadable", name);
	if (zs.size > limit ||
	    (zs.size > (1u << 20) &&
	     zs.size / (zs.comp_size ? zs.comp_size : 1) > SHEET_MAX_RATIO))
		return atr_fail(x->err, ATR_E_INVALID,
				"the workbook's part '%.64s' expands too much "
				"(%llu bytes); refused",
				name, (unsigned long long)zs.size);
	zip_file_t *zf = zip_fopen_index(x->za, (zip_uint64_t)idx, 0);
	if (!zf)
		return atr_fail(x->err, ATR_E_INVALID,
				"the workbook's part '%.64s' is unreadable: %s",
				name, zip_strerror(x->za));
	struct part pt = {.x = x};
	pt.p = XML_ParserCreate("UTF-8");
	XML_SetUserData(pt.p, &pt);
	XML_SetStartDoctypeDeclHandler(pt.p, refuse_doctype);
	XML_SetEntityDeclHandler(pt.p, refuse_entity);
	XML_SetElementHandler(pt.p, start, end);
	XML_SetCharacterDataHandler(pt.p, text);
	char *buf = xmalloc(65536);
	uint64_t total = 0;
	int rc = 0;
	for (;;) {
		zip_int64_t n = zip_fread(zf, buf, 65536);
		if (n < 0) {
			rc = atr_fail(x->err, ATR_E_INVALID,
				      "the workbook's part '%.64s' is corrupt",
				      name);
			break;
		}
		total += (uint64_t)n;
		if (total > limit || (total > (1u << 20) &&
				      total / (zs.comp_size ? zs.comp_size : 1) >
					      SHEET_MAX_RATIO)) {
			rc = atr_fail(x->err, ATR_E_INVALID,
				      "the workbook's part '%.64s' expands "
				      "past its limit; refused",
				      name);
			break;
		}
		if (XML_Parse(pt.p, buf, (int)n, n == 0) != XML_STATUS_OK) {
			if (x->rc)
				rc = x->rc < 0 ? -1 : 0;
			else if (pt.refused)
				rc = atr_fail(x->err, ATR_E_INVALID,
					      "the workbook's part '%.64s' "
					      "declares a DTD or entities, "
					      "or nests too deep; refused",
					      name);
			else
				rc = atr_fail(
					x->err, ATR_E_INVALID,
					"the workbook's part '%.64s' is not "
					"well-formed XML (line %lu): %s",
					name,
					(unsigned long)XML_GetCurrentLineNumber(pt.p),
					XML_ErrorString(XML_GetErrorCode(pt.p)));
			break;
		}
		if (n == 0)
			break;
	}
	free(buf);
	XML_ParserFree(pt.p);
	zip_fclose(zf);
	return rc;
}

/* Depth bookkeeping every start/end handler does first. */
struct xlsx *xlsx_enter(void *ud)
{
	struct part *pt = ud;
	if (++pt->depth > XML_DEPTH_MAX) {
		pt->refused = true;
		XML_StopParser(pt->p, XML_FALSE);
	}
	return pt->x;
}

struct xlsx *xlsx_leave(void *ud)
{
	struct part *pt = ud;
	pt->depth--;
	return pt->x;
}

void XMLCALL xlsx_no_text(void *ud, const XML_Char *s, int len) {}

void xlsx_stop(void *ud, struct xlsx *x, int rc)
{
	struct part *pt = ud;
	x->rc = rc;
	XML_StopParser(pt->p, XML_FALSE);
}
