import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface LoginPageProps { theme: Theme; csrfToken: string; next: string; error?: string; username?: string; heading?: string; intro?: string;
  /** The PGO offers "Account aanmaken"; the clinician portal does not (clinicians come from the network). */
  accountLink?: boolean;
  /** Above the form: e.g. the PGO's invitation or who is logged in already. */
  notice?: JSX.Element }

/** Log in, at the PGO and the clinician portal (SPEC §12 names: "Gebruikersnaam", "Wachtwoord", "Inloggen", "Account aanmaken"). */
export function LoginPage(p: LoginPageProps): JSX.Element {
  const notice = p.notice;
  return (
    <Layout theme={p.theme} title="Inloggen">
      <h1 safe>{p.heading ?? "Inloggen"}</h1>
      {p.intro ? <p safe>{p.intro}</p> : ""}
      {notice ? <div class="page-notice">{notice}</div> : ""}
      {p.error ? <div class="error" role="alert" id="login-error"><p safe>{p.error}</p></div> : ""}
      <form method="post" action="/login" class="card">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <input type="hidden" name="next" value={p.next} />
        <label for="username">Gebruikersnaam</label>
        <input type="text" id="username" name="username" autocomplete="username" required value={p.username ?? ""} />
        <label for="password">Wachtwoord</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <div class="actions"><button type="submit">Inloggen</button></div>
      </form>
      {p.accountLink === false ? "" : <p>Nog geen account? <a href={`/account?next=${encodeURIComponent(p.next)}`}>Account aanmaken</a></p>}
    </Layout>
  );
}
