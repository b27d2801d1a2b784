// docs/API.md is written by hand; this keeps it complete. Every name the package root exports (values and types,
// as TypeScript sees lib/index.ts) must be documented there, and every "### `Name`" / "#### `Name`" heading must
// still be exported.
//
// A name counts as documented when it appears in backticks in a heading, or as the first cell of a table row:
//   ### `MtlsIngress`            | `DEFAULT_CRL_VALIDITY_DAYS` | 90 | … |
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..');
const API_MD = join(ROOT, 'docs', 'API.md');

/** The package root's exports, values and types alike, without emitting or type-checking anything. */
function exportedNames(): string[] {
  const entry = join(ROOT, 'lib', 'index.ts');
  const program = ts.createProgram([entry], { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, noEmit: true, types: [], skipLibCheck: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!);
  if (!moduleSymbol) throw new Error('lib/index.ts exports nothing');
  return checker.getExportsOfModule(moduleSymbol).map((s) => s.name).sort();
}

/** Names defined by docs/API.md: backticked identifiers in headings, and first table cells. */
function documentedNames(markdown: string): { all: Set<string>; headings: string[] } {
  const all = new Set<string>();
  const headings: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s/.test(line);
    const firstCell = /^\|\s*([^|]*)\|/.exec(line)?.[1];
    const text = heading ? line : firstCell;
    if (text === undefined) continue;
    for (const m of text.matchAll(/`([A-Za-z_$][\w$]*)/g)) all.add(m[1]);
    const exact = /^#{2,6}\s+`([A-Za-z_$][\w$]*)`\s*$/.exec(line);
    if (exact) headings.push(exact[1]);
  }
  return { all, headings };
}

const exported = exportedNames();
const docs = documentedNames(readFileSync(API_MD, 'utf8'));

test('lib/index.ts exports the construct, the store, the checks and the PKI functions', () => {
  for (const name of ['MtlsIngress', 'MtlsIngressProps', 'MtlsMaterial', 'PkiStore', 'PkiSpec', 'PkiMaterial', 'checkFiles', 'checkManifests', 'CHECKS', 'Finding', 'createRootCa', 'buildCrl']) {
    expect(exported).toContain(name);
  }
});

test('docs/API.md documents every name the package exports', () => {
  const missing = exported.filter((name) => !docs.all.has(name));
  if (missing.length) {
    throw new Error(`docs/API.md lacks ${missing.length} exported name(s): ${missing.join(', ')}.\nAdd a "### \`Name\`" section, or a table row starting with \`Name\`, written from its doc comment.`);
  }
});

test('every heading in docs/API.md that is just a `Name` is still exported', () => {
  const stale = docs.headings.filter((name) => !exported.includes(name));
  expect(stale).toEqual([]);
});

test('every runtime export is among the names checked (the compiled package exports what TypeScript says)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtime = Object.keys(require('../../lib') as object).filter((k) => k !== '__esModule');
  expect(runtime.filter((name) => !exported.includes(name))).toEqual([]);
});
