"""What every benchmark module returns, and how a latency figure is read off a sample."""

from __future__ import annotations

Figures = dict[str, float | int | str]
"""Figure name → measured value (or a string saying why there is none); one JSON object in the end."""


def ms(seconds: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``seconds``, in milliseconds to the microsecond."""
    ordered = sorted(seconds)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index] * 1000, 3)
