"""Check digits of Japanese identification numbers (REFERENCE §1).

A check digit turns "twelve digits" into "very probably a My Number": a random digit run
passes with probability 1/10 or less, so recognizers use validity to raise a score, and
to report numbers without a context word at all. Both functions take digits only (the
caller strips spaces and hyphens) and raise ``ValueError`` — whose message never quotes
the number — on anything else.
"""

from __future__ import annotations

__all__ = ["insurer_check_digit", "is_valid_insurer_number", "is_valid_my_number", "my_number_check_digit"]

# Weights for the first 11 digits read from the right (Q1 is the 11th digit).
_MY_NUMBER_WEIGHTS = (2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6)


def _require_digits(value: str, lengths: tuple[int, ...], what: str) -> None:
    if not (value.isascii() and value.isdigit() and len(value) in lengths):
        raise ValueError(f"{what} must be {' or '.join(map(str, lengths))} ASCII digits")


def my_number_check_digit(first11: str) -> int:
    """The 12th digit of a My Number (個人番号) whose first 11 digits are ``first11``.

    Reverse the 11 digits, weight them 2,3,4,5,6,7,2,3,4,5,6, r = sum mod 11;
    the check digit is 0 when r ≤ 1, else 11 − r.
    """
    _require_digits(first11, (11,), "the first part of a My Number")
    total = sum(int(d) * w for d, w in zip(reversed(first11), _MY_NUMBER_WEIGHTS, strict=True))
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(s: str) -> bool:
    """True if ``s`` is 12 ASCII digits whose last digit is the My Number check digit."""
    if not (len(s) == 12 and s.isascii() and s.isdigit()):
        return False
    return my_number_check_digit(s[:11]) == int(s[11])


def insurer_check_digit(first7: str) -> int:
    """The check digit of a 保険者番号 whose other digits are ``first7``.

    From the rightmost digit, multiply alternately by 2 and 1, add the *digits* of the
    products, and take (10 − last digit of the sum) mod 10. Eight-digit numbers pass 7
    digits; the six-digit 国保 numbers use the same rule on their first 5.
    """
    _require_digits(first7, (5, 7), "the first part of an insurer number")
    total = 0
    for i, d in enumerate(reversed(first7)):
        product = int(d) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def is_valid_insurer_number(s: str) -> bool:
    """True if ``s`` is a 保険者番号 (8 digits, or 6 for 国保) with a valid check digit."""
    if not (len(s) in (6, 8) and s.isascii() and s.isdigit()):
        return False
    return insurer_check_digit(s[:-1]) == int(s[-1])
