/**
 * Form bodies (RFC 6749 §3.2): read whole when a Content-Length frames them, counted chunk by
 * chunk when not, capped at MAX_FORM_BYTES either way (docs/decisions/0021-http-adapter-fast-paths.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '@gatehouse-oauth/core';
import { MAX_FORM_BYTES, readCappedText, readFormBody } from '../src/http/form-body.ts';

const FORM = 'application/x-www-form-urlencoded';

function post(body: BodyInit, headers: Record<string, string> = {}): Request {
  return new Request('https://as.example.test/par', {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

/** A body with no declared length, sent in `chunks`; says whether it was cancelled. */
function chunked(chunks: Uint8Array[]) {
  const state = { cancelled: false, pulled: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = chunks[state.pulled++];
        if (next === undefined) controller.close();
        else controller.enqueue(next);
      },
      cancel() {
        state.cancelled = true;
      },
      // Pull only when read, so `pulled` counts what the reader asked for.
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

async function refusal(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof OAuthError, String(error));
  return error;
}

describe('form body', () => {
  it('reads a form framed by Content-Length', async () => {
    const body = 'client_id=a&resource=https%3A%2F%2Fr1&resource=https%3A%2F%2Fr2&x=%C3%A9';
    const form = await readFormBody(post(body, { 'content-length': String(Buffer.byteLength(body)) }));
    assert.equal(form.parameters.get('client_id'), 'a');
    assert.equal(form.parameters.get('x'), 'é');
    assert.deepEqual(form.raw.getAll('resource'), ['https://r1', 'https://r2']);
  });

  it('reads a form with no Content-Length from the stream, across chunks', async () => {
    const { stream } = chunked([Buffer.from('client_id=a&sta'), Buffer.from('te=xyz')]);
    const form = await readFormBody(post(stream));
    assert.equal(form.parameters.get('client_id'), 'a');
    assert.equal(form.parameters.get('state'), 'xyz');
  });

  it('a body exactly at the cap is read on both paths', async () => {
    const body = 'x'.repeat(MAX_FORM_BYTES);
    const framed = await readCappedText(
      post(body, { 'content-length': String(MAX_FORM_BYTES) }),
      MAX_FORM_BYTES,
    );
    assert.equal(framed, body);
    const { stream } = chunked([Buffer.from(body.slice(0, 1000)), Buffer.from(body.slice(1000))]);
    assert.equal(await readCappedText(post(stream), MAX_FORM_BYTES), body);
  });

  it('refuses a declared Content-Length over the cap with 413 before reading', async () => {
    const { stream, state } = chunked([Buffer.from('a=b')]);
    const error = await refusal(readFormBody(post(stream, { 'content-length': String(MAX_FORM_BYTES + 1) })));
    assert.equal(error.reason, 'body_too_large');
    assert.equal(error.status, 413);
    assert.equal(state.pulled, 0, 'nothing read');
  });

  it('refuses a body longer than its declared Content-Length (a Request built in process)', async () => {
    const body = `a=${'x'.repeat(MAX_FORM_BYTES)}`;
    const error = await refusal(readFormBody(post(body, { 'content-length': '3' })));
    assert.equal(error.reason, 'body_too_large');
  });

  it('cuts a chunked body at the cap and cancels the stream', async () => {
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    const { stream, state } = chunked(Array.from({ length: 10 }, () => chunk));
    const error = await refusal(readFormBody(post(stream)));
    assert.equal(error.reason, 'body_too_large');
    assert.equal(error.status, 413);
    assert.equal(state.cancelled, true);
    assert.ok(state.pulled <= 6, `stopped reading at the cap (pulled ${state.pulled})`);
  });

  it('a Content-Length that is not a number falls back to counting the stream', async () => {
    const { stream } = chunked([Buffer.from('a=b')]);
    const form = await readFormBody(post(stream, { 'content-length': 'soon' }));
    assert.equal(form.parameters.get('a'), 'b');
  });

  it('refuses a body that is not UTF-8, on both paths', async () => {
    const bytes = new Uint8Array([0x61, 0x3d, 0xff, 0xfe]);
    const framed = await refusal(readFormBody(post(bytes, { 'content-length': '4' })));
    assert.equal(framed.reason, 'body_not_utf8');
    const { stream } = chunked([bytes]);
    assert.equal((await refusal(readFormBody(post(stream)))).reason, 'body_not_utf8');
  });

  it('refuses anything but a form (RFC 6749 §3.2)', async () => {
    const request = new Request('https://as.example.test/par', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal((await refusal(readFormBody(request))).reason, 'content_type');
  });

  it('an empty or absent body is the empty string', async () => {
    assert.equal(await readCappedText(post('', { 'content-length': '0' }), 10), '');
    assert.equal(await readCappedText(new Request('https://as.example.test/par'), 10), '');
  });
});

describe('a body the client abandons (issue #18 finding 8)', () => {
  it('is a client error, body_aborted, whether it was framed by Content-Length or chunked', async () => {
    const failing = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('grant_type=refresh'));
        },
        pull(controller) {
          controller.error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        },
      });
    for (const headers of [{}, { 'content-length': '100' }]) {
      await assert.rejects(
        readFormBody(post(failing(), headers)),
        (error: unknown) =>
          error instanceof OAuthError &&
          error.error === 'invalid_request' &&
          error.reason === 'body_aborted' &&
          error.status === 400,
      );
    }
  });
});
