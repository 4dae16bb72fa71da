import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";
import type { ResolvedNetwork } from "../../src/shared/resolved-network.ts";
import type { ListStamp } from "../../src/register/store.ts";
import { whitelistHosts } from "../../src/register/lists.ts";

export interface RegisterHomeProps {
  lists: { name: string; stamp: ListStamp }[];
  network: ResolvedNetwork;
}

/** The lists as readable tables (SPEC §4), with links to the XML. */
export function RegisterHome({ lists, network }: RegisterHomeProps): JSX.Element {
  const service = (id: string) => network.dataServices.find((s) => s.id === id)?.name ?? id;
  return (
    <Layout theme={themes.register} title="Stelsellijsten">
      <h1>Stelsellijsten</h1>
      <p>De MedMij-lijsten van dit sandboxnetwerk. PGO's en DVA's lezen de XML-versies via HTTP.</p>
      <table>
        <caption class="hint">Lijsten met volgnummer en tijdstempel</caption>
        <thead><tr><th scope="col">Lijst</th><th scope="col">Volgnummer</th><th scope="col">Tijdstempel</th></tr></thead>
        <tbody>
          {lists.map((l) => (
            <tr>
              <td><a href={`/${l.name}.xml`} safe>{`${l.name}.xml`}</a></td>
              <td safe>{String(l.stamp.volgnummer)}</td>
              <td safe>{l.stamp.tijdstempel}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Zorgaanbiederslijst en koppellijst</h2>
      <table>
        <thead><tr><th scope="col">Zorgaanbiedernaam</th><th scope="col">Naam</th><th scope="col">AGB</th><th scope="col">Gegevensdiensten</th><th scope="col">Authorization / token / resource endpoint</th></tr></thead>
        <tbody>
          {network.zorgaanbieders.map((z) => (
            <tr>
              <td><code safe>{z.name}</code></td>
              <td safe>{z.displayName}</td>
              <td safe>{z.agb}</td>
              <td safe>{z.dataServices.map((id) => `${id} ${service(id)}`).join(", ")}</td>
              <td>
                <code safe>{`${z.dvaSite.auth.origin}/auth`}</code><br />
                <code safe>{`${z.dvaSite.auth.origin}/token`}</code><br />
                <code safe>{z.dvaSite.fhirBase}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>OAuth-clients (PGO's)</h2>
      <table>
        <thead><tr><th scope="col">Hostname (client_id)</th><th scope="col">Organisatienaam</th></tr></thead>
        <tbody>{network.pgos.map((g) => <tr><td><code safe>{g.clientId}</code></td><td safe>{g.displayName}</td></tr>)}</tbody>
      </table>

      <h2>Whitelist</h2>
      <ul>
        {whitelistHosts(network).map((h) => <li><code safe>{h}</code></li>)}
      </ul>

      <h2>Gegevensdiensten</h2>
      <table>
        <thead><tr><th scope="col">Id</th><th scope="col">Weergavenaam</th></tr></thead>
        <tbody>{network.dataServices.map((s) => <tr><td safe>{s.id}</td><td safe>{s.name}</td></tr>)}</tbody>
      </table>
    </Layout>
  );
}
