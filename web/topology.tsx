/**
 * The topology as SVG (layout.ts), with an optional packet path drawn over it: the hops of a
 * trace (pod → veth → node → route/VXLAN → node → pod, Service DNAT) and the policy verdicts.
 */
import { useMemo } from 'preact/hooks';
import type { Topology } from './api.js';
import { center, layoutTopology, NODE_TITLE_WIDTH, type Box } from './layout.js';

export interface PathHop {
  id: string;
  /** What happens on the way to this hop (short: drawn on the path). */
  label: string;
  /** The deciding policies and rules, listed under the drawing. */
  detail?: string;
  ok: boolean;
}

export function TopologyView({ topology, path }: { topology: Topology; path?: PathHop[] }) {
  const laid = useMemo(() => layoutTopology(topology), [topology]);
  const byId = new Map(laid.boxes.map((b) => [b.id, b]));
  const hops = (path ?? []).filter((h) => byId.has(h.id));
  const onPath = new Set(hops.map((h) => h.id));
  // Room on the right for the labels of a path through the nodes' titles.
  const width = laid.width + (hops.length > 0 ? 200 : 0);
  return (
    <div class="topology">
      <div class="legend">
        <span>{topology.nodes.length} nodes · {topology.pods.length} pods · {topology.services.length} services · {topology.ingresses.length} ingresses · {topology.mode}</span>
        <span class="dot ready" /> ready <span class="dot notready" /> not ready <span class="dot unknown" /> unknown
      </div>
      <svg width={width} height={laid.height} viewBox={`0 0 ${width} ${laid.height}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#8896a5" />
          </marker>
        </defs>
        {laid.boxes.map((b) => (
          <BoxView key={b.id} b={b} lit={onPath.has(b.id)} />
        ))}
        {laid.wires.map((w) => (
          <polyline key={`${w.from}>${w.to}`} class={`wire${w.ready ? '' : ' notready'}`} points={w.points.map((p) => `${p.x},${p.y}`).join(' ')} marker-end="url(#arrow)" />
        ))}
        {hops.slice(1).map((h, i) => {
          const a = center(byId.get(hops[i].id)!);
          const b = center(byId.get(h.id)!);
          const same = hops[i].id === h.id;
          return (
            <g key={`hop${i}`} class={`hop${h.ok ? '' : ' denied'}`}>
              {!same && <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} />}
              <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 6 - (same ? 14 * i : 0)}>{`${i + 1}. ${h.label}`}</text>
            </g>
          );
        })}
      </svg>
      {hops.length > 1 && (
        <ol class="hops" id="hops">
          {hops.slice(1).map((h, i) => (
            <li key={i} class={h.ok ? '' : 'denied'}>
              <b>{h.label}</b> → {h.id.replace(/^\w+:/, '')}
              {h.detail ? ` (${h.detail})` : ''}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function BoxView({ b, lit }: { b: Box; lit: boolean }) {
  const cls = `box ${b.kind}${b.hostNetwork ? ' hostnet' : ''}${lit ? ' lit' : ''}`;
  const readyCls = b.ready === true ? 'ready' : b.ready === false ? 'notready' : 'unknown';
  return (
    <g class={cls} data-id={b.id}>
      <rect x={b.x} y={b.y} width={b.width} height={b.height} rx={b.kind === 'svc' ? 14 : 4} />
      {b.lines.map((l, i) => (
        <text key={i} x={b.kind === 'node' ? b.x + b.width - NODE_TITLE_WIDTH + 12 : b.x + (b.kind === 'pod' ? 20 : 8)} y={b.y + 15 + i * 14} class={i === 0 ? 'title' : ''}>
          {l}
        </text>
      ))}
      {b.kind === 'pod' && <circle class={`dot ${readyCls}`} cx={b.x + 10} cy={b.y + 11} r={5} />}
    </g>
  );
}
