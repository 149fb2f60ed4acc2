import { createHash, randomUUID } from 'node:crypto';
import { EncryptedPDFError, PDFDocument } from 'pdf-lib';
import { extractText, getDocumentProxy } from 'unpdf';
import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { fileStoreOf } from '../../platform/files/file-store.ts';
import { isZip, readZip, ZipLimitError } from '../../platform/files/zip.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { sendEmail } from '../notifications/notify.ts';
import { announceTicketsChanged } from '../tickets/ticket-events.ts';
import {
  getMyTicket,
  listValidMatchTickets,
  markExternalTicket,
} from '../tickets/tickets.service.ts';
import {
  assignDocument,
  findDocumentForUpdate,
  findDocumentOfTicket,
  findMatchForPdfs,
  findUploadBySha,
  insertDocuments,
  insertUpload,
  listDocuments,
  listKnownDocumentHashes,
  ticketsWithDocument,
  type NewDocument,
} from './away-pdf.repo.ts';
import { matchDocument, type MatchCandidate } from './wallet.rules.ts';

type Deps = Pick<AppDeps, 'db' | 'config' | 'clock' | 'jobs'>;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const isPdf = (buf: Buffer) => buf.subarray(0, 1024).includes('%PDF-');

/** One ticket's worth of the host's upload: a page of a PDF, or a PDF file of a zip. */
interface HostDocument {
  source: string;
  pdf: Buffer;
  text: string;
}

/** A PDF checked and taken apart: refused as a problem when it cannot be a ticket file. */
async function loadPdf(data: Buffer, name: string): Promise<PDFDocument> {
  if (!isPdf(data)) throw new AppError('PDF_INVALID', `${name} is not a PDF`);
  try {
    return await PDFDocument.load(data, { updateMetadata: false });
  } catch (err) {
    // pdf-lib's EncryptedPDFError does not survive instanceof (ES5 classes): its message does.
    if (err instanceof EncryptedPDFError || /is encrypted/.test((err as Error).message)) {
      throw new AppError(
        'PDF_ENCRYPTED',
        `${name} is encrypted; ask the host for an unprotected file`,
      );
    }
    throw new AppError('PDF_INVALID', `${name} cannot be read as a PDF`);
  }
}

async function pageTexts(data: Buffer, name: string): Promise<string[]> {
  try {
    const proxy = await getDocumentProxy(new Uint8Array(data));
    const { text } = await extractText(proxy, { mergePages: false });
    return text;
  } catch {
    throw new AppError('PDF_INVALID', `The text of ${name} cannot be read`);
  }
}

/** Each page of a PDF as its own one-page PDF, with its text. */
async function splitPages(data: Buffer, name: string): Promise<HostDocument[]> {
  const doc = await loadPdf(data, name);
  const texts = await pageTexts(data, name);
  const count = doc.getPageCount();
  if (count === 1)
    return [{ source: name === 'upload' ? 'page 1' : name, pdf: data, text: texts[0] ?? '' }];
  const pages: HostDocument[] = [];
  for (let i = 0; i < count; i++) {
    const single = await PDFDocument.create({ updateMetadata: false });
    const [page] = await single.copyPages(doc, [i]);
    single.addPage(page);
    pages.push({
      source: name === 'upload' ? `page ${i + 1}` : `${name} page ${i + 1}`,
      pdf: Buffer.from(await single.save()),
      text: texts[i] ?? '',
    });
  }
  return pages;
}

/** The documents of an upload: the pages of a PDF, or of every PDF of a zip (limited). */
async function documentsOf(deps: Pick<AppDeps, 'config'>, body: Buffer): Promise<HostDocument[]> {
  if (!isZip(body)) return splitPages(body, 'upload');
  let files;
  try {
    files = await readZip(body, {
      maxEntries: deps.config.AWAY_PDF_MAX_ZIP_ENTRIES,
      maxTotalBytes: deps.config.AWAY_PDF_MAX_UNZIPPED_BYTES,
    });
  } catch (err) {
    if (err instanceof ZipLimitError) throw new AppError('ZIP_LIMITS_EXCEEDED', err.message);
    throw new AppError('PDF_INVALID', 'The zip cannot be read');
  }
  const pdfs = files.filter((f) => !/(^|\/)(__MACOSX|\.)/.test(f.name));
  if (pdfs.length === 0) throw new AppError('PDF_INVALID', 'The zip holds no PDF');
  const documents: HostDocument[] = [];
  for (const f of pdfs) documents.push(...(await splitPages(f.data, f.name)));
  return documents;
}

const pdfUrlOf = (deps: Pick<AppDeps, 'config'>, ticketId: string) =>
  `${deps.config.PUBLIC_BASE_URL.replace(/\/+$/, '')}/tickets/${ticketId}/external-pdf`;

/**
 * The ticket is admitted by its host PDF from now on (E9-F6): external_pdf_url and
 * external_ticket_required set (its QR hidden), the holder emailed the PDF through the
 * outbox — attached (the delivery loop reads it from the file store when it sends), with
 * the link as well — the passes refreshed. In the caller's transaction; returns the
 * email's log id.
 */
async function handOver(
  deps: Deps,
  trx: Executor,
  ticket: {
    id: string;
    email: string;
    holder_name: string | null;
    home_team: string;
    away_team: string;
  },
  fileKey: string,
) {
  if (!(await markExternalTicket(trx, ticket.id, pdfUrlOf(deps, ticket.id)))) {
    throw new AppError('TICKET_NOT_OF_MATCH', 'The ticket is no longer valid');
  }
  await announceTicketsChanged(deps, trx, [ticket.id], 'EXTERNAL_PDF');
  return sendEmail(deps, trx, {
    template_key: 'away_ticket_pdf',
    to: ticket.email,
    variables: {
      holder_name: ticket.holder_name ?? ticket.email,
      match_name: `${ticket.home_team} – ${ticket.away_team}`,
      pdf_url: pdfUrlOf(deps, ticket.id),
    },
    attachments: [
      { filename: `ulaznica-${ticket.id}.pdf`, content_type: 'application/pdf', file_key: fileKey },
    ],
  });
}

/**
 * POST /admin/matches/{id}/upload-pdf-tickets (E9-F6): the host federation's tickets of an
 * away match, a multi-page PDF or a zip of PDFs. Each page (or file) is matched to a
 * ticket of the match by the holder's name or seat in its text (wallet.rules.ts): matched
 * ones are stored, assigned and emailed; ambiguous and unmatched ones are stored for an
 * admin to assign; a page uploaded before is listed as a duplicate. A file that is not a
 * PDF, an encrypted PDF, a zip past the limits or the same file twice is refused with
 * nothing written; the assignments are one transaction.
 */
export async function uploadPdfTickets(
  deps: Deps,
  adminId: string,
  matchId: string,
  body: Buffer,
  fileName: string | null,
) {
  const match = await findMatchForPdfs(deps.db, matchId);
  if (!match) throw notFound('Match');
  if (match.match_type !== 'AWAY') throw new AppError('NOT_AN_AWAY_MATCH');
  const fileSha = sha256(body);
  if (await findUploadBySha(deps.db, matchId, fileSha)) throw new AppError('PDF_ALREADY_UPLOADED');
  const documents = await documentsOf(deps, body);

  const tickets = await listValidMatchTickets(deps.db, matchId);
  const candidates: MatchCandidate[] = tickets.map((t) => ({
    ticketId: t.id,
    holderName: t.holder_name,
    sector: t.seat.sector_code,
    row: t.seat.row,
    seat: t.seat.seat_number,
  }));
  const byId = new Map(tickets.map((t) => [t.id, t]));
  const uploadId = randomUUID();
  const now = deps.clock.now();
  const store = fileStoreOf(deps.config);
  const hashes = documents.map((d) => sha256(d.text.replace(/\s+/g, ' ').trim() || d.pdf));
  const known = await listKnownDocumentHashes(deps.db, matchId, hashes);
  const alreadyAssigned = await ticketsWithDocument(
    deps.db,
    tickets.map((t) => t.id),
  );

  // Decide every document first; nothing is written until all are decided.
  const claimed = new Set<string>();
  const rows: NewDocument[] = documents.map((doc, i) => {
    const base = {
      id: randomUUID(),
      upload_id: uploadId,
      match_id: matchId,
      source: doc.source,
      sha256: hashes[i]!,
      file_key: `away-pdfs/${matchId}/${uploadId}/${i + 1}.pdf`,
      ticket_id: null,
      candidate_ticket_ids: [] as string[],
      email_log_id: null,
      created_at: now,
    };
    if (known.has(base.sha256) || hashes.indexOf(base.sha256) < i) {
      return {
        ...base,
        file_key: null,
        outcome: 'DUPLICATE' as const,
        reason: 'this page was uploaded before',
      };
    }
    const m = matchDocument(doc.text, candidates);
    if (m.outcome === 'MATCHED') {
      if (alreadyAssigned.has(m.ticketId) || claimed.has(m.ticketId)) {
        return {
          ...base,
          outcome: 'AMBIGUOUS' as const,
          reason: 'the matching ticket already has a PDF',
          candidate_ticket_ids: [m.ticketId],
        };
      }
      claimed.add(m.ticketId);
      return { ...base, outcome: 'MATCHED' as const, reason: `by ${m.by}`, ticket_id: m.ticketId };
    }
    if (m.outcome === 'AMBIGUOUS') {
      return {
        ...base,
        outcome: 'AMBIGUOUS' as const,
        reason: m.reason,
        candidate_ticket_ids: m.candidates,
      };
    }
    return { ...base, outcome: 'UNMATCHED' as const, reason: m.reason };
  });

  // Files first (a store write cannot join the transaction); removed again if it fails.
  const stored: string[] = [];
  try {
    for (const [i, row] of rows.entries()) {
      if (!row.file_key) continue;
      await store.write(row.file_key, documents[i]!.pdf);
      stored.push(row.file_key);
    }
    await deps.db.transaction().execute(async (trx) => {
      if (
        !(await insertUpload(trx, {
          id: uploadId,
          match_id: matchId,
          sha256: fileSha,
          file_name: fileName,
          content_type: isZip(body) ? 'application/zip' : 'application/pdf',
          documents: rows.length,
          uploaded_by: adminId,
          created_at: now,
        }))
      ) {
        throw new AppError('PDF_ALREADY_UPLOADED');
      }
      for (const row of rows) {
        if (row.outcome === 'MATCHED')
          row.email_log_id = await handOver(deps, trx, byId.get(row.ticket_id!)!, row.file_key!);
      }
      await insertDocuments(trx, rows);
      await recordAudit(deps, trx, {
        domain: 'ticket',
        action: 'away_pdfs_uploaded',
        actor: { type: 'user', id: adminId },
        subject: { type: 'match', id: matchId },
        changes: {
          upload_id: uploadId,
          documents: rows.length,
          matched: rows.filter((r) => r.outcome === 'MATCHED').length,
        },
      });
    });
  } catch (err) {
    for (const key of stored) await store.remove(key);
    throw err;
  }
  return uploadResult(uploadId, rows);
}

function uploadResult(uploadId: string, rows: NewDocument[]) {
  const view = (r: NewDocument) => ({
    document_id: r.id,
    source: r.source,
    outcome: r.outcome,
    reason: r.reason,
    ticket_id: r.ticket_id,
    candidate_ticket_ids: r.candidate_ticket_ids,
  });
  const of = (o: string) => rows.filter((r) => r.outcome === o).map(view);
  return {
    upload_id: uploadId,
    documents: rows.length,
    matched: of('MATCHED'),
    ambiguous: of('AMBIGUOUS'),
    unmatched: of('UNMATCHED'),
    duplicates: of('DUPLICATE'),
  };
}

/**
 * POST /admin/matches/{id}/pdf-tickets/assign: an admin gives an ambiguous or unmatched
 * page to a ticket of the match (one without a PDF), which is then handed over as a
 * matched one. Under the document's row lock: of two concurrent assignments one wins.
 */
export async function assignPdfTicket(
  deps: Deps,
  adminId: string,
  matchId: string,
  input: { document_id: string; ticket_id: string },
) {
  const match = await findMatchForPdfs(deps.db, matchId);
  if (!match) throw notFound('Match');
  return deps.db.transaction().execute(async (trx) => {
    const doc = await findDocumentForUpdate(trx, matchId, input.document_id);
    if (!doc) throw notFound('PDF document');
    if (doc.outcome !== 'AMBIGUOUS' && doc.outcome !== 'UNMATCHED') {
      throw new AppError('PDF_ALREADY_ASSIGNED', `The document is ${doc.outcome}`);
    }
    const ticket = (await listValidMatchTickets(trx, matchId)).find(
      (t) => t.id === input.ticket_id,
    );
    if (!ticket) throw new AppError('TICKET_NOT_OF_MATCH');
    if ((await ticketsWithDocument(trx, [ticket.id])).size > 0) {
      throw new AppError('PDF_ALREADY_ASSIGNED', 'The ticket already has a PDF');
    }
    if (!doc.file_key) throw new AppError('PDF_ALREADY_ASSIGNED', 'The document has no file');
    const emailLogId = await handOver(deps, trx, ticket, doc.file_key);
    await assignDocument(trx, {
      id: doc.id,
      ticketId: ticket.id,
      emailLogId,
      by: adminId,
      at: deps.clock.now(),
    });
    await recordAudit(deps, trx, {
      domain: 'ticket',
      action: 'away_pdf_assigned',
      actor: { type: 'user', id: adminId },
      subject: { type: 'ticket', id: ticket.id },
      changes: { document_id: doc.id, match_id: matchId },
    });
    return { document_id: doc.id, ticket_id: ticket.id, outcome: 'ASSIGNED' as const };
  });
}

/** GET /admin/matches/{id}/pdf-tickets: every document, its ticket and its email's state. */
export async function listPdfTickets(deps: Pick<AppDeps, 'db'>, matchId: string) {
  if (!(await findMatchForPdfs(deps.db, matchId))) throw notFound('Match');
  const rows = await listDocuments(deps.db, matchId);
  return {
    items: rows.map((r) => ({
      document_id: r.id,
      upload_id: r.upload_id,
      source: r.source,
      outcome: r.outcome,
      reason: r.reason,
      ticket_id: r.ticket_id,
      candidate_ticket_ids: r.candidate_ticket_ids,
      email: r.email_status ? { status: r.email_status, to: r.recipient_email ?? '' } : null,
      created_at: r.created_at.toISOString(),
    })),
  };
}

/** GET /tickets/{id}/external-pdf: the owner's host PDF (404 for anyone else). */
export async function openExternalPdf(
  deps: Pick<AppDeps, 'db' | 'config' | 'clock'>,
  userId: string,
  ticketId: string,
) {
  await getMyTicket(deps, userId, ticketId); // 404 unless the caller owns it
  const doc = await findDocumentOfTicket(deps.db, ticketId);
  const stream = doc?.file_key ? await fileStoreOf(deps.config).read(doc.file_key) : undefined;
  if (!stream) throw notFound('PDF ticket');
  return stream;
}
