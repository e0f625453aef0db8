/*
 * The container's filesystem tree (see podnet-sandbox.c): the host's / as its image under a
 * writable layer, the mounts asked for, pivot_root. Every bind is nosuid and nodev (the
 * container's own /dev nodes aside), so a setuid binary or a device node brought in through a
 * volume gives nothing. Flags are set with mount_setattr(AT_RECURSIVE): one call per mount, and
 * no reading of /proc/self/mountinfo, whose rendering cost grows with every namespace the host
 * has mounted under /run/netns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "sandbox.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
struct mount_attr {
  unsigned long long attr_set, attr_clr, propagation, userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

static char root[PATH_MAX];

/* root + dst, checked for length. */
static const char *in_root(const char *dst, char *buf) {
  if ((size_t)snprintf(buf, PATH_MAX, "%s%s", root, dst) >= PATH_MAX) { errno = ENAMETOOLONG; die("%s", dst); }
  return buf;
}

static void set_attr(const char *path, unsigned long long set, int recursive) {
  struct mount_attr attr = {.attr_set = set};
  if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) != 0) die("set flags of %s", path);
}

/* mkdir -p (the container's layer takes the new directories). */
static void make_dirs(char *path) {
  for (char *s = strchr(path + 1, '/'); ; s = strchr(s + 1, '/')) {
    if (s != NULL) *s = '\0';
    if (mkdir(path, 0755) != 0 && errno != EEXIST) die("create %s", path);
    if (s == NULL) return;
    *s = '/';
  }
}

/* A mount point for something of type `dir` (else a file) at `path`, made when missing. */
static void mount_point(const char *path, int dir) {
  struct stat st;
  if (lstat(path, &st) == 0) return;
  char buf[PATH_MAX];
  strcpy(buf, path);
  if (dir) {
    make_dirs(buf);
    return;
  }
  char *slash = strrchr(buf, '/');
  if (slash != NULL && slash != buf) {
    *slash = '\0';
    make_dirs(buf);
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EEXIST) die("create %s", path);
  if (fd >= 0) close(fd);
}

static void bind(const char *src, const char *dst, unsigned long long attrs) {
  struct stat st;
  if (stat(src, &st) != 0) die("%s", src);
  mount_point(dst, S_ISDIR(st.st_mode));
  if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0) die("bind %s on %s", src, dst);
  set_attr(dst, attrs, 1);
}

static void tmpfs(const char *dst, const char *options) {
  mount_point(dst, 1);
  if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) die("tmpfs on %s", dst);
}

/* dir/name into buf (PATH_MAX), checked for length. */
static const char *child_path(char *buf, const char *dir, const char *name) {
  if ((size_t)snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) { errno = ENAMETOOLONG; die("%s", dir); }
  return buf;
}

/* The runtime's default device set: null zero full random urandom tty, /dev/pts, /dev/shm. */
static void dev(const char *dst) {
  static const char *const NODES[] = {"null", "zero", "full", "random", "urandom", "tty"};
  static const char *const LINKS[][2] = {{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
                                         {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"}, {"ptmx", "pts/ptmx"}};
  char path[PATH_MAX], host[64];
  tmpfs(dst, "mode=0755");
  for (size_t i = 0; i < sizeof NODES / sizeof NODES[0]; i++) {
    snprintf(host, sizeof host, "/dev/%s", NODES[i]);
    bind(host, child_path(path, dst, NODES[i]), MOUNT_ATTR_NOSUID);
  }
  for (size_t i = 0; i < sizeof LINKS / sizeof LINKS[0]; i++) {
    if (symlink(LINKS[i][1], child_path(path, dst, LINKS[i][0])) != 0) die("symlink %s", path);
  }
  mount_point(child_path(path, dst, "pts"), 1);
  if (mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0) die("devpts on %s", path);
  tmpfs(child_path(path, dst, "shm"), "mode=1777,size=65536k"); /* Docker's and containerd's default /dev/shm */
}

void setup_root(const char *layer, const struct op *ops, int nops, int ro_root) {
  char options[3 * PATH_MAX], buf[PATH_MAX];
  if ((size_t)snprintf(root, sizeof root, "%s/m", layer) >= sizeof root) { errno = ENAMETOOLONG; die("%s", layer); }
  snprintf(options, sizeof options, "lowerdir=/,upperdir=%s/u,workdir=%s/w", layer, layer);
  if (mount("overlay", root, "overlay", MS_NOSUID | MS_NODEV, options) != 0) die("overlay on %s", root);
  for (int i = 0; i < nops; i++) {
    const struct op *o = &ops[i];
    const char *dst = in_root(o->dst, buf);
    struct stat st;
    switch (o->kind) {
    case PROC:
      mount_point(dst, 1);
      if (mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("proc on %s", dst);
      break;
    case DEV: dev(dst); break;
    case SYSFS:
      /* sysfs shows the network namespace of whoever mounts it: the pod's, joined before. */
      mount_point(dst, 1);
      if (mount("sysfs", dst, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("sysfs on %s", dst);
      break;
    case TMPFS: tmpfs(dst, "mode=0755"); break;
    case TMPFS_STICKY: tmpfs(dst, "mode=1777"); break;
    case BIND: bind(o->src, dst, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV); break;
    case RO_BIND_TRY:
      if (stat(o->src, &st) != 0) break;
      /* fall through */
    case RO_BIND: bind(o->src, dst, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV); break;
    case READ_ONLY:
      /* A bind of the container's own path onto itself (e.g. /proc/sys of its new /proc). */
      if (stat(dst, &st) != 0) break;
      if (mount(dst, dst, NULL, MS_BIND | MS_REC, NULL) != 0) die("bind %s on itself", dst);
      set_attr(dst, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 1);
      break;
    case HIDE:
      /* nodev: the empty file cannot even be opened, as bubblewrap's --ro-bind /dev/null did. */
      if (lstat(dst, &st) != 0) break;
      bind("/dev/null", dst, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
      break;
    }
  }
  /* After every mount point exists: the root refuses writes, the tmpfs and volumes still take them. */
  if (ro_root) set_attr(root, MOUNT_ATTR_RDONLY, 0);
  if (chdir(root) != 0) die("chdir %s", root);
  /* "new_root and put_old may be the same directory": the old root ends up on top, then detached. */
  if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root %s", root);
  if (umount2(".", MNT_DETACH) != 0) die("detach the host's tree");
  if (chdir("/") != 0) die("chdir /");
}
