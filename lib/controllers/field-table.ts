// The annotations (or CRD fields) a target writes, defined once: the same table writes them at synth and reads
// them back in `mtls-pki check --manifests`, so the two can never disagree on a name or a format.

/** The `write` or `read` of a setting stored as it is. */
export const same = <T>(v: T): T => v;

/** How one setting is stored: under which key, and how its value is written and read back. */
export interface FieldSpec<T, V> {
  /** The key without the table's prefix, e.g. `auth-tls-secret`. */
  readonly key: string;
  /** The stored value, or undefined to leave the key out. */
  write(value: T): V | undefined;
  /** The setting from a stored value (no validation: the checks report bad values with the key's name). */
  read(stored: V): T;
}

export type FieldSpecs<S, V> = { readonly [K in keyof S]-?: FieldSpec<S[K], V> };

export class FieldTable<S, V = string> {
  /**
   * @param prefix what every key starts with, e.g. `haproxy-ingress.github.io/`
   * @param specs one entry per setting, in the order they are written
   */
  constructor(readonly prefix: string, private readonly specs: FieldSpecs<S, V>) {}

  /** The full key a setting is stored under, e.g. `haproxy-ingress.github.io/auth-tls-secret`. */
  keyOf(setting: keyof S): string {
    return `${this.prefix}${this.specs[setting].key}`;
  }

  /** Every full key this table writes. */
  get keys(): string[] {
    return (Object.keys(this.specs) as (keyof S)[]).map((s) => this.keyOf(s));
  }

  /** The stored form of the settings, in the table's order; settings written as undefined are left out. */
  write(settings: S): Record<string, V> {
    const out: Record<string, V> = {};
    for (const setting of Object.keys(this.specs) as (keyof S)[]) {
      const stored = this.specs[setting].write(settings[setting]);
      if (stored !== undefined) out[this.keyOf(setting)] = stored;
    }
    return out;
  }

  /** The settings present in `stored` (keys absent there are absent from the result). */
  read(stored: Readonly<Record<string, V>> | undefined): Partial<S> {
    const out: Partial<S> = {};
    for (const setting of Object.keys(this.specs) as (keyof S)[]) {
      const key = this.keyOf(setting);
      if (stored && Object.prototype.hasOwnProperty.call(stored, key)) out[setting] = this.specs[setting].read(stored[key]);
    }
    return out;
  }
}

/** Booleans as Go's strconv.ParseBool reads them, which is how the Go controllers parse annotations. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** `namespace/name` or `name` (in `defaultNamespace`), as the controllers split a Secret reference. */
export function splitSecretRef(ref: string, defaultNamespace: string | undefined): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  return slash === -1 ? { namespace: defaultNamespace ?? '', name: ref } : { namespace: ref.slice(0, slash) || (defaultNamespace ?? ''), name: ref.slice(slash + 1) };
}
