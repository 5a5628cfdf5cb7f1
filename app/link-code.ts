// What the page at / starts with: its welcome code, or the code of a ?z=/#z= link and the
// language it names. Pure, shared by the server page (?z=) and the client cell (#z=).
import { ZLinkError } from '../protocol/zlink';

export const WELCOME = `# Shift+Enter runs the cell
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

/** The page's cell for a link's `z` (decoded by `decode`) and `lang`; a bad `z` gives the welcome code and a notice. */
export async function startingCell(z: string | null, lang: string | null, offered: readonly string[], decode: (z: string) => string | Promise<string>): Promise<StartingCell> {
  if (z === null) {
    const l = linkLanguage(lang, offered);
    return { code: l.language === DEFAULT_LANGUAGE ? WELCOME : '', language: l.language, notices: l.notice ? [l.notice] : [] };
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
