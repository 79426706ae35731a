"""Optional extras (issue 20, item 8): a feature whose extra is missing ends in one line naming
``pip install 'tfreid[<extra>]'``, before any work, and writes nothing."""

import importlib

import pytest

from tests.helpers import the_error_line
from tfreid.cli.main import main
from tfreid.errors import ConfigError
from tfreid.extras import MissingExtraError, import_extra


@pytest.fixture
def without(monkeypatch):
    """``without(name)``: importing module ``name`` (or a submodule) fails from now on."""
    real = importlib.import_module

    def hide(hidden: str) -> None:
        def import_module(name, *args, **kwargs):
            if name.split(".")[0] == hidden:
                raise ModuleNotFoundError(f"No module named {name!r}")
            return real(name, *args, **kwargs)

        monkeypatch.setattr(importlib, "import_module", import_module)

    return hide


def test_import_extra_names_the_extra(without):
    assert import_extra("json", "none", "reading JSON").dumps([1]) == "[1]"
    without("tensorflow_model_optimization")
    with pytest.raises(MissingExtraError) as raised:
        import_extra("tensorflow_model_optimization", "qat", "quantization-aware training")
    assert str(raised.value) == (
        "quantization-aware training needs tfreid's 'qat' extra (tensorflow_model_optimization "
        "is not installed): pip install 'tfreid[qat]'")
    assert isinstance(raised.value, ConfigError) and isinstance(raised.value, ImportError)


@pytest.mark.parametrize("argv", [
    ["export", "{tmp}/run", "--out", "{tmp}/deploy"],
    ["compress", "--run", "{tmp}/run", "--out", "{tmp}/deploy", "--precisions", "int8-qat"]])
def test_qat_commands_without_the_qat_extra_stop_first(tmp_path, without, capsys, argv):
    without("tensorflow_model_optimization")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    assert the_error_line(capsys.readouterr().err) == (
        "error: quantization-aware training (QAT) needs tfreid's 'qat' extra "
        "(tensorflow_model_optimization is not installed): pip install 'tfreid[qat]'")
    assert list(tmp_path.iterdir()) == []


def test_export_without_qat_needs_no_qat_extra(tmp_path, without, capsys):
    without("tensorflow_model_optimization")
    assert main(["export", str(tmp_path / "run"), "--float-only", "--out",
                 str(tmp_path / "e")]) == 2  # fails on the missing run, not on the extra
    assert "tfreid[qat]" not in the_error_line(capsys.readouterr().err)
