/* test_write_text.c — http/write.c: write_created_text, the bulk write's
 * event `after` and activity diff written in one walk of the record, must
 * say what jansson says for the same record: the record as json_dumps
 * writes it, the diff as write_diff(NULL, rec) dumped with sorted keys
 * (the per-record path's texts). Compared byte for byte where the
 * escaping agrees and as JSON always. */
#include "atrium.h"

#include "core/buf.h"
#include "http/write.h"
#include "unit.h"

/* rec's two texts from write_created_text, appended after `junk` so the
 * offsets into a buffer that does not start empty are covered too. */
static void texts(const json_t *rec, char **after, char **diff)
{
	struct buf a = BUF_INIT, d = BUF_INIT;
	buf_adds(&a, "junk");
	buf_adds(&d, "junk");
	write_created_text(rec, &a, &d);
	*after = xstrdup(a.p + 4);
	*diff = xstrdup(d.p + 4);
	buf_free(&a);
	buf_free(&d);
}

static void check_like_jansson(const json_t *rec, bool same_bytes)
{
	char *after, *diff;
	texts(rec, &after, &diff);
	char *want_after = json_dumps(rec, JSON_COMPACT);
	json_t *wd = write_diff(NULL, rec);
	char *want_diff = json_dumps(wd, JSON_COMPACT | JSON_SORT_KEYS);
	if (same_bytes) {
		CHECK_STR(after, want_after);
		CHECK_STR(diff, want_diff);
	}
	json_t *ga = json_loads(after, 0, NULL);
	json_t *gd = json_loads(diff, 0, NULL);
	CHECK(ga != NULL);
	CHECK(gd != NULL);
	CHECK(json_equal(ga, rec));
	CHECK(json_equal(gd, wd));
	json_decref(ga);
	json_decref(gd);
	json_decref(wd);
	free(want_after);
	free(want_diff);
	free(after);
	free(diff);
}

TEST(write_created_text_lead)
{
	/* a record as the API shows it: bookkeeping, empties, numbers,
	 * custom fields one level down (with their own empties) */
	json_t *rec = json_loads(
		"{\"id\":41,\"name\":\"Ana Pop\",\"company\":\"\",\"email\":"
		"\"ana@example.test\",\"phone\":null,\"status\":\"new\","
		"\"value\":1250,\"rate\":0.25,\"won\":true,\"lost\":false,"
		"\"tags\":[],\"labels\":[\"a\",\"b\"],\"owner_id\":3,"
		"\"custom_fields\":{\"size\":\"L\",\"empty\":\"\",\"none\":null,"
		"\"n\":7,\"list\":[1,2],\"obj\":{\"z\":1,\"a\":2}},"
		"\"zeta\":\"last\",\"created_at\":\"2026-12-06T10:00:00.000Z\","
		"\"updated_at\":\"2026-12-06T10:00:00.000Z\",\"created_by\":3,"
		"\"version\":1}",
		0, NULL);
	CHECK(rec != NULL);
	/* the nested object's keys are sorted by jansson's JSON_SORT_KEYS
	 * in the diff and kept as given here: equal as JSON only */
	check_like_jansson(rec, false);
	json_object_del(json_object_get(rec, "custom_fields"), "obj");
	check_like_jansson(rec, true);
	json_decref(rec);
}

TEST(write_created_text_strings)
{
	/* quotes, backslashes, control characters, UTF-8 */
	json_t *rec = json_pack("{s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)1,
				"name", "Ion \"Nelu\" Ionescu\\ SRL",
				"notes", "line 1\nline 2\ttab\r\x01",
				"city", "Bra\xc8\x99ov \xe2\x82\xac", "version",
				(json_int_t)1);
	check_like_jansson(rec, false);
	json_decref(rec);
}

TEST(write_created_text_empty)
{
	json_t *rec = json_pack("{s:I,s:I}", "id", (json_int_t)9, "version",
				(json_int_t)1);
	char *after, *diff;
	texts(rec, &after, &diff);
	CHECK_STR(after, "{\"id\":9,\"version\":1}");
	CHECK_STR(diff, "{}");
	free(after);
	free(diff);
	/* more leaves than the walk's own array holds */
	json_t *cf = json_object();
	for (int i = 0; i < 120; i++) {
		char k[16];
		snprintf(k, sizeof k, "f%03d", 119 - i);
		json_object_set_new(cf, k, json_integer(i));
	}
	json_object_set_new(rec, "custom_fields", cf);
	check_like_jansson(rec, true);
	json_decref(rec);
}
