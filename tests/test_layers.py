"""The design card's layering: no module imports a higher layer, lazily or not."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tfreid"
LAYERS = [
    {"", "errors", "limits", "registry", "catalog", "quiet", "backend", "option_types", "io",
     "distribute"},
    {"data", "losses", "metrics", "models", "plots"},
    {"evaluation", "export", "compression", "retrieval"},
    {"callbacks"},
    {"training"},
    {"workflows", "experiments"},
    {"cli"},
]


def layer_of(module: str) -> int:
    """The layer of ``tfreid.<part>...`` (its first component after ``tfreid``)."""
    part = module.split(".")[1] if module.count(".") else ""
    return next(i for i, names in enumerate(LAYERS) if part in names)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name == "tfreid" or name.startswith("tfreid.")]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    own = layer_of(module_name(path))
    upward = [name for name in imports_of(path) if layer_of(name) > own]
    assert not upward, f"{module_name(path)} (layer {own}) imports {upward}"


def test_every_package_has_a_layer():
    for folder in PACKAGE.iterdir():
        if folder.is_dir() and (folder / "__init__.py").exists():
            assert any(folder.name in names for names in LAYERS), folder.name


@pytest.mark.slow
def test_importing_any_package_first_works_in_a_fresh_process():
    import subprocess
    import sys

    packages = ["tfreid.callbacks", "tfreid.losses", "tfreid.data", "tfreid.training"]
    for name in packages:
        result = subprocess.run([sys.executable, "-c", f"import {name}; from tfreid.data "
                                 "import load_split; import tfreid.callbacks"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (name, result.stderr[-2000:])
