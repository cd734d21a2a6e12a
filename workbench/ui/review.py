"""Dream review: operations grouped by reason, approve / reject / edit each or in bulk, then export.

    panel = ReviewPanel(Review(plan), analysis=analysis)   # probes generated from the store
    panel.cards[op_id].approve_button.click()
    panel.review.counts()

With probes (an `Evaluator`), every card lists the probes its operation breaks, a filter shows only
those operations, automatic approval skips them unless allowed, and the header shows the probes
answered and the tokens before and after the current decisions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import ipywidgets as w

from .. import views
from ..analysis import Analysis
from ..dream.plan import Operation
from ..errors import WorkbenchError
from ..evaluate import WHY, Evaluator, ProbeResult, Report
from ..export import FORMATS, Snapshot, export_snapshot
from ..records import Store
from ..review import AUTO_BAR, Review, blast_radius, plan_digest
from . import _html

ALL = "all"
AUTO_PROBES_LIMIT = 5_000  # notes; above this, probes are evaluated only when an Evaluator is given
VERDICT_STYLE = {"approve": "success", "reject": "danger", "edit": "warning"}


class OperationCard:
    """One operation: what it does and why, with approve / reject / edit buttons."""

    def __init__(self, op: Operation, panel: ReviewPanel) -> None:
        self.op = op
        self.panel = panel
        self.body = w.HTML()
        self.approve_button = w.Button(description="Approve", icon="check", layout=w.Layout(width="110px"))
        self.reject_button = w.Button(description="Reject", icon="times", layout=w.Layout(width="100px"))
        self.edit_button = w.Button(description="Save edit", icon="pencil", layout=w.Layout(width="110px"),
                                    disabled=op.result is None, tooltip="approve with the text below instead")
        self.edit_text = w.Textarea(value=op.result.text if op.result else "", rows=2,
                                    layout=w.Layout(width="100%", display="none" if op.result is None else ""))
        self.approve_button.on_click(lambda _: self.panel._decided(self.panel.review.approve(op.id)))
        self.reject_button.on_click(lambda _: self.panel._decided(self.panel.review.reject(op.id)))
        self.edit_button.on_click(lambda _: self.panel._decided(self.panel.review.edit(op.id, self.edit_text.value)))
        buttons = w.HBox([self.approve_button, self.reject_button, self.edit_button])
        self.widget = w.VBox([self.body, self.edit_text, buttons],
                             layout=w.Layout(border="1px solid #d0d7de", padding="6px 10px", margin="4px 0"))
        self.render()

    def render(self) -> None:
        review = self.panel.review
        decision = review.current.get(self.op.id)
        verdict = decision.verdict if decision else "pending"
        edited = decision.content if decision is not None and decision.verdict == "edit" else None
        blocked = review.blocked().get(self.op.id)
        self.body.value = _html.operation(
            self.op, session_titles=self.panel.session_titles, decision=verdict,
            documents=views.operation_documents(review.plan, self.op, edited), edited=edited,
        ) + (_html.notice(f"Blocked: {_html.esc(blocked)}", "warn") if blocked else "") \
            + broken_probes_html(self.panel.broken_by(self.op.id))
        for button, name in ((self.approve_button, "approve"), (self.reject_button, "reject"),
                             (self.edit_button, "edit")):
            button.button_style = VERDICT_STYLE[name] if verdict == name else ""
        self.widget.layout.border_left = f"4px solid {_html.VERDICT_COLORS.get(verdict, '#d0d7de')}"


def broken_probes_html(results: list[ProbeResult], limit: int = 5) -> str:
    """The probes an operation breaks: question, expected answer and why (empty when none)."""
    if not results:
        return ""
    items = "".join(
        f"<li>{_html.esc(views.short_title(r.probe.question, 120))}"
        + (f' <span class="wb-muted">→ {_html.esc(" | ".join(r.probe.answers))}</span>' if r.probe.answers else "")
        + f' <span class="wb-muted" title="{_html.esc(WHY.get(r.why, ""))}">({_html.esc(r.why)})</span></li>'
        for r in results[:limit])
    more = f"<li class='wb-muted'>… and {len(results) - limit} more</li>" if len(results) > limit else ""
    return _html.notice(f"<b>Breaks {len(results)} probe{'s' if len(results) != 1 else ''}</b>"
                        f'<ul style="margin:2px 0 0 18px;padding:0">{items}{more}</ul>', "warn")


class ExportBox:
    """A folder field and an Export button that writes a snapshot of the approved result."""

    def __init__(self, panel: ReviewPanel, folder: str | None = None) -> None:
        self.panel = panel
        self.folder = w.Text(value=folder or "", description="folder", layout=w.Layout(width="420px"),
                             style={"description_width": "50px"})
        self.format = w.Dropdown(options=list(FORMATS), value="dir", description="format",
                                 layout=w.Layout(width="160px"), style={"description_width": "50px"})
        self.force = w.Checkbox(value=False, description="replace if it exists", indent=False,
                                layout=w.Layout(width="auto"))
        self.allow_large = w.Checkbox(value=False, description="allow a change above the guardrail caps",
                                      indent=False, layout=w.Layout(width="auto"))
        self.button = w.Button(description="Export snapshot", icon="download", button_style="primary",
                               layout=w.Layout(width="auto"))
        self.result = w.HTML()
        self.snapshot: Snapshot | None = None
        self.button.on_click(lambda _: self.export())
        self.widget = w.VBox([w.HBox([self.folder, self.format, self.button]),
                              w.HBox([self.force, self.allow_large]), self.result])

    def export(self) -> Snapshot | None:
        """Write the snapshot; the path (or why not) is shown below the button."""
        review = self.panel.review
        folder = self.folder.value.strip() or self.default_folder()
        try:
            self.snapshot = export_snapshot(self.panel.store, review.plan, review, folder, format=self.format.value,
                                            force=self.force.value, allow_large_change=self.allow_large.value)
        except WorkbenchError as exc:
            self.result.value = _html.notice(f"<b>Not exported:</b> {_html.esc(exc)}", "error")
            return None
        snap = self.snapshot
        out = snap.manifest["output"]
        warnings = "".join(f"<div>⚠ {_html.esc(x)}</div>" for x in snap.warnings)
        self.result.value = _html.notice(
            f"Snapshot written to <code>{_html.esc(Path(snap.path).resolve())}</code> — {out['memories']:,} memories, "
            f"{out['notes']:,} notes; {snap.manifest['review']['approve'] + snap.manifest['review']['edit']:,} "
            f"approved operations applied.{warnings}", "warn" if snap.warnings else "ok")
        return snap

    def default_folder(self) -> str:
        return f"snapshots/dream-{plan_digest(self.panel.review.plan)[:10]}"


class ReviewPanel:
    """Operations grouped by reason, paged; per-operation and bulk decisions; automatic mode; summary."""

    def __init__(self, review: Review, *, store: Store | None = None, analysis: Analysis | None = None,
                 page_size: int = 8, on_change: Callable[[Review], None] | None = None,
                 folder: str | None = None, evaluator: Evaluator | None = None, probes: bool = True) -> None:
        self.analysis = analysis
        if evaluator is None and probes and analysis is not None and len(analysis.note_ids) <= AUTO_PROBES_LIMIT:
            evaluator = Evaluator(analysis)  # one generated probe per note that states a value
        self.evaluator = evaluator
        self.plan_report: Report | None = None  # every operation applied: what each one breaks
        self.page_size = page_size
        self.on_change = on_change
        self.cards: dict[str, OperationCard] = {}
        self._store = store
        self._review = review
        self.page = 0

        self.group = w.Dropdown(description="reason", layout=w.Layout(width="260px"),
                                style={"description_width": "50px"})
        self.pending_only = w.Checkbox(value=False, description="pending only", indent=False,
                                       layout=w.Layout(width="auto"))
        self.breaks_only = w.Checkbox(value=False, description="breaks probes", indent=False,
                                      layout=w.Layout(width="auto"), disabled=evaluator is None)
        self.allow_regressions = w.Checkbox(value=False, description="also operations that break probes",
                                            indent=False, disabled=True, layout=w.Layout(width="auto"))
        self.prev_button = w.Button(icon="chevron-left", layout=w.Layout(width="36px"))
        self.next_button = w.Button(icon="chevron-right", layout=w.Layout(width="36px"))
        self.page_label = w.HTML()
        self.approve_group = w.Button(description="Approve group", icon="check-circle", button_style="success",
                                      layout=w.Layout(width="auto"))
        self.reject_group = w.Button(description="Reject group", icon="times-circle", button_style="danger",
                                     layout=w.Layout(width="auto"))
        self.approve_all = w.Button(description="Approve all pending", icon="check-square", layout=w.Layout(width="auto"))
        self.reject_all = w.Button(description="Reject all pending", icon="minus-square", layout=w.Layout(width="auto"))
        self.mode = w.ToggleButtons(options=["manual", "automatic"], value="manual", style={"button_width": "90px"})
        self.confidence = w.FloatSlider(value=AUTO_BAR, min=0.0, max=1.0, step=0.01, description="min confidence",
                                        readout_format=".2f", disabled=True, style={"description_width": "100px"},
                                        layout=w.Layout(width="360px"))
        self.auto_button = w.Button(description="Approve at or above the bar", icon="magic", disabled=True,
                                    layout=w.Layout(width="auto"))
        self.summary = w.HTML()
        self.cards_box = w.VBox()
        self.export_box = ExportBox(self, folder)

        self.group.observe(self._on_group, "value")
        self.pending_only.observe(self._on_group, "value")
        self.breaks_only.observe(self._on_group, "value")
        self.prev_button.on_click(lambda _: self._turn(-1))
        self.next_button.on_click(lambda _: self._turn(+1))
        self.approve_group.on_click(lambda _: self._decided(self.review.approve(*self._pending_in_group())))
        self.reject_group.on_click(lambda _: self._decided(self.review.reject(*self._pending_in_group())))
        self.approve_all.on_click(lambda _: self._decided(self.review.approve_all()))
        self.reject_all.on_click(lambda _: self._decided(self.review.reject(*self.review.pending)))
        self.mode.observe(self._on_mode, "value")
        self.auto_button.on_click(lambda _: self._decided(self.review.auto(
            min_confidence=self.confidence.value, breaks=self.breaks, allow_regressions=self.allow_regressions.value)))

        bar = w.HBox([self.group, self.pending_only, self.breaks_only, self.prev_button, self.page_label,
                      self.next_button],
                     layout=w.Layout(align_items="center", flex_flow="row wrap"))
        bulk = w.HBox([self.approve_group, self.reject_group, self.approve_all, self.reject_all],
                      layout=w.Layout(flex_flow="row wrap"))
        auto = w.HBox([w.HTML("<b>Mode</b>&nbsp;"), self.mode, self.confidence, self.auto_button,
                       self.allow_regressions],
                      layout=w.Layout(align_items="center", flex_flow="row wrap"))
        self.widget = w.VBox([w.HTML(_html.CSS), self.summary, auto, bulk, bar, self.cards_box,
                              w.HTML("<b>Export</b>"), self.export_box.widget], layout=w.Layout(width="100%"))
        self.widget.add_class("wb-root")
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

    def operations(self) -> list[Operation]:
        """The operations on view: the chosen reason group (only pending ones, only those that break probes, when ticked)."""
        group = self.group.value
        ops = [op for op in self.review.plan.operations if group in (ALL, None) or op.reason == group]
        rank = {reason: i for i, (_, reason) in enumerate(self.group.options)}
        ops.sort(key=lambda op: rank.get(op.reason, len(rank)))  # grouped by reason, plan order within
        if self.pending_only.value:
            current = self.review.current
            ops = [op for op in ops if op.id not in current]
        if self.breaks_only.value:
            breaks = self.breaks
            ops = [op for op in ops if op.id in breaks]
        return ops

    def show(self, op_id: str) -> ReviewPanel:
        """Turn to the page that holds an operation."""
        op = self.review.plan.by_id[op_id]
        if op not in self.operations():
            self.pending_only.value = False
            self.breaks_only.value = False
            self.group.value = op.reason
        self.page = self.operations().index(op) // self.page_size
        self._render_page()
        return self

    def refresh(self) -> ReviewPanel:
        """Redraw the cards on view and the summary (after decisions made elsewhere)."""
        for card in self.cards.values():
            card.render()
        self._render_summary()
        return self

    # -- events ------------------------------------------------------------------------------
    def _reset(self) -> None:
        counts = Counter(op.reason for op in self._review.plan.operations)
        options = [(f"all ({len(self._review.plan.operations)})", ALL)]
        options += [(f"{reason} ({n})", reason) for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        self.page = 0
        self.plan_report = None
        if self.evaluator is not None and self._review.plan.inputs.get("store_digest") in (None, self.evaluator.store.digest):
            self.plan_report = self.evaluator.report(self._review.plan)
        self.breaks_only.description = f"breaks probes ({len(self.breaks)})" if self.plan_report else "breaks probes"
        self.group.options = options
        self.group.value = ALL
        self.export_box.folder.placeholder = self.export_box.default_folder()
        self._render_page()
        self._render_summary()

    def _on_group(self, change) -> None:
        self.page = 0
        self._render_page()

    def _on_mode(self, change) -> None:
        automatic = change["new"] == "automatic"
        self.confidence.disabled = not automatic
        self.auto_button.disabled = not automatic
        self.allow_regressions.disabled = not automatic or self.plan_report is None

    def _turn(self, step: int) -> None:
        pages = max(1, -(-len(self.operations()) // self.page_size))
        self.page = min(max(0, self.page + step), pages - 1)
        self._render_page()

    def _pending_in_group(self) -> list[str]:
        current = self.review.current
        return [op.id for op in self.operations() if op.id not in current]

    def _decided(self, _result) -> None:
        if self.pending_only.value:
            self._render_page()
        else:
            for card in self.cards.values():
                card.render()
        self._render_summary()
        if self.on_change is not None:
            self.on_change(self.review)

    # -- drawing ----------------------------------------------------------------------------
    def _render_page(self) -> None:
        ops = self.operations()
        pages = max(1, -(-len(ops) // self.page_size))
        self.page = min(self.page, pages - 1)
        shown = ops[self.page * self.page_size:(self.page + 1) * self.page_size]
        self.cards = {op.id: OperationCard(op, self) for op in shown}
        self.cards_box.children = [card.widget for card in self.cards.values()] or [
            w.HTML('<div class="wb-muted">No operations here.</div>')]
        self.page_label.value = f'<span class="wb-small">&nbsp;page {self.page + 1} of {pages} · {len(ops):,} operations&nbsp;</span>'
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1

    def _render_summary(self) -> None:
        review = self.review
        counts = review.counts()
        radius = blast_radius(review.plan, review.approved_operations())
        stat = _html.stats([("operations", counts["operations"], None), ("pending", counts["pending"], "#6e7781"),
                            ("approved", counts["approve"], "#1a7f37"), ("edited", counts["edit"], "#9a6700"),
                            ("rejected", counts["reject"], "#cf222e"), ("blocked", counts["blocked"], "#bc4c00"),
                            *self._evaluation_stats()])
        caps = review.guardrail
        lines = [f"approved change deletes {radius['deleted_share']:.0%} (cap {caps.max_deleted:.0%}) and rewrites "
                 f"{radius['rewritten_share']:.0%} (cap {caps.max_rewritten:.0%}) of {radius['notes']:,} notes"]
        breaches = caps.breaches(radius)
        messages = "".join(_html.notice(_html.esc(m), "warn") for m in [*review.log[-3:], *breaches])
        blocked = review.blocked()
        blocked_html = "".join(f"<div class='wb-small'>⛔ <code>{_html.esc(k)}</code> {_html.esc(v)}</div>"
                               for k, v in list(blocked.items())[:10])
        self.summary.value = (f'<div style="display:flex;gap:4px;flex-wrap:wrap">{stat}</div>'
                              f'<div class="wb-small wb-muted" style="margin:4px 0">{_html.esc(lines[0])}</div>'
                              f"{messages}{blocked_html}")

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
        return [("answered before", f"{s['answered_before']:,}/{s['probes']:,}", None),
                ("answered after", f"{s['answered_after']:,}/{s['probes']:,}", lost),
                ("tokens before", f"{s['tokens_before']:,}", None), ("tokens after", f"{s['tokens_after']:,}", "#1f77b4")]

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
