/**
 * An external participant delivering its SD 4.5 lines to the sandbox's MedMij Beheer, the way a
 * hackathon team's PGO or DVA would (issue 13 §2): it reads its credentials and the endpoint from
 * `GET <cockpit>/api/network`, and POSTs a good batch (a JSON array) and a bad one (NDJSON).
 * Prints both answers as one JSON object. Needs nothing from the sandbox's code.
 *
 *   bun test/external/deliver-logs.ts http://localhost:8080 teampgo.localhost
 */
const [cockpit, clientId] = Bun.argv.slice(2);
if (!cockpit || !clientId) {
  console.error("usage: bun test/external/deliver-logs.ts <cockpit URL> <PGO client_id>");
  process.exit(2);
}

const network = await (await fetch(`${cockpit}/api/network`)).json() as {
  beheer: { logs: string };
  pgos: { clientId: string; beheer: { username: string; password: string } }[];
};
const me = network.pgos.find((p) => p.clientId === clientId);
if (!me) { console.error(`no PGO ${clientId} in the network`); process.exit(2); }
const authorization = `Basic ${Buffer.from(`${me.beheer.username}:${me.beheer.password}`).toString("base64")}`;

const trace = crypto.randomUUID();
const request = crypto.randomUUID();
const at = (ms: number) => new Date(Date.now() - 60_000 + ms).toISOString().replace("Z", "+00:00");
const event = (type: string, ms: number) => ({ type, location: clientId, datetime: at(ms), session_id: null, trace_id: trace });
const good = [
  { event: event("send_token_request", 0), request: { id: request, method: "post", client_id: clientId, server_id: "auth.zorgnet.localhost",
    uri: "http://auth.zorgnet.localhost/token", grant_type: "authorization_code", initiated_by: "person" } },
  { event: event("receive_token_response", 40), response: { request_id: request, status: 200 } },
];
const bad = [
  JSON.stringify({ event: event("send_token_request", 100), request: { id: "r-2", method: "post" } }), // required attributes missing
  JSON.stringify({ event: event("send_token_response", 110), response: { request_id: "r-2", status: 200 } }), // a DVA's event
  JSON.stringify({ event: { ...event("receive_token_response", 120), location: "pgo.elders.example" }, response: { request_id: "r-2", status: 200 } }), // not its host
  JSON.stringify({ event: event("receive_token_request_error", 130), error: { request_id: "r-2", code: "invalid_grant", description: "verlopen", status: "400" } }), // wrong type
  "dit is geen JSON",
];

async function deliver(body: string, contentType: string) {
  const res = await fetch(network.beheer.logs, { method: "POST", headers: { authorization, "content-type": contentType }, body });
  return { status: res.status, location: res.headers.get("location"), body: await res.json() };
}

console.log(JSON.stringify({
  good: await deliver(JSON.stringify(good), "application/json"),
  bad: await deliver(`${bad.join("\n")}\n`, "application/x-ndjson"),
  trace,
}));
