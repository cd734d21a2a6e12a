"""Dream review: filter and sort the operations, approve / reject / edit / undo each or in bulk, then export.

    panel = ReviewPanel(Review(plan), analysis=analysis)   # probes generated from the store
    panel.cards[op_id].approve_button.click()
    panel.text.value = "postgres"; panel.sort.value = "confidence"
    panel.review.counts()

Every card shows the operation's rule and confidence; below the automatic-approval bar it is
marked as a suggestion. Approve approves what the text box shows: a changed text is approved as
an edit, and the card says the box holds an unsaved edit until then. Keys inside the panel:
a approve, r reject, u undo, j / k next / previous card.

Questions (what the rules left undecided) are a second list behind the "Questions" toggle
(`workbench.ui.questions`): one button per answer, keys 1, 2, 3 … , never answered automatically.

    panel.view.value = "questions"
    panel.question_cards[q_id].buttons["both"].click()
    panel.review.answers()

With probes (an `Evaluator`), every card lists the probes its operation breaks, a filter shows only
those operations, automatic approval skips them unless allowed, and the header shows the probes
answered and the tokens before and after the current decisions.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import ipywidgets as w

from .. import views
from ..analysis import Analysis
from ..dream.plan import Operation, Question
from ..errors import WorkbenchError
from ..evaluate import Evaluator, ProbeResult, Report
from ..focus import KINDS
from ..records import Store
from ..review import AUTO_BAR, Review
from ..session import approve_shown, undo
from . import _html
from ._bridge import KeyBridge
from ._paging import CardPages, PageBar
from .cards import OperationCard, QuestionCard
from .export_box import ExportBox
from .questions import QuestionList
from .summary import review_summary_html

ALL = "all"
AUTO_PROBES_LIMIT = 5_000  # notes; above this, probes are evaluated only when an Evaluator is given
KEY_HINT = ("keys: <kbd>a</kbd> approve · <kbd>r</kbd> reject · <kbd>u</kbd> undo · "
            "<kbd>j</kbd>/<kbd>k</kbd> next / previous (click a card first)")
QUESTION_KEY_HINT = ("keys: <kbd>1</kbd> <kbd>2</kbd> <kbd>3</kbd> the answers in the card's order · <kbd>u</kbd> undo · "
                     "<kbd>j</kbd>/<kbd>k</kbd> next / previous (click a card first)")
SHORTCUTS = "arjku123456789"
VIEWS = (("Operations", "operations"), ("Questions", "questions"))


class ReviewPanel:
    """Operations filtered, sorted and paged; per-operation and bulk decisions; automatic mode; summary."""

    def __init__(self, review: Review, *, store: Store | None = None, analysis: Analysis | None = None,
                 page_size: int = 8, on_change: Callable[[Review], None] | None = None,
                 folder: str | None = None, evaluator: Evaluator | None = None, probes: bool = True,
                 auto_bar: float = AUTO_BAR, base: str | Path | None = None, lazy: bool = False) -> None:
        self.analysis = analysis
        self.active = not lazy  # lazy: the cards are built when the panel is first shown (`activate`)
        if evaluator is None and probes and analysis is not None and len(analysis.note_ids) <= AUTO_PROBES_LIMIT:
            evaluator = Evaluator(analysis)  # one generated probe per note that states a value
        self.evaluator = evaluator
        self.plan_report: Report | None = None  # every operation applied: what each one breaks
        self.page_size = page_size
        self.on_change = on_change
        self.auto_bar = auto_bar
        self.operation_pages: CardPages[OperationCard] = CardPages(page_size)  # the cards on view; keys act on the current
        self.error = w.HTML()
        self._store = store
        self._review = review

        # -- filters
        small = {"description_width": "initial"}
        self.text = w.Text(placeholder="words in text, rationale or evidence", description="find",
                           continuous_update=False, layout=w.Layout(width="340px"), style=small)
        self.path = w.Text(placeholder="/path/ part", description="path", continuous_update=False,
                           layout=w.Layout(width="180px"), style=small)
        self.kind = w.Dropdown(options=[(ALL, ALL)] + [(k, k) for k in KINDS], value=ALL, description="kind",
                               layout=w.Layout(width="150px"), style=small)
        self.group = w.Dropdown(description="reason", layout=w.Layout(width="210px"), style=small)
        self.rule = w.Dropdown(description="rule", layout=w.Layout(width="290px"), style=small)
        self.confidence_range = w.FloatRangeSlider(value=(0.0, 1.0), min=0.0, max=1.0, step=0.01,
                                                   description="confidence", readout_format=".2f",
                                                   continuous_update=False, layout=w.Layout(width="330px"),
                                                   style=small)
        self.sort = w.Dropdown(options=[(label, key) for key, label in views.SORTS.items()], value="reason",
                               description="sort", layout=w.Layout(width="270px"), style=small)
        self.pending_only = w.Checkbox(value=False, description="pending only", indent=False,
                                       layout=w.Layout(width="auto"))
        self.breaks_only = w.Checkbox(value=False, description="breaks probes", indent=False,
                                      layout=w.Layout(width="auto"), disabled=evaluator is None)
        self.suggestions_only = w.Checkbox(value=False, description=f"suggestions only (< {auto_bar:.2f})",
                                           indent=False, layout=w.Layout(width="auto"))
        self.allow_regressions = w.Checkbox(value=False, description="also operations that break probes",
                                            indent=False, disabled=True, layout=w.Layout(width="auto"))
        self.bar = PageBar()  # shared by the operations and the questions
        self.prev_button, self.next_button, self.page_label = self.bar.prev_button, self.bar.next_button, self.bar.label
        self.approve_group = w.Button(description="Approve shown", icon="check-circle", button_style="success",
                                      layout=w.Layout(width="auto"), tooltip="approve the pending operations the "
                                                                             "filters show (every page)")
        self.reject_group = w.Button(description="Reject shown", icon="times-circle", button_style="danger",
                                     layout=w.Layout(width="auto"))
        self.approve_all = w.Button(description="Approve all pending", icon="check-square", layout=w.Layout(width="auto"))
        self.reject_all = w.Button(description="Reject all pending", icon="minus-square", layout=w.Layout(width="auto"))
        self.mode = w.ToggleButtons(options=["manual", "automatic"], value="manual", style={"button_width": "90px"})
        self.confidence = w.FloatSlider(value=auto_bar, min=0.0, max=1.0, step=0.01, description="min confidence",
                                        readout_format=".2f", disabled=True, style={"description_width": "100px"},
                                        layout=w.Layout(width="360px"))
        self.auto_button = w.Button(description="Approve at or above the bar", icon="magic", disabled=True,
                                    layout=w.Layout(width="auto"))
        self.summary = w.HTML()
        self.drift = w.HTML()
        self.drift_button = w.Button(description="Review the tuned plan →", icon="refresh", button_style="warning",
                                     layout=w.Layout(width="auto", display="none"),
                                     tooltip="carry the decisions over to identical operations of the tuned plan")
        self.notice = w.HTML()
        self.cards_box = w.VBox()
        self.view = w.ToggleButtons(options=VIEWS, value="operations", style={"button_width": "110px"},
                                    tooltips=["the operations the plan proposes",
                                              "what the rules left undecided: you answer (never automatic)"])
        self.question_list = QuestionList(self, self.bar, page_size, on_answer=self._after_answer)
        self.questions_note, self.labels_download = self.question_list.note, self.question_list.labels_download
        self.keys = KeyBridge(self.key, hint=KEY_HINT, shortcuts=SHORTCUTS)
        self.export_box = ExportBox(self, folder, base)

        for control in (self.text, self.path, self.kind, self.group, self.rule, self.confidence_range, self.sort,
                        self.pending_only, self.breaks_only, self.suggestions_only):
            control.observe(self._on_filter, "value")
        self.prev_button.on_click(lambda _: self._turn(-1))
        self.next_button.on_click(lambda _: self._turn(+1))
        self.approve_group.on_click(lambda _: self._decided(self.review.approve(*self._pending_shown())))
        self.reject_group.on_click(lambda _: self._decided(self.review.reject(*self._pending_shown())))
        self.approve_all.on_click(lambda _: self._decided(self.review.approve_all()))
        self.reject_all.on_click(lambda _: self._decided(self.review.reject(*self.review.pending)))
        self.mode.observe(self._on_mode, "value")
        self.view.observe(self._on_view, "value")
        self.auto_button.on_click(lambda _: self._decided(self.review.auto(
            min_confidence=self.confidence.value, breaks=self.breaks, allow_regressions=self.allow_regressions.value)))

        filters = w.HBox([self.text, self.path, self.kind, self.group, self.rule, self.confidence_range, self.sort],
                         layout=w.Layout(align_items="center", flex_flow="row wrap"))
        self.checks = w.HBox([self.pending_only, self.suggestions_only, self.breaks_only],
                             layout=w.Layout(align_items="center", flex_flow="row wrap"))
        paging = w.HBox([self.checks, self.prev_button, self.page_label, self.next_button, self.keys],
                        layout=w.Layout(align_items="center", flex_flow="row wrap"))
        bulk = w.HBox([self.approve_group, self.reject_group, self.approve_all, self.reject_all],
                      layout=w.Layout(flex_flow="row wrap"))
        auto = w.HBox([w.HTML("<b>Mode</b>&nbsp;"), self.mode, self.confidence, self.auto_button,
                       self.allow_regressions],
                      layout=w.Layout(align_items="center", flex_flow="row wrap"))
        self.filters = filters
        views_row = w.HBox([w.HTML("<b>Show</b>&nbsp;"), self.view, self.question_list.status],
                           layout=w.Layout(align_items="center", flex_flow="row wrap"))
        self.export_section = w.VBox([w.HTML("<b>Export</b>"), self.export_box.preview, self.export_box.widget])
        self.widget = w.VBox([w.HTML(_html.CSS), self.drift, self.drift_button, self.notice, self.summary, auto,
                              bulk, views_row, filters, paging, self.error,
                              self.cards_box, self.question_list.widget, self.export_section], layout=w.Layout(width="100%"))
        self.widget.add_class("wb-root")
        self.widget.add_class("wb-review")
        self._reset()

    # -- public state -----------------------------------------------------------------------
    @property
    def review(self) -> Review:
        return self._review

    @review.setter
    def review(self, review: Review) -> None:
        self._review = review
        self._reset()

    @property
    def cards(self) -> dict[str, OperationCard]:
        """The operation cards on view, by operation id."""
        return self.operation_pages.cards

    @property
    def current(self) -> str | None:
        """The operation card the keys act on."""
        return self.operation_pages.current

    @current.setter
    def current(self, op_id: str | None) -> None:
        self.operation_pages.current = op_id

    @property
    def page(self) -> int:
        return self.operation_pages.page

    @page.setter
    def page(self, page: int) -> None:
        self.operation_pages.page = page

    @property
    def question_cards(self) -> dict[str, QuestionCard]:
        return self.question_list.cards

    @property
    def current_question(self) -> str | None:
        return self.question_list.pages.current

    @property
    def question_page(self) -> int:
        return self.question_list.pages.page

    @property
    def store(self) -> Store:
        """The input store the snapshot is made from (the plan's input store unless given)."""
        store = self._store or self._review.plan.input_store
        if store is None:
            raise WorkbenchError("this plan does not carry its input store; pass store= to ReviewPanel")
        return store

    @property
    def session_titles(self) -> dict[str, str]:
        if self.analysis is not None:
            return {s.id: s.title for s in self.analysis.corpus.sessions}
        return {}

    @property
    def breaks(self) -> dict[str, list[str]]:
        """Operation id → the probes it breaks when every operation is applied (empty without probes)."""
        return self.plan_report.breaks if self.plan_report is not None else {}

    def broken_by(self, op_id: str) -> list[ProbeResult]:
        """The probes an operation breaks, with why."""
        if self.plan_report is None:
            return []
        return [r for r in self.plan_report.regressions if op_id in r.broken_by]

    @property
    def query(self) -> views.OperationQuery:
        """The filters and sort order as set in the controls."""
        low, high = self.confidence_range.value
        if self.suggestions_only.value:
            high = min(high, self.auto_bar - 1e-6)
        return views.OperationQuery(
            text=self.text.value, path=self.path.value,
            kinds=() if self.kind.value in (ALL, None) else (self.kind.value,),
            reasons=() if self.group.value in (ALL, None) else (self.group.value,),
            rules=() if self.rule.value in (ALL, None) else (self.rule.value,),
            confidence=(low, high), pending_only=self.pending_only.value, breaks_only=self.breaks_only.value,
            sort=self.sort.value)

    def operations(self) -> list[Operation]:
        """The operations on view: those the filters keep, in the chosen order."""
        return views.select_operations(self.review.plan, self.query, decided=self.review.current, breaks=self.breaks)

    def show(self, op_id: str) -> ReviewPanel:
        """Turn to the page that holds an operation (clearing filters that hide it), or a question."""
        self.active = True
        if op_id in self.review.plan.question_by_id:
            self.question_list.select(op_id)
            if self.view.value != "questions":
                self.view.value = "questions"  # draws the page
            else:
                self._render_questions()
            return self
        if self.view.value != "operations":
            self.view.value = "operations"
        op = self.review.plan.by_id[op_id]
        if op not in self.operations():
            with self._quiet():
                self.text.value = self.path.value = ""
                self.kind.value = self.rule.value = ALL
                self.confidence_range.value = (0.0, 1.0)
                self.pending_only.value = self.breaks_only.value = self.suggestions_only.value = False
                self.group.value = op.reason
        self.page = self.operations().index(op) // self.page_size
        self.current = op_id
        self._render_page()
        return self

    def questions(self) -> list[Question]:
        """The plan's questions, most valuable first."""
        return self.question_list.questions()

    def refresh(self) -> ReviewPanel:
        """Redraw the cards on view and the summary (after decisions made elsewhere)."""
        for card in self.cards.values():
            card.render()
        self.question_list.render()
        self._render_summary()
        return self

    def key(self, key: str) -> ReviewPanel:
        """What a key does: a approve (what the box shows), r reject, u undo, j / k next / previous card;
        with the questions shown: 1, 2, 3 … answer with the card's first, second, third … choice, u undo."""
        self.activate()
        if self.view.value == "questions":
            self.question_list.key(key)
            return self
        card = self.operation_pages.focus() if key in "arjkue" else None
        if card is None:
            return self
        if key in "arue":
            self.act(card, {"a": "approve", "r": "reject", "u": "undo", "e": "edit"}[key])
            if key in "ar" and self.current in self.cards:
                self._move(+1)
        elif key in "jk":
            self._move(+1 if key == "j" else -1)
        return self

    # -- events ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _quiet(self):
        """Change filter controls without re-rendering after each one."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    _holding = False

    def _reset(self) -> None:
        plan = self._review.plan
        counts = Counter(op.reason for op in plan.operations)
        rules = Counter(op.rule for op in plan.operations if op.rule)
        self.operation_pages.reset()
        self.plan_report = None
        self._report_due = (self.evaluator is not None
                            and plan.inputs.get("store_digest") in (None, self.evaluator.store.digest))
        if self.active:
            self.measure()
        else:
            self.breaks_only.description = "breaks probes"
        with self._quiet():
            self.group.options = [(f"all ({len(plan.operations)})", ALL)] + [
                (f"{reason} ({n})", reason) for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
            self.group.value = ALL
            self.rule.options = [(f"all ({len(plan.operations)})", ALL)] + [
                (f"{rule} ({n})", rule) for rule, n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))]
            self.rule.value = ALL
        self.export_box.folder.placeholder = self.export_box.default_folder()
        self.question_list.pages.reset()
        self._render_page()
        if self.view.value != "questions":
            self._render_questions()  # drops the old plan's question cards
        self._render_summary()
        if self._export_visible and self.active:
            self.export_box.refresh()

    _export_visible = True  # the Workbench shows the export on its own tab and refreshes it there

    def _on_filter(self, change) -> None:
        if self._holding:
            return
        self.page = 0
        self._render_page()

    def _on_mode(self, change) -> None:
        automatic = change["new"] == "automatic"
        self.confidence.disabled = not automatic
        self.auto_button.disabled = not automatic
        self.allow_regressions.disabled = not automatic or self.plan_report is None

    def _on_view(self, change) -> None:
        questions = change["new"] == "questions"
        self.filters.layout.display = self.checks.layout.display = "none" if questions else ""
        self.cards_box.layout.display = "none" if questions else ""
        self.question_list.widget.layout.display = "" if questions else "none"
        self.keys.hint = QUESTION_KEY_HINT if questions else KEY_HINT
        self.error.value = ""
        self._render_page()
        if not questions:
            self._render_questions()  # only the list on view holds cards

    def _turn(self, step: int) -> None:
        if self.view.value == "questions":
            self.question_list.turn(step)
            return
        self.operation_pages.turn(step, len(self.operations()))
        self._render_page()

    def _move(self, step: int) -> None:
        self.operation_pages.move(step, len(self.operations()), self._render_page)

    def _after_answer(self) -> None:
        """After an answer or its undo: the summary, the export; never the operations."""
        self._render_summary()
        if self._export_visible:
            self.export_box.refresh()
        if self.on_change is not None:
            self.on_change(self.review)

    def _pending_shown(self) -> list[str]:
        current = self.review.current
        return [op.id for op in self.operations() if op.id not in current]

    def act(self, card: OperationCard, action: str) -> None:
        """A card's button (or key): one package call, then redraw."""
        self.current = card.op.id
        try:
            if action == "approve":
                result = approve_shown(self.review, card.op, card.edit_text.value if card.op.result else None)
            elif action == "reject":
                result = self.review.reject(card.op.id)
            elif action == "edit":
                result = self.review.edit(card.op.id, card.edit_text.value) if card.op.result is not None else None
            else:
                result = undo(self.review, card.op.id) if card.op.id in self.review.current else None
        except WorkbenchError as exc:
            self.error.value = _html.notice(f"<b>{_html.esc(card.op.id)}:</b> {_html.esc(exc)}", "error")
            return
        self.error.value = ""
        if result is not None:
            self._decided(result)

    def _decided(self, _result) -> None:
        if self.pending_only.value:
            keep = self.current
            self._render_page()
            if keep in self.cards:
                self.current = keep
        else:
            for card in self.cards.values():
                card.render()
        self.operation_pages.mark()
        self._render_summary()
        if self._export_visible:
            self.export_box.refresh()
        if self.on_change is not None:
            self.on_change(self.review)

    # -- drawing ----------------------------------------------------------------------------
    def activate(self) -> ReviewPanel:
        """Measure the plan's probes and build the cards of a lazy panel (the Workbench does this when the
        Review tab is first opened)."""
        if not self.active:
            self.active = True
            if self.measure():
                self._render_summary()
            self._render_page()
        return self

    def measure(self) -> bool:
        """What each operation breaks with every operation applied (once per plan; a lazy panel waits until
        it is first shown). True when this call measured."""
        due, self._report_due = self._report_due, False
        if due:
            self.plan_report = self.evaluator.report(self._review.plan)
        self.breaks_only.description = f"breaks probes ({len(self.breaks)})" if self.plan_report else "breaks probes"
        return due

    _report_due = False

    def _render_questions(self) -> None:
        if self.active and self.view.value == "questions":
            self.question_list.draw()
        else:
            self.question_list.clear()

    def _render_page(self) -> None:
        if self.view.value == "questions":  # only the list on view holds cards
            self.operation_pages.cards = {}
            self.cards_box.children = []
            self._render_questions()
            return
        if not self.active:
            self.operation_pages.cards = {}
            self.cards_box.children = [w.HTML('<div class="wb-muted">…</div>')]
            return
        ops = self.operations()
        page_count = self.operation_pages.fill(ops, lambda op: op.id, lambda op: OperationCard(op, self))
        self.cards_box.children = [card.widget for card in self.cards.values()] or [
            w.HTML('<div class="wb-muted">No operations match these filters.</div>')]
        total = len(self.review.plan.operations)
        of = f" of {total:,}" if len(ops) != total else ""
        self.bar.show(self.page, page_count, f"{len(ops):,}{of} operations")
        self.operation_pages.mark()

    def _render_summary(self) -> None:
        asked = views.question_summary(self.review.plan, self.review)
        self.summary.value = review_summary_html(self.review, self.auto_bar, self.current_report(), asked)
        self.question_list.render_status(asked)

    def current_report(self) -> Report | None:
        """Probes answered and tokens before and after the current decisions (no attribution)."""
        if self.plan_report is None:
            return None
        return self.evaluator.report(self.review.plan, self.review, attribute=False)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
