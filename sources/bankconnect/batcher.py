"""Per-session Arrow tables buffered and handed on as few, large tables (dlt's cost is per item)."""

from __future__ import annotations

from typing import Dict, List, Optional

import pyarrow as pa


class Batcher:
    """Buffers per-session tables and hands them on in few, large Arrow tables.

    dlt's work per Arrow item does not depend on its size, so items should be large: when the
    buffer holds `max_rows` rows, the tables holding the most rows go on until it is below
    again, while small tables (one row per session or account) keep collecting.
    """

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self._chunks: Dict[str, List[pa.Table]] = {}
        self._table_rows: Dict[str, int] = {}
        self._rows = 0

    def add(self, tables: Dict[str, pa.Table], hand_on: bool = True) -> Optional[Dict[str, pa.Table]]:
        """Buffer tables; returns the tables that should go on now, if any (never, with hand_on=False)."""
        for name, table in tables.items():
            self._chunks.setdefault(name, []).append(table)
            self._table_rows[name] = self._table_rows.get(name, 0) + table.num_rows
            self._rows += table.num_rows
        if not hand_on:
            return None
        batch: Dict[str, pa.Table] = {}
        while self._rows >= self.max_rows and self._chunks:
            name = max(self._table_rows, key=self._table_rows.__getitem__)
            batch[name] = self._take(name)
        return batch or None

    def flush(self) -> Optional[Dict[str, pa.Table]]:
        """Everything buffered, or None when empty."""
        batch = {name: self._take(name) for name in list(self._chunks)}
        return batch or None

    def _take(self, name: str) -> pa.Table:
        chunks = self._chunks.pop(name)
        self._rows -= self._table_rows.pop(name)
        return chunks[0] if len(chunks) == 1 else pa.concat_tables(chunks)
