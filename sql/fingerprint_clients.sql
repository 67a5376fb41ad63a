-- Fingerprint of the clients extract reads: one row, computed in the database (a single scan).
-- It summarises the rows sql/clients.sql selects (same WHERE, same bound as_of and
-- history_start), not the whole table: extract reruns when what it would read changes, and
-- not when rows outside the window do (a live source gains rows every day). Keep the WHERE
-- identical to sql/clients.sql; a source with other tables or columns edits both files.
-- Portable SQL (SQLite, PostgreSQL, MariaDB/MySQL): integer-valued sums of keys, numbers
-- (x100, rounded) and dates (as YYYYMMDD), key-weighted sums of true flags, counts of
-- non-null values, sums of text lengths (a value replaced by one of the same length is not
-- seen), min/max dates cast to text. `rows` is required; every other column is the signature.
SELECT
    COUNT(*) AS "rows",
    SUM(client_id) AS client_id_sum,
    SUM(CAST(REPLACE(SUBSTR(CAST(birth_date AS CHAR(10)), 1, 10), '-', '') AS DECIMAL(8, 0))) AS birth_date_sum,
    SUM(LENGTH(sex)) AS sex_chars,
    SUM(LENGTH(region)) AS region_chars,
    SUM(LENGTH(plan)) AS plan_chars,
    COUNT(smoker) AS smoker_known,
    SUM(CASE WHEN smoker THEN client_id ELSE 0 END) AS smoker_ids,
    COUNT(bmi) AS bmi_known,
    SUM(ROUND(bmi * 100)) AS bmi_x100_sum,
    COUNT(children) AS children_known,
    SUM(children) AS children_sum,
    SUM(CASE WHEN diabetes THEN client_id ELSE 0 END) AS diabetes_ids,
    SUM(CASE WHEN hypertension THEN client_id ELSE 0 END) AS hypertension_ids,
    SUM(CASE WHEN heart_disease THEN client_id ELSE 0 END) AS heart_disease_ids,
    SUM(CASE WHEN copd THEN client_id ELSE 0 END) AS copd_ids,
    SUM(CAST(REPLACE(SUBSTR(CAST(enrolled_from AS CHAR(10)), 1, 10), '-', '') AS DECIMAL(8, 0))) AS enrolled_from_sum,
    COUNT(enrolled_to) AS enrolled_to_known,
    SUM(CAST(REPLACE(SUBSTR(CAST(enrolled_to AS CHAR(10)), 1, 10), '-', '') AS DECIMAL(8, 0))) AS enrolled_to_sum,
    CAST(MIN(enrolled_from) AS CHAR(10)) AS enrolled_from_min,
    CAST(MAX(enrolled_from) AS CHAR(10)) AS enrolled_from_max
FROM clients
WHERE enrolled_from < :as_of
  AND (enrolled_to IS NULL OR enrolled_to >= :history_start
       OR EXISTS (SELECT 1 FROM claims c  -- left before the window, with a claim paid in it (the WHERE of sql/claims.sql)
                  WHERE c.client_id = clients.client_id
                    AND NOT (c.paid_date < :history_start OR c.paid_date >= :as_of)))
