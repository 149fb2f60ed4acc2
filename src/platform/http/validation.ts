import type { FastifyInstance } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';

/**
 * PostgreSQL's UTF-8 text cannot hold a NUL (it answers "invalid byte sequence"), and a
 * lone UTF-16 surrogate is not a character at all (it cannot be encoded as UTF-8 and would
 * be stored as U+FFFD). Both come only from JSON escapes (`\u0000`, `\ud800`) or percent
 * escapes in a URL, never from a real client's text, so they are refused at the edge.
 */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const hasUnstorableText = (value: string): boolean => UNSTORABLE.test(value);

/**
 * The paths (`full_name`, `items.2.note`) of every string, or object key, in `value`
 * holding text the database cannot store. Also for uploaded files once parsed.
 */
export function unstorableTextPaths(value: unknown, path: string[] = [], found: string[][] = []) {
  if (typeof value === 'string') {
    if (hasUnstorableText(value)) found.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => unstorableTextPaths(item, [...path, String(i)], found));
  } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (hasUnstorableText(key)) found.push([...path, key]);
      else unstorableTextPaths(item, [...path, key], found);
    }
  }
  return found;
}

/** The same error entries fastify-type-provider-zod produces, so one handler maps both. */
const ZOD_VALIDATION_ERROR = Symbol.for('ZodFastifySchemaValidationError');
const MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/**
 * The one validation rule in front of every route schema (body, querystring, params,
 * headers): text the database cannot store is a 400 VALIDATION_FAILED naming the field,
 * before the route's zod schema runs.
 */
export function installValidation(app: FastifyInstance): void {
  app.setValidatorCompiler<ZodType>((route) => {
    const zod = validatorCompiler(route);
    return (data) => {
      const bad = unstorableTextPaths(data);
      if (bad.length) {
        return {
          error: bad.map((path) => ({
            [ZOD_VALIDATION_ERROR]: true,
            keyword: 'unstorable_text',
            instancePath: `/${path.join('/')}`,
            schemaPath: '#/unstorable_text',
            message: MESSAGE,
            params: {},
          })),
        };
      }
      return zod(data);
    };
  });
}
