// The YAML examples of shared/reference/controllers.md, as parsed objects tagged with their section number.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';

const { sharedPath } = require('../../scripts/shared-dir') as { sharedPath(...segments: string[]): string };

export interface ReferenceExample {
  /** the numbered heading the block sits under, e.g. `2.5` or `9` */
  readonly section: string;
  /** a Kubernetes object of any kind, untyped as Testing.synth returns them */
  readonly object: any;
}

/** Every object of every ```yaml block in controllers.md, in document order. */
export function referenceExamples(): ReferenceExample[] {
  const markdown = readFileSync(sharedPath('reference', 'controllers.md'), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'mtls-reference-'));
  try {
    const examples: ReferenceExample[] = [];
    let section = '';
    let block = 0;
    for (const m of markdown.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? |^```yaml\n([\s\S]*?)^```/gm)) {
      if (m[1]) {
        section = m[1];
        continue;
      }
      // cdk8s reads YAML from files only.
      const file = join(dir, `${block++}.yaml`);
      writeFileSync(file, m[2]);
      for (const object of Yaml.load(file).filter(Boolean)) examples.push({ section, object });
    }
    return examples;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
