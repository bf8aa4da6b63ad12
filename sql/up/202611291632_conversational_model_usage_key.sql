-- Migration: conversational_model_usage_key
-- conversations.model_id references the platform's model registry (core.models, a reference table
-- shared by every tenant). NOT VALID: no scan while the lock is held; 202611291633 validates it.
-- Locks: SHARE ROW EXCLUSIVE on conversational.conversations and core.models (ADD FOREIGN KEY NOT VALID)

SET LOCAL ROLE app_owner;

-- Why: a retired model stays in the registry (status), so RESTRICT never blocks normal work.
ALTER TABLE conversational.conversations
    ADD CONSTRAINT fk_conversations_model_id FOREIGN KEY (model_id)
        REFERENCES core.models (model_id) ON DELETE RESTRICT NOT VALID;

RESET ROLE;
