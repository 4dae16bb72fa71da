/**
 * Verbind.MedMij's pages (issue 14 §2): neutral — no PGO's colours — and in the "u" form the
 * invitation mail uses. AM-FE-015: only PGOs that support Aanbiedermodules are offered.
 */
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface VerbindPgo { name: string; hostname: string; base: string }

export function VerbindHome({ theme }: { theme: Theme }): JSX.Element {
  return (
    <Layout theme={theme} title="Verbind.MedMij">
      <h1>Verbind uw zorgaanbieder met een PGO</h1>
      <p>Hebt u van uw zorgaanbieder een uitnodiging gekregen? Open dan de link of scan de QR-code uit de e-mail. U ziet hier dan de
        persoonlijke gezondheidsomgevingen (PGO's) waarmee u de taken van uw zorgaanbieder kunt openen.</p>
      <form method="get" action="/" class="card">
        <label for="code">Code uit de uitnodiging</label>
        <input id="code" name="code" inputmode="numeric" autocomplete="off" required maxlength="100" />
        <p class="hint" id="code-hint">Zeven cijfers, bijvoorbeeld 1234567.</p>
        <div class="actions"><button type="submit">Zoeken</button></div>
      </form>
    </Layout>
  );
}

export function VerbindPage(p: { theme: Theme; zorgaanbieder: string; code: string; pgos: (VerbindPgo & { href: string })[] }): JSX.Element {
  return (
    <Layout theme={p.theme} title={`Kies een PGO — ${p.zorgaanbieder}`}>
      <h1 safe>Taken van {p.zorgaanbieder} openen</h1>
      <p><span safe>{p.zorgaanbieder}</span> heeft taken voor u klaargezet, zoals een vragenlijst. U opent ze in een persoonlijke
        gezondheidsomgeving (PGO). Hieronder staan alleen PGO's die modules van zorgaanbieders ondersteunen.</p>
      <p>Kies een PGO. Hebt u nog geen account, dan maakt u dat daar aan. De PGO weet daarna al welke zorgaanbieder het is: u hoeft
        die niet zelf te zoeken.</p>
      {p.pgos.length === 0
        ? <div class="notice" role="status"><p>Er is op dit moment geen PGO die modules van zorgaanbieders ondersteunt.</p></div>
        : (
          <ul class="choices" aria-label="PGO's die modules ondersteunen">
            {p.pgos.map((g) => (
              <li class="card">
                <h2 safe>{g.name}</h2>
                <p><a class="button" href={g.href} aria-label={`Verder met ${g.name}`}>Verder met <span safe>{g.name}</span></a></p>
              </li>
            ))}
          </ul>
        )}
      <p class="hint">Code <span safe>{p.code}</span>. Verbind.MedMij is een dienst van Stichting MedMij en bewaart niets van u.</p>
    </Layout>
  );
}
