import type { FastifyError } from 'fastify';
import { AppError, type ErrorKind, httpStatusOf } from '../errors.js';
import { isOutage } from './outage.js';

export interface DescribedError {
  status: number;
  kind: ErrorKind | 'payload_too_large' | 'unsupported_media_type' | 'internal';
  message: string;
  field?: string;
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
}

/** Names the request field a schema validation error is about (`targetUserId`, `live_id`, ...). */
export function fieldOf(issue: ValidationIssue | undefined): string | undefined {
  if (!issue) return undefined;
  const path = (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const missing = issue.params?.missingProperty;
  if (missing) return path ? `${path}.${missing}` : missing;
  return path || undefined;
}

/** SQLSTATE class 22 (data exception), on the error or the driver error it wraps. */
function isDataException(error: unknown): boolean {
  for (
    let current = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    current && depth < 4;
    depth++
  ) {
    if (typeof current.code === 'string' && /^22[0-9A-Z]{3}$/.test(current.code)) return true;
    current = current.cause as typeof current;
  }
  return false;
}

/**
 * Turns anything a route can throw into one status + message, the single mapping every envelope
 * formats. Internals of a 5xx never leave the server.
 */
export function describeError(error: unknown): DescribedError {
  if (error instanceof AppError) {
    return {
      status: httpStatusOf[error.kind],
      kind: error.kind,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
    };
  }
  const fastifyError = error as FastifyError & { validation?: ValidationIssue[] };
  if (Array.isArray(fastifyError.validation)) {
    const issue = fastifyError.validation[0];
    const field = fieldOf(issue);
    const message = field
      ? `${field} ${issue?.message ?? 'is invalid'}`
      : (issue?.message ?? 'invalid request');
    return { status: 400, kind: 'bad_request', message, ...(field ? { field } : {}) };
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, kind: 'payload_too_large', message: 'request body too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, kind: 'unsupported_media_type', message: 'unsupported content type' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, kind: 'bad_request', message: 'body is not valid JSON' };
  }
  if (fastifyError.statusCode === 429) {
    return { status: 429, kind: 'too_many_requests', message: 'too many requests' };
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return { status: 400, kind: 'bad_request', message: 'body is not valid JSON' };
  }
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return { status: fastifyError.statusCode, kind: 'bad_request', message: fastifyError.message };
  }
  if (isDataException(error)) {
    // Postgres refused a value (out of range, bad encoding): the request's fault, never a 500.
    return { status: 400, kind: 'bad_request', message: 'a value is out of range or not valid text' };
  }
  if (isOutage(error)) {
    return { status: 503, kind: 'unavailable', message: 'service temporarily unavailable, retry shortly' };
  }
  return { status: 500, kind: 'internal', message: 'internal server error' };
}
