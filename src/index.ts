/**
 * podnet's library API. Load manifests, translate them into a Cluster, and ask the policy
 * engine who can reach whom — the same code the CLI runs.
 *
 * @example
 * import { loadManifests, readCluster, computeMatrix } from 'podnet';
 * const cluster = readCluster(loadManifests(['manifests/']));
 * const m = computeMatrix(cluster, 80, 'TCP');
 */
export { loadManifests, parseManifestText, type RawObject } from './api/load.js';
export { readCluster, type ReadOptions } from './api/cluster.js';
export { InputError, formatProblem, type Problem } from './api/problems.js';
export type * from './model/types.js';
export { PolicyEngine, type Endpoint, type Verdict, type EngineOptions } from './policy/engine.js';
export { ConnSet } from './policy/conns.js';
export { computeMatrix, type Matrix } from './policy/matrix.js';
export { connlist, formatConnLine, type ConnLine } from './policy/connlist.js';
export { explain, formatExplanation, resolveEndpoint, type Explanation } from './policy/explain.js';
export { diffConnectivity, formatDiffText, type ConnDiff } from './policy/diff.js';
