/** The running network as JSON, secrets included — it is a sandbox (SPEC §12 `GET /api/network`). */
import { pkcePolicy } from "../shared/network.ts";
import { logsEndpoint } from "../shared/participants.ts";
import type { ResolvedNetwork } from "../shared/resolved-network.ts";

export function networkJson(n: ResolvedNetwork) {
  return {
    name: n.name,
    cockpit: n.cockpit.origin,
    register: { base: n.register.origin, lists: `${n.register.origin}/MedMij_Zorgaanbiederslijst.xml` },
    digid: { base: n.digid.origin, jwks: `${n.digid.origin}/.well-known/jwks.json` },
    xis: { base: n.xis.origin, name: n.xis.displayName },
    verbind: { base: n.verbind.origin },
    // MedMij Beheer's logging interface (issue 13): every PGO and DVA below has its `beheer` login there.
    beheer: { base: n.beheer.origin, logs: logsEndpoint(n), swagger: `${n.beheer.origin}/eagleeye/v1/swagger`, schema: `${n.beheer.origin}/eagleeye/v1/schema` },
    dataServices: n.dataServices,
    dvas: n.dvas.map((d) => ({ id: d.id, name: d.name, phone: d.phone, authBase: d.auth.origin, fhirBase: d.fhirBase, pkce: pkcePolicy(d), flavour: d.flavour, koppeltaal: d.koppeltaal,
      beheer: { username: d.beheer.username, password: d.beheer.password }, registered: d.registered ?? null })),
    zorgaanbieders: n.zorgaanbieders.map((z) => ({
      name: z.name, displayName: z.displayName, agb: z.agb, dva: z.dva, scope: z.scope, dataServices: z.dataServices,
      systemClient: { clientId: z.systemClient.clientId, clientSecret: z.systemClient.clientSecret },
      verbindCode: z.verbindCode, verbindUrl: `${n.verbind.origin}/code/${z.verbindCode}`, registered: z.registered ?? null,
    })),
    systems: n.systems.map((x) => ({ zorgaanbieder: x.zorgaanbieder, clientId: x.clientId, clientSecret: x.clientSecret, registered: x.registered ?? null })),
    pgos: n.pgos.map((g) => ({ clientId: g.clientId, clientSecret: g.clientSecret ?? null, displayName: g.displayName, redirectUris: g.redirectUris, base: g.site.origin,
      beheer: { username: g.beheer.username, password: g.beheer.password }, aanbiedermodules: g.aanbiedermodules, registered: g.registered ?? null })),
    modules: n.modules.map((m) => ({
      id: m.id, name: m.name, launchUrl: m.launchUrl, reIdentify: m.reIdentify,
      clients: m.clients.map((c) => ({ dva: c.dva, clientId: c.clientId, clientSecret: c.clientSecret ?? null, public: c.clientSecret === undefined && !c.jwks, ...(c.jwks ? { jwks: c.jwks } : {}), redirectUris: c.redirectUris })),
      registered: m.registered ?? null,
    })),
    patients: n.patients.map((p) => ({
      id: p.id, name: p.fullName, bsn: p.bsn, birthDate: p.birthDate, zorgaanbieders: p.zorgaanbieders,
      pgoUsername: p.pgo?.username ?? null, pgoPassword: p.pgo?.password ?? null,
    })),
    clinicians: n.clinicians.map((c) => ({ id: c.id, name: c.fullName, role: c.role, zorgaanbieder: c.zorgaanbieder, username: c.username, password: c.password })),
  };
}
