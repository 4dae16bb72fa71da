import { Layout } from "./layout.tsx";
import type { Theme } from "./theme.ts";

export function PlaceholderPage({ theme, what, cockpit }: { theme: Theme; what: string; cockpit: string }): JSX.Element {
  return (
    <Layout theme={theme} title="In aanbouw">
      <h1 safe>{theme.name}</h1>
      <div class="banner"><p safe>{what}</p></div>
      <p>Deze host beantwoordt al <code>/health</code>. Terug naar de <a href={cockpit}>cockpit</a>.</p>
    </Layout>
  );
}
