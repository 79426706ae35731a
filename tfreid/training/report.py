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
    held_out = len(results["validation_identities"])
    validation = (f"{held_out} of {results['train_identities'] + held_out} training identities "
                  f"held out for validation (--val-fraction "
                  f"{results['config']['validation_fraction']:g})" if held_out else
                  f"all {results['train_identities']} training identities trained on, labels "
                  "unseen")
    lines = [f"run {results['run']} ({results['method']}): {results['epochs_run']} epochs in "
             f"{results['train_seconds']:.0f} s; {_best(results)}",
             f"{validation}; {test['num_queries']} held-out test queries",
             f"{'measure':<10}{'held-out':>10}{'chance':>10}"]
    lines += [f"{name:<10}{value:>10}{chance_value:>10}" for name, value, chance_value in rows]
    lines.append("all held-out images, leave-one-out: " + ", ".join(
        f"R@{k} {test[f'recall_at_{k}']:.3f}" for k in (1, 2, 4, 8)) + f", NMI {test['nmi']:.3f}")
    if "map_at_r" in test:
        lines.append(f"retrieval: MAP@R {test['map_at_r']:.3f}, R-precision "
                     f"{test['r_precision']:.3f}, MRR {test['mrr']:.3f}, AMI {test['ami']:.3f}")
    if "mAP_easy" in test:
        lines.append("revisited protocol: " + ", ".join(
            f"mAP {s[0].upper()} {test[f'mAP_{s}']:.3f} ({test[f'{s}_queries']} queries)"
            for s in ("easy", "medium", "hard")))
    lines += [f"TensorBoard: tensorboard --logdir {results['logdir']}",
              f"SavedModel:  {results['export']}"]
    return "\n".join(lines)


def _best(results: dict[str, Any]) -> str:
    bests = results["best"]
    if bests and bests[0]["monitor"] is None:
        return "no labelled validation: the last epoch's weights kept"
    if len(bests) == 1 and bests[0]["epoch"] is not None:
        return (f"best epoch {bests[0]['epoch']} (validation mAP {bests[0]['value']:.3f}), "
                "its weights kept")
    epochs = ", ".join(str(best["epoch"]) for best in bests)
    return f"best epochs of the members {epochs}, their weights kept"
