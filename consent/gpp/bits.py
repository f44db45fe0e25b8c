"""The GPP bit encodings: fixed-width integers, Fibonacci integers and ranges, and the base64url-like
character encoding every GPP header and US section uses (Consent String Specification, "Section
Encoding").

Bits are kept as a Python ``int`` with a length, most significant bit first, which is what the
specification's bit tables show. The character encoding maps each 6 bits to one character of the
RFC 4648 URL-safe alphabet, without ``=`` padding: it is not base64 of bytes.

Padding: the specification pads the bit string with zeros to a multiple of 6; IAB's reference library
(``@iabgpp/cmpapi``) first pads to a whole byte and then to a multiple of 6. We write what the reference
library writes (so strings compare equal as text too) and read either: the text of a part may carry at
most the reference library's padding, and every padding bit must be zero.
"""

from __future__ import annotations

from ..errors import GPPStringError

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}

# Fibonacci numbers F(2), F(3), ... as the specification numbers them: 1, 2, 3, 5, 8, ...
_FIB = [1, 2]
while _FIB[-1] < 1 << 32:
    _FIB.append(_FIB[-1] + _FIB[-2])


def padded_length(bit_count: int) -> int:
    """How many characters IAB's reference encoder writes for ``bit_count`` bits (a byte, then 6 bits)."""
    whole_bytes = -(-bit_count // 8) * 8
    return -(-whole_bytes // 6)


class BitWriter:
    """Appends fields to a growing bit string."""

    __slots__ = ("length", "value")

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def uint(self, value: int, width: int) -> None:
        if not 0 <= value < 1 << width:
            raise ValueError(f"{value} does not fit in {width} bits")
        self.value = self.value << width | value
        self.length += width

    def flag(self, value: bool) -> None:
        self.uint(1 if value else 0, 1)

    def fibonacci(self, value: int) -> None:
        """Zeckendorf digits of ``value`` from F(2) upwards, then the terminating 1 ("11" ends a code)."""
        if value < 1:
            raise ValueError(f"Fibonacci coding needs a positive integer, got {value}")
        top = 0
        while top + 1 < len(_FIB) and _FIB[top + 1] <= value:
            top += 1
        digits = [0] * (top + 1)
        remainder = value
        for index in range(top, -1, -1):
            if _FIB[index] <= remainder:
                digits[index] = 1
                remainder -= _FIB[index]
        for digit in digits:
            self.uint(digit, 1)
        self.uint(1, 1)

    def fibonacci_range(self, ids: list[int]) -> None:
        """A sorted set of positive ids as runs: 12-bit run count, then per run a flag (single or group),
        the offset from the previous run's last id, and for a group its length (last minus first)."""
        ordered = sorted(set(ids))
        runs: list[tuple[int, int]] = []
        for item in ordered:
            if runs and runs[-1][1] + 1 == item:
                runs[-1] = (runs[-1][0], item)
            else:
                runs.append((item, item))
        self.uint(len(runs), 12)
        previous = 0
        for first, last in runs:
            self.flag(first != last)
            self.fibonacci(first - previous)
            if first != last:
                self.fibonacci(last - first)
            previous = last

    def text(self) -> str:
        """The characters for these bits, zero-padded as IAB's reference encoder pads them."""
        count = padded_length(self.length)
        value = self.value << (count * 6 - self.length)
        return "".join(ALPHABET[value >> (6 * (count - 1 - i)) & 63] for i in range(count))


class BitReader:
    """Reads fields from the bits of one encoded part, failing with :class:`GPPStringError`."""

    __slots__ = ("length", "part", "position", "value")

    def __init__(self, text: str, part: str) -> None:
        self.part = part
        if not text:
            raise GPPStringError("empty", section=part)
        value = 0
        for char in text:
            digit = _VALUE.get(char)
            if digit is None:
                raise GPPStringError(f"{char!r} is not a base64url character", section=part)
            value = value << 6 | digit
        self.value = value
        self.length = 6 * len(text)
        self.position = 0

    def uint(self, width: int, field: str) -> int:
        if self.position + width > self.length:
            raise GPPStringError(f"truncated: {field} needs {width} more bits", section=self.part)
        self.position += width
        return self.value >> (self.length - self.position) & ((1 << width) - 1)

    def flag(self, field: str) -> bool:
        return self.uint(1, field) == 1

    def fibonacci(self, field: str) -> int:
        total = 0
        index = 0
        previous = 0
        while True:
            bit = self.uint(1, field)
            if bit and previous:
                return total
            if bit:
                if index >= len(_FIB):
                    raise GPPStringError(f"{field} is too large", section=self.part)
                total += _FIB[index]
            previous = bit
            index += 1

    def fibonacci_range(self, field: str) -> list[int]:
        count = self.uint(12, field)
        ids: list[int] = []
        previous = 0
        for _ in range(count):
            is_group = self.flag(field)
            first = previous + self.fibonacci(field)
            last = first + self.fibonacci(field) if is_group else first
            ids.extend(range(first, last + 1))
            previous = last
        return ids

    def finish(self) -> None:
        """Check that only zero padding remains, and no more of it than IAB's encoder writes."""
        used = self.position
        if self.length // 6 > padded_length(used):
            raise GPPStringError(
                f"wrong length: {self.length // 6} characters where {used} bits need at most "
                f"{padded_length(used)}",
                section=self.part,
            )
        if self.value & ((1 << (self.length - used)) - 1):
            raise GPPStringError("non-zero padding bits", section=self.part)
