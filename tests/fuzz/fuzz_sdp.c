/*
 * sdp_parse + cand_addrs + sdpw_rewrite round trip.  Invariants:
 *   - parse never crashes and, on error, names a known code;
 *   - a rewrite with a fixed plan succeeds (or reports NOSPACE/PROTO honestly);
 *   - the rewritten text parses again, has the same sections, and every section
 *     that is not application sharing, and the session part, is byte-identical;
 *     when the plan refuses the other m-lines, those m-lines differ only in the
 *     port token, which is "0" (an m-line already at port 0 is kept as is);
 *   - a second rewrite of the output with the same plan is a fixed point.
 * The first input byte picks the dialect/role of the plan, and whether it refuses
 * the other m-lines (bit 0x04), so all writers run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sdp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sdp	fz_in, fz_out;
static char		fz_buf[2 * SDP_MAX_TEXT];
static char		fz_buf2[2 * SDP_MAX_TEXT];

static void
fz_check(int cond)
{
	if (!cond)
		abort();
}

static int
fz_line_eq(const struct sdp_line *a, const struct sdp_line *b)
{
	return a->ln_text.s_len == b->ln_text.s_len && a->ln_eol == b->ln_eol &&
	    memcmp(a->ln_text.s_p, b->ln_text.s_p, a->ln_text.s_len) == 0;
}

static int
fz_last_line(const struct sdp *s, size_t li)
{
	return li + 1 == s->s_nlines;
}

/*
 * A refused m-line: a's text with its port token (and any /count) replaced by
 * "0"; the line ending is compared by the caller, as for the other lines.
 */
static int
fz_mline_refused(const struct sdp_media *a, const struct sdp_line *x,
    const struct sdp_media *b, const struct sdp_line *y)
{
	size_t pre = (size_t)(a->m_port_text.s_p - x->ln_text.s_p);
	size_t post = x->ln_text.s_len - pre - a->m_port_text.s_len;

	return b->m_port == 0 && b->m_port_count == 0 &&
	    y->ln_text.s_len == pre + 1 + post &&
	    memcmp(x->ln_text.s_p, y->ln_text.s_p, pre) == 0 &&
	    y->ln_text.s_p[pre] == '0' &&
	    memcmp(x->ln_text.s_p + pre + a->m_port_text.s_len,
	    y->ln_text.s_p + pre + 1, post) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdpw_media_plan mp[SDP_MAX_MEDIA];
	struct sdpw_plan plan;
	struct sdp_addr addrs[SDP_MAX_ADDRS];
	struct cand cands[SDP_MAX_CANDS];
	size_t i, j, n, w;
	uint8_t sel = 0;
	int rc;

	if (size > 0) {
		sel = data[0];
		data++;
		size--;
	}
	rc = sdp_parse((const char *)data, size, &fz_in);
	if (rc != 0) {
		fz_check(rc < 0 && rc >= SDP_E_MIN);
		fz_check(strcmp(sdp_errname(rc), "SDP_E_?") != 0);
		return 0;
	}
	for (i = 0; i < fz_in.s_nmedia; i++) {
		rc = cand_addrs(&fz_in, i, addrs, SDP_MAX_ADDRS, &n);
		fz_check(rc == 0 || rc == SDP_E_CANDS || !fz_in.s_media[i].m_appshare);
		rc = cand_list(&fz_in, i, cands, SDP_MAX_CANDS, &n, NULL);
		fz_check(rc == 0 || rc == SDP_E_CANDS || !fz_in.s_media[i].m_appshare);
	}

	memset(mp, 0, sizeof(mp));
	for (i = 0; i < SDP_MAX_MEDIA; i++) {
		mp[i].mp_dialect = (uint8_t)(1 + (sel + i) % 3);
		mp[i].mp_role = (sel & 0x10) ? SDPW_ACTIVE : SDPW_PASSIVE;
		mp[i].mp_has_ip4 = !(sel & 0x20);
		mp[i].mp_has_ip6 = (sel & 0x60) != 0;
		mp[i].mp_ip4[0] = 198;
		mp[i].mp_ip4[1] = 51;
		mp[i].mp_ip4[2] = 100;
		mp[i].mp_ip4[3] = 20;
		mp[i].mp_ip6[0] = 0x20;
		mp[i].mp_ip6[1] = 0x01;
		mp[i].mp_ip6[2] = 0x0d;
		mp[i].mp_ip6[3] = 0xb8;
		mp[i].mp_ip6[15] = 0x20;
		mp[i].mp_port = 40000;
		mp[i].mp_ufrag = "Sb7Q";
		mp[i].mp_pwd = "h3Kd9wQ2LmX8pVt5Rz1NcB6y";
		mp[i].mp_active_cand = (sel & 0x80) != 0;
		if ((sel & 0x08) && mp[i].mp_dialect != SDPW_RFC4145) {
			mp[i].mp_has_remote = 1;
			mp[i].mp_remote.a_family = AF_INET;
			mp[i].mp_remote.a_bytes[0] = 192;
			mp[i].mp_remote.a_bytes[3] = 10;
			mp[i].mp_remote_port = 50040;
		}
	}
	plan.p_media = mp;
	plan.p_nmedia = sdp_appshare_count(&fz_in);
	/* Bit 2 is free of the dialect: sel % 3 still takes every value either way. */
	plan.p_refuse_other = (sel & 0x04) != 0;
	rc = sdpw_rewrite(&fz_in, &plan, fz_buf, sizeof(fz_buf), &w);
	if (rc == SDP_E_PROTO)
		return 0;
	fz_check(rc == 0);
	fz_check(w <= sizeof(fz_buf));

	rc = sdp_parse(fz_buf, w, &fz_out);
	if (rc == SDP_E_LINES || rc == SDP_E_TOOBIG || rc == SDP_E_LINE_LONG) {
		/* Only because the rewrite added text. */
		fz_check(w > size || fz_out.s_nlines >= fz_in.s_nlines);
		return 0;
	}
	fz_check(rc == 0);
	fz_check(fz_out.s_nmedia == fz_in.s_nmedia);
	fz_check(fz_out.s_nsession == fz_in.s_nsession);
	for (i = 0; i < fz_in.s_nsession; i++)
		fz_check(fz_line_eq(&fz_in.s_lines[i], &fz_out.s_lines[i]) ||
		    fz_last_line(&fz_in, i));
	for (i = 0; i < fz_in.s_nmedia; i++) {
		const struct sdp_media *a = &fz_in.s_media[i], *b = &fz_out.s_media[i];

		fz_check(a->m_appshare == b->m_appshare);
		if (a->m_appshare) {
			fz_check(b->m_port == (a->m_port == 0 ? 0 :
			    (mp[0].mp_role == SDPW_ACTIVE ? b->m_port : 40000)));
			continue;
		}
		fz_check(a->m_nlines == b->m_nlines);
		if (plan.p_refuse_other && a->m_port != 0) {
			fz_check(fz_mline_refused(a, &fz_in.s_lines[a->m_line], b,
			    &fz_out.s_lines[b->m_line]));
			fz_check(fz_in.s_lines[a->m_line].ln_eol ==
			    fz_out.s_lines[b->m_line].ln_eol ||
			    fz_last_line(&fz_in, a->m_line));
			j = 1;
		} else
			j = 0;
		for (; j < a->m_nlines; j++)
			fz_check(fz_line_eq(&fz_in.s_lines[a->m_line + j],
			    &fz_out.s_lines[b->m_line + j]) ||
			    fz_last_line(&fz_in, a->m_line + j));
	}
	/* A second rewrite of the output gives the same text (fixed point). */
	rc = sdpw_rewrite(&fz_out, &plan, fz_buf2, sizeof(fz_buf2), &n);
	fz_check(rc == 0 && n == w && memcmp(fz_buf, fz_buf2, w) == 0);
	return 0;
}
