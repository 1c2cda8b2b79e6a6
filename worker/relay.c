/*
 * Frame relay between the two legs of a session, with watermark back-pressure
 * (conventions.md 10) [io].
 *
 * Frames are relayed verbatim, RFC 4571 prefix included.  A run of frames read in one
 * go is written to the other leg's selected connection straight from the receive
 * buffer; only what the socket does not take is copied into that connection's output
 * buffer, written from there when the socket is writable, and the buffer freed once
 * drained.  Above WK_OUT_HIGH the reading connection stops reading (throttled) until
 * the output drains below WK_OUT_LOW; past WK_OUT_MAX the session ends with overflow.
 * Before the other leg is up, media waits in the leg's hold buffer (WK_HOLD_MAX; past
 * it the connection stops reading until the other leg is up).
 *
 * Counters: frames IN when received on the selected connection, frames OUT when sent
 * or queued to the peer; octets (docs/cdr.md: all bytes, prefixes and STUN included)
 * when read from and written to the socket.
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
			cap = ob->ob_cap ? ob->ob_cap * 2 : WK_OUT_INIT;
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
	return o->lg_conn[o->lg_sel];
}

/*
 * Write len bytes of p on c, as much as the socket takes: the count written, or -1
 * when the peer is gone.  Then the output is dropped and the read side is woken to
 * see the close, so that it is handled in one place (and never from inside the
 * agent's action loop).
 */
static ssize_t
relay_write(struct conn *c, const uint8_t *p, size_t len)
{
	struct leg *l = c->cn_leg;
	size_t done = 0;
	ssize_t n, rc = 0;

	while (done < len) {
		n = write(c->cn_fd, p + done, len - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_debug("session %s leg %c: conn %d: write: %s",
			    l->lg_sess->s_callid, l->lg_name, c->cn_id, strerror(errno));
			obuf_free(&c->cn_out);
			c->cn_pause = 0;
			if (!c->cn_rd_on) {
				event_add(c->cn_rev, NULL);
				c->cn_rd_on = true;
			}
			event_active(c->cn_rev, EV_READ, 1);
			rc = -1;
			break;
		}
		if (l->lg_sess->s_tap != NULL)
			tap_data(c, TAPP_RELAY, p + done, (size_t)n);
		done += (size_t)n;
	}
	/* What went out before an error counts too. */
	l->lg_octets[SHM_DIR_OUT] += done;
	wk->wk_bytes_out += done;
	return rc == -1 ? -1 : (ssize_t)done;
}

/* Keep the write event in step with c's output. */
static void
relay_want_write(struct conn *c)
{
	if (c->cn_out.ob_len > 0 && !c->cn_wr_on) {
		event_add(c->cn_wev, NULL);
		c->cn_wr_on = true;
	} else if (c->cn_out.ob_len == 0 && c->cn_wr_on) {
		event_del(c->cn_wev);
		c->cn_wr_on = false;
	}
}

void
relay_media(struct leg *l, struct conn *c, const uint8_t *frames, size_t len,
    unsigned nframes, uint64_t now)
{
	struct sess *s = l->lg_sess;
	struct leg *o = &s->s_leg[1 - l->lg_idx];
	struct conn *dst;
	ssize_t n;

	l->lg_frames[SHM_DIR_IN] += nframes;
	wk->wk_frames_in += nframes;
	if ((dst = relay_peer_conn(l)) == NULL) {
		/* The read size bounds what one callback adds past WK_HOLD_MAX. */
		if (obuf_append(&l->lg_hold, frames, len, NULL, 0,
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
	o->lg_frames[SHM_DIR_OUT] += nframes;
	wk->wk_frames_out += nframes;
	if (o->lg_ice != NULL)
		ice_on_sent(o->lg_ice, now, dst->cn_id);
	/* Nothing queued before: the common case costs no copy. */
	if (dst->cn_out.ob_len == 0 && dst->cn_state == CONN_OPEN) {
		if ((n = relay_write(dst, frames, len)) == -1)
			return;
		frames += n;
		len -= (size_t)n;
		if (len == 0)
			return;
	}
	if (obuf_append(&dst->cn_out, frames, len, NULL, 0, WK_OUT_MAX) == -1) {
		log_info("session %s leg %c: output above %u bytes", s->s_callid,
		    o->lg_name, (unsigned)WK_OUT_MAX);
		sess_close(s, CDR_R_OVERFLOW, o->lg_idx + 1);
		return;
	}
	if (dst->cn_state == CONN_OPEN)
		relay_want_write(dst);
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
			if (l->lg_conn[k] != NULL)
				relay_resume(l->lg_conn[k], CONN_P_HOLD);
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
	if (c->cn_out.ob_len > 0) {
		if ((n = relay_write(c, c->cn_out.ob_buf + c->cn_out.ob_off,
		    c->cn_out.ob_len)) == -1) {
			relay_want_write(c);
			return;
		}
		obuf_consume(&c->cn_out, (size_t)n);
	}
	/* An idle connection keeps no buffer (docs/performance.md). */
	if (c->cn_out.ob_len == 0)
		obuf_free(&c->cn_out);
	relay_want_write(c);
	if (c->cn_out.ob_len < WK_OUT_LOW)
		for (k = 0; k < WK_NCONN; k++)
			if (o->lg_conn[k] != NULL)
				relay_resume(o->lg_conn[k], CONN_P_THROTTLE);
}

void
relay_flush_sess(struct sess *s)
{
	struct conn *c;
	int i, k;

	for (i = 0; i < SHM_NLEGS; i++)
		for (k = 0; k < WK_NCONN; k++) {
			if (s->s_state == SESS_ENDED)
				return;
			c = s->s_leg[i].lg_conn[k];
			if (c != NULL && c->cn_out.ob_len > 0 && !c->cn_wr_on)
				relay_flush(c);
		}
}
