/* Shared by podnet-sandbox.c (options, namespaces, processes, credentials) and mounts.c (the root). */
#ifndef PODNET_SANDBOX_H
#define PODNET_SANDBOX_H

enum kind { PROC, DEV, SYSFS, TMPFS, TMPFS_STICKY, BIND, RO_BIND, RO_BIND_TRY, READ_ONLY, HIDE };

/* One mount of the container's tree: src is a host path (binds only), dst a path inside the container. */
struct op {
  enum kind kind;
  const char *src, *dst;
};

/* Prints "podnet-sandbox: MESSAGE[: strerror(errno)]" (errno 0: no reason) and exits 125. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/*
 * In a new mount namespace: mounts the overlay of `layer` (u/ upper, w/ work, m/ the mount point),
 * the ops in order inside it, makes it read-only when asked, and makes it the root (pivot_root,
 * the host's tree detached). The working directory is the new /.
 */
void setup_root(const char *layer, const struct op *ops, int nops, int ro_root);

/* `--peercred` (peercred.c): prints the credentials of the peer of the Unix socket on fd 3. */
int peercred_main(void);

/* `--pty -- COMMAND...` (pty.c): COMMAND on a new pseudo-terminal, relayed; sizes from fd 3. */
int pty_main(char **command);

#endif
