import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { createUser } from '../factories/users.ts';
import { hostileArb, validArb, type FuzzWorld, type JsonSchema } from '../harness/fuzz.ts';
import { startDrupalOidc } from '../harness/servers/oidc.ts';
import { useWalletWorld } from '../harness/wallet.ts';
import { addToCart, createFan, createSale, useStripeTestContext } from '../sales/helpers.ts';

/**
 * Every operation of the OpenAPI document, called with inputs derived from its own schemas
 * (valid, boundary, wrong type, hostile text, unknown enum values, random and malformed
 * UUIDs) anonymously, as a fan and as an administrator. No answer may be a 5xx; every 4xx
 * is a problem document whose code the operation documents for that status; a refused
 * request leaves every table as it was. New routes are covered by being in the document.
 *
 * Seeded (FUZZ_SEED) and bounded (FUZZ_RUNS inputs per operation and caller, 4 by default,
 * about a minute); `FUZZ_RUNS=50 npx vitest run test/platform/fuzz.test.ts` runs longer.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 18);
const RUNS = Number(process.env.FUZZ_RUNS ?? 4);

const drupal = await startDrupalOidc();
afterAll(() => drupal.close());
// Wallet passes configured against local providers: unconfigured they answer 503.
const wallet = await useWalletWorld();
const { t } = await useStripeTestContext({
  seeds: [emailTemplatesSeed],
  env: {
    DRUPAL_USERINFO_URL: drupal.userinfoUrl,
    MAILGUN_WEBHOOK_SIGNING_KEY: 'fuzz-signing-key',
    ...wallet.env,
  },
});

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body: JsonSchema | null;
  /** status → codes the operation documents */
  problems: Map<number, Set<string>>;
}

function operationsOf(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const responses = (op.responses ?? {}) as Record<
        string,
        { content?: Record<string, { schema?: { properties?: { code?: { enum?: string[] } } } }> }
      >;
      const problems = new Map<number, Set<string>>();
      for (const [status, r] of Object.entries(responses)) {
        const codes = r.content?.['application/problem+json']?.schema?.properties?.code?.enum;
        if (codes) problems.set(Number(status), new Set(codes));
      }
      const body = (
        op.requestBody as { content?: Record<string, { schema: JsonSchema }> } | undefined
      )?.content?.['application/json']?.schema;
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []) as Parameter[],
        body: body ?? null,
        problems,
      });
    }
  }
  return ops;
}

/** Count and hash of every row of every table: a refused request must not change it. */
let checksumQuery = '';
// By design, a checkout blocked by the blacklist logs the attempt before it answers 403.
const WRITTEN_WHEN_REFUSED = new Set(['violation_logs']);
async function checksum(): Promise<Map<string, string>> {
  if (!checksumQuery) {
    const { rows } = await sql<{ tablename: string }>`
      SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`.execute(
      t.deps.db,
    );
    checksumQuery = rows
      .filter((r) => !WRITTEN_WHEN_REFUSED.has(r.tablename))
      .map(
        (r) =>
          `SELECT '${r.tablename}' AS t, count(*) || ':' || coalesce(sum(hashtextextended(x::text, 0)), 0) AS h FROM "${r.tablename}" x`,
      )
      .join(' UNION ALL ');
  }
  const { rows } = await sql<{ t: string; h: string }>`${sql.raw(checksumQuery)}`.execute(
    t.deps.db,
  );
  return new Map(rows.map((r) => [r.t, r.h]));
}

const changedTables = (before: Map<string, string>, after: Map<string, string>) =>
  [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);

/** UUIDs of the rows of the test world, to reach past the 404s. */
async function knownIds(): Promise<string[]> {
  const tables = [
    'users',
    'matches',
    'stadiums',
    'sectors',
    'match_sectors',
    'sales_phases',
    'price_categories',
    'carts',
    'orders',
    'email_templates',
    'saved_profiles',
  ];
  const ids: string[] = [];
  for (const table of tables) {
    const { rows } = await sql<{ id: string }>`
      SELECT id::text FROM ${sql.table(table)} LIMIT 20`.execute(t.deps.db);
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

/** Percent-encoding as a hostile client does it: a lone surrogate as its raw 3 bytes. */
const encodePathSegment = (value: string) =>
  value.replace(/[\s\S]/gu, (ch) => {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) {
      return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    }
    return encodeURIComponent(ch);
  });

interface Finding {
  op: string;
  caller: string;
  status: number;
  code?: string;
  detail: string;
}

describe('OpenAPI fuzzing: no 5xx, documented problems, refused requests write nothing', () => {
  const callers: Record<string, string | undefined> = { anonymous: undefined };
  const world: FuzzWorld = { ids: [] };

  beforeAll(async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    await addToCart(t, fan, sale, 2);
    const admin = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
    callers.fan = fan.token;
    callers.admin = admin.token;
    world.ids = await knownIds();
  });

  it(
    `every operation, ${RUNS} inputs per caller (seed ${SEED})`,
    { timeout: 600_000 },
    async () => {
      const app = await t.app();
      const ops = operationsOf(app.swagger() as never);
      expect(ops.length).toBeGreaterThan(80);
      const failures: Finding[] = [];
      const undocumented: Finding[] = [];
      let requests = 0;

      for (const [index, op] of ops.entries()) {
        const pathParams = op.parameters.filter((p) => p.in === 'path');
        const queryParams = op.parameters.filter((p) => p.in === 'query');
        const headerParams = op.parameters.filter((p) => p.in === 'header');
        const input = fc.record({
          path: fc.tuple(
            ...pathParams.map((p) =>
              fc.oneof(validArb(p.schema, world), hostileArb(p.schema, world)),
            ),
          ),
          query: fc.tuple(
            ...queryParams.map((p) =>
              fc.option(fc.oneof(validArb(p.schema, world), hostileArb(p.schema, world)), {
                nil: undefined,
              }),
            ),
          ),
          headers: fc.tuple(
            ...headerParams.map((p) => fc.option(validArb(p.schema, world), { nil: undefined })),
          ),
          body: op.body
            ? fc.oneof(validArb(op.body, world), hostileArb(op.body, world))
            : fc.constant(undefined),
        });
        const samples = fc.sample(input, { seed: SEED + index, numRuns: RUNS * 3 });

        for (const [n, sample] of samples.entries()) {
          const caller = Object.keys(callers)[n % 3]!;
          let url = op.path;
          pathParams.forEach((p, i) => {
            url = url.replace(`{${p.name}}`, encodePathSegment(String(sample.path[i])));
          });
          const search = new URLSearchParams();
          queryParams.forEach((p, i) => {
            const v = sample.query[i];
            if (v === undefined) return;
            for (const item of [v].flat()) {
              search.append(p.name, typeof item === 'object' ? JSON.stringify(item) : String(item));
            }
          });
          if ([...search].length) url += `?${search}`;
          const headers: Record<string, string> = {};
          headerParams.forEach((p, i) => {
            if (sample.headers[i] !== undefined) headers[p.name] = String(sample.headers[i]);
          });
          const token = callers[caller];
          if (token) headers.authorization = `Bearer ${token}`;

          const before = await checksum();
          const res = await app.inject({
            method: op.method as 'GET',
            url,
            headers,
            ...(sample.body !== undefined ? { payload: sample.body as object } : {}),
          });
          requests++;
          const name = `${op.method} ${op.path}`;
          const finding = (detail: string, code?: string): Finding => ({
            op: name,
            caller,
            status: res.statusCode,
            code,
            detail: `${detail} — ${op.method} ${url.slice(0, 300)} ${JSON.stringify(sample.body)?.slice(0, 300) ?? ''}`,
          });
          if (res.statusCode >= 500) {
            failures.push(finding(res.body.slice(0, 300)));
            continue;
          }
          if (res.statusCode < 400) continue;
          if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) {
            failures.push(finding(`content-type ${res.headers['content-type']}`));
            continue;
          }
          const code = res.json().code as string;
          if (!op.problems.get(res.statusCode)?.has(code))
            undocumented.push(finding('undocumented', code));
          const changed = changedTables(before, await checksum());
          if (changed.length)
            failures.push(finding(`refused but changed ${changed.join(', ')}`, code));
        }
      }

      const summary = new Map<string, Set<string>>();
      for (const u of undocumented) {
        const key = u.op;
        if (!summary.has(key)) summary.set(key, new Set());
        summary.get(key)!.add(`${u.status}:${u.code}`);
      }
      if (process.env.FUZZ_REPORT) {
        console.log(
          JSON.stringify(Object.fromEntries([...summary].map(([k, v]) => [k, [...v]])), null, 1),
        );
      }
      expect(requests).toBeGreaterThan(ops.length);
      const kinds = new Map<string, Finding>();
      for (const f of failures) kinds.set(`${f.op} ${f.status} ${f.detail.slice(0, 40)}`, f);
      expect(failures, JSON.stringify([...kinds.values()].slice(0, 40), null, 1)).toEqual([]);
      expect(
        undocumented.map((u) => `${u.op} ${u.status} ${u.code}`),
        JSON.stringify(undocumented.slice(0, 10), null, 1),
      ).toEqual([]);
    },
  );
});

describe('what the fuzzer found, pinned', () => {
  it('a path that is not percent-encoded UTF-8, or a parameter past the router limit: 400 problem', async () => {
    const fan = await createFan(t.deps);
    for (const url of [
      '/users/me/saved-profiles/%ED%A0%80',
      `/users/me/saved-profiles/${'a'.repeat(200)}`,
    ]) {
      const res = await t.request({ method: 'GET', url, token: fan.token });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'params' }],
      });
    }
  });

  it('a Drupal token that cannot be a bearer token is a 400, not 503 SSO_UNAVAILABLE', async () => {
    for (const drupal_token of ['tök€n', 'a'.repeat(5_000), 'with space']) {
      const res = await t.request({
        method: 'POST',
        url: '/auth/login',
        payload: { drupal_token, device_id: 'phone' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ field: 'body.drupal_token' })]);
    }
  });

  it('every operation documents its problem responses with their codes', async () => {
    const ops = operationsOf((await t.app()).swagger() as never);
    const cartAdd = ops.find((o) => o.method === 'POST' && o.path === '/cart/add')!;
    expect([...cartAdd.problems.get(409)!]).toContain('PURCHASE_LIMIT_EXCEEDED');
    expect([...cartAdd.problems.get(401)!].sort()).toEqual(['TOKEN_INVALID', 'UNAUTHENTICATED']);
    for (const op of ops) expect(op.problems.get(400), `${op.method} ${op.path}`).toBeDefined();
  });
});
