/*
 * Tests of master/registry.c: calls and sessions, handles and generations, worker
 * choice and slots, dialect detection, ICE characters, the statistics reply shape.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>

#include "registry.h"
#include "sdp.h"

Test(registry, call_and_session_lifecycle)
{
	struct registry rg;
	struct reg_call *c;
	struct reg_sess *s;
	uint32_t h, g;

	cr_assert_eq(reg_init(&rg, 2, 4), 0);
	reg_worker_set_up(&rg, 0, true);
	reg_worker_set_up(&rg, 1, true);
	cr_assert_null(reg_call_find(&rg, "x"));
	c = reg_call_new(&rg, "x", "ft", 1000);
	cr_assert_not_null(c);
	cr_assert_eq(reg_call_find(&rg, "x"), c);
	s = reg_sess_new(&rg, c, 0);
	cr_assert_not_null(s);
	cr_assert_null(reg_sess_new(&rg, c, 0), "one session per ordinal");
	cr_assert_eq(c->rc_live, 1);
	cr_assert_eq(rg.rg_live, 1);
	h = s->rs_handle;
	g = s->rs_gen;
	cr_assert_eq(reg_sess_find(&rg, h, g), s);
	cr_assert_null(reg_sess_find(&rg, h, g + 1), "another generation is expired");
	cr_assert_null(reg_sess_find(&rg, 0, g));
	/* delete: detached from the call, still known until SESS_DONE */
	reg_call_free(&rg, c);
	cr_assert_null(reg_call_find(&rg, "x"));
	cr_assert_eq(s->rs_state, REG_SS_ENDING);
	cr_assert_null(s->rs_call);
	cr_assert_eq(rg.rg_live, 0);
	cr_assert_eq(reg_sess_find(&rg, h, g), s);
	reg_sess_free(&rg, s);
	cr_assert_null(reg_sess_find(&rg, h, g));
	/* the handle is reused with a new generation */
	c = reg_call_new(&rg, "y", "ft", 1000);
	s = reg_sess_new(&rg, c, 0);
	cr_assert_eq(s->rs_handle, h);
	cr_assert_neq(s->rs_gen, g);
	cr_assert_null(reg_sess_find(&rg, h, g));
	reg_free(&rg);
}

Test(registry, worker_choice_fewest_then_round_robin)
{
	struct registry rg;
	struct reg_call *c;
	struct reg_sess *s[6];
	unsigned i, n[3] = { 0, 0, 0 };

	cr_assert_eq(reg_init(&rg, 3, 2), 0);
	c = reg_call_new(&rg, "c", "f", 0);
	cr_assert_null(reg_sess_new(&rg, c, 0), "no worker up");
	for (i = 0; i < 3; i++)
		reg_worker_set_up(&rg, i, true);
	for (i = 0; i < 6; i++) {
		s[i] = reg_sess_new(&rg, c, i);
		cr_assert_not_null(s[i], "session %u", i);
		n[s[i]->rs_worker]++;
	}
	cr_assert(n[0] == 2 && n[1] == 2 && n[2] == 2, "spread %u %u %u", n[0], n[1], n[2]);
	/* slots distinct per worker */
	for (i = 0; i < 6; i++)
		for (unsigned j = i + 1; j < 6; j++)
			cr_assert(s[i]->rs_worker != s[j]->rs_worker ||
			    s[i]->rs_slot != s[j]->rs_slot);
	cr_assert_null(reg_sess_new(&rg, c, 6), "every slot taken");
	/* a worker that is down gets nothing; a freed slot comes back */
	reg_worker_set_up(&rg, s[0]->rs_worker, false);
	i = s[1]->rs_worker;
	reg_sess_free(&rg, s[1]);
	if (i == s[0]->rs_worker)
		cr_assert_null(reg_sess_new(&rg, c, 1), "its worker is down");
	else
		cr_assert_eq(reg_sess_new(&rg, c, 1)->rs_worker, i, "the freed slot");
	reg_free(&rg);
}

Test(registry, remote_addresses)
{
	struct registry rg;
	struct reg_call *c;
	struct reg_sess *s;
	struct ipc_addr a = { .ia_family = AF_INET, .ia_port = 5000,
	    .ia_addr = { 127, 0, 0, 2 } }, b = a;
	unsigned i;

	cr_assert_eq(reg_init(&rg, 1, 1), 0);
	reg_worker_set_up(&rg, 0, true);
	c = reg_call_new(&rg, "c", "f", 0);
	s = reg_sess_new(&rg, c, 0);
	cr_assert_not(reg_sess_remote_ok(s, 1, &a));
	cr_assert(reg_sess_add_remote(s, 1, &a));
	cr_assert(reg_sess_add_remote(s, 1, &a));
	cr_assert_eq(s->rs_nremote[1], 1, "no duplicates");
	cr_assert(reg_sess_remote_ok(s, 1, &a));
	cr_assert_not(reg_sess_remote_ok(s, 0, &a), "per leg");
	b.ia_port = 5001;
	cr_assert_not(reg_sess_remote_ok(s, 1, &b), "the port counts");
	cr_assert_not(reg_sess_add_remote(s, 2, &a));
	/* Grows one address at a time up to the limit, every one still found. */
	for (i = 0; i < REG_REMOTE_MAX - 1; i++) {
		b.ia_port = (uint16_t)(6000 + i);
		cr_assert(reg_sess_add_remote(s, 1, &b), "address %u", i);
	}
	cr_assert_eq(s->rs_nremote[1], REG_REMOTE_MAX);
	b.ia_port = 7000;
	cr_assert_not(reg_sess_add_remote(s, 1, &b), "full at REG_REMOTE_MAX");
	for (i = 0; i < REG_REMOTE_MAX - 1; i++) {
		b.ia_port = (uint16_t)(6000 + i);
		cr_assert(reg_sess_remote_ok(s, 1, &b), "address %u kept", i);
	}
	cr_assert(reg_sess_remote_ok(s, 1, &a));
	reg_sess_free(&rg, s);
	reg_free(&rg);
}

static enum ipc_dialect
detect(const char *lines)
{
	static char text[4096];
	static struct sdp sdp;
	struct cand cands[SDP_MAX_CANDS];
	size_t n;
	int mi;

	snprintf(text, sizeof(text), "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=applicationsharing 5000 TCP/RTP/AVP 127\r\n%s",
	    lines);
	cr_assert_eq(sdp_parse(text, strlen(text), &sdp), 0);
	mi = sdp_appshare_index(&sdp, 0);
	cr_assert_geq(mi, 0);
	cr_assert_eq(cand_list(&sdp, (size_t)mi, cands, SDP_MAX_CANDS, &n, NULL), 0);
	return reg_dialect_detect(cands, n);
}

Test(registry, dialect_detection)
{
	cr_assert_eq(detect("a=candidate:1 1 TCP-PASS 2120613887 127.0.0.1 5000 typ host\r\n"),
	    IPC_DIALECT_MSICE2);
	cr_assert_eq(detect("a=candidate:1 1 TCP-ACT 2121006591 127.0.0.1 5000 typ host\r\n"),
	    IPC_DIALECT_MSICE2);
	cr_assert_eq(detect("a=candidate:1 1 TCP 2105524479 127.0.0.1 5000 typ host "
	    "tcptype passive\r\n"), IPC_DIALECT_RFC6544);
	cr_assert_eq(detect("a=setup:active\r\n"), IPC_DIALECT_RFC4145);
	cr_assert_eq(detect("a=candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host\r\n"),
	    IPC_DIALECT_RFC4145, "UDP candidates alone do not make ICE-TCP");
	cr_assert_str_eq(reg_dialect_name(IPC_DIALECT_RFC6544), "rfc6544");
}

Test(registry, ice_chars)
{
	uint8_t rnd[64];
	char out[65];
	size_t i;

	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(i * 4 + 3);
	reg_ice_chars(rnd, 24, out);
	cr_assert_eq(strlen(out), 24);
	for (i = 0; i < 24; i++)
		cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/", out[i]) != NULL);
	rnd[0] = 0;
	rnd[1] = 63;
	rnd[2] = 255;
	reg_ice_chars(rnd, 3, out);
	cr_assert_str_eq(out, "A//");
}

Test(registry, stats_shape)
{
	struct reg_leg_stats ls[2];
	json_t *r = json_object(), *t, *m, *st;

	memset(ls, 0, sizeof(ls));
	ls[0].ls_tag = "ft";
	ls[0].ls_local_port = 20000;
	ls[0].ls_remote.sa_family = SHM_AF_INET;
	ls[0].ls_remote.sa_port = 5000;
	memcpy(ls[0].ls_remote.sa_addr, "\x7f\0\0\x02", 4);
	ls[0].ls_packets = 5;
	ls[0].ls_bytes = 100;
	ls[1].ls_tag = "";
	ls[1].ls_local_port = 20001;
	ls[1].ls_packets = 7;
	ls[1].ls_bytes = 1000;
	cr_assert_eq(reg_stats_begin(r, 1700000000123ULL, 1700000001000ULL), 0);
	cr_assert_eq(reg_stats_add(r, 2, IPC_PROTO_TCP_RTP_SAVP, ls), 0);
	cr_assert_eq(json_integer_value(json_object_get(r, "created")), 1700000000);
	st = json_object_get(json_object_get(r, "totals"), "RTP");
	cr_assert_eq(json_integer_value(json_object_get(st, "packets")), 12);
	cr_assert_eq(json_integer_value(json_object_get(st, "bytes")), 1100);
	cr_assert_not_null(json_object_get(json_object_get(r, "totals"), "RTCP"));
	t = json_object_get(json_object_get(r, "tags"), "ft");
	cr_assert_str_eq(json_string_value(json_object_get(t, "tag")), "ft");
	m = json_array_get(json_object_get(t, "medias"), 0);
	cr_assert_eq(json_integer_value(json_object_get(m, "index")), 3);
	cr_assert_str_eq(json_string_value(json_object_get(m, "type")), "applicationsharing");
	cr_assert_str_eq(json_string_value(json_object_get(m, "protocol")), "TCP/RTP/SAVP");
	st = json_array_get(json_object_get(m, "streams"), 0);
	cr_assert_eq(json_integer_value(json_object_get(st, "local port")), 20000);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "endpoint"),
	    "address")), "127.0.0.2");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "endpoint"),
	    "family")), "IPv4");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "stats"),
	    "packets")), 5);
	cr_assert_not_null(json_object_get(json_object_get(r, "tags"), "<untagged 2>"));
	json_decref(r);
}
