/* fuzz_svg.c — libFuzzer harness for the SVG sanitiser (image_svg_clean,
 * src/admin/image_svg.c).
 *
 * The input is an SVG document. The sanitiser must either refuse it with
 * a reason or give a document that
 *   (a) it accepts again unchanged (a fixed point: nothing is cleaned only
 *       on the second pass),
 *   (b) read again by libxml2 here, holds no DOCTYPE, no script,
 *       foreignObject or animation element, no element outside the SVG
 *       namespace, no on* attribute, and no href that is neither a local
 *       #reference nor a data:image/ URI on <image>,
 *   (c) fits the output bound.
 *
 *   make build/fuzz/fuzz_svg
 */
#include "atrium.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <strings.h>

#include "admin/image.h"

#define OUT_MAX (256 * 1024)
#define SVG_NS "http://www.w3.org/2000/svg"

static void check_node(xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type == XML_DTD_NODE || n->type == XML_ENTITY_REF_NODE)
			ATR_ASSERT(!"DTD or entity reference in the output");
		if (n->type != XML_ELEMENT_NODE)
			continue;
		const char *name = (const char *)n->name;
		ATR_ASSERT(n->ns && strcmp((const char *)n->ns->href, SVG_NS) == 0);
		ATR_ASSERT(strcasecmp(name, "script") != 0);
		ATR_ASSERT(strcasecmp(name, "foreignObject") != 0);
		ATR_ASSERT(strncmp(name, "animate", 7) != 0 && strcmp(name, "set") != 0);
		ATR_ASSERT(strcmp(name, "a") != 0);
		for (xmlAttrPtr a = n->properties; a; a = a->next) {
			const char *an = (const char *)a->name;
			ATR_ASSERT(strncasecmp(an, "on", 2) != 0);
			if (strcmp(an, "href") != 0)
				continue;
			xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
			const char *s = v ? (const char *)v : "";
			while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
				s++;
			ATR_ASSERT(s[0] == '#' ||
				   (strcmp(name, "image") == 0 &&
				    strncmp(s, "data:image/", 11) == 0 &&
				    strncmp(s, "data:image/svg", 14) != 0));
			xmlFree(v);
		}
		check_node(n->children);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image a = {0}, b = {0};
	char why[192] = "";
	if (image_svg_clean(data, size, OUT_MAX, &a, why, sizeof why) < 0) {
		ATR_ASSERT(why[0] != 0 && a.data == NULL);
		return 0;
	}
	ATR_ASSERT(a.format == IMAGE_SVG && a.len > 0 && a.len <= OUT_MAX);
	xmlDocPtr doc = xmlReadMemory((const char *)a.data, (int)a.len, NULL,
				      "UTF-8", XML_PARSE_NONET |
						       XML_PARSE_NOERROR |
						       XML_PARSE_NOWARNING);
	ATR_ASSERT(doc != NULL);
	ATR_ASSERT(!doc->intSubset && !doc->extSubset);
	check_node(doc->children);
	xmlFreeDoc(doc);
	int rc = image_svg_clean(a.data, a.len, OUT_MAX, &b, why, sizeof why);
	ATR_ASSERT(rc == 0);
	ATR_ASSERT(b.len == a.len && memcmp(a.data, b.data, a.len) == 0);
	image_free(&a);
	image_free(&b);
	return 0;
}
