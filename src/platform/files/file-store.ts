import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.ts';

/**
 * Files the system makes or receives (report exports, away-match PDFs): written once under
 * a key, read back as a stream. A key is a relative path of safe segments
 * (`exports/2026/…/report.csv`); anything else is refused, so a key built from request
 * data can never leave the store.
 */
export interface FileStore {
  /** Writes the whole source under the key (atomically: readers never see half a file). */
  write(key: string, source: Readable | Buffer | string): Promise<{ bytes: number }>;
  /** The file as a stream; `undefined` when there is none under the key. */
  read(key: string): Promise<Readable | undefined>;
  size(key: string): Promise<number | undefined>;
  remove(key: string): Promise<void>;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export class InvalidFileKeyError extends Error {
  constructor(key: string) {
    super(`not a file store key: ${JSON.stringify(key)}`);
    this.name = 'InvalidFileKeyError';
  }
}

/** Checks a key: 1–12 segments of letters, digits, `.`, `_`, `-`, none starting with a dot. */
export function assertFileKey(key: string): string[] {
  const segments = key.split('/');
  if (segments.length > 12 || !segments.every((s) => SEGMENT.test(s))) {
    throw new InvalidFileKeyError(key);
  }
  return segments;
}

/** A FileStore on a local (or mounted) directory. */
export function localFileStore(root: string): FileStore {
  const absoluteRoot = path.resolve(root);
  const pathOf = (key: string) => path.join(absoluteRoot, ...assertFileKey(key));
  const sizeOf = async (file: string) => {
    try {
      return (await stat(file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  return {
    async write(key, source) {
      const target = pathOf(key);
      await mkdir(path.dirname(target), { recursive: true });
      // Written beside the target and renamed into place: a reader (or a crash) never
      // sees a partial file under the key.
      const partial = `${target}.${randomUUID()}.partial`;
      try {
        const input = Readable.isReadable(source as Readable)
          ? (source as Readable)
          : Readable.from([source as Buffer | string]);
        await pipeline(input, createWriteStream(partial, { mode: 0o640 }));
        await rename(partial, target);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
      return { bytes: (await sizeOf(target)) ?? 0 };
    },
    async read(key) {
      const file = pathOf(key);
      if ((await sizeOf(file)) === undefined) return undefined;
      return createReadStream(file);
    },
    size: (key) => sizeOf(pathOf(key)),
    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}

/** The configured store: FILE_STORE_DIR, else DATA_DIR/files. */
export function fileStoreOf(config: Pick<Config, 'DATA_DIR' | 'FILE_STORE_DIR'>): FileStore {
  return localFileStore(config.FILE_STORE_DIR ?? path.join(config.DATA_DIR, 'files'));
}
