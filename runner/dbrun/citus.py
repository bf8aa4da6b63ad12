"""What Citus does with a statement: runs it on the workers too, keeps it on the coordinator, or refuses it.

The dry-run asks `classify` before it runs each statement on a Citus coordinator, from the parsed
statement (PostgreSQL's own parser, via pglast) and what Citus's metadata says about the tables it
names (a `TableLookup` the reviewer answers from the live catalog, inside its transaction). It then
runs the statement: `observed` replaces the prediction with what happened (an error raised on the
statement = rejected, with its SQLSTATE and message; objects Citus started tracking = propagated).

The rules are Citus 13's, measured on this repository's cluster (see ../shared/citus/README.md and
docs/scale-out.md): DDL on distributed and reference tables, schemas, types, functions, roles,
grants and extensions is propagated; comments, event triggers, materialized views and DDL on local
tables stay on the coordinator; a policy with a subquery, a UNIQUE/PRIMARY KEY without the
distribution column, a trigger or a type change of the distribution column on a distributed table
are refused. Nothing here touches a database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal


class Propagation(StrEnum):
    PROPAGATED = "propagated"  # Citus runs it on the workers too (shards, or distributed objects)
    COORDINATOR = "coordinator only"  # it stays on the coordinator
    REJECTED = "rejected"  # Citus refuses it (or it fails on a worker)


@dataclass(frozen=True)
class TableKind:
    """A table as Citus's metadata (pg_dist_partition) knows it."""

    kind: Literal["distributed", "reference", "citus local"]
    column: str | None  # the distribution column of a distributed table


# (written name, as in the SQL) -> its kind, or None for a table Citus does not know (a local table).
TableLookup = Callable[[str], TableKind | None]


@dataclass(kw_only=True)
class CitusNote:
    """One statement's fate on the Citus cluster."""

    propagation: Propagation
    reason: str
    source: Literal["static", "observed"] = "static"
    warnings: list[str] = field(default_factory=list)
    sqlstate: str | None = None  # a rejection observed when the dry-run ran it
    message: str | None = None
    distributed: list[str] = field(default_factory=list)  # objects Citus started tracking with this statement


@dataclass
class Session:
    """What one file has done so far that changes how Citus treats its next statements."""

    propagate_set_commands: str = "none"  # citus.propagate_set_commands
    unsafe_triggers: bool = False  # citus.enable_unsafe_triggers
    roles_created: set[str] = field(default_factory=set)  # not on the workers before this transaction commits
    nologin: set[str] = field(default_factory=set)  # roles that cannot log in (pg_roles, and those created so)
    role: str | None = None  # SET [LOCAL] ROLE in effect
    ddl_propagation: bool = True  # citus.enable_ddl_propagation (the plan turns it off on a fresh coordinator)


# =============================================================================================
# Static classification


def classify(sql: str, lookup: TableLookup, session: Session) -> CitusNote | None:
    """The predicted fate of one statement; None when PostgreSQL's parser cannot read it."""
    import pglast

    try:
        parsed = pglast.parse_sql(sql)
    except pglast.parser.ParseError:
        return None
    if not parsed:
        return None
    node = parsed[0].stmt
    try:
        note = _classify(node, _Context(lookup, session))
    except (AttributeError, TypeError, IndexError, ValueError):
        # A statement shape no rule foresaw: no prediction, and the dry-run still reports what happened.
        return None
    note.warnings.extend(_set_config_warnings(sql))
    if not session.ddl_propagation and note.propagation is not Propagation.COORDINATOR and _is_ddl(node):
        return _local("citus.enable_ddl_propagation is off for this run (a fresh coordinator builds the chain "
                      "locally; citus/after/ distributes it): the DDL stays on the coordinator")
    return _as_role(note, session)


_NOT_DDL = ("SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "TruncateStmt", "VariableSetStmt",
            "DoStmt", "CopyStmt")


def _is_ddl(node: Any) -> bool:
    return type(node).__name__ not in _NOT_DDL




@dataclass
class _Context:
    lookup: TableLookup
    session: Session

    def kind(self, range_var: Any) -> TableKind | None:
        return self.lookup(_qualified(range_var.schemaname, range_var.relname))


def _propagated(reason: str) -> CitusNote:
    return CitusNote(propagation=Propagation.PROPAGATED, reason=reason)


def _local(reason: str) -> CitusNote:
    return CitusNote(propagation=Propagation.COORDINATOR, reason=reason)


def _rejected(reason: str) -> CitusNote:
    return CitusNote(propagation=Propagation.REJECTED, reason=reason)


def _classify(node: Any, ctx: _Context) -> CitusNote:
    handler = _HANDLERS.get(type(node).__name__)
    if handler is not None:
        return handler(node, ctx)
    kind = type(node).__name__.removesuffix("Stmt")
    return _local(f"no Citus propagation rule for {kind} statements: assumed to stay on the coordinator")


def _as_role(note: CitusNote, session: Session) -> CitusNote:
    """Citus opens its connections to the workers as the current role: one created in this
    transaction does not exist there yet (roles reach the workers when the transaction commits), and
    one that cannot log in is refused there ('role ... is not permitted to log in')."""
    role = session.role
    if note.propagation is not Propagation.PROPAGATED or role is None:
        return note
    problem = _role_problem(role, session)
    if problem is None:
        return note
    rejected = _rejected(f"{note.reason}, as role {role}: {problem}")
    rejected.warnings = note.warnings
    return rejected


def _role_problem(role: str, session: Session) -> str | None:
    """Why statements Citus propagates fail on the workers while `role` is the current role, if they do."""
    if role in session.roles_created:
        return (f"it is created in this transaction and the workers do not have it until the transaction commits "
                f"('role \"{role}\" does not exist'); create roles in a migration of their own")
    if role in session.nologin:
        return (f"it cannot log in, and Citus connects to the workers as the current role ('role \"{role}\" is not "
                "permitted to log in'); run it as the migrator and hand the object over with ALTER ... OWNER TO")
    return None


# -- tables -----------------------------------------------------------------------------------


def _table_note(kind: TableKind | None, name: str, what: str) -> CitusNote:
    if kind is None:
        return _local(f"{name} is a local table (not in Citus's metadata): {what} stays on the coordinator")
    if kind.kind == "citus local":
        return _local(f"{name} is a Citus local table (its one shard is on the coordinator)")
    if kind.kind == "reference":
        return _propagated(f"{what} runs on the replica of reference table {name} on every node")
    return _propagated(f"{what} runs on every shard of distributed table {name} (distribution column "
                       f"{kind.column})")


def _create_table(node: Any, ctx: _Context) -> CitusNote:
    name = _qualified(node.relation.schemaname, node.relation.relname)
    if node.partbound is not None and node.inhRelations:
        parent = ctx.kind(node.inhRelations[0])
        if parent is not None and parent.kind == "distributed":
            return _propagated(f"a partition of distributed table {_range_name(node.inhRelations[0])}: Citus "
                               "distributes it with its parent, colocated")
    return _local(f"a new table ({name}) stays on the coordinator until create_distributed_table() or "
                  "create_reference_table() is called for it")


def _alter_table(node: Any, ctx: _Context) -> CitusNote:
    if node.relation is None:
        return _local("ALTER TABLE without a table")
    name = _range_name(node.relation)
    kind = ctx.kind(node.relation)
    if kind is not None and kind.kind != "citus local":
        for cmd in node.cmds or ():
            refusal = _refused_subcommand(cmd, name, kind, ctx)
            if refusal:
                return _rejected(refusal)
    return _table_note(kind, name, "ALTER TABLE")


def _refused_subcommand(cmd: Any, table: str, kind: TableKind, ctx: _Context) -> str | None:
    subtype = cmd.subtype.name
    column = kind.column
    if subtype in ("AT_AlterColumnType", "AT_DropColumn") and column is not None and cmd.name == column:
        return (f"Citus refuses ALTER TABLE on the distribution column {column} of {table} "
                "('cannot execute ALTER TABLE command involving partition column')")
    # A table constraint names its columns; a column constraint (ADD COLUMN ... PRIMARY KEY) means its column.
    constraints: list[tuple[Any, tuple[str | None, ...]]] = []
    if subtype == "AT_AddConstraint" and cmd.def_ is not None:
        constraints.append((cmd.def_, tuple(k.sval for k in cmd.def_.keys or ())))
    if subtype == "AT_AddColumn" and cmd.def_ is not None:
        constraints.extend((c, (cmd.def_.colname,)) for c in cmd.def_.constraints or ())
    for constraint, keys in constraints:
        contype = constraint.contype.name
        if contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE"):
            refusal = _key_refusal(keys, table, kind)
            if refusal:
                return refusal
        if contype == "CONSTR_EXCLUSION":
            refusal = _key_refusal(tuple(_index_column(pair[0]) for pair in constraint.exclusions or ()), table, kind)
            if refusal:
                return refusal
        if contype == "CONSTR_FOREIGN" and constraint.pktable is not None:
            refusal = _foreign_key_refusal(constraint, keys, table, kind, ctx)
            if refusal:
                return refusal
    return None


def _key_refusal(columns: tuple[str | None, ...], table: str, kind: TableKind) -> str | None:
    if kind.kind != "distributed" or kind.column is None or kind.column in columns:
        return None
    return (f"a UNIQUE, PRIMARY KEY or EXCLUDE constraint on distributed table {table} must include its "
            f"distribution column {kind.column} (Citus checks uniqueness within a shard); keep a globally unique "
            "key in a reference or lookup table")


def _foreign_key_refusal(constraint: Any, column_keys: tuple[str | None, ...], table: str, kind: TableKind,
                         ctx: _Context) -> str | None:
    referenced = ctx.kind(constraint.pktable)
    target = _range_name(constraint.pktable)
    if kind.kind == "reference" and referenced is not None and referenced.kind == "distributed":
        return f"reference table {table} cannot have a foreign key to distributed table {target}"
    if kind.kind != "distributed":
        return None
    if referenced is None or referenced.kind == "citus local":
        return (f"distributed table {table} cannot have a foreign key to {target}, which is not distributed or a "
                "reference table: distribute it (or make it a reference table) first")
    if referenced.kind == "distributed":
        own = tuple(a.sval for a in constraint.fk_attrs or ()) or column_keys
        theirs = tuple(a.sval for a in constraint.pk_attrs or ())
        if kind.column not in own or (theirs and referenced.column not in theirs):
            return (f"a foreign key between distributed tables {table} and {target} must include both "
                    f"distribution columns ({kind.column}, {referenced.column}) and the tables be colocated")
    return None


def _index_column(elem: Any) -> str | None:
    return getattr(elem, "name", None)


def _create_index(node: Any, ctx: _Context) -> CitusNote:
    name = _range_name(node.relation)
    kind = ctx.kind(node.relation)
    if kind is not None and node.unique:
        refusal = _key_refusal(tuple(_index_column(e) for e in node.indexParams or ()), name, kind)
        if refusal:
            return _rejected(refusal.replace("a UNIQUE, PRIMARY KEY or EXCLUDE constraint", "a unique index"))
    return _table_note(kind, name, "CREATE INDEX" + (" CONCURRENTLY" if node.concurrent else ""))


def _policy(node: Any, ctx: _Context) -> CitusNote:
    name = _range_name(node.table)
    kind = ctx.kind(node.table)
    verb = "CREATE POLICY" if type(node).__name__ == "CreatePolicyStmt" else "ALTER POLICY"
    if kind is not None and kind.kind != "citus local" and _contains(node.qual, "SubLink") | _contains(
            node.with_check, "SubLink"):
        return _rejected(f"Citus refuses a policy with a subquery on {kind.kind} table {name} ('unexpected "
                         "non-SELECT command in SubLink'): compare with the function itself, "
                         "organization_id = app.current_org_id()")
    return _table_note(kind, name, verb)


def _trigger(node: Any, ctx: _Context) -> CitusNote:
    name = _range_name(node.relation)
    kind = ctx.kind(node.relation)
    if kind is not None and kind.kind != "citus local":
        if not ctx.session.unsafe_triggers:
            return _rejected(f"Citus refuses triggers on {kind.kind} tables ({name}) while "
                             "citus.enable_unsafe_triggers is off ('triggers are not supported on "
                             f"{kind.kind} tables')")
        note = _table_note(kind, name, "CREATE TRIGGER")
        note.warnings.append("citus.enable_unsafe_triggers is on: the trigger runs on each shard, where it "
                             "sees only that shard's rows")
        return note
    return _table_note(kind, name, "CREATE TRIGGER")


def _rename(node: Any, ctx: _Context) -> CitusNote:
    if node.relation is not None:
        return _table_note(ctx.kind(node.relation), _range_name(node.relation), "the rename")
    return _propagated("Citus renames a schema, type or function it has distributed on every node")


def _grant(node: Any, ctx: _Context) -> CitusNote:
    if node.objtype.name == "OBJECT_TABLE" and node.targtype.name == "ACL_TARGET_OBJECT":
        kinds = [(ctx.kind(o), _range_name(o)) for o in node.objects or ()]
        shared = [name for kind, name in kinds if kind is not None and kind.kind != "citus local"]
        if shared:
            return _propagated(f"the grant reaches the shards of {', '.join(shared)}")
        return _local("grants on local tables stay on the coordinator")
    return _propagated("Citus propagates grants on the schemas, functions and types it has distributed")


def _drop(node: Any, ctx: _Context) -> CitusNote:
    kind = node.removeType.name
    if kind in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"):
        names = [".".join(p.sval for p in obj) for obj in node.objects or ()]
        shared = [n for n in names if ctx.lookup(n) is not None]
        if shared:
            return _propagated(f"drops the shards of {', '.join(shared)} on the workers")
        return _local("drops local tables on the coordinator")
    if kind in ("OBJECT_SCHEMA", "OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_TYPE", "OBJECT_DOMAIN",
                "OBJECT_EXTENSION", "OBJECT_AGGREGATE", "OBJECT_VIEW"):
        return _propagated(f"Citus drops the {kind.removeprefix('OBJECT_').lower()} on every node where it "
                           "distributed it")
    if kind in ("OBJECT_POLICY", "OBJECT_TRIGGER", "OBJECT_RULE"):
        table = ".".join(p.sval for p in node.objects[0][:-1]) if node.objects else ""
        return _table_note(ctx.lookup(table), table, f"DROP {kind.removeprefix('OBJECT_')}")
    if kind == "OBJECT_INDEX":
        return _propagated("an index of a distributed or reference table is dropped on its shards; an index of a "
                           "local table only on the coordinator")
    return _local(f"DROP {kind.removeprefix('OBJECT_')} is not propagated by Citus")


def _view(node: Any, ctx: _Context) -> CitusNote:
    local = [_range_name(rv) for rv in range_vars(node.query) if ctx.kind(rv) is None]
    if local:
        return _local(f"a view over local table(s) {', '.join(dict.fromkeys(local))} stays on the coordinator "
                      "(Citus warns that its dependency is not in its metadata)")
    return _propagated("Citus creates the view on every node (it reads only distributed and reference tables)")


def _create_table_as(node: Any, ctx: _Context) -> CitusNote:
    return _local("CREATE TABLE AS / materialized views stay on the coordinator (Citus does not propagate them)")


def _set(node: Any, ctx: _Context) -> CitusNote:
    name = node.name or ""
    session = ctx.session
    if name == "role":
        role = _const(node.args[0]) if node.args else None
        session.role = None if node.kind.name != "VAR_SET_VALUE" or role == "none" else role
        note = _local(f"SET ROLE {role}: Citus connects to the workers as this role from here on")
        problem = _role_problem(str(role), session) if session.role and session.ddl_propagation else None
        if problem:
            note.warnings.append(f"statements Citus propagates after this fail on the workers: role {role}: {problem}")
        return note
    if name.startswith("citus."):
        if name == "citus.propagate_set_commands" and node.args:
            session.propagate_set_commands = str(_const(node.args[0]))
        if name == "citus.enable_unsafe_triggers" and node.args:
            session.unsafe_triggers = str(_const(node.args[0])).lower() in ("on", "true", "1")
        if name == "citus.enable_ddl_propagation" and node.args:
            session.ddl_propagation = str(_const(node.args[0])).lower() in ("on", "true", "1")
        return _local(f"sets Citus's {name} on the coordinator")
    if node.is_local and session.propagate_set_commands == "local":
        return _propagated(f"SET LOCAL {name} reaches the workers (citus.propagate_set_commands = 'local')")
    note = _local(f"SET {name} stays on the coordinator")
    if "." in name:
        note.warnings.append(f"{name} is not sent to the workers (citus.propagate_set_commands = "
                             f"'{session.propagate_set_commands}'): a policy reading it there sees no value; use "
                             "SET LOCAL with citus.propagate_set_commands = 'local'")
    return note


def _create_role(node: Any, ctx: _Context) -> CitusNote:
    ctx.session.roles_created.add(node.role)
    login = node.stmt_type.name == "ROLESTMT_USER"
    for option in node.options or ():
        if option.defname == "canlogin":
            login = bool(_const(option.arg))
    if not login:
        ctx.session.nologin.add(node.role)
    return _propagated(f"Citus creates role {node.role} on the workers; connections as it (SET ROLE, objects it "
                       "owns) work there only after this transaction commits")


def _do(node: Any, ctx: _Context) -> CitusNote:
    body = next((_const(a.arg) for a in node.args or () if a.defname == "as"), "") or ""
    for role in re.findall(r'\bCREATE\s+ROLE\s+"?([A-Za-z_][\w$]*)"?', str(body), re.I):
        ctx.session.roles_created.add(role.lower())
    return _local("a DO block runs on the coordinator; the statements it runs are propagated by their own rules "
                  "(the dry-run reports what Citus distributed or refused when it ran)")


_CITUS_FUNCTIONS = {
    "create_distributed_table": "distributes the table: its shards are created on the workers",
    "create_reference_table": "makes the table a reference table: a replica on every node",
    "create_distributed_function": "distributes the function: calls can be delegated to the workers",
    "undistribute_table": "brings the table back to the coordinator as a local table",
    "alter_distributed_table": "redistributes the table (a copy of its data)",
    "citus_add_local_table_to_metadata": "makes the table a Citus local table",
    "truncate_local_data_after_distributing_table": "empties the coordinator's copy of a distributed table",
}


def _select(node: Any, ctx: _Context) -> CitusNote:
    calls = [".".join(p.sval for p in f.funcname) for f in _walk(node) if type(f).__name__ == "FuncCall"]
    for call in calls:
        base = call.rsplit(".", 1)[-1]
        if base in _CITUS_FUNCTIONS:
            return _propagated(f"{base}() {_CITUS_FUNCTIONS[base]}")
    return _dml(node, ctx, "the query")


def _dml(node: Any, ctx: _Context, what: str = "") -> CitusNote:
    what = what or type(node).__name__.removesuffix("Stmt").upper()
    shared = [_range_name(rv) for rv in range_vars(node) if ctx.kind(rv) is not None]
    if shared:
        return _propagated(f"{what} runs on the shards of {', '.join(dict.fromkeys(shared))}")
    return _local(f"{what} touches no distributed or reference table: it runs on the coordinator")


def _update(node: Any, ctx: _Context) -> CitusNote:
    refusal = _distribution_column_update(node, ctx.lookup)
    return _rejected(refusal) if refusal else _dml(node, ctx)


def _distribution_column_update(node: Any, lookup: TableLookup) -> str | None:
    """Why Citus refuses this UPDATE: it sets the distribution column of a distributed table."""
    if node.relation is None:
        return None
    kind = lookup(_range_name(node.relation))
    if kind is None or kind.kind != "distributed" or kind.column is None:
        return None
    if kind.column not in {target.name for target in node.targetList or ()}:
        return None
    return (f"the UPDATE sets {kind.column}, the distribution column of distributed table "
            f"{_range_name(node.relation)}: Citus refuses it ('modifying the partition value of rows is not "
            "allowed'; a row's shard is fixed by that value)")


def distribution_column_change(sql: str, lookup: TableLookup) -> str | None:
    """Why Citus refuses `sql` because it changes a distribution column (an UPDATE setting it, an ALTER
    TABLE dropping it or changing its type), or None."""
    import pglast

    try:
        parsed = pglast.parse_sql(sql)
    except pglast.parser.ParseError:
        return None
    for statement in parsed:
        node: Any = statement.stmt
        name = type(node).__name__
        if name == "UpdateStmt":
            why = _distribution_column_update(node, lookup)
            if why:
                return why
        if name == "AlterTableStmt" and node.relation is not None:
            kind = lookup(_range_name(node.relation))
            if kind is None or kind.kind != "distributed":
                continue
            why = next((_refused_subcommand(cmd, _range_name(node.relation), kind, _Context(lookup, Session()))
                        for cmd in node.cmds or () if cmd.subtype.name in ("AT_AlterColumnType", "AT_DropColumn")),
                       None)
            if why:
                return why
    return None


def _truncate(node: Any, ctx: _Context) -> CitusNote:
    return _dml(node, ctx, "TRUNCATE")


def _comment(node: Any, ctx: _Context) -> CitusNote:
    kind = node.objtype.name.removeprefix("OBJECT_").lower()
    if kind in ("role", "database"):
        return _propagated(f"Citus sets the comment on the {kind} on every node")
    if kind in ("table", "column", "index", "view", "matview", "sequence"):
        return _local(f"a comment on a {kind} stays on the coordinator (the workers' shards do not carry it)")
    return _local(f"Citus does not propagate COMMENT ON {kind.upper()}: the comment stays on the coordinator")


def _fixed(note: Callable[[], CitusNote]) -> Callable[[Any, _Context], CitusNote]:
    return lambda _node, _ctx: note()


_HANDLERS: dict[str, Callable[[Any, _Context], CitusNote]] = {
    "CreateStmt": _create_table,
    "AlterTableStmt": _alter_table,
    "IndexStmt": _create_index,
    "CreatePolicyStmt": _policy,
    "AlterPolicyStmt": _policy,
    "CreateTrigStmt": _trigger,
    "RenameStmt": _rename,
    "GrantStmt": _grant,
    "DropStmt": _drop,
    "ViewStmt": _view,
    "CreateTableAsStmt": _create_table_as,
    "VariableSetStmt": _set,
    "CreateRoleStmt": _create_role,
    "DoStmt": _do,
    "SelectStmt": _select,
    "InsertStmt": _dml,
    "UpdateStmt": _update,
    "DeleteStmt": _dml,
    "MergeStmt": _dml,
    "TruncateStmt": _truncate,
    "AlterRoleStmt": _fixed(lambda: _propagated("Citus alters the role on every node")),
    "AlterRoleSetStmt": _fixed(lambda: _propagated("Citus sets the role's setting on every node")),
    "DropRoleStmt": _fixed(lambda: _propagated("Citus drops the role on every node")),
    "GrantRoleStmt": _fixed(lambda: _propagated("Citus grants the role membership on every node")),
    "CreateSchemaStmt": _fixed(lambda: _propagated("Citus creates the schema on every node")),
    "AlterOwnerStmt": _fixed(lambda: _propagated("Citus changes the owner on every node where it distributed the "
                                                 "object")),
    "AlterObjectSchemaStmt": _fixed(lambda: _propagated("Citus moves the object on every node where it "
                                                        "distributed it")),
    "CreateFunctionStmt": _fixed(lambda: _propagated("Citus creates the function on every node")),
    "AlterFunctionStmt": _fixed(lambda: _propagated("Citus alters the function on every node")),
    "CreateEnumStmt": _fixed(lambda: _propagated("Citus creates the type on every node")),
    "AlterEnumStmt": _fixed(lambda: _propagated("Citus alters the type on every node")),
    "CompositeTypeStmt": _fixed(lambda: _propagated("Citus creates the type on every node")),
    "CreateDomainStmt": _fixed(lambda: _propagated("Citus creates the domain on every node")),
    "AlterDomainStmt": _fixed(lambda: _propagated("Citus alters the domain on every node")),
    "DefineStmt": _fixed(lambda: _propagated("Citus creates the type, aggregate or collation on every node")),
    "CreateExtensionStmt": _fixed(lambda: _propagated("Citus creates the extension on every node")),
    "AlterExtensionStmt": _fixed(lambda: _propagated("Citus updates the extension on every node")),
    "AlterDefaultPrivilegesStmt": _fixed(lambda: _propagated("Citus alters the default privileges on every "
                                                             "node")),
    "CommentStmt": _comment,
    "CreateEventTrigStmt": _fixed(lambda: _local("event triggers stay on the coordinator (Citus does not "
                                                 "propagate them)")),
    "AlterEventTrigStmt": _fixed(lambda: _local("event triggers stay on the coordinator")),
    "CreateSeqStmt": _fixed(lambda: _local("a sequence stays on the coordinator unless a distributed table's "
                                           "column uses it")),
    "RefreshMatViewStmt": _fixed(lambda: _local("materialized views live on the coordinator")),
}


# =============================================================================================
# What the dry-run must not run: it would commit on the workers outside its transaction


# Citus functions that run commands on the workers over connections of their own, each committed there
# at once, whatever the calling transaction then does.
_RUNS_ON_WORKERS = re.compile(r"\b(run_command_on_(?:workers|all_nodes|coordinator|placements|shards|colocated_placements)"
                              r"|dblink(?:_exec)?)\s*\(", re.IGNORECASE)
_DISTRIBUTES = re.compile(r"\b(create_distributed_table(?:_concurrently)?|create_reference_table|create_distributed_function"
                          r"|citus_add_local_table_to_metadata)\s*\(", re.IGNORECASE)


def commits_outside_the_transaction(text: str, *, distributes_too: bool) -> str | None:
    """Why running `text` would change the workers beyond the reach of the dry-run's rollback, or None.

    A call of run_command_on_workers() (or its siblings, or dblink) runs there in sessions of its own,
    committed at once. And when Citus distributes a table or function whose dependencies (schemas,
    types, functions) are not on the workers yet and were not created with DDL propagation in this
    transaction, it creates them there in a separate session that commits at once: that is every
    dependency on a fresh coordinator, where the chain is built with propagation off
    (`distributes_too`). A function body only defines the call; a DO body or a query runs it."""
    import pglast

    try:
        parsed = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        parsed = None
    if parsed and len(parsed) == 1:
        kind = type(parsed[0].stmt).__name__
        if kind in ("CreateFunctionStmt", "CreateTrigStmt", "ViewStmt", "RuleStmt"):
            return None
    called = _RUNS_ON_WORKERS.search(text)
    if called:
        return (f"it calls {called.group(1)}(), which runs on the workers in sessions of their own, each committed "
                "at once: the dry-run's rollback could not undo it (the real run runs it)")
    distributes = _DISTRIBUTES.search(text) if distributes_too else None
    if distributes:
        return (f"{distributes.group(1)}() on a coordinator that distributes nothing yet: Citus creates what it "
                "distributes depends on (schemas, types, functions the migrations built with DDL propagation off) "
                "on the workers in a separate session that commits at once, which the dry-run's rollback could not "
                "undo; on a cluster that already distributes the schema, the dry-run runs it")
    return None


# =============================================================================================
# What happened when the dry-run ran it


def observed(predicted: CitusNote | None, *, error: Any = None, distributed: list[str] | None = None,
             warnings: list[str] | None = None) -> CitusNote | None:
    """The prediction corrected by the run: an error on a statement Citus handles (or one raised on a
    worker) is a rejection with its SQLSTATE and message; objects Citus began tracking make it
    propagated; Citus's warnings are kept."""
    note = predicted
    if error is not None:
        from_worker = "while executing command on" in (error.diag.context or "") or "remote node" in (
            error.diag.message_primary or "")
        if note is None or note.propagation is not Propagation.COORDINATOR or from_worker:
            where = "on a worker" if from_worker else "on the coordinator"
            reason = note.reason if note is not None else "the statement failed on the Citus cluster"
            note = CitusNote(propagation=Propagation.REJECTED, reason=reason, source="observed",
                             sqlstate=error.sqlstate, message=f"{error.diag.message_primary} ({where})",
                             warnings=note.warnings if note is not None else [])
    elif distributed:
        if note is None or note.propagation is not Propagation.PROPAGATED:
            note = CitusNote(propagation=Propagation.PROPAGATED,
                             reason="Citus created what it ran on every node and now tracks it as distributed",
                             warnings=note.warnings if note is not None else [])
        note.source = "observed"
        note.distributed = list(distributed)
    elif note is not None and note.propagation is Propagation.REJECTED:
        # The static rule expected a refusal and Citus accepted the statement: trust the server.
        note = CitusNote(propagation=Propagation.PROPAGATED, source="observed", warnings=note.warnings,
                         reason=f"Citus accepted it (a static rule expected a refusal: {note.reason})")
    if note is not None and warnings:
        note.warnings.extend(w for w in warnings if w not in note.warnings)
    return note


# =============================================================================================
# Helpers over pglast nodes


def _walk(value: Any) -> Iterator[Any]:
    from pglast import ast

    if isinstance(value, ast.Node):
        yield value
        for name in type(value).__slots__:  # type: ignore[attr-defined]  # generated per node class
            yield from _walk(getattr(value, name, None))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _walk(item)


def _contains(value: Any, node_type: str) -> bool:
    return any(type(n).__name__ == node_type for n in _walk(value))


def range_vars(value: Any) -> list[Any]:
    return [n for n in _walk(value) if type(n).__name__ == "RangeVar"]


def _const(value: Any) -> Any:
    inner = getattr(value, "val", value)
    for attr in ("sval", "ival", "boolval", "fval"):
        if hasattr(inner, attr):
            return getattr(inner, attr)
    return None


def _quote(identifier: str) -> str:
    return identifier if re.fullmatch(r"[a-z_][a-z0-9_$]*", identifier) else '"' + identifier.replace('"', '""') + '"'


def _qualified(schema: str | None, name: str) -> str:
    return f"{_quote(schema)}.{_quote(name)}" if schema else _quote(name)


def _range_name(range_var: Any) -> str:
    return _qualified(range_var.schemaname, range_var.relname)


_SET_CONFIG_LOCAL = re.compile(r"set_config\s*\(\s*'(app\.[\w.]+)'[^;]*?,\s*true\s*\)", re.I | re.S)


def _set_config_warnings(sql: str) -> list[str]:
    """set_config('app.…', …, true) sets the tenant on the coordinator only."""
    names = sorted(set(_SET_CONFIG_LOCAL.findall(sql)))
    if not names:
        return []
    return [f"set_config('{', '.join(names)}', …, true) is not propagated to the workers: a policy there sees no "
            "tenant and shows no rows (fails closed); set it with SET LOCAL and citus.propagate_set_commands = "
            "'local'"]
