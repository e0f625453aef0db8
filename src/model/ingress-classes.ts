/**
 * Which Ingresses podnet's controller serves (pure): those of an IngressClass whose
 * `spec.controller` is podnet's, and those without a class when podnet's class is the default.
 */
import type { Cluster, Ingress, IngressClass } from '../model/types.js';

/** `spec.controller` of podnet's IngressClass. */
export const INGRESS_CONTROLLER = 'podnet.dev/ingress-controller';
/** The IngressClass a lab adds when it has Ingresses. */
export const INGRESS_CLASS = 'podnet';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

export interface IgnoredIngress {
  ingress: Ingress;
  reason: string;
}

export interface ClassSelection {
  /** In input order (the order they were applied: the oldest first). */
  handled: Ingress[];
  ignored: IgnoredIngress[];
}

export function selectIngresses(cluster: Pick<Cluster, 'ingresses' | 'ingressClasses'>): ClassSelection {
  const handled: Ingress[] = [];
  const ignored: IgnoredIngress[] = [];
  for (const ingress of cluster.ingresses) {
    const reason = whyNotOurs(ingress, cluster.ingressClasses);
    if (reason === undefined) handled.push(ingress);
    else ignored.push({ ingress, reason });
  }
  return { handled, ignored };
}

/** undefined when the Ingress is podnet's; otherwise why not. */
export function whyNotOurs(ingress: Pick<Ingress, 'className'>, classes: readonly Pick<IngressClass, 'name' | 'controller' | 'isDefault'>[]): string | undefined {
  if (ingress.className !== undefined) {
    // spec.ingressClassName (or the deprecated kubernetes.io/ingress.class annotation, which the
    // reader maps to it) names the IngressClass; its spec.controller says who implements it.
    const cls = classes.find((c) => c.name === ingress.className);
    if (!cls) return `IngressClass ${JSON.stringify(ingress.className)} does not exist`;
    return cls.controller === INGRESS_CONTROLLER ? undefined : `class ${JSON.stringify(cls.name)} belongs to ${JSON.stringify(cls.controller)}`;
  }
  // "If an IngressClass has the ingressclass.kubernetes.io/is-default-class annotation set to
  // true, new Ingresses without an ingressClassName field specified will be assigned this default
  // IngressClass." "If you have more than one IngressClass marked as the default for your cluster,
  // the admission controller prevents creating new Ingress objects that don't have an
  // ingressClassName specified."
  const defaults = classes.filter((c) => c.isDefault);
  if (defaults.length === 0) return 'no ingressClassName and no default IngressClass';
  if (defaults.length > 1) return `no ingressClassName and ${defaults.length} default IngressClasses (${defaults.map((c) => c.name).join(', ')}): the API server refuses it`;
  return defaults[0].controller === INGRESS_CONTROLLER ? undefined : `no ingressClassName; the default class ${JSON.stringify(defaults[0].name)} is not podnet's`;
}
