/** Applies a Plan on a Host: stages in order, steps of a stage concurrently (bounded). */
import type { Plan, PlanStep } from '../render/plan.js';
import { HostError, type Host } from './host.js';

const CONCURRENCY = 8;

export async function applyPlan(host: Host, plan: Plan): Promise<void> {
  for (const stage of plan) {
    const errors: Error[] = [];
    await forEachLimited(stage, CONCURRENCY, async (step) => {
      try {
        await runStep(host, step);
      } catch (e) {
        errors.push(e as Error);
      }
    });
    if (errors.length > 0) throw errors[0];
  }
}

async function runStep(host: Host, step: PlanStep): Promise<void> {
  if (step.kind === 'ip') return host.ipBatch(step.netns, step.lines, step.force ?? false, step.tool ?? 'ip');
  const r = await host.exec(step.netns, step.argv);
  if (r.code !== 0 && !step.allowFailure) {
    throw new HostError(`${step.netns ? `[${step.netns}] ` : ''}${step.argv.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`, r.stderr);
  }
}

export async function forEachLimited<T>(items: readonly T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await f(items[next++]);
  });
  await Promise.all(workers);
}
