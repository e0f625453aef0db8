/*
 * `podnet-sandbox --pty -- COMMAND [ARG]...`: COMMAND on a new pseudo-terminal, for
 * `kubectl exec -t` (src/apiserver/exec.ts). COMMAND is the session leader with the terminal as
 * its controlling one and as its stdin, stdout and stderr (TERM=xterm unless set, as container
 * runtimes do for a TTY). This process relays its stdin to the terminal and the terminal's output
 * to its stdout, and reads window sizes from fd 3, one "COLUMNS ROWS" line each (kubectl's
 * resize messages). It exits as COMMAND does (128 + signal for a signal) once the terminal's
 * output is drained. When this process goes, the terminal hangs up: the session gets SIGHUP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "sandbox.h"

/* Writes all of buf (the other side may take it in pieces). */
static int write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Applies every complete "COLUMNS ROWS" line in line[0..*len); keeps a partial one. */
static void resize(int master, char *line, size_t *len) {
  char *start = line, *nl;
  while ((nl = memchr(start, '\n', (size_t)(line + *len - start))) != NULL) {
    *nl = '\0';
    unsigned cols, rows;
    if (sscanf(start, "%u %u", &cols, &rows) == 2 && cols < 65536 && rows < 65536) {
      struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
      ioctl(master, TIOCSWINSZ, &ws);
    }
    start = nl + 1;
  }
  *len = (size_t)(line + *len - start);
  memmove(line, start, *len);
  if (*len == 256) *len = 0; /* no line is that long: drop it */
}

int pty_main(char **command) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) die("open a pseudo-terminal");
  const char *slave = ptsname(master);
  if (slave == NULL) die("ptsname");
  signal(SIGPIPE, SIG_IGN);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    signal(SIGPIPE, SIG_DFL);
    if (setsid() < 0) die("setsid");
    int fd = open(slave, O_RDWR);
    if (fd < 0) die("%s", slave);
    if (ioctl(fd, TIOCSCTTY, 0) != 0) die("TIOCSCTTY");
    for (int i = 0; i < 3; i++) if (dup2(fd, i) < 0) die("dup2");
    if (fd > 2) close(fd);
    close(3);
    setenv("TERM", "xterm", 0);
    execvp(command[0], command);
    int e = errno;
    fprintf(stderr, "podnet-sandbox: %s: %s\r\n", command[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  struct pollfd fds[3] = {{.fd = 0, .events = POLLIN}, {.fd = master, .events = POLLIN}, {.fd = 3, .events = POLLIN}};
  if (fcntl(3, F_GETFD) < 0) fds[2].fd = -1;
  char buf[65536], line[256];
  size_t len = 0;
  for (;;) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      /* EIO: every holder of the terminal's other side is gone (the command ended). */
      if (n <= 0) break;
      if (write_all(1, buf, (size_t)n) != 0) break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) write_all(master, buf, (size_t)n);
      else if (n == 0 || errno != EINTR) fds[0].fd = -1; /* the client's input ended: the terminal stays */
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(3, line + len, sizeof line - len);
      if (n > 0) {
        len += (size_t)n;
        resize(master, line, &len);
      } else if (n == 0 || errno != EINTR) fds[2].fd = -1;
    }
  }
  close(master);
  int st;
  while (waitpid(child, &st, 0) < 0) {
    if (errno != EINTR) die("wait");
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
