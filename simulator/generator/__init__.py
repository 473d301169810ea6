"""Synthetic BankConnect sessions: transactions that add up, and every insights part derived from them."""

from .documents import SessionDocs, Shape, build_session

__all__ = ["SessionDocs", "Shape", "build_session"]
