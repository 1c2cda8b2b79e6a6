/*
 * Files the master opens for the CDR writer (conventions.md 3): the CSV files in
 * cdr-dir, named appshare-YYYYmmddTHHMMSS.csv.tmp while written and renamed to .csv
 * when cdrd asks for rotation (docs/internals.md "CDR writer", docs/cdr.md).
 */
#ifndef APPSHARE_FILES_H
#define APPSHARE_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

struct files_cdr {
	int		fc_dirfd;	/* -1: no cdr-dir */
	int		fc_fd;		/* current file, -1 if none */
	int		fc_null;	/* /dev/null without cdr-dir */
	uint32_t	fc_seq;
	uint64_t	fc_opened_ms;
	char		fc_name[IPC_NAME_MAX];	/* current ".csv.tmp" name */
	char		fc_dir[256];
};

/* Open the directory (before privileges are dropped).  -1 with a message in err. */
int	files_cdr_init(struct files_cdr *, const char *dir, char *err, size_t errlen);
/*
 * The current file: at start-up the newest leftover .csv.tmp (cdrd resumes it and
 * skips what it already holds), else a new one.  0 or -1 (logged).
 */
int	files_cdr_current(struct files_cdr *, uint64_t now_ms);
/* Rename the current file to .csv and open a new one.  0 or -1 (logged). */
int	files_cdr_rotate(struct files_cdr *, uint64_t now_ms);
/*
 * IPC_CDR_FD payload and a descriptor of the current file for it (-1 on error); without
 * cdr-dir, /dev/null and IPC_CDR_F_DISCARD.
 */
int	files_cdr_msg(const struct files_cdr *, struct ipc_cdr_fd *);
void	files_cdr_close(struct files_cdr *);

/*
 * The pcap tap's directory (capture-dir): one new file per tapped session, opened
 * here and handed to the worker with IPC_TAP_FD (docs/operations.md "Capturing a
 * session").
 */
struct files_capture {
	int		fp_dirfd;	/* -1: no capture-dir */
	char		fp_dir[256];
};

/* Open the directory (before privileges are dropped).  -1 with a message in err. */
int	files_capture_init(struct files_capture *, const char *dir, char *err,
	    size_t errlen);
/*
 * A new file "<call-id>-<handle>.<gen>-<YYYYmmddTHHMMSS>.pcap" (call-id reduced to
 * [A-Za-z0-9@._+-], at most 64 characters), O_WRONLY|O_CREAT|O_EXCL, mode 0640.  The
 * descriptor, or -1 (logged); its name in name.
 */
int	files_capture_open(const struct files_capture *, const char *call_id,
	    uint32_t handle, uint32_t gen, uint64_t now_ms, char *name, size_t namelen);
void	files_capture_close(struct files_capture *);

#endif
