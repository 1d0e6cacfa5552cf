-- Why: when Redis loses a live call's machine, Postgres must still know enough to settle it
-- (reconciler, src/calls/lost-calls.ts): who called whom at which prices is in every minute's
-- metadata already, but not who initiated the call nor when it rang, was accepted and started. The
-- first minute now carries them (`call`), and an index on the call minutes' time lets the
-- reconciler find recent calls without a record without scanning the whole ledger.
CREATE OR REPLACE FUNCTION charge_call_minutes(p_charges jsonb)
RETURNS TABLE (call_id bigint, minute integer, outcome text, guest_diamonds bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  c record;
  v_lock bigint;
  v_key text;
  v_revenue_account bigint;
  v_issuance_account bigint;
  v_guest_account bigint;
  v_anchor_account bigint;
  v_transaction bigint;
  v_diamonds_total bigint := 0;
  v_points_total bigint := 0;
BEGIN
  FOR v_lock IN
    SELECT DISTINCT hashtextextended('call:' || (e->>'callId'), 0) FROM jsonb_array_elements(p_charges) e ORDER BY 1
  LOOP
    PERFORM pg_advisory_xact_lock(v_lock);
  END LOOP;

  INSERT INTO accounts (platform, currency)
    SELECT p.platform, p.currency FROM (VALUES ('revenue', 'diamond'), ('issuance', 'point')) AS p(platform, currency)
     WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.platform = p.platform AND a.currency = p.currency AND a.user_id IS NULL)
    ON CONFLICT DO NOTHING;
  INSERT INTO accounts (user_id, currency)
    SELECT DISTINCT (e->>'anchorId')::bigint, 'point' FROM jsonb_array_elements(p_charges) e
     WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.user_id = (e->>'anchorId')::bigint AND a.currency = 'point')
    ON CONFLICT DO NOTHING;
  SELECT a.id INTO v_revenue_account FROM accounts a
   WHERE a.platform = 'revenue' AND a.currency = 'diamond' AND a.user_id IS NULL;
  SELECT a.id INTO v_issuance_account FROM accounts a
   WHERE a.platform = 'issuance' AND a.currency = 'point' AND a.user_id IS NULL;
  PERFORM 1 FROM accounts a
   WHERE a.id IN (v_revenue_account, v_issuance_account)
      OR (a.currency = 'diamond' AND a.user_id IN (SELECT (e->>'guestId')::bigint FROM jsonb_array_elements(p_charges) e))
      OR (a.currency = 'point' AND a.user_id IN (SELECT (e->>'anchorId')::bigint FROM jsonb_array_elements(p_charges) e))
   ORDER BY a.id FOR UPDATE;

  FOR c IN
    SELECT x.* FROM jsonb_to_recordset(p_charges)
      AS x("callId" bigint, minute integer, "guestId" bigint, "anchorId" bigint, diamonds bigint, points bigint,
          "call" jsonb)
     ORDER BY x."callId", x.minute
  LOOP
    call_id := c."callId";
    minute := c.minute;
    v_key := 'call:' || c."callId" || ':minute:' || c.minute;
    SELECT a.id, a.balance INTO v_guest_account, guest_diamonds
      FROM accounts a WHERE a.user_id = c."guestId" AND a.currency = 'diamond';
    IF EXISTS (SELECT 1 FROM call_records r WHERE r.id = c."callId") THEN
      outcome := 'settled'; RETURN NEXT; CONTINUE;
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.idempotency_key = v_key) THEN
      outcome := 'already'; RETURN NEXT; CONTINUE;
    END IF;
    IF guest_diamonds IS NULL OR guest_diamonds < c.diamonds THEN
      outcome := 'insufficient'; RETURN NEXT; CONTINUE;
    END IF;

    UPDATE accounts a SET balance = a.balance - c.diamonds WHERE a.id = v_guest_account
      RETURNING a.balance INTO guest_diamonds;
    UPDATE accounts a SET balance = a.balance + c.points
      WHERE a.user_id = c."anchorId" AND a.currency = 'point' RETURNING a.id INTO v_anchor_account;
    INSERT INTO ledger_transactions (idempotency_key, kind, reference, metadata)
      VALUES (v_key, 'call_minute', 'call:' || c."callId",
              jsonb_build_object('minute', c.minute, 'guestId', c."guestId", 'anchorId', c."anchorId")
                || CASE WHEN c."call" IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('call', c."call") END)
      RETURNING id INTO v_transaction;
    INSERT INTO ledger_entries (transaction_id, account_id, currency, amount) VALUES
      (v_transaction, v_guest_account, 'diamond', -c.diamonds),
      (v_transaction, v_revenue_account, 'diamond', c.diamonds),
      (v_transaction, v_issuance_account, 'point', -c.points),
      (v_transaction, v_anchor_account, 'point', c.points);
    v_diamonds_total := v_diamonds_total + c.diamonds;
    v_points_total := v_points_total + c.points;
    outcome := 'charged'; RETURN NEXT;
  END LOOP;

  IF v_diamonds_total <> 0 THEN
    UPDATE accounts a SET balance = a.balance + v_diamonds_total WHERE a.id = v_revenue_account;
  END IF;
  IF v_points_total <> 0 THEN
    UPDATE accounts a SET balance = a.balance - v_points_total WHERE a.id = v_issuance_account;
  END IF;
END;
$$;
--> statement-breakpoint
CREATE INDEX "ledger_transactions_call_minute_time_idx" ON "ledger_transactions" USING btree ("created_at") WHERE "ledger_transactions"."kind" = 'call_minute';