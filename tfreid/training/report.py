"""Plain-text summary of a training run's results."""

from typing import Any


def format_results(results: dict[str, Any]) -> str:
    """A small table: held-out rank-1 / mAP against chance, mAC, CF, where things are."""
    test, chance = results["test"], results["chance"]
    cmc = results["test_cmc"]
    rows = [
        ("rank-1", f"{test['rank1']:.3f}", f"{chance['rank1']:.3f}"),
        ("rank-5", f"{cmc[min(4, len(cmc) - 1)]:.3f}", ""),
        ("mAP", f"{test['mAP']:.3f}", f"{chance['mAP']:.3f}"),
        ("mAC", f"{test['mAC']:.3f}", ""),
        ("CF", f"{test['CF']}", ""),
    ]
    lines = [f"run {results['run']}: {results['epochs_run']} epochs in "
             f"{results['train_seconds']:.0f} s, {test['num_queries']} held-out queries",
             f"{'measure':<10}{'held-out':>10}{'chance':>10}"]
    lines += [f"{name:<10}{value:>10}{chance_value:>10}" for name, value, chance_value in rows]
    lines += [f"TensorBoard: tensorboard --logdir {results['logdir']}",
              f"SavedModel:  {results['export']}"]
    return "\n".join(lines)
