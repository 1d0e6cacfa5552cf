import type { User } from '../db/schema/index.js';
import { forbidden } from '../errors.js';

type Banned = Pick<User, 'banState'>;

/**
 * What a ban forbids, in one place; the services ask here and nowhere else. An account ban (封号)
 * shuts the user out of everything but reading why; a broadcasting ban (禁播) keeps him off
 * anything live or paid between users (calls, hosting, the mic, gifts) but lets him sign in,
 * keep his sockets and enter rooms as audience.
 */
export const banPolicy = {
  /** Sign in, open a socket. */
  maySignIn: (user: Banned) => user.banState !== 'account',
  /** Enter a QLive room as audience. */
  mayEnterRoom: (user: Banned) => user.banState !== 'account',
  /** Apply for, be rung for, or start a paid call. */
  mayCall: (user: Banned) => user.banState === 'none',
  /** Host a QLive room (matchmaker) or broadcast as an anchor. */
  mayHost: (user: Banned) => user.banState === 'none',
  /** Apply for or take a QLive mic seat. */
  mayTakeMic: (user: Banned) => user.banState === 'none',
  /** Send a gift (paid-call or QLive). */
  mayGift: (user: Banned) => user.banState === 'none',
  /** Be paid a gift. */
  mayReceiveGift: (user: Banned) => user.banState === 'none',
  /** Be listed where guests or anchors are picked from. */
  mayBeListed: (user: Banned) => user.banState === 'none',
} as const;

export type BanRule = keyof typeof banPolicy;

/** 403 with `message` unless the rule lets `user` do it. */
export function requireAllowed(rule: BanRule, user: Banned, message: string): void {
  if (!banPolicy[rule](user)) throw forbidden(message);
}
