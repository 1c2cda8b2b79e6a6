/*
 * cdrd_main() in a forked child, with the test playing both the master (the channel,
 * segments, CSV files) and the worker (pushing records into its ring, publishing
 * slots).  Sandbox off: the filter has its own tests.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cdr_fmt.h"
#include "cdrd.h"
#include "cdrd_recover.h"
#include "ipc_msg.h"
#include "log.h"
#include "ring.h"
#include "sandbox.h"
#include "seqlock.h"
#include "shm.h"
#include "snapshot.h"
#include "test_util.h"

#define NW		2
#define NSLOTS		8
#define RINGLEN		16
#define BOOT		0x5eed0000cafe0001ull

struct tw {				/* one worker, played by the test */
	int		 w_fd;
	size_t		 w_len;
	void		*w_seg;
	struct shm_geom	 w_g;
	struct ring_prod w_prod;
	uint32_t	 w_epoch;
	uint32_t	 w_count;
};

struct tmast {			/* the master, played by the test */
	int		 m_sock;
	pid_t		 m_pid;
	int		 m_ackfd;
	size_t		 m_acklen;
	struct shm_ack	*m_acks;
	struct tw	 m_w[NW];
	char		*m_dir;
	uint32_t	 m_seq;
	uint64_t	 m_rotate_size;
};

static long
t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
t_send(struct tmast *m, uint16_t type, const void *p, size_t len, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct ipc_hdr h;
	struct iovec iov[2];
	struct msghdr msg;
	struct cmsghdr *c;

	memset(&h, 0, sizeof(h));
	h.ih_type = type;
	h.ih_len = (uint32_t)len;
	h.ih_flags = fd >= 0 ? IPC_F_FD : 0;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)p;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = len > 0 ? 2 : 1;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	cr_assert_eq(sendmsg(m->m_sock, &msg, 0), (ssize_t)(sizeof(h) + len),
	    "sendmsg: %s", strerror(errno));
}

/*
 * Next message other than IPC_LOG (printed) within timeout_ms; its type, or 0 on
 * timeout, -1 on EOF.  payload gets up to cap bytes.
 */
static int
t_recv(struct tmast *m, void *payload, size_t cap, int timeout_ms)
{
	static char buf[IPC_MAX_MSG];
	struct ipc_hdr h;
	struct pollfd pfd;
	long end = t_now_ms() + timeout_ms;
	ssize_t n;

	for (;;) {
		long left = end - t_now_ms();

		pfd.fd = m->m_sock;
		pfd.events = POLLIN;
		if (left < 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		n = recv(m->m_sock, buf, sizeof(buf), 0);
		if (n <= 0)
			return -1;
		cr_assert_geq((size_t)n, sizeof(h));
		memcpy(&h, buf, sizeof(h));
		if (h.ih_type == IPC_LOG) {
			const struct ipc_log *lo = (const void *)(buf + sizeof(h));

			fprintf(stderr, "  [cdrd %u] %s\n", lo->lo_level, lo->lo_text);
			continue;
		}
		cr_assert_eq(h.ih_len, (size_t)n - sizeof(h));
		if (payload != NULL)
			memcpy(payload, buf + sizeof(h), h.ih_len < cap ? h.ih_len : cap);
		return h.ih_type;
	}
}

/* Wait for one message of a given type, skipping logs only. */
static void
t_expect(struct tmast *m, uint16_t type, void *payload, size_t cap, int timeout_ms)
{
	int got = t_recv(m, payload, cap, timeout_ms);

	cr_assert_eq(got, type, "expected %s, got 0x%04x", ipc_type_str(type), got);
}

static void
t_segments(struct tmast *m)
{
	int i;

	m->m_ackfd = shm_ack_create(NW, BOOT, &m->m_acklen);
	cr_assert_geq(m->m_ackfd, 0);
	m->m_acks = shm_seg_acks(shm_map_rw(m->m_ackfd, m->m_acklen));
	for (i = 0; i < NW; i++) {
		struct tw *w = &m->m_w[i];

		w->w_epoch = 1;
		w->w_fd = shm_worker_create((uint32_t)i, w->w_epoch, BOOT, NSLOTS, RINGLEN,
		    &w->w_len);
		cr_assert_geq(w->w_fd, 0);
		w->w_seg = shm_map_rw(w->w_fd, w->w_len);
		cr_assert_not_null(w->w_seg);
		cr_assert_eq(shm_hdr_check(w->w_seg, w->w_len, SHM_KIND_WORKER, &w->w_g),
		    SHM_OK);
		ring_prod_init(&w->w_prod, shm_seg_ring(w->w_seg, &w->w_g), RINGLEN,
		    &m->m_acks[i].ak_tail);
	}
}

static void
t_send_worker_seg(struct tmast *m, int i)
{
	struct ipc_shm_fd sf;

	memset(&sf, 0, sizeof(sf));
	sf.sf_kind = IPC_SHM_WORKER_RO;
	sf.sf_index = (uint32_t)i;
	sf.sf_epoch = m->m_w[i].w_epoch;
	sf.sf_size = m->m_w[i].w_len;
	int ro = shm_reopen_ro(m->m_w[i].w_fd);
	cr_assert_geq(ro, 0);
	t_send(m, IPC_SHM_FD, &sf, sizeof(sf), ro);
	close(ro);
}

/* Fork cdrd and run the start-up handshake up to READY. */
static void
t_start(struct tmast *m)
{
	struct ipc_hello he;
	struct ipc_hello_ack ha;
	struct ipc_shm_fd sf;
	int sv[2], i;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	m->m_pid = fork();
	cr_assert_geq(m->m_pid, 0);
	if (m->m_pid == 0) {
		close(sv[0]);
		log_init(1, 2);
		log_procinit("cdr");
		_exit(cdrd_main(sv[1]));
	}
	close(sv[1]);
	m->m_sock = sv[0];
	t_expect(m, IPC_HELLO, &he, sizeof(he), 5000);
	cr_assert_eq(he.he_version, IPC_VERSION);
	cr_assert_eq(he.he_role, IPC_ROLE_CDRD);
	memset(&ha, 0, sizeof(ha));
	ha.ha_version = IPC_VERSION;
	ha.ha_boot_id = BOOT;
	ha.ha_conf.cc_verbose = 2;
	ha.ha_conf.cc_n_workers = NW;
	ha.ha_conf.cc_n_slots = NSLOTS;
	ha.ha_conf.cc_ring_len = RINGLEN;
	ha.ha_conf.cc_cdr_rotate_size = m->m_rotate_size;
	ha.ha_conf.cc_sandbox = SBX_OFF;
	t_send(m, IPC_HELLO_ACK, &ha, sizeof(ha), -1);
	memset(&sf, 0, sizeof(sf));
	sf.sf_kind = IPC_SHM_ACK_RW;
	sf.sf_size = m->m_acklen;
	t_send(m, IPC_SHM_FD, &sf, sizeof(sf), m->m_ackfd);
	for (i = 0; i < NW; i++)
		t_send_worker_seg(m, i);
	t_expect(m, IPC_READY, NULL, 0, 5000);
}

static void
t_stop(struct tmast *m, bool kill9)
{
	int st;

	if (kill9)
		kill(m->m_pid, SIGKILL);
	else {
		/* EOF for cdrd; read what it still says, else closing with unread data
		 * would reset its end of the channel. */
		shutdown(m->m_sock, SHUT_WR);
		while (t_recv(m, NULL, 0, 5000) > 0)
			;
	}
	close(m->m_sock);
	cr_assert_eq(waitpid(m->m_pid, &st, 0), m->m_pid);
	if (!kill9)
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "cdrd status %#x", st);
}

static void
t_init(struct tmast *m, uint64_t rotate_size)
{
	memset(m, 0, sizeof(*m));
	m->m_dir = tu_tmpdir();
	m->m_rotate_size = rotate_size;
	t_segments(m);
	t_start(m);
}

static void
t_path(const struct tmast *m, uint32_t seq, char *path, size_t len)
{
	snprintf(path, len, "%s/cdr-%u.csv.tmp", m->m_dir, seq);
}

/* Send a CSV file (opened as the master does) or, with special, that device. */
static void
t_send_file(struct tmast *m, uint32_t seq, const char *special, uint32_t flags)
{
	struct ipc_cdr_fd cf;
	char path[512];
	int fd;

	t_path(m, seq, path, sizeof(path));
	fd = open(special != NULL ? special : path,
	    O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	memset(&cf, 0, sizeof(cf));
	cf.cf_seq = seq;
	cf.cf_flags = flags;
	cf.cf_opened_rt_ms = (uint64_t)time(NULL) * 1000;
	snprintf(cf.cf_name, sizeof(cf.cf_name), "%.200s", special != NULL ? special : path);
	t_send(m, IPC_CDR_FD, &cf, sizeof(cf), fd);
	close(fd);
	m->m_seq = seq;
}

static void
t_rec(struct tmast *m, int wi, uint64_t gen, struct cdr_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->cr_boot_id = BOOT;
	r->cr_worker = (uint32_t)wi;
	r->cr_epoch = m->m_w[wi].w_epoch;
	r->cr_gen = gen;
	r->cr_t_start_ms = 1700000000000ull;
	r->cr_t_end_ms = 1700000060000ull;
	r->cr_reason = CDR_R_DELETED;
	snprintf(r->cr_callid, sizeof(r->cr_callid), "call-%d-%llx", wi,
	    (unsigned long long)gen);
	snprintf(r->cr_sessid, sizeof(r->cr_sessid), "as-%llx", (unsigned long long)gen);
}

/* The worker ends a session: its record goes into the ring. */
static uint64_t
t_push(struct tmast *m, int wi)
{
	struct tw *w = &m->m_w[wi];
	struct cdr_rec r;
	uint64_t gen = (uint64_t)w->w_epoch << 32 | ++w->w_count;

	t_rec(m, wi, gen, &r);
	cr_assert_eq(ring_push(&w->w_prod, &r), RING_OK);
	return gen;
}

static void
t_kick(struct tmast *m)
{
	t_send(m, IPC_CDR_KICK, NULL, 0, -1);
}

static uint64_t
t_tail(struct tmast *m, int wi)
{
	return atomic_load_explicit(&m->m_acks[wi].ak_tail, memory_order_acquire);
}

/* The file's records; header lines counted apart. */
struct tfile {
	char			*f_text;
	size_t			 f_len;
	struct cdrd_ident	 f_ids[256];
	size_t			 f_n;
	int			 f_headers;
	bool			 f_clean;	/* every line complete and a header or record */
};

static void
t_read(const struct tmast *m, uint32_t seq, struct tfile *f)
{
	char path[512];
	struct stat st;
	char *p, *nl;
	ssize_t n;
	int fd;

	free(f->f_text);
	memset(f, 0, sizeof(*f));
	t_path(m, seq, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd == -1) {
		f->f_text = calloc(1, 1);
		f->f_clean = true;
		return;
	}
	cr_assert_eq(fstat(fd, &st), 0);
	f->f_len = (size_t)st.st_size;
	f->f_text = calloc(1, f->f_len + 1);
	/*
	 * The file may shrink between fstat() and pread(): a restarted cdrd cuts a partial
	 * last line.  Take what is there; the callers poll until the content is right.
	 */
	n = pread(fd, f->f_text, f->f_len, 0);
	cr_assert_geq(n, 0);
	f->f_len = (size_t)n;
	f->f_text[f->f_len] = '\0';
	close(fd);
	f->f_clean = f->f_len == 0 || f->f_text[f->f_len - 1] == '\n';
	for (p = f->f_text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		size_t ll = (size_t)(nl - p);

		if (ll == 0 || p[ll - 1] != '\r')
			f->f_clean = false;
		else
			ll--;
		if (strncmp(p, CDR_SCHEMA_TAG ",", strlen(CDR_SCHEMA_TAG ",")) == 0)
			f->f_headers++;
		else if (f->f_n < 256 && cdrd_ident_parse(p, ll, &f->f_ids[f->f_n]))
			f->f_n++;
		else
			f->f_clean = false;
	}
}

/* Wait until the file holds n records (while checking that tails trail the file). */
static void
t_wait_records(struct tmast *m, uint32_t seq, size_t n, struct tfile *f)
{
	long end = t_now_ms() + 5000;

	for (;;) {
		t_read(m, seq, f);
		if (f->f_n >= n || t_now_ms() > end)
			break;
		(void)t_recv(m, NULL, 0, 20);
	}
	cr_assert_eq(f->f_n, n, "file %u: %zu records, want %zu", seq, f->f_n, n);
	cr_assert(f->f_clean, "file %u is not clean:\n%s", seq, f->f_text);
}

static size_t
t_count(const struct tfile *f, int wi, uint64_t gen)
{
	size_t i, c = 0;

	for (i = 0; i < f->f_n; i++)
		if (f->f_ids[i].ci_worker == (uint32_t)wi && f->f_ids[i].ci_gen == gen)
			c++;
	return c;
}

/* Records of worker wi appear once each, in order gen first..last. */
static void
t_check_order(const struct tfile *f, int wi, uint32_t epoch, uint32_t first, uint32_t last)
{
	uint64_t want = (uint64_t)epoch << 32 | first;
	size_t i;

	for (i = 0; i < f->f_n; i++) {
		if (f->f_ids[i].ci_worker != (uint32_t)wi)
			continue;
		cr_assert_eq(f->f_ids[i].ci_boot_id, BOOT);
		cr_assert_eq(f->f_ids[i].ci_gen, want, "worker %d: gen %llx, want %llx", wi,
		    (unsigned long long)f->f_ids[i].ci_gen, (unsigned long long)want);
		want++;
	}
	cr_assert_eq(want, ((uint64_t)epoch << 32 | last) + 1, "worker %d: records missing",
	    wi);
}

static void
t_wait_tail(struct tmast *m, int wi, uint64_t want)
{
	long end = t_now_ms() + 5000;

	while (t_tail(m, wi) != want && t_now_ms() < end)
		(void)t_recv(m, NULL, 0, 20);
	cr_assert_eq(t_tail(m, wi), want);
}

static void
t_fini(struct tmast *m, struct tfile *f)
{
	free(f->f_text);
	tu_tmpdir_remove(m->m_dir);
}

/* ---- tests ------------------------------------------------------------------------ */

Test(cdrd, writes_each_record_once_in_order)
{
	struct tmast m;
	struct tfile f = { 0 };
	int i;

	t_init(&m, 0);
	t_send_file(&m, 1, NULL, 0);
	for (i = 0; i < 5; i++) {
		t_push(&m, 0);
		t_push(&m, 1);
	}
	t_kick(&m);
	t_wait_records(&m, 1, 10, &f);
	cr_expect_eq(f.f_headers, 1);
	t_check_order(&f, 0, 1, 1, 5);
	t_check_order(&f, 1, 1, 1, 5);
	t_wait_tail(&m, 0, 5);
	t_wait_tail(&m, 1, 5);
	/* More, without a kick: the 200 ms timer finds them. */
	for (i = 0; i < 12; i++)
		t_push(&m, 1);
	t_wait_records(&m, 1, 22, &f);
	cr_expect_eq(f.f_headers, 1);
	t_check_order(&f, 1, 1, 1, 17);
	t_stop(&m, false);
	t_fini(&m, &f);
}

Test(cdrd, records_wait_for_the_first_file)
{
	struct tmast m;
	struct tfile f = { 0 };

	t_init(&m, 0);
	t_push(&m, 0);
	t_push(&m, 0);
	t_kick(&m);
	(void)t_recv(&m, NULL, 0, 500);
	cr_assert_eq(t_tail(&m, 0), 0, "acknowledged without a file");
	t_send_file(&m, 1, NULL, 0);
	t_wait_records(&m, 1, 2, &f);
	t_wait_tail(&m, 0, 2);
	t_stop(&m, false);
	t_fini(&m, &f);
}

Test(cdrd, tail_moves_only_after_the_write)
{
	struct tmast m;
	struct tfile f = { 0 };
	long end;
	int i, seen = 0;

	t_init(&m, 0);
	t_send_file(&m, 1, NULL, 0);
	for (i = 0; i < 12; i++)
		t_push(&m, 0);
	t_kick(&m);
	/* Sample: tail first, then the file; the file must already hold that many. */
	end = t_now_ms() + 5000;
	while (t_now_ms() < end) {
		uint64_t t = t_tail(&m, 0);

		t_read(&m, 1, &f);
		cr_assert_geq(f.f_n, t, "tail %llu ahead of the file (%zu)",
		    (unsigned long long)t, f.f_n);
		if (t == 12) {
			seen = 1;
			break;
		}
	}
	cr_assert(seen);
	t_stop(&m, false);
	t_fini(&m, &f);
}

Test(cdrd, rotation_by_size)
{
	struct ipc_cdr_rotate cr;
	struct tmast m;
	struct tfile f = { 0 };
	int i, type;

	t_init(&m, 1000);
	t_send_file(&m, 1, NULL, 0);
	for (i = 0; i < 4; i++)
		t_push(&m, 0);
	t_kick(&m);
	t_expect(&m, IPC_CDR_ROTATE, &cr, sizeof(cr), 5000);
	cr_expect_eq(cr.cr_seq, 1);
	cr_expect_eq(cr.cr_why, IPC_ROTATE_SIZE);
	t_wait_records(&m, 1, 4, &f);
	/* Asked once per file. */
	type = t_recv(&m, &cr, sizeof(cr), 600);
	cr_expect_eq(type, 0, "second message 0x%04x", type);
	t_send_file(&m, 2, NULL, 0);
	for (i = 0; i < 2; i++)
		t_push(&m, 0);
	t_kick(&m);
	t_wait_records(&m, 2, 2, &f);
	cr_expect_eq(f.f_headers, 1);
	t_check_order(&f, 0, 1, 5, 6);
	t_read(&m, 1, &f);
	cr_expect_eq(f.f_n, 4, "the old file changed");
	t_stop(&m, false);
	t_fini(&m, &f);
}

/*
 * A crash between write and acknowledgement: the records are in the file, the tail
 * says otherwise (put back by hand), and the last write was cut in the middle.  The
 * restarted cdrd writes nothing twice and removes the cut line.
 */
Test(cdrd, restart_after_crash_writes_no_duplicates)
{
	struct tmast m;
	struct tfile f = { 0 };
	char path[512];
	int i, fd;
	static const char cut[] = "STOP,5eed0000cafe0001,0,1,00000001000000";

	t_init(&m, 0);
	t_send_file(&m, 1, NULL, 0);
	for (i = 0; i < 5; i++)
		t_push(&m, 0);
	t_kick(&m);
	t_wait_records(&m, 1, 5, &f);
	t_wait_tail(&m, 0, 5);
	t_stop(&m, true);

	atomic_store(&m.m_acks[0].ak_tail, 2);
	t_path(&m, 1, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, cut, sizeof(cut) - 1), (ssize_t)(sizeof(cut) - 1));
	close(fd);

	t_start(&m);
	t_send_file(&m, 1, NULL, 0);
	t_push(&m, 0);
	t_push(&m, 0);
	t_kick(&m);
	t_wait_records(&m, 1, 7, &f);
	cr_expect_eq(f.f_headers, 1);
	t_check_order(&f, 0, 1, 1, 7);
	t_wait_tail(&m, 0, 7);
	t_stop(&m, false);
	t_fini(&m, &f);
}

static void
t_slot(struct tmast *m, int wi, uint32_t si, uint32_t state, uint64_t gen, bool torn)
{
	struct shm_slot *s = &shm_seg_slots(m->m_w[wi].w_seg, &m->m_w[wi].w_g)[si];
	struct snap sn;

	memset(&sn, 0, sizeof(sn));
	sn.sn_state = state;
	sn.sn_gen = gen;
	sn.sn_t_start_ms = 1700000000000ull;
	sn.sn_info.si_media = CDR_MEDIA_APPSHARING;
	sn.sn_frames[0][0] = 42;
	snprintf(sn.sn_callid, sizeof(sn.sn_callid), "live-%llx", (unsigned long long)gen);
	snap_publish(s, &sn);
	if (torn)
		seq_write_begin(&s->sl_seq);	/* died in the middle of the next update */
}

Test(cdrd, worker_gone_writes_worker_lost_records)
{
	struct ipc_worker wk;
	struct tmast m;
	struct tfile f = { 0 };
	uint64_t g1, g2, gen_ended;
	struct cdrd_ident id;
	int i;

	t_init(&m, 0);
	t_send_file(&m, 1, NULL, 0);
	/* Two finished sessions in the ring; the second's slot is still ENDED (the
	 * worker died between the push and freeing it). */
	g1 = t_push(&m, 0);
	gen_ended = t_push(&m, 0);
	t_slot(&m, 0, 0, SHM_ST_RELAYING, (1ull << 32) | 100, false);
	t_slot(&m, 0, 3, SHM_ST_ICE, (1ull << 32) | 101, true);
	t_slot(&m, 0, 5, SHM_ST_ENDED, gen_ended, false);
	t_slot(&m, 0, 6, SHM_ST_RELAYING, (0ull << 32) | 7, false);	/* older epoch */
	t_slot(&m, 0, 7, SHM_ST_FREE, (1ull << 32) | 102, false);
	g2 = t_push(&m, 1);

	memset(&wk, 0, sizeof(wk));
	wk.wk_index = 0;
	wk.wk_epoch = 1;
	t_send(&m, IPC_WORKER_GONE, &wk, sizeof(wk), -1);
	memset(&wk, 0xff, sizeof(wk));
	t_expect(&m, IPC_WORKER_DRAINED, &wk, sizeof(wk), 5000);
	cr_expect_eq(wk.wk_index, 0);
	cr_expect_eq(wk.wk_epoch, 1);
	t_wait_records(&m, 1, 5, &f);
	cr_expect_eq(t_count(&f, 0, g1), 1);
	cr_expect_eq(t_count(&f, 0, gen_ended), 1, "ENDED slot written twice");
	cr_expect_eq(t_count(&f, 0, (1ull << 32) | 100), 1);
	cr_expect_eq(t_count(&f, 0, (1ull << 32) | 101), 1);
	cr_expect_eq(t_count(&f, 0, 7), 0);
	cr_expect_eq(t_count(&f, 0, (1ull << 32) | 102), 0);
	cr_expect_eq(t_count(&f, 1, g2), 1);
	cr_expect(strstr(f.f_text, "\"live-100000064\"") != NULL);
	{
		/* The torn slot's line says partial and worker-lost. */
		char *l = strstr(f.f_text, "\"live-100000065\"");

		cr_assert_not_null(l);
		cr_expect(strstr(l, ",worker-lost,,partial,") != NULL);
	}
	(void)id;
	cr_expect_eq(t_tail(&m, 0), 0);
	cr_expect_eq(atomic_load(&m.m_acks[0].ak_epoch_seen), 2);

	/* The master re-creates the segment with epoch 2; the new worker starts at 0. */
	munmap(m.m_w[0].w_seg, m.m_w[0].w_len);
	close(m.m_w[0].w_fd);
	m.m_w[0].w_epoch = 2;
	m.m_w[0].w_count = 0;
	m.m_w[0].w_fd = shm_worker_create(0, 2, BOOT, NSLOTS, RINGLEN, &m.m_w[0].w_len);
	m.m_w[0].w_seg = shm_map_rw(m.m_w[0].w_fd, m.m_w[0].w_len);
	shm_hdr_check(m.m_w[0].w_seg, m.m_w[0].w_len, SHM_KIND_WORKER, &m.m_w[0].w_g);
	ring_prod_init(&m.m_w[0].w_prod, shm_seg_ring(m.m_w[0].w_seg, &m.m_w[0].w_g),
	    RINGLEN, &m.m_acks[0].ak_tail);
	t_send_worker_seg(&m, 0);
	for (i = 0; i < 3; i++)
		t_push(&m, 0);
	t_kick(&m);
	t_wait_records(&m, 1, 8, &f);
	cr_expect_eq(t_count(&f, 0, (2ull << 32) | 1), 1);
	cr_expect_eq(t_count(&f, 0, (2ull << 32) | 3), 1);
	t_wait_tail(&m, 0, 3);
	t_stop(&m, false);
	t_fini(&m, &f);
}

/* /dev/full: every write fails with ENOSPC; then a good file arrives. */
Test(cdrd, disk_full_keeps_records_until_space_returns)
{
	struct ipc_cdr_rotate cr;
	struct tmast m;
	struct tfile f = { 0 };
	int i;

	if (access("/dev/full", W_OK) != 0)
		cr_skip_test("no /dev/full");
	t_init(&m, 0);
	t_send_file(&m, 1, "/dev/full", 0);
	for (i = 0; i < 3; i++)
		t_push(&m, 0);
	t_kick(&m);
	t_expect(&m, IPC_CDR_ROTATE, &cr, sizeof(cr), 5000);
	cr_expect_eq(cr.cr_why, IPC_ROTATE_ERROR);
	cr_expect_eq(cr.cr_seq, 1);
	/* Several ticks of failure: nothing acknowledged, no second ROTATE within 5 s. */
	cr_expect_eq(t_recv(&m, &cr, sizeof(cr), 700), 0);
	cr_assert_eq(t_tail(&m, 0), 0);
	t_send_file(&m, 2, NULL, 0);
	t_wait_records(&m, 2, 3, &f);
	cr_expect_eq(f.f_headers, 1);
	t_check_order(&f, 0, 1, 1, 3);
	t_wait_tail(&m, 0, 3);
	t_stop(&m, false);
	t_fini(&m, &f);
}

Test(cdrd, discard_without_cdr_dir)
{
	struct tmast m;
	struct tfile f = { 0 };

	t_init(&m, 0);
	t_send_file(&m, 1, "/dev/null", IPC_CDR_F_DISCARD);
	t_push(&m, 0);
	t_push(&m, 1);
	t_kick(&m);
	t_wait_tail(&m, 0, 1);
	t_wait_tail(&m, 1, 1);
	t_stop(&m, false);
	t_fini(&m, &f);
}

Test(cdrd, exits_on_channel_eof)
{
	struct tmast m;
	struct tfile f = { 0 };

	t_init(&m, 0);
	t_stop(&m, false);	/* closes the channel and expects status 0 */
	t_fini(&m, &f);
}
