import * as fs from 'node:fs';
import { join } from 'node:path';
import { optionSpecs } from '../../lib/cli/command';
import { COMMANDS } from '../../lib/cli/main';
import { cli, requireBuild, ROOT } from './cli';

// docs/CLI.md is the CLI's reference, written by hand; this keeps it complete: every command that
// `mtls-pki --help` lists has its section, with its usage line and every option it accepts.

beforeAll(requireBuild);

const doc = fs.readFileSync(join(ROOT, 'docs/CLI.md'), 'utf8');

/** The text of the `## \`name\`` section, up to the next `## `. */
function section(name: string): string {
  const start = doc.indexOf(`\n## \`${name}\`\n`);
  if (start === -1) return '';
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

const listed = (() => {
  const help = cli(['--help']).stdout;
  return [...help.slice(help.indexOf('Commands:')).split('\n\n')[0].matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]);
})();

test('mtls-pki --help lists every command', () => {
  expect(listed).toEqual(COMMANDS.map((c) => c.name));
});

describe.each(listed)('docs/CLI.md: %s', (name) => {
  const command = COMMANDS.find((c) => c.name === name)!.load();

  test('has a section with the usage line', () => {
    expect(section(name)).not.toBe('');
    expect(section(name)).toContain(`\nmtls-pki ${command.usage}\n`);
  });

  test('documents every option (aliases too) and shows an example', () => {
    // --dir and --passphrase-file belong to every store command; the Conventions section documents them once.
    for (const option of Object.keys(optionSpecs(command)).filter((o) => o !== 'help' && !((o === 'dir' || o === 'passphrase-file') && command.usesStore !== false))) {
      expect([option, section(name)]).toEqual([option, expect.stringContaining(`\`--${option}`)]);
    }
    expect(section(name)).toMatch(new RegExp(`\`\`\`sh\\n(.*\\n)*mtls-pki ${name}`));
  });
});

test('the options every store command takes are in the Conventions section', () => {
  const conventions = doc.slice(doc.indexOf('## Conventions'), doc.indexOf('## Exit codes'));
  expect(conventions).toContain('**`--dir DIR`**');
  expect(conventions).toContain('**`--passphrase-file FILE`**');
  expect(conventions).toContain('`MTLS_PKI_PASSPHRASE_FILE`');
});

test('the exit codes, NO_COLOR and the JSON shapes have their sections', () => {
  expect(doc).toMatch(/## Exit codes\n[\s\S]*\| `0` \|[\s\S]*\| `1` \|[\s\S]*\| `2` \|/);
  expect(doc).toContain('`NO_COLOR`');
  for (const shape of ['list', 'check', 'crl']) expect(section(shape)).toContain(`### \`${shape} --json\`\n\n\`\`\`json\n{\n  "format": "mtls-pki-${shape}",`);
});
