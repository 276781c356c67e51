/* fuzz_image.c — libFuzzer harness for the raster checks (image_png_check
 * and image_ico_check, src/admin/image_png.c and image_ico.c).
 *
 * The first byte picks the check (even: PNG within the logo's bounds;
 * odd: ICO as a favicon), the rest is the file. An accepted file must
 * come out as a PNG within the bounds that the PNG check accepts again
 * with the same size: what is stored is always a PNG we can read back.
 *
 *   make build/fuzz/fuzz_image
 */
#include "atrium.h"

#include "admin/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct image_bounds logo = {1, 300, 1, 600};
	static const struct image_bounds favicon = {32, 32, 32, 32};
	if (size < 1)
		return 0;
	bool ico = data[0] & 1;
	const struct image_bounds *b = ico ? &favicon : &logo;
	struct image out = {0}, again = {0};
	char why[192] = "";
	int rc = ico ? image_ico_check(data + 1, size - 1, b, &out, why,
				       sizeof why)
		     : image_png_check(data + 1, size - 1, b, &out, why,
				       sizeof why);
	if (rc < 0) {
		ATR_ASSERT(why[0] != 0 && out.data == NULL);
		return 0;
	}
	ATR_ASSERT(out.format == IMAGE_PNG);
	ATR_ASSERT(out.width >= b->min_width && out.width <= b->max_width);
	ATR_ASSERT(out.height >= b->min_height && out.height <= b->max_height);
	ATR_ASSERT(image_png_check(out.data, out.len, b, &again, why,
				   sizeof why) == 0);
	ATR_ASSERT(again.width == out.width && again.height == out.height);
	image_free(&out);
	image_free(&again);
	return 0;
}
