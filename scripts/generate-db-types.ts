// Migrates a scratch database, writes src/platform/db/types.generated.ts from it, drops it.
// Also the quickest check that every migration applies: `npm run db:types`.
import { writeFile } from 'node:fs/promises';
import { DB_TYPES_FILE, generateDbTypes } from '../src/platform/db/codegen.ts';
import { migrate } from '../src/platform/db/migrator.ts';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  randomSuffix,
  TEST_DB_PREFIX,
} from '../test/harness/databases.ts';

const name = `${TEST_DB_PREFIX}${Date.now()}_${randomSuffix()}_types`;
await createDatabase(name);
try {
  const applied = await migrate(databaseUrl(name));
  console.log(`applied ${applied.length} migrations`);
  await writeFile(DB_TYPES_FILE, await generateDbTypes(databaseUrl(name)));
  console.log(`wrote ${DB_TYPES_FILE}`);
} finally {
  await dropDatabase(name);
}
