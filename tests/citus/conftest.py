"""The Citus job's fixtures: one 3-node cluster per session (coordinator + 2 workers), the product
repository applied to its coordinator by `dbrun up`, and every development seed
(every file of seeds/, as `dbrun seed` loads them there).

Every test here is marked `citus`: the default run (`pytest`, the README's command) deselects them
(`-m 'not citus'` in pyproject.toml) and starts no cluster; `.ci/citus` runs them with `-m citus`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dbrun import api
from dbrun.config import Settings, load_settings
from tests.helpers.citus import CitusCluster, load_citus_seeds

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.citus)


@pytest.fixture(scope="session")
def citus_cluster() -> Iterator[CitusCluster]:
    cluster = CitusCluster.start(workers=2)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def citus_settings(citus_cluster: CitusCluster) -> Settings:
    return load_settings(REPO_ROOT, citus_cluster.url)


@pytest.fixture(scope="session")
def citus_product(citus_settings: Settings) -> api.RunOutcome:
    """The whole chain applied to the coordinator by `dbrun up` (its post-checks are the tests' business),
    then every seed."""
    outcome = api.up(citus_settings)
    assert outcome.result is not None
    load_citus_seeds(citus_settings.database_url or "")
    return outcome


@pytest.fixture
def citus_url(citus_product: api.RunOutcome, citus_cluster: CitusCluster) -> str:
    """The coordinator's URL, with the seeded product applied (shared by the session: tests leave it as found)."""
    return citus_cluster.url
