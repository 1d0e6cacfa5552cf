import { Type } from 'typebox';
import type { LiveStreams } from '../../tencent/live-streams.js';
import type { User } from '../../users/users.service.js';
import { qliveTime } from './wire-format.js';

/** The user object of update_userinfo / get_userinfo (get_userinfo adds `rate`). */
export const QliveUserInfo = Type.Object({
  user_id: Type.String(),
  user_sig: Type.String({ description: 'Tencent UserSig; only in your own info ("" for others)' }),
  user_sig_expired: Type.Union([Type.String(), Type.Null()], {
    description: 'when user_sig expires (Beijing time); null for others',
  }),
  nickname: Type.String(),
  gender: Type.Integer({ description: '0 unknown, 1 man, 2 woman' }),
  age: Type.Integer(),
  face_url: Type.String(),
  area: Type.String(),
  gold: Type.Integer({ description: 'your gold (0 in others’ info)' }),
  height: Type.Integer(),
  is_matchmaker: Type.Boolean(),
  income: Type.Integer({ description: 'your income (0 in others’ info)' }),
  last_login_time: Type.Union([Type.String(), Type.Null()]),
  create_time: Type.String(),
});

/**
 * A user as QLive shows one. The UserSig is a credential and the wallet is private, so both are
 * filled only when `self` is true.
 */
export function qliveUserInfo(
  user: User,
  live: LiveStreams,
  self: { wallet: { gold: number; income: number } } | null,
) {
  return {
    user_id: String(user.id),
    user_sig: self ? live.userSig(user.id) : '',
    user_sig_expired: self ? qliveTime(live.userSigExpiresAt()) : null,
    nickname: user.nickname,
    gender: user.gender,
    age: user.age,
    face_url: user.headImg,
    area: user.area,
    gold: self?.wallet.gold ?? 0,
    height: user.height,
    is_matchmaker: user.role === 'matchmaker',
    income: self?.wallet.income ?? 0,
    last_login_time: user.lastLoginAt ? qliveTime(user.lastLoginAt) : null,
    create_time: qliveTime(user.createdAt),
  };
}
