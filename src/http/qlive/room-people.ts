import { Type } from 'typebox';
import type { LiveStreams } from '../../tencent/live-streams.js';
import type { User } from '../../users/users.service.js';

/** Someone with a stream in a room (owner, male, female in get_playurl; accept_micro's answer). */
export const Player = Type.Object({
  play_url: Type.String({ description: 'rtmp play URL of this person’s stream; "" for an empty seat' }),
  nickname: Type.String(),
  area: Type.String(),
  age: Type.Integer(),
  user_id: Type.String({ description: '"" for an empty seat' }),
  face_url: Type.String(),
});

/** An empty seat: every field empty, so a client can read `male.user_id` without a null check. */
export const EMPTY_PLAYER = { play_url: '', nickname: '', area: '', age: 0, user_id: '', face_url: '' };

export function playerOf(live: LiveStreams, liveId: number, user: User | undefined) {
  if (!user) return EMPTY_PLAYER;
  return {
    play_url: live.playUrl('room', String(liveId), user.id),
    nickname: user.nickname,
    area: user.area,
    age: user.age,
    user_id: String(user.id),
    face_url: user.headImg,
  };
}

/** The signed push URL of `userId`'s own stream in the room. */
export const pushUrlOf = (live: LiveStreams, liveId: number, userId: number) =>
  live.pushUrl('room', String(liveId), userId);
