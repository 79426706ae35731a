"""Plain-text summary of a training run's results: the measures of the held-out report
(``tfreid.catalog.MEASURES``, those with the ``report`` place), grouped as each says."""

from typing import Any

from tfreid.metrics.measure import (
    LEAVE_ONE_OUT,
    REPORT,
    RETRIEVAL,
    REVISITED,
    TABLE,
    Measure,
    measures,
)

LINES = {LEAVE_ONE_OUT: "all held-out images, leave-one-out: ", RETRIEVAL: "retrieval: ",
         REVISITED: "revisited protocol: "}  # the report's lines after its table, in order


def _value(results: dict[str, Any], measure: Measure) -> Any:
    """The run's held-out value of ``measure``; a rank-k missing from an older results.json
    read from its CMC curve; None where the run has none."""
    value = results["test"].get(measure.key)
    cmc = results.get("test_cmc")
    if value is None and measure.rank is not None and cmc:
        value = cmc[min(measure.rank - 1, len(cmc) - 1)]
    return value


def _entry(results: dict[str, Any], measure: Measure, value: Any) -> str:
    """``label value`` as a line after the table shows it (with its query count if any)."""
    text = f"{measure.label} {measure.formatted(value)}"
    if measure.queries is not None and measure.queries in results["test"]:
        text += f" ({results['test'][measure.queries]} queries)"
    return text


def format_results(results: dict[str, Any]) -> str:
    """A small table: the held-out measures against chance where known (rank-1, mAP, mINP),
    then the other measures of the report by group, and where things are."""
    test, chance = results["test"], results["chance"]
    shown = [(m, _value(results, m)) for m in measures(REPORT)]
    shown = [(m, value) for m, value in shown if value is not None]
    rows = [(m.label, m.formatted(value),
             m.formatted(chance[m.key]) if chance.get(m.key) is not None else "")
            for m, value in shown if m.group == TABLE]
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
    for group, head in LINES.items():
        entries = [_entry(results, m, value) for m, value in shown if m.group == group]
        if entries:
            lines.append(head + ", ".join(entries))
    lines += [_other_test(report) for report in results.get("test_datasets", ())]
    lines += [f"TensorBoard: tensorboard --logdir {results['logdir']}",
              f"SavedModel:  {results['export'] or 'none (--no-save-export)'}"]
    return "\n".join(lines)


def _other_test(report: dict[str, Any]) -> str:
    """One line of a ``test_datasets`` report: the table's measures on that dataset."""
    values = ", ".join(f"{m.label} {m.formatted(report[m.key])}" for m in measures(REPORT)
                       if m.group == TABLE and report.get(m.key) is not None)
    return f"also tested on {report['dataset']} ({report['protocol']}): {values}"


def _best(results: dict[str, Any]) -> str:
    bests = results["best"]
    if bests and bests[0]["monitor"] is None:
        return "no labelled validation: the last epoch's weights kept"
    if len(bests) == 1 and bests[0]["epoch"] is not None:
        return (f"best epoch {bests[0]['epoch']} (validation {_monitored(bests[0]['monitor'])} "
                f"{bests[0]['value']:.3f}), its weights kept")
    epochs = ", ".join(str(best["epoch"]) for best in bests)
    return f"best epochs of the members {epochs}, their weights kept"


def _monitored(monitor: str) -> str:
    """The label of the monitored measure ``val_<key>``; the monitor itself if not one."""
    from tfreid.catalog import MEASURES

    key = monitor.removeprefix("val_")
    return MEASURES.get(key).label if key in MEASURES else monitor
