// Throwaway TLS material for client tests, made with openssl in a temporary directory at test time:
// a CA, a server certificate it signed (for 127.0.0.1 and localhost), and a second, unrelated CA.
// Without openssl the TLS tests are skipped, with a message saying so.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

export const NO_OPENSSL_MESSAGE = 'openssl is not installed (looked for /usr/bin/openssl and /usr/local/bin/openssl): '
  + 'the TLS tests of the client are skipped (install it, e.g. apt-get install openssl, to run them)';

export interface TestCerts {
  /** PEM of the CA that signed `cert`. */
  caPem: string;
  /** PEM of the server certificate (subjectAltName IP:127.0.0.1, DNS:localhost) and its key. */
  cert: string;
  key: string;
  /** PEM of a CA that signed nothing here. */
  otherCaPem: string;
  /** Removes the temporary directory. */
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync(OPENSSL!, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=ringkv test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

/** Makes the certificates, or returns undefined when openssl is not installed. */
export function makeTestCerts(): TestCerts | undefined {
  if (!OPENSSL) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ringkv-client-certs-'));
  try {
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key',
      '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'], dir);
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    return {
      caPem: read('ca.crt'), cert: read('server.crt'), key: read('server.key'), otherCaPem: read('other-ca.crt'),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
