/**
 * WeChat Pay API v3 for the mini-program, in one import. Split by job:
 * pay-signing (request signatures, platform signature checks), pay-jsapi (order + wx.requestPayment
 * parameters), pay-notify (payment notifications).
 */
export {
  createJsapiOrder,
  JSAPI_ORDER_PATH,
  type JsapiOrderInput,
  type MiniProgramPaymentParams,
  miniProgramPaymentParams,
  payErrorOf,
} from './pay-jsapi.js';
export {
  decryptNotificationResource,
  type EncryptedResource,
  type PaidTransaction,
  type PaymentNotification,
  parsePaymentNotification,
  verifyNotificationSignature,
} from './pay-notify.js';
export {
  randomNonce,
  rsaSign,
  rsaVerify,
  type SignRequestInput,
  signatureMessage,
  signRequest,
  verifyWechatpaySignature,
  WECHATPAY_AUTH_SCHEMA,
  type WechatpaySignedMessage,
} from './pay-signing.js';
