import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();

describe('prepared statements (src/platform/db/database.ts)', () => {
  it('runs parameterised statements prepared, and recovers after a migration changes a row shape', async () => {
    await sql`CREATE TABLE prepared_probe (id int PRIMARY KEY, a text)`.execute(t.deps.db);
    await sql`INSERT INTO prepared_probe VALUES (1, 'x')`.execute(t.deps.db);
    // One connection, so every call below reuses the same prepared statement.
    const read = (db = t.deps.db) =>
      sql<Record<string, unknown>>`SELECT * FROM prepared_probe WHERE id = ${1}`.execute(db);
    await t.deps.db.connection().execute(async (conn) => {
      expect((await read(conn)).rows).toEqual([{ id: 1, a: 'x' }]);
      const named = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_prepared_statements
         WHERE statement LIKE ${'%FROM prepared_probe WHERE id = $1%'}`.execute(conn);
      expect(named.rows[0]!.n).toBe(1);

      await sql`ALTER TABLE prepared_probe ADD COLUMN b text`.execute(conn);
      // PostgreSQL refuses the cached plan once; the text then runs unprepared.
      await expect(read(conn)).rejects.toMatchObject({ code: '0A000' });
      expect((await read(conn)).rows).toEqual([{ id: 1, a: 'x', b: null }]);
    });
  });
});
