/**
 * The MedMij participants that deliver SD 4.5 log lines to MedMij Beheer (issue 13, SD 4.5.1):
 * every PGO (DVP) and DVA of the network, with its credentials at the logging interface and the
 * host names its lines carry as `event.location`. The module and the clinician portal are not
 * MedMij participants (SD 4.5.4: the module logs nothing).
 */
import type { ChainRole } from "./chain-events.ts";
import type { ResolvedNetwork } from "./resolved-network.ts";

export interface Participant {
  /** HTTP Basic username at the logging interface (network `beheer.username`, else derived). */
  username: string;
  password: string;
  role: ChainRole;
  /** As people know it: "MijnGezondheid PGO", "Zorgnet DVA". */
  name: string;
  /** Host names its lines may carry as `event.location` (a DVA has two: authorization and FHIR server). */
  hosts: string[];
  /** The hosts this process serves; the sandbox delivers those hosts' lines itself. */
  internalHosts: string[];
  /** Where a person reaches it (its first host). */
  origin: string;
}

export function participantsOf(n: ResolvedNetwork): Participant[] {
  return [
    ...n.pgos.map((g): Participant => ({
      username: g.beheer.username, password: g.beheer.password, role: "pgo", name: g.displayName,
      hosts: [g.site.hostname], internalHosts: g.site.internal ? [g.site.hostname] : [], origin: g.site.origin,
    })),
    ...n.dvas.map((d): Participant => ({
      username: d.beheer.username, password: d.beheer.password, role: "dva", name: d.name,
      hosts: [...new Set([d.auth.hostname, d.fhir.hostname])],
      internalHosts: [...new Set([d.auth, d.fhir].filter((s) => s.internal).map((s) => s.hostname))], origin: d.auth.origin,
    })),
  ];
}

/** MedMij Beheer's endpoint for deliveries (the real one: `https://api.medmij.nl/eagleeye/v1/logs`). */
export function logsEndpoint(n: ResolvedNetwork): string {
  return `${n.beheer.origin}/eagleeye/v1/logs`;
}
