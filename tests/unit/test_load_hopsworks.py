"""HopsworksLakehouse against a strict in-memory fake of the hopsworks client (no cluster).

The fake implements only the documented calls the adapter uses, with the real parameter
names and defaults (a call with another keyword is a TypeError), keeps rows in memory with
upsert-on-primary-key semantics and numbered commits, and records every call.
``test_calls_match_the_installed_hopsworks_api`` then binds each recorded call to the
signature of the real installed hopsworks/hsfs method it stands for.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt
import pytest

from medcost.core.contracts import LoadReceipt
from medcost.core.errors import MedcostError
from medcost.load import HopsworksLakehouse, content_hash, open_lakehouse, open_parquet, read_loaded

KEY = ["client_id", "year"]
API_KEY = "hw-SECRET-apikey-0123456789abcdef"
HOST = "hopsworks.example.test"
PROJECT = "medcost_prod"

# fake call name -> (module, attribute path) of the real API it stands for
REAL_API = {
    "login": ("hopsworks", "login"),
    "Project.get_feature_store": ("hopsworks_common.project", "Project.get_feature_store"),
    "FeatureStore.get_or_create_feature_group": ("hsfs.feature_store", "FeatureStore.get_or_create_feature_group"),
    "FeatureStore.get_feature_group": ("hsfs.feature_store", "FeatureStore.get_feature_group"),
    "FeatureGroup.insert": ("hsfs.feature_group", "FeatureGroup.insert"),
    "FeatureGroup.commit_details": ("hsfs.feature_group", "FeatureGroup.commit_details"),
    "FeatureGroup.read": ("hsfs.feature_group", "FeatureGroup.read"),
    "FeatureGroup.select": ("hsfs.feature_group", "FeatureGroup.select"),
    "FeatureGroup.remove_rows": ("hsfs.feature_group", "FeatureGroup.remove_rows"),
    "FeatureGroup.update_description": ("hsfs.feature_group", "FeatureGroup.update_description"),
    "Query.read": ("hsfs.constructor.query", "Query.read"),
}
FEATURE_GROUP_PROPERTIES = ["id", "description", "primary_key", "event_time"]
EXCEPTIONS = ["RestAPIError", "FeatureStoreException", "ProjectException", "ExternalClientError"]


# -- the fake hopsworks client ------------------------------------------------------------


class RestAPIError(Exception):
    pass


class FeatureStoreException(Exception):
    pass


class ProjectException(Exception):
    pass


class ExternalClientError(TypeError):
    pass


class Cluster:
    """In-memory state of one fake Hopsworks cluster, and the record of every call."""

    def __init__(self, engine: str = "python", dates_as_datetime: bool = False) -> None:
        self.engine = engine
        self.dates_as_datetime = dates_as_datetime  # read DATE features back as datetime64
        self.calls: list[tuple[str, tuple, dict]] = []
        self.groups: dict[tuple[str, int], FeatureGroup] = {}
        self.clock = 1_760_000_000_000  # commit ids are commit times in ms, as in hsfs
        self.login_error: Exception | None = None
        self.insert_error: Exception | None = None

    def record(self, call: str, /, *args: Any, **kwargs: Any) -> None:
        self.calls.append((call, args, kwargs))

    def named(self, name: str) -> list[tuple[tuple, dict]]:
        return [(a, k) for n, a, k in self.calls if n == name]

    def module(self) -> dict[str, types.ModuleType]:
        root: Any = types.ModuleType("hopsworks")  # modules built at run time: attributes set below
        client: Any = types.ModuleType("hopsworks.client")
        exceptions = types.ModuleType("hopsworks.client.exceptions")
        for cls in (RestAPIError, FeatureStoreException, ProjectException, ExternalClientError):
            setattr(exceptions, cls.__name__, cls)
        client.exceptions = exceptions
        root.client = client
        cluster = self

        def login(
            host=None,
            port=443,
            project=None,
            api_key_value=None,
            api_key_file=None,
            hostname_verification=False,
            trust_store_path=None,
            cert_folder=None,
            engine=None,
        ):
            cluster.record(
                "login",
                host=host,
                port=port,
                project=project,
                api_key_value=api_key_value,
                api_key_file=api_key_file,
                hostname_verification=hostname_verification,
                trust_store_path=trust_store_path,
                cert_folder=cert_folder,
                engine=engine,
            )
            if cluster.login_error is not None:
                raise cluster.login_error
            return Project(cluster, project or "default_project")

        root.login = login
        return {"hopsworks": root, "hopsworks.client": client, "hopsworks.client.exceptions": exceptions}

    def commit(self, fg: FeatureGroup, rows: pd.DataFrame, inserted: int, updated: int, deleted: int) -> None:
        self.clock += 1000
        fg.rows = rows.reset_index(drop=True)
        fg.commits.append(
            (self.clock, fg.rows.copy(), {"rowsInserted": inserted, "rowsUpdated": updated, "rowsDeleted": deleted})
        )


class Project:
    def __init__(self, cluster: Cluster, name: str) -> None:
        self._cluster, self.name = cluster, name

    def get_feature_store(self, name=None):
        self._cluster.record("Project.get_feature_store", name=name)
        return FeatureStore(self._cluster)


class FeatureStore:
    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster

    def get_or_create_feature_group(
        self,
        name,
        version,
        description="",
        online_enabled=False,
        time_travel_format=None,
        partition_key=None,
        primary_key=None,
        event_time=None,
        stream=False,
    ):
        self._cluster.record(
            "FeatureStore.get_or_create_feature_group",
            name=name,
            version=version,
            description=description,
            online_enabled=online_enabled,
            time_travel_format=time_travel_format,
            partition_key=partition_key,
            primary_key=primary_key,
            event_time=event_time,
            stream=stream,
        )
        existing = self._cluster.groups.get((name, version))
        if existing is not None:  # not updated: "doesn't update existing feature group metadata"
            return existing
        return FeatureGroup(
            self._cluster, name, version, description, primary_key or [], event_time, time_travel_format or "DELTA"
        )

    def get_feature_group(self, name, version=None):
        self._cluster.record("FeatureStore.get_feature_group", name=name, version=version)
        return self._cluster.groups.get((name, version))


class Query:
    def __init__(self, fg: FeatureGroup, features: list[str]) -> None:
        self._fg, self._features = fg, features

    def read(self, online=False, dataframe_type="default", read_options=None, start_time=None, end_time=None):
        self._fg._cluster.record(
            "Query.read",
            online=online,
            dataframe_type=dataframe_type,
            read_options=read_options,
            start_time=start_time,
            end_time=end_time,
        )
        return self._fg._snapshot(None)[self._features]


class FeatureGroup:
    """A feature group; lazy (``id`` None) until the first insert, as in hsfs."""

    def __init__(self, cluster, name, version, description, primary_key, event_time, time_travel_format):
        self._cluster = cluster
        self.name, self.version, self.description = name, version, description
        self.primary_key, self.event_time = list(primary_key), event_time
        self.time_travel_format = time_travel_format
        self.id: int | None = None
        self.rows: Any = None  # a DataFrame after the first insert
        self.commits: list[tuple[int, pd.DataFrame, dict]] = []

    def _require_saved(self) -> None:
        if self.id is None:
            raise RestAPIError("Metadata operation error: feature group not found (HTTP code: 404)")

    def _snapshot(self, wallclock_time) -> pd.DataFrame:
        self._require_saved()
        usable = [c for c in self.commits if wallclock_time is None or c[0] <= wallclock_time]
        if not usable:
            raise RestAPIError("No data is available for feature group with this commit date")
        frame = usable[-1][1].copy()
        if self._cluster.dates_as_datetime:
            frame[self.event_time] = pd.to_datetime(frame[self.event_time])
        return frame

    def insert(
        self,
        features,
        overwrite=False,
        operation="upsert",
        storage=None,
        write_options=None,
        validation_options=None,
        wait=False,
    ):
        self._cluster.record(
            "FeatureGroup.insert",
            features,
            overwrite=overwrite,
            operation=operation,
            storage=storage,
            write_options=write_options,
            validation_options=validation_options,
            wait=wait,
        )
        assert isinstance(features, pd.DataFrame)
        assert operation == "upsert" and not overwrite
        if self._cluster.insert_error is not None:
            raise self._cluster.insert_error
        missing = [c for c in [*self.primary_key, self.event_time] if c not in features.columns]
        if missing:
            raise FeatureStoreException(f"primary key / event time features {missing} not in the dataframe")
        if features.duplicated(self.primary_key).any():
            raise FeatureStoreException("duplicate primary key values")
        if self.id is None:  # first insert saves the metadata
            self.id = 100 + len(self._cluster.groups)
            self._cluster.groups[(self.name, self.version)] = self
            old = features.iloc[0:0]
        else:
            old = self.rows
            if list(old.columns) != list(features.columns):
                raise FeatureStoreException("dataframe schema does not match the feature group schema")
        new_keys = pd.MultiIndex.from_frame(features[self.primary_key])
        matched = pd.MultiIndex.from_frame(old[self.primary_key]).isin(new_keys)
        rows = pd.concat([old.loc[~matched], features], ignore_index=True)
        self._cluster.commit(
            self, rows, inserted=len(features) - int(matched.sum()), updated=int(matched.sum()), deleted=0
        )
        return None, None

    def commit_details(self, wallclock_time=None, limit=None):
        self._cluster.record("FeatureGroup.commit_details", wallclock_time=wallclock_time, limit=limit)
        if self.time_travel_format is None:
            raise FeatureStoreException("commit_details can only be used on time travel enabled feature groups")
        self._require_saved()
        commits = [c for c in reversed(self.commits) if wallclock_time is None or c[0] <= wallclock_time]
        return {
            cid: {"committedOn": str(cid), **{k: str(v) for k, v in stats.items()}} for cid, _, stats in commits[:limit]
        }

    def read(
        self,
        wallclock_time=None,
        online=False,
        dataframe_type="default",
        read_options=None,
        start_time=None,
        end_time=None,
    ):
        self._cluster.record(
            "FeatureGroup.read",
            wallclock_time=wallclock_time,
            online=online,
            dataframe_type=dataframe_type,
            read_options=read_options,
            start_time=start_time,
            end_time=end_time,
        )
        if wallclock_time and self._cluster.engine == "python":
            raise FeatureStoreException(
                "Python environments does not support incremental queries. Read feature group without "
                "timestamp to retrieve latest snapshot or switch to environment with Spark Engine."
            )
        return self._snapshot(wallclock_time)

    def select(self, features):
        self._cluster.record("FeatureGroup.select", features)
        self._require_saved()
        unknown = [f for f in features if f not in self.rows.columns]
        if unknown:
            raise FeatureStoreException(f"features {unknown} not found in feature group {self.name}")
        return Query(self, list(features))

    def remove_rows(self, delete_df, write_options=None, storage=None):
        self._cluster.record("FeatureGroup.remove_rows", delete_df, write_options=write_options, storage=storage)
        missing = [c for c in [*self.primary_key, self.event_time] if c not in delete_df.columns]
        if missing:
            raise FeatureStoreException(f"delete_df needs the primary key and event time: {missing}")
        gone = pd.MultiIndex.from_frame(self.rows[self.primary_key]).isin(
            pd.MultiIndex.from_frame(delete_df[self.primary_key])
        )
        self._cluster.commit(self, self.rows.loc[~gone], inserted=0, updated=0, deleted=int(gone.sum()))

    def update_description(self, description):
        self._cluster.record("FeatureGroup.update_description", description)
        self._require_saved()
        self.description = description
        return self


# -- fixtures -----------------------------------------------------------------------------


def features(years=(2023, 2024), clients=(1, 2, 3), bump: float = 0.0) -> pd.DataFrame:
    """A small feature table shaped like transform's output (a parquet round trip)."""
    rows = []
    for year in years:
        for client in clients:
            rows.append(
                {
                    "client_id": client,
                    "year": year,
                    "cutoff_date": dt.date(year, 1, 1),
                    "sex": None if client == 3 else ("f" if client % 2 else "m"),
                    "age": 30.0 + client,
                    "cost_prev1": 100.0 * client + bump,
                    "target": float("nan") if year == max(years) else 10.0 * client,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.astype({"client_id": "int64", "year": "int64", "age": "float64"})


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Cluster:
    fake = Cluster()
    for name, module in fake.module().items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setenv("HOPSWORKS_HOST", HOST)
    monkeypatch.setenv("HOPSWORKS_PORT", "8181")
    monkeypatch.setenv("HOPSWORKS_PROJECT", PROJECT)
    monkeypatch.setenv("HOPSWORKS_API_KEY", API_KEY)
    return fake


def lakehouse() -> HopsworksLakehouse:
    return HopsworksLakehouse("client_features", 1)


def expected(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY, kind="stable").reset_index(drop=True)


# -- tests --------------------------------------------------------------------------------


def test_module_import_does_not_import_hopsworks() -> None:
    code = "import sys, medcost.load; print(sorted(m for m in ('hopsworks', 'hsfs') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "[]"


def test_open_lakehouse_builds_the_hopsworks_backend() -> None:
    store = open_lakehouse("hopsworks", "unused", "client_features", 3)
    assert isinstance(store, HopsworksLakehouse) and (store.table, store.version) == ("client_features", 3)


def test_login_gets_the_environment_values(cluster: Cluster) -> None:
    lakehouse().write(features(), KEY)
    [(args, kwargs)] = cluster.named("login")
    assert args == ()
    assert {k: kwargs[k] for k in ("host", "port", "project", "api_key_value")} == {
        "host": HOST,
        "port": 8181,
        "project": PROJECT,
        "api_key_value": API_KEY,
    }
    assert kwargs["port"] == 8181 and isinstance(kwargs["port"], int)


def test_port_defaults_to_443_and_project_is_optional(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOPSWORKS_PORT")
    monkeypatch.delenv("HOPSWORKS_PROJECT")
    lakehouse().write(features(), KEY)
    [(_, kwargs)] = cluster.named("login")
    assert kwargs["port"] == 443 and kwargs["project"] is None


@pytest.mark.parametrize("variable", ["HOPSWORKS_HOST", "HOPSWORKS_API_KEY"])
@pytest.mark.parametrize("value", [None, "  "])
def test_missing_environment_variable_is_named(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch, variable: str, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    with pytest.raises(MedcostError, match=variable) as error:
        lakehouse().write(features(), KEY)
    message = str(error.value)
    assert "\n" not in message and API_KEY not in message
    assert cluster.named("login") == []


def test_bad_port_is_named(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOPSWORKS_PORT", "https")
    with pytest.raises(MedcostError, match="HOPSWORKS_PORT"):
        lakehouse().write(features(), KEY)


def test_api_key_never_appears_in_receipt_logs_or_output(
    cluster: Cluster, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = lakehouse()
    receipt = store.write(features(), KEY)
    store.write(features(), KEY)
    store.read(receipt)
    assert caplog.records, "the adapter should log what it does"
    assert API_KEY not in caplog.text
    assert API_KEY not in receipt.model_dump_json()
    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err


def test_login_failure_names_host_and_project_but_not_the_key(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cluster.login_error = RestAPIError(f"Metadata operation error: HTTP code: 401,\n api key {API_KEY} is invalid")
    with pytest.raises(MedcostError) as error:
        lakehouse().write(features(), KEY)
    message = str(error.value)
    assert HOST in message and PROJECT in message and "login" in message
    assert API_KEY not in message and "***" in message and "\n" not in message
    assert error.value.__cause__ is None and error.value.__suppress_context__
    assert API_KEY not in caplog.text


def test_feature_group_error_is_one_line_and_masks_the_key(cluster: Cluster) -> None:
    cluster.insert_error = FeatureStoreException(f"ingestion failed\n(Authorization: ApiKey {API_KEY})")
    with pytest.raises(MedcostError, match="client_features version 1: inserting rows failed") as error:
        lakehouse().write(features(), KEY)
    assert "\n" not in str(error.value) and API_KEY not in str(error.value)


def test_write_passes_primary_key_event_time_and_upsert(cluster: Cluster) -> None:
    frame = features()
    lakehouse().write(frame, KEY)
    [(_, create)] = cluster.named("FeatureStore.get_or_create_feature_group")
    assert create["name"] == "client_features" and create["version"] == 1
    assert create["primary_key"] == KEY and create["event_time"] == "cutoff_date"
    assert create["online_enabled"] is False and create["time_travel_format"] == "DELTA"
    [(args, insert)] = cluster.named("FeatureGroup.insert")
    pdt.assert_frame_equal(args[0], frame)
    assert insert["operation"] == "upsert" and insert["write_options"] == {"wait_for_job": True}


def test_write_returns_the_receipt(cluster: Cluster) -> None:
    frame = features()
    receipt = lakehouse().write(frame, KEY)
    fg = cluster.groups[("client_features", 1)]
    assert {"backend", "table", "version", "rows", "years", "key", "columns", "content_hash"} <= set(
        receipt.model_dump()
    )
    assert receipt.backend == "hopsworks"
    assert receipt.table == "client_features_v1"
    assert receipt.version == fg.commits[-1][0] and isinstance(receipt.version, int)
    assert receipt.rows == 6 and receipt.years == [2023, 2024] and receipt.key == KEY
    assert receipt.columns == list(frame.columns)
    assert receipt.content_hash == content_hash(frame, KEY)
    assert LoadReceipt.model_validate_json(receipt.model_dump_json()) == receipt
    assert receipt.dtypes == {c: str(t) for c, t in frame.dtypes.items()}
    assert receipt.content_hash in fg.description and str(receipt.version) in fg.description


def test_same_frame_twice_is_not_inserted_again(cluster: Cluster) -> None:
    first = lakehouse().write(features(), KEY)
    second = lakehouse().write(features().sample(frac=1, random_state=1), KEY)  # row order does not matter
    assert second == first
    assert len(cluster.named("FeatureGroup.insert")) == 1
    fg = cluster.groups[("client_features", 1)]
    assert len(fg.commits) == 1
    pdt.assert_frame_equal(expected(fg.rows), expected(features()))


def test_read_returns_exactly_what_was_written(cluster: Cluster) -> None:
    frame = features()
    store = lakehouse()
    receipt = store.write(frame, KEY)
    back = lakehouse().read(receipt)
    pdt.assert_frame_equal(back, expected(frame))
    assert content_hash(back, KEY) == receipt.content_hash
    pdt.assert_frame_equal(read_loaded(store, receipt), expected(frame))
    assert [k for _, k in cluster.named("FeatureGroup.read")] == []  # newest commit: no time travel


def test_read_restores_date_dtype_when_read_back_as_datetime(cluster: Cluster) -> None:
    cluster.dates_as_datetime = True
    frame = features()
    receipt = lakehouse().write(frame, KEY)
    back = lakehouse().read(receipt)
    assert content_hash(back, KEY) == receipt.content_hash


def test_changed_frame_upserts_and_removes_rows_gone_from_the_loaded_years(cluster: Cluster) -> None:
    store = lakehouse()
    first = store.write(features(), KEY)
    changed = features(years=(2024, 2025), clients=(1, 2, 4), bump=5.0)  # client 3 gone from 2024
    second = store.write(changed, KEY)
    assert second.version > first.version and second.content_hash != first.content_hash
    assert second.years == [2024, 2025]
    [(args, _)] = cluster.named("FeatureGroup.remove_rows")
    assert args[0][KEY].values.tolist() == [[3, 2024]]
    assert {"cutoff_date"} <= set(args[0].columns)
    pdt.assert_frame_equal(store.read(second), expected(changed))
    fg = cluster.groups[("client_features", 1)]
    untouched = expected(fg.rows.loc[fg.rows["year"] == 2023])
    pdt.assert_frame_equal(untouched, expected(features().query("year == 2023")))


def test_read_of_an_older_commit_from_python_engine_is_a_clear_error(cluster: Cluster) -> None:
    store = lakehouse()
    first = store.write(features(), KEY)
    store.write(features(bump=1.0), KEY)
    with pytest.raises(MedcostError, match=r"reading commit \d+ .*Spark") as error:
        store.read(first)
    assert "\n" not in str(error.value)


def test_read_of_an_older_commit_time_travels_with_spark_engine(cluster: Cluster) -> None:
    cluster.engine = "spark"
    store = lakehouse()
    first = store.write(features(), KEY)
    store.write(features(bump=1.0), KEY)
    back = store.read(first)
    pdt.assert_frame_equal(back, expected(features()))
    [(_, read)] = cluster.named("FeatureGroup.read")
    assert read["wallclock_time"] == first.version and read["dataframe_type"] == "pandas"


def test_arrow_rows_are_inserted_as_one_pandas_frame(cluster: Cluster, tmp_path: Path) -> None:
    """The client inserts pandas frames: transform's Parquet, given as a dataset, is read into one."""
    frame = features()
    frame.to_parquet(tmp_path / "features.parquet", index=False)
    receipt = lakehouse().write(open_parquet(tmp_path / "features.parquet"), KEY)
    [(args, _)] = cluster.named("FeatureGroup.insert")
    pdt.assert_frame_equal(args[0], frame)
    assert receipt.content_hash == content_hash(frame, KEY)
    assert lakehouse().write(frame, KEY) == receipt  # the same content as a frame: not inserted again
    assert content_hash(lakehouse().scan(receipt), KEY) == receipt.content_hash


def test_publishing_other_content_than_expected_inserts_nothing(cluster: Cluster) -> None:
    receipt = lakehouse().write(features(), KEY)
    with pytest.raises(MedcostError, match="not the expected ones"):
        HopsworksLakehouse("client_features_published", 1).write(features(bump=1.0), KEY, receipt.content_hash)
    assert len(cluster.named("FeatureGroup.insert")) == 1


def test_existing_feature_group_with_another_key_is_refused(cluster: Cluster) -> None:
    lakehouse().write(features(), KEY)
    cluster.groups[("client_features", 1)].primary_key = ["client_id"]
    with pytest.raises(MedcostError, match="primary key.*hopsworks_version"):
        lakehouse().write(features(bump=1.0), KEY)


def test_receipt_for_another_table_or_missing_feature_group(cluster: Cluster) -> None:
    receipt = lakehouse().write(features(), KEY)
    with pytest.raises(MedcostError, match="client_features_v1"):
        HopsworksLakehouse("client_features", 2).read(receipt)
    with pytest.raises(MedcostError, match="deltalake"):
        lakehouse().read(receipt.model_copy(update={"backend": "deltalake"}))
    del cluster.groups[("client_features", 1)]
    with pytest.raises(MedcostError, match="does not exist"):
        lakehouse().read(receipt)


def test_uppercase_columns_are_refused(cluster: Cluster) -> None:
    with pytest.raises(MedcostError, match="Age"):
        lakehouse().write(features().rename(columns={"age": "Age"}), KEY)


# -- the calls exist in the real installed API ------------------------------------------


def _resolve(module_name: str, path: str) -> Any:
    import importlib

    target: Any = importlib.import_module(module_name)
    for part in path.split("."):
        target = getattr(target, part)
    return target


def test_calls_match_the_installed_hopsworks_api(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1. run every code path of the adapter on the fake and record its calls
    fake = Cluster(engine="spark")
    with monkeypatch.context() as patch:
        for name, module in fake.module().items():
            patch.setitem(sys.modules, name, module)
        for variable, value in {"HOPSWORKS_HOST": HOST, "HOPSWORKS_API_KEY": API_KEY}.items():
            patch.setenv(variable, value)
        store = lakehouse()
        first = store.write(features(), KEY)
        store.write(features(), KEY)
        second = store.write(features(years=(2024, 2025), clients=(1, 2)), KEY)
        store.read(second)
        store.read(first)
    used = {name for name, _, _ in fake.calls}
    assert used == set(REAL_API), f"every call the adapter makes must be checked: {used ^ set(REAL_API)}"

    # 2. import the real client (this test only)
    try:
        import hopsworks  # noqa: F401
        import hopsworks.client.exceptions as real_exceptions
        import hsfs.feature_group
    except Exception as exc:  # pragma: no cover - it is installed in the project venv
        print(f"skipping: the hopsworks package cannot be imported: {exc!r}")
        pytest.skip(f"the hopsworks package cannot be imported: {exc!r}")

    fakes = {
        "login": None,
        "Project.get_feature_store": Project.get_feature_store,
        "FeatureStore.get_or_create_feature_group": FeatureStore.get_or_create_feature_group,
        "FeatureStore.get_feature_group": FeatureStore.get_feature_group,
        "FeatureGroup.insert": FeatureGroup.insert,
        "FeatureGroup.commit_details": FeatureGroup.commit_details,
        "FeatureGroup.read": FeatureGroup.read,
        "FeatureGroup.select": FeatureGroup.select,
        "FeatureGroup.remove_rows": FeatureGroup.remove_rows,
        "FeatureGroup.update_description": FeatureGroup.update_description,
        "Query.read": Query.read,
    }
    for name, (module_name, path) in REAL_API.items():
        real = _resolve(module_name, path)
        signature = inspect.signature(real)
        is_method = "." in path
        # 3. every recorded call binds to the real signature (same names, no unknown keyword)
        for args, kwargs in fake.named(name):
            try:
                signature.bind(*((object(),) if is_method else ()), *args, **kwargs)
            except TypeError as exc:
                pytest.fail(f"{module_name}.{path}{signature}: the adapter's call {args} {kwargs} does not bind: {exc}")
        # 4. the fake takes only real parameters, with the real defaults
        fake_function = fakes[name] or fake.module()["hopsworks"].login
        for param in list(inspect.signature(fake_function).parameters.values())[int(is_method) :]:
            assert param.name in signature.parameters, f"fake {name} has a parameter {param.name} the real one lacks"
            real_default = signature.parameters[param.name].default
            assert real_default == param.default, f"{name}({param.name}): real default {real_default!r}"

    assert inspect.signature(hsfs.feature_group.FeatureGroup.insert).parameters["operation"].default == "upsert"
    for prop in FEATURE_GROUP_PROPERTIES:
        assert isinstance(inspect.getattr_static(hsfs.feature_group.FeatureGroup, prop), property), prop
    for exception in EXCEPTIONS:
        assert issubclass(getattr(real_exceptions, exception), Exception), exception
