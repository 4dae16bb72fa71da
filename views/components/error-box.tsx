export interface ErrorDetailsProps {
  traceId: string;
  sessionId?: string | null;
}

/** "Trace ID" and "Session ID" followed by their values (SD 4.2.1; SPEC §12 names). */
export function ErrorDetails({ traceId, sessionId }: ErrorDetailsProps): JSX.Element {
  return (
    <dl class="error-ids">
      <dt>Trace ID</dt>
      <dd><code safe>{traceId}</code></dd>
      <dt>Session ID</dt>
      <dd><code safe>{sessionId ?? "-"}</code></dd>
    </dl>
  );
}
