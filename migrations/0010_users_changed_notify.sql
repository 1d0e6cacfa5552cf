-- Every change to a user's row, by the server or by hand, is announced on the channel
-- `users_changed` with the user's id, after it commits; every server process listens and drops
-- its cached copy of the row (src/users/user-rows.ts).
CREATE OR REPLACE FUNCTION notify_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('users_changed', OLD.id::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_user_changed();
