/*
 * ipc_check.c: every message type against its table row (direction, exact size,
 * descriptor, strings, ranges), with a valid payload built per type.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "ipc_msg.h"
#include "../../shm/shm_layout.h"

#define M	(1u << IPC_ROLE_MASTER)
#define W	(1u << IPC_ROLE_WORKER)
#define C	(1u << IPC_ROLE_CDRD)

struct tc_type {
	uint16_t	 type;
	const char	*name;
	unsigned	 from;
	unsigned	 to;
	size_t		 size;
	int		 fd;
};

/* The expected table, written independently of ipc_check.c. */
static const struct tc_type tc_types[] = {
	{ IPC_HELLO, "HELLO", W | C, M, sizeof(struct ipc_hello), 0 },
	{ IPC_HELLO_ACK, "HELLO_ACK", M, W | C, sizeof(struct ipc_hello_ack), 0 },
	{ IPC_SHM_FD, "SHM_FD", M, W | C, sizeof(struct ipc_shm_fd), 1 },
	{ IPC_LOG, "LOG", W | C, M, sizeof(struct ipc_log), 0 },
	{ IPC_VERBOSE, "VERBOSE", M, W | C, sizeof(struct ipc_verbose), 0 },
	{ IPC_SHUTDOWN, "SHUTDOWN", M, W | C, 0, 0 },
	{ IPC_READY, "READY", W | C, M, 0, 0 },
	{ IPC_DEBUG_FAULT, "DEBUG_FAULT", M, W, 0, 0 },
	{ IPC_SESS_NEW, "SESS_NEW", M, W, sizeof(struct ipc_sess_new), 0 },
	{ IPC_SESS_FD, "SESS_FD", M, W, sizeof(struct ipc_sess_fd), 1 },
	{ IPC_SESS_REMOTE, "SESS_REMOTE", M, W, sizeof(struct ipc_sess_remote), 0 },
	{ IPC_SESS_END, "SESS_END", M, W, sizeof(struct ipc_sess_end), 0 },
	{ IPC_SOCK_FAIL, "SOCK_FAIL", M, W, sizeof(struct ipc_sock_fail), 0 },
	{ IPC_SESS_STATE, "SESS_STATE", W, M, sizeof(struct ipc_sess_state_msg), 0 },
	{ IPC_SESS_DONE, "SESS_DONE", W, M, sizeof(struct ipc_sess_done), 0 },
	{ IPC_SOCK_REQ, "SOCK_REQ", W, M, sizeof(struct ipc_sock_req), 0 },
	{ IPC_CDR_FD, "CDR_FD", M, C, sizeof(struct ipc_cdr_fd), 1 },
	{ IPC_CDR_ROTATE, "CDR_ROTATE", C, M, sizeof(struct ipc_cdr_rotate), 0 },
	{ IPC_TAP_FD, "TAP_FD", M, W, sizeof(struct ipc_tap_fd), 1 },
	{ IPC_TAP_STOP, "TAP_STOP", M, W, 0, 0 },
	{ IPC_WORKER_GONE, "WORKER_GONE", M, C, sizeof(struct ipc_worker), 0 },
	{ IPC_WORKER_DRAINED, "WORKER_DRAINED", C, M, sizeof(struct ipc_worker), 0 },
	{ IPC_CDR_KICK, "CDR_KICK", M, C, 0, 0 },
};
#define TC_NTYPES	(sizeof(tc_types) / sizeof(tc_types[0]))

/* Room for any payload plus one byte, 8-aligned. */
static union {
	uint64_t	align;
	uint8_t		b[IPC_MAX_MSG];
} buf;

static int
first_role(unsigned mask)
{
	int r;

	for (r = 0; r < IPC_ROLE_MAX; r++)
		if (mask & (1u << r))
			return r;
	return -1;
}

static void
set_addr4(struct ipc_addr *a, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->ia_family = AF_INET;
	a->ia_port = port;
	a->ia_addr[0] = 127;
	a->ia_addr[3] = 1;
}

/* A payload that passes for (type, from -> to). */
static void
fill_valid(uint16_t type, int from, int to)
{
	memset(buf.b, 0, sizeof(buf.b));
	switch (type) {
	case IPC_HELLO: {
		struct ipc_hello *m = (void *)buf.b;
		m->he_version = IPC_VERSION;
		m->he_role = (uint32_t)from;
		m->he_pid = 42;
		break;
	}
	case IPC_HELLO_ACK: {
		struct ipc_hello_ack *m = (void *)buf.b;
		m->ha_version = IPC_VERSION;
		m->ha_conf.cc_sandbox = 1;
		m->ha_conf.cc_debug_hooks = 1;
		break;
	}
	case IPC_SHM_FD: {
		struct ipc_shm_fd *m = (void *)buf.b;
		m->sf_kind = to == IPC_ROLE_WORKER ? IPC_SHM_WORKER_RW : IPC_SHM_ACK_RW;
		m->sf_size = 4096;
		break;
	}
	case IPC_LOG: {
		struct ipc_log *m = (void *)buf.b;
		m->lo_level = 6;
		strcpy(m->lo_text, "worker 1: hello");
		break;
	}
	case IPC_SESS_NEW: {
		struct ipc_sess_new *m = (void *)buf.b;
		strcpy(m->sn_call_id, "call");
		strcpy(m->sn_from_tag, "ft");
		m->sn_proto = IPC_PROTO_TCP_RTP_SAVP;
		m->sn_leg[1].lp_dialect = IPC_DIALECT_RFC4145;
		m->sn_leg[1].lp_controlling = 1;
		set_addr4(&m->sn_leg[0].lp_local, 5000);
		break;
	}
	case IPC_SESS_FD: {
		struct ipc_sess_fd *m = (void *)buf.b;
		m->sd_leg = 1;
		m->sd_kind = IPC_SOCK_CONNECT;
		set_addr4(&m->sd_peer, 6000);
		break;
	}
	case IPC_SESS_REMOTE: {
		struct ipc_sess_remote *m = (void *)buf.b;
		int i;
		m->sr_leg = 1;
		m->sr_ncand = IPC_MAX_CANDS;
		m->sr_nallowed = IPC_MAX_ALLOWED;
		for (i = 0; i < IPC_MAX_CANDS; i++) {
			set_addr4(&m->sr_cand[i].ca_addr, (uint16_t)(1000 + i));
			m->sr_cand[i].ca_tcptype = IPC_TCP_SO;
		}
		for (i = 0; i < IPC_MAX_ALLOWED; i++)
			set_addr4(&m->sr_allowed[i], 0);
		m->sr_allowed[3].ia_family = AF_INET6;
		break;
	}
	case IPC_SESS_END: {
		struct ipc_sess_end *m = (void *)buf.b;
		m->se_reason = CDR_R_MAX - 1;
		break;
	}
	case IPC_SESS_DONE: {
		struct ipc_sess_done *m = (void *)buf.b;
		m->sd_reason = CDR_R_DELETED;
		break;
	}
	case IPC_SOCK_REQ: {
		struct ipc_sock_req *m = (void *)buf.b;
		m->sq_leg = 1;
		set_addr4(&m->sq_peer, 7000);
		m->sq_peer.ia_family = AF_INET6;
		break;
	}
	case IPC_SESS_STATE: {
		struct ipc_sess_state_msg *m = (void *)buf.b;
		m->ss_state = IPC_SESS_ENDED;
		m->ss_leg_up[0] = 1;
		break;
	}
	case IPC_CDR_FD: {
		struct ipc_cdr_fd *m = (void *)buf.b;
		strcpy(m->cf_name, "appshare-20240101T000000.csv.tmp");
		break;
	}
	case IPC_TAP_FD: {
		struct ipc_tap_fd *m = (void *)buf.b;
		m->tf_max_size = 1 << 20;
		strcpy(m->tf_name, "call-1.1-20240101T000000.pcap");
		break;
	}
	case IPC_CDR_ROTATE: {
		struct ipc_cdr_rotate *m = (void *)buf.b;
		m->cr_why = IPC_ROTATE_ERROR;
		break;
	}
	default:
		break;
	}
}

static int
chk(int from, int to, uint16_t type, size_t len, int fd, int flag_fd)
{
	struct ipc_hdr h;

	memset(&h, 0, sizeof(h));
	h.ih_type = type;
	h.ih_flags = flag_fd ? IPC_F_FD : 0;
	h.ih_len = (uint32_t)len;
	return ipc_msg_check((enum ipc_role)from, (enum ipc_role)to, &h, buf.b, len, fd);
}

Test(ipc_check, every_type_valid_in_every_allowed_direction)
{
	size_t i;
	int from, to;

	for (i = 0; i < TC_NTYPES; i++) {
		const struct tc_type *t = &tc_types[i];
		for (from = 0; from < IPC_ROLE_MAX; from++)
			for (to = 0; to < IPC_ROLE_MAX; to++) {
				int ok = (t->from & (1u << from)) && (t->to & (1u << to));
				int rc;
				fill_valid(t->type, from, to);
				rc = chk(from, to, t->type, t->size, t->fd, t->fd);
				if (ok)
					cr_expect_eq(rc, IPC_CHK_OK, "%s %d->%d: %s", t->name,
					    from, to, ipc_check_str(rc));
				else
					cr_expect_eq(rc, IPC_E_DIR, "%s %d->%d: %d", t->name,
					    from, to, rc);
			}
		cr_expect_str_eq(ipc_type_str(t->type), t->name);
	}
}

Test(ipc_check, sizes_are_exact)
{
	size_t i;
	int from, to;

	for (i = 0; i < TC_NTYPES; i++) {
		const struct tc_type *t = &tc_types[i];
		from = first_role(t->from);
		to = first_role(t->to);
		fill_valid(t->type, from, to);
		cr_expect_eq(chk(from, to, t->type, t->size + 1, t->fd, t->fd), IPC_E_SIZE,
		    "%s +1", t->name);
		if (t->size > 0)
			cr_expect_eq(chk(from, to, t->type, t->size - 1, t->fd, t->fd),
			    IPC_E_SIZE, "%s -1", t->name);
		cr_expect_eq(chk(from, to, t->type, IPC_MAX_MSG - sizeof(struct ipc_hdr),
		    t->fd, t->fd), IPC_E_SIZE, "%s max", t->name);
	}
}

Test(ipc_check, header_length_must_match)
{
	struct ipc_hdr h;

	memset(&h, 0, sizeof(h));
	h.ih_type = IPC_SESS_END;
	h.ih_len = sizeof(struct ipc_sess_end) + 1;
	fill_valid(IPC_SESS_END, IPC_ROLE_MASTER, IPC_ROLE_WORKER);
	cr_expect_eq(ipc_msg_check(IPC_ROLE_MASTER, IPC_ROLE_WORKER, &h, buf.b,
	    sizeof(struct ipc_sess_end), 0), IPC_E_SIZE);
}

Test(ipc_check, descriptor_required_or_forbidden)
{
	size_t i;
	int from, to;

	for (i = 0; i < TC_NTYPES; i++) {
		const struct tc_type *t = &tc_types[i];
		from = first_role(t->from);
		to = first_role(t->to);
		fill_valid(t->type, from, to);
		/* Missing (or extra) descriptor with a consistent flag. */
		cr_expect_eq(chk(from, to, t->type, t->size, !t->fd, !t->fd), IPC_E_FD,
		    "%s fd %d", t->name, !t->fd);
		/* Flag and descriptor disagree. */
		cr_expect_eq(chk(from, to, t->type, t->size, t->fd, !t->fd), IPC_E_FD,
		    "%s flag", t->name);
		cr_expect_eq(chk(from, to, t->type, t->size, !t->fd, t->fd), IPC_E_FD,
		    "%s flag2", t->name);
	}
}

Test(ipc_check, unknown_type_flags_and_roles)
{
	struct ipc_hdr h;

	memset(buf.b, 0, sizeof(buf.b));
	cr_expect_eq(chk(IPC_ROLE_MASTER, IPC_ROLE_WORKER, 0, 0, 0, 0), IPC_E_TYPE);
	cr_expect_eq(chk(IPC_ROLE_MASTER, IPC_ROLE_WORKER, 0x0109, 0, 0, 0), IPC_E_TYPE);
	cr_expect_eq(chk(IPC_ROLE_MASTER, IPC_ROLE_WORKER, 0xffff, 0, 0, 0), IPC_E_TYPE);
	cr_expect_str_eq(ipc_type_str(0x0999), "unknown");
	cr_expect_eq(chk(IPC_ROLE_MAX, IPC_ROLE_MASTER, IPC_READY, 0, 0, 0), IPC_E_DIR);
	cr_expect_eq(chk(IPC_ROLE_MASTER, IPC_ROLE_MAX, IPC_SHUTDOWN, 0, 0, 0), IPC_E_DIR);
	memset(&h, 0, sizeof(h));
	h.ih_type = IPC_SHUTDOWN;
	h.ih_flags = 0x8000;
	cr_expect_eq(ipc_msg_check(IPC_ROLE_MASTER, IPC_ROLE_WORKER, &h, NULL, 0, 0),
	    IPC_E_RANGE);
	cr_expect_str_eq(ipc_check_str(IPC_E_STR), "string without NUL");
	cr_expect_str_eq(ipc_check_str(-99), "unknown error");
}

#define MSG(type)	((struct type *)(void *)buf.b)

Test(ipc_check, strings_must_hold_a_nul)
{
	struct ipc_sess_new *sn = MSG(ipc_sess_new);
	struct ipc_sess_remote *sr = MSG(ipc_sess_remote);
	int w = IPC_ROLE_WORKER, m = IPC_ROLE_MASTER, c = IPC_ROLE_CDRD;

	fill_valid(IPC_LOG, w, m);
	memset(MSG(ipc_log)->lo_text, 'x', IPC_LOG_MAX);
	cr_expect_eq(chk(w, m, IPC_LOG, sizeof(struct ipc_log), 0, 0), IPC_E_STR);
	MSG(ipc_log)->lo_text[IPC_LOG_MAX - 1] = '\0';
	cr_expect_eq(chk(w, m, IPC_LOG, sizeof(struct ipc_log), 0, 0), IPC_CHK_OK);

	fill_valid(IPC_CDR_FD, m, c);
	memset(MSG(ipc_cdr_fd)->cf_name, 'n', IPC_NAME_MAX);
	cr_expect_eq(chk(m, c, IPC_CDR_FD, sizeof(struct ipc_cdr_fd), 1, 1), IPC_E_STR);

	fill_valid(IPC_TAP_FD, m, w);
	memset(MSG(ipc_tap_fd)->tf_name, 'p', IPC_NAME_MAX);
	cr_expect_eq(chk(m, w, IPC_TAP_FD, sizeof(struct ipc_tap_fd), 1, 1), IPC_E_STR);
	MSG(ipc_tap_fd)->tf_name[IPC_NAME_MAX - 1] = '\0';
	cr_expect_eq(chk(m, w, IPC_TAP_FD, sizeof(struct ipc_tap_fd), 1, 1), IPC_CHK_OK);

#define SN_STR(field) do {						\
	fill_valid(IPC_SESS_NEW, m, w);					\
	memset(field, 'a', sizeof(field));				\
	cr_expect_eq(chk(m, w, IPC_SESS_NEW, sizeof(*sn), 0, 0), IPC_E_STR, #field); \
	field[sizeof(field) - 1] = '\0';				\
	cr_expect_eq(chk(m, w, IPC_SESS_NEW, sizeof(*sn), 0, 0), IPC_CHK_OK, #field); \
} while (0)
	SN_STR(sn->sn_call_id);
	SN_STR(sn->sn_from_tag);
	SN_STR(sn->sn_to_tag);
	SN_STR(sn->sn_leg[0].lp_ufrag);
	SN_STR(sn->sn_leg[1].lp_pwd);
	SN_STR(sn->sn_leg[1].lp_foundation);

#define SR_STR(field) do {						\
	fill_valid(IPC_SESS_REMOTE, m, w);				\
	memset(field, 'a', sizeof(field));				\
	cr_expect_eq(chk(m, w, IPC_SESS_REMOTE, sizeof(*sr), 0, 0), IPC_E_STR, #field); \
} while (0)
	SR_STR(sr->sr_ufrag);
	SR_STR(sr->sr_pwd);
	SR_STR(sr->sr_cand[IPC_MAX_CANDS - 1].ca_foundation);

	/* A candidate past sr_ncand is not read, so its garbage is not an error. */
	fill_valid(IPC_SESS_REMOTE, m, w);
	sr->sr_ncand = 2;
	memset(sr->sr_cand[2].ca_foundation, 'a', IPC_FOUNDATION_MAX + 1);
	sr->sr_cand[5].ca_addr.ia_family = 99;
	cr_expect_eq(chk(m, w, IPC_SESS_REMOTE, sizeof(*sr), 0, 0), IPC_CHK_OK);
}

/* Set one field to a bad value; expect IPC_E_RANGE; the valid payload passes again. */
#define RANGE(type, from, to, fd, stmt) do {					\
	fill_valid(type, from, to);						\
	cr_expect_eq(chk(from, to, type, row_size(type), fd, fd), IPC_CHK_OK,	\
	    "%s valid", #stmt);							\
	stmt;									\
	cr_expect_eq(chk(from, to, type, row_size(type), fd, fd), IPC_E_RANGE,	\
	    "%s", #stmt);							\
} while (0)

static size_t
row_size(uint16_t type)
{
	size_t i;

	for (i = 0; i < TC_NTYPES; i++)
		if (tc_types[i].type == type)
			return tc_types[i].size;
	cr_assert_fail("no row for 0x%04x", type);
	return 0;
}

Test(ipc_check, enums_and_counts_in_range)
{
	int w = IPC_ROLE_WORKER, m = IPC_ROLE_MASTER, c = IPC_ROLE_CDRD;

	RANGE(IPC_HELLO, w, m, 0, MSG(ipc_hello)->he_role = IPC_ROLE_CDRD);
	RANGE(IPC_HELLO, c, m, 0, MSG(ipc_hello)->he_role = IPC_ROLE_MASTER);
	RANGE(IPC_HELLO_ACK, m, w, 0, MSG(ipc_hello_ack)->ha_conf.cc_sandbox = 3);
	RANGE(IPC_HELLO_ACK, m, w, 0, MSG(ipc_hello_ack)->ha_conf.cc_debug_hooks = 2);
	RANGE(IPC_SHM_FD, m, w, 1, MSG(ipc_shm_fd)->sf_kind = IPC_SHM_KIND_MAX);
	RANGE(IPC_SHM_FD, m, w, 1, MSG(ipc_shm_fd)->sf_kind = IPC_SHM_ACK_RW);
	RANGE(IPC_SHM_FD, m, c, 1, MSG(ipc_shm_fd)->sf_kind = IPC_SHM_WORKER_RW);
	RANGE(IPC_SHM_FD, m, c, 1, MSG(ipc_shm_fd)->sf_kind = IPC_SHM_ACK_RO);
	RANGE(IPC_SHM_FD, m, w, 1, MSG(ipc_shm_fd)->sf_kind = IPC_SHM_WORKER_RO);
	RANGE(IPC_SHM_FD, m, c, 1, MSG(ipc_shm_fd)->sf_size = 0);
	RANGE(IPC_LOG, w, m, 0, MSG(ipc_log)->lo_level = 8);
	RANGE(IPC_SESS_NEW, m, w, 0, MSG(ipc_sess_new)->sn_proto = IPC_PROTO_MAX);
	RANGE(IPC_SESS_NEW, m, w, 0,
	    MSG(ipc_sess_new)->sn_leg[0].lp_dialect = IPC_DIALECT_MAX);
	RANGE(IPC_SESS_NEW, m, w, 0,
	    MSG(ipc_sess_new)->sn_leg[1].lp_dialect = 0xffffffffu);
	RANGE(IPC_SESS_NEW, m, w, 0, MSG(ipc_sess_new)->sn_leg[1].lp_controlling = 2);
	RANGE(IPC_SESS_NEW, m, w, 0, MSG(ipc_sess_new)->sn_leg[0].lp_passive = 7);
	RANGE(IPC_SESS_NEW, m, w, 0, MSG(ipc_sess_new)->sn_leg[0].lp_active = 2);
	RANGE(IPC_SESS_NEW, m, w, 0, MSG(ipc_sess_new)->sn_leg[1].lp_filtering = 2);
	RANGE(IPC_SESS_NEW, m, w, 0,
	    MSG(ipc_sess_new)->sn_leg[0].lp_local.ia_family = AF_UNIX);
	RANGE(IPC_SESS_FD, m, w, 1, MSG(ipc_sess_fd)->sd_leg = 2);
	RANGE(IPC_SESS_FD, m, w, 1, MSG(ipc_sess_fd)->sd_kind = IPC_SOCK_KIND_MAX);
	RANGE(IPC_SESS_FD, m, w, 1, MSG(ipc_sess_fd)->sd_peer.ia_family = 0);
	RANGE(IPC_SESS_REMOTE, m, w, 0, MSG(ipc_sess_remote)->sr_leg = 2);
	RANGE(IPC_SESS_REMOTE, m, w, 0, MSG(ipc_sess_remote)->sr_ncand = IPC_MAX_CANDS + 1);
	RANGE(IPC_SESS_REMOTE, m, w, 0,
	    MSG(ipc_sess_remote)->sr_nallowed = IPC_MAX_ALLOWED + 1);
	RANGE(IPC_SESS_REMOTE, m, w, 0,
	    MSG(ipc_sess_remote)->sr_plain_peer.ia_family = 1);
	RANGE(IPC_SESS_REMOTE, m, w, 0,
	    MSG(ipc_sess_remote)->sr_cand[15].ca_tcptype = IPC_TCPTYPE_MAX);
	RANGE(IPC_SESS_REMOTE, m, w, 0,
	    MSG(ipc_sess_remote)->sr_cand[0].ca_addr.ia_family = 0);
	RANGE(IPC_SESS_REMOTE, m, w, 0,
	    MSG(ipc_sess_remote)->sr_allowed[63].ia_family = 0);
	RANGE(IPC_SESS_END, m, w, 0, MSG(ipc_sess_end)->se_reason = CDR_R_MAX);
	RANGE(IPC_SOCK_FAIL, m, w, 0, MSG(ipc_sock_fail)->sx_leg = 2);
	RANGE(IPC_SESS_STATE, w, m, 0,
	    MSG(ipc_sess_state_msg)->ss_state = IPC_SESS_STATE_MAX);
	RANGE(IPC_SESS_STATE, w, m, 0, MSG(ipc_sess_state_msg)->ss_leg_up[1] = 2);
	RANGE(IPC_SESS_DONE, w, m, 0, MSG(ipc_sess_done)->sd_reason = CDR_R_MAX);
	RANGE(IPC_SOCK_REQ, w, m, 0, MSG(ipc_sock_req)->sq_leg = 2);
	RANGE(IPC_SOCK_REQ, w, m, 0, MSG(ipc_sock_req)->sq_peer.ia_family = 0);
	RANGE(IPC_CDR_ROTATE, c, m, 0, MSG(ipc_cdr_rotate)->cr_why = IPC_ROTATE_WHY_MAX);
}

Test(ipc_check, unaligned_payload_is_fine)
{
	static uint8_t raw[sizeof(struct ipc_sess_remote) + 1];
	struct ipc_hdr h;

	fill_valid(IPC_SESS_REMOTE, IPC_ROLE_MASTER, IPC_ROLE_WORKER);
	memcpy(raw + 1, buf.b, sizeof(struct ipc_sess_remote));
	memset(&h, 0, sizeof(h));
	h.ih_type = IPC_SESS_REMOTE;
	h.ih_len = sizeof(struct ipc_sess_remote);
	cr_expect_eq(ipc_msg_check(IPC_ROLE_MASTER, IPC_ROLE_WORKER, &h, raw + 1,
	    sizeof(struct ipc_sess_remote), 0), IPC_CHK_OK);
}
