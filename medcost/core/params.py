"""Typed params: each params.yaml section is checked before any work starts.

A wrong type or an out-of-range value becomes one line naming the param, e.g.
``params.yaml: transform.lookback_years = 0: Input should be greater than or equal to 1``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from medcost.core.params_base import Section, read_params, section
from medcost.core.params_engines import DuckDBParams, SparkParams
from medcost.core.params_tune import TuneParams

__all__ = ["DuckDBParams", "Section", "SparkParams", "TuneParams", "read_params", "section"]  # and the models below

ColumnType = Literal["int", "float", "str", "bool", "date"]


class PathsParams(Section):
    source_db: str
    truth: str
    source_fingerprint: str
    run_log: str
    raw: str
    features: str
    staging: str
    load_receipt: str
    lakehouse: str
    published: str
    train: str
    test: str
    scoring: str
    selection: str
    models: str
    dvclive: str
    metrics: str
    plots: str
    reports: str
    data_docs: str
    predictions: str
    predictions_table: str


class DemoParams(Section):
    clients: int = Field(ge=10, le=50_000_000)
    first_year: int = Field(ge=1990, le=2100)
    years: int = Field(ge=2, le=30)
    seed: int = Field(ge=0)


class TableSpec(Section):
    query: str
    fingerprint: str  # SQL file: the table's row count and content signature, computed in the database
    columns: dict[str, ColumnType] = Field(min_length=1)


class ExtractParams(Section):
    as_of: dt.date
    history_years: int = Field(ge=1, le=50)
    chunk_rows: int = Field(ge=100, le=10_000_000)
    # auto: the source's Arrow reader where there is one (SQLite, PostgreSQL, MySQL/MariaDB), else SQLAlchemy;
    # arrow: an Arrow reader or an error; sqlalchemy: SQLAlchemy only (the reference path)
    reader: Literal["auto", "arrow", "sqlalchemy"] = "auto"
    tables: dict[str, TableSpec]

    @field_validator("as_of")
    @classmethod
    def _first_of_january(cls, value: dt.date) -> dt.date:
        if (value.month, value.day) != (1, 1):
            raise ValueError("must be a 1 January (the pipeline predicts calendar years)")
        return value

    @field_validator("tables")
    @classmethod
    def _needs_clients_and_claims(cls, value: dict[str, TableSpec]) -> dict[str, TableSpec]:
        missing = {"clients", "claims"} - set(value)
        if missing:
            raise ValueError(f"needs the tables clients and claims; missing: {', '.join(sorted(missing))}")
        return value

    @property
    def history_start(self) -> dt.date:
        return self.as_of.replace(year=self.as_of.year - self.history_years)

    @property
    def target_year(self) -> int:
        """The last complete year: the training target."""
        return self.as_of.year - 1

    @property
    def scoring_year(self) -> int:
        """The year the champion will predict: features as of ``as_of``, no target yet."""
        return self.as_of.year

    def training_years(self, count: int) -> list[int]:
        """The years of ``count`` training cutoffs (``transform.training_years``), oldest first, ending at ``target_year``."""
        return list(range(self.target_year - count + 1, self.target_year + 1))


class TransformParams(Section):
    # duckdb: out of core over the Parquet extract; spark: the same SQL on Spark; pandas: the in-memory reference
    engine: Literal["duckdb", "spark", "pandas"]
    duckdb: DuckDBParams
    spark: SparkParams
    lookback_years: int = Field(ge=1, le=20)
    training_years: int = Field(default=1, ge=1, le=20)  # yearly training cutoffs stacked, each with its own target
    key: list[str] = Field(min_length=1)
    categorical: list[str]
    flags: list[str]
    numeric: list[str]
    valid_ranges: dict[str, tuple[float, float]]
    claim_categories: list[str] = Field(min_length=1)
    target: str

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> TransformParams:
        for column, (low, high) in self.valid_ranges.items():
            if low >= high:
                raise ValueError(f"valid_ranges.{column}: low {low} must be below high {high}")
        return self


class LoadParams(Section):
    backend: Literal["deltalake", "hopsworks"]
    table: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    hopsworks_version: int = Field(ge=1)
    duckdb: DuckDBParams  # content hashes of what is loaded, read back and published are computed in DuckDB


class SplitParams(Section):
    """split: a seeded train/test split of the training rows, stratified on the binned target."""

    test_size: float = Field(gt=0.0, lt=1.0)
    min_test_rows: int = Field(ge=1)  # fewest rows in test and in train (data too small for it: see medcost.split)
    seed: int = Field(ge=0)
    bins: int = Field(ge=1, le=100)  # equal-count bins of the positive targets (zeros are a bin of their own)
    tail: float = Field(ge=0.0, lt=0.5)  # the top `tail` share of positive targets is one more bin
    duckdb: DuckDBParams  # the parts are written from the published rows in DuckDB, within these resources


class TrainTreeParams(Section):
    """train_tree: one tree ensemble; family-specific keys are ignored by the other families."""

    model: Literal["hist_gradient_boosting", "random_forest", "extra_trees"]
    log_target: bool
    loss: Literal["squared_error", "poisson"]  # hist_gradient_boosting
    max_iter: int = Field(ge=1, le=10_000)  # hist_gradient_boosting
    learning_rate: float = Field(gt=0.0, le=1.0)  # hist_gradient_boosting
    max_leaf_nodes: int = Field(ge=2, le=65_536)  # hist_gradient_boosting
    l2_regularization: float = Field(ge=0.0)  # hist_gradient_boosting
    n_estimators: int = Field(ge=1, le=5_000)  # random_forest, extra_trees
    max_features: float = Field(gt=0.0, le=1.0)  # random_forest, extra_trees: share of features per split
    max_depth: int | None = Field(ge=1, le=1_000)  # all families (null: unlimited)
    min_samples_leaf: int = Field(ge=1)  # all families
    increasing: list[str]  # hist_gradient_boosting: inputs the prediction may only rise with (monotonic constraints)
    seed: int = Field(ge=0)
    n_jobs: int = Field(ge=1, le=256)


class TrainLinearParams(Section):
    """train_linear: one (generalised) linear model on imputed, scaled features."""

    model: Literal["ridge", "elastic_net", "lasso", "poisson"]
    alpha: float = Field(ge=0.0)
    l1_ratio: float = Field(ge=0.0, le=1.0)  # elastic_net
    max_iter: int = Field(ge=1, le=1_000_000)  # elastic_net, lasso, poisson
    log_target: bool
    log_features: bool  # arcsinh (log-like, defined for negative trends) of the claim-history features
    seed: int = Field(ge=0)


class EvaluateParams(Section):
    """evaluate: test-set metrics, plots and permutation importances."""

    top_share: float = Field(gt=0.0, lt=1.0)  # "top decile": the share of clients predicted most expensive
    deciles: int = Field(ge=2, le=100)
    importance_rows: int = Field(ge=10)
    importance_repeats: int = Field(ge=1, le=100)
    bootstrap_samples: int = Field(ge=100, le=100_000)  # resamples of the test rows for the intervals
    interval: float = Field(gt=0.5, lt=1.0)  # coverage of the bootstrap intervals (0.95)
    seed: int = Field(ge=0)
    cap: float = Field(default=250_000.0, gt=0.0)  # $: capped R² caps actual and predicted cost here (SOA convention)


class BacktestParams(Section):
    """backtest: each model family trained on the cutoffs before each of the last ``years`` years and scored on it."""

    years: int = Field(default=3, ge=0, le=20)  # target years scored, ending at extract.as_of's year - 1 (0: off)


class ValidateMetricsParams(Section):
    """validate_metrics: quality gates applied to each candidate model (null switches a gate off)."""

    models: list[str] = Field(min_length=1)  # the candidates, in tie-break order
    baseline: str  # the reference model of the RMSE gate (a model in the evaluation)
    min_r2: float | None = Field(le=1.0)  # test R² >= min_r2
    max_rmse_ratio: float | None = Field(gt=0.0)  # test RMSE / baseline test RMSE <= max_rmse_ratio
    max_r2_gap: float | None  # train R² - test R² <= max_r2_gap (overfitting)
    total_ratio_band: tuple[float, float] | None  # low <= total predicted / total actual <= high
    min_backtest_r2: float | None = Field(default=None, le=1.0)  # mean backtest R² over the years >= this

    @model_validator(mode="after")
    def _sane(self) -> ValidateMetricsParams:
        if len(set(self.models)) != len(self.models):
            raise ValueError("models: each model may be listed once")
        if self.total_ratio_band is not None and not 0 < self.total_ratio_band[0] <= self.total_ratio_band[1]:
            raise ValueError(
                f"total_ratio_band: {list(self.total_ratio_band)} must be [low, high] with 0 < low <= high"
            )
        gates = (self.min_r2, self.max_rmse_ratio, self.max_r2_gap, self.total_ratio_band, self.min_backtest_r2)
        if all(v is None for v in gates):
            raise ValueError("at least one gate must be configured")
        return self


class DriftParams(Section):
    """drift: training features vs the scoring snapshot (own statistics and deepchecks)."""

    fallback_model: str  # the model whose predictions are compared when the verdict names no candidate
    # numeric features that grow by one per year by construction (age, tenure): the reference is
    # advanced by the years between the training rows and the snapshot before comparing
    calendar_features: list[str]
    psi_bins: int = Field(ge=2, le=100)  # quantile bins of the reference, for numeric PSI
    psi_epsilon: float = Field(gt=0.0, lt=0.01)  # share given to an empty bin (PSI is undefined at 0)
    n_samples: int = Field(ge=100)  # rows deepchecks samples from each dataset (seeded)
    max_rows: int = Field(ge=1000)  # rows per part the own statistics use: a seeded sample beyond (bounded memory)
    seed: int = Field(ge=0)
    max_psi: float = Field(gt=0.0)  # per feature
    max_std_shift: float = Field(gt=0.0)  # per numeric feature: |mean_new - mean_ref| / std_ref
    max_feature_drift: float = Field(gt=0.0, le=1.0)  # deepchecks FeatureDrift, per feature (KS / Cramer's V)
    max_multivariate_drift: float = Field(gt=0.0, le=1.0)  # deepchecks MultivariateDrift (2 * AUC - 1)
    max_prediction_drift: float = Field(gt=0.0, le=1.0)  # deepchecks PredictionDrift (KS)
    max_label_drift: float = Field(gt=0.0, le=1.0)  # deepchecks LabelDrift, train vs test target (KS)


class TargetBounds(Section):
    """validate.target: where the training target's mean and upper quantiles may lie."""

    mean: tuple[float, float]
    quantiles: dict[float, tuple[float, float]] = Field(min_length=1)  # quantile -> [low, high]

    @model_validator(mode="after")
    def _ordered(self) -> TargetBounds:
        for name, (low, high) in [("mean", self.mean), *((f"quantiles.{q}", r) for q, r in self.quantiles.items())]:
            if not 0 <= low <= high:
                raise ValueError(f"{name}: [{low}, {high}] must be [low, high] with 0 <= low <= high")
        for q in self.quantiles:
            if not 0 < q < 1:
                raise ValueError(f"quantiles: {q} is not a quantile strictly between 0 and 1")
        return self


class ProfileTolerances(Section):
    """validate.profile: how far a snapshot may move from the last accepted one."""

    max_count_change: float = Field(gt=0.0)  # relative: rows per table and per paid year, claims per client-year
    max_rate_change: float = Field(gt=0.0, le=1.0)  # absolute: flag rates, category shares, claimant share, null rates
    max_amount_change: float = Field(
        gt=0.0
    )  # relative: mean and upper quantiles of claim amounts per year and category


class ValidateParams(Section):
    """validate: Great Expectations suites on the raw extract and the loaded feature table."""

    max_null_rate: float = Field(ge=0.0, le=1.0)  # missing share tolerated in any column...
    null_rates: dict[str, float]  # ...unless listed here as table.column: share
    raw_out_of_range_rate: float = Field(ge=0.0, le=1.0)  # raw values outside transform.valid_ranges (entry errors)
    age: tuple[float, float]  # plausible ages (features.age; raw birth dates follow)
    max_payment_lag_days: int = Field(ge=0, le=3650)  # a claim paid in the window may be serviced this much earlier
    profile: ProfileTolerances
    max_claim_amount: float = Field(gt=0.0)  # no real single claim is above this ($)
    max_history_cost: float = Field(
        gt=0.0
    )  # no real client's claims in a year (the cost_prev* features) are above this ($)
    value_sets: dict[str, list[str]]  # allowed cleaned values of each transform.categorical column
    target: TargetBounds
    examples: int = Field(ge=1, le=20)  # unexpected values shown per failed expectation
    duckdb: DuckDBParams  # the raw extract is validated in DuckDB, within these resources

    @field_validator("null_rates")
    @classmethod
    def _table_columns(cls, value: dict[str, float]) -> dict[str, float]:
        for key, share in value.items():
            table, _, column = key.partition(".")
            if table not in ("clients", "claims", "features") or not column:
                raise ValueError(f"{key}: expected clients.<column>, claims.<column> or features.<column>")
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{key}: {share} is not a share between 0 and 1")
        return value

    @model_validator(mode="after")
    def _age_ordered(self) -> ValidateParams:
        if not 0 <= self.age[0] < self.age[1]:
            raise ValueError(f"age: {list(self.age)} must be [low, high] with 0 <= low < high")
        return self


class PromoteParams(Section):
    """promote: log the candidate to MLflow, register a version and move the registry aliases."""

    model_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)  # the one registered model
    experiment: str = Field(min_length=1)  # MLflow experiment of the promote runs
    min_rmse_improvement: float = Field(ge=0.0, lt=1.0)  # relative: champion changes if rmse < champion * (1 - this)
    confidence: float = Field(gt=0.5, lt=1.0)  # the paired bootstrap improvement must be positive at this level
    bootstrap_samples: int = Field(ge=100, le=100_000)  # resamples of the shared test rows
    seed: int = Field(ge=0)
    allow_uncommitted: bool  # may a model from a dirty tree or a `dvc exp run` become champion?
    input_example_rows: int = Field(ge=1, le=100)  # test rows stored with the model as its input example
    webhook_timeout_seconds: float = Field(gt=0.0, le=60.0)  # MEDCOST_WEBHOOK_URL notifications


class PredictParams(Section):
    """predict: publish the champion's predictions, only from an accepted snapshot whose drift verdict passed."""

    allow_drift: bool  # publish even though the drift verdict failed (recorded in metrics/predict.json)
