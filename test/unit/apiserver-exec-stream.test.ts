/** The pods/exec stream protocol's pure parts: subprotocols, channel framing, options, the ending Status. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/apiserver/errors.js';
import { CLOSE, ERROR, execOptions, exitStatus, failureStatus, frame, pickProtocol, resizeLine, STDIN, STDOUT, unframe } from '../../src/apiserver/exec-stream.js';

const q = (s: string) => new URLSearchParams(s);

describe('exec stream protocol', () => {
  it('picks v5 over v4 whatever the client\'s order, and nothing older', () => {
    expect(pickProtocol(['v5.channel.k8s.io'])).toBe('v5.channel.k8s.io'); // what kubectl 1.32 offers
    expect(pickProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io'])).toBe('v5.channel.k8s.io');
    expect(pickProtocol(['v4.channel.k8s.io', 'base64.channel.k8s.io'])).toBe('v4.channel.k8s.io');
    expect(pickProtocol(['channel.k8s.io', 'v3.channel.k8s.io', ''])).toBeUndefined();
    expect(pickProtocol(new Set<string>())).toBeUndefined();
  });

  it('frames: the channel byte, then the data; unframe is its inverse', () => {
    expect([...frame(STDOUT, 'hi\n')]).toEqual([1, 0x68, 0x69, 0x0a]);
    expect([...frame(ERROR, new Uint8Array([]))]).toEqual([3]);
    const f = unframe(frame(STDIN, Buffer.from([0, 255, 7])))!;
    expect(f.channel).toBe(STDIN);
    expect([...f.payload]).toEqual([0, 255, 7]);
    // v5's close of stdin, as kubectl sends it at EOF.
    const close = unframe(Buffer.from([CLOSE, STDIN]))!;
    expect([close.channel, ...close.payload]).toEqual([255, 0]);
    expect(unframe(Buffer.alloc(0))).toBeUndefined();
  });

  it('reads PodExecOptions from the query: the command repeated, the stream flags', () => {
    expect(execOptions(q('command=sh&command=-c&command=exit+3&container=sleeper&stdin=true&stdout=true&stderr=true&tty=false'))).toEqual({
      command: ['sh', '-c', 'exit 3'], container: 'sleeper', stdin: true, stdout: true, stderr: true, tty: false,
    });
    expect(execOptions(q('command=true&stdout=1'))).toEqual({ command: ['true'], stdin: false, stdout: true, stderr: false, tty: false });
  });

  it('refuses what it cannot serve with a 400: no command, no stream', () => {
    const code = (s: string) => {
      try {
        execOptions(q(s));
      } catch (e) {
        return e instanceof ApiError ? `${e.code} ${e.message}` : 'other';
      }
      return 'ok';
    };
    expect(code('stdout=true')).toBe('400 you must specify at least 1 command');
    expect(code('command=true')).toBe('400 you must specify at least 1 of stdin, stdout, stderr');
    expect(code('command=sh&stdin=true&stdout=true&tty=true')).toBe('ok');
  });

  it('a TTY merges stderr into stdout; resize messages become the pty helper\'s size lines', () => {
    expect(execOptions(q('command=sh&stdin=true&stdout=true&stderr=true&tty=true'))).toMatchObject({ tty: true, stdout: true, stderr: false });
    expect(resizeLine(Buffer.from('{"Width":120,"Height":40}'))).toBe('120 40\n');
    for (const bad of ['{"Width":-1,"Height":40}', '{"Width":1.5,"Height":40}', '{"Height":40}', 'null', 'not json', '{"Width":70000,"Height":1}']) expect(resizeLine(Buffer.from(bad))).toBeUndefined();
  });

  it('ends with Success, or NonZeroExitCode whose ExitCode cause carries the code', () => {
    expect(exitStatus(0)).toEqual({ metadata: {}, status: 'Success' });
    expect(exitStatus(3)).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: exit status 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(failureStatus('boom')).toMatchObject({ status: 'Failure', reason: 'InternalError', message: 'boom', code: 500 });
  });
});
