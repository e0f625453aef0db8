/*
 * `podnet-sandbox --peercred`: who is at the other end of the Unix socket on fd 3. Node has no
 * SO_PEERCRED, so an agent hands each connection it accepts to this (src/lab/agent/peer.ts) and
 * serves it only when the answer is uid 0. Prints "PID UID GID" and exits 0; exits 125 when fd 3
 * is not a connected Unix socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include "sandbox.h"

int peercred_main(void) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(3, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) die("SO_PEERCRED of fd 3");
  /* The credentials a peer had when it connected (or, for socketpair, when the pair was made). */
  printf("%d %u %u\n", (int)cred.pid, (unsigned)cred.uid, (unsigned)cred.gid);
  return fflush(stdout) == 0 ? 0 : 125;
}
