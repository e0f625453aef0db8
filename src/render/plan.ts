/**
 * A plan is what the host must do, as data: stages run in order, the steps of one stage run
 * concurrently. An `ip` step is one `ip [-n NETNS] -batch -` invocation (or `bridge … -batch -`
 * for FDB entries); an `exec` step runs one
 * command inside a namespace (for what `ip` cannot do: sysctl, ethtool).
 */
export type BatchTool = 'ip' | 'bridge';

export type PlanStep =
  | { kind: 'ip'; netns: string | null; lines: readonly string[]; tool?: BatchTool; /** `-force`: go on past failing lines, never fail */ force?: boolean }
  | { kind: 'exec'; netns: string | null; argv: readonly string[]; allowFailure?: boolean };

export type Plan = readonly (readonly PlanStep[])[];

export function ipStep(netns: string | null, lines: readonly string[], tool: BatchTool = 'ip'): PlanStep {
  return tool === 'ip' ? { kind: 'ip', netns, lines } : { kind: 'ip', netns, lines, tool };
}

/** Joins plans stage by stage (stage i of each plan runs together). */
export function mergePlans(...plans: Plan[]): Plan {
  const depth = Math.max(0, ...plans.map((p) => p.length));
  return Array.from({ length: depth }, (_, i) => plans.flatMap((p) => p[i] ?? []).filter((s) => s.kind !== 'ip' || s.lines.length > 0));
}

/** Merges ip steps of the same namespace within each stage into one batch. */
export function coalesce(plan: Plan): Plan {
  return plan.map((stage) => {
    const out: PlanStep[] = [];
    const byNs = new Map<string, { kind: 'ip'; netns: string | null; lines: string[]; tool?: BatchTool }>();
    for (const step of stage) {
      if (step.kind !== 'ip' || step.force) {
        out.push(step);
        continue;
      }
      const key = `${step.tool ?? 'ip'} ${step.netns ?? ''}`;
      let batch = byNs.get(key);
      if (!batch) {
        batch = step.tool ? { kind: 'ip', netns: step.netns, lines: [], tool: step.tool } : { kind: 'ip', netns: step.netns, lines: [] };
        byNs.set(key, batch);
        out.push(batch);
      }
      batch.lines.push(...step.lines);
    }
    return out;
  });
}

/** The plan as text, for --dry-run and golden tests. */
export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  plan.forEach((stage, i) => {
    out.push(`# stage ${i + 1}`);
    for (const step of stage) {
      const where = step.netns ?? 'root';
      if (step.kind === 'ip') {
        out.push(`${step.tool ?? 'ip'} ${step.netns ? `-n ${step.netns} ` : ''}${step.force ? '-force ' : ''}-batch - <<EOF`, ...step.lines, 'EOF');
      } else out.push(`[${where}] ${step.argv.join(' ')}${step.allowFailure ? '  # may fail' : ''}`);
    }
  });
  return `${out.join('\n')}\n`;
}
