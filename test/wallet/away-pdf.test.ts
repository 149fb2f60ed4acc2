import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, PDFName } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { deliverEmailBatch, mailerOf } from '../../src/modules/notifications/email.delivery.ts';
import { createUser, freshToken } from '../factories/users.ts';
import { startLocalSmtp } from '../harness/servers/smtp.ts';
import { tool } from '../harness/tools.ts';
import { makeZip } from '../harness/zip-writer.ts';
import { useStripeTestContext } from '../sales/helpers.ts';
import { atQrTime, buyTickets, type BoughtTicket } from './helpers.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'hns-away-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const smtp = await startLocalSmtp();
afterAll(() => smtp.close());
const { t, stripe } = await useStripeTestContext({
  seeds: [emailTemplatesSeed],
  env: {
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'HNS Ulaznice <ulaznice@hns.hr>',
    FILE_STORE_DIR: path.join(scratch, 'files'),
    AWAY_PDF_MAX_ZIP_ENTRIES: '6',
    AWAY_PDF_MAX_UNZIPPED_BYTES: String(2 * 1024 * 1024),
  },
});

// A font with Croatian letters (č ć đ š ž), as host federations' PDFs embed one.
// Without it (outside CI) the file is skipped; .ci/run installs fonts-dejavu-core.
const FONT = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'].find((f) => {
  try {
    readFileSync(f);
    return true;
  } catch {
    return false;
  }
});
if (!FONT && process.env.CI)
  throw new Error('DejaVuSans.ttf is missing, and CI must run this check');

/** A host-style ticket PDF: one page per ticket with these lines. */
async function hostPdf(pages: string[][]): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(readFileSync(FONT!), { subset: true });
  for (const lines of pages) {
    const page = doc.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 28, size: 16, font }));
  }
  return Buffer.from(await doc.save());
}

function pdftotext(pdf: Buffer): string | null {
  const bin = tool('pdftotext');
  if (!bin) return null;
  const file = path.join(mkdtempSync(path.join(scratch, 'p-')), 'in.pdf');
  writeFileSync(file, pdf);
  return execFileSync(bin, ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

async function awayMatchWithHolders(names: string[]) {
  const bought = await buyTickets(t, stripe, { count: names.length });
  await t.deps.db
    .updateTable('matches')
    .set({ match_type: 'AWAY' })
    .where('id', '=', bought.sale.matchId)
    .execute();
  for (const [i, name] of names.entries()) {
    await t.deps.db
      .updateTable('ticket_holders')
      .set({ full_name: name })
      .where('ticket_id', '=', bought.tickets[i]!.id)
      .execute();
  }
  return bought;
}

let admin: Awaited<ReturnType<typeof createUser>>;
beforeAll(async () => {
  admin = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});
const upload = async (matchId: string, body: Buffer, type = 'application/pdf') =>
  t.request({
    method: 'POST',
    url: `/admin/matches/${matchId}/upload-pdf-tickets?filename=host.pdf`,
    headers: { 'content-type': type },
    payload: body,
    token: await freshToken(t.deps, admin, ['MATCH_MANAGER']),
  });

const seatLine = (x: BoughtTicket) =>
  `Sector ${x.seat.sector_code} Row ${x.seat.row} Seat ${x.seat.seat_number}`;

const ticketRow = (id: string) =>
  t.deps.db
    .selectFrom('tickets')
    .select(['external_pdf_url', 'external_ticket_required'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe.skipIf(!FONT)('away-match PDF tickets (E9-F6)', () => {
  it('matches pages by name (case, diacritics, name order) or seat; lists ambiguous and unmatched; stores, flags, hides the QR, emails', async () => {
    const { fan, tickets, sale } = await awayMatchWithHolders([
      'Ana Marija Perić',
      'Đurđa Šimić',
      'Ivan Horvat',
      'Ivan Horvat',
    ]);
    const [ana, durda, ivan1, ivan2] = tickets as [
      BoughtTicket,
      BoughtTicket,
      BoughtTicket,
      BoughtTicket,
    ];
    const pdf = await hostPdf([
      ['UEFA Nations League', 'Admission, guest sector', seatLine(ana)],
      ['Karte / Tickets', 'Name: šimić đurđa'],
      ['Holder: Ivan Horvat', 'Block 12 entry'],
      ['Holder: HORVAT Ivan', seatLine(ivan2)],
      ['Holder: Marko Marić'],
      ['Gate 4', 'No holder printed'],
    ]);
    // the cross-check: the text a PDF reader finds carries the diacritics
    const text = pdftotext(pdf);
    if (text !== null) {
      expect(text).toContain('šimić đurđa');
      expect(text).toContain('Marko Marić');
    }

    const res = await upload(sale.matchId, pdf);
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json();
    expect(result.documents).toBe(6);
    const bySource = (list: Array<{ source: string; ticket_id: string | null }>) =>
      Object.fromEntries(list.map((d) => [d.source, d.ticket_id]));
    expect(bySource(result.matched)).toEqual({
      'page 1': ana.id, // by seat
      'page 2': durda.id, // by name: case, diacritics and order of names do not matter
      'page 4': ivan2.id, // a shared name told apart by the seat
    });
    expect(result.ambiguous).toMatchObject([{ source: 'page 3' }]);
    expect(result.ambiguous[0].candidate_ticket_ids.sort()).toEqual([ivan1.id, ivan2.id].sort());
    expect(result.unmatched).toMatchObject([{ source: 'page 5' }, { source: 'page 6' }]);

    // URL and flag set on the matched tickets only
    for (const x of [ana, durda, ivan2]) {
      expect(await ticketRow(x.id)).toEqual({
        external_pdf_url: `${t.config.PUBLIC_BASE_URL}/tickets/${x.id}/external-pdf`,
        external_ticket_required: true,
      });
    }
    expect((await ticketRow(ivan1.id)).external_ticket_required).toBe(false);

    // the QR is not returned for them, even once it would open
    await atQrTime(t, ana, async () => {
      const token = await freshToken(t.deps, fan);
      const view = (await t.request({ method: 'GET', url: `/tickets/${ana.id}`, token })).json();
      expect(view).toMatchObject({
        qr_code_data: null,
        barcode: null,
        external_ticket_required: true,
      });
      const qr = await t.request({ method: 'GET', url: `/tickets/${ana.id}/qr`, token });
      expect(qr.statusCode).toBe(409);
      expect(qr.json().code).toBe('EXTERNAL_TICKET_REQUIRED');
      const other = (await t.request({ method: 'GET', url: `/tickets/${ivan1.id}`, token })).json();
      expect(other.qr_code_data).toMatch(/^HNS1:/);
    });

    // the stored PDF is the holder's page
    const own = await t.request({
      method: 'GET',
      url: `/tickets/${durda.id}/external-pdf`,
      token: await freshToken(t.deps, fan),
    });
    expect(own.statusCode).toBe(200);
    expect(own.headers['content-type']).toBe('application/pdf');
    const page = pdftotext(own.rawPayload);
    if (page !== null) expect(page).toContain('šimić đurđa');
    expect((await PDFDocument.load(own.rawPayload)).getPageCount()).toBe(1);

    // one email per matched holder through the outbox, its send state listed per ticket
    const emails = await t.deps.db
      .selectFrom('email_logs')
      .select(['recipient_email', 'template_key', 'variables_json', 'status'])
      .where('template_key', '=', 'away_ticket_pdf')
      .execute();
    expect(emails).toHaveLength(3);
    expect(emails.map((e) => (e.variables_json as { pdf_url: string }).pdf_url).sort()).toEqual(
      [ana, durda, ivan2]
        .map((x) => `${t.config.PUBLIC_BASE_URL}/tickets/${x.id}/external-pdf`)
        .sort(),
    );
    const listed = await t.request({
      method: 'GET',
      url: `/admin/matches/${sale.matchId}/pdf-tickets`,
      token: await freshToken(t.deps, admin, ['MATCH_MANAGER']),
    });
    expect(listed.statusCode).toBe(200);
    const items = listed.json().items as Array<{
      ticket_id: string | null;
      email: { status: string } | null;
      outcome: string;
    }>;
    expect(
      items.filter((i) => i.outcome === 'MATCHED').every((i) => i.email?.status === 'QUEUED'),
    ).toBe(true);

    // the admin resolves the ambiguous page by hand
    const token = await freshToken(t.deps, admin, ['MATCH_MANAGER']);
    const assigned = await t.request({
      method: 'POST',
      url: `/admin/matches/${sale.matchId}/pdf-tickets/assign`,
      payload: { document_id: result.ambiguous[0].document_id, ticket_id: ivan1.id },
      token,
    });
    expect(assigned.statusCode, assigned.body).toBe(200);
    expect((await ticketRow(ivan1.id)).external_ticket_required).toBe(true);
    // again, or the unmatched page onto a ticket that has its PDF: 409, nothing changes
    const again = await t.request({
      method: 'POST',
      url: `/admin/matches/${sale.matchId}/pdf-tickets/assign`,
      payload: { document_id: result.ambiguous[0].document_id, ticket_id: ivan1.id },
      token,
    });
    expect(again.statusCode).toBe(409);
    const taken = await t.request({
      method: 'POST',
      url: `/admin/matches/${sale.matchId}/pdf-tickets/assign`,
      payload: { document_id: result.unmatched[0].document_id, ticket_id: ana.id },
      token,
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('PDF_ALREADY_ASSIGNED');

    // the same PDF twice: refused, nothing written
    const before = await t.deps.db.selectFrom('away_pdf_documents').select('id').execute();
    const twice = await upload(sale.matchId, pdf);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('PDF_ALREADY_UPLOADED');
    expect(await t.deps.db.selectFrom('away_pdf_documents').select('id').execute()).toHaveLength(
      before.length,
    );
  });

  it('emails each holder their PDF as an attachment over SMTP (the outbox reads it from the file store)', async () => {
    const { tickets, sale } = await awayMatchWithHolders(['Željka Čović', 'Tomislav Babić']);
    const [zeljka, tomislav] = tickets as [BoughtTicket, BoughtTicket];
    const result = (
      await upload(
        sale.matchId,
        await hostPdf([
          ['Ticket', 'Holder: ČOVIĆ Željka', seatLine(zeljka)],
          ['Ticket', 'Holder: Tomislav Babić', seatLine(tomislav)],
        ]),
      )
    ).json();
    expect(result.matched).toHaveLength(2);
    // The outbox row names the stored file, not its bytes.
    const logs = await t.deps.db
      .selectFrom('email_logs')
      .select(['id', 'attachments_json', 'variables_json'])
      .where('template_key', '=', 'away_ticket_pdf')
      .where(
        'id',
        'in',
        (
          await t.deps.db
            .selectFrom('away_pdf_documents')
            .select('email_log_id')
            .where('match_id', '=', sale.matchId)
            .where('email_log_id', 'is not', null)
            .execute()
        ).map((d) => d.email_log_id!),
      )
      .execute();
    expect(logs).toHaveLength(2);
    for (const log of logs) {
      expect(log.attachments_json).toEqual([
        expect.objectContaining({
          content_type: 'application/pdf',
          file_key: expect.stringMatching(/^away-pdfs\//),
        }),
      ]);
    }
    // Tomislav's stored page is lost before the send: his email is given up, with why.
    const docs = await t.deps.db
      .selectFrom('away_pdf_documents')
      .select(['ticket_id', 'file_key', 'email_log_id'])
      .where('match_id', '=', sale.matchId)
      .execute();
    const lost = docs.find((d) => d.ticket_id === tomislav.id)!;
    rmSync(path.join(scratch, 'files', lost.file_key!));

    const before = smtp.received.length;
    while ((await deliverEmailBatch(t.deps, mailerOf(t.deps))) > 0);
    const mails = smtp.received
      .slice(before)
      .filter((m) => m.parsed.attachments.some((a) => a.filename === `ulaznica-${zeljka.id}.pdf`));
    expect(mails).toHaveLength(1);
    const mail = mails[0]!.parsed;
    expect(mail.text).toContain('privitku');
    const pdfPart = mail.attachments.find((a) => a.contentType === 'application/pdf')!;
    expect(pdfPart.filename).toBe(`ulaznica-${zeljka.id}.pdf`);
    expect(pdfPart.content.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdftotext(pdfPart.content);
    if (text !== null) expect(text).toContain('ČOVIĆ Željka');
    expect((await PDFDocument.load(pdfPart.content)).getPageCount()).toBe(1);
    // Nothing of Tomislav's went out; his log says why, and it is not retried.
    expect(
      smtp.received
        .slice(before)
        .some((m) => m.parsed.attachments.some((a) => a.filename?.includes(tomislav.id))),
    ).toBe(false);
    const failed = await t.deps.db
      .selectFrom('email_logs')
      .select(['status', 'error_message', 'next_attempt_at'])
      .where('id', '=', lost.email_log_id!)
      .executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ status: 'FAILED', next_attempt_at: null });
    expect(failed.error_message).toContain('no longer stored');
    const sent = await t.deps.db
      .selectFrom('email_logs')
      .select('status')
      .where('id', '=', docs.find((d) => d.ticket_id === zeljka.id)!.email_log_id!)
      .executeTakeFirstOrThrow();
    expect(sent.status).toBe('SENT');
  });

  it('takes a zip of PDFs; a page uploaded before is a listed duplicate', async () => {
    const { tickets, sale } = await awayMatchWithHolders(['Petra Jurić', 'Tomislav Babić']);
    const petra = await hostPdf([['Name: Jurić Petra']]);
    const zip = makeZip([
      { name: 'tickets/jurić.pdf', data: petra },
      { name: 'tickets/babić.pdf', data: await hostPdf([['Name: TOMISLAV BABIC']]) },
    ]);
    const res = await upload(sale.matchId, zip, 'application/zip');
    expect(res.statusCode, res.body).toBe(200);
    expect(
      Object.fromEntries(
        res
          .json()
          .matched.map((d: { source: string; ticket_id: string }) => [d.source, d.ticket_id]),
      ),
    ).toEqual({
      'tickets/jurić.pdf': tickets[0]!.id,
      'tickets/babić.pdf': tickets[1]!.id,
    });
    // the same page inside another file: a duplicate, not a second assignment
    const again = await upload(
      sale.matchId,
      makeZip([{ name: 'resend.pdf', data: petra }]),
      'application/zip',
    );
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ matched: [], duplicates: [{ source: 'resend.pdf' }] });
  });

  it('refuses bad files with a problem and assigns nothing', async () => {
    const { tickets, sale } = await awayMatchWithHolders(['Mia Novak']);
    const good = await hostPdf([['Name: Mia Novak']]);
    const refused = async (body: Buffer, type: string, status: number, code: string) => {
      const res = await upload(sale.matchId, body, type);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().code).toBe(code);
    };
    await refused(Buffer.from('GIF89a not a pdf'), 'application/pdf', 422, 'PDF_INVALID');
    await refused(Buffer.from('%PDF-1.7 truncated'), 'application/pdf', 422, 'PDF_INVALID');

    // an encrypted PDF (an /Encrypt dictionary in the trailer)
    const locked = await PDFDocument.load(good);
    locked.context.trailerInfo.Encrypt = locked.context.obj({
      Filter: PDFName.of('Standard'),
      V: 1,
      R: 2,
      P: -4,
    });
    await refused(Buffer.from(await locked.save()), 'application/pdf', 422, 'PDF_ENCRYPTED');

    // zip bombs: too many entries, or more unpacked than allowed (2 MiB here)
    await refused(
      makeZip(Array.from({ length: 7 }, (_, i) => ({ name: `${i}.pdf`, data: good }))),
      'application/zip',
      413,
      'ZIP_LIMITS_EXCEEDED',
    );
    const bomb = makeZip([{ name: 'big.pdf', data: Buffer.alloc(3 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(10_000);
    await refused(bomb, 'application/zip', 413, 'ZIP_LIMITS_EXCEEDED');
    // a good PDF beside a file that is not one: the whole zip is refused
    await refused(
      makeZip([
        { name: 'a.pdf', data: good },
        { name: 'b.pdf', data: Buffer.from('nope') },
      ]),
      'application/zip',
      422,
      'PDF_INVALID',
    );

    expect(await ticketRow(tickets[0]!.id)).toEqual({
      external_pdf_url: null,
      external_ticket_required: false,
    });
    expect(
      await t.deps.db
        .selectFrom('away_pdf_uploads')
        .select('id')
        .where('match_id', '=', sale.matchId)
        .execute(),
    ).toEqual([]);

    // a home match takes no host PDFs; an unknown match is 404
    await t.deps.db
      .updateTable('matches')
      .set({ match_type: 'HOME' })
      .where('id', '=', sale.matchId)
      .execute();
    await refused(good, 'application/pdf', 409, 'NOT_AN_AWAY_MATCH');
    const missing = await upload(crypto.randomUUID(), good);
    expect(missing.statusCode).toBe(404);
  });

  it('concurrent uploads of one file and concurrent assignments of one page: one wins', async () => {
    const { tickets, sale } = await awayMatchWithHolders(['Ivo Ivić', 'Ivo Ivić', 'Ana Anić']);
    const pdf = await hostPdf([['Holder: Ivo Ivić'], ['Holder: Ana Anić']]);
    const uploads = await Promise.all(Array.from({ length: 6 }, () => upload(sale.matchId, pdf)));
    expect(uploads.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const won = uploads.find((r) => r.statusCode === 200)!.json();
    const documents = await t.deps.db
      .selectFrom('away_pdf_documents')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .execute();
    expect(documents).toHaveLength(2);

    const token = await freshToken(t.deps, admin, ['MATCH_MANAGER']);
    const page = won.ambiguous[0].document_id as string;
    const assigns = await Promise.all(
      [tickets[0]!, tickets[1]!, tickets[0]!, tickets[1]!, tickets[0]!, tickets[1]!].map((x) =>
        t.request({
          method: 'POST',
          url: `/admin/matches/${sale.matchId}/pdf-tickets/assign`,
          payload: { document_id: page, ticket_id: x.id },
          token,
        }),
      ),
    );
    expect(assigns.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(assigns.filter((r) => r.statusCode === 409)).toHaveLength(5);
    const flagged = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('id', 'in', [tickets[0]!.id, tickets[1]!.id])
      .where('external_ticket_required', '=', true)
      .execute();
    expect(flagged).toHaveLength(1);
    const report = await auditMatchInvariants(t.deps, sale.matchId);
    expect(
      report.invariants.find((i) => i.name === 'external_ticket_without_one_pdf')?.violations,
    ).toBe(0);
    expect(report.ok).toBe(true);
  });
});
