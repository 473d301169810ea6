"""A local stand-in for the FinBox BankConnect API: synthetic sessions served over HTTP on 127.0.0.1."""

from .catalog import CASES, Catalog, build_catalog
from .faults import KINDS as FAULT_KINDS
from .faults import FaultConfig
from .server import Simulator

__all__ = ["CASES", "FAULT_KINDS", "Catalog", "FaultConfig", "Simulator", "build_catalog"]
