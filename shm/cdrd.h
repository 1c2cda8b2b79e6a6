/*
 * appshare-cdr, the CDR writer process (docs/internals.md "CDR writer").
 *
 * Drains every worker's final-record ring (shm/ring.h), appends one CSV line per record
 * to the file the master passed (IPC_CDR_FD), fdatasync()s, and only then moves the
 * ring tail in the ack segment.  Writes worker-lost records from the slots of a dead
 * worker (IPC_WORKER_GONE).  Runs sandboxed: it opens nothing and gets every
 * descriptor from the master.
 */
#ifndef APPSHARE_CDRD_H
#define APPSHARE_CDRD_H

/*
 * Run the CDR writer on the master channel chan_fd (a SOCK_SEQPACKET socket) until the
 * channel closes.  Expects log_init()/log_procinit() done.  Returns the exit status:
 * 0 after EOF or IPC_SHUTDOWN, 1 after a failure (bad message, sandbox, mapping).
 */
int	cdrd_main(int chan_fd);

#endif
