/**
 * The token inspector (issue 14 §4): paste a token or code and see what it is — the decoded JWT,
 * its expiry, whether the DVA that issued it still takes it, whose it is — and list the live
 * tokens of a persona or client. A sandbox tool: it says what no real DVA tells a stranger.
 */
import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { formatDateTime } from "../../src/shared/time.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

export interface Inspection {
  jwt: { header: Record<string, unknown>; claims: Record<string, unknown> } | null;
  /** What a DVA said, or null when none knows it. */
  dva: { dva: string; kind: string; active: boolean; reason: string | null; client_id: string | null; owner: string | null; task: string | null; expiresAt: string | null; usedAt: string | null } | null;
}

export interface LiveToken { dva: string; kind: string; id: string; clientId: string; owner: string | null; expiresAt: string }

const when = (iso: string | null) => (iso ? formatDateTime(new Date(iso)) : "—");

function Claims({ claims }: { claims: Record<string, unknown> }): JSX.Element {
  return (
    <table class="stack">
      <caption class="visually-hidden">Claims</caption>
      <thead><tr><th scope="col">Claim</th><th scope="col">Waarde</th></tr></thead>
      <tbody>
        {Object.entries(claims).map(([k, v]) => (
          <tr><td><code safe>{k}</code></td><td><code safe>{typeof v === "string" ? v : JSON.stringify(v)}</code>
            {(k === "exp" || k === "iat" || k === "nbf") && typeof v === "number" ? <span class="hint" safe>{` ${formatDateTime(new Date(v * 1000))}`}</span> : ""}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

export function TokensPage(p: { csrfToken: string; token?: string; inspection?: Inspection; personas: { bsn: string; name: string }[]; clients: string[];
  filter: { bsn: string; client: string }; live: LiveToken[] | null }): JSX.Element {
  const i = p.inspection;
  return (
    <Layout theme={themes.cockpit} title="Tokens">
      <p><a href="/">← Cockpit</a></p>
      <h1>Tokens</h1>
      <p>Plak een access token, autorisatiecode, refresh token of launch-code. De cockpit decodeert een JWT en vraagt de DVA's van de
        sandbox wat ze ervan weten: actief of niet (verlopen, ingetrokken, al gebruikt), van welke client en van wie.</p>
      <form method="post" action="/tokens" class="card">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <label for="token">Token of code</label>
        <textarea id="token" name="token" rows="4" spellcheck="false" required safe>{p.token ?? ""}</textarea>
        <div class="actions"><button type="submit">Bekijken</button></div>
      </form>
      {i ? (
        <section aria-labelledby="uitkomst">
          <h2 id="uitkomst">Uitkomst</h2>
          {i.dva
            ? <div class={i.dva.active ? "notice" : "error"} role="status"><p safe>{`${i.dva.kind} van ${i.dva.dva}: ${i.dva.active ? "actief" : `niet actief (${i.dva.reason ?? "onbekend"})`}`}</p>
                <p safe>{`Client ${i.dva.client_id ?? "—"} · van ${i.dva.owner ?? "niemand (geen persoon)"}${i.dva.task ? ` · ${i.dva.task}` : ""}${i.dva.expiresAt ? ` · verloopt ${when(i.dva.expiresAt)}` : ""}${i.dva.usedAt ? ` · gebruikt ${when(i.dva.usedAt)}` : ""}`}</p></div>
            : <div class="error" role="status"><p>Geen DVA van de sandbox kent dit token of deze code.</p></div>}
          {i.jwt ? <><h3>Header</h3><Claims claims={i.jwt.header} /><h3>Claims</h3><Claims claims={i.jwt.claims} /></> : ""}
        </section>
      ) : ""}

      <h2 id="live">Live tokens</h2>
      <form method="get" action="/tokens#live" class="card">
        <label for="bsn">Persona</label>
        <select id="bsn" name="bsn"><option value="">— iedereen —</option>{p.personas.map((x) => <option value={x.bsn} selected={x.bsn === p.filter.bsn} safe>{`${x.name} (${x.bsn})`}</option>)}</select>
        <label for="client">Client</label>
        <select id="client" name="client"><option value="">— elke client —</option>{p.clients.map((c) => <option value={c} selected={c === p.filter.client} safe>{c}</option>)}</select>
        <div class="actions"><button type="submit">Tonen</button></div>
      </form>
      {p.live === null ? "" : p.live.length === 0 ? <p class="hint">Geen live tokens.</p> : (
        <table class="stack">
          <caption class="visually-hidden">Live tokens</caption>
          <thead><tr><th scope="col">DVA</th><th scope="col">Soort</th><th scope="col">Id</th><th scope="col">Client</th><th scope="col">Van</th><th scope="col">Verloopt</th></tr></thead>
          <tbody>{p.live.map((t) => <tr><td safe>{t.dva}</td><td safe>{t.kind}</td><td><code safe>{t.id}</code></td><td><code safe>{t.clientId}</code></td><td safe>{t.owner ?? "—"}</td><td safe>{when(t.expiresAt)}</td></tr>)}</tbody>
        </table>
      )}
    </Layout>
  );
}
