"""The ingest stage: parse -> validate -> pseudonymise -> stage -> publish (see DESIGN.md).

Parsing (hub/ingest/parse.py): a spooled file on disk in, DataFrame chunks of text with
the sender's row numbers out, in bounded memory. The pipeline (pipeline.py) takes an upload
from `received` to `published` or `rejected`; service.py holds the use cases the API and CLI
call; jobs.py runs uploads in worker threads or, with HUB_REDIS_URL, `hub worker` processes.
The dataset tables the pipeline loads into are hub.store's.
"""

from .background import (
    ingest_stopping,
    prepare_ingest,
    start_background,
    stop_background,
    stop_ingest,
)
from .jobs import embedded_runner, enqueue, run_upload_job, use_app_for_jobs
from .lifecycle import discard_spool, recover_stale_uploads, spool_path
from .parse import DEFAULT_CHUNK_SIZE, ROW, ParsedFeed, parse_file
from .parse_errors import ParseError
from .parse_format import CSV, NDJSON, PARQUET, detect_format
from .parse_header import HeaderMap, map_header, normalise_column_name
from .pipeline import process_upload
from .readers import ParseStats, open_csv, open_ndjson, open_parquet
from .schemas import UploadOut
from .schemas import detail as upload_detail
from .service import (
    UploadNotFound,
    authorize_upload,
    get_upload,
    list_uploads,
    submit_upload,
    withdraw_upload,
)
from .spool import SpooledFile, spool
from .state import init_app, keyring, on_rows_removed
from .transform import ChunkResult, ChunkTransformer

__all__ = [
    "CSV",
    "ChunkResult",
    "ChunkTransformer",
    "DEFAULT_CHUNK_SIZE",
    "NDJSON",
    "PARQUET",
    "ROW",
    "HeaderMap",
    "ParseError",
    "ParseStats",
    "ParsedFeed",
    "SpooledFile",
    "UploadNotFound",
    "UploadOut",
    "authorize_upload",
    "detect_format",
    "discard_spool",
    "embedded_runner",
    "enqueue",
    "get_upload",
    "init_app",
    "keyring",
    "on_rows_removed",
    "list_uploads",
    "map_header",
    "normalise_column_name",
    "open_csv",
    "open_ndjson",
    "open_parquet",
    "parse_file",
    "prepare_ingest",
    "process_upload",
    "recover_stale_uploads",
    "run_upload_job",
    "spool",
    "spool_path",
    "start_background",
    "stop_background",
    "stop_ingest",
    "ingest_stopping",
    "submit_upload",
    "upload_detail",
    "use_app_for_jobs",
    "withdraw_upload",
]
