"""What the Citus row trigger of usage.events costs per event (citus/after/30_usage_rollups.sql).

On Citus, usage.tg_events_check_and_mark() runs once per written event on the shard: it checks the
organization (or the API key) and the cost against the shards of core.organizations, core.api_keys
and core.models on its own node, and marks the event's bucket in the colocated shard of
usage.rollup_bucket_marks. This applies the product chain and the seeds to a 3-node cluster
(coordinator + 2 workers, ../shared/citus/cluster.sh) with `dbrun up` and then ingests batches as the
gateway does (a LOGIN role granted app_ingest; one INSERT ... SELECT * FROM unnest(arrays) ON CONFLICT
DO NOTHING of --batch events of the seeded tenants), alternating run by run between the trigger
enabled and disabled (the baseline: no validation, no marks). Medians of --runs runs, each the
median of --batches batches; the per-event cost is (with - without) / --batch. On 2 cores the three
nodes share the CPUs: the absolute figures are this machine's, the difference is the trigger's.

Not a test: run it by hand (see docs/benchmarks.md).

    PYTHONPATH=. .venv/bin/python bench/bench_citus_usage_triggers.py [--batch 2000] [--batches 3] [--runs 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from tests.helpers.analytics import INGEST, KEY_A, KEY_B, MODEL, cost_of
from tests.helpers.citus import CitusCluster, load_citus_seeds
from tests.helpers.schema import ORG_A, ORG_B, SERVICE_LOGINS, ensure_service_logins, url_as

from dbrun import api
from dbrun.config import load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
FIRST_HOUR = datetime(2026, 12, 1, tzinfo=UTC)  # a seeded partition (seeds/35_usage_partitions.sql) with no event


def batch_of(size: int, serial: int) -> list[list[Any]]:
    """`size` events of both seeded tenants, new request ids, spread over a day of FIRST_HOUR's month."""
    rows = []
    for i in range(size):
        org, key = (ORG_A, KEY_A) if i % 2 else (ORG_B, KEY_B)
        tokens_in, tokens_out = 100 + i % 900, 10 + i % 400
        occurred = FIRST_HOUR + timedelta(seconds=(serial * 97 + i) % 86400)
        rows.append((org, f"bench-{serial}-{i}-{uuid.uuid4().hex[:8]}", occurred, MODEL, key, "success",
                     tokens_in, tokens_out, 100, cost_of(tokens_in, tokens_out)))
    return [list(column) for column in zip(*rows, strict=True)]


def set_trigger(url: str, enabled: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET citus.enable_unsafe_triggers = on")
        conn.execute(f"ALTER TABLE usage.events {'ENABLE' if enabled else 'DISABLE'} TRIGGER trg_events_check_and_mark")


def ingest_ms(url: str, size: int, batches: int, serial: int) -> float:
    times = []
    with psycopg.connect(url_as(url, SERVICE_LOGINS["app_ingest"]), autocommit=True) as conn:
        for n in range(batches):
            params = batch_of(size, serial * 1000 + n)
            started = time.perf_counter()
            written = conn.execute(INGEST, params).rowcount
            times.append((time.perf_counter() - started) * 1000)
            assert written == size, f"{written} of {size} events written"
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    cluster = CitusCluster.start(workers=2)
    try:
        outcome = api.up(load_settings(REPO_ROOT, cluster.url))
        assert outcome.result is not None
        load_citus_seeds(cluster.url)
        ensure_service_logins(cluster.url)
        results: dict[bool, list[float]] = {True: [], False: []}
        for run in range(args.runs):
            for enabled in ((True, False) if run % 2 else (False, True)):
                set_trigger(cluster.url, enabled)
                results[enabled].append(ingest_ms(cluster.url, args.batch, args.batches, run * 2 + enabled))
        set_trigger(cluster.url, True)
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'citus'").fetchone()
    finally:
        cluster.stop()

    with_trigger, without = statistics.median(results[True]), statistics.median(results[False])
    per_event_us = (Decimal(with_trigger) - Decimal(without)) * 1000 / args.batch
    print(f"Citus {version[0] if version else '?'}, {platform.machine()}, batch {args.batch} events, "
          f"{args.runs} runs of {args.batches} batches")
    print(f"ingest, row trigger enabled   {with_trigger:9.1f} ms   ({with_trigger * 1000 / args.batch:.1f} us/event)")
    print(f"ingest, row trigger disabled  {without:9.1f} ms   ({without * 1000 / args.batch:.1f} us/event)")
    print(f"ratio enabled / disabled      {with_trigger / without:9.2f}")
    print(f"trigger cost                  {per_event_us:9.1f} us/event")


if __name__ == "__main__":
    main()
