-- Treaty sources and in-force status (filled by the sources/status code through write_rows).

-- Every URL the sheets cite, deduplicated across sheets.
CREATE TABLE IF NOT EXISTS source_documents (
    url            VARCHAR PRIMARY KEY,
    host           VARCHAR NOT NULL,
    first_seen_at  TIMESTAMP NOT NULL,
    cited_by_count INTEGER NOT NULL
);

-- Every fetch attempt of a URL, success or failure; a changed page is a new snapshot.
CREATE TABLE IF NOT EXISTS source_snapshots (
    snapshot_id     VARCHAR PRIMARY KEY,
    url             VARCHAR NOT NULL,
    final_url       VARCHAR,
    fetched_at      TIMESTAMP NOT NULL,
    outcome         VARCHAR NOT NULL,   -- ok | not_modified | http_error | not_found | robots_disallowed | timeout | ...
    status_code     INTEGER,
    headers_json    VARCHAR,
    content_type    VARCHAR,
    encoding        VARCHAR,
    sha256          VARCHAR,
    size            BIGINT,
    body            BLOB,
    fetched_via     VARCHAR,
    attempts        INTEGER,
    elapsed_s       DOUBLE,
    error_message   VARCHAR,
    previous_sha256 VARCHAR,
    changed         BOOLEAN
);

-- What a reader extracted from a snapshot's stored bytes.
CREATE TABLE IF NOT EXISTS source_readings (
    snapshot_id           VARCHAR NOT NULL,
    url                   VARCHAR NOT NULL,
    reader                VARCHAR NOT NULL,   -- adilet | generic | untc ...
    title                 VARCHAR,
    language              VARCHAR,
    status_class          VARCHAR,            -- the page's own status marker, as found
    status_norm           VARCHAR NOT NULL,   -- in_force | not_in_force | unknown
    subject               VARCHAR NOT NULL,   -- ratifying_act | treaty | unknown
    act_date              DATE,
    act_number            VARCHAR,
    repeal_date           DATE,
    repeal_effective_date DATE,
    entry_into_force_date DATE,
    denunciation          BOOLEAN,
    source_as_of          DATE,
    text_sha256           VARCHAR,
    dates_json            VARCHAR,
    evidence_text         VARCHAR,
    PRIMARY KEY (snapshot_id, reader)
);

-- The in-force verdict per alliance as of a date, with its evidence.
CREATE TABLE IF NOT EXISTS in_force_status (
    atopid               INTEGER NOT NULL,
    as_of                DATE NOT NULL,
    verdict              VARCHAR NOT NULL,   -- in_force | terminated | expired | unknown | conflicting
    sheet_claim          VARCHAR NOT NULL,   -- terminated | in_effect | unknown
    sheet_claim_date     DATE,
    claim_age_days       INTEGER,
    term_end             DATE,
    next_notice_deadline DATE,
    clause_basis         VARCHAR,
    source_status        VARCHAR,
    evidence_json        VARCHAR,
    disagreements_json   VARCHAR,            -- JSON array: strings or objects ({"kind": ..., "message": ...})
    warnings_json        VARCHAR,
    computed_at          TIMESTAMP NOT NULL,
    inputs_digest        VARCHAR,            -- sha256 of what the verdict was computed from (sheet, sources, code)
    PRIMARY KEY (atopid, as_of)
);
-- Warehouses created before verdicts were memoised get the column (NULL: recomputed on the next run).
ALTER TABLE in_force_status ADD COLUMN IF NOT EXISTS inputs_digest VARCHAR;
