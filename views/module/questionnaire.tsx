import { formatDay } from "../../src/shared/time.ts";
import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { splitOpenChoice, valueOf, valuesOf, type Answers, type QItem, type Questionnaire } from "../../src/module/questionnaire.ts";
import { ASSETS, Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";
import { Instruction } from "./pages.tsx";

const optionCode = (o: NonNullable<QItem["answerOption"]>[number]) => o.valueCoding?.code ?? o.valueString ?? String(o.valueInteger ?? "");
const optionLabel = (o: NonNullable<QItem["answerOption"]>[number]) => o.valueCoding?.display ?? o.valueString ?? String(o.valueInteger ?? "");
/** Rendered (so every browser takes it as the default button) but not seen; CSP allows inline styles. */
const VISUALLY_HIDDEN = "position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap";

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
  const value = valueOf(answers, item.linkId);
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
      // `repeats`: several answers (checkboxes); open-choice: also the person's own words ("Anders, namelijk").
      const multiple = item.type !== "boolean" && item.repeats === true;
      const { codes, other } = item.type === "open-choice" ? splitOpenChoice(item, valuesOf(answers, item.linkId)) : { codes: valuesOf(answers, item.linkId), other: [] };
      return (
        <fieldset aria-describedby={describedBy}>
          <legend safe>{label}</legend>
          {conditional}
          {options.map((o, n) => (
            <div class="choice">
              <input type={multiple ? "checkbox" : "radio"} id={`${id}-${n}`} name={item.linkId} value={o.code} checked={codes.includes(o.code)} />
              <label class="inline" for={`${id}-${n}`} safe>{o.label}</label>
            </div>
          ))}
          {item.type === "open-choice" ? (
            <div>
              <label for={`${id}-anders`}>Anders, namelijk</label>
              <input type="text" id={`${id}-anders`} name={item.linkId} value={other.join(", ")} aria-invalid={error ? "true" : "false"}
                maxlength={item.maxLength ? String(item.maxLength) : undefined} />
            </div>
          ) : ""}
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
  /** The clinician's instruction (Task.note, AM-FE-011), if any. */
  note: string | null;
  /** The items of this page, which page (0-based) and how many; answers of other pages travel as hidden fields. */
  items: QItem[]; step: number; steps: number; hidden: [string, string][] }

/** The questionnaire as one form; autosave with htmx, "Tussentijds opslaan" and "Afronden" without JavaScript too. */
export function QuestionnaireForm(p: QuestionnaireFormProps): JSX.Element {
  const errorCount = Object.keys(p.errors).length;
  const primary = p.step < p.steps - 1 ? { action: "next", label: "Volgende" } : { action: "finish", label: "Afronden" };
  return (
    <Layout theme={p.theme} title={p.questionnaire.title ?? "Vragenlijst"}>
      {p.firstName ? <p safe>{`Hallo ${p.firstName},`}</p> : ""}
      <h1 safe>{p.questionnaire.title ?? "Vragenlijst"}</h1>
      <Instruction note={p.note} />
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
        {/* Enter in a field submits with the form's default button, the first submit button in tree order
            (HTML §4.10.21.2 implicit submission): the primary action, out of sight, out of the tab order and
            of the accessibility tree, so the visible buttons keep their reading order. */}
        <button type="submit" name="action" value={primary.action} tabindex="-1" aria-hidden="true" style={VISUALLY_HIDDEN} safe>{primary.label}</button>
        {p.items.map((item) => <Field item={item} answers={p.answers} errors={p.errors} />)}
        <div class="actions">
          {p.step > 0 ? <button type="submit" name="action" value="prev" class="secondary">Vorige</button> : ""}
          <button type="submit" name="action" value="save" class="secondary">Tussentijds opslaan</button>
          <button type="submit" name="action" value={primary.action} safe>{primary.label}</button>
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
export function QuestionnaireAnswers({ theme, csrfToken, questionnaire, answers, score, overtaken = false, note = null }: { theme: Theme; csrfToken: string; questionnaire: Questionnaire; answers: Answers;
  score: { total: number; band: string | null } | null;
  /** The clinician's instruction (Task.note). */
  note?: string | null;
  /** This session tried to save or finish after another session (tab) had finished the questionnaire. */
  overtaken?: boolean }): JSX.Element {
  const rows = (items: QItem[] = []): JSX.Element[] => items.flatMap((i) => i.type === "group" ? [<h2 safe>{i.text ?? ""}</h2>, ...rows(i.item)]
    : i.type === "display" || valuesOf(answers, i.linkId).length === 0 ? []
    : [<div class="card"><p><strong safe>{i.text ?? i.linkId}</strong></p><p safe>{valuesOf(answers, i.linkId).map((v) => answerLabel(i, v)).join(", ")}</p></div>]);
  return (
    <Layout theme={theme} title={questionnaire.title ?? "Vragenlijst"}>
      <h1 safe>{questionnaire.title ?? "Vragenlijst"}</h1>
      <Instruction note={note} />
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
  if (item.type === "date") return formatDay(value) || value;
  const option = (item.answerOption ?? []).find((o) => optionCode(o) === value);
  return option ? optionLabel(option) : value;
}
