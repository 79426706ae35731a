"""The held-out report, driven by the registry of measures: a results.json of an older
tfreid reads as it always did; mINP joins the table with its chance level."""

from tfreid.training.report import format_results

OLD = {"run": "batch-0001", "method": "batch", "epochs_run": 12, "train_seconds": 41.6,
       "best": [{"epoch": 9, "monitor": "val_mAP", "value": 0.61234}],
       "validation_identities": [3, 8], "train_identities": 10,
       "config": {"validation_fraction": 0.2}, "logdir": "logs/batch-0001", "export": None,
       "test_cmc": [0.5, 0.6, 0.7, 0.75, 0.8, 0.9], "chance": {"rank1": 0.125, "mAP": 0.1432},
       "test": {"rank1": 0.5, "mAP": 0.45678, "mAC": 0.2345, "CF": 3, "num_queries": 20,
                "num_invalid_queries": 1, "recall_at_1": 0.61, "recall_at_2": 0.7,
                "recall_at_4": 0.8, "recall_at_8": 0.9, "nmi": 0.55}}
HEAD = ("run batch-0001 (batch): 12 epochs in 42 s; best epoch 9 (validation mAP 0.612), its "
        "weights kept\n2 of 12 training identities held out for validation (--val-fraction "
        "0.2); 20 held-out test queries\nmeasure     held-out    chance\n"
        "rank-1         0.500     0.125\nrank-5         0.800          \n"
        "mAP            0.457     0.143\n")
TAIL = ("mAC            0.234          \nCF                 3          \n"
        "all held-out images, leave-one-out: R@1 0.610, R@2 0.700, R@4 0.800, R@8 0.900, "
        "NMI 0.550\n")
END = "TensorBoard: tensorboard --logdir logs/batch-0001\nSavedModel:  none (--no-save-export)"


def test_an_old_results_json_reads_as_before():
    # the text the report gave before the registry (rank-5 from the CMC curve: no rank5 key)
    assert format_results(OLD) == HEAD + TAIL + END


def test_every_group_of_a_full_results_json_as_before_and_minp_with_its_chance():
    test = {**OLD["test"], "rank5": 0.8, "map_at_r": 0.3, "r_precision": 0.4, "mrr": 0.6,
            "ami": 0.2, "mAP_easy": 0.7, "easy_queries": 5, "mAP_medium": 0.6,
            "medium_queries": 6, "mAP_hard": 0.3, "hard_queries": 4}
    lines = ("retrieval: MAP@R 0.300, R-precision 0.400, MRR 0.600, AMI 0.200\n"
             "revisited protocol: mAP E 0.700 (5 queries), mAP M 0.600 (6 queries), mAP H "
             "0.300 (4 queries)\n")
    assert format_results({**OLD, "test": test}) == HEAD + TAIL + lines + END
    new = {**OLD, "test": {**test, "minp": 0.2468}, "chance": {**OLD["chance"], "minp": 0.05}}
    assert format_results(new) == (HEAD + "mINP           0.247     0.050\n" + TAIL + lines
                                   + END)
