import { formatDateTime } from "../../src/shared/time.ts";
import { renderSVG } from "uqr";
import type { Mail } from "../../src/cockpit/mailbox.ts";
import { Layout } from "../layout.tsx";
import { themes } from "../theme.ts";

const when = (iso: string) => formatDateTime(iso);

/** The sandbox mailbox: every e-mail a sandbox actor "sent", newest first. */
export function MailboxPage({ mails }: { mails: Mail[] }): JSX.Element {
  return (
    <Layout theme={themes.cockpit} title="Postvak">
      <h1>Postvak</h1>
      <p>E-mails die de sandbox "verstuurt", zoals uitnodigingen van het zorgverlenersportaal. Er gaat niets echt de deur uit.</p>
      {mails.length === 0
        ? <p class="hint">Nog geen e-mails.</p>
        : <table>
            <thead><tr><th scope="col">Verzonden</th><th scope="col">Aan</th><th scope="col">Van</th><th scope="col">Onderwerp</th></tr></thead>
            <tbody>
              {mails.map((m) => (
                <tr>
                  <td safe>{when(m.sentAt)}</td>
                  <td safe>{m.recipient}</td>
                  <td safe>{m.sender}</td>
                  <td><a href={`/mailbox/${m.id}`} safe>{m.subject}</a></td>
                </tr>
              ))}
            </tbody>
          </table>}
      <p><a href="/">Terug naar de cockpit</a></p>
    </Layout>
  );
}

/**
 * The link as a QR code: uqr draws an SVG of modules (rects and a path) from the link, which
 * parseMail already checked to be an http(s) URL; no text of the mail ends up in it. Null when
 * the link does not fit in a QR code (a mail stored before /api/mail checked its size).
 */
function qrCode(link: string): JSX.Element | null {
  let safeSvg: string;
  try { safeSvg = renderSVG(link, { pixelSize: 4, border: 2 }); } catch { return null; }
  return <>{safeSvg}</>;
}

function MailLink({ link }: { link: string }): JSX.Element {
  const qr = qrCode(link);
  return (
    <div class="mail-link">
      <p><a class="button" href={link} safe>{link}</a></p>
      {qr
        ? <figure>
            <div class="qr" role="img" aria-label="QR-code van de link">{qr}</div>
            <figcaption>Of scan deze QR-code met uw telefoon.</figcaption>
          </figure>
        : <p class="hint">Deze link is te lang voor een QR-code; open hem met de knop hierboven.</p>}
    </div>
  );
}

/** One e-mail: its text, the link as a button and as a QR code (for a phone with the PGO app). */
export function MailPage({ mail }: { mail: Mail }): JSX.Element {
  return (
    <Layout theme={themes.cockpit} title={mail.subject}>
      <h1 safe>{mail.subject}</h1>
      <dl class="facts">
        <dt>Van</dt><dd safe>{mail.sender}</dd>
        <dt>Aan</dt><dd safe>{mail.recipient}</dd>
        <dt>Verzonden</dt><dd safe>{when(mail.sentAt)}</dd>
      </dl>
      <article class="card mail-body">
        {mail.body.split(/\n{2,}/).map((paragraph) => <p safe>{paragraph}</p>)}
        {mail.link ? <MailLink link={mail.link} /> : ""}
      </article>
      <p><a href="/mailbox">Terug naar het postvak</a></p>
    </Layout>
  );
}
