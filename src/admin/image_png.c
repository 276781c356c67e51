/* image_png.c — PNG files checked by decoding them whole with libpng's
 * simplified API (png_image), and encoded again from their pixels.
 *
 * The header is read first and the size judged before any pixel buffer is
 * allocated, so a huge declared size costs nothing; libpng's own limits
 * (chunk sizes, decompressed text) stay at their defaults. What is stored
 * is a new PNG written by libpng from the decoded pixels: trailing bytes,
 * text and EXIF chunks, and anything a browser might sniff do not survive.
 */
#include "atrium.h"

#include <png.h>

#include "admin/image.h"

void image_free(struct image *img)
{
	if (!img)
		return;
	free(img->data);
	memset(img, 0, sizeof *img);
}

const char *image_content_type(enum image_format f)
{
	return f == IMAGE_SVG ? "image/svg+xml" : "image/png";
}

int image_png_encode(const unsigned char *px, int w, int h, unsigned format,
		     struct image *out, char *why, size_t whylen)
{
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)w;
	img.height = (png_uint_32)h;
	img.format = format;
	png_alloc_size_t size = 0;
	/* The first call measures; the second writes. */
	if (!png_image_write_to_memory(&img, NULL, &size, 0, px, 0, NULL) ||
	    size == 0) {
		snprintf(why, whylen, "cannot encode the image: %s",
			 img.message[0] ? img.message : "libpng failed");
		png_image_free(&img);
		return -1;
	}
	unsigned char *mem = xmalloc(size);
	if (!png_image_write_to_memory(&img, mem, &size, 0, px, 0, NULL)) {
		snprintf(why, whylen, "cannot encode the image: %s",
			 img.message[0] ? img.message : "libpng failed");
		png_image_free(&img);
		free(mem);
		return -1;
	}
	out->format = IMAGE_PNG;
	out->width = w;
	out->height = h;
	out->data = mem;
	out->len = size;
	return 0;
}

/* Whether w×h is within b; otherwise why says how it is not. */
static bool within(const struct image_bounds *b, int w, int h, char *why,
		   size_t whylen)
{
	if (b->min_width == b->max_width && b->min_height == b->max_height &&
	    (w != b->min_width || h != b->min_height)) {
		snprintf(why, whylen, "the image is %d×%d px; it must be %d×%d",
			 w, h, b->min_width, b->min_height);
		return false;
	}
	if (w > b->max_width) {
		snprintf(why, whylen,
			 "the image is %d px wide; at most %d px is allowed",
			 w, b->max_width);
		return false;
	}
	if (h > b->max_height) {
		snprintf(why, whylen,
			 "the image is %d px high; at most %d px is allowed",
			 h, b->max_height);
		return false;
	}
	if (w < b->min_width || h < b->min_height) {
		snprintf(why, whylen,
			 "the image is %d×%d px; at least %d×%d px is needed",
			 w, h, b->min_width, b->min_height);
		return false;
	}
	return true;
}

int image_png_check(const void *p, size_t n, const struct image_bounds *b,
		    struct image *out, char *why, size_t whylen)
{
	static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
					     '\r', '\n', 0x1a, '\n'};
	memset(out, 0, sizeof *out);
	if (n < sizeof sig || memcmp(p, sig, sizeof sig) != 0) {
		snprintf(why, whylen, "not a PNG image");
		return -1;
	}
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&img, p, n)) {
		snprintf(why, whylen, "not a valid PNG image: %s",
			 img.message[0] ? img.message : "unreadable header");
		png_image_free(&img);
		return -1;
	}
	if (img.width > INT_MAX || img.height > INT_MAX ||
	    !within(b, (int)img.width, (int)img.height, why, whylen)) {
		png_image_free(&img);
		return -1;
	}
	/* 8 bits a channel in sRGB, the file's channels kept (grey stays
	 * grey, alpha stays alpha), no palette: what browsers show. */
	img.format &= ~(png_uint_32)(PNG_FORMAT_FLAG_COLORMAP |
				     PNG_FORMAT_FLAG_LINEAR);
	size_t size = PNG_IMAGE_SIZE(img);
	unsigned char *px = xmalloc(size);
	int rc = -1;
	if (!png_image_finish_read(&img, NULL, px, 0, NULL)) {
		snprintf(why, whylen, "damaged PNG image: %s",
			 img.message[0] ? img.message : "cannot decode it");
		goto out;
	}
	rc = image_png_encode(px, (int)img.width, (int)img.height, img.format,
			      out, why, whylen);
out:
	png_image_free(&img);
	free(px);
	return rc;
}
