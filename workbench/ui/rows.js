// The selection table of workbench/ui/_rows.py: the header and the first rows at once (what the scroll box
// shows), the other rows appended after that paint when the browser is idle, so a long table never delays
// the rows in view.
const FIRST = 25;

function render({ model, el }) {
  let drawn = 0; // which drawing is current: a later one cancels the appending of an earlier one
  function draw() {
    const mine = ++drawn;
    const rows = model.get("rows");
    el.innerHTML = model.get("head") + rows.slice(0, FIRST).join("") + model.get("tail");
    if (rows.length <= FIRST) return;
    // after the paint, once the browser has nothing else to do (laying out 200 rows takes it ~100 ms)
    requestAnimationFrame(() => requestIdleCallback(() => {
      const body = el.querySelector("table tbody") || el.querySelector("table");
      if (mine === drawn && body) body.insertAdjacentHTML("beforeend", rows.slice(FIRST).join(""));
    }, { timeout: 1000 }));
  }
  model.on("change", draw);
  draw();
}

export default { render };
