import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  MESSAGE_FORM_MODULES,
  type MessageFormsRepository,
} from '../../platform/message-forms.repository.js';
import type { PlatformSettings } from '../../platform/platform-settings.js';
import { currentUser } from '../request-user.js';
import { StringEnum } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

/** Share card, mini-program feature switches and template-message form ids (paid-call 24, 25, 28). */
export const paidCallPlatformRoutes: FastifyPluginAsyncTypebox<{
  settings: PlatformSettings;
  messageForms: MessageFormsRepository;
}> = async (app, { settings, messageForms }) => {
  const tags = ['paid-call: platform'];

  app.post(
    '/app/user/getShareInfo',
    {
      schema: {
        tags,
        body: paidCallBody({}),
        response: { 200: paidCallResponse({ title: Type.String(), imgUrl: Type.String() }) },
      },
    },
    async () => ok(await settings.shareInfo()),
  );

  app.post(
    '/app/login/weChatVersion',
    {
      schema: {
        tags,
        description:
          'Feature switches of a mini-program build, from the `wechat_version` config. Answers with or ' +
          'without a token: a build asks before it has signed in.',
        body: paidCallBody({
          version: Type.Integer({ minimum: 0, description: 'the build number, increasing' }),
          terminalType: Type.Integer({ description: '3: the mini-program' }),
        }),
        response: {
          200: paidCallResponse({
            version: Type.Integer(),
            terminalType: Type.Integer(),
            review: Type.Integer({ description: '1 when this build is under WeChat review' }),
            switches: Type.Record(Type.String(), Type.Boolean()),
          }),
        },
      },
      config: { auth: false },
    },
    async (request) => {
      const { version, terminalType } = request.body;
      return ok({ version, terminalType, ...(await settings.featureSwitches(version, terminalType)) });
    },
  );

  app.post(
    '/app/live/messageForm',
    {
      schema: {
        tags,
        body: paidCallBody({
          formId: Type.String({
            minLength: 1,
            maxLength: 128,
            description: 'form_id, or prepay_id after paying',
          }),
          moduleName: StringEnum(MESSAGE_FORM_MODULES),
        }),
        response: { 200: paidCallResponse({}) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      await messageForms.store(user.id, request.body.moduleName, request.body.formId);
      return ok({});
    },
  );
};
