/* signals.h — what the weekly check of the activity log looks for (the
 * spec's "Daily and weekly monitoring": unusual actions, mass deletions,
 * access at odd hours, sign-ins from unknown addresses), and the system
 * log's message cleaning.
 *
 * A signal flags an activity row (table activity_signal, migration 0041):
 *   new_address    a sign-in from an address prefix the member never
 *                  signed in from (their first sign-in ever is not one);
 *                  the member gets a notification and an email
 *   unusual_hours  a sign-in outside the organisation's working hours
 *                  (settings security.working_hours and working_days, in
 *                  the organisation's time zone)
 *   mass_delete    a deletion of a burst: at least mass_delete_count
 *                  deletions by one actor within mass_delete_minutes;
 *                  administrators get one notification per burst
 * The activity list filters on them (`signal=`, src/admin/activity_api.c)
 * and shows them in each entry's `signals`.
 *
 * "The same address": IPv4 addresses share their /24, IPv6 addresses
 * their /64 (an IPv4-mapped IPv6 address is IPv4). A household, an office
 * or a mobile network hands out addresses within such a block, so a
 * member's everyday changes are not news; another provider or country is.
 */
#ifndef ATR_SIGNALS_H
#define ATR_SIGNALS_H

#include "atrium.h"

struct req;

#define SIGNALS_PREFIX_LEN 64   /* "xxxx:xxxx:xxxx:xxxx::/64" and the NUL */
#define SIGNALS_PREFIXES_MAX 50 /* known prefixes kept per member */
#define SIGNALS_HOURS_MAX 11    /* "HH:MM-HH:MM" */

/* The prefix of address ip that counts as "the same address"
 * ("192.0.2.0/24", "2001:db8:1:2::/64") in out. 0, or -1 when ip is not an
 * IP address ("unknown"). */
int signals_addr_prefix(const char *ip, char *out, size_t n);

/* Working hours "HH:MM-HH:MM" as minutes of the day: start 00:00..23:59,
 * end 00:01..24:00, not equal; an end before the start crosses midnight
 * ("22:00-06:00"). 0, 1 for "" (no working hours: nothing is unusual), or
 * -1 when malformed. */
int signals_hours_parse(const char *s, int *start, int *end);

/* Working days "mon,tue,wed,thu,fri": distinct day names, lower case,
 * separated by commas, at least one; *mask gets bit (d - 1) for ISO day d
 * (1 Monday .. 7 Sunday). 0 or -1. */
int signals_days_parse(const char *s, unsigned *mask);

/* Whether a local time (ISO weekday 1..7, minute of the day 0..1439) is
 * outside the working hours and days. */
bool signals_unusual(int start, int end, unsigned days, int wday, int minute);

/* After the activity row of a completed sign-in (action login or
 * login_recovery_code) was written on r->db, in the same transaction:
 * records the member's address prefix, flags the row (new_address,
 * unusual_hours), and for a new address notifies the member in the app and
 * queues the new_signin email. 0, or -1 with r->err. */
int signals_signin(struct req *r, int64_t org, int64_t staff_id,
		   const char *name, const char *email);

/* The system log's message: without the "error request_id=...: " prefix
 * of the pipeline's line, without a database's DETAIL (values of a row),
 * with tokens (atr_...), URL passwords and key=value secrets (password,
 * secret, token, key) replaced by [redacted], at most n-1 bytes cut at a
 * character boundary. */
void signals_scrub(const char *in, char *out, size_t n);

#endif
