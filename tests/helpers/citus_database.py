"""A database of its own on every node of the session's Citus cluster, with its own Citus metadata.

Citus keeps its metadata (pg_dist_node, pg_dist_partition, ...) per database, so a test that marks a
worker inactive or distributes fixture tables does it here, never in the `postgres` database the
product is applied to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from tests.helpers.citus import CitusCluster


def in_database(url: str, dbname: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + dbname


def host_port(url: str) -> tuple[str, int]:
    """('127.0.0.1', 5432) from postgresql://user@127.0.0.1:5432/db."""
    host, port = url.split("@", 1)[1].split("/", 1)[0].split(":")
    return host, int(port)


@contextmanager
def citus_database(cluster: CitusCluster, dbname: str, *, add_workers: bool = True) -> Iterator[str]:
    """`dbname` with the citus extension on every node; the coordinator knows itself and (unless told
    not to) every worker. Yields the coordinator's URL; drops the database on every node afterwards."""
    nodes = cluster.node_urls()
    try:
        for node in nodes:
            with psycopg.connect(node, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {dbname}")
            with psycopg.connect(in_database(node, dbname), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION citus")
        url = in_database(nodes[0], dbname)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT citus_set_coordinator_host(%s, %s)", host_port(nodes[0]))
            for worker in nodes[1:] if add_workers else []:
                conn.execute("SELECT citus_add_node(%s, %s)", host_port(worker))
        yield url
    finally:
        for node in nodes:
            with psycopg.connect(node, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
