/**
 * securityContext (pod and container level), volumes and volumeMounts: what podnet's sandbox
 * honours is read into records; a field it cannot honour is a warning naming it, never dropped
 * silently; what the API server rejects is an error.
 */
import type { SecurityFields, VolumeMount } from '../../model/types.js';
import { isDnsLabel, join, readArray, readBool, readInt, readObj, readString, show, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';
import { ALL_CAPABILITIES, capabilityName } from '../../model/capabilities.js';

const ID_MAX = 2147483647;

/** Fields podnet reads but cannot apply: each a warning when set. */
const POD_UNSUPPORTED: Record<string, string> = {
  seccompProfile: 'podnet applies no seccomp profile (containers run unconfined by seccomp)',
  seLinuxOptions: 'podnet applies no SELinux labels',
  seLinuxChangePolicy: 'podnet applies no SELinux labels',
  appArmorProfile: 'podnet applies no AppArmor profile',
  windowsOptions: 'Windows options do not apply to Linux containers',
  sysctls: 'podnet does not set per-pod sysctls',
  supplementalGroupsPolicy: 'podnet always uses exactly supplementalGroups and fsGroup',
};
const POD_FIELDS = new Set(['runAsUser', 'runAsGroup', 'runAsNonRoot', 'supplementalGroups', 'fsGroup', 'fsGroupChangePolicy', ...Object.keys(POD_UNSUPPORTED)]);
const CONTAINER_UNSUPPORTED: Record<string, string> = {
  seccompProfile: POD_UNSUPPORTED.seccompProfile,
  seLinuxOptions: POD_UNSUPPORTED.seLinuxOptions,
  appArmorProfile: POD_UNSUPPORTED.appArmorProfile,
  windowsOptions: POD_UNSUPPORTED.windowsOptions,
};
const CONTAINER_FIELDS = new Set(['runAsUser', 'runAsGroup', 'runAsNonRoot', 'capabilities', 'privileged', 'allowPrivilegeEscalation', 'readOnlyRootFilesystem', 'procMount', ...Object.keys(CONTAINER_UNSUPPORTED)]);

function unknownAndUnsupported(o: Obj, path: string, p: ObjectProblems, known: Set<string>, unsupported: Record<string, string>): void {
  for (const key of Object.keys(o)) {
    if (!known.has(key)) p.warn(join(path, key), 'unknown field; ignored');
    else if (unsupported[key] !== undefined && o[key] !== null) p.warn(join(path, key), `not applied: ${unsupported[key]}`);
  }
}

/** spec.securityContext */
export function readPodSecurity(v: unknown, path: string, p: ObjectProblems): SecurityFields | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  unknownAndUnsupported(o, path, p, POD_FIELDS, POD_UNSUPPORTED);
  const s = readIds(o, path, p);
  const groups = readArray(o.supplementalGroups, join(path, 'supplementalGroups'), p);
  if (groups) s.supplementalGroups = groups.flatMap((g, i) => readInt(g, join(join(path, 'supplementalGroups'), i), p, 0, ID_MAX) ?? []);
  const fsGroup = readInt(o.fsGroup, join(path, 'fsGroup'), p, 0, ID_MAX);
  if (fsGroup !== undefined) s.fsGroup = fsGroup;
  return s;
}

/** containers[i].securityContext */
export function readContainerSecurity(v: unknown, path: string, p: ObjectProblems): SecurityFields | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  unknownAndUnsupported(o, path, p, CONTAINER_FIELDS, CONTAINER_UNSUPPORTED);
  const s = readIds(o, path, p);
  const caps = readObj(o.capabilities, join(path, 'capabilities'), p);
  if (caps) {
    const list = (key: 'add' | 'drop') =>
      (readArray(caps[key], join(join(path, 'capabilities'), key), p) ?? []).flatMap((c, i) => {
        const at = join(join(join(path, 'capabilities'), key), i);
        const name = readString(c, at, p);
        if (name === undefined) return [];
        const cap = capabilityName(name);
        if (cap !== 'ALL' && !ALL_CAPABILITIES.includes(cap)) {
          p.error(at, `${show(name)} is not a Linux capability`);
          return [];
        }
        return [cap];
      });
    s.capabilities = { add: list('add'), drop: list('drop') };
  }
  for (const key of ['privileged', 'allowPrivilegeEscalation', 'readOnlyRootFilesystem'] as const) {
    const b = readBool(o[key], join(path, key), p);
    if (b !== undefined) s[key] = b;
  }
  // API server validation: "cannot set `allowPrivilegeEscalation` to false and `privileged` to true".
  if (s.allowPrivilegeEscalation === false && s.privileged === true) {
    p.error(join(path, 'allowPrivilegeEscalation'), 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true');
  }
  if (s.allowPrivilegeEscalation === true) {
    p.warn(join(path, 'allowPrivilegeEscalation'), 'not applied: podnet always runs containers with no_new_privs (a setuid binary never raises privileges)');
  }
  const procMount = readString(o.procMount, join(path, 'procMount'), p);
  if (procMount !== undefined && procMount !== 'Default') p.warn(join(path, 'procMount'), `not applied: podnet always masks /proc as a runtime does by default (procMount ${show(procMount)})`);
  return s;
}

function readIds(o: Obj, path: string, p: ObjectProblems): SecurityFields {
  const s: SecurityFields = {};
  const uid = readInt(o.runAsUser, join(path, 'runAsUser'), p, 0, ID_MAX);
  if (uid !== undefined) s.runAsUser = uid;
  const gid = readInt(o.runAsGroup, join(path, 'runAsGroup'), p, 0, ID_MAX);
  if (gid !== undefined) s.runAsGroup = gid;
  const nonRoot = readBool(o.runAsNonRoot, join(path, 'runAsNonRoot'), p);
  if (nonRoot !== undefined) s.runAsNonRoot = nonRoot;
  return s;
}

/**
 * spec.volumes: emptyDir ones are made (a directory per pod, shared by its containers); other
 * kinds are not mounted, a warning says so. Returns the names, for volumeMounts to check.
 */
export function readVolumes(v: unknown, path: string, p: ObjectProblems): { emptyDirs: string[]; all: Set<string> } {
  const emptyDirs: string[] = [];
  const all = new Set<string>();
  (readArray(v, path, p) ?? []).forEach((x, i) => {
    const at = join(path, i);
    const o = readObj(x, at, p);
    if (!o) return;
    const name = readString(o.name, join(at, 'name'), p);
    if (name === undefined || !isDnsLabel(name)) return void p.error(join(at, 'name'), `${show(name)} is not a valid volume name (a DNS label)`);
    if (all.has(name)) return void p.error(join(at, 'name'), `duplicate volume name ${show(name)}`);
    all.add(name);
    const kinds = Object.keys(o).filter((k) => k !== 'name');
    if (kinds.length === 1 && kinds[0] === 'emptyDir') {
      const medium = readObj(o.emptyDir, join(at, 'emptyDir'), p)?.medium;
      if (medium !== undefined && medium !== '' && medium !== 'Memory') p.warn(join(join(at, 'emptyDir'), 'medium'), `${show(medium)}: not applied (a directory on the host)`);
      emptyDirs.push(name);
    } else p.warn(at, `volume ${show(name)} (${kinds.join(', ') || 'no source'}): podnet mounts only emptyDir volumes; not mounted`);
  });
  return { emptyDirs, all };
}

/** containers[i].volumeMounts: each names a volume of the pod; only emptyDir ones are mounted. */
export function readVolumeMounts(v: unknown, path: string, p: ObjectProblems, volumes: { emptyDirs: readonly string[]; all: ReadonlySet<string> }): VolumeMount[] {
  const mounts: VolumeMount[] = [];
  const paths = new Set<string>();
  (readArray(v, path, p) ?? []).forEach((x, i) => {
    const at = join(path, i);
    const o = readObj(x, at, p);
    if (!o) return;
    const name = readString(o.name, join(at, 'name'), p);
    const mountPath = readString(o.mountPath, join(at, 'mountPath'), p);
    const readOnly = readBool(o.readOnly, join(at, 'readOnly'), p) ?? false;
    // The API server rejects it; cluster dumps show such mounts (injected volumes left out): a warning, not mounted.
    if (name === undefined || !volumes.all.has(name)) return void p.warn(join(at, 'name'), `Not found: ${show(name)} (no volume of the pod has that name); not mounted`);
    if (mountPath === undefined || !mountPath.startsWith('/') || mountPath.split('/').includes('..')) {
      return void p.error(join(at, 'mountPath'), `${show(mountPath)}: podnet needs an absolute path without ".."`);
    }
    if (paths.has(mountPath)) return void p.error(join(at, 'mountPath'), `${show(mountPath)}: must be unique`);
    paths.add(mountPath);
    for (const key of ['subPath', 'subPathExpr', 'mountPropagation', 'recursiveReadOnly']) {
      if (o[key] !== undefined) p.warn(join(at, key), 'not applied');
    }
    if (volumes.emptyDirs.includes(name)) mounts.push({ name, mountPath, readOnly });
  });
  return mounts;
}
