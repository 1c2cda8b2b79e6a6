#ifndef APPSHARE_TEST_UTIL_H
#define APPSHARE_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parse hex text ("00 58 00 01 ..." with any whitespace, '#' comments to end of line)
 * into out.  Returns the number of bytes, or -1 on a bad digit or overflow.
 */
long	tu_hex_parse(const char *text, uint8_t *out, size_t cap);

/* Hex dump of a, b side by side from the first difference, for assertion messages. */
void	tu_hex_diff(const char *what, const uint8_t *a, size_t alen,
	    const uint8_t *b, size_t blen);

/* A hex text file below APPSHARE_TEST_DATA parsed with tu_hex_parse(): bytes or -1. */
long	tu_hex_file(const char *path, uint8_t *out, size_t cap);

/* true if a equals b; otherwise prints tu_hex_diff() and returns false. */
bool	tu_bytes_same(const char *what, const uint8_t *a, size_t alen,
	    const uint8_t *b, size_t blen);

/* Read a whole file below APPSHARE_TEST_DATA (relative path) or an absolute path.
 * Returns a malloc'd NUL-terminated buffer and its length; aborts the test on error. */
char	*tu_read_file(const char *path, size_t *len);

/* Deterministic RNG (splitmix64): tests pass it where production passes getrandom(). */
struct tu_rng {
	uint64_t	state;
};
void		tu_rng_seed(struct tu_rng *, uint64_t seed);
uint64_t	tu_rng_next(struct tu_rng *);
void		tu_rng_bytes(struct tu_rng *, void *buf, size_t len);
/* Adapter with the signature pure modules take: void (*)(void *ctx, void *buf, size_t len). */
void		tu_rng_fill(void *ctx, void *buf, size_t len);

/* Fake clock in milliseconds: tests advance it explicitly. */
struct tu_clock {
	uint64_t	now_ms;
};

/* A fresh temporary directory (mkdtemp); removed by tu_tmpdir_remove. */
char	*tu_tmpdir(void);
void	 tu_tmpdir_remove(char *dir);

#endif
