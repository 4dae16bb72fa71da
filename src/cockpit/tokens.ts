/**
 * The cockpit's token inspector (issue 14 §4): decodes a JWT itself and asks each DVA the sandbox
 * serves, over HTTP, what it knows of a token or code (`/_cockpit/introspect`, `/_cockpit/tokens`
 * with the sandbox's own secret — see src/dva/auth/cockpit-routes.ts).
 */
import { decodeJwt, decodeProtectedHeader } from "jose";
import type { SandboxContext } from "../shared/context.ts";
import type { Inspection, LiveToken } from "../../views/cockpit/tokens.tsx";

const COCKPIT_CLIENT = "sandbox-cockpit";

export function tokenInspector(ctx: SandboxContext) {
  const auth = () => `Basic ${Buffer.from(`${COCKPIT_CLIENT}:${ctx.secret("cockpit_dva_secret")}`).toString("base64")}`;
  const dvas = () => ctx.network.dvas.filter((d) => d.auth.internal);
  const ownerOf = (bsn: unknown, zorgaanbieder: unknown) => {
    if (typeof bsn !== "string") return null;
    const p = ctx.network.patients.find((x) => x.bsn === bsn);
    const za = ctx.network.zorgaanbieders.find((z) => z.name === zorgaanbieder)?.displayName;
    return `${p ? p.fullName : "BSN"} (${bsn})${za ? `, ${za}` : ""}`;
  };

  return {
    async inspect(token: string): Promise<Inspection> {
      let jwt: Inspection["jwt"] = null;
      if (token.split(".").length === 3) {
        try { jwt = { header: decodeProtectedHeader(token) as Record<string, unknown>, claims: decodeJwt(token) as Record<string, unknown> }; } catch { jwt = null; }
      }
      for (const d of dvas()) {
        const res = await fetch(`${d.auth.origin}/_cockpit/introspect`, { method: "POST", headers: { authorization: auth(), "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token }) }).catch(() => null);
        const body = res?.ok ? await res.json() as Record<string, any> : null;
        if (body?.known) {
          return { jwt, dva: { dva: d.name, kind: String(body.kind), active: body.active === true, reason: body.reason ?? null, client_id: body.client_id ?? null,
            owner: ownerOf(body.person?.bsn, body.person?.zorgaanbieder), task: body.task ?? null, expiresAt: body.expiresAt ?? (typeof jwt?.claims.exp === "number" ? new Date(jwt.claims.exp * 1000).toISOString() : null), usedAt: body.usedAt ?? null } };
        }
      }
      return { jwt, dva: null };
    },
    async live(f: { bsn: string; client: string }): Promise<LiveToken[]> {
      const q = new URLSearchParams();
      if (f.bsn) q.set("bsn", f.bsn);
      if (f.client) q.set("client_id", f.client);
      const lists = await Promise.all(dvas().map(async (d) => {
        const res = await fetch(`${d.auth.origin}/_cockpit/tokens?${q}`, { headers: { authorization: auth() } }).catch(() => null);
        const body = res?.ok ? await res.json() as { tokens: { kind: string; id: string; clientId: string; bsn: string | null; zorgaanbieder: string | null; expiresAt: string }[] } : { tokens: [] };
        return body.tokens.map((t) => ({ dva: d.name, kind: t.kind, id: t.id, clientId: t.clientId, owner: ownerOf(t.bsn, t.zorgaanbieder), expiresAt: t.expiresAt }));
      }));
      return lists.flat();
    },
    /** The launchable choices: every persona's Tasks at every DVA this sandbox serves. */
    async tasks(): Promise<{ dva: string; dvaName: string; person: string; id: string; title: string; status: string }[]> {
      const lists = await Promise.all(dvas().flatMap((d) => ctx.network.patients.map(async (p) => {
        const res = await fetch(`${d.auth.origin}/_cockpit/tasks?bsn=${encodeURIComponent(p.bsn)}`, { headers: { authorization: auth() } }).catch(() => null);
        const body = res?.ok ? await res.json() as { tasks: { id: string; title: string; status: string }[] } : { tasks: [] };
        return body.tasks.map((t) => ({ dva: d.id, dvaName: d.name, person: p.fullName, ...t }));
      })));
      return lists.flat();
    },
    async launch(dvaId: string, body: { task: string; kind?: string; client_id?: string; simulate?: string; return_url: string }): Promise<{ ok: true; body: Record<string, any> } | { ok: false; error: string }> {
      const d = dvas().find((x) => x.id === dvaId);
      if (!d) return { ok: false, error: "Onbekende DVA." };
      const res = await fetch(`${d.auth.origin}/_cockpit/launch`, { method: "POST", headers: { authorization: auth(), "content-type": "application/json" }, body: JSON.stringify(body) }).catch(() => null);
      if (!res) return { ok: false, error: `${d.name} antwoordt niet.` };
      const json = await res.json().catch(() => ({})) as Record<string, any>;
      return res.status === 201 ? { ok: true, body: json } : { ok: false, error: String(json.error_description ?? `HTTP ${res.status}`) };
    },
    clients: () => [...new Set([...ctx.network.pgos.map((g) => g.clientId), ...ctx.network.modules.flatMap((m) => m.clients.map((c) => c.clientId)),
      ...ctx.network.zorgaanbieders.map((z) => z.systemClient.clientId), ...ctx.network.systems.map((x) => x.clientId)])].sort(),
  };
}
