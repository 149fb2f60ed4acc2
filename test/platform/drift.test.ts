import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DB_TYPES_FILE, generateDbTypes } from '../../src/platform/db/codegen.ts';
import { generateOpenApiDocument } from '../../src/platform/http/openapi.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();
const ROOT = path.resolve(import.meta.dirname, '../..');

describe('committed generated files match the code', () => {
  it('src/platform/db/types.generated.ts matches the migrated schema (run `npm run db:types`)', async () => {
    const committed = await readFile(DB_TYPES_FILE, 'utf8');
    expect(await generateDbTypes(t.databaseUrl)).toBe(committed);
  });

  it('docs/openapi.json matches the routes (run `npm run openapi`)', async () => {
    const committed = await readFile(path.join(ROOT, 'docs/openapi.json'), 'utf8');
    const generated = await generateOpenApiDocument();
    expect(JSON.parse(generated)).toEqual(JSON.parse(committed));
  });

  it('/docs/json serves a valid OpenAPI 3.1 document equal to docs/openapi.json', async () => {
    const res = await t.request({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const served = res.json();
    expect(served.openapi).toBe('3.1.0');
    expect(served.info.title).toBeTruthy();
    expect(Object.keys(served.paths).length).toBeGreaterThan(0);
    for (const [p, ops] of Object.entries<Record<string, { responses?: object }>>(served.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.responses, `${method} ${p} documents its responses`).toBeDefined();
      }
    }
    const committed = JSON.parse(await readFile(path.join(ROOT, 'docs/openapi.json'), 'utf8'));
    expect(served).toEqual(committed);
  });
});
