/*
 * Tests of master/ports.c: exhaustion, quarantine with a fake clock, uniform random
 * picks, reserve and release errors, the smallest and the largest ranges.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "ports.h"
#include "test_util.h"

static void
assert_stats(struct ports *p, uint64_t now, uint32_t fr, uint32_t used, uint32_t quar)
{
	struct ports_stats st;

	ports_stats(p, now, &st);
	cr_assert_eq(st.ps_free, fr, "free %u, want %u", st.ps_free, fr);
	cr_assert_eq(st.ps_in_use, used, "in use %u, want %u", st.ps_in_use, used);
	cr_assert_eq(st.ps_quarantined, quar, "quarantined %u, want %u",
	    st.ps_quarantined, quar);
	cr_assert_eq(st.ps_total, fr + used + quar);
}

Test(ports, init_rejects_bad_ranges)
{
	struct ports p;

	cr_assert_eq(ports_init(&p, 0, 10, 0), PORTS_E_RANGE);
	cr_assert_eq(ports_init(&p, 11, 10, 0), PORTS_E_RANGE);
	/* A failed init leaves a struct the other calls refuse cleanly. */
	uint16_t port;
	cr_assert_eq(ports_alloc(&p, 0, 1, &port), PORTS_E_RANGE);
	cr_assert_eq(ports_release(&p, 0, 10), PORTS_E_RANGE);
	ports_free(&p);
}

Test(ports, exhaustion_after_exactly_range_allocations)
{
	struct ports p;
	struct tu_rng rng;
	uint8_t seen[200] = { 0 };
	uint16_t port;

	tu_rng_seed(&rng, 1);
	cr_assert_eq(ports_init(&p, 1000, 1199, 0), PORTS_OK);
	for (int i = 0; i < 200; i++) {
		cr_assert_eq(ports_alloc(&p, 0, (uint32_t)tu_rng_next(&rng), &port), PORTS_OK,
		    "allocation %d failed", i);
		cr_assert(port >= 1000 && port <= 1199);
		cr_assert_eq(seen[port - 1000], 0, "port %u handed out twice", port);
		seen[port - 1000] = 1;
		cr_assert(ports_in_use(&p, port));
	}
	cr_assert_eq(ports_alloc(&p, 0, 12345, &port), PORTS_E_EXHAUSTED);
	cr_assert_str_eq(ports_strerror(PORTS_E_EXHAUSTED), "Ran out of ports");
	assert_stats(&p, 0, 0, 200, 0);
	/* Zero quarantine: a released port is free at once. */
	cr_assert_eq(ports_release(&p, 0, 1100), PORTS_OK);
	cr_assert_eq(ports_alloc(&p, 0, 999, &port), PORTS_OK);
	cr_assert_eq(port, 1100);
	ports_free(&p);
}

Test(ports, quarantine_is_honoured)
{
	struct ports p;
	struct tu_clock clk = { 1000000 };
	uint16_t port, a, b;

	cr_assert_eq(ports_init(&p, 5000, 5002, 60000), PORTS_OK);
	cr_assert_eq(ports_alloc(&p, clk.now_ms, 0, &a), PORTS_OK);
	cr_assert_eq(ports_alloc(&p, clk.now_ms, 0, &b), PORTS_OK);
	cr_assert_eq(ports_alloc(&p, clk.now_ms, 0, &port), PORTS_OK);
	cr_assert_eq(ports_release(&p, clk.now_ms, a), PORTS_OK);
	cr_assert_not(ports_in_use(&p, a));
	assert_stats(&p, clk.now_ms, 0, 2, 1);

	uint64_t until;
	cr_assert(ports_next_expiry(&p, &until));
	cr_assert_eq(until, clk.now_ms + 60000);
	/* Not before the quarantine ends, whatever the random value. */
	clk.now_ms += 59999;
	for (uint32_t r = 0; r < 10; r++)
		cr_assert_eq(ports_alloc(&p, clk.now_ms, r, &port), PORTS_E_EXHAUSTED);
	cr_assert_eq(ports_reserve(&p, clk.now_ms, a), PORTS_E_QUARANTINED);
	cr_assert_eq(ports_release(&p, clk.now_ms, a), PORTS_E_NOTUSED,
	    "a double release must not restart the quarantine");
	/* At the end of the quarantine it is free again. */
	clk.now_ms += 1;
	assert_stats(&p, clk.now_ms, 1, 2, 0);
	cr_assert_not(ports_next_expiry(&p, &until));
	cr_assert_eq(ports_alloc(&p, clk.now_ms, 77, &port), PORTS_OK);
	cr_assert_eq(port, a);
	ports_free(&p);
}

Test(ports, quarantine_expires_in_release_order)
{
	struct ports p;
	uint16_t port;

	cr_assert_eq(ports_init(&p, 10, 19, 1000), PORTS_OK);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(ports_reserve(&p, 0, (uint16_t)(10 + i)), PORTS_OK);
	/* Release one port per 100 ms: they come back one per 100 ms. */
	for (int i = 0; i < 10; i++)
		cr_assert_eq(ports_release(&p, (uint64_t)i * 100, (uint16_t)(19 - i)), PORTS_OK);
	for (int i = 0; i < 10; i++) {
		uint64_t now = 1000 + (uint64_t)i * 100;

		/* Ports released in earlier rounds are in their second quarantine. */
		assert_stats(&p, now - 1, 0, 0, 10);
		cr_assert_eq(ports_reserve(&p, now, (uint16_t)(19 - i)), PORTS_OK);
		cr_assert_eq(ports_release(&p, now, (uint16_t)(19 - i)), PORTS_OK);
	}
	/* The queue wrapped around: everything is quarantined again, in a new order. */
	assert_stats(&p, 1900, 0, 0, 10);
	cr_assert_eq(ports_alloc(&p, 1999, 0, &port), PORTS_E_EXHAUSTED);
	cr_assert_eq(ports_alloc(&p, 2000, 0, &port), PORTS_OK);
	cr_assert_eq(port, 19);
	assert_stats(&p, 2900, 9, 1, 0);
	ports_free(&p);
}

Test(ports, randomisation_covers_the_range_uniformly)
{
	struct ports p;
	struct tu_rng rng;
	uint32_t hits[100] = { 0 };
	uint16_t port;

	tu_rng_seed(&rng, 42);
	cr_assert_eq(ports_init(&p, 30000, 30099, 0), PORTS_OK);
	for (int i = 0; i < 100000; i++) {
		cr_assert_eq(ports_alloc(&p, 0, (uint32_t)tu_rng_next(&rng), &port), PORTS_OK);
		hits[port - 30000]++;
		cr_assert_eq(ports_release(&p, 0, port), PORTS_OK);
	}
	/* 1000 expected per port; 6 sigma is about 190. */
	for (int i = 0; i < 100; i++)
		cr_assert(hits[i] > 800 && hits[i] < 1200, "port %d: %u hits", 30000 + i,
		    hits[i]);
	/* With half the ports busy, picks still spread over the free half only. */
	for (uint16_t q = 30000; q < 30100; q += 2)
		cr_assert_eq(ports_reserve(&p, 0, q), PORTS_OK);
	memset(hits, 0, sizeof(hits));
	for (int i = 0; i < 50000; i++) {
		cr_assert_eq(ports_alloc(&p, 0, (uint32_t)tu_rng_next(&rng), &port), PORTS_OK);
		hits[port - 30000]++;
		cr_assert_eq(ports_release(&p, 0, port), PORTS_OK);
	}
	for (int i = 0; i < 100; i++) {
		if (i % 2 == 0)
			cr_assert_eq(hits[i], 0);
		else
			cr_assert(hits[i] > 800 && hits[i] < 1200, "port %d: %u hits",
			    30000 + i, hits[i]);
	}
	ports_free(&p);
}

Test(ports, rnd_selects_the_kth_free_port)
{
	struct ports p;
	uint16_t port;

	cr_assert_eq(ports_init(&p, 100, 299, 0), PORTS_OK);
	for (uint32_t k = 0; k < 200; k++) {
		cr_assert_eq(ports_alloc(&p, 0, k, &port), PORTS_OK);
		cr_assert_eq(port, 100 + k);
		cr_assert_eq(ports_release(&p, 0, port), PORTS_OK);
	}
	/* rnd is taken modulo the free count. */
	cr_assert_eq(ports_alloc(&p, 0, 200 + 65, &port), PORTS_OK);
	cr_assert_eq(port, 165);
	cr_assert_eq(ports_alloc(&p, 0, UINT32_MAX, &port), PORTS_OK);
	ports_free(&p);
}

Test(ports, reserve_and_release_errors)
{
	struct ports p;
	uint16_t port;

	cr_assert_eq(ports_init(&p, 2000, 2099, 1000), PORTS_OK);
	cr_assert_eq(ports_reserve(&p, 0, 2050), PORTS_OK);
	cr_assert_eq(ports_reserve(&p, 0, 2050), PORTS_E_INUSE);
	cr_assert_eq(ports_reserve(&p, 0, 1999), PORTS_E_RANGE);
	cr_assert_eq(ports_reserve(&p, 0, 2100), PORTS_E_RANGE);
	cr_assert_eq(ports_release(&p, 0, 2051), PORTS_E_NOTUSED);
	cr_assert_eq(ports_release(&p, 0, 1), PORTS_E_RANGE);
	cr_assert_eq(ports_release(&p, 0, 2050), PORTS_OK);
	cr_assert_eq(ports_release(&p, 0, 2050), PORTS_E_NOTUSED);
	/* An allocated port cannot be reserved, and a reserved one is never allocated. */
	cr_assert_eq(ports_alloc(&p, 0, 7, &port), PORTS_OK);
	cr_assert_eq(ports_reserve(&p, 0, port), PORTS_E_INUSE);
	cr_assert_str_eq(ports_strerror(PORTS_E_INUSE), "port already in use");
	cr_assert_str_eq(ports_strerror(42), "unknown error");
	assert_stats(&p, 0, 98, 1, 1);
	ports_free(&p);
}

Test(ports, range_of_one_port)
{
	struct ports p;
	uint16_t port;

	cr_assert_eq(ports_init(&p, 65535, 65535, 10), PORTS_OK);
	cr_assert_eq(ports_alloc(&p, 0, 123456, &port), PORTS_OK);
	cr_assert_eq(port, 65535);
	cr_assert_eq(ports_alloc(&p, 0, 0, &port), PORTS_E_EXHAUSTED);
	cr_assert_eq(ports_release(&p, 5, 65535), PORTS_OK);
	cr_assert_eq(ports_alloc(&p, 14, 0, &port), PORTS_E_EXHAUSTED);
	cr_assert_eq(ports_alloc(&p, 15, 0, &port), PORTS_OK);
	cr_assert_eq(port, 65535);
	ports_free(&p);
	cr_assert_eq(ports_init(&p, 1, 1, 0), PORTS_OK);
	cr_assert_eq(ports_alloc(&p, 0, 9, &port), PORTS_OK);
	cr_assert_eq(port, 1);
	ports_free(&p);
}

Test(ports, full_range_1024_to_65535)
{
	struct ports p;
	struct tu_rng rng;
	uint8_t *seen = calloc(65536, 1);
	uint16_t port;

	tu_rng_seed(&rng, 7);
	cr_assert_eq(ports_init(&p, 1024, 65535, 30000), PORTS_OK);
	assert_stats(&p, 0, 64512, 0, 0);
	for (int i = 0; i < 64512; i++) {
		cr_assert_eq(ports_alloc(&p, 0, (uint32_t)tu_rng_next(&rng), &port), PORTS_OK);
		cr_assert(port >= 1024);
		cr_assert_eq(seen[port], 0);
		seen[port] = 1;
	}
	cr_assert_eq(ports_alloc(&p, 0, 1, &port), PORTS_E_EXHAUSTED);
	/* Release them all: every one is quarantined, then all come back at once. */
	for (uint32_t q = 1024; q <= 65535; q++)
		cr_assert_eq(ports_release(&p, 100, (uint16_t)q), PORTS_OK);
	assert_stats(&p, 30099, 0, 0, 64512);
	cr_assert_eq(ports_alloc(&p, 30099, 1, &port), PORTS_E_EXHAUSTED);
	assert_stats(&p, 30100, 64512, 0, 0);
	cr_assert_eq(ports_alloc(&p, 30100, 64511, &port), PORTS_OK);
	cr_assert_eq(port, 65535);
	ports_free(&p);
	free(seen);
}

Test(ports, huge_now_does_not_wrap)
{
	struct ports p;
	uint16_t port;

	cr_assert_eq(ports_init(&p, 10, 11, 5000), PORTS_OK);
	cr_assert_eq(ports_reserve(&p, 0, 10), PORTS_OK);
	cr_assert_eq(ports_release(&p, UINT64_MAX - 10, 10), PORTS_OK);
	cr_assert_eq(ports_reserve(&p, UINT64_MAX - 1, 10), PORTS_E_QUARANTINED);
	cr_assert_eq(ports_alloc(&p, UINT64_MAX - 1, 0, &port), PORTS_OK);
	cr_assert_eq(port, 11);
	ports_free(&p);
}
