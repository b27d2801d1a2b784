import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CertificateAuthority, DEFAULT_KEY_ALGORITHM, inferSubjectAltName, KeyAlgorithm, RevocationReason, UserInputError,
} from '../pki';
import { parseSerial } from '../pki/serial';
import { DIR_MODE, ensureDir, fsError, PUBLIC_FILE_MODE, removeStaleTempFiles } from './atomic-write';
import { loadStoreCa, readCaCertificate } from './ca-files';
import { CrlStatus, maintainCrls, pruneRevocations, refuseLostRevocations } from './crls';
import { applySpec, ensureServer, isUsable, PkiSpec, validateSpec } from './ensure';
import { ImportOpensslOptions, ImportResult, importOpensslInto, loadImportedCa, readIndex } from './import-openssl';
import { issueClient, IssueContext, sanText } from './issue';
import { KeyPool } from './key-pool';
import { CA_IDS, CaId, layout, STATE_FILE } from './layout';
import { listingOf, StoreListing } from './listing';
import { isPidAlive, LockOptions, withLock } from './lock';
import { RecoveryOptions, RecoveryResult, recoverLostRevocations } from './lost-revocations';
import { materialOf, PkiMaterial, trustBundle } from './material';
import { recordRevocation, resolveTargets, RevokeTarget } from './revoke';
import { CertificateRecord, emptyState, readState, RevocationRecord, StoreState, writeState } from './state';
import { refuseLinks, refuseLinksInLayout, writeInStore } from './store-files';

export interface OpenOptions {
  /** Create the store on first write when the directory has none. @default true (the CLI passes false except for init) */
  readonly create?: boolean;
  /** Where warnings go (permissions wider than 0600/0700, adopted leftovers). @default console.warn */
  readonly onWarning?: (message: string) => void;
  /** Shown around slow work (RSA key generation). */
  readonly progress?: <T>(label: string, work: () => Promise<T>) => Promise<T>;
  readonly lock?: LockOptions;
}

export interface IssueOptions {
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly validityDays?: number;
  /** Issue a new certificate even when a usable one exists. */
  readonly force?: boolean;
  readonly now?: Date;
}

/**
 * The persistent PKI store (see lib/store/README.md for the files). Every change takes the store's lock,
 * re-reads store.json under it, writes files atomically, and saves store.json only when it changed.
 */
export class PkiStore {
  /** Opens (without writing anything) the store in `dir`; see OpenOptions.create. */
  static async open(dir = 'pki', options: OpenOptions = {}): Promise<PkiStore> {
    const path = resolve(dir);
    refuseLinks(path);
    const stat = statOrUndefined(path);
    const create = options.create ?? true;
    if (stat && !stat.isDirectory()) {
      throw new UserInputError(dir, 'is a file, not a directory. Give --dir the directory that holds (or will hold) the PKI store, e.g. "pki"; nothing was written.');
    }
    if (!stat && !create) throw new UserInputError(dir, 'does not exist, so there is no PKI store here. Create one with `mtls-pki init`, or point --dir at an existing store.');
    const store = new PkiStore(path, dir, create, options);
    if (stat) {
      const state = readState(path);
      if (!state) {
        if (!create) throw new UserInputError(dir, 'holds no store.json, so it is not a PKI store. Create one with `mtls-pki init`, or point --dir at an existing store.');
        // An interrupted first run may have left the store's own directories (and CA files, adopted later).
        const own = new Set<string>([...layout.dirs, STATE_FILE]);
        const foreign = fs.readdirSync(path).filter((n) => !n.startsWith('.') && !own.has(n));
        if (foreign.length) throw new UserInputError(dir, `is not empty (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}) and not a PKI store; give --dir a new or empty directory, or adopt an openssl CA with \`mtls-pki import-openssl\`.`);
      } else {
        refuseLinksInLayout(path);
        store.checkPermissions(state);
      }
    }
    return store;
  }

  private constructor(
    /** Absolute path of the store directory. */
    readonly dir: string,
    private readonly displayDir: string,
    private readonly create: boolean,
    private readonly options: OpenOptions,
  ) {}

  private warn(message: string): void {
    (this.options.onWarning ?? ((m: string) => console.warn(`mtls-pki: warning: ${m}`)))(message);
  }

  private checkPermissions(state: StoreState): void {
    const wide = (path: string, limit: number) => {
      const st = statOrUndefined(path);
      return st && (st.mode & 0o777 & ~limit) !== 0 ? (st.mode & 0o777).toString(8).padStart(4, '0') : undefined;
    };
    const dirMode = wide(this.dir, DIR_MODE);
    if (dirMode) this.warn(`${this.displayDir} has mode ${dirMode}; the store holds private keys, so make it 0700: chmod 700 ${this.displayDir}`);
    const keys = [
      ...CA_IDS.filter((id) => state.cas[id]).map((id) => layout.caKey(id)),
      ...state.certificates.flatMap((c) => (c.files?.key ? [c.files.key] : [])),
    ];
    for (const key of keys) {
      try {
        refuseLinks(this.dir, key);
      } catch (e) {
        this.warn((e as Error).message);
        continue;
      }
      const mode = wide(join(this.dir, key), 0o600);
      if (mode) this.warn(`${join(this.displayDir, key)} is a private key with mode ${mode}; make it 0600: chmod 600 ${join(this.displayDir, key)}`);
    }
  }

  /**
   * Runs `fn` under the lock on freshly read state; saves state, CRLs and the trust bundle afterwards. For an
   * operation that `publishes` CRLs, the monotonic guard (crls.ts) runs first, so its refusal writes nothing.
   */
  private async mutate<T>(now: Date, publishes: boolean, fn: (ctx: IssueContext) => Promise<T>): Promise<T> {
    refuseLinks(this.dir);
    if (!statOrUndefined(this.dir)) ensureDir(this.dir);
    return withLock(this.dir, this.options.lock ?? {}, async () => {
      refuseLinksInLayout(this.dir);
      for (const sub of ['', ...layout.dirs]) removeStaleTempFiles(join(this.dir, sub), isPidAlive);
      const state = readState(this.dir) ?? (this.create ? emptyState() : undefined);
      if (!state) throw new UserInputError(this.displayDir, 'holds no store.json (was it moved?); run `mtls-pki init` first.');
      // Every CA file is checked against store.json's pins before anything is written.
      for (const id of CA_IDS) if (state.cas[id]) readCaCertificate(this.dir, state, id);
      const cache = new Map<CaId, Promise<CertificateAuthority>>();
      const loadCa = (id: CaId) => {
        if (!cache.has(id)) cache.set(id, loadStoreCa(this.dir, state, id));
        return cache.get(id)!;
      };
      const ctx: IssueContext = {
        dir: this.dir, displayDir: this.displayDir, state, now, loadCa, warn: (m: string) => this.warn(m), progress: this.options.progress,
        keys: new KeyPool(), published: new Map(), commit: () => void writeState(this.dir, state),
      };
      if (publishes) refuseLostRevocations(ctx);
      const result = await fn(ctx);
      writeState(this.dir, state);
      const bundle = trustBundle(this.dir, state);
      if (bundle) {
        writeInStore(this.dir, layout.trustCa, bundle.clientCaPem, PUBLIC_FILE_MODE);
        writeInStore(this.dir, layout.trustCrl, bundle.crlPem, PUBLIC_FILE_MODE);
      }
      return result;
    });
  }

  /**
   * Creates what `spec` names and the store lacks, reuses what exists (never re-keys), applies the spec's
   * revocations, and refreshes the CRLs when due. A second run with the same spec changes no byte.
   */
  async ensure(spec: PkiSpec = {}): Promise<PkiMaterial> {
    validateSpec(spec);
    const now = spec.now ?? new Date();
    const state = await this.mutate(now, true, async (ctx) => {
      await applySpec(ctx, spec);
      ctx.commit();
      await maintainCrls(ctx);
      return ctx.state;
    });
    return materialOf(this.dir, state, now);
  }

  /** The store's material as it is, without creating or refreshing anything. */
  async material(now = new Date()): Promise<PkiMaterial> {
    return materialOf(this.dir, this.readStateOrFail(), now);
  }

  /**
   * Revokes one certificate, by CN, serial or PEM (see revoke.ts for several certificates sharing a CN),
   * and publishes the new CRLs, returning them as written under the same lock. Revoking a revoked certificate
   * returns its existing record unchanged.
   */
  async revoke(target: RevokeTarget, reason?: RevocationReason, now = new Date()): Promise<RevocationRecord & { readonly crls: readonly CrlStatus[] }> {
    return this.mutate(now, true, async (ctx) => {
      const [first] = resolveTargets(this.dir, ctx.state, target, 'one');
      const { record } = recordRevocation(ctx.state, first, reason, now);
      ctx.commit();
      return { ...record, crls: await maintainCrls(ctx) };
    });
  }

  /** Writes a new CRL for each CA whose revoked set changed or whose CRL is due (or every CA, with force). */
  async refreshCrls(options: { force?: boolean; now?: Date } = {}): Promise<CrlStatus[]> {
    return this.mutate(options.now ?? new Date(), true, (ctx) => maintainCrls(ctx, options.force ?? false));
  }

  /**
   * Drops revocations RFC 5280 lets go (certificate expired, and listed on a published CRL issued after that,
   * both judged at `now`), records each in store.json's audit, then publishes CRLs without them. Never
   * happens implicitly.
   */
  async prune(options: { now?: Date } = {}): Promise<{ pruned: RevocationRecord[]; crls: CrlStatus[] }> {
    return this.mutate(options.now ?? new Date(), true, async (ctx) => {
      const pruned = pruneRevocations(ctx);
      ctx.commit();
      return { pruned, crls: await maintainCrls(ctx) };
    });
  }

  /**
   * The way out when the published CRLs list revocations store.json lost (after restoring an older store.json,
   * `ensure`, `revoke` and `refreshCrls` refuse to publish): `adopt` re-records them from the CRLs, `forget`
   * drops the given serials on purpose (with `why`). Both are recorded in store.json's audit; then the CRLs
   * are published. See lost-revocations.ts.
   */
  async recoverRevocations(options: RecoveryOptions & { now?: Date }): Promise<RecoveryResult & { crls: CrlStatus[] }> {
    const forget = (options.forget ?? []).map((s) => parseSerial(s, '--forget'));
    return this.mutate(options.now ?? new Date(), false, async (ctx) => {
      const result = recoverLostRevocations(ctx, { ...options, forget });
      return { ...result, crls: await maintainCrls(ctx) };
    });
  }

  /** Issues (or, unless force, reuses) the server certificate `name` for `names`. */
  async issueServer(name: string, names: readonly string[], options: IssueOptions = {}): Promise<{ record: CertificateRecord; created: boolean }> {
    validateSpec({ servers: [{ name, names, keyAlgorithm: options.keyAlgorithm, validityDays: options.validityDays }] });
    return this.mutate(options.now ?? new Date(), false, async (ctx) => {
      const keyAlgorithm = options.keyAlgorithm ?? ctx.state.settings.keyAlgorithm ?? DEFAULT_KEY_ALGORITHM;
      return ensureServer(ctx, name, names, { keyAlgorithm, validityDays: options.validityDays }, options.force);
    });
  }

  /** Issues a client certificate, unless (without force) a usable one with the same CN and names exists. */
  async issueClient(commonName: string, altNames: readonly string[] = [], options: IssueOptions = {}): Promise<{ record: CertificateRecord; created: boolean }> {
    validateSpec({ clients: [{ commonName, altNames, keyAlgorithm: options.keyAlgorithm, validityDays: options.validityDays }] });
    const now = options.now ?? new Date();
    return this.mutate(now, false, async (ctx) => {
      const wanted = altNames.map((n, i) => sanText(inferSubjectAltName(n, `altNames[${i}]`))).sort().join();
      const existing = ctx.state.certificates.find((c) => c.kind === 'client' && c.commonName === commonName && isUsable(ctx.state, c, now) && [...c.subjectAltNames].sort().join() === wanted);
      if (existing && !options.force) return { record: existing, created: false };
      const keyAlgorithm = options.keyAlgorithm ?? ctx.state.settings.keyAlgorithm ?? DEFAULT_KEY_ALGORITHM;
      return { record: await issueClient(ctx, commonName, altNames, { keyAlgorithm, validityDays: options.validityDays }), created: true };
    });
  }

  /**
   * Issued and revoked certificates, CAs, and each CRL's number, nextUpdate and days left. Takes no lock.
   * Warns (OpenOptions.onWarning) about CA files that are not the ones store.json pins, certificates that
   * outlive their issuer, and revocations the published CRLs list but store.json lost.
   */
  async list(options: { now?: Date } = {}): Promise<StoreListing> {
    return listingOf(this.displayDir, this.readStateOrFail(), options.now ?? new Date(), (m) => this.warn(m));
  }

  private readStateOrFail(): StoreState {
    const state = readState(this.dir);
    if (!state) throw new UserInputError(this.displayDir, 'holds no PKI store yet; run `mtls-pki init` (or PkiStore.ensure) first.');
    return state;
  }

  /** Adopts an openssl CA (certificate, key, index.txt, crlnumber) as the store's client or server CA. */
  async importOpenssl(options: ImportOpensslOptions): Promise<ImportResult> {
    // Everything that needs no store is checked first: a refused import creates no directory and takes no lock.
    readIndex(options);
    await loadImportedCa(options);
    return this.mutate(options.now ?? new Date(), true, (ctx) => importOpensslInto(ctx, options));
  }
}

/** lstat: the callers have refused links already, and must not follow one swapped in since. */
function statOrUndefined(path: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    throw fsError(path, e, 'look at the store directory');
  }
}
