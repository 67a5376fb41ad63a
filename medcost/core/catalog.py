"""The catalog: where every artifact the stages pass on lives, folders from ``params.yaml: paths`` and file names here.

dvc.yaml declares the same paths (``${paths.*}`` plus these file names); a test checks that
every catalog path is a dep or an out there, so the two never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcost.core.params import PathsParams, section

MODEL_NAMES = ("tree", "linear")
"""The trained model families: train_<name> writes ``models/<name>.pkl``."""


@dataclass(frozen=True)
class Catalog:
    """Every artifact path of the pipeline, relative to the repository root."""

    paths: PathsParams

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Catalog:
        """The catalog of a params mapping (its ``paths`` section, checked)."""
        return cls(section(params, "paths", PathsParams))

    # -- source (outside DVC) ---------------------------------------------------------
    @property
    def source_db(self) -> Path:
        """The embedded demo source database (used when MEDCOST_SOURCE_URL is not set)."""
        return Path(self.paths.source_db)

    @property
    def truth(self) -> Path:
        """The demo generator's true expected cost per client-year (absent for a real source)."""
        return Path(self.paths.truth)

    @property
    def source_fingerprint(self) -> Path:
        """fingerprint: the source's masked identity and per-table signatures (extract depends on it)."""
        return Path(self.paths.source_fingerprint)

    @property
    def run_log(self) -> Path:
        """Untracked, not a dep of any stage: timings, clock times and hosts of each run (JSON lines)."""
        return Path(self.paths.run_log)

    # -- data -------------------------------------------------------------------------
    @property
    def raw(self) -> Path:
        """extract: the folder of one Parquet file per table."""
        return Path(self.paths.raw)

    def raw_table(self, table: str) -> Path:
        """extract: one table's Parquet file."""
        return self.raw / f"{table}.parquet"

    @property
    def features(self) -> Path:
        return Path(self.paths.features)

    @property
    def staging(self) -> Path:
        """load: the Delta table of the snapshot awaiting validation (never read by split or predict)."""
        return Path(self.paths.staging)

    @property
    def load_receipt(self) -> Path:
        """load: the staged version (LoadReceipt)."""
        return Path(self.paths.load_receipt)

    @property
    def lakehouse(self) -> Path:
        """validate: the published Delta table, written only with snapshots validate accepted."""
        return Path(self.paths.lakehouse)

    @property
    def published(self) -> Path:
        """validate: the published version and its profile (PublishedSnapshot); a rejected snapshot leaves it."""
        return Path(self.paths.published)

    @property
    def train(self) -> Path:
        return Path(self.paths.train)

    @property
    def test(self) -> Path:
        return Path(self.paths.test)

    @property
    def scoring(self) -> Path:
        return Path(self.paths.scoring)

    @property
    def selection(self) -> Path:
        """select: the model inputs kept and dropped, with their scores and reasons (FeatureSelection)."""
        return Path(self.paths.selection)

    @property
    def predictions(self) -> Path:
        """predict: the folder of this run's predictions."""
        return Path(self.paths.predictions)

    @property
    def predictions_file(self) -> Path:
        return self.predictions / "predictions.parquet"

    @property
    def predictions_table(self) -> Path:
        """predict: the Delta table of every champion's predictions."""
        return Path(self.paths.predictions_table)

    # -- models -----------------------------------------------------------------------
    def model(self, name: str) -> Path:
        """train_<name>: the pickled pipeline."""
        return Path(self.paths.models) / f"{name}.pkl"

    @property
    def tuned(self) -> Path:
        """tune: the best settings per family and every trial's cross-validation scores (TunedSettings)."""
        return Path(self.paths.models) / "tuned.json"

    def dvclive(self, stage: str) -> Path:
        """A train stage's dvclive folder (params.yaml, metrics.json)."""
        return Path(self.paths.dvclive) / stage

    # -- metrics (JSON contracts, see medcost.core.contracts) ---------------------------
    @property
    def metrics(self) -> Path:
        return Path(self.paths.metrics)

    @property
    def extract_metrics(self) -> Path:
        return self.metrics / "extract.json"

    @property
    def transform_summary(self) -> Path:
        return self.metrics / "transform.json"

    @property
    def validation_report(self) -> Path:
        return self.metrics / "validate.json"

    @property
    def split_summary(self) -> Path:
        return self.metrics / "split.json"

    @property
    def tune_metrics(self) -> Path:
        return self.metrics / "tune.json"

    @property
    def select_summary(self) -> Path:
        return self.metrics / "select.json"

    @property
    def evaluation(self) -> Path:
        return self.metrics / "evaluate.json"

    @property
    def backtest(self) -> Path:
        return self.metrics / "backtest.json"

    @property
    def quality_verdict(self) -> Path:
        return self.metrics / "quality.json"

    @property
    def drift_summary(self) -> Path:
        return self.metrics / "drift.json"

    @property
    def promotion_decision(self) -> Path:
        return self.metrics / "promotion.json"

    @property
    def predict_summary(self) -> Path:
        return self.metrics / "predict.json"

    @property
    def monitor_verdict(self) -> Path:
        """monitor: each champion's predictions scored against the actual costs, and the verdict."""
        return self.metrics / "monitor.json"

    # -- plots and reports ------------------------------------------------------------
    @property
    def evaluate_plots(self) -> Path:
        """evaluate: plot data (CSV), the scatter image and the test predictions."""
        return Path(self.paths.plots) / "evaluate"

    @property
    def backtest_plots(self) -> Path:
        """backtest: plot data (CSV), one row per target year."""
        return Path(self.paths.plots) / "backtest"

    @property
    def reports(self) -> Path:
        return Path(self.paths.reports)

    @property
    def data_docs(self) -> Path:
        """validate: Great Expectations Data Docs (index.html)."""
        return Path(self.paths.data_docs)

    @property
    def drift_report(self) -> Path:
        return self.reports / "drift.html"
