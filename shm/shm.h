/*
 * Shared-memory segments as memfds (architecture.md B6, decision 8) [io].
 *
 * The master creates every segment, sizes and seals it, stamps its header, and hands
 * out descriptors: the read-write one to the single writer, read-only reopens to the
 * readers, so that a reader cannot map a segment writable even if it wanted to.
 * Functions return -1 with errno set; they do not log.
 */
#ifndef APPSHARE_SHM_H
#define APPSHARE_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "shm_layout.h"

/* A memfd of at least size bytes (rounded up to pages), sealed against resizing. */
int	shm_memfd(const char *name, size_t size, size_t *mapsize);

/* A new O_RDONLY descriptor for the same memfd, through /proc/self/fd. */
int	shm_reopen_ro(int fd);

void	*shm_map_rw(int fd, size_t size);
const void *shm_map_ro(int fd, size_t size);
int	 shm_unmap(const void *p, size_t size);

/* Create, size, seal and stamp a worker segment ("as-w<i>") or the ack segment. */
int	shm_worker_create(uint32_t index, uint32_t epoch, uint64_t boot_id, uint32_t n_slots,
	    uint32_t ring_len, size_t *mapsize);
int	shm_ack_create(uint32_t n_workers, uint64_t boot_id, size_t *mapsize);

#endif
