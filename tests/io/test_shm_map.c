/*
 * shm.c on this kernel: architecture decision 8 says the design may rely on read-only
 * reopens of memfds only once a test proves a reader cannot get a writable mapping.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shm.h"

Test(shm_map, ro_reopen_cannot_be_mapped_writable)
{
	size_t size;
	int fd, ro;
	void *p;
	const void *rp;

	fd = shm_worker_create(0, 1, 42, 8, 8, &size);
	cr_assert_neq(fd, -1, "shm_worker_create: %s", strerror(errno));
	ro = shm_reopen_ro(fd);
	cr_assert_neq(ro, -1, "reopen: %s", strerror(errno));
	cr_assert_eq(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	cr_assert_eq(p, MAP_FAILED, "a read-only reopen was mapped PROT_WRITE");
	cr_assert_eq(errno, EACCES);

	rp = shm_map_ro(ro, size);
	cr_assert_not_null(rp);
	/* Upgrading the reader's mapping afterwards is refused as well. */
	cr_assert_eq(mprotect((void *)(uintptr_t)rp, size, PROT_READ | PROT_WRITE), -1);
	cr_assert_eq(errno, EACCES);
	cr_assert_eq(shm_hdr_check(rp, size, SHM_KIND_WORKER, NULL), SHM_OK);

	/* Private writable mappings are copy-on-write and cannot reach the segment. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	if (p != MAP_FAILED) {
		memset(p, 0xee, 64);
		cr_assert_eq(((const struct shm_hdr *)rp)->sh_magic, SHM_MAGIC);
		munmap(p, size);
	}
	shm_unmap(rp, size);
	close(ro);
	close(fd);
}

Test(shm_map, writer_stores_are_seen_by_reader)
{
	size_t size;
	int fd, ro;
	struct shm_hdr *w;
	const struct shm_hdr *r;
	struct shm_geom g;

	fd = shm_worker_create(3, 2, 7, 4, 4, &size);
	cr_assert_neq(fd, -1);
	ro = shm_reopen_ro(fd);
	cr_assert_neq(ro, -1);
	w = shm_map_rw(fd, size);
	r = shm_map_ro(ro, size);
	cr_assert(w != NULL && r != NULL);
	cr_assert_eq(shm_hdr_check(r, size, SHM_KIND_WORKER, &g), SHM_OK);
	cr_assert_eq(r->sh_worker_index, 3);
	cr_assert_eq(r->sh_epoch, 2);
	atomic_store(&shm_seg_totals(w, &g)->wt_accepted, 12345);
	cr_assert_eq(atomic_load(&shm_seg_totals((void *)(uintptr_t)r, &g)->wt_accepted), 12345);
	shm_unmap(w, size);
	shm_unmap(r, size);
	close(ro);
	close(fd);
}

Test(shm_map, size_is_sealed)
{
	size_t size;
	int fd, seals;

	fd = shm_ack_create(4, 9, &size);
	cr_assert_neq(fd, -1);
	seals = fcntl(fd, F_GET_SEALS);
	cr_assert_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	    F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	cr_assert_eq(ftruncate(fd, (off_t)size / 2), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(ftruncate(fd, (off_t)size * 2), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(size % (size_t)sysconf(_SC_PAGESIZE), 0);
	close(fd);
}

Test(shm_map, bad_geometry_is_refused)
{
	size_t size;

	cr_assert_eq(shm_worker_create(0, 1, 1, 8, 6, &size), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(shm_ack_create(0, 1, &size), -1);
	cr_assert_eq(errno, EINVAL);
}
