/**
 * The user's kubeconfig and a lab: `up` merges context podnet-<lab> into the file (--kubeconfig
 * PATH, else the first of $KUBECONFIG, else ~/.kube/config) and makes it current; what it added
 * is recorded in <state>/api/kubeconfig.json, and `down` takes exactly that out again.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { apiDir } from '../apiserver/certs.js';
import { mergeLab, removeLab, standaloneKubeconfig, type KubeconfigDoc, type LabEndpoint } from '../apiserver/kubeconfig-doc.js';
import { writeFileAtomic } from './state.js';

export function kubeconfigTarget(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const env = (process.env.KUBECONFIG ?? '').split(':').find((p) => p !== '');
  return env ? resolve(env) : join(homedir(), '.kube', 'config');
}

const record = (stateDir: string) => join(apiDir(stateDir), 'kubeconfig.json');

function readDoc(path: string): KubeconfigDoc {
  if (!existsSync(path)) return {};
  return (parse(readFileSync(path, 'utf8')) ?? {}) as KubeconfigDoc;
}

export function mergeIntoKubeconfig(stateDir: string, path: string, e: LabEndpoint): void {
  const { doc, previousContext } = mergeLab(readDoc(path), e);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(record(stateDir), `${JSON.stringify({ path, ...(previousContext ? { previousContext } : {}) })}\n`);
  writeFileAtomic(path, stringify(doc));
}

/** `down`: the lab's entries out of the kubeconfig `up` wrote them to (nothing else touched). */
export function removeFromKubeconfig(stateDir: string, lab: string): void {
  if (!existsSync(record(stateDir))) return;
  const { path, previousContext } = JSON.parse(readFileSync(record(stateDir), 'utf8')) as { path: string; previousContext?: string };
  if (!existsSync(path)) return;
  writeFileAtomic(path, stringify(removeLab(readDoc(path), lab, previousContext)));
}

export const standaloneText = (e: LabEndpoint): string => stringify(standaloneKubeconfig(e));
