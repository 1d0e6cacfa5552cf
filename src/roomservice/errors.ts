/**
 * The RoomService protocol's own answer codes (spec tencent-roomservice.md §2): each with the
 * message its Java demo sends and the HTTP status we answer it with. Anything else a command throws
 * (an AppError: a banned user, a paid call that is not waiting) answers the paid-call way, its HTTP
 * status as `code`.
 */
export class RoomServiceError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RoomServiceError';
  }
}

const fail = (code: number, message: string, status: number) => new RoomServiceError(code, message, status);

export const RoomServiceErrors = {
  roomNotFound: () => fail(1, '请求失败，房间不存在', 404),
  /** `userID`/`token` missing: 401; a required body field missing: 400. */
  missingParameters: (status: 400 | 401 = 400) => fail(2, '请求失败，缺少参数', status),
  notCreator: () => fail(3, '不是房间主人，无法销毁房间', 403),
  loginParameters: () =>
    fail(4, '请求参数不全，请检查sdkAppID，IM_ACCOUNTTYPE，userID，userSig参数是否都存在', 400),
  notPusherOnLeave: () => fail(5, '退出房间失败，不是房间成员', 409),
  notPusher: () => fail(5, '请求失败，不是房间成员', 409),
  /** A call's room serves only the call's two parties (spec §7). */
  notCallParty: () => fail(5, '请求失败，不是房间成员', 403),
  groupCreationFailed: () => fail(6, '群组创建失败', 502),
  authFailed: () => fail(7, '请求失败，鉴权失败', 401),
  loginFailed: (reason: string) => fail(7, `鉴权失败, ${reason}`, 401),
  roomInfoTooLong: () => fail(11, 'roomInfo 字符串长度不能超过1024字节', 400),
  roomExists: () => fail(11, '房间已经存在', 409),
  roomFull: () => fail(5001, '超出房间人数上限', 409),
  audienceFull: () => fail(5001, '观众列表满了', 409),
};
