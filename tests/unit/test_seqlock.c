/*
 * seqlock.h + snapshot.c across processes: a forked writer rewrites slots continuously
 * with a self-consistent pattern while the parent snapshots them; no SNAP_OK copy may
 * ever mix two writes.  Also: the writer that dies with an odd seq.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seqlock.h"
#include "snapshot.h"

#define RUN_MS		1500
#define NSLOTS		2

struct ctl {
	_Alignas(64) _Atomic int	stop;
	_Alignas(64) _Atomic uint64_t	writes;	/* W: child */
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Everything in the slot is a function of (slot index, k); the length of the text
 * fields varies with k so a torn copy also shows in the NUL padding. */
static void
pattern(struct snap *sn, int idx, uint64_t k)
{
	int l, d, e;

	memset(sn, 0, sizeof(*sn));
	sn->sn_state = (uint32_t)(k % 3) + 1;
	sn->sn_gen = k;
	sn->sn_info.si_media = (uint8_t)k;
	sn->sn_info.si_proto = (uint8_t)(k >> 8);
	sn->sn_info.si_dialect[0] = (uint8_t)idx;
	sn->sn_info.si_flags = (uint8_t)(k * 3);
	sn->sn_t_start_ms = k;
	sn->sn_t_ice_ms = k + 1;
	sn->sn_t_last_ms = k + 2;
	for (l = 0; l < SHM_NLEGS; l++) {
		for (d = 0; d < SHM_NDIRS; d++) {
			sn->sn_frames[l][d] = k * 4 + (uint64_t)(l * 2 + d);
			sn->sn_octets[l][d] = ~k;
			sn->sn_stun[l][d] = k ^ 0x5555;
		}
		for (e = 0; e < 2; e++) {
			sn->sn_ep[l][e].sa_family = (k & 1) ? SHM_AF_INET6 : SHM_AF_INET;
			sn->sn_ep[l][e].sa_port = (uint16_t)k;
			memset(sn->sn_ep[l][e].sa_addr, (int)(k & 0xff), 16);
		}
	}
	snprintf(sn->sn_sessid, sizeof(sn->sn_sessid), "%c-sess-%llu", 'A' + idx,
	    (unsigned long long)k);
	memset(sn->sn_callid, 'c', (size_t)(k % SHM_CALLID_LEN));
	snprintf(sn->sn_from_tag, sizeof(sn->sn_from_tag), "from-%llu",
	    (unsigned long long)k);
	snprintf(sn->sn_to_tag, sizeof(sn->sn_to_tag), "to-%llu-%d", (unsigned long long)k,
	    idx);
}

/* A copy is consistent iff it equals the pattern of its own gen. */
static int
consistent(const struct snap *got, int idx)
{
	struct snap want;

	pattern(&want, idx, got->sn_gen);
	want.sn_seq = got->sn_seq;
	return memcmp(&want, got, sizeof(want)) == 0;
}

static void
writer(struct shm_slot *slots, int nslots, struct ctl *c)
{
	struct snap sn[NSLOTS];
	uint64_t k;
	int i;

	for (k = 1; !atomic_load_explicit(&c->stop, memory_order_relaxed); k++) {
		for (i = 0; i < nslots; i++) {
			pattern(&sn[i], i, k);
			snap_publish(&slots[i], &sn[i]);
		}
		atomic_store_explicit(&c->writes, k, memory_order_relaxed);
	}
	_exit(0);
}

static void
stop_child(pid_t pid, struct ctl *c)
{
	int status, i;

	atomic_store(&c->stop, 1);
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			return;
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	cr_assert_fail("writer did not stop");
}

static void
run_torn(int nslots)
{
	size_t len = sizeof(struct ctl) + NSLOTS * sizeof(struct shm_slot);
	void *map;
	struct ctl *c;
	struct shm_slot *slots;
	struct snap sn;
	uint64_t ok = 0, busy = 0, torn = 0, first_k = 0, last_k = 0, t0;
	pid_t pid;
	int i, rc;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(map, MAP_FAILED);
	c = map;
	slots = (struct shm_slot *)((char *)map + sizeof(*c));
	/* Slot i+1's first line directly follows slot i's last line. */
	cr_assert_eq((char *)&slots[1] - (char *)&slots[0], (long)sizeof(struct shm_slot));
	for (i = 0; i < nslots; i++) {
		pattern(&sn, i, 0);
		snap_publish(&slots[i], &sn);
	}

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0)
		writer(slots, nslots, c);

	t0 = now_ms();
	while (now_ms() - t0 < RUN_MS) {
		for (i = 0; i < nslots; i++) {
			rc = snap_slot(&slots[i], &sn, SNAP_LIVE);
			if (rc == SNAP_BUSY) {
				busy++;
				continue;
			}
			cr_assert_eq(rc, SNAP_OK);
			cr_assert_eq(sn.sn_seq & 1, 0);
			if (!consistent(&sn, i)) {
				torn++;
				continue;
			}
			ok++;
			if (first_k == 0)
				first_k = sn.sn_gen;
			last_k = sn.sn_gen;
		}
	}
	stop_child(pid, c);
	cr_log_info("slots %d: ok %llu busy %llu torn %llu k %llu..%llu writes %llu", nslots,
	    (unsigned long long)ok, (unsigned long long)busy, (unsigned long long)torn,
	    (unsigned long long)first_k, (unsigned long long)last_k,
	    (unsigned long long)atomic_load(&c->writes));
	cr_assert_eq(torn, 0, "%llu torn copies", (unsigned long long)torn);
	cr_assert_geq(ok, 1000, "only %llu consistent reads", (unsigned long long)ok);
	cr_assert_gt(last_k, first_k, "the writer made no visible progress");
	munmap(map, len);
}

Test(seqlock, no_torn_read_across_processes, .timeout = 20)
{
	run_torn(1);
}

Test(seqlock, adjacent_slots_one_writer, .timeout = 20)
{
	run_torn(2);
}

/* The bare primitives: odd while inside, retry across a write, stable otherwise. */
Test(seqlock, primitives)
{
	_Atomic uint32_t seq = 0;
	uint32_t b;

	b = seq_read_begin(&seq);
	cr_assert_not(seq_read_retry(&seq, b));
	seq_write_begin(&seq);
	cr_assert(seq_read_odd(seq_read_begin(&seq)));
	cr_assert(seq_read_retry(&seq, seq_read_begin(&seq)));
	cr_assert(seq_read_retry(&seq, b));
	seq_write_end(&seq);
	cr_assert_eq(atomic_load(&seq), 2);
	cr_assert(seq_read_retry(&seq, b));
	b = seq_read_begin(&seq);
	cr_assert_not(seq_read_retry(&seq, b));
	/* Wrap-around of the 32-bit counter keeps parity. */
	atomic_store(&seq, UINT32_MAX - 1);
	seq_write_begin(&seq);
	cr_assert(seq_read_odd(atomic_load(&seq)));
	seq_write_end(&seq);
	cr_assert_eq(atomic_load(&seq), 0);
}

/* A writer that dies between begin and end leaves seq odd for ever. */
Test(seqlock, writer_died_with_odd_seq, .timeout = 20)
{
	struct shm_slot *s;
	struct snap sn, before;
	struct shm_hdr h;
	struct cdr_rec r;
	pid_t pid;
	int status;

	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(s, MAP_FAILED);
	pattern(&before, 0, 7);
	snap_publish(s, &before);

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		seq_write_begin(&s->sl_seq);
		atomic_store_explicit(&s->sl_gen, 8, memory_order_relaxed);
		atomic_store_explicit(&s->sl_octets[0][0], 12345, memory_order_relaxed);
		_exit(0);	/* no seq_write_end */
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(atomic_load(&s->sl_seq) & 1, 1);

	cr_assert_eq(snap_slot(s, &sn, SNAP_LIVE), SNAP_BUSY);
	cr_assert_eq(snap_slot(s, &sn, SNAP_WRITER_DEAD), SNAP_PARTIAL);
	cr_assert_eq(sn.sn_gen, 8);
	cr_assert_eq(sn.sn_octets[0][0], 12345);
	cr_assert_str_eq(sn.sn_sessid, "A-sess-7");

	cr_assert_eq(shm_hdr_init(&h, SHM_KIND_WORKER, 1, 1, 2, 3, 99), SHM_OK);
	snap_to_cdr(&sn, &h, CDR_R_WORKER_LOST, 5000, true, &r);
	cr_assert_eq(r.cr_flags & CDR_F_PARTIAL, CDR_F_PARTIAL);
	cr_assert_eq(r.cr_reason, CDR_R_WORKER_LOST);
	cr_assert_eq(r.cr_worker, 2);
	cr_assert_eq(r.cr_epoch, 3);
	cr_assert_eq(r.cr_boot_id, 99);
	cr_assert_eq(r.cr_gen, 8);

	/* A dead writer's even seq is simply a consistent slot.  (A real segment is
	 * recreated for the next epoch; here seq is reset by hand.) */
	atomic_store(&s->sl_seq, 0);
	snap_publish(s, &before);
	cr_assert_eq(snap_slot(s, &sn, SNAP_WRITER_DEAD), SNAP_OK);
	cr_assert(consistent(&sn, 0));
	munmap(s, sizeof(*s));
}
