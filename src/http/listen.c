/* listen.c — the server's listening socket (see listen.h). */
#include "atrium.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "http/listen.h"

static int parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	int64_t port;
	if (atr_parse_i64(colon + 1, &port) < 0 || port < 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!*host || strcmp(host, "localhost") == 0)
		atr_strlcpy(host, "127.0.0.1", sizeof host);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	return 0;
}

/* Binds and listens on sa; the fd, or -1 with one line in err. */
static int listen_on(const struct sockaddr_in *sa, const struct config *cfg,
		     struct atr_err *err)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd < 0)
		return atr_fail(err, ATR_E_UNAVAILABLE,
				"cannot listen on %s: %s", cfg->listen,
				strerror(errno));
	/* SO_REUSEADDR lets a restart bind while old connections linger in
	 * TIME_WAIT; on Linux it never lets two processes listen at once.
	 * SO_REUSEPORT would, so it is set only on request. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (cfg->reuse_port &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
		if (errno == EADDRINUSE) {
			close(fd);
			return atr_fail(err, ATR_E_UNAVAILABLE,
					"cannot listen on %s: the address is "
					"already in use (another atrium "
					"serve?); stop that process, or set "
					"reuse_port = true on both to share "
					"the port",
					cfg->listen);
		}
		goto fail;
	}
	if (listen(fd, 511) < 0)
		goto fail;
	return fd;
fail:
	atr_fail(err, ATR_E_UNAVAILABLE, "cannot listen on %s: %s", cfg->listen,
		 strerror(errno));
	close(fd);
	return -1;
}

/* Port 0 asked the kernel for a free port (tests: no window between
 * choosing a port and binding it): listen, and public_url when it was
 * derived from listen, now name the port it gave. */
static void adopt_port(struct config *cfg, int fd)
{
	struct sockaddr_in got;
	socklen_t len = sizeof got;
	if (getsockname(fd, (struct sockaddr *)&got, &len) < 0)
		return;
	char *derived = xasprintf("http://%s", cfg->listen);
	bool was_derived = !strcmp(cfg->public_url, derived);
	free(derived);
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &got.sin_addr, host, sizeof host);
	free(cfg->listen);
	cfg->listen = xasprintf("%s:%u", host, (unsigned)ntohs(got.sin_port));
	if (was_derived) {
		free(cfg->public_url);
		cfg->public_url = xasprintf("http://%s", cfg->listen);
	}
}

int listen_socket(struct config *cfg, struct atr_err *err)
{
	struct sockaddr_in sa;
	if (parse_listen(cfg->listen, &sa) < 0)
		return atr_fail(err, ATR_E_INVALID,
				"listen: '%s' must be IPv4-address:port",
				cfg->listen);
	int fd = listen_on(&sa, cfg, err);
	if (fd >= 0 && sa.sin_port == 0)
		adopt_port(cfg, fd);
	return fd;
}
