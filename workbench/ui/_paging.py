"""Cards a page at a time, one of them current (the card the keys act on), and the bar that turns the pages.

The review panel's operations and questions page and move the same way: j / k step to the next or previous
card, and past a page's last card the next page opens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

import ipywidgets as w

CURRENT = "wb-current"  # the CSS class of the current card


class Card(Protocol):
    widget: w.Widget


CardT = TypeVar("CardT", bound=Card)
ItemT = TypeVar("ItemT")


class PageBar:
    """Previous / next buttons around a line that says which page is shown."""

    def __init__(self) -> None:
        self.prev_button = w.Button(icon="chevron-left", layout=w.Layout(width="36px"))
        self.next_button = w.Button(icon="chevron-right", layout=w.Layout(width="36px"))
        self.label = w.HTML()

    def show(self, page: int, pages: int, what: str) -> None:
        """Page `page` (from 0) of `pages`, then what the pages hold."""
        self.label.value = f'<span class="wb-small">&nbsp;page {page + 1} of {pages} · {what}&nbsp;</span>'
        self.prev_button.disabled = page == 0
        self.next_button.disabled = page >= pages - 1


class CardPages(Generic[CardT]):
    """The cards of one page, by key, and which of them is current."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self.page = 0
        self.cards: dict[str, CardT] = {}
        self.current: str | None = None

    def count(self, items: int) -> int:
        """How many pages `items` fill (one at least)."""
        return max(1, -(-items // self.page_size))

    def reset(self) -> None:
        self.page, self.current = 0, None

    def fill(self, items: Sequence[ItemT], key: Callable[[ItemT], str], card: Callable[[ItemT], CardT]) -> int:
        """Build the cards of the page on view (kept in range); the current card stays if shown, else the
        first is current. Returns the number of pages."""
        pages = self.count(len(items))
        self.page = min(self.page, pages - 1)
        shown = items[self.page * self.page_size:(self.page + 1) * self.page_size]
        self.cards = {key(item): card(item) for item in shown}
        if self.current not in self.cards:
            self.current = next(iter(self.cards), None)
        return pages

    def turn(self, step: int, items: int) -> None:
        """Turn `step` pages, within the `items`' pages; no card is current until the page is drawn."""
        self.page = min(max(0, self.page + step), self.count(items) - 1)
        self.current = None

    def focus(self) -> CardT | None:
        """The current card (the first when none is), or None on an empty page."""
        if self.current not in self.cards:
            self.current = next(iter(self.cards), None)
        return self.cards[self.current] if self.current is not None else None

    def move(self, step: int, items: int, draw: Callable[[], None]) -> None:
        """Make the card `step` away current; past the page's edge, `draw` the next (or previous) page."""
        ids = list(self.cards)
        at = ids.index(self.current) if self.current in ids else 0
        if 0 <= at + step < len(ids):
            self.current = ids[at + step]
            self.mark()
            return
        if 0 <= self.page + step < self.count(items):
            self.page += step
            draw()
            ids = list(self.cards)
            self.current = ids[0] if step > 0 else ids[-1]
            self.mark()

    def mark(self) -> None:
        """Outline the current card."""
        for key, card in self.cards.items():
            if key == self.current:
                card.widget.add_class(CURRENT)
            else:
                card.widget.remove_class(CURRENT)

