/*
 * Port allocator: a "busy" bitmap (in use or quarantined) for the pick, a "quar"
 * bitmap to tell the two apart, and a FIFO of quarantined ports (see ports.h).
 *
 * The pick is uniform over the free ports: rnd selects the k-th free port, found by
 * popcounting whole words.  Scanning from a random start instead would favour ports
 * just after long busy runs, which makes the next port easier to guess.
 */
#include "ports.h"

#include <stdlib.h>
#include <string.h>

const char *
ports_strerror(int rc)
{
	switch (rc) {
	case PORTS_OK:
		return "success";
	case PORTS_E_EXHAUSTED:
		return "Ran out of ports";
	case PORTS_E_RANGE:
		return "port outside the media port range";
	case PORTS_E_INUSE:
		return "port already in use";
	case PORTS_E_QUARANTINED:
		return "port in quarantine";
	case PORTS_E_NOTUSED:
		return "port not in use";
	case PORTS_E_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

static bool
ports_bit(const uint64_t *map, uint32_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void
ports_set(uint64_t *map, uint32_t i)
{
	map[i / 64] |= (uint64_t)1 << (i % 64);
}

static void
ports_clear(uint64_t *map, uint32_t i)
{
	map[i / 64] &= ~((uint64_t)1 << (i % 64));
}

int
ports_init(struct ports *p, uint16_t min, uint16_t max, uint64_t quarantine_ms)
{
	uint32_t n, words;
	size_t maps, size;
	char *mem;

	memset(p, 0, sizeof(*p));
	if (min == 0 || max < min)
		return PORTS_E_RANGE;
	n = (uint32_t)max - min + 1;
	words = (n + 63) / 64;
	/* Layout: busy, quar (words each), until[n], port[n]; 8-byte items first. */
	maps = 2 * (size_t)words * sizeof(uint64_t);
	size = maps + (size_t)n * sizeof(uint64_t) + (size_t)n * sizeof(uint16_t);
	if ((mem = calloc(1, size)) == NULL)
		return PORTS_E_NOMEM;
	p->pt_min = min;
	p->pt_max = max;
	p->pt_n = n;
	p->pt_words = words;
	p->pt_quarantine_ms = quarantine_ms;
	p->pt_mem = mem;
	p->pt_busy = (uint64_t *)(void *)mem;
	p->pt_quar = p->pt_busy + words;
	p->pt_q_until = p->pt_quar + words;
	p->pt_q_port = (uint16_t *)(void *)(p->pt_q_until + n);
	/* Bits past the end of the range are permanently busy, so no pick lands there. */
	for (uint32_t i = n; i < words * 64; i++)
		ports_set(p->pt_busy, i);
	return PORTS_OK;
}

void
ports_free(struct ports *p)
{
	free(p->pt_mem);
	memset(p, 0, sizeof(*p));
}

void
ports_expire(struct ports *p, uint64_t now_ms)
{
	while (p->pt_q_len > 0 && p->pt_q_until[p->pt_q_head] <= now_ms) {
		uint32_t i = (uint32_t)p->pt_q_port[p->pt_q_head] - p->pt_min;

		ports_clear(p->pt_quar, i);
		ports_clear(p->pt_busy, i);
		p->pt_quarantined--;
		p->pt_q_head = (p->pt_q_head + 1) % p->pt_n;
		p->pt_q_len--;
	}
}

/* Index of the k-th (0-based) clear bit of x; k < number of clear bits. */
static unsigned
ports_kth_clear(uint64_t x, uint32_t k)
{
	uint64_t free_bits = ~x;

	while (k-- > 0)
		free_bits &= free_bits - 1;	/* drop the lowest free bit */
	return (unsigned)__builtin_ctzll(free_bits);
}

int
ports_alloc(struct ports *p, uint64_t now_ms, uint32_t rnd, uint16_t *port)
{
	uint32_t nfree, k, w;

	if (p->pt_mem == NULL)
		return PORTS_E_RANGE;
	ports_expire(p, now_ms);
	nfree = p->pt_n - p->pt_in_use - p->pt_quarantined;
	if (nfree == 0)
		return PORTS_E_EXHAUSTED;
	/* Modulo bias is below nfree / 2^32, far under anything an attacker can see. */
	k = rnd % nfree;
	for (w = 0; w < p->pt_words; w++) {
		uint32_t c = 64 - (uint32_t)__builtin_popcountll(p->pt_busy[w]);

		if (k < c) {
			uint32_t i = w * 64 + ports_kth_clear(p->pt_busy[w], k);

			ports_set(p->pt_busy, i);
			p->pt_in_use++;
			*port = (uint16_t)(p->pt_min + i);
			return PORTS_OK;
		}
		k -= c;
	}
	/* The counters disagree with the bitmap: report exhaustion rather than guess. */
	return PORTS_E_EXHAUSTED;
}

int
ports_reserve(struct ports *p, uint64_t now_ms, uint16_t port)
{
	uint32_t i;

	if (p->pt_mem == NULL || port < p->pt_min || port > p->pt_max)
		return PORTS_E_RANGE;
	ports_expire(p, now_ms);
	i = (uint32_t)port - p->pt_min;
	if (ports_bit(p->pt_quar, i))
		return PORTS_E_QUARANTINED;
	if (ports_bit(p->pt_busy, i))
		return PORTS_E_INUSE;
	ports_set(p->pt_busy, i);
	p->pt_in_use++;
	return PORTS_OK;
}

int
ports_release(struct ports *p, uint64_t now_ms, uint16_t port)
{
	uint32_t i, tail;

	if (p->pt_mem == NULL || port < p->pt_min || port > p->pt_max)
		return PORTS_E_RANGE;
	i = (uint32_t)port - p->pt_min;
	if (!ports_bit(p->pt_busy, i) || ports_bit(p->pt_quar, i))
		return PORTS_E_NOTUSED;
	p->pt_in_use--;
	if (p->pt_quarantine_ms == 0) {
		ports_clear(p->pt_busy, i);
		return PORTS_OK;
	}
	/* The queue cannot be full: this port was in use, so it is not in the queue. */
	tail = (p->pt_q_head + p->pt_q_len) % p->pt_n;
	p->pt_q_until[tail] = now_ms > UINT64_MAX - p->pt_quarantine_ms ? UINT64_MAX :
	    now_ms + p->pt_quarantine_ms;
	p->pt_q_port[tail] = port;
	p->pt_q_len++;
	ports_set(p->pt_quar, i);
	p->pt_quarantined++;
	return PORTS_OK;
}

void
ports_stats(struct ports *p, uint64_t now_ms, struct ports_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (p->pt_mem == NULL)
		return;
	ports_expire(p, now_ms);
	st->ps_total = p->pt_n;
	st->ps_in_use = p->pt_in_use;
	st->ps_quarantined = p->pt_quarantined;
	st->ps_free = p->pt_n - p->pt_in_use - p->pt_quarantined;
}

bool
ports_in_use(const struct ports *p, uint16_t port)
{
	uint32_t i;

	if (p->pt_mem == NULL || port < p->pt_min || port > p->pt_max)
		return false;
	i = (uint32_t)port - p->pt_min;
	return ports_bit(p->pt_busy, i) && !ports_bit(p->pt_quar, i);
}

bool
ports_next_expiry(const struct ports *p, uint64_t *until_ms)
{
	if (p->pt_q_len == 0)
		return false;
	*until_ms = p->pt_q_until[p->pt_q_head];
	return true;
}
