/*
 * Bencode decoder: never crash, never leak; whatever decodes re-encodes to a
 * canonical form that decodes to the same tree, and every proper prefix of a
 * decoded value reads as "incomplete" (what TCP framing relies on).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = NULL, *w = NULL, *p = NULL;
	uint8_t *e1 = NULL, *e2 = NULL;
	size_t used = 0, used2 = 0, l1 = 0, l2 = 0, u;
	int rc;

	rc = benc_decode(data, size, NULL, &v, &used);
	if (rc == BENC_E_NOMEM || rc == BENC_E_INVAL)
		abort();	/* UTF-8 checks must agree with jansson's */
	if (rc != BENC_OK) {
		if (v != NULL)
			abort();
		return 0;
	}
	if (used == 0 || used > size)
		abort();
	/* Prefixes: the shortest, the middle one and the longest. */
	size_t cuts[3] = { 0, used / 2, used - 1 };
	for (int i = 0; i < 3; i++) {
		if (benc_decode(data, cuts[i], NULL, &p, &u) != BENC_E_AGAIN)
			abort();
	}
	if (benc_encode_alloc(v, &e1, &l1) != BENC_OK)
		abort();
	if (benc_decode(e1, l1, NULL, &w, &used2) != BENC_OK || used2 != l1)
		abort();
	if (!json_equal(v, w))
		abort();
	if (benc_encode_alloc(w, &e2, &l2) != BENC_OK || l1 != l2 ||
	    memcmp(e1, e2, l1) != 0)
		abort();
	/* The canonical form is never longer than the input. */
	if (l1 > used)
		abort();
	free(e1);
	free(e2);
	json_decref(v);
	json_decref(w);
	return 0;
}
