"""The ids of the transition system's actions, as the network predicts them and the oracle's gold actions read.

`SHIFT_ID`, `OUT_ID` and `REDUCE_ID + LABELS.index(label)` number the actions of `transitions.py` in the order of
`ACTIONS`; `action_id` maps one `Op` (and its label) to its id.
"""

from __future__ import annotations

from jointel.data.documents import LABELS
from jointel.model.transitions import Op

ACTIONS = ("SHIFT", "OUT", *(f"REDUCE-{label}" for label in LABELS))
SHIFT_ID, OUT_ID, REDUCE_ID = 0, 1, 2  # REDUCE-X is REDUCE_ID + LABELS.index(X)


def action_id(op: Op, label: str | None) -> int:
    if op is Op.SHIFT:
        return SHIFT_ID
    if op is Op.OUT:
        return OUT_ID
    return REDUCE_ID + LABELS.index(label or "")
