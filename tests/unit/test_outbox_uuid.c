/* test_outbox_uuid.c — core/activity.c: outbox_uuid_of, the event id a
 * bulk write makes from random bytes drawn once per statement and the
 * statement's time: a version 7 UUID (RFC 9562), as outbox_uuid writes it
 * for one event. */
#include "atrium.h"

#include "core/activity_int.h"
#include "unit.h"

TEST(outbox_uuid_of_format)
{
	unsigned char r[16];
	for (int i = 0; i < 16; i++)
		r[i] = (unsigned char)(0xf0 + i);
	char u[37];
	/* 2026-12-06T00:00:00Z = 1796515200000 ms = 0x01a2 48a6 7c00 */
	int64_t ms = 1796515200000;
	outbox_uuid_of(r, ms, u);
	/* the time's 48 bits first, version nibble 7 in byte 6, variant 10
	 * in byte 8, the rest the random bytes */
	char want[37];
	unsigned char v[16];
	memcpy(v, r, 16);
	for (int i = 0; i < 6; i++)
		v[i] = (unsigned char)((uint64_t)ms >> (8 * (5 - i)));
	v[6] = (v[6] & 0x0f) | 0x70;
	v[8] = (v[8] & 0x3f) | 0x80;
	snprintf(want, sizeof want,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
		 v[10], v[11], v[12], v[13], v[14], v[15]);
	CHECK_STR(u, want);
	CHECK_STR(u, "01a248a6-7c00-76f7-b8f9-fafbfcfdfeff");
	memset(r, 0, sizeof r);
	outbox_uuid_of(r, 0, u);
	CHECK_STR(u, "00000000-0000-7000-8000-000000000000");
	/* text order follows time order: the index takes new ids at its end */
	char early[37], late[37];
	outbox_uuid_of(r, ms, early);
	memset(r, 0xff, sizeof r);
	outbox_uuid_of(r, ms - 1, late);
	CHECK(strcmp(late, early) < 0);
	char a[37], b[37];
	outbox_uuid(a);
	outbox_uuid(b);
	CHECK_EQ_INT(strlen(a), 36);
	CHECK(strcmp(a, b) != 0);
	CHECK_EQ_INT(a[14], '7');
}
