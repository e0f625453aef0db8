/**
 * What a container runs, by a rule a user can predict (podnet has no images):
 *   - no `command`: the built-in server (`args` alone are arguments for an image entrypoint
 *     podnet does not have) — except for the base images that have no entrypoint (busybox,
 *     alpine, debian, ubuntu, fedora: only a CMD, which `args` replace), where `args` are the
 *     command line, as `kubectl run --image=busybox -- wget …` means them;
 *   - a `command` whose program is on this host (an absolute path that exists and is executable,
 *     or a bare name found in PATH): that command, for real;
 *   - a `command` whose program is not on this host (`/app`, `/bin/ash`, `redis-server`): the
 *     built-in server on the container's ports, noted in its log and in `get pods -o wide`.
 * Exec probes follow the same rule: they run for real whenever their program is on the host.
 * Pure: the host lookup is passed in.
 */

export type OnHost = (program: string) => boolean;

export type Entrypoint =
  | { run: 'command'; argv: string[] }
  | { run: 'builtin'; reason?: string };

/** Images (by the last part of their name) with no ENTRYPOINT, only a CMD: "args" replace the CMD. */
const NO_ENTRYPOINT = new Set(['busybox', 'alpine', 'debian', 'ubuntu', 'fedora']);

/** True when the image reference names one of NO_ENTRYPOINT, at any registry, tag or digest. */
export function hasNoEntrypoint(image: string | undefined): boolean {
  if (!image) return false;
  const name = image.split('@')[0]!.split('/').pop()!.split(':')[0]!;
  return NO_ENTRYPOINT.has(name);
}

export function chooseEntrypoint(c: { image?: string; command?: readonly string[]; args?: readonly string[] }, onHost: OnHost): Entrypoint {
  // "If you supply only args for a Container, the default Entrypoint defined in the Docker image
  // is run with the args that you supplied": with none, the args are the whole command line.
  if ((!c.command || c.command.length === 0) && c.args && c.args.length > 0 && hasNoEntrypoint(c.image)) return chooseEntrypoint({ command: c.args }, onHost);
  if (!c.command || c.command.length === 0) return { run: 'builtin' };
  const program = c.command[0];
  if (onHost(program)) return { run: 'command', argv: [...c.command, ...(c.args ?? [])] };
  return { run: 'builtin', reason: `command ${JSON.stringify(program)} is not on this host: the built-in server runs on the container's ports instead` };
}

/** One word for `get pods -o wide`: what each container runs. */
export function entrypointLabel(name: string, e: Entrypoint): string {
  return e.run === 'command' ? `${name}=command` : e.reason ? `${name}=built-in(not on host)` : `${name}=built-in`;
}
