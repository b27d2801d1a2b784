// Links in the documents the package ships (README.md, docs/, and what they link to) must work where users read
// them: on npm and in node_modules. A relative link must name a file in the tarball (`npm pack --dry-run`), and its
// #anchor a heading of that file; a link into this repository on GitHub must name a file git tracks.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const root = join(__dirname, '..', '..');
const REPO_BLOB = 'https://github.com/cdk8s-mtls-ingress/cdk8s-mtls-ingress/blob/main/';

// --ignore-scripts: prepack would rebuild build/ under the other tests; the documents do not depend on it.
const packed = (JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n'));
const documents = packed.filter((p) => p.endsWith('.md'));

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.*)$/gm)].map((m) => slug(m[1])));
}

/** Markdown links outside code: [text](target). */
function linksOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

test('the package ships README.md and docs/', () => {
  expect(documents).toEqual(expect.arrayContaining(['README.md', 'docs/API.md', 'docs/CLI.md', 'docs/operations.md']));
});

test.each(documents)('every link in %s resolves inside the package, or to a file of this repository', (file) => {
  const broken: string[] = [];
  for (const link of linksOf(file)) {
    if (link.startsWith(REPO_BLOB)) {
      if (!tracked.has(link.slice(REPO_BLOB.length).split('#')[0])) broken.push(`${link} (not in the repository)`);
      continue;
    }
    if (/^[a-z]+:/i.test(link)) continue; // elsewhere on the web
    const [path, anchor] = link.split('#');
    const target = path ? normalize(join(dirname(file), path)) : file;
    if (!packed.includes(target)) broken.push(`${link} (${target} is not in the package)`);
    else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(`${link} (no heading #${anchor} in ${target})`);
  }
  expect(broken).toEqual([]);
});
