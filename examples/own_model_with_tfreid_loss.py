"""Your own keras.Model, trained with a tfreid loss and miner on P x K batches.

tfreid's batch losses are ordinary Keras losses: ``model.compile(loss=...)`` takes one, the
batch's identities are ``y_true`` and the model's embeddings ``y_pred``. This script builds a
small CNN of its own (no tfreid model), compiles it with a batch-hard triplet loss (or
Multi-Similarity with ``--loss multi_similarity``), fits it on identity-balanced P x K
batches from ``tfreid.data.pk_dataset`` and scores the identities it never saw with
``tfreid.metrics.evaluate_ranking`` (rank-1 and mAP, one query per identity against the
rest of its images in the gallery), before and after training, beside chance.

The data are synthetic and tiny, so it runs in seconds on a CPU: each "identity" is a random
smooth texture, each of its images a shifted, re-lit and noisy view of it (a miniature of
the surface set tfreid trains on by default).

    python examples/own_model_with_tfreid_loss.py            # about 10 s on 2 CPU cores
    python examples/own_model_with_tfreid_loss.py --epochs 15 --loss multi_similarity

It prints one line per epoch (Keras' own), then ``loss: first epoch X, last epoch Y`` and
``held-out ... trained: rank-1 R, mAP M`` lines. The same loss objects work on any encoder,
for example a Keras application, and in ``tfreid train --method batch``.
"""

import argparse

import numpy as np

import tfreid  # noqa: F401  (first: makes TensorFlow load the Keras 2 API, tf_keras)
from tfreid.backend import keras  # the tf_keras tfreid uses (or: import tf_keras as keras)
from tfreid.data import pk_dataset
from tfreid.losses import BatchHardMiner, CosineSimilarity, MultiSimilarityLoss, TripletMarginLoss
from tfreid.metrics import evaluate_ranking


def synthetic_identities(num_identities: int, views: int, size: int, seed: int):
    """uint8 images (N, size, size, 3) and identities (N,): views of random textures."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (num_identities, size // 4, size // 4, 3))
    textures = coarse.repeat(4, axis=1).repeat(4, axis=2)  # blocky, so a shift keeps it
    images, identities = [], []
    for identity, texture in enumerate(textures):
        for _ in range(views):
            view = np.roll(texture, rng.integers(-2, 3, size=2), axis=(0, 1))
            view = view * rng.uniform(0.6, 1.4) + rng.normal(0, 25, view.shape)
            images.append(np.clip(view, 0, 255).astype(np.uint8))
            identities.append(identity)
    return np.stack(images), np.array(identities)


def query_and_gallery(images, identities):
    """The first image of each identity is its query, the others its gallery."""
    first = np.zeros(len(identities), bool)
    first[np.unique(identities, return_index=True)[1]] = True
    return (images[first], identities[first]), (images[~first], identities[~first])


def score(encoder, query, gallery):
    scores = evaluate_ranking(encoder.predict(query[0], verbose=0), query[1],
                              encoder.predict(gallery[0], verbose=0), gallery[1])
    return scores["rank1"], scores["mAP"]


def build_encoder(size: int, dim: int):
    """Any Keras model that maps images to embeddings will do; this one is small."""
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(16, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(dim)(x)  # linear embedding
    return keras.Model(inputs, outputs, name="my_encoder")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loss", choices=("triplet", "multi_similarity"), default="triplet")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=25, help="P x K batches per epoch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    size, p, k = 16, 8, 4
    images, identities = synthetic_identities(num_identities=40, views=6, size=size,
                                              seed=args.seed)
    train = identities < 30  # 30 identities train, 10 are never seen in training
    query, gallery = query_and_gallery(images[~train], identities[~train])

    if args.loss == "triplet":  # batch-hard triplet (Hermans et al. 2017) on cosine distance
        loss = TripletMarginLoss(margin=0.2, miner=BatchHardMiner(), distance=CosineSimilarity())
    else:  # Multi-Similarity with its own miner (Wang et al. 2019; thesis 003 eq. 2.7)
        loss = MultiSimilarityLoss()
    encoder = build_encoder(size, dim=32)
    encoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)

    # endless batches of P identities x K images each: (images, identities)
    batches = pk_dataset(images[train], identities[train], p=p, k=k, seed=args.seed)

    rng = np.random.default_rng(args.seed)  # chance: random embeddings, same protocol
    chance = tuple(evaluate_ranking(rng.normal(size=(len(query[1]), 32)), query[1],
                                    rng.normal(size=(len(gallery[1]), 32)), gallery[1])[key]
                   for key in ("rank1", "mAP"))
    before = score(encoder, query, gallery)
    history = encoder.fit(batches, epochs=args.epochs, steps_per_epoch=args.steps, verbose=2)
    after = score(encoder, query, gallery)

    losses = history.history["loss"]
    print(f"loss ({loss.name}): first epoch {losses[0]:.4f}, last epoch {losses[-1]:.4f}")
    print(f"held-out identities: {len(query[1])} queries, {len(gallery[1])} gallery images")
    for name, (rank1, mean_ap) in (("chance", chance), ("untrained", before),
                                   ("trained", after)):
        print(f"held-out {name:>9}: rank-1 {rank1:.3f}, mAP {mean_ap:.3f}")
    return {"losses": losses, "chance": chance, "untrained": before, "trained": after}


if __name__ == "__main__":
    main()
