/*
 * cdr_format() on arbitrary records: a compromised worker controls every byte of a
 * cdr_rec in its ring, so any record must give exactly one valid RFC 4180 line of
 * CDR_NFIELDS fields, and no buffer size may make the formatter write past its end.
 *
 * Input: the first bytes become the record (zero-filled if short); one more byte, if
 * present, picks a too-small buffer size to try as well.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdr_fmt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field count of one CRLF-terminated RFC 4180 line, or -1 if it is not one. */
static int
fuzz_csv_fields(const char *s, size_t n)
{
	size_t i;
	int fields = 1, inq = 0;

	if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n')
		return -1;
	n -= 2;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			return -1;
		if (inq) {
			if (c == '"') {
				if (i + 1 < n && s[i + 1] == '"')
					i++;
				else {
					inq = 0;
					if (i + 1 < n && s[i + 1] != ',')
						return -1;
				}
			}
		} else if (c == '"') {
			if (i > 0 && s[i - 1] != ',')
				return -1;
			inq = 1;
		} else if (c == ',')
			fields++;
	}
	return inq ? -1 : fields;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cdr_rec r;
	char buf[CDR_LINE_MAX], *small;
	size_t n, m, cut;

	memset(&r, 0, sizeof(r));
	memcpy(&r, data, size < sizeof(r) ? size : sizeof(r));
	if (cdr_format(&r, buf, sizeof(buf), &n) != CDR_OK)
		abort();
	if (strlen(buf) != n || fuzz_csv_fields(buf, n) != CDR_NFIELDS)
		abort();
	if (size > sizeof(r)) {
		/* A heap buffer of exactly cut bytes: ASan sees any write past it. */
		cut = data[sizeof(r)] * n / 255;
		if ((small = malloc(cut > 0 ? cut : 1)) == NULL)
			return 0;
		if (cdr_format(&r, cut > 0 ? small : NULL, cut, &m) != (cut > n ? CDR_OK :
		    CDR_E_SPACE))
			abort();
		free(small);
	}
	return 0;
}
