-- Everything received, every sheet version ingested, and every failure. Nothing that fails disappears.

-- Every input file's bytes as received (including files that failed), deduplicated by content.
CREATE TABLE IF NOT EXISTS raw_inputs (
    sha256        VARCHAR PRIMARY KEY,
    size          BIGINT    NOT NULL,
    source_file   VARCHAR   NOT NULL,   -- the name it first arrived under
    data          BLOB      NOT NULL,
    received_at   TIMESTAMP NOT NULL
);

-- One row per ingested (validated) sheet version. Identical bytes are one version; a changed file
-- for the same atopid becomes current and the earlier version stays here, queryable and re-parsable.
CREATE TABLE IF NOT EXISTS codesheets (
    sha256          VARCHAR   PRIMARY KEY,
    atopid          INTEGER   NOT NULL,
    source_file     VARCHAR   NOT NULL,
    size            BIGINT    NOT NULL,
    encoding        VARCHAR,
    kind            VARCHAR,
    ingested_at     TIMESTAMP NOT NULL,
    parser_version  VARCHAR   NOT NULL,
    raw_text        VARCHAR,             -- the bytes decoded with the sheet's encoding (NULL for PDFs)
    answer_count    INTEGER   NOT NULL,
    member_count    INTEGER   NOT NULL,
    warnings_json   VARCHAR   NOT NULL,  -- the parser's warnings, a JSON array of strings
    is_current      BOOLEAN   NOT NULL,
    duplicate_of    VARCHAR              -- a copy: the sha256 of the version it agrees with, loaded instead
);
-- Warehouses created before copies were kept get the column (NULL: no copy).
ALTER TABLE codesheets ADD COLUMN IF NOT EXISTS duplicate_of VARCHAR;

-- The tables below hold the CURRENT version of each alliance; `sha256` names that version.

-- Every numbered question as printed, with its answer and where it sits in the source.
CREATE TABLE IF NOT EXISTS answers (
    atopid        INTEGER NOT NULL,
    number        INTEGER NOT NULL,   -- question number 1..61
    section       VARCHAR NOT NULL,   -- I..V
    question_text VARCHAR NOT NULL,
    answer_text   VARCHAR NOT NULL,
    flag          VARCHAR NOT NULL,   -- yes | no | n/a | unknown | other | empty
    line_start    INTEGER NOT NULL,
    line_end      INTEGER NOT NULL,
    sha256        VARCHAR NOT NULL,
    PRIMARY KEY (atopid, number)
);

-- Quoted treaty provisions (`Article 5: "..."`).
CREATE TABLE IF NOT EXISTS provisions (
    atopid   INTEGER NOT NULL,
    ordinal  INTEGER NOT NULL,   -- position on the sheet
    question INTEGER NOT NULL,
    article  VARCHAR NOT NULL,
    quote    VARCHAR NOT NULL,
    sha256   VARCHAR NOT NULL,
    PRIMARY KEY (atopid, ordinal)
);

-- References from one alliance to another (`ATOP # 3740`).
CREATE TABLE IF NOT EXISTS alliance_references (
    atopid            INTEGER NOT NULL,
    ordinal           INTEGER NOT NULL,
    question          INTEGER NOT NULL,
    referenced_atopid INTEGER NOT NULL,
    context           VARCHAR NOT NULL,
    sha256            VARCHAR NOT NULL,
    PRIMARY KEY (atopid, ordinal)
);

-- URLs cited on the sheet, per question.
CREATE TABLE IF NOT EXISTS citations (
    atopid   INTEGER NOT NULL,
    question INTEGER NOT NULL,
    url      VARCHAR NOT NULL,
    sha256   VARCHAR NOT NULL,
    PRIMARY KEY (atopid, question, url)
);

-- Every failure of reading, parsing, validation or loading, one row per failure. The same failure
-- of the same bytes is recorded once (error_id is a hash of what identifies it).
CREATE TABLE IF NOT EXISTS ingest_errors (
    error_id    VARCHAR   PRIMARY KEY,
    source_file VARCHAR   NOT NULL,
    sha256      VARCHAR,
    atopid      INTEGER,
    stage       VARCHAR   NOT NULL,   -- read | parse | validate | load | fetch
    error       VARCHAR   NOT NULL,   -- error or check name
    table_name  VARCHAR,              -- warehouse table whose validation failed (stage = validate)
    column_name VARCHAR,
    question    INTEGER,
    value       VARCHAR,              -- the offending value, as text
    message     VARCHAR   NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
