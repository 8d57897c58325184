"""Deliberately broken configurations fail with exit code 2 and a message naming the fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from .esphome_cli import FIXTURES_DIR, Job, Run, run_jobs

# fixture file -> texts the error output must contain
EXPECTED_ERRORS = {
    "bad-pin.yaml": ("Invalid pin number: 99 (must be 0-39).", "packages/pir.yaml:16"),
    "bad-device-class.yaml": ("Unknown value 'movement', valid options are", "'motion'"),
    "missing-secret.yaml": ("Secret 'wifi_passwd' not defined", '"missing-secret.yaml", line 6'),
    "bad-filter.yaml": ("Unable to find filter with the name 'delayed_of'.",),
    "bad-duration.yaml": ("Expected time period with unit, got thirty seconds.",),
    "bad-api-key.yaml": ("Invalid key format, please check it's using base64.",),
    "bad-yaml.yaml": ("Invalid YAML syntax", '"bad-yaml.yaml", line 7'),
}


def test_every_fixture_has_an_expected_error() -> None:
    assert sorted(EXPECTED_ERRORS) == sorted(path.name for path in FIXTURES_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def results(tree: Path, scratch: Path) -> dict[str, Run]:
    folder = tree / "tests" / "firmware" / "fixtures"
    return run_jobs({name: Job(("config", name), folder) for name in EXPECTED_ERRORS}, scratch)


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_broken_config_is_rejected(results: dict[str, Run], name: str) -> None:
    result = results[name]
    assert result.returncode == 2, result.output
    for expected in EXPECTED_ERRORS[name]:
        assert expected in result.output
