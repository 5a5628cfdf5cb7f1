// Putting text on the reader's clipboard from a button in a cell.

/**
 * The Clipboard API where the page may use it, else the browser's copy command on a selected,
 * unseen text area. The API is refused in a frame of another origin unless its parent allows
 * `clipboard-write` (a learning platform, Canvas or Moodle, showing course notes in one) and is
 * missing on a page served over plain http; there Copy only ever said "Copy failed". The copy
 * command needs only the click that called it. The text area goes beside the button, in the
 * cell's shadow root, where the page's styles do not reach, and the focus goes back to the button.
 */
export async function writeClipboard(button: HTMLElement, text: string): Promise<boolean> {
  const doc = button.ownerDocument;
  // Asked first where the browser can say so: the refused API logs a console error.
  const policy = (doc as Document & { featurePolicy?: { allowsFeature(name: string): boolean } }).featurePolicy;
  const allowed = policy ? policy.allowsFeature('clipboard-write') : true;
  if (allowed && navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (no focus, a policy the browser did not tell of): the copy command may yet work.
    }
  }
  return copyBySelection(button, text);
}

function copyBySelection(button: HTMLElement, text: string): boolean {
  const doc = button.ownerDocument;
  const area = doc.createElement('textarea');
  area.value = text;
  area.readOnly = true;
  area.setAttribute('aria-hidden', 'true');
  area.tabIndex = -1;
  // Fixed, so that neither the bar's layout nor the page's scroll moves for it.
  area.style.cssText = 'position: fixed; top: 0; left: 0; width: 1px; height: 1px; padding: 0; border: 0; opacity: 0;';
  button.after(area);
  let copied = false;
  try {
    area.focus({ preventScroll: true });
    area.select();
    copied = doc.execCommand('copy');
  } catch {
    copied = false;
  } finally {
    area.remove();
    button.focus({ preventScroll: true });
  }
  return copied;
}
