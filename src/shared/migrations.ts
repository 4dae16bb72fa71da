/**
 * Versioned schema migrations, applied in order by `migrate()`. Append only: never edit a migration
 * that has shipped; add a new version. Each actor owns its tables (prefix = actor) and only its
 * store module touches them.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "sandbox core: meta, faults, chain log",
    sql: `
      CREATE TABLE sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE fault (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE chain_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        trace_id TEXT NOT NULL,
        session_id TEXT,
        type TEXT NOT NULL,
        location TEXT NOT NULL,
        datetime TEXT NOT NULL,
        line TEXT NOT NULL
      );
      CREATE INDEX chain_log_trace ON chain_log (trace_id, seq);
    `,
  },
  {
    version: 2,
    name: "register: list versions",
    sql: `
      CREATE TABLE register_list (
        name TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        volgnummer INTEGER NOT NULL CHECK (volgnummer > 0),
        tijdstempel TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: "digid: signing keys",
    sql: `
      CREATE TABLE digid_key (
        kid TEXT PRIMARY KEY,
        private_jwk TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: "dva fhir: resources, history, search indexes",
    sql: `
      -- Current version of every resource, per DVA. 'patient' is the resource's patient compartment
      -- ("Patient/<id>") so that a PGO or module token can be confined to one patient cheaply.
      CREATE TABLE fhir_resource (
        dva TEXT NOT NULL,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        version_id INTEGER NOT NULL,
        last_updated TEXT NOT NULL,
        patient TEXT,
        deleted INTEGER NOT NULL DEFAULT 0,
        json TEXT NOT NULL,
        PRIMARY KEY (dva, type, id)
      ); -- a rowid table: rows of ~1 KB JSON are stored far more compactly than WITHOUT ROWID
      CREATE INDEX fhir_resource_patient ON fhir_resource (dva, type, patient, last_updated);
      CREATE INDEX fhir_resource_updated ON fhir_resource (dva, type, last_updated);

      -- Every version ever written (vread, _history). Stale versions are kept.
      CREATE TABLE fhir_history (
        dva TEXT NOT NULL,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        version_id INTEGER NOT NULL,
        last_updated TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        json TEXT NOT NULL,
        PRIMARY KEY (dva, type, id, version_id)
      );

      -- Token and reference search parameters (status, _tag, owner, requester, based-on, focus,
      -- digital-activity, identifier, code, url, ...). References are stored as "Type/id".
      CREATE TABLE fhir_search_token (
        dva TEXT NOT NULL,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        param TEXT NOT NULL,
        system TEXT,
        value TEXT NOT NULL
      );
      CREATE INDEX fhir_search_token_value ON fhir_search_token (dva, type, param, value);
      CREATE INDEX fhir_search_token_resource ON fhir_search_token (dva, type, id);

      -- Date search parameters and sort keys (Task period = executionPeriod), ISO strings in UTC.
      CREATE TABLE fhir_search_date (
        dva TEXT NOT NULL,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        param TEXT NOT NULL,
        start TEXT,
        end TEXT,
        PRIMARY KEY (dva, type, id, param)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: "pgo: accounts",
    sql: `
      CREATE TABLE pgo_account (
        id TEXT PRIMARY KEY,
        pgo TEXT NOT NULL,
        username TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        display_name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (pgo, username)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: "dva auth: keys, sessions, authorization requests, consents, codes, tokens",
    sql: `
      CREATE TABLE dva_auth_key (
        dva TEXT NOT NULL, kid TEXT NOT NULL, private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (dva, kid)
      ) WITHOUT ROWID;
      -- The browser's login session at a DVA (cookie), from a DigiD login.
      CREATE TABLE dva_session (
        id TEXT PRIMARY KEY, dva TEXT NOT NULL, bsn TEXT NOT NULL, digid_login_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- A verified /auth (kind collect) or /connect/authorize (kind smart) request waiting for DigiD.
      CREATE TABLE dva_auth_request (
        id TEXT PRIMARY KEY, dva TEXT NOT NULL, kind TEXT NOT NULL DEFAULT 'collect', data TEXT, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
        scope TEXT NOT NULL, state TEXT NOT NULL, trace_id TEXT NOT NULL, request_id TEXT NOT NULL, session_id TEXT,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE dva_consent (
        id TEXT PRIMARY KEY, dva TEXT NOT NULL, bsn TEXT NOT NULL, client_id TEXT NOT NULL, zorgaanbieder TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('once', 'long')), created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        withdrawn_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX dva_consent_person ON dva_consent (dva, bsn);
      -- Authorization codes, refresh tokens and launch codes: only their SHA-256 is stored.
      CREATE TABLE dva_grant (
        hash TEXT PRIMARY KEY, dva TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('code', 'refresh', 'launch')),
        client_id TEXT NOT NULL, consent_id TEXT REFERENCES dva_consent (id), data TEXT NOT NULL,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, revoked_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX dva_grant_consent ON dva_grant (consent_id);
      -- Access tokens are JWTs; their jti is kept so that revocation and replay handling can kill them.
      CREATE TABLE dva_access_token (
        jti TEXT PRIMARY KEY, dva TEXT NOT NULL, client_id TEXT NOT NULL, consent_id TEXT, issued_by TEXT,
        expires_at INTEGER NOT NULL, revoked_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX dva_access_token_issuer ON dva_access_token (issued_by);
    `,
  },
  {
    version: 7,
    name: "pgo: sessions",
    sql: `
      -- A browser's login at the PGO; the id is stored as SHA-256.
      CREATE TABLE pgo_session (
        id TEXT PRIMARY KEY, pgo TEXT NOT NULL, account_id TEXT NOT NULL REFERENCES pgo_account (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    name: "pgo: connections to zorgaanbieders, pending authorization states",
    sql: `
      -- Tokens per account and zorgaanbieder (SD 3.3). Stored in the sandbox's own file, not encrypted.
      CREATE TABLE pgo_connection (
        account_id TEXT NOT NULL REFERENCES pgo_account (id) ON DELETE CASCADE,
        zorgaanbieder TEXT NOT NULL,
        access_token TEXT NOT NULL,
        access_expires_at INTEGER NOT NULL,
        refresh_token TEXT,
        scope TEXT NOT NULL,
        patient TEXT,
        connected_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, zorgaanbieder)
      ) WITHOUT ROWID;
      CREATE TABLE pgo_oauth_state (
        state TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES pgo_account (id) ON DELETE CASCADE,
        zorgaanbieder TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        resume_task TEXT, -- step-up (SD 3.4): the task to start again after the new authorization
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 9,
    name: "pgo: task cache and sync state",
    sql: `
      -- The PGO's own copy of its users' tasks (SD 3.3.4, risk Rc08): one row per business identifier.
      CREATE TABLE pgo_task (
        account_id TEXT NOT NULL REFERENCES pgo_account (id) ON DELETE CASCADE,
        zorgaanbieder TEXT NOT NULL,
        task_key TEXT NOT NULL,
        task_id TEXT NOT NULL,
        status TEXT NOT NULL,
        title TEXT NOT NULL,
        sort_date TEXT,
        json TEXT NOT NULL,
        PRIMARY KEY (account_id, zorgaanbieder, task_key)
      ) WITHOUT ROWID;
      CREATE TABLE pgo_sync (
        account_id TEXT NOT NULL REFERENCES pgo_account (id) ON DELETE CASCADE,
        zorgaanbieder TEXT NOT NULL,
        synced_at INTEGER NOT NULL,
        since TEXT,
        url TEXT,
        etag TEXT,
        PRIMARY KEY (account_id, zorgaanbieder)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 10,
    name: "module: browser sessions",
    sql: `
      -- The module's own session per browser (SMART client state, token, launch context). The id is stored as SHA-256.
      CREATE TABLE module_session (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 11,
    name: "clinician portal sessions, cockpit mailbox",
    sql: `
      -- A clinician's login at the portal (clinicians come from the network). The id is stored as SHA-256.
      CREATE TABLE xis_session (
        id TEXT PRIMARY KEY,
        clinician TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- The sandbox mailbox (SPEC §9): invitations the portal "sends" (AM-FE-005), read in the cockpit.
      CREATE TABLE cockpit_mail (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        sent_at TEXT NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        link TEXT
      );
    `,
  },
  {
    version: 12,
    name: "isolation: registrations, browser-bound logins, single-use assertions and tickets, PKCE",
    sql: `
      -- Which zorgaanbieder's Organization registered a resource (issue 10): every organisation
      -- that registered a Patient (one Patient per BSN; registering an existing BSN links), and
      -- the creator of any other resource (who may change a resource no organisation owns).
      CREATE TABLE fhir_registration (
        dva TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, organisation TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (dva, type, id, organisation)
      ) WITHOUT ROWID;
      -- The browser that started /auth or /connect/authorize (SHA-256 of its dva_browser cookie),
      -- and the PKCE challenge of a collect request (RFC 7636).
      ALTER TABLE dva_auth_request ADD COLUMN browser TEXT;
      ALTER TABLE dva_auth_request ADD COLUMN code_challenge TEXT;
      -- DigiD assertions already redeemed (their jti), kept until they expire: single use.
      CREATE TABLE dva_used_assertion (
        dva TEXT NOT NULL, jti TEXT NOT NULL, expires_at INTEGER NOT NULL,
        PRIMARY KEY (dva, jti)
      ) WITHOUT ROWID;
      -- Cockpit tickets already redeemed (their nonce), kept until they expire, across restarts.
      CREATE TABLE sandbox_used_ticket (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
      -- The PGO's PKCE code_verifier for a pending authorization (RFC 7636 §4.1).
      ALTER TABLE pgo_oauth_state ADD COLUMN code_verifier TEXT;
    `,
  },
  {
    version: 13,
    name: "MedMij Beheer: deliveries of log lines and their lines; how far each participant delivered",
    sql: `
      -- A delivery (aanlevering) to MedMij Beheer's logging interface (issue 13, SD 4.5.1): who
      -- sent it, when, its result, and the seq range of its lines in beheer_regel.
      CREATE TABLE beheer_aanlevering (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        deelnemer TEXT NOT NULL,
        ontvangen TEXT NOT NULL,
        ontvangen_ms INTEGER NOT NULL,
        tekens INTEGER NOT NULL,
        regels INTEGER NOT NULL,
        regels_met_problemen INTEGER NOT NULL,
        functionele_fouten INTEGER NOT NULL,
        technisch_ok INTEGER NOT NULL,
        problemen TEXT NOT NULL,
        eerste_regel INTEGER,
        laatste_regel INTEGER
      );
      CREATE INDEX beheer_aanlevering_deelnemer ON beheer_aanlevering (deelnemer, seq);
      -- One delivered line as received, with the columns the API filters and the dashboards group on.
      CREATE TABLE beheer_regel (
        seq INTEGER PRIMARY KEY,
        aanlevering INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        deelnemer TEXT NOT NULL,
        trace_id TEXT,
        type TEXT,
        location TEXT,
        datetime TEXT,
        at_ms INTEGER,
        functionele_fout INTEGER NOT NULL,
        problemen TEXT,
        line TEXT NOT NULL
      );
      CREATE INDEX beheer_regel_trace ON beheer_regel (trace_id, seq);
      CREATE INDEX beheer_regel_tijd ON beheer_regel (deelnemer, at_ms);
      CREATE INDEX beheer_regel_fout ON beheer_regel (deelnemer, seq) WHERE functionele_fout = 1;
      -- How far each of the sandbox's own participants (PGO, DVAs) delivered its chain_log lines.
      CREATE TABLE chain_delivery (participant TEXT PRIMARY KEY, delivered_seq INTEGER NOT NULL) WITHOUT ROWID;
    `,
  },
  {
    version: 14,
    name: "exchange log: the HTTP exchanges of each trace, for its HAR file",
    sql: `
      -- One request and its response as the dispatcher saw them (issue 13 §3), redacted and with
      -- bodies cut (shared/exchange-log.ts); pruned by the chain log's retention limits.
      CREATE TABLE exchange_log (
        seq INTEGER PRIMARY KEY,
        trace_id TEXT NOT NULL,
        also_trace_id TEXT,
        started_ms INTEGER NOT NULL,
        exchange TEXT NOT NULL
      );
      CREATE INDEX exchange_log_trace ON exchange_log (trace_id);
      CREATE INDEX exchange_log_also_trace ON exchange_log (also_trace_id) WHERE also_trace_id IS NOT NULL;
    `,
  },
  {
    version: 15,
    name: "sandbox: actors registered at run time",
    sql: `
      -- A team's own PGO, module, DVA or system (issue 14), added to the network while it runs;
      -- kept on Reset (shared/actor-registry.ts).
      CREATE TABLE sandbox_actor (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        entry TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 16,
    name: "MedMij-check: verdicts per registered actor and rule",
    sql: `
      -- The MedMij-check (issue 14 §3, shared/conformance.ts): per team actor and rule the counts,
      -- the latest verdict with its evidence and the last failure; kept on Reset.
      CREATE TABLE check_result (
        actor_id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        passes INTEGER NOT NULL,
        fails INTEGER NOT NULL,
        last_verdict TEXT NOT NULL,
        last_evidence TEXT NOT NULL,
        last_trace TEXT,
        last_at TEXT NOT NULL,
        fail_evidence TEXT,
        fail_trace TEXT,
        fail_at TEXT,
        PRIMARY KEY (actor_id, rule_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 17,
    name: "sandbox: a DVA's flavour set at run time",
    sql: `
      -- A DVA's flavour and Koppeltaal switch as the cockpit or PATCH /api/dvas/<id> set them
      -- (issue 15), over what the network file says; kept on Reset.
      CREATE TABLE sandbox_dva_setting (
        dva TEXT PRIMARY KEY,
        flavour TEXT,
        koppeltaal INTEGER
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 18,
    name: "dva: KoppelMij 2026 pushed authorization requests, launch authorization codes and module cookies",
    sql: `
      -- KoppelMij 2026 (issue 15): a PGO's pushed authorization request (RFC 9126), the launch
      -- authorization code /authorize gives for it, and the module DVA authentication cookie set
      -- with it; stored as SHA-256 like every secret of the DVA, single use, short-lived.
      CREATE TABLE dva_launch_authorization (
        hash TEXT PRIMARY KEY,
        dva TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('par', 'code', 'cookie')),
        client_id TEXT NOT NULL,
        data TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 19,
    name: "sandbox: who may change a registered actor",
    sql: `
      -- The SHA-256 of the owner token a registration answered once (issue 14): PUT and DELETE over the
      -- API need it, so one team cannot rewrite another's redirect URIs. NULL: registered before.
      ALTER TABLE sandbox_actor ADD COLUMN owner_hash TEXT;
    `,
  },
  {
    version: 20,
    name: "dva fhir: ordered walks for large searches",
    sql: `
      -- Issue 16: a page of a search over a whole DVA walks an index in search order and stops at
      -- the page (FhirStore.walk) — last updated with ties by id, or a Task's period start.
      DROP INDEX fhir_resource_updated;
      CREATE INDEX fhir_resource_updated ON fhir_resource (dva, type, last_updated, id);
      CREATE INDEX fhir_search_date_start ON fhir_search_date (dva, type, param, start, id);
    `,
  },
  {
    version: 21,
    name: "dva fhir: the history holds superseded versions only",
    sql: `
      -- Issue 16: the current version is the fhir_resource row; fhir_history keeps the versions it
      -- superseded (vread and _history read both). A copy of every current version was 1.5 KB per Task.
      DELETE FROM fhir_history WHERE EXISTS (SELECT 1 FROM fhir_resource r
        WHERE r.dva = fhir_history.dva AND r.type = fhir_history.type AND r.id = fhir_history.id AND r.version_id = fhir_history.version_id);
    `,
  },
  {
    version: 22,
    name: "expiry: indexes to find and prune what expired, and to revoke without a scan",
    sql: `
      -- Issue 16: no request may hold the others up. Expired sessions, requests, codes and tokens are
      -- pruned in small batches (shared/expiry.ts), found by expiry; revocation and step-up find their
      -- rows by index instead of reading every token.
      CREATE INDEX dva_access_token_expiry ON dva_access_token (expires_at);
      CREATE INDEX dva_access_token_consent ON dva_access_token (consent_id) WHERE consent_id IS NOT NULL;
      CREATE INDEX dva_grant_expiry ON dva_grant (expires_at);
      CREATE INDEX dva_grant_issued_by ON dva_grant (json_extract(data, '$.issuedBy')) WHERE kind = 'refresh';
      CREATE INDEX dva_session_person ON dva_session (dva, bsn, digid_login_at);
      CREATE INDEX dva_session_expiry ON dva_session (expires_at);
      CREATE INDEX dva_auth_request_expiry ON dva_auth_request (expires_at);
      CREATE INDEX dva_launch_authorization_expiry ON dva_launch_authorization (expires_at);
      CREATE INDEX dva_used_assertion_expiry ON dva_used_assertion (expires_at);
      CREATE INDEX sandbox_used_ticket_expiry ON sandbox_used_ticket (expires_at);
      CREATE INDEX pgo_session_expiry ON pgo_session (expires_at);
      CREATE INDEX module_session_expiry ON module_session (expires_at);
      CREATE INDEX xis_session_expiry ON xis_session (expires_at);
    `,
  },
  {
    version: 23,
    name: "dva fhir: search tokens by number",
    sql: `
      -- Issue 16 (storage, writes): a Task's nine search tokens were nine rows of text — DVA, type,
      -- id, parameter, system and value — in three B-trees, 2.35 KB a Task. Now the parameter (with
      -- its DVA, type and system) and the value are numbers from two dictionaries, and the resource
      -- is its row's number: a token is three small integers in a primary key and one index. The
      -- dictionaries only grow: a value no longer used stays until a reset empties fhir_token_value;
      -- fhir_token_param (a few rows per type, no personal data) outlives resets too, so its numbers
      -- hold for the file's life (FhirStore keeps them in memory). The resource's number is an
      -- INTEGER PRIMARY KEY so that VACUUM keeps it.
      CREATE TABLE fhir_resource_numbered (
        rid INTEGER PRIMARY KEY,
        dva TEXT NOT NULL,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        version_id INTEGER NOT NULL,
        last_updated TEXT NOT NULL,
        patient TEXT,
        deleted INTEGER NOT NULL DEFAULT 0,
        json TEXT NOT NULL,
        UNIQUE (dva, type, id)
      );
      INSERT INTO fhir_resource_numbered (rid, dva, type, id, version_id, last_updated, patient, deleted, json)
        SELECT rowid, dva, type, id, version_id, last_updated, patient, deleted, json FROM fhir_resource ORDER BY rowid;
      CREATE TABLE fhir_token_param (
        id INTEGER PRIMARY KEY,
        dva TEXT NOT NULL,
        type TEXT NOT NULL,
        param TEXT NOT NULL,
        system TEXT NOT NULL, -- '' for none (FHIR has no empty strings)
        UNIQUE (dva, type, param, system)
      );
      CREATE TABLE fhir_token_value (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
      CREATE TABLE fhir_token (
        k INTEGER NOT NULL, -- fhir_token_param.id
        v INTEGER NOT NULL, -- fhir_token_value.id
        r INTEGER NOT NULL, -- fhir_resource.rid
        PRIMARY KEY (k, v, r)
      ) WITHOUT ROWID;
      INSERT INTO fhir_token_param (dva, type, param, system) SELECT DISTINCT dva, type, param, coalesce(system, '') FROM fhir_search_token ORDER BY 1, 2, 3, 4;
      INSERT INTO fhir_token_value (value) SELECT DISTINCT value FROM fhir_search_token ORDER BY 1;
      INSERT OR IGNORE INTO fhir_token (k, v, r)
        SELECT k.id, v.id, r.rid FROM fhir_search_token t
          JOIN fhir_token_param k ON k.dva = t.dva AND k.type = t.type AND k.param = t.param AND k.system = coalesce(t.system, '')
          JOIN fhir_token_value v ON v.value = t.value
          JOIN fhir_resource_numbered r ON r.dva = t.dva AND r.type = t.type AND r.id = t.id;
      DROP TABLE fhir_search_token;
      DROP TABLE fhir_resource;
      ALTER TABLE fhir_resource_numbered RENAME TO fhir_resource;
      CREATE INDEX fhir_resource_patient ON fhir_resource (dva, type, patient, last_updated);
      CREATE INDEX fhir_resource_updated ON fhir_resource (dva, type, last_updated, id);
      CREATE INDEX fhir_token_resource ON fhir_token (r);
    `,
  },
];
