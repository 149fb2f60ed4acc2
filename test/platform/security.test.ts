import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/platform/auth/roles.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();

/** Fills path parameters with a syntactically valid id that matches nothing. */
const concreteUrl = (url: string) => url.replace(/:[A-Za-z_]+/g, randomUUID()).replace('*', 'x');

/**
 * Walks every registered route, so each route added by any module is covered without
 * writing a test for it: no token → 401, a token without the route's roles → 403.
 */
describe('every non-public route refuses anonymous and wrong-role callers', async () => {
  it('has routes to check', async () => {
    const app = await t.app();
    expect(app.accessTable.length).toBeGreaterThan(0);
  });

  it('answers 401 without a token and with a forged one', async () => {
    const app = await t.app();
    const failures: string[] = [];
    for (const route of app.accessTable) {
      if (route.access === 'public' || route.method === 'HEAD' || route.method === 'OPTIONS')
        continue;
      const url = concreteUrl(route.url);
      const anonymous = await app.inject({ method: route.method as 'GET', url });
      if (anonymous.statusCode !== 401)
        failures.push(`${route.method} ${route.url} anonymous → ${anonymous.statusCode}`);
      const forged = await app.inject({
        method: route.method as 'GET',
        url,
        headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' },
      });
      if (forged.statusCode !== 401)
        failures.push(`${route.method} ${route.url} forged → ${forged.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to a caller holding none of the route roles', async () => {
    const app = await t.app();
    const failures: string[] = [];
    for (const route of app.accessTable) {
      if (!Array.isArray(route.access) || route.method === 'HEAD') continue;
      const allowed = route.access as readonly Role[];
      const lacking = ROLES.filter((r) => r !== 'SUPER_ADMIN' && !allowed.includes(r));
      const token = await t.token(randomUUID(), lacking);
      const res = await app.inject({
        method: route.method as 'GET',
        url: concreteUrl(route.url),
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.statusCode !== 403) failures.push(`${route.method} ${route.url} → ${res.statusCode}`);
      else if (res.json().code !== 'FORBIDDEN')
        failures.push(`${route.method} ${route.url} code ${res.json().code}`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses an expired token', async () => {
    const app = await t.app();
    const protectedRoute = app.accessTable.find((r) => r.access !== 'public' && r.method === 'GET');
    if (!protectedRoute) return; // no protected GET route registered (yet)
    const token = await t.token(randomUUID(), [...ROLES]);
    t.clock.advance(16 * 60 * 1000);
    const res = await app.inject({
      method: 'GET',
      url: concreteUrl(protectedRoute.url),
      headers: { authorization: `Bearer ${token}` },
    });
    t.clock.advance(-16 * 60 * 1000);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('TOKEN_INVALID');
  });
});
