/**
 * A hackathon team's DVA, as small as it can be (issue 14): an authorization server and a FHIR
 * server on two ports of one process. It skips DigiD and consent (a team builds those last) and
 * gives the sandbox's PGO one Task for its zorgaanbieder. `noStore: false` leaves
 * `Cache-Control: no-store` off its token answers on purpose, so that the MedMij-check has a
 * failure to show.
 *
 *   bun test/actors/team-dva.ts [authPort] [fhirPort] [--fixed]
 */
export interface TeamDva { authOrigin: string; fhirOrigin: string; stop(): void; tokenRequests: number }

export function startTeamDva(o: { hostname?: string; authPort?: number; fhirPort?: number; noStore?: boolean } = {}): TeamDva {
  const hostname = o.hostname ?? "team-d.localhost";
  const codes = new Map<string, string>();
  const state = { tokenRequests: 0 };
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
  const task = { resourceType: "Task", id: "team-taak-1", meta: { versionId: "1", lastUpdated: new Date().toISOString(), tag: [{ system: "http://medmij.nl/fhir/CodeSystem/DataService", code: "urn:oid:2.16.528.1.1023.5.7" }] },
    status: "requested", intent: "order", description: "Vragenlijst van het team", for: { reference: "Patient/tom" }, requester: { display: "Praktijk Team D" } };

  const auth = Bun.serve({
    port: o.authPort ?? 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === "/auth") {
        // A minimal allow-list: never send a browser (or an error) to a host outside *.localhost.
        const target = URL.parse(url.searchParams.get("redirect_uri") ?? "");
        if (!target || !target.hostname.endsWith(".localhost")) return new Response("onbekende redirect_uri", { status: 400 });
        const code = crypto.randomUUID();
        codes.set(code, url.searchParams.get("scope") ?? "");
        const back = new URL(url.searchParams.get("redirect_uri") ?? "");
        back.searchParams.set("code", code);
        back.searchParams.set("state", url.searchParams.get("state") ?? "");
        return Response.redirect(back.href, 302);
      }
      if (url.pathname === "/token" && request.method === "POST") {
        state.tokenRequests++;
        const body = new URLSearchParams(await request.text());
        const scope = body.get("grant_type") === "authorization_code" ? codes.get(body.get("code") ?? "") : "teamzorg";
        if (scope === undefined) return json({ error: "invalid_grant" }, 400, { "Cache-Control": "no-store" });
        return json({ access_token: "team-token", token_type: "Bearer", expires_in: 900, scope, refresh_token: crypto.randomUUID() }, 200,
          o.noStore === false ? {} : { "Cache-Control": "no-store" });
      }
      return json({ error: "not_found" }, 404);
    },
  });
  const fhir: ReturnType<typeof Bun.serve> = Bun.serve({
    port: o.fhirPort ?? 0,
    fetch(request): Response {
      const url = new URL(request.url);
      if (request.headers.get("authorization") !== "Bearer team-token") {
        return json({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "login" }] }, 401, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
      }
      if (url.pathname === "/fhir/Task") {
        return json({ resourceType: "Bundle", type: "searchset", total: 1, entry: [{ fullUrl: `http://${hostname}:${fhir.port}/fhir/Task/${task.id}`, resource: task, search: { mode: "match" } }] },
          200, { "content-type": "application/fhir+json", ETag: 'W/"1"' });
      }
      return json({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-found" }] }, 404);
    },
  });
  return {
    authOrigin: `http://${hostname}:${auth.port}`, fhirOrigin: `http://${hostname}:${fhir.port}`,
    get tokenRequests() { return state.tokenRequests; },
    stop() { auth.stop(true); fhir.stop(true); },
  };
}

if (import.meta.main) {
  // It leaves Cache-Control: no-store off on purpose (the README's tour shows that rule fail); --fixed sends it.
  const fixed = process.argv.includes("--fixed");
  const [a = "5000", f = "5001"] = process.argv.slice(2).filter((x) => x !== "--fixed");
  const dva = startTeamDva({ authPort: Number(a), fhirPort: Number(f), noStore: fixed });
  console.log(`team DVA: auth ${dva.authOrigin}, FHIR ${dva.fhirOrigin}/fhir`);
}
