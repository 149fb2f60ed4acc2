import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Dependencies between sales and payments go one way: sales → payments. Sales owns order
 * and ticket state (sales/order-state.ts) and settlement; payments reaches it only through
 * its own port (payment-events.ts). A payments file importing sales fails here.
 */

const dir = import.meta.dirname;
// static imports and re-exports, dynamic import(), and vi.mock-style paths
const SPECIFIER = /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  return [...readFileSync(join(dir, file), 'utf8').matchAll(SPECIFIER)].map((m) => m[1]!);
}

describe('payments module dependencies', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

  it('scans every file of the module', () => {
    expect(files).toEqual(expect.arrayContaining(['payments.jobs.ts', 'payments.repo.ts']));
    expect(importsOf('payments.jobs.ts')).toContain('./payments.repo.ts');
  });

  it.each(files)('%s imports nothing of sales', (file) => {
    const intoSales = importsOf(file).filter((spec) => /(^|\/)sales(\/|$)/.test(spec));
    expect(intoSales).toEqual([]);
  });
});
