import type { Findings } from '../checks/finding';
import type { ManifestObject } from './controller';

interface Shape {
  readonly type: string;
  readonly typeRequired: boolean;
  readonly forbiddenKeys?: readonly string[];
}

/**
 * MTLS081: a Secret (found in manifests) whose type or keys make the controller read it as something other than
 * what it is meant to be. `misread` says what the controller then does, in the user's terms. Returns whether the
 * controller uses the Secret as intended.
 */
export function checkSecretShape(
  findings: Findings, field: string, secret: ManifestObject, values: Readonly<Record<string, string>>, shape: Shape, controller: string, misread: string,
): boolean {
  const type = secret.type ?? 'Opaque';
  if (shape.typeRequired && type !== shape.type) {
    findings.error('MTLS081', field, `is of type "${type}", but ${controller} reads only a Secret of type "${shape.type}" here and ${misread}. Recreate it with type: ${shape.type} (a Secret's type cannot be changed in place: delete it, then apply).`);
    return false;
  }
  const forbidden = shape.forbiddenKeys ?? [];
  if (forbidden.length && forbidden.every((k) => (values[k] ?? '') !== '')) {
    findings.error('MTLS081', field, `holds ${forbidden.join(' and ')} next to the client CA: ${controller} then ${misread}. Keep the client CA (ca.crt, ca.crl) in a Secret of its own, without ${forbidden.join(' or ')}.`);
    return false;
  }
  return true;
}
