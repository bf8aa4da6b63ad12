"""Introspection queries shared by execute, review, checks and docs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg

Conn = psycopg.Connection[Any]

BOOKKEEPING_SCHEMA = "dbrun"

# The "product schema" filter, on a pg_namespace aliased `n`: every schema but PostgreSQL's own
# (pg_catalog, information_schema and the pg_* ones: pg_toast, pg_temp_N, ...; users cannot create a
# schema named pg_*), dbrun's bookkeeping, and the Citus extension's own schemas on a Citus coordinator.
# The SQL post-checks paste it verbatim (SQL files cannot import it);
# tests/runner/test_product_schemas.py keeps every copy identical to this one.
_NOT_PRODUCT = ("pg_catalog", "information_schema", BOOKKEEPING_SCHEMA, "citus", "citus_internal", "columnar",
                "columnar_internal")
PRODUCT_SCHEMAS = f"n.nspname NOT IN ({', '.join(repr(s) for s in _NOT_PRODUCT)}) AND n.nspname !~ '^pg_'"


@dataclass(frozen=True)
class EngineFacts:
    """What the plan needs to know about the target (derived from `Engine`, see `engine`): the
    extensions installed in the database, and on a Citus coordinator how many tables Citus manages
    (distributed and reference; 0 on a fresh one, None when this role may not read its metadata)."""

    extensions: frozenset[str] = frozenset()
    distributed_tables: int | None = 0
    # Hash-distributed tables (partitions included), schema-qualified as format('%I.%I') spells them,
    # and their distribution column: what a `down` on Citus checks its files against.
    distribution_columns: tuple[tuple[str, str], ...] = ()

    @property
    def citus(self) -> bool:
        return "citus" in self.extensions


PLAIN_POSTGRESQL = EngineFacts()


def invalid_indexes(conn: Conn) -> list[str]:
    """Indexes left INVALID (typically by a failed CREATE INDEX CONCURRENTLY), schema-qualified."""
    rows = conn.execute(
        f"""SELECT format('%%I.%%I', n.nspname, c.relname)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid AND {PRODUCT_SCHEMAS}
            ORDER BY 1""",
        (),  # with parameters, psycopg turns the %% above into %
    ).fetchall()
    return [r[0] for r in rows]


def locked_relations_sql() -> str:
    """A scalar subquery: the relations this session's transaction has locked, i.e. touched.

    Meant to be embedded in a statement that has parameters (its `%%` become `%`), so the relations
    are read in the same round trip as that statement.
    """
    return f"""(SELECT array_agg(DISTINCT format('%%I.%%I', n.nspname, c.relname)
        ORDER BY format('%%I.%%I', n.nspname, c.relname))
    FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND {PRODUCT_SCHEMAS})"""


def security_warnings(conn: Conn) -> list[str]:
    """What `dbrun health` warns about without failing: DDL audit inactive, erasure requests overdue.

    Each question is asked only once the migration that answers it is applied (its function exists),
    and a login that may not ask it gets a warning saying so instead of an error.
    """
    present = conn.execute("""SELECT to_regprocedure('audit.ddl_audit_active()') IS NOT NULL,
                                     to_regprocedure('governance.overdue_erasure_requests()') IS NOT NULL""").fetchone()
    ddl_known, overdue_known = present if present else (False, False)
    warnings: list[str] = []
    try:
        with conn.transaction():
            if ddl_known and not _scalar(conn, "SELECT audit.ddl_audit_active()"):
                warnings.append("DDL audit inactive: the event triggers audit_ddl_command_end and audit_ddl_sql_drop "
                                "are missing or not ENABLE ALWAYS (creating them needs superuser; see docs/schema.md)")
            overdue = _scalar(conn, "SELECT count(*) FROM governance.overdue_erasure_requests()") if overdue_known else 0
            if overdue:
                warnings.append(f"{overdue} erasure request(s) pending past their due date "
                                "(SELECT * FROM governance.overdue_erasure_requests())")
    except psycopg.errors.InsufficientPrivilege as exc:
        warnings.append(f"audit and erasure state not checked: {exc.diag.message_primary}")
    return warnings



# ---------------------------------------------------------------------------------------------
# The engine: plain PostgreSQL, or PostgreSQL with the Citus extension (a coordinator or a worker).


@dataclass(frozen=True)
class Node:
    """A Citus worker as the metadata (pg_dist_node) records it."""

    host: str
    port: int
    active: bool

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Citus:
    version: str  # "13.2.2", from citus_version()
    coordinator: bool  # False on a worker (its metadata is a copy of the coordinator's)
    workers: tuple[Node, ...]  # primary worker nodes, active or not
    distributed_tables: int  # hash-distributed and single-shard tables, partitions not counted
    reference_tables: int
    metadata_error: str | None = None  # the role may not read Citus's metadata: what the server said
    distribution_columns: tuple[tuple[str, str], ...] = ()  # (table, column) of every hash-distributed table

    @property
    def active_workers(self) -> tuple[Node, ...]:
        return tuple(n for n in self.workers if n.active)


@dataclass(frozen=True)
class Engine:
    """What the target runs: the PostgreSQL version, the extensions of the database and, when Citus is
    installed, Citus and its cluster. The one reading of the engine: status and health report it, and
    the plan decides from `facts()`, so the two cannot disagree."""

    postgres: str  # "15.20"
    citus: Citus | None = None
    extensions: frozenset[str] = frozenset()

    def facts(self) -> EngineFacts:
        """What the plan decides from: the extensions, and how many tables Citus manages (its distributed
        and reference tables; unknown when its metadata could not be read)."""
        if self.citus is None:
            return EngineFacts(self.extensions)
        c = self.citus
        managed = None if c.metadata_error else c.distributed_tables + c.reference_tables
        return EngineFacts(self.extensions, managed, c.distribution_columns)

    def describe(self) -> str:
        """'PostgreSQL 15.20' or 'PostgreSQL 15.20 + Citus 13.2.2, coordinator, 2 workers'."""
        if self.citus is None:
            return f"PostgreSQL {self.postgres}"
        c = self.citus
        node = "coordinator" if c.coordinator else "worker"
        active = len(c.active_workers)
        return f"PostgreSQL {self.postgres} + Citus {c.version}, {node}, {active} worker{'s' if active != 1 else ''}"

    def warnings(self) -> list[str]:
        """What `dbrun health` warns about a Citus cluster: the wrong node, workers out of service."""
        c = self.citus
        if c is None:
            return []
        found = []
        if c.metadata_error:
            found.append(f"Citus metadata not readable as this role: {c.metadata_error}")
        if not c.coordinator:
            found.append("this node is a Citus worker, not the coordinator: run dbrun against the coordinator "
                         "(DDL run on a worker is not propagated, and Citus refuses it on distributed tables)")
        inactive = [n.address for n in c.workers if not n.active]
        if inactive:
            found.append(f"Citus worker(s) inactive in pg_dist_node: {', '.join(inactive)} "
                         "(citus_activate_node() brings one back)")
        if c.coordinator and not c.workers and not c.metadata_error:
            found.append("Citus is installed but the coordinator has no worker nodes: distributed tables "
                         "keep every shard on the coordinator (citus_add_node() adds one)")
        return found


def engine(conn: Conn) -> Engine:
    """The target's engine, read from the catalog only (no connection to the workers is opened)."""
    row = conn.execute("""SELECT split_part(current_setting('server_version'), ' ', 1),
                                 ARRAY(SELECT extname::text FROM pg_extension ORDER BY 1)""").fetchone()
    assert row is not None
    postgres, names = row
    extensions = frozenset(names)
    return Engine(postgres, _citus(conn) if "citus" in extensions else None, extensions)


_CITUS_SQL = """
SELECT substring(pg_catalog.citus_version() FROM 'Citus ([0-9][^ ]*)'),
       pg_catalog.citus_is_coordinator(),
       (SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
        WHERE NOT c.relispartition AND (p.partmethod <> 'n' OR (p.repmodel = 's' AND p.colocationid <> 0))),
       (SELECT count(*) FROM pg_dist_partition p WHERE p.partmethod = 'n' AND p.repmodel = 't')"""

# Group 0 is the coordinator; secondaries (read replicas) are not workers the coordinator writes to.
_WORKERS_SQL = """SELECT nodename, nodeport, isactive FROM pg_dist_node
                  WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodename, nodeport"""


_DISTRIBUTION_SQL = """SELECT format('%I.%I', n.nspname, c.relname),
                            pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)
                     FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE p.partmethod = 'h' ORDER BY 1"""


def _citus(conn: Conn) -> Citus:
    try:
        with conn.transaction():
            row = conn.execute(_CITUS_SQL).fetchone()
            nodes = conn.execute(_WORKERS_SQL).fetchall()
            columns = conn.execute(_DISTRIBUTION_SQL).fetchall()
    except psycopg.errors.InsufficientPrivilege as exc:
        return Citus("unknown", True, (), 0, 0, metadata_error=exc.diag.message_primary)
    assert row is not None
    version, coordinator, distributed, reference = row
    return Citus(str(version), bool(coordinator), tuple(Node(host, port, active) for host, port, active in nodes),
                 int(distributed), int(reference),
                 distribution_columns=tuple((str(table), str(column)) for table, column in columns))



def citus_table_kind(conn: Conn, written: str) -> tuple[str, str | None] | None:
    """How Citus's metadata knows the table `written` (a name as SQL spells it, resolved on the
    current search_path): ('distributed' | 'reference' | 'citus local', distribution column), or None."""
    row = conn.execute(
        """SELECT CASE WHEN p.partmethod = 'n' AND p.repmodel = 't' THEN 'reference'
                       WHEN p.partmethod = 'n' AND p.colocationid = 0 THEN 'citus local'
                       ELSE 'distributed' END,
                  CASE WHEN p.partkey IS NOT NULL THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END
           FROM pg_dist_partition p
           WHERE p.logicalrelid = pg_catalog.to_regclass(%s)""", (written,)).fetchone()
    return (str(row[0]), row[1]) if row else None


def citus_distributed_objects(conn: Conn) -> set[str]:
    """Every object Citus tracks as distributed (pg_dist_object): schemas, types, functions, roles,
    extensions, views and tables, described as `pg_describe_object` names them."""
    rows = conn.execute("SELECT pg_describe_object(classid, objid, objsubid) FROM pg_dist_object").fetchall()
    return {str(row[0]) for row in rows if row[0] is not None}


def role_names(conn: Conn) -> set[str]:
    """Every role of the cluster."""
    return {str(r[0]) for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()}


def nologin_roles(conn: Conn) -> set[str]:
    """Roles that cannot log in: Citus cannot open a connection to a worker as one of them."""
    return {str(r[0]) for r in conn.execute("SELECT rolname FROM pg_roles WHERE NOT rolcanlogin").fetchall()}


def citus_settings(conn: Conn) -> tuple[str, bool]:
    """citus.propagate_set_commands, and whether citus.enable_unsafe_triggers is on."""
    row = conn.execute("""SELECT current_setting('citus.propagate_set_commands'),
                                 current_setting('citus.enable_unsafe_triggers')::boolean""").fetchone()
    assert row is not None
    return str(row[0]), bool(row[1])

def _scalar(conn: Conn, query: str) -> Any:
    row = conn.execute(query).fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------------------------------------
# Catalog snapshots and lock observation for the dry-run (review.py).
#
# Every query below reads pg_catalog only and avoids pg_get_viewdef(), which takes ACCESS SHARE on
# the view and its base tables: the dry-run holds its transaction open, and a lock taken by
# introspection would both hide the statement's own locks and block other sessions' DDL.
# The queries without parameters are sent verbatim by psycopg, so their `%` are single.


_RELKIND_LABEL = """CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table'
    WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
    WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'composite type' ELSE c.relkind::text END"""

_QUALIFIED = "(quote_ident(n.nspname) || '.' || quote_ident(c.relname))"

# One row per object: (kind, identity, fields). `fields` is a jsonb object whose keys are compared
# one by one, so a diff can say "type: integer -> bigint" rather than "definition changed".
_SNAPSHOT_SQL = f"""
SELECT 'schema', quote_ident(n.nspname), jsonb_build_object('owner', pg_get_userbyid(n.nspowner))
FROM pg_namespace n WHERE {PRODUCT_SCHEMAS}
UNION ALL
SELECT {_RELKIND_LABEL}, {_QUALIFIED}, jsonb_build_object(
    'owner', pg_get_userbyid(c.relowner),
    'unlogged', c.relpersistence = 'u',
    'partition of', (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1),
    'partition bound', pg_get_expr(c.relpartbound, c.oid),
    'definition md5', (SELECT md5(r.ev_action::text) FROM pg_rewrite r
                       WHERE r.ev_class = c.oid AND r.rulename = '_RETURN'))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {PRODUCT_SCHEMAS}
UNION ALL
SELECT 'RLS', {_QUALIFIED}, jsonb_build_object('enabled', c.relrowsecurity, 'forced', c.relforcerowsecurity)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND (c.relrowsecurity OR c.relforcerowsecurity) AND {PRODUCT_SCHEMAS}
UNION ALL
SELECT 'column', {_QUALIFIED} || '.' || quote_ident(a.attname), jsonb_build_object(
    'type', format_type(a.atttypid, a.atttypmod),
    'not null', a.attnotnull,
    'default', pg_get_expr(d.adbin, d.adrelid),
    'identity', nullif(a.attidentity, ''),
    'generated', nullif(a.attgenerated, ''),
    'collation', CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND {PRODUCT_SCHEMAS}
UNION ALL
SELECT 'constraint', {_QUALIFIED} || '.' || quote_ident(k.conname), jsonb_build_object(
    'definition', pg_get_constraintdef(k.oid), 'validated', k.convalidated)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {PRODUCT_SCHEMAS}
UNION ALL
SELECT 'index', {_QUALIFIED}, jsonb_build_object(
    'definition', pg_get_indexdef(i.indexrelid), 'valid', i.indisvalid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {PRODUCT_SCHEMAS}
UNION ALL
SELECT 'policy', {_QUALIFIED} || '.' || quote_ident(p.polname), jsonb_build_object(
    'command', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
        WHEN 'd' THEN 'DELETE' ELSE 'ALL' END, 'permissive', p.polpermissive,
    'roles', (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END, ', '
                                ORDER BY 1)
              FROM unnest(p.polroles) r),
    'using', pg_get_expr(p.polqual, p.polrelid), 'with check', pg_get_expr(p.polwithcheck, p.polrelid))
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {PRODUCT_SCHEMAS}
UNION ALL
SELECT 'trigger', {_QUALIFIED} || '.' || quote_ident(g.tgname), jsonb_build_object(
    'definition', pg_get_triggerdef(g.oid), 'enabled', g.tgenabled <> 'D')
FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT g.tgisinternal AND {PRODUCT_SCHEMAS}
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
    format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
    jsonb_build_object('returns', pg_get_function_result(p.oid),
        'volatility', CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
        'security definer', p.prosecdef, 'config', array_to_string(p.proconfig, ', '),
        'owner', pg_get_userbyid(p.proowner), 'body md5', md5(p.prosrc))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {PRODUCT_SCHEMAS}
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' ELSE 'type' END,
    format('%I.%I', n.nspname, t.typname), jsonb_build_object(
    'labels', (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) FROM pg_enum e
               WHERE e.enumtypid = t.oid),
    'base type', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
    'not null', t.typnotnull)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd') AND {PRODUCT_SCHEMAS}
UNION ALL
SELECT 'extension', quote_ident(x.extname), jsonb_build_object('version', x.extversion)
FROM pg_extension x
UNION ALL
SELECT 'role', quote_ident(r.rolname), jsonb_build_object(
    'login', r.rolcanlogin, 'superuser', r.rolsuper, 'bypass RLS', r.rolbypassrls,
    'inherit', r.rolinherit, 'create role', r.rolcreaterole, 'create db', r.rolcreatedb)
FROM pg_roles r WHERE r.rolname !~ '^pg_'
UNION ALL
SELECT 'grant', g.object || ' TO ' || g.grantee, jsonb_build_object('privileges', g.privileges)
FROM (
    SELECT obj.object,
           CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
           string_agg(x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END, ', '
                      ORDER BY x.privilege_type) AS privileges
    FROM (
        SELECT {_RELKIND_LABEL} || ' ' || {_QUALIFIED} AS object, c.relacl AS acl, c.relowner AS owner
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relacl IS NOT NULL AND {PRODUCT_SCHEMAS}
        UNION ALL
        SELECT 'schema ' || quote_ident(n.nspname), n.nspacl, n.nspowner
        FROM pg_namespace n WHERE n.nspacl IS NOT NULL AND {PRODUCT_SCHEMAS}
        UNION ALL
        SELECT 'function ' || format('%I.%I(%s)', n.nspname, p.proname,
                                     pg_get_function_identity_arguments(p.oid)),
               p.proacl, p.proowner
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.proacl IS NOT NULL AND {PRODUCT_SCHEMAS}
    ) obj, aclexplode(obj.acl) x
    WHERE x.grantee <> obj.owner
    GROUP BY 1, 2
) g
UNION ALL
SELECT 'column grant', {_QUALIFIED} || '.' || quote_ident(a.attname) || ' TO '
        || CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END,
    jsonb_build_object('privileges', string_agg(x.privilege_type, ', ' ORDER BY x.privilege_type))
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace,
     aclexplode(a.attacl) x
WHERE a.attacl IS NOT NULL AND {PRODUCT_SCHEMAS}
GROUP BY c.oid, n.nspname, c.relname, a.attname, x.grantee
"""

# Catalog kinds whose objects belong to another object; a diff does not list them when their
# owner is itself created or dropped (a new table's columns are part of "created table").
_OWNED_KINDS = ("column", "constraint", "policy", "trigger", "RLS", "column grant")


class ChangeAction(StrEnum):
    CREATED = "created"
    ALTERED = "altered"
    DROPPED = "dropped"


@dataclass(frozen=True)
class ObjectChange:
    """One object created, altered or dropped between two snapshots."""

    action: ChangeAction
    kind: str
    name: str
    details: tuple[str, ...] = ()


CatalogSnapshot = dict[tuple[str, str], dict[str, Any]]


def catalog_snapshot(conn: Conn) -> CatalogSnapshot:
    """Every user object with the fields that define it (see _SNAPSHOT_SQL)."""
    rows = conn.execute(_SNAPSHOT_SQL).fetchall()
    return {(kind, name): {k: v for k, v in fields.items() if v is not None} for kind, name, fields in rows}


def _describe(fields: dict[str, Any]) -> tuple[str, ...]:
    interesting = {k: v for k, v in fields.items() if not k.endswith("md5") and k != "owner"}
    return tuple(f"{key}: {_show(value)}" for key, value in sorted(interesting.items()) if value not in (False, ""))


def _show(value: Any) -> str:
    return "yes" if value is True else "no" if value is False else str(value)


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    details = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key.endswith("md5"):
            details.append(key.removesuffix(" md5") + " changed")
        else:
            shown_old = _show(old) if old is not None else "-"
            shown_new = _show(new) if new is not None else "-"
            details.append(f"{key}: {shown_old} → {shown_new}")
    return tuple(details)


def _columns_of(snapshot: CatalogSnapshot, table: str) -> tuple[str, ...]:
    prefix = table + "."
    return tuple(f"column {name[len(prefix):]}: {', '.join(_describe(fields))}"
                 for (kind, name), fields in snapshot.items() if kind == "column" and name.startswith(prefix))


def _owner_of(kind: str, name: str) -> str | None:
    """For an owned object (table.column, table.constraint, ...), the table's qualified name."""
    if kind not in _OWNED_KINDS:
        return None
    base = name.split(" TO ", 1)[0]
    return base if kind == "RLS" else base.rsplit(".", 1)[0]


def diff_snapshots(before: CatalogSnapshot, after: CatalogSnapshot) -> list[ObjectChange]:
    """Objects created, altered and dropped.

    A new table's columns are listed in its own entry (its constraints, indexes, policies and
    triggers keep theirs: a reviewer checks each); a dropped table's parts go with it.
    """
    created = {name for (kind, name) in set(after) - set(before) if kind not in _OWNED_KINDS}
    dropped = {name for (kind, name) in set(before) - set(after) if kind not in _OWNED_KINDS}
    changes: list[ObjectChange] = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[1], k[0])):
        kind, name = key
        owner = _owner_of(kind, name)
        if owner in dropped or (owner in created and kind in ("column", "column grant")):
            continue
        if key not in before:
            columns = _columns_of(after, name) if kind in ("table", "partitioned table", "foreign table") else ()
            changes.append(ObjectChange(ChangeAction.CREATED, kind, name, _describe(after[key]) + columns))
        elif key not in after:
            changes.append(ObjectChange(ChangeAction.DROPPED, kind, name))
        elif before[key] != after[key]:
            changes.append(ObjectChange(ChangeAction.ALTERED, kind, name, _changed_fields(before[key], after[key])))
    return changes


@dataclass(frozen=True)
class RelationInfo:
    """A relation that existed when the dry-run started."""

    oid: int
    name: str  # schema-qualified, quoted where needed
    kind: str
    filenode: int
    rows_estimate: int | None  # pg_class.reltuples; None when never vacuumed or analyzed


def existing_relations(conn: Conn) -> dict[int, RelationInfo]:
    """Tables, views, sequences and foreign tables (not indexes: their table's lock says it all)."""
    rows = conn.execute(
        f"""SELECT c.oid, {_QUALIFIED}, {_RELKIND_LABEL}, c.relfilenode,
                   CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {PRODUCT_SCHEMAS}"""
    ).fetchall()
    return {row[0]: RelationInfo(*row) for row in rows}


# This session's granted relation locks, with the current filenode of each relation held in ACCESS
# EXCLUSIVE (a rewrite needs that lock, so no other relation can have been rewritten). The dry-run
# sends it in the same execute as each statement, to save a round trip per statement.
SESSION_RELATION_LOCKS_SQL = """SELECT l.relation::oid, l.mode, c.relfilenode
FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation AND l.mode = 'AccessExclusiveLock'
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"""


def parse_session_locks(rows: list[tuple[Any, ...]]) -> tuple[set[tuple[int, str]], dict[int, int]]:
    """SESSION_RELATION_LOCKS_SQL rows as ({(oid, mode)}, {oid: filenode})."""
    locks = {(oid, mode) for oid, mode, _ in rows}
    filenodes = {oid: filenode for oid, _, filenode in rows if filenode is not None}
    return locks, filenodes


def session_relation_locks(conn: Conn) -> tuple[set[tuple[int, str]], dict[int, int]]:
    """This session's granted relation locks as (oid, mode), and filenodes (SESSION_RELATION_LOCKS_SQL)."""
    return parse_session_locks(conn.execute(SESSION_RELATION_LOCKS_SQL).fetchall())


@dataclass(frozen=True)
class LockHolding:
    relation: str
    mode: str
    pid: int
    granted: bool
    application_name: str
    state: str
    query: str


def other_sessions_locks(conn: Conn, relations: list[str]) -> list[LockHolding]:
    """Locks other sessions hold (or wait for) on the named relations: who a dry-run would queue behind."""
    rows = conn.execute(
        f"""SELECT {_QUALIFIED}, l.mode, l.pid, l.granted, coalesce(a.application_name, ''),
                   coalesce(a.state, ''), left(coalesce(a.query, ''), 200)
            FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND {_QUALIFIED} = ANY(%(relations)s)
            ORDER BY l.granted DESC, l.pid""",
        {"relations": relations},
    ).fetchall()
    return [LockHolding(*row) for row in rows]


def sequence_positions(conn: Conn) -> dict[str, int | None]:
    """Each sequence's last value (None: never used, or not readable by this role)."""
    rows = conn.execute(f"""SELECT format('%I.%I', s.schemaname, s.sequencename), s.last_value
                            FROM pg_sequences s JOIN pg_namespace n ON n.nspname = s.schemaname
                            WHERE {PRODUCT_SCHEMAS}""").fetchall()
    return {name: value for name, value in rows}


@dataclass(frozen=True)
class Blocker:
    """A session holding a lock on a relation a timed-out statement needed."""

    pid: int
    application_name: str
    state: str
    transaction_seconds: float | None
    query: str
    relation: str
    mode: str

    def describe(self) -> str:
        open_for = (f", transaction open {self.transaction_seconds:.0f} s" if self.transaction_seconds is not None
                    else "")
        return (f"pid {self.pid} ({self.application_name or 'no application_name'}, {self.state or 'unknown state'}"
                f"{open_for}) holds {self.mode} on {self.relation}; its query: {self.query or '?'}")


def lock_blockers(conn: Conn, relations: list[str], query_chars: int = 120) -> list[Blocker]:
    """Other sessions holding granted locks on the named relations (names resolved on this session's path)."""
    if not relations:
        return []
    rows = conn.execute(
        f"""SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.state, ''),
                   extract(epoch FROM now() - a.xact_start)::float8, left(coalesce(a.query, ''), %(chars)s),
                   {_QUALIFIED}, l.mode
            FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.relation = ANY(SELECT to_regclass(name)::oid FROM unnest(%(relations)s::text[]) AS name)
            ORDER BY a.xact_start NULLS LAST, l.pid""",
        {"relations": relations, "chars": query_chars},
    ).fetchall()
    return [Blocker(*row) for row in rows]


def search_path_schemas(conn: Conn) -> list[str]:
    row = conn.execute("SELECT current_schemas(false)").fetchone()
    return list(row[0]) if row else []


def index_tables(conn: Conn) -> dict[str, str]:
    """Each user index's qualified name -> its table's (DROP INDEX locks the table, not just the index)."""
    rows = conn.execute(
        f"""SELECT {_QUALIFIED}, quote_ident(tn.nspname) || '.' || quote_ident(t.relname)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
            WHERE {PRODUCT_SCHEMAS}"""
    ).fetchall()
    return {index: table for index, table in rows}


# ---------------------------------------------------------------------------------------------
# The schema as documented and snapshotted (docs.py, snapshot.py).
#
# One query per kind of object, each ordered, each returning every product object of that kind.
# Partitions are left out, with everything that hangs on them: they are created and dropped at run
# time (usage.create_event_partitions()), so a reference or a snapshot holding them would change with
# the calendar. So are the constraints PostgreSQL 18 records for NOT NULL (a column's `not null`
# says it on every version) and the copies of a foreign key that PostgreSQL keeps per partition.
# Sent without parameters, so their `%` are single.

_NOT_EXTENSION_MEMBER = """NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{catalog}'::regclass
    AND dep.objid = {oid} AND dep.deptype = 'e')"""

_DOCUMENTED_RELKINDS = "('r', 'p', 'v', 'm', 'f')"


def _tupled(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row with its arrays (lists) as tuples, so the frozen rows built from it are hashable."""
    return tuple(tuple(value) if isinstance(value, list) else value for value in row)


def deterministic_session(conn: Conn) -> None:
    """Settings under which the catalog's deparsed text is the same on every server and client.

    With only pg_catalog on the search_path every other name comes out schema-qualified; UTC and ISO
    dates make a timestamptz literal in a partition bound or a default read the same everywhere.
    """
    conn.execute("SET search_path = pg_catalog; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; "
                 "SET IntervalStyle = 'postgres'; SET extra_float_digits = 1")


@dataclass(frozen=True)
class SchemaRow:
    name: str
    comment: str | None


def schemas(conn: Conn) -> list[SchemaRow]:
    """Product schemas; `public` only when something lives in it (every database has an empty one)."""
    rows = conn.execute(f"""
        SELECT n.nspname, obj_description(n.oid, 'pg_namespace') FROM pg_namespace n
        WHERE {PRODUCT_SCHEMAS} AND {_NOT_EXTENSION_MEMBER.format(catalog='pg_namespace', oid='n.oid')}
          AND (n.nspname <> 'public'
               OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid)
               OR EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = n.oid))
        ORDER BY 1""").fetchall()
    return [SchemaRow(*row) for row in rows]


@dataclass(frozen=True)
class RelationRow:
    schema: str
    name: str
    kind: str  # pg_class.relkind: r table, p partitioned table, v view, m materialized view, f foreign
    comment: str | None
    partition_key: str | None  # `RANGE (occurred_at)` for a partitioned table
    rls_enabled: bool
    rls_forced: bool
    unlogged: bool
    view_definition: str | None
    options: str | None  # reloptions, e.g. `security_invoker=true` for a view


def relations(conn: Conn) -> list[RelationRow]:
    rows = conn.execute(f"""
        SELECT n.nspname, c.relname, c.relkind::text, obj_description(c.oid, 'pg_class'),
               CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
               c.relrowsecurity, c.relforcerowsecurity, c.relpersistence = 'u',
               CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
               array_to_string(ARRAY(SELECT o FROM unnest(c.reloptions) o ORDER BY 1), ', ')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN {_DOCUMENTED_RELKINDS} AND NOT c.relispartition AND {PRODUCT_SCHEMAS}
          AND {_NOT_EXTENSION_MEMBER.format(catalog='pg_class', oid='c.oid')}
        ORDER BY 1, 2""").fetchall()
    return [RelationRow(*row) for row in rows]


@dataclass(frozen=True)
class ColumnRow:
    schema: str
    table: str
    name: str
    type: str
    not_null: bool
    default: str | None  # for a generated column: its expression
    identity: str  # '' | 'a' (ALWAYS) | 'd' (BY DEFAULT)
    generated: str  # '' | 's' (STORED)
    collation: str | None  # only when it differs from the type's
    comment: str | None


def columns(conn: Conn) -> list[ColumnRow]:
    """Columns of tables and views, in table order."""
    rows = conn.execute(f"""
        SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
               CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
               col_description(c.oid, a.attnum)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relkind IN {_DOCUMENTED_RELKINDS} AND NOT c.relispartition AND a.attnum > 0
          AND NOT a.attisdropped AND {PRODUCT_SCHEMAS}
        ORDER BY n.nspname, c.relname, a.attnum""").fetchall()
    return [ColumnRow(*row) for row in rows]


@dataclass(frozen=True)
class ConstraintRow:
    schema: str
    table: str
    name: str
    type: str  # pg_constraint.contype: p primary key, u unique, f foreign key, c check, x exclusion
    definition: str
    validated: bool
    columns: tuple[str, ...]
    ref_schema: str | None
    ref_table: str | None
    ref_columns: tuple[str, ...]
    on_delete: str | None  # a | r | c | n | d (pg_constraint.confdeltype)
    comment: str | None


def constraints(conn: Conn) -> list[ConstraintRow]:
    rows = conn.execute(f"""
        SELECT n.nspname, c.relname, k.conname, k.contype::text, pg_get_constraintdef(k.oid), k.convalidated,
               ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(attnum, i)
                     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.i),
               fn.nspname, fc.relname,
               ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(attnum, i)
                     JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.i),
               nullif(k.confdeltype, ' ')::text, obj_description(k.oid, 'pg_constraint')
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_class fc ON fc.oid = k.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
        WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND k.conparentid = 0 AND NOT c.relispartition
          AND {PRODUCT_SCHEMAS}
        ORDER BY 1, 2, 3""").fetchall()
    return [ConstraintRow(*_tupled(row)) for row in rows]


@dataclass(frozen=True)
class IndexRow:
    schema: str
    table: str
    name: str
    definition: str
    backs_constraint: bool  # the index of a primary key, unique or exclusion constraint
    valid: bool
    comment: str | None


def indexes(conn: Conn) -> list[IndexRow]:
    rows = conn.execute(f"""
        SELECT n.nspname, t.relname, c.relname, pg_get_indexdef(i.indexrelid),
               EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                       AND k.contype IN ('p', 'u', 'x')),
               i.indisvalid, obj_description(c.oid, 'pg_class')
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE NOT t.relispartition AND {PRODUCT_SCHEMAS}
        ORDER BY 1, 2, 3""").fetchall()
    return [IndexRow(*row) for row in rows]


@dataclass(frozen=True)
class TriggerRow:
    schema: str
    table: str
    name: str
    definition: str
    enabled: str  # pg_trigger.tgenabled: O origin (normal), A always, R replica, D disabled
    comment: str | None


def triggers(conn: Conn) -> list[TriggerRow]:
    rows = conn.execute(f"""
        SELECT n.nspname, c.relname, g.tgname, pg_get_triggerdef(g.oid), g.tgenabled::text,
               obj_description(g.oid, 'pg_trigger')
        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT g.tgisinternal AND NOT c.relispartition AND {PRODUCT_SCHEMAS}
        ORDER BY 1, 2, 3""").fetchall()
    return [TriggerRow(*row) for row in rows]


@dataclass(frozen=True)
class PolicyRow:
    schema: str
    table: str
    name: str
    command: str  # SELECT | INSERT | UPDATE | DELETE | ALL
    permissive: bool
    roles: tuple[str, ...]
    using: str | None
    with_check: str | None


def policies(conn: Conn) -> list[PolicyRow]:
    rows = conn.execute(f"""
        SELECT n.nspname, c.relname, p.polname,
               CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                   WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
               p.polpermissive,
               ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
                     FROM unnest(p.polroles) r ORDER BY 1),
               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT c.relispartition AND {PRODUCT_SCHEMAS}
        ORDER BY 1, 2, 3""").fetchall()
    return [PolicyRow(*_tupled(row)) for row in rows]


@dataclass(frozen=True)
class GrantRow:
    object_kind: str  # schema | table | view | materialized view | sequence | foreign table | function | procedure
    schema: str
    name: str  # the object's name in its schema; a routine's with its argument types
    column: str | None  # a column grant
    grantee: str  # a role, or PUBLIC
    privileges: tuple[str, ...]  # sorted; `WITH GRANT OPTION` appended where grantable


# Privileges granted to anyone but the owner, with an unset ACL read as its default (so a function's
# implicit EXECUTE for PUBLIC shows). Grants of partitions are left out with the partitions.
_GRANTS_SQL = f"""
SELECT g.object_kind, g.schema, g.name, g.column_name,
       CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END,
       array_agg(x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
                 ORDER BY x.privilege_type)
FROM (
    SELECT 'schema' AS object_kind, n.nspname AS schema, n.nspname AS name, NULL::text AS column_name,
           coalesce(n.nspacl, acldefault('n', n.nspowner)) AS acl, n.nspowner AS owner
    FROM pg_namespace n WHERE {PRODUCT_SCHEMAS}
    UNION ALL
    SELECT {_RELKIND_LABEL}, n.nspname, c.relname, NULL,
           coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)),
           c.relowner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition AND {PRODUCT_SCHEMAS}
    UNION ALL
    SELECT 'column', n.nspname, c.relname, a.attname, a.attacl, c.relowner
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE a.attacl IS NOT NULL AND NOT c.relispartition AND {PRODUCT_SCHEMAS}
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, n.nspname,
           format('%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)), NULL,
           coalesce(p.proacl, acldefault('f', p.proowner)), p.proowner
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {PRODUCT_SCHEMAS}
) g, aclexplode(g.acl) x
WHERE x.grantee <> g.owner
GROUP BY g.object_kind, g.schema, g.name, g.column_name, x.grantee
ORDER BY 2, 3, 4 NULLS FIRST, 5"""


def grants(conn: Conn) -> list[GrantRow]:
    return [GrantRow(*_tupled(row)) for row in conn.execute(_GRANTS_SQL).fetchall()]


@dataclass(frozen=True)
class RoutineRow:
    schema: str
    name: str
    arguments: str  # identity arguments, e.g. `p_months_ahead integer, p_from timestamp with time zone`
    result: str | None
    kind: str  # function | procedure | aggregate | window
    volatility: str  # immutable | stable | volatile
    security_definer: bool
    comment: str | None
    definition: str | None  # CREATE OR REPLACE ... (None for aggregates, which pg_get_functiondef refuses)

    @property
    def signature(self) -> str:
        return f"{self.name}({self.arguments})"


def routines(conn: Conn) -> list[RoutineRow]:
    rows = conn.execute(f"""
        SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid),
               CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window'
                   ELSE 'function' END,
               CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
               p.prosecdef, obj_description(p.oid, 'pg_proc'),
               CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE {PRODUCT_SCHEMAS} AND {_NOT_EXTENSION_MEMBER.format(catalog='pg_proc', oid='p.oid')}
        ORDER BY 1, 2, 3""").fetchall()
    return [RoutineRow(*row) for row in rows]


@dataclass(frozen=True)
class SequenceRow:
    schema: str
    name: str
    definition: str  # `AS bigint START WITH 1 INCREMENT BY 1 ...`
    comment: str | None


def sequences(conn: Conn) -> list[SequenceRow]:
    """Sequences not owned by an identity or serial column (those are part of their column)."""
    rows = conn.execute(f"""
        SELECT n.nspname, c.relname,
               format('AS %s START WITH %s INCREMENT BY %s MINVALUE %s MAXVALUE %s CACHE %s%s',
                      format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                      CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END),
               obj_description(c.oid, 'pg_class')
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {PRODUCT_SCHEMAS}
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype IN ('a', 'i', 'e'))
        ORDER BY 1, 2""").fetchall()
    return [SequenceRow(*row) for row in rows]


@dataclass(frozen=True)
class TypeRow:
    schema: str
    name: str
    kind: str  # enum | domain | composite
    definition: str  # enum: the labels; domain: base type, default, NOT NULL and checks; composite: fields
    comment: str | None
    labels: tuple[str, ...]  # an enum's values in order


def types(conn: Conn) -> list[TypeRow]:
    rows = conn.execute(f"""
        SELECT n.nspname, t.typname,
               CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' ELSE 'composite' END,
               CASE t.typtype
                   WHEN 'd' THEN concat_ws(' ', format_type(t.typbasetype, t.typtypmod),
                       'DEFAULT ' || t.typdefault, CASE WHEN t.typnotnull THEN 'NOT NULL' END,
                       (SELECT string_agg(format('CONSTRAINT %I %s', k.conname, pg_get_constraintdef(k.oid)), ' '
                                          ORDER BY k.conname)
                        FROM pg_constraint k WHERE k.contypid = t.oid))
                   WHEN 'c' THEN (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)),
                                                    ', ' ORDER BY a.attnum)
                                  FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0
                                    AND NOT a.attisdropped)
                   ELSE '' END,
               obj_description(t.oid, 'pg_type'),
               ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE (t.typtype IN ('e', 'd')
               OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
          AND {PRODUCT_SCHEMAS} AND {_NOT_EXTENSION_MEMBER.format(catalog='pg_type', oid='t.oid')}
        ORDER BY 1, 2""").fetchall()
    return [TypeRow(*_tupled(row)) for row in rows]


def extensions(conn: Conn) -> list[str]:
    """Installed extensions but plpgsql (always there); versions left out, as they differ by server."""
    rows = conn.execute("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1").fetchall()
    return [row[0] for row in rows]


# Where the product records the data classification of every column (governance_catalog migration).
CLASSIFICATIONS_SCHEMA, CLASSIFICATIONS_TABLE = "governance", "column_classifications"


def column_classifications(conn: Conn) -> dict[tuple[str, str, str], str]:
    """(schema, table, column) -> classification; empty when there is no such catalog or this role cannot read it."""
    readable = conn.execute(
        """SELECT has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relname = %s""", (CLASSIFICATIONS_SCHEMA, CLASSIFICATIONS_TABLE)).fetchone()
    if not readable or not readable[0]:
        return {}
    rows = conn.execute(f"SELECT schema_name, table_name, column_name, classification "
                        f"FROM {CLASSIFICATIONS_SCHEMA}.{CLASSIFICATIONS_TABLE}").fetchall()
    return {(schema, table, column): classification for schema, table, column, classification in rows}
