/**
 * The Nft contract through libnftables in one long-lived helper (native/podnet-nft.c), instead of
 * one `nft` process per transaction: each process start costs 20–40 ms here, the kernel's work for
 * a small transaction about 1 ms. One helper serves the whole podnet process (every namespace:
 * it enters the one each request names) and answers requests in order; it is started on first
 * use, does not keep the process alive when idle, and is started again if it dies.
 *
 * `hostNft` picks it for the real host when the helper is built (it needs libnftables-dev at
 * build time), else the `nft` command (CliNft): same contract, same results, slower.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { NftError, type Family, type Transaction } from '../render/nft/txn.js';
import { LinuxHost, type Host } from './host.js';
import { CliNft, type Nft, type TableListing } from './nft.js';
import { parseListing } from './nft-listing.js';

export const NFT_HELPER = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist', 'native', 'podnet-nft');

// libnftables' output flags (nftables/libnftables.h).
const OUTPUT_STATELESS = 1 << 2;
const OUTPUT_JSON = 1 << 4;

interface Answer {
  status: number;
  output: string;
  error: string;
}

interface Pending {
  resolve: (a: Answer) => void;
  reject: (e: Error) => void;
}

type HelperProcess = ChildProcessByStdio<Writable, Readable, null>;

/** One helper process and its queue of requests awaiting an answer (answered in order). */
class Helper {
  private child: HelperProcess | null = null;
  private readonly pending: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly binary: string) {}

  request(flags: number, netns: string | null, input: string): Promise<Answer> {
    const ns = Buffer.from(netns ?? '', 'utf8');
    if (ns.length > 255) return Promise.reject(new NftError(`network namespace name too long: ${netns}`));
    const text = Buffer.from(input, 'utf8');
    const head = Buffer.alloc(10);
    head.writeUInt32LE(6 + ns.length + text.length, 0);
    head.writeUInt32LE(flags, 4);
    head.writeUInt16LE(ns.length, 8);
    const child = this.start();
    return new Promise<Answer>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.refs(true);
      child.stdin.write(Buffer.concat([head, ns, text]));
    });
  }

  private start(): HelperProcess {
    if (this.child) return this.child;
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    this.buffered = Buffer.alloc(0);
    child.stdout.on('data', (d: Buffer) => this.receive(d));
    child.stdin.on('error', () => undefined); // the exit below rejects what is waiting
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = null;
      for (const p of this.pending.splice(0)) p.reject(new NftError(`the nftables helper ${why}`));
    };
    child.on('error', (e) => gone(`could not run: ${e.message}`));
    child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    child.unref();
    this.refs(false);
    return child;
  }

  private receive(data: Buffer): void {
    this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readUInt32LE(0);
      if (this.buffered.length < 4 + size) return;
      const status = this.buffered.readInt32LE(4);
      const outLen = this.buffered.readUInt32LE(8);
      const output = this.buffered.toString('utf8', 12, 12 + outLen);
      const error = this.buffered.toString('utf8', 12 + outLen, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      this.pending.shift()?.resolve({ status, output, error });
    }
    if (this.pending.length === 0) this.refs(false);
  }

  /** While requests wait the pipes keep the process alive; when idle they do not. */
  private refs(on: boolean): void {
    if (!this.child) return;
    for (const s of [this.child.stdin, this.child.stdout] as unknown as Socket[]) {
      if (on) s.ref?.();
      else s.unref?.();
    }
  }
}

const helpers = new Map<string, Helper>();

/** libnftables through the helper; `binary` for tests, the built one by default. */
export class NativeNft implements Nft {
  private readonly helper: Helper;

  constructor(binary: string = NFT_HELPER) {
    let h = helpers.get(binary);
    if (!h) helpers.set(binary, (h = new Helper(binary)));
    this.helper = h;
  }

  static available(binary: string = NFT_HELPER): boolean {
    return existsSync(binary);
  }

  async run(netns: string | null, tx: Transaction): Promise<void> {
    if (tx.size === 0 && !tx.err) return;
    const a = await this.helper.request(0, netns, tx.toString());
    if (a.status !== 0) throw new NftError(a.error.trim().split('\n').slice(0, 3).join(' ') || `nft refused the transaction (${a.status})`);
  }

  async list(netns: string | null, family: Family, table: string): Promise<TableListing | null> {
    const a = await this.helper.request(OUTPUT_JSON, netns, `list table ${family} ${table}`);
    if (a.status !== 0) {
      if (/No such file or directory/.test(a.error)) return null;
      throw new NftError(a.error.trim().split('\n')[0] || `nft list failed (${a.status})`);
    }
    return parseListing(a.output);
  }

  async ruleset(netns: string | null): Promise<string> {
    // Stateless: no counter values, which every packet changes.
    const a = await this.helper.request(OUTPUT_STATELESS, netns, 'list ruleset');
    if (a.status !== 0) throw new NftError(a.error.trim().split('\n')[0] || `nft list failed (${a.status})`);
    return a.output;
  }
}

/** The nftables of `host`: libnftables through the helper on the real host when it is built. */
export function hostNft(host: Host): Nft {
  return host instanceof LinuxHost && NativeNft.available() ? new NativeNft() : new CliNft(host);
}
