import { describe, expect, test } from "bun:test";
import network from "../../../seed/network.ts";
import { NetworkError, pkcePolicy, validateNetwork, type NetworkDefinition } from "../../../src/shared/network.ts";

function problems(n: unknown): string[] {
  try { validateNetwork(n); return []; } catch (e) { expect(e).toBeInstanceOf(NetworkError); return (e as NetworkError).problems; }
}

describe("a DVA's pkce option", () => {
  test('"optional" by default; "optional" and "required" are valid', () => {
    expect(pkcePolicy(network.dvas[0]!)).toBe("optional");
    for (const pkce of ["optional", "required"] as const) {
      const n: NetworkDefinition = structuredClone(network);
      n.dvas[0]!.pkce = pkce;
      expect(problems(n)).toEqual([]);
      expect(pkcePolicy(n.dvas[0]!)).toBe(pkce);
    }
  });

  test("anything else is reported with its path and what is allowed", () => {
    const n = structuredClone(network) as unknown as { dvas: Record<string, unknown>[] };
    n.dvas[1]!.pkce = "always";
    expect(problems(n)).toEqual(['dvas[1].pkce: must be "optional" (the default: PKCE checked when a PGO sends it) or "required" (PGOs must send S256), got "always"']);
  });
});
