/** securityContext and volume mount records of a pod's containers. */

/** The securityContext fields podnet honours (pod-level and container-level ones together). */
export interface SecurityFields {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  /** Pod level only. */
  supplementalGroups?: readonly number[];
  /** Pod level only. */
  fsGroup?: number;
  capabilities?: { add: readonly string[]; drop: readonly string[] };
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly: boolean;
}
