// The selection table of workbench/ui/_rows.py: the header and the first rows at once (what the scroll box
// shows), the other rows appended after that paint, so a long table never delays the rows in view.
const FIRST = 25;

function render({ model, el }) {
  let drawn = 0; // which drawing is current: a later one cancels the appending of an earlier one
  function draw() {
    const mine = ++drawn;
    const rows = model.get("rows");
    el.innerHTML = model.get("head") + rows.slice(0, FIRST).join("") + model.get("tail");
    if (rows.length <= FIRST) return;
    requestAnimationFrame(() => setTimeout(() => {
      const body = el.querySelector("table tbody") || el.querySelector("table");
      if (mine === drawn && body) body.insertAdjacentHTML("beforeend", rows.slice(FIRST).join(""));
    }, 0));
  }
  model.on("change", draw);
  draw();
}

export default { render };
