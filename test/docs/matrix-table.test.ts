// The README's scenario table is the matrix the e2e tests assert on the real data planes (test/e2e/matrix.ts):
// rendered from the same EXPECTED, so the README cannot claim a status code no test observed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matrixTable } from '../e2e/matrix';

test('the README holds the scenario matrix exactly as the e2e tests assert it', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  expect(readme).toContain(`${matrixTable()}\n`);
});
