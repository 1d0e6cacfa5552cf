import { type CallSnapshot, type CallView, callView } from '../../machines/call.js';

/** What clients are pushed and answered: the machine's view with roomInstanceId as the long the apps expect. */
export type PublicCallView = Omit<CallView, 'roomInstanceId'> & { roomInstanceId: number };

export function publicCallView(snapshot: CallSnapshot): PublicCallView {
  const view = callView(snapshot);
  return { ...view, roomInstanceId: Number(view.roomInstanceId) };
}
