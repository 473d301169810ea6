"""Formatting and escaping for report pages: every data value is escaped for the context it lands in.

Contexts: HTML text and attributes (`esc`), JSON inside a <script> (`script_json`: `<`, `>`, `&`,
U+2028/9 as \\u escapes), and text Plotly draws as SVG (`svg_text`: Plotly reads `<b>`-style tags in
names and hover text, so `<`, `>` and `&` become entities it shows literally). Amounts are formatted
from Decimal with Indian digit grouping (`inr`); charts get floats for positions only.
"""

from __future__ import annotations

import html
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def inr(value: Any) -> str:
    """An amount with Indian digit grouping and 2 decimals: Decimal('12345678.9') -> '1,23,45,678.90'."""
    if value is None:
        return "–"
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, fraction = f"{abs(amount):f}".split(".")
    head, groups = whole[:-3], [whole[-3:]]
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return ("-" if amount < 0 else "") + ",".join(groups) + "." + fraction


def rupees(value: Any) -> str:
    """`inr` with the rupee sign: '₹1,23,456.00', '-₹500.00'."""
    text = inr(value)
    return "-₹" + text[1:] if text.startswith("-") else "₹" + text


def esc(value: Any) -> str:
    """Text for HTML content or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def svg_text(value: Any) -> str:
    """Text Plotly draws (trace names, hover text): its tag-like markup shown as text, never parsed."""
    return html.escape("" if value is None else str(value), quote=False)


def script_json(value: Any) -> str:
    """JSON safe inside <script type="application/json">: no `</script>`, `<!--` or line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group(0)], text)
