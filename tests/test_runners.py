"""Both runners give a suite the same world: services, extra instances, commands, exposed servers.

The fixture lab lab91 uses all of it (tests/fixtures/kit/suites/lab91); it must score 100% under the
docker runner, under the local runner with embedded services, and with services from the environment.
"""

from __future__ import annotations

import pytest

from tests.conftest import IN_CI
from tests.kit import ROOT, grade, results_summary
from tests.test_services import LOCAL_PG, LOCAL_REDIS, _reachable

KIT = ROOT / "tests" / "fixtures" / "kit"


@pytest.mark.parametrize(
    ("runner", "services"),
    [
        ("local", "embedded"),
        ("local", "environment"),
        pytest.param("docker", "containers", marks=pytest.mark.docker),
    ],
)
def test_a_suite_sees_the_same_world_under_every_runner(runner, services, tmp_path):
    env = {"DATABASE_URL": "", "REDIS_URL": ""}
    if services == "environment":
        if not (_reachable("postgres") and _reachable("redis")):
            message = "no local PostgreSQL and Redis to name in DATABASE_URL / REDIS_URL"
            pytest.fail(message) if IN_CI else pytest.skip(message)
        env = {"DATABASE_URL": LOCAL_PG, "REDIS_URL": LOCAL_REDIS}
    graded = grade("lab91", "--suites", str(KIT / "suites"), runner=runner, tmp=tmp_path, root=KIT, env=env)
    assert graded.exit_code == 0, results_summary(graded)
    assert graded.result is not None
    assert graded.result.percent == 100.0
