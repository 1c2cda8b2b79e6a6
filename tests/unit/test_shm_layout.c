/*
 * shm_layout.h: frozen sizes, segment geometry, header checks, word packing.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "shm_layout.h"

Test(shm_layout, frozen_sizes)
{
	cr_assert_eq(sizeof(struct shm_hdr), 64);
	cr_assert_eq(sizeof(struct shm_totals), 128);
	cr_assert_eq(sizeof(struct shm_slot), 576);
	cr_assert_eq(sizeof(struct cdr_rec), 576);
	cr_assert_eq(sizeof(struct shm_ring), 64);
	cr_assert_eq(sizeof(struct shm_ack), 64);
	cr_assert_eq(_Alignof(struct shm_slot), 64);
	cr_assert_eq(_Alignof(struct shm_ack), 64);
	/* Two writers' fields never share a line: the totals' second line starts at 64. */
	cr_assert_eq(offsetof(struct shm_totals, wt_ring_anomaly) % 64, 0);
}

Test(shm_layout, geometry_offsets)
{
	struct shm_geom g;

	cr_assert_eq(shm_geom_worker(4, 8, &g), SHM_OK);
	cr_assert_eq(g.sg_totals_off, 64);
	cr_assert_eq(g.sg_slots_off, 64 + 128);
	cr_assert_eq(g.sg_ring_off, 64 + 128 + 4 * 576);
	cr_assert_eq(g.sg_size, 64 + 128 + 4 * 576 + 64 + 8 * 576);
	cr_assert_eq(g.sg_slots_off % 64, 0);
	cr_assert_eq(g.sg_ring_off % 64, 0);
	cr_assert_eq(shm_ack_size(3), 64 + 3 * 64);
}

Test(shm_layout, geometry_rejects)
{
	struct shm_geom g;

	cr_assert_eq(shm_geom_worker(0, 8, &g), SHM_E_GEOM);
	cr_assert_eq(shm_geom_worker(1, 0, &g), SHM_E_GEOM);
	cr_assert_eq(shm_geom_worker(1, 12, &g), SHM_E_GEOM);
	cr_assert_eq(shm_geom_worker(SHM_MAX_SLOTS + 1, 8, &g), SHM_E_GEOM);
	cr_assert_eq(shm_geom_worker(1, SHM_MAX_RING * 2, &g), SHM_E_GEOM);
	cr_assert_eq(shm_geom_worker(SHM_MAX_SLOTS, SHM_MAX_RING, &g), SHM_OK);
	cr_assert_eq(shm_ack_size(0), 0);
	cr_assert_eq(shm_ack_size(SHM_MAX_WORKERS + 1), 0);
}

static struct shm_hdr *
make_worker_hdr(size_t *len)
{
	struct shm_geom g;
	struct shm_hdr *h;

	cr_assert_eq(shm_geom_worker(16, 32, &g), SHM_OK);
	h = aligned_alloc(64, (g.sg_size + 63) & ~(size_t)63);
	cr_assert_not_null(h);
	memset(h, 0, g.sg_size);
	cr_assert_eq(shm_hdr_init(h, SHM_KIND_WORKER, 16, 32, 3, 7, 0x1122334455667788ull),
	    SHM_OK);
	*len = g.sg_size;
	return h;
}

Test(shm_layout, header_check_accepts)
{
	struct shm_geom g;
	size_t len;
	struct shm_hdr *h = make_worker_hdr(&len);

	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, &g), SHM_OK);
	cr_assert_eq(g.sg_size, len);
	cr_assert_eq(h->sh_worker_index, 3);
	cr_assert_eq(h->sh_epoch, 7);
	cr_assert_eq(shm_seg_slots(h, &g), (struct shm_slot *)((char *)h + 192));
	free(h);
}

Test(shm_layout, header_check_refuses_skew)
{
	size_t len;
	struct shm_hdr *h = make_worker_hdr(&len), saved = *h;

	cr_assert_eq(shm_hdr_check(h, len - 1, SHM_KIND_WORKER, NULL), SHM_E_SHORT);
	cr_assert_eq(shm_hdr_check(h, 10, SHM_KIND_WORKER, NULL), SHM_E_SHORT);
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_ACK, NULL), SHM_E_KIND);
	h->sh_magic ^= 1;
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_E_MAGIC);
	*h = saved;
	h->sh_layout_version++;
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_E_VERSION);
	*h = saved;
	h->sh_slot_size += 64;
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_E_SIZES);
	*h = saved;
	h->sh_rec_size -= 8;
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_E_SIZES);
	*h = saved;
	h->sh_hdr_size = 128;
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_E_SIZES);
	*h = saved;
	h->sh_ring_len = 24;
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_E_GEOM);
	*h = saved;
	h->sh_n_slots = 17;	/* would reach past the mapping */
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_E_GEOM);
	h->sh_seg_size += 576;
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_E_SHORT);
	*h = saved;
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_OK);
	free(h);
}

Test(shm_layout, ack_header)
{
	size_t len = shm_ack_size(4);
	struct shm_hdr *h = aligned_alloc(64, len);

	cr_assert_eq(shm_hdr_init(h, SHM_KIND_ACK, 4, 0, 9, 0, 42), SHM_OK);
	cr_assert_eq(h->sh_worker_index, 0);
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_ACK, NULL), SHM_OK);
	cr_assert_eq(shm_hdr_check(h, len, SHM_KIND_WORKER, NULL), SHM_E_KIND);
	cr_assert_eq(shm_seg_acks(h), (struct shm_ack *)((char *)h + 64));
	cr_assert_eq(shm_hdr_init(h, SHM_KIND_ACK, 4, 8, 0, 0, 42), SHM_E_GEOM);
	cr_assert_eq(shm_hdr_init(h, 99, 4, 0, 0, 0, 42), SHM_E_KIND);
	free(h);
}

Test(shm_layout, pack_str_round_trip)
{
	_Atomic uint64_t w[SHM_W(SHM_CALLID_LEN)];
	char out[SHM_CALLID_LEN], in[SHM_CALLID_LEN + 10];
	size_t n;

	for (n = 0; n <= SHM_CALLID_LEN; n++) {
		memset(in, 0, sizeof(in));
		for (size_t i = 0; i < n; i++)
			in[i] = (char)(0x21 + (i * 7) % 0x5e);
		cr_assert_not(shm_pack_str(w, SHM_W(SHM_CALLID_LEN), in, n));
		shm_unpack_str(w, SHM_W(SHM_CALLID_LEN), out);
		cr_assert_eq(memcmp(out, in, n), 0, "len %zu", n);
		for (size_t i = n; i < sizeof(out); i++)
			cr_assert_eq(out[i], 0, "padding at %zu for len %zu", i, n);
	}
	/* One byte too many: truncated, flagged, the field still full. */
	memset(in, 'x', sizeof(in));
	cr_assert(shm_pack_str(w, SHM_W(SHM_CALLID_LEN), in, SHM_CALLID_LEN + 1));
	shm_unpack_str(w, SHM_W(SHM_CALLID_LEN), out);
	cr_assert_eq(memcmp(out, in, SHM_CALLID_LEN), 0);
	/* A NUL ends the string even if len says more. */
	cr_assert_not(shm_pack_str(w, SHM_W(SHM_CALLID_LEN), "ab\0cd", 5));
	shm_unpack_str(w, SHM_W(SHM_CALLID_LEN), out);
	cr_assert_str_eq(out, "ab");
	cr_assert_eq(out[3], 0);
	/* High bytes survive (no sign extension into neighbours). */
	cr_assert_not(shm_pack_str(w, 1, "\xff\x80\x01", 3));
	shm_unpack_str(w, 1, out);
	cr_assert_eq(memcmp(out, "\xff\x80\x01\0\0\0\0\0", 8), 0);
}

Test(shm_layout, pack_addr_round_trip)
{
	_Atomic uint64_t w[SHM_ADDR_WORDS];
	struct shm_addr a, b;
	int i;

	memset(&a, 0, sizeof(a));
	a.sa_family = SHM_AF_INET6;
	a.sa_port = 65535;
	for (i = 0; i < 16; i++)
		a.sa_addr[i] = (uint8_t)(0xf0 + i);
	shm_pack_addr(w, &a);
	shm_unpack_addr(w, &b);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);

	memset(&a, 0, sizeof(a));
	a.sa_family = SHM_AF_INET;
	a.sa_port = 1;
	memcpy(a.sa_addr, "\xc0\x00\x02\x0a", 4);
	shm_pack_addr(w, &a);
	shm_unpack_addr(w, &b);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
}

Test(shm_layout, info_round_trip)
{
	struct shm_info a = { 1, 2, { 3, 4 }, { 5, 6 }, 0xfe, 0xff }, b;

	shm_info_unpack(shm_info_pack(&a), &b);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
}
