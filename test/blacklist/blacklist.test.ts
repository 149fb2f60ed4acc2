import { describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { useTestContext } from '../harness/context.ts';
import { createUser } from '../factories/users.ts';

const t = useTestContext();

describe('blacklist administration and check (E11-F1, E11-F3)', () => {
  it('adds, checks, lists masked, removes and restores an entry with an audit trail', async () => {
    const supervisor = await createUser(t.deps, { roles: ['SUPPORT_SUPERVISOR'] });
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    const oib = generateOib();

    const created = await t.request({
      method: 'POST',
      url: '/admin/blacklist',
      token: supervisor.token,
      payload: { oib, first_name: 'Ivan', last_name: 'Horvat', date_of_birth: '1990-01-02' },
    });
    expect(created.statusCode).toBe(201);
    const entry = created.json();
    expect(entry).toMatchObject({ status: 'ACTIVE', oib_masked: `*******${oib.slice(-4)}` });
    expect(created.body).not.toContain(oib);

    const stored = await t.deps.db.selectFrom('blacklist').selectAll().executeTakeFirstOrThrow();
    expect(stored.oib_encrypted).not.toContain(oib);

    const duplicate = await t.request({
      method: 'POST',
      url: '/admin/blacklist',
      token: supervisor.token,
      payload: { oib, first_name: 'Ivan', last_name: 'Horvat' },
    });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().code).toBe('BLACKLIST_ENTRY_EXISTS');

    const check = await t.request({
      method: 'GET',
      url: `/internal/blacklist/check?oib=${oib}`,
      token: agent.token,
    });
    expect(check.statusCode).toBe(200);
    expect(check.json().is_blacklisted).toBe(true);
    expect(check.json().message.hr).toContain('MUP');
    expect(check.json().message.en).toContain('Ministry of the Interior');

    const clean = await t.request({
      method: 'GET',
      url: `/internal/blacklist/check?oib=${generateOib()}`,
      token: agent.token,
    });
    expect(clean.json()).toEqual({ is_blacklisted: false, message: null });

    const wrongCheckDigit = oib.slice(0, 10) + String((Number(oib[10]) + 1) % 10);
    const badOib = await t.request({
      method: 'GET',
      url: `/internal/blacklist/check?oib=${wrongCheckDigit}`,
      token: agent.token,
    });
    expect(badOib.statusCode).toBe(422);
    expect(badOib.json().code).toBe('OIB_INVALID');

    const list = await t.request({ method: 'GET', url: '/admin/blacklist', token: agent.token });
    expect(list.json()).toMatchObject({ total: 1, items: [{ id: entry.id }] });

    const agentCreate = await t.request({
      method: 'POST',
      url: '/admin/blacklist',
      token: agent.token,
      payload: { oib: generateOib(), first_name: 'A', last_name: 'B' },
    });
    expect(agentCreate.statusCode).toBe(403);
    const fan = await createUser(t.deps);
    const fanCheck = await t.request({
      method: 'GET',
      url: `/internal/blacklist/check?oib=${oib}`,
      token: fan.token,
    });
    expect(fanCheck.statusCode).toBe(403);

    const removed = await t.request({
      method: 'POST',
      url: `/admin/blacklist/${entry.id}/remove`,
      token: supervisor.token,
      payload: { reason: 'Court decision overturned' },
    });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({
      status: 'REMOVED',
      removal_reason: 'Court decision overturned',
    });
    const after = await t.request({
      method: 'GET',
      url: `/internal/blacklist/check?oib=${oib}`,
      token: agent.token,
    });
    expect(after.json().is_blacklisted).toBe(false);

    const restored = await t.request({
      method: 'POST',
      url: '/admin/blacklist',
      token: supervisor.token,
      payload: { oib, first_name: 'Ivan', last_name: 'Horvat' },
    });
    expect(restored.statusCode).toBe(201);
    expect(restored.json().id).toBe(entry.id);

    const audit = await t.deps.db
      .selectFrom('blacklist_audit_logs')
      .select(['action', 'changes_json'])
      .where('blacklist_id', '=', entry.id)
      .orderBy('created_at')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['CREATE', 'REMOVE', 'RESTORE']);
    expect(JSON.stringify(audit)).not.toContain(oib);
  });
});
