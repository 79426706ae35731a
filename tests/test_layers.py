"""The design card's layering: no module imports a higher layer, lazily or not.

"Lazily" covers the module strings too: the ``_EXPORTS`` of package ``__init__``s,
``import_module`` arguments and ``"tfreid.x:attribute"`` targets. The one exception is
``tfreid.catalog``: it is the registry, so its targets may name any layer; what is
checked there is that each target exists and that every module that resolves a
registry's entries (``REGISTRY.get`` or ``REGISTRY[...]``) is of a layer at or above
every target of that registry. The other is ``tfreid.load_model``: the top-level package
imports ``tfreid.keras_objects`` (which imports every module registering Keras objects)
inside that function, so ``import tfreid`` stays light.
"""

import ast
import importlib
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tfreid"
LAYERS = [
    {"", "errors", "extras", "limits", "registry", "catalog", "quiet", "backend", "option_types",
     "io", "distribute"},
    {"data", "losses", "metrics", "models", "plots", "nn", "inference"},
    {"evaluation", "export", "compression", "retrieval"},
    {"callbacks"},
    {"training", "keras_objects"},
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
ENTRY_POINTS = {"tfreid": {"tfreid.keras_objects"}}  # tfreid.load_model, imported when called


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    own = layer_of(module_name(path))
    allowed = ENTRY_POINTS.get(module_name(path), set())
    upward = [name for name in imports_of(path) if layer_of(name) > own and name not in allowed]
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


TARGET = re.compile(r"^tfreid(\.\w+)*(:[A-Za-z_][\w.]*)?$")


def lazy_modules_of(path: Path) -> list[str]:
    """The modules ``path`` names in strings: ``_EXPORTS`` values, ``import_module``
    arguments and ``"tfreid.x:attribute"`` targets anywhere."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_EXPORTS"
                                                for t in node.targets):
            found += [v.value for v in node.value.values if isinstance(v, ast.Constant)]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                node.func, "id", "")) == "import_module":
            found += [a.value for a in node.args[:1] if isinstance(a, ast.Constant)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and ":" in node.value and TARGET.match(node.value):
            found.append(node.value)
    return [name.split(":")[0] for name in found]


def module_exists(name: str) -> bool:
    relative = Path(*name.split("."))
    root = PACKAGE.parent
    return (root / relative).with_suffix(".py").is_file() \
        or (root / relative / "__init__.py").is_file()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_strings_name_real_modules_of_no_higher_layer(path):
    own = layer_of(module_name(path))
    named = lazy_modules_of(path)
    assert all(TARGET.match(name) for name in named), named
    missing = [name for name in named if not module_exists(name)]
    assert not missing, f"{module_name(path)} names modules that do not exist: {missing}"
    if module_name(path) != "tfreid.catalog":
        upward = [name for name in named if layer_of(name) > own]
        assert not upward, f"{module_name(path)} (layer {own}) lazily names {upward}"


def registries() -> dict:
    from tfreid import catalog
    from tfreid.registry import Registry

    return {name: value for name, value in vars(catalog).items() if isinstance(value, Registry)}


def test_every_catalog_target_imports():
    for registry_name, registry in registries().items():
        for name in registry:
            module, attribute = registry.target(name).split(":")
            assert module_exists(module), (registry_name, name, module)
            target = importlib.import_module(module)
            for part in attribute.split("."):
                assert hasattr(target, part), (registry_name, name, registry.target(name))
                target = getattr(target, part)


def consumers_of(path: Path) -> set[str]:
    """The catalog registries ``path`` resolves entries of (``NAME.get(...)``,
    ``NAME[...]``), by their name in the catalog."""
    tree = ast.parse(path.read_text())
    aliases = {alias.asname or alias.name: alias.name for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module == "tfreid.catalog"
               for alias in node.names}
    used = set()
    for node in ast.walk(tree):
        resolves = (isinstance(node, ast.Attribute) and node.attr == "get") \
            or isinstance(node, ast.Subscript)
        if resolves and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.add(aliases[node.value.id])
    return used


def test_registry_consumers_may_import_every_target():
    found = registries()
    for path in MODULES:
        own = layer_of(module_name(path))
        for registry_name in consumers_of(path) & set(found):
            registry = found[registry_name]
            higher = [registry.target(name) for name in registry
                      if layer_of(registry.target(name).split(":")[0]) > own]
            assert not higher, (f"{module_name(path)} (layer {own}) resolves {registry_name}, "
                                f"whose targets {higher} lie above it")


def test_losses_and_models_never_import_each_other():
    for package, other in (("losses", "models"), ("models", "losses")):
        for path in sorted((PACKAGE / package).rglob("*.py")):
            named = imports_of(path) + lazy_modules_of(path)
            wrong = [name for name in named if name.split(".")[1:2] == [other]]
            assert not wrong, f"{module_name(path)} imports {wrong}"
