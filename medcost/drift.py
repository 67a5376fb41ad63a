"""Drift between the training features and the scoring snapshot: own statistics and deepchecks.

Own statistics, per feature (plain numpy, hand-checkable):

- ``std_shift`` (numeric): ``|mean_new - mean_ref| / std_ref`` over the non-missing values
  (population std, ddof=0); infinite when the reference is constant and the mean moved.
- ``psi``: population stability index ``sum((q - p) * ln(q / p))`` over bins, where p and q
  are the reference and new shares of a bin, and a share of 0 counts as ``epsilon``.
  Numeric bins are cut at the reference's quantiles (``bins`` equal-count bins; the edges
  are observed values, ``inverted_cdf``, and equal ones collapse, so a 0/1 flag gets two
  bins), right-closed, plus one bin for missing values. Categorical bins are the categories
  of either side (missing is a category).

Calendar features (``calendar_features``: age, tenure) grow by one per year by
construction, and the scoring snapshot is a year after the training rows; the reference
is advanced by that gap (the ``year`` column) before features are compared, so drift
means a change in the population, not the passage of time.

deepchecks (tabular) checks, seeded and on at most ``n_samples`` rows per dataset:
FeatureDrift (per feature: Kolmogorov-Smirnov for numeric, Cramer's V for categorical),
MultivariateDrift (a domain classifier; drift score = 2 * AUC - 1), PredictionDrift (the
model's predictions on train vs scoring, KS) and LabelDrift (train vs test target, KS).

A verdict compares every score with its threshold (a score equal to its threshold passes)
and lists what failed, e.g. ``psi:age``, ``feature_drift:age``, ``multivariate_drift``.
deepchecks is imported only inside the functions that run it.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from medcost.config import DriftParams
from medcost.errors import MedcostError
from medcost.evaluation import round_floats
from medcost.io import atomic_path

log = logging.getLogger(__name__)

MISSING = "<missing>"
"""The category (and the bin) that missing values fall into."""


# ----------------------------------------------------------------------------- own statistics


Values = Sequence[float] | np.ndarray | pd.Series
"""A column of numbers: a list, an array or a Series."""


def std_shift(reference: Values, current: Values) -> float:
    """``|mean(current) - mean(reference)| / std(reference)`` over non-missing values (NaN if a side has none)."""
    ref = np.asarray(reference, dtype="float64")
    cur = np.asarray(current, dtype="float64")
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    diff = abs(float(cur.mean()) - float(ref.mean()))
    std = float(ref.std())
    if std == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / std


def _psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray, epsilon: float) -> float:
    ref_total, cur_total = ref_counts.sum(), cur_counts.sum()
    if ref_total == 0 or cur_total == 0:
        return float("nan")
    p = np.maximum(ref_counts / ref_total, epsilon)
    q = np.maximum(cur_counts / cur_total, epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges: the reference's ``1/bins, ..., (bins-1)/bins`` quantiles (observed values), deduplicated."""
    values = reference[~np.isnan(reference)]
    if len(values) == 0:
        return np.empty(0)
    return np.unique(np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1], method="inverted_cdf"))


def _numeric_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin ``(-inf, e0], (e0, e1], ..., (e_last, inf)``, then the missing values."""
    missing = np.isnan(values)
    index = np.searchsorted(edges, values[~missing], side="left")
    counts = np.bincount(index, minlength=len(edges) + 1)
    return np.append(counts, missing.sum()).astype("float64")


def psi_numeric(reference: Values, current: Values, bins: int = 10, epsilon: float = 1e-4) -> float:
    """PSI of a numeric feature over the reference's quantile bins (plus a missing bin)."""
    ref = np.asarray(reference, dtype="float64")
    cur = np.asarray(current, dtype="float64")
    edges = quantile_edges(ref, bins)
    return _psi_from_counts(_numeric_counts(ref, edges), _numeric_counts(cur, edges), epsilon)


def _categories(values: Sequence[Any] | pd.Series) -> pd.Series:
    series = pd.Series(values, dtype="object")
    return series.where(series.notna(), MISSING).astype(str)


def psi_categorical(reference: Sequence[Any] | pd.Series, current: Sequence[Any] | pd.Series,
                    epsilon: float = 1e-4) -> float:
    """PSI of a categorical feature, one bin per category seen on either side (missing is a category)."""
    ref, cur = _categories(reference), _categories(current)
    categories = sorted(set(ref) | set(cur))
    ref_counts = ref.value_counts().reindex(categories, fill_value=0).to_numpy(dtype="float64")
    cur_counts = cur.value_counts().reindex(categories, fill_value=0).to_numpy(dtype="float64")
    return _psi_from_counts(ref_counts, cur_counts, epsilon)


def feature_statistics(reference: pd.DataFrame, current: pd.DataFrame, numeric: Sequence[str],
                       categorical: Sequence[str], bins: int, epsilon: float) -> dict[str, dict[str, float]]:
    """``{feature: {"psi", "std_shift"}}`` (std_shift for numeric features only)."""
    _require(reference, "reference", [*numeric, *categorical])
    _require(current, "current", [*numeric, *categorical])
    stats: dict[str, dict[str, float]] = {}
    for column in numeric:
        stats[column] = {"psi": psi_numeric(reference[column], current[column], bins, epsilon),
                         "std_shift": std_shift(reference[column], current[column])}
    for column in categorical:
        stats[column] = {"psi": psi_categorical(reference[column], current[column], epsilon)}
    return stats


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MedcostError(f"drift: {name} data lacks column(s) {', '.join(missing)}")
    if frame.empty:
        raise MedcostError(f"drift: {name} data has no rows")


def snapshot_gap(reference: pd.DataFrame, current: pd.DataFrame, column: str = "year") -> int:
    """Years between the reference rows and the current rows (each must have one ``column`` value)."""
    values = []
    for name, frame in (("reference", reference), ("current", current)):
        if column not in frame.columns:
            raise MedcostError(f"drift: {name} data lacks the column '{column}' (needed by drift.calendar_features)")
        distinct = pd.unique(frame[column].dropna())
        if len(distinct) != 1:
            raise MedcostError(f"drift: {name} data has {len(distinct)} distinct '{column}' values, expected one")
        values.append(int(distinct[0]))
    return values[1] - values[0]


def advance_calendar(frame: pd.DataFrame, features: Sequence[str], years: float) -> pd.DataFrame:
    """A copy of ``frame`` with ``years`` added to each calendar feature (age, tenure)."""
    _require(frame, "reference", features)
    out = frame.copy()
    for column in features:
        out[column] = out[column] + years
    return out


# ----------------------------------------------------------------------------- deepchecks


@contextmanager
def quiet_deepchecks() -> Iterator[None]:
    """Import-safe, silent deepchecks: no telemetry call, no warnings, no progress bars, errors only."""
    # deepchecks phones home (api.deepchecks.com) on import unless this is set
    os.environ.setdefault("DISABLE_DEEPCHECKS_ANONYMOUS_TELEMETRY", "true")
    logger = logging.getLogger("deepchecks")
    level = logger.level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logger.setLevel(logging.ERROR)  # INFO is its progress bars, WARNING its advice
        try:
            yield
        finally:
            logger.setLevel(level)


def _frame(frame: pd.DataFrame, columns: list[str], start: int) -> pd.DataFrame:
    """A copy of ``columns`` with a distinct index (deepchecks renames overlapping train/test indexes)."""
    out = frame[columns].copy()
    out.index = pd.RangeIndex(start, start + len(out))
    return out


def run_deepchecks(train: pd.DataFrame, test: pd.DataFrame, scoring: pd.DataFrame, columns: Mapping[str, Any],
                   predictions: tuple[np.ndarray, np.ndarray], cfg: DriftParams,
                   reference: pd.DataFrame | None = None) -> tuple[dict[str, Any], list[Any]]:
    """Run FeatureDrift, MultivariateDrift (reference vs scoring), PredictionDrift (train vs scoring)
    and LabelDrift (train vs test).

    ``reference`` is ``train`` as the features are compared (calendar-advanced; default:
    ``train``). ``predictions`` are the model's predictions on ``train`` and on ``scoring``. Returns the
    scores ``{"feature_drift": {feature: score}, "multivariate_drift": {...},
    "prediction_drift": {...}, "label_drift": {...}}`` and the deepchecks CheckResults (for
    the report). The checks carry the thresholds as conditions, so the report shows them.
    """
    numeric, categorical, target = list(columns["numeric"]), list(columns["categorical"]), columns["target"]
    features = [*numeric, *categorical]
    _require(train, "train", [*features, target])
    _require(test, "test", [*features, target])
    _require(scoring, "scoring", features)
    reference = train if reference is None else reference
    _require(reference, "reference", features)
    train_pred, scoring_pred = (np.asarray(p, dtype="float64").ravel() for p in predictions)
    if len(train_pred) != len(train) or len(scoring_pred) != len(scoring):
        raise MedcostError(f"drift: {len(train_pred)}/{len(scoring_pred)} predictions for {len(train)} train / "
                           f"{len(scoring)} scoring rows")

    with quiet_deepchecks():
        from deepchecks.core.errors import DeepchecksBaseError
        from deepchecks.tabular import Dataset
        from deepchecks.tabular.checks import FeatureDrift, LabelDrift, MultivariateDrift, PredictionDrift

        def dataset(frame: pd.DataFrame, start: int, name: str, label: bool) -> Any:
            data = _frame(frame, [*features, target] if label else features, start)
            return Dataset(data, label=target if label else None, features=features, cat_features=categorical,
                           label_type="regression" if label else None, dataset_name=name)

        ds_reference = dataset(reference, 0, "train" if reference is train else "train (calendar-advanced)", False)
        ds_train = dataset(train, 0, "train", True)
        ds_scoring = dataset(scoring, len(train), "scoring", False)
        ds_test = dataset(test, len(train) + len(scoring), "test", True)
        n, seed = cfg.n_samples, cfg.seed
        checks = {
            "feature_drift": FeatureDrift(n_samples=n, random_state=seed, n_top_columns=len(features),
                                          sort_feature_by="drift score")
            .add_condition_drift_score_less_than(max_allowed_categorical_score=cfg.max_feature_drift,
                                                 max_allowed_numeric_score=cfg.max_feature_drift),
            "multivariate_drift": MultivariateDrift(n_samples=n, random_state=seed)
            .add_condition_overall_drift_value_less_than(cfg.max_multivariate_drift),
            "prediction_drift": PredictionDrift(n_samples=n, random_state=seed)
            .add_condition_drift_score_less_than(cfg.max_prediction_drift),
            "label_drift": LabelDrift(n_samples=n, random_state=seed)
            .add_condition_drift_score_less_than(cfg.max_label_drift),
        }
        results: dict[str, Any] = {}
        try:
            results["feature_drift"] = checks["feature_drift"].run(ds_reference, ds_scoring)
            results["multivariate_drift"] = checks["multivariate_drift"].run(ds_reference, ds_scoring)
            results["prediction_drift"] = checks["prediction_drift"].run(
                ds_train, ds_scoring, y_pred_train=train_pred, y_pred_test=scoring_pred)
            results["label_drift"] = checks["label_drift"].run(ds_train, ds_test)
        except DeepchecksBaseError as exc:
            failed = next(name for name in checks if name not in results)
            raise MedcostError(f"drift: deepchecks {failed}: {' '.join(str(exc).split())}") from None

    feature = results["feature_drift"].value
    multivariate = results["multivariate_drift"].value
    scores = {
        "feature_drift": {column: feature[column]["Drift score"] for column in features if column in feature},
        "multivariate_drift": {"drift_score": multivariate["domain_classifier_drift_score"],
                               "auc": multivariate["domain_classifier_auc"]},
        "prediction_drift": {"drift_score": results["prediction_drift"].value["Drift score"]},
        "label_drift": {"drift_score": results["label_drift"].value["Drift score"]},
    }
    return scores, list(results.values())


# ----------------------------------------------------------------------------- verdict and report


def _over(value: float | None, limit: float) -> bool:
    """A score fails when it exceeds its limit; an infinite score fails; an undefined one (NaN) does not."""
    return value is not None and not math.isnan(value) and value > limit


def drift_summary(stats: Mapping[str, Mapping[str, float]], scores: Mapping[str, Any],
                  prediction: Mapping[str, float], label: Mapping[str, float], model: str,
                  rows: Mapping[str, int], cfg: DriftParams,
                  advanced: Mapping[str, float] | None = None) -> dict[str, Any]:
    """The drift metrics (drift.json): the verdict ``{"passed", "failed": [...]}``, per-feature
    scores (own psi, std_shift; deepchecks drift_score) and the other deepchecks scores.

    ``prediction`` and ``label`` are own statistics (psi, std_shift) of the predictions
    (train vs scoring) and of the target (train vs test); ``advanced`` says by how much each
    calendar feature of the reference was advanced. Floats are rounded to 6
    significant digits, non-finite ones become null.
    """
    failed: list[str] = []
    features: dict[str, dict[str, float]] = {}
    for column, own in stats.items():
        entry = dict(own)
        if column in scores["feature_drift"]:
            entry["drift_score"] = scores["feature_drift"][column]
        features[column] = entry
        if _over(own.get("psi"), cfg.max_psi):
            failed.append(f"psi:{column}")
        if _over(own.get("std_shift"), cfg.max_std_shift):
            failed.append(f"std_shift:{column}")
        if _over(entry.get("drift_score"), cfg.max_feature_drift):
            failed.append(f"feature_drift:{column}")
    for check, limit in (("multivariate_drift", cfg.max_multivariate_drift),
                         ("prediction_drift", cfg.max_prediction_drift),
                         ("label_drift", cfg.max_label_drift)):
        if _over(scores[check]["drift_score"], limit):
            failed.append(check)
    summary = {
        "verdict": {"passed": not failed, "failed": failed},
        "model": model,
        "rows": dict(rows),
        "reference_advanced": dict(advanced or {}),
        "features": features,
        "multivariate_drift": dict(scores["multivariate_drift"]),
        "prediction_drift": {**scores["prediction_drift"], **prediction},
        "label_drift": {**scores["label_drift"], **label},
    }
    return _finite(round_floats(summary))


def drift_report(train: pd.DataFrame, test: pd.DataFrame, scoring: pd.DataFrame, columns: Mapping[str, Any],
                 predictions: tuple[np.ndarray, np.ndarray], model: str,
                 cfg: DriftParams) -> tuple[dict[str, Any], list[Any]]:
    """Everything the drift stage computes: the summary (drift.json) and the deepchecks results (report).

    ``train`` is the reference; ``scoring`` (the snapshot the model will predict) is compared
    with it; ``test`` only for the label; ``predictions`` are the model's on train and scoring.
    """
    numeric, categorical, target = list(columns["numeric"]), list(columns["categorical"]), columns["target"]
    unknown = [c for c in cfg.calendar_features if c not in numeric]
    if unknown:
        raise MedcostError(f"drift.calendar_features: {', '.join(unknown)} not among the numeric features")
    advanced: dict[str, float] = {}
    reference = train
    if cfg.calendar_features:
        years = snapshot_gap(train, scoring)
        advanced = {column: years for column in cfg.calendar_features}
        reference = advance_calendar(train, cfg.calendar_features, years)
    stats = feature_statistics(reference, scoring, numeric, categorical, cfg.psi_bins, cfg.psi_epsilon)
    train_pred, scoring_pred = predictions
    own_prediction = {"psi": psi_numeric(train_pred, scoring_pred, cfg.psi_bins, cfg.psi_epsilon),
                      "std_shift": std_shift(train_pred, scoring_pred)}
    own_label = {"psi": psi_numeric(train[target], test[target], cfg.psi_bins, cfg.psi_epsilon),
                 "std_shift": std_shift(train[target], test[target])}
    scores, results = run_deepchecks(train, test, scoring, columns, predictions, cfg, reference=reference)
    rows = {"train": len(train), "test": len(test), "scoring": len(scoring)}
    summary = drift_summary(stats, scores, own_prediction, own_label, model, rows, cfg, advanced)
    verdict = summary["verdict"]
    log.info("drift verdict: %s", "passed" if verdict["passed"] else "failed: " + ", ".join(verdict["failed"]))
    return summary, results


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def drift_model(verdict: Mapping[str, Any] | None, fallback: str) -> str:
    """The model whose predictions are compared: the quality verdict's candidate, else ``fallback``."""
    candidate = (verdict or {}).get("candidate")
    if candidate:
        return str(candidate)
    log.info("drift: the quality verdict names no candidate; comparing the predictions of '%s'", fallback)
    return fallback


def _summary_html(summary: Mapping[str, Any]) -> str:
    import html

    verdict = "passed" if summary["verdict"]["passed"] else "FAILED: " + ", ".join(summary["verdict"]["failed"])
    table = pd.DataFrame.from_dict(summary["features"], orient="index")
    table.index.name = "feature"
    return (f"<h3>medcost drift verdict: {html.escape(verdict)}</h3>"
            f"<p>Own statistics (PSI over reference quantile bins; std shift = |mean_new - mean_ref| / std_ref) "
            f"and deepchecks FeatureDrift scores, model <code>{html.escape(summary['model'])}</code>, "
            f"rows {html.escape(str(summary['rows']))}. Calendar features of the training reference advanced "
            f"(years) before comparing: {html.escape(str(summary['reference_advanced'] or 'none'))}.</p>"
            + table.to_html(na_rep="", float_format=lambda x: f"{x:.4g}", border=0))


def write_report(results: list[Any], summary: Mapping[str, Any], path: str | Path) -> None:
    """One self-contained HTML report of the deepchecks results and the own statistics, written atomically.

    The report embeds plotly.js and require.js (deepchecks' full-HTML serializer), so it opens offline.
    """
    with quiet_deepchecks():
        from deepchecks.core import SuiteResult

        suite = SuiteResult("medcost drift: training features vs scoring snapshot", results,
                            extra_info=[_summary_html(summary)])
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                # a file object, not a name: given a name that exists, deepchecks writes "name (1).html"
                suite.save_as_html(fh, as_widget=False, requirejs=True, connected=False)
