'use client';
// The interactive cell of the page at /: code, a language, Run, and the outputs as text.
import { useEffect, useRef, useState } from 'react';
import { CellClientError, interruptCell, listLanguages, runCell } from '../embed/client';
import type { ErrorContent, FileInfo, Message, MimeBundle, StreamContent } from '../protocol/messages';
import { FILES_MIME } from '../protocol/messages';

interface Output { key: number; kind: 'stdout' | 'stderr' | 'result' | 'error' | 'files'; text: string; files?: FileInfo[] }

function plain(data: MimeBundle): string {
  return typeof data['text/plain'] === 'string' ? (data['text/plain'] as string) : Object.keys(data).join(', ');
}

// The page shows text for now; rich rendering (HTML, images, MathJax) comes with the cell renderer.
function toOutput(m: Message, key: number): Output | null {
  const c = m.content as unknown as Record<string, unknown>;
  switch (m.header.msg_type) {
    case 'stream':
      return { key, kind: (c as unknown as StreamContent).name, text: (c as unknown as StreamContent).text };
    case 'execute_result':
    case 'display_data': {
      const data = c.data as MimeBundle;
      const files = data[FILES_MIME] as { files: FileInfo[] } | undefined;
      if (files) return { key, kind: 'files', text: '', files: files.files };
      return { key, kind: 'result', text: plain(data) };
    }
    case 'error': {
      const e = c as unknown as ErrorContent;
      const tb = e.traceback.length ? e.traceback.join('\n') : `${e.ename}: ${e.evalue}`;
      return { key, kind: 'error', text: tb.replace(/\x1b\[[0-9;]*m/g, '') };
    }
    default:
      return null;
  }
}

export default function CellPage() {
  const [code, setCode] = useState('print("Hello from Cellbox")');
  const [language, setLanguage] = useState('python');
  const [languages, setLanguages] = useState<{ name: string; display_name: string }[]>([]);
  const [outputs, setOutputs] = useState<Output[]>([]);
  const [status, setStatus] = useState('');
  const [cellId, setCellId] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    listLanguages().then(setLanguages, () => setStatus('Could not load the language list.'));
  }, []);

  async function run() {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setOutputs([]);
    setCellId(null);
    setRunning(true);
    setStatus('Running…');
    const started = performance.now();
    let n = 0;
    let failed: string | null = null;
    try {
      await runCell(code, language, {
        signal: controller.signal,
        onCreated: setCellId,
        onMessage: (m) => {
          if (m.header.msg_type === 'error') failed = (m.content as ErrorContent).ename;
          const o = toOutput(m, n++);
          if (o) setOutputs((prev) => [...prev, o]);
        },
      });
      const ms = Math.round(performance.now() - started);
      setStatus(failed ? `Error: ${failed}` : `Done in ${ms} ms`);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setStatus(e instanceof CellClientError ? e.message : String(e));
    } finally {
      setRunning(false);
    }
  }

  function onKeyDown(e: React.KeyboardEvent) {
    if (e.key === 'Enter' && (e.shiftKey || e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run();
    }
  }

  return (
    <section aria-label="Code cell">
      <textarea aria-label="Code" value={code} onChange={(e) => setCode(e.target.value)} onKeyDown={onKeyDown} spellCheck={false} />
      <div className="bar">
        <select aria-label="Language" value={language} onChange={(e) => setLanguage(e.target.value)}>
          {(languages.length ? languages : [{ name: 'python', display_name: 'Python 3' }]).map((l) => (
            <option key={l.name} value={l.name}>{l.display_name}</option>
          ))}
        </select>
        {running ? (
          <button className="primary" onClick={() => cellId && void interruptCell(cellId)}>Stop</button>
        ) : (
          <button className="primary" onClick={() => void run()}>Run</button>
        )}
        <span className="status" role="status" aria-live="polite">{status}</span>
      </div>
      <div className="output" data-cell={cellId ?? ''}>
        {outputs.map((o) =>
          o.kind === 'files' ? (
            <ul key={o.key}>
              {o.files!.map((f) => (
                <li key={f.name}><a href={f.url} target="_blank" rel="noopener">{f.name}</a> ({f.size} bytes)</li>
              ))}
            </ul>
          ) : (
            <pre key={o.key} className={o.kind}>{o.text}</pre>
          ),
        )}
      </div>
    </section>
  );
}
