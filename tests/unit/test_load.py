"""The Delta Lake feature table and the one Delta upsert: idempotent loads, receipts, reading the loaded version."""

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from medcost.core.contracts import LoadReceipt, PublishedSnapshot, write_contract
from medcost.core.errors import MedcostError
from medcost.load import (
    HASH_METADATA_KEY,
    DeltaLakehouse,
    content_hash,
    open_lakehouse,
    open_parquet,
    publish,
    read_loaded,
    read_published,
    replace_delta,
    staged_dataset,
    stream,
    to_frame,
    upsert_delta,
)
from medcost.load.rows import LeanDataset

KEY = ["client_id", "year"]


def features(n: int = 50, year: int = 2025, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "client_id": np.arange(1, n + 1, dtype="int64"),
            "year": np.full(n, year, dtype="int64"),
            "cutoff_date": [dt.date(year, 1, 1)] * n,
            "region": rng.choice(np.array(["northeast", "southwest", None], dtype=object), n),
            "bmi": rng.normal(28, 5, n),
            "target_cost": rng.gamma(0.5, 8000, n),
        }
    )


def test_loading_the_same_rows_twice_leaves_the_same_table(tmp_path):
    lake = DeltaLakehouse(tmp_path / "features")
    frame = features()
    first = lake.write(frame, KEY)
    second = lake.write(frame.sample(frac=1, random_state=1), KEY)  # same rows, other order
    assert second.version == first.version  # no new version for identical content
    assert second.content_hash == first.content_hash
    table = read_loaded(lake, second)
    assert len(table) == len(frame)
    assert not table.duplicated(KEY).any()


def test_upsert_replaces_changed_rows_and_keeps_other_years(tmp_path):
    lake = DeltaLakehouse(tmp_path / "features")
    lake.write(features(year=2024), KEY)
    old = lake.write(features(year=2025), KEY)
    changed = features(year=2025)
    changed.loc[0, "bmi"] = 99.0
    changed = changed.iloc[:-1]  # a client gone from the source
    new = lake.write(changed, KEY)
    assert new.version == old.version + 1
    assert read_loaded(lake, new)["bmi"].iloc[0] == 99.0
    assert len(read_loaded(lake, new)) == len(changed)
    # the earlier version is still there (time travel), and the other year untouched
    assert len(read_loaded(lake, old)) == len(features())
    every_year = lake.read(new.model_copy(update={"years": [2024, 2025]}))
    assert (every_year["year"] == 2024).sum() == 50


def test_content_hash_ignores_row_order_but_not_values():
    frame = features()
    assert content_hash(frame, KEY) == content_hash(frame.iloc[::-1], KEY)
    changed = frame.copy()
    changed.loc[3, "target_cost"] += 0.01
    assert content_hash(changed, KEY) != content_hash(frame, KEY)


def test_a_table_changed_after_loading_is_refused(tmp_path):
    lake = DeltaLakehouse(tmp_path / "features")
    receipt = lake.write(features(), KEY)
    with pytest.raises(MedcostError, match="differs from the load receipt"):
        read_loaded(lake, receipt.model_copy(update={"content_hash": "0" * 64}))


def test_missing_version_is_a_clear_error(tmp_path):
    lake = DeltaLakehouse(tmp_path / "features")
    receipt = lake.write(features(), KEY)
    with pytest.raises(MedcostError, match="version 7: cannot be read"):
        lake.read(receipt.model_copy(update={"version": 7}))


def test_a_missing_table_says_how_to_rebuild_it(tmp_path):
    """The lakehouse is outside DVC: on a clone after `dvc pull` the tables are absent, and the error says what to run."""
    receipt = DeltaLakehouse(tmp_path / "features").write(features(), KEY)
    with pytest.raises(MedcostError, match=r"elsewhere: no Delta table there .*dvc repro -f -s load validate"):
        DeltaLakehouse(tmp_path / "elsewhere").read(receipt)


def test_an_experiments_copy_reads_the_repositorys_table(tmp_path, monkeypatch):
    """Under `dvc exp run --temp` the copy has no lakehouse: the table under DVC_ROOT is read, at the receipt's version."""
    root, copy = tmp_path / "repo", tmp_path / "copy"
    copy.mkdir()
    monkeypatch.chdir(root.parent)
    receipt = DeltaLakehouse(Path("repo") / "features").write(features(), KEY)
    monkeypatch.chdir(copy)
    monkeypatch.setenv("DVC_ROOT", str(root))
    assert len(read_loaded(DeltaLakehouse("features"), receipt)) == receipt.rows
    monkeypatch.delenv("DVC_ROOT")
    with pytest.raises(MedcostError, match="no Delta table there"):
        DeltaLakehouse("features").read(receipt)


def test_unknown_backend():
    with pytest.raises(MedcostError, match="load.backend = 'bigquery'"):
        open_lakehouse("bigquery", "x", "t")


def test_the_receipt_names_what_was_loaded(tmp_path):
    lake = DeltaLakehouse(tmp_path / "features")
    frame = features()
    receipt = lake.write(frame, KEY)
    assert receipt == LoadReceipt(
        backend="deltalake",
        table=str(tmp_path / "features"),
        version=0,
        rows=50,
        years=[2025],
        key=KEY,
        columns=list(frame.columns),
        content_hash=content_hash(frame, KEY),
    )


def test_staged_dataset_is_the_receipts_version_as_arrow_that_duckdb_scans(tmp_path):
    import duckdb

    lake = DeltaLakehouse(tmp_path / "staging")
    lake.write(features(year=2024), KEY)  # another year: not in the receipt
    receipt = lake.write(features(), KEY)
    lake.write(features(seed=1), KEY)  # the table moved on; the receipt pins its version
    write_contract(tmp_path / "receipt.json", receipt)
    read_back, rows = staged_dataset(tmp_path / "receipt.json", lake)
    assert read_back == receipt
    assert isinstance(rows, ds.Dataset) and rows.schema.names == receipt.columns
    con = duckdb.connect()
    con.register("staged", rows)
    assert con.execute("SELECT count(*), min(year), max(year) FROM staged").fetchall() == [(50, 2025, 2025)]
    pd.testing.assert_frame_equal(to_frame(rows, KEY), features())


def test_staged_dataset_has_the_receipts_columns_after_the_table_gained_one(tmp_path):
    lake = DeltaLakehouse(tmp_path / "staging")
    receipt = lake.write(features(), KEY)
    lake.write(features().assign(extra=1.0), KEY)  # merge_schema adds the column to the table
    write_contract(tmp_path / "receipt.json", receipt)
    _, rows = staged_dataset(tmp_path / "receipt.json", lake)
    assert rows.schema.names == receipt.columns


def test_staged_dataset_of_a_changed_table_is_refused(tmp_path):
    lake = DeltaLakehouse(tmp_path / "staging")
    receipt = lake.write(features(), KEY)
    write_contract(tmp_path / "receipt.json", receipt.model_copy(update={"content_hash": "0" * 64}))
    with pytest.raises(MedcostError, match="differs from the load receipt"):
        staged_dataset(tmp_path / "receipt.json", lake)


def test_staged_dataset_without_a_receipt_names_the_load_stage(tmp_path):
    with pytest.raises(MedcostError, match=r"receipt.json: file not found \(run the load stage first\)"):
        staged_dataset(tmp_path / "receipt.json", DeltaLakehouse(tmp_path / "staging"))


def test_publishing_streams_the_staged_rows_and_readers_get_exactly_them(tmp_path):
    staging, published = DeltaLakehouse(tmp_path / "staging"), DeltaLakehouse(tmp_path / "published")
    staged = staging.write(features(), KEY)
    write_contract(tmp_path / "receipt.json", staged)
    _, rows = staged_dataset(tmp_path / "receipt.json", staging)
    receipt = publish(published, rows, staged)
    assert receipt.content_hash == staged.content_hash and receipt.table == str(tmp_path / "published")
    assert (receipt.rows, receipt.years, receipt.columns) == (staged.rows, staged.years, staged.columns)
    assert publish(published, rows, staged) == receipt  # publishing again: no new version
    write_contract(tmp_path / "published.json", PublishedSnapshot(receipt=receipt, as_of="2026-01-01"))
    staging.write(features(seed=1), KEY)  # the next snapshot is staged, not (yet) published
    snapshot, frame = read_published(tmp_path / "published.json", published)
    assert snapshot.receipt == receipt
    pd.testing.assert_frame_equal(frame, features())


def test_publishing_rows_other_than_the_staged_ones_writes_nothing(tmp_path):
    staging, published = DeltaLakehouse(tmp_path / "staging"), DeltaLakehouse(tmp_path / "published")
    staged = staging.write(features(), KEY)
    with pytest.raises(MedcostError, match="not the expected ones.*nothing written"):
        publish(published, features(seed=1), staged)
    assert not (tmp_path / "published").exists()


def test_publishing_a_pandas_frame_still_works(tmp_path):
    staging, published = DeltaLakehouse(tmp_path / "staging"), DeltaLakehouse(tmp_path / "published")
    staged = staging.write(features(), KEY)
    receipt = publish(published, read_loaded(staging, staged), staged)
    assert receipt.content_hash == staged.content_hash


def test_read_published_before_any_accepted_snapshot_names_validate(tmp_path):
    with pytest.raises(MedcostError, match=r"published.json: file not found \(run the validate .*first\)"):
        read_published(tmp_path / "published.json", DeltaLakehouse(tmp_path / "published"))


def predictions(year: int, version: int, clients: range, cost: float = 100.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_id": np.array(clients, dtype="int64"),
            "year": np.int64(year),
            "model_version": np.int64(version),
            "predicted_cost": cost,
        }
    )


def test_upsert_delta_creates_skips_and_merges_deleting_only_stale_rows(tmp_path):
    from deltalake import DeltaTable

    path = tmp_path / "nested" / "predictions"
    key = ["client_id", "year", "model_version"]
    stale = "t.model_version IN (2) AND t.year IN (2026)"
    first = pd.concat(
        [predictions(2026, 1, range(1, 6)), predictions(2026, 2, range(1, 6)), predictions(2025, 2, range(1, 6))],
        ignore_index=True,
    )
    untouched = first.copy()
    # create
    assert upsert_delta(first, path, key, stale) == 0
    pd.testing.assert_frame_equal(first, untouched)  # the frame is not modified
    table = DeltaTable(str(path))
    assert table.history(1)[0][HASH_METADATA_KEY] == content_hash(first, key)
    # same content, other row order: no new version
    assert upsert_delta(first.iloc[::-1], path, key, stale) == 0
    assert len(DeltaTable(str(path)).history()) == 1
    # changed content: one merge; matching rows updated, new rows inserted, stale rows absent from the frame deleted
    second = predictions(2026, 2, range(3, 8), cost=250.0)
    assert upsert_delta(second, path, key, stale) == 1
    after = DeltaTable(str(path)).to_pandas().sort_values(key).reset_index(drop=True)
    slice_2026_v2 = after.loc[(after["year"] == 2026) & (after["model_version"] == 2)]
    assert slice_2026_v2["client_id"].tolist() == [3, 4, 5, 6, 7]  # clients 1, 2 matched the predicate: deleted
    assert (slice_2026_v2["predicted_cost"] == 250.0).all()  # 3..5 updated, 6, 7 inserted
    # rows not matching the stale predicate are kept although absent from the frame
    kept = after.loc[~((after["year"] == 2026) & (after["model_version"] == 2))]
    expected = pd.concat([predictions(2026, 1, range(1, 6)), predictions(2025, 2, range(1, 6))])
    pd.testing.assert_frame_equal(
        kept.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    assert DeltaTable(str(path)).history(1)[0][HASH_METADATA_KEY] == content_hash(second, key)
    # the earlier version is still readable (time travel)
    assert len(DeltaTable(str(path), version=0).to_pandas()) == len(first)


def test_a_parquet_dataset_loads_as_its_frame_does_and_twice_is_one_version(tmp_path):
    """transform's Parquet, opened as a lazy dataset, is the same content as the frame it was written from."""
    frame = features(n=300)
    frame.to_parquet(tmp_path / "features.parquet", index=False, row_group_size=64)  # several row groups
    lake = DeltaLakehouse(tmp_path / "features")
    from_file = lake.write(open_parquet(tmp_path / "features.parquet"), KEY)
    assert from_file.content_hash == content_hash(frame, KEY)
    assert (from_file.rows, from_file.years, from_file.columns) == (300, [2025], list(frame.columns))
    assert lake.write(open_parquet(tmp_path / "features.parquet"), KEY) == from_file  # no new version
    assert lake.write(frame, KEY).version == from_file.version  # nor from the frame it was written from
    pd.testing.assert_frame_equal(read_loaded(lake, from_file), frame)


def test_a_changed_parquet_dataset_is_one_new_version_without_the_rows_gone_from_the_loaded_years(tmp_path):
    from deltalake import DeltaTable

    lake = DeltaLakehouse(tmp_path / "features")
    features(n=300, year=2024).to_parquet(tmp_path / "2024.parquet", index=False)
    lake.write(open_parquet(tmp_path / "2024.parquet"), KEY)
    features(n=300).to_parquet(tmp_path / "2025.parquet", index=False, row_group_size=64)
    first = lake.write(open_parquet(tmp_path / "2025.parquet"), KEY)
    changed = features(n=300).iloc[:-10]
    changed.loc[0, "bmi"] = 99.0
    changed.to_parquet(tmp_path / "changed.parquet", index=False, row_group_size=64)
    second = lake.write(open_parquet(tmp_path / "changed.parquet"), KEY)
    assert second.version == first.version + 1 and second.rows == 290
    assert DeltaTable(str(tmp_path / "features")).history(1)[0]["operation"] == "WRITE"  # replaceWhere, no join
    pd.testing.assert_frame_equal(read_loaded(lake, second), changed.reset_index(drop=True))
    every_year = lake.read(second.model_copy(update={"years": [2024, 2025]}))
    assert (every_year["year"] == 2024).sum() == 300  # the other year is untouched


def test_writing_a_stream_read_once_is_refused_before_anything_is_read(tmp_path):
    reader = pa.Table.from_pandas(features(), preserve_index=False).to_reader()
    with pytest.raises(TypeError, match="read once"):
        DeltaLakehouse(tmp_path / "features").write(reader, KEY)
    with pytest.raises(TypeError, match="read once"):
        upsert_delta(reader, tmp_path / "features", KEY, "t.year IN (2025)")
    assert not (tmp_path / "features").exists()


def test_upsert_delta_streams_a_reader_whose_digest_is_given(tmp_path):
    frame = features()
    digest = content_hash(frame, KEY)
    reader = pa.Table.from_pandas(frame, preserve_index=False).to_reader(max_chunksize=7)
    assert upsert_delta(reader, tmp_path / "features", KEY, "t.year IN (2025)", digest=digest) == 0
    assert content_hash(DeltaLakehouse(tmp_path / "features").read(_receipt(frame, tmp_path)), KEY) == digest


def _receipt(frame: pd.DataFrame, tmp_path: Path) -> LoadReceipt:
    return LoadReceipt(
        backend="deltalake",
        table=str(tmp_path / "features"),
        version=0,
        rows=len(frame),
        years=[2025],
        key=KEY,
        columns=list(frame.columns),
        content_hash=content_hash(frame, KEY),
    )


def test_replace_delta_rewrites_only_the_rows_matching_its_predicate(tmp_path):
    """One file holds both years: replacing 2025 keeps 2024's rows of it, and adds a new column."""
    from deltalake import DeltaTable

    path = tmp_path / "features"
    both = pd.concat([features(year=2024), features(year=2025)], ignore_index=True)
    assert replace_delta(both, path, KEY, "year IN (2025)") == 0  # created: one file
    new = features(n=30, year=2025, seed=4).assign(extra=1.0)
    assert replace_delta(new, path, KEY, "year IN (2025)") == 1
    assert replace_delta(new.iloc[::-1], path, KEY, "year IN (2025)") == 1  # same content: no new version
    after = DeltaTable(str(path)).to_pandas().sort_values(KEY).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        after.loc[after["year"] == 2024].drop(columns="extra").reset_index(drop=True), features(year=2024)
    )
    assert after.loc[after["year"] == 2024, "extra"].isna().all()
    pd.testing.assert_frame_equal(after.loc[after["year"] == 2025].reset_index(drop=True), new)
    assert DeltaTable(str(path)).history(1)[0][HASH_METADATA_KEY] == content_hash(new, KEY)


def test_replace_delta_refuses_rows_outside_its_predicate(tmp_path):
    from deltalake import DeltaTable

    path = tmp_path / "features"
    replace_delta(features(), path, KEY, "year IN (2025)")
    with pytest.raises(Exception, match="failed validation"):
        replace_delta(features(year=2026), path, KEY, "year IN (2025)")
    assert DeltaTable(str(path)).version() == 0


def test_a_dataset_streams_in_bounded_batches_and_keeps_its_filter(tmp_path):
    frame = pd.concat([features(n=300, year=2024), features(n=300)], ignore_index=True)
    frame.to_parquet(tmp_path / "features.parquet", index=False, row_group_size=250)
    dataset = open_parquet(tmp_path / "features.parquet")
    sizes = [batch.num_rows for batch in stream(dataset, batch_rows=100)]
    assert sum(sizes) == 600 and max(sizes) <= 100
    only_2025 = dataset.filter(ds.field("year") == 2025)
    streamed = stream(only_2025, batch_rows=64).read_all()
    assert streamed.num_rows == 300 and set(streamed["year"].to_pylist()) == {2025}
    assert content_hash(only_2025, KEY) == content_hash(features(n=300), KEY)


def test_a_lean_dataset_keeps_its_row_filter_in_every_scan(tmp_path):
    """DuckDB, pyarrow and a further filter all see only the rows the lakehouse version holds."""
    pq.write_table(pa.table({"year": [2024, 2025, 2026, 2025], "v": [1, 2, 3, 4]}), tmp_path / "part-0.parquet")
    pq.write_table(pa.table({"year": [2026, 2023], "v": [5, 6]}), tmp_path / "part-1.parquet")
    lean = LeanDataset.of(ds.dataset(tmp_path, format="parquet"), pc.field("year").isin([2025, 2026]))
    assert sorted(lean.to_table()["v"].to_pylist()) == [2, 3, 4, 5] and lean.count_rows() == 4
    assert sorted(lean.filter(pc.field("v") > 2).to_table()["v"].to_pylist()) == [3, 4, 5]
    con = duckdb.connect()
    con.register("lean", lean)
    assert con.execute("SELECT sum(v), count(*), min(year) FROM lean").fetchall() == [(14, 4, 2025)]
    assert con.execute("SELECT count(*) FROM lean WHERE v < 4").fetchall() == [(2,)]  # DuckDB's filter and ours
