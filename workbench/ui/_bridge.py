"""Two small front-end helpers: keyboard shortcuts for a panel, and a download button for bytes.

`KeyBridge` listens for single-key shortcuts inside the panel it is shown in (never while typing
in a text box) and sends each key to the kernel; JupyterLab's own notebook shortcuts (a, j, k …)
are suppressed inside that panel only. `Download` offers bytes the kernel holds as a file the
browser saves: Voila users have no file browser to fetch a snapshot from.
"""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets as t

_KEYS_ESM = r"""
function render({ model, el }) {
  const hint = document.createElement("span");
  hint.className = "wb-keys";
  const paint = () => { hint.innerHTML = model.get("hint"); };
  paint();
  model.on("change:hint", paint);
  el.appendChild(hint);
  let host = null;
  const keys = () => model.get("shortcuts") || "";
  const onKey = (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
    if (event.target.closest && event.target.closest("textarea, input, select, [contenteditable='true']")) return;
    if (!keys().includes(event.key)) return;
    event.preventDefault();
    event.stopPropagation();
    model.send({ key: event.key });
  };
  const onDown = (event) => {
    if (event.target.closest && event.target.closest("textarea, input, select, button, a, summary")) return;
    host.focus({ preventScroll: true });
  };
  const attach = () => {
    host = el.closest(model.get("scope")) || el.parentElement;
    if (!host) return setTimeout(attach, 100);
    host.setAttribute("data-lm-suppress-shortcuts", "true");
    if (!host.hasAttribute("tabindex")) host.setAttribute("tabindex", "-1");
    host.addEventListener("keydown", onKey);
    host.addEventListener("pointerdown", onDown);
  };
  setTimeout(attach, 0);
  return () => { if (host) { host.removeEventListener("keydown", onKey); host.removeEventListener("pointerdown", onDown); } };
}
export default { render };
"""

_DOWNLOAD_ESM = r"""
function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "wbm-btn wb-download";
  const paint = () => {
    const data = model.get("data");
    const size = data ? data.byteLength : 0;
    button.textContent = size ? `${model.get("label")} (${model.get("filename")}, ${(size / 1024).toFixed(0)} KB)`
                              : model.get("empty");
    button.disabled = !size;
  };
  button.addEventListener("click", () => {
    const data = model.get("data");
    if (!data || !data.byteLength) return;
    const blob = new Blob([data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)],
                          { type: model.get("mime") });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = model.get("filename");
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    model.set("downloads", model.get("downloads") + 1);
    model.save_changes();
  });
  for (const name of ["data", "filename", "label"]) model.on(`change:${name}`, paint);
  paint();
  el.appendChild(button);
}
export default { render };
"""

_CSS = """
.wb-keys{font-size:11.5px;color:var(--jp-ui-font-color2,#57606a)}
.wb-keys kbd{border:1px solid var(--jp-border-color1,#d0d7de);border-bottom-width:2px;border-radius:3px;padding:0 4px;font-size:11px}
.wb-download{font:inherit;font-size:12.5px;padding:3px 12px;border:1px solid var(--jp-border-color1,#d0d7de);border-radius:4px;background:var(--jp-layout-color1,#f6f8fa);color:var(--jp-ui-font-color1,#1f2328);cursor:pointer}
.wb-download:disabled{opacity:.55;cursor:default}
"""


class KeyBridge(anywidget.AnyWidget):
    """Sends the `keys` pressed inside the nearest `scope` element to `on_key` (in the kernel)."""

    _esm = _KEYS_ESM
    _css = _CSS
    shortcuts = t.Unicode("arjku").tag(sync=True)
    scope = t.Unicode(".wb-review").tag(sync=True)
    hint = t.Unicode("").tag(sync=True)

    def __init__(self, on_key: Callable[[str], None] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.on_key = on_key
        self.on_msg(self._message)

    def _message(self, _widget, content, _buffers) -> None:
        key = content.get("key") if isinstance(content, dict) else None
        if isinstance(key, str) and len(key) == 1 and key in self.shortcuts and self.on_key is not None:
            self.on_key(key)


class Download(anywidget.AnyWidget):
    """A button that saves `data` as `filename` in the browser (disabled while there is nothing)."""

    _esm = _DOWNLOAD_ESM
    _css = _CSS
    data = t.Bytes(b"").tag(sync=True)
    filename = t.Unicode("snapshot.zip").tag(sync=True)
    mime = t.Unicode("application/zip").tag(sync=True)
    label = t.Unicode("Download").tag(sync=True)
    empty = t.Unicode("Download (export first)").tag(sync=True)
    downloads = t.Int(0).tag(sync=True)  # clicks that produced a file, counted by the front end
