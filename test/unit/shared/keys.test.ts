import { describe, expect, test } from "bun:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { generateSigningKey, importSigningKey, signJwt } from "../../../src/shared/keys.ts";

describe("signJwt (ES256 compact JWS by node:crypto, issue 16)", () => {
  test("jose verifies it with the stored public JWK; the header names alg, kid and typ; the signature is R‖S", async () => {
    const record = await generateSigningKey();
    // As after a restart: the key comes back from its stored JWK.
    const key = await importSigningKey(JSON.parse(JSON.stringify(record)));
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(key, "at+jwt", { iss: "http://auth", aud: "http://fhir", sub: "s", iat: now, exp: now + 60, jti: "j", scope: "system/*.*", n: 1 });
    expect(decodeProtectedHeader(token)).toEqual({ alg: "ES256", kid: record.kid, typ: "at+jwt" });
    expect(Buffer.from(token.split(".")[2]!, "base64url")).toHaveLength(64);
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [record.publicJwk] }), { issuer: "http://auth", audience: "http://fhir", algorithms: ["ES256"], typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: "s", jti: "j", scope: "system/*.*", n: 1, exp: now + 60 });
  });

  test("a changed payload, or another key, does not verify", async () => {
    const key = await importSigningKey(await generateSigningKey());
    const other = await generateSigningKey();
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(key, "JWT", { iss: "i", aud: "a", sub: "s", iat: now, exp: now + 60 });
    const [h, , sig] = token.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ iss: "i", aud: "a", sub: "admin", iat: now, exp: now + 60 })).toString("base64url")}.${sig}`;
    const own = createLocalJWKSet({ keys: [key.publicJwk] });
    await expect(jwtVerify(forged, own)).rejects.toThrow();
    await expect(jwtVerify(token, createLocalJWKSet({ keys: [{ ...other.publicJwk, kid: key.kid }] }))).rejects.toThrow();
    expect((await jwtVerify(token, own)).payload.sub).toBe("s");
  });
});
