import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import { decryptUserData } from '../../../src/wechat/user-data.js';
import { encryptUserData } from '../../helpers/fake-wechat-server.js';

// WeChat's published sample (开放数据校验与解密, demo code of WXBizDataCrypt).
const SAMPLE = {
  appId: 'wx4f4bc4dec97d474b',
  sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==',
  iv: 'r7BXXKkLb8qrSNn05n0qiA==',
  encryptedData:
    'CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==',
};

const key = () => randomBytes(16).toString('base64');

function badRequestOn(fn: () => unknown, field: string): AppError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  const err = caught as AppError;
  expect([err.statusCode, err.field]).toEqual([400, field]);
  return err;
}

describe('decryptUserData', () => {
  it("decrypts WeChat's published sample", () => {
    const data = decryptUserData(SAMPLE);
    expect(data).toMatchObject({
      openId: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE',
      nickName: 'Band',
      gender: 1,
      city: 'Guangzhou',
      unionId: 'ocMvos6NjeKLIBqg5Mr9QjxrP1FA',
      watermark: { appid: 'wx4f4bc4dec97d474b', timestamp: 1477314187 },
    });
  });

  it('refuses data made for another app', () => {
    badRequestOn(() => decryptUserData({ ...SAMPLE, appId: 'wxsomeoneelse' }), 'encryptedData');
    const sessionKey = key();
    const iv = key();
    const encryptedData = encryptUserData({
      sessionKey,
      iv,
      data: { openId: 'o', watermark: { appid: 'wxB' } },
    });
    badRequestOn(() => decryptUserData({ sessionKey, iv, encryptedData, appId: 'wxA' }), 'encryptedData');
    expect(decryptUserData({ sessionKey, iv, encryptedData, appId: 'wxB' }).openId).toBe('o');
    const noWatermark = encryptUserData({ sessionKey, iv, data: { openId: 'o' } });
    badRequestOn(
      () => decryptUserData({ sessionKey, iv, encryptedData: noWatermark, appId: 'wxB' }),
      'encryptedData',
    );
  });

  it('round-trips generated vectors, including a form-encoded `+` that became a space', () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ minLength: 16, maxLength: 16 }), (nickName, ivBytes) => {
        const sessionKey = key();
        const iv = Buffer.from(ivBytes).toString('base64');
        const data = { nickName, watermark: { appid: 'wxA', timestamp: 1 } };
        const encryptedData = encryptUserData({ sessionKey, iv, data });
        expect(decryptUserData({ sessionKey, iv, encryptedData, appId: 'wxA' })).toEqual(data);
        expect(
          decryptUserData({
            sessionKey,
            iv: iv.replace(/\+/g, ' '),
            encryptedData: encryptedData.replace(/\+/g, ' '),
            appId: 'wxA',
          }),
        ).toEqual(data);
      }),
      { numRuns: 50 },
    );
  });

  it('maps bad padding, a wrong key and non-JSON plaintext to 400', () => {
    const sessionKey = key();
    const iv = key();
    const raw = (plaintext: Buffer) => {
      const cipher = createCipheriv(
        'aes-128-cbc',
        Buffer.from(sessionKey, 'base64'),
        Buffer.from(iv, 'base64'),
      );
      cipher.setAutoPadding(false);
      return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64');
    };
    // A last byte of 0x00 is never valid PKCS#7 padding.
    const badPadding = raw(Buffer.alloc(32, 0));
    badRequestOn(
      () => decryptUserData({ sessionKey, iv, encryptedData: badPadding, appId: 'wxA' }),
      'encryptedData',
    );
    // Right padding, not JSON.
    const notJson = encryptUserData({ sessionKey, iv, data: 'hello, not json' });
    expect(
      badRequestOn(
        () => decryptUserData({ sessionKey, iv, encryptedData: notJson, appId: 'wxA' }),
        'encryptedData',
      ).message,
    ).toMatch(/JSON/);
    const array = encryptUserData({ sessionKey, iv, data: [1, 2] });
    badRequestOn(
      () => decryptUserData({ sessionKey, iv, encryptedData: array, appId: 'wxA' }),
      'encryptedData',
    );
    // The sample under a wrong session key: padding check fails (or, rarely, garbage that is not JSON).
    badRequestOn(() => decryptUserData({ ...SAMPLE, sessionKey: key() }), 'encryptedData');
  });

  it('maps malformed base64 and wrong lengths to 400 on the right field', () => {
    badRequestOn(() => decryptUserData({ ...SAMPLE, encryptedData: 'not base64!!' }), 'encryptedData');
    badRequestOn(() => decryptUserData({ ...SAMPLE, encryptedData: '' }), 'encryptedData');
    badRequestOn(
      () => decryptUserData({ ...SAMPLE, encryptedData: Buffer.alloc(15).toString('base64') }),
      'encryptedData',
    );
    badRequestOn(() => decryptUserData({ ...SAMPLE, iv: 'abc' }), 'iv');
    badRequestOn(() => decryptUserData({ ...SAMPLE, iv: Buffer.alloc(8).toString('base64') }), 'iv');
    badRequestOn(() => decryptUserData({ ...SAMPLE, sessionKey: '' }), 'code');
    badRequestOn(() => decryptUserData({ ...SAMPLE, iv: undefined as unknown as string }), 'iv');
  });

  it('never throws anything but a 400 on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.base64String(), (sessionKey, iv, encryptedData) => {
        try {
          decryptUserData({ sessionKey, iv, encryptedData, appId: 'wxA' });
        } catch (err) {
          expect(err).toBeInstanceOf(AppError);
          expect((err as AppError).statusCode).toBe(400);
        }
      }),
    );
  });
});
