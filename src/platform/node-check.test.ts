import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINIMUM_NODE, nodeProblem } from '../../bin/node-check.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/hns-ticketing.js');

describe('the Node version check of the CLI', () => {
  it('accepts the minimum and newer, with type stripping', () => {
    for (const version of [`v${MINIMUM_NODE}`, 'v22.20.0', 'v23.6.0', 'v24.21.0', 'v26.0.0'])
      expect(nodeProblem({ version, typescript: 'strip' })).toBeNull();
  });

  it('refuses older versions, naming the one found and the one needed', () => {
    for (const version of ['v20.20.2', 'v22.12.0', 'v22.17.9', 'v18.0.0']) {
      const problem = nodeProblem({ version, typescript: false });
      expect(problem).toContain(version);
      expect(problem).toContain(MINIMUM_NODE);
    }
  });

  it('refuses a new Node with type stripping switched off', () => {
    expect(nodeProblem({ version: 'v24.21.0', typescript: false })).toMatch(
      /type stripping.*switched off/,
    );
  });

  it('the CLI exits 2 with that one line before loading any TypeScript', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--no-experimental-strip-types', BIN, 'start'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      ({ status, stderr } = err as { status: number; stderr: string });
    }
    expect(status).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/needs Node\.js type stripping/);
  });
});
