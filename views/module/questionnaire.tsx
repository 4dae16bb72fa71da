import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import type { Answers, QItem, Questionnaire } from "../../src/module/questionnaire.ts";
import { ASSETS, Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

const optionCode = (o: NonNullable<QItem["answerOption"]>[number]) => o.valueCoding?.code ?? o.valueString ?? String(o.valueInteger ?? "");
const optionLabel = (o: NonNullable<QItem["answerOption"]>[number]) => o.valueCoding?.display ?? o.valueString ?? String(o.valueInteger ?? "");

/** An item's enableWhen for the browser script (views/enable-when.js), in the server's comparison terms. */
function enableWhenData(item: QItem): string {
  return JSON.stringify((item.enableWhen ?? []).map((c) => {
    if (c.operator === "exists") return { q: c.question, op: "exists", a: c.answerBoolean ?? true };
    if (c.answerBoolean !== undefined) return { q: c.question, op: c.operator, kind: "boolean", a: c.answerBoolean };
    if (c.answerInteger !== undefined || c.answerDecimal !== undefined) return { q: c.question, op: c.operator, kind: "number", a: c.answerInteger ?? c.answerDecimal };
    return { q: c.question, op: c.operator, kind: "string", a: c.answerCoding?.code ?? c.answerString ?? c.answerDate ?? "" };
  }));
}

/** A follow-up question: shown or hidden live by the script; without it, shown with a hint. */
function Field(props: { item: QItem; answers: Answers; errors: Record<string, string> }): JSX.Element {
  const field = <FieldBody {...props} />;
  if (!props.item.enableWhen?.length) return field;
  return <div class="conditional" data-enable-when={enableWhenData(props.item)} data-enable-behavior={props.item.enableBehavior ?? "all"}>{field}</div>;
}

function FieldBody({ item, answers, errors }: { item: QItem; answers: Answers; errors: Record<string, string> }): JSX.Element {
  const id = `q-${item.linkId}`;
  const value = answers[item.linkId] ?? "";
  const error = errors[item.linkId];
  const describedBy = error ? `${id}-error` : undefined;
  const label = `${item.text ?? item.linkId}${item.required ? " *" : ""}`;
  const conditional = item.enableWhen?.length ? <p class="hint conditional-hint">Alleen invullen als dit op u van toepassing is.</p> : "";
  const errorText = error ? <p class="field-error" id={`${id}-error`} safe>{error}</p> : "";
  switch (item.type) {
    case "group":
      return (
        <fieldset>
          <legend safe>{item.text ?? ""}</legend>
          {(item.item ?? []).map((child) => <Field item={child} answers={answers} errors={errors} />)}
        </fieldset>
      );
    case "display":
      return <p safe>{item.text ?? ""}</p>;
    case "boolean": case "choice": case "open-choice": {
      const options = item.type === "boolean" ? [{ code: "true", label: "Ja" }, { code: "false", label: "Nee" }]
        : (item.answerOption ?? []).map((o) => ({ code: optionCode(o), label: optionLabel(o) }));
      return (
        <fieldset aria-describedby={describedBy}>
          <legend safe>{label}</legend>
          {conditional}
          {options.map((o, n) => (
            <div class="choice">
              <input type="radio" id={`${id}-${n}`} name={item.linkId} value={o.code} checked={value === o.code} />
              <label class="inline" for={`${id}-${n}`} safe>{o.label}</label>
            </div>
          ))}
          {errorText}
        </fieldset>
      );
    }
    default: {
      const input = item.type === "text"
        ? <textarea id={id} name={item.linkId} rows="4" aria-describedby={describedBy} aria-invalid={error ? "true" : "false"} safe>{value}</textarea>
        : <input id={id} name={item.linkId} value={value} aria-describedby={describedBy} aria-invalid={error ? "true" : "false"}
            type={item.type === "date" ? "date" : "text"} inputmode={item.type === "integer" ? "numeric" : item.type === "decimal" ? "decimal" : undefined}
            maxlength={item.maxLength ? String(item.maxLength) : undefined} />;
      return <div><label for={id} safe>{label}</label>{conditional}{input}{errorText}</div>;
    }
  }
}

export interface QuestionnaireFormProps { theme: Theme; csrfToken: string; firstName: string | null; questionnaire: Questionnaire; answers: Answers;
  errors: Record<string, string>; saved: boolean; progress: { answered: number; total: number };
  /** The items of this page, which page (0-based) and how many; answers of other pages travel as hidden fields. */
  items: QItem[]; step: number; steps: number; hidden: [string, string][] }

/** The questionnaire as one form; autosave with htmx, "Tussentijds opslaan" and "Afronden" without JavaScript too. */
export function QuestionnaireForm(p: QuestionnaireFormProps): JSX.Element {
  const errorCount = Object.keys(p.errors).length;
  return (
    <Layout theme={p.theme} title={p.questionnaire.title ?? "Vragenlijst"}>
      {p.firstName ? <p safe>{`Hallo ${p.firstName},`}</p> : ""}
      <h1 safe>{p.questionnaire.title ?? "Vragenlijst"}</h1>
      {errorCount ? <div class="error" role="alert"><p safe>{`Nog niet alles is goed ingevuld (${errorCount}). Kijk de gemarkeerde vragen na.`}</p></div> : ""}
      {p.saved ? <div class="notice" role="status"><p>Uw antwoorden zijn opgeslagen. U kunt later verder gaan.</p></div> : ""}
      <p>
        <label for="voortgang" class="inline" safe>{`${p.steps > 1 ? `Stap ${p.step + 1} van ${p.steps} · ` : ""}${p.progress.answered} van ${p.progress.total} vragen beantwoord`}</label>{" "}
        <progress id="voortgang" max={String(p.progress.total)} value={String(p.progress.answered)}></progress>
      </p>
      <form method="post" action="/taak/opslaan" hx-post="/taak/opslaan" hx-trigger="change delay:800ms" hx-swap="none" hx-vals='{"action":"autosave"}' data-questionnaire>
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <input type="hidden" name="stap" value={String(p.step + 1)} />
        {p.hidden.map(([name, value]) => <input type="hidden" name={name} value={value} />)}
        {p.items.map((item) => <Field item={item} answers={p.answers} errors={p.errors} />)}
        <div class="actions">
          {p.step > 0 ? <button type="submit" name="action" value="prev" class="secondary">Vorige</button> : ""}
          <button type="submit" name="action" value="save" class="secondary">Tussentijds opslaan</button>
          {p.step < p.steps - 1 ? <button type="submit" name="action" value="next">Volgende</button> : <button type="submit" name="action" value="finish">Afronden</button>}
        </div>
      </form>
      <form method="post" action="/terug" class="actions">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <button type="submit" class="secondary">Terug naar PGO</button>
      </form>
      <script src={ASSETS.enableWhen} defer></script>
    </Layout>
  );
}

/** A completed questionnaire opened again: the answers, read-only (SD 4.6 step 17), with the score. */
export function QuestionnaireAnswers({ theme, csrfToken, questionnaire, answers, score, overtaken = false }: { theme: Theme; csrfToken: string; questionnaire: Questionnaire; answers: Answers;
  score: { total: number; band: string | null } | null;
  /** This session tried to save or finish after another session (tab) had finished the questionnaire. */
  overtaken?: boolean }): JSX.Element {
  const rows = (items: QItem[] = []): JSX.Element[] => items.flatMap((i) => i.type === "group" ? [<h2 safe>{i.text ?? ""}</h2>, ...rows(i.item)]
    : i.type === "display" || answers[i.linkId] === undefined ? []
    : [<div class="card"><p><strong safe>{i.text ?? i.linkId}</strong></p><p safe>{answerLabel(i, answers[i.linkId]!)}</p></div>]);
  return (
    <Layout theme={theme} title={questionnaire.title ?? "Vragenlijst"}>
      <h1 safe>{questionnaire.title ?? "Vragenlijst"}</h1>
      {overtaken
        ? <div class="notice" role="status"><p>Deze vragenlijst was al afgerond, in een ander venster of tabblad. Uw laatste wijzigingen zijn niet opgeslagen; hieronder ziet u de opgeslagen antwoorden.</p></div>
        : <div class="notice" role="status"><p>U heeft deze vragenlijst afgerond. Hieronder ziet u uw antwoorden.</p></div>}
      {score ? <p class="card"><strong>Score:</strong> <span safe>{`${score.total}${score.band ? ` — ${score.band}` : ""}`}</span></p> : ""}
      {rows(questionnaire.item)}
      <form method="post" action="/terug" class="actions">
        <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
        <button type="submit" class="secondary">Terug naar PGO</button>
      </form>
    </Layout>
  );
}

function answerLabel(item: QItem, value: string): string {
  if (item.type === "boolean") return value === "true" ? "Ja" : "Nee";
  const option = (item.answerOption ?? []).find((o) => optionCode(o) === value);
  return option ? optionLabel(option) : value;
}
