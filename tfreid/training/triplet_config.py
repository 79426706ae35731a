"""Settings of a triplet (or ensemble) training run (paper 000)."""

from dataclasses import dataclass

from tfreid.errors import ConfigError
from tfreid.training.batch_losses import BATCH_LOSSES
from tfreid.training.run_config import RunConfig, check_finite_in

MININGS = ("random", "all", "hard", "semihard")
LOSSES = ("triplet", *BATCH_LOSSES)


@dataclass
class TripletConfig(RunConfig):
    """One triplet run; defaults are paper 000's setup (section III-A).

    ``mining="random"``: ``num_triplets`` (10,000) fixed random triplets, reshuffled
    every epoch; ``"all"``, ``"hard"``, ``"semihard"``: online mining over P x K
    batches (K = ``samples_per_identity``, P = batch_size / K) with as many
    batches per epoch as ``num_triplets / batch_size``. l2 distance with margin
    1.0 (``squared`` for psorus/cf's squared l2), Adam 1e-3, batch 128, at most
    100 epochs, early stopping with patience 10 restoring the best weights.

    ``loss`` other than ``"triplet"`` trains with a batch loss of
    ``tfreid.losses`` (``BATCH_LOSSES``) on P x K batches, whatever ``mining``.

    ``members`` > 1 makes an ensemble of independent submodels with
    ``member_dim`` dims each (default floor(embedding_dim / members)), trained one
    after another with different seeds, or ``side_by_side`` in one step.
    """

    loss: str = "triplet"
    mining: str = "random"
    num_triplets: int = 10_000
    margin: float = 1.0
    squared: bool = False
    samples_per_identity: int = 4
    epochs: int = 100
    batch_size: int = 128
    lr: float = 1e-3
    patience: int = 10
    members: int = 1
    member_dim: int | None = None
    side_by_side: bool = False

    def check(self) -> None:
        super().check()
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")
        if self.loss == "proxy_nca" and self.members > 1:
            raise ConfigError("proxy_nca trains single encoders (its proxies have one size)")
        if self.mining not in MININGS:
            raise ConfigError(f"unknown mining {self.mining!r}; choose from {', '.join(MININGS)}")
        check_finite_in("margin", self.margin, 0.0, 1e6)
        if self.num_triplets < 1 or self.members < 1:
            raise ConfigError("number of triplets and members must be positive")
        if self.uses_pk_batches() and (self.samples_per_identity < 2
                                        or self.batch_size < 2 * self.samples_per_identity):
            raise ConfigError(f"P x K batches need K >= 2 and batch size >= 2 K, got K = "
                              f"{self.samples_per_identity}, batch size {self.batch_size}")

    def uses_pk_batches(self) -> bool:
        """P x K batches (online mining or a batch loss), not fixed random triplets."""
        return self.loss != "triplet" or self.mining != "random"
