// Throwaway certificate authorities and certificates for TLS tests, made with Debian's openssl
// in a temporary directory (removed by stopAll through tempDir). EC P-256 keys, two days valid,
// subjectAltName 127.0.0.1 and localhost, usable as server and client certificates.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './processes.js';

export const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

export interface CertFiles {
  certFile: string;
  keyFile: string;
}

export interface Ca extends CertFiles {
  name: string;
  dir: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync(OPENSSL!, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCa(name: string): Ca {
  if (!OPENSSL) throw new Error('openssl is not installed');
  const dir = tempDir(`ringkv-ca-${name}-`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
    '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { name, dir, certFile: path.join(dir, 'ca.crt'), keyFile: path.join(dir, 'ca.key') };
}

/** A certificate signed by `ca` for `name` (file names may repeat a name: a renewal). */
export function makeCert(ca: Ca, name: string, file = name): CertFiles {
  const { dir } = ca;
  writeFileSync(path.join(dir, `${file}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(['x509', '-req', '-in', `${file}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${file}.crt`, '-days', '2', '-extfile', `${file}.ext`], dir);
  return { certFile: path.join(dir, `${file}.crt`), keyFile: path.join(dir, `${file}.key`) };
}
