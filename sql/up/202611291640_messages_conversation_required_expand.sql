-- Migration: messages_conversation_required_expand
-- Breaking change done right, step 1-2 (docs/playbooks/breaking-changes.md): messages.conversation_id
-- was approved nullable and becomes required. Expand: CHECK (conversation_id IS NOT NULL) NOT VALID
-- (new rows only; no scan) and, so that writers still omitting it keep working during the
-- compatibility window, a dual-write trigger that attaches such a message to the latest conversation
-- of the same tenant, end user, channel and session at or before it, or opens one (the message as
-- its user_message or bot_reply). session_id (202611291630) is the new column that threads them.
-- Locks: ACCESS EXCLUSIVE (catalog only, no scan) on conversational.messages (ADD CONSTRAINT NOT VALID, CREATE TRIGGER)

SET LOCAL ROLE app_owner;

-- Why: one rule for the trigger (new rows) and the backfill (old rows), so both attach alike.
CREATE FUNCTION conversational.conversation_for_message(
    p_organization_id uuid, p_user_id text, p_channel text, p_session_id text, p_created_at timestamptz,
    p_message_text text, p_is_from_user boolean
) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_conversation_id bigint;
BEGIN
    IF p_organization_id IS NULL THEN
        RETURN NULL;  -- not attributable: the CHECK refuses the row (23514)
    END IF;
    SELECT c.id INTO v_conversation_id
    FROM conversational.conversations AS c
    WHERE c.organization_id = p_organization_id AND c.user_id = p_user_id AND c.channel = p_channel
      AND c.session_id IS NOT DISTINCT FROM p_session_id AND c.created_at <= p_created_at
    ORDER BY c.created_at DESC, c.id DESC
    LIMIT 1;
    IF v_conversation_id IS NULL THEN
        INSERT INTO conversational.conversations
            (organization_id, user_id, channel, session_id, user_message, bot_reply, created_at)
        VALUES (p_organization_id, p_user_id, p_channel, p_session_id,
                CASE WHEN p_is_from_user THEN p_message_text ELSE '' END,
                CASE WHEN p_is_from_user THEN '' ELSE p_message_text END, p_created_at)
        RETURNING id INTO v_conversation_id;
    END IF;
    RETURN v_conversation_id;
END
$fn$;
REVOKE EXECUTE ON FUNCTION conversational.conversation_for_message(uuid, text, text, text, timestamptz, text, boolean)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION conversational.conversation_for_message(uuid, text, text, text, timestamptz, text, boolean)
    TO app_rw;
COMMENT ON FUNCTION conversational.conversation_for_message(uuid, text, text, text, timestamptz, text, boolean) IS
    'The conversation an orphan message belongs to: the latest one of its tenant, end user, channel and session at or before it, else a new one.';

-- Why: the dual write: writers of the old shape (no conversation_id) keep working in the window.
CREATE FUNCTION conversational.tg_messages_conversation_dual_write() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NEW.conversation_id IS NULL THEN
        NEW.conversation_id := conversational.conversation_for_message(
            coalesce(NEW.organization_id, app.current_org_id()), NEW.user_id, NEW.channel, NEW.session_id,
            NEW.created_at, NEW.message_text, NEW.is_from_user);
    END IF;
    RETURN NEW;
END
$fn$;
REVOKE EXECUTE ON FUNCTION conversational.tg_messages_conversation_dual_write() FROM PUBLIC;
COMMENT ON FUNCTION conversational.tg_messages_conversation_dual_write() IS
    'BEFORE INSERT/UPDATE: fills a missing conversation_id (compatibility window of 202611291640; removed by the contract step).';

CREATE TRIGGER trg_messages_conversation_dual_write
    BEFORE INSERT OR UPDATE OF conversation_id ON conversational.messages
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_messages_conversation_dual_write();

-- Why: new rows must name their conversation; old rows are checked by 202611291642 after the backfill.
ALTER TABLE conversational.messages
    ADD CONSTRAINT ck_messages_conversation_id_present CHECK (conversation_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_messages_conversation_id_present ON conversational.messages IS
    'conversation_id is required (the frozen column stays nullable in the catalog; this CHECK is the contract).';

RESET ROLE;
