"""The house rules that code review would otherwise have to remember."""
import ast

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.jax
PACKAGE = ROOT / "facial_keypoints"


def imports_of(path):
    """facial_keypoints modules that path imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("facial_keypoints"):
            found |= {node.module.split(".")[1]} if "." in node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("facial_keypoints.")}
    return found - {path.stem}


def test_no_module_of_the_package_imports_one_that_imports_it_back():
    graph = {path.stem: imports_of(path) for path in PACKAGE.glob("*.py")}
    state = {}

    def visit(module, trail):
        if state.get(module) == "open":
            raise AssertionError(f"import cycle: {' -> '.join(trail + [module])}")
        if state.get(module) is None:
            state[module] = "open"
            for other in sorted(graph.get(module, ())):
                visit(other, trail + [module])
            state[module] = "done"

    for module in sorted(graph):
        visit(module, [])
    assert graph["splits"] and "runs" in graph["training"]  # the walk sees real imports


def test_no_module_is_over_250_lines():
    files = [*PACKAGE.glob("*.py"), *(ROOT / "nets").glob("*.py"), *(ROOT / "bench").glob("*.py"), *ROOT.glob("*.py")]
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > 250}
    assert len(files) > 30 and not long


@pytest.mark.parametrize("script", sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__"))
def test_every_bench_script_imports(script):
    """A bench script is run by hand, rarely: a name it imports that has moved is caught here, not by its user."""
    import importlib
    importlib.import_module(f"bench.{script}")
