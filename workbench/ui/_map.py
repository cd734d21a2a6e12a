"""The map widget: a canvas scatter (anywidget) for thousands of notes, with lasso, box, pan and zoom.

It replaces plotly's FigureWidget for the two maps: importing FigureWidget costs ~4 s (plotly
pulls in nbformat, jsonschema and a grammar compiled at import), its front end is a multi-MB
module per map, and it sends clicks, hovers and selections through one trait, so a hover after
a lasso could overwrite the selection on its way to a busy kernel. Here hovering, drawing,
panning and zooming stay in the browser; a finished selection travels alone on `picked`.

    m = MapWidget()
    m.set_points(xy, hover=titles, layout="PCA")
    m.set_colors(codes, palette, sizes)
    m.observe(lambda change: print(change["new"]["indices"]), "picked")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anywidget
import numpy as np
import traitlets as t

HERE = Path(__file__).parent


def _bytes(values, dtype) -> bytes:
    return np.ascontiguousarray(np.asarray(values, dtype=dtype)).tobytes()


class MapWidget(anywidget.AnyWidget):
    """Points, colours, links and labels in; the picked note indices out (see `workbench.ui.map.js`)."""

    _esm = HERE / "map.js"
    _css = HERE / "map.css"

    # -- what the front end draws (binary arrays; see set_* below)
    xy = t.Bytes(b"").tag(sync=True)  # float32 x, y pairs
    hover = t.List(t.Unicode()).tag(sync=True)  # one tooltip per point: "id\ntitle"
    codes = t.Bytes(b"").tag(sync=True)  # uint8 index into palette, per point
    palette = t.List(t.Unicode()).tag(sync=True)
    sizes = t.Bytes(b"").tag(sync=True)  # uint8 diameter in px, per point
    selected = t.Bytes(b"").tag(sync=True)  # int32 indices of the selected points
    links = t.Bytes(b"").tag(sync=True)  # int32 index pairs (into points, then extra points)
    link_kinds = t.Bytes(b"").tag(sync=True)  # uint8 per link: 0 duplicate, 1 conflict
    extra_xy = t.Bytes(b"").tag(sync=True)  # float32 pairs: candidate insights and session facts
    extra_kinds = t.Bytes(b"").tag(sync=True)  # uint8: 0 insight, 1 session fact
    extra_hover = t.List(t.Unicode()).tag(sync=True)
    labels = t.List(t.Dict()).tag(sync=True)  # [{x, y, text}], most important first
    legend = t.List(t.Dict()).tag(sync=True)  # [{label, color, count, shape}]
    title = t.Unicode("").tag(sync=True)
    layout_name = t.Unicode("").tag(sync=True)
    show_links = t.Bool(True).tag(sync=True)
    show_extras = t.Bool(True).tag(sync=True)
    show_facts = t.Bool(False).tag(sync=True)
    mode = t.Unicode("lasso").tag(sync=True)  # lasso | box | pan
    height = t.Int(520).tag(sync=True)

    # -- what the front end reports
    picked = t.Dict().tag(sync=True)  # {"indices": [...], "how": "lasso", "seq": n}: a finished gesture
    rendered = t.Int(0).tag(sync=True)  # views that have drawn the map at least once

    @property
    def size(self) -> int:
        return len(self.xy) // 8

    def set_points(self, xy: np.ndarray, *, hover: Sequence[str] | None = None, layout: str = "") -> MapWidget:
        """New positions (n × 2); a new `layout` name with as many points animates to them."""
        xy = np.asarray(xy, dtype=np.float32).reshape(-1, 2)
        with self.hold_sync():
            if hover is not None:
                self.hover = list(hover)
            self.layout_name = layout
            self.xy = _bytes(np.nan_to_num(xy, nan=0.0), np.float32)
        return self

    def set_colors(self, codes: np.ndarray, palette: Sequence[str], sizes: np.ndarray | None = None) -> MapWidget:
        with self.hold_sync():
            self.palette = list(palette)
            self.codes = _bytes(np.clip(np.asarray(codes), 0, 255), np.uint8)
            if sizes is not None:
                self.sizes = _bytes(np.clip(np.round(np.asarray(sizes, dtype=float)), 2, 40), np.uint8)
        return self

    def set_selected(self, positions: Sequence[int]) -> MapWidget:
        self.selected = _bytes(np.asarray(list(positions), dtype=np.int64), np.int32)
        return self

    def set_links(self, pairs: np.ndarray, kinds: np.ndarray) -> MapWidget:
        with self.hold_sync():
            self.links = _bytes(np.asarray(pairs, dtype=np.int64).reshape(-1), np.int32)
            self.link_kinds = _bytes(kinds, np.uint8)
        return self

    def set_extras(self, xy: np.ndarray, kinds: np.ndarray, hover: Sequence[str]) -> MapWidget:
        with self.hold_sync():
            self.extra_hover = list(hover)
            self.extra_kinds = _bytes(kinds, np.uint8)
            self.extra_xy = _bytes(np.asarray(xy, dtype=np.float32).reshape(-1, 2), np.float32)
        return self

    # -- reading back (tests, notebooks)
    def positions(self) -> np.ndarray:
        return np.frombuffer(self.xy, dtype=np.float32).reshape(-1, 2)

    def color_codes(self) -> np.ndarray:
        return np.frombuffer(self.codes, dtype=np.uint8)

    def selected_positions(self) -> list[int]:
        return np.frombuffer(self.selected, dtype=np.int32).tolist()

    def link_pairs(self) -> np.ndarray:
        return np.frombuffer(self.links, dtype=np.int32).reshape(-1, 2)
