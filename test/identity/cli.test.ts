import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { login } from '../../src/modules/identity/auth.service.ts';
import {
  createDevToken,
  startDevOidcIssuer,
  withDevSso,
} from '../../src/modules/identity/dev-sso.ts';
import { runAdminCommand, runDevToken } from '../../src/modules/identity/identity.cli.ts';
import { listGrantedRoles } from '../../src/modules/identity/users.repo.ts';
import { createUser } from '../factories/users.ts';
import { TEST_REDIS_URL, useTestContext } from '../harness/context.ts';

const t = useTestContext();
const MAIN = path.resolve(import.meta.dirname, '../../src/main.ts');
const dataDir = await mkdtemp(path.join(tmpdir(), 'hns-dev-oidc-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('trying the API without Drupal', () => {
  it(
    'dev-token prints a token the local issuer of `npm start` accepts',
    { timeout: 120_000 },
    async () => {
      const port = await freePort();
      const env = { NODE_ENV: 'development', DATA_DIR: dataDir, DEV_OIDC_PORT: String(port) };
      const printed = await run(['dev-token', 'Marko@Example.hr'], env);
      expect(printed.code, printed.stderr).toBe(0);
      const token = printed.stdout.trim();
      expect(token.split('.')).toHaveLength(3);

      const issuer = await startDevOidcIssuer({
        ...t.config,
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
        DEV_OIDC_PORT: port,
      });
      try {
        expect(issuer.config.DRUPAL_JWKS_URL).toBe(`http://127.0.0.1:${port}/jwks`);
        const result = await login(
          { ...t.deps, config: issuer.config },
          { drupal_token: token, device_id: 'laptop' },
        );
        expect(result.user).toMatchObject({ email: 'marko@example.hr', roles: ['FAN'] });
        // Same email, same Drupal id: one local user.
        const again = await createDevToken(issuer.config, 'marko@example.hr');
        const second = await login(
          { ...t.deps, config: issuer.config },
          { drupal_token: again, device_id: 'laptop' },
        );
        expect(second.user.id).toBe(result.user.id);
      } finally {
        await issuer.stop();
      }
    },
  );

  it('refuses dev-token and the local issuer in production', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const production = { ...t.config, NODE_ENV: 'production' as const, DATA_DIR: dataDir };
      expect(await runDevToken(production, ['x@example.hr'])).toBe(1);
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/refused when NODE_ENV=production/);
      expect(stdout).not.toHaveBeenCalled();
      await expect(startDevOidcIssuer(production)).rejects.toThrow(
        /refused when NODE_ENV=production/,
      );
      // `start` in production never runs it, whatever the configuration.
      expect(await withDevSso(production, t.deps.logger)).toBe(production);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });

  it('admin grant (CLI) / revoke change a user’s local roles', { timeout: 120_000 }, async () => {
    const user = await createUser(t.deps, { email: 'first-admin@hns.hr' });
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: t.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: t.redisPrefix,
    };
    const granted = await run(['admin', 'grant', 'First-Admin@hns.hr', 'SUPER_ADMIN'], env);
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stdout).toMatch(/first-admin@hns.hr: FAN, SUPER_ADMIN/);
    expect(await listGrantedRoles(t.deps.db, user.id)).toEqual(['FAN', 'SUPER_ADMIN']);

    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runAdminCommand(t.deps, ['revoke', 'first-admin@hns.hr', 'SUPER_ADMIN'])).toBe(
        0,
      );
      expect(await listGrantedRoles(t.deps.db, user.id)).toEqual(['FAN']);
      expect(await runAdminCommand(t.deps, ['grant', 'nobody@hns.hr', 'SUPER_ADMIN'])).toBe(1);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(/must log in once/);
      expect(await runAdminCommand(t.deps, ['grant', 'first-admin@hns.hr', 'EMPEROR'])).toBe(2);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });
});
