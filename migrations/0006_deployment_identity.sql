CREATE TABLE "deployment_identity" (
	"key" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Made once, with the database: a restored copy of the database keeps it, a new database gets its own.
INSERT INTO "deployment_identity" ("key", "id") VALUES ('database', gen_random_uuid()::text);
