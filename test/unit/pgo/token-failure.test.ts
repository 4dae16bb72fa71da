/**
 * tokenFailure (issue 12 §1): every error oauth4webapi or the HTTP client throws for a token
 * endpoint call is a refusal (SD 4.2.1 "Technische storing") or an unreachable DVA (risk Rc04),
 * never an unhandled 500. The errors are oauth4webapi's own, made by its real request/response code.
 */
import { describe, expect, test } from "bun:test";
import * as oauth from "oauth4webapi";
import { tokenFailure } from "../../../src/pgo/connect.ts";
import { UnreachableError } from "../../../src/shared/http-client.ts";

const as: oauth.AuthorizationServer = { issuer: "http://auth.test", token_endpoint: "http://auth.test/token" };
const client: oauth.Client = { client_id: "pgo.localhost" };

/** What oauth4webapi throws for this token endpoint response (or this fetch failure). */
async function thrown(answer: () => Response | Promise<Response>): Promise<unknown> {
  try {
    const response = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), "urn:ietf:params:oauth:grant-type:token-exchange", { subject_token: "t" },
      { [oauth.allowInsecureRequests]: true, [oauth.customFetch]: async () => answer() });
    await oauth.processGenericTokenEndpointResponse(as, client, response, { recognizedTokenTypes: { na: () => {} } });
  } catch (e) {
    return e;
  }
  throw new Error("no error thrown");
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("tokenFailure: oauth4webapi's error classes", () => {
  test("ResponseBodyError (RFC 6749 §5.2 body on a 400) → refused with its code and description", async () => {
    const e = await thrown(() => json(400, { error: "invalid_scope", error_description: "scope past niet" }));
    expect(e).toBeInstanceOf(oauth.ResponseBodyError);
    expect(await tokenFailure(e)).toEqual({ kind: "refused", error: "invalid_scope", description: "scope past niet" });
  });

  test("WWWAuthenticateChallengeError (invalid_client: 401 with WWW-Authenticate) → refused, code from the body", async () => {
    const e = await thrown(() => json(401, { error: "invalid_client", error_description: "onbekende client" }, { "www-authenticate": 'Basic realm="dva"' }));
    expect(e).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect(await tokenFailure(e)).toEqual({ kind: "refused", error: "invalid_client", description: "onbekende client" });
  });

  test("WWWAuthenticateChallengeError without a JSON body → refused, code from the challenge", async () => {
    const e = await thrown(() => new Response("", { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token", error_description="verlopen"' } }));
    expect(e).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect(await tokenFailure(e)).toEqual({ kind: "refused", error: "invalid_token", description: "verlopen" });
  });

  test("OperationProcessingError for a 500 with server_error → refused server_error", async () => {
    const e = await thrown(() => json(500, { error: "server_error", error_description: "stuk" }));
    expect(e).toBeInstanceOf(oauth.OperationProcessingError);
    expect(await tokenFailure(e)).toEqual({ kind: "refused", error: "server_error", description: "stuk" });
  });

  test("OperationProcessingError for a 500 HTML page → refused, HTTP 500", async () => {
    const e = await thrown(() => new Response("<h1>oops</h1>", { status: 500, headers: { "content-type": "text/html" } }));
    expect(await tokenFailure(e)).toMatchObject({ kind: "refused", error: "HTTP 500" });
  });

  test.each([[502], [503], [504]])("OperationProcessingError for HTTP %d → unreachable (Rc04)", async (status) => {
    const e = await thrown(() => new Response("", { status }));
    expect(e).toBeInstanceOf(oauth.OperationProcessingError);
    expect(await tokenFailure(e)).toEqual({ kind: "unreachable", description: `HTTP ${status}` });
  });

  test("temporarily_unavailable in a 400 body → unreachable (Rc04)", async () => {
    const e = await thrown(() => json(400, { error: "temporarily_unavailable", error_description: "onderhoud" }));
    expect((await tokenFailure(e))?.kind).toBe("unreachable");
  });

  test("OperationProcessingError for a 200 that is no token response (no access_token, not JSON) → refused", async () => {
    const noToken = await thrown(() => json(200, { token_type: "NA" }));
    expect(noToken).toBeInstanceOf(oauth.OperationProcessingError);
    expect(await tokenFailure(noToken)).toMatchObject({ kind: "refused", error: "OAUTH_INVALID_RESPONSE" });
    const notJson = await thrown(() => new Response("ok", { status: 200, headers: { "content-type": "text/plain" } }));
    expect(await tokenFailure(notJson)).toMatchObject({ kind: "refused" });
  });

  test("UnsupportedOperationError (an unrecognized token_type) → refused", async () => {
    const e = await thrown(() => json(200, { access_token: "x", token_type: "weird" }));
    expect(e).toBeInstanceOf(oauth.UnsupportedOperationError);
    expect(await tokenFailure(e)).toMatchObject({ kind: "refused" });
  });

  test("AuthorizationResponseError → refused with its code", async () => {
    let e: unknown;
    try { oauth.validateAuthResponse(as, client, new URLSearchParams({ error: "access_denied", state: "s" }), "s"); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect(await tokenFailure(e)).toMatchObject({ kind: "refused", error: "access_denied" });
  });
});

describe("tokenFailure: no answer at all", () => {
  test("the shared HTTP client's UnreachableError (connection refused, DNS, timeout) → unreachable", async () => {
    const e = await thrown(() => { throw new UnreachableError("http://auth.test/token", "r", "ECONNREFUSED"); });
    expect(await tokenFailure(e)).toMatchObject({ kind: "unreachable" });
  });

  test("a bare fetch TypeError and a timeout → unreachable; oauth4webapi's coded TypeError → refused", async () => {
    expect(await tokenFailure(await thrown(() => { throw new TypeError("fetch failed"); }))).toMatchObject({ kind: "unreachable" });
    expect(await tokenFailure(await thrown(() => { throw new DOMException("The operation timed out.", "TimeoutError"); }))).toMatchObject({ kind: "unreachable" });
    const coded = Object.assign(new TypeError('"response" must be an instance of Response'), { code: "ERR_INVALID_ARG_TYPE" });
    expect(await tokenFailure(coded)).toMatchObject({ kind: "refused", error: "ERR_INVALID_ARG_TYPE" });
  });

  test("an error that is not about the exchange is not swallowed", async () => {
    expect(await tokenFailure(new RangeError("bug"))).toBeNull();
  });
});
