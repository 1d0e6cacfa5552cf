/**
 * `npm run dev:wechat -- profile <openid> [nickname]`: what `wx.getUserProfile` would hand the
 * mini-program after `wx.login()` answered the code `dev:<openid>` — the profile encrypted with that
 * login's session key — as the JSON body of QLive's user creation (`POST /wx/api/qlive/qlive_user/`).
 * Only for a server whose WeChat credentials are development values (the same ones as here).
 */
import { ConfigError, loadConfig } from '../config/index.js';
import { DEVELOPMENT_CODE_PREFIX, encryptDevelopmentProfile } from '../wechat/development.js';

const [command, openid, nickname] = process.argv.slice(2);
try {
  const config = loadConfig();
  if (command !== 'profile' || !openid) {
    console.error('usage: npm run dev:wechat -- profile <openid> [nickname]');
    process.exit(2);
  }
  if (!config.wechat.development) {
    console.error('WECHAT_APP_ID / WECHAT_APP_SECRET are set: the development WeChat is off.');
    process.exit(1);
  }
  const encrypted = encryptDevelopmentProfile({
    appId: config.wechat.appId,
    appSecret: config.wechat.appSecret,
    openid,
    profile: { nickName: nickname ?? openid, gender: 1 },
  });
  console.log(
    JSON.stringify({ appId: config.wechat.appId, code: `${DEVELOPMENT_CODE_PREFIX}${openid}`, ...encrypted }),
  );
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : (error as Error).message);
  process.exit(1);
}
