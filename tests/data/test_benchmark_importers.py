"""The public re-id benchmarks' importers, each on a tiny set written in the release's own
layout (file names, list files, .mat files), with its split and protocol (issue 22 item 1)."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.data.cuhk03_files import CUHK_IMAGES, cuhk03_layout, cuhk_pixels, write_cuhk03_config
from tfreid.cli.make_tfrecords import main as make_tfrecords
from tfreid.data import read_manifest
from tfreid.data.importers.cuhk03 import cuhk03_records
from tfreid.data.importers.dukemtmcreid import dukemtmcreid_records
from tfreid.data.importers.market1501_500k import market1501_500k_records
from tfreid.data.importers.msmt17 import msmt17_records
from tfreid.data.importers.vehicleid import vehicleid_records
from tfreid.data.importers.veri776 import veri776_records
from tfreid.data.protocols import random_gallery_draws
from tfreid.errors import DataError


def save_image(path, value=0, size=(8, 4)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*size, 3), value % 256, np.uint8)).save(path)


def labels(records):
    return sorted((r.identity, r.camera) for r in records)


def imported_through_command(root, out, source, *options):
    """The manifest of ``make_tfrecords SOURCE ROOT --out OUT OPTIONS``."""
    assert make_tfrecords([source, str(root), "--out", str(out), *options]) == 0
    return read_manifest(out)


def counts(manifest):
    return {split: (info["num_images"], info["num_identities"])
            for split, info in manifest["splits"].items()}


# --- DukeMTMC-reID -------------------------------------------------------------------------

DUKE = {"bounding_box_train": ["0001_c1_f0046182.jpg", "0001_c2_f0047000.jpg",
                               "0003_c3_f0001000.jpg", "0003_c5_f0001200.jpg"],
        "query": ["0005_c1_f0100000.jpg", "0007_c8_f0200000.jpg"],
        "bounding_box_test": ["0005_c2_f0100100.jpg", "0005_c1_f0100200.jpg",
                              "0007_c6_f0200300.jpg", "0100_c4_f0300000.jpg",
                              "-1_c3_f0300100.jpg", "snapshot.jpg", "Thumbs.db"]}


def duke_layout(root):
    for folder, names in DUKE.items():
        for value, name in enumerate(names):
            if name.endswith(".db"):
                (root / folder / name).write_bytes(b"not an image")
            else:
                save_image(root / folder / name, value)
    return root


def test_dukemtmcreid_layout(tmp_path):
    imported = dukemtmcreid_records(duke_layout(tmp_path / "DukeMTMC-reID"))
    splits = imported.splits
    assert labels(splits["train"]) == [(1, 1), (1, 2), (3, 3), (3, 5)]
    assert labels(splits["query"]) == [(5, 1), (7, 8)]
    assert labels(splits["gallery"]) == [(5, 1), (5, 2), (7, 6), (100, 4)]
    assert imported.notes.counts == {
        "skipped, not an image file (.bmp, .gif, .jpeg, .jpg, .png)": 1,
        "skipped, name not of the form 0001_c2_f0046182.jpg": 1,
        "skipped, junk (identity -1)": 1}
    assert imported.extra == {"protocol": {"name": "dukemtmcreid", "camera_rule": True}}


def test_dukemtmcreid_command(tmp_path, capsys):
    manifest = imported_through_command(duke_layout(tmp_path / "DukeMTMC-reID"),
                                        tmp_path / "ds", "dukemtmcreid")
    assert counts(manifest) == {"train": (4, 2), "query": (2, 2), "gallery": (4, 3)}
    assert manifest["protocol"] == {"name": "dukemtmcreid", "camera_rule": True}
    assert "note: skipped, junk (identity -1): 1 file" in capsys.readouterr().err


# --- MSMT17 --------------------------------------------------------------------------------

MSMT = {"list_train.txt": ("train", [("0000/0000_000_01_0303morning_0015_0.jpg", 0),
                                     ("0000/0000_001_07_0303noon_0210_1.jpg", 0),
                                     ("0001/0001_000_03_0303afternoon_0033_0.jpg", 1)]),
        "list_val.txt": ("train", [("0001/0001_001_15_0302morning_0101_0.jpg", 1)]),
        "list_query.txt": ("test", [("0000/0000_000_02_0113morning_0071_0.jpg", 0),
                                    ("0002/0002_000_11_0113noon_0912_1.jpg", 2)]),
        "list_gallery.txt": ("test", [("0000/0000_001_04_0113morning_0100_0.jpg", 0),
                                      ("0000/0000_002_02_0113morning_0200_0.jpg", 0),
                                      ("0002/0002_001_12_0113noon_1000_0.jpg", 2),
                                      ("0001/0001_000_05_0113noon_0022_0.jpg", 1)])}


def msmt_layout(root, folders=None):
    """An MSMT17 folder; ``folders`` renames its image folders (V2: mask_train_v2, ...)."""
    for listing, (folder, lines) in MSMT.items():
        for value, (name, _) in enumerate(lines):
            save_image(root / (folders or {}).get(folder, folder) / name, value)
        (root / listing).write_text("".join(f"{name} {label}\n" for name, label in lines))
    return root


def test_msmt17_layout(tmp_path):
    imported = msmt17_records(msmt_layout(tmp_path / "MSMT17_V1"))
    splits = imported.splits
    assert labels(splits["train"]) == [(0, 1), (0, 7), (1, 3), (1, 15)]  # train + val lists
    assert labels(splits["query"]) == [(2, 2), (4, 11)]  # test labels shifted by 2
    assert labels(splits["gallery"]) == [(2, 2), (2, 4), (3, 5), (4, 12)]
    assert [r.filename for r in splits["query"]] == ["0000_000_02_0113morning_0071_0.jpg",
                                                     "0002_000_11_0113noon_0912_1.jpg"]
    assert imported.extra == {"protocol": {"name": "msmt17", "camera_rule": True,
                                           "test_identity_offset": 2}}


def test_msmt17_v2_reads_its_own_image_folders(tmp_path):
    v1 = msmt17_records(msmt_layout(tmp_path / "MSMT17_V1"))
    v2 = msmt17_records(msmt_layout(tmp_path / "MSMT17_V2", {"train": "mask_train_v2",
                                                             "test": "mask_test_v2"}))
    assert {split: labels(records) for split, records in v2.splits.items()} == \
        {split: labels(records) for split, records in v1.splits.items()}
    assert v2.extra == v1.extra and v2.source.startswith("MSMT17_V2")
    (tmp_path / "MSMT17_V2" / "list_val.txt").unlink()
    with pytest.raises(DataError, match="is not a MSMT17_V2 folder: list_val.txt is missing"):
        msmt17_records(tmp_path / "MSMT17_V2")


def test_msmt17_command_and_a_missing_listed_image(tmp_path):
    root = msmt_layout(tmp_path / "MSMT17_V1")
    manifest = imported_through_command(root, tmp_path / "ds", "msmt17")
    assert counts(manifest) == {"train": (4, 2), "query": (2, 2), "gallery": (4, 3)}
    assert manifest["protocol"]["test_identity_offset"] == 2
    (root / "test" / "0001" / "0001_000_05_0113noon_0022_0.jpg").unlink()
    with pytest.raises(DataError, match=r"list_gallery.txt line 4: .*0001_000_05_0113noon_0022_0"
                                        r".jpg does not exist"):
        msmt17_records(root)
    (root / "list_val.txt").write_text("0001/0001_001_15_0302morning_0101_0.jpg\n")
    with pytest.raises(DataError, match="list_val.txt line 1: expected 'name label'"):
        msmt17_records(root)


# --- VeRi-776 ------------------------------------------------------------------------------

VERI = {"name_train.txt": ("image_train", ["0001_c001_00016450_0.jpg", "0001_c002_00016500_1.jpg",
                                           "0002_c003_00030000_0.jpg"]),
        "name_query.txt": ("image_query", ["0006_c004_00076530_0.jpg"]),
        "name_test.txt": ("image_test", ["0006_c005_00076600_0.jpg", "0006_c004_00076700_0.jpg",
                                         "0013_c020_00090000_1.jpg"])}


def veri_layout(root):
    for listing, (folder, names) in VERI.items():
        for value, name in enumerate(names):
            save_image(root / folder / name, value)
        (root / listing).write_text("\n".join(names) + "\n")
    save_image(root / "image_test" / "0014_c006_00000010_0.jpg")  # not in name_test.txt
    return root


def test_veri776_layout(tmp_path):
    imported = veri776_records(veri_layout(tmp_path / "VeRi"))
    splits = imported.splits
    assert labels(splits["train"]) == [(1, 1), (1, 2), (2, 3)]
    assert labels(splits["query"]) == [(6, 4)]
    assert labels(splits["gallery"]) == [(6, 4), (6, 5), (13, 20)]
    assert imported.notes.counts == {"skipped, not listed in name_test.txt": 1}
    assert imported.extra == {"protocol": {"name": "veri776", "camera_rule": True}}


def test_veri776_command_and_a_missing_listed_image(tmp_path):
    root = veri_layout(tmp_path / "VeRi")
    manifest = imported_through_command(root, tmp_path / "ds", "veri776")
    assert counts(manifest) == {"train": (3, 2), "query": (1, 1), "gallery": (3, 2)}
    assert manifest["protocol"] == {"name": "veri776", "camera_rule": True}
    (root / "image_train" / "0002_c003_00030000_0.jpg").unlink()
    with pytest.raises(DataError, match="name_train.txt lists 1 image.* not in image_train/, "
                                        "first 0002_c003_00030000_0.jpg"):
        veri776_records(root)


# --- CUHK03 (new protocol) -----------------------------------------------------------------

def test_cuhk03_new_protocol_labeled_and_detected(tmp_path):
    root = cuhk03_layout(tmp_path / "cuhk03")
    labeled = cuhk03_records(root, "labeled").splits
    assert labels(labeled["train"]) == [(1, 1), (1, 1), (1, 2), (2, 1), (2, 1), (2, 2)]
    assert labels(labeled["query"]) == [(3, 1), (3, 2), (4, 3), (4, 4), (5, 3), (5, 4)]
    assert labels(labeled["gallery"]) == [(3, 1), (4, 3), (5, 4)]
    assert [r.filename for r in labeled["gallery"]] == ["1_003_1_02.png", "2_001_1_02.png",
                                                        "2_002_2_08.png"]
    detected = cuhk03_records(root, "detected")
    assert labels(detected.splits["train"]) == [(1, 1), (1, 1), (1, 2), (2, 1), (2, 2)]
    assert detected.extra == {"protocol": {"name": "cuhk03-np", "variant": "detected",
                                           "camera_rule": True}}
    first = labeled["train"][0]
    assert first.filename == "1_001_1_01.png" and (first.height, first.width) == (6, 4)
    pixels = np.asarray(Image.open(io.BytesIO(first.image)))
    assert np.array_equal(pixels, cuhk_pixels("labeled", 1, 1, 0))
    other = np.asarray(Image.open(io.BytesIO(detected.splits["train"][0].image)))
    assert np.array_equal(other, cuhk_pixels("detected", 1, 1, 0))


def test_cuhk03_command(tmp_path):
    root = cuhk03_layout(tmp_path / "cuhk03")
    manifest = imported_through_command(root, tmp_path / "ds", "cuhk03", "--variant", "labeled")
    assert counts(manifest) == {"train": (6, 2), "query": (6, 3), "gallery": (3, 3)}
    assert manifest["image_size"] == [6, 4]
    assert manifest["protocol"] == {"name": "cuhk03-np", "variant": "labeled",
                                    "camera_rule": True}


def test_cuhk03_filelist_naming_a_missing_image(tmp_path):
    root = cuhk03_layout(tmp_path / "cuhk03")
    images = {**CUHK_IMAGES["detected"], (1, 2): [0, 1, 5]}  # 1_002_1_02.png: not in the .mat
    write_cuhk03_config(root / "cuhk03_new_protocol_config_detected.mat", images)
    with pytest.raises(DataError, match="cuhk-03.mat has no image 1_002_1_02.png"):
        cuhk03_records(root, "detected")


# --- VehicleID -----------------------------------------------------------------------------

VEHICLE_LISTS = {"train_list.txt": [("0000001", 10), ("0000002", 10), ("0000003", 11),
                                    ("0000004", 11), ("0000005", 11)],
                 "test_list_800.txt": [("0000101", 20), ("0000102", 20), ("0000103", 20),
                                       ("0000104", 21), ("0000105", 21), ("0000106", 22)],
                 "test_list_1600.txt": [("0000101", 20), ("0000102", 20), ("0000201", 30),
                                        ("0000202", 30)],
                 "test_list_2400.txt": [("0000301", 40), ("0000302", 40)]}


def vehicleid_layout(root):
    for listing, lines in VEHICLE_LISTS.items():
        for name, vehicle in lines:
            save_image(root / "image" / f"{name}.jpg", vehicle)
        text = "".join(f"{name} {vehicle}\n" for name, vehicle in lines)
        (root / "train_test_split").mkdir(parents=True, exist_ok=True)
        (root / "train_test_split" / listing).write_text(text)
    return root


def test_vehicleid_layout_and_its_draws(tmp_path):
    imported = vehicleid_records(vehicleid_layout(tmp_path / "VehicleID"), 800)
    splits = imported.splits
    assert set(splits) == {"train", "test"}
    assert labels(splits["train"]) == [(10, 0), (10, 0), (11, 0), (11, 0), (11, 0)]
    assert labels(splits["test"]) == [(20, 0)] * 3 + [(21, 0)] * 2 + [(22, 0)]
    assert imported.extra == {"protocol": {
        "name": "vehicleid", "gallery_per_identity": 1, "draws": 10, "seed": 0,
        "camera_rule": False, "split": "test", "test_size": 800}}
    identities = np.asarray([r.identity for r in splits["test"]])
    draws = random_gallery_draws(identities, 10, seed=0)
    for query, gallery in draws:
        assert sorted(identities[gallery].tolist()) == [20, 21, 22]
        assert sorted([*query.tolist(), *gallery.tolist()]) == list(range(6))
        assert sorted(identities[query].tolist()) == [20, 20, 21]


def test_vehicleid_command_with_the_medium_test_list(tmp_path):
    root = vehicleid_layout(tmp_path / "VehicleID")
    manifest = imported_through_command(root, tmp_path / "ds", "vehicleid", "--test-size", "1600")
    assert counts(manifest) == {"train": (5, 2), "test": (4, 2)}
    assert manifest["protocol"]["test_size"] == 1600 and manifest["protocol"]["draws"] == 10
    assert manifest["splits"]["test"]["identities"] == [20, 30]


# --- Market-1501+500k ----------------------------------------------------------------------

def market_layout(root):
    save_image(root / "bounding_box_train" / "0002_c1s1_000451_03.jpg", 1)
    save_image(root / "bounding_box_train" / "0007_c3s1_000151_01.jpg", 2)
    save_image(root / "query" / "0005_c1s1_001051_00.jpg", 3)
    save_image(root / "bounding_box_test" / "0005_c2s1_001151_01.jpg", 4)
    save_image(root / "bounding_box_test" / "0000_c1s1_000000_01.jpg", 5)
    return root


def distractors(folder):
    for value, name in enumerate(["0000_c1s1_000100_00.jpg", "0000_c4s2_000200_01.jpg",
                                  "0000_c6s3_000300_02.jpg", "-1_c2s1_000400_00.jpg",
                                  "distractor.jpg"]):
        save_image(folder / name, value)
    return folder


def test_market1501_500k_adds_the_distractors_to_the_gallery(tmp_path):
    root = market_layout(tmp_path / "Market-1501-v15.09.15")
    distractors(root / "images")
    imported = market1501_500k_records(root)
    splits = imported.splits
    assert labels(splits["train"]) == [(2, 1), (7, 3)]
    assert labels(splits["query"]) == [(5, 1)]
    assert labels(splits["gallery"]) == [(0, 1), (0, 1), (0, 4), (0, 6), (5, 2)]
    assert imported.notes.counts == {"skipped, junk (identity -1)": 1,
                                     "skipped, name not of the form 0000_c1s1_000000_00.jpg": 1}
    assert imported.extra == {"protocol": {"name": "market1501-500k", "camera_rule": True,
                                           "distractors": 3}}


def test_market1501_500k_command_with_a_distractors_folder(tmp_path):
    root = market_layout(tmp_path / "Market-1501-v15.09.15")
    folder = distractors(tmp_path / "distractors_500k")
    manifest = imported_through_command(root, tmp_path / "ds", "market1501-500k",
                                        "--distractors", str(folder))
    assert counts(manifest) == {"train": (2, 2), "query": (1, 1), "gallery": (5, 2)}
    assert manifest["protocol"]["distractors"] == 3
    with pytest.raises(DataError, match="images is missing: the folder of Market-1501's 500k"):
        market1501_500k_records(root)


# --- missing parts -------------------------------------------------------------------------

# (import, layout, part removed, the release's name, the part the error names)
MISSING = [
    (dukemtmcreid_records, duke_layout, "bounding_box_test", "DukeMTMC-reID",
     "bounding_box_test/"),
    (dukemtmcreid_records, duke_layout, "query", "DukeMTMC-reID", "query/"),
    (msmt17_records, msmt_layout, "list_val.txt", "MSMT17_V1", "list_val.txt"),
    (msmt17_records, msmt_layout, "test", "MSMT17_V1", "test/"),
    (veri776_records, veri_layout, "name_query.txt", "VeRi-776", "name_query.txt"),
    (veri776_records, veri_layout, "image_test", "VeRi-776", "image_test/"),
    (lambda root: cuhk03_records(root, "labeled"), cuhk03_layout,
     "cuhk03_new_protocol_config_labeled.mat", "CUHK03",
     "cuhk03_new_protocol_config_labeled.mat"),
    (cuhk03_records, cuhk03_layout, "cuhk03_release", "CUHK03", "cuhk03_release/cuhk-03.mat"),
    (vehicleid_records, vehicleid_layout, "train_test_split/test_list_800.txt", "VehicleID",
     "train_test_split/test_list_800.txt"),
    (vehicleid_records, vehicleid_layout, "image", "VehicleID", "image/"),
    (market1501_500k_records, market_layout, "query", "Market-1501", "query/"),
]


@pytest.mark.parametrize("records, layout, removed, release, named", MISSING,
                         ids=[f"{row[1].__name__}-{row[2]}" for row in MISSING])
def test_a_missing_part_is_one_error_naming_it(tmp_path, records, layout, removed, release,
                                               named):
    import shutil

    root = layout(tmp_path / "release")
    part = root / removed
    shutil.rmtree(part) if part.is_dir() else part.unlink()
    with pytest.raises(DataError) as error:
        records(root)
    assert str(error.value) == f"{root} is not a {release} folder: {named} is missing"


def test_the_command_reports_a_missing_part_in_one_line(tmp_path, capsys):
    root = duke_layout(tmp_path / "DukeMTMC-reID")
    (root / "query" / "0005_c1_f0100000.jpg").unlink()
    (root / "query" / "0007_c8_f0200000.jpg").unlink()
    (root / "query").rmdir()
    assert make_tfrecords(["dukemtmcreid", str(root), "--out", str(tmp_path / "ds")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {root} is not a DukeMTMC-reID folder: query/ is missing\n"
    assert not (tmp_path / "ds").exists()
