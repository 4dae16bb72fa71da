import { Layout } from "./layout.tsx";
import { themes } from "./theme.ts";

/** 404 for a Host header no actor answers to, listing the hosts that do. */
export function UnknownHostPage({ host, hosts }: { host: string; hosts: { title: string; origin: string }[] }): JSX.Element {
  return (
    <Layout theme={themes.cockpit} title="Onbekende host">
      <h1>Onbekende host</h1>
      <div class="error" role="alert"><p>Geen actor van dit sandboxnetwerk luistert naar <code safe>{host || "(geen Host-header)"}</code>.</p></div>
      <h2>Deze hosts zijn er wel</h2>
      <ul>{hosts.map((h) => <li><a href={`${h.origin}/`} safe>{h.origin}</a> — <span safe>{h.title}</span></li>)}</ul>
    </Layout>
  );
}
