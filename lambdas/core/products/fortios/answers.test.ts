import { describe, expect, it } from 'vitest';
import { FatalError, RetryableError } from '#core/errors.ts';
import type { HttpResponse } from '#core/http.ts';
import { failureOf, readAnswer } from '#core/products/fortios/answers.ts';
import { REFUSAL_PAGES } from '#core/products/fortios/simulator.ts';

function json(status: number, body: unknown): HttpResponse {
  return { status, contentType: 'application/json', text: JSON.stringify(body), json: body };
}

function html(status: number, text: string): HttpResponse {
  return { status, contentType: 'text/html', text };
}

/** The answer of a call that did not succeed. */
function unsuccessful(response: HttpResponse) {
  const answer = readAnswer(response);
  if (answer.kind === 'success') throw new Error('expected an answer that did not succeed');
  return answer;
}

const NGINX_403 =
  '<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>';

describe('reading FortiOS answers', () => {
  it('a JSON 403 (FortiOS 7.2.6) is an authenticated caller lacking a permission, not a refused token', () => {
    // Act
    const answer = readAnswer(json(403, { http_method: 'GET', status: 'error', http_status: 403 }));
    // Assess
    expect(answer.kind).toBe('denied');
  });

  it.each([401, 403] as const)('the HTML %i page is a refused token', (status) => {
    expect(readAnswer(html(status, REFUSAL_PAGES[status]))).toEqual({ kind: 'refused', status });
  });

  it('another HTML 403 (a proxy in front of the FortiGate) is no refusal of the token', () => {
    expect(readAnswer(html(403, NGINX_403))).toEqual({ kind: 'failed', status: 403 });
  });

  it('reads the per-VDOM envelopes of a vdom=global answer: a -5 among successes is a success', () => {
    // Prepare
    const created = { status: 'success', http_status: 200, vdom: 'root' };
    const exists = { status: 'error', http_status: 500, error: -5, vdom: 'dmz' };
    // Act
    const mixed = readAnswer(json(200, [created, exists]));
    const existing = readAnswer(json(500, [exists, { ...exists, vdom: 'root' }]));
    const absent = readAnswer(json(404, [{ status: 'error', http_status: 404, vdom: 'root' }]));
    // Assess
    expect(mixed).toEqual({ kind: 'success', envelopes: [created] });
    expect(existing.kind).toBe('exists');
    expect(absent.kind).toBe('absent');
  });

  it('the first real error among per-VDOM envelopes is the answer', () => {
    // Prepare
    const refused = {
      status: 'error',
      http_status: 500,
      error: -651,
      cli_error: 'invalid name',
      vdom: 'dmz',
    };
    // Act
    const answer = readAnswer(json(200, [{ status: 'success', http_status: 200 }, refused]));
    // Assess
    expect(answer).toEqual({ kind: 'failed', status: 500, envelope: refused });
  });

  it('an invalid reference is read from the error field or the "Return code -3" of cli_error', () => {
    // Prepare
    const byCode = unsuccessful(json(500, { status: 'error', http_status: 500, error: -3 }));
    const byText = unsuccessful(
      json(500, {
        status: 'error',
        http_status: 500,
        cli_error:
          "entry not found in datasource\n\nvalue parse error before 'p'\nCommand fail. Return code -3",
      }),
    );
    // Act
    const errors = [byCode, byText].map((answer) => failureOf(answer, 'creating API user u'));
    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(FatalError);
      expect(error.message).toMatch(/unknown profile or invalid reference/);
    }
  });

  it('a "-3" inside a message (an interface named port-3) leaves a transient 5xx transient', () => {
    // Prepare
    const answer = unsuccessful(
      json(503, { status: 'error', http_status: 503, cli_error: 'interface port-3 is being reconfigured' }),
    );
    // Act
    const error = failureOf(answer, 'creating API user u');
    // Assess
    expect(error).toBeInstanceOf(RetryableError);
  });

  it('an error never carries the secrets it is given', () => {
    // Prepare
    const answer = unsuccessful(
      json(500, { status: 'error', http_status: 500, error: -651, cli_error: 'bad token tok-123456789' }),
    );
    // Act
    const error = failureOf(answer, 'verifying a key', ['tok-123456789']);
    // Assess
    expect(error.message).not.toContain('tok-123456789');
  });
});
