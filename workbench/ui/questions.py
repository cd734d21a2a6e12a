"""The questions list of the review panel: what the rules left undecided, most valuable first, a page of cards
at a time. Each card shows the notes in full, the rules' reading and leaning, the rule's record on this store,
and one button per answer. Keys: 1, 2, 3 … the answers in the card's order, u undo, j / k next / previous.
Questions are never answered by "Approve all" or the automatic mode.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from .. import views
from ..analysis import Analysis
from ..dream.plan import Question
from ..errors import WorkbenchError
from ..review import Review, plan_digest
from ..session import undo
from . import _html
from ._bridge import Download
from ._paging import CardPages, PageBar
from .cards import QuestionCard, QuestionHost

EMPTY = ('<div class="wb-muted">This plan holds no questions: the rules decided every candidate they found, '
         "or the focus asks none (questions_per_note=0).</div>")
LABELS = ("an answer applies only its own change. Your answers and decisions are labels of the rules: "
          '<code>wb.review.save_labels("labels.jsonl")</code> writes them (JSONL, for '
          "<code>python -m benchmarks calibration</code>), or download them here.")


class QuestionList:
    """The question cards on view, the current one, answering and undoing; the note and the labels download."""

    def __init__(self, host: QuestionHost, bar: PageBar, page_size: int,
                 on_answer: Callable[[], None] = lambda: None) -> None:
        self.host = host  # where the review and the analysis come from
        self.bar = bar
        self.on_answer = on_answer  # after an answer or its undo, once the cards are redrawn
        self.pages: CardPages[QuestionCard] = CardPages(page_size)
        self.box = w.VBox()
        self.status = w.HTML()
        self.note = w.HTML()
        self.labels_download = Download(label="Download the labels", empty="Download the labels (decide first)",
                                        mime="application/x-ndjson", filename="labels.jsonl")
        self.widget = w.VBox([self.note, self.labels_download, self.box], layout=w.Layout(display="none"))

    @property
    def review(self) -> Review:
        return self.host.review

    @property
    def analysis(self) -> Analysis | None:
        return self.host.analysis

    @property
    def cards(self) -> dict[str, QuestionCard]:
        return self.pages.cards

    def questions(self) -> list[Question]:
        """The plan's questions, most valuable first."""
        return views.ordered_questions(self.review.plan)

    def select(self, q_id: str) -> None:
        """Make a question current, on its page (drawn by the next `draw`)."""
        ids = [q.id for q in self.questions()]
        self.pages.page = ids.index(q_id) // self.pages.page_size
        self.pages.current = q_id

    # -- keys and buttons -----------------------------------------------------------------------
    def key(self, key: str) -> None:
        """1, 2, 3 … answer with the current card's first, second, third … choice, u undo, j / k move."""
        card = self.pages.focus()
        if card is None:
            return
        choices = card.question.choices
        if key.isdigit() and 1 <= int(key) <= len(choices):
            if self.answer(card, choices[int(key) - 1].key) and self.pages.current in self.cards:
                self.move(+1)
        elif key == "u":
            self.unanswer(card)
        elif key in ("j", "k"):
            self.move(+1 if key == "j" else -1)

    def move(self, step: int) -> None:
        self.pages.move(step, len(self.review.plan.questions), self.draw)

    def turn(self, step: int) -> None:
        self.pages.turn(step, len(self.review.plan.questions))
        self.draw()

    def answer(self, card: QuestionCard, key: str) -> bool:
        """A choice's button (or digit key): `Review.answer`, then redraw; a refusal is said on the card."""
        q_id = self.pages.current = card.question.id
        if self.review.answers().get(q_id) == key:
            card.message.value = ""
            return True
        try:
            self.review.answer(q_id, key)
        except WorkbenchError as exc:
            card.refuse(exc.message)
            self.pages.mark()
            return False
        card.message.value = ""
        self._answered()
        return True

    def unanswer(self, card: QuestionCard) -> None:
        """Undo's button (or u): the question is open again."""
        self.pages.current = card.question.id
        card.message.value = ""
        if card.question.id in self.review.current:
            undo(self.review, card.question.id)
            self._answered()

    def _answered(self) -> None:
        """After an answer or its undo: the question cards, then the host's (never the operations)."""
        self.render()
        self.on_answer()

    # -- drawing ---------------------------------------------------------------------------------
    def draw(self) -> None:
        """Build the cards of the page on view, and say which page it is on the bar."""
        questions = self.questions()
        page_count = self.pages.fill(questions, lambda q: q.id, lambda q: QuestionCard(q, self))
        self.box.children = [card.widget for card in self.cards.values()] or [w.HTML(EMPTY)]
        self.bar.show(self.pages.page, page_count, f"{len(questions):,} questions, most valuable first")
        self.pages.mark()

    def clear(self) -> None:
        """No cards while the list is not on view."""
        self.pages.cards = {}
        self.box.children = [w.HTML('<div class="wb-muted">…</div>')]

    def render(self) -> None:
        """Redraw the cards on view (after decisions) and outline the current one."""
        for card in self.cards.values():
            card.render()
        self.pages.mark()

    def render_status(self, asked: views.QuestionSummary) -> None:
        """The count beside the toggle, the note above the cards, and the labels to download."""
        never = views.NEVER_AUTOMATIC[0].upper() + views.NEVER_AUTOMATIC[1:]
        self.status.value = f'<span class="wb-small">&nbsp;{_html.esc(asked.line)}</span>'
        more = f'<div class="wb-small">{_html.esc(asked.more)}</div>' if asked.more else ""
        self.note.value = (f'<div class="wb-small wb-muted">What the rules left undecided, most valuable first: '
                           f"answer with a button or a digit key. {_html.esc(never)}; {LABELS}</div>{more}")
        self.labels_download.filename = f"labels-{plan_digest(self.review.plan)[:10]}.jsonl"
        self.labels_download.data = self.review.labels_jsonl().encode("utf-8")
