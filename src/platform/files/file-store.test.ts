import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { assertFileKey, fileStoreOf, InvalidFileKeyError, localFileStore } from './file-store.ts';

const root = mkdtempSync(path.join(tmpdir(), 'hns-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const store = localFileStore(root);

describe('the local file store', () => {
  it('writes a stream, a buffer or a string under a key and reads it back', async () => {
    await store.write('exports/a/report.csv', Readable.from(['id,amount\n', '1,500\n']));
    await store.write('pdf/x.pdf', Buffer.from('%PDF-1.7'));
    await store.write('plain.txt', 'hello');
    expect(await text((await store.read('exports/a/report.csv'))!)).toBe('id,amount\n1,500\n');
    expect(await text((await store.read('pdf/x.pdf'))!)).toBe('%PDF-1.7');
    expect(await store.size('plain.txt')).toBe(5);
  });

  it('answers undefined for a missing key and removes files', async () => {
    expect(await store.read('missing/file')).toBeUndefined();
    expect(await store.size('missing/file')).toBeUndefined();
    await store.write('gone.txt', 'x');
    await store.remove('gone.txt');
    expect(await store.read('gone.txt')).toBeUndefined();
    await store.remove('gone.txt'); // removing twice is fine
  });

  it('leaves no partial file behind when the source fails', async () => {
    const failing = new Readable({
      read() {
        this.push('half');
        this.destroy(new Error('source broke'));
      },
    });
    await expect(store.write('broken/file.csv', failing)).rejects.toThrow('source broke');
    expect(await store.read('broken/file.csv')).toBeUndefined();
    expect(readdirSync(path.join(root, 'broken'))).toEqual([]);
  });

  it('refuses keys that could leave the store', async () => {
    for (const key of ['../etc/passwd', '/abs', 'a//b', '.hidden', 'a/../b', '', 'a\\b', 'é']) {
      expect(() => assertFileKey(key), key).toThrow(InvalidFileKeyError);
    }
    await expect(store.write('../escape', 'x')).rejects.toThrow(InvalidFileKeyError);
  });

  it('property: every accepted key resolves inside the root', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (key) => {
        let segments: string[];
        try {
          segments = assertFileKey(key);
        } catch {
          return true;
        }
        const resolved = path.resolve(root, ...segments);
        return resolved.startsWith(root + path.sep);
      }),
    );
  });

  it('is FILE_STORE_DIR when set, else DATA_DIR/files', async () => {
    await fileStoreOf({ DATA_DIR: root, FILE_STORE_DIR: undefined }).write('k.txt', 'v');
    expect(await text((await store.read('files/k.txt'))!)).toBe('v');
    await fileStoreOf({ DATA_DIR: '/nonexistent', FILE_STORE_DIR: root }).write('k2.txt', 'w');
    expect(await store.size('k2.txt')).toBe(1);
  });
});
