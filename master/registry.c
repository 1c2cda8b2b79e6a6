/*
 * Session registry of the master (registry.h).  Pure: memory only.
 */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#define REG_HASH_MIN	256

static uint32_t
reg_hash(const char *s)
{
	uint32_t h = 2166136261u;

	/* FNV-1a: call-ids come from outside, but the table only needs spreading. */
	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

int
reg_init(struct registry *rg, unsigned nworkers, uint32_t nslots)
{
	unsigned i;
	uint32_t s;

	memset(rg, 0, sizeof(*rg));
	TAILQ_INIT(&rg->rg_calls);
	rg->rg_nworkers = nworkers;
	rg->rg_nslots = nslots;
	rg->rg_hsize = REG_HASH_MIN;
	while (rg->rg_hsize < (size_t)nworkers * nslots && rg->rg_hsize < (1u << 20))
		rg->rg_hsize <<= 1;
	if ((rg->rg_hash = calloc(rg->rg_hsize, sizeof(*rg->rg_hash))) == NULL ||
	    (rg->rg_w = calloc(nworkers, sizeof(*rg->rg_w))) == NULL)
		goto fail;
	for (i = 0; i < nworkers; i++) {
		struct reg_worker *w = &rg->rg_w[i];

		TAILQ_INIT(&w->rw_sessions);
		if ((w->rw_free = calloc(nslots, sizeof(*w->rw_free))) == NULL)
			goto fail;
		/* Stack: slot 0 on top, so a quiet relay uses the first slots. */
		for (s = 0; s < nslots; s++)
			w->rw_free[s] = nslots - 1 - s;
		w->rw_nfree = nslots;
	}
	return 0;
 fail:
	reg_free(rg);
	return -1;
}

void
reg_free(struct registry *rg)
{
	struct reg_call *c;
	uint32_t i;

	while ((c = TAILQ_FIRST(&rg->rg_calls)) != NULL) {
		TAILQ_REMOVE(&rg->rg_calls, c, rc_entry);
		free(c);
	}
	for (i = 0; i < rg->rg_hcap; i++)
		if (rg->rg_handles[i] != NULL) {
			free(rg->rg_handles[i]->rs_remote[0]);
			free(rg->rg_handles[i]->rs_remote[1]);
			free(rg->rg_handles[i]);
		}
	if (rg->rg_w != NULL)
		for (i = 0; i < rg->rg_nworkers; i++)
			free(rg->rg_w[i].rw_free);
	free(rg->rg_w);
	free(rg->rg_hash);
	free(rg->rg_handles);
	free(rg->rg_hfree);
	memset(rg, 0, sizeof(*rg));
}

struct reg_call *
reg_call_find(struct registry *rg, const char *call_id)
{
	struct reg_call *c;

	for (c = rg->rg_hash[reg_hash(call_id) & (rg->rg_hsize - 1)]; c != NULL;
	    c = c->rc_hnext)
		if (strcmp(c->rc_call_id, call_id) == 0)
			return c;
	return NULL;
}

struct reg_call *
reg_call_new(struct registry *rg, const char *call_id, const char *from_tag,
    uint64_t now_ms)
{
	struct reg_call *c;
	size_t b;

	if (strlen(call_id) > IPC_CALLID_MAX || strlen(from_tag) > IPC_TAG_MAX)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	strcpy(c->rc_call_id, call_id);
	strcpy(c->rc_from_tag, from_tag);
	c->rc_created_ms = c->rc_last_signal_ms = now_ms;
	b = reg_hash(call_id) & (rg->rg_hsize - 1);
	c->rc_hnext = rg->rg_hash[b];
	rg->rg_hash[b] = c;
	TAILQ_INSERT_TAIL(&rg->rg_calls, c, rc_entry);
	rg->rg_ncalls++;
	return c;
}

void
reg_call_free(struct registry *rg, struct reg_call *c)
{
	struct reg_call **pp;
	unsigned i;

	for (i = 0; i < c->rc_nsess; i++)
		if (c->rc_sess[i] != NULL)
			reg_sess_end(rg, c->rc_sess[i]);
	for (pp = &rg->rg_hash[reg_hash(c->rc_call_id) & (rg->rg_hsize - 1)];
	    *pp != NULL; pp = &(*pp)->rc_hnext)
		if (*pp == c) {
			*pp = c->rc_hnext;
			break;
		}
	TAILQ_REMOVE(&rg->rg_calls, c, rc_entry);
	rg->rg_ncalls--;
	free(c);
}

static int
reg_pick_worker(struct registry *rg)
{
	unsigned i, w, best = 0;
	int found = -1;

	for (i = 0; i < rg->rg_nworkers; i++) {
		w = (rg->rg_rr + i) % rg->rg_nworkers;
		if (!rg->rg_w[w].rw_up || rg->rg_w[w].rw_nfree == 0)
			continue;
		if (found == -1 || rg->rg_w[w].rw_nsess < best) {
			found = (int)w;
			best = rg->rg_w[w].rw_nsess;
		}
	}
	if (found != -1)
		rg->rg_rr = ((unsigned)found + 1) % rg->rg_nworkers;
	return found;
}

static int
reg_handle_grow(struct registry *rg)
{
	uint32_t ncap = rg->rg_hcap == 0 ? 64 : rg->rg_hcap * 2, i;
	struct reg_sess **h;
	uint32_t *f;

	if (ncap > (1u << 24))
		return -1;
	if ((h = realloc(rg->rg_handles, ncap * sizeof(*h))) == NULL)
		return -1;
	rg->rg_handles = h;
	if ((f = realloc(rg->rg_hfree, ncap * sizeof(*f))) == NULL)
		return -1;
	rg->rg_hfree = f;
	for (i = rg->rg_hcap; i < ncap; i++)
		h[i] = NULL;
	for (i = ncap; i > rg->rg_hcap; i--)
		f[rg->rg_nhfree++] = i - 1;
	rg->rg_hcap = ncap;
	return 0;
}

struct reg_sess *
reg_sess_new(struct registry *rg, struct reg_call *c, unsigned ordinal)
{
	struct reg_sess *s;
	struct reg_worker *w;
	uint32_t idx;
	int wi;

	if (ordinal >= REG_MAX_STREAMS || c->rc_sess[ordinal] != NULL)
		return NULL;
	if ((wi = reg_pick_worker(rg)) == -1)
		return NULL;
	if (rg->rg_nhfree == 0 && reg_handle_grow(rg) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	idx = rg->rg_hfree[--rg->rg_nhfree];
	rg->rg_handles[idx] = s;
	s->rs_handle = idx + 1;
	if (++rg->rg_gen == 0)
		rg->rg_gen = 1;
	s->rs_gen = rg->rg_gen;
	s->rs_state = REG_SS_LIVE;
	s->rs_call = c;
	s->rs_ordinal = ordinal;
	s->rs_worker = (unsigned)wi;
	w = &rg->rg_w[wi];
	s->rs_slot = w->rw_free[--w->rw_nfree];
	w->rw_nsess++;
	TAILQ_INSERT_TAIL(&w->rw_sessions, s, rs_wentry);
	c->rc_sess[ordinal] = s;
	if (ordinal + 1 > c->rc_nsess)
		c->rc_nsess = ordinal + 1;
	c->rc_live++;
	rg->rg_live++;
	rg->rg_total++;
	return s;
}

struct reg_sess *
reg_sess_find(struct registry *rg, uint32_t handle, uint32_t gen)
{
	struct reg_sess *s;

	if (handle == 0 || handle > rg->rg_hcap)
		return NULL;
	s = rg->rg_handles[handle - 1];
	if (s == NULL || s->rs_gen != gen)
		return NULL;
	return s;
}

void
reg_sess_end(struct registry *rg, struct reg_sess *s)
{
	struct reg_call *c = s->rs_call;

	if (s->rs_state != REG_SS_LIVE)
		return;
	if (c != NULL) {
		c->rc_sess[s->rs_ordinal] = NULL;
		c->rc_live--;
		while (c->rc_nsess > 0 && c->rc_sess[c->rc_nsess - 1] == NULL)
			c->rc_nsess--;
	}
	s->rs_call = NULL;
	s->rs_state = REG_SS_ENDING;
	rg->rg_live--;
}

void
reg_sess_free(struct registry *rg, struct reg_sess *s)
{
	struct reg_worker *w = &rg->rg_w[s->rs_worker];

	reg_sess_end(rg, s);
	TAILQ_REMOVE(&w->rw_sessions, s, rs_wentry);
	w->rw_free[w->rw_nfree++] = s->rs_slot;
	w->rw_nsess--;
	rg->rg_handles[s->rs_handle - 1] = NULL;
	rg->rg_hfree[rg->rg_nhfree++] = s->rs_handle - 1;
	free(s->rs_remote[0]);
	free(s->rs_remote[1]);
	free(s);
}

static bool
reg_addr_eq(const struct ipc_addr *a, const struct ipc_addr *b)
{
	size_t n = a->ia_family == AF_INET ? 4 : 16;

	return a->ia_family == b->ia_family && a->ia_port == b->ia_port &&
	    memcmp(a->ia_addr, b->ia_addr, n) == 0;
}

bool
reg_sess_add_remote(struct reg_sess *s, unsigned leg, const struct ipc_addr *a)
{
	if (leg > 1)
		return false;
	if (reg_sess_remote_ok(s, leg, a))
		return true;
	if (s->rs_nremote[leg] >= REG_REMOTE_MAX)
		return false;
	if (s->rs_nremote[leg] == s->rs_capremote[leg]) {
		unsigned cap = s->rs_capremote[leg] == 0 ? 4 : s->rs_capremote[leg] * 2;
		struct ipc_addr *na;

		if (cap > REG_REMOTE_MAX)
			cap = REG_REMOTE_MAX;
		if ((na = reallocarray(s->rs_remote[leg], cap, sizeof(*na))) == NULL)
			return false;
		s->rs_remote[leg] = na;
		s->rs_capremote[leg] = cap;
	}
	s->rs_remote[leg][s->rs_nremote[leg]++] = *a;
	return true;
}

bool
reg_sess_remote_ok(const struct reg_sess *s, unsigned leg, const struct ipc_addr *a)
{
	unsigned i;

	if (leg > 1)
		return false;
	for (i = 0; i < s->rs_nremote[leg]; i++)
		if (reg_addr_eq(&s->rs_remote[leg][i], a))
			return true;
	return false;
}

void
reg_worker_set_up(struct registry *rg, unsigned worker, bool up)
{
	if (worker < rg->rg_nworkers)
		rg->rg_w[worker].rw_up = up;
}

/* ---- pure helpers ------------------------------------------------------------ */

enum ipc_dialect
reg_dialect_detect(const struct cand *c, size_t n)
{
	size_t i;
	bool rfc = false;

	for (i = 0; i < n; i++) {
		if (c[i].c_transport != CAND_TR_TCP)
			continue;
		if (c[i].c_dialect == CAND_DIALECT_MS)
			return IPC_DIALECT_MSICE2;
		if (c[i].c_dialect == CAND_DIALECT_RFC)
			rfc = true;
	}
	return rfc ? IPC_DIALECT_RFC6544 : IPC_DIALECT_RFC4145;
}

const char *
reg_dialect_name(enum ipc_dialect d)
{
	switch (d) {
	case IPC_DIALECT_MSICE2:
		return "ms-ice2";
	case IPC_DIALECT_RFC6544:
		return "rfc6544";
	case IPC_DIALECT_RFC4145:
		return "rfc4145";
	default:
		return "?";
	}
}

void
reg_ice_chars(const uint8_t *rnd, size_t n, char *out)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = alpha[rnd[i] & 63];
	out[n] = '\0';
}

static json_t *
reg_counter(uint64_t packets, uint64_t bytes, uint64_t errors)
{
	return json_pack("{s:I,s:I,s:I}", "packets", (json_int_t)packets,
	    "bytes", (json_int_t)bytes, "errors", (json_int_t)errors);
}

int
reg_stats_begin(json_t *reply, uint64_t created_ms, uint64_t last_signal_ms)
{
	json_t *totals;

	totals = json_pack("{s:o,s:o}", "RTP", reg_counter(0, 0, 0),
	    "RTCP", reg_counter(0, 0, 0));
	if (totals == NULL)
		return -1;
	if (json_object_set_new(reply, "created", json_integer(
	    (json_int_t)(created_ms / 1000))) == -1 ||
	    json_object_set_new(reply, "created_us", json_integer(
	    (json_int_t)(created_ms % 1000 * 1000))) == -1 ||
	    json_object_set_new(reply, "last signal", json_integer(
	    (json_int_t)(last_signal_ms / 1000))) == -1 ||
	    json_object_set_new(reply, "totals", totals) == -1 ||
	    json_object_set_new(reply, "tags", json_object()) == -1)
		return -1;
	return 0;
}

static json_t *
reg_endpoint(const struct shm_addr *a)
{
	char txt[INET6_ADDRSTRLEN];
	int af;

	if (a->sa_family == SHM_AF_INET)
		af = AF_INET;
	else if (a->sa_family == SHM_AF_INET6)
		af = AF_INET6;
	else
		return json_object();
	if (inet_ntop(af, a->sa_addr, txt, sizeof(txt)) == NULL)
		return json_object();
	return json_pack("{s:s,s:s,s:i}", "family", af == AF_INET ? "IPv4" : "IPv6",
	    "address", txt, "port", (int)a->sa_port);
}

static int
reg_add_count(json_t *obj, const char *key, uint64_t v)
{
	json_t *j = json_object_get(obj, key);

	if (j == NULL)
		return -1;
	return json_integer_set(j, json_integer_value(j) + (json_int_t)v);
}

int
reg_stats_add(json_t *reply, unsigned mline_index, enum ipc_proto proto,
    const struct reg_leg_stats legs[2])
{
	json_t *tags = json_object_get(reply, "tags");
	json_t *rtp = json_object_get(json_object_get(reply, "totals"), "RTP");
	unsigned l;

	if (tags == NULL || rtp == NULL)
		return -1;
	for (l = 0; l < 2; l++) {
		const struct reg_leg_stats *ls = &legs[l];
		char untagged[32];
		const char *tag = ls->ls_tag;
		json_t *t, *medias, *media, *stream;

		if (tag == NULL || tag[0] == '\0') {
			/* rtpengine names a party without a tag this way. */
			snprintf(untagged, sizeof(untagged), "<untagged %u>", l + 1);
			tag = untagged;
		}
		if ((t = json_object_get(tags, tag)) == NULL) {
			t = json_pack("{s:s,s:[]}", "tag", tag, "medias");
			if (t == NULL || json_object_set_new(tags, tag, t) == -1)
				return -1;
		}
		medias = json_object_get(t, "medias");
		stream = json_pack("{s:i,s:o,s:o}", "local port", (int)ls->ls_local_port,
		    "endpoint", reg_endpoint(&ls->ls_remote),
		    "stats", reg_counter(ls->ls_packets, ls->ls_bytes, 0));
		media = json_pack("{s:i,s:s,s:s,s:[o]}", "index", (int)mline_index + 1,
		    "type", "applicationsharing", "protocol",
		    proto == IPC_PROTO_TCP_RTP_SAVP ? "TCP/RTP/SAVP" : "TCP/RTP/AVP",
		    "streams", stream);
		if (media == NULL || json_array_append_new(medias, media) == -1)
			return -1;
		if (reg_add_count(rtp, "packets", ls->ls_packets) == -1 ||
		    reg_add_count(rtp, "bytes", ls->ls_bytes) == -1)
			return -1;
	}
	return 0;
}
