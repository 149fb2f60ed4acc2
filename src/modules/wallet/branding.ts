import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

/**
 * The HNS branding of wallet passes: the red-and-white šahovnica (the federation's
 * checkerboard) as the pass icon and logo, drawn here as PNGs so the repository holds the
 * source of its images (`node scripts/generate-wallet-assets.ts` writes
 * `src/modules/wallet/assets/`; a test checks the committed files are what it draws).
 */

export const HNS_RED = { r: 0xd2, g: 0x10, b: 0x34 };
export const HNS_BLUE = { r: 0x0b, g: 0x1f, b: 0x4b };
export const WHITE = { r: 0xff, g: 0xff, b: 0xff };

type Rgba = { r: number; g: number; b: number; a?: number };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An RGBA PNG of `width`×`height` whose pixels `pixel(x, y)` gives. */
export function encodePng(width: number, height: number, pixel: (x: number, y: number) => Rgba) {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const p = pixel(x, y);
      raw.set([p.r, p.g, p.b, p.a ?? 255], row + 1 + x * 4);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 5×5 šahovnica (red first) filling a square of `size` px inside a margin. */
function checkerboard(size: number, margin: number) {
  const cell = (size - 2 * margin) / 5;
  return (x: number, y: number): Rgba | undefined => {
    const cx = Math.floor((x - margin) / cell);
    const cy = Math.floor((y - margin) / cell);
    if (cx < 0 || cy < 0 || cx > 4 || cy > 4) return undefined;
    return (cx + cy) % 2 === 0 ? HNS_RED : WHITE;
  };
}

/** Icon: the šahovnica on the federation's blue. */
export function drawIcon(size: number): Buffer {
  const board = checkerboard(size, Math.round(size / 8));
  return encodePng(size, size, (x, y) => board(x, y) ?? HNS_BLUE);
}

/** Logo (160×50 pt): the šahovnica at the left on a transparent strip (logoText beside it). */
export function drawLogo(scale: number): Buffer {
  const height = 50 * scale;
  const board = checkerboard(height, 4 * scale);
  return encodePng(160 * scale, height, (x, y) => board(x, y) ?? { ...WHITE, a: 0 });
}

/** The files of a pass bundle and how to draw each. */
export const PASS_ASSETS: Record<string, () => Buffer> = {
  'icon.png': () => drawIcon(29),
  'icon@2x.png': () => drawIcon(58),
  'icon@3x.png': () => drawIcon(87),
  'logo.png': () => drawLogo(1),
  'logo@2x.png': () => drawLogo(2),
  'logo@3x.png': () => drawLogo(3),
};

export const ASSETS_DIR = new URL('./assets/', import.meta.url);

let loaded: Record<string, Buffer> | undefined;

/** The committed asset files, read once per process. */
export function passAssets(): Record<string, Buffer> {
  loaded ??= Object.fromEntries(
    Object.keys(PASS_ASSETS).map((name) => [name, readFileSync(new URL(name, ASSETS_DIR))]),
  );
  return loaded;
}
