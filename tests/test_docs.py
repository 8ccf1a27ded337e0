"""The documentation in the repository: present, linked from the README, and the CLI reference current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("architecture.md", "contracts.md", "cli.md", "adding-a-stage.md")


def _cli_reference():
    """tools/cli_reference.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "tools" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_docs_exist_and_the_readme_links_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in DOCS:
        assert (ROOT / "docs" / name).exists(), name
        assert f"docs/{name}" in readme, f"README does not link docs/{name}"
    assert "CONTRIBUTING.md" in readme and (ROOT / "CONTRIBUTING.md").exists()
    assert "../shared/DESIGN.md" not in readme  # a clone has no ../shared: the design lives in docs/


def test_the_cli_reference_is_current():
    """docs/cli.md is every command's --help; regenerate with `python tools/cli_reference.py`."""
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == _cli_reference().reference()


def test_every_module_the_architecture_names_exists():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    import re

    for path in set(re.findall(r"`((?:inference|datasets|models|training|tankerwatch)/[a-z_/]+\.py)", text)):
        assert (ROOT / path).exists(), path
