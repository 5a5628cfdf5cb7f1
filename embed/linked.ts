// A page's linked cells (the embed's `linked` option, SageMathCell's `linked: true`): the linked
// cells of one chain (the page's default one, one data-linked="name" names, or one
// makeSagecell() call's), of one server and one language, run in document order: running one
// sends the code of those before it, as their editors hold it then. Each cell still runs in a fresh
// process of its own, which runs that code first with its output hidden (docs/embedding.md).
import type { CellHandle } from './cell';

/** A chain of linked cells: '' the page's default one, a name, or a symbol no markup can name. */
export type Chain = string | symbol;

interface Member {
  /** The cell's element in the page, whose place orders the chain. */
  host: HTMLElement;
  chain: Chain;
  server: string;
  cell: Pick<CellHandle, 'code' | 'language'>;
}

const members = new Map<HTMLElement, Member>();

/**
 * How a cell's linked note names its chain: undefined for the page's default one (most pages
 * have no other), `chain "name"` for a named one, a symbol's description (a makeSagecell()
 * call's chain) as it is.
 */
export function chainName(chain: Chain): string | undefined {
  if (typeof chain === 'symbol') return chain.description || undefined;
  return chain === '' ? undefined : `chain "${chain}"`;
}

/** Adds a mounted cell to `chain`; leaveChain() takes it out again (the cell destroyed). */
export function joinChain(host: HTMLElement, chain: Chain, server: string, cell: Pick<CellHandle, 'code' | 'language'>): void {
  members.set(host, { host, chain, server, cell });
}

export function leaveChain(host: HTMLElement): void {
  members.delete(host);
}

/**
 * The code of the linked cells before `host` in its chain, in document order: those of the
 * same chain, the same server and of the language `host`'s cell has now (a reader may choose another), in the
 * page (a detached cell is in no chain), above it.
 */
export function codeBefore(host: HTMLElement): string[] {
  const self = members.get(host);
  if (!self) return [];
  const language = self.cell.language;
  return [...members.values()]
    .filter((m) => m !== self && m.chain === self.chain && m.server === self.server && m.cell.language === language && m.host.isConnected
      && (m.host.compareDocumentPosition(host) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0)
    .sort((a, b) => (a.host.compareDocumentPosition(b.host) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))
    .map((m) => m.cell.code);
}
