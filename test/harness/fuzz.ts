import fc from 'fast-check';

/**
 * Inputs for the OpenAPI fuzzer (test/platform/fuzz.test.ts), derived from an operation's
 * JSON schemas: valid values, and hostile ones at every leaf (boundaries, wrong types,
 * text the database cannot store, emoji and right-to-left text, unknown enum values,
 * random and malformed UUIDs). Known ids of the test world stand in for UUIDs half of the
 * time, so requests reach past the 404s into the use cases.
 */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
}

export interface FuzzWorld {
  /** UUIDs of rows that exist (matches, users, sectors …). */
  ids: string[];
}

const NASTY_TEXT = [
  '',
  'Nul\u0000Byte',
  'lone \ud800 surrogate',
  '\udc00',
  '⚽🇭🇷😀',
  '\u202Eevil\u202C',
  'مرحبا بالعالم',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  ' ',
  'x'.repeat(10_000),
];
const NOT_UUIDS = ['not-a-uuid', '123', '00000000-0000-0000-0000-00000000000g', 'ZZZ', '1e5'];
const FAR_DATES = ['9999-12-31', '0001-01-01', '2026-02-30', '2026-13-45', '1900-01-01'];
const FAR_INSTANTS = [
  '9999-12-31T23:59:59.999Z',
  '0001-01-01T00:00:00Z',
  '2026-06-01T10:00:00+14:00',
  '2026-06-01T25:00:00Z',
];
const HUGE_NUMBERS = [0, -1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e308];
const WRONG_TYPES: unknown[] = [null, true, 42, 'text', [], {}, [1, 'two'], { nested: { a: 1 } }];

const typesOf = (s: JsonSchema): string[] =>
  s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];

function stringArb(s: JsonSchema, world: FuzzWorld): fc.Arbitrary<string> {
  switch (s.format) {
    case 'uuid':
      return world.ids.length
        ? fc.oneof(fc.constantFrom(...world.ids), fc.uuid({ version: 4 }))
        : fc.uuid({ version: 4 });
    case 'date':
      return fc
        .date({ min: new Date('1920-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
    case 'date-time':
      return fc
        .date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'email':
      return fc.emailAddress();
  }
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? min + 40, min + 200);
  if (s.pattern) {
    try {
      return fc
        .stringMatching(new RegExp(s.pattern))
        .filter((v) => v.length >= min && (s.maxLength === undefined || v.length <= s.maxLength));
    } catch {
      // a pattern the generator cannot invert: plain strings of the right length
    }
  }
  return fc.string({ minLength: min, maxLength: max, unit: 'grapheme' });
}

/** A value the schema accepts (as far as the generator can tell). */
export function validArb(s: JsonSchema, world: FuzzWorld): fc.Arbitrary<unknown> {
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => validArb(a, world)));
  if (s.enum) return fc.constantFrom(...s.enum);
  const types = typesOf(s);
  if (types.length > 1) return fc.oneof(...types.map((type) => validArb({ ...s, type }, world)));
  switch (types[0]) {
    case 'string':
      return stringArb(s, world);
    case 'integer': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000);
      return fc.integer({ min, max: Math.min(s.maximum ?? min + 1000, min + 1_000_000) });
    }
    case 'number': {
      const min = s.minimum ?? s.exclusiveMinimum ?? -1000;
      return fc.double({ min, max: s.maximum ?? min + 1000, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? validArb(s.items, world) : fc.anything(), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, (s.minItems ?? 0) + 4),
      });
    case 'object':
      return objectArb(s, world, validArb);
    default:
      return fc.oneof(fc.string(), fc.integer(), fc.boolean());
  }
}

function objectArb(
  s: JsonSchema,
  world: FuzzWorld,
  leaf: (s: JsonSchema, w: FuzzWorld) => fc.Arbitrary<unknown>,
): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, leaf(v, world)]));
  return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
}

/** What a careless or hostile client sends in place of a value of this schema. */
function weirdArb(s: JsonSchema): fc.Arbitrary<unknown> {
  const types = typesOf(s);
  const options: fc.Arbitrary<unknown>[] = [fc.constantFrom(...WRONG_TYPES)];
  if (s.enum) options.push(fc.constantFrom('UNKNOWN_VALUE', String(s.enum[0]).toLowerCase(), ''));
  if (types.includes('string')) {
    options.push(fc.constantFrom(...NASTY_TEXT));
    if (s.format === 'uuid') options.push(fc.constantFrom(...NOT_UUIDS));
    if (s.format === 'date') options.push(fc.constantFrom(...FAR_DATES));
    if (s.format === 'date-time') options.push(fc.constantFrom(...FAR_INSTANTS));
    if (s.maxLength !== undefined) {
      options.push(fc.constantFrom('a'.repeat(s.maxLength), 'a'.repeat(s.maxLength + 1)));
    }
  }
  if (types.includes('integer') || types.includes('number')) {
    const bounds = [s.minimum, s.maximum].filter((v): v is number => v !== undefined);
    options.push(
      fc.constantFrom(
        ...HUGE_NUMBERS,
        ...bounds,
        ...bounds.map((b) => b + 1),
        ...bounds.map((b) => b - 1),
      ),
    );
  }
  return fc.oneof(...options);
}

/** Mostly valid, with a hostile value at any leaf now and then; objects may gain a field. */
export function hostileArb(s: JsonSchema, world: FuzzWorld): fc.Arbitrary<unknown> {
  const alternatives = s.anyOf ?? s.oneOf;
  const types = typesOf(s);
  if (!alternatives && types.length === 1 && types[0] === 'object' && s.properties) {
    return fc.oneof(
      { weight: 4, arbitrary: objectArb(s, world, hostileArb) },
      {
        weight: 1,
        arbitrary: objectArb(s, world, validArb).map((o) => ({ ...o, unknown_field: 'x' })),
      },
      { weight: 1, arbitrary: weirdArb(s) },
    );
  }
  if (!alternatives && types.length === 1 && types[0] === 'array' && s.items) {
    return fc.oneof(
      { weight: 3, arbitrary: fc.array(hostileArb(s.items, world), { maxLength: 4 }) },
      { weight: 1, arbitrary: weirdArb(s) },
    );
  }
  return fc.oneof(
    { weight: 3, arbitrary: validArb(s, world) },
    { weight: 1, arbitrary: weirdArb(s) },
  );
}
