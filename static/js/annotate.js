// Keyboard shortcuts for the work screens (annotate, compare, all done) and the home page, under
// the one rule of static/js/shortcuts.js: single keys act only outside text boxes, Esc leaves a text
// box, Ctrl/Cmd combinations (Ctrl+Enter, Ctrl+S) act everywhere, and nothing puts the cursor in a
// text box by itself (E does it for the editor, X for the skip reason).
// Loaded once per page; the work area is swapped by htmx after each submit, so every handler
// looks the current elements up when it runs instead of holding on to them.

import { byId, isTextEntry, listen, openDialog } from './shortcuts.js';

function showSkip() {
  const form = byId('skip-form');
  if (!form) return;
  form.hidden = false;
  form.querySelector('input[name=skip_reason]').focus();
}

function hideSkip() {
  const form = byId('skip-form');
  if (!form) return;
  form.hidden = true;
  if (form.contains(document.activeElement)) document.activeElement.blur();
}

function focusEditor() {
  const editor = document.querySelector('#work-form textarea[data-instrument]');
  if (!editor) return;
  editor.focus();
  const end = editor.value.length;
  editor.setSelectionRange(end, end);
}

// --- compare: one preference row (a dimension, or overall) is active at a time -------------

const rows = () => [...document.querySelectorAll('#work-form .pref-row')];
const activeRow = () => document.querySelector('#work-form .pref-row.is-active');

function setActive(row) {
  for (const r of rows()) r.classList.toggle('is-active', r === row);
  if (row) row.scrollIntoView({ block: 'nearest' });
}

function moveRow(delta) {
  const all = rows();
  if (!all.length) return;
  const index = all.indexOf(activeRow());
  setActive(all[Math.max(0, Math.min(all.length - 1, index + delta))]);
}

function rowChoice(row) {
  const checked = row.querySelector(`input[name="${row.dataset.pref}"]:checked`);
  return checked ? checked.value : '';
}

function markRow(row) {
  row.classList.toggle('is-tie', rowChoice(row) === 'tie');
}

function check(input) {
  if (!input) return;
  input.checked = true;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

// Every row goes the same way, whatever the choice: L, R or T chooses, 1-3 sets how much better
// (left or right only), and only Enter (once the row is answered), J or the arrow keys move to
// another row. Nothing moves on by itself, so an extra key never skips a row.
function choose(row, side) {
  check(row.querySelector(`input[name="${row.dataset.pref}"][value="${side}"]`));
  if (side === 'tie') {
    for (const s of row.querySelectorAll(`input[name="${row.dataset.pref}-strength"]`)) s.checked = false;
  }
  markRow(row);
}

function setStrength(row, value) {
  if (rowChoice(row) === 'tie') return;
  check(row.querySelector(`input[name="${row.dataset.pref}-strength"][value="${value}"]`));
}

function rowAnswered(row) {
  const choice = rowChoice(row);
  return choice === 'tie' || Boolean(choice && row.querySelector(`input[name="${row.dataset.pref}-strength"]:checked`));
}

function firstOpenRow() {
  return rows().find((r) => !rowChoice(r)) || rows()[0];
}

// --- set-up for each work area (first load and every htmx swap) ----------------------------

function initWorkArea() {
  const area = byId('work-area');
  if (!area || area.dataset.keysReady) return;
  area.dataset.keysReady = '1';
  if (area.dataset.kind === 'compare') {
    rows().forEach(markRow);
    setActive(firstOpenRow());
  }
  // No editor focus on load or after a swap: the first key pressed is a shortcut, never a stray letter.
}

// Out-of-band error slots replace only the message: mark their field's box to match.
function markInvalid() {
  for (const error of document.querySelectorAll('#work-area .field-error')) {
    const box = error.closest('.pref-row, .editor, fieldset');
    if (box) box.classList.toggle('invalid', Boolean(error.textContent.trim()));
  }
}

function focusFirstError() {
  markInvalid();
  const error = [...document.querySelectorAll('#work-area .field-error')].find((e) => e.textContent.trim());
  if (!error) return;
  const row = error.closest('.pref-row');
  if (row) {
    setActive(row);
    return;
  }
  // The editor's error is shown, not entered: the cursor goes into a text box only when asked (E).
  const editor = error.closest('.editor');
  if (editor) editor.scrollIntoView({ block: 'nearest' });
  else if (error.id === 'error-skip_reason') byId('skip-reason')?.focus();
}

// --- keys --------------------------------------------------------------------------------------

function onWorkKey(key, area) {
  const kind = area.dataset.kind;
  if (kind === 'done') {
    if (key === 'h') document.querySelector('[data-testid=back-home]')?.click();
    return key === 'h';
  }
  if (key === 'e') focusEditor();
  else if (key === 'g') openDialog('guideline-dialog');
  else if (key === 'x') showSkip();
  else if (kind === 'classify' && /^[1-9]$/.test(key)) {
    const input = document.querySelector(`#work-form input[data-shortcut-label="${key}"]`);
    if (!input) return false;
    input.click();
  } else if (kind === 'compare') {
    const row = activeRow() || firstOpenRow();
    if (!row) return false;
    if (!activeRow()) setActive(row);
    if (key === 'l' || key === 'ArrowLeft') choose(row, 'left');
    else if (key === 'r' || key === 'ArrowRight') choose(row, 'right');
    else if (key === 't') choose(row, 'tie');
    else if (/^[1-3]$/.test(key)) setStrength(row, key);
    else if (key === 'Enter') {
      if (rowAnswered(row)) moveRow(1);
    } else if (key === 'j' || key === 'ArrowDown') moveRow(1);
    else if (key === 'k' || key === 'ArrowUp') moveRow(-1);
    else return false;
  } else return false;
  return true;
}

const inSkip = (el) => Boolean(el && el.closest && el.closest('#skip-form'));

listen({
  combo(event, key) {
    if (key === 'Enter') {
      const button = inSkip(event.target) ? byId('skip-form').querySelector('button[type=submit]') : byId('submit-button');
      button?.click();
      return Boolean(button);
    }
    if (key === 's') {
      const button = byId('draft-button');
      button?.click();
      return Boolean(button);
    }
    return false;
  },
  escape(event) {
    if (!inSkip(event.target)) return false;
    hideSkip();
    return true;
  },
  single(event, key) {
    const area = byId('work-area');
    if (area) return onWorkKey(key, area);
    // home: 1..9 opens the project on that row
    const link = /^[1-9]$/.test(key) && document.querySelector(`[data-home-shortcut="${key}"]`);
    if (link) link.click();
    return Boolean(link);
  },
});

document.addEventListener('click', (event) => {
  if (event.target.closest('[data-open-skip]')) showSkip();
  if (event.target.closest('[data-close-skip]')) hideSkip();
  const row = event.target.closest('#work-form .pref-row');
  if (row) setActive(row);
});

document.addEventListener('change', (event) => {
  const row = event.target.closest && event.target.closest('#work-form .pref-row');
  if (row) markRow(row);
});

document.addEventListener('focusin', (event) => {
  const row = event.target.closest && event.target.closest('#work-form .pref-row');
  if (row && !row.classList.contains('is-active')) setActive(row);
});

// htmx swaps in the next task (htmx:load), or status + field errors after an invalid submit.
document.addEventListener('htmx:load', initWorkArea);
document.addEventListener('htmx:afterSettle', (event) => {
  if (event.detail && event.detail.target && event.detail.target.id === 'form-status') focusFirstError();
});
// htmx gives the focus back to an element with the same id in the same step as the swap: on the
// next task that would be its editor, so the first shortcut pressed there would be typed. The next
// task starts with the cursor in no text box, like the first one (htmx:afterSwap comes right after,
// before any key can be pressed).
let swappedAnnotation = byId('work-area')?.dataset.annotationId;
document.addEventListener('htmx:afterSwap', () => {
  const area = byId('work-area');
  if (!area || area.dataset.annotationId === swappedAnnotation) return;
  swappedAnnotation = area.dataset.annotationId;
  const focused = document.activeElement;
  if (isTextEntry(focused) && area.contains(focused)) focused.blur();
});

initWorkArea();
if (byId('work-area') && document.querySelector('#work-area .field-error:not(:empty)')) focusFirstError();
