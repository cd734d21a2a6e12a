// The Dream Workbench map: notes drawn on a canvas, lasso / box selection, pan and zoom, hover.
//
// Everything heavy stays in the browser: hover, drawing, panning and zooming never ask the
// kernel. Only a finished selection is sent, on its own trait (`picked`), so no other event
// (a hover, a relayout) can overwrite it while the kernel is busy.
//
// Data arrive as binary traits: `xy` (float32 x, y pairs), `codes` (uint8 colour index into
// `palette`), `sizes` (uint8 marker diameter in px), `selected` (int32 indices), `links`
// (int32 index pairs into notes + extra points) with `link_kinds` (uint8: 0 duplicate,
// 1 conflict), `extra_xy` / `extra_kinds` (0 insight star, 1 session fact).

const TAU = Math.PI * 2;
const PAD = 18;
const RINGS = 1500; // selections up to this size are ringed
const LINK_STYLE = [
  { color: "#8c8c8c", dash: [], width: 1.1 },
  { color: "#d62728", dash: [3, 3], width: 1.5 },
];

function f32(view) {
  if (!view || !view.byteLength) return new Float32Array(0);
  return new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}
function i32(view) {
  if (!view || !view.byteLength) return new Int32Array(0);
  return new Int32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}
function u8(view) {
  if (!view || !view.byteLength) return new Uint8Array(0);
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

function themeColors(el) {
  const style = getComputedStyle(el);
  const get = (name, fallback) => (style.getPropertyValue(name) || "").trim() || fallback;
  const bg = get("--jp-layout-color0", "#ffffff");
  return {
    bg,
    fg: get("--jp-ui-font-color0", "#1f2328"),
    muted: get("--jp-ui-font-color2", "#57606a"),
    border: get("--jp-border-color1", "#d0d7de"),
    labelBg: get("--jp-layout-color1", "rgba(255,255,255,0.8)"),
    dark: isDark(bg),
  };
}

function isDark(color) {
  const probe = document.createElement("canvas").getContext("2d");
  probe.fillStyle = color;
  const hex = probe.fillStyle; // normalised to #rrggbb or rgba(...)
  let r = 255, g = 255, b = 255;
  if (hex.startsWith("#")) {
    r = parseInt(hex.slice(1, 3), 16); g = parseInt(hex.slice(3, 5), 16); b = parseInt(hex.slice(5, 7), 16);
  } else {
    const m = hex.match(/\d+/g);
    if (m) [r, g, b] = m.map(Number);
  }
  return 0.299 * r + 0.587 * g + 0.114 * b < 128;
}

function insidePolygon(x, y, poly) {
  let inside = false;
  for (let i = 0, j = poly.length - 2; i < poly.length; j = i, i += 2) {
    const xi = poly[i], yi = poly[i + 1], xj = poly[j], yj = poly[j + 1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function star(ctx, x, y, r) {
  ctx.moveTo(x, y - r);
  for (let k = 1; k < 10; k++) {
    const radius = k % 2 ? r * 0.45 : r;
    const a = (k * Math.PI) / 5 - Math.PI / 2;
    ctx.lineTo(x + radius * Math.cos(a), y + radius * Math.sin(a));
  }
  ctx.closePath();
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "wbm";
  el.appendChild(root);

  const bar = document.createElement("div");
  bar.className = "wbm-bar";
  const modes = {};
  for (const [mode, label, tip] of [
    ["lasso", "Lasso", "draw around notes to select them (shift adds)"],
    ["box", "Box", "drag a rectangle to select notes (shift adds)"],
    ["pan", "Pan", "drag to move the map; the wheel zooms"],
  ]) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.title = tip; b.className = "wbm-btn";
    b.addEventListener("click", () => { model.set("mode", mode); model.save_changes(); });
    modes[mode] = b; bar.appendChild(b);
  }
  const zoomIn = document.createElement("button");
  zoomIn.type = "button"; zoomIn.textContent = "+"; zoomIn.title = "zoom in"; zoomIn.className = "wbm-btn";
  const zoomOut = document.createElement("button");
  zoomOut.type = "button"; zoomOut.textContent = "−"; zoomOut.title = "zoom out"; zoomOut.className = "wbm-btn";
  const reset = document.createElement("button");
  reset.type = "button"; reset.textContent = "Reset view"; reset.title = "show every note (double-click the map)";
  reset.className = "wbm-btn";
  bar.append(zoomIn, zoomOut, reset);
  const title = document.createElement("span");
  title.className = "wbm-title";
  bar.appendChild(title);
  root.appendChild(bar);

  const legend = document.createElement("div");
  legend.className = "wbm-legend";
  root.appendChild(legend);

  const frame = document.createElement("div");
  frame.className = "wbm-frame";
  const canvas = document.createElement("canvas");
  canvas.className = "wbm-canvas";
  const overlay = document.createElement("canvas");
  overlay.className = "wbm-overlay";
  const tip = document.createElement("div");
  tip.className = "wbm-tip";
  const notice = document.createElement("div");
  notice.className = "wbm-notice";
  frame.append(canvas, overlay, tip, notice);
  root.appendChild(frame);

  // -- state ---------------------------------------------------------------------------------
  let xy = new Float32Array(0), n = 0, codes = new Uint8Array(0), sizes = new Uint8Array(0);
  let palette = [], hover = [], extraXY = new Float32Array(0), extraKinds = new Uint8Array(0), extraHover = [];
  let links = new Int32Array(0), linkKinds = new Uint8Array(0), labels = [];
  let selected = new Uint8Array(0), selectedList = new Int32Array(0);
  let byCode = [];
  let bounds = null;
  let view = { zoom: 1, panX: 0, panY: 0 };
  let grid = null;
  let width = 0, height = model.get("height") || 520;
  let colors = themeColors(root);
  let pointerInside = false, dragging = null, pendingLayout = null, animation = null;
  let frameRequested = false, firstDraw = true, seq = 0, draws = 0, colorVersion = 0;

  function loadPoints() {
    xy = f32(model.get("xy"));
    n = xy.length / 2;
    hover = model.get("hover") || [];
    bounds = computeBounds(xy);
    buildGrid();
  }
  function loadColors() {
    codes = u8(model.get("codes"));
    palette = model.get("palette") || [];
    sizes = u8(model.get("sizes"));
    byCode = [];
    root.dataset.colors = String(++colorVersion);
    for (let i = 0; i < n; i++) {
      const c = codes[i] || 0;
      (byCode[c] || (byCode[c] = [])).push(i);
    }
  }
  function loadSelection() {
    selectedList = i32(model.get("selected"));
    selected = new Uint8Array(n);
    for (const i of selectedList) if (i >= 0 && i < n) selected[i] = 1;
    root.dataset.selected = String(selectedList.length);
  }
  function loadLinks() {  // links, extra points and labels: all drawn on the layout in view
    labels = model.get("labels") || [];
    links = i32(model.get("links"));
    linkKinds = u8(model.get("link_kinds"));
    extraXY = f32(model.get("extra_xy"));
    extraKinds = u8(model.get("extra_kinds"));
    extraHover = model.get("extra_hover") || [];
  }

  function computeBounds(points) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < points.length; i += 2) {
      const x = points[i], y = points[i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (!Number.isFinite(x0)) return { x0: -1, x1: 1, y0: -1, y1: 1 };
    if (x1 - x0 < 1e-9) { x0 -= 1; x1 += 1; }
    if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
    return { x0, x1, y0, y1 };
  }

  // data → screen (css px) and back
  function base() {
    const k = Math.min((width - 2 * PAD) / (bounds.x1 - bounds.x0), (height - 2 * PAD) / (bounds.y1 - bounds.y0));
    return { k: k * view.zoom, cx: (bounds.x0 + bounds.x1) / 2, cy: (bounds.y0 + bounds.y1) / 2 };
  }
  function toScreen(x, y, b) {
    return [width / 2 + (x - b.cx) * b.k + view.panX, height / 2 - (y - b.cy) * b.k + view.panY];
  }
  function toData(sx, sy, b) {
    return [(sx - width / 2 - view.panX) / b.k + b.cx, -(sy - height / 2 - view.panY) / b.k + b.cy];
  }

  function buildGrid() {
    const cells = Math.max(8, Math.min(256, Math.round(Math.sqrt(n) * 1.5)));
    const w = (bounds.x1 - bounds.x0) / cells || 1, h = (bounds.y1 - bounds.y0) / cells || 1;
    const map = new Map();
    for (let i = 0; i < n; i++) {
      const gx = Math.floor((xy[2 * i] - bounds.x0) / w), gy = Math.floor((xy[2 * i + 1] - bounds.y0) / h);
      const key = gx * 100003 + gy;
      let cell = map.get(key);
      if (!cell) map.set(key, (cell = []));
      cell.push(i);
    }
    grid = { map, w, h };
  }

  function nearest(sx, sy) {
    if (!n || !grid) return -1;
    const b = base();
    const [x, y] = toData(sx, sy, b);
    const radius = 10 / b.k;
    const gx0 = Math.floor((x - radius - bounds.x0) / grid.w), gx1 = Math.floor((x + radius - bounds.x0) / grid.w);
    const gy0 = Math.floor((y - radius - bounds.y0) / grid.h), gy1 = Math.floor((y + radius - bounds.y0) / grid.h);
    let best = -1, bestD = radius * radius;
    for (let gx = gx0; gx <= gx1; gx++) {
      for (let gy = gy0; gy <= gy1; gy++) {
        const cell = grid.map.get(gx * 100003 + gy);
        if (!cell) continue;
        for (const i of cell) {
          const dx = xy[2 * i] - x, dy = xy[2 * i + 1] - y, d = dx * dx + dy * dy;
          if (d <= bestD) { best = i; bestD = d; }
        }
      }
    }
    return best;
  }

  function nearestExtra(sx, sy) {
    if (!extraXY.length || !model.get("show_extras")) return -1;
    const b = base();
    let best = -1, bestD = 64;
    for (let j = 0; j < extraXY.length / 2; j++) {
      if (extraKinds[j] !== 0) continue;
      const [px, py] = toScreen(extraXY[2 * j], extraXY[2 * j + 1], b);
      const d = (px - sx) ** 2 + (py - sy) ** 2;
      if (d < bestD) { best = j; bestD = d; }
    }
    return best;
  }

  // -- drawing -------------------------------------------------------------------------------
  function resize() {
    const w = Math.max(200, Math.floor(frame.clientWidth || root.clientWidth || 600));
    height = model.get("height") || 520;
    if (w === width && canvas.height === Math.round(height * devicePixelRatio)) return;
    width = w;
    for (const c of [canvas, overlay]) {
      c.width = Math.round(width * devicePixelRatio);
      c.height = Math.round(height * devicePixelRatio);
      c.style.width = width + "px";
      c.style.height = height + "px";
    }
    frame.style.height = height + "px";
    draw();
  }

  function request() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(() => { frameRequested = false; draw(); });
  }

  function pointXY(i, t, from) {
    if (from && t < 1) {
      const e = t * t * (3 - 2 * t);
      return [from[2 * i] + (xy[2 * i] - from[2 * i]) * e, from[2 * i + 1] + (xy[2 * i + 1] - from[2 * i + 1]) * e];
    }
    return [xy[2 * i], xy[2 * i + 1]];
  }

  function draw() {
    if (!width || !bounds) return;
    const started = performance.now();
    const ctx = canvas.getContext("2d");
    ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
    ctx.fillStyle = colors.bg;
    ctx.fillRect(0, 0, width, height);
    const b = base();
    const t = animation ? Math.min(1, (performance.now() - animation.start) / animation.duration) : 1;
    const from = animation ? animation.from : null;
    const anySelected = selectedList.length > 0;
    const big = n > 5000;

    // links under the points
    if (model.get("show_links") && links.length) {
      const extraStart = n;
      const at = (k) => (k < extraStart ? pointXY(k, t, from) : [extraXY[2 * (k - n)], extraXY[2 * (k - n) + 1]]);
      for (const kind of [0, 1]) {
        const style = LINK_STYLE[kind];
        ctx.beginPath();
        for (let p = 0; p < links.length / 2; p++) {
          if (linkKinds[p] !== kind) continue;
          const [ax, ay] = at(links[2 * p]), [bx, by] = at(links[2 * p + 1]);
          const [sx, sy] = toScreen(ax, ay, b), [ex, ey] = toScreen(bx, by, b);
          ctx.moveTo(sx, sy);
          ctx.lineTo(ex, ey);
        }
        ctx.setLineDash(style.dash);
        ctx.lineWidth = style.width;
        ctx.strokeStyle = style.color;
        ctx.globalAlpha = 0.75;
        ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }

    // notes, one path per colour: circles, or on a big map squares (a software canvas fills them ~5x faster)
    const outline = colors.dark ? "rgba(0,0,0,0.55)" : "rgba(31,35,40,0.45)";
    const dot = big ? (path, sx, sy, r) => path.rect(sx - r, sy - r, 2 * r, 2 * r)
                    : (path, sx, sy, r) => { path.moveTo(sx + r, sy); path.arc(sx, sy, r, 0, TAU); };
    const k = b.k, cx = b.cx, cy = b.cy, ox = width / 2 + view.panX, oy = height / 2 + view.panY;
    for (let c = 0; c < byCode.length; c++) {
      const members = byCode[c];
      if (!members) continue;
      ctx.beginPath();
      for (const i of members) {
        let sx, sy;
        if (from && t < 1) {
          const [x, y] = pointXY(i, t, from);
          [sx, sy] = toScreen(x, y, b);
        } else {
          sx = ox + (xy[2 * i] - cx) * k;
          sy = oy - (xy[2 * i + 1] - cy) * k;
        }
        if (sx < -10 || sy < -10 || sx > width + 10 || sy > height + 10) continue;
        dot(ctx, sx, sy, (sizes[i] || 8) / 2);
      }
      ctx.fillStyle = palette[c] || "#999";
      ctx.globalAlpha = anySelected ? 0.28 : 0.88;
      ctx.fill();
      if (!big) {
        ctx.lineWidth = 0.5;
        ctx.strokeStyle = outline;
        ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;

    // the selection on top, ringed
    if (anySelected) {
      ctx.beginPath();
      const rings = new Path2D();
      for (const i of selectedList) {
        if (i < 0 || i >= n) continue;
        const [x, y] = pointXY(i, t, from);
        const [sx, sy] = toScreen(x, y, b);
        const r = (sizes[i] || 8) / 2;
        if (big) rings.rect(sx - r - 1.5, sy - r - 1.5, 2 * r + 3, 2 * r + 3);
        else { rings.moveTo(sx + r + 1.5, sy); rings.arc(sx, sy, r + 1.5, 0, TAU); }
      }
      for (let c = 0; c < byCode.length; c++) {
        const members = byCode[c];
        if (!members) continue;
        const path = new Path2D();
        let any = false;
        for (const i of members) {
          if (!selected[i]) continue;
          const [x, y] = pointXY(i, t, from);
          const [sx, sy] = toScreen(x, y, b);
          dot(path, sx, sy, (sizes[i] || 8) / 2);
          any = true;
        }
        if (any) { ctx.fillStyle = palette[c] || "#999"; ctx.fill(path); }
      }
      if (selectedList.length <= RINGS) {  // a ring per note; a bigger selection stands out by its opacity alone
        ctx.lineWidth = big ? 1.2 : 2;
        ctx.strokeStyle = colors.fg;
        ctx.stroke(rings);
      }
    }

    // candidate insights (stars) and session facts (diamonds), small and see-through
    if (model.get("show_extras") && extraXY.length) {
      ctx.beginPath();
      const facts = new Path2D();
      for (let j = 0; j < extraXY.length / 2; j++) {
        const [sx, sy] = toScreen(extraXY[2 * j], extraXY[2 * j + 1], b);
        if (extraKinds[j] === 0) star(ctx, sx, sy, 6);
        else if (model.get("show_facts")) { facts.moveTo(sx, sy - 4); facts.lineTo(sx + 4, sy); facts.lineTo(sx, sy + 4); facts.lineTo(sx - 4, sy); facts.closePath(); }
      }
      ctx.globalAlpha = 0.8;
      ctx.fillStyle = "#2ca02c";
      ctx.fill();
      ctx.lineWidth = 0.8;
      ctx.strokeStyle = colors.bg;
      ctx.stroke();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = "#6f42c1";
      ctx.stroke(facts);
    }

    // topic labels: largest first, a label that would overlap a placed one is left out
    if (labels.length && t >= 1) {
      ctx.font = "600 11.5px Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      const placed = [];
      for (const label of labels) {
        const [sx, sy] = toScreen(label.x, label.y, b);
        const w = ctx.measureText(label.text).width + 10, h = 18;
        const box = [sx - w / 2, sy - h / 2, sx + w / 2, sy + h / 2];
        if (box[0] < 0 || box[1] < 0 || box[2] > width || box[3] > height) continue;
        if (placed.some((p) => !(box[2] < p[0] || box[0] > p[2] || box[3] < p[1] || box[1] > p[3]))) continue;
        placed.push(box);
        ctx.globalAlpha = 0.82;
        ctx.fillStyle = colors.labelBg;
        ctx.beginPath();
        ctx.roundRect ? ctx.roundRect(box[0], box[1], w, h, 4) : ctx.rect(box[0], box[1], w, h);
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.fillStyle = colors.fg;
        ctx.fillText(label.text, sx, sy + 0.5);
      }
      root.dataset.labels = String(placed.length);
    }

    const ms = performance.now() - started;
    root.dataset.drawMs = ms.toFixed(1);
    root.dataset.draws = String(++draws);
    root.dataset.drawnColors = String(colorVersion);
    root.dataset.drawnAt = String(performance.timeOrigin + performance.now());
    root.dataset.points = String(n);
    if (firstDraw && n) {
      firstDraw = false;
      root.dataset.firstDrawAt = String(performance.timeOrigin + performance.now());
      model.set("rendered", (model.get("rendered") || 0) + 1);
      model.save_changes();
    }
    if (animation) {
      if (t >= 1) { animation = null; request(); } else request();
    }
  }

  function drawOverlay(shape) {
    const ctx = overlay.getContext("2d");
    ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (!shape) return;
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = colors.fg;
    ctx.setLineDash([4, 3]);
    ctx.fillStyle = colors.dark ? "rgba(120,170,255,0.12)" : "rgba(9,105,218,0.08)";
    ctx.beginPath();
    if (shape.kind === "box") {
      ctx.rect(Math.min(shape.x0, shape.x1), Math.min(shape.y0, shape.y1), Math.abs(shape.x1 - shape.x0), Math.abs(shape.y1 - shape.y0));
    } else {
      const p = shape.path;
      ctx.moveTo(p[0], p[1]);
      for (let k = 2; k < p.length; k += 2) ctx.lineTo(p[k], p[k + 1]);
      ctx.closePath();
    }
    ctx.fill();
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // -- selection -----------------------------------------------------------------------------
  function pick(indices, how, add) {
    let chosen = indices;
    if (add) {
      const merged = new Set(selectedList);
      for (const i of indices) merged.add(i);
      chosen = Array.from(merged);
    }
    selectedList = Int32Array.from(chosen);
    selected = new Uint8Array(n);
    for (const i of selectedList) selected[i] = 1;
    root.dataset.selected = String(selectedList.length);
    root.dataset.pickedAt = String(performance.timeOrigin + performance.now());
    seq += 1;
    model.set("picked", { indices: Array.from(selectedList), how, seq, at: Date.now() });
    model.save_changes();
    request();
  }

  function select(shape, add) {
    const started = performance.now();
    const b = base();
    const out = [];
    if (shape.kind === "box") {
      const [ax, ay] = toData(Math.min(shape.x0, shape.x1), Math.max(shape.y0, shape.y1), b);
      const [bx, by] = toData(Math.max(shape.x0, shape.x1), Math.min(shape.y0, shape.y1), b);
      for (let i = 0; i < n; i++) {
        const x = xy[2 * i], y = xy[2 * i + 1];
        if (x >= ax && x <= bx && y >= ay && y <= by) out.push(i);
      }
    } else {
      const poly = [];
      for (let k = 0; k < shape.path.length; k += 2) poly.push(...toData(shape.path[k], shape.path[k + 1], b));
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (let k = 0; k < poly.length; k += 2) {
        x0 = Math.min(x0, poly[k]); x1 = Math.max(x1, poly[k]); y0 = Math.min(y0, poly[k + 1]); y1 = Math.max(y1, poly[k + 1]);
      }
      for (let i = 0; i < n; i++) {
        const x = xy[2 * i], y = xy[2 * i + 1];
        if (x < x0 || x > x1 || y < y0 || y > y1) continue;
        if (insidePolygon(x, y, poly)) out.push(i);
      }
    }
    pick(out, shape.kind, add);
    root.dataset.selectMs = (performance.now() - started).toFixed(1);
  }

  // -- pointer -------------------------------------------------------------------------------
  function local(event) {
    const rect = overlay.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  overlay.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 && event.button !== 1) return;
    const [x, y] = local(event);
    overlay.setPointerCapture(event.pointerId);
    const mode = event.button === 1 ? "pan" : model.get("mode");
    dragging = { mode, x0: x, y0: y, x1: x, y1: y, path: [x, y], panX: view.panX, panY: view.panY, moved: false, add: event.shiftKey };
    tip.style.display = "none";
    event.preventDefault();
  });
  overlay.addEventListener("pointermove", (event) => {
    const [x, y] = local(event);
    if (!dragging) { showTip(x, y); return; }
    if (Math.abs(x - dragging.x0) + Math.abs(y - dragging.y0) > 3) dragging.moved = true;
    dragging.x1 = x; dragging.y1 = y;
    if (dragging.mode === "pan") {
      view.panX = dragging.panX + x - dragging.x0;
      view.panY = dragging.panY + y - dragging.y0;
      request();
    } else if (dragging.mode === "box") {
      drawOverlay({ kind: "box", x0: dragging.x0, y0: dragging.y0, x1: x, y1: y });
    } else {
      const p = dragging.path;
      if ((p[p.length - 2] - x) ** 2 + (p[p.length - 1] - y) ** 2 > 9) p.push(x, y);
      drawOverlay({ kind: "lasso", path: p });
    }
  });
  function finish(event) {
    if (!dragging) return;
    const d = dragging;
    dragging = null;
    drawOverlay(null);
    if (!d.moved) {
      const i = nearest(d.x0, d.y0);
      if (i >= 0) pick([i], "click", d.add);
    } else if (d.mode === "box") {
      select({ kind: "box", x0: d.x0, y0: d.y0, x1: d.x1, y1: d.y1 }, d.add);
    } else if (d.mode === "lasso" && d.path.length >= 6) {
      select({ kind: "lasso", path: d.path }, d.add);
    }
    if (pendingLayout && !pointerInside) applyLayout();
  }
  overlay.addEventListener("pointerup", finish);
  overlay.addEventListener("pointercancel", () => { dragging = null; drawOverlay(null); });
  overlay.addEventListener("pointerenter", () => { pointerInside = true; });
  overlay.addEventListener("pointerleave", () => {
    pointerInside = false;
    tip.style.display = "none";
    if (pendingLayout && !dragging) applyLayout();
  });
  overlay.addEventListener("dblclick", () => { view = { zoom: 1, panX: 0, panY: 0 }; request(); });
  overlay.addEventListener("wheel", (event) => {
    if (model.get("mode") !== "pan" && !event.ctrlKey && !event.metaKey) return; // the page scrolls
    event.preventDefault();
    const [x, y] = local(event);
    zoomAt(x, y, Math.exp(-event.deltaY * 0.0015));
  }, { passive: false });

  function zoomAt(x, y, factor) {
    const b = base();
    const [dx, dy] = toData(x, y, b);
    view.zoom = Math.max(0.2, Math.min(400, view.zoom * factor));
    const after = base();
    const [sx, sy] = toScreen(dx, dy, after);
    view.panX += x - sx;
    view.panY += y - sy;
    request();
  }
  zoomIn.addEventListener("click", () => zoomAt(width / 2, height / 2, 1.5));
  zoomOut.addEventListener("click", () => zoomAt(width / 2, height / 2, 1 / 1.5));
  reset.addEventListener("click", () => { view = { zoom: 1, panX: 0, panY: 0 }; request(); });

  function showTip(x, y) {
    const i = nearest(x, y);
    let text = null;
    if (i >= 0) text = hover[i];
    else {
      const j = nearestExtra(x, y);
      if (j >= 0) text = extraHover[j];
    }
    if (!text) { tip.style.display = "none"; return; }
    tip.textContent = "";
    const [head, ...rest] = String(text).split("\n");
    const strong = document.createElement("b");
    strong.textContent = head;
    tip.appendChild(strong);
    for (const line of rest) { tip.appendChild(document.createElement("br")); tip.appendChild(document.createTextNode(line)); }
    tip.style.display = "block";
    const left = Math.min(x + 14, width - tip.offsetWidth - 4);
    tip.style.left = Math.max(4, left) + "px";
    tip.style.top = Math.max(4, y > height - 70 ? y - tip.offsetHeight - 10 : y + 14) + "px";
  }

  // -- a new layout: animate, and never under the cursor without notice -------------------------
  function applyLayout() {
    const next = pendingLayout;
    pendingLayout = null;
    delete root.dataset.pendingLayout;
    const old = xy;
    const oldName = root.dataset.layout || "";
    loadPoints();
    loadLinks();
    if (old.length === xy.length && old.length) animation = { from: old, start: performance.now(), duration: 650 };
    root.dataset.layout = next.name;
    showNotice(oldName && oldName !== next.name
      ? `Layout changed: ${oldName} → ${next.name}. The same notes, new positions (your selection is kept).`
      : `Layout: ${next.name}`);
    request();
  }
  function showNotice(text, button) {
    notice.textContent = text;
    if (button) {
      const b = document.createElement("button");
      b.type = "button"; b.className = "wbm-btn"; b.textContent = button;
      b.addEventListener("click", (e) => { e.stopPropagation(); applyLayout(); });
      notice.appendChild(document.createTextNode(" "));
      notice.appendChild(b);
    }
    notice.style.display = "block";
    clearTimeout(showNotice.timer);
    if (!button) showNotice.timer = setTimeout(() => { notice.style.display = "none"; }, 6000);
  }

  function onPoints() {
    const name = model.get("layout_name") || "";
    const current = root.dataset.layout;
    const incoming = (model.get("xy") || { byteLength: 0 }).byteLength / 8;
    if (current && name !== current && incoming === n && n > 0) {
      pendingLayout = { name };
      if (pointerInside || dragging) {
        root.dataset.pendingLayout = name;
        showNotice(`The ${name} layout is ready; the points move when the pointer leaves the map.`, `Switch to ${name} now`);
        return;
      }
      applyLayout();
      return;
    }
    pendingLayout = null;
    loadPoints();
    root.dataset.layout = name;
    loadColors();
    loadSelection();
    request();
  }

  // -- legend and toolbar state ----------------------------------------------------------------
  function renderLegend() {
    legend.textContent = "";
    for (const item of model.get("legend") || []) {
      const span = document.createElement("span");
      span.className = "wbm-item";
      const key = document.createElement("span");
      key.className = "wbm-key wbm-" + (item.shape || "dot");
      if (item.shape === "gradient") key.style.background = `linear-gradient(90deg, ${item.color})`;
      else if (item.shape === "line" || item.shape === "dash") key.style.borderColor = item.color;
      else if (item.shape === "star") key.style.color = item.color;
      else key.style.background = item.color;
      if (item.shape === "star") key.textContent = "★";
      span.appendChild(key);
      span.appendChild(document.createTextNode(item.label));
      if (item.count !== undefined && item.count !== null) {
        const c = document.createElement("span");
        c.className = "wbm-count";
        c.textContent = " " + Number(item.count).toLocaleString("en");
        span.appendChild(c);
      }
      legend.appendChild(span);
    }
  }
  function renderBar() {
    for (const [mode, b] of Object.entries(modes)) b.classList.toggle("wbm-on", model.get("mode") === mode);
    title.textContent = model.get("title") || "";
    overlay.style.cursor = model.get("mode") === "pan" ? "grab" : "crosshair";
  }

  model.on("change:xy", onPoints);
  model.on("change:hover", () => { hover = model.get("hover") || []; });
  model.on("change:codes", () => { loadColors(); request(); });
  model.on("change:palette", () => { loadColors(); request(); });
  model.on("change:sizes", () => { loadColors(); request(); });
  model.on("change:selected", () => { loadSelection(); request(); });
  for (const name of ["links", "link_kinds", "extra_xy", "extra_kinds", "extra_hover", "labels"]) {
    // while a new layout waits for the pointer to leave, what is drawn on it waits too
    model.on(`change:${name}`, () => { if (!pendingLayout) { loadLinks(); request(); } });
  }
  for (const name of ["show_links", "show_extras", "show_facts"]) model.on(`change:${name}`, request);
  model.on("change:legend", renderLegend);
  model.on("change:mode", renderBar);
  model.on("change:title", renderBar);
  model.on("change:height", resize);

  const themeWatch = new MutationObserver(() => { colors = themeColors(root); request(); });
  themeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class"] });
  const sizeWatch = new ResizeObserver(() => resize());
  sizeWatch.observe(frame);

  loadPoints();
  root.dataset.layout = model.get("layout_name") || "";
  loadColors();
  loadSelection();
  loadLinks();
  renderLegend();
  renderBar();
  requestAnimationFrame(resize);

  return () => { themeWatch.disconnect(); sizeWatch.disconnect(); };
}

export default { render };
