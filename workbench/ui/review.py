"""Dream review: filter and sort the operations, approve / reject / edit / undo each or in bulk, then export.

    panel = ReviewPanel(Review(plan), analysis=analysis)   # probes generated from the store
    panel.cards[op_id].approve_button.click()
    panel.text.value = "postgres"; panel.sort.value = "confidence"
    panel.review.counts()

Every card shows the operation's rule and confidence; below the automatic-approval bar it is
marked as a suggestion. Approve approves what the text box shows: a changed text is approved as
an edit, and the card says the box holds an unsaved edit until then. Keys inside the panel:
a approve, r reject, u undo, j / k next / previous card.

Questions (what the rules left undecided) are a second list, behind the "Questions" toggle, most
valuable first: each card shows the notes in full, the rules' reading and leaning, the rule's record
on this store, and one button per answer. Keys there: 1, 2, 3 … the answers in the card's order,
u undo, j / k next / previous. Questions are never answered by "Approve all" or the automatic mode.

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

from .. import plots, views
from ..analysis import Analysis
from ..dream.plan import Operation, Question
from ..errors import WorkbenchError
from ..evaluate import WHY, Evaluator, ProbeResult, Report
from ..export import FORMATS, Snapshot, export_snapshot
from ..focus import KINDS
from ..launch import project_dir
from ..records import Store
from ..review import AUTO_BAR, Review, blast_radius, plan_digest
from ..session import approve_shown, shown_text, snapshot_archive, undo
from . import _html, _static
from ._bridge import Download, KeyBridge

ALL = "all"
AUTO_PROBES_LIMIT = 5_000  # notes; above this, probes are evaluated only when an Evaluator is given
VERDICT_STYLE = {"approve": "success", "reject": "danger", "edit": "warning"}
KEY_HINT = ("keys: <kbd>a</kbd> approve · <kbd>r</kbd> reject · <kbd>u</kbd> undo · "
            "<kbd>j</kbd>/<kbd>k</kbd> next / previous (click a card first)")
QUESTION_KEY_HINT = ("keys: <kbd>1</kbd> <kbd>2</kbd> <kbd>3</kbd> the answers in the card's order · <kbd>u</kbd> undo · "
                     "<kbd>j</kbd>/<kbd>k</kbd> next / previous (click a card first)")
SHORTCUTS = "arjku123456789"
VIEWS = (("Operations", "operations"), ("Questions", "questions"))


class OperationCard:
    """One operation: what it does and why, with approve / reject / edit / undo buttons."""

    def __init__(self, op: Operation, panel: ReviewPanel) -> None:
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
        self.approve_button.on_click(lambda _: self.panel._act(self, "approve"))
        self.reject_button.on_click(lambda _: self.panel._act(self, "reject"))
        self.edit_button.on_click(lambda _: self.panel._act(self, "edit"))
        self.undo_button.on_click(lambda _: self.panel._act(self, "undo"))
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

    def __init__(self, question: Question, panel: ReviewPanel) -> None:
        self.question = question
        self.panel = panel
        self.body = w.HTML()
        self.buttons: dict[str, w.Button] = {}
        for number, choice in enumerate(question.choices, start=1):
            button = w.Button(description=f"{number} · {choice.label}", layout=w.Layout(width="auto"),
                              tooltip=f"key {number}: {views.choice_effect(choice)}")
            button.on_click(lambda _, key=choice.key: self.panel._answer(self, key))
            self.buttons[choice.key] = button
        self.undo_button = w.Button(description="Undo", icon="undo", layout=w.Layout(width="auto"),
                                    tooltip="take the answer back: open again")
        self.undo_button.on_click(lambda _: self.panel._unanswer(self))
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
        panel = self.panel
        corpus = panel.analysis.corpus if panel.analysis is not None else None
        return views.question_card(self.question, panel.review, corpus)

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


class ExportBox:
    """What the export will write, a folder field, an Export button, and a download of the written snapshot."""

    def __init__(self, panel: ReviewPanel, folder: str | None = None, base: str | Path | None = None) -> None:
        self.panel = panel
        self.base = Path(base) if base is not None else project_dir()
        self.folder = w.Text(value=folder or "", description="folder", layout=w.Layout(width="420px"),
                             style={"description_width": "50px"}, continuous_update=False)
        self.format = w.Dropdown(options=list(FORMATS), value="dir", description="format",
                                 layout=w.Layout(width="160px"), style={"description_width": "50px"})
        self.force = w.Checkbox(value=False, description="replace if it exists", indent=False,
                                layout=w.Layout(width="auto"))
        self.allow_large = w.Checkbox(value=False, description="allow a change above the guardrail caps",
                                      indent=False, layout=w.Layout(width="auto"))
        self.button = w.Button(description="Export snapshot", icon="download", button_style="primary",
                               layout=w.Layout(width="auto"))
        self.target = w.HTML()
        self.preview = w.HTML()
        self.sankey = _static.figure_output()
        self.result = w.HTML()
        self.download = Download(label="Download the snapshot")
        self.snapshot: Snapshot | None = None
        self.button.on_click(lambda _: self.export())
        self.folder.observe(lambda _: self._show_target(), "value")
        self.format.observe(lambda _: self._show_target(), "value")
        self.widget = w.VBox([w.HBox([self.folder, self.format, self.button]), self.target,
                              w.HBox([self.force, self.allow_large]), self.result, self.download])
        self._show_target()

    def path(self) -> Path:
        """Where the snapshot goes: the folder typed, or the default; a relative one is taken from the project folder
        (where `workbench lab` / `workbench app` was started, else the kernel's working folder)."""
        folder = Path(self.folder.value.strip() or self.default_folder()).expanduser()
        if not folder.is_absolute() and self.base is not None:
            folder = self.base / folder
        return folder.resolve()

    def export(self) -> Snapshot | None:
        """Write the snapshot; the path (or why not) is shown below the button, and it can be downloaded."""
        review = self.panel.review
        try:
            self.snapshot = export_snapshot(self.panel.store, review.plan, review, self.path(),
                                            format=self.format.value, force=self.force.value,
                                            allow_large_change=self.allow_large.value)
        except WorkbenchError as exc:
            self.result.value = _html.notice(f"<b>Not exported:</b> {_html.esc(exc)}", "error")
            return None
        snap = self.snapshot
        out = snap.manifest["output"]
        warnings = "".join(f"<div>⚠ {_html.esc(x)}</div>" for x in snap.warnings)
        answered = sum(1 for entry in snap.manifest["operations"] if entry.get("question"))
        self.result.value = _html.notice(
            f"Snapshot written to <code>{_html.esc(Path(snap.path).resolve())}</code> — {out['memories']:,} memories, "
            f"{out['notes']:,} notes; {snap.manifest['review']['approve'] + snap.manifest['review']['edit']:,} "
            f"approved operations applied" + (f", and {answered:,} of answered questions" if answered else "")
            + f".{warnings}", "warn" if snap.warnings else "ok")
        name, data = snapshot_archive(snap.path, snap.format)
        self.download.filename, self.download.data = name, data
        self._show_target()
        return snap

    def default_folder(self) -> str:
        return f"snapshots/dream-{plan_digest(self.panel.review.plan)[:10]}"

    def refresh(self) -> ExportBox:
        """Describe exactly what an export writes now: the applied store, its operations, the fates."""
        review = self.panel.review
        self.folder.placeholder = self.default_folder()
        try:
            preview = views.export_preview(self.panel.store, review.plan, review)
        except WorkbenchError as exc:
            self.preview.value = _html.notice(f"Cannot preview the export: {_html.esc(exc)}", "error")
            return self
        self.last_preview = preview
        kinds = ", ".join(f"{n:,} {k}" for k, n in preview.applied.items()) or "none"
        self.preview.value = (
            '<div class="wb-small"><b>The snapshot will hold</b> '
            f"<b>{preview.memories:,}</b> memories with <b>{preview.notes:,}</b> notes "
            f"(from {preview.memories_in:,} memories, {preview.notes_in:,} notes): "
            f"{preview.operations:,} approved operations applied ({_html.esc(kinds)})"
            + (f", {preview.answered:,} of them from answered questions" if preview.answered else "") + "; "
            f"{preview.pending:,} pending and {preview.rejected:,} rejected are not applied"
            + (f"; {preview.blocked:,} approved but blocked are not applied" if preview.blocked else "")
            + (f"; {review.counts()['questions'] - preview.answers:,} unanswered questions change nothing"
               if review.plan.questions else "")
            + ".</div>")
        _static.show(self.sankey, plots.fate_sankey(preview.plan, title="Fates of the notes in the snapshot "
                                                                      "(approved operations only)"))
        self._show_target()
        return self

    def _show_target(self) -> None:
        try:
            path = self.path()
        except (OSError, RuntimeError, ValueError) as exc:
            self.target.value = _html.notice(f"Cannot use this folder: {_html.esc(exc)}", "error")
            return
        exists = " (exists: tick “replace if it exists”)" if path.exists() else ""
        self.target.value = (f'<div class="wb-small wb-muted">will be written to <code>{_html.esc(path)}</code>'
                             f"{_html.esc(exists)}</div>")


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
        self.cards: dict[str, OperationCard] = {}
        self.current: str | None = None  # the card the keys act on
        self.question_cards: dict[str, QuestionCard] = {}
        self.current_question: str | None = None  # the question card the keys act on
        self.question_page = 0
        self.error = w.HTML()
        self._store = store
        self._review = review
        self.page = 0

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
        self.prev_button = w.Button(icon="chevron-left", layout=w.Layout(width="36px"))
        self.next_button = w.Button(icon="chevron-right", layout=w.Layout(width="36px"))
        self.page_label = w.HTML()
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
        self.question_status = w.HTML()
        self.questions_note = w.HTML()
        self.questions_box = w.VBox()
        self.labels_download = Download(label="Download the labels", empty="Download the labels (decide first)",
                                        mime="application/x-ndjson", filename="labels.jsonl")
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
        bar = w.HBox([self.checks, self.prev_button, self.page_label, self.next_button, self.keys],
                     layout=w.Layout(align_items="center", flex_flow="row wrap"))
        bulk = w.HBox([self.approve_group, self.reject_group, self.approve_all, self.reject_all],
                      layout=w.Layout(flex_flow="row wrap"))
        auto = w.HBox([w.HTML("<b>Mode</b>&nbsp;"), self.mode, self.confidence, self.auto_button,
                       self.allow_regressions],
                      layout=w.Layout(align_items="center", flex_flow="row wrap"))
        self.filters = filters
        self.questions_section = w.VBox([self.questions_note, self.labels_download, self.questions_box],
                                        layout=w.Layout(display="none"))
        views_row = w.HBox([w.HTML("<b>Show</b>&nbsp;"), self.view, self.question_status],
                           layout=w.Layout(align_items="center", flex_flow="row wrap"))
        self.export_section = w.VBox([w.HTML("<b>Export</b>"), self.export_box.preview, self.export_box.widget])
        self.widget = w.VBox([w.HTML(_html.CSS), self.drift, self.drift_button, self.notice, self.summary, auto,
                              bulk, views_row, filters, bar, self.error,
                              self.cards_box, self.questions_section, self.export_section], layout=w.Layout(width="100%"))
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
            ids = [q.id for q in self.questions()]
            self.question_page = ids.index(op_id) // self.page_size
            self.current_question = op_id
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
        return views.ordered_questions(self.review.plan)

    def refresh(self) -> ReviewPanel:
        """Redraw the cards on view and the summary (after decisions made elsewhere)."""
        for card in self.cards.values():
            card.render()
        for card in self.question_cards.values():
            card.render()
        self._render_summary()
        return self

    def key(self, key: str) -> ReviewPanel:
        """What a key does: a approve (what the box shows), r reject, u undo, j / k next / previous card;
        with the questions shown: 1, 2, 3 … answer with the card's first, second, third … choice, u undo."""
        self.activate()
        if self.view.value == "questions":
            return self._question_key(key)
        if key not in "arjkue":
            return self
        ids = list(self.cards)
        if not ids:
            return self
        if self.current not in self.cards:
            self.current = ids[0]
        card = self.cards[self.current]
        if key in "arue":
            self._act(card, {"a": "approve", "r": "reject", "u": "undo", "e": "edit"}[key])
            if key in "ar" and self.current in self.cards:
                self._move(+1)
        elif key in "jk":
            self._move(+1 if key == "j" else -1)
        return self

    def _question_key(self, key: str) -> ReviewPanel:
        ids = list(self.question_cards)
        if not ids:
            return self
        if self.current_question not in self.question_cards:
            self.current_question = ids[0]
        card = self.question_cards[self.current_question]
        if key.isdigit() and 1 <= int(key) <= len(card.question.choices):
            if self._answer(card, card.question.choices[int(key) - 1].key) and self.current_question in self.question_cards:
                self._move_question(+1)
        elif key == "u":
            self._unanswer(card)
        elif key in ("j", "k"):
            self._move_question(+1 if key == "j" else -1)
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
        self.page = 0
        self.current = None
        self.plan_report = None
        if self.evaluator is not None and plan.inputs.get("store_digest") in (None, self.evaluator.store.digest):
            self.plan_report = self.evaluator.report(plan)
        self.breaks_only.description = f"breaks probes ({len(self.breaks)})" if self.plan_report else "breaks probes"
        with self._quiet():
            self.group.options = [(f"all ({len(plan.operations)})", ALL)] + [
                (f"{reason} ({n})", reason) for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
            self.group.value = ALL
            self.rule.options = [(f"all ({len(plan.operations)})", ALL)] + [
                (f"{rule} ({n})", rule) for rule, n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))]
            self.rule.value = ALL
        self.export_box.folder.placeholder = self.export_box.default_folder()
        self.question_page = 0
        self.current_question = None
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
        self.questions_section.layout.display = "" if questions else "none"
        self.keys.hint = QUESTION_KEY_HINT if questions else KEY_HINT
        self.error.value = ""
        self._render_page()
        if not questions:
            self._render_questions()  # only the list on view holds cards

    def _turn(self, step: int) -> None:
        if self.view.value == "questions":
            pages = max(1, -(-len(self.review.plan.questions) // self.page_size))
            self.question_page = min(max(0, self.question_page + step), pages - 1)
            self.current_question = None
            self._render_questions()
            return
        pages = max(1, -(-len(self.operations()) // self.page_size))
        self.page = min(max(0, self.page + step), pages - 1)
        self.current = None
        self._render_page()

    def _move(self, step: int) -> None:
        ids = list(self.cards)
        at = ids.index(self.current) if self.current in ids else 0
        if 0 <= at + step < len(ids):
            self.current = ids[at + step]
            self._mark_current()
            return
        pages = max(1, -(-len(self.operations()) // self.page_size))
        if 0 <= self.page + step < pages:
            self.page += step
            self._render_page()
            ids = list(self.cards)
            self.current = ids[0] if step > 0 else ids[-1]
            self._mark_current()

    def _move_question(self, step: int) -> None:
        ids = list(self.question_cards)
        at = ids.index(self.current_question) if self.current_question in ids else 0
        if 0 <= at + step < len(ids):
            self.current_question = ids[at + step]
            self._mark_current()
            return
        pages = max(1, -(-len(self.review.plan.questions) // self.page_size))
        if 0 <= self.question_page + step < pages:
            self.question_page += step
            self._render_questions()
            ids = list(self.question_cards)
            self.current_question = ids[0] if step > 0 else ids[-1]
            self._mark_current()

    def _answer(self, card: QuestionCard, key: str) -> bool:
        """A choice's button (or digit key): `Review.answer`, then redraw; a refusal is said on the card."""
        self.current_question = card.question.id
        if self.review.answers().get(card.question.id) == key:
            card.message.value = ""
            return True
        try:
            self.review.answer(card.question.id, key)
        except WorkbenchError as exc:
            card.refuse(exc.message)
            self._mark_current()
            return False
        card.message.value = ""
        self._answered()
        return True

    def _unanswer(self, card: QuestionCard) -> None:
        self.current_question = card.question.id
        card.message.value = ""
        if card.question.id in self.review.current:
            undo(self.review, card.question.id)
            self._answered()

    def _answered(self) -> None:
        """After an answer or its undo: the question cards, the summary, the export; never the operations."""
        for card in self.question_cards.values():
            card.render()
        self._mark_current()
        self._render_summary()
        if self._export_visible:
            self.export_box.refresh()
        if self.on_change is not None:
            self.on_change(self.review)

    def _pending_shown(self) -> list[str]:
        current = self.review.current
        return [op.id for op in self.operations() if op.id not in current]

    def _act(self, card: OperationCard, action: str) -> None:
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
        self._mark_current()
        self._render_summary()
        if self._export_visible:
            self.export_box.refresh()
        if self.on_change is not None:
            self.on_change(self.review)

    # -- drawing ----------------------------------------------------------------------------
    def activate(self) -> ReviewPanel:
        """Build the cards of a lazy panel (the Workbench does this when the Review tab is first opened)."""
        if not self.active:
            self.active = True
            self._render_page()
        return self

    def _render_questions(self) -> None:
        if not self.active or self.view.value != "questions":
            self.question_cards = {}
            self.questions_box.children = [w.HTML('<div class="wb-muted">…</div>')]
            return
        questions = self.questions()
        pages = max(1, -(-len(questions) // self.page_size))
        self.question_page = min(self.question_page, pages - 1)
        shown = questions[self.question_page * self.page_size:(self.question_page + 1) * self.page_size]
        self.question_cards = {q.id: QuestionCard(q, self) for q in shown}
        self.questions_box.children = [card.widget for card in self.question_cards.values()] or [
            w.HTML('<div class="wb-muted">This plan holds no questions: the rules decided every candidate '
                   "they found, or the focus asks none (questions_per_note=0).</div>")]
        self.page_label.value = (f'<span class="wb-small">&nbsp;page {self.question_page + 1} of {pages} · '
                                 f"{len(questions):,} questions, most valuable first&nbsp;</span>")
        self.prev_button.disabled = self.question_page == 0
        self.next_button.disabled = self.question_page >= pages - 1
        if self.current_question not in self.question_cards:
            self.current_question = next(iter(self.question_cards), None)
        self._mark_current()

    def _render_page(self) -> None:
        if self.view.value == "questions":  # only the list on view holds cards
            self.cards = {}
            self.cards_box.children = []
            self._render_questions()
            return
        if not self.active:
            self.cards = {}
            self.cards_box.children = [w.HTML('<div class="wb-muted">…</div>')]
            return
        ops = self.operations()
        pages = max(1, -(-len(ops) // self.page_size))
        self.page = min(self.page, pages - 1)
        shown = ops[self.page * self.page_size:(self.page + 1) * self.page_size]
        self.cards = {op.id: OperationCard(op, self) for op in shown}
        self.cards_box.children = [card.widget for card in self.cards.values()] or [
            w.HTML('<div class="wb-muted">No operations match these filters.</div>')]
        total = len(self.review.plan.operations)
        of = f" of {total:,}" if len(ops) != total else ""
        self.page_label.value = (f'<span class="wb-small">&nbsp;page {self.page + 1} of {pages} · '
                                 f"{len(ops):,}{of} operations&nbsp;</span>")
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
        if self.current not in self.cards:
            self.current = next(iter(self.cards), None)
        self._mark_current()

    def _mark_current(self) -> None:
        for cards, current in ((self.cards, self.current), (self.question_cards, self.current_question)):
            for key, card in cards.items():
                if key == current:
                    card.widget.add_class("wb-current")
                else:
                    card.widget.remove_class("wb-current")

    def _render_summary(self) -> None:
        review = self.review
        counts = review.counts()
        radius = blast_radius(review.plan, review.approved_operations())
        suggestions = sum(1 for op in review.plan.operations if op.confidence < self.auto_bar)
        stat = _html.stats([("operations", counts["operations"], None), ("pending", counts["pending"], "#6e7781"),
                            ("approved", counts["approve"], "#1a7f37"), ("edited", counts["edit"], "#9a6700"),
                            ("rejected", counts["reject"], "#cf222e"), ("blocked", counts["blocked"], "#bc4c00"),
                            ("suggestions", suggestions, None),
                            ("questions answered", f"{counts['answered']:,} of {counts['questions']:,}", "#8250df"),
                            *self._evaluation_stats()])
        caps = review.guardrail
        lines = [f"approved change deletes {radius['deleted_share']:.0%} (cap {caps.max_deleted:.0%}) and rewrites "
                 f"{radius['rewritten_share']:.0%} (cap {caps.max_rewritten:.0%}) of {radius['notes']:,} notes · "
                 f"{suggestions:,} of {counts['operations']:,} operations are suggestions below the automatic bar "
                 f"{self.auto_bar:.2f}: a person decides them"]
        breaches = caps.breaches(radius)
        # bookkeeping (undos, carried decisions) starts with its time and is shown quietly; the rest is a warning
        messages = "".join(f'<div class="wb-small wb-muted">{_html.esc(m)}</div>' if m[:4].isdigit()
                           else _html.notice(_html.esc(m), "warn") for m in [*review.log[-3:], *breaches])
        blocked = review.blocked()
        blocked_html = "".join(f"<div class='wb-small'>⛔ <code>{_html.esc(k)}</code> {_html.esc(v)}</div>"
                               for k, v in list(blocked.items())[:10])
        asked = views.question_summary(review.plan, review)
        lines.append(f"{asked.line}; {views.NEVER_AUTOMATIC}" if asked.questions else
                     f"no questions in this plan{f' ({asked.found:,} found beyond the budget)' if asked.found else ''}")
        self.summary.value = (f'<div style="display:flex;gap:4px;flex-wrap:wrap">{stat}</div>'
                              f'<div class="wb-small wb-muted" style="margin:4px 0">{_html.esc(lines[0])}</div>'
                              f'<div class="wb-small wb-muted" style="margin:4px 0">{_html.esc(lines[1])}</div>'
                              f"{messages}{blocked_html}")
        self._render_question_status(asked)

    def _render_question_status(self, asked: views.QuestionSummary) -> None:
        review = self.review
        self.question_status.value = f'<span class="wb-small">&nbsp;{_html.esc(asked.line)}</span>'
        more = f'<div class="wb-small">{_html.esc(asked.more)}</div>' if asked.more else ""
        self.questions_note.value = (
            f'<div class="wb-small wb-muted">What the rules left undecided, most valuable first: answer with a '
            f"button or a digit key. {_html.esc(views.NEVER_AUTOMATIC[0].upper() + views.NEVER_AUTOMATIC[1:])}; "
            "an answer applies only its own change. Your answers and decisions are labels of the rules: "
            "<code>wb.review.save_labels(\"labels.jsonl\")</code> writes them (JSONL, for "
            "<code>python -m benchmarks calibration</code>), or download them here.</div>" + more)
        self.labels_download.filename = f"labels-{plan_digest(review.plan)[:10]}.jsonl"
        self.labels_download.data = review.labels_jsonl().encode("utf-8")

    def current_report(self) -> Report | None:
        """Probes answered and tokens before and after the current decisions (no attribution)."""
        if self.plan_report is None:
            return None
        return self.evaluator.report(self.review.plan, self.review, attribute=False)

    def _evaluation_stats(self) -> list[tuple[str, str, str | None]]:
        report = self.current_report()
        if report is None:
            return []
        s = report.summary()
        lost = "#cf222e" if s["answered_after"] < s["answered_before"] else "#1a7f37"
        dropped = "#cf222e" if s["retrieved_after"] < s["retrieved_before"] else "#1a7f37"
        return [("answered before", f"{s['answered_before']:,}/{s['probes']:,}", None),
                ("answered after", f"{s['answered_after']:,}/{s['probes']:,}", lost),
                ("evidence retrieved", f"{s['retrieved_before']:,} → {s['retrieved_after']:,}", dropped),
                ("tokens before", f"{s['tokens_before']:,}", None), ("tokens after", f"{s['tokens_after']:,}", "#1f77b4")]

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
