/**
 * What each zorgaanbieder offers (its module catalogue) and which tasks the personas have: the
 * content of the seed, as data. Dates are offsets in days from the moment of seeding, so that a
 * fresh seed always has open tasks within their executionPeriod.
 */

export interface CatalogueEntry {
  /** ActivityDefinition id suffix, unique per zorgaanbieder. */
  slug: string;
  title: string;
  description: string;
  /** Network module id that runs it. */
  module: string;
  kind: "questionnaire" | "information";
  /** Questionnaire id (seed/fhir/questionnaires/<id>.json) for questionnaire modules. */
  questionnaire?: string;
  /** Information modules: the text the module shows, paragraphs separated by blank lines. */
  text?: string;
  video?: string;
}

export const CATALOGUE: Record<string, CatalogueEntry[]> = {
  "delinde@medmij": [
    { slug: "copd-intake", title: "Intakevragenlijst kortademigheid", kind: "questionnaire", questionnaire: "copd-intake", module: "zorgmodules",
      description: "Digitale intake bij klachten van kortademigheid en hoesten, ter voorbereiding op het gesprek met de huisarts." },
    { slug: "mrc-dyspnoe", title: "MRC-schaal kortademigheid", kind: "questionnaire", questionnaire: "mrc-dyspnoe", module: "zorgmodules",
      description: "Eén vraag over hoeveel last u in het dagelijks leven heeft van kortademigheid." },
    { slug: "phq-9", title: "Vragenlijst stemming (PHQ-9)", kind: "questionnaire", questionnaire: "phq-9", module: "zorgmodules",
      description: "Negen vragen over uw stemming in de afgelopen twee weken." },
    { slug: "leven-met-copd", title: "Informatie: leven met COPD", kind: "information", module: "zorgmodules",
      description: "Uitleg over COPD, ademhalingsoefeningen en wanneer u contact opneemt met de praktijk.",
      text: "COPD is een chronische longziekte waarbij de luchtwegen vernauwd zijn. Daardoor raakt u sneller buiten adem.\n\nBlijf zo veel mogelijk in beweging: wandelen en fietsen helpen uw conditie op peil te houden. Stoppen met roken is de belangrijkste stap die u zelf kunt zetten.\n\nNeem contact op met de praktijk als u meer benauwd bent dan normaal, koorts krijgt of als uw medicijnen niet meer helpen.",
      video: "Video: ademhalingsoefeningen bij COPD (4 minuten)" },
    { slug: "stress-en-spanning", title: "Informatie: omgaan met stress en spanning", kind: "information", module: "zorgmodules",
      description: "Wat u zelf kunt doen bij spanning en piekeren, met tips van de POH-GGZ.",
      text: "Spanning hoort bij het leven, maar als het lang aanhoudt kunt u er klachten van krijgen, zoals slecht slapen en piekeren.\n\nProbeer elke dag iets te doen wat ontspant, zoals een wandeling. Praat erover met mensen om u heen.\n\nHoudt de spanning aan, maak dan een afspraak met de praktijkondersteuner GGZ.",
      video: "Video: ontspanningsoefening (6 minuten)" },
    { slug: "medicatiecheck", title: "Medicatieoverzicht controleren", kind: "information", module: "medicatiecheck",
      description: "Controleer uw medicatieoverzicht. Omdat dit gevoelige gegevens zijn, vraagt de zorgaanbieder u eerst opnieuw in te loggen.",
      // The list is fictional; the module renders the "|" paragraph as a table (views/module/pages.tsx textBlocks).
      text: "Hieronder ziet u het overzicht van de medicijnen die bij de praktijk bekend zijn. Klopt er iets niet, meld het dan bij uw volgende afspraak.\n\n"
        + "| Medicijn | Sterkte | Gebruik | Waarvoor |\n|---|---|---|---|\n"
        + "| Salbutamol inhalator | 100 microgram per dosis | Zo nodig 1 à 2 inhalaties, hoogstens 8 per dag | Bij benauwdheid |\n"
        + "| Tiotropium inhalator | 2,5 microgram per dosis | 1 keer per dag 2 inhalaties | Kortademigheid (onderhoud) |\n"
        + "| Omeprazol capsule | 20 mg | 1 keer per dag 1 capsule, voor het ontbijt | Maagklachten |\n\n"
        + "Gebruikt u ook medicijnen die hier niet staan, zoals middelen van de drogist? Noem ze bij uw volgende afspraak.",
      video: "Video: zo leest u uw medicatieoverzicht (3 minuten)" },
  ],
  "fysiodeberk@medmij": [
    { slug: "ademhalingsoefeningen", title: "Oefenprogramma: ademhalingsoefeningen", kind: "information", module: "zorgmodules",
      description: "Oefeningen om rustiger en dieper te ademen, voor thuis tussen de behandelingen door.",
      text: "Ga rechtop zitten met uw schouders ontspannen. Adem rustig in door uw neus en blaas langzaam uit door licht getuite lippen, twee keer zo lang als u inademde.\n\nDoe deze oefening twee keer per dag tien keer. Stop als u duizelig wordt en probeer het later opnieuw.\n\nNeem uw vragen mee naar de volgende afspraak bij de fysiotherapeut.",
      video: "Video: ademen met getuite lippen (5 minuten)" },
    { slug: "mrc-dyspnoe", title: "MRC-schaal kortademigheid", kind: "questionnaire", questionnaire: "mrc-dyspnoe", module: "zorgmodules",
      description: "Eén vraag over hoeveel last u in het dagelijks leven heeft van kortademigheid; de fysiotherapeut volgt zo uw vooruitgang." },
  ],
  "ggzoostland@medmij": [
    { slug: "gad-7", title: "Vragenlijst angst (GAD-7)", kind: "questionnaire", questionnaire: "gad-7", module: "zorgmodules",
      description: "Zeven vragen over angst en zorgen in de afgelopen twee weken; wordt elke week herhaald als meting." },
    { slug: "phq-9", title: "Vragenlijst stemming (PHQ-9)", kind: "questionnaire", questionnaire: "phq-9", module: "zorgmodules",
      description: "Negen vragen over uw stemming in de afgelopen twee weken." },
    { slug: "ggz-intake", title: "Intakevragenlijst GGZ", kind: "questionnaire", questionnaire: "ggz-intake", module: "zorgmodules",
      description: "Een korte vragenlijst ter voorbereiding op het intakegesprek." },
    { slug: "angststoornis", title: "Informatie: wat is een angststoornis?", kind: "information", module: "zorgmodules",
      description: "Psycho-educatie over gegeneraliseerde angst en cognitieve gedragstherapie (CGT).",
      text: "Bij een gegeneraliseerde angststoornis maakt u zich veel en lang zorgen over allerlei dingen, ook als daar weinig aanleiding voor is.\n\nIn cognitieve gedragstherapie leert u uw gedachten onderzoeken en stap voor stap minder vermijden.\n\nBekijk de video en lees deze tekst voor uw eerste CGT-sessie.",
      video: "Video: herkenbare situaties bij angst (8 minuten)" },
    { slug: "medicatiecheck", title: "Medicatieoverzicht controleren", kind: "information", module: "medicatiecheck",
      description: "Controleer uw medicatieoverzicht. Omdat dit gevoelige gegevens zijn, vraagt de zorgaanbieder u eerst opnieuw in te loggen.",
      text: "Hieronder ziet u het overzicht van de medicijnen die bij GGZ Oostland bekend zijn.\n\n"
        + "| Medicijn | Sterkte | Gebruik | Waarvoor |\n|---|---|---|---|\n"
        + "| Sertraline tablet | 50 mg | 1 keer per dag 1 tablet, 's ochtends | Angst en somberheid |\n"
        + "| Oxazepam tablet | 10 mg | Zo nodig 1 tablet, hoogstens 2 per dag | Hevige onrust |\n\n"
        + "Klopt er iets niet, of gebruikt u nog andere medicijnen? Meld het bij uw behandelaar.",
      video: "Video: zo leest u uw medicatieoverzicht (3 minuten)" },
  ],
};

export interface GroupPlanSeed { slug: string; label: string }

export interface TaskSeed {
  slug: string;
  activity: string;
  status: "requested" | "in-progress" | "completed" | "cancelled";
  /** executionPeriod in days from now. */
  start: number;
  end: number;
  /** Instruction for the patient (AM-FE-011, Task.note). */
  note?: string;
  /** Cancellation reason (AM-FE-007/030, Task.statusReason.text). */
  reason?: string;
  /** Task.description, else the ActivityDefinition's description. */
  description?: string;
}

export interface PatientSeed {
  patient: string;
  zorgaanbieder: string;
  clinician: string;
  plan: GroupPlanSeed;
  tasks: TaskSeed[];
}

/** The personas' tasks (SPEC §2, SD 4.6 patient journeys). */
export const PERSONA_TASKS: PatientSeed[] = [
  {
    patient: "tom", zorgaanbieder: "delinde@medmij", clinician: "dehaard",
    plan: { slug: "copd", label: "Diagnostiek kortademigheid (vermoeden COPD)" },
    tasks: [
      { slug: "intake", activity: "copd-intake", status: "requested", start: -1, end: 14,
        note: "Vul de vragenlijst in vóór uw afspraak. Het kost ongeveer 10 minuten; u kunt tussentijds opslaan." },
      { slug: "leven-met-copd", activity: "leven-met-copd", status: "in-progress", start: -3, end: 30 },
      { slug: "mrc-1", activity: "mrc-dyspnoe", status: "completed", start: -14, end: -7 },
      { slug: "phq-9", activity: "phq-9", status: "cancelled", start: -10, end: -3,
        reason: "Niet meer nodig: besproken tijdens het telefonisch consult." },
      { slug: "medicatiecheck", activity: "medicatiecheck", status: "requested", start: 0, end: 30 },
      { slug: "mrc-2", activity: "mrc-dyspnoe", status: "requested", start: 7, end: 14,
        note: "Herhaalmeting: vul deze in de week vóór uw controle in." },
    ],
  },
  {
    patient: "tom", zorgaanbieder: "fysiodeberk@medmij", clinician: "jansen",
    plan: { slug: "copd-beweeg", label: "Fysiotherapie bij COPD" },
    tasks: [
      { slug: "ademhaling", activity: "ademhalingsoefeningen", status: "requested", start: -2, end: 28,
        note: "Lees de uitleg en doe de oefening voor onze eerste afspraak." },
      { slug: "mrc-start", activity: "mrc-dyspnoe", status: "requested", start: -1, end: 10 },
    ],
  },
  {
    patient: "koos", zorgaanbieder: "ggzoostland@medmij", clinician: "vanrijn",
    plan: { slug: "cgt", label: "Behandeling angstklachten (CGT)" },
    tasks: [
      { slug: "gad-7-1", activity: "gad-7", status: "requested", start: -1, end: 7,
        note: "Nulmeting: vul deze vragenlijst in vóór uw eerste CGT-sessie." },
      { slug: "ggz-intake", activity: "ggz-intake", status: "completed", start: -21, end: -14 },
      { slug: "angststoornis", activity: "angststoornis", status: "in-progress", start: -2, end: 12 },
      { slug: "phq-9", activity: "phq-9", status: "cancelled", start: -14, end: -7,
        reason: "Vervangen door de GAD-7 op advies van de psychiater." },
      { slug: "gad-7-2", activity: "gad-7", status: "requested", start: 13, end: 20, note: "Tweede meting, na twee CGT-sessies." },
    ],
  },
  {
    patient: "koos", zorgaanbieder: "delinde@medmij", clinician: "dehaard",
    plan: { slug: "poh-ggz", label: "Begeleiding POH-GGZ" },
    tasks: [
      { slug: "stress", activity: "stress-en-spanning", status: "requested", start: -5, end: 25 },
    ],
  },
  {
    patient: "sanne", zorgaanbieder: "delinde@medmij", clinician: "dehaard",
    plan: { slug: "copd", label: "Controle COPD" },
    tasks: [
      { slug: "mrc-1", activity: "mrc-dyspnoe", status: "requested", start: 0, end: 10 },
    ],
  },
];
