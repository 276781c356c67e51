/* fuzz_inbound.c — libFuzzer harness for inbound email (inbound_parse
 * and inbound_html_text, src/email/inbound.c): any bytes as a message
 * sent to `atrium pipe`. The reader must either refuse them or give
 * bounded, NUL-terminated fields; the HTML-to-text path gets the same
 * bytes as a document.
 *
 *   make build/fuzz/fuzz_inbound
 */
#include "atrium.h"

#include "email/inbound.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inbound_msg m;
	struct atr_err err;
	memset(&err, 0, sizeof err);
	if (inbound_parse((const char *)data, size, &m, &err) == 0) {
		ATR_ASSERT(m.subject && m.text);
		ATR_ASSERT(strlen(m.text) <= INBOUND_MAX_TEXT);
		ATR_ASSERT(m.nrefs <= INBOUND_MAX_IDS);
		ATR_ASSERT(m.nrcpts <= INBOUND_MAX_RCPTS);
		ATR_ASSERT(m.nfiles <= INBOUND_MAX_FILES);
	}
	inbound_free(&m);
	char *t = inbound_html_text((const char *)data, size);
	ATR_ASSERT(t != NULL);
	free(t);
	return 0;
}
