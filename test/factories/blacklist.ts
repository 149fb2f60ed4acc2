import { expect } from 'vitest';
import type { TestContext } from '../harness/context.ts';
import { createUser } from './users.ts';

/**
 * Puts an OIB on the police blacklist as a support supervisor does, through the admin API;
 * returns the blacklist entry's id.
 */
export async function blacklistOib(t: TestContext, oib: string): Promise<string> {
  const supervisor = await createUser(t.deps, { roles: ['SUPPORT_SUPERVISOR'] });
  const entry = await t.request({
    method: 'POST',
    url: '/admin/blacklist',
    token: supervisor.token,
    payload: { oib, first_name: 'Zabranjeni', last_name: 'Navijač' },
  });
  expect(entry.statusCode).toBe(201);
  return (entry.json() as { id: string }).id;
}
