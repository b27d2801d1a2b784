import { join } from 'node:path';
import { isEncryptedPrivateKeyPem, readPrivateKey, UserInputError } from '../pki';
import { encryptPrivateKeyPem } from '../pki/key-encryption';
import { SECRET_FILE_MODE } from '../files/atomic-write';
import { checkNewPassphrase } from './ca-keys';
import { IssueContext } from './issue';
import { CA_IDS, CaId, layout } from './layout';
import { readInStore, writeInStore } from './store-files';

// `mtls-pki keys encrypt|decrypt`: an existing store's CA key files, encrypted at rest or back to plain PKCS#8.
// Every key is read first (a wrong passphrase, a missing file, a key that is not its certificate's stop the
// run there, before any write); then each file is replaced atomically and store.json records the rule for
// CA keys created later. A run killed between two files leaves each key readable (plain or encrypted, which
// the store tells apart by the PEM label), and running the command again finishes the job.

/** Encrypt with a new passphrase, or decrypt with the store's (OpenOptions.passphrase). */
export type KeyConversion = { readonly to: 'encrypted'; readonly passphrase: string; readonly iterations?: number } | { readonly to: 'plain' };

export async function convertCaKeys(ctx: IssueContext, conversion: KeyConversion): Promise<{ ca: CaId; file: string; changed: boolean }[]> {
  const { state } = ctx;
  const custody = state.settings.caKeys;
  if (custody && custody !== 'encrypted') {
    throw new UserInputError(join(ctx.displayDir, 'store.json'), `keeps its CA keys in a PKCS#11 token (${custody.split('?')[0]}); they never exist as files, so there is nothing to ${conversion.to === 'plain' ? 'decrypt' : 'encrypt'}. Nothing was written.`);
  }
  if (conversion.to === 'encrypted') checkNewPassphrase(conversion.passphrase);
  const ids = CA_IDS.filter((id) => state.cas[id]);
  if (ids.length === 0) throw new UserInputError(ctx.displayDir, 'has no CA yet; create the store with `mtls-pki init --encrypt-keys` instead.');
  // Read (and check against the certificate) every key before writing any.
  const keys = await Promise.all(ids.map(async (id) => {
    const file = layout.caKey(id);
    const text = readInStore(ctx.dir, file)?.toString('utf8');
    if (text === undefined) throw new UserInputError(join(ctx.displayDir, file), `is not on this machine; ${conversion.to === 'plain' ? 'decrypt' : 'encrypt'} the keys where they are. Nothing was written.`);
    const ca = await ctx.loadCa(id);
    return { id, file, text, encrypted: isEncryptedPrivateKeyPem(text), plainPem: readPrivateKey(await exportable(ctx, text), join(ctx.displayDir, file)), ca };
  }));
  const results: { ca: CaId; file: string; changed: boolean }[] = [];
  for (const key of keys) {
    const want = conversion.to === 'encrypted';
    if (key.encrypted === want) {
      results.push({ ca: key.id, file: key.file, changed: false });
      continue;
    }
    const pem = key.plainPem.export({ format: 'pem', type: 'pkcs8' }).toString();
    const text = want ? await encryptPrivateKeyPem(pem, conversion.passphrase, conversion.iterations) : pem;
    writeInStore(ctx.dir, key.file, text, SECRET_FILE_MODE);
    results.push({ ca: key.id, file: key.file, changed: true });
  }
  const { caKeys: _was, ...rest } = state.settings;
  state.settings = conversion.to === 'encrypted' ? { ...rest, caKeys: 'encrypted' } : rest;
  return results;
}

/** An encrypted key's plain PEM (with the store's passphrase, already checked by loadCa), or the text as it is. */
async function exportable(ctx: IssueContext, text: string): Promise<string> {
  if (!isEncryptedPrivateKeyPem(text)) return text;
  return readPrivateKey(text, 'key', await ctx.caKeys.passphrase()).export({ format: 'pem', type: 'pkcs8' }).toString();
}
