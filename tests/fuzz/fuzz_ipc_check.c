/*
 * Fuzz target for master/ipc_check.c: the receiver's checks of IPC messages.
 *
 * Input: 16 header bytes (struct ipc_hdr, host order) then the payload.  Each input
 * is checked for every (sender, receiver) pair, with and without a descriptor, once
 * with the header's ih_len as given and once with ih_len forced to the payload
 * length (so the fuzzer reaches the per-type checks without having to guess it).
 * The payload is copied into a buffer of exactly its length so that any over-read
 * is seen by ASan.  Invariants: the code is one of the IPC_E_* values, and an
 * accepted message has exactly its type's payload size and a matching descriptor.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

struct fz_row {
	uint16_t	type;
	size_t		size;
	int		fd;
};

/* Written independently of ipc_check.c's table. */
static const struct fz_row fz_rows[] = {
	{ IPC_HELLO, sizeof(struct ipc_hello), 0 },
	{ IPC_HELLO_ACK, sizeof(struct ipc_hello_ack), 0 },
	{ IPC_SHM_FD, sizeof(struct ipc_shm_fd), 1 },
	{ IPC_LOG, sizeof(struct ipc_log), 0 },
	{ IPC_VERBOSE, sizeof(struct ipc_verbose), 0 },
	{ IPC_SHUTDOWN, 0, 0 },
	{ IPC_READY, 0, 0 },
	{ IPC_DEBUG_FAULT, 0, 0 },
	{ IPC_SESS_NEW, sizeof(struct ipc_sess_new), 0 },
	{ IPC_SESS_FD, sizeof(struct ipc_sess_fd), 1 },
	{ IPC_SESS_REMOTE, sizeof(struct ipc_sess_remote), 0 },
	{ IPC_SESS_END, sizeof(struct ipc_sess_end), 0 },
	{ IPC_SOCK_FAIL, sizeof(struct ipc_sock_fail), 0 },
	{ IPC_SESS_STATE, sizeof(struct ipc_sess_state_msg), 0 },
	{ IPC_SESS_DONE, sizeof(struct ipc_sess_done), 0 },
	{ IPC_SOCK_REQ, sizeof(struct ipc_sock_req), 0 },
	{ IPC_CDR_FD, sizeof(struct ipc_cdr_fd), 1 },
	{ IPC_CDR_ROTATE, sizeof(struct ipc_cdr_rotate), 0 },
	{ IPC_TAP_FD, sizeof(struct ipc_tap_fd), 1 },
	{ IPC_TAP_STOP, 0, 0 },
	{ IPC_WORKER_GONE, sizeof(struct ipc_worker), 0 },
	{ IPC_WORKER_DRAINED, sizeof(struct ipc_worker), 0 },
	{ IPC_CDR_KICK, 0, 0 },
};

static const struct fz_row *
fz_row(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(fz_rows) / sizeof(fz_rows[0]); i++)
		if (fz_rows[i].type == type)
			return &fz_rows[i];
	return NULL;
}

static void
fz_one(const struct ipc_hdr *h, const void *payload, size_t len)
{
	const struct fz_row *r = fz_row(h->ih_type);
	int from, to, fd, rc;

	for (from = 0; from <= IPC_ROLE_MAX; from++)
		for (to = 0; to <= IPC_ROLE_MAX; to++)
			for (fd = 0; fd <= 1; fd++) {
				rc = ipc_msg_check((enum ipc_role)from, (enum ipc_role)to, h,
				    payload, len, fd);
				CHECK(rc <= 0 && rc >= IPC_E_RANGE);
				CHECK(ipc_check_str(rc) != NULL);
				if (rc != IPC_CHK_OK)
					continue;
				CHECK(r != NULL);
				CHECK(from != to && from < IPC_ROLE_MAX && to < IPC_ROLE_MAX);
				CHECK(len == r->size && h->ih_len == len);
				CHECK(fd == r->fd);
				CHECK(((h->ih_flags & IPC_F_FD) != 0) == fd);
			}
	CHECK(ipc_type_str(h->ih_type) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_hdr h;
	uint8_t *payload;
	size_t len;

	if (size < sizeof(h) || size - sizeof(h) > IPC_MAX_MSG)
		return 0;
	memcpy(&h, data, sizeof(h));
	len = size - sizeof(h);
	/* malloc(0) may return NULL: keep one byte so the pointer is valid. */
	if ((payload = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(payload, data + sizeof(h), len);
	fz_one(&h, payload, len);
	h.ih_len = (uint32_t)len;
	fz_one(&h, payload, len);
	free(payload);
	return 0;
}
