/**
 * What MedMij Beheer makes of one chain (issue 13 §2), with the clock given: happy, an error
 * (alternatief), a missing answer (alternatief), one side only (eenzijdig), and a person who left
 * (afgehaakt after N, lopend before).
 */
import { describe, expect, test } from "bun:test";
import { classifyChain } from "../../../src/beheer/chains.ts";
import { ANSWERS, PERSON_STEPS } from "../../../src/beheer/exchanges.ts";
import { chainEvent } from "../../../src/shared/chain-events.ts";
import type { LineRecord } from "../../../src/beheer/store.ts";
import type { Participant } from "../../../src/shared/participants.ts";

const participants: Participant[] = [
  { username: "pgo.localhost", password: "p", role: "pgo", name: "MijnGezondheid PGO", hosts: ["pgo.localhost"], internalHosts: [], origin: "" },
  { username: "zorgnet", password: "p", role: "dva", name: "Zorgnet DVA", hosts: ["auth.zorgnet.localhost", "fhir.zorgnet.localhost"], internalHosts: [], origin: "" },
];
const T0 = Date.parse("2026-12-01T10:00:00.000+01:00");
let seq = 0;
function rec(location: string, type: string, at: number, part: Record<string, unknown>): LineRecord {
  const deelnemer = location === "pgo.localhost" ? "pgo.localhost" : "zorgnet";
  const datetime = new Date(T0 + at).toISOString();
  const line = { event: { type, location, datetime, session_id: null, trace_id: "t" }, ...part };
  return { seq: ++seq, aanlevering: "a", index: 0, deelnemer, traceId: "t", type, location, datetime, atMs: T0 + at, functioneleFout: "error" in part,
    problemen: [], line: JSON.stringify(line) };
}
const req = (id: string, extra: Record<string, unknown> = {}) => ({ request: { id, method: "get", client_id: "pgo.localhost", server_id: "auth.zorgnet.localhost", uri: "x", ...extra } });
const res = (id: string, status = 200) => ({ response: { request_id: id, status } });
const err = (id: string, code: string) => ({ error: { request_id: id, code, description: "fout", status: 400 } });

const connect = () => [
  rec("pgo.localhost", "send_authorization_request", 0, req("a1")),
  rec("auth.zorgnet.localhost", "receive_authorization_request", 5, req("a1")),
  rec("auth.zorgnet.localhost", "send_authorization_response", 9000, res("a1", 303)),
  rec("pgo.localhost", "receive_authorization_response", 9010, res("a1")),
  rec("pgo.localhost", "send_token_request", 9020, req("t1", { grant_type: "authorization_code" })),
  rec("auth.zorgnet.localhost", "receive_token_request", 9025, req("t1", { grant_type: "authorization_code" })),
  rec("auth.zorgnet.localhost", "send_token_response", 9030, res("t1")),
  rec("pgo.localhost", "receive_token_response", 9035, res("t1")),
];
const N = 15 * 60_000;
const at = (ms: number) => ({ participants, now: T0 + ms, abandonAfterMs: N, graceMs: 60_000 });

describe("chain verdicts", () => {
  test("happy: both delivered, every request answered, no error", () => {
    const v = classifyChain("t", connect(), at(10_000));
    expect(v.kind).toBe("happy");
    expect(v.flows).toEqual(["Verzamelen"]);
    expect(v.participants.map((p) => [p.name, p.delivered])).toEqual([["MijnGezondheid PGO", true], ["Zorgnet DVA", true]]);
  });

  test("alternatief: the error that ended it", () => {
    const lines = [...connect().slice(0, 6), rec("auth.zorgnet.localhost", "send_token_request_error", 9030, err("t1", "invalid_grant")),
      rec("pgo.localhost", "receive_token_request_error", 9035, err("t1", "invalid_grant"))];
    const v = classifyChain("t", lines, at(10_000));
    expect(v.kind).toBe("alternatief");
    expect(v.findings[0]).toContain("send_token_request_error bij Zorgnet DVA — invalid_grant");
  });

  test("alternatief: a required answer missing once the chain is quiet; lopend while it may still come", () => {
    const lines = connect().filter((l) => l.type !== "send_token_response");
    expect(classifyChain("t", lines, at(9_500)).kind).toBe("lopend");
    const v = classifyChain("t", lines, at(9_035 + 60_000));
    expect(v.kind).toBe("alternatief");
    expect(v.findings[0]).toContain("send_token_response ontbreekt bij Zorgnet DVA");
  });

  test("eenzijdig: the DVA's lines name the PGO, which delivered none", () => {
    const v = classifyChain("t", connect().filter((l) => l.location !== "pgo.localhost"), at(70_000));
    expect(v.kind).toBe("eenzijdig");
    expect(v.findings[0]).toContain("Geen regels van MijnGezondheid PGO (PGO)");
    expect(v.participants.find((p) => p.name === "MijnGezondheid PGO")!.delivered).toBe(false);
  });

  test("eenzijdig the other way: PGO lines of an answered request, no DVA lines", () => {
    expect(classifyChain("t", connect().filter((l) => l.location === "pgo.localhost"), at(70_000)).kind).toBe("eenzijdig");
  });

  test("afgehaakt: the authorization request got no continuation within N; lopend before", () => {
    const lines = connect().slice(0, 2);
    expect(classifyChain("t", lines, at(N - 1000)).kind).toBe("lopend");
    const v = classifyChain("t", lines, at(N + 10));
    expect(v.kind).toBe("afgehaakt");
    expect(v.findings[0]).toContain("De persoon is afgehaakt: Geen vervolg op send_authorization_request bij MijnGezondheid PGO binnen 15 minuten");
  });

  test("a DVA that was not reachable is not missing: the PGO's availability error is the alternative flow", () => {
    const lines = [rec("pgo.localhost", "send_token_request", 0, req("t1", { grant_type: "authorization_code" })),
      rec("pgo.localhost", "receive_availability_check_error", 3000, { error: { request_id: "t1", code: "service_unavailable", description: "weg" } })];
    const v = classifyChain("t", lines, at(70_000));
    expect(v.kind).toBe("alternatief");
    expect(v.participants.map((p) => p.name)).toEqual(["MijnGezondheid PGO"]);
  });
});

describe("the answers Beheer pairs requests with are the event table's", () => {
  test("every answer names its request in CHAIN_EVENTS (`answers`), and every event named is in the table", () => {
    for (const [request, answers] of Object.entries(ANSWERS)) {
      expect([request, chainEvent(request)?.part]).toEqual([request, "request"]);
      for (const a of answers) expect([request, a, chainEvent(a)?.answers?.includes(request)]).toEqual([request, a, true]);
    }
    for (const [step, next] of Object.entries(PERSON_STEPS)) {
      expect(chainEvent(step)?.part).toBe("request");
      for (const t of next ?? []) expect([step, t, chainEvent(t) !== undefined]).toEqual([step, t, true]);
    }
  });
});
