-- Clients enrolled at some time in the extract window [history_start, as_of).
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
  AND (enrolled_to IS NULL OR enrolled_to >= :history_start)
ORDER BY client_id
