import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jsQRModule from 'jsqr';
import { PDFDocument } from 'pdf-lib';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTicketSigner } from '../../src/modules/tickets/ticket-codes.ts';
import { auditEvents } from '../harness/audit.ts';
import { tool } from '../harness/tools.ts';
import type { TestUser } from '../factories/users.ts';
import { useStripeTestContext } from '../sales/helpers.ts';
import { buy, expectAccess, HOUR, roleMatrix, staff, type Bought } from './helpers.ts';

// jsqr is a CommonJS bundle: Node hands its module.exports (the function) to a default import.
const jsQR = jsQRModule as unknown as (typeof jsQRModule)['default'];

const scratch = mkdtempSync(path.join(tmpdir(), 'hns-print-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const { t, stripe } = await useStripeTestContext({ env: { REFUND_APPROVAL_THRESHOLD: '100000' } });

// The real clients the gate and the tests trust (installed by .ci/run; CI fails without them).
const pdftoppm = tool('pdftoppm');
const pdftotext = tool('pdftotext');
const zbarimg = tool('zbarimg');

let agent: TestUser;
let bought: Bought; // kick-off in 3 h: the QR tier is open
let ticketId: string;
const HOLDER = 'Đurđica Šimić-Čačić';

beforeAll(async () => {
  agent = await staff(t, ['SUPPORT_AGENT']);
  bought = await buy(t, stripe, 2, { kickOff: new Date(t.clock.now().getTime() + 3 * HOUR) });
  ticketId = bought.ticketIds[0]!;
  // Croatian letters on the paper (DejaVu Sans)
  await t.deps.db
    .updateTable('ticket_holders')
    .set({ full_name: HOLDER })
    .where('ticket_id', '=', ticketId)
    .execute();
});

const query = (extra: Record<string, string> = {}) =>
  new URLSearchParams({
    layout: 'a4',
    reason: 'phone battery dead at the gate',
    identity_verified: 'true',
    verification_document_type: 'ID_CARD',
    print_location: 'Gate 3, Poljud',
    ...extra,
  }).toString();

const print = (token: string | undefined, id: string, q = query()) =>
  t.request({ method: 'GET', url: `/admin/tickets/${id}/print?${q}`, token });

const logsOf = (id: string) =>
  t.deps.db
    .selectFrom('print_logs')
    .selectAll()
    .where('ticket_id', '=', id)
    .orderBy('print_number')
    .execute();

const ticketCodes = (id: string) =>
  t.deps.db
    .selectFrom('tickets')
    .select(['barcode', 'qr_code_data'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

let n = 0;
function file(pdf: Buffer): string {
  const f = path.join(scratch, `print-${++n}.pdf`);
  writeFileSync(f, pdf);
  return f;
}

function text(pdf: Buffer): string {
  return execFileSync(pdftotext!, ['-enc', 'UTF-8', file(pdf), '-'], { encoding: 'utf8' });
}

/** The page as PNG at 150 dpi (pdftoppm), then what zbarimg and jsQR read off it. */
function scan(pdf: Buffer) {
  const out = path.join(scratch, `page-${++n}`);
  execFileSync(pdftoppm!, ['-png', '-r', '150', '-singlefile', file(pdf), out]);
  const png = readFileSync(`${out}.png`);
  const zbar = execFileSync(zbarimg!, ['-q', `${out}.png`], { encoding: 'utf8' })
    .trim()
    .split('\n');
  const image = PNG.sync.read(png);
  const js = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  return {
    qr: zbar.filter((l) => l.startsWith('QR-Code:')).map((l) => l.slice('QR-Code:'.length)),
    code128: zbar.filter((l) => l.startsWith('CODE-128:')).map((l) => l.slice('CODE-128:'.length)),
    jsqr: js?.data ?? null,
  };
}

async function pageSize(pdf: Buffer) {
  const doc = await PDFDocument.load(pdf);
  return doc.getPage(0).getSize();
}

describe('emergency print (E10-F4)', () => {
  it('returns a printable A4 PDF with match, seat, holder, barcode, the signed QR and the watermark', async () => {
    if (!pdftoppm || !pdftotext || !zbarimg) return; // outside CI without poppler/zbar
    const codes = await ticketCodes(ticketId);
    const res = await print(agent.token, ticketId);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['x-print-number']).toBe('1');
    expect(res.headers['x-print-warning']).toBeUndefined();
    const pdf = res.rawPayload;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(await pageSize(pdf)).toEqual({ width: 595.28, height: 841.89 });

    // watermark visible, and what the gate needs to read
    const words = text(pdf);
    expect(words).toContain('EMERGENCY REPRINT');
    expect(words).toContain('Hrvatska');
    expect(words).toContain(HOLDER);
    expect(words).toContain(codes.barcode);
    expect(words).not.toContain('DUPLICATE');
    const seat = await t.deps.db
      .selectFrom('tickets as tk')
      .innerJoin('match_seat_inventory as i', 'i.id', 'tk.match_seat_inventory_id')
      .innerJoin('seats as s', 's.id', 'i.seat_id')
      .select(['s.row_identifier', 's.seat_number'])
      .where('tk.id', '=', ticketId)
      .executeTakeFirstOrThrow();
    expect(words).toContain(`Row ${seat.row_identifier} · Seat ${seat.seat_number}`);

    // QR code present: zbarimg and jsQR read the signed payload the app shows
    const scanned = scan(pdf);
    expect(scanned.qr).toEqual([codes.qr_code_data]);
    expect(scanned.jsqr).toBe(codes.qr_code_data);
    expect(getTicketSigner(t.config).verify(scanned.qr[0]!)).toMatchObject({
      ticketId,
      barcode: codes.barcode,
    });
    expect(scanned.code128).toEqual([codes.barcode]);

    // print_logs record created with the agent and the reason, and audited
    const logs = await logsOf(ticketId);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      agent_id: agent.id,
      reason: 'phone battery dead at the gate',
      identity_verified: true,
      verification_document_type: 'ID_CARD',
      print_location: 'Gate 3, Poljud',
      layout: 'a4',
      print_number: 1,
    });
    const events = (await auditEvents(t.deps.db, ticketId)).filter(
      (e) => e.action === 'ticket_emergency_printed',
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      domain: 'support',
      actor: { id: agent.id },
      changes: { print_number: 1, reason: 'phone battery dead at the gate' },
    });
  });

  it('subsequent prints show a warning (header and paper), are logged, keep the same QR; 80 mm layout', async () => {
    if (!pdftoppm || !pdftotext || !zbarimg) return;
    const codes = await ticketCodes(ticketId);
    const other = await staff(t, ['SUPPORT_SUPERVISOR']);
    const res = await print(
      other.token,
      ticketId,
      query({ layout: 'thermal', print_location: 'Gate 5' }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-print-number']).toBe('2');
    expect(res.headers['x-print-warning']).toMatch(
      /^DUPLICATE: print no\. 2; printed 1 time\(s\) before/,
    );
    const pdf = res.rawPayload;
    const size = await pageSize(pdf);
    expect(size.width).toBeCloseTo((80 / 25.4) * 72, 1);
    const words = text(pdf);
    expect(words).toContain('EMERGENCY REPRINT');
    expect(words).toContain('DUPLICATE');
    expect(words).toContain('Gate 3, Poljud'); // where the earlier print was made
    // a reprint does not invalidate the QR: the same payload, the ticket unchanged
    const scanned = scan(pdf);
    expect(scanned.qr).toEqual([codes.qr_code_data]);
    expect(scanned.jsqr).toBe(codes.qr_code_data);
    expect(await ticketCodes(ticketId)).toEqual(codes);
    const logs = await logsOf(ticketId);
    expect(logs.map((l) => [l.print_number, l.agent_id, l.layout])).toEqual([
      [1, agent.id, 'a4'],
      [2, other.id, 'thermal'],
    ]);
    const dup = (await auditEvents(t.deps.db, ticketId)).filter(
      (e) => e.action === 'ticket_reprinted_duplicate',
    );
    expect(dup).toHaveLength(1);
    expect(dup[0]!.changes).toMatchObject({ print_number: 2, previous_prints: 1 });
  });

  it('prints at two gates at once are numbered one after the other', async () => {
    const id = bought.ticketIds[1]!;
    const agents = await Promise.all([1, 2, 3, 4].map(() => staff(t, ['SUPPORT_AGENT'])));
    const results = await Promise.all(agents.map((a) => print(a.token, id)));
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(results.map((r) => r.headers['x-print-number']).sort()).toEqual(['1', '2', '3', '4']);
    expect(results.filter((r) => r.headers['x-print-warning'])).toHaveLength(3);
    expect((await logsOf(id)).map((l) => l.print_number)).toEqual([1, 2, 3, 4]);
  });

  it('needs the identity checked; follows the QR tier; refuses a ticket that no longer admits', async () => {
    const before = (await logsOf(ticketId)).length;
    const unverified = await print(agent.token, ticketId, query({ identity_verified: 'false' }));
    expect([unverified.statusCode, unverified.json().code]).toEqual([422, 'IDENTITY_NOT_VERIFIED']);
    expect(await logsOf(ticketId)).toHaveLength(before);

    const later = await buy(t, stripe, 1); // a month ahead: no QR yet (E9-F2)
    const early = await print(agent.token, later.ticketIds[0]!);
    expect([early.statusCode, early.json().code]).toEqual([403, 'QR_NOT_YET_AVAILABLE']);
    expect(early.json().opens_at).toEqual(expect.any(String));
    expect(await logsOf(later.ticketIds[0]!)).toEqual([]);

    const refunded = await buy(t, stripe, 1, {
      kickOff: new Date(t.clock.now().getTime() + 2 * HOUR),
    });
    const refund = await t.request({
      method: 'POST',
      url: `/admin/orders/${refunded.orderId}/refund`,
      token: agent.token,
      payload: { reason: 'refunded before' },
    });
    expect(refund.statusCode).toBe(201);
    const invalid = await print(agent.token, refunded.ticketIds[0]!);
    expect([invalid.statusCode, invalid.json().code]).toEqual([409, 'TICKET_NOT_VALID']);
    expect(await logsOf(refunded.ticketIds[0]!)).toEqual([]);
  });

  it('refuses bad input with stable problem codes', async () => {
    const cases: Array<[string, string, number, string]> = [
      [ticketId, query({ layout: 'letter' }), 400, 'VALIDATION_FAILED'],
      [ticketId, query({ identity_verified: 'yes' }), 400, 'VALIDATION_FAILED'],
      [ticketId, query({ verification_document_type: 'LIBRARY_CARD' }), 400, 'VALIDATION_FAILED'],
      [ticketId, query({ reason: '' }), 400, 'VALIDATION_FAILED'],
      [
        ticketId,
        'identity_verified=true&verification_document_type=ID_CARD',
        400,
        'VALIDATION_FAILED',
      ],
      [ticketId, query({ extra: '1' }), 400, 'VALIDATION_FAILED'],
      ['nope', query(), 400, 'VALIDATION_FAILED'],
      ['00000000-0000-4000-8000-000000000000', query(), 404, 'NOT_FOUND'],
    ];
    const before = (await logsOf(ticketId)).length;
    for (const [id, q, status, code] of cases) {
      const res = await print(agent.token, id, q);
      expect([res.statusCode, res.json().code], q).toEqual([status, code]);
    }
    expect(await logsOf(ticketId)).toHaveLength(before);
  });

  it('is for SUPPORT_AGENT, SUPPORT_SUPERVISOR and SUPER_ADMIN only', async () => {
    const before = (await logsOf(ticketId)).length;
    let allowed = 0;
    for (const c of await roleMatrix(t)) {
      const res = await print(c.token, ticketId);
      expectAccess(c, res);
      if (c.allowed) {
        allowed++;
        expect(res.statusCode).toBe(200);
      }
    }
    expect(await logsOf(ticketId)).toHaveLength(before + allowed);
  });
});
