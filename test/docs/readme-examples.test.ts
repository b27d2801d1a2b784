// The README's TypeScript is the code of examples/, byte for byte, so that what test/consumer/consumer.test.ts
// compiles, synthesizes and tests in an app rendered from the cdk8s template is exactly what users copy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const EXAMPLES = ['examples/files/main.ts', 'examples/pki-store/main.ts', 'examples/snapshot/main.test.ts'];

/** The fenced blocks of a language, with their text as it would be pasted into a file. */
function blocks(markdown: string, languages: readonly string[]): string[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((m) => languages.includes(m[1])).map((m) => m[2]);
}

test('every TypeScript block of the README is one of the examples, and each example is shown once', () => {
  const shown = blocks(readme, ['ts', 'typescript', 'tsx']);
  const files = EXAMPLES.map((f) => readFileSync(join(root, f), 'utf8'));
  expect(shown.map((b) => EXAMPLES[files.indexOf(b)] ?? b)).toEqual(EXAMPLES);
});

test('the README names each example\'s path next to it, so readers find the file', () => {
  for (const f of EXAMPLES) expect(readme).toContain(`\`${f}\``);
});

test('no top-level await in the examples: ts-node runs main.ts as CommonJS, where it does not compile', () => {
  for (const f of EXAMPLES) {
    const source = ts.createSourceFile(f, readFileSync(join(root, f), 'utf8'), ts.ScriptTarget.ES2022, true);
    const topLevel: string[] = [];
    const visit = (node: ts.Node, inFunction: boolean): void => {
      if (ts.isAwaitExpression(node) && !inFunction) topLevel.push(node.getText(source));
      ts.forEachChild(node, (child) => visit(child, inFunction || ts.isFunctionLike(node)));
    };
    visit(source, false);
    expect([f, topLevel]).toEqual([f, []]);
  }
});
