-- Clients enrolled at some time in the extract window [history_start, as_of), and those who left
-- before it but have a claim paid in it (serviced while enrolled, paid late): every extracted
-- claim's client is extracted too.
-- Bound parameters only (as_of, history_start), never string formatting.
SELECT
    client_id,
    birth_date,
    sex,
    region,
    plan,
    smoker,
    bmi,
    children,
    diabetes,
    hypertension,
    heart_disease,
    copd,
    enrolled_from,
    enrolled_to
FROM clients
WHERE enrolled_from < :as_of
  AND (enrolled_to IS NULL OR enrolled_to >= :history_start
       OR EXISTS (SELECT 1 FROM claims c  -- left before the window, with a claim paid in it (the WHERE of sql/claims.sql)
                  WHERE c.client_id = clients.client_id
                    AND NOT (c.paid_date < :history_start OR c.paid_date >= :as_of)))
ORDER BY client_id
