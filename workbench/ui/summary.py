"""The review panel's header: counts of the decisions, the approved change against the guardrail caps, the
suggestions, the questions answered, the probes and tokens, the last log lines and what is blocked. No widgets."""

from __future__ import annotations

from .. import views
from ..evaluate import Report
from ..review import Review, blast_radius
from . import _html

Stat = tuple[str, int | str, str | None]  # label, value, color


def review_summary_html(review: Review, auto_bar: float, report: Report | None,
                        asked: views.QuestionSummary) -> str:
    """The header as HTML: the stats, two lines of context, then the messages and the blocked operations."""
    counts = review.counts()
    radius = blast_radius(review.plan, review.approved_operations())
    suggestions = sum(1 for op in review.plan.operations if op.confidence < auto_bar)
    stats = [("operations", counts["operations"], None), ("pending", counts["pending"], "#6e7781"),
             ("approved", counts["approve"], "#1a7f37"), ("edited", counts["edit"], "#9a6700"),
             ("rejected", counts["reject"], "#cf222e"), ("blocked", counts["blocked"], "#bc4c00"),
             ("suggestions", suggestions, None),
             ("questions answered", f"{counts['answered']:,} of {counts['questions']:,}", "#8250df"),
             *evaluation_stats(report)]
    caps = review.guardrail
    lines = [f"approved change deletes {radius['deleted_share']:.0%} (cap {caps.max_deleted:.0%}) and rewrites "
             f"{radius['rewritten_share']:.0%} (cap {caps.max_rewritten:.0%}) of {radius['notes']:,} notes · "
             f"{suggestions:,} of {counts['operations']:,} operations are suggestions below the automatic bar "
             f"{auto_bar:.2f}: a person decides them", questions_line(asked)]
    context = "".join(f'<div class="wb-small wb-muted" style="margin:4px 0">{_html.esc(line)}</div>' for line in lines)
    return (f'<div style="display:flex;gap:4px;flex-wrap:wrap">{_html.stats(stats)}</div>{context}'
            f"{messages_html([*review.log[-3:], *caps.breaches(radius)])}{blocked_html(review.blocked())}")


def questions_line(asked: views.QuestionSummary) -> str:
    if asked.questions:
        return f"{asked.line}; {views.NEVER_AUTOMATIC}"
    return f"no questions in this plan{f' ({asked.found:,} found beyond the budget)' if asked.found else ''}"


def messages_html(messages: list[str]) -> str:
    """Bookkeeping (undos, carried decisions) starts with its time and is shown quietly; the rest is a warning."""
    return "".join(f'<div class="wb-small wb-muted">{_html.esc(m)}</div>' if m[:4].isdigit()
                   else _html.notice(_html.esc(m), "warn") for m in messages)


def blocked_html(blocked: dict[str, str], limit: int = 10) -> str:
    return "".join(f"<div class='wb-small'>⛔ <code>{_html.esc(k)}</code> {_html.esc(v)}</div>"
                   for k, v in list(blocked.items())[:limit])


def evaluation_stats(report: Report | None) -> list[Stat]:
    """Probes answered, evidence retrieved and tokens, before and after the decisions (none without probes)."""
    if report is None:
        return []
    s = report.summary()
    lost = "#cf222e" if s["answered_after"] < s["answered_before"] else "#1a7f37"
    dropped = "#cf222e" if s["retrieved_after"] < s["retrieved_before"] else "#1a7f37"
    return [("answered before", f"{s['answered_before']:,}/{s['probes']:,}", None),
            ("answered after", f"{s['answered_after']:,}/{s['probes']:,}", lost),
            ("evidence retrieved", f"{s['retrieved_before']:,} → {s['retrieved_after']:,}", dropped),
            ("tokens before", f"{s['tokens_before']:,}", None), ("tokens after", f"{s['tokens_after']:,}", "#1f77b4")]
