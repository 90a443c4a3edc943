"""Fixtures for the inventory tests: a temporary MEDIA_ROOT, so photo files never land in the project."""

from pathlib import Path

import pytest


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    """MEDIA_ROOT in this test's temporary folder (the default storage follows the setting)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media/"
    return settings.MEDIA_ROOT
