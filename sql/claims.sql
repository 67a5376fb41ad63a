-- Claims as the insurer knew them on as_of: paid before the snapshot date.
-- A claim serviced in December but paid in January is not known yet (point in time).
SELECT
    claim_id,
    client_id,
    service_date,
    paid_date,
    category,
    amount
FROM claims
WHERE paid_date >= :history_start
  AND paid_date < :as_of
ORDER BY claim_id
