/**
 * Answering one parsed DNS query against a record set (pure: dns-packet objects in and out, no
 * sockets). Names inside the zone are answered authoritatively (NXDOMAIN or NODATA with the
 * zone's SOA, RFC 2308); reverse names we hold are answered, other names are for the forwarder
 * (CoreDNS's `fallthrough in-addr.arpa ip6.arpa` and `forward . /etc/resolv.conf`).
 */
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type Packet } from 'dns-packet';
import { normalizeName, type DnsRecord, type RecordSet } from './records.js';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const AA = 1 << 10;
const TC = 1 << 9;
const RD = 1 << 8;
const RA = 1 << 7;
/** RFC 1035 4.2.1: "Messages carried by UDP are restricted to 512 bytes". */
export const CLASSIC_UDP_SIZE = 512;
/** What we advertise and accept at most over UDP with EDNS0 (the DNS Flag Day 2020 value). */
export const EDNS_UDP_SIZE = 1232;
const MAX_CNAME_CHAIN = 8;

export type Transport = 'udp' | 'tcp';

export type Resolution =
  /**
   * `limit`: the size the response must fit (re-fit it after adding records). `chase`: the answer
   * ends in a CNAME to a name outside the zone (an ExternalName Service); the server may resolve it
   * upstream and append the records, as CoreDNS does (the spec's 2.5 answer example shows them).
   */
  | { kind: 'answer'; response: Packet; limit?: number; chase?: { name: string; type: string } }
  /** Not ours: send to the upstream resolvers. */
  | { kind: 'forward' }
  /** Not a query at all (a response): drop it silently. */
  | { kind: 'drop' };

/** A header-only error answer (no question echoed): for FORMERR of undecodable packets. */
export function errorResponse(id: number, rcode: number, rdFlag = 0): Packet {
  return { type: 'response', id, flags: (rdFlag & RD) | RA | (rcode & 0xf), questions: [], answers: [], authorities: [], additionals: [] };
}

export function resolveQuery(query: DecodedPacket, rs: RecordSet, transport: Transport): Resolution {
  if (query.type !== 'query') return { kind: 'drop' };
  const id = query.id ?? 0;
  const rd = (query.flags ?? 0) & RD;
  const opts = (query.additionals ?? []).filter((a): a is OptAnswer => a.type === 'OPT');
  const questions = query.questions ?? [];
  // RFC 6891 6.1.1: "If a query message with more than one OPT RR is received, a FORMERR
  // (RCODE=1) MUST be returned."
  if (opts.length > 1 || (opts.length === 1 && opts[0].name !== '.')) return { kind: 'answer', response: errorResponse(id, RCODE.FORMERR, rd) };
  const opt = opts[0];
  const limit = transport === 'tcp' ? 65535 : opt ? Math.min(Math.max(opt.udpPayloadSize ?? 0, CLASSIC_UDP_SIZE), EDNS_UDP_SIZE) : CLASSIC_UDP_SIZE;
  const respond = (rcode: number, sections: Sections = {}, aa = true, chase?: { name: string; type: string }): Resolution => {
    const response: Packet = {
      type: 'response',
      id,
      flags: (aa ? AA : 0) | rd | RA | (rcode & 0xf),
      questions: questions.length === 1 ? [questions[0]] : [],
      answers: sections.answers ?? [],
      authorities: sections.authorities ?? [],
      additionals: [...(sections.additionals ?? []), ...(opt ? [optRecord(rcode >> 4)] : [])],
    };
    return { kind: 'answer', response: fit(response, limit), limit, ...(chase ? { chase } : {}) };
  };
  if (((query.flags ?? 0) >> 11) & 0xf) return respond(RCODE.NOTIMP, {}, false);
  // RFC 6891 6.1.3: "If a responder does not implement the VERSION level of the request, then it
  // MUST respond with RCODE=BADVERS" (16: the OPT's extended RCODE 1, header RCODE 0).
  if (opt && (opt.ednsVersion ?? 0) > 0) return respond(16, {}, false);
  if (questions.length !== 1 || !validName(questions[0].name)) return respond(RCODE.FORMERR, {}, false);
  const q = questions[0];
  if (q.class !== 'IN') return respond(RCODE.REFUSED, {}, false);
  const name = normalizeName(q.name);
  const qtype = String(q.type);
  if (name === 'in-addr.arpa' || name.endsWith('.in-addr.arpa') || name === 'ip6.arpa' || name.endsWith('.ip6.arpa')) {
    const recs = rs.byName.get(name);
    if (!recs) return { kind: 'forward' };
    const answers = recs.filter((r) => qtype === 'ANY' || r.type === qtype).map((r) => toAnswer(r, q.name));
    return respond(RCODE.NOERROR, answers.length > 0 ? { answers } : { authorities: [soaRecord(rs)] });
  }
  if (name !== rs.zone && !name.endsWith(`.${rs.zone}`)) return { kind: 'forward' };
  return respond(...answerInZone(q.name, qtype, name, rs));
}

type Sections = Partial<Pick<Packet, 'answers' | 'authorities' | 'additionals'>>;

function answerInZone(asked: string, qtype: string, name: string, rs: RecordSet): [number, Sections, boolean?, { name: string; type: string }?] {
  const recs = lookup(rs, name);
  if (!recs) return [RCODE.NXDOMAIN, { authorities: [soaRecord(rs)] }];
  if (name === rs.zone && (qtype === 'SOA' || qtype === 'ANY')) return [RCODE.NOERROR, { answers: [soaRecord(rs)] }];
  const answers: Answer[] = [];
  let current = recs;
  let owner = asked;
  // RFC 1034 3.6.2: a CNAME answers every type but CNAME; we follow it while it stays in the zone.
  for (let hops = 0; hops < MAX_CNAME_CHAIN; hops++) {
    const cname = current.find((r) => r.type === 'CNAME');
    if (!cname || qtype === 'CNAME' || qtype === 'ANY') break;
    answers.push(toAnswer(cname, owner));
    const target = normalizeName(cname.data as string);
    const next = target === rs.zone || target.endsWith(`.${rs.zone}`) ? lookup(rs, target) : undefined;
    if (!next) return [RCODE.NOERROR, { answers }, true, target === rs.zone || target.endsWith(`.${rs.zone}`) ? undefined : { name: target, type: qtype }];
    current = next;
    owner = target;
  }
  const matching = current.filter((r) => qtype === 'ANY' || r.type === qtype);
  answers.push(...matching.map((r) => toAnswer(r, owner)));
  if (answers.length === 0) return [RCODE.NOERROR, { authorities: [soaRecord(rs)] }];
  // 2.3.2/2.4.2: "The Additional section of the response may include the A records referred to in
  // the SRV records."
  const additionals: Answer[] = [];
  const seen = new Set<string>();
  for (const r of matching) {
    if (r.type !== 'SRV' || seen.has(r.data.target)) continue;
    seen.add(r.data.target);
    for (const a of rs.byName.get(r.data.target) ?? []) if (a.type === 'A') additionals.push(toAnswer(a, a.name));
  }
  return [RCODE.NOERROR, { answers, additionals }];
}

/** The records of a name: undefined when the name does not exist, [] for an empty non-terminal. */
function lookup(rs: RecordSet, name: string): readonly DnsRecord[] | undefined {
  const recs = rs.byName.get(name);
  if (recs) return recs;
  if (rs.pods === 'insecure') {
    const pod = podAddress(name, rs.zone);
    if (pod) return [{ name, ttl: rs.ttl, type: 'A', data: pod }];
    // pod.<zone> and <ns>.pod.<zone> have names below them, so they exist (RFC 8020).
    if (name === `pod.${rs.zone}` || /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name.slice(0, -(`.pod.${rs.zone}`.length))) && name.endsWith(`.pod.${rs.zone}`)) return [];
  }
  return rs.names.has(name) ? [] : undefined;
}

/**
 * 2.6: "an A record of the form below for any values of <a>, <b>, <c>, and <d> between 0 and 255:
 * <a>-<b>-<c>-<d>.<ns>.pod.<zone>. <ttl> IN A <a>.<b>.<c>.<d>".
 */
function podAddress(name: string, zone: string): string | undefined {
  if (!name.endsWith(`.pod.${zone}`)) return undefined;
  const m = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.exec(name.slice(0, -(`.pod.${zone}`.length)));
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) ? octets.join('.') : undefined;
}

/** A name we can echo and encode: printable ASCII labels of 1–63 bytes, at most 253 in all. */
function validName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length > 253) return false;
  if (name === '.' || name === '') return true;
  return /^[\x21-\x7e]+$/.test(name) && name.split('.').every((l) => l.length > 0 && l.length <= 63);
}

function toAnswer(r: DnsRecord, owner: string): Answer {
  if (r.type === 'SRV') return { type: 'SRV', name: owner, ttl: r.ttl, class: 'IN', data: { ...r.data } };
  if (r.type === 'TXT') return { type: 'TXT', name: owner, ttl: r.ttl, class: 'IN', data: [r.data] };
  return { type: r.type, name: owner, ttl: r.ttl, class: 'IN', data: r.data };
}

/** RFC 2308 3: the SOA's TTL in a negative answer is the minimum of its TTL and MINIMUM. */
function soaRecord(rs: RecordSet): Answer {
  return { type: 'SOA', name: rs.zone, ttl: Math.min(rs.ttl, rs.soa.minimum), class: 'IN', data: { ...rs.soa } };
}

function optRecord(extendedRcode: number): Answer {
  const opt: OptAnswer = { type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
  return opt;
}

/**
 * Fit a response into `limit` bytes: drop additional records first (that needs no TC bit), then
 * all answers with TC set — RFC 2181 9: "the TC bit should only be set ... when all of the RRs
 * required for the answer could not be included", so the client retries over TCP.
 */
export function fit(response: Packet, limit: number, length: (p: Packet) => number = dnsPacket.encodingLength): Packet {
  if (length(response) <= limit) return response;
  const opt = (response.additionals ?? []).filter((a) => a.type === 'OPT');
  const lean: Packet = { ...response, additionals: opt };
  if (length(lean) <= limit) return lean;
  return { ...lean, flags: (response.flags ?? 0) | TC, answers: [], authorities: [] };
}
