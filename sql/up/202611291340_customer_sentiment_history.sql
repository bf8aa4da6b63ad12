-- Migration: customer_sentiment_history
-- Creates venture.customer_sentiment_history (feedback intelligence, seed 000): a customer's
-- sentiment about a venture measured over time, score in [-1, 1], with the change from the previous
-- measurement in [-2, 2]. Consistency with the previous measurement is enforced, not trusted: a
-- BEFORE INSERT trigger links each measurement to the latest earlier one of the same customer and
-- venture (refusing measurements not later than the latest), a composite foreign key pins (previous
-- id, previous score) to that row, and the change is a generated column, score - previous score.
-- The feedback that caused a measurement is an optional composite reference.
-- Locks: SHARE ROW EXCLUSIVE on venture.ventures, venture.customers and venture.feedback_intelligence
-- (the foreign keys); ROW EXCLUSIVE on governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: tenant table; venture, customer, feedback and the previous measurement are composite references.
CREATE TABLE venture.customer_sentiment_history (
    organization_id uuid NOT NULL,
    sentiment_history_id uuid NOT NULL DEFAULT gen_random_uuid(),
    venture_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    measured_at timestamptz NOT NULL DEFAULT now(),
    sentiment_score numeric(3, 2) NOT NULL,
    previous_sentiment_history_id uuid,
    previous_sentiment_score numeric(3, 2),
    sentiment_change numeric(3, 2) GENERATED ALWAYS AS (sentiment_score - previous_sentiment_score) STORED,
    trigger_event text,
    feedback_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_customer_sentiment_history PRIMARY KEY (organization_id, sentiment_history_id),
    -- One measurement per customer, venture and instant: the order of measurements is total.
    CONSTRAINT uq_customer_sentiment_history_customer_venture_measured_at
        UNIQUE (organization_id, customer_id, venture_id, measured_at),
    -- The target of the previous-measurement key: a row's id together with its score.
    CONSTRAINT uq_customer_sentiment_history_id_score UNIQUE (organization_id, sentiment_history_id, sentiment_score),
    CONSTRAINT fk_customer_sentiment_history_venture_id FOREIGN KEY (organization_id, venture_id)
        REFERENCES venture.ventures (organization_id, venture_id) ON DELETE CASCADE,
    CONSTRAINT fk_customer_sentiment_history_customer_id FOREIGN KEY (organization_id, customer_id)
        REFERENCES venture.customers (organization_id, customer_id) ON DELETE CASCADE,
    CONSTRAINT fk_customer_sentiment_history_feedback_id FOREIGN KEY (organization_id, feedback_id)
        REFERENCES venture.feedback_intelligence (organization_id, feedback_id) ON DELETE SET NULL (feedback_id),
    -- A measurement others build on cannot be removed or rescored alone (erasure removes the whole chain).
    CONSTRAINT fk_customer_sentiment_history_previous FOREIGN KEY (
        organization_id, previous_sentiment_history_id, previous_sentiment_score
    ) REFERENCES venture.customer_sentiment_history (organization_id, sentiment_history_id, sentiment_score)
        ON DELETE RESTRICT,
    CONSTRAINT ck_customer_sentiment_history_sentiment_score_range CHECK (sentiment_score BETWEEN -1 AND 1),
    CONSTRAINT ck_customer_sentiment_history_change_range CHECK (sentiment_change BETWEEN -2 AND 2),
    CONSTRAINT ck_customer_sentiment_history_previous_complete CHECK (
        (previous_sentiment_history_id IS NULL) = (previous_sentiment_score IS NULL)
    ),
    CONSTRAINT ck_customer_sentiment_history_trigger_event_length CHECK (
        pg_catalog.char_length(trigger_event) BETWEEN 1 AND 200
    )
);
ALTER TABLE venture.customer_sentiment_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.customer_sentiment_history FORCE ROW LEVEL SECURITY;

-- Why: the venture foreign key's index, in time order ("sentiment of a venture's customers over time").
CREATE INDEX idx_customer_sentiment_history_venture_id_measured_at
    ON venture.customer_sentiment_history (organization_id, venture_id, measured_at);
-- Why: the feedback foreign key's index (deleting feedback sets the reference to NULL).
CREATE INDEX idx_customer_sentiment_history_organization_id_feedback_id
    ON venture.customer_sentiment_history (organization_id, feedback_id);
-- Why: the previous-measurement foreign key's index.
CREATE INDEX idx_customer_sentiment_history_previous
    ON venture.customer_sentiment_history (organization_id, previous_sentiment_history_id, previous_sentiment_score);

COMMENT ON TABLE venture.customer_sentiment_history IS
    'Sentiment of a customer about a venture over time; each measurement is linked to the previous one '
    'and its change is score - previous score.';
COMMENT ON CONSTRAINT uq_customer_sentiment_history_customer_venture_measured_at ON venture.customer_sentiment_history IS
    'One measurement per customer, venture and instant.';
COMMENT ON CONSTRAINT uq_customer_sentiment_history_id_score ON venture.customer_sentiment_history IS
    'Target of fk_customer_sentiment_history_previous: pins the previous score to the previous row.';
COMMENT ON COLUMN venture.customer_sentiment_history.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.customer_sentiment_history.sentiment_history_id IS 'Measurement id (unique within the tenant).';
COMMENT ON COLUMN venture.customer_sentiment_history.venture_id IS 'Venture the sentiment is about, same tenant.';
COMMENT ON COLUMN venture.customer_sentiment_history.customer_id IS 'Customer measured, same tenant.';
COMMENT ON COLUMN venture.customer_sentiment_history.measured_at IS 'When the sentiment was measured; later than every earlier measurement of the customer and venture.';
COMMENT ON COLUMN venture.customer_sentiment_history.sentiment_score IS 'Sentiment in [-1, 1].';
COMMENT ON COLUMN venture.customer_sentiment_history.previous_sentiment_history_id IS
    'The previous measurement of the same customer and venture (set by trg_customer_sentiment_history_link_previous); NULL for the first.';
COMMENT ON COLUMN venture.customer_sentiment_history.previous_sentiment_score IS
    'Score of the previous measurement, pinned to it by fk_customer_sentiment_history_previous.';
COMMENT ON COLUMN venture.customer_sentiment_history.sentiment_change IS
    'Generated: sentiment_score - previous_sentiment_score, in [-2, 2]; NULL for the first measurement.';
COMMENT ON COLUMN venture.customer_sentiment_history.trigger_event IS 'What caused the measurement (1-200 characters, no personal data).';
COMMENT ON COLUMN venture.customer_sentiment_history.feedback_id IS 'Feedback that caused the measurement, same tenant; optional.';
COMMENT ON COLUMN venture.customer_sentiment_history.created_at IS 'When the row was stored.';

-- Why: the previous measurement is found by the database, not claimed by the writer. Measurements of
-- one customer and venture are serialised (transaction advisory lock) so two concurrent writers cannot
-- both link to the same predecessor, and must arrive in time order.
CREATE FUNCTION venture.tg_customer_sentiment_history_link_previous() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_previous record;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtext('venture.customer_sentiment_history'),
        pg_catalog.hashtext(NEW.organization_id::text || NEW.customer_id::text || NEW.venture_id::text));
    SELECT h.sentiment_history_id, h.sentiment_score, h.measured_at INTO v_previous
    FROM venture.customer_sentiment_history AS h
    WHERE h.organization_id = NEW.organization_id AND h.customer_id = NEW.customer_id
      AND h.venture_id = NEW.venture_id
    ORDER BY h.measured_at DESC
    LIMIT 1;
    IF FOUND AND v_previous.measured_at >= NEW.measured_at THEN
        RAISE EXCEPTION 'sentiment measured at % is not after the latest measurement (%) of customer % for venture %',
            NEW.measured_at, v_previous.measured_at, NEW.customer_id, NEW.venture_id
            USING ERRCODE = 'check_violation',
                  HINT = 'sentiment history is appended in time order; record a new measurement with a later measured_at';
    END IF;
    NEW.previous_sentiment_history_id := v_previous.sentiment_history_id;
    NEW.previous_sentiment_score := v_previous.sentiment_score;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION venture.tg_customer_sentiment_history_link_previous() IS
    'BEFORE INSERT trigger: links a measurement to the latest earlier one of its customer and venture; '
    'refuses (23514) a measurement not later than the latest.';
REVOKE EXECUTE ON FUNCTION venture.tg_customer_sentiment_history_link_previous() FROM PUBLIC;

CREATE TRIGGER trg_customer_sentiment_history_link_previous
    BEFORE INSERT ON venture.customer_sentiment_history
    FOR EACH ROW EXECUTE FUNCTION venture.tg_customer_sentiment_history_link_previous();
-- Why: a privileged table about a person; every change is audited, also under session_replication_role = replica.
CREATE TRIGGER trg_customer_sentiment_history_audit
    AFTER INSERT OR UPDATE OR DELETE ON venture.customer_sentiment_history
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row();
ALTER TABLE venture.customer_sentiment_history ENABLE ALWAYS TRIGGER trg_customer_sentiment_history_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note) VALUES
    ('venture', 'customer_sentiment_history', 'organization_id', 'internal', NULL),
    ('venture', 'customer_sentiment_history', 'sentiment_history_id', 'internal', NULL),
    ('venture', 'customer_sentiment_history', 'venture_id', 'internal', NULL),
    ('venture', 'customer_sentiment_history', 'customer_id', 'internal', 'pseudonymous customer id'),
    ('venture', 'customer_sentiment_history', 'measured_at', 'internal', NULL),
    ('venture', 'customer_sentiment_history', 'sentiment_score', 'confidential', NULL),
    ('venture', 'customer_sentiment_history', 'previous_sentiment_history_id', 'internal', NULL),
    ('venture', 'customer_sentiment_history', 'previous_sentiment_score', 'confidential', NULL),
    ('venture', 'customer_sentiment_history', 'sentiment_change', 'confidential', NULL),
    ('venture', 'customer_sentiment_history', 'trigger_event', 'confidential', NULL),
    ('venture', 'customer_sentiment_history', 'feedback_id', 'internal', NULL),
    ('venture', 'customer_sentiment_history', 'created_at', 'internal', NULL);

RESET ROLE;
