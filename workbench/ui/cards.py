"""The review panel's cards: an operation with approve / reject / edit / undo, a question with one button per
answer, and the probes an operation breaks.

A card reads the review from its host and acts through it: `OperationCard` through the review panel
(`act`), `QuestionCard` through the questions list (`answer`, `unanswer`).
"""

from __future__ import annotations

from typing import Protocol

import ipywidgets as w

from .. import views
from ..analysis import Analysis
from ..dream.plan import Operation, Question
from ..evaluate import WHY, ProbeResult
from ..review import Review
from ..session import shown_text
from . import _html

VERDICT_STYLE = {"approve": "success", "reject": "danger", "edit": "warning"}


class OperationHost(Protocol):
    """What an operation card reads and acts through: the review panel."""

    analysis: Analysis | None
    auto_bar: float

    @property
    def review(self) -> Review: ...

    def broken_by(self, op_id: str) -> list[ProbeResult]: ...

    def act(self, card: OperationCard, action: str) -> None: ...


class QuestionHost(Protocol):
    """What a question card reads and answers through: the questions list."""

    @property
    def review(self) -> Review: ...

    @property
    def analysis(self) -> Analysis | None: ...

    def answer(self, card: QuestionCard, key: str) -> bool: ...

    def unanswer(self, card: QuestionCard) -> None: ...


class OperationCard:
    """One operation: what it does and why, with approve / reject / edit / undo buttons."""

    def __init__(self, op: Operation, panel: OperationHost) -> None:
        self.op = op
        self.panel = panel
        self.body = w.HTML()
        self.approve_button = w.Button(description="Approve", icon="check", layout=w.Layout(width="auto"),
                                       tooltip="approve what the text box shows")
        self.reject_button = w.Button(description="Reject", icon="times", layout=w.Layout(width="auto"))
        self.edit_button = w.Button(description="Save edit", icon="pencil", layout=w.Layout(width="auto"),
                                    disabled=op.result is None, tooltip="approve with the text below instead")
        self.undo_button = w.Button(description="Undo", icon="undo", layout=w.Layout(width="auto"),
                                    tooltip="take the decision back: pending again")
        self.edit_text = w.Textarea(value=shown_text(panel.review, op), rows=2,
                                    layout=w.Layout(width="100%", display="none" if op.result is None else ""))
        self.unsaved = w.HTML()
        self.approve_button.on_click(lambda _: self.panel.act(self, "approve"))
        self.reject_button.on_click(lambda _: self.panel.act(self, "reject"))
        self.edit_button.on_click(lambda _: self.panel.act(self, "edit"))
        self.undo_button.on_click(lambda _: self.panel.act(self, "undo"))
        self.edit_text.observe(lambda _: self._mark_unsaved(), "value")
        buttons = w.HBox([self.approve_button, self.reject_button, self.edit_button, self.undo_button, self.unsaved],
                         layout=w.Layout(align_items="center", flex_flow="row wrap"))
        self.widget = w.VBox([self.body, self.edit_text, buttons])
        self.widget.add_class("wb-opcard")
        self.render()

    @property
    def unsaved_edit(self) -> bool:
        """The text box shows something other than what the decisions keep."""
        return self.op.result is not None and self.edit_text.value != shown_text(self.panel.review, self.op)

    def render(self) -> None:
        panel, review = self.panel, self.panel.review
        decision = review.current.get(self.op.id)
        verdict = decision.verdict if decision else "pending"
        edited = decision.content if decision is not None and decision.verdict == "edit" else None
        if self.op.result is not None:
            self.edit_text.value = shown_text(review, self.op)
        blocked = review.blocked().get(self.op.id)
        corpus = panel.analysis.corpus if panel.analysis is not None else None
        store = review.plan.input_store
        self.body.value = _html.operation(
            self.op, decision=verdict, documents=views.operation_documents(review.plan, self.op, edited),
            edited=edited, evidence=views.evidence_lines(self.op, corpus, store),
            targets=views.target_dates(self.op, corpus, store), auto_bar=panel.auto_bar,
        ) + (_html.notice(f"Blocked: {_html.esc(blocked)}", "warn") if blocked else "") \
            + broken_probes_html(panel.broken_by(self.op.id))
        for button, name in ((self.approve_button, "approve"), (self.reject_button, "reject"),
                             (self.edit_button, "edit")):
            button.button_style = VERDICT_STYLE[name] if verdict == name else ""
        self.undo_button.disabled = decision is None
        self.widget.layout.border_left = f"4px solid {_html.VERDICT_COLORS.get(verdict, '#d0d7de')}"
        self._mark_unsaved()

    def _mark_unsaved(self) -> None:
        if self.unsaved_edit:
            self.unsaved.value = ('<span class="wb-unsaved">✎ unsaved edit: Approve approves the text in the box '
                                  "(as an edit)</span>")
            self.approve_button.description = "Approve edited text"
        else:
            self.unsaved.value = ""
            self.approve_button.description = "Approve"


class QuestionCard:
    """One question: the notes, the rules' reading and leaning, one button per answer, undo, and a line for
    an answer that is refused (stale, or its notes already changed by another approved change)."""

    def __init__(self, question: Question, host: QuestionHost) -> None:
        self.question = question
        self.host = host
        self.body = w.HTML()
        self.buttons: dict[str, w.Button] = {}
        for number, choice in enumerate(question.choices, start=1):
            button = w.Button(description=f"{number} · {choice.label}", layout=w.Layout(width="auto"),
                              tooltip=f"key {number}: {views.choice_effect(choice)}")
            button.on_click(lambda _, key=choice.key: self.host.answer(self, key))
            self.buttons[choice.key] = button
        self.undo_button = w.Button(description="Undo", icon="undo", layout=w.Layout(width="auto"),
                                    tooltip="take the answer back: open again")
        self.undo_button.on_click(lambda _: self.host.unanswer(self))
        self.message = w.HTML()
        self.message.add_class("wb-qcard-error")
        choices = w.HBox([*self.buttons.values(), self.undo_button],
                         layout=w.Layout(align_items="center", flex_flow="row wrap"))
        choices.add_class("wb-choices")
        self.widget = w.VBox([self.body, choices, self.message])
        self.widget.add_class("wb-qcard")
        self.render()

    @property
    def view(self) -> views.QuestionCardView:
        host = self.host
        corpus = host.analysis.corpus if host.analysis is not None else None
        return views.question_card(self.question, host.review, corpus)

    def render(self) -> None:
        view = self.view
        self.body.value = _html.question(view)
        for choice in view.choices:
            self.buttons[choice.key].button_style = "success" if choice.chosen else ""
            self.buttons[choice.key].icon = "check" if choice.chosen else ""
        self.undo_button.disabled = view.answer is None
        color = _html.VERDICT_COLORS["answered" if view.answer else "open"]
        self.widget.layout.border_left = f"4px solid {color}"

    def refuse(self, why: str) -> None:
        """Say on the card, in one line, why an answer was not recorded."""
        self.message.value = _html.notice(f"<b>Not answered:</b> {_html.esc(why)}", "error")


def broken_probes_html(results: list[ProbeResult], limit: int = 5) -> str:
    """The probes an operation breaks: question, expected answer and why (empty when none)."""
    if not results:
        return ""
    items = "".join(
        f"<li>{_html.clip(r.probe.question, 160)}"
        + (f' <span class="wb-muted">→ {_html.esc(" | ".join(r.probe.answers))}</span>' if r.probe.answers else "")
        + f' <span class="wb-muted" title="{_html.esc(WHY.get(r.why, ""))}">({_html.esc(r.why)})</span></li>'
        for r in results[:limit])
    more = f"<li class='wb-muted'>… and {len(results) - limit} more</li>" if len(results) > limit else ""
    return _html.notice(f"<b>Breaks {len(results)} probe{'s' if len(results) != 1 else ''}</b>"
                        f'<ul style="margin:2px 0 0 18px;padding:0">{items}{more}</ul>', "warn")

