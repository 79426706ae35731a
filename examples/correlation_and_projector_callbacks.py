"""tfreid's TensorBoard callbacks on your own ``model.fit``: mAC / CF and the Projector.

``tfreid.callbacks.CorrelationMonitor`` embeds held-out queries and a gallery at the end of
every epoch and adds their ranking and correlation measures to the epoch's logs:
``val_rank1``, ``val_mAP``, ``val_mAC`` (the mean absolute correlation of the embedding's
features, paper 000 eq. 2-3) and ``val_CF`` (the correlated features, D - rank, eq. 4).
Listed before Keras' ``TensorBoard`` callback, its values reach TensorBoard's Scalars tab
(``epoch_mAC`` ... in the ``validation`` run) and ``History``; with ``log_dir`` it also
draws the |correlation| matrix and a grid of ranked results into the Images tab.
``tfreid.callbacks.EmbeddingProjector`` writes the query and gallery embeddings, with a
sprite of their images and identity / split / camera labels, for the Projector tab.

The model is a small Keras CNN of this script's own, trained with a tfreid batch loss on
P x K batches of tiny synthetic images (random textures, several noisy views each), so it
runs in seconds on a CPU:

    python examples/correlation_and_projector_callbacks.py                 # a temporary log dir
    python examples/correlation_and_projector_callbacks.py --logdir logs/my-run --epochs 10
    tensorboard --logdir logs/my-run

It prints each epoch's validation rank-1, mAP, mAC and CF, then where TensorBoard looks.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

import tfreid  # noqa: F401  (first: makes TensorFlow load the Keras 2 API, tf_keras)
from tfreid.backend import keras
from tfreid.callbacks import CorrelationMonitor, EmbeddingProjector
from tfreid.data import pk_dataset
from tfreid.losses import BatchHardMiner, CosineSimilarity, TripletMarginLoss


def synthetic_identities(num_identities: int, views: int, size: int, seed: int):
    """uint8 images (N, size, size, 3) and identities (N,): views of random textures."""
    rng = np.random.default_rng(seed)
    textures = rng.uniform(0, 255, (num_identities, size // 4, size // 4, 3))
    textures = textures.repeat(4, axis=1).repeat(4, axis=2)
    images = [np.roll(texture, rng.integers(-2, 3, size=2), axis=(0, 1))
              * rng.uniform(0.6, 1.4) + rng.normal(0, 25, texture.shape)
              for texture in textures for _ in range(views)]
    return np.clip(images, 0, 255).astype(np.uint8), np.arange(num_identities).repeat(views)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", help="TensorBoard log folder (default: a new temporary "
                                         "folder)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--steps", type=int, default=20, help="P x K batches per epoch")
    parser.add_argument("--projector-every", type=int, default=1,
                        help="write the Projector's embeddings every N epochs")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    logdir = Path(args.logdir or tempfile.mkdtemp(prefix="tfreid-callbacks-"))

    size = 16
    images, identities = synthetic_identities(num_identities=40, views=6, size=size, seed=0)
    train = identities < 30
    held_out, held_ids = images[~train], identities[~train]
    first = np.zeros(len(held_ids), bool)  # one query per held-out identity, the rest gallery
    first[np.unique(held_ids, return_index=True)[1]] = True
    # (images, identities, cameras): the Market-1501 rule leaves out gallery images of the
    # query's identity *and* camera, so queries and gallery get different cameras here
    query = (held_out[first], held_ids[first], np.zeros(first.sum(), int))
    gallery = (held_out[~first], held_ids[~first], np.ones((~first).sum(), int))

    inputs = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(16, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    encoder = keras.Model(inputs, keras.layers.Dense(32)(x), name="my_encoder")
    encoder.compile(optimizer=keras.optimizers.Adam(1e-3),
                    loss=TripletMarginLoss(margin=0.2, miner=BatchHardMiner(),
                                           distance=CosineSimilarity()))

    validation = str(logdir / "validation")  # the run folder TensorBoard's callback writes
    callbacks = [
        # first, so the callbacks after it (TensorBoard, History) see val_mAC, val_CF ...
        CorrelationMonitor(encoder, query, gallery, log_dir=validation),
        keras.callbacks.TensorBoard(str(logdir)),
        EmbeddingProjector(encoder, query, gallery, validation, args.projector_every),
    ]
    batches = pk_dataset(images[train], identities[train], p=8, k=4, seed=0)
    history = encoder.fit(batches, epochs=args.epochs, steps_per_epoch=args.steps,
                          callbacks=callbacks, verbose=0)

    logs = history.history
    for epoch in range(len(logs["loss"])):
        print(f"epoch {epoch + 1}: loss {logs['loss'][epoch]:.4f} | val rank-1 "
              f"{logs['val_rank1'][epoch]:.3f}, mAP {logs['val_mAP'][epoch]:.3f}, "
              f"mAC {logs['val_mAC'][epoch]:.3f}, CF {int(logs['val_CF'][epoch])} of "
              f"{encoder.output_shape[-1]}")
    written = sorted(p.stem for p in Path(validation, "projector").glob("*-sprite.png"))
    print(f"projector: {validation}/projector_config.pbtxt names {len(written)} embeddings "
          f"({', '.join(name.removesuffix('-sprite') for name in written)})")
    print(f"TensorBoard: tensorboard --logdir {logdir}  (Scalars: epoch_mAC, epoch_CF in "
          "'validation'; Images: feature_correlation, ranked_results; Projector)")
    return {"history": logs, "logdir": logdir}


if __name__ == "__main__":
    main()
