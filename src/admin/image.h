/* image.h — uploaded images, checked by decoding them.
 *
 * An uploaded file is never trusted by its name or declared type: each
 * check decodes it with a library made for the format and keeps only what
 * that library produced, so a file that merely starts like an image,
 * carries trailing data, metadata (EXIF, text chunks) or active content
 * never reaches a browser.
 *
 *   PNG  decoded whole by libpng (image_png.c); its pixels are encoded
 *        again as a new PNG.
 *   ICO  one 32×32 image: a PNG inside is decoded by libpng, a BMP (DIB)
 *        by gdk-pixbuf's ico loader (image_ico.c); the pixels become a PNG.
 *   SVG  parsed by libxml2 and rebuilt from an allowlist of elements and
 *        attributes (image_svg.c): no script, event handler, external
 *        reference, foreignObject, animation or DTD. Active content is
 *        refused, not silently dropped, so the uploader learns why.
 *
 * Each check returns 0 and fills out (free with image_free), or -1 with a
 * short lower-case reason in why (the 422's field detail).
 */
#ifndef ATR_IMAGE_H
#define ATR_IMAGE_H

#include "atrium.h"

enum image_format { IMAGE_PNG = 1, IMAGE_SVG };

/* The pixel sizes a raster image may have (inclusive). */
struct image_bounds {
	int min_width, max_width;
	int min_height, max_height;
};

struct image {
	enum image_format format;
	int width, height;   /* pixels; 0 for an SVG (it scales) */
	unsigned char *data; /* the bytes to store and serve (malloc) */
	size_t len;
};

void image_free(struct image *img);

/* "image/png" or "image/svg+xml". */
const char *image_content_type(enum image_format f);

/* A PNG file within b, as a new PNG of its pixels (8 bits a channel,
 * sRGB; no ancillary chunks but what libpng writes for the colour space). */
int image_png_check(const void *p, size_t n, const struct image_bounds *b,
		    struct image *out, char *why, size_t whylen);

/* Encodes w×h pixels (libpng's simplified format, PNG_FORMAT_*) as a PNG
 * into out. 0, or -1 with why. For image_ico.c. */
int image_png_encode(const unsigned char *px, int w, int h, unsigned format,
		     struct image *out, char *why, size_t whylen);

/* An ICO file holding exactly one image within b (the favicon: 32×32),
 * as a PNG of its pixels. */
int image_ico_check(const void *p, size_t n, const struct image_bounds *b,
		    struct image *out, char *why, size_t whylen);
/* Whether BMP-based icons can be read (gdk-pixbuf's ico loader is
 * installed); PNG-based icons always can. */
bool image_ico_bmp_supported(void);

/* Limits of the SVG check (a logo is small; these bound the work). */
#define SVG_MAX_DEPTH 48
#define SVG_MAX_ELEMENTS 20000
#define SVG_MAX_USES 200

/* An SVG document, rebuilt from what the allowlist keeps, as UTF-8 XML of
 * at most max_out bytes. */
int image_svg_clean(const void *p, size_t n, size_t max_out,
		    struct image *out, char *why, size_t whylen);

#endif
