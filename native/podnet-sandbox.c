/*
 * podnet-sandbox: starts one container process in its sandbox (src/lab/agent/sandbox-argv.ts
 * builds the command line; test/integration/sandbox.test.ts attacks the result).
 *
 *   podnet-sandbox --netns PATH --layer DIR --hostname NAME [MOUNT OPTION]... [--ro-root]
 *                  --uid N --gid N [--groups G,G] [--caps NAME,NAME] -- COMMAND [ARG]...
 *   podnet-sandbox --peercred          (peercred.c: the peer of the Unix socket on fd 3)
 *   podnet-sandbox --pty -- COMMAND…    (pty.c: COMMAND on a new pseudo-terminal, relayed)
 *
 * One process does what `ip netns exec` + sh + mount(8) + bubblewrap + setpriv did as five
 * execs (each of them re-reading /proc/self/mountinfo): join the pod's network namespace; new
 * mount, PID, IPC, UTS and cgroup namespaces; the writable layer (overlay, lower = the host's /)
 * as the root, with the mounts asked for in the order given; pivot_root, the host's tree
 * detached; then the command, in the container's PID 1's care, with the container's
 * credentials and no_new_privs. Mount options (SRC is a host path, DST inside the container):
 *
 *   --proc DST  --dev DST  --sysfs DST        a new proc / minimal dev / the joined netns' sysfs (ro)
 *   --tmpfs DST  --tmpfs-sticky DST           an empty tmpfs, 0755 / 1777
 *   --bind SRC DST  --ro-bind SRC DST         a bind mount (missing DST made), nosuid,nodev
 *   --ro-bind-try SRC DST                     the same, skipped when SRC does not exist
 *   --read-only DST                           DST (inside the container) made read-only, if it exists
 *   --hide DST                                /dev/null over a file (nodev: it cannot be opened)
 *
 * Processes: the outer process (the PID the agent knows; its process group holds the whole
 * container) waits for the container's PID 1 and exits as it does. PID 1 reaps orphans and exits
 * with the command's status (128 + signal for a signal), which ends every other process of the
 * PID namespace. The outer process dies with its parent (PR_SET_PDEATHSIG) and PID 1 with the
 * outer process, so a container never outlives the agent that started it. A signal sent to the
 * process group reaches the command; PID 1 and the outer process survive it (init ignores what it
 * has no handler for; the outer process has a handler that does nothing), so the command's own
 * SIGTERM handling decides, as on a node. PID 1 is named "podnet-init" once the sandbox is
 * complete: `podnet exec` (nsenter --target) joins only such a process (sandbox.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

#define MAX_OPS 256
#define MAX_GROUPS 64

static struct op ops[MAX_OPS];
static int nops;
static const char *netns, *layer, *hostname;
static int ro_root;
static uid_t uid;
static gid_t gid;
static gid_t groups[MAX_GROUPS];
static int ngroups;
static unsigned long long caps; /* bit n = capability n */

void die(const char *fmt, ...) {
  va_list ap;
  int e = errno;
  fputs("podnet-sandbox: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, e ? ": %s\n" : "\n", strerror(e));
  _exit(125);
}

static const struct { const char *name; int n; } CAPS[] = {
  {"CHOWN", CAP_CHOWN}, {"DAC_OVERRIDE", CAP_DAC_OVERRIDE}, {"DAC_READ_SEARCH", CAP_DAC_READ_SEARCH},
  {"FOWNER", CAP_FOWNER}, {"FSETID", CAP_FSETID}, {"KILL", CAP_KILL}, {"SETGID", CAP_SETGID},
  {"SETUID", CAP_SETUID}, {"SETPCAP", CAP_SETPCAP}, {"LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE},
  {"NET_BIND_SERVICE", CAP_NET_BIND_SERVICE}, {"NET_BROADCAST", CAP_NET_BROADCAST},
  {"NET_ADMIN", CAP_NET_ADMIN}, {"NET_RAW", CAP_NET_RAW}, {"IPC_LOCK", CAP_IPC_LOCK},
  {"IPC_OWNER", CAP_IPC_OWNER}, {"SYS_MODULE", CAP_SYS_MODULE}, {"SYS_RAWIO", CAP_SYS_RAWIO},
  {"SYS_CHROOT", CAP_SYS_CHROOT}, {"SYS_PTRACE", CAP_SYS_PTRACE}, {"SYS_PACCT", CAP_SYS_PACCT},
  {"SYS_ADMIN", CAP_SYS_ADMIN}, {"SYS_BOOT", CAP_SYS_BOOT}, {"SYS_NICE", CAP_SYS_NICE},
  {"SYS_RESOURCE", CAP_SYS_RESOURCE}, {"SYS_TIME", CAP_SYS_TIME}, {"SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG},
  {"MKNOD", CAP_MKNOD}, {"LEASE", CAP_LEASE}, {"AUDIT_WRITE", CAP_AUDIT_WRITE},
  {"AUDIT_CONTROL", CAP_AUDIT_CONTROL}, {"SETFCAP", CAP_SETFCAP}, {"MAC_OVERRIDE", CAP_MAC_OVERRIDE},
  {"MAC_ADMIN", CAP_MAC_ADMIN}, {"SYSLOG", CAP_SYSLOG}, {"WAKE_ALARM", CAP_WAKE_ALARM},
  {"BLOCK_SUSPEND", CAP_BLOCK_SUSPEND}, {"AUDIT_READ", CAP_AUDIT_READ}, {"PERFMON", CAP_PERFMON},
  {"BPF", CAP_BPF}, {"CHECKPOINT_RESTORE", CAP_CHECKPOINT_RESTORE},
};

static unsigned long number(const char *s, const char *what) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno != 0 || v > 0xfffffffeUL) { errno = 0; die("bad %s %s", what, s); }
  return v;
}

static void parse_groups(char *list) {
  for (char *g = strtok(list, ","); g != NULL; g = strtok(NULL, ",")) {
    if (ngroups == MAX_GROUPS) { errno = 0; die("more than %d groups", MAX_GROUPS); }
    groups[ngroups++] = (gid_t)number(g, "group");
  }
}

static void parse_caps(char *list) {
  for (char *c = strtok(list, ","); c != NULL; c = strtok(NULL, ",")) {
    size_t i = 0;
    while (i < sizeof CAPS / sizeof CAPS[0] && strcmp(CAPS[i].name, c) != 0) i++;
    if (i == sizeof CAPS / sizeof CAPS[0]) { errno = 0; die("unknown capability %s", c); }
    caps |= 1ULL << CAPS[i].n;
  }
}

/* Parses the options; returns the index of COMMAND. */
static int parse(int argc, char **argv) {
  static const struct { const char *flag; int kind; int args; } OPTS[] = {
    {"--proc", PROC, 1}, {"--dev", DEV, 1}, {"--sysfs", SYSFS, 1}, {"--tmpfs", TMPFS, 1},
    {"--tmpfs-sticky", TMPFS_STICKY, 1}, {"--bind", BIND, 2}, {"--ro-bind", RO_BIND, 2},
    {"--ro-bind-try", RO_BIND_TRY, 2}, {"--read-only", READ_ONLY, 1}, {"--hide", HIDE, 1},
  };
  int have_uid = 0, have_gid = 0;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    size_t k = 0;
    while (k < sizeof OPTS / sizeof OPTS[0] && strcmp(OPTS[k].flag, a) != 0) k++;
    if (k < sizeof OPTS / sizeof OPTS[0]) {
      if (i + OPTS[k].args >= argc) { errno = 0; die("%s needs %d argument(s)", a, OPTS[k].args); }
      if (nops == MAX_OPS) { errno = 0; die("more than %d mounts", MAX_OPS); }
      ops[nops].kind = (enum kind)OPTS[k].kind;
      ops[nops].src = OPTS[k].args == 2 ? argv[i + 1] : NULL;
      ops[nops].dst = argv[i + OPTS[k].args];
      if (ops[nops].dst[0] != '/') { errno = 0; die("%s: %s is not an absolute path", a, ops[nops].dst); }
      nops++;
      i += OPTS[k].args;
      continue;
    }
    if (strcmp(a, "--ro-root") == 0) { ro_root = 1; continue; }
    if (v == NULL) { errno = 0; die("%s needs an argument", a); }
    if (strcmp(a, "--netns") == 0) netns = v;
    else if (strcmp(a, "--layer") == 0) layer = v;
    else if (strcmp(a, "--hostname") == 0) hostname = v;
    else if (strcmp(a, "--uid") == 0) { uid = (uid_t)number(v, "uid"); have_uid = 1; }
    else if (strcmp(a, "--gid") == 0) { gid = (gid_t)number(v, "gid"); have_gid = 1; }
    else if (strcmp(a, "--groups") == 0) parse_groups(argv[i + 1]);
    else if (strcmp(a, "--caps") == 0) parse_caps(argv[i + 1]);
    else { errno = 0; die("unknown option %s", a); }
    i++;
  }
  if (i + 1 >= argc) { errno = 0; die("no command (after --)"); }
  if (netns == NULL || layer == NULL || hostname == NULL || !have_uid || !have_gid) { errno = 0; die("--netns, --layer, --hostname, --uid and --gid are required"); }
  /* overlayfs takes its directories in a comma- and colon-separated option string. */
  if (strpbrk(layer, ",:\\") != NULL) { errno = 0; die("layer directory %s has , : or \\", layer); }
  return i + 1;
}

/*
 * groups, then gid and uid, as setpriv did: the bounding set first (dropping needs CAP_SETPCAP),
 * nothing inheritable or ambient. uid 0 keeps exactly the bounding set as its permitted and
 * effective set; any other uid lost every capability with setresuid (no SECBIT_KEEP_CAPS), as a
 * non-root container process has none on a node. Then no_new_privs: no setuid binary or file
 * capability raises what the command has.
 */
static void drop_privileges(void) {
  for (int c = 0; c < 64; c++) {
    if ((caps & (1ULL << c)) == 0 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) die("drop capability %d", c);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) die("clear ambient capabilities");
  if (setgroups((size_t)ngroups, groups) != 0) die("setgroups");
  if (setresgid(gid, gid, gid) != 0) die("setresgid %u", (unsigned)gid);
  if (setresuid(uid, uid, uid) != 0) die("setresuid %u", (unsigned)uid);
  struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (uid == 0) {
    data[0].permitted = data[0].effective = (unsigned)(caps & 0xffffffffULL);
    data[1].permitted = data[1].effective = (unsigned)(caps >> 32);
  }
  if (syscall(SYS_capset, &head, data) != 0) die("capset");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs");
}

static int status_code(int st) {
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* PID 1 of the container: the tree, the hostname, then the command as its child; reaps orphans. */
static void container_init(int cmd, char **argv) {
  setup_root(layer, ops, nops, ro_root);
  if (sethostname(hostname, strlen(hostname)) != 0) die("sethostname %s", hostname);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    drop_privileges();
    execvp(argv[cmd], &argv[cmd]);
    int e = errno;
    fprintf(stderr, "podnet-sandbox: %s: %s\n", argv[cmd], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  /* Ready: from here on `podnet exec` may join this process (sandbox.ts sandboxInitPid). */
  prctl(PR_SET_NAME, "podnet-init", 0, 0, 0);
  for (;;) {
    int st;
    pid_t w = wait(&st);
    if (w == child) _exit(status_code(st));
    if (w < 0 && errno != EINTR) die("wait");
  }
}

static void ignore(int sig) { (void)sig; }

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--peercred") == 0) return peercred_main();
  if (argc >= 4 && strcmp(argv[1], "--pty") == 0 && strcmp(argv[2], "--") == 0) return pty_main(&argv[3]);
  int cmd = parse(argc, argv);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die("PR_SET_PDEATHSIG");
  if (getppid() == 1) { errno = 0; die("the agent that started this is gone"); }
  int fd = open(netns, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("%s", netns);
  if (setns(fd, CLONE_NEWNET) != 0) die("join %s", netns);
  close(fd);
  if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP) != 0) die("unshare");
  /* Nothing mounted here reaches the host, nor anything the host mounts later the container. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("make / private");
  int alive[2];
  if (pipe2(alive, O_CLOEXEC) != 0) die("pipe");
  pid_t init = fork();
  if (init < 0) die("fork");
  if (init == 0) {
    close(alive[1]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die("PR_SET_PDEATHSIG");
    /* The outer process died before PDEATHSIG was set: its end of the pipe is closed. */
    fcntl(alive[0], F_SETFL, O_NONBLOCK);
    char c;
    if (read(alive[0], &c, 1) == 0) _exit(125);
    close(alive[0]);
    container_init(cmd, argv);
  }
  close(alive[0]);
  /* A signal to the process group is the command's to handle; this process waits for the end. */
  static const int SIGNALS[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = ignore;
  for (size_t i = 0; i < sizeof SIGNALS / sizeof SIGNALS[0]; i++) sigaction(SIGNALS[i], &sa, NULL);
  for (;;) {
    int st;
    if (waitpid(init, &st, 0) == init) return status_code(st);
    if (errno != EINTR) die("wait");
  }
}
