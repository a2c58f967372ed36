"""The wheel carries the shipped models: every file under models/ matches pyproject's package-data."""
from __future__ import annotations

import fnmatch
import sys

from conftest import REPO


def test_package_data_covers_every_shipped_model_file():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    spec = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = spec["tool"]["setuptools"]["package-data"]["feedback_nlp"]
    shipped = [f"shipped_models/{p.relative_to(REPO / 'models').as_posix()}"
               for p in (REPO / "models").rglob("*") if p.is_file()]
    # fnmatch's * crosses "/", so match one glob segment per path segment
    missing = [f for f in shipped if not any(
        f.count("/") == g.count("/") and fnmatch.fnmatch(f, g) for g in globs)]
    assert shipped and not missing, missing
