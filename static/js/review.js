// Review console keyboard and widgets: queue navigation (j/k/Enter), scoring by number keys,
// the revision replay scrubber, and the per-dimension score charts on "My feedback".
// Event handlers are delegated on document, so htmx-swapped pieces need no re-binding.

const typing = (el) =>
  el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || (el.tagName === "INPUT" && !["radio", "checkbox", "range"].includes(el.type)));

// --- Queue ---------------------------------------------------------------------------
function queueRows() {
  return [...document.querySelectorAll("[data-review-queue] tr[data-href]")];
}
function queueSelect(index) {
  const rows = queueRows();
  if (!rows.length) return;
  const i = Math.max(0, Math.min(rows.length - 1, index));
  rows.forEach((row, n) => row.classList.toggle("selected", n === i));
  rows[i].focus({ preventScroll: false });
}
function queueIndex() {
  return queueRows().findIndex((row) => row.classList.contains("selected"));
}
function queueKeys(event) {
  if (!document.querySelector("[data-review-queue]")) return false;
  if (event.key === "j") queueSelect(queueIndex() + 1);
  else if (event.key === "k") queueSelect(Math.max(0, queueIndex() - 1));
  else if (event.key === "Enter") {
    const row = queueRows()[queueIndex()];
    if (!row) return false;
    window.location.assign(row.dataset.href);
  } else if (event.key === "/") document.querySelector("#queue-filters select, #queue-filters input")?.focus();
  else return false;
  return true;
}
document.addEventListener("click", (event) => {
  const row = event.target.closest("[data-review-queue] tr[data-href]");
  if (row && !event.target.closest("a")) window.location.assign(row.dataset.href);
});

// --- Scoring ---------------------------------------------------------------------------
function dimensions() {
  return [...document.querySelectorAll("[data-scoring-form] [data-dimension]")];
}
function focusedDimension() {
  return document.querySelector("[data-scoring-form] [data-dimension].focused");
}
function focusDimension(index) {
  const dims = dimensions();
  if (!dims.length) return;
  const i = Math.max(0, Math.min(dims.length - 1, index));
  dims.forEach((d, n) => d.classList.toggle("focused", n === i));
  dims[i].focus({ preventScroll: true });
  dims[i].scrollIntoView({ block: "nearest" });
}
function setVerdict(value) {
  const radio = document.querySelector(`[data-scoring-form] input[name=verdict][value=${value}]`);
  if (radio) radio.checked = true;
}
function scoringKeys(event) {
  const form = document.querySelector("[data-scoring-form]");
  if (!form || !dimensions().length) return false;
  const dims = dimensions();
  const current = focusedDimension();
  const index = current ? dims.indexOf(current) : -1;
  if (/^[0-9]$/.test(event.key)) {
    const target = current || dims[0];
    const radio = target.querySelector(`input[type=radio][value="${event.key}"]`);
    if (!radio) return true; // outside the scale: ignore, but swallow the key
    radio.checked = true;
    const next = dims.indexOf(target) + 1;
    if (next < dims.length) focusDimension(next);
    else form.querySelector("input[name=verdict]")?.focus();
    return true;
  }
  switch (event.key) {
    case "ArrowDown": focusDimension(index + 1); return true;
    case "ArrowUp": focusDimension(Math.max(0, index - 1)); return true;
    case "a": setVerdict("accept"); return true;
    case "r": setVerdict("revise"); form.querySelector("textarea[name=feedback]")?.focus(); return true;
    case "x": setVerdict("reject"); form.querySelector("textarea[name=feedback]")?.focus(); return true;
    case "e": {
      const box = form.querySelector("input[name=exemplary]");
      if (box) { box.checked = !box.checked; if (box.checked) form.querySelector("textarea[name=exemplar_note]")?.focus(); }
      return true;
    }
    case "f": form.querySelector("textarea[name=feedback]")?.focus(); return true;
    default: return false;
  }
}
function submitScoring() {
  const form = document.querySelector("[data-scoring-form]");
  if (form) form.requestSubmit();
}

// --- Replay ---------------------------------------------------------------------------
function replayShow(root, index) {
  const steps = [...root.querySelectorAll("[data-replay-step]")];
  if (!steps.length) return;
  const i = Math.max(0, Math.min(steps.length - 1, index));
  steps.forEach((s, n) => { s.hidden = n !== i; });
  const range = root.querySelector("[data-replay-range]");
  if (range) range.value = String(i);
  const pos = root.querySelector("[data-replay-pos]");
  if (pos) pos.textContent = String(i + 1);
}
document.addEventListener("input", (event) => {
  if (event.target.matches("[data-replay-range]")) replayShow(event.target.closest("[data-replay]"), Number(event.target.value));
});
function replayKeys(event) {
  const root = document.querySelector("[data-replay]");
  if (!root || (event.key !== "," && event.key !== ".")) return false;
  const range = root.querySelector("[data-replay-range]");
  replayShow(root, Number(range.value) + (event.key === "." ? 1 : -1));
  return true;
}

document.addEventListener("keydown", (event) => {
  const el = document.activeElement;
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
    if (document.querySelector("[data-scoring-form]")) { event.preventDefault(); submitScoring(); }
    return;
  }
  if (event.key === "Escape" && typing(el)) { el.blur(); return; }
  if (typing(el) || event.ctrlKey || event.metaKey || event.altKey) return;
  if (queueKeys(event) || scoringKeys(event) || replayKeys(event)) event.preventDefault();
});

// After an htmx swap (the next annotation, or the form with errors) start again at the first dimension.
document.addEventListener("htmx:afterSwap", () => {
  const invalid = document.querySelector("[data-scoring-form] [data-dimension].invalid");
  if (invalid) focusDimension(dimensions().indexOf(invalid));
  else if (dimensions().length) focusDimension(0);
});
if (dimensions().length) focusDimension(0);
if (queueRows().length) queueSelect(0);

// --- Score charts on "My feedback" -------------------------------------------------------
const history = document.getElementById("score-history");
if (history && window.Chart) {
  const series = JSON.parse(history.textContent);
  for (const canvas of document.querySelectorAll("canvas[data-score-chart]")) {
    const s = series[canvas.dataset.scoreChart];
    if (!s) continue;
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: [{ label: s.name, data: s.points.map(([x, y]) => ({ x, y })), tension: 0.2, pointRadius: 3 }] },
      options: {
        animation: false,
        parsing: true,
        plugins: { legend: { display: false } },
        scales: {
          x: { type: "linear", title: { display: true, text: "my n-th annotation" }, ticks: { precision: 0 } },
          y: { min: s.min, max: s.max, title: { display: true, text: "score" }, ticks: { stepSize: 1 } },
        },
      },
    });
  }
}
