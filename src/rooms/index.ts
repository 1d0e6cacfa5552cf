/** The QLive domain (rooms, profiles, likes, gifts in rooms), built once by the app context. */

import type { Db } from '../db/client.js';
import type { GiftsService } from '../gifts/gifts.service.js';
import type { RedisClient } from '../redis/connection.js';
import { createLikesRepository } from './likes.repository.js';
import { createQliveProfiles } from './qlive-profiles.js';
import { createRoomGiftsService, type RoomGiftsDeps } from './room-gifts.service.js';
import type { RoomIndex } from './room-index.js';
import type { RoomMachines } from './room-kind.js';
import { createRoomsRepository } from './rooms.repository.js';
import { createRoomsService } from './rooms.service.js';

export interface QliveRoomServicesDeps {
  db: Db;
  redis: RedisClient;
  prefix: string;
  machines: RoomMachines;
  roomIndex: RoomIndex;
  gifts: GiftsService;
  graceMs: number;
  pushGift: RoomGiftsDeps['pushGift'];
  pushWallet: RoomGiftsDeps['pushWallet'];
}

export function createQliveRoomServices(deps: QliveRoomServicesDeps) {
  const repository = createRoomsRepository(deps.db);
  const rooms = createRoomsService({
    machines: deps.machines,
    repository,
    roomIndex: deps.roomIndex,
    redis: deps.redis,
    prefix: deps.prefix,
    graceMs: deps.graceMs,
  });
  const profiles = createQliveProfiles(deps.db);
  return {
    rooms,
    roomsRepository: repository,
    profiles,
    likes: createLikesRepository(deps.db),
    roomGifts: createRoomGiftsService({
      db: deps.db,
      gifts: deps.gifts,
      profiles,
      rooms,
      pushGift: deps.pushGift,
      pushWallet: deps.pushWallet,
    }),
  };
}

export type QliveRoomServices = ReturnType<typeof createQliveRoomServices>;
