/*
 * podnet-nft: nftables through libnftables in one long-lived process, for src/host/nft-native.ts.
 *
 * Why: on the machines podnet runs on, starting a process costs 8–10 ms and `nft` another 10 ms
 * before it reads a line, so a sync that sends one small transaction per node paid 20–40 ms of
 * process starts for ~1 ms of kernel work. This helper is started once per podnet process and
 * runs each request in the network namespace it names (setns), with a fresh libnftables context
 * per request: a context's netlink socket belongs to the namespace it was opened in, and a
 * namespace of the same name may have been deleted and made again since the last request.
 *
 * Protocol (stdin → stdout, little-endian):
 *   request:  u32 size of the rest | u32 output flags (NFT_CTX_OUTPUT_*) | u16 namespace length |
 *             namespace name (empty: the namespace the helper started in) | nft input text
 *   response: u32 size of the rest | i32 status (0: done; else the input was refused, or the
 *             namespace could not be entered) | u32 output length | output | error text
 * The input is run as one nft file: libnftables sends all its commands in one batch, which the
 * kernel applies whole or not at all. EOF on stdin ends the helper; it also dies with its parent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* A request larger than this is refused (a whole policy table of 10,000 pods is ~10 MiB). */
#define MAX_REQUEST (256u << 20)
#define NETNS_DIR "/run/netns/"

static int read_full(void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(0, p, n);
    if (r == 0) return 0;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += r;
    n -= (size_t)r;
  }
  return 1;
}

static int write_full(const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static uint32_t get_u32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = v & 255;
  p[1] = (v >> 8) & 255;
  p[2] = (v >> 16) & 255;
  p[3] = v >> 24;
}

static int respond(int32_t status, const char *out, const char *err) {
  size_t olen = out ? strlen(out) : 0, elen = err ? strlen(err) : 0;
  unsigned char head[12];
  put_u32(head, (uint32_t)(8 + olen + elen));
  put_u32(head + 4, (uint32_t)status);
  put_u32(head + 8, (uint32_t)olen);
  if (write_full(head, sizeof head) || write_full(out ? out : "", olen) || write_full(err ? err : "", elen)) return -1;
  return 0;
}

/* Enters the named namespace (a file of /run/netns, as `ip netns` keeps them) or the home one. */
static int enter(int home, const char *name, char *why, size_t whylen) {
  if (name[0] == '\0') return setns(home, CLONE_NEWNET) == 0 ? 0 : (snprintf(why, whylen, "setns: %s", strerror(errno)), -1);
  if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return snprintf(why, whylen, "bad namespace name \"%s\"", name), -1;
  char path[sizeof NETNS_DIR + 256];
  snprintf(path, sizeof path, NETNS_DIR "%s", name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return snprintf(why, whylen, "Cannot open network namespace \"%s\": %s", name, strerror(errno)), -1;
  int r = setns(fd, CLONE_NEWNET);
  int saved = errno;
  close(fd);
  if (r != 0) return snprintf(why, whylen, "setting the network namespace \"%s\" failed: %s", name, strerror(saved)), -1;
  return 0;
}

int main(void) {
  /* The helper belongs to the podnet process that started it. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return 125;
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) return 125;
  for (;;) {
    unsigned char head[4];
    int got = read_full(head, 4);
    if (got <= 0) return got == 0 ? 0 : 1;
    uint32_t size = get_u32(head);
    if (size < 6 || size > MAX_REQUEST) return 2; /* the protocol is broken: nothing can be trusted after it */
    unsigned char *req = malloc((size_t)size + 1);
    if (!req) return 3;
    if (read_full(req, size) != 1) return 1;
    req[size] = '\0';
    uint32_t flags = get_u32(req);
    size_t nslen = (size_t)req[4] | (size_t)req[5] << 8;
    if (6 + nslen > size || nslen > 255) return 2;
    char ns[256];
    memcpy(ns, req + 6, nslen);
    ns[nslen] = '\0';
    const char *input = (const char *)req + 6 + nslen;
    char why[512];
    int rc;
    if (enter(home, ns, why, sizeof why) != 0) {
      rc = respond(-1, NULL, why);
    } else {
      struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
      if (!ctx) return 3;
      nft_ctx_output_set_flags(ctx, flags);
      nft_ctx_buffer_output(ctx);
      nft_ctx_buffer_error(ctx);
      int status = nft_run_cmd_from_buffer(ctx, input);
      rc = respond(status, nft_ctx_get_output_buffer(ctx), nft_ctx_get_error_buffer(ctx));
      nft_ctx_free(ctx);
    }
    free(req);
    if (rc != 0) return 1;
  }
}
