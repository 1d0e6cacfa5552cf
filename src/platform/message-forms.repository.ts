import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { messageForms } from '../db/schema/index.js';

export const MESSAGE_FORM_MODULES = ['login', 'pay', 'main'] as const;
export type MessageFormModule = (typeof MESSAGE_FORM_MODULES)[number];

/** WeChat accepts a form id (or a payment's prepay_id) for a template message for 7 days. */
export const FORM_ID_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Form ids the mini-program hands over, kept per user and module until WeChat stops accepting them. */
export function createMessageFormsRepository(db: Db) {
  return {
    async store(userId: number, moduleName: MessageFormModule, formId: string, now = new Date()) {
      const expiresAt = new Date(now.getTime() + FORM_ID_TTL_MS);
      await db.transaction(async (tx) => {
        // Expired ids are useless to WeChat: dropping the user's old ones keeps the table small.
        await tx
          .delete(messageForms)
          .where(and(eq(messageForms.userId, userId), lt(messageForms.expiresAt, now)));
        await tx.insert(messageForms).values({ userId, moduleName, formId, createdAt: now, expiresAt });
      });
      return { expiresAt };
    },
  };
}

export type MessageFormsRepository = ReturnType<typeof createMessageFormsRepository>;
