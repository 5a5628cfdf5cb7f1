// The parts of a cell left out: those the page named (data-hide, a SageMathCell template's
// hide), and those that mean nothing without them. Pure, so that it is tested without a page.
import type { Hideable } from './cell';

/**
 * `hide` and what follows from it: with the editor hidden (`data-hide="editor"`, SageMathCell's
 * `minimal` template, "a button and the output"), Copy too, which copied code the reader could
 * not see. Share stays unless hidden: its link opens the code where it can be read.
 */
export function hiddenParts(hide: readonly Hideable[] = []): Set<Hideable> {
  const hidden = new Set<Hideable>(hide);
  if (hidden.has('editor')) hidden.add('copy');
  return hidden;
}
