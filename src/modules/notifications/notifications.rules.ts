/**
 * Email template rules (pure): `{{ name }}` placeholders, checked against the template's
 * declared variables when a template is edited and again when it is rendered.
 * Values are HTML-escaped in the HTML body and used as-is in the subject and text body;
 * there is no unescaped form, so a variable can never inject markup.
 */
import type { FieldError } from '../../platform/errors.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export interface TemplateParts {
  subject: string;
  body_html: string;
  body_text: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export class TemplateRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateRenderError';
  }
}

/** Placeholder names used in a text, in order of first use. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** `{{` or `}}` left over once the well-formed placeholders are removed. */
function strayBraces(text: string): boolean {
  const rest = text.replace(PLACEHOLDER, '');
  return rest.includes('{{') || rest.includes('}}');
}

/** Problems with a template's parts against its declared variables (empty when valid). */
export function validateTemplate(parts: TemplateParts, declared: readonly string[]): FieldError[] {
  const errors: FieldError[] = [];
  const allowed = new Set(declared);
  for (const field of ['subject', 'body_html', 'body_text'] as const) {
    const text = parts[field];
    if (strayBraces(text)) {
      errors.push({
        field: `body.${field}`,
        message: 'has a malformed placeholder: use {{ variable_name }}',
      });
    }
    const undeclared = placeholders(text).filter((name) => !allowed.has(name));
    if (undeclared.length) {
      errors.push({
        field: `body.${field}`,
        message: `uses undeclared variable(s) ${undeclared.join(', ')}; declared: ${
          declared.join(', ') || '(none)'
        }`,
      });
    }
  }
  if (/[\r\n]/.test(parts.subject)) {
    errors.push({ field: 'body.subject', message: 'must be a single line' });
  }
  return errors;
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function stringify(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  throw new TemplateRenderError(`variable "${name}" must be a string or a number`);
}

/**
 * Renders subject, HTML and text. Every declared variable must be supplied and every
 * placeholder must be declared; otherwise a TemplateRenderError names what is wrong.
 * Extra variables are ignored.
 */
export function renderTemplate(
  template: TemplateParts & { template_key: string; locale: string; variables: readonly string[] },
  variables: Record<string, unknown>,
): RenderedEmail {
  const where = `template "${template.template_key}" (${template.locale})`;
  const missing = template.variables.filter(
    (name) => variables[name] === undefined || variables[name] === null,
  );
  if (missing.length) {
    throw new TemplateRenderError(`${where}: missing variable(s) ${missing.join(', ')}`);
  }
  const problems = validateTemplate(template, template.variables);
  if (problems.length) {
    throw new TemplateRenderError(
      `${where} is invalid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    );
  }
  const values = new Map<string, string>();
  for (const name of template.variables) values.set(name, stringify(name, variables[name]));
  const fill = (text: string, escape: (v: string) => string) =>
    text.replace(PLACEHOLDER, (_m, name: string) => escape(values.get(name)!));
  return {
    // Line breaks in a value must not end the Subject header.
    subject: fill(template.subject, (v) => v.replace(/[\r\n]+/g, ' ')),
    html: fill(template.body_html, escapeHtml),
    text: fill(template.body_text, (v) => v),
  };
}
