"""The raw tables: name, key, and the Arrow type of every column (the data contract in code)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Dict, Tuple

import pyarrow as pa

MONEY = pa.decimal128(18, 2)
TIMESTAMP = pa.timestamp("us", tz="UTC")

_TYPES = {
    "str": pa.string(),
    "date": pa.date32(),
    "money": MONEY,
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "ts": TIMESTAMP,
    "binary": pa.binary(),
}


@dataclass(frozen=True)
class Table:
    """One raw table: its key columns and its columns in order, each with a short type name."""

    name: str
    key: Tuple[str, ...]
    columns: Tuple[Tuple[str, str], ...]
    doc: str

    @cached_property
    def schema(self) -> pa.Schema:
        # session_id is the merge key of every table and never null; other key parts may be
        # (a null statement_id, the session-level report).
        return pa.schema([pa.field(c, _TYPES[t], nullable=c != "session_id") for c, t in self.columns])

    @property
    def column_names(self) -> Tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


# Columns shared by every transaction-like list (transactions, salary, lender, top credits, ...).
# `metadata {unclean_merchant, transaction_channel, description}` and the top-level variant of the
# same fields land in the same columns.
TRANSACTION_COLUMNS: Tuple[Tuple[str, str], ...] = (
    ("hash", "str"),
    ("date", "date"),
    ("transaction_type", "str"),
    ("amount", "money"),
    ("balance", "money"),
    ("transaction_note", "str"),
    ("chq_num", "str"),
    ("category", "str"),
    ("transaction_channel", "str"),
    ("description", "str"),
    ("merchant_category", "str"),
    ("unclean_merchant", "str"),
)

_ACCOUNT = (("session_id", "str"), ("account_id", "str"))


def _t(name: str, key: Tuple[str, ...], columns, doc: str) -> Table:
    return Table(name, key, tuple(columns), doc)


TABLES: Dict[str, Table] = {
    t.name: t
    for t in [
        _t("sessions", ("session_id",), [
            ("session_id", "str"), ("status", "str"), ("error_code", "str"), ("error_message", "str"),
            ("insights_available", "bool"), ("payload_session_id", "str"), ("link_id", "str"),
            ("from_date", "date"), ("to_date", "date"), ("account_count", "int"),
            ("first_seen_at", "ts"), ("last_checked_at", "ts"), ("data_loaded_at", "ts"),
            ("data_load_id", "str"),
        ], "one row per requested session: its latest status and error; data_load_id is the load "
           "whose rows are current for it"),
        _t("accounts", ("session_id", "account_id"), [
            *_ACCOUNT, ("seq", "int"), ("bank_name", "str"), ("full_bank_name", "str"),
            ("account_number", "str"), ("account_status", "str"), ("error_code", "str"),
            ("error_message", "str"), ("account_category", "str"), ("account_type", "str"),
            ("name", "str"), ("created_at", "ts"), ("last_updated_at", "ts"), ("attempt_types", "str"),
        ], "accounts of a session from session_status"),
        _t("statements", ("session_id", "account_id", "seq"), [
            *_ACCOUNT, ("seq", "int"), ("statement_id", "str"), ("statement_status", "str"),
            ("error_code", "str"), ("error_message", "str"), ("source", "str"),
            ("upload_file_name", "str"), ("from_date", "date"), ("to_date", "date"), ("created_at", "ts"),
        ], "statements of an account from session_status (statement_id may be null)"),
        _t("account_details", ("session_id", "account_id"), [
            *_ACCOUNT, ("name", "str"), ("address", "str"), ("account_category", "str"),
            ("account_number", "str"), ("account_opening_date", "date"), ("bank", "str"),
            ("credit_limit", "money"), ("od_limit", "money"), ("ifsc", "str"), ("micr", "str"),
            ("salary_confidence", "float"), ("country_code", "str"), ("currency_code", "str"),
            ("pan_number", "str"), ("phone_number", "str"), ("email", "str"), ("dob", "date"),
            ("account_status", "str"), ("holder_type", "str"),
            ("account_from_date", "date"), ("account_to_date", "date"),
            ("transaction_from_date", "date"), ("transaction_to_date", "date"),
            ("starting_balance", "money"), ("statement_ids", "str"), ("name_matches", "str"),
        ], "insights account_details, one row per account"),
        _t("account_months", ("session_id", "account_id", "month"), [
            *_ACCOUNT, ("month", "date"), ("is_listed", "bool"), ("is_uploaded", "bool"),
            ("eod_start_date", "date"),
        ], "months of an account: listed in months[], uploaded_months[], and eod_balances' first day"),
        _t("transactions", ("session_id", "account_id", "seq"),
           [*_ACCOUNT, ("seq", "int"), *TRANSACTION_COLUMNS],
           "every transaction in statement order"),
        _t("salary_transactions", ("session_id", "account_id", "seq"),
           [*_ACCOUNT, ("seq", "int"), *TRANSACTION_COLUMNS, ("employer_name", "str"), ("salary_month", "date")],
           "salary credits with employer and the month they pay for"),
        _t("lender_transactions", ("session_id", "account_id", "seq"),
           [*_ACCOUNT, ("seq", "int"), *TRANSACTION_COLUMNS], "transactions with lenders"),
        _t("self_and_sister_transactions", ("session_id", "account_id", "seq"),
           [*_ACCOUNT, ("seq", "int"), *TRANSACTION_COLUMNS], "transfers between the holder's own accounts"),
        _t("bounced_or_penal_transactions", ("session_id", "account_id", "seq"),
           [*_ACCOUNT, ("seq", "int"), *TRANSACTION_COLUMNS], "bounces and penal charges"),
        _t("top_credits_debits", ("session_id", "account_id", "type", "month", "rank"),
           [*_ACCOUNT, ("type", "str"), ("month", "date"), ("rank", "int"), *TRANSACTION_COLUMNS],
           "top 5 credits/debits per month; rank 1 is the first listed"),
        _t("recurring_transaction_groups", ("session_id", "account_id", "direction", "group_seq"), [
            *_ACCOUNT, ("direction", "str"), ("group_seq", "int"), ("transaction_channel", "str"),
            ("clean_transaction_note", "str"), ("median", "money"), ("start_date", "date"),
            ("end_date", "date"), ("transaction_count", "int"),
        ], "recurring_transactions groups (direction debit/credit)"),
        _t("recurring_transactions", ("session_id", "account_id", "direction", "group_seq", "seq"),
           [*_ACCOUNT, ("direction", "str"), ("group_seq", "int"), ("seq", "int"), *TRANSACTION_COLUMNS],
           "the transactions of each recurring group"),
        _t("monthly_analysis", ("session_id", "account_id", "month", "metric"), [
            *_ACCOUNT, ("month", "date"), ("metric", "str"), ("value", "float"), ("value_text", "str"),
        ], "the API's monthly metrics, long: value, or value_text when not a number"),
        _t("aggregate_monthly_analysis", ("session_id", "month", "metric"), [
            ("session_id", "str"), ("month", "date"), ("metric", "str"), ("value", "float"), ("value_text", "str"),
        ], "the API's monthly metrics across all accounts of a session"),
        _t("predictors", ("session_id", "account_id", "name"), [
            *_ACCOUNT, ("name", "str"), ("value", "float"), ("value_text", "str"),
        ], "every predictor key; value (booleans 1/0), value_text when not a number"),
        _t("predictors_monthly", ("session_id", "account_id", "month_index", "metric"), [
            *_ACCOUNT, ("month_index", "int"), ("metric", "str"), ("month", "date"),
            ("value", "float"), ("value_text", "str"),
        ], "indexed predictor families (metric_0..metric_11), month resolved from month_N"),
        _t("eod_balances", ("session_id", "account_id", "date"), [
            *_ACCOUNT, ("date", "date"), ("balance", "money"),
        ], "end-of-day balance for every day that has one"),
        _t("fraud", ("session_id", "account_id", "seq"), [
            *_ACCOUNT, ("seq", "int"), ("statement_id", "str"), ("fraud_type", "str"),
            ("fraud_category", "str"), ("transaction_hash", "str"),
        ], "fraud flags"),
        _t("fraud_details", ("session_id", "account_id", "level", "seq"), [
            *_ACCOUNT, ("level", "str"), ("seq", "int"), ("statement_id", "str"), ("fraud_type", "str"),
            ("fraud_category", "str"), ("transaction_hash", "str"), ("value_json", "str"),
        ], "fraud_details.statement[] and .account[] (level statement/account), item kept as JSON"),
        _t("missing_data", ("session_id", "account_id", "seq"), [
            *_ACCOUNT, ("seq", "int"), ("from_date", "date"), ("to_date", "date"),
        ], "date ranges the statements do not cover"),
        _t("reports", ("session_id", "account_id", "kind"), [
            *_ACCOUNT, ("kind", "str"), ("url", "str"), ("expires_at", "ts"),
        ], "report URLs (account_id null for the session-level report); presigned, expire at expires_at"),
        _t("statement_stats", ("session_id", "account_id", "seq"), [
            *_ACCOUNT, ("seq", "int"), ("statement_id", "str"), ("bank", "str"), ("source", "str"),
            ("upload_file_name", "str"), ("page_count", "int"), ("transaction_count", "int"),
            ("first_transaction_date", "date"), ("last_transaction_date", "date"),
            ("from_date", "date"), ("to_date", "date"), ("is_scanned_pdf", "bool"),
        ], "per-statement statistics"),
        _t("expense_categories", ("session_id", "account_id", "seq"), [
            *_ACCOUNT, ("seq", "int"), ("category", "str"), ("percentage", "float"),
        ], "share of spend per category"),
        _t("score", ("session_id", "account_id"), [*_ACCOUNT, ("score", "float")],
           "the account's score (300-900)"),
        _t("unknown_fields", ("session_id", "account_id", "path"), [
            *_ACCOUNT, ("path", "str"), ("value_json", "str"),
        ], "any key the source does not know yet, kept as JSON (account_id null at session level)"),
        _t("raw_payloads", ("session_id", "kind"), [
            ("session_id", "str"), ("kind", "str"), ("fetched_at", "ts"), ("size_bytes", "int"),
            ("payload_zstd", "binary"),
        ], "the fetched documents as sent (zstd), kind session_status/insights: `bankconnect rebuild` "
           "re-reads them without the API"),
        _t("data_issues", ("session_id", "account_id", "seq"), [
            *_ACCOUNT, ("seq", "int"), ("part", "str"), ("issue", "str"), ("detail", "str"),
        ], "values that could not be read as documented (what was kept, what was coerced)"),
    ]
}

# Tables whose rows come from a session's documents (replaced as a whole when a session is re-fetched).
SESSION_DATA_TABLES = tuple(name for name in TABLES if name != "sessions")
# Kept for rebuilding, not for analysis: left out of a default export.
ARCHIVE_TABLES = ("raw_payloads",)

# What every raw column means, by name (a name means the same in every table), and the unit of
# money columns. Written into the database as `COMMENT ON COLUMN` (pipelines/descriptions.py).
_MONEY = "INR, DECIMAL(18,2), exact as sent"
COLUMN_DOCS: Dict[str, str] = {
    # keys
    "session_id": "BankConnect session id as requested (the key of every table)",
    "account_id": "FinBox account id within the session",
    "seq": "0-based position of the item in its list in the payload (statement order)",
    "statement_id": "FinBox statement id (may be null in the API's own examples)",
    "month": "calendar month, DATE on the 1st",
    "metric": "the API's metric name (key in the payload)",
    "name": "key name as sent by the API",
    "kind": "document or report kind",
    "path": "JSON path of the key in the payload",
    "level": "where the flag sits: statement or account",
    "direction": "debit or credit",
    "group_seq": "0-based position of the recurring group in its list",
    "type": "credit or debit",
    "rank": "1-based position within the month's top list (1 = first listed)",
    "month_index": "index N of metric_N: 0 is the latest month",
    # transactions
    "hash": "FinBox transaction hash (unique per transaction in an account)",
    "date": "transaction or balance date (DATE)",
    "transaction_type": "debit or credit",
    "amount": f"transaction amount, always positive ({_MONEY})",
    "balance": f"account balance after the transaction / at end of day ({_MONEY})",
    "transaction_note": "narration as printed on the statement (free text from the bank or the payer)",
    "chq_num": "cheque or reference number",
    "category": "FinBox spend/income category",
    "transaction_channel": "FinBox channel (upi, net_banking_transfer, auto_debit_payment, cash_withdrawl, ...)",
    "description": "FinBox description tag (lender_transaction, self_transfer, chq_bounce_charge, ...)",
    "merchant_category": "FinBox merchant category",
    "unclean_merchant": "merchant or counterparty name as read from the narration",
    "employer_name": "employer that paid the salary",
    "salary_month": "month the salary pays for, DATE on the 1st",
    # sessions
    "status": "latest status: completed, pending, not_requested, not_found, deleted or failed",
    "error_code": "the API's error code, null when none",
    "error_message": "the API's error message, null when none",
    "insights_available": "whether the API reported insights ready",
    "payload_session_id": "session_id inside the payload when it differs from the requested one",
    "link_id": "the link id the session was created with",
    "from_date": "first day of the range (DATE)",
    "to_date": "last day of the range (DATE)",
    "account_count": "accounts in the session",
    "first_seen_at": "when this tool first saw the session (UTC)",
    "last_checked_at": "when this tool last asked the API about the session (UTC)",
    "data_loaded_at": "when the session's current rows were loaded (UTC)",
    "data_load_id": "dlt load id whose rows are current for the session",
    # accounts and details
    "bank_name": "bank short name",
    "full_bank_name": "bank full name",
    "bank": "bank short name",
    "account_number": "account number as sent (masked or hashed with --pii)",
    "account_status": "account status from the API",
    "account_category": "account category (individual, corporate, ...)",
    "account_type": "account type (savings, current, ...)",
    "created_at": "when FinBox created it (UTC)",
    "last_updated_at": "when FinBox last updated it (UTC)",
    "attempt_types": "how the statements were obtained (comma separated)",
    "statement_status": "statement processing status",
    "source": "how the statement arrived (pdf, aa, netbanking, ...)",
    "upload_file_name": "uploaded file name",
    "address": "holder address (personal data: see --pii)",
    "account_opening_date": "date the account was opened",
    "credit_limit": f"credit limit ({_MONEY})",
    "od_limit": f"overdraft limit ({_MONEY})",
    "ifsc": "IFSC code of the branch",
    "micr": "MICR code of the branch",
    "salary_confidence": "FinBox confidence that salary was detected (0-100)",
    "country_code": "country code",
    "currency_code": "currency code (INR)",
    "pan_number": "holder PAN (personal data: see --pii)",
    "phone_number": "holder phone (personal data: see --pii)",
    "email": "holder email (personal data: see --pii)",
    "dob": "holder date of birth (personal data: see --pii)",
    "holder_type": "holder type",
    "account_from_date": "first day the account's statements cover",
    "account_to_date": "last day the account's statements cover",
    "transaction_from_date": "date of the first transaction",
    "transaction_to_date": "date of the last transaction",
    "starting_balance": f"balance before the first transaction ({_MONEY})",
    "statement_ids": "statement ids of the account (comma separated)",
    "name_matches": "name-match results as JSON",
    "is_listed": "month listed in account_details months[]",
    "is_uploaded": "month listed in uploaded_months[]",
    "eod_start_date": "first day of the month's eod_balances list",
    # recurring, metrics, predictors
    "clean_transaction_note": "the narration FinBox grouped the recurring transactions by",
    "median": f"median amount of the group ({_MONEY})",
    "start_date": "first transaction date of the group",
    "end_date": "last transaction date of the group",
    "transaction_count": "number of transactions",
    "value": "numeric value (booleans as 1/0); amounts in INR",
    "value_text": "the value when it is not a number",
    # fraud, missing data, reports, stats
    "fraud_type": "fraud flag type",
    "fraud_category": "fraud flag category",
    "transaction_hash": "hash of the transaction the flag points at",
    "value_json": "the item as sent, JSON",
    "url": "presigned report URL (expires at expires_at)",
    "expires_at": "when the URL stops working (UTC)",
    "page_count": "pages in the statement",
    "first_transaction_date": "date of the statement's first transaction",
    "last_transaction_date": "date of the statement's last transaction",
    "is_scanned_pdf": "whether the statement was a scanned PDF",
    "percentage": "share of spend, percent (0-100)",
    "score": "FinBox score of the account (300-900)",
    "fetched_at": "when the document was fetched (UTC)",
    "size_bytes": "uncompressed document size, bytes",
    "payload_zstd": "the document as sent, zstd-compressed JSON",
    "part": "which part of the payload",
    "issue": "what could not be read as documented",
    "detail": "what was kept or coerced",
    # dlt's own
    "_dlt_load_id": "dlt load id that wrote the row",
    "_dlt_id": "dlt row id",
}

# Where a column means something narrower in one table than its name says.
TABLE_COLUMN_DOCS: Dict[Tuple[str, str], str] = {
    ("accounts", "name"): "account holder name (personal data: see --pii)",
    ("account_details", "name"): "account holder name (personal data: see --pii)",
    ("account_months", "month"): "month of the account, DATE on the 1st",
    ("predictors", "name"): "predictor key as sent by the API",
    ("predictors_monthly", "metric"): "predictor family (the key without its _N suffix)",
    ("predictors_monthly", "month"): "month resolved from month_N, DATE on the 1st",
    ("missing_data", "from_date"): "first day not covered by the statements",
    ("missing_data", "to_date"): "last day not covered by the statements",
    ("reports", "kind"): "xlsx or xml",
    ("raw_payloads", "kind"): "session_status or insights",
    ("sessions", "from_date"): "first day the session covers",
    ("sessions", "to_date"): "last day the session covers",
    ("statements", "from_date"): "first day the statement covers",
    ("statements", "to_date"): "last day the statement covers",
    ("statement_stats", "from_date"): "first day the statement covers",
    ("statement_stats", "to_date"): "last day the statement covers",
    ("eod_balances", "date"): "the day (DATE)",
    ("eod_balances", "balance"): f"end-of-day balance ({_MONEY})",
}


def column_doc(table: str, column: str) -> str:
    """What a raw column means (KeyError for a column nobody documented: tests keep this complete)."""
    return TABLE_COLUMN_DOCS.get((table, column)) or COLUMN_DOCS[column]
