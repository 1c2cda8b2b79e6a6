/*
 * Sequence lock between one writer process and any number of reader processes
 * (architecture.md B6; the protocol of DPDK's rte_seqcount, written in C11 atomics).
 *
 * The writer never waits and never fails; a reader may have to retry, and bounds its
 * retries itself (snapshot.c).  The protected data must be _Atomic words accessed with
 * memory_order_relaxed: the orders below are what make a relaxed copy consistent.
 *
 *   writer:  seq_write_begin(&seq);  relaxed stores ...;  seq_write_end(&seq);
 *   reader:  do { b = seq_read_begin(&seq); relaxed loads ...; }
 *            while (seq_read_retry(&seq, b) && ++tries < bound);
 *
 * Pure and header-only.
 */
#ifndef APPSHARE_SEQLOCK_H
#define APPSHARE_SEQLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * seq becomes odd.  The store itself may be relaxed because the release fence after
 * it orders it before every data store that follows: a reader that sees any of those
 * stores (and then runs its acquire fence) also sees the odd seq on its re-check.
 * Only the owning process stores seq, so a load + store is enough (no RMW needed).
 */
static inline void
seq_write_begin(_Atomic uint32_t *seq)
{
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

	atomic_store_explicit(seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

/* seq becomes even again; release so that every data store happens before it. */
static inline void
seq_write_end(_Atomic uint32_t *seq)
{
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

	atomic_store_explicit(seq, s + 1, memory_order_release);
}

/*
 * Acquire: the data loads that follow cannot be satisfied before this load, and if it
 * reads an even value stored by seq_write_end(), all the stores of that write are
 * visible.  An odd value means a writer is inside; the caller should not trust a copy.
 */
static inline uint32_t
seq_read_begin(const _Atomic uint32_t *seq)
{
	return atomic_load_explicit(seq, memory_order_acquire);
}

static inline bool
seq_read_odd(uint32_t begin)
{
	return (begin & 1) != 0;
}

/*
 * True if the copy made since seq_read_begin() may be torn.  The acquire fence keeps
 * the relaxed data loads before the re-load of seq (a relaxed re-load would otherwise
 * be free to move up); the re-load itself can then be relaxed.
 */
static inline bool
seq_read_retry(const _Atomic uint32_t *seq, uint32_t begin)
{
	atomic_thread_fence(memory_order_acquire);
	return seq_read_odd(begin) ||
	    atomic_load_explicit(seq, memory_order_relaxed) != begin;
}

#endif
