"""mINP, the mean inverse negative penalty (Ye et al., "Deep Learning for Person
Re-identification: A Survey and Outlook", TPAMI 2021, eq. 2).

For a query with |G| true matches whose hardest (last) one is at rank R_hard, after the
same camera rule and ties as mAP (``match_ranks``),

    INP = |G| / R_hard,

the share of the gallery up to the hardest match that is correct: 1 when every match
comes before every non-match. mINP is its mean over the queries with a valid match.
"""

import numpy as np

from tfreid.metrics.measure import Measure
from tfreid.metrics.measures import SHOWN


def inverse_negative_penalty(ranks: np.ndarray) -> float:
    """INP of one query from the sorted 1-based ranks of its true matches."""
    return len(ranks) / ranks[-1]


MINP = Measure("minp", "mINP", lambda e: e.per_query(inverse_negative_penalty),
               places=SHOWN, chance=True)
