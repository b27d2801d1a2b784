// The fallback for the `check` benchmark when lib/cli is not built: what `mtls-pki check --client-ca --crl`
// does for a CRL (read the PEM, parse every entry, compare the issuer, verify the signature), as a process.
// Usage: node build/bench/check-cli.js CA.pem CRL.pem
import { readFileSync } from 'node:fs';
import { inspectCertificate } from '../lib/pki/inspect';
import { isCrlSignedBy, readCrls } from '../lib/pki/crl';

const [caPath, crlPath] = process.argv.slice(2);
const ca = inspectCertificate(readFileSync(caPath, 'utf8'), caPath);
const crls = readCrls(readFileSync(crlPath, 'utf8'), crlPath);
for (const crl of crls) {
  const ok = crl.issuerKey === ca.subjectKey && isCrlSignedBy(crl, ca);
  process.stdout.write(`${crlPath}: ${crl.entries.length} entries, ${ok ? 'signature OK' : 'NOT signed by the CA'}\n`);
  if (!ok) process.exitCode = 1;
}
