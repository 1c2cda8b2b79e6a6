/*
 * Identities of the records at the end of a CDR file (see cdrd_recover.h).
 */
#include "cdrd_recover.h"

#include <string.h>

#include "cdr_fmt.h"

/* Parse 1..16 hex digits up to a ',' at *pos; *pos ends past the comma. */
static bool
rec_hex64(const char *s, size_t len, size_t *pos, uint64_t *v)
{
	size_t i = *pos, n = 0;
	uint64_t x = 0;
	unsigned d;

	while (i < len && s[i] != ',') {
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (++n > 16)
			return false;
		x = x << 4 | d;
		i++;
	}
	if (n == 0 || i >= len)
		return false;
	*pos = i + 1;
	*v = x;
	return true;
}

/* Parse a decimal uint32 up to a ',' at *pos; *pos ends past the comma. */
static bool
rec_u32(const char *s, size_t len, size_t *pos, uint32_t *v)
{
	size_t i = *pos, n = 0;
	uint64_t x = 0;

	while (i < len && s[i] != ',') {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (++n > 10 || x > UINT32_MAX)
			return false;
		i++;
	}
	if (n == 0 || i >= len)
		return false;
	*pos = i + 1;
	*v = (uint32_t)x;
	return true;
}

bool
cdrd_ident_parse(const char *line, size_t len, struct cdrd_ident *id)
{
	static const char stop[] = "STOP,";
	struct cdrd_ident t;
	size_t pos = sizeof(stop) - 1;

	if (len < pos || memcmp(line, stop, pos) != 0)
		return false;
	if (!rec_hex64(line, len, &pos, &t.ci_boot_id) ||
	    !rec_u32(line, len, &pos, &t.ci_worker) ||
	    !rec_u32(line, len, &pos, &t.ci_epoch) ||
	    !rec_hex64(line, len, &pos, &t.ci_gen))
		return false;
	*id = t;
	return true;
}

void
cdrd_ident_of(const struct cdr_rec *r, struct cdrd_ident *id)
{
	id->ci_boot_id = r->cr_boot_id;
	id->ci_gen = r->cr_gen;
	id->ci_worker = r->cr_worker;
	id->ci_epoch = r->cr_epoch;
}

bool
cdrd_ident_eq(const struct cdrd_ident *a, const struct cdrd_ident *b)
{
	return a->ci_boot_id == b->ci_boot_id && a->ci_gen == b->ci_gen &&
	    a->ci_worker == b->ci_worker && a->ci_epoch == b->ci_epoch;
}

bool
cdrd_ident_find(const struct cdrd_ident *ids, size_t n, const struct cdrd_ident *id)
{
	size_t i;

	/* Newest first: a duplicate is almost always among the last lines. */
	for (i = n; i > 0; i--)
		if (cdrd_ident_eq(&ids[i - 1], id))
			return true;
	return false;
}

/*
 * Walk the complete lines of buf[start..end); calls back per line without its line end.
 * The two passes of cdrd_recover() share it.
 */
struct rec_walk {
	const char		*rw_buf;
	size_t			 rw_start;	/* first byte of the first complete line */
	size_t			 rw_end;	/* one past the last '\n' */
};

static size_t
rec_next_line(const struct rec_walk *w, size_t pos, size_t *linelen)
{
	const char *nl = memchr(w->rw_buf + pos, '\n', w->rw_end - pos);
	size_t n = (size_t)(nl - (w->rw_buf + pos));

	*linelen = n > 0 && w->rw_buf[pos + n - 1] == '\r' ? n - 1 : n;
	return pos + n + 1;
}

size_t
cdrd_recover(const char *buf, size_t len, bool at_start, struct cdrd_ident *ids,
    size_t max, struct cdrd_tail *out)
{
	static const char tag[] = CDR_SCHEMA_TAG ",";
	static const char family[] = "appshare-cdr-";
	struct rec_walk w = { buf, 0, 0 };
	struct cdrd_ident id;
	const char *first, *last;
	size_t pos, next, ll, nrec, skip, k;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return 0;
	last = NULL;
	for (k = len; k > 0; k--)
		if (buf[k - 1] == '\n') {
			last = buf + k - 1;
			break;
		}
	if (!at_start) {
		first = memchr(buf, '\n', len);
		if (first == NULL) {
			/* One line longer than the window: no line start to cut at. */
			out->ct_partial = len;
			out->ct_partial_cut = true;
			return 0;
		}
		w.rw_start = (size_t)(first - buf) + 1;
	}
	w.rw_end = last == NULL ? 0 : (size_t)(last - buf) + 1;
	if (w.rw_end < w.rw_start)
		w.rw_end = w.rw_start;
	out->ct_partial = len - w.rw_end;

	/* First pass: count records, so that the second keeps only the last max. */
	nrec = 0;
	for (pos = w.rw_start; pos < w.rw_end; pos = next) {
		next = rec_next_line(&w, pos, &ll);
		out->ct_lines++;
		if (at_start && pos == 0) {
			if (ll >= sizeof(tag) - 1 && memcmp(buf, tag, sizeof(tag) - 1) == 0) {
				out->ct_header = true;
				continue;
			}
			out->ct_foreign = true;
			if (ll >= sizeof(family) - 1 &&
			    memcmp(buf, family, sizeof(family) - 1) == 0)
				continue;	/* another schema version's header */
		}
		if (cdrd_ident_parse(buf + pos, ll, &id))
			nrec++;
		else
			out->ct_malformed++;
	}
	out->ct_records = nrec;
	skip = nrec > max ? nrec - max : 0;
	k = 0;
	for (pos = w.rw_start; pos < w.rw_end && k < max; pos = next) {
		next = rec_next_line(&w, pos, &ll);
		if (!cdrd_ident_parse(buf + pos, ll, &id))
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		ids[k++] = id;
	}
	out->ct_nids = k;
	return k;
}
