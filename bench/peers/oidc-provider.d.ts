// oidc-provider ships no types; the bench uses its constructor, `listen` and `proxy` only.
declare module "oidc-provider" {
  import type { Server } from "node:http";
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    proxy: boolean;
    listen(port: number): Server;
  }
}
