// Names that would read differently in a subject DN, an auth-tls-match-cn pattern or a terminal are never issued:
// the store, lib/pki and the CLI refuse them with one validator, before anything is written.
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { createRootCa, issueClientCertificate, UserInputError } from '../../lib/pki';
import { cli, requireBuild } from '../cli/cli';
import { openssl } from '../support/openssl';
import { scratchStore, snapshot } from './helpers';

const ALLOWED = /use only letters A-Z a-z, digits, spaces and - \. _ @ : \* \( \)/;

const REFUSED: readonly [string, string | RegExp][] = [
  ['x,CN=Client002', 'contains ","'],
  ['a=b', 'contains "="'],
  ['a+b', 'contains "+"'],
  ['say "hi"', 'contains """'],
  ["O'Brien", 'contains "\'"'],
  ['two\nlines', 'contains the control character U+000A'],
  ['red\u001b[31m', 'contains the control character U+001B'],
  ['nul\u0000', 'contains the control character U+0000'],
  ['a/b', 'contains "/"'],
  ['a\\b', 'contains "\\"'],
  ['<x>', 'contains "<"'],
  ['a;b', 'contains ";"'],
  ['#1', 'contains "#"'],
  ['Zoë', 'contains "ë"'],
  [' Client002', /starts or ends with a space; write "Client002"/],
  ['x'.repeat(65), /is 65 characters; X\.509 allows at most 64/],
];

describe('client CNs and server names are limited to printable, DN-safe characters', () => {
  const s = scratchStore();
  afterAll(() => s.cleanup());

  test.each(REFUSED)('the store refuses %j as a client CN and as a server name, and writes nothing', async (name, why) => {
    const store = await s.open();
    const before = fs.existsSync(s.dir) ? snapshot(s.dir) : undefined;
    const err = await store.ensure({ clients: [{ commonName: name }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as UserInputError).field).toBe('clients[0].commonName');
    expect((err as Error).message).toMatch(typeof why === 'string' ? new RegExp(`${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; ${ALLOWED.source}`) : why);
    await expect(store.ensure({ servers: [{ name, names: ['app.example.com'] }] })).rejects.toMatchObject({ field: 'servers[0].name' });
    await expect(store.issueClient(name)).rejects.toBeInstanceOf(UserInputError);
    expect(fs.existsSync(s.dir) ? snapshot(s.dir) : undefined).toEqual(before);
  });

  test('the message names the character and the allowed set, and never echoes a control character', async () => {
    const err = await (await s.open()).ensure({ clients: [{ commonName: 'red\u001b[31m' }] }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(ALLOWED);
    expect((err as Error).message).toContain('"red\\u001b[31m"');
    expect((err as Error).message).not.toMatch(/[\u0000-\u001f]/);
  });

  test('lib/pki refuses them too: no CA, client certificate or organization outside the set is signed', async () => {
    await expect(createRootCa({ commonName: 'CA,O=Evil' })).rejects.toThrow(/commonName: "CA,O=Evil" contains ","/);
    const ca = await createRootCa({ commonName: 'Names Test CA' });
    await expect(issueClientCertificate(ca, { commonName: 'x,CN=Client002' })).rejects.toThrow(/commonName: "x,CN=Client002" contains ","/);
    await expect(issueClientCertificate(ca, { commonName: 'Client002', organization: 'Acme\nInc' })).rejects.toThrow(/organization: .*U\+000A/);
  });

  test('every allowed character needs no escaping: openssl and node print the subject exactly as given', async () => {
    const name = 'Az 09 ._@:*()-end';
    await (await s.open()).ensure({ clients: [{ commonName: name }], servers: [{ name: '*.api.example.com', names: ['*.api.example.com'] }] });
    const listing = await (await s.open()).list();
    const client = listing.certificates.find((c) => c.kind === 'client')!;
    const pem = fs.readFileSync(join(s.dir, client.certFile!), 'utf8');
    expect(openssl(['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], { input: pem }).trim()).toBe(`subject=CN=${name}`);
    expect(new X509Certificate(pem).subject).toBe(`CN=${name}`);
    expect(listing.certificates.find((c) => c.kind === 'server')?.name).toBe('*.api.example.com');
  });
});

describe('the CLI refuses them with its own option names, exit 1, nothing written', () => {
  const s = scratchStore();
  beforeAll(() => requireBuild());
  afterAll(() => s.cleanup());

  test('init --client-ca-cn, client <CN>, server --name', () => {
    const init = cli(['init', '--dir', s.dir, '--client-ca-cn', 'x,CN=Client002']);
    expect(init).toMatchObject({ status: 1, stderr: expect.stringMatching(/--client-ca-cn: "x,CN=Client002" contains ","; use only letters/) });
    expect(fs.existsSync(s.dir)).toBe(false);

    expect(cli(['init', '--dir', s.dir]).status).toBe(0);
    const before = snapshot(s.dir);
    const client = cli(['client', 'evil\u001b]0;pwned\u0007', '--dir', s.dir]);
    expect(client).toMatchObject({ status: 1, stderr: expect.stringMatching(/^mtls-pki: error: CN: "evil\\u001b\]0;pwned\\u0007" contains the control character U\+001B; use only letters/) });
    expect(client.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const server = cli(['server', 'app.example.com', '--name', 'app,O=x', '--dir', s.dir]);
    expect(server).toMatchObject({ status: 1, stderr: expect.stringMatching(/--name: "app,O=x" contains ","/) });
    expect(snapshot(s.dir)).toEqual(before);
  });
});
