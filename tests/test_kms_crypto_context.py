"""kms.crypto.context: the canonical encryption-context encoding, byte for byte."""

from __future__ import annotations

import pytest

from kms.crypto.context import canonical_context
from kms.crypto.errors import ValidationError


def test_empty_and_none_encode_the_same() -> None:
    assert canonical_context(None) == canonical_context({}) == b"\x00\x00\x00\x00"


def test_fixed_vector_sorted_by_utf8_key_bytes() -> None:
    # Insertion order does not matter; keys sort by their UTF-8 bytes ("é" = c3 a9 last).
    encoded = canonical_context({"é": "ü", "b": "2", "a": "1"})
    assert encoded == (
        b"\x00\x00\x00\x03"
        b"\x00\x00\x00\x01a" b"\x00\x00\x00\x011"
        b"\x00\x00\x00\x01b" b"\x00\x00\x00\x012"
        b"\x00\x00\x00\x02\xc3\xa9" b"\x00\x00\x00\x02\xc3\xbc"
    )


def test_single_pair_vector() -> None:
    assert canonical_context({"ab": "c"}) == (
        b"\x00\x00\x00\x01\x00\x00\x00\x02ab\x00\x00\x00\x01c")


@pytest.mark.parametrize(("left", "right"), [
    ({"ab": "c"}, {"a": "bc"}),
    ({"a": ""}, {}),
    ({"a": "b", "c": "d"}, {"a": "b\x00\x00\x00\x01c\x00\x00\x00\x01d"}),
    ({"": "ab"}, {"a": "b"}),
    ({"A": "b"}, {"a": "b"}),
    ({"a": "B"}, {"a": "b"}),
])
def test_different_contexts_never_collide(left: dict[str, str], right: dict[str, str]) -> None:
    assert canonical_context(left) != canonical_context(right)


def test_order_of_pairs_does_not_matter() -> None:
    pairs = [("aws:s3:arn", "arn:aws:s3:::b/k"), ("purpose", "test"), ("z", ""), ("Ω", "1")]
    assert canonical_context(dict(pairs)) == canonical_context(dict(reversed(pairs)))


def test_sort_is_by_bytes_not_code_points() -> None:
    # U+FFFF (ef bf bf) sorts before U+10000 (f0 90 80 80) both ways; U+E000 (ee 80 80)
    # vs U+10000 likewise. A surrogate-pair-based (UTF-16) sort would differ.
    encoded = canonical_context({"\U00010000": "x", "\uffff": "y"})
    assert encoded.index("\uffff".encode()) < encoded.index("\U00010000".encode())


@pytest.mark.parametrize("ctx", [{"a": 1}, {1: "a"}, {"\ud800": "x"}, {"k": "\udfff"}])
def test_non_text_is_a_validation_error(ctx: dict[object, object]) -> None:
    with pytest.raises(ValidationError):
        canonical_context(ctx)  # type: ignore[arg-type]
