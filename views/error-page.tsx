import { ErrorDetails } from "./components/error-box.tsx";
import { Layout } from "./layout.tsx";
import type { Theme } from "./theme.ts";

export interface ErrorPageProps {
  theme: Theme;
  heading: string;
  message: string;
  traceId: string;
  sessionId?: string | null;
  /** A safe way on: a same-host path or a verified URL. */
  back?: { href: string; label: string };
}

/** A friendly error page with the ids a helpdesk asks for; never a stack trace. */
export function ErrorPage(p: ErrorPageProps): JSX.Element {
  return (
    <Layout theme={p.theme} title={p.heading}>
      <h1 safe>{p.heading}</h1>
      <div class="error" role="alert"><p safe>{p.message}</p></div>
      <ErrorDetails traceId={p.traceId} sessionId={p.sessionId} />
      {p.back ? <p><a class="button secondary" href={p.back.href} safe>{p.back.label}</a></p> : ""}
    </Layout>
  );
}
