import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logging.ts';

/** A logger writing into an array of lines. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger('info', sink) };
}

describe('log redaction', () => {
  it('censors credentials, OIB and passport numbers wherever they appear', () => {
    const { lines, log } = capture();
    log.info(
      {
        req: { headers: { authorization: 'Bearer secret-token', cookie: 'sid=1' } },
        profile: { full_name: 'Ivan Horvat', oib: '69435151530', passport_number: 'P1234567' },
        holders: { first: { oib: '69435151530' } },
        refresh_token: 'rt-123',
      },
      'saved',
    );
    const out = lines.join('');
    for (const secret of ['secret-token', 'sid=1', '69435151530', 'P1234567', 'rt-123'])
      expect(out).not.toContain(secret);
    expect(out).toContain('Ivan Horvat');
    expect(out).toContain('[redacted]');
  });

  it('censors credentials in a request URL query string (signed download links)', () => {
    const { lines, log } = capture();
    log.info(
      { req: { method: 'GET', url: '/admin/reports/exports/1/download?token=eyJabc.def&x=1' } },
      'incoming request',
    );
    const out = lines.join('');
    expect(out).not.toContain('eyJabc');
    expect(out).toContain('/admin/reports/exports/1/download?token=[redacted]&x=1');
  });
});
