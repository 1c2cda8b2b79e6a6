/*
 * appshare-master, appshare-worker, appshare-cdr: one executable, the role chosen by
 * the basename of argv[0] (docs/internals.md "Processes").
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdrd.h"
#include "conf.h"
#include "log.h"
#include "master.h"
#include "proc.h"
#include "worker.h"

static void __attribute__((noreturn))
main_usage(void)
{
	fprintf(stderr, "usage: appshare-master [-dnv] [-f file]\n"
	    "  -d       stay in the foreground, log to stderr\n"
	    "  -f file  configuration file (default: built-in loopback defaults)\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       more detail (repeatable)\n");
	exit(1);
}

/* A child is only ever started by the master, with its channel on fd 3. */
static int
main_check_chan(const char *role)
{
	struct stat st;
	int type;
	socklen_t sl = sizeof(type);

	if (fstat(PROC_CHAN_FD, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(PROC_CHAN_FD, SOL_SOCKET, SO_TYPE, &type, &sl) == -1 ||
	    type != SOCK_SEQPACKET) {
		fprintf(stderr, "%s: not meant to be started by hand (fd %d is not the "
		    "master's channel)\n", role, PROC_CHAN_FD);
		return -1;
	}
	return 0;
}

static int
main_worker(int argc, char **argv)
{
	unsigned long idx;
	char *end, name[32];

	if (main_check_chan("appshare-worker") == -1)
		return 1;
	if (argc != 2) {
		fprintf(stderr, "usage: appshare-worker N\n");
		return 1;
	}
	errno = 0;
	idx = strtoul(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || end == argv[1] || idx >= CONF_WORKERS_MAX) {
		fprintf(stderr, "appshare-worker: bad index \"%s\"\n", argv[1]);
		return 1;
	}
	log_init(1, 0);
	snprintf(name, sizeof(name), "worker %lu", idx);
	log_procinit(name);
	return worker_main(PROC_CHAN_FD, (unsigned)idx);
}

static int
main_cdrd(int argc, char **argv)
{
	char name[16];

	if (main_check_chan("appshare-cdr") == -1)
		return 1;
	(void)argc;
	(void)argv;
	/* Until the handshake tells it otherwise, a child logs to stderr. */
	log_init(1, 0);
	snprintf(name, sizeof(name), "cdr");
	log_procinit(name);
	return cdrd_main(PROC_CHAN_FD);
}

static int
main_master(int argc, char **argv)
{
	struct as_conf cf;
	const char *file = NULL;
	char err[CONF_MSG_MAX + 512], *buf;
	size_t need;
	int ch, foreground = 0, check = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "df:nvh")) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			main_usage();
		}
	}
	if (optind != argc)
		main_usage();
	if (master_load_conf(file, &cf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		fprintf(stderr, "configuration OK\n");
		if (verbose > 0) {
			need = conf_print(&cf, NULL, 0) + 1;
			if ((buf = malloc(need)) == NULL)
				return 1;
			conf_print(&cf, buf, need);
			fputs(buf, stdout);
			free(buf);
		}
		return 0;
	}
	if (!foreground && daemon(0, 0) == -1) {
		fprintf(stderr, "daemon: %s\n", strerror(errno));
		return 1;
	}
	return master_main(&cf, file, foreground, verbose);
}

int
main(int argc, char **argv)
{
	const char *name = argc > 0 ? argv[0] : "appshare-master", *slash;

	if ((slash = strrchr(name, '/')) != NULL)
		name = slash + 1;
	if (strcmp(name, "appshare-worker") == 0)
		return main_worker(argc, argv);
	if (strcmp(name, "appshare-cdr") == 0)
		return main_cdrd(argc, argv);
	return main_master(argc, argv);
}
