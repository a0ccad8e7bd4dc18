// Reads a request body up to a limit. A body over the limit fails with VALUE_TOO_LARGE as soon as
// it is known (from Content-Length, or while streaming) without buffering the rest.
import type { IncomingMessage } from 'node:http';
import { ValueTooLargeError, InvalidParameterError } from '../errors.js';

export function readBody(req: IncomingMessage, limitBytes: number): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) {
    return Promise.reject(new ValueTooLargeError(limitBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    // Listeners stay on the request (it is dropped after the response): detaching four costs
    // more than the events that can still arrive, which `done` ignores.
    const finish = (err: Error | undefined, body?: Uint8Array) => {
      if (done) return;
      done = true;
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limitBytes) {
        finish(new ValueTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    const onError = (e: Error) => finish(new InvalidParameterError(`request body could not be read: ${e.message}`));
    const onAborted = () => finish(new InvalidParameterError('request aborted by the client'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
