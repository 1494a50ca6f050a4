"""Bounded, streamed decompression: a body's Content-Encoding undone, never past a limit.

A 1.6 KB brotli body (or 1 MB of gzip) can inflate to a gibibyte. Decoding it whole before
cutting it at the engine's body limit froze the proxy for seconds and held gigabytes, so every
reader (the live capture, the sink, HAR bodies, `.zhar` files, mitmproxy flow files) inflates here
instead: each coding is a generator of bounded chunks, the codings are chained lazily, and
inflation stops as soon as the output passes the limit. A bomb then costs what a body of `limit`
bytes costs, in memory and in time.

The output of an over-limit body is `limit + 1` bytes: enough for the engine to say the body is
over the limit, nothing more. Codings are named as in HTTP (`gzip`, `x-gzip`, `deflate` (zlib or
the raw deflate some servers send), `br`, `zstd`, `identity`); a header may list several, undone
from the last. Pure Python plus the optional `brotli` and `zstd` modules (both come with
mitmproxy), imported only when such a body shows up.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

CHUNK = 64 * 1024  # bytes of output per step: what one step holds beyond the result


class InflateError(ValueError):
    """The bytes do not decode as their coding says, or the coding is not one this reads."""


def codings(content_encoding: str | None) -> list[str]:
    """The codings a Content-Encoding header lists, lower case, in the order they were applied."""
    if not content_encoding:
        return []
    return [c.strip().lower() for c in content_encoding.split(",") if c.strip()]


def is_zlib(data: bytes) -> bool:
    """A zlib stream's two-byte header is checkable (RFC 1950): mitmproxy's `.zhar`, and the
    `deflate` most servers send."""
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def inflate(data: bytes, content_encoding: str | None, limit: int) -> bytes:
    """`data` with every coding of `content_encoding` undone, cut at `limit + 1` bytes.
    Raises InflateError when a coding is unknown or the bytes do not decode."""
    return bytes(take(stream(data, content_encoding), limit + 1))


def supported(coding: str) -> bool:
    return coding == "identity" or coding in _DECODERS


def stream(data: bytes, content_encoding: str | None) -> Iterator[bytes]:
    """The decoded bytes as a lazy stream of chunks of at most CHUNK bytes each: nothing is
    inflated before it is pulled. InflateError for a coding this does not read."""
    chunks: Iterator[bytes] = iter((data,))
    for coding in reversed(codings(content_encoding)):  # the last coding applied is undone first
        if coding == "identity":
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise InflateError(f"unsupported Content-Encoding {coding!r}")
        chunks = decoder(chunks)
    return chunks


def take(stream: Iterator[bytes], most: int) -> bytearray:
    """At most `most` bytes of a stream of chunks (a bytearray: a large capture file is not
    copied once more); stops pulling once it has them."""
    out = bytearray()
    try:
        for chunk in stream:
            out += chunk
            if len(out) >= most:
                del out[most:]
                break
    except InflateError:
        raise
    except Exception as e:  # zlib.error, brotli.error, zstd's ZstdError, EOFError
        raise InflateError(str(e) or type(e).__name__) from None
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return out


def _zlib(wbits_for: Callable[[bytes], int], what: str) -> Callable[[Iterator[bytes]], Iterator[bytes]]:
    """A streamed zlib-family decoder. gzip may hold several members one after another."""

    def decode(chunks: Iterator[bytes]) -> Iterator[bytes]:
        d: zlib._Decompress | None = None
        for data in chunks:
            while data:
                if d is None:
                    d = zlib.decompressobj(wbits_for(data))
                out = d.decompress(data, CHUNK)
                if out:
                    yield out
                data = d.unconsumed_tail
                while not data and not d.eof:  # output the last input left inside zlib
                    out = d.decompress(b"", CHUNK)
                    if not out:
                        break
                    yield out
                if d.eof:
                    if what != "gzip":
                        return  # what follows the stream is not part of it
                    data, d = d.unused_data, None  # gzip: the next member, if any
                    if not data.strip(b"\0"):  # NULs after the last member are padding
                        data = b""
        if d is not None and not d.eof:
            raise InflateError(f"{what} data ends before its end marker")

    return decode


def _deflate_wbits(data: bytes) -> int:
    return zlib.MAX_WBITS if is_zlib(data) else -zlib.MAX_WBITS  # zlib-wrapped, or raw deflate


_gunzip = _zlib(lambda _: 16 + zlib.MAX_WBITS, "gzip")
_inflate = _zlib(_deflate_wbits, "deflate")


def _unbrotli(chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        import brotli
    except ImportError:
        raise InflateError("brotli body, but the 'brotli' module is missing (pip install brotli)") from None
    d = brotli.Decompressor()
    for data in chunks:
        out = d.process(data, output_buffer_limit=CHUNK)
        while out:  # more output may wait inside even when it says it accepts more input
            yield out
            out = d.process(b"", output_buffer_limit=CHUNK)
        if d.is_finished():
            return  # what follows the stream is not part of it
    if not d.is_finished():
        raise InflateError("br data ends before its end marker")


def _unzstd(chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]  # Python >= 3.14
    except ImportError:
        try:
            from backports import zstd  # type: ignore[no-redef,unused-ignore]  # comes with mitmproxy
        except ImportError:
            raise InflateError("zstd body, but no zstd module (pip install backports.zstd)") from None
    d = zstd.ZstdDecompressor()
    for data in chunks:
        out = d.decompress(data, CHUNK)
        while True:
            if out:
                yield out
            if d.needs_input or d.eof:
                break
            out = d.decompress(b"", CHUNK)
        if d.eof:
            return
    raise InflateError("zstd data ends before its end marker")


_DECODERS: dict[str, Callable[[Iterator[bytes]], Iterator[bytes]]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _inflate,
    "br": _unbrotli,
    "zstd": _unzstd,
}
