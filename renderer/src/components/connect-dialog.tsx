import { useEffect, useRef, useState } from 'preact/hooks';
import { clientSnippets, endpointUrl } from '../lib/client-config.ts';
import { CopyButton } from './common.tsx';

/**
 * "Connect a client": the endpoint URL and a ready snippet per client (Claude Desktop, Cursor,
 * VS Code), each with a copy button. A native <dialog>: focus is trapped and Escape closes it.
 */
export function ConnectDialog(props: { origin: string; server: string | null; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const snippets = clientSnippets(props.origin, props.server);
  const [tab, setTab] = useState(0);
  const url = endpointUrl(props.origin, props.server);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const current = snippets[tab] ?? snippets[0]!;
  const title =
    props.server === null ? 'Connect a client to every server' : `Connect a client to ${props.server}`;
  return (
    <dialog ref={dialog} aria-labelledby="connect-title" onClose={props.onClose}>
      <h2 id="connect-title">{title}</h2>
      <p>
        Streamable HTTP endpoint: <code class="url">{url}</code>{' '}
        <CopyButton text={url} label={`Copy the endpoint URL ${url}`} />
      </p>
      <div class="tabs" role="tablist" aria-label="MCP client">
        {snippets.map((snippet, i) => (
          <button
            key={snippet.client}
            type="button"
            role="tab"
            id={`client-tab-${i}`}
            aria-selected={i === tab}
            aria-controls="client-panel"
            tabIndex={i === tab ? 0 : -1}
            onClick={() => setTab(i)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                const next = (tab + (e.key === 'ArrowRight' ? 1 : snippets.length - 1)) % snippets.length;
                setTab(next);
                document.getElementById(`client-tab-${next}`)?.focus();
              }
            }}
          >
            {snippet.client}
          </button>
        ))}
      </div>
      <div id="client-panel" role="tabpanel" aria-labelledby={`client-tab-${tab}`}>
        <p class="muted">
          Add to <code>{current.file}</code>. {current.note}
        </p>
        <pre class="code">{current.text}</pre>
        <p>
          <CopyButton text={current.text}>Copy {current.client} config</CopyButton>
        </p>
      </div>
      <button type="button" onClick={() => dialog.current?.close()}>
        Close
      </button>
    </dialog>
  );
}
