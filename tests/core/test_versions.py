"""Known-vulnerable library versions are refused (issue 7)."""

import pytest

from aigcverify import versions


def test_installed_versions_meet_the_floors():
    report = versions.check_versions()
    assert any(line.startswith("pillow 13") for line in report)
    assert any(line.startswith("ffmpeg ") and "not installed" not in line for line in report)


def test_an_old_version_is_refused(monkeypatch):
    real = versions.installed_versions()
    monkeypatch.setattr(versions, "installed_versions", lambda: {**real, "pillow": "9.5.0"})
    with pytest.raises(versions.VulnerableDependency, match="pillow 9.5.0 < 10.3.0"):
        versions.check_versions()
