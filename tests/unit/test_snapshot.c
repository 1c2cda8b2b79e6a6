/*
 * snapshot.c in one process: publish/snapshot round trip, region iteration, text
 * fields, conversion to a final record.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "seqlock.h"
#include "snapshot.h"

static struct shm_slot *
slots_new(uint32_t n)
{
	struct shm_slot *s = aligned_alloc(64, n * sizeof(*s));

	cr_assert_not_null(s);
	memset(s, 0, n * sizeof(*s));
	return s;
}

static void
snap_sample(struct snap *sn, uint64_t gen)
{
	memset(sn, 0, sizeof(*sn));
	sn->sn_state = SHM_ST_RELAYING;
	sn->sn_gen = gen;
	sn->sn_info.si_media = CDR_MEDIA_APPSHARING;
	sn->sn_info.si_proto = CDR_PROTO_TCP_RTP_SAVP;
	sn->sn_info.si_dialect[SHM_LEG_A] = CDR_DIALECT_MS_ICE2;
	sn->sn_info.si_dialect[SHM_LEG_B] = CDR_DIALECT_RFC6544;
	sn->sn_info.si_role[SHM_LEG_A] = CDR_ROLE_PASSIVE;
	sn->sn_info.si_role[SHM_LEG_B] = CDR_ROLE_ACTIVE;
	sn->sn_info.si_closed_by = CDR_CLOSED_B;
	sn->sn_t_start_ms = 1000;
	sn->sn_t_ice_ms = 2000;
	sn->sn_t_last_ms = 3000;
	sn->sn_frames[SHM_LEG_A][SHM_DIR_IN] = 11;
	sn->sn_frames[SHM_LEG_B][SHM_DIR_OUT] = 12;
	sn->sn_octets[SHM_LEG_A][SHM_DIR_OUT] = 13;
	sn->sn_stun[SHM_LEG_B][SHM_DIR_IN] = 14;
	sn->sn_ep[SHM_LEG_B][SHM_EP_REMOTE].sa_family = SHM_AF_INET;
	sn->sn_ep[SHM_LEG_B][SHM_EP_REMOTE].sa_port = 5004;
	memcpy(sn->sn_ep[SHM_LEG_B][SHM_EP_REMOTE].sa_addr, "\xc6\x33\x64\x07", 4);
	snap_set_text(sn->sn_sessid, sizeof(sn->sn_sessid), "s1");
	snap_set_text(sn->sn_callid, sizeof(sn->sn_callid), "call@host");
	snap_set_text(sn->sn_from_tag, sizeof(sn->sn_from_tag), "ft");
	snap_set_text(sn->sn_to_tag, sizeof(sn->sn_to_tag), "tt");
}

Test(snapshot, publish_round_trip)
{
	struct shm_slot *s = slots_new(1);
	struct snap in, out;

	snap_sample(&in, 77);
	snap_publish(s, &in);
	cr_assert_eq(atomic_load(&s->sl_seq), 2);
	cr_assert_eq(snap_slot(s, &out, SNAP_LIVE), SNAP_OK);
	in.sn_seq = 2;
	cr_assert_eq(memcmp(&in, &out, sizeof(in)), 0);
	free(s);
}

Test(snapshot, busy_while_writer_inside)
{
	struct shm_slot *s = slots_new(1);
	struct snap sn;

	seq_write_begin(&s->sl_seq);
	cr_assert_eq(snap_slot(s, &sn, SNAP_LIVE), SNAP_BUSY);
	seq_write_end(&s->sl_seq);
	cr_assert_eq(snap_slot(s, &sn, SNAP_LIVE), SNAP_OK);
	free(s);
}

Test(snapshot, iteration_skips_free_reports_busy)
{
	struct shm_slot *s = slots_new(6);
	struct snap sn;
	uint32_t pos = 0, idx = 99;

	snap_sample(&sn, 1);
	snap_publish(&s[1], &sn);
	snap_sample(&sn, 4);
	snap_publish(&s[4], &sn);
	/* Slot 2 was used and freed again: its copy says FREE, so it is skipped. */
	snap_sample(&sn, 2);
	sn.sn_state = SHM_ST_FREE;
	snap_publish(&s[2], &sn);
	/* Slot 5 is mid-write and still FREE by its state word: reported busy. */
	seq_write_begin(&s[5].sl_seq);

	cr_assert_eq(snap_next(s, 6, &pos, SNAP_LIVE, &sn, &idx), SNAP_OK);
	cr_assert_eq(idx, 1);
	cr_assert_eq(sn.sn_gen, 1);
	cr_assert_eq(snap_next(s, 6, &pos, SNAP_LIVE, &sn, &idx), SNAP_OK);
	cr_assert_eq(idx, 4);
	cr_assert_eq(sn.sn_gen, 4);
	cr_assert_eq(snap_next(s, 6, &pos, SNAP_LIVE, &sn, &idx), SNAP_BUSY);
	cr_assert_eq(idx, 5);
	cr_assert_eq(snap_next(s, 6, &pos, SNAP_LIVE, &sn, &idx), SNAP_END);
	cr_assert_eq(snap_next(s, 6, &pos, SNAP_LIVE, &sn, &idx), SNAP_END);

	pos = 0;
	cr_assert_eq(snap_next(s, 6, &pos, SNAP_WRITER_DEAD, &sn, &idx), SNAP_OK);
	cr_assert_eq(snap_next(s, 6, &pos, SNAP_WRITER_DEAD, &sn, &idx), SNAP_OK);
	cr_assert_eq(snap_next(s, 6, &pos, SNAP_WRITER_DEAD, &sn, &idx), SNAP_PARTIAL);
	cr_assert_eq(idx, 5);
	free(s);
}

Test(snapshot, set_text_bounds)
{
	char f[8];
	char big[] = "0123456789";

	memset(f, 'x', sizeof(f));
	cr_assert_not(snap_set_text(f, sizeof(f), "abc"));
	cr_assert_eq(memcmp(f, "abc\0\0\0\0\0", 8), 0);
	cr_assert_not(snap_set_text(f, sizeof(f), "01234567"));	/* exactly full */
	cr_assert_eq(memcmp(f, "01234567", 8), 0);
	cr_assert(snap_set_text(f, sizeof(f), big));
	cr_assert_eq(memcmp(f, "01234567", 8), 0);
	cr_assert_not(snap_set_text(f, sizeof(f), ""));
	cr_assert_eq(memcmp(f, "\0\0\0\0\0\0\0\0", 8), 0);
}

Test(snapshot, to_cdr)
{
	struct snap sn;
	struct shm_hdr h;
	struct cdr_rec r;

	snap_sample(&sn, (5ull << 32) | 9);
	sn.sn_info.si_flags = CDR_F_TRUNCATED | 0x80;	/* unknown bit dropped */
	cr_assert_eq(shm_hdr_init(&h, SHM_KIND_WORKER, 4, 4, 1, 5, 0xb007), SHM_OK);
	snap_to_cdr(&sn, &h, CDR_R_DELETED, 4000, false, &r);
	cr_assert_eq(r.cr_boot_id, 0xb007);
	cr_assert_eq(r.cr_worker, 1);
	cr_assert_eq(r.cr_epoch, 5);
	cr_assert_eq(r.cr_gen, (5ull << 32) | 9);
	cr_assert_eq(r.cr_t_start_ms, 1000);
	cr_assert_eq(r.cr_t_ice_ms, 2000);
	cr_assert_eq(r.cr_t_end_ms, 4000);
	cr_assert_eq(r.cr_reason, CDR_R_DELETED);
	cr_assert_eq(r.cr_flags, CDR_F_TRUNCATED);
	cr_assert_eq(r.cr_proto, CDR_PROTO_TCP_RTP_SAVP);
	cr_assert_eq(r.cr_closed_by, CDR_CLOSED_B);
	cr_assert_eq(r.cr_leg[SHM_LEG_A].cl_dialect, CDR_DIALECT_MS_ICE2);
	cr_assert_eq(r.cr_leg[SHM_LEG_B].cl_role, CDR_ROLE_ACTIVE);
	cr_assert_eq(r.cr_leg[SHM_LEG_A].cl_frames[SHM_DIR_IN], 11);
	cr_assert_eq(r.cr_leg[SHM_LEG_B].cl_frames[SHM_DIR_OUT], 12);
	cr_assert_eq(r.cr_leg[SHM_LEG_A].cl_octets[SHM_DIR_OUT], 13);
	cr_assert_eq(r.cr_leg[SHM_LEG_B].cl_stun[SHM_DIR_IN], 14);
	cr_assert_eq(r.cr_leg[SHM_LEG_B].cl_remote.sa_port, 5004);
	cr_assert_str_eq(r.cr_callid, "call@host");
	cr_assert_str_eq(r.cr_to_tag, "tt");
}
