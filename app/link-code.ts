// What the page at / starts with: its welcome code, or the code of a ?z=/#z= or ?c= link and
// the language it names. Pure, shared by the server page (?z=, ?c=) and the client cell (#z=).
import { MAX_SNIPPET_BYTES } from '../protocol/limits';
import { tooLargeMessage, ZLinkError } from '../protocol/zlink';

// The first line names Run too: a phone's reader has no Shift key.
export const WELCOME = `# Run (or Shift+Enter) runs the cell
import math

print("Hello from Cellbox")
[math.factorial(n) for n in range(8)]
`;

export const DEFAULT_LANGUAGE = 'python';

export interface StartingCell {
  code: string;
  language: string;
  /** Sentences to show above the cell: what was wrong with the link. */
  notices: string[];
}

/** The link's language if the server offers it; otherwise python and a note saying so. */
export function linkLanguage(lang: string | null, offered: readonly string[]): { language: string; notice?: string } {
  if (lang === null || lang === '') return { language: DEFAULT_LANGUAGE };
  if (offered.includes(lang)) return { language: lang };
  const shown = JSON.stringify(lang.slice(0, 40));
  return { language: DEFAULT_LANGUAGE, notice: `This link asks for the language ${shown}, which this server does not run; the code is shown as Python instead.` };
}

/**
 * What a link to the page names, in SageMathCell's link formats: `c`, the code as it is
 * (`/?c=factor(2%5E64%2B1)&lang=sage`), `z`, the code zipped, and `lang`. SageMathCell reads `c`
 * first.
 */
export interface PageLink {
  c?: string | null;
  z: string | null;
  lang: string | null;
  /** SageMathCell's `?q=<id>`: a permalink in SageMathCell's own database, which this server has not. */
  q?: string | null;
}

/** The page's cell for a link's `c` or `z` (decoded by `decode`) and `lang`; a bad one gives the welcome code and a notice. */
export async function startingCell({ c = null, z, lang, q = null }: PageLink, offered: readonly string[], decode: (z: string) => string | Promise<string>): Promise<StartingCell> {
  if (c !== null) {
    // Its code as it is: a link made by hand, or one of SageMathCell's (`?c=` opened an empty cell).
    if (new TextEncoder().encode(c).length > MAX_SNIPPET_BYTES) {
      return { code: WELCOME, language: DEFAULT_LANGUAGE, notices: [`This link's code could not be read: ${tooLargeMessage(MAX_SNIPPET_BYTES)}. The usual starting code is shown instead.`] };
    }
    const l = linkLanguage(lang, offered);
    return { code: c, language: l.language, notices: l.notice ? [l.notice] : [] };
  }
  if (z === null) {
    const l = linkLanguage(lang, offered);
    const notices = l.notice ? [l.notice] : [];
    // Said, rather than an empty cell as if the link had no code.
    if (q !== null) notices.push("This link names a SageMathCell permalink (q=…), whose code is kept by SageMathCell, not by this server; open it there, or share its code from there as a link with the code in it (z=…).");
    return { code: l.language === DEFAULT_LANGUAGE ? WELCOME : '', language: l.language, notices };
  }
  try {
    const code = await decode(z);
    const l = linkLanguage(lang, offered);
    return { code, language: l.language, notices: l.notice ? [l.notice] : [] };
  } catch (e) {
    // Whatever went wrong, it is the link's fault: a notice on the page, never an error page.
    const why = e instanceof ZLinkError ? e.message : `it could not be decoded (${(e as Error).message})`;
    return { code: WELCOME, language: DEFAULT_LANGUAGE, notices: [`This link's code could not be read: ${why}. The usual starting code is shown instead.`] };
  }
}
