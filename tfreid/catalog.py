"""Every registry of tfreid in one TensorFlow-free place: methods, backbones, losses,
importers. Adding one is its file plus one line here (``tfreid.registry``)."""

from tfreid.registry import Registry

METHODS = Registry("method", {
    "siamese": "tfreid.training.methods.siamese:SiameseMethod",
    "triplet": "tfreid.training.methods.triplet:TripletMethod",
    "batch": "tfreid.training.methods.batch:BatchLossMethod",
    "augmented": "tfreid.training.methods.augmented:AugmentedMethod",
    "spreading": "tfreid.training.methods.spreading:SpreadingMethod",
    "insclr": "tfreid.training.methods.insclr:InsClrMethod",
    "stml": "tfreid.training.methods.stml:SelfTaughtMethod",
})

BACKBONES = Registry("backbone", {
    "table1": "tfreid.models.table1_cnn:table1_cnn",
    "siamese_base": "tfreid.models.siamese_base_net:siamese_base_net",
    "pami": "tfreid.models.pami_cnn:pami_cnn",
    "resnet50": "tfreid.models.applications:resnet50",
    "mobilenet_v3_small": "tfreid.models.applications:mobilenet_v3_small",
    "efficientnet_v2_b0": "tfreid.models.applications:efficientnet_v2_b0",
})

BATCH_LOSSES = Registry("loss", {
    "contrastive": "tfreid.losses.contrastive:ContrastiveLoss",
    "cosine_embedding": "tfreid.losses.cosine_pairs:CosineEmbeddingLoss",
    "cosine_contrastive": "tfreid.losses.cosine_pairs:CosineContrastiveLoss",
    "triplet_margin": "tfreid.losses.triplet_margin:TripletMarginLoss",
    "npair": "tfreid.losses.npair:NPairLoss",
    "lifted_structure": "tfreid.losses.lifted_structure:LiftedStructureLoss",
    "multi_similarity": "tfreid.losses.multi_similarity:MultiSimilarityLoss",
    "proxy_nca": "tfreid.losses.proxy_nca:ProxyNCALoss",
})

MINERS = Registry("miner", {
    "hard": "tfreid.losses.miners:BatchHardMiner",
    "semihard": "tfreid.losses.miners:SemiHardMiner",
    "multi_similarity": "tfreid.losses.miners:MultiSimilarityMiner",
})
MINER_CHOICES = ("all", *MINERS)  # "all": no miner, every pair or triplet

DISTANCES = Registry("distance", {
    "l2": "tfreid.losses.distances:LpDistance",
    "squared_l2": "tfreid.losses.distances:squared_l2_distance",
    "cosine": "tfreid.losses.distances:CosineSimilarity",
    "dot": "tfreid.losses.distances:DotProductSimilarity",
})

IMPORTERS = Registry("importer", {
    "surfaces": "tfreid.data.importers.generated:SurfacesImporter",
    "folder": "tfreid.data.importers.folder:FolderImporter",
    "list": "tfreid.data.importers.listed:ListImporter",
    "market1501": "tfreid.data.importers.market1501:Market1501Importer",
    "cf-npz": "tfreid.data.importers.cf_npz:CfNpzImporter",
    "idx": "tfreid.data.importers.classes:IdxImporter",
    "fashion-mnist": "tfreid.data.importers.classes:FashionMnistImporter",
    "digits": "tfreid.data.importers.classes:DigitsImporter",
    "mnist": "tfreid.data.importers.classes:KerasDatasetImporter",
    "cifar10": "tfreid.data.importers.classes:KerasDatasetImporter",
})
