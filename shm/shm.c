/*
 * memfd segments: create, seal, reopen read-only, map, stamp [io].
 */
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t
shm_round_page(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t p = pg > 0 ? (size_t)pg : 4096;

	return (n + p - 1) / p * p;
}

int
shm_memfd(const char *name, size_t size, size_t *mapsize)
{
	size_t sz = shm_round_page(size);
	int fd, saved;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return -1;
	/* Sealing the size means nobody can shrink it under a reader's mapping (SIGBUS). */
	if (ftruncate(fd, (off_t)sz) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (mapsize != NULL)
		*mapsize = sz;
	return fd;
}

int
shm_reopen_ro(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_CLOEXEC);
}

void *
shm_map_rw(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

const void *
shm_map_ro(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int
shm_unmap(const void *p, size_t size)
{
	/* munmap() takes a non-const pointer; unmapping does not write through it. */
	union {
		const void	*c;
		void		*v;
	} u = { p };

	return munmap(u.v, size);
}

static int
shm_stamp(int fd, size_t mapsize, uint32_t kind, uint32_t n_slots, uint32_t ring_len,
    uint32_t index, uint32_t epoch, uint64_t boot_id)
{
	struct shm_hdr *h;
	int rc, saved;

	if ((h = shm_map_rw(fd, mapsize)) == NULL)
		return -1;
	/* A fresh memfd is zero-filled: every slot FREE, head and tails 0. */
	rc = shm_hdr_init(h, kind, n_slots, ring_len, index, epoch, boot_id);
	saved = errno;
	shm_unmap(h, mapsize);
	if (rc != SHM_OK) {
		errno = EINVAL;
		return -1;
	}
	errno = saved;
	return 0;
}

int
shm_worker_create(uint32_t index, uint32_t epoch, uint64_t boot_id, uint32_t n_slots,
    uint32_t ring_len, size_t *mapsize)
{
	struct shm_geom g;
	char name[32];
	size_t ms;
	int fd;

	if (shm_geom_worker(n_slots, ring_len, &g) != SHM_OK) {
		errno = EINVAL;
		return -1;
	}
	snprintf(name, sizeof(name), "as-w%u", index);
	if ((fd = shm_memfd(name, g.sg_size, &ms)) == -1)
		return -1;
	if (shm_stamp(fd, ms, SHM_KIND_WORKER, n_slots, ring_len, index, epoch,
	    boot_id) == -1) {
		close(fd);
		return -1;
	}
	if (mapsize != NULL)
		*mapsize = ms;
	return fd;
}

int
shm_ack_create(uint32_t n_workers, uint64_t boot_id, size_t *mapsize)
{
	size_t size = shm_ack_size(n_workers), ms;
	int fd;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = shm_memfd("as-ack", size, &ms)) == -1)
		return -1;
	if (shm_stamp(fd, ms, SHM_KIND_ACK, n_workers, 0, 0, 0, boot_id) == -1) {
		close(fd);
		return -1;
	}
	if (mapsize != NULL)
		*mapsize = ms;
	return fd;
}
