"""Every registry of tfreid in one TensorFlow-free place: methods, backbones, losses,
miners, distances, importers, augmentations, index kinds, studies, commands (and the
blocks below them). Adding one is its file (or function) plus one line here
(``tfreid.registry``).

The catalog is layer 0 but names modules of every layer: it is the registry, its strings
are only imported by a consumer when an entry is used, and ``tests/test_layers.py`` checks
that each string names a real module and attribute. No other module of a lower layer may
name a higher one, lazily or not.
"""

from tfreid.registry import Registry

METHODS = Registry("method", {
    "siamese": "tfreid.training.methods.siamese:SiameseMethod",
    "triplet": "tfreid.training.methods.triplet:TripletMethod",
    "batch": "tfreid.training.methods.batch:BatchLossMethod",
    "classification": "tfreid.training.methods.classification:ClassificationMethod",
    "augmented": "tfreid.training.methods.augmented:AugmentedMethod",
    "spreading": "tfreid.training.methods.spreading:SpreadingMethod",
    "insclr": "tfreid.training.methods.insclr:InsClrMethod",
    "stml": "tfreid.training.methods.stml:SelfTaughtMethod",
})

# each a tfreid.models.backbone.Backbone: its builder and its Options (the CLI's flags)
BACKBONES = Registry("backbone", {
    "table1": "tfreid.models.table1_cnn:TABLE1",
    "siamese_base": "tfreid.models.siamese_base_net:SIAMESE_BASE",
    "pami": "tfreid.models.pami_cnn:PAMI",
    "resnet50": "tfreid.models.applications:RESNET50",
    "mobilenet_v3_small": "tfreid.models.applications:MOBILENET_V3_SMALL",
    "efficientnet_v2_b0": "tfreid.models.applications:EFFICIENTNET_V2_B0",
})

BATCH_LOSSES = Registry("loss", {
    "contrastive": "tfreid.losses.contrastive:ContrastiveLoss",
    "cosine_embedding": "tfreid.losses.cosine_pairs:CosineEmbeddingLoss",
    "cosine_contrastive": "tfreid.losses.cosine_pairs:CosineContrastiveLoss",
    "triplet_margin": "tfreid.losses.triplet_margin:TripletMarginLoss",
    "npair": "tfreid.losses.npair:NPairLoss",
    "lifted_structure": "tfreid.losses.lifted_structure:LiftedStructureLoss",
    "multi_similarity": "tfreid.losses.multi_similarity:MultiSimilarityLoss",
    "circle": "tfreid.losses.circle:CircleLoss",
    "supervised_contrastive": "tfreid.losses.supervised_contrastive:SupervisedContrastiveLoss",
    "proxy_nca": "tfreid.losses.proxy_nca:ProxyNCALoss",
    "proxy_anchor": "tfreid.losses.proxy_anchor:ProxyAnchorLoss",
    "arcface": "tfreid.losses.margin_softmax:ArcFaceLoss",
    "cosface": "tfreid.losses.margin_softmax:CosFaceLoss",
    "circle_softmax": "tfreid.losses.margin_softmax:CircleSoftmaxLoss",
    "identity_softmax": "tfreid.losses.identity:IdentityLoss",
}, aliases={"triplet": "triplet_margin"})  # train_triplet's name for it before one vocabulary
# the batch losses built with (num_classes, embedding_dim): one trained weight per class
# (proxies, a classifier), attached to the model; no miner, one encoder, never on views
CLASS_WEIGHT_LOSSES = ("proxy_nca", "proxy_anchor", "arcface", "cosface", "circle_softmax",
                       "identity_softmax")

MINERS = Registry("miner", {
    "hard": "tfreid.losses.miners:BatchHardMiner",
    "semihard": "tfreid.losses.miners:SemiHardMiner",
    "multi_similarity": "tfreid.losses.miners:MultiSimilarityMiner",
})
MINER_CHOICES = ("all", *MINERS)  # "all": no miner, every pair or triplet

# one vocabulary of distances for losses, evaluation and indexes; the older names of the
# losses ("l2", "squared_l2") and of the ranking ("sqeuclidean") stay accepted
DISTANCES = Registry("distance", {
    "euclidean": "tfreid.nn.distances:LpDistance",
    "squared_euclidean": "tfreid.nn.distances:squared_euclidean_distance",
    "cosine": "tfreid.nn.distances:CosineSimilarity",
    "dot": "tfreid.nn.distances:DotProductSimilarity",
}, aliases={"l2": "euclidean", "squared_l2": "squared_euclidean",
            "sqeuclidean": "squared_euclidean"})

IMPORTERS = Registry("importer", {
    "surfaces": "tfreid.data.importers.generated:SurfacesImporter",
    "folder": "tfreid.data.importers.folder:FolderImporter",
    "list": "tfreid.data.importers.listed:ListImporter",
    "market1501": "tfreid.data.importers.market1501:Market1501Importer",
    "market1501-500k": "tfreid.data.importers.market1501_500k:Market500kImporter",
    "dukemtmcreid": "tfreid.data.importers.dukemtmcreid:DukeMTMCreIDImporter",
    "msmt17": "tfreid.data.importers.msmt17:MSMT17Importer",
    "cuhk03": "tfreid.data.importers.cuhk03:CUHK03Importer",
    "veri776": "tfreid.data.importers.veri776:VeRi776Importer",
    "vehicleid": "tfreid.data.importers.vehicleid:VehicleIDImporter",
    "cf-npz": "tfreid.data.importers.cf_npz:CfNpzImporter",
    "idx": "tfreid.data.importers.classes:IdxImporter",
    "fashion-mnist": "tfreid.data.importers.classes:FashionMnistImporter",
    "digits": "tfreid.data.importers.classes:DigitsImporter",
    "mnist": "tfreid.data.importers.classes:KerasDatasetImporter",
    "cifar10": "tfreid.data.importers.classes:KerasDatasetImporter",
})

# seeded (float image in [0, 1], seed) -> image transforms, as tfreid.data.augment applies them
AUGMENTATIONS = Registry("augmentation", {
    "none": "tfreid.data.augment:unchanged",
    "fer": "tfreid.data.augment:fer_augment",
    "simclr": "tfreid.data.augment:simclr_augment",
    "crop_flip": "tfreid.data.augment:crop_flip_augment",
})

# the re-id training augmentations of the supervised methods (RunConfig.train_augment),
# each a seeded (uint8 image, seed) -> uint8 op, listed in the order they are applied
TRAIN_AUGMENTATIONS = Registry("training augmentation", {
    "flip": ("tfreid.data.reid_augment:flip", "horizontal flip, p 0.5"),
    "pad_crop": ("tfreid.data.reid_augment:pad_crop", "zero-pad 10 px, random crop back"),
    "jitter": ("tfreid.data.reid_augment:jitter", "brightness, contrast, saturation, p 0.5"),
    "erase": ("tfreid.data.reid_augment:erase", "random erasing (Zhong et al.), p 0.5"),
})
TRAIN_AUGMENT_SHORTHANDS = {"bot": ("flip", "pad_crop", "erase")}  # BoT's (Luo et al., 2019)

# every kind is built by tfreid.retrieval.index.EmbeddingIndex (kind=...)
INDEX_KINDS = Registry("index kind", {
    "flat": ("tfreid.retrieval.index:EmbeddingIndex", "exact search (faiss IndexFlat)"),
    "ivfpq": ("tfreid.retrieval.index:EmbeddingIndex", "inverted lists of product-quantised "
                                                       "codes (faiss IVF-PQ)"),
    "hnsw": ("tfreid.retrieval.index:EmbeddingIndex", "graph search (faiss HNSW)"),
    "int8": ("tfreid.retrieval.index:EmbeddingIndex", "exact search over int8 codes"),
})

# paper 000's sweeps (tfreid.experiments.studies.Study), run by ``tfreid experiment``
STUDIES = Registry("study", {
    "resolution": "tfreid.experiments.studies:RESOLUTION",
    "width": "tfreid.experiments.studies:WIDTH",
    "dim": "tfreid.experiments.studies:DIM",
    "activation": "tfreid.experiments.studies:ACTIVATION",
    "lr": "tfreid.experiments.studies:LR",
    "ensemble": "tfreid.experiments.studies:ENSEMBLE",
    "ensemble25": "tfreid.experiments.studies:ENSEMBLE25",
})

# the ``tfreid`` console command's subcommands: main(argv) -> exit status, and the line
# ``tfreid --help`` shows
COMMANDS = Registry("command", {
    "train": ("tfreid.cli.train:main", "train with any method (--method; see its --help)"),
    "train-siamese": ("tfreid.cli.train_siamese:main",
                      "Siamese twin network on pairs or P x K batches (paper 004)"),
    "train-triplet": ("tfreid.cli.train_triplet:main",
                      "triplets or a batch loss on P x K batches (paper 000)"),
    "train-ensemble": ("tfreid.cli.train_triplet:ensemble_main",
                       "ensemble of independent triplet submodels (paper 000)"),
    "train-selfsup": ("tfreid.cli.train_selfsup:main",
                      "self-supervised: Spreading, InsCLR, STML (paper 003)"),
    "make-tfrecords": ("tfreid.cli.make_tfrecords:main",
                       "import or generate a dataset as TFRecord shards"),
    "experiment": ("tfreid.cli.experiment:main",
                   "a study of paper 000 over identity-disjoint folds, resumable"),
    "pairwise-vs-triplet": ("tfreid.cli.pairwise_vs_triplet:main",
                            "paper 002's 12-scenario augmentation study"),
    "selfsup-study": ("tfreid.cli.selfsup_study:main",
                      "thesis 003's study of the self-supervised methods, resumable"),
    "recipe-study": ("tfreid.cli.recipe_study:main",
                     "the bag-of-tricks recipe beside the other losses, one budget"),
    "compress": ("tfreid.cli.compress:main",
                 "paper 001's compression sweep: slicing, low-rank, pruning, QAT"),
    "export": ("tfreid.cli.export:main",
               "deployment exports of a run: float and QAT SavedModels, TFLite int8"),
    "correlation-graph": ("tfreid.cli.correlation_graph:main",
                          "paper 000's feature correlation graph of an export"),
    "embed": ("tfreid.cli.embed:main",
              "images through an export -> embeddings (.npz) or a search index"),
    "search": ("tfreid.cli.search:main",
               "query images against an index -> top-k table and ranked image"),
    "evaluate": ("tfreid.cli.evaluate:main",
                 "an export on a dataset -> rank-k, mAP, MAP@R, NMI, mAC, CF ..."),
})

# compression methods of paper 001's sweep (tfreid.experiments.compression_sweep): each a
# function (baseline, dims, config, data, finetune_epochs, log_root) -> (dim, encoder, epochs)
COMPRESSIONS = Registry("compression method", {
    "slicing": "tfreid.experiments.compression_methods:slicing",
    "low_rank": "tfreid.experiments.compression_methods:low_rank",
    "pruning": "tfreid.experiments.compression_methods:pruning",
})

# Evaluation measures (tfreid.metrics.measure.Measure), named by their results.json key, in
# the order reports list them; each says where it appears (report, per-epoch line,
# TensorBoard, HParams, sweep rows). A new measure: its file in tfreid/metrics + one line.
MEASURES = Registry("measure", {
    "rank1": "tfreid.metrics.measures:RANK1",
    "rank5": "tfreid.metrics.measures:RANK5",
    "rank10": "tfreid.metrics.measures:RANK10",
    "rank20": "tfreid.metrics.measures:RANK20",
    "mAP": "tfreid.metrics.measures:MAP",
    "minp": "tfreid.metrics.minp:MINP",
    "precision_at_1": "tfreid.metrics.measures:PRECISION_AT_1",
    "map_at_r": "tfreid.metrics.measures:MAP_AT_R",
    "r_precision": "tfreid.metrics.measures:R_PRECISION",
    "mrr": "tfreid.metrics.measures:MRR",
    "recall_at_1": "tfreid.metrics.measures:RECALL_AT_1",
    "recall_at_2": "tfreid.metrics.measures:RECALL_AT_2",
    "recall_at_4": "tfreid.metrics.measures:RECALL_AT_4",
    "recall_at_8": "tfreid.metrics.measures:RECALL_AT_8",
    "nmi": "tfreid.metrics.measures:NMI",
    "ami": "tfreid.metrics.measures:AMI",
    "mAC": "tfreid.metrics.measures:MAC",
    "CF": "tfreid.metrics.measures:CF",
    "mAP_easy": "tfreid.metrics.measures:MAP_EASY",
    "mAP_medium": "tfreid.metrics.measures:MAP_MEDIUM",
    "mAP_hard": "tfreid.metrics.measures:MAP_HARD",
})
