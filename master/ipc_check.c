/*
 * Receiver-side checks of every IPC message, from one table (conventions.md 4).
 *
 * Pure: the caller hands in the header, the payload bytes and whether a descriptor
 * came with them; the answer is a code.  The payload may sit at any alignment (the
 * fuzzer passes raw input), so the per-type checks copy it into a local struct first.
 * Fields past a count (sr_cand[sr_ncand..]) and padding are not looked at: the
 * receiver never reads them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "ipc_msg.h"
#include "../policy/sandbox.h"
#include "../shm/shm_layout.h"

/* syslog.h is an I/O header: the levels are fixed by POSIX, LOG_EMERG 0 .. LOG_DEBUG 7. */
#define IPC_LOG_LEVEL_MAX	7

#define R_MASTER	(1u << IPC_ROLE_MASTER)
#define R_WORKER	(1u << IPC_ROLE_WORKER)
#define R_CDRD		(1u << IPC_ROLE_CDRD)
#define R_CHILD		(R_WORKER | R_CDRD)

enum ipc_fd_rule {
	FD_NO = 0,
	FD_YES
};

struct ipc_rule {
	uint16_t	 ir_type;
	const char	*ir_name;
	unsigned	 ir_from;	/* R_* mask of senders */
	unsigned	 ir_to;		/* R_* mask of receivers */
	size_t		 ir_size;	/* exact payload size */
	enum ipc_fd_rule ir_fd;
	/* Strings and ranges; from/to already checked.  NULL: nothing more to check. */
	int		(*ir_check)(const void *payload, enum ipc_role from, enum ipc_role to);
};

#define STR_OK(a)	(memchr((a), '\0', sizeof(a)) != NULL)
#define BOOL_OK(v)	((v) <= 1)

static int
chk_family(const struct ipc_addr *a, int required)
{
	if (a->ia_family == AF_INET || a->ia_family == AF_INET6)
		return 1;
	return !required && a->ia_family == 0;
}

static int
chk_hello(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_hello m;

	memcpy(&m, p, sizeof(m));
	/* The version is the master's to judge, so that it can log the mismatch. */
	if (m.he_role != (uint32_t)from)
		return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_hello_ack(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_hello_ack m;

	memcpy(&m, p, sizeof(m));
	if (m.ha_conf.cc_sandbox >= SBX_MODE_MAX || !BOOL_OK(m.ha_conf.cc_debug_hooks))
		return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_shm_fd(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_shm_fd m;

	memcpy(&m, p, sizeof(m));
	switch (m.sf_kind) {
	case IPC_SHM_WORKER_RW:
	case IPC_SHM_ACK_RO:	/* the worker reads back its ring tail */
		if (to != IPC_ROLE_WORKER)
			return IPC_E_RANGE;
		break;
	case IPC_SHM_WORKER_RO:
	case IPC_SHM_ACK_RW:
		if (to != IPC_ROLE_CDRD)
			return IPC_E_RANGE;
		break;
	default:
		return IPC_E_RANGE;
	}
	if (m.sf_size == 0)
		return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_log(const void *p, enum ipc_role from, enum ipc_role to)
{
	const char *text = (const char *)p + offsetof(struct ipc_log, lo_text);
	uint32_t level;

	/* Only the level is copied: the text is checked in place, bytes need no alignment. */
	memcpy(&level, (const char *)p + offsetof(struct ipc_log, lo_level), sizeof(level));
	if (memchr(text, '\0', IPC_LOG_MAX) == NULL)
		return IPC_E_STR;
	if (level > IPC_LOG_LEVEL_MAX)
		return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_leg_params(const struct ipc_leg_params *lp)
{
	if (!STR_OK(lp->lp_ufrag) || !STR_OK(lp->lp_pwd) || !STR_OK(lp->lp_foundation))
		return IPC_E_STR;
	if (lp->lp_dialect >= IPC_DIALECT_MAX || !BOOL_OK(lp->lp_controlling) ||
	    !BOOL_OK(lp->lp_passive) || !BOOL_OK(lp->lp_active) ||
	    !BOOL_OK(lp->lp_filtering) || !chk_family(&lp->lp_local, 0))
		return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_sess_new(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_sess_new m;
	int i, rc;

	memcpy(&m, p, sizeof(m));
	if (!STR_OK(m.sn_call_id) || !STR_OK(m.sn_from_tag) || !STR_OK(m.sn_to_tag))
		return IPC_E_STR;
	for (i = 0; i < 2; i++)
		if ((rc = chk_leg_params(&m.sn_leg[i])) != IPC_CHK_OK)
			return rc;
	if (m.sn_proto >= IPC_PROTO_MAX)
		return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_sess_fd(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_sess_fd m;

	memcpy(&m, p, sizeof(m));
	if (m.sd_leg > 1 || m.sd_kind >= IPC_SOCK_KIND_MAX)
		return IPC_E_RANGE;
	/* A socket to connect must say where to. */
	if (!chk_family(&m.sd_peer, m.sd_kind == IPC_SOCK_CONNECT))
		return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_sess_remote(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_sess_remote m;
	uint32_t i;

	memcpy(&m, p, sizeof(m));
	if (!STR_OK(m.sr_ufrag) || !STR_OK(m.sr_pwd) || !STR_OK(m.sr_to_tag))
		return IPC_E_STR;
	if (m.sr_leg > 1 || m.sr_ncand > IPC_MAX_CANDS || m.sr_nallowed > IPC_MAX_ALLOWED ||
	    !chk_family(&m.sr_plain_peer, 0))
		return IPC_E_RANGE;
	for (i = 0; i < m.sr_ncand; i++) {
		if (!STR_OK(m.sr_cand[i].ca_foundation))
			return IPC_E_STR;
		if (!chk_family(&m.sr_cand[i].ca_addr, 1) ||
		    m.sr_cand[i].ca_tcptype >= IPC_TCPTYPE_MAX)
			return IPC_E_RANGE;
	}
	for (i = 0; i < m.sr_nallowed; i++)
		if (!chk_family(&m.sr_allowed[i], 1))
			return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_sess_end(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_sess_end m;

	memcpy(&m, p, sizeof(m));
	return m.se_reason < CDR_R_MAX ? IPC_CHK_OK : IPC_E_RANGE;
}

static int
chk_sock_fail(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_sock_fail m;

	memcpy(&m, p, sizeof(m));
	return m.sx_leg <= 1 ? IPC_CHK_OK : IPC_E_RANGE;
}

static int
chk_sess_state(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_sess_state_msg m;

	memcpy(&m, p, sizeof(m));
	if (m.ss_state >= IPC_SESS_STATE_MAX || !BOOL_OK(m.ss_leg_up[0]) ||
	    !BOOL_OK(m.ss_leg_up[1]))
		return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_sess_done(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_sess_done m;

	memcpy(&m, p, sizeof(m));
	return m.sd_reason < CDR_R_MAX ? IPC_CHK_OK : IPC_E_RANGE;
}

static int
chk_sock_req(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_sock_req m;

	memcpy(&m, p, sizeof(m));
	if (m.sq_leg > 1 || !chk_family(&m.sq_peer, 1))
		return IPC_E_RANGE;
	return IPC_CHK_OK;
}

static int
chk_cdr_fd(const void *p, enum ipc_role from, enum ipc_role to)
{
	const char *name = (const char *)p + offsetof(struct ipc_cdr_fd, cf_name);

	return memchr(name, '\0', IPC_NAME_MAX) != NULL ?
	    IPC_CHK_OK : IPC_E_STR;
}

static int
chk_cdr_rotate(const void *p, enum ipc_role from, enum ipc_role to)
{
	struct ipc_cdr_rotate m;

	memcpy(&m, p, sizeof(m));
	return m.cr_why < IPC_ROTATE_WHY_MAX ? IPC_CHK_OK : IPC_E_RANGE;
}

static int
chk_tap_fd(const void *p, enum ipc_role from, enum ipc_role to)
{
	const char *name = (const char *)p + offsetof(struct ipc_tap_fd, tf_name);

	return memchr(name, '\0', IPC_NAME_MAX) != NULL ? IPC_CHK_OK : IPC_E_STR;
}

/* The reviewed table. */
static const struct ipc_rule ipc_rules[] = {
	{ IPC_HELLO, "HELLO", R_CHILD, R_MASTER,
	    sizeof(struct ipc_hello), FD_NO, chk_hello },
	{ IPC_HELLO_ACK, "HELLO_ACK", R_MASTER, R_CHILD,
	    sizeof(struct ipc_hello_ack), FD_NO, chk_hello_ack },
	{ IPC_SHM_FD, "SHM_FD", R_MASTER, R_CHILD,
	    sizeof(struct ipc_shm_fd), FD_YES, chk_shm_fd },
	{ IPC_LOG, "LOG", R_CHILD, R_MASTER,
	    sizeof(struct ipc_log), FD_NO, chk_log },
	{ IPC_VERBOSE, "VERBOSE", R_MASTER, R_CHILD,
	    sizeof(struct ipc_verbose), FD_NO, NULL },
	{ IPC_SHUTDOWN, "SHUTDOWN", R_MASTER, R_CHILD, 0, FD_NO, NULL },
	{ IPC_READY, "READY", R_CHILD, R_MASTER, 0, FD_NO, NULL },
	{ IPC_DEBUG_FAULT, "DEBUG_FAULT", R_MASTER, R_WORKER, 0, FD_NO, NULL },

	{ IPC_SESS_NEW, "SESS_NEW", R_MASTER, R_WORKER,
	    sizeof(struct ipc_sess_new), FD_NO, chk_sess_new },
	{ IPC_SESS_FD, "SESS_FD", R_MASTER, R_WORKER,
	    sizeof(struct ipc_sess_fd), FD_YES, chk_sess_fd },
	{ IPC_SESS_REMOTE, "SESS_REMOTE", R_MASTER, R_WORKER,
	    sizeof(struct ipc_sess_remote), FD_NO, chk_sess_remote },
	{ IPC_SESS_END, "SESS_END", R_MASTER, R_WORKER,
	    sizeof(struct ipc_sess_end), FD_NO, chk_sess_end },
	{ IPC_SOCK_FAIL, "SOCK_FAIL", R_MASTER, R_WORKER,
	    sizeof(struct ipc_sock_fail), FD_NO, chk_sock_fail },

	{ IPC_SESS_STATE, "SESS_STATE", R_WORKER, R_MASTER,
	    sizeof(struct ipc_sess_state_msg), FD_NO, chk_sess_state },
	{ IPC_SESS_DONE, "SESS_DONE", R_WORKER, R_MASTER,
	    sizeof(struct ipc_sess_done), FD_NO, chk_sess_done },
	{ IPC_SOCK_REQ, "SOCK_REQ", R_WORKER, R_MASTER,
	    sizeof(struct ipc_sock_req), FD_NO, chk_sock_req },

	{ IPC_CDR_FD, "CDR_FD", R_MASTER, R_CDRD,
	    sizeof(struct ipc_cdr_fd), FD_YES, chk_cdr_fd },
	{ IPC_CDR_ROTATE, "CDR_ROTATE", R_CDRD, R_MASTER,
	    sizeof(struct ipc_cdr_rotate), FD_NO, chk_cdr_rotate },
	{ IPC_TAP_FD, "TAP_FD", R_MASTER, R_WORKER,
	    sizeof(struct ipc_tap_fd), FD_YES, chk_tap_fd },
	{ IPC_TAP_STOP, "TAP_STOP", R_MASTER, R_WORKER, 0, FD_NO, NULL },

	{ IPC_WORKER_GONE, "WORKER_GONE", R_MASTER, R_CDRD,
	    sizeof(struct ipc_worker), FD_NO, NULL },
	{ IPC_WORKER_DRAINED, "WORKER_DRAINED", R_CDRD, R_MASTER,
	    sizeof(struct ipc_worker), FD_NO, NULL },
	{ IPC_CDR_KICK, "CDR_KICK", R_MASTER, R_CDRD, 0, FD_NO, NULL },
};

/* Every payload fits one datagram with its header. */
_Static_assert(sizeof(struct ipc_sess_remote) + sizeof(struct ipc_hdr) <= IPC_MAX_MSG,
    "largest payload must fit IPC_MAX_MSG");
_Static_assert(sizeof(struct ipc_sess_new) + sizeof(struct ipc_hdr) <= IPC_MAX_MSG,
    "SESS_NEW must fit IPC_MAX_MSG");
_Static_assert(IPC_ROLE_MAX <= 8 * sizeof(unsigned), "role masks");

static const struct ipc_rule *
ipc_rule_find(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(ipc_rules) / sizeof(ipc_rules[0]); i++)
		if (ipc_rules[i].ir_type == type)
			return &ipc_rules[i];
	return NULL;
}

int
ipc_msg_check(enum ipc_role from, enum ipc_role to, const struct ipc_hdr *h,
    const void *payload, size_t len, int has_fd)
{
	const struct ipc_rule *r;

	if ((unsigned)from >= IPC_ROLE_MAX || (unsigned)to >= IPC_ROLE_MAX)
		return IPC_E_DIR;
	if ((r = ipc_rule_find(h->ih_type)) == NULL)
		return IPC_E_TYPE;
	if ((r->ir_from & (1u << from)) == 0 || (r->ir_to & (1u << to)) == 0)
		return IPC_E_DIR;
	if (len != r->ir_size || h->ih_len != len)
		return IPC_E_SIZE;
	/* The flag and the descriptor must agree, and both must match the table. */
	if ((h->ih_flags & ~IPC_F_FD) != 0)
		return IPC_E_RANGE;
	if ((has_fd != 0) != ((h->ih_flags & IPC_F_FD) != 0) ||
	    (has_fd != 0) != (r->ir_fd == FD_YES))
		return IPC_E_FD;
	if (len > 0 && payload == NULL)
		return IPC_E_SIZE;
	if (r->ir_check != NULL)
		return r->ir_check(payload, from, to);
	return IPC_CHK_OK;
}

const char *
ipc_check_str(int rc)
{
	switch (rc) {
	case IPC_CHK_OK:
		return "ok";
	case IPC_E_TYPE:
		return "unknown type";
	case IPC_E_DIR:
		return "wrong direction";
	case IPC_E_SIZE:
		return "payload size";
	case IPC_E_FD:
		return "descriptor missing or unexpected";
	case IPC_E_STR:
		return "string without NUL";
	case IPC_E_RANGE:
		return "value out of range";
	default:
		return "unknown error";
	}
}

const char *
ipc_type_str(uint16_t type)
{
	const struct ipc_rule *r;

	if ((r = ipc_rule_find(type)) == NULL)
		return "unknown";
	return r->ir_name;
}
