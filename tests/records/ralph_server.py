"""Run Ralph's LRS (filesystem backend) for the tests; executed by the Python of Ralph's own venv.

Ralph 5.1.0's filesystem LRS backend writes every POST with the ``create`` operation into one file, so the second
POST of new statements fails ("fs_lrs.jsonl already exists and overwrite is not allowed", HTTP 500). The
filesystem backend is meant for development; we make its writes append, which is what an LRS needs, and leave
everything else (validation, duplicate ids, 409 on conflicts, queries) as Ralph does it.

Usage: python ralph_server.py PORT
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
