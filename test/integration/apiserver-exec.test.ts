/**
 * `kubectl exec` through the lab's Kubernetes API (WebSocket, v5.channel.k8s.io): stdout, stderr,
 * stdin to EOF, exit codes, a TTY (-t, on a pseudo-terminal of its own), the pod's network
 * namespace, and the errors before the upgrade; kubectl attach (-i, -t) and kubectl run -i/-it.
 * Needs root and kubectl; unique lab (prefix kexe), cleaned up on failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, HAVE_KUBECTL, kubectlFor, fixture, REPO, TestLab, until } from './helpers.js';

const T = 180_000;

describe.skipIf(!CAN_RUN_LAB || !HAVE_KUBECTL)('kubectl exec through the lab\'s Kubernetes API (root, real pods)', () => {
  const lab = new TestLab('kexe');
  const kubectl = kubectlFor(lab);

  beforeAll(async () => {
    await lab.up(['-f', fixture('apply-base.yaml')]);
  }, T);

  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('runs a command in a command container: its stdout, exit 0', () => {
    const r = kubectl(['exec', 'solo', '-c', 'sleeper', '--', 'echo', 'hi']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(0);
  });

  it('a non-zero exit code is kubectl\'s exit code', () => {
    const r = kubectl(['exec', 'solo', '-c', 'sleeper', '--', 'sh', '-c', 'exit 3']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
  });

  it('stdin (-i) reaches the command until EOF; stderr is kubectl\'s stderr', () => {
    const cat = kubectl(['exec', '-i', 'solo', '-c', 'sleeper', '--', 'cat'], 'hello\n');
    expect(cat.status).toBe(0);
    expect(cat.stdout).toBe('hello\n');
    const both = kubectl(['exec', 'solo', '-c', 'sleeper', '--', 'sh', '-c', 'echo out; echo err >&2']);
    expect(both.status).toBe(0);
    expect(both.stdout).toBe('out\n');
    expect(both.stderr).toBe('err\n');
  });

  it('runs in the pod\'s network namespace: its interface has the pod\'s IP', () => {
    const ip = kubectl(['get', 'pod', 'solo', '-o', 'jsonpath={.status.podIP}']).stdout;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const r = kubectl(['exec', 'solo', '-c', 'sleeper', '--', 'ip', '-4', '-o', 'addr']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(` ${ip}/`);
  });

  it('a pod of built-in servers gets a sandbox of its own in the pod\'s network namespace', () => {
    const r = kubectl(['exec', 'solo', '-c', 'web', '--', 'cat', '/proc/net/dev']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/eth0:/);
  });

  it('errors before the upgrade: an unknown container (400) and pod (404) are the server\'s messages', () => {
    const nope = kubectl(['exec', 'solo', '-c', 'nope', '--', 'true']);
    expect(nope.status).toBe(1);
    expect(nope.stderr).toContain('container nope is not valid for pod solo');
    const gone = kubectl(['exec', 'nosuchpod', '--', 'true']);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('pods "nosuchpod" not found');
  });

  it('output faster than kubectl reads waits for it (the API server does not buffer it all); all of it arrives', async () => {
    const SIZE = 300 * 1024 * 1024;
    const { pid } = JSON.parse(readFileSync(join(lab.stateDir, 'api', 'server.json'), 'utf8')) as { pid: number };
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    const before = rss();
    const client = spawn('kubectl', ['--kubeconfig', lab.kubeconfig, 'exec', 'solo', '-c', 'sleeper', '--', 'head', '-c', String(SIZE), '/dev/zero'], { stdio: ['ignore', 'pipe', 'pipe'] });
    client.stdout.pause(); // nobody reads: kubectl's stdout pipe fills, then its socket, then the server's
    await new Promise((r) => setTimeout(r, 4_000));
    const held = rss() - before;
    let got = 0;
    const done = new Promise<number | null>((resolve) => client.on('close', resolve));
    client.stdout.on('data', (d: Buffer) => (got += d.length));
    client.stdout.resume();
    expect(await done).toBe(0);
    expect(got).toBe(SIZE);
    // Without flow control the whole output would sit in the server's memory while kubectl waits.
    expect(held).toBeLessThan(64 * 1024 * 1024);
  }, T);

  it('the command ends when kubectl goes away first (killed with its process group)', async () => {
    const running = () => spawnSync('pgrep', ['-f', 'sleep 4321'], { encoding: 'utf8' }).stdout.trim();
    const client = spawn('kubectl', ['--kubeconfig', lab.kubeconfig, 'exec', 'solo', '-c', 'sleeper', '--', 'sleep', '4321'], { stdio: 'ignore' });
    await until('the exec\'d command to run', () => running() !== '', 20_000);
    client.kill('SIGKILL');
    await until('the exec\'d command to be gone', () => running() === '', 20_000);
  }, T);

  it('kubectl attach: the running container\'s output from now on; it ends when the container does; -i is refused without stdin: true', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: ticker}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    command: [sh, -c, 'i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo tick-$i; sleep 0.2; done']
`;
    expect(kubectl(['apply', '-f', '-'], manifest).status).toBe(0);
    await until('ticker to have ticked 5 times', () => kubectl(['logs', 'ticker']).stdout.includes('tick-5\n'), 60_000);
    const r = await new Promise<{ out: string; code: number | null }>((resolve) => {
      const c = spawn('kubectl', ['--kubeconfig', lab.kubeconfig, 'attach', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', (code) => resolve({ out, code }));
    });
    // Attached after tick 5: the later ticks up to the last, none of the first ones; then the container ended and so did attach.
    expect(r.out).toContain('tick-40\n');
    expect(r.out).not.toMatch(/^tick-1\n/m);
    expect(r.code).toBe(0);
    const stdin = kubectl(['attach', '-i', 'solo', '-c', 'sleeper']);
    expect(stdin.status).not.toBe(0);
    expect(stdin.stderr).toContain('has no stdin to attach to: its spec.containers[].stdin is not true');
  }, T);

  it('kubectl attach -i: a container with stdin: true reads what each session sends; the buffer stays open between sessions', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: echoer}
spec:
  containers:
  - name: app
    image: busybox
    stdin: true
    command: [sh, -c, 'while read l; do echo "echo:$l"; done; echo stdin-ended']
`;
    expect(kubectl(['apply', '-f', '-'], manifest).status).toBe(0);
    expect(kubectl(['wait', '--for=condition=Ready', 'pod/echoer', '--timeout=60s']).status).toBe(0);
    const session = async (line: string) => {
      const c = spawn('kubectl', ['--kubeconfig', lab.kubeconfig, 'attach', '-i', 'echoer'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      // kubectl attaches, then sends what it reads from its stdin.
      await new Promise((r) => setTimeout(r, 1_500));
      c.stdin.write(`${line}\n`);
      c.stdin.end(); // kubectl's EOF: without stdinOnce the container's stdin stays open
      try {
        await until(`echo:${line} through attach`, () => out.includes(`echo:${line}\n`), 20_000);
      } finally {
        c.kill('SIGKILL');
      }
    };
    await session('first');
    await session('second');
    await new Promise((r) => setTimeout(r, 500));
    expect(kubectl(['logs', 'echoer']).stdout).toBe('echo:first\necho:second\n'); // no EOF came
    expect(kubectl(['delete', 'pod', 'echoer']).status).toBe(0);
  }, T);

  it('kubectl run -i --rm: stdin reaches the container (stdinOnce: EOF after it), the exit code is kubectl\'s, the pod is deleted', async () => {
    const r = await new Promise<{ out: string; err: string; code: number | null }>((resolve) => {
      const c = spawn('kubectl', ['--kubeconfig', lab.kubeconfig, 'run', 'reader', '-i', '--rm', '--restart=Never', '--image=busybox', '--', 'sh', '-c', 'cat > /tmp/in; echo "got:$(cat /tmp/in)"; exit 3'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('close', (code) => resolve({ out, err, code }));
      c.stdin.end('hello\nworld\n');
    });
    // `cat` ended: the container's stdin closed when kubectl's did (stdinOnce), so it went on.
    expect(r.out, r.err).toContain('got:hello\nworld\n');
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain('pod default/reader terminated (Error)'); // the kubelet's reason for a non-zero exit
    await until('reader to be deleted', () => kubectl(['get', 'pod', 'reader']).status !== 0, 30_000);
  }, T);

  it('kubectl run -i: output the command printed before kubectl attached is shown too (the first session starts at the run\'s beginning)', () => {
    // No stdin read: the command prints and ends at once, before kubectl's attach is set up.
    const r = kubectl(['run', 'early', '-i', '--rm', '--restart=Never', '--image=busybox', '--', 'sh', '-c', 'echo early-line; sleep 0.5'], '');
    expect(r.stdout, r.stderr).toContain('early-line\n');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/early-line/g)).toHaveLength(1);
  }, T);

  // kubectl asks for a TTY only when its stdin is a terminal: `script` gives it one, of a set size.
  const inTerminalLater = (cmd: string, typed: string, afterMs: number) => spawnSync('sh', ['-c', `(sleep ${afterMs / 1000}; printf '%s' "$TYPED") | script -qec "stty rows 33 cols 101; kubectl --kubeconfig ${lab.kubeconfig} ${cmd}" /dev/null`], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, TYPED: typed } });

  it('kubectl run -it --rm: the container\'s shell on a terminal of its own, of kubectl\'s size; what is typed reaches it; its exit code is kubectl\'s', () => {
    // Typed once kubectl is attached (raw mode: Enter is a carriage return, the terminal makes it a newline).
    const r = inTerminalLater('run tty-shell -it --rm --restart=Never --image=busybox -- sh', 'stty size; tty; echo TERM=$TERM; exit 6\r', 8_000);
    expect(r.stdout).toMatch(/33 101\r?\n/);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+\r?\n/);
    expect(r.stdout).toContain('TERM=xterm');
    expect(r.status, r.stdout + r.stderr).toBe(6);
  }, T);

  const inTerminal = (cmd: string, input = '') => spawnSync('script', ['-qec', `stty rows 33 cols 101; kubectl --kubeconfig ${lab.kubeconfig} ${cmd}`, '/dev/null'], { encoding: 'utf8', timeout: 60_000, input });

  it('a TTY (-t): the command has a terminal of kubectl\'s size as stdin/stdout, TERM=xterm; its exit code is kubectl\'s', () => {
    const r = inTerminal(`exec -it solo -c sleeper -- sh -c 'sleep 1; tty; stty size; echo TERM=$TERM; test -t 0 && test -t 1 && echo both-ttys; exit 4'`);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+\r?\n/);
    expect(r.stdout).toMatch(/33 101\r?\n/);
    expect(r.stdout).toContain('TERM=xterm');
    expect(r.stdout).toContain('both-ttys');
    expect(r.status).toBe(4);
  });

  it('podnet exec -t: the same terminal as kubectl exec -t gives, sized as the caller\'s; without a terminal, a warning and none', () => {
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const cli = lab.argv('exec', ['solo', '-c', 'sleeper', '-t', '--', 'sh', '-c', 'sleep 0.5; stty size; test -t 0 && tty; exit 6']).map(quote).join(' ');
    const r = spawnSync('script', ['-qec', `stty rows 21 cols 77; ${cli}`, '/dev/null'], { cwd: REPO, env: lab.env(), encoding: 'utf8', timeout: 60_000, input: '' });
    // Node's raw mode keeps output post-processing (ONLCR), so the command's \r\n arrives as \r\r\n.
    expect(r.stdout).toMatch(/21 77\r*\n/);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+\r*\n/);
    expect(r.status).toBe(6);
    const plain = spawnSync(lab.argv('exec', ['solo', '-c', 'sleeper', '-t', '--', 'sh', '-c', 'test -t 0 || echo no-tty'])[0]!, lab.argv('exec', ['solo', '-c', 'sleeper', '-t', '--', 'sh', '-c', 'test -t 0 || echo no-tty']).slice(1), { cwd: REPO, env: lab.env(), encoding: 'utf8', timeout: 60_000, input: '' });
    expect(plain.stderr).toContain('Unable to use a TTY - input is not a terminal or the right kind of file');
    expect(plain.stdout).toBe('no-tty\n');
    expect(plain.status).toBe(0);
  });

  it('a TTY with stdin: an interactive shell reads what is typed and its output comes back', () => {
    const r = inTerminal('exec -it solo -c sleeper -- sh', 'echo hi-$((6*7))\nexit 5\n');
    expect(r.stdout).toContain('hi-42');
    expect(r.status).toBe(5);
  });
});
