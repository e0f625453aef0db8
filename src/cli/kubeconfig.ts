/** `podnet kubeconfig`: a standalone kubeconfig for a lab's API server (context podnet-<lab>). */
import type { Command } from 'commander';
import { runningApiServer } from '../lab/apiserver.js';
import { ensureCredentials } from '../apiserver/certs.js';
import { standaloneText } from '../lab/kubeconfig.js';
import { LabError } from '../lab/lab.js';
import { labDir } from '../lab/state.js';
import { run, write } from './common.js';
import { DEFAULT_LAB, requireLab } from './lab-common.js';

export function registerKubeconfig(program: Command): void {
  program
    .command('kubeconfig')
    .description("print a standalone kubeconfig for the lab's Kubernetes API (kubectl --kubeconfig FILE)")
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('--auth <how>', "the user's credential: token (the lab's bearer token) or client-certificate (the lab's admin certificate, CN=podnet-admin, O=system:masters)", 'token')
    .action((opts: { name: string; auth: string }) =>
      run(() => {
        if (opts.auth !== 'token' && opts.auth !== 'client-certificate') throw new LabError(`--auth: "${opts.auth}" is neither token nor client-certificate`);
        const state = requireLab(opts.name);
        if (state.config.noApi) throw new LabError(`lab ${opts.name} runs without an API server (up --no-api)`);
        const api = runningApiServer(labDir(opts.name));
        if (!api) throw new LabError(`the API server of lab ${opts.name} is not running (the lab's monitor restarts it; or run 'podnet apply')`);
        const creds = ensureCredentials(labDir(opts.name));
        const user = opts.auth === 'token' ? { token: creds.token } : { clientCert: creds.clientCert, clientKey: creds.clientKey };
        write(standaloneText({ lab: opts.name, server: `https://127.0.0.1:${api.port}`, caCert: creds.caCert, ...user }).trimEnd());
      }),
    );
}
