/**
 * A hackathon team's PGO, as small as it can be (issue 14): plain fetch, no framework — the kind
 * of actor a team plugs into a running sandbox with `POST /api/actors`. It collects at a sandbox
 * DVA (authorization code flow, Task search with the _tag filter, a second incremental one, one
 * refresh), asks for a launch code by token exchange and revokes. `pkce: false` breaks the
 * advised PKCE rule on purpose, so that the MedMij-check has a failure to show.
 *
 *   bun test/actors/team-pgo.ts <cockpit origin> [port] [--fixed]   e.g. bun test/actors/team-pgo.ts http://localhost:8080 3000
 * then register it (README "Bring your own actor") and open http://team-p.localhost:<port>/start?za=delinde@medmij
 */
export interface TeamPgo { origin: string; clientId: string; stop(): void; last: Record<string, unknown> }

const DATA_SERVICE_TAG = "http://medmij.nl/fhir/CodeSystem/DataService|urn:oid:2.16.528.1.1023.5.7";

export function startTeamPgo(o: { cockpit: string; hostname?: string; port?: number; pkce?: boolean }): TeamPgo {
  const hostname = o.hostname ?? "team-p.localhost";
  const states = new Map<string, { za: string; verifier: string | null }>();
  const last: Record<string, unknown> = {};
  let tokens: { access_token: string; refresh_token?: string; za: string } | null = null;
  const ids = () => ({ "MedMij-Request-ID": crypto.randomUUID(), "X-Correlation-ID": traceId });
  let traceId = crypto.randomUUID();

  /** The zorgaanbieder's endpoints from the Zorgaanbiederslijst, as a PGO finds them (SD 3.2); the register's address from /api/network. */
  async function dvaOf(za: string) {
    const n = await (await fetch(`${o.cockpit}/api/network`)).json() as { register: { base: string } };
    const zal = await (await fetch(`${n.register.base}/MedMij_Zorgaanbiederslijst.xml`)).text();
    const entry = zal.split("<Zorgaanbieder>").find((x) => x.includes(`<Zorgaanbiedernaam>${za}</Zorgaanbiedernaam>`)) ?? "";
    const uri = (tag: string) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(entry)?.[1] ?? "";
    return { authBase: uri("AuthorizationEndpointuri").replace(/\/auth$/, ""), fhirBase: uri("ResourceEndpointuri"), scope: za.replace(/@medmij$/, "") };
  }
  const form = (body: Record<string, string>) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...ids() }, body: new URLSearchParams(body) });

  const server: ReturnType<typeof Bun.serve> = Bun.serve({
    port: o.port ?? 0,
    async fetch(request): Promise<Response> {
      const url = new URL(request.url);
      const self: string = `http://${hostname}:${server.port}`;
      if (url.pathname === "/start") {
        const za = url.searchParams.get("za") ?? "delinde@medmij";
        const dva = await dvaOf(za);
        const state = crypto.randomUUID();
        const verifier = o.pkce === false ? null : `${crypto.randomUUID()}${crypto.randomUUID()}`;
        states.set(state, { za, verifier });
        traceId = crypto.randomUUID();
        const auth = new URL(`${dva.authBase}/auth`);
        const params: Record<string, string> = { response_type: "code", client_id: hostname, redirect_uri: `${self}/callback`, scope: dva.scope, state };
        if (verifier) Object.assign(params, { code_challenge: new Bun.CryptoHasher("sha256").update(verifier).digest("base64url"), code_challenge_method: "S256" });
        for (const [k, v] of Object.entries(params)) auth.searchParams.set(k, v);
        return Response.redirect(auth.href, 302);
      }
      if (url.pathname === "/callback") {
        const s = states.get(url.searchParams.get("state") ?? "");
        if (!s) return new Response("unknown state", { status: 400 });
        states.delete(url.searchParams.get("state")!);
        const dva = await dvaOf(s.za);
        const token = await (await fetch(`${dva.authBase}/token`, form({ grant_type: "authorization_code", code: url.searchParams.get("code") ?? "",
          redirect_uri: `${self}/callback`, client_id: hostname, ...(s.verifier ? { code_verifier: s.verifier } : {}) }))).json() as { access_token: string; refresh_token?: string };
        tokens = { ...token, za: s.za };
        const search = `${dva.fhirBase}/Task?_tag=${encodeURIComponent(DATA_SERVICE_TAG)}&status:not=completed`;
        const first = await fetch(search, { headers: { authorization: `Bearer ${token.access_token}`, ...ids() } });
        const bundle = await first.json() as { entry?: { resource: { id: string } }[] };
        last.tasks = (bundle.entry ?? []).map((e) => e.resource.id);
        // The next collection asks only for what changed (SD 3.3.4).
        await fetch(`${search}&_lastUpdated=gt${new Date(Date.now() - 60_000).toISOString()}`, { headers: { authorization: `Bearer ${token.access_token}`, ...ids() } }).then((r) => r.arrayBuffer());
        if (token.refresh_token) {
          const renewed = await (await fetch(`${dva.authBase}/token`, form({ grant_type: "refresh_token", refresh_token: token.refresh_token, client_id: hostname }))).json() as { access_token: string; refresh_token?: string };
          tokens = { ...renewed, za: s.za };
        }
        return Response.json(last);
      }
      if (url.pathname === "/exchange" && tokens) {
        const dva = await dvaOf(tokens.za);
        const res: Response = await fetch(`${dva.authBase}/token`, form({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", client_id: hostname,
          subject_token: tokens.access_token, subject_token_type: "urn:ietf:params:oauth:token-type:access_token", requested_token_type: "medmij:token-type:one-time-code",
          audience: url.searchParams.get("audience") ?? "", scope: dva.scope,
          smart_launch_context: JSON.stringify({ resource: `Task/${url.searchParams.get("task")}`, intent: "startmodule", return_url: `${self}/terug` }) }));
        return new Response(await res.text(), { status: res.status, headers: { "content-type": "application/json" } });
      }
      if (url.pathname === "/disconnect" && tokens) {
        const dva = await dvaOf(tokens.za);
        const res = await fetch(`${dva.authBase}/connect/revocation`, form({ token: tokens.refresh_token ?? tokens.access_token, client_id: hostname }));
        tokens = null;
        return new Response(null, { status: res.status });
      }
      return new Response("team PGO", { status: 404 });
    },
  });
  return { origin: `http://${hostname}:${server.port}`, clientId: hostname, last, stop: () => server.stop(true) };
}

if (import.meta.main) {
  // It leaves out PKCE on purpose (the README's tour shows that rule fail); --fixed sends it.
  const fixed = process.argv.includes("--fixed");
  const [cockpit = "http://localhost:8080", port = "3000"] = process.argv.slice(2).filter((a) => a !== "--fixed");
  const pgo = startTeamPgo({ cockpit, port: Number(port), pkce: fixed });
  console.log(`team PGO at ${pgo.origin}; register it with POST ${cockpit}/api/actors {"kind":"pgo","host":"${pgo.origin}","displayName":"Team PGO","redirectUris":["/callback"]}`);
}
