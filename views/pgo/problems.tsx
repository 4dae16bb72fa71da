import { ErrorDetails } from "../components/error-box.tsx";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

/** `providerKnown` false: the names are the fallbacks ("je zorgaanbieder", "de dienstverlener (DVA) van je zorgaanbieder"). */
export interface ProblemProps { theme: Theme; dvaName: string; dvaPhone: string; providerName: string; providerKnown?: boolean; pgoName: string; traceId: string; sessionId: string | null }

/** SD 4.2.1: the token exchange was broken off and no follow-up flow is possible. */
export function TechnicalFailure(p: ProblemProps & { detail?: string }): JSX.Element {
  return (
    <Layout theme={p.theme} title="Technische storing">
      <h1>Technische storing</h1>
      <div class="error" role="alert">
        <p safe>{`De uitwisseling is afgebroken. Je kunt deze stap bij ${p.dvaName} niet uitvoeren. Dit kan komen omdat een sessie is verlopen of door een technische fout.`}</p>
        <p safe>{`Probeer het later nog eens of neem contact op met ${p.dvaName}, ${p.dvaPhone}. Dit is de leverancier van het computersysteem van ${p.providerName}. Als je contact opneemt met ${p.dvaName}, heb je de volgende gegevens nodig:`}</p>
      </div>
      <ErrorDetails traceId={p.traceId} sessionId={p.sessionId} />
      {p.detail ? <p class="hint">Technische details: <span safe>{p.detail}</span></p> : ""}
      <p><a class="button secondary" href="/taken">Terug naar Taken van zorgaanbieders</a></p>
    </Layout>
  );
}

/** SD 4.2.3: the module failed or refused and sent the person back. */
export function LaunchFailed(p: ProblemProps & { error: string; reason?: string; taskTitle?: string }): JSX.Element {
  return (
    <Layout theme={p.theme} title="Starten mislukt">
      <h1>Starten mislukt</h1>
      {p.taskTitle ? <p>Taak: <strong safe>{p.taskTitle}</strong></p> : ""}
      <div class="error" role="alert">
        <p safe>{`Je kunt de taak niet uitvoeren bij ${p.providerName}, er ging iets mis bij het starten van de applicatie en je werd teruggestuurd naar ${p.pgoName}. Probeer het nog eens of neem contact op met ${p.dvaName}, ${p.dvaPhone}. Dit is de leverancier van het computersysteem van ${p.providerName}.`}</p>
      </div>
      {p.reason ? <p safe>{`Waarom: ${p.reason}.`}</p> : ""}
      <ErrorDetails traceId={p.traceId} sessionId={p.sessionId} />
      <p class="hint">{p.reason ? "Foutcode" : "Foutcode van de module"}: <code safe>{p.error}</code></p>
      <p><a class="button secondary" href="/taken">Terug naar Taken van zorgaanbieders</a></p>
    </Layout>
  );
}

/**
 * Risks Rc04 (the DVA is down) and Rc02 (the module is down), in the words of their SD measures:
 * "De tussenleverancier (DVA) is niet beschikbaar, neem contact op met uw Zorgaanbieder" and "De
 * module is niet beschikbaar, neem contact op met uw Zorgaanbieder" — with "je", as the PGO
 * addresses the person everywhere (SD 4.2.1–4.2.3), and the zorgaanbieder named.
 */
export function Unavailable(p: ProblemProps & { what: "dva" | "module" }): JSX.Element {
  const known = p.providerKnown !== false;
  const contact = known ? `je zorgaanbieder ${p.providerName}` : "je zorgaanbieder";
  const [first, second] = p.what === "dva"
    ? [`De tussenleverancier (DVA) van ${known ? `${p.providerName}, ${p.dvaName},` : "je zorgaanbieder"} is tijdelijk niet beschikbaar, neem contact op met ${contact}.`,
      "Je taken blijven bewaard; probeer het later nog eens."]
    : [`De module is niet beschikbaar, neem contact op met ${contact}.`,
      `De applicatie (module) waarmee ${p.providerName} deze taak aanbiedt, is tijdelijk niet beschikbaar. Probeer het later nog eens.`];
  return (
    <Layout theme={p.theme} title="Tijdelijk niet beschikbaar">
      <h1>Tijdelijk niet beschikbaar</h1>
      <div class="error" role="alert"><p safe>{first}</p><p safe>{second}</p></div>
      <ErrorDetails traceId={p.traceId} sessionId={p.sessionId} />
      <p><a class="button secondary" href="/taken">Terug naar Taken van zorgaanbieders</a></p>
    </Layout>
  );
}
