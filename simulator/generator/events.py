"""What happens on an account: each event posts one or more transactions with realistic Indian notes."""

from __future__ import annotations

import math

from . import dates
from .ledger import Ledger
from .vocab import BANKS, BILLERS, BUSINESS_NAMES, CITIES, MERCHANTS, SPEND_CATEGORIES, SPEND_WEIGHTS

_BANK_FULL = tuple(b[0].upper() for b in BANKS.values())
_IFSC = tuple(b[1] for b in BANKS.values())
# Weighted draws as a plain choice over a pool with repeats: much cheaper than random.choices per event.
_SPEND_POOL = tuple(c for c, w in zip(SPEND_CATEGORIES, SPEND_WEIGHTS) for _ in range(w))
_ACH_BOUNCE_CHARGE = 59_000  # Rs 500 + 18% GST
_CHQ_BOUNCE_CHARGE = 35_400  # Rs 300 + 18% GST


# ---- debits ----------------------------------------------------------------------------------------------------

def spend_upi(lg: Ledger, day: int) -> None:
    mc = lg.rng.choice(_SPEND_POOL)
    merchants, label, size = MERCHANTS[mc]
    merchant = lg.rng.choice(merchants)
    amount = lg.affordable(lg.money(lg.debit_unit * size))
    if not amount:
        return p2a_in(lg, day)
    note = f"UPI/P2M/{lg.ref()}/{merchant}/UPI/{lg.rng.choice(_BANK_FULL)}"
    lg.post(day, False, amount, note, "upi", label, merchant, "", mc)


def spend_card(lg: Ledger, day: int) -> None:
    mc = lg.rng.choice(_SPEND_POOL)
    merchants, label, size = MERCHANTS[mc]
    merchant = lg.rng.choice(merchants)
    amount = lg.affordable(lg.money(lg.debit_unit * size * 1.3))
    if not amount:
        return p2a_in(lg, day)
    note = f"POS {lg.ref(4)}XXXXXX{lg.ref(4)} {merchant} {lg.rng.choice(CITIES)}"
    lg.post(day, False, amount, note, "debit_card", label, merchant, "", mc)


def p2a_out(lg: Ledger, day: int) -> None:
    person, bank = lg.rng.choice(lg.p.contacts)
    amount = lg.affordable(lg.money(lg.debit_unit * 1.2))
    if not amount:
        return p2a_in(lg, day)
    note = f"UPI/P2A/{lg.ref()}/{person} /UPI/{bank}"
    lg.post(day, False, amount, note, "upi", f"Transfer to {person}", person, f"Transfer to {person}")


def neft_out(lg: Ledger, day: int) -> None:
    person, bank = lg.rng.choice(lg.p.contacts)
    amount = lg.affordable(lg.money(lg.debit_unit * 3))
    if not amount:
        return p2a_in(lg, day)
    if lg.rng.random() < 0.5:
        purpose = lg.rng.choice(("FAMILY", "LOAN REPAY", "FEES", "TRANSFER"))
        note = f"NEFT-{lg.rng.choice(_IFSC)}N{lg.ref(14)}-{person}-{purpose}"
    else:
        note = f"IMPS-{lg.ref()}-{person}-{bank.upper()}-XXXXXXXX{lg.ref(4)}-TRANSFER"
    lg.post(day, False, amount, note, "net_banking_transfer", f"Transfer to {person}", person, f"Transfer to {person}")


def atm(lg: Ledger, day: int) -> None:
    want = max(50_000, int(lg.debit_unit * 2 * math.exp(lg.rng.gauss(0, 0.5))) // 50_000 * 50_000)
    amount = lg.affordable(want) // 50_000 * 50_000
    if not amount:
        return p2a_in(lg, day)
    note = f"ATM-CASH-{lg.p.bank.upper()}-S1{lg.rng.choice('ABCDE')}W{lg.ref(6)}/{lg.rng.choice(CITIES)}"
    lg.post(day, False, amount, note, "cash_withdrawl", "Cash Withdrawal")


def bill(lg: Ledger, day: int) -> None:
    kind = lg.rng.choice(("telco_bill", "electric_bill", "credit_card_bill"))
    if kind == "credit_card_bill":
        biller, label, size = f"{lg.rng.choice(('HDFC', 'ICICI', 'SBI', 'AXIS'))} CREDIT CARD", "Credit Card Bill", 4
    else:
        biller, label, size = lg.rng.choice(BILLERS[kind]), "Bills", 0.8
    amount = lg.affordable(lg.money(lg.debit_unit * size))
    if not amount:
        return p2a_in(lg, day)
    note = f"BIL/ONL/{lg.ref(9)}/{biller}/{lg.ref(10)}"
    lg.post(day, False, amount, note, "bill_payment", label, biller, kind, "bills")


def payment_gateway(lg: Ledger, day: int) -> None:
    mc = lg.rng.choice(("shopping", "travel", "entertainment"))
    merchants, label, size = MERCHANTS[mc]
    merchant = lg.rng.choice(merchants)
    amount = lg.affordable(lg.money(lg.debit_unit * size))
    if not amount:
        return p2a_in(lg, day)
    note = f"PG/{lg.rng.choice(('RAZORPAY', 'PAYU', 'CCAVENUE', 'BILLDESK'))}/{merchant}/{lg.ref(10)}"
    lg.post(day, False, amount, note, "payment_gateway_purchase", label, merchant, "", mc)


def self_out(lg: Ledger, day: int) -> None:
    # Savings swept to the holder's other bank keep balances from growing without bound.
    surplus = lg.balance - 2 * lg.p.level
    want = surplus if surplus > 0 else lg.money(lg.debit_unit * 4)
    amount = lg.affordable(want // 100 * 100)
    if not amount:
        return p2a_in(lg, day)
    if lg.rng.random() < 0.5:
        lg.post(day, False, amount, f"UPI/P2A/{lg.ref()}/{lg.p.name} /UPI/{lg.p.other_bank.upper()}", "upi",
                "Self Transfer", lg.p.name, "self_transfer")
    else:
        lg.post(day, False, amount, f"IMPS-{lg.ref()}-{lg.p.name}-{lg.p.other_bank.upper()}-SELF", "self_transfer",
                "Self Transfer", lg.p.name, "self_transfer")


def chq_out(lg: Ledger, day: int) -> None:
    payee = lg.rng.choice(BUSINESS_NAMES) if lg.p.category == "corporate" else lg.rng.choice(lg.p.contacts)[0]
    want = lg.money(lg.debit_unit * 3)
    bounce = lg.p.risky and lg.rng.random() < 0.3
    amount = want if bounce else lg.affordable(want)
    if not amount:
        return p2a_in(lg, day)
    chq = str(lg.ref(6))
    lg.post(day, False, amount, f"CHQ PAID-{chq}-{payee}", "chq", "Cheque", payee, chq=chq)
    if bounce:
        # The holder's own cheque came back unpaid: the money returns (a credit) and the bank charges for it.
        lg.post(day, True, amount, f"CHQ RETURN/{chq}/INSUFFICIENT FUNDS", "inward_cheque_bounce", "Cheque Bounce",
                payee, "chq_bounce_insuff_funds", chq=chq)
        _charge(lg, day, _CHQ_BOUNCE_CHARGE, f"CHQ RTN CHGS {chq} INCL GST", "chq_bounce_charge")


def invest(lg: Ledger, day: int) -> None:
    merchant = lg.rng.choice(MERCHANTS["investments"][0])
    amount = lg.affordable(lg.money(lg.debit_unit * 2))
    if not amount:
        return p2a_in(lg, day)
    lg.post(day, False, amount, f"BIL/ONL/{lg.ref(9)}/{merchant}/LUMPSUM", "investment", "Investments", merchant,
            "", "investments")


def insurance(lg: Ledger, day: int) -> None:
    merchant = lg.rng.choice(MERCHANTS["insurance"][0])
    amount = lg.affordable(lg.money(lg.debit_unit * 3))
    if not amount:
        return p2a_in(lg, day)
    lg.post(day, False, amount, f"BIL/ONL/{lg.ref(9)}/{merchant}/PREMIUM", "bill_payment", "Insurance", merchant,
            "", "insurance")


def charge(lg: Ledger, day: int) -> None:
    note, amount = lg.rng.choice((("DEBIT CARD ANNUAL FEE INCL GST", 35_400), ("CHEQUE BOOK CHGS", 11_800),
                                  ("IMPS CHGS", 590), ("NEFT CHGS INCL GST", 295)))
    if lg.room() < amount:
        return p2a_in(lg, day)
    _charge(lg, day, amount, note, "")


def forex(lg: Ledger, day: int) -> None:
    merchant = lg.rng.choice(("NETFLIX.COM", "GOOGLE CLOUD", "APPLE.COM/BILL", "AIRBNB"))
    amount = lg.affordable(lg.money(lg.debit_unit * 0.1))
    if not amount:
        return p2a_in(lg, day)
    lg.post(day, False, amount, f"DC INTL MARKUP FEE {merchant}", "international_transaction_arbitrage",
            "Forex Markup", merchant)


def demand_draft(lg: Ledger, day: int) -> None:
    payee = lg.rng.choice(("UNIVERSITY OF MUMBAI", "KENDRIYA VIDYALAYA", "MUNICIPAL CORPORATION", "HOUSING BOARD"))
    amount = lg.affordable(lg.money(lg.debit_unit * 4))
    if not amount:
        return p2a_in(lg, day)
    lg.post(day, False, amount, f"DD ISSUED/{lg.ref(6)}/{payee}", "demand_draft", "Demand Draft", payee)


def supplier_out(lg: Ledger, day: int) -> None:
    payee = lg.rng.choice(BUSINESS_NAMES)
    amount = lg.affordable(lg.money(lg.debit_unit * 1.5))
    if not amount:
        return cash_deposit(lg, day)
    rtgs = amount >= 20_000_000
    note = (f"RTGS-{lg.rng.choice(_IFSC)}R{lg.ref(14)}-{payee}-PAYMENT" if rtgs
            else f"NEFT-{lg.rng.choice(_IFSC)}N{lg.ref(14)}-{payee}-INV {lg.ref(5)}")
    lg.post(day, False, amount, note, "net_banking_transfer", "Vendor Payment", payee, f"Transfer to {payee}",
            tag="business")


def gst(lg: Ledger, day: int) -> None:
    amount = lg.affordable(lg.money(lg.debit_unit * 0.8))
    if not amount:
        return cash_deposit(lg, day)
    lg.post(day, False, amount, f"GST PAYMENT/CBIC/{lg.ref(14)}", "net_banking_transfer", "Tax", "GSTN", "", "tax")


def payroll(lg: Ledger, day: int) -> None:
    person = lg.rng.choice(lg.p.contacts)[0]
    amount = lg.affordable(lg.money(lg.debit_unit * 1.2))
    if not amount:
        return cash_deposit(lg, day)
    lg.post(day, False, amount, f"NEFT-{lg.rng.choice(_IFSC)}N{lg.ref(14)}-{person}-SALARY", "net_banking_transfer",
            "Salary Paid", person, f"Transfer to {person}", tag="business")


def _charge(lg: Ledger, day: int, amount: int, note: str, description: str) -> None:
    if lg.room() >= amount:
        lg.post(day, False, amount, note, "bank_charge", "Bank Charges", "", description)


# ---- credits ---------------------------------------------------------------------------------------------------

def p2a_in(lg: Ledger, day: int) -> None:
    person, bank = lg.rng.choice(lg.p.contacts)
    amount = lg.money(lg.credit_unit)
    lg.post(day, True, amount, f"UPI/P2A/{lg.ref()}/{person} /UPI/{bank}", "upi", f"Transfer from {person}", person,
            f"Transfer from {person}")


def neft_in(lg: Ledger, day: int) -> None:
    person = lg.rng.choice(lg.p.contacts)[0]
    lg.post(day, True, lg.money(lg.credit_unit * 2), f"NEFT-{lg.rng.choice(_IFSC)}N{lg.ref(14)}-{person}-TRANSFER",
            "net_banking_transfer", f"Transfer from {person}", person, f"Transfer from {person}")


def refund(lg: Ledger, day: int) -> None:
    mc = lg.rng.choice(("shopping", "travel", "food"))
    merchant = lg.rng.choice(MERCHANTS[mc][0])
    lg.post(day, True, lg.money(lg.credit_unit * 0.5), f"UPI/REV/{lg.ref()}/{merchant}/REFUND", "refund", "Refund",
            merchant, "", mc)


def cash_deposit(lg: Ledger, day: int) -> None:
    amount = max(50_000, int(lg.credit_unit * 2 * math.exp(lg.rng.gauss(0, 0.5))) // 50_000 * 50_000)
    if lg.rng.random() < 0.5:
        lg.post(day, True, amount, f"BY CASH CDM {lg.ref(6)} {lg.rng.choice(CITIES)}", "cash_deposit", "Cash Deposit",
                "", "deposit_by_machine")
    else:
        lg.post(day, True, amount, f"CASH DEPOSIT BY SELF-{lg.rng.choice(CITIES)} BRANCH", "cash_deposit",
                "Cash Deposit")


def self_in(lg: Ledger, day: int) -> None:
    lg.post(day, True, lg.money(lg.credit_unit * 2), f"IMPS-{lg.ref()}-{lg.p.name}-{lg.p.other_bank.upper()}-SELF",
            "self_transfer", "Self Transfer", lg.p.name, "self_transfer")


def investment_cashin(lg: Ledger, day: int) -> None:
    fund = lg.rng.choice(MERCHANTS["investments"][0])
    lg.post(day, True, lg.money(lg.credit_unit * 3), f"{fund} REDEMPTION FOLIO {lg.ref(8)}", "investment_cashin",
            "Investment Redemption", fund, "", "investments")


def chq_in(lg: Ledger, day: int) -> None:
    drawer = lg.rng.choice(BUSINESS_NAMES)
    amount = lg.money(lg.credit_unit * 3)
    chq = str(lg.ref(6))
    lg.post(day, True, amount, f"CHQ DEP/{chq}/{drawer}/{lg.rng.choice(_BANK_FULL)}", "chq", "Cheque Deposit", drawer,
            chq=chq, tag="business" if lg.p.category == "corporate" else None)
    if lg.p.risky and lg.rng.random() < 0.3:
        lg.later(day + 2, lambda lg2, d: _outward_bounce(lg2, d, amount, chq, drawer))


def _outward_bounce(lg: Ledger, day: int, amount: int, chq: str, drawer: str) -> None:
    # A cheque the holder deposited bounced: the credit is taken back (a debit) and the bank charges for it.
    lg.post(day, False, amount, f"CHQ DEP RET/{chq}/{drawer}/FUNDS INSUFFICIENT", "outward_cheque_bounce",
            "Cheque Bounce", drawer, "chq_bounce_insuff_funds", chq=chq)
    _charge(lg, day, _CHQ_BOUNCE_CHARGE, f"O/W CHQ RTN CHGS {chq} INCL GST", "chq_bounce_charge")


def auto_credit(lg: Ledger, day: int) -> None:
    merchant = lg.rng.choice(("AMAZON PAY", "CRED", "PAYTM"))
    lg.post(day, True, lg.money(lg.credit_unit * 0.05), f"CASHBACK/{merchant}/{lg.ref(10)}", "auto_credit", "Cashback",
            merchant)


def business_in(lg: Ledger, day: int) -> None:
    client = lg.rng.choice(BUSINESS_NAMES)
    amount = lg.money(lg.credit_unit * 1.5)
    if amount >= 20_000_000:
        note = f"RTGS-{lg.rng.choice(_IFSC)}R{lg.ref(14)}-{client}"
    else:
        note = f"NEFT-{lg.rng.choice(_IFSC)}N{lg.ref(14)}-{client}-INV {lg.ref(5)}"
    lg.post(day, True, amount, note, "net_banking_transfer", "Business Credit", client, f"Transfer from {client}",
            tag="business")


def business_upi(lg: Ledger, day: int) -> None:
    person = lg.rng.choice(lg.p.contacts)[0]
    note = f"UPI/P2M/{lg.ref()}/{person}/COLLECT/{lg.p.full_bank_name.upper()}"
    lg.post(day, True, lg.money(lg.credit_unit * 0.4), note, "upi", "Business Credit", person,
            f"Transfer from {person}", tag="business")


# ---- event tables ----------------------------------------------------------------------------------------------

INDIVIDUAL = (
    (spend_upi, 34), (spend_card, 8), (p2a_out, 10), (atm, 6), (bill, 5), (payment_gateway, 4), (neft_out, 3),
    (self_out, 3), (chq_out, 1), (invest, 1), (insurance, 0.5), (charge, 0.5), (forex, 0.3), (demand_draft, 0.2),
    (p2a_in, 9), (refund, 2), (neft_in, 2), (cash_deposit, 2), (self_in, 1.5), (investment_cashin, 0.5),
    (chq_in, 1), (auto_credit, 0.3),
)
CORPORATE = (
    (business_in, 16), (business_upi, 10), (chq_in, 5), (cash_deposit, 6), (supplier_out, 16), (spend_upi, 6),
    (gst, 2), (atm, 3), (chq_out, 5), (payroll, 3), (bill, 3), (charge, 1), (payment_gateway, 2), (self_out, 1.5),
    (self_in, 1.5), (demand_draft, 0.5), (neft_out, 3), (forex, 0.2),
)
CREDIT_EVENTS = {p2a_in, neft_in, refund, cash_deposit, self_in, investment_cashin, chq_in, auto_credit, business_in,
                 business_upi}


def credit_share(table) -> float:
    total = sum(w for _, w in table)
    return sum(w for fn, w in table if fn in CREDIT_EVENTS) / total


def month_label_for_salary(day: int) -> str:
    """Salary credited in the first days of a month pays the previous month."""
    month = dates.month_of(day)
    return dates.mon_yyyy(month - 1 if dates.day_of_month(day) <= 10 else month)
