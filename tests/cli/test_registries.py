"""tfreid.catalog's registries: every name resolves, an unknown one is the registry's
one-line error, and the command line is made from them (commands, backbone flags)."""

import subprocess
import sys
from dataclasses import asdict

import pytest

from tests.helpers import ROOT
from tfreid import catalog
from tfreid.errors import ConfigError
from tfreid.models.applications import ResNet50Options
from tfreid.registry import Registry

REGISTRIES = {name: value for name, value in vars(catalog).items()
              if isinstance(value, Registry)}


def test_the_catalog_holds_every_registry():
    assert {"METHODS", "BACKBONES", "BATCH_LOSSES", "MINERS", "DISTANCES", "IMPORTERS",
            "AUGMENTATIONS", "INDEX_KINDS", "STUDIES", "COMMANDS"} <= set(REGISTRIES)


@pytest.mark.parametrize("registry", ["METHODS", "BACKBONES", "AUGMENTATIONS", "INDEX_KINDS",
                                      "STUDIES", "COMMANDS"])
def test_every_name_resolves(registry):
    found = REGISTRIES[registry]
    assert len(found) > 0
    for name in found:
        assert found.get(name) is not None and found[name] is found.get(name)


@pytest.mark.parametrize("registry", sorted(REGISTRIES))
def test_an_unknown_name_is_one_line_that_lists_the_names(registry):
    found = REGISTRIES[registry]
    for lookup in (found.get, found.check, found.describe):
        with pytest.raises(ConfigError) as error:
            lookup("no-such-entry")
        message = str(error.value)
        assert message == (f"unknown {found.what} 'no-such-entry'; choose from "
                           f"{', '.join(found)}") and "\n" not in message


def test_studies_backbones_and_commands_are_the_entries_they_are_named_by():
    from tfreid.experiments import STUDIES, get_study

    assert STUDIES is catalog.STUDIES
    for name in STUDIES:
        assert get_study(name).name == name
    for name in catalog.BACKBONES:
        assert catalog.BACKBONES.get(name).name == name
    assert all(catalog.COMMANDS.describe(name) for name in catalog.COMMANDS)


def test_the_old_name_tuples_follow_the_registries():
    from tfreid.data.names import AUGMENTATIONS
    from tfreid.retrieval.names import KINDS

    assert AUGMENTATIONS == catalog.AUGMENTATIONS.names() == ("none", "fer", "simclr",
                                                               "crop_flip")
    assert KINDS == catalog.INDEX_KINDS.names() == ("flat", "ivfpq", "hnsw", "int8")


def test_tfreid_help_lists_every_command(capsys):
    from tfreid.cli.main import main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in catalog.COMMANDS:
        assert f"  {name} " in out and catalog.COMMANDS.describe(name) in out


def test_an_unknown_command_is_the_registry_s_error_line():
    entry = "import sys; from tfreid.cli.main import main; sys.exit(main())"
    result = subprocess.run([sys.executable, "-c", entry, "no-such-command"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("error: unknown command 'no-such-command'; choose from "
                             f"{', '.join(catalog.COMMANDS)} (see tfreid --help)\n")


def test_backbone_flags_are_generated_from_each_backbone_s_options(capsys):
    from dataclasses import fields

    from tfreid.cli.train_siamese import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    section = out.split("backbone options (each backbone reads its own):")[1]
    flags = set()
    for name in catalog.BACKBONES:
        for spec in fields(catalog.BACKBONES.get(name).Options):
            flag = spec.metadata.get("flag") or "--" + spec.name.replace("_", "-")
            flags.add(flag)
            assert flag in section and spec.metadata["help"].split()[0] in section, flag
    assert flags == {"--activation", "--width", "--downscale", "--backbone-weights", "--pooling",
                     "--gem-p", "--gem-p-trainable", "--neck", "--last-stride"}
    assert "--activation {relu,elu,leaky_relu,tanh,sigmoid,selu,gelu}" in section


def test_backbone_flags_reach_the_config_of_the_chosen_backbone_only():
    from tfreid.cli.train_siamese import config_from_args

    config = config_from_args(["--width", "2", "--downscale", "2", "--image-size", "96"])
    assert config.backbone_options == {"activation": "relu", "width": 2.0, "downscale": 2,
                                       "neck": "none"}
    assert config.encoder_options() == config.backbone_options
    config = config_from_args(["--backbone", "resnet50", "--backbone-weights", "w.h5"])
    assert config.backbone_options == {**asdict(ResNet50Options()), "weights": "w.h5"}
    assert config_from_args(["--backbone", "pami"]).backbone_options == {}


def test_no_option_name_is_both_a_backbone_s_and_a_method_s_or_shared():
    from dataclasses import fields

    from tfreid.training.config import RunConfig

    backbone = {spec.name for name in catalog.BACKBONES
                for spec in fields(catalog.BACKBONES.get(name).Options)}
    shared = {spec.name for spec in fields(RunConfig)}
    for name in catalog.METHODS:
        method = {spec.name for spec in fields(catalog.METHODS.get(name).Options)}
        assert not method & backbone, name
    assert not backbone & shared
