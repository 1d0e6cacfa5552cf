/**
 * Decrypts a mini-program's `encryptedData` (user info from getUserInfo / getUserProfile, phone
 * number, ...): AES-128-CBC, PKCS#7 padding, key = base64 session key from code2session, iv from
 * the client, plaintext = JSON with a `watermark.appid` naming the app it was made for. Everything
 * here is client input, so every malformed piece is a 400, never a crash.
 */
import { createDecipheriv } from 'node:crypto';
import { badRequest } from '../errors.js';

export interface DecryptUserDataInput {
  sessionKey: string;
  encryptedData: string;
  iv: string;
  /** Our mini-program's appid; data made for another app is refused. */
  appId: string;
}

/** The decrypted object. Its fields depend on what the client asked WeChat for (openId, nickName, phoneNumber, ...). */
export interface DecryptedUserData {
  watermark: { appid: string; timestamp?: number };
  [field: string]: unknown;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Strict base64 (Buffer.from silently skips junk). A form-urlencoded body turns `+` into a space;
 * base64 has no spaces, so mapping them back is unambiguous.
 */
function base64Bytes(value: unknown, field: string, expectedLength?: number): Buffer {
  const text = typeof value === 'string' ? value.replace(/ /g, '+') : '';
  if (text === '' || !BASE64.test(text)) throw badRequest(`${field} is not valid base64`, field);
  const bytes = Buffer.from(text, 'base64');
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw badRequest(`${field} must be ${expectedLength} bytes`, field);
  }
  return bytes;
}

export function decryptUserData({
  sessionKey,
  encryptedData,
  iv,
  appId,
}: DecryptUserDataInput): DecryptedUserData {
  // A bad session key means the login code it came from was wrong, hence the `code` field.
  const key = base64Bytes(sessionKey, 'code', 16);
  const ivBytes = base64Bytes(iv, 'iv', 16);
  const data = base64Bytes(encryptedData, 'encryptedData');
  if (data.length % 16 !== 0)
    throw badRequest('encryptedData is not a whole number of AES blocks', 'encryptedData');

  let plaintext: string;
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, ivBytes);
    plaintext = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    // Bad padding: the session key, iv or data do not belong together (often a stale session key).
    throw badRequest('encryptedData could not be decrypted with this session key and iv', 'encryptedData');
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext);
  } catch {
    throw badRequest('encryptedData did not decrypt to JSON', 'encryptedData');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('encryptedData did not decrypt to an object', 'encryptedData');
  }
  const watermark = (parsed as { watermark?: unknown }).watermark;
  const watermarkAppId =
    typeof watermark === 'object' && watermark !== null
      ? (watermark as { appid?: unknown }).appid
      : undefined;
  if (watermarkAppId !== appId) throw badRequest('encryptedData was made for another app', 'encryptedData');
  return parsed as DecryptedUserData;
}
