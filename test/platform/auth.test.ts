import { describe, expect, it } from 'vitest';
import { hasAccess } from '../../src/platform/auth/roles.ts';
import { createTokenService } from '../../src/platform/auth/tokens.ts';

const base = { issuer: 'hns-ticketing', audience: 'hns-ticketing-api', ttlSeconds: 900 };
const secretA = 'a'.repeat(40);
const secretB = 'b'.repeat(40);

describe('access tokens', () => {
  it('round-trips claims', async () => {
    const tokens = createTokenService({ ...base, secrets: [secretA] });
    const token = await tokens.sign({ userId: 'u1', roles: ['FAN', 'FINANCE'], sessionId: 's1' });
    expect(await tokens.verify(token)).toEqual({
      userId: 'u1',
      roles: ['FAN', 'FINANCE'],
      sessionId: 's1',
    });
  });

  it('keeps verifying tokens signed with a previous secret after rotation', async () => {
    const before = createTokenService({ ...base, secrets: [secretA] });
    const after = createTokenService({ ...base, secrets: [secretB, secretA] });
    const old = await before.sign({ userId: 'u1', roles: ['FAN'] });
    expect(await after.verify(old)).toMatchObject({ userId: 'u1' });
    const retired = createTokenService({ ...base, secrets: [secretB] });
    expect(await retired.verify(old)).toBeNull();
  });

  it('rejects expired tokens, other audiences and unknown roles', async () => {
    let now = new Date('2026-06-01T10:00:00Z');
    const tokens = createTokenService({ ...base, secrets: [secretA], now: () => now });
    const token = await tokens.sign({ userId: 'u1', roles: ['FAN'] });
    // Verified once (and remembered), the token still expires on time.
    expect(await tokens.verify(token)).toMatchObject({ userId: 'u1' });
    now = new Date('2026-06-01T10:14:59Z');
    expect(await tokens.verify(token)).toMatchObject({ userId: 'u1' });
    now = new Date('2026-06-01T10:16:00Z');
    expect(await tokens.verify(token)).toBeNull();
    expect(await tokens.verify(token)).toBeNull();
    // A token altered after a successful verification is not taken from memory.
    now = new Date('2026-06-01T10:00:00Z');
    const fresh = await tokens.sign({ userId: 'u2', roles: ['FAN'] });
    expect(await tokens.verify(fresh)).toMatchObject({ userId: 'u2' });
    expect(await tokens.verify(`${fresh.slice(0, -2)}xx`)).toBeNull();
    const other = createTokenService({ ...base, audience: 'other', secrets: [secretA] });
    expect(await tokens.verify(await other.sign({ userId: 'u1', roles: [] }))).toBeNull();
  });
});

describe('role checks', () => {
  it('lets SUPER_ADMIN through every role list and requires one listed role otherwise', () => {
    expect(hasAccess(['MATCH_MANAGER'], ['SUPER_ADMIN'])).toBe(true);
    expect(hasAccess(['MATCH_MANAGER'], ['FAN'])).toBe(false);
    expect(hasAccess(['MATCH_MANAGER', 'FINANCE'], ['FINANCE'])).toBe(true);
    expect(hasAccess('authenticated', [])).toBe(true);
  });
});
