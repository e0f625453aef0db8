/**
 * The lab API's credentials, made once per lab in <state>/api (directory 0700, keys 0600): a CA
 * (EC P-256, self-signed), a serving certificate it signs for 127.0.0.1 and localhost, a client
 * certificate it signs for the lab's admin, and a bearer token. openssl makes the certificates.
 *
 * The client certificate follows kube-apiserver's x509 authentication: "the common name of the
 * subject is used as the user name for the request", organizations are the user's groups —
 * CN=podnet-admin, O=system:masters, as kind's admin kubeconfig has it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const apiDir = (stateDir: string): string => join(stateDir, 'api');

export interface ApiCredentials { caCert: string; cert: string; key: string; token: string; clientCert: string; clientKey: string }

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes the CA, serving certificate and token unless they exist; returns them. */
export function ensureCredentials(stateDir: string): ApiCredentials {
  const dir = apiDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = (f: string) => join(dir, f);
  if (!existsSync(path('ca.crt')) || !existsSync(path('server.crt')) || !existsSync(path('server.key'))) {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
    chmodSync(path('ca.key'), 0o600);
    openssl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '3650', '-subj', '/CN=podnet-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature', '-out', 'ca.crt'], dir);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key'], dir);
    chmodSync(path('server.key'), 0o600);
    openssl(['req', '-new', '-key', 'server.key', '-subj', '/CN=kube-apiserver', '-out', 'server.csr'], dir);
    writeFileSync(path('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', 'server.ext', '-out', 'server.crt'], dir);
  }
  // Also for a lab made before client certificates: its CA key is still there.
  if (!existsSync(path('client.crt')) || !existsSync(path('client.key'))) {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'client.key'], dir);
    chmodSync(path('client.key'), 0o600);
    openssl(['req', '-new', '-key', 'client.key', '-subj', '/O=system:masters/CN=podnet-admin', '-out', 'client.csr'], dir);
    writeFileSync(path('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
    openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', 'client.ext', '-out', 'client.crt'], dir);
  }
  if (!existsSync(path('token'))) writeFileSync(path('token'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return {
    caCert: readFileSync(path('ca.crt'), 'utf8'),
    cert: readFileSync(path('server.crt'), 'utf8'),
    key: readFileSync(path('server.key'), 'utf8'),
    token: readFileSync(path('token'), 'utf8').trim(),
    clientCert: readFileSync(path('client.crt'), 'utf8'),
    clientKey: readFileSync(path('client.key'), 'utf8'),
  };
}
