import { Command } from '../command';
import { EXIT, json } from '../output';
import { storePassphrase } from '../password';
import { UsageError } from '../args';

// Converting an existing store's CA keys between plain and encrypted files. A store made with
// `init --encrypt-keys` starts encrypted; this is for the stores made before, and for going back.

export const keys: Command = {
  name: 'keys',
  summary: 'Encrypt the CA key files with a passphrase (keys encrypt), or decrypt them again (keys decrypt).',
  usage: 'keys encrypt|decrypt [--json]',
  details: `The CA keys (server-ca, client-ca, client-intermediate-ca)/key.pem become PKCS#8 ENCRYPTED PRIVATE KEY files
(PBES2: PBKDF2-HMAC-SHA-256 with 600,000 iterations, AES-256-CBC), which \`openssl pkey -passin\` reads; every
command that signs then needs the passphrase: --passphrase-file FILE, MTLS_PKI_PASSPHRASE_FILE=FILE, or the
prompt. Every key is read and checked first, so a wrong passphrase writes nothing; each file is replaced
atomically, under the store's lock. To change the passphrase: keys decrypt, then keys encrypt.`,
  examples: [
    'mtls-pki keys encrypt                                  # asks for the new passphrase twice',
    'mtls-pki keys decrypt --passphrase-file ~/.mtls-pki-pass',
  ],
  options: {
    json: { type: 'boolean', help: 'print what changed as JSON' },
  },
  positionals: { min: 1, max: 1, missing: 'keys needs what to do: mtls-pki keys encrypt, or mtls-pki keys decrypt.' },
  async run(args, ctx) {
    const action = args.positionals[0];
    if (action !== 'encrypt' && action !== 'decrypt') throw new UsageError(`"${action}" is not something keys does; use encrypt or decrypt.`, 'keys');
    let results;
    if (action === 'encrypt') {
      const passphrase = await storePassphrase(ctx, true);
      // Keys already encrypted must open with the same passphrase, so the store is given it as its own.
      results = await (await ctx.openStore({ passphrase })).convertKeys({ to: 'encrypted', passphrase });
    } else {
      results = await (await ctx.openStore()).convertKeys({ to: 'plain' });
    }
    if (args.flag('json')) {
      json(ctx.io, { format: 'mtls-pki-keys', version: 1, dir: ctx.dir, action, keys: results.map((r) => ({ ca: r.ca, file: r.file, changed: r.changed })), warnings: ctx.warnings });
      return EXIT.OK;
    }
    for (const r of results) {
      ctx.io.stdout.write(`${r.ca}: ${r.file} ${r.changed ? (action === 'encrypt' ? 'encrypted' : 'decrypted') : `was already ${action === 'encrypt' ? 'encrypted' : 'plain'}`}\n`);
    }
    if (action === 'encrypt') ctx.io.stdout.write('Commands that sign (client, server, revoke, crl) now need the passphrase: --passphrase-file FILE, MTLS_PKI_PASSPHRASE_FILE=FILE, or the prompt.\n');
    return EXIT.OK;
  },
};
