"""A before/after text diff as an HTML table: lines side by side, changed words marked."""

from __future__ import annotations

import difflib
import html
import re

from ..views import diff_rows

_DIFF_STYLE = (  # tints over the page's own background and text colour: readable in light and dark themes
    "<style>.wb-diff{border-collapse:collapse;width:100%;table-layout:fixed;border:1px solid var(--jp-border-color1,#d0d7de);"
    "margin:4px 0;color:var(--jp-ui-font-color1,#1f2328)}"
    ".wb-diff td{padding:2px 8px;vertical-align:top;white-space:pre-wrap;word-break:break-word;"
    "font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;line-height:1.45}"
    ".wb-diff th{text-align:left;font-size:12px;color:var(--jp-ui-font-color2,#57606a);font-weight:600;padding:2px 8px}"
    ".wb-diff td.m{width:1.2em;padding:2px 2px}.wb-diff .del{background:rgba(255,129,130,.16)}"
    ".wb-diff .add{background:rgba(74,194,107,.17)}"
    ".wb-diff td.m{font-weight:700}"  # the sign in the text colour: the tint says removed or added
    ".wb-diff del{background:rgba(255,129,130,.4);text-decoration:none}"
    ".wb-diff ins{background:rgba(74,194,107,.4);text-decoration:none}"
    "</style>"
)


def _words(before: str, after: str) -> tuple[str, str]:
    a, b = re.split(r"(\s+)", before), re.split(r"(\s+)", after)
    left, right = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = html.escape("".join(a[i1:i2])), html.escape("".join(b[j1:j2]))
        if tag == "equal":
            left.append(old)
            right.append(new)
            continue
        if old:
            left.append(f"<del>{old}</del>")
        if new:
            right.append(f"<ins>{new}</ins>")
    return "".join(left), "".join(right)


def diff_html(before: str, after: str, *, labels: tuple[str, str] = ("before", "after")) -> str:
    """A side-by-side before/after table: removed lines red on the left, added lines green on the right."""
    body = []
    for tag, left, right in diff_rows(before, after):
        if tag == "changed":
            left_html, right_html = _words(left, right)
        else:
            left_html, right_html = html.escape(left), html.escape(right)
        lc = "del" if tag in ("removed", "changed") else ""
        rc = "add" if tag in ("added", "changed") else ""
        body.append(f'<tr class="wb-diff-{tag}"><td class="m {lc}">{"−" if lc else ""}</td><td class="{lc}">{left_html}</td>'
                    f'<td class="m {rc}">{"+" if rc else ""}</td><td class="{rc}">{right_html}</td></tr>')
    if not body:
        body.append('<tr><td colspan="4" style="color:#777">(both empty)</td></tr>')
    head = (f'<colgroup><col style="width:1.2em"><col><col style="width:1.2em"><col></colgroup>'
            f'<tr><th></th><th>{html.escape(labels[0])}</th><th></th><th>{html.escape(labels[1])}</th></tr>')
    return f'{_DIFF_STYLE}<table class="wb-diff">{head}{"".join(body)}</table>'

