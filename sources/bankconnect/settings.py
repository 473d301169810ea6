"""Constants: names users rely on, endpoints, error-code outcomes, session statuses and defaults."""

# Names in the data contract: the dlt source and pipeline, the raw tables' schema (dlt dataset) and
# the models' schema. Every module takes them from here.
SOURCE_NAME = "bankconnect"
PIPELINE_NAME = "bankconnect"
RAW_SCHEMA = "bankconnect"
MODELS_SCHEMA = "analytics"

# Personal-data modes (see pii.py) and the default.
PII_MODES = ("keep", "mask", "hash", "drop")
DEFAULT_PII_MODE = "keep"

DEFAULT_BASE_URL = "https://apis.bankconnect.finbox.in/bank-connect/v1"
SESSION_STATUS_PATH = "/session_data/{session_id}/session_status/"
INSIGHTS_PATH = "/session_data/{session_id}/insights/"

API_KEY_HEADER = "x-api-key"
SERVER_HASH_HEADER = "server-hash"

# Session statuses recorded in the `sessions` table (the data contract's list).
COMPLETED = "completed"
PENDING = "pending"
NOT_REQUESTED = "not_requested"
NOT_FOUND = "not_found"
DELETED = "deleted"
FAILED = "failed"

# Documented error codes -> session status. ACCESS_DENIED is not a session outcome: it stops the run.
ERROR_CODE_STATUS = {
    "SESSION_NOT_FOUND": NOT_FOUND,
    "SESSION_DELETED": DELETED,
    "PROCESSING_NOT_REQUESTED": NOT_REQUESTED,
    "PROCESSING_NOT_COMPLETED": PENDING,
}
AUTH_ERROR_CODES = frozenset({"ACCESS_DENIED", "PAYMENT_REQUIRED"})
AUTH_HTTP_STATUSES = frozenset({401, 402, 403})

# Error codes this pipeline records itself when a session could not be loaded.
TRANSIENT_FAILURE = "RETRIES_EXHAUSTED"
INVALID_PAYLOAD = "INVALID_PAYLOAD"
ALL_ACCOUNTS_FAILED = "ALL_ACCOUNTS_FAILED"

# Statuses a later `bankconnect load` picks up again without being told (error codes for `failed`).
RETRY_STATUSES = frozenset({PENDING, NOT_REQUESTED})
RETRY_FAILURE_CODES = frozenset({TRANSIENT_FAILURE})

# Session ids go into URL paths: letters, digits, '-' and '_' only (UUIDs, 'abcd').
SESSION_ID_PATTERN = r"[A-Za-z0-9_-]{1,128}"

# HTTP defaults: adaptive concurrency (requests in flight start at DEFAULT_WORKERS and grow while the
# API answers cleanly and faster, up to DEFAULT_MAX_WORKERS; `workers` pins them) and bounded
# retries with exponential backoff.
DEFAULT_WORKERS = 4
DEFAULT_MAX_WORKERS = 32
REQUEST_TIMEOUT_SECONDS = 60.0
REQUEST_MAX_ATTEMPTS = 6
REQUEST_BACKOFF_FACTOR = 0.5
REQUEST_MAX_RETRY_DELAY_SECONDS = 30.0

# Rows buffered across sessions before a batch is handed to dlt (bounds memory, amortises overhead).
BATCH_ROWS = 100_000
