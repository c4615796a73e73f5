// Keyboard shortcuts for the work screens (annotate, compare, all done) and the home page.
// Loaded once per page; the work area is swapped by htmx after each submit, so every handler
// looks the current elements up when it runs instead of holding on to them.
// Shortcuts never fire while typing in a text field, except Ctrl+Enter, Ctrl+S and Escape.

const TEXT_ENTRY =
  'textarea, select, [contenteditable=""], [contenteditable="true"], ' +
  'input:not([type=radio]):not([type=checkbox]):not([type=hidden]):not([type=submit]):not([type=button])';

const byId = (id) => document.getElementById(id);
const isTyping = (el) => Boolean(el && el.matches && el.matches(TEXT_ENTRY));

function openDialog(id) {
  const dialog = byId(id);
  if (dialog && !dialog.open) dialog.showModal();
}

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

function choose(row, side) {
  check(row.querySelector(`input[name="${row.dataset.pref}"][value="${side}"]`));
  if (side === 'tie') {
    for (const s of row.querySelectorAll(`input[name="${row.dataset.pref}-strength"]`)) s.checked = false;
    moveRow(1);
  } else if (row.querySelector(`input[name="${row.dataset.pref}-strength"]:checked`)) {
    moveRow(1);
  }
  markRow(row);
}

function setStrength(row, value) {
  const choice = rowChoice(row);
  if (choice === 'tie') return;
  check(row.querySelector(`input[name="${row.dataset.pref}-strength"][value="${value}"]`));
  if (choice) moveRow(1);
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
  } else if (area.dataset.kind === 'write') {
    focusEditor();
  }
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
  const editor = error.closest('.editor');
  if (editor) editor.querySelector('textarea').focus();
  else if (error.id === 'error-skip_reason') byId('skip-reason')?.focus();
}

// --- keys --------------------------------------------------------------------------------------

function onWorkKey(event, area) {
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const kind = area.dataset.kind;
  if (kind === 'done') {
    if (key === 'h') document.querySelector('[data-testid=back-home]')?.click();
    return false;
  }
  if (key === 'e') focusEditor();
  else if (key === 'g') openDialog('guideline-dialog');
  else if (key === '?') openDialog('shortcuts-dialog');
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
    else if (key === 'j' || key === 'ArrowDown') moveRow(1);
    else if (key === 'k' || key === 'ArrowUp') moveRow(-1);
    else return false;
  } else return false;
  return true;
}

document.addEventListener('keydown', (event) => {
  const target = event.target;
  const typing = isTyping(target);
  const mod = event.ctrlKey || event.metaKey;
  const inSkip = Boolean(target.closest && target.closest('#skip-form'));
  // A modal (guideline, shortcuts) is open: the work behind it is not what the keys act on.
  if (mod && document.querySelector('dialog[open]')) return;
  if (mod && event.key === 'Enter') {
    const button = inSkip ? byId('skip-form').querySelector('button[type=submit]') : byId('submit-button');
    if (button) {
      event.preventDefault();
      button.click();
    }
    return;
  }
  if (mod && (event.key === 's' || event.key === 'S')) {
    const button = byId('draft-button');
    if (button) {
      event.preventDefault();
      button.click();
    }
    return;
  }
  if (event.key === 'Escape') {
    if (document.querySelector('dialog[open]')) return; // the dialog closes itself
    if (inSkip) hideSkip();
    else if (typing) target.blur();
    return;
  }
  if (typing || mod || event.altKey || event.isComposing || event.repeat) return;
  if (document.querySelector('dialog[open]')) return;
  const area = byId('work-area');
  if (!area) {
    // home: 1..9 opens the project on that row
    if (/^[1-9]$/.test(event.key)) {
      const link = document.querySelector(`[data-home-shortcut="${event.key}"]`);
      if (link) {
        event.preventDefault();
        link.click();
      }
    }
    return;
  }
  if (onWorkKey(event, area)) event.preventDefault();
});

document.addEventListener('click', (event) => {
  const opener = event.target.closest('[data-open-dialog]');
  if (opener) openDialog(opener.dataset.openDialog);
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

initWorkArea();
if (byId('work-area') && document.querySelector('#work-area .field-error:not(:empty)')) focusFirstError();
