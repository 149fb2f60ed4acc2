import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, useTestContext } from '../harness/context.ts';

const t = useTestContext();
const MAIN = path.resolve(import.meta.dirname, '../../src/main.ts');

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('the CLI', () => {
  it('exits non-zero naming each invalid variable', async () => {
    const proc = run(['serve'], { PORT: 'abc', RATE_LIMIT_MAX: 'many' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/PORT: .*"abc"/);
    expect(proc.output()).toMatch(/RATE_LIMIT_MAX: /);
  });

  it('serves until SIGTERM, then exits cleanly', async () => {
    const proc = run(['serve'], {
      DATABASE_URL: t.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: t.redisPrefix,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
    });
    const deadline = Date.now() + 30_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output())?.[1];
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(url, proc.output()).toBeDefined();
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toMatch(/shutting down/);
  });

  it('rejects unknown commands with usage', async () => {
    const proc = run(['frobnicate'], {});
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/usage: hns-ticketing/);
  });
});
