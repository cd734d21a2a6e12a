"""A table the browser draws in two steps: the rows in view at once, the rest after that paint.

A selection's table holds up to 200 rows; laying them all out costs the browser a few hundred
milliseconds (an automatic table layout measures every cell), while the scroll box shows about
fifteen. `RowsHTML` sends the rows apart from what surrounds them; `rows.js` draws the first
`FIRST` rows with the header, and appends the others once that has been painted and the browser is idle. Its `value` is the
whole HTML, as an `ipywidgets.HTML`'s would be (it is also not typeset as math: a "$" stays a "$").

    table = RowsHTML()
    table.show('<table class="wb-table"><tr><th>id</th></tr>', ["<tr><td>a</td></tr>"], "</table>")
    table.value = "<div>No selection</div>"
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anywidget
import traitlets as t

HERE = Path(__file__).parent


class RowsHTML(anywidget.AnyWidget):
    """HTML made of a head, table rows (`<tr>…</tr>` each) and a tail; see `workbench/ui/rows.js`."""

    _esm = HERE / "rows.js"

    head = t.Unicode("").tag(sync=True)  # the HTML before the rows (ends inside a <table>)
    rows = t.List(t.Unicode()).tag(sync=True)  # one <tr> each
    tail = t.Unicode("").tag(sync=True)  # the HTML after them (closes the table)

    @property
    def value(self) -> str:
        """The whole HTML."""
        return self.head + "".join(self.rows) + self.tail

    @value.setter
    def value(self, html: str) -> None:
        self.show(html)

    def show(self, head: str, rows: Sequence[str] = (), tail: str = "") -> RowsHTML:
        """Show `head`, `rows` and `tail` (one message to the browser)."""
        with self.hold_sync():
            self.head, self.rows, self.tail = head, list(rows), tail
        return self
