import { describe, expect, it } from 'vitest';
import { credentialsArgv, execArgv, sandboxArgv, type SandboxSpec } from '../../src/lab/agent/sandbox-argv.js';
import { capabilitySet, refusal, resolveSecurity, DEFAULT_CAPABILITIES, type ContainerSecurity } from '../../src/lab/agent/security.js';

const root = resolveSecurity(undefined, undefined);
const spec = (over: Partial<SandboxSpec> = {}): SandboxSpec => ({
  launcher: '/opt/podnet/dist/native/podnet-sandbox',
  netns: 'pn-l_p1',
  hostname: 'web',
  layerDir: '/run/podnet/l/layers/c-1',
  security: root,
  hideDirs: ['/run', '/tmp'],
  hideFiles: ['/etc/shadow'],
  mounts: [],
  ...over,
});
/** The value after each occurrence of `flag`. */
const after = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));

describe('securityContext → container credentials', () => {
  it.each([
    ['nothing set: root, the runtime default 14', undefined, undefined, { uid: 0, gid: 0, groups: [], capabilities: [...DEFAULT_CAPABILITIES] }],
    ['pod runAsUser/Group, supplementalGroups, fsGroup', { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000 }, undefined, { uid: 1000, gid: 3000, groups: [4000, 2000] }],
    ['the container overrides the pod', { runAsUser: 1000, runAsGroup: 1000 }, { runAsUser: 2000 }, { uid: 2000, gid: 1000 }],
    ['drop ALL, add one', undefined, { capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] } }, { capabilities: ['NET_BIND_SERVICE'] }],
    ['drop one, add one', undefined, { capabilities: { add: ['NET_ADMIN'], drop: ['NET_RAW', 'MKNOD'] } }, { capabilities: DEFAULT_CAPABILITIES.filter((c) => c !== 'NET_RAW' && c !== 'MKNOD').concat('NET_ADMIN') }],
    ['read-only root', undefined, { readOnlyRootFilesystem: true }, { readOnlyRootFilesystem: true }],
  ])('%s', (_name, pod, container, want: Partial<ContainerSecurity>) => {
    const got = resolveSecurity(pod, container);
    expect({ ...got, capabilities: [...got.capabilities].sort() }).toMatchObject({ ...want, ...(want.capabilities ? { capabilities: [...want.capabilities].sort() } : {}) });
  });

  it('privileged is every capability', () => {
    expect(capabilitySet(undefined, true)).toHaveLength(41);
  });

  it.each([
    ['runAsNonRoot without a user', { runAsNonRoot: true }, false, 'container has runAsNonRoot and image will run as root (pod: "web_default", container: c)'],
    ['runAsNonRoot with runAsUser 0', { runAsNonRoot: true, runAsUser: 0 }, false, 'container\'s runAsUser breaks non-root policy (pod: "web_default", container: c)'],
    ['runAsNonRoot with a user', { runAsNonRoot: true, runAsUser: 5 }, false, undefined],
    ['SYS_ADMIN', { capabilities: { add: ['SYS_ADMIN'], drop: [] } }, false, /CAP_SYS_ADMIN/],
    ['NET_ADMIN in its own network namespace', { capabilities: { add: ['NET_ADMIN'], drop: [] } }, false, undefined],
    ['NET_ADMIN in a hostNetwork pod (the node\'s)', { capabilities: { add: ['NET_ADMIN'], drop: [] } }, true, /CAP_NET_ADMIN/],
    ['privileged', { privileged: true }, false, /is privileged/],
  ])('refusal: %s', (_name, container, hostNetwork, want) => {
    const r = refusal(resolveSecurity(undefined, container), 'web_default', 'c', hostNetwork);
    if (want instanceof RegExp) expect(r).toMatch(want);
    else expect(r).toBe(want);
  });
});

describe('sandboxArgv', () => {
  it('one launcher: the pod netns joined, the layer, the mounts, the credentials, then the command', () => {
    const argv = sandboxArgv(spec(), ['sleep', '1']);
    expect(argv[0]).toBe('/opt/podnet/dist/native/podnet-sandbox');
    expect(after(argv, '--netns')).toEqual(['/run/netns/pn-l_p1']); // joined, not a new one
    expect(after(argv, '--layer')).toEqual(['/run/podnet/l/layers/c-1']);
    expect(after(argv, '--hostname')).toEqual(['web']);
    expect(argv.slice(-3)).toEqual(['--', 'sleep', '1']);
    expect(argv.indexOf('--proc')).toBeLessThan(argv.indexOf('--read-only')); // /proc/sys of the new /proc
    expect(after(argv, '--read-only')).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    expect(after(argv, '--sysfs')).toEqual(['/sys']);
    expect(after(argv, '--uid')).toEqual(['0']);
    expect(after(argv, '--gid')).toEqual(['0']);
    expect(after(argv, '--caps')[0]!.split(',').sort()).toEqual([...DEFAULT_CAPABILITIES].sort());
    expect(argv).not.toContain('--groups');
    expect(argv).not.toContain('--ro-root');
  });

  it.each([
    ['hidden directories are empty tmpfs, /tmp sticky', spec(), (a: string[]) => {
      expect(after(a, '--tmpfs')).toEqual(['/run']);
      expect(after(a, '--tmpfs-sticky')).toEqual(['/tmp']);
    }],
    ['hidden files are covered', spec(), (a: string[]) => expect(after(a, '--hide')).toEqual(['/etc/shadow'])],
    ['read-only root: after every mount point', spec({ security: { ...root, readOnlyRootFilesystem: true }, mounts: [{ source: '/v/a', target: '/data', readOnly: false }] }), (a: string[]) => expect(a.indexOf('--ro-root')).toBeGreaterThan(a.indexOf('/data'))],
    ['volumes: read-write and read-only binds', spec({ mounts: [{ source: '/v/a', target: '/a', readOnly: false }, { source: '/v/b', target: '/b', readOnly: true }] }), (a: string[]) => expect(a.join(' ')).toMatch(/--bind \/v\/a \/a --ro-bind \/v\/b \/b/)],
    ['resolv.conf', spec({ resolvConf: '/etc/netns/x/resolv.conf' }), (a: string[]) => expect(a.join(' ')).toContain('--ro-bind /etc/netns/x/resolv.conf /etc/resolv.conf')],
    ['hidden after mounts', spec({ mounts: [{ source: '/s', target: '/s', readOnly: true }], hideAfterMounts: ['/s/agents'] }), (a: string[]) => expect(a.lastIndexOf('/s/agents')).toBeGreaterThan(a.indexOf('/s'))],
    ['groups, ids, capabilities', spec({ security: resolveSecurity({ runAsUser: 7, runAsGroup: 8, supplementalGroups: [9, 10] }, { capabilities: { add: ['KILL'], drop: ['ALL'] } }) }), (a: string[]) => {
      expect([after(a, '--uid'), after(a, '--gid'), after(a, '--groups'), after(a, '--caps')]).toEqual([['7'], ['8'], ['9,10'], ['KILL']]);
    }],
    ['no capabilities at all: no --caps', spec({ security: resolveSecurity(undefined, { capabilities: { add: [], drop: ['ALL'] } }) }), (a: string[]) => expect(a).not.toContain('--caps')],
  ])('%s', (_name, s, check) => check(sandboxArgv(s, ['true'])));

  it('credentials: groups, ids, bounding set, nothing inheritable', () => {
    expect(credentialsArgv(resolveSecurity({ runAsUser: 7, runAsGroup: 8, supplementalGroups: [9] }, { capabilities: { add: ['KILL'], drop: ['ALL'] } }))).toEqual(['setpriv', '--reuid=7', '--regid=8', '--groups=9', '--bounding-set=-all,+kill', '--inh-caps=-all', '--']);
    expect(credentialsArgv(root)).toContain('--clear-groups');
  });

  it('exec joins the running container', () => {
    expect(execArgv(42, root, ['ps']).slice(0, 11)).toEqual(['nsenter', '--target=42', '--net', '--mount', '--pid', '--ipc', '--uts', '--root', '--wd', '--', 'setpriv']);
  });
});
