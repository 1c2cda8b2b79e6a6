#include "test_util.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef APPSHARE_TEST_DATA
#define APPSHARE_TEST_DATA "tests/data"
#endif

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long
tu_hex_parse(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '#') {
			while (*p != '\0' && *p != '\n')
				p++;
			if (*p == '\0')
				break;
			continue;
		}
		if (isspace((unsigned char)*p))
			continue;
		int v = hexval((unsigned char)*p);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (long)n : -1;
}

void
tu_hex_diff(const char *what, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i = 0, max = alen > blen ? alen : blen;

	while (i < alen && i < blen && a[i] == b[i])
		i++;
	fprintf(stderr, "%s: lengths %zu/%zu, first difference at %zu\n", what, alen, blen, i);
	for (size_t row = i & ~(size_t)15; row < max && row < i + 64; row += 16) {
		fprintf(stderr, "%04zx got ", row);
		for (size_t k = row; k < row + 16; k++)
			k < alen ? fprintf(stderr, "%02x ", a[k]) : fprintf(stderr, "   ");
		fprintf(stderr, " want ");
		for (size_t k = row; k < row + 16 && k < blen; k++)
			fprintf(stderr, "%02x ", b[k]);
		fprintf(stderr, "\n");
	}
}

long
tu_hex_file(const char *path, uint8_t *out, size_t cap)
{
	char *text = tu_read_file(path, NULL);
	long n = tu_hex_parse(text, out, cap);

	free(text);
	return n;
}

bool
tu_bytes_same(const char *what, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen)
{
	if (alen == blen && memcmp(a, b, alen) == 0)
		return true;
	tu_hex_diff(what, a, alen, b, blen);
	return false;
}

char *
tu_read_file(const char *path, size_t *len)
{
	char full[4096];
	FILE *f;
	char *buf;
	long sz;

	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", APPSHARE_TEST_DATA, path);
	if ((f = fopen(full, "rb")) == NULL) {
		fprintf(stderr, "cannot open %s\n", full);
		abort();
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		abort();
	if ((buf = malloc((size_t)sz + 1)) == NULL)
		abort();
	if (fread(buf, 1, (size_t)sz, f) != (size_t)sz)
		abort();
	fclose(f);
	buf[sz] = '\0';
	if (len != NULL)
		*len = (size_t)sz;
	return buf;
}

void
tu_rng_seed(struct tu_rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t
tu_rng_next(struct tu_rng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void
tu_rng_bytes(struct tu_rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		uint64_t v = tu_rng_next(r);
		size_t n = len < 8 ? len : 8;

		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

void
tu_rng_fill(void *ctx, void *buf, size_t len)
{
	tu_rng_bytes(ctx, buf, len);
}

char *
tu_tmpdir(void)
{
	char tmpl[] = "/tmp/appshare-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	if (d == NULL)
		abort();
	return strdup(d);
}

void
tu_tmpdir_remove(char *dir)
{
	DIR *d;
	struct dirent *e;
	char path[4096];

	if (dir == NULL)
		return;
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}
