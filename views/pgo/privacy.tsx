import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

/**
 * The PGO's privacy statement (AM-FE-042; SD 5.3.2 "Privacyverklaring PGO", conclusions 2 and 3):
 * what the PGO stores and why, and that a module opens under the zorgaanbieder's responsibility,
 * not the PGO's. Public: readable before an account exists.
 */
export function PrivacyPage({ theme, pgoName, loggedIn }: { theme: Theme; pgoName: string; loggedIn: boolean }): JSX.Element {
  return (
    <Layout theme={theme} title="Privacyverklaring">
      <p>{loggedIn ? <a href="/taken">← Taken van zorgaanbieders</a> : <a href="/login">← Inloggen</a>}</p>
      <h1>Privacyverklaring</h1>
      <p safe>{`Dit is de privacyverklaring van ${pgoName}, een persoonlijke gezondheidsomgeving (PGO) in de MedMij Sandbox. Alle gegevens hier zijn fictief.`}</p>

      <h2>Wat we van je bewaren</h2>
      <ul>
        <li><strong>Je account</strong>: je naam, je gebruikersnaam en je wachtwoord, dat alleen versleuteld (als hash, argon2id) wordt bewaard.</li>
        <li><strong>Je inlogsessies</strong>: alleen een hash van de sessiecode, zodat je ingelogd blijft; na 8 uur vervalt een sessie.</li>
        <li><strong>Per verbonden zorgaanbieder</strong>: welke toestemming je gaf (eenmalig of langdurig) en wanneer, en de toegangssleutels
          (access token en refresh token) die de dienstverlener van je zorgaanbieder gaf. Die sleutels bewaren we verzegeld (AES-256-GCM).</li>
        <li><strong>Een kopie van je taken</strong>: titel, omschrijving, status, uitvoeringsperiode, instructie, zorgaanbieder, behandelplan,
          wie de taak klaarzette, de naam van de module en een eventuele reden van stoppen.
          Alleen deze gegevens over de taak (metadata), geen antwoorden en geen startadres van een module.</li>
        <li><strong>Logregels voor ketenmonitoring</strong> (MedMij): welke stap wanneer werd gezet, met een Trace ID, zodat een storing
          samen met de dienstverlener te vinden is.</li>
      </ul>

      <h2>Waarvoor</h2>
      <p>We gebruiken deze gegevens om je taken van al je zorgaanbieders in één overzicht te tonen, om ze bij te werken
        (synchronisatie, zonder dat je telkens opnieuw inlogt zolang je langdurige toestemming geldt) en om een taak te starten.</p>

      <h2>Aanbiedermodules vallen onder je zorgaanbieder</h2>
      <p safe>{`Als je een taak start, opent een applicatie (aanbiedermodule) van of namens je zorgaanbieder, buiten ${pgoName}. Die module valt onder de verantwoordelijkheid van je zorgaanbieder, niet van ${pgoName}. Wat je in de module invult, verwerkt de module voor je zorgaanbieder; het komt niet in ${pgoName}. ${pgoName} zorgt alleen voor het starten van de module.`}</p>

      <h2>Zelf regelen</h2>
      <ul>
        <li>Onder <a href="/verbindingen">Verbindingen</a> kun je een zorgaanbieder ontkoppelen: dan trekken we je toestemming in bij de
          dienstverlener en verwijderen we de sleutels en de kopie van de taken van die zorgaanbieder.</li>
        <li>Je toestemmingen zie en trek je ook in bij de dienstverlener van je zorgaanbieder.</li>
      </ul>
    </Layout>
  );
}
