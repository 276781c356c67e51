/* pipe.c — `atrium pipe`: one inbound email on standard input into the
 * tickets of the department it was sent to, as a mail server's pipe
 * transport runs it (Postfix pipe(8), Exim's pipe transport):
 *
 *   atrium unix - n n - - pipe
 *     flags=Rq user=atrium argv=/usr/local/bin/atrium pipe
 *     --config /etc/atrium.conf --recipient ${recipient}
 *
 * The exit status is what mail servers read (sysexits.h): 0 taken (a
 * ticket, a reply, or ignored on purpose), 75 try again later (the
 * database is unreachable, migrations are pending: the mail server keeps
 * the message and retries), 65 not a readable message or too large, 67
 * no department has the address, 77 refused by the department's rule
 * (bounced to the sender with the reason on standard error).
 */
#include "atrium.h"

#include <errno.h>
#include <getopt.h>

#include "cmd/cmd.h"
#include "core/secret.h"
#include "email/inbound.h"
#include "entity/ticket_pipe.h"

#define EX_DATAERR 65
#define EX_NOUSER 67
#define EX_TEMPFAIL 75
#define EX_NOPERM 77

static const char usage[] =
	"usage: atrium pipe [--recipient ADDRESS] [--db URL] [--config FILE]\n"
	"\n"
	"Reads one email (RFC 5322) on standard input and makes it a ticket\n"
	"of the department whose address it was sent to, or a reply on the\n"
	"ticket it answers. --recipient is the envelope recipient (Postfix:\n"
	"${recipient}); without it the message's own headers are used.\n"
	"Exit status (sysexits.h): 0 taken, 65 unreadable or too large, 67\n"
	"no department has the address, 75 try again later, 77 refused.\n";

int cmd_pipe(int argc, char **argv)
{
	static const struct option opts[] = {
		{"recipient", required_argument, 0, 'r'},
		{"db", required_argument, 0, 'd'},
		{"config", required_argument, 0, 'c'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	/* Anything that stops us before the message is taken is temporary:
	 * the mail server keeps it and tries again. */
	die_status(EX_TEMPFAIL);
	struct cmd_settings s = {0};
	const char *recipient = NULL;
	int o, idx = 0;
	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (o == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (o == 'r')
			recipient = optarg;
		else if (o == '?' || !cmd_setting(&s, opts[idx].name, optarg))
			die("pipe: bad option (see atrium pipe --help)");
	}
	if (optind < argc)
		die("pipe: unexpected argument '%s'", argv[optind]);
	/* The message, up to one byte past the limit (to know it is over). */
	size_t cap = 1 << 16, n = 0;
	char *raw = xmalloc(cap);
	size_t got;
	while ((got = fread(raw + n, 1, cap - n, stdin)) > 0) {
		n += got;
		if (n > INBOUND_MAX_BYTES)
			break;
		if (n == cap) {
			cap *= 2;
			raw = xrealloc(raw, cap);
		}
	}
	if (ferror(stdin))
		die("pipe: cannot read the message: %s", strerror(errno));
	struct app app = {0};
	cmd_open(&app, &s);
	cmd_require_schema(&app);
	struct atr_err err = {0};
	if (secret_key_load(&app.cfg, &err) < 0)
		die("pipe: %s", err.msg);
	struct pipe_outcome out;
	ticket_pipe(&app, raw, n, recipient, &out);
	free(raw);
	cmd_close(&app);
	int status = 0;
	switch (out.result) {
	case PIPE_TICKET:
	case PIPE_REPLY:
	case PIPE_IGNORED:
		status = 0;
		break;
	case PIPE_REJECTED:
		status = strstr(out.detail, "not a contact") ? EX_NOPERM
							     : EX_DATAERR;
		break;
	case PIPE_NO_RECIPIENT:
		status = EX_NOUSER;
		break;
	case PIPE_TEMPFAIL:
		status = EX_TEMPFAIL;
		break;
	}
	fprintf(status ? stderr : stdout, "atrium pipe: %s: %s\n",
		pipe_result_name(out.result), out.detail);
	return status;
}
