import io

import numpy as np
import pytest
from PIL import Image

from tfreid.data import load_split, write_dataset
from tfreid.data.importers.folder import image_folder_records
from tfreid.data.importers.market1501 import market1501_records, parse_market_name
from tfreid.errors import DataError


def save_image(path, value, size=(16, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*size, 3), value, np.uint8)).save(path)


def test_image_folder_layout(tmp_path):
    names = ["alice", "bob", "carol", "dave", "erin", "frank"]
    for i, name in enumerate(names):
        for view in range(3):
            save_image(tmp_path / "src" / name / f"{view}.png", 10 * i + view)
    (tmp_path / "src" / "notes.txt").write_text("not an identity")
    seen = []
    imported = image_folder_records(tmp_path / "src", test_fraction=0.34, seed=0,
                                    progress=seen.append)
    splits, identity_names = imported.splits, imported.identity_names
    assert identity_names == dict(enumerate(names)) and sum(seen) == 18
    train_ids = {r.identity for r in splits["train"]}
    test_ids = {r.identity for r in splits["query"]} | {r.identity for r in splits["gallery"]}
    assert len(test_ids) == 2 and not train_ids & test_ids and len(train_ids) == 4
    assert len(splits["query"]) == 2 and len(splits["gallery"]) == 4
    write_dataset(tmp_path / "ds", splits, name="ds", source="folder",
                  identity_names=identity_names)
    loaded = load_split(tmp_path / "ds", "train", (16, 8))
    assert len(loaded) == 12
    first = next(r for r in splits["train"])
    assert np.asarray(loaded.images)[0, 0, 0, 0] == 10 * first.identity + first.camera


def test_image_folder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        image_folder_records(tmp_path / "missing")
    for name in "abcd":
        save_image(tmp_path / "src" / name / "0.png", 1)
    (tmp_path / "src" / "d" / "1.jpg").write_bytes(b"\xff\xd8 broken jpeg")
    with pytest.raises(DataError, match="1.jpg does not decode"):
        image_folder_records(tmp_path / "src")


def test_market_names():
    assert parse_market_name("0002_c1s1_000451_03.jpg") == (2, 1)
    assert parse_market_name("-1_c3s2_012345_01.jpg") == (-1, 3)
    assert parse_market_name("0000_c6s4_002222_00.jpg") == (0, 6)
    assert parse_market_name("Thumbs.db") is None


def test_market1501_layout(tmp_path):
    root = tmp_path / "Market-1501-v15.09.15"
    save_image(root / "bounding_box_train" / "0002_c1s1_000451_03.jpg", 1)
    save_image(root / "bounding_box_train" / "0002_c2s1_000551_01.jpg", 2)
    save_image(root / "bounding_box_train" / "0007_c3s1_000151_01.jpg", 3)
    save_image(root / "query" / "0005_c1s1_001051_00.jpg", 4)
    save_image(root / "bounding_box_test" / "0005_c2s1_001151_01.jpg", 5)
    save_image(root / "bounding_box_test" / "0000_c1s1_000000_01.jpg", 6)  # distractor: kept
    save_image(root / "bounding_box_test" / "-1_c1s1_000000_02.jpg", 7)  # junk: dropped
    imported = market1501_records(root)
    splits = imported.splits
    assert imported.extra == {"protocol": {"name": "market1501", "camera_rule": True}}
    assert [(r.identity, r.camera) for r in splits["train"]] == [(2, 1), (2, 2), (7, 3)]
    assert [(r.identity, r.camera) for r in splits["query"]] == [(5, 1)]
    assert sorted((r.identity, r.camera) for r in splits["gallery"]) == [(0, 1), (5, 2)]
    assert all(r.height == 16 and r.width == 8 for rs in splits.values() for r in rs)


def test_market1501_missing_folder(tmp_path):
    (tmp_path / "bounding_box_train").mkdir()
    with pytest.raises(DataError, match="query/ is missing"):
        market1501_records(tmp_path)


def test_jpeg_bytes_are_kept_verbatim(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(buffer, format="JPEG")
    for name in "abcd":
        (tmp_path / name).mkdir()
        for view in "xy":
            (tmp_path / name / f"{view}.jpg").write_bytes(buffer.getvalue())
    splits = image_folder_records(tmp_path, test_fraction=0.5).splits
    assert all(r.image == buffer.getvalue() for rs in splits.values() for r in rs)


def test_a_list_without_cameras_gives_each_image_its_own(tmp_path):
    from tfreid.data.importers.listed import list_records

    rows = ["path,identity,camera,split"]
    for person in ("ann", "ben", "cy"):
        for view, split in enumerate(("query", "gallery", "gallery") if person != "cy"
                                     else ("train", "train", "train")):
            save_image(tmp_path / f"{person}{view}.png", 10 * view)
            camera = "7" if (person, view) == ("ben", 2) else ""
            rows.append(f"{person}{view}.png,{person},{camera},{split}")
    (tmp_path / "people.csv").write_text("\n".join(rows) + "\n")
    splits = list_records(tmp_path / "people.csv").splits
    # empty cells: the image's place among its identity's images; a given camera is kept
    assert [(r.identity, r.camera) for r in splits["query"]] == [(0, 0), (1, 0)]
    assert [(r.identity, r.camera) for r in splits["gallery"]] == [(0, 1), (0, 2), (1, 1),
                                                                   (1, 7)]
    assert [r.camera for r in splits["train"]] == [0, 1, 2]
