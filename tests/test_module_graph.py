"""The integration's modules import each other without a cycle, and the pure core imports no HA.

Imports inside ``if TYPE_CHECKING:`` count too: a cycle hidden there is still a cycle a reader
has to untangle.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "spottypottysense"
# The functional core: plain Python, tested without Home Assistant.
PURE = (
    "engine",
    "announcement",
    "time_windows",
    "decisions",
    "options",
    "records",
    "parsing",
    "quiet_hours",
    "history",
    "fade",
    "spotify_uri",
    "speaker",
    "session_calendar",
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Reads source files only: no Home Assistant instance needed."""


def _imports(module: str) -> tuple[set[str], set[str]]:
    """(the package's modules it imports, the top-level packages it imports from outside)."""
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    inside: set[str] = set()
    outside: set[str] = set()
    for node in ast.walk(ast.parse((PACKAGE / f"{module}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is not None:
                inside.add(node.module.split(".")[0])
            else:
                inside.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            outside.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            outside.update(alias.name.split(".")[0] for alias in node.names)
    return inside & modules, outside


def graph() -> dict[str, set[str]]:
    """Each module of the integration and the modules of the integration it imports."""
    return {path.stem: _imports(path.stem)[0] for path in PACKAGE.glob("*.py")}


def test_the_import_graph_has_no_cycle() -> None:
    try:
        order = list(TopologicalSorter(graph()).static_order())
    except CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(err.args[1])}")
    assert "engine" in order


def test_a_cycle_would_be_found() -> None:
    """The check itself: a graph with a circle is refused."""
    with pytest.raises(CycleError):
        list(
            TopologicalSorter({"controller": {"manager"}, "manager": {"controller"}}).static_order()
        )


@pytest.mark.parametrize("module", PURE)
def test_the_functional_core_imports_no_home_assistant(module: str) -> None:
    inside, outside = _imports(module)
    assert not outside & {"homeassistant", "spotipy", "aiohttp", "voluptuous"}
    assert inside <= set(PURE), f"{module} imports the HA shell: {inside - set(PURE)}"


def test_only_spotify_api_imports_spotipy() -> None:
    users = [path.stem for path in PACKAGE.glob("*.py") if "spotipy" in _imports(path.stem)[1]]
    assert users == ["spotify_api"]


def test_the_engine_is_the_state_machine_alone() -> None:
    """Options, records, parsing and decisions live in their own modules; the engine stays short."""
    tree = ast.parse((PACKAGE / "engine.py").read_text())
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    assert classes == {"Status", "RoomEngine", "_Memory"}
    assert len((PACKAGE / "engine.py").read_text().splitlines()) <= 600
