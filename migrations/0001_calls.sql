CREATE SEQUENCE "public"."call_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1000001 CACHE 1;--> statement-breakpoint
CREATE TABLE "call_records" (
	"id" bigint PRIMARY KEY NOT NULL,
	"guest_id" bigint NOT NULL,
	"anchor_id" bigint NOT NULL,
	"initiator" text NOT NULL,
	"unit_price_points" integer NOT NULL,
	"unit_price_diamonds" integer NOT NULL,
	"status" smallint NOT NULL,
	"end_reason" text NOT NULL,
	"ended_by" text,
	"minutes" integer DEFAULT 0 NOT NULL,
	"diamonds" bigint DEFAULT 0 NOT NULL,
	"points" bigint DEFAULT 0 NOT NULL,
	"ban_title" text,
	"ban_stream_status" smallint,
	"created_at" timestamp with time zone NOT NULL,
	"accepted_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone NOT NULL,
	CONSTRAINT "call_records_status_check" CHECK ("call_records"."status" in (1, 2)),
	CONSTRAINT "call_records_amounts_check" CHECK ("call_records"."minutes" >= 0 and "call_records"."diamonds" >= 0 and "call_records"."points" >= 0)
);
--> statement-breakpoint
CREATE TABLE "machine_archives" (
	"kind" text NOT NULL,
	"id" text NOT NULL,
	"final_state" text NOT NULL,
	"snapshot" jsonb NOT NULL,
	"history" jsonb NOT NULL,
	"archived_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "machine_archives_kind_id_pk" PRIMARY KEY("kind","id")
);
--> statement-breakpoint
ALTER TABLE "call_records" ADD CONSTRAINT "call_records_guest_id_users_id_fk" FOREIGN KEY ("guest_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_records" ADD CONSTRAINT "call_records_anchor_id_users_id_fk" FOREIGN KEY ("anchor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_records_guest_idx" ON "call_records" USING btree ("guest_id","created_at");--> statement-breakpoint
CREATE INDEX "call_records_anchor_idx" ON "call_records" USING btree ("anchor_id","created_at");--> statement-breakpoint
CREATE INDEX "machine_archives_time_idx" ON "machine_archives" USING btree ("archived_at");