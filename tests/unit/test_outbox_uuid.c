/* test_outbox_uuid.c — core/activity.c: outbox_uuid_of, the event id a
 * bulk write makes from random bytes drawn once per statement: a version 4
 * UUID, as outbox_uuid (and the snprintf it replaced) writes it. */
#include "atrium.h"

#include "core/activity_int.h"
#include "unit.h"

TEST(outbox_uuid_of_format)
{
	unsigned char r[16];
	for (int i = 0; i < 16; i++)
		r[i] = (unsigned char)(0xf0 + i);
	char u[37];
	outbox_uuid_of(r, u);
	/* version nibble 4 in byte 6, variant 10 in byte 8 */
	CHECK_STR(u, "f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeff");
	char want[37];
	unsigned char v[16];
	memcpy(v, r, 16);
	v[6] = (v[6] & 0x0f) | 0x40;
	v[8] = (v[8] & 0x3f) | 0x80;
	snprintf(want, sizeof want,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
		 v[10], v[11], v[12], v[13], v[14], v[15]);
	CHECK_STR(u, want);
	memset(r, 0, sizeof r);
	outbox_uuid_of(r, u);
	CHECK_STR(u, "00000000-0000-4000-8000-000000000000");
	char a[37], b[37];
	outbox_uuid(a);
	outbox_uuid(b);
	CHECK_EQ_INT(strlen(a), 36);
	CHECK(strcmp(a, b) != 0);
	CHECK_EQ_INT(a[14], '4');
}
