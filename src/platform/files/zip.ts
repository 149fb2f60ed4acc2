import yauzl from 'yauzl';

/**
 * Reads the files of a zip held in memory, within limits, so an upload cannot unpack into
 * more than the server will hold (a zip bomb): at most `maxEntries` entries and
 * `maxTotalBytes` unpacked. The sizes the zip declares are checked before anything is
 * inflated, and yauzl refuses an entry that inflates past its declared size.
 */
export interface ZipLimits {
  maxEntries: number;
  maxTotalBytes: number;
}

export class ZipLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipLimitError';
  }
}

export class ZipFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ZipFormatError';
  }
}

export interface ZipFile {
  name: string;
  data: Buffer;
}

export const isZip = (buf: Buffer) => buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50;

export function readZip(buf: Buffer, limits: ZipLimits): Promise<ZipFile[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip)
        return reject(new ZipFormatError(`not a readable zip: ${err?.message}`, { cause: err }));
      if (zip.entryCount > limits.maxEntries) {
        zip.close();
        return reject(
          new ZipLimitError(`the zip has ${zip.entryCount} entries (at most ${limits.maxEntries})`),
        );
      }
      const files: ZipFile[] = [];
      let total = 0;
      const fail = (e: Error) => {
        zip.close();
        reject(e);
      };
      zip.on('error', (e: Error) =>
        fail(e instanceof ZipLimitError ? e : new ZipFormatError(e.message, { cause: e })),
      );
      zip.on('end', () => resolve(files));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (/\/$/.test(entry.fileName)) return zip.readEntry(); // a directory
        total += entry.uncompressedSize;
        if (total > limits.maxTotalBytes) {
          return fail(
            new ZipLimitError(`the zip unpacks to more than ${limits.maxTotalBytes} bytes`),
          );
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream)
            return fail(new ZipFormatError(`unreadable entry ${entry.fileName}`, { cause: e }));
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (c: Buffer) => {
            size += c.length;
            // validateEntrySizes stops a lying entry too; this bounds memory before it does.
            if (size > entry.uncompressedSize)
              stream.destroy(
                new ZipLimitError(`${entry.fileName} inflates past its declared size`),
              );
            else chunks.push(c);
          });
          stream.on('error', (se: Error) =>
            fail(se instanceof ZipLimitError ? se : new ZipFormatError(se.message, { cause: se })),
          );
          stream.on('end', () => {
            files.push({ name: entry.fileName, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
