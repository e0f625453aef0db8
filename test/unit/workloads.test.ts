/**
 * Reading manifests into pods (library level): workloads expand to the pods Kubernetes would
 * create, named as it names them and deterministically; namespaces, pod IPs, Lists, multi-document
 * YAML, JSON, stdin and directories.
 */
import { describe, expect, it } from 'vitest';
import { readCluster, type ReadOptions } from '../../src/api/cluster.js';
import { loadManifests, parseManifestText } from '../../src/api/load.js';
import { InputError, type Problem } from '../../src/api/problems.js';
import { parseCidr, parseIPv4 } from '../../src/model/ip.js';
import type { Cluster, Pod } from '../../src/model/types.js';

const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';

function parse(text: string, file = 'test.yaml') {
  const problems: Problem[] = [];
  const raws = parseManifestText(text, file, problems);
  expect(problems).toEqual([]);
  return raws;
}

function read(text: string, options?: ReadOptions): Cluster {
  return readCluster(parse(text), options);
}

function problemsOf(f: () => unknown): Problem[] {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return [...e.problems];
    throw e;
  }
  throw new Error('expected an InputError');
}

const names = (pods: readonly Pod[]) => pods.map((p) => p.name);

function deployment(name: string, replicas?: number, image = 'nginx', extra = ''): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
spec:
${replicas === undefined ? '' : `  replicas: ${replicas}\n`}  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
        tier: front
    spec:
      containers:
        - name: main
          image: ${image}
${extra}`;
}

describe('Deployment', () => {
  it('expands to <deployment>-<pod-template-hash>-<5 chars>, with the hash label and the Deployment as owner', () => {
    const { pods } = read(deployment('web', 3));
    expect(pods).toHaveLength(3);
    const hash = pods[0].labels['pod-template-hash'];
    expect(hash).toMatch(new RegExp(`^${SAFE}{6,10}$`));
    for (const pod of pods) {
      expect(pod.name).toMatch(new RegExp(`^web-${hash}-${SAFE}{5}$`));
      expect(pod.labels).toEqual({ app: 'web', tier: 'front', 'pod-template-hash': hash });
      expect(pod.owner).toEqual({ kind: 'Deployment', name: 'web' });
      expect(pod.namespace).toBe('shop');
      expect(pod.containers.map((c) => c.name)).toEqual(['main']);
    }
    expect(new Set(names(pods)).size).toBe(3);
  });

  it('replicas defaults to 1; replicas 0 gives no pods', () => {
    expect(read(deployment('web'))).toMatchObject({ pods: [{ owner: { kind: 'Deployment', name: 'web' } }] });
    expect(read(deployment('web', 0)).pods).toEqual([]);
  });

  it('is deterministic across runs; the hash depends on the template, not on key order', () => {
    const a = read(deployment('web', 2));
    const b = read(deployment('web', 2));
    expect(names(a.pods)).toEqual(names(b.pods));
    expect(a.pods.map((p) => p.ip)).toEqual(b.pods.map((p) => p.ip));
    const other = read(deployment('web', 2, 'nginx:1.27'));
    expect(other.pods[0].labels['pod-template-hash']).not.toBe(a.pods[0].labels['pod-template-hash']);
    const reordered = read(`
kind: Deployment
apiVersion: apps/v1
metadata: {namespace: shop, name: web}
spec:
  template:
    spec:
      containers: [{image: nginx, name: main}]
    metadata:
      labels: {tier: front, app: web}
  selector: {matchLabels: {app: web}}
  replicas: 2
`);
    expect(names(reordered.pods)).toEqual(names(a.pods));
  });

  it('a selector that does not match the template labels is an error', () => {
    const text = deployment('web', 1).replace('matchLabels:\n      app: web', 'matchLabels:\n      app: other');
    expect(problemsOf(() => read(text))).toEqual([
      { file: 'test.yaml', object: 'deployment shop/web', path: 'spec.selector', message: 'does not match template labels (spec.template.metadata.labels)' },
    ]);
    const noSelector = deployment('web', 1).replace(/ {2}selector:\n {4}matchLabels:\n {6}app: web\n/, '');
    expect(problemsOf(() => read(noSelector))).toEqual([{ file: 'test.yaml', object: 'deployment shop/web', path: 'spec.selector', message: 'required field is missing' }]);
  });
});

describe('ReplicaSet, StatefulSet', () => {
  it('ReplicaSet: <replicaset>-<5 chars>, owner ReplicaSet, template labels unchanged', () => {
    const { pods } = read(deployment('cache', 2).replace('kind: Deployment', 'kind: ReplicaSet'));
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.name).toMatch(new RegExp(`^cache-${SAFE}{5}$`));
      expect(pod.owner).toEqual({ kind: 'ReplicaSet', name: 'cache' });
      expect(pod.labels).toEqual({ app: 'cache', tier: 'front' });
    }
    expect(pods[0].name).not.toBe(pods[1].name);
  });

  it('StatefulSet: <name>-0 .. <name>-(N-1), hostname = pod name, subdomain = serviceName', () => {
    const { pods } = read(deployment('db', 3).replace('kind: Deployment', 'kind: StatefulSet').replace('spec:\n  replicas', 'spec:\n  serviceName: db-headless\n  replicas'));
    expect(names(pods)).toEqual(['db-0', 'db-1', 'db-2']);
    pods.forEach((pod, i) => {
      expect(pod.hostname).toBe(`db-${i}`);
      expect(pod.subdomain).toBe('db-headless');
      expect(pod.owner).toEqual({ kind: 'StatefulSet', name: 'db' });
      expect(pod.labels).toMatchObject({ app: 'db', 'statefulset.kubernetes.io/pod-name': `db-${i}` });
    });
  });
});

describe('DaemonSet', () => {
  const node = (name: string, role: string) => `
apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels: {role: ${role}}
status:
  addresses: [{type: InternalIP, address: 192.168.0.${name.slice(-1)}}]
---`;
  const ds = (nodeSelector: string) => `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      ${nodeSelector}
      containers: [{name: agent}]
`;

  it('one pod per Node manifest, respecting nodeSelector', () => {
    const nodes = node('n1', 'worker') + node('n2', 'infra') + node('n3', 'worker');
    const selected = read(nodes + ds('nodeSelector: {role: worker}')).pods;
    expect(selected.map((p) => p.nodeName).sort()).toEqual(['n1', 'n3']);
    const all = read(nodes + ds('')).pods;
    expect(all.map((p) => p.nodeName).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const pod of all) {
      expect(pod.name).toMatch(new RegExp(`^agent-${SAFE}{5}$`));
      expect(pod.owner).toEqual({ kind: 'DaemonSet', name: 'agent' });
    }
    expect(new Set(names(all)).size).toBe(3);
  });

  it('one pod when there are no nodes', () => {
    const { pods } = read(ds('nodeSelector: {role: worker}'));
    expect(pods).toHaveLength(1);
    expect(pods[0].name).toMatch(new RegExp(`^agent-${SAFE}{5}$`));
    expect(pods[0].nodeName).toBeUndefined();
  });
});

describe('Job, CronJob', () => {
  it('Job: parallelism pods named <job>-<5 chars>, labelled with the job name', () => {
    const { pods } = read(`
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  parallelism: 3
  template:
    metadata: {labels: {app: migrate}}
    spec:
      restartPolicy: Never
      containers: [{name: migrate}]
`);
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.name).toMatch(new RegExp(`^migrate-${SAFE}{5}$`));
      expect(pod.labels).toEqual({ app: 'migrate', 'job-name': 'migrate', 'batch.kubernetes.io/job-name': 'migrate' });
      expect(pod.owner).toEqual({ kind: 'Job', name: 'migrate' });
      expect(pod.namespace).toBe('default');
    }
    expect(new Set(names(pods)).size).toBe(3);
  });

  it('CronJob: the pod of one job <cronjob>-<number>, owned by the CronJob', () => {
    const text = `
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: ops}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: report}}
        spec:
          restartPolicy: OnFailure
          containers: [{name: report}]
`;
    const { pods } = read(text);
    expect(pods).toHaveLength(1);
    const job = pods[0].labels['job-name'];
    expect(job).toMatch(/^report-[0-9]{8}$/);
    expect(pods[0].name).toMatch(new RegExp(`^${job}-${SAFE}{5}$`));
    expect(pods[0].owner).toEqual({ kind: 'CronJob', name: 'report' });
    expect(names(read(text).pods)).toEqual(names(pods));
  });
});

describe('namespaces', () => {
  it('a missing metadata.namespace means default', () => {
    expect(read('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n').pods[0].namespace).toBe('default');
  });

  it('every namespace, declared or only referenced, carries kubernetes.io/metadata.name; declared labels are kept', () => {
    const c = read(`
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {env: production}}
---
apiVersion: v1
kind: Namespace
metadata: {name: empty}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: prod}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: staging}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec: {podSelector: {}}
`);
    expect(c.namespaces.map((n) => ({ name: n.name, labels: n.labels }))).toEqual([
      { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } },
      { name: 'empty', labels: { 'kubernetes.io/metadata.name': 'empty' } },
      { name: 'prod', labels: { env: 'production', 'kubernetes.io/metadata.name': 'prod' } },
      { name: 'staging', labels: { 'kubernetes.io/metadata.name': 'staging' } },
    ]);
  });

  it('a declared kubernetes.io/metadata.name label cannot disagree with the name', () => {
    const c = read('apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {kubernetes.io/metadata.name: other}}\n');
    expect(c.namespaces[0].labels['kubernetes.io/metadata.name']).toBe('prod');
  });
});

describe('pod IPs', () => {
  const pod = (name: string, ip?: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec: {containers: [{name: c}]}
${ip ? `status: {podIP: ${ip}}` : ''}
---`;

  it('status.podIP is kept; the others get deterministic, unique addresses from 10.244.0.0/16 that avoid given ones', () => {
    const text = pod('a') + pod('b') + pod('c', '10.244.0.1') + pod('d', '10.244.0.3') + pod('e') + pod('f', '172.16.5.5');
    const c = read(text);
    expect(Object.fromEntries(c.pods.map((p) => [p.name, p.ip]))).toEqual({
      a: '10.244.0.2',
      b: '10.244.0.4',
      c: '10.244.0.1',
      d: '10.244.0.3',
      e: '10.244.0.5',
      f: '172.16.5.5',
    });
    expect(read(text).pods.map((p) => p.ip)).toEqual(c.pods.map((p) => p.ip));
  });

  it('many pods: all addresses distinct and inside the pod CIDR', () => {
    const c = read(deployment('web', 300) + '---' + pod('x', '10.244.0.7'));
    const ips = c.pods.map((p) => p.ip);
    expect(new Set(ips).size).toBe(301);
    const cidr = parseCidr('10.244.0.0/16')!;
    for (const ip of ips) {
      const n = parseIPv4(ip)!;
      expect(n >= cidr.start && n <= cidr.end, ip).toBe(true);
    }
    expect(ips.filter((ip) => ip === '10.244.0.7')).toHaveLength(1);
  });

  it('a custom podCidr option', () => {
    const c = read(pod('a') + pod('b', '192.168.7.1') + pod('c'), { podCidr: '192.168.7.0/24' });
    expect(c.pods.map((p) => [p.name, p.ip])).toEqual([
      ['a', '192.168.7.2'],
      ['b', '192.168.7.1'],
      ['c', '192.168.7.3'],
    ]);
  });

  it('pods come back sorted by namespace, then name', () => {
    const c = read(pod('z') + pod('a') + deployment('web', 1));
    expect(c.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(['default/a', 'default/z', expect.stringMatching(/^shop\/web-/)]);
  });
});

describe('reading manifests', () => {
  it('List and *List kinds are unpacked; items without kind take it from the list kind', () => {
    const raws = parse(`
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p1}
    spec: {containers: [{name: c}]}
  - apiVersion: v1
    kind: PodList
    items:
      - metadata: {name: p2}
        spec: {containers: [{name: c}]}
---
apiVersion: apps/v1
kind: DeploymentList
items:
${deployment('web', 2).replace(/^/gm, '    ').replace(/^ {4}apiVersion/m, '  - apiVersion')}
`);
    expect(raws.map((r) => [r.obj.kind, r.prefix, r.source.doc])).toEqual([
      ['Pod', 'items[0]', 0],
      ['Pod', 'items[1].items[0]', 0],
      ['Deployment', 'items[0]', 1],
    ]);
    const c = readCluster(raws);
    expect(c.pods.map((p) => p.owner)).toEqual([
      { kind: 'Pod', name: 'p1' },
      { kind: 'Pod', name: 'p2' },
      { kind: 'Deployment', name: 'web' },
      { kind: 'Deployment', name: 'web' },
    ]);
  });

  it('a problem inside a List item names the item', () => {
    const raws = parse('apiVersion: v1\nkind: PodList\nitems:\n  - spec: {containers: [{name: c}]}\n');
    expect(problemsOf(() => readCluster(raws))).toEqual([{ file: 'test.yaml', object: 'pod (document 1 items[0])', path: 'metadata.name', message: 'required field is missing' }]);
  });

  it('multi-document YAML, empty documents ignored, each object remembers its document', () => {
    const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec: {containers: [{name: c}]}`;
    // A leading "---" opens the first document; documents 1 (empty) and 2 (a comment) hold nothing.
    const raws = parse(`---\n${pod('a')}\n---\n\n---\n# only a comment\n---\n${pod('b')}\n`);
    expect(raws.map((r) => [r.obj.kind, r.source])).toEqual([
      ['Pod', { file: 'test.yaml', doc: 0 }],
      ['Pod', { file: 'test.yaml', doc: 3 }],
    ]);
    expect(readCluster(raws).pods.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('JSON text', () => {
    const c = read(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j', namespace: 'js' }, spec: { containers: [{ name: 'c' }] }, status: { podIP: '10.1.2.3' } }));
    expect(c.pods.map((p) => [p.namespace, p.name, p.ip])).toEqual([['js', 'j', '10.1.2.3']]);
  });

  it('stdin "-": loadManifests reads it through the given function; messages call it <stdin>', () => {
    let calls = 0;
    const stdin = () => {
      calls++;
      return 'apiVersion: v1\nkind: Pod\nmetadata: {name: from-stdin}\nspec: {containers: [{name: c}]}\n';
    };
    const raws = loadManifests(['-'], stdin);
    expect(calls).toBe(1);
    expect(raws.map((r) => r.source.file)).toEqual(['<stdin>']);
    expect(readCluster(raws).pods.map((p) => p.name)).toEqual(['from-stdin']);
    expect(problemsOf(() => loadManifests(['-'], () => 'kind: [broken\n'))).toMatchObject([{ file: '<stdin>', message: expect.stringMatching(/^invalid YAML at line \d+, column \d+: /) }]);
  });

  it('directories are read recursively, .yaml/.yml/.json only, in a stable order', () => {
    const dir = 'test/fixtures/workloads/tree';
    const raws = loadManifests([dir]);
    expect([...new Set(raws.map((r) => r.source.file))]).toEqual([`${dir}/a.yaml`, `${dir}/deeper/more/c.json`, `${dir}/sub/b.yml`]);
    const c = readCluster(raws);
    expect(c.pods.map((p) => `${p.namespace}/${p.owner.name}[${p.owner.kind}] ${p.ip}`)).toEqual([
      'deep/c[Pod] 10.9.9.9',
      'default/a[Pod] 10.244.0.1',
      'sub/b[Deployment] 10.244.0.2',
      'sub/b[Deployment] 10.244.0.3',
    ]);
    // A file given by name is read whatever its extension.
    expect(() => loadManifests([`${dir}/notes.txt`])).toThrow(InputError);
  });
});

describe('pods the user deleted (replacedPods)', () => {
  const sts = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: db}]}}
`;
  const ds = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: a, image: a}]}}
`;
  it('a deleted pod\'s slot gets a new name, again and again; the other pods and a StatefulSet\'s keep theirs', () => {
    const text = `${deployment('web', 3)}\n---\n${sts}\n---\n${ds}`;
    const of = (replaced: string[], prefix: string) => names(read(text, { replacedPods: new Set(replaced) }).pods).filter((n) => n.startsWith(prefix));
    const web = of([], 'web-');
    expect(web).toHaveLength(3);
    const [first, second, third] = web;
    const once = of([`shop/${first}`], 'web-');
    const fresh = once.filter((n) => !web.includes(n));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatch(new RegExp(`^web-${SAFE}+-${SAFE}{5}$`));
    expect(once.filter((n) => n !== fresh[0]).sort()).toEqual([second, third].sort());
    const twice = of([`shop/${first}`, `shop/${fresh[0]}`, `shop/${second}`], 'web-');
    expect(twice).toHaveLength(3);
    expect(twice).toContain(third);
    for (const gone of [first, fresh[0], second]) expect(twice).not.toContain(gone);
    // Another namespace's pod of that name is not this one.
    expect(of([`other/${first}`], 'web-')).toEqual(web);
    const [agent] = of([], 'agent-');
    const [agentAfter] = of([`default/${agent}`], 'agent-');
    expect(agentAfter).toMatch(new RegExp(`^agent-${SAFE}{5}$`));
    expect(agentAfter).not.toBe(agent);
    expect(of(['default/db-0'], 'db-')).toEqual(['db-0']);
  });
});
