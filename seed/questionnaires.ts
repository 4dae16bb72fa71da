/**
 * The Questionnaires every DVA offers (seed/fhir/questionnaires/*.json). Imported statically so
 * that `bun build --compile` embeds them in the binary.
 */
import type { Resource } from "../src/dva/fhir/store.ts";
import copdIntake from "./fhir/questionnaires/copd-intake.json";
import gad7 from "./fhir/questionnaires/gad-7.json";
import ggzIntake from "./fhir/questionnaires/ggz-intake.json";
import mrc from "./fhir/questionnaires/mrc-dyspnoe.json";
import phq9 from "./fhir/questionnaires/phq-9.json";

export const QUESTIONNAIRES = [copdIntake, gad7, ggzIntake, mrc, phq9] as unknown as (Resource & { id: string; url: string })[];
