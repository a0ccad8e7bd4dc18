// Reads a request body up to a limit. A body over the limit fails with VALUE_TOO_LARGE as soon as
// it is known (from Content-Length, or while streaming) without buffering the rest.
import type { IncomingMessage } from 'node:http';
import { ValueTooLargeError, InvalidParameterError } from '../errors.js';

export function readBody(req: IncomingMessage, limitBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limitBytes) {
      reject(new ValueTooLargeError(limitBytes));
      return;
    }
    collect(req, limitBytes, (err, body) => (err ? reject(err) : resolve(body!)));
  });
}

/** Calls `done` once: an error, or undefined and the body. */
function collect(req: IncomingMessage, limitBytes: number, done: (err: Error | undefined, body?: Uint8Array) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  // Listeners stay on the request (it is dropped after the response): detaching four costs more
  // than the events that can still arrive, which `finished` ignores.
  const finish = (err: Error | undefined, body?: Uint8Array) => {
    if (finished) return;
    finished = true;
    done(err, body);
  };
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > limitBytes) {
      finish(new ValueTooLargeError(limitBytes));
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => finish(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
  req.on('error', (e: Error) => finish(new InvalidParameterError(`request body could not be read: ${e.message}`)));
  req.on('aborted', () => finish(new InvalidParameterError('request aborted by the client')));
}
