/*
 * CDR files (files.h).
 */
#include "files.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define FILES_PREFIX	"appshare-"
#define FILES_TMP	".csv.tmp"

int
files_cdr_init(struct files_cdr *fc, const char *dir, char *err, size_t errlen)
{
	memset(fc, 0, sizeof(*fc));
	fc->fc_dirfd = fc->fc_fd = fc->fc_null = -1;
	if (dir == NULL || dir[0] == '\0') {
		/* cdrd gets it with IPC_CDR_F_DISCARD: it drains and counts, writes nothing. */
		if ((fc->fc_null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "/dev/null: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	snprintf(fc->fc_dir, sizeof(fc->fc_dir), "%s", dir);
	fc->fc_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fc->fc_dirfd == -1) {
		snprintf(err, errlen, "cdr-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* "appshare-20250101T120000.csv.tmp" (or "...-N.csv.tmp" when the second is taken). */
static int
files_create(struct files_cdr *fc, uint64_t now_ms)
{
	char name[IPC_NAME_MAX], fin[IPC_NAME_MAX], stamp[32];
	size_t n;
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	int fd, i;

	if (gmtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp),
	    "%Y%m%dT%H%M%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%llu", (unsigned long long)t);
	for (i = 0; i < 100; i++) {
		if (i == 0)
			snprintf(name, sizeof(name), FILES_PREFIX "%s" FILES_TMP, stamp);
		else
			snprintf(name, sizeof(name), FILES_PREFIX "%s-%d" FILES_TMP, stamp, i);
		/* The .csv of the same second may exist after a fast rotation. */
		n = strlen(name) - strlen(".tmp");
		memcpy(fin, name, n);
		fin[n] = '\0';
		if (faccessat(fc->fc_dirfd, fin, F_OK, 0) == 0)
			continue;
		fd = openat(fc->fc_dirfd, name, O_RDWR | O_APPEND | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0640);
		if (fd == -1 && errno == EEXIST)
			continue;
		if (fd == -1) {
			log_warn("cdr file %s/%s", fc->fc_dir, name);
			return -1;
		}
		fc->fc_fd = fd;
		fc->fc_seq++;
		fc->fc_opened_ms = now_ms;
		snprintf(fc->fc_name, sizeof(fc->fc_name), "%s", name);
		log_info("cdr file %s/%s opened", fc->fc_dir, name);
		return 0;
	}
	log_warnx("cdr file: no free name for %s", stamp);
	return -1;
}

static int
files_newest_tmp(struct files_cdr *fc, char *out, size_t outlen)
{
	DIR *d;
	struct dirent *de;
	int dfd;
	size_t n, pl = strlen(FILES_PREFIX), sl = strlen(FILES_TMP);

	out[0] = '\0';
	if ((dfd = openat(fc->fc_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n <= pl + sl || n >= outlen ||
		    strncmp(de->d_name, FILES_PREFIX, pl) != 0 ||
		    strcmp(de->d_name + n - sl, FILES_TMP) != 0)
			continue;
		/* The names sort by time. */
		if (out[0] == '\0' || strcmp(de->d_name, out) > 0)
			snprintf(out, outlen, "%s", de->d_name);
	}
	closedir(d);
	return 0;
}

int
files_cdr_current(struct files_cdr *fc, uint64_t now_ms)
{
	char name[IPC_NAME_MAX];
	int fd;

	if (fc->fc_dirfd == -1)
		return 0;
	if (fc->fc_fd != -1)
		return 0;
	if (files_newest_tmp(fc, name, sizeof(name)) == 0 && name[0] != '\0') {
		fd = openat(fc->fc_dirfd, name, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1) {
			fc->fc_fd = fd;
			fc->fc_seq++;
			fc->fc_opened_ms = now_ms;
			snprintf(fc->fc_name, sizeof(fc->fc_name), "%s", name);
			log_info("cdr file %s/%s resumed", fc->fc_dir, name);
			return 0;
		}
		log_warn("cdr file %s/%s: cannot resume", fc->fc_dir, name);
	}
	return files_create(fc, now_ms);
}

int
files_cdr_rotate(struct files_cdr *fc, uint64_t now_ms)
{
	char fin[IPC_NAME_MAX];
	size_t n;

	if (fc->fc_dirfd == -1)
		return -1;
	if (fc->fc_fd != -1) {
		n = strlen(fc->fc_name) - strlen(".tmp");
		memcpy(fin, fc->fc_name, n);
		fin[n] = '\0';
		close(fc->fc_fd);
		fc->fc_fd = -1;
		if (renameat(fc->fc_dirfd, fc->fc_name, fc->fc_dirfd, fin) == -1)
			log_warn("cdr file %s/%s: rename", fc->fc_dir, fc->fc_name);
		else
			log_info("cdr file %s/%s closed", fc->fc_dir, fin);
	}
	return files_create(fc, now_ms);
}

int
files_cdr_msg(const struct files_cdr *fc, struct ipc_cdr_fd *m)
{
	int fd, src = fc->fc_fd != -1 ? fc->fc_fd : fc->fc_null;

	if (src == -1)
		return -1;
	if ((fd = fcntl(src, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("cdr file: dup");
		return -1;
	}
	memset(m, 0, sizeof(*m));
	if (src == fc->fc_null) {
		m->cf_flags = IPC_CDR_F_DISCARD;
		snprintf(m->cf_name, sizeof(m->cf_name), "(none)");
		return fd;
	}
	m->cf_seq = fc->fc_seq;
	m->cf_opened_rt_ms = fc->fc_opened_ms;
	snprintf(m->cf_name, sizeof(m->cf_name), "%s", fc->fc_name);
	return fd;
}

void
files_cdr_close(struct files_cdr *fc)
{
	if (fc->fc_fd != -1)
		close(fc->fc_fd);
	if (fc->fc_dirfd != -1)
		close(fc->fc_dirfd);
	if (fc->fc_null != -1)
		close(fc->fc_null);
	fc->fc_fd = fc->fc_dirfd = fc->fc_null = -1;
}

int
files_capture_init(struct files_capture *fp, const char *dir, char *err, size_t errlen)
{
	memset(fp, 0, sizeof(*fp));
	fp->fp_dirfd = -1;
	if (dir == NULL || dir[0] == '\0')
		return 0;
	snprintf(fp->fp_dir, sizeof(fp->fp_dir), "%s", dir);
	fp->fp_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fp->fp_dirfd == -1) {
		snprintf(err, errlen, "capture-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
files_capture_open(const struct files_capture *fp, const char *call_id, uint32_t handle,
    uint32_t gen, uint64_t now_ms, char *name, size_t namelen)
{
	char safe[65], stamp[32];
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	size_t i;
	int fd, k;

	if (fp->fp_dirfd == -1) {
		errno = ENOENT;
		return -1;
	}
	/* The Call-ID comes from the remote party: keep it from naming a path. */
	for (i = 0; i < sizeof(safe) - 1 && call_id[i] != '\0'; i++) {
		char c = call_id[i];

		safe[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '@' || c == '_' || c == '+' ||
		    c == '-' || (c == '.' && i > 0)) ? c : '_';
	}
	safe[i] = '\0';
	if (gmtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp),
	    "%Y%m%dT%H%M%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%llu", (unsigned long long)t);
	for (k = 0; k < 100; k++) {
		if (k == 0)
			snprintf(name, namelen, "%s-%u.%u-%s.pcap", safe, handle, gen, stamp);
		else
			snprintf(name, namelen, "%s-%u.%u-%s-%d.pcap", safe, handle, gen,
			    stamp, k);
		fd = openat(fp->fp_dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0640);
		if (fd == -1 && errno == EEXIST)
			continue;
		if (fd == -1)
			log_warn("capture file %s/%s", fp->fp_dir, name);
		return fd;
	}
	log_warnx("capture file %s/%s: no free name", fp->fp_dir, name);
	errno = EEXIST;
	return -1;
}

void
files_capture_close(struct files_capture *fp)
{
	if (fp->fp_dirfd != -1)
		close(fp->fp_dirfd);
	fp->fp_dirfd = -1;
}
