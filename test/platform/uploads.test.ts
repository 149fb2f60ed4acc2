import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installProblemHandlers } from '../../src/platform/http/problem.ts';
import { acceptUploads, uploadOf } from '../../src/platform/http/uploads.ts';

/** A form as a browser sends it: its bytes and its Content-Type with the boundary. */
async function formOf(form: FormData): Promise<{ payload: Buffer; contentType: string }> {
  const response = new Response(form);
  return {
    payload: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get('content-type')!,
  };
}

describe('file uploads: a raw body or one file of a multipart form', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    installProblemHandlers(app);
    await app.register(async (scope) => {
      acceptUploads(scope, { types: ['text/csv', 'text/plain'], maxBytes: 1024 });
      scope.post('/upload', async (request) => {
        const upload = uploadOf(request);
        return upload
          ? {
              text: upload.bytes.toString('utf8'),
              filename: upload.filename,
              contentType: upload.contentType,
              fields: upload.fields,
            }
          : { none: true };
      });
    });
    // Outside the scope the file types are refused and JSON keeps its parser.
    app.post('/json', async (request) => ({ body: request.body }));
    await app.ready();
  });
  afterAll(() => app.close());

  it('takes a raw body of a declared type as the upload', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/upload',
      headers: { 'content-type': 'text/csv; charset=utf-8' },
      payload: 'email,seats\nana@example.hr,2\n',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      text: 'email,seats\nana@example.hr,2\n',
      filename: null,
      contentType: 'text/csv',
      fields: {},
    });
  });

  it('takes the one file of a multipart form with its name, type and text fields', async () => {
    const form = new FormData();
    form.append('match_ids', 'a,b');
    form.append('file', new Blob(['oib;ime\nČ,Ž\n'], { type: 'text/csv' }), 'kvote.csv');
    const { payload, contentType } = await formOf(form);
    const res = await app.inject({
      method: 'POST',
      url: '/upload',
      headers: { 'content-type': contentType },
      payload,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      text: 'oib;ime\nČ,Ž\n',
      filename: 'kvote.csv',
      contentType: 'text/csv',
      fields: { match_ids: 'a,b' },
    });
  });

  it('refuses a form without a file, with two files, or malformed, as UPLOAD_INVALID', async () => {
    const noFile = new FormData();
    noFile.append('match_ids', 'a');
    const twoFiles = new FormData();
    twoFiles.append('file', new Blob(['a']), 'a.csv');
    twoFiles.append('other', new Blob(['b']), 'b.csv');
    for (const form of [noFile, twoFiles]) {
      const { payload, contentType } = await formOf(form);
      const res = await app.inject({
        method: 'POST',
        url: '/upload',
        headers: { 'content-type': contentType },
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('UPLOAD_INVALID');
    }
    const noBoundary = await app.inject({
      method: 'POST',
      url: '/upload',
      headers: { 'content-type': 'multipart/form-data' },
      payload: 'garbage',
    });
    expect(noBoundary.statusCode).toBe(400);
    expect(noBoundary.json().code).toBe('UPLOAD_INVALID');
  });

  it('refuses a file over the limit, raw or in a form, as 413 PAYLOAD_TOO_LARGE', async () => {
    const big = 'x'.repeat(1025);
    const raw = await app.inject({
      method: 'POST',
      url: '/upload',
      headers: { 'content-type': 'text/csv' },
      payload: big,
    });
    expect(raw.statusCode).toBe(413);
    expect(raw.json().code).toBe('PAYLOAD_TOO_LARGE');
    const form = new FormData();
    form.append('file', new Blob([big], { type: 'text/csv' }), 'big.csv');
    const { payload, contentType } = await formOf(form);
    const inForm = await app.inject({
      method: 'POST',
      url: '/upload',
      headers: { 'content-type': contentType },
      payload,
    });
    expect(inForm.statusCode).toBe(413);
    expect(inForm.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('keeps file types out of every other scope', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/json',
      headers: { 'content-type': 'text/csv' },
      payload: 'a,b',
    });
    expect(res.statusCode).toBe(415);
  });
});
