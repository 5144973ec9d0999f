-- The last passing pandera validation of each table: its content fingerprint and the model it passed.
-- A check finding the same fingerprint under the same model does not validate the table again
-- (pipeline.check_table): validation is a pure function of the rows and the model.
CREATE TABLE IF NOT EXISTS table_validations (
    table_name    VARCHAR   PRIMARY KEY,
    row_count     BIGINT    NOT NULL,
    fingerprint   VARCHAR   NOT NULL,   -- row count, sum and xor of DuckDB's hash() of every row
    model_digest  VARCHAR   NOT NULL,   -- sha256 of the schema package's source and the pandera version
    validated_at  TIMESTAMP NOT NULL
);
