/*
 * ring.h: SPSC ring of final records.
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"

struct fixture {
	struct shm_ring		*ring;
	_Atomic uint64_t	 tail;
	struct ring_prod	 p;
	struct ring_cons	 c;
};

static void
fx_init(struct fixture *f, uint32_t len)
{
	size_t sz = sizeof(struct shm_ring) + len * sizeof(struct cdr_rec);

	f->ring = aligned_alloc(64, sz);
	cr_assert_not_null(f->ring);
	memset(f->ring, 0, sz);
	atomic_store(&f->tail, 0);
	ring_prod_init(&f->p, f->ring, len, &f->tail);
	ring_cons_init(&f->c, f->ring, len, &f->tail);
}

static void
rec_make(struct cdr_rec *r, uint64_t n)
{
	memset(r, 0, sizeof(*r));
	r->cr_gen = n;
	r->cr_boot_id = ~n;
	r->cr_t_end_ms = n * 3;
	r->cr_leg[1].cl_octets[SHM_DIR_OUT] = n ^ 0xabcdef;
	memset(r->cr_callid, (int)('a' + n % 26), (size_t)(n % sizeof(r->cr_callid)));
}

static int
rec_ok(const struct cdr_rec *r, uint64_t n)
{
	struct cdr_rec want;

	rec_make(&want, n);
	return memcmp(&want, r, sizeof(want)) == 0;
}

Test(ring, empty_pop)
{
	struct fixture f;
	struct cdr_rec r;

	fx_init(&f, 4);
	cr_assert_eq(ring_pop(&f.c, &r), RING_EMPTY);
	free(f.ring);
}

Test(ring, fill_then_full_then_drain)
{
	struct fixture f;
	struct cdr_rec r;
	uint64_t n, space;

	fx_init(&f, 8);
	for (n = 0; n < 8; n++) {
		rec_make(&r, n);
		cr_assert_eq(ring_push(&f.p, &r), RING_OK, "push %llu", (unsigned long long)n);
	}
	rec_make(&r, 8);
	cr_assert_eq(ring_push(&f.p, &r), RING_FULL);
	cr_assert_eq(ring_prod_space(&f.p, &space), RING_OK);
	cr_assert_eq(space, 0);
	cr_assert_eq(atomic_load(&f.ring->rg_head), 8);
	cr_assert_eq(f.p.rp_anomalies, 0);
	for (n = 0; n < 8; n++) {
		cr_assert_eq(ring_pop(&f.c, &r), RING_OK);
		cr_assert(rec_ok(&r, n), "record %llu", (unsigned long long)n);
	}
	cr_assert_eq(ring_pop(&f.c, &r), RING_EMPTY);
	cr_assert_eq(atomic_load(&f.tail), 8);
	/* Room again after the drain. */
	rec_make(&r, 8);
	cr_assert_eq(ring_push(&f.p, &r), RING_OK);
	free(f.ring);
}

/* Many laps around a small ring, interleaved, so every position wraps many times. */
Test(ring, wrap_around)
{
	struct fixture f;
	struct cdr_rec r;
	uint64_t pushed = 0, popped = 0;
	int step;

	fx_init(&f, 4);
	for (step = 0; step < 1000; step++) {
		int burst = step % 5;

		while (burst-- > 0) {
			rec_make(&r, pushed);
			if (ring_push(&f.p, &r) == RING_FULL) {
				cr_assert_eq(pushed - popped, 4);
				break;
			}
			pushed++;
		}
		burst = step % 3 + 1;
		while (burst-- > 0) {
			int rc = ring_pop(&f.c, &r);

			if (rc == RING_EMPTY) {
				cr_assert_eq(pushed, popped);
				break;
			}
			cr_assert_eq(rc, RING_OK);
			cr_assert(rec_ok(&r, popped));
			popped++;
		}
	}
	cr_assert_gt(popped, 400);
	free(f.ring);
}

/* Indices far beyond 32 bits keep working: only the low bits pick the record. */
Test(ring, large_indices)
{
	struct fixture f;
	struct cdr_rec r;
	uint64_t base = (1ull << 40) - 3, n;

	fx_init(&f, 4);
	f.p.rp_head = base;
	atomic_store(&f.ring->rg_head, base);
	atomic_store(&f.tail, base);
	f.c.rc_tail_priv = base;
	for (n = 0; n < 4; n++) {
		rec_make(&r, n);
		cr_assert_eq(ring_push(&f.p, &r), RING_OK);
	}
	cr_assert_eq(ring_push(&f.p, &r), RING_FULL);
	for (n = 0; n < 4; n++) {
		cr_assert_eq(ring_pop(&f.c, &r), RING_OK);
		cr_assert(rec_ok(&r, n));
	}
	free(f.ring);
}

/* The worker never follows an impossible tail: it reports, counts, and treats as full. */
Test(ring, bogus_tail_is_clamped)
{
	struct fixture f;
	struct cdr_rec r;
	uint64_t space;

	fx_init(&f, 8);
	rec_make(&r, 0);
	cr_assert_eq(ring_push(&f.p, &r), RING_OK);
	cr_assert_eq(ring_push(&f.p, &r), RING_OK);

	atomic_store(&f.tail, 3);		/* tail > head */
	cr_assert_eq(ring_push(&f.p, &r), RING_ANOMALY);
	cr_assert_eq(ring_prod_space(&f.p, &space), RING_ANOMALY);
	cr_assert_eq(space, 0);
	cr_assert_eq(f.p.rp_anomalies, 2);
	cr_assert_eq(f.p.rp_head, 2, "head must not move on an anomaly");
	cr_assert_eq(atomic_load(&f.ring->rg_head), 2);

	atomic_store(&f.tail, UINT64_MAX);	/* wildly out of range */
	cr_assert_eq(ring_push(&f.p, &r), RING_ANOMALY);

	/* head - tail > len: a tail from before a previous lap. */
	f.p.rp_head = 20;
	atomic_store(&f.tail, 11);
	cr_assert_eq(ring_push(&f.p, &r), RING_ANOMALY);
	atomic_store(&f.tail, 12);		/* exactly full: legitimate */
	cr_assert_eq(ring_push(&f.p, &r), RING_FULL);
	atomic_store(&f.tail, 13);
	cr_assert_eq(ring_push(&f.p, &r), RING_OK);
	cr_assert_eq(f.p.rp_anomalies, 4);
	free(f.ring);
}

/* cdrd distrusts the head it reads from a worker's segment the same way. */
Test(ring, bogus_head_is_refused)
{
	struct fixture f;
	struct cdr_rec r;

	fx_init(&f, 8);
	atomic_store(&f.ring->rg_head, 9);	/* more than len ahead of tail 0 */
	cr_assert_eq(ring_pop(&f.c, &r), RING_ANOMALY);
	f.c.rc_tail_priv = 5;
	atomic_store(&f.ring->rg_head, 4);	/* behind the tail */
	cr_assert_eq(ring_pop(&f.c, &r), RING_ANOMALY);
	cr_assert_eq(f.c.rc_anomalies, 2);
	cr_assert_eq(f.c.rc_tail_priv, 5);
	cr_assert_eq(atomic_load(&f.tail), 0, "tail must not be published on an anomaly");
	free(f.ring);
}

#define XPROC_N		200000ull
#define XPROC_LEN	16u

/* A producer process and this consumer: every record exactly once, in order. */
Test(ring, cross_process_exactly_once_in_order, .timeout = 40)
{
	size_t ringsz = sizeof(struct shm_ring) + XPROC_LEN * sizeof(struct cdr_rec);
	size_t len = 64 + ringsz;
	struct ring_cons c;
	struct cdr_rec r;
	_Atomic uint64_t *tail;
	struct shm_ring *ring;
	uint64_t n = 0, empty = 0;
	struct timespec t0, t1;
	void *map;
	pid_t pid;
	int status;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(map, MAP_FAILED);
	tail = map;
	ring = (struct shm_ring *)((char *)map + 64);
	ring_cons_init(&c, ring, XPROC_LEN, tail);

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct ring_prod p;
		uint64_t k;
		int rc;

		ring_prod_init(&p, ring, XPROC_LEN, tail);
		for (k = 0; k < XPROC_N; k++) {
			rec_make(&r, k);
			while ((rc = ring_push(&p, &r)) == RING_FULL)
				sched_yield();
			if (rc != RING_OK)
				_exit(2);
		}
		_exit(p.rp_anomalies == 0 ? 0 : 3);
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < XPROC_N) {
		int rc = ring_pop(&c, &r);

		if (rc == RING_EMPTY) {
			if (++empty % 1024 == 0) {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				if (t1.tv_sec - t0.tv_sec > 30) {
					kill(pid, SIGKILL);
					waitpid(pid, &status, 0);
					cr_assert_fail("stalled at record %llu", (unsigned long long)n);
				}
			}
			sched_yield();
			continue;
		}
		cr_assert_eq(rc, RING_OK, "anomaly at record %llu", (unsigned long long)n);
		if (!rec_ok(&r, n)) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			cr_assert_fail("record %llu: got gen %llu or torn contents",
			    (unsigned long long)n, (unsigned long long)r.cr_gen);
		}
		n++;
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "producer status %d",
	    status);
	cr_assert_eq(ring_pop(&c, &r), RING_EMPTY, "a record arrived twice");
	cr_assert_eq(c.rc_anomalies, 0);
	munmap(map, len);
}
