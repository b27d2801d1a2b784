// `mtls-pki migrate`: ingress-nginx mTLS manifests in, the same setup for another controller target out. The input
// is read by the ingress-nginx target's own `read` (the one `check --manifests` uses); the output is emitted by
// MtlsIngress in an in-memory chart, so it gets every check synth runs (chain, key, CRL per CA, CRL expiry,
// the target's own), once. A loss of a setting is refused unless allowed; the CRL is never dropped.
import { App, Chart, Yaml } from 'cdk8s';
import { manifestReadContext, loadManifestObjects } from '../checks/check-manifests';
import { Finding, Findings } from '../checks/finding';
import { MtlsIngress } from '../constructs/mtls-ingress';
import type { ControllerTarget, ManifestObject } from '../controllers/controller';
import { IngressNginxTarget } from '../controllers/ingress-nginx';
import { UserInputError } from '../pki/errors';
import { MigrationPlan, planMigration, PlanOptions } from './plan';

export type { CarriedSetting, LostSetting } from './plan';

export interface MigrateOptions extends PlanOptions {
  readonly to: ControllerTarget;
  /** Drop the settings the target cannot express (listed), instead of refusing. */
  readonly allowLoss: boolean;
}

/** One setup migrated (or refused), with its report and its manifests. */
export interface MigratedSetup extends Omit<MigrationPlan, 'props' | 'fieldOf' | 'inputObjects'> {
  /** The checks on the material and the settings, as synth runs them; fields name the input (`Secret odcp/x ca.crl`). */
  readonly findings: readonly Finding[];
  /** `Kind namespace/name` of each object written. */
  readonly objects: readonly string[];
  /** The target's manifests as multi-document YAML; undefined when refused. */
  readonly yaml?: string;
  /** `<namespace>-<name>`: the output file's name without `.yaml`. */
  readonly name: string;
}

export interface MigrationResult {
  /** The controller the setups were migrated to (`--to`). */
  readonly to: ControllerTarget;
  /** Every object read, as `Kind namespace/name`. */
  readonly objectsRead: readonly string[];
  /** One per ingress-nginx mTLS setup found in the input, in the order read. */
  readonly setups: readonly MigratedSetup[];
  /** Objects of the input that no setup used (Services, Deployments, other Ingresses): left as they are. */
  readonly untouched: readonly string[];
  /** Problems found while reading (a missing Secret, a link not followed), before any setup was planned. */
  readonly readFindings: readonly Finding[];
  /** True when every setup can be written: no refusal, no error finding, and no loss unless allowed. */
  readonly ok: boolean;
}

export const objectId = (o: ManifestObject) => `${o.kind ?? '(no kind)'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '(unnamed)'}`;

/** Reads every path (a file or a folder of YAML), and migrates each ingress-nginx mTLS Ingress found to `options.to`. */
export function migrate(paths: readonly string[], options: MigrateOptions): MigrationResult {
  const readFindings = new Findings();
  const objects = paths.flatMap((path) => loadManifestObjects(path, (link) => readFindings.warn('MTLS064', link, `is a symbolic link; it was not followed (it may point outside "${path}"), so any Secret behind it was not read. Give its target as an input of its own.`), '<dir-or-file>'));
  const context = manifestReadContext(readFindings, objects, paths.join(', '));
  const found = new IngressNginxTarget().read(context);
  if (found.length === 0) {
    throw new UserInputError('<dir-or-file>', `${paths.map((p) => `"${p}"`).join(', ')} hold(s) no Ingress with the nginx.ingress.kubernetes.io/auth-tls-secret annotation; nothing to migrate. Give the YAML of the Ingress and its Secrets, e.g. \`kubectl get ingress,secret -n <namespace> -o yaml > in.yaml\`.`);
  }
  const used = new Set<ManifestObject>();
  const setups = found.map((deployed, i) => {
    const plan = planMigration(context, deployed, options.to, options);
    plan.inputObjects.forEach((o) => used.add(o));
    return emitSetup(plan, i);
  });
  const names = setups.map((s) => s.name);
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash !== undefined) throw new UserInputError('<dir-or-file>', `holds two Ingresses that would both be written as "${clash}.yaml"; migrate them one at a time.`);
  const blocked = (s: MigratedSetup) => s.refusals.length > 0 || s.findings.some((f) => f.severity === 'error') || (s.lost.length > 0 && !options.allowLoss);
  return {
    to: options.to, objectsRead: objects.map(objectId), setups, untouched: objects.filter((o) => !used.has(o)).map(objectId), readFindings: readFindings.all,
    ok: !setups.some(blocked) && !readFindings.all.some((f) => f.severity === 'error'),
  };
}

/** Emits one planned setup with MtlsIngress, in a chart of its own; the construct's findings come back with input field names. */
function emitSetup(plan: MigrationPlan, index: number): MigratedSetup {
  const { props, fieldOf, inputObjects: _inputs, ...report } = plan;
  const ingress = plan.inputObjects[0];
  const name = `${ingress.metadata?.namespace ?? 'default'}-${ingress.metadata?.name ?? `ingress-${index}`}`.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  if (!props) return { ...report, findings: [], objects: [], name };
  const chart = new Chart(new App(), `migrated-${index}`);
  let mtls: MtlsIngress;
  try {
    mtls = new MtlsIngress(chart, 'mtls', props);
  } catch (e) {
    if (!(e instanceof UserInputError)) throw e;
    return { ...report, refusals: [...report.refusals, `${plan.source}: ${e.message}`], findings: [], objects: [], name };
  }
  const findings = mtls.findings.map((f) => ({ ...f, field: fieldOf(f.field) }));
  if (findings.some((f) => f.severity === 'error')) return { ...report, findings, objects: [], name };
  // Each object's own toJson, as synth calls it: chart.toJson() would run the construct's validation, which prints
  // the warnings reported here a second time, to the process's stderr.
  const objects = mtls.objects.map((o) => o.toJson() as ManifestObject);
  return { ...report, findings, objects: objects.map(objectId), yaml: Yaml.stringify(...objects), name };
}
