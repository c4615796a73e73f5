// Review console keyboard and widgets: queue navigation (j/k/Enter), scoring by number keys,
// adjudication by number keys, the revision replay scrubber, and the per-dimension score charts on
// "My feedback". Keys follow the one rule of static/js/shortcuts.js (single keys only outside text
// boxes, Esc leaves a text box, Ctrl/Cmd combinations everywhere, no text box focused by itself).
// Event handlers are delegated on document, so htmx-swapped pieces need no re-binding.

import { listen } from "./shortcuts.js";

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
  // Number keys score the dimension; "-" marks it n/a (the radio whose value is "na").
  if (/^[0-9-]$/.test(event.key)) {
    const target = current || dims[0];
    const value = event.key === "-" ? "na" : event.key;
    const radio = target.querySelector(`input[type=radio][value="${value}"]`);
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
    // A verdict or the exemplary box is chosen, not typed into: F and N put the cursor in their boxes.
    case "a": setVerdict("accept"); return true;
    case "r": setVerdict("revise"); return true;
    case "x": setVerdict("reject"); return true;
    case "e": {
      const box = form.querySelector("input[name=exemplary]");
      if (box) box.checked = !box.checked;
      return true;
    }
    case "f": form.querySelector("textarea[name=feedback]")?.focus(); return true;
    case "n": form.querySelector("textarea[name=exemplar_note]")?.focus(); return true;
    default: return false;
  }
}
// --- Adjudication ------------------------------------------------------------------------
// Number keys choose the final verdict or label; for a comparison, A/B/T choose on the active
// question and 1-3 say by how much, and (as on the compare screen) only Enter, J/K or the arrows
// move to another question: nothing moves on by itself.
const adjudicateForm = () => document.querySelector("[data-adjudicate-form]");
const adjRows = () => [...document.querySelectorAll("[data-adjudicate-form] [data-adjudicate-row]")];
const adjActive = () => document.querySelector("[data-adjudicate-form] [data-adjudicate-row].is-active");
function adjSetActive(row) {
  for (const r of adjRows()) r.classList.toggle("is-active", r === row);
  row?.scrollIntoView({ block: "nearest" });
}
function adjMove(delta) {
  const rows = adjRows();
  const i = rows.indexOf(adjActive());
  adjSetActive(rows[Math.max(0, Math.min(rows.length - 1, i + delta))]);
}
function adjChoice(row) {
  return row.querySelector("input[data-choice]:checked")?.value || "";
}
function adjAnswered(row) {
  const choice = adjChoice(row);
  return choice === "tie" || Boolean(choice && row.querySelector("input[data-strength]:checked"));
}
function adjRowKeys(key, row) {
  if (key === "a" || key === "b" || key === "t") {
    const value = key === "t" ? "tie" : key;
    row.querySelector(`input[data-choice][value="${value}"]`).checked = true;
    if (value === "tie") for (const s of row.querySelectorAll("input[data-strength]")) s.checked = false;
  } else if (/^[1-3]$/.test(key)) {
    if (adjChoice(row) !== "tie") row.querySelector(`input[data-strength][value="${key}"]`).checked = true;
  } else if (key === "Enter") {
    if (adjAnswered(row)) adjMove(1);
  } else if (key === "j" || key === "ArrowDown") adjMove(1);
  else if (key === "k" || key === "ArrowUp") adjMove(-1);
  else return false;
  return true;
}
function adjudicateKeys(key) {
  const form = adjudicateForm();
  if (!form) return false;
  if (key === "e" && form.querySelector("[data-answer-text]")) {
    form.querySelector("[data-answer-text]").focus();
    return true;
  }
  if (key === "w") {
    form.querySelector("textarea[name=reasoning]").focus();
    return true;
  }
  const rows = adjRows();
  if (rows.length) {
    const row = adjActive() || rows.find((r) => !adjChoice(r)) || rows[0];
    if (!adjActive()) adjSetActive(row);
    return adjRowKeys(key, row);
  }
  if (!/^[1-9]$/.test(key)) return false;
  const input = form.querySelector(`input[data-adjudicate-choice="${key}"]`);
  if (!input) return false;
  input.click();
  return true;
}
document.addEventListener("click", (event) => {
  const row = event.target.closest && event.target.closest("[data-adjudicate-form] [data-adjudicate-row]");
  if (row) adjSetActive(row);
});
document.addEventListener("change", (event) => {
  const row = event.target.closest && event.target.closest("[data-adjudicate-form] [data-adjudicate-row]");
  if (row && event.target.matches("input[data-choice][value=tie]")) {
    for (const s of row.querySelectorAll("input[data-strength]")) s.checked = false;
  }
});
if (adjRows().length) adjSetActive(adjRows().find((r) => r.classList.contains("invalid")) || adjRows()[0]);

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

listen({
  combo(event, key) {
    if (key !== "Enter") return false;
    const form = document.querySelector("[data-scoring-form], [data-adjudicate-form]");
    if (form) form.requestSubmit();
    return Boolean(form);
  },
  single(event, key) {
    return queueKeys(event) || scoringKeys(event) || adjudicateKeys(key) || replayKeys(event);
  },
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
