-- Why: settling a call took seven round trips (charged minutes, missing charges, then BEGIN, lock,
-- sum, insert, select, COMMIT). At a few hundred calls a second those round trips were the largest
-- cost of a call's setup and teardown. This function does the same work in one call and one
-- transaction: charge the minutes the machine started that the ledger lacks (every minute 1..n is
-- passed; those already charged are left out before charging), then, under the call's money
-- lock, write the record once with its minutes and amounts summed from the ledger, and answer the
-- stored record (the existing one when the call was settled before).
CREATE OR REPLACE FUNCTION settle_call(p_record jsonb, p_charges jsonb)
RETURNS SETOF call_records
LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint := (p_record->>'id')::bigint;
  v_minutes integer;
  v_diamonds bigint;
  v_points bigint;
  v_missing jsonb;
BEGIN
  -- Only the minutes the ledger lacks: charging takes the platform rows' locks, which the billing
  -- batches need, and a settled call usually has every minute charged already.
  SELECT coalesce(jsonb_agg(c), '[]'::jsonb) INTO v_missing
    FROM jsonb_array_elements(p_charges) c
   WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t
                      WHERE t.idempotency_key = 'call:' || (c->>'callId') || ':minute:' || (c->>'minute'));
  IF jsonb_array_length(v_missing) > 0 THEN
    PERFORM charge_call_minutes(v_missing);
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('call:' || v_id, 0));
  SELECT count(DISTINCT t.id),
         coalesce(sum(e.amount) FILTER (WHERE e.currency = 'diamond' AND e.amount > 0), 0),
         coalesce(sum(e.amount) FILTER (WHERE e.currency = 'point' AND e.amount > 0), 0)
    INTO v_minutes, v_diamonds, v_points
    FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
   WHERE t.reference = 'call:' || v_id AND t.kind = 'call_minute';
  INSERT INTO call_records
    SELECT * FROM jsonb_populate_record(NULL::call_records, p_record || jsonb_build_object(
      'minutes', v_minutes, 'diamonds', v_diamonds, 'points', v_points,
      'status', CASE WHEN v_minutes > 0 THEN 2 ELSE 1 END))
  ON CONFLICT (id) DO NOTHING;
  RETURN QUERY SELECT * FROM call_records r WHERE r.id = v_id;
END;
$$;
