/**
 * The policy matrix view: port/protocol controls, the heat map (heatmap.ts), real probes on
 * request (POST /api/probe, shown beside each cell, mismatches framed and listed) and, for a
 * clicked cell, the analyzer's explanation (GET /api/explain: the rule that allows, or the
 * policies that isolate). In a report the matrix is fixed and a click shows the pair's verdict.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, postProbe, type MatrixData, type ProbeData } from './api.js';
import { cellAt, drawHeatmap, type Geometry } from './heatmap.js';
import { unpackBits } from '../src/ui/matrix-data.js';

interface Props {
  live: boolean;
  probes: boolean;
  version: number;
  fixed: MatrixData | null;
}

export function MatrixPanel({ live, probes, version, fixed }: Props) {
  const [port, setPort] = useState('80');
  const [protocol, setProtocol] = useState('TCP');
  const [asked, setAsked] = useState({ port: '80', protocol: 'TCP' });
  const [data, setData] = useState<MatrixData | null>(fixed);
  const [probe, setProbe] = useState<ProbeData | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<{ from: string; to: string; text: string } | null>(null);
  const [cell, setCell] = useState<{ s: number; d: number } | null>(null);
  const [hover, setHover] = useState<string>('');
  const canvas = useRef<HTMLCanvasElement>(null);
  const geo = useRef<Geometry | null>(null);

  useEffect(() => {
    if (!live) return;
    const t0 = performance.now();
    // Only the newest request's answer is shown: one for an earlier port (the first one, 80,
    // asked at mount) or an earlier version of the lab may arrive after it.
    let current = true;
    getJson<MatrixData>('/api/matrix', { port: asked.port, protocol: asked.protocol }).then(
      (m) => {
        if (!current) return;
        setError(null);
        setData(m);
        window.__podnet.matrixMs = undefined;
        (window as unknown as { __matrixT0: number }).__matrixT0 = t0;
      },
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [asked, version]);
  useEffect(() => {
    if (!data || !canvas.current) return;
    geo.current = drawHeatmap(canvas.current, data, probe, cell);
    const c = canvas.current;
    c.dataset.cell = String(geo.current.cell);
    c.dataset.left = String(geo.current.left);
    c.dataset.top = String(geo.current.top);
    c.dataset.n = String(geo.current.n);
    // Drawn once the browser has painted it: the figure `npm run bench -- ui` reads.
    requestAnimationFrame(() => {
      const w = window as unknown as { __matrixT0?: number };
      if (w.__matrixT0 !== undefined) window.__podnet.matrixMs = performance.now() - w.__matrixT0;
      w.__matrixT0 = undefined; // a redraw (a probe, a click) is not a new request
      window.__podnet.matrixDrawn = (window.__podnet.matrixDrawn ?? 0) + 1;
    });
  }, [data, probe, cell]);

  const at = (e: MouseEvent) => {
    if (!geo.current || !data) return null;
    const r = (e.target as HTMLCanvasElement).getBoundingClientRect();
    return cellAt(geo.current, e.clientX - r.left, e.clientY - r.top);
  };
  const onMove = (e: MouseEvent) => {
    const c = at(e);
    setHover(c && data ? `${data.pods[c.s]} → ${data.pods[c.d]}: ${unpackBits(data.bits, data.pods.length)(c.s, c.d) ? 'allowed' : 'denied'}${data.connections ? ` (${data.connections[c.s][c.d]})` : ''}` : '');
  };
  const onClick = (e: MouseEvent) => {
    const c = at(e);
    if (!c || !data) return;
    const from = data.pods[c.s];
    const to = data.pods[c.d];
    setCell(c);
    if (!live) {
      const ok = unpackBits(data.bits, data.pods.length)(c.s, c.d);
      return setPicked({ from, to, text: `${from} -> ${to}: ${data.connections ? data.connections[c.s][c.d] : ok ? 'ALLOWED' : 'DENIED'}` });
    }
    setPicked({ from, to, text: 'explaining…' });
    getJson<{ text: string }>('/api/explain', { from, to, port: data.port ?? undefined, protocol: data.protocol ?? undefined }).then(
      (x) => setPicked({ from, to, text: x.text }),
      (err: Error) => setPicked({ from, to, text: err.message }),
    );
  };
  const runProbes = () => {
    setBusy('probing every pair for real…');
    postProbe(Number(asked.port), asked.protocol).then(
      (p) => {
        setProbe(p);
        setBusy(null);
      },
      (e: Error) => {
        setBusy(null);
        setError(e.message);
      },
    );
  };

  return (
    <div class="matrix">
      {live && (
        <form
          class="controls"
          onSubmit={(e) => {
            e.preventDefault();
            setProbe(null);
            setCell(null);
            setPicked(null);
            setAsked({ port, protocol });
          }}
        >
          <label>
            port <input id="matrix-port" size={6} value={port} onInput={(e) => setPort((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            protocol{' '}
            <select id="matrix-protocol" value={protocol} onChange={(e) => setProtocol((e.target as HTMLSelectElement).value)}>
              <option>TCP</option>
              <option>UDP</option>
              <option>SCTP</option>
            </select>
          </label>
          <button type="submit">Analyze</button>
          {probes && (
            <button type="button" id="probe" disabled={busy !== null || asked.protocol === 'SCTP'} onClick={runProbes}>
              Probe for real
            </button>
          )}
          {busy && <span class="sub">{busy}</span>}
        </form>
      )}
      {error && <div class="error">{error}</div>}
      {data && (
        <p class="sub">
          {data.pods.length} pods · {data.port === null ? 'every port (a cell is green when any connection is allowed)' : `${data.protocol}/${data.port}`} · rows: source, columns: destination ·{' '}
          <span class="swatch allowed" /> allowed <span class="swatch denied" /> denied
          {probe && (
            <>
              {' '}· right half: real probe <span class="swatch blocked" /> denied · <b id="mismatches">{probe.mismatches.length} mismatch{probe.mismatches.length === 1 ? '' : 'es'}</b>
            </>
          )}
        </p>
      )}
      <div class="matrix-body">
        <div class="canvas-wrap">
          <canvas id="heatmap" ref={canvas} onMouseMove={onMove} onClick={onClick} />
          <div class="hover" id="hover">{hover}</div>
        </div>
        <aside>
          {picked ? (
            <>
              <h3>
                {picked.from} → {picked.to}
              </h3>
              <pre id="explain-text">{picked.text}</pre>
            </>
          ) : (
            <p class="sub">Click a cell for its explanation.</p>
          )}
          {probe && probe.mismatches.length > 0 && (
            <>
              <h3>Mismatches</h3>
              <ul>
                {probe.mismatches.map((m) => (
                  <li key={`${m.from}>${m.to}`}>
                    {m.from} → {m.to}: analyzer {m.expected ? 'allows' : 'denies'}, probe {m.verdict}
                  </li>
                ))}
              </ul>
            </>
          )}
        </aside>
      </div>
    </div>
  );
}
