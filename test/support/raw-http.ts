// HTTP requests as a fuzzer sends them: any method, path, headers and body (fetch refuses a body
// on GET and sets its own headers), a new connection each, and a deadline. A body can also be
// declared and never sent (to see a node refuse it from its headers alone), or sent without a
// length and never finished (to see it refuse a body once it has read past its limit).
import http from 'node:http';

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent whole, with its Content-Length. */
  body?: Buffer;
  /** Declare this Content-Length but send no body: the answer must come from the headers. */
  declaredOnly?: number;
  /** Send this many bytes without a length (chunked encoding) and wait for the answer, never ending the body. */
  streamBytes?: number;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function rawRequest(port: number, r: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body) headers['content-length'] = r.body.length;
    if (r.declaredOnly !== undefined) headers['content-length'] = r.declaredOnly;
    // Chunked framing whatever the method (node uses it by default only for some, and unframed
    // bytes after a GET would read as a second, malformed request).
    if (r.streamBytes !== undefined) headers['transfer-encoding'] = 'chunked';
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent: false });
    let answered = false;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${r.method} ${r.path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => { clearTimeout(timer); reject(err); });
    });
    req.on('error', (err) => {
      if (answered) return; // a write after the node answered and closed: the answer counts
      clearTimeout(timer);
      reject(new Error(`${r.method} ${r.path}: ${err.message}`));
    });
    if (r.declaredOnly !== undefined) {
      req.flushHeaders();
      return;
    }
    if (r.streamBytes !== undefined) {
      // All of it at once (it fits the socket buffers), then nothing more: a write racing the
      // node's close would fail with EPIPE before the answer is read. The body never ends.
      req.write(Buffer.alloc(r.streamBytes, 0x20));
      return;
    }
    req.end(r.body);
  });
}
