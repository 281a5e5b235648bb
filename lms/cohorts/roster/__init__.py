"""Roster import (see ``jobs`` for the phases): ``reading`` checks each row, ``staging`` loads the staging table
(COPY on PostgreSQL), ``applying`` checks across rows and applies, set-based."""

from lms.cohorts.roster.jobs import (
    PHASES,
    REPORT_LIMIT,
    SERVER_ERROR,
    create_import,
    errors_of,
    import_stored_file,
    job_json,
    run_import,
    server_failure,
    stalled_imports,
    store_upload,
)
from lms.cohorts.roster.reading import COLUMNS, EXAMPLE, RosterFileError
from lms.cohorts.roster.reasons import translate as translate_reason
from lms.cohorts.roster.staging import BATCH_SIZE

__all__ = ["BATCH_SIZE", "COLUMNS", "EXAMPLE", "PHASES", "REPORT_LIMIT", "SERVER_ERROR", "RosterFileError",
           "create_import", "errors_of", "import_stored_file", "job_json", "run_import", "server_failure",
           "stalled_imports", "store_upload", "translate_reason"]
