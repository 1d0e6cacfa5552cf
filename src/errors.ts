/**
 * Domain errors. Services throw these; the two envelope plugins map them to HTTP once
 * (paid-call `{code, message}` and QLive `{detail}`), so no handler builds an error response itself.
 */
export type ErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'payment_required'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_many_requests'
  | 'unavailable';

export const httpStatusOf: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
  unavailable: 503,
};

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** The request field at fault, when one is. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get statusCode(): number {
    return httpStatusOf[this.kind];
  }
}

export const badRequest = (message: string, field?: string) => new AppError('bad_request', message, field);
export const unauthorized = (message = 'missing or unknown token') => new AppError('unauthorized', message);
export const paymentRequired = (message: string) => new AppError('payment_required', message);
export const forbidden = (message: string) => new AppError('forbidden', message);
export const notFound = (message: string, field?: string) => new AppError('not_found', message, field);
export const conflict = (message: string) => new AppError('conflict', message);
export const tooManyRequests = (message = 'too many requests') => new AppError('too_many_requests', message);
export const unavailable = (message: string) => new AppError('unavailable', message);
