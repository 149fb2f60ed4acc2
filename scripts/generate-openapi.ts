// Writes docs/openapi.json from the route schemas (a test fails when it drifts).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateOpenApiDocument } from '../src/platform/http/openapi.ts';

const target = path.resolve(import.meta.dirname, '../docs/openapi.json');
await writeFile(target, await generateOpenApiDocument());
console.log(`wrote ${target}`);
