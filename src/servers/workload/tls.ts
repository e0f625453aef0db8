/**
 * The built-in server's TLS: one self-signed certificate per agent process, made on first use
 * (kubelet's HTTPS probes do not verify certificates, "the kubelet ... skips the certificate
 * verification").
 */
import tls from 'node:tls';
import { selfSigned } from '../../ingress/certs.js';

let context: tls.SecureContext | undefined;

export function builtinTlsContext(): tls.SecureContext {
  context ??= tls.createSecureContext(selfSigned('podnet built-in server'));
  return context;
}
