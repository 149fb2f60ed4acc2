import { randomBytes } from 'node:crypto';
import pg from 'pg';

import { DEFAULT_TEST_DATABASE_URL } from './services.ts';

/**
 * Test databases live on the run's PostgreSQL (TEST_DATABASE_URL names its admin database;
 * the global setup sets it, see services.ts). A template is migrated once per test run;
 * each test file clones it.
 */
export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  return url && url !== 'embedded' ? url : DEFAULT_TEST_DATABASE_URL;
}
export const TEST_DB_PREFIX = 'hns_t_';

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export const randomSuffix = () => randomBytes(5).toString('hex');

export async function createDatabase(name: string, template?: string): Promise<void> {
  await withAdmin(async (c) => {
    // Concurrent clones of one template can collide on its lock; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
        return;
      } catch (err) {
        if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message))
          throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
