'use client';
// The interactive cell of Cellbox's pages: the shared cell widget (embed/cell.ts) mounted in
// React. On / it also reads a `#z=…&lang=…` link from the hash, which never reaches the server.
import { useEffect, useRef, useState } from 'react';
import { mountCell, type CellHandle } from '../embed/cell';
import { decodeZLink, parseZLinkHash } from '../protocol/zlink';
import { draftStorage, readDraft, saveDraft, type Draft } from './draft';
import { startingCell } from './link-code';

export interface CellPageProps {
  code: string;
  language: string;
  /** Sentences shown above the cell (what was wrong with a ?z= link). */
  notices?: string[];
  /** Names of the languages the server offers: a #z= link's `lang` must be one. */
  offered?: string[];
  /** Take code and language from a #z= link in the hash when there is one (the page at /). */
  readHash?: boolean;
  autorun?: boolean;
  editedNote?: string;
  /** Keep what is typed in the browser and bring it back on the next visit (the plain page at /, no link). */
  keepDraft?: boolean;
}

/** How long typing pauses before the draft is written (and at once when the page is hidden). */
const DRAFT_DELAY_MS = 300;

/**
 * The defaults of the array props, made once: `offered` is a dependency of the effect that
 * mounts the cell, and a fresh `[]` on every render (the permalink page passes none) made each
 * re-render destroy the cell and mount a new one: a Run pressed on the first was lost, and
 * `?autorun=1` ran the code twice.
 */
const NONE: string[] = [];

export default function CellPage({ code, language, notices = NONE, offered = NONE, readHash = false, autorun = false, editedNote, keepDraft = false }: CellPageProps) {
  const box = useRef<HTMLDivElement>(null);
  const [mounted, setMounted] = useState(false);
  // The notices of a #z= link, which replace the server's (the hash wins over ?z=); null: none read.
  const [hashNotices, setHashNotices] = useState<string[] | null>(null);

  useEffect(() => {
    let cell: CellHandle | null = null;
    let generation = 0;
    let closed = false;
    // The draft waiting to be written, and what it is compared with (the cell as it started).
    let pending: { draft: Draft; start: Draft } | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      clearTimeout(timer);
      if (pending) saveDraft(draftStorage(), pending.draft, pending.start);
      pending = null;
    };
    async function mount(): Promise<void> {
      const mine = ++generation;
      let start = { code, language, notices: null as string[] | null };
      const link = readHash ? parseZLinkHash(window.location.hash) : null;
      if (link) {
        const s = await startingCell(link, offered, (z) => decodeZLink(z));
        start = { ...s, notices: s.notices };
      }
      if (closed || mine !== generation) return;
      setHashNotices(start.notices);
      flush();
      cell?.destroy();
      // A link names its code; without one, the last draft comes back (Reset still goes to the start).
      const keeping = keepDraft && !link;
      const draft = keeping ? readDraft(draftStorage(), offered) : null;
      const first = { code: start.code, language: start.language };
      const onEdit = keeping
        ? (d: Draft) => {
            pending = { draft: d, start: first };
            clearTimeout(timer);
            timer = setTimeout(flush, DRAFT_DELAY_MS);
          }
        : undefined;
      // Mounted with the starting cell, so that Reset goes back to its code and language together;
      // the draft is then an edit of it.
      cell = mountCell(box.current!, { code: start.code, language: start.language, autorun, editedNote, onEdit });
      if (draft) {
        cell.language = draft.language;
        cell.code = draft.code;
      }
      setMounted(true);
    }
    const onHash = () => void mount();
    void mount();
    if (readHash) window.addEventListener('hashchange', onHash);
    window.addEventListener('pagehide', flush);
    return () => {
      closed = true;
      flush();
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('pagehide', flush);
      cell?.destroy();
    };
  }, [code, language, offered, readHash, autorun, editedNote, keepDraft]);

  const shown = hashNotices ?? notices;
  return (
    <>
      {shown.map((n) => (
        <p key={n} className="notice" role="alert">
          {n}
        </p>
      ))}
      {/* The code before the editor is built, and for readers without JavaScript. */}
      {!mounted && <pre className="cell-static">{code}</pre>}
      <div ref={box} className="cell-host" />
    </>
  );
}
