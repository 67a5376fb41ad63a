"""The lakehouse feature table as a Hopsworks feature group (load.backend = hopsworks).

Written against the documented hopsworks 4.x/5.x Python API (checked on hopsworks 5.2.1):

* ``hopsworks.login(host=, port=, project=, api_key_value=)`` -> project
* ``project.get_feature_store()`` -> feature store
* ``fs.get_or_create_feature_group(name=, version=, description=, online_enabled=False,
  time_travel_format="DELTA", primary_key=[...], event_time=...)`` (lazy: nothing is created
  until the first insert; ``fg.id`` is None until then)
* ``fg.insert(frame, operation="upsert", write_options={"wait_for_job": True})``
* ``fg.commit_details(limit=1)`` -> ``{commit_id: {"committedOn": ..., ...}}``, newest first
* ``fg.select([...]).read(dataframe_type="pandas")`` (latest snapshot) and
  ``fg.read(wallclock_time=commit_id, dataframe_type="pandas")`` (time travel; the
  library allows it with the Spark engine only and raises ``FeatureStoreException`` from a
  pure Python client)
* ``fg.remove_rows(delete_df)`` (rows of the loaded years that are gone from the source)
* ``fg.update_description(description)`` (records the content hash of the last load)
* ``fs.get_feature_group(name=, version=)`` (returns None when absent)

Connection settings come from the environment only: HOPSWORKS_HOST and HOPSWORKS_API_KEY
(required), HOPSWORKS_PROJECT (optional) and HOPSWORKS_PORT (optional, default 443). The API
key is passed to ``hopsworks.login`` and nowhere else: it is never logged, never put in a
receipt and masked out of any error message.

Like the Delta table, loading is an idempotent upsert on the key: the content hash and the
commit it produced are kept in the feature group's description, and when the newest commit
is that commit with the same hash, nothing is written. Rows of the loaded years whose key is
no longer in the frame are removed, so the loaded years hold exactly the frame's rows.

Unlike the Delta backend this one works in pandas: the Hopsworks Python client inserts and reads
pandas frames (its streaming insert API takes them a frame at a time), so Arrow data given to
:meth:`HopsworksLakehouse.write` is read into one frame, and :meth:`HopsworksLakehouse.scan` is
:meth:`~HopsworksLakehouse.read` as Arrow. That bounds this backend by memory: large backfills are
Spark jobs on the Hopsworks cluster (their docs), not this client.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pandas as pd
import pyarrow as pa

from medcost.core.contracts import LoadReceipt
from medcost.core.errors import MedcostError, one_line, summarise
from medcost.core.features import CUTOFF_COLUMN
from medcost.core.params import DuckDBParams
from medcost.core.secrets import env
from medcost.load.content import content_hash
from medcost.load.rows import Rows, to_frame

log = logging.getLogger(__name__)

BACKEND = "hopsworks"
EVENT_TIME_COLUMN = CUTOFF_COLUMN
DEFAULT_PORT = 443
_MARKER = re.compile(r"medcost content_hash=(?P<hash>[0-9a-f]{64}) commit=(?P<commit>\d+)")
_INSTALL_HINT = 'install the Hopsworks client with: pip install "hopsworks[python]"'


def _marker(digest: str, commit: int) -> str:
    return f"medcost content_hash={digest} commit={commit}"


def _settings() -> dict[str, Any]:
    """The login settings from the environment; a missing required variable is a MedcostError."""
    settings: dict[str, Any] = {}
    for variable in ("HOPSWORKS_HOST", "HOPSWORKS_API_KEY"):
        value = env(variable)
        if not value:
            raise MedcostError(f"load.backend = hopsworks: environment variable {variable} is not set")
        settings[variable] = value
    settings["HOPSWORKS_PROJECT"] = env("HOPSWORKS_PROJECT")
    port = env("HOPSWORKS_PORT") or str(DEFAULT_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise MedcostError(
            f"load.backend = hopsworks: environment variable HOPSWORKS_PORT = {port!r} is not a port number"
        )
    settings["HOPSWORKS_PORT"] = int(port)
    return settings


class HopsworksLakehouse:
    """Feature group ``table`` version ``version`` in the project's feature store."""

    def __init__(self, table: str, version: int, duckdb: DuckDBParams | None = None) -> None:
        self.table = table
        self.version = int(version)
        self.duckdb = duckdb
        self._feature_store: Any = None
        self._where = f"hopsworks feature group {table} version {self.version}"
        self._secret: str | None = None

    # -- connection ---------------------------------------------------------------------

    def _errors(self) -> tuple[type[BaseException], ...]:
        """The exceptions the Hopsworks client raises for cluster/data problems (not bugs)."""
        from hopsworks.client import exceptions

        return (
            exceptions.RestAPIError,
            exceptions.FeatureStoreException,
            exceptions.ProjectException,
            exceptions.ExternalClientError,
            OSError,
            EOFError,
        )  # OSError: requests/SSL/connection errors

    def _describe(self, exc: BaseException) -> str:
        """The exception on one short line (all of its lines joined), with the API key masked out."""
        text = one_line(str(exc))
        if self._secret:
            text = text.replace(self._secret, "***")
        text = summarise(text)
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

    def _store(self) -> Any:
        """Log in once (lazily) and return the project's feature store."""
        if self._feature_store is not None:
            return self._feature_store
        settings = _settings()
        host, port, project = settings["HOPSWORKS_HOST"], settings["HOPSWORKS_PORT"], settings["HOPSWORKS_PROJECT"]
        self._secret = settings["HOPSWORKS_API_KEY"]
        where = f"{host}:{port} project {project or '(default)'}"
        try:
            import hopsworks
        except ImportError:
            raise MedcostError(
                f"load.backend = hopsworks: the hopsworks package is not installed; {_INSTALL_HINT}"
            ) from None
        log.info("logging in to Hopsworks at %s", where)
        try:
            project_handle = hopsworks.login(
                host=host, port=port, project=project, api_key_value=settings["HOPSWORKS_API_KEY"]
            )
        except self._errors() as exc:
            raise MedcostError(f"hopsworks login to {where} failed: {self._describe(exc)}") from None
        if project_handle is None:
            raise MedcostError(f"hopsworks login to {where}: the API key gives access to no project")
        try:
            self._feature_store = project_handle.get_feature_store()
        except self._errors() as exc:
            raise MedcostError(f"hopsworks {where}: opening the feature store failed: {self._describe(exc)}") from None
        return self._feature_store

    def _call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the Hopsworks client; its cluster/data errors become a one-line MedcostError."""
        try:
            return function(*args, **kwargs)
        except ImportError as exc:  # the [python] extra (delta-rs, pyarrow, ...) is missing
            raise MedcostError(
                f"{self._where}: {what} needs a module that is not installed ({exc.name or exc}); {_INSTALL_HINT}"
            ) from None
        except self._errors() as exc:
            raise MedcostError(f"{self._where}: {what} failed: {self._describe(exc)}") from None

    def _latest_commit(self, fg: Any) -> int | None:
        commits = self._call("reading the commit history", fg.commit_details, limit=1)
        return max((int(c) for c in commits), default=None) if commits else None

    # -- Lakehouse protocol -------------------------------------------------------------

    def write(self, rows: Rows, key: list[str], expected_hash: str | None = None) -> LoadReceipt:
        """Upsert ``rows`` on ``key`` into the feature group; return the receipt.

        The Hopsworks Python client inserts pandas frames, so Arrow data is read into one here
        (all of it in memory; large backfills are Spark jobs on the cluster, per Hopsworks' docs).
        ``expected_hash``: the content the caller means to write; other content is refused first.
        """
        frame = to_frame(rows)
        self._check_frame(frame, key)
        digest = content_hash(frame, key, self.duckdb)
        if expected_hash is not None and digest != expected_hash:
            raise MedcostError(
                f"{self._where}: the rows to write are not the expected ones "
                f"(content hash {digest[:12]}..., expected {expected_hash[:12]}...): nothing written"
            )
        years = sorted(int(y) for y in frame["year"].unique())
        fs = self._store()
        fg = self._call(
            "opening",
            fs.get_or_create_feature_group,
            name=self.table,
            version=self.version,
            description="medcost client features (no load yet)",
            online_enabled=False,
            time_travel_format="DELTA",
            primary_key=list(key),
            event_time=EVENT_TIME_COLUMN,
        )
        commit: int | None = None
        if fg.id is not None:  # the feature group exists: check its schema and last load
            self._check_feature_group(fg, key)
            latest = self._latest_commit(fg)
            mark = _MARKER.search(fg.description or "")
            if latest is not None and mark and mark["hash"] == digest and int(mark["commit"]) == latest:
                log.info("%s commit %d already holds these rows: nothing to write", self._where, latest)
                commit = latest
            elif latest is not None:
                self._remove_stale(fg, frame, key, years)
        if commit is None:
            self._call("inserting rows", fg.insert, frame, operation="upsert", write_options={"wait_for_job": True})
            commit = self._latest_commit(fg)
            if commit is None:
                raise MedcostError(f"{self._where}: the insert left no commit (is time travel enabled?)")
            self._call("recording the content hash", fg.update_description, _marker(digest, commit))
            log.info("upserted %d rows (years %s) into %s: commit %d", len(frame), years, self._where, commit)
        return LoadReceipt(
            backend=BACKEND,
            table=f"{self.table}_v{self.version}",
            version=commit,
            rows=len(frame),
            years=years,
            key=list(key),
            columns=list(frame.columns),
            content_hash=digest,
            dtypes={str(c): str(t) for c, t in frame.dtypes.items()},
        )

    def scan(self, receipt: LoadReceipt) -> pa.Table:
        """The rows of :meth:`read` as an Arrow table (read through pandas: the client reads pandas frames)."""
        return pa.Table.from_pandas(self.read(receipt), preserve_index=False)

    def read(self, receipt: LoadReceipt) -> pd.DataFrame:
        """The rows of the receipt's years at the receipt's commit, sorted by the key."""
        expected = f"{self.table}_v{self.version}"
        if receipt.backend != BACKEND or receipt.table != expected:
            raise MedcostError(
                f"{self._where}: the load receipt is for {receipt.backend} table "
                f"{receipt.table}, not hopsworks table {expected}"
            )
        commit = receipt.version
        columns = list(receipt.columns)
        fs = self._store()
        fg = self._call("opening", fs.get_feature_group, name=self.table, version=self.version)
        if fg is None:
            raise MedcostError(f"{self._where}: does not exist (was the load stage run against this cluster?)")
        latest = self._latest_commit(fg)
        if latest == commit:
            frame = self._call(f"reading commit {commit}", lambda: fg.select(columns).read(dataframe_type="pandas"))
        else:
            # The newest snapshot is not the receipt's: time travel. The hopsworks client
            # only allows it with the Spark engine (a Python client gets FeatureStoreException).
            log.info("%s moved on to commit %s: reading commit %d by time travel", self._where, latest, commit)
            frame = self._call(
                f"reading commit {commit} (no longer the newest, {latest}; time travel needs the Spark engine, "
                "or re-run the load stage)",
                fg.read,
                wallclock_time=commit,
                dataframe_type="pandas",
            )
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise MedcostError(f"{self._where} commit {commit}: missing columns {', '.join(missing)}")
        frame = frame.loc[frame["year"].isin(receipt.years), columns]
        frame = _restore_dtypes(frame, receipt.dtypes or {})
        return frame.sort_values(receipt.key, kind="stable").reset_index(drop=True)

    # -- helpers ------------------------------------------------------------------------

    def _check_frame(self, frame: pd.DataFrame, key: list[str]) -> None:
        needed = [c for c in [*key, "year", EVENT_TIME_COLUMN] if c not in frame.columns]
        if needed:
            raise MedcostError(f"{self._where}: the feature table has no column {', '.join(dict.fromkeys(needed))}")
        renamed = [c for c in frame.columns if not re.fullmatch(r"[a-z_][a-z0-9_]*", str(c))]
        if renamed:  # Hopsworks would lower-case them / replace spaces, and reads would not find them
            raise MedcostError(
                f"{self._where}: column names must be lower case letters, digits and _ "
                f"for Hopsworks: {', '.join(map(str, renamed))}"
            )
        if frame.duplicated(key).any():
            raise MedcostError(f"{self._where}: the feature table repeats key ({', '.join(key)}) values")

    def _check_feature_group(self, fg: Any, key: list[str]) -> None:
        if sorted(fg.primary_key or []) != sorted(key) or (fg.event_time or None) != EVENT_TIME_COLUMN:
            raise MedcostError(
                f"{self._where} exists with primary key {fg.primary_key} and event time {fg.event_time}, "
                f"not {list(key)} and {EVENT_TIME_COLUMN}: raise load.hopsworks_version for the new schema"
            )

    def _remove_stale(self, fg: Any, frame: pd.DataFrame, key: list[str], years: list[int]) -> None:
        """Remove the loaded years' rows whose key is not in ``frame`` (as the Delta merge does)."""
        columns = list(dict.fromkeys([*key, "year", EVENT_TIME_COLUMN]))
        current = self._call("reading the current keys", lambda: fg.select(columns).read(dataframe_type="pandas"))
        current = current.loc[current["year"].isin(years)]
        gone = current.merge(frame[key].drop_duplicates(), on=key, how="left", indicator=True)
        gone = gone.loc[gone["_merge"] == "left_only", columns].reset_index(drop=True)
        if len(gone):
            self._call("removing rows gone from the source", fg.remove_rows, gone)
            log.info(
                "removed %d rows of years %s from %s that are no longer in the feature table",
                len(gone),
                years,
                self._where,
            )


def _restore_dtypes(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Give the columns read back the dtypes they were written with (dates, ints, floats)."""
    frame = frame.copy()
    for column, dtype in dtypes.items():
        if column not in frame.columns or str(frame[column].dtype) == dtype:
            continue
        values = frame[column]
        try:
            if dtype == "object" and pd.api.types.is_datetime64_any_dtype(values):
                frame[column] = pd.Series(
                    [None if pd.isna(v) else v.date() for v in values], index=values.index, dtype=object
                )
            else:
                frame[column] = values.astype(dtype)
        except (TypeError, ValueError):
            log.warning("column %s read back as %s, written as %s: left as read", column, values.dtype, dtype)
    return frame
