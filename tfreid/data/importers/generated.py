"""``make_tfrecords surfaces``: the embedded synthetic surface set (``tfreid.data.surfaces``)."""

import argparse

from tfreid.data.imported import ImportedDataset
from tfreid.data.importers.base import Importer, Progress
from tfreid.data.surfaces import SurfaceConfig
from tfreid.option_types import int_in, seed


class SurfacesImporter(Importer):
    """Generate the surface set (identities x views, seeded)."""

    name = "surfaces"
    help = "generate the embedded surface dataset"
    default_out = "tfrecords/surfaces"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--num-identities", type=int_in(4, 1_000_000),
                            default=SurfaceConfig.num_identities, help="surfaces to generate")
        parser.add_argument("--views", type=int_in(2, 1000),
                            default=SurfaceConfig.views_per_identity,
                            help="images of each surface")
        parser.add_argument("--seed", type=seed, default=0, help="seed of the generated set")
        parser.add_argument("--wide-views", action="store_true",
                            help="views that differ far more: easy, hard and junk pairs "
                                 "(mAP Easy / Medium / Hard)")

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        from tfreid.data.default import surfaces_source
        from tfreid.data.revisited import revisited_ground_truth
        from tfreid.data.surfaces import surface_records

        make = SurfaceConfig.wide_views if args.wide_views else SurfaceConfig
        config = make(num_identities=args.num_identities, views_per_identity=args.views,
                      seed=args.seed)
        splits = surface_records(config)
        truth = revisited_ground_truth(config, splits["query"], splits["gallery"])
        return ImportedDataset(splits, surfaces_source(config), extra={"revisited": truth})
