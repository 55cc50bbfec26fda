// @ts-check
// Sending a scan over an island link: the file is announced with its
// SHA-256, sent in chunks that each carry their own SHA-256, and when the
// link drops the station asks the server what arrived and sends only the
// rest. Announcing the same file for the same call again returns the same
// upload, so a retry never makes a duplicate (docs: documents/http.go).

import { ApiError } from '/lib/session.js';

// Types the server keeps; anything else is left for it to recognise (and
// refuse) by content.
const knownTypes = new Set(['image/jpeg', 'image/png', 'application/pdf']);
const retryFirst = 1000;
const retryMax = 15_000;
// While the server puts the chunks together.
const assemblePause = 500;
// Uploads the server discarded as damaged before we stop trying.
const maxFailures = 3;

// UploadAborted is thrown when the caller gives up (the call ended).
export class UploadAborted extends Error {
  constructor() {
    super('upload aborted');
    this.name = 'UploadAborted';
  }
}

// sha256Hex returns the hex SHA-256 of a Blob, ArrayBuffer or string.
export async function sha256Hex(data) {
  let bytes = data;
  if (data instanceof Blob) bytes = await data.arrayBuffer();
  else if (typeof data === 'string') bytes = new TextEncoder().encode(data);
  const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(sum, (b) => b.toString(16).padStart(2, '0')).join('');
}

// sendFile uploads blob as filename for a call and resolves with the stored
// document. It keeps trying through network failures until signal aborts;
// onProgress(fraction) and onRetry(error) report what happens. Refusals
// that a retry cannot fix (wrong type, too large, not this station's call)
// reject with the ApiError.
/**
 * @param {import('/lib/session.js').Session} session
 * @param {{callId: string, blob: Blob, filename: string, signal?: AbortSignal,
 *   onProgress?: (fraction: number) => void, onRetry?: (err: Error) => void}} opts
 * @returns {Promise<any>} the server's record of the document
 */
export async function sendFile(session, { callId, blob, filename, signal, onProgress = () => {}, onRetry = () => {} }) {
  const announce = {
    call_id: callId,
    filename,
    size: blob.size,
    sha256: await sha256Hex(blob),
  };
  if (knownTypes.has(blob.type)) announce.content_type = blob.type;
  const up = new ChunkedUpload(session, blob, announce, signal, onProgress);
  for (let attempt = 0; ; attempt++) {
    try {
      return await up.run();
    } catch (err) {
      if (signal?.aborted) throw new UploadAborted();
      if (!retryable(err)) throw err;
      onRetry(err);
      await pause(Math.min(retryMax, retryFirst * 2 ** attempt), signal);
    }
  }
}

// retryable tells a broken link or a busy server from a refusal.
function retryable(err) {
  if (!(err instanceof ApiError)) return false;
  // Limits the server keeps (docs: README, Security) are refusals too.
  if (['quota_exceeded', 'insufficient_storage', 'call_ended'].includes(err.code)) return false;
  return err.code === 'network' || err.status >= 500 || err.status === 429 ||
    err.code === 'checksum_mismatch' || err.code === 'invalid_chunk' || err.code === 'upload_failed';
}

class ChunkedUpload {
  #session;
  #blob;
  #announce;
  #signal;
  #onProgress;
  #id = '';
  #failures = 0;

  constructor(session, blob, announce, signal, onProgress) {
    this.#session = session;
    this.#blob = blob;
    this.#announce = announce;
    this.#signal = signal;
    this.#onProgress = onProgress;
  }

  // run takes the upload from wherever the server has it to done.
  async run() {
    let state = await this.#resume();
    while (state.status !== 'done') {
      this.#checkAborted();
      if (state.status === 'failed') {
        // The server discarded it (the assembled file did not match its
        // checksum); announcing again starts a fresh upload, a few times.
        this.#id = '';
        this.#failures++;
        const code = this.#failures < maxFailures ? 'upload_failed' : 'upload_broken';
        throw new ApiError(code, state.error || 'upload failed', 409);
      }
      if (state.status === 'assembling') {
        await pause(assemblePause, this.#signal);
        state = await this.#session.api(`/api/v1/uploads/${encodeURIComponent(this.#id)}`);
        continue;
      }
      state = await this.#sendMissing(state);
    }
    this.#onProgress(1);
    return state.document;
  }

  // resume asks the server what it holds: the first time by announcing the
  // file, afterwards by looking the upload up.
  async #resume() {
    if (this.#id) {
      try {
        return await this.#session.api(`/api/v1/uploads/${encodeURIComponent(this.#id)}`);
      } catch (err) {
        if (err.status !== 404) throw err;
        this.#id = ''; // purged while we were away: announce again
      }
    }
    const state = await this.#session.api('/api/v1/uploads', { method: 'POST', body: this.#announce });
    this.#id = state.upload_id;
    return state;
  }

  async #sendMissing(state) {
    const received = new Set(state.received ?? []);
    this.#report(received.size, state.chunks);
    for (let i = 0; i < state.chunks; i++) {
      if (received.has(i)) continue;
      this.#checkAborted();
      state = await this.#putChunk(i, state.chunk_size);
      received.add(i);
      this.#report(received.size, state.chunks);
      if (state.status !== 'receiving') return state;
    }
    return state;
  }

  async #putChunk(index, chunkSize) {
    const start = index * chunkSize;
    const chunk = this.#blob.slice(start, Math.min(this.#blob.size, start + chunkSize));
    try {
      return await this.#session.api(`/api/v1/uploads/${encodeURIComponent(this.#id)}/chunks/${index}`, {
        method: 'PUT',
        body: chunk,
        headers: { 'X-Chunk-SHA256': await sha256Hex(chunk) },
      });
    } catch (err) {
      // A chunk that arrived short means the link broke mid-way.
      if (err.status === 400) throw new ApiError('invalid_chunk', `chunk ${index}: ${err.message}`, 400);
      throw err;
    }
  }

  #report(done, total) {
    // The last step (assembling) is still ahead until the document exists.
    this.#onProgress(total > 0 ? (done / total) * 0.99 : 0);
  }

  #checkAborted() {
    if (this.#signal?.aborted) throw new UploadAborted();
  }
}

// pause waits ms, or rejects at once when signal aborts.
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new UploadAborted());
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new UploadAborted());
    }, { once: true });
  });
}
