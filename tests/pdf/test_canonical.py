"""The canonical report content against the shared test vectors (docs/report-content.md)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pdf.canonical import (
    canonical_text,
    content_from_json,
    content_sha256,
    decimal_text,
    text,
)
from tests.helpers import require_tool

VECTORS_DIR = Path(__file__).parent.parent / "vectors"
VECTORS: list[dict[str, Any]] = json.loads(
    (VECTORS_DIR / "report_content.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_python_implementation_matches_each_vector(vector: dict[str, Any]) -> None:
    content = content_from_json(vector["input"])
    assert canonical_text(content) == vector["canonical"]
    assert content_sha256(content) == vector["sha256"]
    assert hashlib.sha256(vector["canonical"].encode()).hexdigest() == vector["sha256"]


def test_vectors_cover_what_the_phone_must_get_right() -> None:
    names = {v["name"] for v in VECTORS}
    assert len(VECTORS) >= 6
    assert {"nfc_input", "nfd_input", "emoji_and_escapes", "decimal_quantities"} <= names
    by_name = {v["name"]: v for v in VECTORS}
    assert by_name["nfc_input"]["input"] != by_name["nfd_input"]["input"]
    assert by_name["nfc_input"]["sha256"] == by_name["nfd_input"]["sha256"]


def test_canonical_text_is_compact_sorted_json_without_floats() -> None:
    for vector in VECTORS:
        doc = json.loads(vector["canonical"])
        assert (
            json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            == (vector["canonical"])
        )
        assert doc["version"] == 1
        for part in doc["parts"]:
            assert isinstance(part["quantity"], str)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1", "1"),
        ("1.000", "1"),
        ("1.500", "1.5"),
        ("0.250", "0.25"),
        ("000.000", "0"),
        ("010.010", "10.01"),
    ],
)
def test_quantities_lose_insignificant_zeros(given: str, expected: str) -> None:
    assert decimal_text(given) == expected


@pytest.mark.parametrize("given", ["", "1\n", "1e3", "-1", "+1", " 1", "1.", ".5", "1,5", "１"])
def test_a_quantity_that_is_not_a_plain_decimal_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="not a decimal"):
        decimal_text(given)


def test_text_is_nfc_with_lf_line_ends() -> None:
    assert text("Cafe\u0301\r\nx\ry") == "Café\nx\ny"
    assert text("a\ud83db") == "a\ufffdb"


def test_the_javascript_reference_agrees_with_the_vectors() -> None:
    require_tool("node", "nodejs")
    result = subprocess.run(
        [
            "node",
            str(VECTORS_DIR / "canonical_reference.mjs"),
            str(VECTORS_DIR / "report_content.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
