/*
 * ICE agent fuzzer: the input is a script of events (accept, connected, closed, raw
 * STUN bytes, well-formed authenticated requests and responses built from input fields,
 * ticks, set_remote) played against one agent, with invariants checked after each call:
 * never more actions than the bound, SEND only on open connections and always a
 * decodable message with FINGERPRINT, CONNECT only on a free id, SELECTED once,
 * nothing after FAILED, and a next deadline that moves past a tick (no spin).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice.h"
#include "stun.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define LUFRAG	"LUFR"
#define LPWD	"localpassword-0123456789"
#define RUFRAG	"RUFR"
#define RPWD	"remotepassword-0123456789"
#define NTID	8

enum fz_conn { FZ_FREE, FZ_CONNECTING, FZ_OPEN };

struct fz {
	const uint8_t	*p;
	size_t		 left;
	uint64_t	 now;
	uint64_t	 rng;
	struct ice_agent ag;
	struct ice_out	 out;
	enum fz_conn	 conn[ICE_MAX_CONNS];
	bool		 failed, selected;
	uint8_t		 tids[NTID][STUN_TID_LEN];	/* our last requests' tids */
	int		 tidconn[NTID];
	unsigned	 ntid;
	uint8_t		 lastreq[STUN_TID_LEN];
	uint8_t		 msg[1024];
};

#define FZ_CHECK(x) do { if (!(x)) abort(); } while (0)

static uint8_t
fz_u8(struct fz *f)
{
	uint8_t v;

	if (f->left == 0)
		return 0;
	v = *f->p++;
	f->left--;
	return v;
}

static uint16_t
fz_u16(struct fz *f)
{
	uint16_t hi = fz_u8(f);

	return (uint16_t)(hi << 8 | fz_u8(f));
}

static void
fz_rand(void *ctx, void *buf, size_t len)
{
	struct fz *f = ctx;
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		f->rng = f->rng * 6364136223846793005ULL + 1442695040888963407ULL;
		b[i] = (uint8_t)(f->rng >> 56);
	}
}

static void
fz_addr(struct fz *f, struct sockaddr_storage *ss)
{
	uint8_t k = fz_u8(f);

	memset(ss, 0, sizeof(*ss));
	if (k & 1) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(fz_u16(f));
		s6->sin6_addr.s6_addr[15] = k;
	} else if (k & 2) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(fz_u16(f));
		s4->sin_addr.s_addr = htonl(0xC0000200u | k);
	} else
		ss->ss_family = (sa_family_t)(k >> 2);	/* odd families too */
}

/* Check the actions of the last call and update our view of the connections. */
static void
fz_actions(struct fz *f)
{
	const struct ice_action *a;
	struct stun_msg m;
	size_t i;

	FZ_CHECK(f->out.io_n <= ICE_OUT_MAX);
	FZ_CHECK(f->out.io_used <= sizeof(f->out.io_buf));
	if (f->failed)
		FZ_CHECK(f->out.io_n == 0);
	for (i = 0; i < f->out.io_n; i++) {
		a = &f->out.io_act[i];
		FZ_CHECK(!f->failed);
		switch (a->ac_type) {
		case ICE_ACT_SEND:
			FZ_CHECK(a->ac_conn >= 0 && a->ac_conn < ICE_MAX_CONNS);
			FZ_CHECK(f->conn[a->ac_conn] == FZ_OPEN);
			FZ_CHECK(a->ac_data >= f->out.io_buf && a->ac_len > 0 &&
			    a->ac_data + a->ac_len <= f->out.io_buf + f->out.io_used);
			FZ_CHECK(stun_decode(a->ac_data, a->ac_len, &m) == STUN_OK);
			FZ_CHECK(m.flags & STUN_F_FINGERPRINT);
			if (m.cls == STUN_CLASS_REQUEST) {
				memcpy(f->tids[f->ntid % NTID], m.tid, STUN_TID_LEN);
				f->tidconn[f->ntid % NTID] = a->ac_conn;
				f->ntid++;
			}
			break;
		case ICE_ACT_CONNECT:
			FZ_CHECK(a->ac_conn >= 0 && a->ac_conn < ICE_MAX_CONNS);
			FZ_CHECK(f->conn[a->ac_conn] == FZ_FREE);
			FZ_CHECK(a->ac_addr.ss_family == AF_INET ||
			    a->ac_addr.ss_family == AF_INET6);
			f->conn[a->ac_conn] = FZ_CONNECTING;
			break;
		case ICE_ACT_CLOSE:
			FZ_CHECK(a->ac_conn >= 0 && a->ac_conn < ICE_MAX_CONNS);
			FZ_CHECK(f->conn[a->ac_conn] != FZ_FREE);
			FZ_CHECK(a->ac_reason > ICE_R_NONE && a->ac_reason < ICE_R_MAX);
			f->conn[a->ac_conn] = FZ_FREE;
			break;
		case ICE_ACT_SELECTED:
			FZ_CHECK(!f->selected);
			FZ_CHECK(a->ac_conn >= 0 && a->ac_conn < ICE_MAX_CONNS);
			FZ_CHECK(f->conn[a->ac_conn] == FZ_OPEN);
			f->selected = true;
			break;
		case ICE_ACT_FAILED:
			FZ_CHECK(a->ac_reason > ICE_R_NONE && a->ac_reason < ICE_R_MAX);
			f->failed = true;
			break;
		default:
			abort();
		}
	}
	FZ_CHECK((unsigned)ice_state(&f->ag) < ICE_ST_MAX);
	FZ_CHECK((ice_state(&f->ag) == ICE_ST_FAILED) == f->failed);
	if (ice_state(&f->ag) == ICE_ST_COMPLETED) {
		FZ_CHECK(f->selected);
		FZ_CHECK(ice_selected_conn(&f->ag) >= 0);
		FZ_CHECK(f->conn[ice_selected_conn(&f->ag)] == FZ_OPEN);
	} else
		FZ_CHECK(ice_selected_conn(&f->ag) == -1);
}

static int
fz_pick_conn(struct fz *f)
{
	uint8_t b = fz_u8(f);

	/* Mostly real ids, sometimes out of range. */
	if (b >= 0xF0)
		return (int)(b & 0x0F) - 4;
	return b % ICE_MAX_CONNS;
}

static size_t
fz_request(struct fz *f)
{
	struct stun_builder b;
	uint8_t flags = fz_u8(f), tid[STUN_TID_LEN];
	uint64_t tb = fz_u8(f);
	const char *user;
	size_t len;

	if (flags & 0x80)
		memcpy(tid, f->lastreq, sizeof(tid));	/* duplicate */
	else {
		memset(tid, 0, sizeof(tid));
		tid[0] = fz_u8(f);
		tid[1] = fz_u8(f);
		memcpy(f->lastreq, tid, sizeof(tid));
	}
	stun_build_init(&b, f->msg, sizeof(f->msg),
	    stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), tid);
	stun_build_u32(&b, STUN_A_PRIORITY, (flags & 0x40) ? 0x7E0000FE : 0x7E0000FF);
	if (flags & 0x01)
		stun_build_u64(&b, STUN_A_ICE_CONTROLLING, tb);
	else if (flags & 0x02)
		stun_build_u64(&b, STUN_A_ICE_CONTROLLED, tb);
	if (flags & 0x04)
		stun_build_flag(&b, STUN_A_USE_CANDIDATE);
	user = (flags & 0x20) ? "XXXX:" RUFRAG : LUFRAG ":" RUFRAG;
	stun_build_padded(&b, STUN_A_USERNAME, user, strlen(user), flags & 0x08);
	if (stun_build_finish(&b, (const uint8_t *)LPWD, strlen(LPWD),
	    (flags & 0x10) ? STUN_MI_MSICE2 : STUN_MI_RFC5389, STUN_FP_STD, &len) != STUN_OK)
		return 0;
	return len;
}

static size_t
fz_response(struct fz *f, int *conn)
{
	struct stun_builder b;
	struct sockaddr_storage ss;
	uint8_t flags = fz_u8(f), k = fz_u8(f);
	static const int codes[] = { 401, 487, 500, 400 };
	const char *key;
	size_t len;

	if (f->ntid == 0)
		return 0;
	k %= (f->ntid < NTID ? f->ntid : NTID);
	*conn = f->tidconn[k];
	if (flags & 0x01) {
		stun_build_init(&b, f->msg, sizeof(f->msg),
		    stun_type(STUN_METHOD_BINDING, STUN_CLASS_ERROR), f->tids[k]);
		stun_build_error_code(&b, codes[(flags >> 1) & 3], "x");
	} else {
		stun_build_init(&b, f->msg, sizeof(f->msg),
		    stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS), f->tids[k]);
		fz_addr(f, &ss);
		if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
			stun_build_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &ss);
	}
	if (flags & 0x08)
		stun_build_u32(&b, STUN_A_IMPLEMENTATION_VERSION, 2);
	key = (flags & 0x10) ? LPWD : RPWD;
	if (stun_build_finish(&b, (const uint8_t *)key, strlen(key), (flags & 0x20) ? STUN_MI_NONE :
	    (flags & 0x40) ? STUN_MI_MSICE2 : STUN_MI_RFC5389,
	    (flags & 0x80) ? STUN_FP_NONE : STUN_FP_STD, &len) != STUN_OK)
		return 0;
	return len;
}

static void
fz_set_remote(struct fz *f)
{
	struct ice_cand c[ICE_MAX_REMOTE + 2];
	struct ice_creds cr;
	size_t n = fz_u8(f) % (ICE_MAX_REMOTE + 3), i;
	uint8_t k;

	memset(&cr, 0, sizeof(cr));
	memcpy(cr.cr_ufrag, RUFRAG, sizeof(RUFRAG));
	memcpy(cr.cr_pwd, RPWD, sizeof(RPWD));
	memset(c, 0, sizeof(c));
	for (i = 0; i < n; i++) {
		k = fz_u8(f);
		fz_addr(f, &c[i].ca_addr);
		c[i].ca_component = 1 + (k & 1);
		c[i].ca_tcptype = (enum ice_tcptype)((k >> 1) % ICE_TCP_MAX);
		c[i].ca_priority = (uint32_t)fz_u16(f) << 8;
		memset(c[i].ca_foundation, 'f', sizeof(c[i].ca_foundation));
	}
	(void)ice_set_remote(&f->ag, f->now, &cr, c, n, &f->out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	struct ice_params p;
	struct sockaddr_storage a;
	uint64_t d;
	uint8_t setup;
	size_t len;
	int c, rc;

	memset(&f, 0, sizeof(f));
	f.p = data;
	f.left = size;
	f.now = 1000;
	f.rng = 1;
	setup = fz_u8(&f);
	ice_params_default(&p);
	p.ip_dialect = (setup & 1) ? ICE_DIALECT_MSICE2 : ICE_DIALECT_RFC;
	p.ip_role = (setup & 2) ? ICE_CONTROLLING : ICE_CONTROLLED;
	p.ip_nomination = (setup & 4) ? ICE_NOM_AGGRESSIVE : ICE_NOM_REGULAR;
	p.ip_passive = !(setup & 8);
	p.ip_active = (setup & 0x18) != 0;
	p.ip_tiebreaker = fz_u8(&f);
	memcpy(p.ip_local.cr_ufrag, LUFRAG, sizeof(LUFRAG));
	memcpy(p.ip_local.cr_pwd, LPWD, sizeof(LPWD));
	p.ip_cand_passive.lc_priority = 0x7E00FFFF;
	memcpy(p.ip_cand_passive.lc_foundation, "1", 2);
	p.ip_cand_active.lc_priority = 0x7E00AFFF;
	/* Short timers so that a small input reaches every one of them. */
	if (setup & 0x20) {
		p.ip_check_timeout_ms = 300;
		p.ip_complete_ms = 5000;
		p.ip_keepalive_ms = 700;
		p.ip_dead_ms = 1500;
		p.ip_grace_ms = 400;
	}
	p.ip_rand = fz_rand;
	p.ip_rand_ctx = &f;
	if (ice_init(&f.ag, &p, f.now) != ICE_OK)
		abort();

	while (f.left > 0) {
		f.out.io_n = 0;
		switch (fz_u8(&f) % 10) {
		case 0:
			fz_addr(&f, &a);
			c = ice_on_accept(&f.ag, f.now, &a, NULL, &f.out);
			if (c >= 0) {
				FZ_CHECK(c < ICE_MAX_CONNS && f.conn[c] == FZ_FREE);
				f.conn[c] = FZ_OPEN;
			}
			break;
		case 1:
			c = fz_pick_conn(&f);
			len = fz_u8(&f);
			if (len > f.left)
				len = f.left;
			(void)ice_on_stun(&f.ag, f.now, c, f.p, len, &f.out);
			f.p += len;
			f.left -= len;
			break;
		case 2:
			f.now += fz_u16(&f);
			(void)ice_on_tick(&f.ag, f.now, &f.out);
			break;
		case 3:
			d = ice_next_deadline(&f.ag);
			if (d == UINT64_MAX)
				break;
			if (d > f.now)
				f.now = d;
			(void)ice_on_tick(&f.ag, f.now, &f.out);
			fz_actions(&f);
			FZ_CHECK(ice_next_deadline(&f.ag) > f.now);
			continue;
		case 4:
			fz_set_remote(&f);
			break;
		case 5:
			c = fz_pick_conn(&f);
			rc = ice_on_connected(&f.ag, f.now, c, NULL, &f.out);
			if (rc == ICE_OK) {
				FZ_CHECK(f.conn[c] == FZ_CONNECTING);
				f.conn[c] = FZ_OPEN;
			}
			break;
		case 6:
			c = fz_pick_conn(&f);
			rc = ice_on_closed(&f.ag, f.now, c, &f.out);
			if (rc == ICE_OK)
				f.conn[c] = FZ_FREE;
			break;
		case 7:
			c = fz_pick_conn(&f);
			if ((len = fz_request(&f)) > 0)
				(void)ice_on_stun(&f.ag, f.now, c, f.msg, len, &f.out);
			break;
		case 8:
			c = 0;
			if ((len = fz_response(&f, &c)) > 0)
				(void)ice_on_stun(&f.ag, f.now, c, f.msg, len, &f.out);
			break;
		case 9:
			c = fz_pick_conn(&f);
			if (fz_u8(&f) & 1)
				ice_on_sent(&f.ag, f.now, c);
			else
				ice_on_received(&f.ag, f.now, c);
			break;
		}
		fz_actions(&f);
	}
	return 0;
}
