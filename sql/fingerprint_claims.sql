-- Fingerprint of the claims extract reads: one row, computed in the database (a single scan).
-- It summarises the rows sql/claims.sql selects (same WHERE, same bound history_start and
-- as_of), not the whole table: extract reruns when what it would read changes, and not when
-- claims paid on or after as_of arrive (they are not known at the snapshot date anyway). Keep
-- the WHERE identical to sql/claims.sql; a source with other tables or columns edits both files.
-- Portable SQL (SQLite, PostgreSQL, MariaDB/MySQL): integer-valued sums of keys, amounts (in
-- cents) and dates (as YYYYMMDD), sums of text lengths (a category replaced by one of the same
-- length is not seen), min/max dates cast to text. `rows` is required; the rest is the signature.
SELECT
    COUNT(*) AS "rows",
    SUM(claim_id) AS claim_id_sum,
    SUM(client_id) AS client_id_sum,
    SUM(CAST(REPLACE(SUBSTR(CAST(service_date AS CHAR(10)), 1, 10), '-', '') AS DECIMAL(8, 0))) AS service_date_sum,
    SUM(CAST(REPLACE(SUBSTR(CAST(paid_date AS CHAR(10)), 1, 10), '-', '') AS DECIMAL(8, 0))) AS paid_date_sum,
    CAST(MIN(paid_date) AS CHAR(10)) AS paid_date_min,
    CAST(MAX(paid_date) AS CHAR(10)) AS paid_date_max,
    SUM(LENGTH(category)) AS category_chars,
    SUM(ROUND(amount * 100)) AS amount_cents,
    CAST(MIN(ROUND(amount * 100)) AS DECIMAL(18, 0)) AS amount_cents_min,
    CAST(MAX(ROUND(amount * 100)) AS DECIMAL(18, 0)) AS amount_cents_max
FROM claims
WHERE NOT (paid_date < :history_start OR paid_date >= :as_of)
