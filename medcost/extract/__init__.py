"""The extract stage: bound SQL queries on the source database, streamed to typed Parquet files."""

from medcost.extract.check import require_written_as_fingerprinted, written_fingerprint
from medcost.extract.convert import ARROW_TYPES, arrow_schema, convert_array, convert_column
from medcost.extract.fingerprint import (
    require_same_identity,
    require_unchanged,
    source_fingerprint,
    table_fingerprint,
)
from medcost.extract.readers import bound_query, driver_uri, literal_query, why_not_arrow
from medcost.extract.source import SOURCE_URL_ENV, connect, source_url
from medcost.extract.stream import choose_reader, extract_table, extract_tables, read_query, stream_query

__all__ = [
    "ARROW_TYPES",
    "SOURCE_URL_ENV",
    "arrow_schema",
    "bound_query",
    "choose_reader",
    "connect",
    "convert_array",
    "convert_column",
    "driver_uri",
    "extract_table",
    "extract_tables",
    "literal_query",
    "read_query",
    "require_same_identity",
    "require_unchanged",
    "require_written_as_fingerprinted",
    "source_fingerprint",
    "source_url",
    "stream_query",
    "table_fingerprint",
    "why_not_arrow",
    "written_fingerprint",
]
