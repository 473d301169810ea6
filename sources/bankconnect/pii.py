"""Personal data in the raw tables kept, masked, keyed-hashed or dropped (Arrow tables in, Arrow tables out)."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple, Union

import pyarrow as pa
import pyarrow.compute as pc

from .settings import DEFAULT_PII_MODE, PII_MODES  # noqa: F401 (re-exported: the modes live with the names)

_TRANSACTION_TABLES = (
    "transactions", "salary_transactions", "lender_transactions", "self_and_sister_transactions",
    "bounced_or_penal_transactions", "top_credits_debits", "recurring_transactions",
)

# Which column gets which treatment (the code reads this table; TREATMENTS says what each kind does).
PII_COLUMNS: Dict[str, Dict[str, str]] = {
    "accounts": {"account_number": "account_number", "name": "name"},
    "account_details": {
        "name": "name", "address": "address", "account_number": "account_number", "pan_number": "pan",
        "phone_number": "phone", "email": "email", "dob": "dob", "name_matches": "redact",
    },
    **{t: {"transaction_note": "note", "unclean_merchant": "note"} for t in _TRANSACTION_TABLES},
    "recurring_transaction_groups": {"clean_transaction_note": "note"},
    "statements": {"upload_file_name": "note"},
    "statement_stats": {"upload_file_name": "note"},
    "fraud_details": {"value_json": "note"},
    "unknown_fields": {"value_json": "unknown_json"},
    "data_issues": {"detail": "issue_detail"},
}

# predictors rows whose `name` is one of these: `value_text` gets the kind's treatment, `value` becomes null
# (the account number also reads as a number). The docs_insights.json predictors carry accountnumber,
# customer_name, phone_number, pan_number, email and dob.
PII_PREDICTORS: Dict[str, str] = {
    "accountnumber": "account_number", "account_number": "account_number",
    "customer_name": "name", "name": "name", "pan_number": "pan", "phone_number": "phone",
    "email": "email", "dob": "dob", "address": "address",
}

# What each kind becomes per mode ("keep" leaves everything as it is). Blank strings stay blank under
# mask and hash. hash = "h:" + the first 16 hex of HMAC-SHA256(key, value stripped, upper-cased,
# whitespace collapsed).
TREATMENTS: Dict[str, Dict[str, str]] = {
    "account_number": {"mask": "last 4 characters kept, the rest 'X' (all 'X' when 4 or fewer)",
                       "hash": "hash", "drop": "null"},
    "name": {"mask": "each word's first character kept, every further letter/digit '*'",
             "hash": "hash of the whole name", "drop": "null"},
    "address": {"mask": "the 6-digit PIN code (last one found, '560 001' read as '560001'), else null",
                "hash": "hash", "drop": "null"},
    "pan": {"mask": "last character kept, the rest 'X' ('ABCDE1234F' -> 'XXXXXXXXXF')",
            "hash": "hash", "drop": "null"},
    "phone": {"mask": "last 2 digits kept, other digits 'X', other characters kept",
              "hash": "hash", "drop": "null"},
    "email": {"mask": "first character + '***' + '@domain' ('***' whatever the length)",
              "hash": "hash", "drop": "null"},
    "dob": {"mask": "null", "hash": "null", "drop": "null"},
    "redact": {"mask": "null", "hash": "null", "drop": "null"},
    "note": {"mask": "holder terms masked in place (name token 'ASHA' -> 'A***', account number as above)",
             "hash": "holder terms replaced by their hash (a token hashes like a one-word name)",
             "drop": "holder terms removed with the whitespace before them (or else after them), "
                     "separators kept ('.../ASHA KUMARI /UPI' -> '...//UPI'); null when nothing is left"},
    "unknown_json": {"mask": "null when the key looks personal (name, phone, mobile, email, pan, dob, birth, "
                             "address, account number, aadhaar), else as note",
                     "hash": "same, hash", "drop": "same, drop"},
    "issue_detail": {"mask": "null when `part` is a personal column above (the detail echoes the value), "
                             "else as note",
                     "hash": "same, hash", "drop": "same, drop"},
}

# Holder terms scrubbed from notes, per session (a session is one applicant: its sister accounts'
# numbers and co-holders' names are scrubbed from every account's notes):
# name tokens = words of >= 3 letters of accounts.name, account_details.name and the predictors of kind
# "name", minus the honorifics and company forms below; account numbers = runs of >= 6 digits in the
# account-number columns and predictors (also without leading zeros). Tokens match case-insensitively
# as whole words (not next to another letter: "268652272235/ASHA" matches, "ASHAKUMARI" does not);
# numbers match when not next to another digit.
_NOT_NAMES = frozenset({
    "MR", "MRS", "MS", "MISS", "DR", "SHRI", "SRI", "SMT", "KUM", "MISTER", "THE", "AND",
    "PVT", "PRIVATE", "LTD", "LIMITED", "LLP", "ENTERPRISES", "ENTERPRISE", "COMPANY",
})
_NAME_TOKEN = re.compile(r"[^\W\d_]{3,}")
_DIGIT_RUN = re.compile(r"\d{6,}")
_PIN = re.compile(r"(?<!\d)(\d{3}) ?(\d{3})(?!\d)")
_PERSONAL_KEY_PARTS = frozenset({
    "name", "phone", "mobile", "email", "mail", "pan", "dob", "birth", "address", "accountnumber",
    "aadhaar", "aadhar",
})

_MAX_RUNS = 1_000  # more runs of one session than this (and than rows / 20): no per-session pre-search

Scrub = Callable[[str], Optional[str]]


def apply_pii(tables: Dict[str, pa.Table], mode: str, hash_key: Optional[bytes] = None) -> Dict[str, pa.Table]:
    """The tables with their personal data treated as `mode` says (see PII_COLUMNS and TREATMENTS).

    Args:
        tables: table name -> Arrow table (as `flatten_session` returns them); tables and columns not in
            PII_COLUMNS pass through as they are.
        mode: one of PII_MODES: keep, mask, hash or drop.
        hash_key: the HMAC key, required (non-empty) for mode "hash"; the same key gives the same
            hashes across sessions and tables, so joins on hashed columns still work.

    Returns:
        A new dict with every table's schema unchanged; for "keep", `tables` itself.

    Raises:
        ValueError: an unknown mode, or mode "hash" without a key.
    """
    if mode not in PII_MODES:
        raise ValueError(f"unknown PII mode {mode!r}: expected one of {', '.join(PII_MODES)}")
    if mode == "keep":
        return tables
    if mode == "hash" and not hash_key:
        raise ValueError("hash mode needs a key (hash_key): HMAC-SHA256 with a secret key keeps hashes "
                         "stable and not reversible by guessing")
    if isinstance(hash_key, str):
        hash_key = hash_key.encode()
    ctx = _Context(mode, hash_key, _holder_terms(tables))
    return {name: _apply_table(name, table, ctx) for name, table in tables.items()}


def pii_hash(value: str, hash_key: bytes) -> str:
    """The keyed hash used by mode "hash": "h:" + 16 hex of HMAC-SHA256 over the normalised value.

    Args:
        value: the text (stripped, upper-cased and whitespace-collapsed before hashing).
        hash_key: the HMAC key.

    Returns:
        "h:" followed by 16 lower-case hex digits.
    """
    normal = " ".join(value.split()).upper()
    return "h:" + hmac.new(hash_key, normal.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


# ---- per-value treatments ------------------------------------------------------------------------


def _mask_account_number(v: str) -> str:
    return "X" * len(v) if len(v) <= 4 else "X" * (len(v) - 4) + v[-4:]


def _mask_word(w: str) -> str:
    return w[:1] + "*" * (len(w) - 1)


_NAME_TAIL = re.compile(r"(?<=\w)\w")


def _mask_name(v: str) -> str:
    return _NAME_TAIL.sub("*", v)


def _mask_address(v: str) -> Optional[str]:
    pins = _PIN.findall(v)
    return pins[-1][0] + pins[-1][1] if pins else None


def _mask_pan(v: str) -> str:
    v = v.strip()
    return "X" * (len(v) - 1) + v[-1:]


def _mask_phone(v: str) -> str:
    keep = 2 if sum(c.isdigit() for c in v) > 2 else 0
    out: List[str] = []
    for c in reversed(v):
        if c.isdigit():
            out.append(c if keep > 0 else "X")
            keep -= 1
        else:
            out.append(c)
    return "".join(reversed(out))


def _mask_email(v: str) -> str:
    v = v.strip()
    local, at, domain = v.rpartition("@")
    return (local[:1] + "***" + at + domain) if at else v[:1] + "***"


_MASKS: Dict[str, Callable[[str], Optional[str]]] = {
    "account_number": _mask_account_number, "name": _mask_name, "address": _mask_address,
    "pan": _mask_pan, "phone": _mask_phone, "email": _mask_email,
}
_ALWAYS_NULL = frozenset({"dob", "redact"})
_NOTE_KINDS = frozenset({"note", "unknown_json", "issue_detail"})


class _Context:
    """The mode, the key and the per-session note scrubbers of one `apply_pii` call."""

    def __init__(self, mode: str, key: Optional[bytes], terms: Dict[str, Tuple[Set[str], Dict[str, str]]]):
        self.mode = mode
        self.key = key
        self._terms = terms
        self._scrubbers: Dict[Optional[str], Optional[Scrub]] = {}
        self._hashes: Dict[str, str] = {}
        self._patterns: Dict[Optional[str], Optional[str]] = {}

    def hash(self, v: str) -> str:
        h = self._hashes.get(v)
        if h is None:
            h = self._hashes[v] = pii_hash(v, self.key)  # type: ignore[arg-type]
        return h

    def value(self, kind: str, v: Optional[str]) -> Optional[str]:
        """One personal value treated (not a note)."""
        if v is None or kind in _ALWAYS_NULL or self.mode == "drop":
            return None
        if not v.strip():
            return v
        return self.hash(v) if self.mode == "hash" else _MASKS[kind](v)

    def candidates_pattern(self, session_id: Optional[str]) -> Optional[str]:
        """An RE2 alternation of a session's terms (no word boundaries: it finds candidate rows only)."""
        if session_id not in self._patterns:
            tokens, numbers = self._terms.get(session_id, (set(), {}))
            terms = sorted({*tokens, *numbers}, key=lambda t: (-len(t), t))
            self._patterns[session_id] = "|".join(re.escape(t) for t in terms) or None
        return self._patterns[session_id]

    def scrubber(self, session_id: Optional[str]) -> Optional[Scrub]:
        """The note scrubber of a session, or None when the session has no holder terms."""
        if session_id not in self._scrubbers:
            self._scrubbers[session_id] = self._build_scrubber(session_id)
        return self._scrubbers[session_id]

    def _build_scrubber(self, session_id: Optional[str]) -> Optional[Scrub]:
        tokens, numbers = self._terms.get(session_id, (set(), {}))
        parts = []
        if tokens:
            alt = "|".join(re.escape(t) for t in sorted(tokens, key=lambda t: (-len(t), t)))
            parts.append(rf"(?<![^\W\d_])(?:{alt})(?![^\W\d_])")
        if numbers:
            parts.append(rf"(?<!\d)(?:{'|'.join(sorted(numbers, key=lambda n: (-len(n), n)))})(?!\d)")
        if not parts:
            return None
        terms = f"(?:{'|'.join(parts)})"
        if self.mode == "drop":
            # a term goes with the whitespace before it, or else the whitespace after it
            pattern = re.compile(rf"\s+{terms}|{terms}\s*", re.IGNORECASE)

            def scrub(note: str) -> Optional[str]:
                out = pattern.sub("", note)
                return out if out.strip() else None
            return scrub

        pattern = re.compile(terms, re.IGNORECASE)

        if self.mode == "hash":
            def replace(m: re.Match) -> str:
                t = m.group(0)
                return self.hash(numbers.get(t, t))
        else:
            def replace(m: re.Match) -> str:
                t = m.group(0)
                return _mask_account_number(t) if t in numbers else _mask_word(t)

        def scrub(note: str) -> Optional[str]:
            return pattern.sub(replace, note)
        return scrub


# ---- holder terms ----------------------------------------------------------------------------------


def _holder_terms(tables: Dict[str, pa.Table]) -> Dict[str, Tuple[Set[str], Dict[str, str]]]:
    """session_id -> (name tokens upper-cased, account-number digit runs -> the run they were read from)."""
    names: List[Tuple[str, str]] = []
    numbers: List[Tuple[str, str]] = []
    for table, columns in PII_COLUMNS.items():
        t = tables.get(table)
        if t is None or t.num_rows == 0:
            continue
        for column, kind in columns.items():
            if kind in ("name", "account_number") and column in t.column_names:
                pairs = _valid_pairs(t["session_id"], t[column])
                (names if kind == "name" else numbers).extend(pairs)
    p = tables.get("predictors")
    if p is not None and p.num_rows:
        for kind, target in (("name", names), ("account_number", numbers)):
            keys = [k for k, v in PII_PREDICTORS.items() if v == kind]
            rows = p.filter(pc.is_in(p["name"], pa.array(keys)))
            target.extend(_valid_pairs(rows["session_id"], rows["value_text"]))

    terms: Dict[str, Tuple[Set[str], Dict[str, str]]] = {}
    for sid, name in names:
        tokens = terms.setdefault(sid, (set(), {}))[0]
        tokens.update(w for w in (m.upper() for m in _NAME_TOKEN.findall(name)) if w not in _NOT_NAMES)
    for sid, number in numbers:
        found = terms.setdefault(sid, (set(), {}))[1]
        for run in _DIGIT_RUN.findall(number):
            found[run] = run
            short = run.lstrip("0")
            if len(short) >= 6:
                found.setdefault(short, run)
    return terms


def _valid_pairs(sessions: pa.ChunkedArray, values: pa.ChunkedArray) -> Iterable[Tuple[str, str]]:
    keep = pc.is_valid(values)
    return set(zip(pc.filter(sessions, keep).to_pylist(), pc.filter(values, keep).to_pylist()))


# ---- tables ------------------------------------------------------------------------------------------


def _apply_table(name: str, table: pa.Table, ctx: _Context) -> pa.Table:
    if table.num_rows == 0:
        return table
    if name == "predictors":
        return _apply_predictors(table, ctx)
    columns = {c: k for c, k in PII_COLUMNS.get(name, {}).items() if c in table.column_names}
    if not columns:
        return table
    arrays = []
    for field in table.schema:
        kind = columns.get(field.name)
        column = table[field.name]
        if kind is None:
            arrays.append(column)
        elif kind in _NOTE_KINDS:
            arrays.append(_scrub_column(table, field.name, kind, ctx))
        elif kind in _ALWAYS_NULL or ctx.mode == "drop" or field.type != pa.string():
            arrays.append(pa.nulls(table.num_rows, field.type))
        else:
            arrays.append(_map_rows(column, pc.is_valid(column), kind, ctx))
    return pa.Table.from_arrays(arrays, schema=table.schema)


def _apply_predictors(table: pa.Table, ctx: _Context) -> pa.Table:
    personal = _combined(pc.is_in(table["name"], pa.array(list(PII_PREDICTORS))))
    if not pc.any(personal).as_py():
        return table
    texts, value = table["value_text"], table["value"]
    text_rows = pc.and_(personal, pc.is_valid(texts))
    kinds = [PII_PREDICTORS[k] for k in pc.filter(table["name"], text_rows).to_pylist()]
    treated = {
        "value_text": _map_rows(texts, text_rows, kinds, ctx),
        "value": pc.if_else(personal, pa.scalar(None, value.type), value),
    }
    return pa.Table.from_arrays([treated.get(f.name, table[f.name]) for f in table.schema], schema=table.schema)


def _map_rows(column, mask: pa.Array, kinds: Union[str, List[str]], ctx: _Context) -> pa.Array:
    """`column` with the rows under `mask` replaced by ctx.value(kind, value); `kinds` is one kind for
    all of them or one per masked row."""
    array, mask = _combined(column), _combined(mask)
    if not pc.any(mask).as_py():
        return array
    values = pc.filter(array, mask).to_pylist()
    per_row = [kinds] * len(values) if isinstance(kinds, str) else kinds
    cache: Dict[Tuple[str, str], Optional[str]] = {}
    out = []
    for kind, v in zip(per_row, values):
        key = (kind, v)
        if key not in cache:
            cache[key] = ctx.value(kind, v)
        out.append(cache[key])
    return pc.replace_with_mask(array, mask, pa.array(out, array.type))


def _scrub_column(table: pa.Table, column: str, kind: str, ctx: _Context) -> pa.Array:
    """A note column with the holder terms of each row's session scrubbed (and personal rows nulled)."""
    array = _combined(table[column])
    nulled = _personal_rows(table, kind)
    if nulled is not None and pc.any(nulled).as_py():
        array = pc.if_else(nulled, pa.scalar(None, array.type), array)
    sessions = _combined(table["session_id"])
    candidates = _candidate_rows(array, sessions, ctx)
    if not pc.any(candidates).as_py():
        return array
    notes = pc.filter(array, candidates).to_pylist()
    sids = pc.filter(sessions, candidates).to_pylist()
    out = [ctx.scrubber(sid)(note) for sid, note in zip(sids, notes)]  # type: ignore[misc]
    return pc.replace_with_mask(array, candidates, pa.array(out, array.type))


def _candidate_rows(array: pa.Array, sessions: pa.Array, ctx: _Context) -> pa.Array:
    """Rows that may hold a term of their session: each run of one session is searched in C++ (RE2)
    with that session's terms; only these rows go through the Python regex (with its word boundaries)."""
    n = len(array)
    changes = pc.not_equal(sessions.slice(1), sessions.slice(0, n - 1)) if n > 1 else pa.array([], pa.bool_())
    starts = [0] + [i + 1 for i in pc.indices_nonzero(changes).to_pylist()]
    if len(starts) > max(_MAX_RUNS, n // 20):  # rows not grouped by session: every row with a scrubber
        live = [sid for sid in pc.unique(sessions).to_pylist() if ctx.scrubber(sid) is not None]
        return pc.and_(pc.is_valid(array), pc.is_in(sessions, pa.array(live, pa.string()))).fill_null(False)
    pieces = []
    run_sessions = sessions.take(pa.array(starts, pa.int64())).to_pylist()
    for sid, start, end in zip(run_sessions, starts, starts[1:] + [n]):
        piece = array.slice(start, end - start)
        pattern = ctx.candidates_pattern(sid)
        if pattern is None:
            pieces.append(pa.array([False] * len(piece), pa.bool_()))
        else:
            pieces.append(pc.match_substring_regex(piece, pattern, ignore_case=True).fill_null(False))
    return pa.concat_arrays(pieces) if len(pieces) > 1 else pieces[0]


_PERSONAL_PARTS = frozenset(
    f"{table}.{column}" for table, columns in PII_COLUMNS.items() for column, kind in columns.items()
    if kind not in _NOTE_KINDS
)


def _personal_rows(table: pa.Table, kind: str) -> Optional[pa.Array]:
    """Rows whose whole value is personal: issues about a personal column, unknown personal-looking keys."""
    if kind == "issue_detail" and "part" in table.column_names:
        return _combined(pc.is_in(table["part"], pa.array(sorted(_PERSONAL_PARTS)))).fill_null(False)
    if kind == "unknown_json" and "path" in table.column_names:
        paths = [p for p in pc.unique(table["path"]).to_pylist() if p is not None and _personal_key(p)]
        return _combined(pc.is_in(table["path"], pa.array(paths, pa.string()))).fill_null(False)
    return None


def _personal_key(path: str) -> bool:
    """Whether the last key of an unknown field's path names personal data ("...account_details.mobile")."""
    key = re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1]).lower()
    return key in PII_PREDICTORS or bool(_PERSONAL_KEY_PARTS.intersection(re.split(r"[_\W]+", key)))


def _combined(a):
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
