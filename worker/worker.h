/*
 * appshare-worker: relays the TCP legs of the sessions the master gives it
 * (docs/internals.md "In the worker", architecture.md B3 worker/).
 */
#ifndef APPSHARE_WORKER_H
#define APPSHARE_WORKER_H

/*
 * Run worker number index on the channel chan_fd (fd 3 when exec'd by the master).
 * Returns when the channel to the master closes (0) or on a start-up failure (1).
 */
int	worker_main(int chan_fd, unsigned index);

#endif
