import { Busboy, type BusboyInstance } from '@fastify/busboy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

/**
 * A file a route received, whatever the encoding: the raw request body with one of the
 * route's media types (curl --data-binary, scripts), or the one file of a
 * multipart/form-data form (a browser's file input, `curl -F file=@…`) with the form's
 * text fields beside it.
 */
export class Upload {
  readonly bytes: Buffer;
  readonly filename: string | null;
  readonly contentType: string;
  /** The form's text fields; empty for a raw body. */
  readonly fields: Readonly<Record<string, string>>;

  constructor(
    bytes: Buffer,
    filename: string | null,
    contentType: string,
    fields: Readonly<Record<string, string>> = {},
  ) {
    this.bytes = bytes;
    this.filename = filename;
    this.contentType = contentType;
    this.fields = fields;
  }
}

/** Room for a form's boundaries, part headers and text fields beside the file itself. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * Lets the routes of `scope` (their own plugin context, so no other route accepts files)
 * take an upload as the raw body of one of `types`, or as a multipart form with exactly one
 * file. Either way `request.body` becomes an `Upload` (read it with `uploadOf`); a body over
 * `maxBytes` answers 413 PAYLOAD_TOO_LARGE before anything is parsed, a broken form 400
 * UPLOAD_INVALID.
 */
export function acceptUploads(
  scope: FastifyInstance,
  options: { types: readonly string[]; maxBytes: number },
): void {
  for (const type of options.types) {
    if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
  }
  scope.addContentTypeParser(
    [...options.types],
    { parseAs: 'buffer', bodyLimit: options.maxBytes },
    (request, body, done) => {
      done(null, new Upload(body as Buffer, null, mediaTypeOf(request)));
    },
  );
  scope.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: options.maxBytes + FORM_OVERHEAD_BYTES },
    (request, body, done) => {
      readForm(request.headers['content-type'] ?? '', body as Buffer, options.maxBytes).then(
        (upload) => done(null, upload),
        (error: unknown) => done(error as Error),
      );
    },
  );
}

/** The upload of a request whose scope `acceptUploads`, or null when it carried none. */
export function uploadOf(request: FastifyRequest): Upload | null {
  return request.body instanceof Upload ? request.body : null;
}

function mediaTypeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parses a buffered multipart body: exactly one file part, any number of text fields. */
function readForm(contentType: string, body: Buffer, maxFileBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const invalid = (message: string) => reject(new AppError('UPLOAD_INVALID', message));
    let parser: BusboyInstance;
    try {
      parser = new Busboy({
        headers: { 'content-type': contentType },
        limits: { files: 1, fileSize: maxFileBytes, fields: 50, fieldSize: 16 * 1024 },
      });
    } catch {
      invalid('The multipart form has no boundary');
      return;
    }
    const fields: Record<string, string> = {};
    let file: { chunks: Buffer[]; filename: string; mimeType: string; truncated: boolean } | null =
      null;
    let extraFiles = false;
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_name, stream, filename, _encoding, mimeType) => {
      const current = { chunks: [] as Buffer[], filename, mimeType, truncated: false };
      file = current;
      stream.on('data', (chunk: Buffer) => current.chunks.push(chunk));
      stream.on('limit', () => {
        current.truncated = true;
      });
    });
    parser.on('filesLimit', () => {
      extraFiles = true;
    });
    parser.on('error', () => invalid('The multipart form is malformed'));
    parser.on('finish', () => {
      const received = file as typeof file;
      if (extraFiles) return invalid('Send one file per request');
      if (!received) return invalid('The form carries no file');
      if (received.truncated) {
        return reject(new AppError('PAYLOAD_TOO_LARGE', `The file is over ${maxFileBytes} bytes`));
      }
      resolve(
        new Upload(
          Buffer.concat(received.chunks),
          received.filename || null,
          received.mimeType.toLowerCase(),
          fields,
        ),
      );
    });
    parser.end(body);
  });
}
