"""The split written from the published rows in DuckDB: the same parts as the in-memory split, and nothing on bad rows."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medcost.core.errors import MedcostError
from medcost.core.params import DuckDBParams, SplitParams
from medcost.load import DeltaLakehouse
from medcost.split import PartPaths, split_published, split_train_test, training_and_scoring

KEY = ["client_id", "year"]
CFG = SplitParams(
    test_size=0.2,
    min_test_rows=10,
    seed=7,
    bins=5,
    tail=0.05,
    duckdb=DuckDBParams(memory_limit="256MB", temp_directory="unused", threads=1),
)


def feature_rows(clients: int = 300, seed: int = 0) -> pd.DataFrame:
    """Two training years and a scoring year per client, shuffled; strings, dates and an integer column with gaps."""
    rng = np.random.default_rng(seed)
    frames = []
    for year in (2023, 2024, 2025):
        n = clients
        frames.append(
            pd.DataFrame(
                {
                    "client_id": np.arange(1, n + 1),
                    "year": year,
                    "region": rng.choice(["north", "south", "east"], n),
                    "birth_date": pd.to_datetime("1970-01-01") + pd.to_timedelta(rng.integers(0, 15000, n), "D"),
                    "children": pd.Series(rng.integers(0, 5, n), dtype="Int64").where(rng.random(n) >= 0.1),
                    "cost_prev1": rng.lognormal(7, 1.5, n),
                    "target_cost": np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(8, 1.6, n)),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["birth_date"] = frame["birth_date"].dt.date
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def published_rows(tmp_path: Path, frame: pd.DataFrame):
    lake = DeltaLakehouse(tmp_path / "published")
    return lake.scan(lake.write(frame, KEY))


def paths(tmp_path: Path) -> PartPaths:
    return PartPaths(
        train=tmp_path / "train.parquet", test=tmp_path / "test.parquet", scoring=tmp_path / "scoring.parquet"
    )


def test_the_parts_are_the_in_memory_split_of_the_whole_table(tmp_path):
    frame = feature_rows()
    cfg = CFG.model_copy(update={"duckdb": CFG.duckdb.model_copy(update={"temp_directory": str(tmp_path / "tmp")})})
    sizes = split_published(
        published_rows(tmp_path, frame), KEY, "target_cost", [2023, 2024], 2025, cfg, cfg.duckdb, paths(tmp_path)
    )

    # the reference: the whole table in pandas, as the stage read it before (Delta -> pandas, sorted by the key)
    reference = frame.sort_values(KEY, kind="stable").reset_index(drop=True)
    reference["children"] = reference["children"].astype("float64")  # pandas reads an integer column with gaps so
    rows, scoring = training_and_scoring(reference, "target_cost", [2023, 2024], 2025)
    train, test = split_train_test(
        rows, "target_cost", KEY, cfg.test_size, cfg.seed, cfg.bins, cfg.tail, min_test_rows=10
    )

    written = {part: pd.read_parquet(getattr(paths(tmp_path), part)) for part in ("train", "test", "scoring")}
    for part, expected in (
        ("train", train),
        ("test", test),
        ("scoring", scoring.sort_values(KEY).reset_index(drop=True)),
    ):
        got = written[part]
        got["children"] = got["children"].astype("float64")
        pd.testing.assert_frame_equal(got, expected[got.columns.tolist()], check_dtype=False)
        assert list(got.columns) == [c for c in frame.columns if part != "scoring" or c != "target_cost"]
    assert (sizes.train, sizes.test, sizes.scoring) == (len(train), len(test), len(scoring))
    assert set(written["train"]["client_id"]).isdisjoint(written["test"]["client_id"])  # whole clients
    assert set(written["train"]["year"]) == set(written["test"]["year"]) == {2023, 2024}


def test_a_negative_target_is_one_line_and_no_part_is_written(tmp_path):
    frame = feature_rows()
    frame.loc[frame["year"] == 2024, "target_cost"] = -1.0
    cfg = CFG.model_copy(update={"duckdb": CFG.duckdb.model_copy(update={"temp_directory": str(tmp_path / "tmp")})})
    with pytest.raises(MedcostError, match=r"300 training row\(s\) have a negative target_cost"):
        split_published(
            published_rows(tmp_path, frame), KEY, "target_cost", [2023, 2024], 2025, cfg, cfg.duckdb, paths(tmp_path)
        )
    assert not any(
        p.exists() for p in (tmp_path / "train.parquet", tmp_path / "test.parquet", tmp_path / "scoring.parquet")
    )


def test_a_missing_column_is_named(tmp_path):
    frame = feature_rows().drop(columns=["target_cost"])
    cfg = CFG.model_copy(update={"duckdb": CFG.duckdb.model_copy(update={"temp_directory": str(tmp_path / "tmp")})})
    with pytest.raises(MedcostError, match="feature table: column target_cost missing"):
        split_published(
            published_rows(tmp_path, frame), KEY, "target_cost", [2024], 2025, cfg, cfg.duckdb, paths(tmp_path)
        )
