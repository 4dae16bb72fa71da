import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface FhirHomeProps {
  theme: Theme;
  dvaName: string;
  fhirBase: string;
  authOrigin: string;
  cockpit: string;
  resourceTypes: readonly string[];
  /** A zorgaanbieder system client of this DVA, for the curl example (sandbox secrets, also in the README). */
  systemClient?: { clientId: string; clientSecret: string };
}

/** The FHIR host's landing page: where the API is and how to reach it (README "Querying a DVA"). */
export function FhirHome(p: FhirHomeProps): JSX.Element {
  return (
    <Layout theme={p.theme} title={`FHIR-server ${p.dvaName}`}>
      <h1 safe>{`FHIR-server van ${p.dvaName}`}</h1>
      <p>FHIR R4 (JSON) op <code safe>{p.fhirBase}</code>. Elke aanroep vraagt een Bearer-token van <code safe>{p.authOrigin}</code>.</p>
      <ul>
        <li><a href={`${p.fhirBase}/metadata`}>CapabilityStatement (/metadata)</a></li>
        <li><a href={`${p.fhirBase}/.well-known/smart-configuration`}>SMART-configuratie</a></li>
        <li><a href={p.cockpit}>Cockpit: ketenlog, storingen en personas</a></li>
      </ul>
      <h2>Resources</h2>
      <p safe>{p.resourceTypes.join(", ")}</p>
      <h2>Voorbeeld met curl</h2>
      {p.systemClient
        ? <pre><code safe>{`TOKEN=$(curl -s -u ${p.systemClient.clientId}:${p.systemClient.clientSecret} -d grant_type=client_credentials -d 'scope=system/*.*' \\\n  ${p.authOrigin}/token | bun -e 'console.log((await Bun.stdin.json()).access_token)')`}</code></pre>
        : ""}
      <pre><code safe>{`curl -H "Authorization: Bearer $TOKEN" '${p.fhirBase}/Task?status:not=completed&_include=Task:based-on'`}</code></pre>
      <p>Een PGO- of moduletoken werkt net zo; de README (DVA FHIR server) beschrijft wat de zoekfunctie ondersteunt.</p>
    </Layout>
  );
}
