/** Scheduling records: taints, tolerations, node and pod affinity, topology spread constraints. */
import type { Selector } from './labels.js';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value: string;
  effect: TaintEffect;
}

export interface Toleration {
  /** Empty with operator Exists: every key. */
  key: string;
  operator: 'Exists' | 'Equal';
  value: string;
  /** Absent: every effect. */
  effect?: TaintEffect;
}

export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface NodeSelectorRequirement {
  key: string;
  operator: NodeSelectorOperator;
  values: readonly string[];
}

/** One nodeSelectorTerm: its requirements are ANDed; the terms of a NodeSelector are ORed. */
export interface NodeSelectorTerm {
  matchExpressions: readonly NodeSelectorRequirement[];
  /** Only the field metadata.name exists (In / NotIn). */
  matchFields: readonly NodeSelectorRequirement[];
}

export interface PodAffinityTerm {
  /** null: "this PodAffinityTerm matches with no Pods". */
  selector: Selector | null;
  namespaces: readonly string[];
  namespaceSelector: Selector | null;
  topologyKey: string;
}

export interface Weighted<T> {
  weight: number;
  term: T;
}

/** spec.affinity; absent parts are empty lists. */
export interface Affinity {
  /** null: no required node affinity. */
  nodeRequired: readonly NodeSelectorTerm[] | null;
  nodePreferred: readonly Weighted<NodeSelectorTerm>[];
  podRequired: readonly PodAffinityTerm[];
  podPreferred: readonly Weighted<PodAffinityTerm>[];
  antiRequired: readonly PodAffinityTerm[];
  antiPreferred: readonly Weighted<PodAffinityTerm>[];
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  /** null: matches no pods. */
  selector: Selector | null;
  /** Keys whose values in the incoming pod's labels are ANDed with selector. */
  matchLabelKeys: readonly string[];
  minDomains: number;
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}
