-- Citus: the schema distributed. Platform catalogs and the tenant root, core.organizations, become
-- reference tables (a copy on every node); every other tenant table (one with organization_id) is
-- distributed by organization_id, all in one colocation group, so one tenant's rows of every table
-- live in one shard group and joins, foreign keys and policies stay on one node. Runs only on a Citus
-- coordinator, after the migrations and the policies/views, in one transaction; repeatable: a table
-- Citus already knows (pg_dist_partition) is left as it is, so a later run converts only new tables.
--
-- What it does around the conversion, and why:
-- * core.organizations is a reference table, not a distributed one: its slug stays globally unique
--   (uq_organizations_slug), every shard joins it locally, and it is small (one row per tenant).
-- * Keys Citus cannot enforce on a distributed table (a unique key without organization_id) change
--   to their Citus form first: uq_api_keys_organization_id_prefix and uq_users_organization_id_email
--   replace the global uq_api_keys_prefix and uq_users_email, and citus/after/22_global_keys.sql
--   keeps the prefix and the email unique across tenants (a claim in a reference table that the
--   row's foreign key requires). A primary key on
--   (id) alone (the frozen conversational tables) becomes (organization_id, id) under the same name,
--   and the single-column foreign keys to it go: each has a composite twin on (organization_id, ...)
--   that stays.
-- * Foreign keys between the tables being converted are taken off first and put back last, with the
--   same names and definitions (validated again). Citus converts a table to a reference table only
--   together with every plain table in its foreign-key graph, and distributes a child only after its
--   parent; with the keys off, each table converts on its own.
-- * A key declared ON DELETE SET NULL (column), which Citus refuses on a distributed table, comes back
--   without the action, and a BEFORE DELETE trigger on the referenced table does it
--   (app.tg_set_null_references, citus/after/15_set_null_references.sql), named trg_<key name>.
-- * The audit triggers (ENABLE ALWAYS) are disabled while the rows are copied to the shards (they
--   would fire on each copied row) and enabled again, ALWAYS; the DDL audit records both.
-- * Triggers on distributed tables run on the shards: citus.enable_unsafe_triggers allows them.
-- * The row-level audit triggers (audit.tg_audit_row) come back ENABLE ALWAYS too: on a shard they
--   write the audit trail of the shard's node, which citus/after/12_audit_nodes.sql creates.
-- * The audit trail (audit.events, audit.chain_links) is not converted: each node keeps its own, as
--   plain tables of that node (the coordinator's are the migrations' own). Not a reference or
--   distributed table: the DDL audit writes audit.events as the owner role (SECURITY DEFINER) in every
--   transaction with DDL, and Citus refuses a replicated table to a second role in a transaction that
--   already wrote its placements (converting one copies its rows as the migrator).

-- Why: the conversion itself.
DO $distribute$
DECLARE
    v_reference constant regclass[] := ARRAY[
        'governance.erasure_subjects', 'governance.erasure_handlers', 'governance.column_classifications',
        'governance.retention_policies', 'core.models', 'agency.marketplace_modules', 'usage.rollup_marks',
        'core.organizations'
    ]::regclass[];
    v_audit constant regclass[] := ARRAY['audit.events', 'audit.chain_links']::regclass[];  -- stay local
    v_tenant regclass[];
    v_new regclass[];
    v_table regclass;
    v_key record;
    v_keys text[] := '{}';
    v_disabled text[];
    v_last bigint;
BEGIN
    SET LOCAL citus.enable_unsafe_triggers = on;
    SET LOCAL citus.multi_shard_modify_mode = 'sequential';

    -- The tenant tables, by name.
    SELECT pg_catalog.array_agg(c.oid::regclass ORDER BY c.oid::regclass::text)
    INTO v_tenant
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname IN ('core', 'governance', 'audit', 'usage', 'venture', 'agency', 'conversational')
      AND c.oid <> ALL (v_reference || v_audit);

    SELECT coalesce(pg_catalog.array_agg(t), '{}') INTO v_new
    FROM pg_catalog.unnest(v_reference || v_tenant) AS t
    WHERE NOT EXISTS (SELECT FROM pg_dist_partition AS p WHERE p.logicalrelid = t);

    -- Citus forms of the keys (see above), on the tenant tables still to distribute.
    IF 'core.api_keys'::regclass = ANY (v_new) THEN
        ALTER TABLE core.api_keys DROP CONSTRAINT uq_api_keys_prefix,
            ADD CONSTRAINT uq_api_keys_organization_id_prefix UNIQUE (organization_id, prefix);
    END IF;
    IF 'conversational.users'::regclass = ANY (v_new) THEN
        ALTER TABLE conversational.users DROP CONSTRAINT uq_users_email,
            ADD CONSTRAINT uq_users_organization_id_email UNIQUE (organization_id, email);
    END IF;
    FOR v_key IN
        SELECT k.conrelid::regclass AS tbl, k.conname
        FROM pg_catalog.pg_constraint AS k
        JOIN pg_catalog.pg_constraint AS target ON target.conrelid = k.confrelid AND target.conindid = k.conindid
                                                AND target.contype IN ('p', 'u')
        JOIN pg_catalog.pg_attribute AS org ON org.attrelid = k.confrelid AND org.attname = 'organization_id'
        WHERE k.contype = 'f' AND k.confrelid = ANY (v_new) AND NOT org.attnum = ANY (target.conkey)
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', v_key.tbl, v_key.conname);
    END LOOP;
    FOR v_key IN
        SELECT k.conrelid::regclass AS tbl, k.conname,
               (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY u.ord)
                FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u (attnum, ord)
                JOIN pg_catalog.pg_attribute AS a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS cols
        FROM pg_catalog.pg_constraint AS k
        JOIN pg_catalog.pg_attribute AS org ON org.attrelid = k.conrelid AND org.attname = 'organization_id'
        WHERE k.contype = 'p' AND k.conrelid = ANY (v_new) AND k.conrelid <> ALL (v_reference)
          AND NOT org.attnum = ANY (k.conkey)
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I PRIMARY KEY (organization_id, %s)',
                                  v_key.tbl, v_key.conname, v_key.conname, v_key.cols);
    END LOOP;

    -- Foreign keys touching a table to convert: remembered, then dropped.
    FOR v_key IN
        SELECT k.conrelid::regclass AS tbl, k.conname, pg_catalog.pg_get_constraintdef(k.oid) AS def,
               k.confrelid::regclass AS target, k.confdeltype, k.confdelsetcols,
               (SELECT pg_catalog.array_agg(pg_catalog.format('%L, %L', a.attname, f.attname) ORDER BY u.ord)
                FROM ROWS FROM (pg_catalog.unnest(k.conkey), pg_catalog.unnest(k.confkey)) WITH ORDINALITY AS u (attnum, fattnum, ord)
                JOIN pg_catalog.pg_attribute AS a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
                JOIN pg_catalog.pg_attribute AS f ON f.attrelid = k.confrelid AND f.attnum = u.fattnum) AS pairs
        FROM pg_catalog.pg_constraint AS k
        WHERE k.contype = 'f' AND k.conparentid = 0
          AND (k.conrelid = ANY (v_new || v_audit) OR k.confrelid = ANY (v_new || v_audit))
        ORDER BY k.conrelid::regclass::text, k.conname
    LOOP
        IF v_key.confdeltype = 'n' AND pg_catalog.cardinality(v_key.confdelsetcols) = 1 THEN
            v_keys := v_keys
                || pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_key.tbl, v_key.conname,
                                     pg_catalog.regexp_replace(v_key.def, ' ON DELETE SET NULL \([^)]*\)', ''))
                || pg_catalog.format('CREATE TRIGGER %I BEFORE DELETE ON %s FOR EACH ROW EXECUTE FUNCTION '
                                     'app.tg_set_null_references(%L, %L, %s)', 'trg_' || v_key.conname, v_key.target,
                                     v_key.tbl, (SELECT a.attname FROM pg_catalog.pg_attribute AS a
                                                 WHERE a.attrelid = v_key.tbl AND a.attnum = v_key.confdelsetcols[1]),
                                     pg_catalog.array_to_string(v_key.pairs, ', '));
        ELSE
            v_keys := v_keys || pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_key.tbl, v_key.conname, v_key.def);
        END IF;
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', v_key.tbl, v_key.conname);
    END LOOP;

    FOREACH v_table IN ARRAY v_new LOOP
        SELECT coalesce(pg_catalog.array_agg(t.tgname::text), '{}') INTO v_disabled
        FROM pg_catalog.pg_trigger AS t
        WHERE t.tgrelid = v_table AND t.tgenabled = 'A' AND NOT t.tgisinternal;
        FOR i IN 1 .. pg_catalog.cardinality(v_disabled) LOOP
            EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', v_table, v_disabled[i]);
        END LOOP;
        IF v_table = ANY (v_reference) THEN
            PERFORM create_reference_table(v_table);
        ELSE
            -- 'default': every table distributed by a uuid organization_id, with the default shard
            -- count, lands in one colocation group.
            PERFORM create_distributed_table(v_table, 'organization_id', colocate_with => 'default');
        END IF;
        FOR i IN 1 .. pg_catalog.cardinality(v_disabled) LOOP
            EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', v_table, v_disabled[i]);
        END LOOP;
    END LOOP;

    FOR i IN 1 .. pg_catalog.cardinality(v_keys) LOOP
        EXECUTE v_keys[i];
    END LOOP;

END
$distribute$;
