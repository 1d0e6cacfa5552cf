/** Response shapes of the panel's API (the response schemas also keep anything undeclared out). */
import { Type } from 'typebox';
import { StringEnum } from '../http/schemas.js';
import { MACHINE_KINDS } from './machine-registry.js';

export const Kind = StringEnum(MACHINE_KINDS);
/** A machine instance id as the runtime accepts it. */
export const InstanceId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$' });
/** Calls and rooms are numbered. */
export const NumericId = Type.String({ pattern: '^[0-9]{1,19}$' });

/** The operator's note on a destructive action (hang up, end, ban, remove), kept in admin_actions. */
export const AdminReason = Type.String({ minLength: 1, maxLength: 500 });

export const ErrorResponse = Type.Object({
  error: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
});

const Party = Type.Object({ role: Type.String(), userId: Type.Integer() });

export const MachineSummarySchema = Type.Object({
  kind: Kind,
  id: Type.String(),
  state: Type.String(),
  final: Type.Boolean(),
  version: Type.Integer(),
  parties: Type.Array(Party),
  since: Type.Number(),
  updatedAt: Type.Number(),
  lastEvent: Type.Union([
    Type.Object({ type: Type.String(), at: Type.Number(), actor: Type.String() }),
    Type.Null(),
  ]),
});

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

export const ArchiveRowSchema = Type.Object({
  ...MachineSummarySchema.properties,
  endReason: Type.Union([Type.String(), Type.Null()]),
  minutes: NullableNumber,
  diamonds: NullableNumber,
  points: NullableNumber,
  startedAt: NullableNumber,
  endedAt: Type.Number(),
  durationMs: NullableNumber,
});

const Transition = Type.Object({
  version: Type.Integer(),
  event: Type.Unknown(),
  from: Type.Unknown(),
  to: Type.Unknown(),
  actor: Type.String(),
  at: Type.Number(),
});

export const AdminActionSchema = Type.Object({
  id: Type.Integer(),
  actor: Type.String(),
  action: Type.String(),
  targetKind: Type.String(),
  targetId: Type.String(),
  payload: Type.Unknown(),
  createdAt: Type.Unsafe<Date>({ type: 'string', format: 'date-time' }),
});

const LedgerMovement = Type.Object({
  transactionId: Type.Integer(),
  key: Type.String(),
  kind: Type.String(),
  at: Type.Number(),
  metadata: Type.Unknown(),
  legs: Type.Array(Type.Object({ account: Type.String(), currency: Type.String(), amount: Type.Integer() })),
});

const LedgerLeg = Type.Object({ account: Type.String(), currency: Type.String(), amount: Type.Integer() });

export const LedgerPageSchema = Type.Object({
  totals: Type.Object({ movements: Type.Integer(), byAccount: Type.Array(LedgerLeg) }),
  movements: Type.Array(LedgerMovement),
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});

const SummaryFact = Type.Object({
  key: Type.String(),
  label: Type.String(),
  value: Type.Union([Type.String(), Type.Number(), Type.Null()]),
  format: StringEnum(['text', 'time', 'deadline', 'duration'] as const),
});

const ArmedTimer = Type.Object({
  sendId: Type.String(),
  jobId: Type.String(),
  state: Type.String(),
  dueAt: Type.Union([Type.Number(), Type.Null()]),
  attempts: Type.Integer(),
});

const Member = Type.Object({
  userId: Type.Integer(),
  role: Type.String(),
  seat: Type.Union([Type.String(), Type.Null()]),
  joinedAt: Type.Union([Type.Number(), Type.Null()]),
  disconnected: Type.Boolean(),
  actions: Type.Object({ removeFromMic: Type.Boolean(), remove: Type.Boolean(), ban: Type.Boolean() }),
});

export const VersionViewSchema = Type.Object({
  version: Type.Integer(),
  transition: Transition,
  state: Type.String(),
  activeStateIds: Type.Array(Type.String()),
  path: Type.Array(Type.String()),
  edges: Type.Array(Type.Object({ from: Type.String(), to: Type.String() })),
  context: Type.Unknown(),
  /** A field that did not exist before (or no longer after) has no `before` (`after`). */
  changes: Type.Array(
    Type.Object({
      path: Type.String(),
      before: Type.Optional(Type.Unknown()),
      after: Type.Optional(Type.Unknown()),
    }),
  ),
  exact: Type.Boolean(),
});

export const MachineDetailSchema = Type.Object({
  ...MachineSummarySchema.properties,
  source: StringEnum(['live', 'archive'] as const),
  status: Type.String(),
  activeStateIds: Type.Array(Type.String()),
  snapshot: Type.Unknown(),
  context: Type.Unknown(),
  view: Type.Unknown(),
  history: Type.Array(Transition),
  accepts: Type.Array(
    Type.Object({
      event: Type.String(),
      label: Type.String(),
      guards: Type.Array(Type.Union([Type.String(), Type.Null()])),
      targets: Type.Array(Type.String()),
    }),
  ),
  adminActions: Type.Object({ hangup: Type.Boolean(), end: Type.Boolean(), ban: Type.Array(Type.Integer()) }),
  record: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  ledger: LedgerPageSchema,
  summary: Type.Array(SummaryFact),
  timers: Type.Array(ArmedTimer),
  members: Type.Union([Type.Array(Member), Type.Null()]),
  actions: Type.Array(AdminActionSchema),
});

export const UserLookupSchema = Type.Object({
  profile: Type.Object({
    userId: Type.Integer(),
    role: Type.String(),
    nickname: Type.String(),
    age: Type.Integer(),
    gender: Type.Integer(),
    headImg: Type.String(),
    area: Type.String(),
    unitPrice: Type.Integer(),
    display: Type.Integer(),
    wechatBound: Type.Boolean(),
    createdAt: Type.Number(),
    lastLoginAt: NullableNumber,
  }),
  balances: Type.Record(Type.String(), Type.Integer()),
  ban: Type.Object({ state: Type.String(), message: Type.String() }),
  warnMessage: Type.String(),
  activeCallId: Type.Union([Type.String(), Type.Null()]),
  activeRoomId: Type.Union([Type.String(), Type.Null()]),
  presence: Type.Object({
    status: StringEnum(['online', 'busy', 'offline'] as const),
    sockets: Type.Integer(),
  }),
  sockets: Type.Array(
    Type.Object({
      id: Type.String(),
      address: Type.String(),
      connectedAt: Type.Number(),
      userAgent: Type.String(),
      rooms: Type.Array(Type.String()),
    }),
  ),
  recentOrders: Type.Array(
    Type.Object({
      outTradeNo: Type.String(),
      currency: Type.String(),
      amount: Type.Integer(),
      priceFen: Type.Integer(),
      status: Type.String(),
      createdAt: Type.Number(),
      paidAt: NullableNumber,
    }),
  ),
  recentCalls: Type.Array(
    Type.Object({
      callId: Type.Integer(),
      role: Type.String(),
      otherUserId: Type.Integer(),
      status: Type.Integer(),
      endReason: Type.String(),
      minutes: Type.Integer(),
      diamonds: Type.Integer(),
      points: Type.Integer(),
      banTitle: Type.Union([Type.String(), Type.Null()]),
      banStreamStatus: Type.Union([Type.Integer(), Type.Null()]),
      createdAt: Type.Number(),
      endedAt: Type.Number(),
    }),
  ),
  adminActions: Type.Array(AdminActionSchema),
});

const MachineOutcome = Type.Union([
  Type.Object({ kind: Type.String(), id: Type.String(), applied: Type.Boolean(), state: Type.String() }),
  Type.Null(),
]);

export const ModeratedUserSchema = Type.Object({
  userId: Type.Integer(),
  banState: Type.String(),
  banMessage: Type.String(),
  warnMessage: Type.String(),
  call: Type.Optional(MachineOutcome),
  room: Type.Optional(MachineOutcome),
});
