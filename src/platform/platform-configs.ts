/**
 * The operator-set configs this module serves to the paid-call apps, with their shapes and the
 * defaults a fresh install answers. `PUT /admin/api/configs/:key` checks a value against its shape
 * here before storing it, so the endpoints never meet a malformed config.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import { badRequest } from '../errors.js';

/** `getShareInfo`: what the guest app puts on a WeChat share card. */
export const SHARE_INFO_KEY = 'share_info';
export const ShareInfoSchema = Type.Object(
  {
    title: Type.String({ maxLength: 200 }),
    imgUrl: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type ShareInfo = Static<typeof ShareInfoSchema>;
export const DEFAULT_SHARE_INFO: ShareInfo = { title: '邀请你来视频聊天', imgUrl: '' };

/**
 * `weChatVersion`: per-version feature switches of the mini-program. `switches` apply to every
 * version; each matching rule (all of its given bounds hold) overrides them in order, and may mark
 * the version as under WeChat review (the usual reason: hide payment while a build is reviewed).
 */
export const WECHAT_VERSION_KEY = 'wechat_version';
const Switches = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Boolean());
export const WeChatVersionRuleSchema = Type.Object(
  {
    terminalType: Type.Optional(Type.Integer()),
    minVersion: Type.Optional(Type.Integer()),
    maxVersion: Type.Optional(Type.Integer()),
    review: Type.Optional(Type.Boolean()),
    switches: Type.Optional(Switches),
  },
  { additionalProperties: false },
);
export const WeChatVersionConfigSchema = Type.Object(
  { switches: Switches, rules: Type.Array(WeChatVersionRuleSchema, { maxItems: 200 }) },
  { additionalProperties: false },
);
export type WeChatVersionConfig = Static<typeof WeChatVersionConfigSchema>;
export const DEFAULT_WECHAT_VERSION: WeChatVersionConfig = { switches: {}, rules: [] };

const SHAPES: Record<string, TSchema> = {
  [SHARE_INFO_KEY]: ShareInfoSchema,
  [WECHAT_VERSION_KEY]: WeChatVersionConfigSchema,
};

/** Throws a 400 naming the first problem when `value` does not fit the shape its key has here. */
export function assertConfigShape(key: string, value: unknown): void {
  const shape = SHAPES[key];
  if (!shape || Value.Check(shape, value)) return;
  const [first] = Value.Errors(shape, value);
  const where = first?.instancePath ? `value${first.instancePath.replaceAll('/', '.')}` : 'value';
  throw badRequest(`${where} ${first?.message ?? 'does not fit'} (config ${key})`, 'value');
}
