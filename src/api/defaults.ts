/**
 * The defaults kube-apiserver gives an object when it is decoded, before it is stored
 * (k8s.io/kubernetes pkg/apis/{core,apps,batch,networking}/v1/defaults.go and the `+default`
 * markers of k8s.io/api), so that `kubectl get -o yaml` shows what a cluster shows. Pure: the
 * object is copied, never changed; a field already set is kept.
 *
 * Left out on purpose: a Job template's restartPolicy (SetDefaults_PodSpec would give it
 * Always, which Job validation then refuses: an object podnet accepts without one must stay
 * acceptable), a Job's generated selector and controller-uid labels, and the feature-gated
 * pod-level resources.
 */
import { podTemplateHash } from '../model/names.js';

type Raw = Record<string, unknown>;

const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Raw[] => (Array.isArray(v) ? v.filter(isObj) : []);
/** Sets `key` when it is unset (absent or null), as a defaulter sets a nil pointer or "". */
function put(o: Raw, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}
function child(o: Raw, key: string): Raw {
  if (!isObj(o[key])) o[key] = {};
  return o[key] as Raw;
}

/** The object with its kind's defaults; kinds without any come back as they are (copied). */
export function withDefaults(obj: Raw): Raw {
  const o = structuredClone(obj);
  const spec = isObj(o.spec) ? o.spec : null;
  switch (`${String(o.apiVersion ?? '')}/${String(o.kind ?? '')}`) {
    case 'v1/Pod':
      if (spec) podSpec(spec, { pod: true });
      break;
    case 'v1/Service':
      if (spec) service(spec);
      break;
    case 'v1/Namespace':
      namespace(o);
      break;
    case 'v1/Secret':
      put(o, 'type', 'Opaque');
      break;
    case 'apps/v1/Deployment':
      if (spec) deployment(spec);
      break;
    case 'apps/v1/ReplicaSet':
      if (spec) {
        put(spec, 'replicas', 1);
        template(spec);
      }
      break;
    case 'apps/v1/StatefulSet':
      if (spec) statefulSet(spec);
      break;
    case 'apps/v1/DaemonSet':
      if (spec) daemonSet(spec);
      break;
    case 'batch/v1/Job':
      if (spec) job(o, spec);
      break;
    case 'networking.k8s.io/v1/NetworkPolicy':
      if (spec) networkPolicy(spec);
      break;
  }
  return o;
}

/** A pod template with the defaults its pods' spec gets (what a pod-template-hash is taken of). */
export function podTemplateWithDefaults(t: unknown): unknown {
  if (!isObj(t)) return t;
  const o = structuredClone(t);
  if (isObj(o.spec)) podSpec(o.spec, { pod: false });
  return o;
}

/**
 * The pod-template-hash of a template, taken with its defaults as the deployment controller
 * takes it of the stored (defaulted) template: a template written back through the API with
 * the defaults it was shown with hashes as the one written without them.
 */
export function templateHash(t: unknown): string {
  return podTemplateHash(podTemplateWithDefaults(t));
}

function template(spec: Raw, opts: { job?: boolean } = {}): void {
  const t = spec.template;
  if (isObj(t) && isObj(t.spec)) podSpec(t.spec, { pod: false, job: opts.job });
}

function deployment(spec: Raw): void {
  put(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  put(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    put(ru, 'maxUnavailable', '25%');
    put(ru, 'maxSurge', '25%');
  }
  put(spec, 'revisionHistoryLimit', 10);
  put(spec, 'progressDeadlineSeconds', 600);
  template(spec);
}

function statefulSet(spec: Raw): void {
  put(spec, 'replicas', 1);
  put(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  put(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') put(child(strategy, 'rollingUpdate'), 'partition', 0);
  put(spec, 'revisionHistoryLimit', 10);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  put(retention, 'whenDeleted', 'Retain');
  put(retention, 'whenScaled', 'Retain');
  template(spec);
}

function daemonSet(spec: Raw): void {
  const strategy = child(spec, 'updateStrategy');
  put(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    put(ru, 'maxUnavailable', 1);
    put(ru, 'maxSurge', 0);
  }
  put(spec, 'revisionHistoryLimit', 10);
  template(spec);
}

function job(o: Raw, spec: Raw): void {
  // "For a non-parallel job, you can leave both .spec.completions and .spec.parallelism unset.
  // When both are unset, both are defaulted to 1."
  if (spec.completions == null && spec.parallelism == null) spec.completions = 1;
  put(spec, 'parallelism', 1);
  put(spec, 'backoffLimit', spec.backoffLimitPerIndex == null ? 6 : 2_147_483_647);
  put(spec, 'completionMode', 'NonIndexed');
  put(spec, 'suspend', false);
  put(spec, 'podReplacementPolicy', spec.podFailurePolicy == null ? 'TerminatingOrFailed' : 'Failed');
  const labels = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata.labels : undefined;
  const meta = child(o, 'metadata');
  if (isObj(labels) && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...labels };
  template(spec, { job: true });
}

function service(spec: Raw): void {
  put(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') put(child(child(spec, 'sessionAffinityConfig'), 'clientIP'), 'timeoutSeconds', 10_800);
  put(spec, 'type', 'ClusterIP');
  for (const p of objects(spec.ports)) {
    put(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (external) put(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') put(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') put(spec, 'allocateLoadBalancerNodePorts', true);
}

function namespace(o: Raw): void {
  const meta = child(o, 'metadata');
  // SetDefaults_Namespace: "adds a default label for all namespaces" (a nameless one has none).
  if (typeof meta.name === 'string' && meta.name !== '') child(meta, 'labels')['kubernetes.io/metadata.name'] = meta.name;
  put(child(o, 'spec'), 'finalizers', ['kubernetes']); // the namespace strategy's PrepareForCreate
  put(child(o, 'status'), 'phase', 'Active');
}

function networkPolicy(spec: Raw): void {
  for (const rule of [...objects(spec.ingress), ...objects(spec.egress)]) for (const p of objects(rule.ports)) put(p, 'protocol', 'TCP');
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

/** SetDefaults_PodSpec and what it holds; with `pod`, also SetDefaults_Pod (never for templates). */
function podSpec(spec: Raw, opts: { pod: boolean; job?: boolean }): void {
  put(spec, 'dnsPolicy', 'ClusterFirst');
  if (!opts.job) put(spec, 'restartPolicy', 'Always');
  if (spec.securityContext == null) spec.securityContext = {};
  put(spec, 'terminationGracePeriodSeconds', 30);
  put(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...objects(spec.initContainers), ...objects(spec.containers), ...objects(spec.ephemeralContainers)]) container(c);
  for (const v of objects(spec.volumes)) volume(v);
  if (!opts.pod) return;
  put(spec, 'enableServiceLinks', true);
  for (const c of [...objects(spec.initContainers), ...objects(spec.containers)]) {
    // "If limits are specified, but requests are not, default requests to limits"
    const r = isObj(c.resources) ? c.resources : null;
    if (r && isObj(r.limits)) r.requests = { ...r.limits, ...(isObj(r.requests) ? r.requests : {}) };
  }
  // "With host networking default all container ports to host ports."
  if (spec.hostNetwork === true) for (const c of [...objects(spec.initContainers), ...objects(spec.containers)]) for (const p of objects(c.ports)) put(p, 'hostPort', p.containerPort);
}

function container(c: Raw): void {
  // "PullPolicy defaults to Always if :latest tag is specified, or IfNotPresent otherwise" (no tag
  // and no digest is the tag latest).
  if (typeof c.image === 'string') put(c, 'imagePullPolicy', imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent');
  put(c, 'terminationMessagePath', '/dev/termination-log');
  put(c, 'terminationMessagePolicy', 'File');
  for (const p of objects(c.ports)) put(p, 'protocol', 'TCP');
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe']) if (isObj(c[k])) probe(c[k] as Raw);
  if (isObj(c.lifecycle)) for (const k of ['postStart', 'preStop']) if (isObj(c.lifecycle[k])) httpGet((c.lifecycle[k] as Raw).httpGet);
  for (const e of objects(c.env)) if (isObj(e.valueFrom) && isObj(e.valueFrom.fieldRef)) put(e.valueFrom.fieldRef, 'apiVersion', 'v1');
}

function probe(p: Raw): void {
  for (const [k, v] of [['timeoutSeconds', 1], ['periodSeconds', 10], ['successThreshold', 1], ['failureThreshold', 3]] as const) {
    if (p[k] == null || p[k] === 0) p[k] = v;
  }
  httpGet(p.httpGet);
}

function httpGet(h: unknown): void {
  if (!isObj(h)) return;
  put(h, 'path', '/');
  put(h, 'scheme', 'HTTP');
}

const SOURCES = ['hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image'];

function volume(v: Raw): void {
  if (!SOURCES.some((s) => v[s] != null)) v.emptyDir = {};
  // 0644, the default mode of the files these volumes project.
  for (const s of ['secret', 'configMap', 'downwardAPI', 'projected']) if (isObj(v[s])) put(v[s] as Raw, 'defaultMode', 420);
  if (isObj(v.hostPath)) put(v.hostPath, 'type', '');
}

/** An image reference's tag: after the last ':' of its last path part, without a digest; "latest" when there is neither. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const last = name.slice(name.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  if (colon >= 0) return last.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}
