"""The head anchor: a small file outside the database that names the last entry of the chain.

A hash chain alone cannot show that its last entries were cut off, or that a well-formed entry
was appended by someone other than the app. The anchor can: it is written (atomically) under the
writer lock around every append:

    pending   {seq: N, hash: H, prev_seq: N-1, prev_hash: P}   before the COMMIT of entry N
    committed {seq: N, hash: H}                                 after it

After a crash between the two, `reconcile` settles the pending state by looking at the
database: entry N with hash H present -> committed; head still at N-1 with hash P -> the commit
never happened, back to N-1. Anything else is reported by `log verify` as a mismatch.

Limit (stated in the README and the complaint package): someone who can rewrite both the
database and this file, and knows the algorithm, can forge a consistent history. Exported
packages and the head hash that `log verify` prints are the outside witnesses for that case.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .atomic import atomic_write_bytes
from .canonical import GENESIS

__all__ = ["Anchor", "read_anchor", "write_anchor"]

FORMAT = "aigcverify-head/1"


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    hash: str
    state: str = "committed"  # or "pending"
    prev_seq: int = 0
    prev_hash: str = GENESIS
    # >0: the anchor file was lost and started again at this entry; carried forward for ever,
    # so that `log verify` keeps saying that the entries up to it had no outside witness
    restarted_at: int = 0


def read_anchor(path: Path) -> Anchor | None:
    """The anchor, None when there is none yet; raises ValueError when it is unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"head anchor unreadable: {err}") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("head anchor has an unknown format")
    try:
        return Anchor(seq=int(data["seq"]), hash=str(data["hash"]), state=str(data["state"]),
                      prev_seq=int(data.get("prev_seq", 0)),
                      prev_hash=str(data.get("prev_hash", GENESIS)),
                      restarted_at=int(data.get("restarted_at", 0)))
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"head anchor incomplete: {err}") from err


def write_anchor(path: Path, anchor: Anchor) -> None:
    data = {"format": FORMAT, **asdict(anchor)}
    atomic_write_bytes(path, json.dumps(data, sort_keys=True).encode("ascii") + b"\n")
