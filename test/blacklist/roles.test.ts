import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/platform/auth/roles.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { useTestContext } from '../harness/context.ts';
import { blacklistOib } from '../factories/blacklist.ts';
import { createUser } from '../factories/users.ts';
import { csvOf } from './helpers.ts';

const t = useTestContext();

/**
 * Who may call each route of E11-F2, E11-F4 and E11-F5: agents read (the import's summary,
 * a person's tickets, the violations), supervisors also act (import, confirm); SUPER_ADMIN
 * passes every check; fans and other staff get 403, no token 401.
 */
describe('blacklist import, auto-cancel and violation routes: roles', () => {
  it('answers each role as the spec and the module README say', async () => {
    const entryId = await blacklistOib(t, generateOib());
    const sup = await createUser(t.deps, { roles: ['SUPPORT_SUPERVISOR'] });
    const batch = await t.request({
      method: 'POST',
      url: '/admin/blacklist/import',
      headers: { 'content-type': 'text/csv' },
      payload: csvOf([[generateOib(), 'A', 'B']]),
      token: sup.token,
    });
    const batchId = batch.json().batch_id as string;

    type Call = { method: 'GET' | 'POST'; url: string; csv?: boolean; payload?: object };
    const routes: Array<[Call, 'agent' | 'supervisor']> = [
      [{ method: 'POST', url: '/admin/blacklist/import', csv: true }, 'supervisor'],
      [{ method: 'GET', url: `/admin/blacklist/imports/${batchId}` }, 'agent'],
      [{ method: 'GET', url: `/admin/blacklist/${entryId}/tickets` }, 'agent'],
      [{ method: 'POST', url: `/admin/blacklist/${entryId}/cancel-tickets` }, 'supervisor'],
      [{ method: 'POST', url: `/admin/blacklist/imports/${batchId}/cancel-tickets` }, 'supervisor'],
      [{ method: 'GET', url: '/admin/blacklist/violations' }, 'agent'],
      [{ method: 'POST', url: '/admin/blacklist/violations/search', payload: {} }, 'agent'],
    ];
    const users = new Map<Role, string>();
    for (const role of [
      'FAN',
      'SUPPORT_AGENT',
      'SUPPORT_SUPERVISOR',
      'SUPER_ADMIN',
      'MATCH_MANAGER',
      'PETROL_STAFF',
    ] as Role[]) {
      users.set(role, (await createUser(t.deps, { roles: [role] })).token);
    }
    for (const [call, level] of routes) {
      const send = (token?: string) =>
        t.request({
          method: call.method,
          url: call.url,
          token,
          ...(call.csv
            ? {
                headers: { 'content-type': 'text/csv' },
                payload: csvOf([[generateOib(), 'A', 'B']]),
              }
            : call.payload
              ? { payload: call.payload as Record<string, unknown> }
              : {}),
        });
      const status = async (role?: Role) => (await send(role && users.get(role))).statusCode;
      const label = `${call.method} ${call.url}`;
      expect(await status(), label).toBe(401);
      expect(await status('FAN'), label).toBe(403);
      expect(await status('MATCH_MANAGER'), label).toBe(403);
      expect(await status('PETROL_STAFF'), label).toBe(403);
      expect(await status('SUPPORT_AGENT'), label).toBe(level === 'agent' ? 200 : 403);
      expect([200, 201], label).toContain(await status('SUPPORT_SUPERVISOR'));
      expect([200, 201], label).toContain(await status('SUPER_ADMIN'));
    }
  });
});
