-- Each counted update's agreement with its round's other updates (as db/coordinator-ledger/V3__update_agreement.sql,
-- spelled for PostgreSQL).
ALTER TABLE updates ADD COLUMN agreement DOUBLE PRECISION;
