import type { Children } from "@kitajs/html";
import type { Theme } from "./theme.ts";

export const ASSETS = { htmx: "/_sandbox/htmx-2.0.11.min.js", css: "/_sandbox/style.css", enableWhen: "/_sandbox/enable-when.js", pauseRefresh: "/_sandbox/pause-refresh.js" } as const;

export interface LayoutProps {
  theme: Theme;
  title: string;
  children?: Children;
  /** Shown under the header, e.g. who is logged in. */
  aside?: JSX.Element;
}

/** The page frame every actor uses; the theme gives each party its own colour and name. */
export function Layout({ theme, title, children, aside }: LayoutProps): JSX.Element {
  return (
    <>
      {"<!doctype html>"}
      <html lang="nl">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{`${title} — ${theme.name}`}</title>
          <link rel="stylesheet" href={ASSETS.css} />
          <script src={ASSETS.htmx} defer></script>
        </head>
        <body style={`--actor: ${theme.color}`} hx-boost="false">
          <a class="skip" href="#main">Naar de inhoud</a>
          <header class="actor-header">
            <span class="actor-mark" aria-hidden="true" safe>{theme.mark}</span>
            <div>
              <div class="actor-role" safe>{theme.role}</div>
              <div class="actor-name" safe>{theme.name}</div>
            </div>
            {aside ? <div class="actor-aside">{aside}</div> : ""}
          </header>
          <main id="main" tabindex="-1">
            {children}
          </main>
          <footer class="sandbox-footer">
            {theme.links?.length ? (
              <nav aria-label={`Over ${theme.name}`}>
                <ul>{theme.links.map((l) => <li><a href={l.href} safe>{l.label}</a></li>)}</ul>
              </nav>
            ) : ""}
            MedMij Sandbox — fictieve gegevens, alleen voor testen en demo's.
          </footer>
        </body>
      </html>
    </>
  );
}
