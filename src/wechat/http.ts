/**
 * The one way this folder talks to WeChat over HTTP: global fetch with a hard timeout, the body
 * read as text (WeChat Pay signs the exact bytes, so JSON is parsed only after verification), and
 * every transport failure turned into a 503 so a flaky upstream never surfaces as a 500.
 */
import { unavailable } from '../errors.js';

export interface UpstreamResponse {
  status: number;
  headers: Headers;
  text: string;
}

export async function upstreamRequest(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; timeoutMs: number },
  /** Names the upstream in error messages; never put secrets here. */
  what: string,
): Promise<UpstreamResponse> {
  try {
    const res = await fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(init.timeoutMs),
      redirect: 'error',
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    // Only the kind of failure is reported: the URL may carry the app secret as a query parameter.
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw unavailable(timedOut ? `${what} timed out` : `${what} is unreachable`);
  }
}

/** Parsed JSON object, or undefined when the text is not a JSON object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
