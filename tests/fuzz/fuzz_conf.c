/*
 * libFuzzer target for master/conf.c: any bytes into conf_parse(); an accepted
 * configuration is printed and re-parsed, and the two must be equal (the -n -v output
 * is itself a valid configuration file).  Errors must carry a message and, when tied
 * to a line, a line that exists.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[16384], out2[16384];
	struct as_conf a, b;
	struct conf_err err;
	size_t n, n2, lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (conf_parse((const char *)data, size, &a, &err) != 0) {
		if (err.ce_msg[0] == '\0' || err.ce_line > lines ||
		    memchr(err.ce_msg, '\0', sizeof(err.ce_msg)) == NULL)
			abort();
		return 0;
	}
	n = conf_print(&a, out, sizeof(out));
	if (n >= sizeof(out))
		abort();
	if (conf_parse(out, n, &b, &err) != 0)
		abort();
	if (!conf_equal(&a, &b))
		abort();
	/* The printed form is a fixed point. */
	n2 = conf_print(&b, out2, sizeof(out2));
	if (n2 != n || memcmp(out, out2, n) != 0)
		abort();
	return 0;
}
