"""The house rules that code review would otherwise have to remember: no import cycles, imports only from
a module's own layer or lower (the layers as docs/code.md tables them), no module over 250 lines, every
bench tool importable."""
import ast
import re

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.jax
PACKAGE = ROOT / "facial_keypoints"
SCRIPTS = {path.stem for path in ROOT.glob("*.py")}  # train, specialists, submit, predict, export


def imports_of(path):
    """facial_keypoints modules that path imports, at the top or inside a function (a name that
    `from facial_keypoints import NAME` takes from the package itself counts as __init__)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("facial_keypoints"):
            found |= {node.module.split(".")[1]} if "." in node.module else {
                alias.name if (PACKAGE / f"{alias.name}.py").is_file() else "__init__" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("facial_keypoints.")}
    return found - {path.stem}


def top_level_imports(path):
    """The top-level names of everything path imports (absolute imports), at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def layer_table():
    """{name: layer} from the table of layers in docs/code.md: `NAME.py` (a module of the package, or a
    script) as NAME, `nets/` and `bench/` as written; a row whose layer cell is empty is in the layer above."""
    text = (ROOT / "docs" / "code.md").read_text()
    rows = text[text.index("| layer | module | holds |"):].split("\n\n")[0].splitlines()[2:]
    layers, layer = {}, None
    for row in rows:
        number, modules = (cell.strip() for cell in row.strip().strip("|").split("|")[:2])
        layer = int(re.match(r"\d+", number).group()) if number else layer
        for name in re.findall(r"`([\w/]+)(?:\.py)?`", modules):
            assert name not in layers, f"docs/code.md lists {name} twice"
            layers[name] = layer
    return layers


def test_every_module_is_in_a_layer_of_docs_code_md_and_imports_none_of_a_higher_layer():
    layers = layer_table()
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    listed = set(layers) - SCRIPTS - {"nets/", "bench/"}
    assert listed == modules, f"not in the table: {sorted(modules - listed)}; no such module: {sorted(listed - modules)}"
    assert SCRIPTS <= set(layers) and {"nets/", "bench/"} <= set(layers) and len(SCRIPTS) >= 5
    top = max(layers.values())
    assert {layers[name] for name in SCRIPTS | {"bench/"}} == {top} and max(layers[m] for m in modules) < top
    upward = []
    for path in [*PACKAGE.glob("*.py"), *(ROOT / "nets").glob("*.py")]:
        own = layers[path.stem] if path.parent == PACKAGE else layers["nets/"]
        used = imports_of(path) | ({"nets/"} if path.parent == PACKAGE and "nets" in top_level_imports(path) else set())
        upward += [f"{path.relative_to(ROOT)} (layer {own}) imports {name} (layer {layers.get(name)})"
                   for name in sorted(used) if layers.get(name, top) > own]
    assert not upward
    assert layers["training"] > layers["nets/"] > layers["data"] > layers["errors"]  # the table is not flat


def test_no_module_of_the_package_or_of_nets_imports_a_script_bench_or_the_tests():
    forbidden = SCRIPTS | {"bench", "tests"}
    files = [*PACKAGE.glob("*.py"), *(ROOT / "nets").glob("*.py")]
    found = {str(path.relative_to(ROOT)): sorted(top_level_imports(path) & forbidden) for path in files}
    assert len(files) > 40 and not {path: names for path, names in found.items() if names}
    assert "nets" in top_level_imports(PACKAGE / "training.py")  # the walk sees imports inside functions


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


def test_no_test_module_imports_another():
    """What the tests share lives in tests/conftest.py."""
    found = {}
    for path in (ROOT / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "tests":
                names = [f"tests.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found.setdefault(path.name, set()).update(name for name in names if name.startswith("tests."))
    assert "tests.conftest" in found["test_house.py"]  # the walk sees them
    assert not {name: modules - {"tests.conftest"} for name, modules in found.items() if modules - {"tests.conftest"}}


def test_no_module_is_over_250_lines():
    files = [*PACKAGE.glob("*.py"), *(ROOT / "nets").glob("*.py"), *(ROOT / "bench").glob("*.py"), *ROOT.glob("*.py")]
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > 250}
    assert len(files) > 30 and not long


@pytest.mark.parametrize("script", sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__"))
def test_every_bench_script_imports(script):
    """A bench script is run by hand, rarely: a name it imports that has moved is caught here, not by its user."""
    import importlib
    importlib.import_module(f"bench.{script}")
