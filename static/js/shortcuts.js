// The one keyboard rule of every screen (home, write, classify, compare, review, adjudication):
//  - a single key (letter, digit, arrow, ?) is a shortcut only while the cursor is not in a text box;
//    in a text box every key types, and nothing else happens;
//  - Esc leaves the text box (or closes the open dialog);
//  - Ctrl/Cmd combinations (Ctrl+Enter, Ctrl+S) act everywhere, text boxes included;
//  - no screen puts the cursor in a text box by itself (not on load, not after a swap, not after a
//    choice): only a click, or the key named for that box (E for the editor, F for the feedback...).
// The same words are shown in every shortcuts dialog (templates/annotations/_shortcut_rule.html).

const TEXT_ENTRY =
  'textarea, select, input:not([type=radio]):not([type=checkbox]):not([type=hidden]):not([type=submit])' +
  ':not([type=button]):not([type=reset]):not([type=range]):not([type=color]):not([type=file]):not([type=image])';

export const byId = (id) => document.getElementById(id);

export function isTextEntry(el) {
  return Boolean(el && el.matches && (el.isContentEditable || el.matches(TEXT_ENTRY)));
}

export function openDialog(id) {
  const dialog = byId(id);
  if (dialog && !dialog.open) dialog.showModal();
}

/** Listen for the keys of a screen under the rule above.
 *  combo(event, key): Ctrl/Cmd + key, anywhere (not while a dialog is open); true when handled.
 *  escape(event): Esc outside a dialog; true when handled (otherwise Esc leaves the text box).
 *  single(event, key): a key without modifiers, outside text boxes and dialogs; true when handled.
 *  key is event.key, lower-cased when it is one character. */
export function listen({ combo, escape, single }) {
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    const typing = isTextEntry(target);
    const dialogOpen = Boolean(document.querySelector('dialog[open]'));
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (event.ctrlKey || event.metaKey) {
      // A dialog (guideline, shortcuts) is open: the work behind it is not what the keys act on.
      if (!dialogOpen && combo && combo(event, key)) event.preventDefault();
      return;
    }
    if (event.key === 'Escape') {
      if (dialogOpen) return; // the dialog closes itself
      if (escape && escape(event)) return;
      if (typing) target.blur();
      return;
    }
    if (typing || dialogOpen || event.altKey || event.isComposing || event.repeat) return;
    // Enter on a focused button or link keeps its own meaning.
    if (event.key === 'Enter' && target.closest && target.closest('button, a, summary')) return;
    if (key === '?' && byId('shortcuts-dialog')) {
      openDialog('shortcuts-dialog');
      event.preventDefault();
      return;
    }
    if (single && single(event, key)) event.preventDefault();
  });
}

document.addEventListener('click', (event) => {
  const opener = event.target.closest && event.target.closest('[data-open-dialog]');
  if (opener) openDialog(opener.dataset.openDialog);
});
