// Error answers become the right classes; connection failures tell whether the request left.
import { describe, expect, test } from '@jest/globals';
import {
  BadRequestError, NodeUnavailableError, QuorumUnavailableError, ServerError, ServerTimeoutError,
} from '../src/errors.js';
import { errorFromResponse, maybeSent } from '../src/http-attempt.js';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

describe('errorFromResponse', () => {
  test.each([
    [503, 'QUORUM_UNAVAILABLE', QuorumUnavailableError],
    [504, 'TIMEOUT', ServerTimeoutError],
    [503, 'OVERLOADED', NodeUnavailableError],
    [503, 'NOT_READY', NodeUnavailableError],
    [503, 'SHUTTING_DOWN', NodeUnavailableError],
    [400, 'INVALID_KEY', BadRequestError],
    [413, 'VALUE_TOO_LARGE', BadRequestError],
    [500, 'INTERNAL', ServerError],
  ])('%i %s', (status, code, cls) => {
    const err = errorFromResponse(status, '', new Headers(), enc({ error: { code, message: 'm', required: 2, acked: 1 } }), 'http://n1');
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ code, status, required: 2, acked: 1, endpoint: 'http://n1' });
  });

  test('Retry-After becomes retryAfterSeconds', () => {
    const err = errorFromResponse(503, '', new Headers({ 'retry-after': '2' }), enc({ error: { code: 'SHUTTING_DOWN' } }), 'e');
    expect(err.retryAfterSeconds).toBe(2);
  });

  test('a body that is not JSON keeps the status line', () => {
    const err = errorFromResponse(502, 'Bad Gateway', new Headers(), enc('<html/>'), 'e');
    expect(err).toMatchObject({ code: 'HTTP_502', status: 502, retryable: false });
    expect(err.message).toContain('502 Bad Gateway');
  });
});

describe('maybeSent', () => {
  const wrap = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });
  test.each([
    ['refused', wrap({ code: 'ECONNREFUSED' }), false],
    ['DNS failure', wrap({ code: 'ENOTFOUND' }), false],
    ['connect timeout', wrap({ code: 'UND_ERR_CONNECT_TIMEOUT' }), false],
    ['refused on every address', wrap({ errors: [{ code: 'ECONNREFUSED' }, { code: 'EHOSTUNREACH' }] }), false],
    ['reset', wrap({ code: 'ECONNRESET' }), true],
    ['closed by the other side', wrap({ code: 'UND_ERR_SOCKET' }), true],
    ['a browser network error (no code)', new TypeError('Failed to fetch'), true],
  ])('%s', (_n, err, expected) => {
    expect(maybeSent(err)).toBe(expected);
  });
});
