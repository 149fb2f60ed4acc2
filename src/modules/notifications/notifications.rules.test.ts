import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { templateRows } from './email-templates.ts';
import {
  escapeHtml,
  placeholders,
  renderTemplate,
  TemplateRenderError,
  validateTemplate,
} from './notifications.rules.ts';

const template = {
  template_key: 'demo',
  locale: 'hr',
  variables: ['name', 'count'],
  subject: 'Bok {{name}}',
  body_html: '<p>{{ name }} ima {{count}} ulaznica</p>',
  body_text: '{{name}}: {{count}}',
};

describe('email template rules', () => {
  it('renders declared variables, escaping HTML only in the HTML body', () => {
    const out = renderTemplate(template, { name: 'Đuro <b>&', count: 4, extra: 'ignored' });
    expect(out).toEqual({
      subject: 'Bok Đuro <b>&',
      html: '<p>Đuro &lt;b&gt;&amp; ima 4 ulaznica</p>',
      text: 'Đuro <b>&: 4',
    });
  });

  it('names missing variables and refuses non-scalar values', () => {
    expect(() => renderTemplate(template, { name: 'Ana' })).toThrow(
      new TemplateRenderError('template "demo" (hr): missing variable(s) count'),
    );
    expect(() => renderTemplate(template, { name: { a: 1 }, count: 1 })).toThrow(
      /variable "name" must be a string or a number/,
    );
  });

  it('keeps line breaks out of the subject', () => {
    expect(renderTemplate(template, { name: 'a\r\nBcc: x@y', count: 1 }).subject).toBe(
      'Bok a Bcc: x@y',
    );
  });

  it('validates edits: undeclared variables, malformed placeholders, multi-line subjects', () => {
    expect(validateTemplate(template, template.variables)).toEqual([]);
    const errors = validateTemplate(
      { subject: 'A\n{{seat}}', body_html: '{{ name }', body_text: '{{count}}' },
      template.variables,
    );
    expect(errors.map((e) => e.field)).toEqual(['body.subject', 'body.body_html', 'body.subject']);
  });

  it('escapes every HTML-significant character', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(escapeHtml(s)).not.toMatch(/[<>"']/);
      }),
    );
  });

  it('ships seed templates that are valid and use exactly their declared variables', () => {
    const rows = templateRows();
    expect(new Set(rows.map((r) => `${r.template_key}/${r.locale}`)).size).toBe(rows.length);
    for (const row of rows) {
      expect(validateTemplate(row, row.variables), `${row.template_key}/${row.locale}`).toEqual([]);
      const used = new Set([
        ...placeholders(row.subject),
        ...placeholders(row.body_html),
        ...placeholders(row.body_text),
      ]);
      expect([...used].sort(), `${row.template_key}/${row.locale}`).toEqual(
        [...row.variables].sort(),
      );
    }
  });
});
