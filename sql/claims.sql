-- Claims as the insurer knew them on as_of: paid before the snapshot date.
-- A claim serviced in December but paid in January is not known yet (point in time).
-- The window [history_start, as_of) is written as NOT (... OR ...): SQLite keeps no range
-- statistics and would otherwise fetch nearly every row through the paid_date index and sort
-- them (3-4x slower than scanning the table, which is already in claim_id order); PostgreSQL
-- and MySQL/MariaDB read it as the same range and still use the index when it is selective.
SELECT
    claim_id,
    client_id,
    service_date,
    paid_date,
    category,
    amount
FROM claims
WHERE NOT (paid_date < :history_start OR paid_date >= :as_of)
ORDER BY claim_id
