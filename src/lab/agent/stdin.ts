/**
 * A container's stdin (spec.containers[].stdin): "Whether this container should allocate a
 * buffer for stdin in the container runtime. If this is not set, reads from stdin in the
 * container will always result in EOF." The buffer is a FIFO in the state directory
 * (<state>/stdin/NS_POD_CONTAINER, 0600, root's): each run of the container reads it as its
 * stdin, and `kubectl attach -i` (src/apiserver/attach.ts) writes into it.
 *
 * The agent holds the FIFO open for reading and writing itself, so a read in the container
 * blocks (never EOF) while no one is attached, and bytes wait in the pipe for the container.
 * stdinOnce: "If true, stdin is closed after the first attach session ends" — the API server
 * marks the end (NAME.closed, since it cannot close the agent's descriptor) and the agent then
 * lets go of its end, so the container reads EOF once the attached writer is gone too. A run
 * started after that gets no stdin (EOF at once), as the closed buffer stays closed.
 *
 * With tty, a second FIFO (NAME.resize) carries window sizes ("COLUMNS ROWS" lines, from
 * kubectl's resize messages) to the run's terminal (native/pty.c reads them on fd 3).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, constants as fs } from 'node:fs';
import { dirname, join } from 'node:path';

export const stdinDir = (stateDir: string): string => join(stateDir, 'stdin');

export function stdinPath(stateDir: string, namespace: string, pod: string, container: string): string {
  return join(stdinDir(stateDir), `${namespace}_${pod}_${container}`);
}

/** The file that says a stdinOnce container's first attach session ended. */
export const closedMark = (fifo: string): string => `${fifo}.closed`;
/** The FIFO of a TTY container's window sizes. */
export const resizeFifo = (fifo: string): string => `${fifo}.resize`;

function mkfifo(path: string): number {
  execFileSync('mkfifo', ['-m', '600', path]);
  // O_RDWR: opening a FIFO so never blocks on Linux, and this end keeps it from EOF.
  return openSync(path, fs.O_RDWR | fs.O_NOFOLLOW);
}

const WATCH_MS = 100;

export class ContainerStdin {
  private holder: number | null;
  private readonly sizes: number | null;
  private watch: NodeJS.Timeout | null = null;

  constructor(readonly path: string, readonly mode: 'open' | 'once', tty = false) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.remove(); // an earlier incarnation's buffer (and mark) is not this one's
    this.holder = mkfifo(path);
    this.sizes = tty ? mkfifo(resizeFifo(path)) : null;
    if (mode === 'once') {
      this.watch = setInterval(() => {
        if (existsSync(closedMark(path))) this.release();
      }, WATCH_MS);
      this.watch.unref();
    }
  }

  /** A descriptor for a run's stdin (the caller closes it once the child has it), or 'ignore' when closed. */
  forRun(): number | 'ignore' {
    if (this.holder === null) return 'ignore';
    // Does not block: the holder is a writer already.
    return openSync(this.path, fs.O_RDONLY | fs.O_NOFOLLOW);
  }

  /** A descriptor for a TTY run's window sizes (fd 3), when the container has a TTY. */
  sizesForRun(): number | undefined {
    return this.sizes === null ? undefined : openSync(resizeFifo(this.path), fs.O_RDONLY | fs.O_NOFOLLOW);
  }

  private release(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
    if (this.holder !== null) closeSync(this.holder);
    this.holder = null;
  }

  /** The container is gone for good: its buffer too. */
  close(): void {
    this.release();
    if (this.sizes !== null) closeSync(this.sizes);
    this.remove();
  }

  private remove(): void {
    rmSync(this.path, { force: true });
    rmSync(closedMark(this.path), { force: true });
    rmSync(resizeFifo(this.path), { force: true });
  }
}
