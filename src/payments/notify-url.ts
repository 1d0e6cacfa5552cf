/** The one payment notification endpoint, for QLive gold and paid-call diamonds alike. */
export const NOTIFY_PATH = '/wx/api/qlive/qlive_pay/notify/';

/** Where a request reached this server (a Fastify request is one). */
export interface RequestOrigin {
  protocol: string;
  host: string;
}

/**
 * Where WeChat Pay sends an order's notification: WECHATPAY_NOTIFY_URL, or (development) this
 * server as the client reached it.
 */
export function notifyUrlFor(origin: RequestOrigin, configured: string | undefined): string {
  return configured ?? `${origin.protocol}://${origin.host}${NOTIFY_PATH}`;
}
