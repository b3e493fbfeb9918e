"""Numbers and ids as a DBA reads them: ``1.2M rows``, ``1.4 GB``, ``31%``, ``a7972ec2``.

Shared by the rules' recommendation lines and the Markdown report, so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def count(value: float) -> str:
    """
    >>> count(12_345_678), count(1_234_567), count(73049), count(950), count(1.0)
    ('12M', '1.2M', '73k', '950', '1')
    """
    for scale, unit in _UNITS:
        if abs(value) >= scale:
            scaled = value / scale
            return f"{scaled:.1f}{unit}" if scaled < 10 else f"{scaled:.0f}{unit}"
    return f"{value:.0f}"


def size(value: float) -> str:
    """Bytes in decimal units.

    >>> size(1_049_000_000), size(28_000), size(512)
    ('1.0 GB', '28 kB', '512 B')
    """
    for scale, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if value >= scale:
            scaled = value / scale
            return f"{scaled:.1f} {unit}" if scaled < 10 else f"{scaled:.0f} {unit}"
    return f"{value:.0f} B"


def share(value: float) -> str:
    """
    >>> share(0.314), share(0.0004), share(1.0)
    ('31%', '<1%', '100%')
    """
    return "<1%" if 0 < value < 0.005 else f"{value:.0%}"


def short_id(queryid: str) -> str:
    """A UUID's first block (what people say aloud); other ids as they are.

    >>> short_id("a7972ec2-5b53-4411-b5e7-cb4f9f14f25b"), short_id("q3")
    ('a7972ec2', 'q3')
    """
    head, dash, _ = queryid.partition("-")
    return head if dash and len(queryid) == 36 else queryid


def queries_phrase(queryids: Sequence[str], weight_share: float, *, listed: int = 3) -> str:
    """
    >>> queries_phrase(["q1"], 0.12)
    'query q1 (12% of the workload time)'
    >>> queries_phrase(["a", "b", "c", "d"], 0.5)
    '4 queries (50% of the workload time)'
    """
    ids = list(dict.fromkeys(queryids))
    if len(ids) == 1:
        named = f"query {short_id(ids[0])}"
    elif len(ids) <= listed:
        named = "queries " + ", ".join(short_id(q) for q in ids)
    else:
        named = f"{len(ids)} queries"
    return f"{named} ({share(weight_share)} of the workload time)"
