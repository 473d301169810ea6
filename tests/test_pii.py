"""Personal data: keep, mask, hash and drop on tables flattened from the fixtures; values checked by hand."""

from __future__ import annotations

import copy
import hashlib
import hmac
import re

import orjson
import pyarrow as pa
import pytest

from sources.bankconnect import pii
from sources.bankconnect.flatten import flatten_session
from sources.bankconnect.pii import (
    DEFAULT_PII_MODE, PII_COLUMNS, PII_MODES, PII_PREDICTORS, TREATMENTS, apply_pii, pii_hash,
)
from sources.bankconnect.tables import TABLES
from tests.apiserver import fixture

DOCS_STATUS = orjson.loads(fixture("docs_session_status_completed.json"))
DOCS = orjson.loads(fixture("docs_insights.json"))
SEED_STATUS = orjson.loads(fixture("seed_session_status.json"))
SEED = orjson.loads(fixture("seed_insights.json"))
KEY = b"test-key"
CHANGED = ("mask", "hash", "drop")
SELF_NOTE = "UPI/P2A/268652272235/ASHA KUMARI /UPI/INDIAN OVERSEAS BANK"
# Every value that identifies the holder in the fixtures, as it appears in them.
SECRETS = ("ASHA KUMARI", "000011112222333", "ABCDE1234F", "ASHA", "KUMARI", "SAMPLE ROAD",
           "ABCD ENTERPRISES", "ABCD NAGAR", "1234567890")


def docs(insights=None, sid="S1"):
    return flatten_session(sid, DOCS_STATUS, DOCS if insights is None else insights)[0]


def seed(sid="S1"):
    return flatten_session(sid, SEED_STATUS, SEED)[0]


def h(text: str, key: bytes = KEY) -> str:
    """The expected hash, computed here independently of the module."""
    return "h:" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:16]


def col(tables, table, column):
    return tables[table].column(column).to_pylist()


def predictor(tables, name):
    rows = [r for r in tables["predictors"].to_pylist() if r["name"] == name]
    assert len(rows) == 1
    return rows[0]["value"], rows[0]["value_text"]


def details(tables, *columns):
    row = tables["account_details"].to_pylist()[0]
    return tuple(row[c] for c in columns)


def table(name, rows):
    return pa.Table.from_pylist(rows, schema=TABLES[name].schema)


def holder(sid="S1", name="ASHA KUMARI", number="000011112222333", notes=(), account="A1"):
    """A minimal session: one account with a name and number, and transactions with these notes."""
    return {
        "accounts": table("accounts", [{"session_id": sid, "account_id": account, "name": name}]),
        "account_details": table("account_details", [
            {"session_id": sid, "account_id": account, "name": name, "account_number": number}]),
        "transactions": table("transactions", [
            {"session_id": sid, "account_id": account, "seq": i, "transaction_note": n}
            for i, n in enumerate(notes)]),
    }


def strings(tables):
    """(table, column, value) of every non-null string in every table."""
    for name, t in tables.items():
        for field in t.schema:
            if field.type == pa.string():
                for v in t.column(field.name).to_pylist():
                    if v is not None:
                        yield name, field.name, v


# ---- the API --------------------------------------------------------------------------------------


def test_modes_and_default():
    assert PII_MODES == ("keep", "mask", "hash", "drop")
    assert DEFAULT_PII_MODE == "keep"


def test_keep_returns_the_same_objects():
    tables = docs()
    out = apply_pii(tables, "keep")
    assert out is tables
    assert all(out[n] is tables[n] for n in tables)


def test_unknown_mode_raises():
    with pytest.raises(ValueError, match="unknown PII mode"):
        apply_pii(docs(), "scramble")


@pytest.mark.parametrize("key", [None, b""])
def test_hash_needs_a_key(key):
    with pytest.raises(ValueError, match="hash mode needs a key"):
        apply_pii(docs(), "hash", key)


def test_treatment_table_matches_the_contract():
    for name, columns in PII_COLUMNS.items():
        assert set(columns) <= set(TABLES[name].column_names), name
    for kind in {*PII_PREDICTORS.values(), *(k for c in PII_COLUMNS.values() for k in c.values())}:
        assert set(TREATMENTS[kind]) == set(CHANGED), kind
    # Every personal predictor key the documented payload sends is covered.
    sent = DOCS["accounts"][0]["data"]["predictors"]
    assert {"accountnumber", "customer_name", "phone_number", "pan_number", "email", "dob"} <= sent.keys()
    assert {"accountnumber", "account_number", "customer_name", "name", "pan_number", "phone_number",
            "email", "dob", "address"} <= PII_PREDICTORS.keys()


# ---- every mode on the real fixtures ----------------------------------------------------------------


@pytest.mark.parametrize("mode", PII_MODES)
@pytest.mark.parametrize("flat", [docs, seed], ids=["docs", "seed"])
def test_schemas_unchanged(mode, flat):
    tables = flat()
    out = apply_pii(tables, mode, KEY)
    assert out.keys() == tables.keys()
    for name, t in out.items():
        assert t.schema == TABLES[name].schema, name
        assert t.num_rows == tables[name].num_rows, name


@pytest.mark.parametrize("mode", CHANGED)
@pytest.mark.parametrize("flat", [docs, seed], ids=["docs", "seed"])
def test_no_personal_value_left_anywhere(mode, flat):
    tables = flat()
    assert any(s in v.upper() for _, _, v in strings(tables) for s in SECRETS)  # the fixture has them
    leaks = [(t, c, v) for t, c, v in strings(apply_pii(tables, mode, KEY)) for s in SECRETS if s in v.upper()]
    assert leaks == []


@pytest.mark.parametrize("mode", CHANGED)
@pytest.mark.parametrize("flat", [docs, seed], ids=["docs", "seed"])
def test_non_personal_columns_unchanged(mode, flat):
    tables = flat()
    out = apply_pii(tables, mode, KEY)
    for name, t in tables.items():
        personal = set(PII_COLUMNS.get(name, {}))
        if name == "predictors":
            personal = {"value", "value_text"}
        for c in t.column_names:
            if c not in personal:
                assert out[name].column(c).equals(t.column(c)), (name, c)
    for name in ("transactions", "top_credits_debits", "salary_transactions"):
        for c in ("amount", "date", "hash", "category", "balance", "transaction_type"):
            assert col(out, name, c) == col(tables, name, c)
    before = [r for r in tables["predictors"].to_pylist() if r["name"] not in PII_PREDICTORS]
    after = [r for r in out["predictors"].to_pylist() if r["name"] not in PII_PREDICTORS]
    assert after == before and len(before) > 20


def test_docs_mask():
    out = apply_pii(docs(), "mask")
    assert col(out, "accounts", "account_number") == ["XXXXXXXXXXXXXX3135"]  # "ASHA KUMARIXXX3135"
    assert col(out, "accounts", "name") == ["A*** K*****"]
    assert details(out, "name", "address", "account_number", "pan_number", "phone_number", "email", "dob",
                   "name_matches") == (
        "A*** K*****", "560001", "XXXXXXXXXXX2333", "XXXXXXXXXF", "XXXXXXXX00", "", None, None)
    assert predictor(out, "accountnumber") == (None, "XXXXXXXXXXX2333")
    assert predictor(out, "customer_name") == (None, "A*** K*****")
    assert predictor(out, "pan_number") == (None, "XXXXXXXXXF")
    assert predictor(out, "phone_number") == (None, "XXXXXXXX00")
    assert predictor(out, "dob") == (None, None)
    masked = "UPI/P2A/268652272235/A*** K***** /UPI/INDIAN OVERSEAS BANK"
    assert col(out, "transactions", "transaction_note") == ["MUTHOOT FINANCE/GOLDEN GROWTH MAY 2025", masked]
    assert col(out, "transactions", "unclean_merchant") == ["MUTHOOT FINANCE", "A*** K*****"]
    assert col(out, "self_and_sister_transactions", "transaction_note") == [masked]
    notes = col(out, "recurring_transactions", "transaction_note")
    assert notes[2:4] == [masked, "UPI/P2A/675418412265/A*** K***** /UPI/INDIAN OVERSEAS BANK"]
    # Names that are not the holder's stay.
    assert "RAVI MENON STATE INDIA" in col(out, "recurring_transaction_groups", "clean_transaction_note")


def test_docs_drop():
    out = apply_pii(docs(), "drop")
    assert col(out, "accounts", "account_number") == [None]
    assert col(out, "accounts", "name") == [None]
    assert details(out, "name", "address", "account_number", "pan_number", "phone_number", "email", "dob",
                   "name_matches") == (None,) * 8
    for key in ("accountnumber", "customer_name", "pan_number", "phone_number"):
        assert predictor(out, key) == (None, None)
    # The name and the whitespace after it are gone; the separators stay.
    dropped = "UPI/P2A/268652272235//UPI/INDIAN OVERSEAS BANK"
    assert col(out, "transactions", "transaction_note") == ["MUTHOOT FINANCE/GOLDEN GROWTH MAY 2025", dropped]
    assert col(out, "transactions", "unclean_merchant") == ["MUTHOOT FINANCE", None]  # nothing left
    assert col(out, "self_and_sister_transactions", "transaction_note") == [dropped]


def test_docs_hash():
    tables = docs()
    out = apply_pii(tables, "hash", KEY)
    name, number = h("ASHA KUMARI"), h("000011112222333")
    assert re.fullmatch(r"h:[0-9a-f]{16}", name)
    # The same value hashes the same in every table, so joins still work.
    assert col(out, "accounts", "name") == [name]
    assert details(out, "name", "account_number", "pan_number", "phone_number", "dob") == (
        name, number, h("ABCDE1234F"), h("XXXXXX0000"), None)
    assert details(out, "address") == (h("12, SAMPLE ROAD, TEST NAGAR, BENGALURU, KARNATAKA-INDIA 560001"),)
    assert col(out, "accounts", "account_number") == [h("ASHA KUMARIXXX3135")]
    assert predictor(out, "customer_name") == (None, name)
    assert predictor(out, "accountnumber") == (None, number)
    # Name tokens in notes: each token its own hash.
    hashed = f"UPI/P2A/268652272235/{h('ASHA')} {h('KUMARI')} /UPI/INDIAN OVERSEAS BANK"
    assert col(out, "transactions", "transaction_note")[1] == hashed
    assert col(out, "self_and_sister_transactions", "transaction_note") == [hashed]
    assert col(out, "transactions", "unclean_merchant")[1] == f"{h('ASHA')} {h('KUMARI')}"
    # Stable: two calls agree; another key differs; the value is normalised before hashing.
    again = apply_pii(tables, "hash", KEY)
    assert all(again[n].equals(out[n]) for n in out)
    other = apply_pii(tables, "hash", b"another-key")
    assert col(other, "accounts", "name") != [name]
    assert col(other, "accounts", "name") == [h("ASHA KUMARI", b"another-key")]
    assert pii_hash("  asha \t kumari ", KEY) == name


def test_hash_is_the_same_across_sessions():
    a = apply_pii(holder("S1", notes=["NEFT ASHA"]), "hash", KEY)
    b = apply_pii(holder("S2", name="asha  kumari", notes=["IMPS asha"]), "hash", KEY)
    assert col(a, "accounts", "name") == col(b, "accounts", "name") == [h("ASHA KUMARI")]
    assert col(a, "transactions", "transaction_note") == [f"NEFT {h('ASHA')}"]
    assert col(b, "transactions", "transaction_note") == [f"IMPS {h('ASHA')}"]


def test_seed_mask():
    tables = seed()
    out = apply_pii(tables, "mask")
    assert details(out, "name", "address", "account_number") == ("A*** E**********", None, "XXXXXX7890")
    assert predictor(tables, "accountnumber") == (1234567890.0, "1234567890")  # reads as a number too
    assert predictor(out, "accountnumber") == (None, "XXXXXX7890")
    assert predictor(out, "customer_name") == (None, "A*** E**********")
    # The account number inside notes (not next to another digit), its last 4 kept.
    assert col(out, "transactions", "transaction_note") == [
        "UPI~XXXXXX7890~swiggystores@icici~Swiggy-XXXXXX7890qwertyuiop",
        "IMP-334925115915-9999999999-XXXXXX7890qwertyuiop -RBL BANK -salary",
    ]
    assert set(col(out, "top_credits_debits", "transaction_note")) == {
        "IMP-334925115915-9999999999-XXXXXX7890qwertyuiop -RBL BANK -salary"}


# ---- note matching --------------------------------------------------------------------------------


@pytest.mark.parametrize("note, masked, dropped", [
    ("paid to asha kumari", "paid to a*** k*****", "paid to"),             # case-insensitive
    ("NEFT ASHA KUMARI SALARY", "NEFT A*** K***** SALARY", "NEFT SALARY"),
    ("IMPS_ASHA_KUMARI", "IMPS_A***_K*****", "IMPS__"),                     # '_' is not a letter
    ("ASHAKUMARI KUMARIS", "ASHAKUMARI KUMARIS", "ASHAKUMARI KUMARIS"),     # whole words only
    ("ASHA KUMARI", "A*** K*****", None),                                  # nothing left: null
    ("TRF 000011112222333 OK", "TRF XXXXXXXXXXX2333 OK", "TRF OK"),
    ("TRF 11112222333", "TRF XXXXXXX2333", "TRF"),                          # without leading zeros
    ("REF 90000111122223334", "REF 90000111122223334", "REF 90000111122223334"),  # part of a longer number
    ("MRS SHOP", "MRS SHOP", "MRS SHOP"),                                   # honorifics are not names
    (None, None, None),
])
def test_note_rules(note, masked, dropped):
    tables = holder(name="MRS ASHA KUMARI", notes=[note])
    assert col(apply_pii(tables, "mask"), "transactions", "transaction_note") == [masked]
    assert col(apply_pii(tables, "drop"), "transactions", "transaction_note") == [dropped]


@pytest.mark.parametrize("max_runs", [None, 0], ids=["runs-searched", "rows-not-grouped"])
def test_terms_of_one_session_do_not_touch_another(max_runs, monkeypatch):
    if max_runs is not None:  # the path for rows whose sessions are interleaved
        monkeypatch.setattr(pii, "_MAX_RUNS", max_runs)
    a = holder("S1", notes=["UPI/RAVI MENON", "UPI/ASHA KUMARI"])
    b = holder("S2", name="RAVI MENON", number="998877665544", notes=["UPI/RAVI MENON", "UPI/ASHA KUMARI"])
    tables = {n: pa.concat_tables([a[n], b[n]]) for n in a}  # several chunks, as a batch of sessions
    assert tables["transactions"].column("transaction_note").num_chunks == 2
    out = apply_pii(tables, "mask")
    assert col(out, "transactions", "transaction_note") == [
        "UPI/RAVI MENON", "UPI/A*** K*****", "UPI/R*** M****", "UPI/ASHA KUMARI"]
    shuffled = {**tables, "transactions": tables["transactions"].take([2, 1, 0, 3])}
    assert col(apply_pii(shuffled, "mask"), "transactions", "transaction_note") == [
        "UPI/R*** M****", "UPI/A*** K*****", "UPI/RAVI MENON", "UPI/ASHA KUMARI"]
    assert col(out, "account_details", "account_number") == ["XXXXXXXXXXX2333", "XXXXXXXX5544"]
    assert out["transactions"].schema == TABLES["transactions"].schema


def test_notes_of_every_transaction_table_and_recurring_groups():
    tables = holder(notes=[])
    for name in ("salary_transactions", "lender_transactions", "self_and_sister_transactions",
                 "bounced_or_penal_transactions", "top_credits_debits", "recurring_transactions"):
        tables[name] = table(name, [{"session_id": "S1", "account_id": "A1", "seq": 0,
                                     "transaction_note": "TO ASHA", "unclean_merchant": "KUMARI"}])
    tables["recurring_transaction_groups"] = table("recurring_transaction_groups", [
        {"session_id": "S1", "account_id": "A1", "clean_transaction_note": "ASHA KUMARI INDIAN"}])
    out = apply_pii(tables, "mask")
    for name in ("salary_transactions", "lender_transactions", "self_and_sister_transactions",
                 "bounced_or_penal_transactions", "top_credits_debits", "recurring_transactions"):
        assert col(out, name, "transaction_note") == ["TO A***"], name
        assert col(out, name, "unclean_merchant") == ["K*****"], name
    assert col(out, "recurring_transaction_groups", "clean_transaction_note") == ["A*** K***** INDIAN"]


@pytest.mark.parametrize("column, value, masked", [
    ("phone_number", "+91 98765 43210", "+XX XXXXX XXX10"),
    ("email", "asha.kumari@example.com", "a***@example.com"),
    ("address", "FLAT 4, MG ROAD, BENGALURU 560 001", "560001"),
    ("address", "ABCD Nagar", None),
    ("account_number", "1234", "XXXX"),
    ("pan_number", "ABCDE1234F", "XXXXXXXXXF"),
    ("name", "Asha  Kumari", "A***  K*****"),
    ("email", "   ", "   "),  # blank stays blank
])
def test_mask_rules(column, value, masked):
    tables = {"account_details": table("account_details", [{"session_id": "S1", "account_id": "A1",
                                                            column: value}])}
    assert col(apply_pii(tables, "mask"), "account_details", column) == [masked]


# ---- values echoed elsewhere --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", CHANGED)
def test_echoes_in_issues_unknown_fields_and_name_matches(mode):
    insights = copy.deepcopy(DOCS)
    account = insights["accounts"][0]["data"]["account_details"]
    account["dob"] = "31/31/1990"  # unreadable: the issue's detail repeats it
    account["mobile"] = "9876543210"  # a key the source does not know: kept in unknown_fields
    account["nickname_note"] = "call ASHA"
    account["metadata_analysis"]["name_matches"] = [{"name": "ASHA KUMARI", "score": 100}]
    tables = docs(insights)
    assert "1990" in " ".join(d for d in col(tables, "data_issues", "detail") if d)
    out = apply_pii(tables, mode, KEY)
    issues = {p: d for p, d in zip(col(out, "data_issues", "part"), col(out, "data_issues", "detail"))}
    assert issues["account_details.dob"] is None
    assert issues["insights.session_id"] == "136b1aa3-4610-4d0a-89f3-03078a2fce92"  # not personal: kept
    unknown = dict(zip(col(out, "unknown_fields", "path"), col(out, "unknown_fields", "value_json")))
    assert unknown["account_details.mobile"] is None
    assert unknown["account_details.nickname_note"] == {
        "mask": '"call A***"', "hash": f'"call {h("ASHA")}"', "drop": '"call"'}[mode]
    assert details(out, "name_matches") == (None,)
    assert not [v for _, _, v in strings(out) if "9876543210" in v or "ASHA" in v.upper()]
