"""Data contracts: ODCS v3 YAML under contracts/<provider kind>/<dataset>.yaml.

Load and check them, compile each to a pandera schema (row checks) and a Great Expectations
suite (dataset checks), and validate a dataset into a `Report` that never quotes identifiers.
"""

from hub.contracts.compile_dataset import compile_expectation_suite
from hub.contracts.compile_rows import RowChecker, compile_row_schema
from hub.contracts.loader import ContractProblems, check_contracts, load_contracts, one_line
from hub.contracts.model import (
    GENERALISATIONS,
    IDENTIFIER_KINDS,
    PROVIDER_KINDS,
    Column,
    Contract,
    QualityRule,
    normalise_column_name,
)
from hub.contracts.report import (
    ColumnProblem,
    DatasetCheck,
    Report,
    RowFailure,
    observed_figures,
    validate,
)
from hub.contracts.source import (
    Problem,
    YamlDocument,
    YamlSyntaxError,
    display_path,
    duplicate_keys,
    pydantic_problems,
    read_yaml,
)
from hub.contracts.state import current_contracts, init_app

__all__ = [
    "normalise_column_name",
    "GENERALISATIONS",
    "IDENTIFIER_KINDS",
    "PROVIDER_KINDS",
    "Column",
    "ColumnProblem",
    "Contract",
    "ContractProblems",
    "DatasetCheck",
    "Problem",
    "QualityRule",
    "Report",
    "RowChecker",
    "RowFailure",
    "YamlDocument",
    "YamlSyntaxError",
    "check_contracts",
    "compile_expectation_suite",
    "compile_row_schema",
    "current_contracts",
    "display_path",
    "duplicate_keys",
    "init_app",
    "load_contracts",
    "observed_figures",
    "one_line",
    "pydantic_problems",
    "read_yaml",
    "validate",
]
