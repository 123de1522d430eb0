"""The project keeps its own rules: lint-clean, layered, and CI runs the README's command."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _ruff() -> list[str]:
    beside = Path(sys.executable).parent / "ruff"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    return [found]


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(args: list[str]) -> None:
    result = subprocess.run(
        [*_ruff(), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```(?:sh|bash|console)?\n(python3 -m venv[^\n]*)\n```", readme)
    tests = [c for c in commands if "pytest" in c]
    assert len(tests) == 1, "the Quickstart has exactly one test command"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests[0] in ci, ".ci/run must run the README's test command as written"


def _imports(path: Path, everywhere: bool = False) -> list[str]:
    """The modules ``path`` imports: when it is imported (the module's own body), or
    ``everywhere`` (inside functions too)."""
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree) if everywhere else tree.body:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from leaktui import remote` imports leaktui.remote: each name may be a module.
            names += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    return names


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "leaktui" / "core").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT / "leaktui" / "core")),
)
def test_core_knows_nothing_of_the_ui_and_loads_celery_lazily(path: Path) -> None:
    """And nothing of the agent: importing leaktui.agent connects Celery's signals."""
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in ("textual", "textual_plotext", "celery", "kombu"), name
        assert not name.startswith(("leaktui.tui", "leaktui.remote", "leaktui.agent")), name


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "leaktui" / "agent").glob("*.py")), ROOT / "leaktui" / "protocol.py"],
    ids=lambda p: p.name,
)
def test_the_agent_imports_only_the_stdlib_objgraph_celery_and_itself(path: Path) -> None:
    """It runs inside the user's workers: nothing of leaktui's UI or core comes with it,
    only the protocol it shares with the client."""
    for name in _imports(path, everywhere=True):
        top = name.split(".")[0]
        if top == "leaktui":
            assert name.startswith(("leaktui.agent", "leaktui.protocol.")) or name in (
                "leaktui",  # `from leaktui.x import ...` is checked by its full name too
                "leaktui.protocol",
            ), name
        else:
            assert top in sys.stdlib_module_names or top in ("objgraph", "celery"), name


def test_the_client_side_never_loads_the_agent() -> None:
    """Importing leaktui.agent hooks Celery's worker signals: the UI and CLI must not."""
    code = (
        "import sys, leaktui.commands, leaktui.remote, leaktui.tui.app;"
        "import leaktui.tui.widgets.objgraph_pane;"
        "print('leaktui.agent' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md"]
DOCS += sorted((ROOT / "docs").glob("*.md"))


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_in_the_docs_leads_to_a_file_that_exists(path: Path) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
        if "://" in target or target.startswith(("#", "mailto:")):
            continue
        assert (path.parent / target.split("#")[0]).exists(), f"{path.name}: {target}"


def test_the_readme_is_read_in_five_minutes() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 260
