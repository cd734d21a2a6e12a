"""What the front end sends, parsed into frozen dataclasses before any widget acts on it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..focus import KINDS, Focus


@dataclass(frozen=True)
class Picked:
    """Notes picked on the map, by a click, a box or lasso selection, a filter, or code."""

    ids: tuple[str, ...]
    how: str = "code"

    @classmethod
    def from_points(cls, points, ids: Sequence[str], how: str = "select") -> Picked:
        """From a plotly `Points` (or anything with `point_inds`) and the trace's ids (`customdata`)."""
        inds = getattr(points, "point_inds", None)
        if inds is None and isinstance(points, dict):
            inds = points.get("point_inds", [])
        return cls(tuple(dict.fromkeys(str(ids[i]) for i in inds or () if 0 <= i < len(ids))), how)

    @classmethod
    def from_front(cls, payload: object, ids: Sequence[str]) -> Picked | None:
        """From the map widget's `picked` message ({"indices": [...], "how": "lasso", ...}); None if malformed."""
        if not isinstance(payload, dict) or not isinstance(payload.get("indices"), (list, tuple)):
            return None
        how = str(payload.get("how") or "select")
        inds = [i for i in payload["indices"] if isinstance(i, int) and not isinstance(i, bool)]
        return cls(tuple(dict.fromkeys(str(ids[i]) for i in inds if 0 <= i < len(ids))), how)

    @classmethod
    def from_ids(cls, ids: Iterable[str] | str | None, how: str = "code") -> Picked:
        if ids is None:
            return cls((), how)
        if isinstance(ids, str):
            ids = [ids]
        return cls(tuple(dict.fromkeys(str(i) for i in ids)), how)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@dataclass(frozen=True)
class FocusForm:
    """The tuner's control values; `to_focus` leaves bars at the embedder's default as None."""

    instructions: str = ""
    include: str = ""
    exclude: str = ""
    protect: str = ""
    duplicate_bar: float = 0.0
    conflict_bar: float = 0.0
    horizon_days: int = 120
    min_sessions: int = 2
    max_sessions: int | None = None
    kinds: tuple[str, ...] = KINDS

    def to_focus(self, defaults: dict[str, float] | None = None, base: Focus | None = None) -> Focus:
        """The Focus these values stand for (other settings of `base` carried over)."""
        defaults = defaults or {}
        bar = lambda name, value: None if round(value, 3) == round(defaults.get(name, -1.0), 3) else round(value, 3)  # noqa: E731
        data = base.to_dict() if base is not None else {}
        data.update(
            instructions=self.instructions, include=_split(self.include), exclude=_split(self.exclude),
            protect=_split(self.protect), duplicate_bar=bar("duplicate", self.duplicate_bar),
            conflict_bar=bar("conflict", self.conflict_bar), horizon_days=int(self.horizon_days),
            min_sessions=int(self.min_sessions), max_sessions=self.max_sessions,
            kinds=[k for k in KINDS if k in self.kinds],
        )
        return Focus.from_dict(data)

    @classmethod
    def from_focus(cls, focus: Focus, defaults: dict[str, float]) -> FocusForm:
        return cls(
            instructions=focus.instructions, include=", ".join(focus.include), exclude=", ".join(focus.exclude),
            protect=", ".join(focus.protect),
            duplicate_bar=focus.duplicate_bar if focus.duplicate_bar is not None else defaults.get("duplicate", 0.5),
            conflict_bar=focus.conflict_bar if focus.conflict_bar is not None else defaults.get("conflict", 0.5),
            horizon_days=focus.horizon_days, min_sessions=focus.min_sessions, max_sessions=focus.max_sessions,
            kinds=tuple(focus.kinds),
        )
