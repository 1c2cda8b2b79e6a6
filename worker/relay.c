/*
 * Frame relay between the two legs of a session, with watermark back-pressure
 * (conventions.md 10) [io].
 *
 * Frames are copied verbatim, RFC 4571 prefix included, from the reading connection's
 * receive buffer into the other leg's selected connection's output buffer, and written
 * from there.  Above WK_OUT_HIGH the reading connection stops reading (throttled) until
 * the output drains below WK_OUT_LOW; past WK_OUT_MAX the session ends with overflow.
 * Before the other leg is up, media waits in the leg's hold buffer (WK_HOLD_MAX; past
 * it the connection stops reading until the other leg is up).
 *
 * Counters: frames IN when received on the selected connection, frames OUT when queued
 * to the peer; octets (docs/cdr.md: all bytes, prefixes and STUN included) when read
 * from and written to the socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "leg.h"
#include "log.h"
#include "sess.h"
#include "tap.h"

/* Append a then b; grows by doubling, -1 if the content would pass max. */
int
obuf_append(struct obuf *ob, const void *a, size_t alen, const void *b, size_t blen,
    size_t max)
{
	size_t need = ob->ob_len + alen + blen, cap;
	uint8_t *nb;

	if (need > max)
		return -1;
	if (ob->ob_off + need > ob->ob_cap) {
		if (need <= ob->ob_cap) {
			memmove(ob->ob_buf, ob->ob_buf + ob->ob_off, ob->ob_len);
			ob->ob_off = 0;
		} else {
			cap = ob->ob_cap ? ob->ob_cap : WK_OUT_INIT;
			while (cap < need)
				cap *= 2;
			if ((nb = malloc(cap)) == NULL)
				return -1;
			if (ob->ob_len > 0)
				memcpy(nb, ob->ob_buf + ob->ob_off, ob->ob_len);
			free(ob->ob_buf);
			ob->ob_buf = nb;
			ob->ob_cap = cap;
			ob->ob_off = 0;
		}
	}
	if (alen > 0)
		memcpy(ob->ob_buf + ob->ob_off + ob->ob_len, a, alen);
	if (blen > 0)
		memcpy(ob->ob_buf + ob->ob_off + ob->ob_len + alen, b, blen);
	ob->ob_len += alen + blen;
	return 0;
}

void
obuf_consume(struct obuf *ob, size_t n)
{
	if (n >= ob->ob_len) {
		ob->ob_off = 0;
		ob->ob_len = 0;
	} else {
		ob->ob_off += n;
		ob->ob_len -= n;
	}
}

void
obuf_free(struct obuf *ob)
{
	free(ob->ob_buf);
	memset(ob, 0, sizeof(*ob));
}

void
relay_pause(struct conn *c, unsigned why)
{
	c->cn_pause |= why;
	if (c->cn_rd_on) {
		event_del(c->cn_rev);
		c->cn_rd_on = false;
	}
}

void
relay_resume(struct conn *c, unsigned why)
{
	if ((c->cn_pause & why) == 0)
		return;
	c->cn_pause &= ~why;
	if (c->cn_pause == 0 && c->cn_state == CONN_OPEN && !c->cn_rd_on) {
		event_add(c->cn_rev, NULL);
		c->cn_rd_on = true;
	}
}

static struct conn *
relay_peer_conn(struct leg *l)
{
	struct leg *o = &l->lg_sess->s_leg[1 - l->lg_idx];

	if (!o->lg_up || o->lg_sel < 0)
		return NULL;
	return &o->lg_conn[o->lg_sel];
}

/* A frame (prefix included) from l's selected connection c. */
void
relay_media(struct leg *l, struct conn *c, const uint8_t *frame, size_t len)
{
	struct sess *s = l->lg_sess;
	struct leg *o = &s->s_leg[1 - l->lg_idx];
	struct conn *dst;

	l->lg_frames[SHM_DIR_IN]++;
	wk->wk_frames_in++;
	if ((dst = relay_peer_conn(l)) == NULL) {
		/* The read size bounds what one callback adds past WK_HOLD_MAX. */
		if (obuf_append(&l->lg_hold, frame, len, NULL, 0,
		    WK_HOLD_MAX + WK_RXBUF) == -1) {
			log_warnx("session %s leg %c: hold buffer: no room", s->s_callid,
			    l->lg_name);
			sess_close(s, CDR_R_OVERFLOW, l->lg_idx + 1);
			return;
		}
		if (l->lg_hold.ob_len >= WK_HOLD_MAX)
			relay_pause(c, CONN_P_HOLD);
		return;
	}
	if (obuf_append(&dst->cn_out, frame, len, NULL, 0, WK_OUT_MAX) == -1) {
		log_info("session %s leg %c: output above %u bytes", s->s_callid,
		    o->lg_name, (unsigned)WK_OUT_MAX);
		sess_close(s, CDR_R_OVERFLOW, o->lg_idx + 1);
		return;
	}
	o->lg_frames[SHM_DIR_OUT]++;
	wk->wk_frames_out++;
	if (!o->lg_plain)
		ice_on_sent(&o->lg_ice, wk_now(), dst->cn_id);
	if (dst->cn_out.ob_len > WK_OUT_HIGH)
		relay_pause(c, CONN_P_THROTTLE);
}

/* Both legs just came up: what each held goes to the other, in order. */
void
relay_hold_flush(struct sess *s)
{
	struct leg *l, *o;
	struct conn *dst;
	const uint8_t *p;
	size_t n, pl;
	int i, k;

	for (i = 0; i < SHM_NLEGS; i++) {
		l = &s->s_leg[i];
		o = &s->s_leg[1 - i];
		if (l->lg_hold.ob_len == 0 || (dst = relay_peer_conn(l)) == NULL)
			continue;
		if (obuf_append(&dst->cn_out, l->lg_hold.ob_buf + l->lg_hold.ob_off,
		    l->lg_hold.ob_len, NULL, 0, WK_OUT_MAX) == -1) {
			sess_close(s, CDR_R_OVERFLOW, o->lg_idx + 1);
			return;
		}
		/* Count the frames it held, by walking the prefixes. */
		p = l->lg_hold.ob_buf + l->lg_hold.ob_off;
		n = l->lg_hold.ob_len;
		while (frame_next(p, n, FRAME_MAX, &pl) == FRAME_OK) {
			o->lg_frames[SHM_DIR_OUT]++;
			wk->wk_frames_out++;
			p += FRAME_HDR_LEN + pl;
			n -= FRAME_HDR_LEN + pl;
		}
		obuf_free(&l->lg_hold);
		for (k = 0; k < WK_NCONN; k++)
			relay_resume(&l->lg_conn[k], CONN_P_HOLD);
	}
}

/* One bare STUN message from the agent, framed, onto c's output. */
int
relay_queue_stun(struct conn *c, const uint8_t *msg, size_t len)
{
	uint8_t pfx[FRAME_HDR_LEN];

	if (frame_write_prefix(pfx, len) != FRAME_OK)
		return -1;
	return obuf_append(&c->cn_out, pfx, sizeof(pfx), msg, len, WK_OUT_MAX);
}

/* Write what c has queued; the write event takes over when the socket is full. */
void
relay_flush(struct conn *c)
{
	struct leg *l = c->cn_leg, *o = &l->lg_sess->s_leg[1 - l->lg_idx];
	ssize_t n;
	int k;

	if (c->cn_state != CONN_OPEN)
		return;
	while (c->cn_out.ob_len > 0) {
		n = write(c->cn_fd, c->cn_out.ob_buf + c->cn_out.ob_off, c->cn_out.ob_len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/*
			 * The peer is gone.  Drop the output and let the read side
			 * see the close, so that it is handled in one place (and never
			 * from inside the agent's action loop).
			 */
			log_debug("session %s leg %c: conn %d: write: %s",
			    l->lg_sess->s_callid, l->lg_name, c->cn_id, strerror(errno));
			obuf_consume(&c->cn_out, c->cn_out.ob_len);
			c->cn_pause = 0;
			if (!c->cn_rd_on) {
				event_add(c->cn_rev, NULL);
				c->cn_rd_on = true;
			}
			event_active(c->cn_rev, EV_READ, 1);
			break;
		}
		if (l->lg_sess->s_tap != NULL)
			tap_data(c, TAPP_RELAY, c->cn_out.ob_buf + c->cn_out.ob_off,
			    (size_t)n);
		obuf_consume(&c->cn_out, (size_t)n);
		l->lg_octets[SHM_DIR_OUT] += (uint64_t)n;
		wk->wk_bytes_out += (uint64_t)n;
	}
	if (c->cn_out.ob_len > 0 && !c->cn_wr_on) {
		event_add(c->cn_wev, NULL);
		c->cn_wr_on = true;
	} else if (c->cn_out.ob_len == 0 && c->cn_wr_on) {
		event_del(c->cn_wev);
		c->cn_wr_on = false;
	}
	if (c->cn_out.ob_len < WK_OUT_LOW)
		for (k = 0; k < WK_NCONN; k++)
			relay_resume(&o->lg_conn[k], CONN_P_THROTTLE);
}

void
relay_flush_sess(struct sess *s)
{
	int i, k;

	for (i = 0; i < SHM_NLEGS; i++)
		for (k = 0; k < WK_NCONN; k++) {
			if (s->s_state == SESS_ENDED)
				return;
			if (s->s_leg[i].lg_conn[k].cn_out.ob_len > 0 &&
			    !s->s_leg[i].lg_conn[k].cn_wr_on)
				relay_flush(&s->s_leg[i].lg_conn[k]);
		}
}
