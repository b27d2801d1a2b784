import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS } from '../../lib';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('the README stays in sync with the code', () => {
  test('it opens with exactly the two set-up commands', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1].trim().split('\n');
    expect(firstBlock.map((l) => l.replace(/\s+#.*$/, ''))).toEqual(['npm ci && npm run synth', 'npm ci && npm test']);
  });

  test('every check code is documented with its title', () => {
    for (const [code, title] of Object.entries(CHECKS)) expect(readme).toContain(`| \`${code}\` | ${title}`);
  });

  test('every MtlsIngressProps field is documented in the props table', () => {
    const source = readFileSync(join(root, 'lib', 'constructs', 'mtls-ingress.ts'), 'utf8');
    const body = /export interface MtlsIngressProps \{([\s\S]*?)\n\}/.exec(source)![1];
    const props = [...body.matchAll(/readonly (\w+)\??:/g)].map((m) => m[1]);
    expect(props.length).toBeGreaterThan(15);
    const table = readme.slice(readme.indexOf('## `MtlsIngress` props'));
    for (const prop of props) expect(table).toMatch(new RegExp(`\\| \`${prop}\`( / \`\\w+\`)? \\||\\| \`\\w+\` / \`${prop}\` \\|`));
  });

  test('every prop has a doc comment with @default', () => {
    const source = readFileSync(join(root, 'lib', 'constructs', 'mtls-ingress.ts'), 'utf8');
    const body = /export interface MtlsIngressProps \{([\s\S]*?)\n\}/.exec(source)![1];
    const required = ['backend', 'serverTls', 'clientCaPem'];
    for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*readonly (\w+)(\??):/g)) {
      if (m[3] === '?') expect([m[2], m[1]]).toEqual([m[2], expect.stringContaining('@default')]);
      else expect(required).toContain(m[2]);
    }
  });
});
