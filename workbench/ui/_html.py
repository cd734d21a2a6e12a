"""HTML fragments for the widgets: escaped text in a few consistent shapes (no state, no widgets)."""

from __future__ import annotations

import html
import numbers
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from ..plots import FATE_COLORS, Coloring, diff_html
from ..views import NoteContext, cut_words, operation_texts, short_title

KIND_FATE = {"merge": "merged", "update": "updated", "delete": "pruned", "create": "created"}
VERDICT_COLORS = {"approve": "#1a7f37", "reject": "#cf222e", "edit": "#9a6700", "pending": "#6e7781",
                  "answered": "#1a7f37", "open": "#6e7781"}
QUESTION_COLORS = {"duplicate": FATE_COLORS["merged"], "conflict": "#cf222e", "stale": FATE_COLORS["pruned"],
                   "insight": FATE_COLORS["created"]}

CSS = """<style>
.wb-root{--wb-fg:var(--jp-ui-font-color1,#1f2328);--wb-muted:var(--jp-ui-font-color2,#57606a);--wb-border:var(--jp-border-color1,#d0d7de);--wb-border-soft:var(--jp-border-color2,#eaeef2);--wb-card:var(--jp-layout-color1,#ffffff);--wb-head:var(--jp-layout-color2,#f6f8fa);--wb-link:var(--jp-content-link-color,#0969da);font-family:Inter,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px;color:var(--wb-fg);line-height:1.45}
.wb-root .widget-label,.wb-root .widget-html-content,.wb-root button,.wb-root input,.wb-root textarea,.wb-root select{font-family:inherit;font-size:13px}
.wb-root .widget-html-content{color:var(--wb-fg)}
.wb-header{display:flex;align-items:center;gap:6px 18px;flex-wrap:wrap;padding:6px 2px 10px;border-bottom:1px solid var(--wb-border);margin-bottom:6px}
.wb-title{flex:0 0 auto;font-size:17px;font-weight:650;letter-spacing:-.01em;white-space:nowrap}
.wb-source{display:block;max-width:340px;overflow:hidden;text-overflow:ellipsis;font-size:11.5px;font-weight:400;letter-spacing:0;color:var(--wb-muted)}
.wb-stats{display:flex;flex:1 1 480px;flex-wrap:wrap;gap:6px 4px;min-width:0}
.wb-stat{display:inline-flex;flex:0 0 auto;flex-direction:column;align-items:flex-start;padding:1px 9px;border-left:3px solid var(--wb-border);white-space:nowrap}
.wb-stat b{font-size:16px;font-variant-numeric:tabular-nums}.wb-stat span{font-size:10.5px;color:var(--wb-muted);text-transform:uppercase;letter-spacing:.03em}
.wb-badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:11.5px;font-weight:600;color:white;line-height:18px;white-space:nowrap}
.wb-badge.outline{color:var(--wb-fg);background:transparent!important;border:1px dashed var(--wb-muted);font-weight:500}
.wb-muted{color:var(--wb-muted)}.wb-small{font-size:12px}
.wb-notice{padding:8px 12px;border-radius:6px;margin:4px 0;color:var(--wb-fg)}
.wb-notice.info{background:rgba(84,174,255,.14);border:1px solid rgba(84,174,255,.45)}.wb-notice.warn{background:rgba(212,167,44,.16);border:1px solid rgba(212,167,44,.55)}
.wb-notice.error{background:rgba(255,129,130,.16);border:1px solid rgba(255,129,130,.55)}.wb-notice.ok{background:rgba(74,194,107,.15);border:1px solid rgba(74,194,107,.5)}
.wb-table{border-collapse:collapse;width:100%;font-size:12.5px;color:var(--wb-fg)}
.wb-table th{position:sticky;top:0;background:var(--wb-head);color:var(--wb-fg);text-align:left;font-weight:600;padding:4px 8px;border-bottom:1px solid var(--wb-border)}
.wb-table td{padding:4px 8px;border-bottom:1px solid var(--wb-border-soft);vertical-align:top;max-width:240px;overflow-wrap:anywhere}
.wb-table tr:hover td{background:var(--wb-head)}
.wb-table td.num{white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums}
.wb-table td.c-index{min-width:120px}.wb-table td.c-path{min-width:140px}.wb-table td.c-cluster{min-width:90px}
.wb-table td.text{min-width:280px;max-width:560px;white-space:pre-line;overflow-wrap:break-word}
.wb-table [title]{cursor:help}.wb-table span.count[title]{border-bottom:1px dotted var(--wb-muted)}
.wb-root .jupyter-button{min-width:fit-content}
.wb-scroll{max-height:420px;overflow:auto;border:1px solid var(--wb-border);border-radius:6px}
.wb-card{border:1px solid var(--wb-border);border-radius:8px;padding:8px 12px;margin:6px 0;background:var(--wb-card);color:var(--wb-fg)}
.wb-card h4{margin:0 0 4px;font-size:13px;font-weight:600}
.wb-card .quote,.wb-root .quote{border-left:3px solid var(--wb-border);padding:2px 8px;margin:3px 0;color:var(--wb-fg);white-space:pre-wrap}
.wb-card ul{margin:2px 0 2px 18px;padding:0}
.wb-swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px;vertical-align:middle}
.wb-legend{font-size:12px;color:var(--wb-fg);line-height:20px}
.wb-op-head{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.wb-changes li{margin:2px 0}
details.wb-details summary,details.wb-more summary{cursor:pointer;color:var(--wb-link);font-size:12px}
details.wb-more{display:inline}details.wb-more[open] .wb-cut,details.wb-more[open] .mo,details.wb-more .less{display:none}details.wb-more[open] .less{display:inline}details.wb-more summary{display:inline;list-style:none}
details.wb-more summary::-webkit-details-marker{display:none}
.wb-opcard,.wb-qcard{border:1px solid var(--wb-border);border-radius:6px;padding:6px 10px;margin:4px 0;background:var(--wb-card)}
.wb-opcard.wb-current,.wb-qcard.wb-current{outline:2px solid var(--wb-link);outline-offset:1px}
.wb-qcard .wb-choices .jupyter-button{max-width:100%}
.wb-qcard-error .wb-notice{padding:3px 10px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.wb-unsaved{color:#bc4c00;font-size:12px;font-weight:600}
.wb-busy{display:inline-flex;align-items:center;gap:8px;white-space:nowrap}
.wb-busy .bar{position:relative;display:inline-block;width:80px;height:6px;border-radius:3px;background:var(--wb-border-soft);overflow:hidden}
.wb-busy .bar::after{content:"";position:absolute;left:-30%;width:30%;height:100%;border-radius:3px;background:var(--wb-link);animation:wb-slide 1.1s ease-in-out infinite}
@keyframes wb-slide{from{left:-30%}to{left:100%}}
.wb-keys{font-size:11.5px;color:var(--wb-muted)}.wb-keys kbd{border:1px solid var(--wb-border);border-bottom-width:2px;border-radius:3px;padding:0 4px;font-family:inherit;font-size:11px}
</style>"""


def esc(text: object) -> str:
    return html.escape(str(text))


def clip(text: str, limit: int = 300) -> str:
    """Escaped `text`; a longer one is cut at a word boundary with a "more" toggle that shows all of it."""
    text = str(text)
    if len(text) <= limit:
        return esc(text)
    cut = cut_words(text, limit)
    return (f'<details class="wb-more"><summary><span class="wb-cut">{esc(cut)} </span>'
            f'<span class="wb-small mo">(more)</span><span class="wb-small less">(less) </span></summary>'
            f"{esc(text)}</details>")


def busy(text: str, seconds: float, hint: str = "") -> str:
    """An animated bar, what is being done, and the seconds so far."""
    more = f' <span class="wb-muted">({esc(hint)})</span>' if hint else ""
    return (f'<span class="wb-busy wb-small"><span class="bar"></span>{esc(text)} · {seconds:.0f} s{more}</span>')


def badge(text: str, color: str) -> str:
    return f'<span class="wb-badge" style="background:{color}">{esc(text)}</span>'


def notice(text: str, kind: str = "info") -> str:
    """A coloured box: info, warn, error or ok."""
    return f'<div class="wb-notice {kind}">{text}</div>'


def stats(items: Iterable[tuple[str, object, str | None]]) -> str:
    """A row of big numbers with small labels: (label, value, accent colour)."""
    cells = [f'<div class="wb-stat" style="border-color:{color or "#d0d7de"}"><b>{esc(value)}</b><span>{esc(label)}</span></div>'
             for label, value, color in items]
    return "".join(cells)


def header(title: str, counts: Mapping[str, object], source: str = "") -> str:
    """The Workbench's title, what is open (`source`) under it, and its counts."""
    cells = stats((k, f"{v:,}" if isinstance(v, int) else v, None) for k, v in counts.items())
    shown = f'<span class="wb-source" title="{esc(source)}">{esc(source)}</span>' if source else ""
    return (f'<div class="wb-header"><span class="wb-title">{esc(title)}{shown}</span>'
            f'<div class="wb-stats">{cells}</div></div>')


def fate_stats(counts: Mapping[str, int]) -> str:
    return stats((fate, counts.get(fate, 0), color) for fate, color in FATE_COLORS.items())


def legend(coloring: Coloring, limit: int = 30) -> str:
    """Colour swatches for a categorical colouring, or the range of a continuous one."""
    if coloring.continuous:
        values = coloring.values
        high = float(values.max()) if len(values) else 0.0
        return (f'<div class="wb-legend">colour: {esc(coloring.title)} · green = new, red = old '
                f'(0 – {high:,.0f})</div>')
    items = [f'<span class="wb-swatch" style="background:{color}"></span>{esc(short_title(cat, 40))} '
             f'<span class="wb-muted">{count:,}</span>'
             for cat, color, count in coloring.legend() if count][:limit]
    return f'<div class="wb-legend">{"".join(items)}</div>'


def table(frame: pd.DataFrame, *, max_rows: int = 200, text_columns: Sequence[str] = ("text",),
          index_label: str = "id", text_limit: int = 280, total: int | None = None) -> str:
    """An escaped, scrollable HTML table; list cells shown as counts, their items on hover.

    Text columns get room (a minimum width) and wrap; a text longer than `text_limit` is cut at
    a word boundary, with a "(more)" toggle that shows the whole text. `total`: the rows there are
    when `frame` holds only the first of them.
    """
    head, rows, tail = table_parts(frame, max_rows=max_rows, text_columns=text_columns, index_label=index_label,
                                   text_limit=text_limit, total=total)
    return head + "".join(rows) + tail


def table_parts(frame: pd.DataFrame, *, max_rows: int = 200, text_columns: Sequence[str] = ("text",),
                index_label: str = "id", text_limit: int = 280,
                total: int | None = None) -> tuple[str, list[str], str]:
    """`table` as (what comes before the rows, one `<tr>` per row, what follows them)."""
    if frame.empty:
        return '<div class="wb-muted wb-small">Nothing to show.</div>', [], ""
    # headers may break after an underscore (support_<wbr>sessions) instead of widening the column
    head = "".join(f"<th>{esc(c).replace('_', '_<wbr>')}</th>" for c in [index_label, *frame.columns])
    css = {c: "c-" + "".join(ch if ch.isalnum() else "-" for ch in str(c)) for c in frame.columns}
    rows = []
    head_rows = frame.head(max_rows)
    for key, values in zip(head_rows.index, head_rows.values, strict=True):  # the values `iterrows` gives
        cells = [f'<td class="c-index"><code>{esc(key)}</code></td>']
        for column, value in zip(frame.columns, values, strict=True):
            if column in text_columns and isinstance(value, str):
                cells.append(_text_cell(value, text_limit))
            else:
                num = " num" if isinstance(value, numbers.Number) and not isinstance(value, bool) else ""
                cells.append(f'<td class="{css[column]}{num}">{_cell(value)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    total = max(total or 0, len(frame))
    more = (f'<div class="wb-muted wb-small">… and {total - min(max_rows, len(frame)):,} more rows</div>'
            if total > max_rows else "")
    return f'<div class="wb-scroll"><table class="wb-table"><tr>{head}</tr>', rows, f"</table></div>{more}"


def _text_cell(text: str, limit: int) -> str:
    return f'<td class="text">{clip(text, limit)}</td>'


def _cell(value: object) -> str:
    if isinstance(value, (list, tuple)):
        if not value:
            return '<span class="wb-muted">—</span>'
        return f'<span class="count" title="{esc(", ".join(map(str, value)))}">{len(value)}</span>'
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, str) and value in FATE_COLORS:
        return badge(value, FATE_COLORS[value])
    return esc(value)


def note_cards(contexts: Sequence[NoteContext], fates: Mapping[str, str] | None = None, limit: int = 20) -> str:
    """One card per selected note: full text, duplicates, conflicts and the sessions that mention it."""
    if not contexts:
        return notice("Select notes on the map (click, box or lasso), pick a cluster, or search.", "info")
    cards = []
    for ctx in contexts[:limit]:
        fate = (fates or {}).get(ctx.id)
        parts = [f'<h4><code>{esc(ctx.id)}</code> <span class="wb-muted">{esc(ctx.path)}</span> '
                 f'{badge(fate, FATE_COLORS[fate]) if fate else ""}</h4>',
                 f'<div class="quote">{esc(ctx.text)}</div>']
        if ctx.duplicates:
            items = "".join(f"<li><code>{esc(i)}</code> {clip(t, 160)}</li>" for i, t in ctx.duplicates)
            parts.append(f'<div class="wb-small"><b style="color:#6e7781">Duplicates</b><ul>{items}</ul></div>')
        if ctx.conflicts:
            items = "".join(f"<li><code>{esc(i)}</code> {clip(t, 160)} "
                            f'<span class="wb-muted">({esc(d)})</span></li>' for i, t, d in ctx.conflicts)
            parts.append(f'<div class="wb-small"><b style="color:#cf222e">Conflicts</b><ul>{items}</ul></div>')
        if ctx.mentions:
            items = "".join(f"<li><b>{esc(short_title(m.session_title, 50))}</b> "
                            f'<span class="wb-muted">{esc(m.where)} · {esc(m.relation)} · {m.similarity:.2f}</span><br>'
                            f"{clip(m.quote, 200)}</li>" for m in ctx.mentions)
            parts.append(f'<div class="wb-small"><b style="color:#6f42c1">Mentioned in sessions</b><ul>{items}</ul></div>')
        cards.append(f'<div class="wb-card">{"".join(parts)}</div>')
    more = (f'<div class="wb-muted wb-small">Showing {limit} of {len(contexts):,} selected notes; '
            "the table lists them all.</div>" if len(contexts) > limit else "")
    return "".join(cards) + more


def confidence_badge(op, auto_bar: float) -> str:
    """Rule and confidence; below the automatic-approval bar the operation is marked as a suggestion."""
    rule = f'<span class="wb-muted wb-small" title="the rule that judged it">rule <code>{esc(op.rule)}</code></span>' \
        if op.rule else ""
    if op.confidence < auto_bar:
        mark = (f'<span class="wb-badge outline" title="confidence {op.confidence:.2f} is below the automatic-approval '
                f'bar {auto_bar:.2f}: a person decides">suggestion · {op.confidence:.2f}</span>')
    else:
        mark = (f'<span class="wb-badge" style="background:#1a7f37" title="at or above the automatic-approval bar '
                f'{auto_bar:.2f}">auto · {op.confidence:.2f}</span>')
    return f"{mark}{rule}"


def operation(op, *, session_titles: Mapping[str, str] | None = None, decision: str = "pending",
              documents: Sequence[tuple[str, str, str]] = (), edited: str | None = None,
              evidence: Sequence | None = None, targets: Sequence[tuple[str, str, str]] = (),
              auto_bar: float = 0.97) -> str:
    """A review card body: kind, reason, rule and confidence, rationale, targets with their dates, evidence
    (session title, date, turn number; or the note's path and date), and a before/after diff."""
    fate = KIND_FATE[op.kind]
    head = (f'<div class="wb-op-head">{badge(op.kind, FATE_COLORS[fate])} <b>{esc(op.reason)}</b>'
            f"{confidence_badge(op, auto_bar)}<code class=\"wb-muted\">{esc(op.id)}</code>"
            f'{badge(decision, VERDICT_COLORS.get(decision, "#6e7781"))}</div>')
    if evidence is None:
        titles = session_titles or {}
        evidence = [type("E", (), {"where": (f"{titles.get(e.session_id, e.session_id)} · {e.turn_id}" if e.session_id
                                             else f"note {e.note_id}" if e.note_id else ""), "quote": e.quote})
                    for e in op.evidence]
    quotes = [f'<div class="quote"><span class="wb-muted wb-small">{esc(e.where)}</span><br>{clip(e.quote, 300)}</div>'
              for e in list(evidence)[:6]]
    if len(evidence) > 6:
        quotes.append(f'<div class="wb-muted wb-small">… and {len(evidence) - 6} more</div>')
    before, after = operation_texts(op)
    if edited is not None:
        after = edited
    body = [head, f"<div>{esc(op.rationale)}</div>"]
    if targets and op.kind != "create":
        items = "".join(f'<li><code>{esc(i)}</code> <span class="wb-muted">{esc(path)} · written {esc(when)}</span></li>'
                        for i, path, when in targets)
        body.append(f'<div class="wb-small"><b>Notes it changes</b><ul style="margin:0 0 2px 18px;padding:0">{items}</ul></div>')
    if quotes:
        body.append(f'<div class="wb-small"><b>Evidence</b>{"".join(quotes)}</div>')
    body.append(diff_html(before, after, labels=("before", "after (edited)" if edited else "after")))
    for path, old, new in documents:
        body.append(f'<details class="wb-details"><summary>whole document {esc(path)}</summary>'
                    f"{diff_html(old, new, labels=(path + ' now', path + ' after this change'))}</details>")
    return "".join(body)


def changes(plan, limit: int = 60) -> str:
    """The operations of a plan as a compact list."""
    if not plan.operations:
        return '<div class="wb-muted">No changes under this focus.</div>'
    items = []
    for op in plan.operations[:limit]:
        fate = KIND_FATE[op.kind]
        items.append(f"<li>{badge(op.kind, FATE_COLORS[fate])} <b>{esc(op.reason)}</b> "
                     f'<span class="wb-muted">{op.confidence:.2f}</span> {clip(op.rationale, 140)}</li>')
    more = f"<li class='wb-muted'>… and {len(plan.operations) - limit:,} more</li>" if len(plan.operations) > limit else ""
    return f'<ul class="wb-changes" style="padding-left:18px;margin:0">{"".join(items)}{more}</ul>'


def scopes(lines: Sequence[str]) -> str:
    if not lines:
        return '<span class="wb-muted">no scopes: every note is in play</span>'
    return "".join(f'<div class="wb-small">• {esc(line)}</div>' for line in lines)


def question(view) -> str:
    """A question card body (a `views.QuestionCardView`): kind, rule, the rules' reading, every note in full
    with where and when it was written, the rules' leaning and the rule's record here, evidence, the answer
    given and what it does, and the keys that answer."""
    state = "answered" if view.answer else "open"
    head = (f'<div class="wb-op-head">{badge(view.kind, QUESTION_COLORS.get(view.kind, "#6e7781"))} <b>question</b>'
            f'<span class="wb-muted wb-small" title="the rule that left it undecided">rule <code>{esc(view.rule)}</code>'
            f'</span><code class="wb-muted">{esc(view.id)}</code>{badge(state, VERDICT_COLORS[state])}</div>')
    what = "The values" if view.kind == "conflict" else "The notes" if len(view.notes) != 1 else "The note"
    notes = "".join(f'<div class="quote"><span class="wb-muted wb-small"><code>{esc(n.id)}</code> · {esc(n.path)} · '
                    f"written {esc(n.written)}</span><br>{esc(n.text)}</div>" for n in view.notes)
    body = [head, f"<div>{esc(view.reading)}</div>"]
    if notes:
        body.append(f'<div class="wb-small"><b>{what}</b>{notes}</div>')
    body.append(f'<div class="wb-small">{esc(view.leaning)} · <span class="wb-muted">{esc(view.record)}</span></div>')
    quotes = [f'<div class="quote"><span class="wb-muted wb-small">{esc(e.where)}</span><br>{clip(e.quote, 300)}</div>'
              for e in view.evidence[:4]]
    if quotes:
        body.append(f'<div class="wb-small"><b>Evidence</b>{"".join(quotes)}</div>')
    if view.answer:
        label = next(c.label for c in view.choices if c.chosen)
        body.append(notice(f"<b>Answered</b> “{esc(label)}” ({esc(view.answered_by)}): {esc(view.effect)}", "ok"))
    keys = " · ".join(f"<kbd>{c.number}</kbd> {esc(c.key)}" for c in view.choices)
    body.append(f'<div class="wb-keys">keys: {keys} · <kbd>u</kbd> undo · <kbd>j</kbd>/<kbd>k</kbd> next / previous</div>')
    return "".join(body)
