/**
 * A peer for the token endpoint (issue 16): panva's oidc-provider 9 — the most trusted Node OAuth
 * server — issuing client_credentials access tokens as ES256 JWTs for a resource, like the DVA's
 * /token does. Run as a child of `bun run bench -- --peers`: `bun bench/peers/oidc-provider-server.ts <port>`;
 * POST /token with Basic his-delinde:his-delinde-secret. Its code is run, never copied (a dev dependency).
 */
import Provider from "oidc-provider";
import { exportJWK, generateKeyPair } from "jose";

const port = Number(Bun.argv[2] ?? 0);
const { privateKey } = await generateKeyPair("ES256", { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: "bench", alg: "ES256", use: "sig" };
const resource = "http://fhir.zorgnet.localhost/fhir";

const provider = new Provider(`http://localhost:${port}`, {
  clients: [{ client_id: "his-delinde", client_secret: "his-delinde-secret", grant_types: ["client_credentials"], redirect_uris: [], response_types: [],
    token_endpoint_auth_method: "client_secret_basic", id_token_signed_response_alg: "ES256" }],
  jwks: { keys: [jwk] },
  scopes: ["system/*.*"],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: "system/*.*", audience: resource, accessTokenFormat: "jwt", jwt: { sign: { alg: "ES256" } } }),
    },
  },
  routes: { token: "/token" },
});
provider.proxy = true;
const server = provider.listen(port);
// /health for the bench's start check: answered before oidc-provider's routes.
server.prependListener("request", (req: { url?: string }, res: { writeHead(s: number): void; end(b: string): void; headersSent?: boolean }) => {
  if (req.url === "/health") { res.writeHead(200); res.end("ok"); }
});
