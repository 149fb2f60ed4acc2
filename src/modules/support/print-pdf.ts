import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import bwipjs from 'bwip-js';
import { degrees, PDFDocument, rgb, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import QRCode from 'qrcode';

/**
 * The emergency ticket as a PDF (E10-F4), in two layouts: A4 (an office printer) and
 * 80 mm thermal roll (the gate's receipt printer). Both carry match, kick-off, seat,
 * holder, order number, the barcode (digits and Code 128), the signed QR (the same payload
 * the app shows) and "EMERGENCY REPRINT" as a diagonal watermark and a heading; a
 * duplicate print says so with its number.
 *
 * Text is set in DejaVu Sans (Croatian č ć đ š ž) from the system fonts (Debian/Ubuntu
 * `fonts-dejavu-core`, Fedora/Alpine paths); where none is installed the PDF falls back to
 * Helvetica with diacritics spelled without marks, so a print never fails for a font.
 */

export type PrintLayout = 'a4' | 'thermal';

export interface PrintContent {
  match: string;
  competition: string;
  kickOff: string;
  stadium: string | null;
  sector: string;
  row: string;
  seat: number;
  holder: string;
  orderNumber: string;
  barcode: string;
  qrPayload: string;
  printNumber: number;
  /** For a duplicate: the warning printed on it. */
  warning: string | null;
  printedAt: string;
}

export const WATERMARK = 'EMERGENCY REPRINT';

const FONT_PATHS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
];

let fontBytes: Uint8Array | null | undefined;
function systemFont(): Uint8Array | null {
  if (fontBytes !== undefined) return fontBytes;
  fontBytes = null;
  for (const path of FONT_PATHS) {
    try {
      fontBytes = readFileSync(path);
      break;
    } catch {
      // not at this path
    }
  }
  return fontBytes;
}

const PLAIN: Record<string, string> = { č: 'c', ć: 'c', đ: 'd', Č: 'C', Ć: 'C', Đ: 'D', '–': '-' };
const plain = (text: string) => text.replace(/[čćđČĆĐ–]/g, (c) => PLAIN[c]!);

interface Geometry {
  width: number;
  height: number;
  margin: number;
  title: number;
  text: number;
  qr: number;
}

const MM = 72 / 25.4;
const GEOMETRY: Record<PrintLayout, Geometry> = {
  a4: { width: 595.28, height: 841.89, margin: 56, title: 22, text: 13, qr: 220 },
  // 80 mm paper, 72 mm printable: 4 mm margins.
  thermal: { width: 80 * MM, height: 170 * MM, margin: 4 * MM, title: 12, text: 8.5, qr: 150 },
};

export async function renderPrintPdf(layout: PrintLayout, c: PrintContent): Promise<Buffer> {
  const g = GEOMETRY[layout];
  const doc = await PDFDocument.create();
  doc.setTitle(`${WATERMARK} – ${c.match}`);
  doc.setSubject(`Ticket ${c.barcode}, print ${c.printNumber}`);
  doc.setProducer('HNS ticketing');
  doc.setCreationDate(new Date(c.printedAt));
  doc.setModificationDate(new Date(c.printedAt));
  const bytes = systemFont();
  let font: PDFFont;
  let bold: PDFFont;
  let t: (s: string) => string = (s) => s;
  if (bytes) {
    doc.registerFontkit(fontkit);
    font = await doc.embedFont(bytes, { subset: true });
    bold = font;
  } else {
    font = await doc.embedFont(StandardFonts.Helvetica);
    bold = await doc.embedFont(StandardFonts.HelveticaBold);
    t = plain;
  }
  const page = doc.addPage([g.width, g.height]);
  watermark(page, bold, g, t(WATERMARK));

  const inner = g.width - 2 * g.margin;
  let y = g.height - g.margin;
  const line = (text: string, size = g.text, f = font, gap = 1.45) => {
    for (const part of wrap(t(text), f, size, inner)) {
      y -= size * gap;
      page.drawText(part, { x: g.margin, y, size, font: f, color: rgb(0, 0, 0) });
    }
  };
  line(WATERMARK, g.title, bold);
  line('HNS – Hrvatski nogometni savez', g.text);
  if (c.warning) line(c.warning, g.text, bold);
  y -= g.text * 0.6;
  line(c.match, g.title * 0.85, bold);
  line(c.competition);
  line(`Kick-off: ${c.kickOff}`);
  if (c.stadium) line(c.stadium);
  y -= g.text * 0.6;
  line(`Sector ${c.sector} · Row ${c.row} · Seat ${c.seat}`, g.text * 1.15, bold);
  line(`Holder: ${c.holder}`);
  line(`Order: ${c.orderNumber}`);

  // The signed QR the turnstiles verify, with a quiet zone (margin 4 modules).
  const qrPng = await QRCode.toBuffer(c.qrPayload, {
    errorCorrectionLevel: 'M',
    margin: 4,
    type: 'png',
    width: 600,
  });
  const qr = await doc.embedPng(qrPng);
  y -= g.qr + g.text;
  page.drawImage(qr, { x: (g.width - g.qr) / 2, y, width: g.qr, height: g.qr });

  const code128 = await bwipjs.toBuffer({
    bcid: 'code128',
    text: c.barcode,
    scale: 3,
    height: 10,
    includetext: false,
  });
  const bar = await doc.embedPng(code128);
  const barWidth = Math.min(inner, g.qr * 1.2);
  const barHeight = barWidth * (bar.height / bar.width);
  y -= barHeight + g.text;
  page.drawImage(bar, { x: (g.width - barWidth) / 2, y, width: barWidth, height: barHeight });
  line(c.barcode, g.text * 1.1, bold);
  y -= g.text * 0.6;
  line(`Printed ${c.printedAt} · print no. ${c.printNumber}`, g.text * 0.8);
  line('Valid with an identity document. The first scan at the gate admits.', g.text * 0.8);
  return Buffer.from(await doc.save());
}

function watermark(page: PDFPage, font: PDFFont, g: Geometry, text: string) {
  const diagonal = Math.hypot(g.width, g.height);
  const size = Math.min(90, (diagonal * 0.8) / (font.widthOfTextAtSize(text, 1) || 1));
  const angle = Math.atan2(g.height, g.width);
  const w = font.widthOfTextAtSize(text, size);
  // Centred on the page along its diagonal, light enough to read the ticket through.
  page.drawText(text, {
    x: g.width / 2 - (Math.cos(angle) * w) / 2 + (Math.sin(angle) * size) / 3,
    y: g.height / 2 - (Math.sin(angle) * w) / 2 - (Math.cos(angle) * size) / 3,
    size,
    font,
    color: rgb(0.85, 0.1, 0.1),
    opacity: 0.18,
    rotate: degrees((angle * 180) / Math.PI),
  });
}

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const next = current ? `${current} ${word}` : word;
    if (current && font.widthOfTextAtSize(next, size) > width) {
      out.push(current);
      current = word;
    } else current = next;
  }
  if (current) out.push(current);
  return out;
}
