-- Why: a RoomService room lives only in its machine in Redis. When Redis loses it, its IM group
-- (GroupId = roomID) would stay at Tencent for ever and the room id could not be created again (the
-- group id is taken). A row per open room that is not a paid call's lets the lost-state reconciler
-- (src/roomservice/lost-live-rooms.ts) close it and destroy its group; a call's room is named by its
-- call's first minute instead, which keeps call setup at its Postgres budget.
CREATE TABLE "roomservice_rooms" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "roomservice_rooms_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"room_id" text NOT NULL,
	"creator" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"close_reason" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "roomservice_rooms_open_key" ON "roomservice_rooms" USING btree ("room_id") WHERE "roomservice_rooms"."closed_at" is null;