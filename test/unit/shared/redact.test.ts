/**
 * Redaction of captured exchanges (issue 13 §3): what a trace's HAR file may carry. Every secret
 * the sandbox's actors put on the wire — by header, query string, fragment, form field, JSON
 * member, HTML hidden input, or as a JWT anywhere — becomes REDACTED; everything else stays as sent.
 */
import { describe, expect, test } from "bun:test";
import { REDACTED, redactBody, redactHeader, redactHeaders, redactPairs, redactUrl } from "../../../src/shared/redact.ts";

const JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJwYXRpZW50LXRvbSJ9.c2lnbmF0dXJlLXZhbHVl";

describe("form fields and query parameters", () => {
  test("each secret by name, the other fields as sent", () => {
    const form = "grant_type=authorization_code&code=abc123&code_verifier=v3r1f13r&client_secret=s3cr3t&password=tom&refresh_token=rt"
      + "&subject_token=st&assertion=as&launch=lc&_csrf=cs&client_id=pgo.localhost&redirect_uri=http%3A%2F%2Fpgo.localhost%2Fcb";
    expect(redactPairs(form)).toBe("grant_type=authorization_code&code=REDACTED&code_verifier=REDACTED&client_secret=REDACTED&password=REDACTED"
      + "&refresh_token=REDACTED&subject_token=REDACTED&assertion=REDACTED&launch=REDACTED&_csrf=REDACTED&client_id=pgo.localhost"
      + "&redirect_uri=http%3A%2F%2Fpgo.localhost%2Fcb");
  });

  test("a percent-encoded name is compared decoded; a name without a value gets one", () => {
    expect(redactPairs("%63ode=abc&state=xyz&token")).toBe("%63ode=REDACTED&state=xyz&token=REDACTED");
  });

  test("URLs: query and fragment (implicit-flow tokens), a JWT in the path", () => {
    expect(redactUrl("http://pgo.localhost/auth_callback?code=abc&state=s1&iss=http%3A%2F%2Fauth#access_token=t&token_type=Bearer"))
      .toBe("http://pgo.localhost/auth_callback?code=REDACTED&state=s1&iss=http%3A%2F%2Fauth#access_token=REDACTED&token_type=Bearer");
    expect(redactUrl(`http://module.localhost/launch?iss=x&launch=lc&X-Correlation-ID=t1`)).toBe("http://module.localhost/launch?iss=x&launch=REDACTED&X-Correlation-ID=t1");
    expect(redactUrl(`http://auth.zorgnet.localhost/digid/callback?assertion=${JWT}&state=s`)).toBe("http://auth.zorgnet.localhost/digid/callback?assertion=REDACTED&state=s");
    expect(redactUrl(`http://x.localhost/t/${JWT}`)).toBe("http://x.localhost/t/REDACTED");
    expect(redactUrl("http://fhir.zorgnet.localhost/fhir/Task?status=requested")).toBe("http://fhir.zorgnet.localhost/fhir/Task?status=requested");
  });
});

describe("headers", () => {
  test("Authorization keeps its scheme, Cookie and Set-Cookie their names and attributes", () => {
    expect(redactHeader("authorization", `Bearer ${JWT}`)).toBe(`Bearer ${REDACTED}`);
    expect(redactHeader("authorization", "Basic cGdvOnNlY3JldA==")).toBe(`Basic ${REDACTED}`);
    expect(redactHeader("proxy-authorization", "token")).toBe(REDACTED);
    expect(redactHeader("cookie", "pgo_session=abc; sandbox_csrf=def")).toBe("pgo_session=REDACTED; sandbox_csrf=REDACTED");
    expect(redactHeader("set-cookie", "dva_browser=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=34560000"))
      .toBe("dva_browser=REDACTED; Path=/; HttpOnly; SameSite=Lax; Max-Age=34560000");
  });

  test("Location is a URL; a header named for a secret goes whole; a JWT in any other header goes", () => {
    expect(redactHeader("location", "http://pgo.localhost/auth_callback?code=abc&state=s")).toBe("http://pgo.localhost/auth_callback?code=REDACTED&state=s");
    expect(redactHeader("x-api-key", "k")).toBe(REDACTED);
    expect(redactHeader("x-subject-token", "k")).toBe(REDACTED);
    expect(redactHeader("x-debug", `seen ${JWT}`)).toBe(`seen ${REDACTED}`);
    expect(redactHeader("content-type", "application/fhir+json")).toBe("application/fhir+json");
  });

  test("a header map as Headers.toJSON() gives it, Set-Cookie as a list", () => {
    const headers = new Headers([["authorization", "Bearer x"], ["set-cookie", "a=1234567890; Path=/"], ["set-cookie", "b=2"], ["accept", "*/*"]]);
    expect(redactHeaders(headers.toJSON())).toEqual({ authorization: "Bearer REDACTED", "set-cookie": ["a=REDACTED; Path=/", "b=REDACTED"], accept: "*/*" });
  });
});

describe("bodies", () => {
  test("a form body by field name", () => {
    expect(redactBody("application/x-www-form-urlencoded", "username=tom&password=tom&next=%2F")).toBe("username=tom&password=REDACTED&next=%2F");
  });

  test("JSON by member name, at any depth; FHIR's `code` stays", () => {
    const token = JSON.stringify({ access_token: JWT, refresh_token: "r\"t", id_token: "i", token_type: "Bearer", nested: { launch: "lc", password: "p" } });
    expect(JSON.parse(redactBody("application/json", token))).toEqual({ access_token: REDACTED, refresh_token: REDACTED, id_token: REDACTED, token_type: "Bearer",
      nested: { launch: REDACTED, password: REDACTED } });
    const task = JSON.stringify({ resourceType: "Task", code: { coding: [{ system: "http://snomed.info/sct", code: "1234" }] } });
    expect(redactBody("application/fhir+json", task)).toBe(task);
  });

  test("HTML: hidden inputs of secret fields (either attribute first) and secret parameters of links", () => {
    const html = `<form><input type="hidden" name="_csrf" value="c1"/><input value="c2" type="hidden" name="_csrf"/><input name="state" value="s"/></form>`
      + `<a href="/launch?iss=x&amp;launch=lc">start</a><a href="/cb?code=abc">cb</a>`;
    expect(redactBody("text/html; charset=utf-8", html)).toBe(`<form><input type="hidden" name="_csrf" value="REDACTED"/><input value="REDACTED" type="hidden" name="_csrf"/><input name="state" value="s"/></form>`
      + `<a href="/launch?iss=x&amp;launch=REDACTED">start</a><a href="/cb?code=REDACTED">cb</a>`);
  });

  test("a JWT anywhere in a text", () => {
    expect(redactBody("text/plain", `token was ${JWT}.`)).toBe(`token was ${REDACTED}.`);
  });
});
