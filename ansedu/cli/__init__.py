"""``ansedu``: compress and decompress files with the course's context model and ANS.

    ansedu compress [options] [FILE ...]      FILE -> FILE.ans
    ansedu decompress [options] [FILE ...]    FILE.ans -> FILE
    ansedu info FILE ...                      settings, sizes and ratio of .ans files

The conventions are gzip's and xz's: several files at once; no FILE or ``-`` reads standard
input and writes standard output; ``-c`` writes to standard output; ``-o`` names the output;
an existing output is replaced only with ``-f``. The input is never deleted or changed. Output
goes to a temporary file in the target folder that is renamed into place when it is complete,
so an error or Ctrl-C never leaves a partial file. Exit status: 0 success, 1 error, 2 warning
(a file was skipped, e.g. one without the ``.ans`` suffix), as for gzip. The container format is
described in :mod:`ansedu.cli.container`.

With numba installed the model and coder run compiled (:mod:`ansedu.fast.fullcoder`: the same
bytes as the pure-Python reference, some 50 times faster); ``--reference`` (or
``ANSEDU_REFERENCE=1`` in the environment) runs the reference instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import stat
import sys
import tempfile
import time

from ..errors import AnseduError
from .container import (DEFAULT_BLOCK_SIZE, DEFAULT_ORDER, HEADER_SIZE, MAX_BLOCK_SIZE, Header,
                        compress_stream, decompress_stream, read_header)

__all__ = ["main", "SUFFIX"]

SUFFIX = ".ans"
OK, ERROR, WARNING = 0, 1, 2
_PROGRESS_MIN = 64 * 1024  # -v shows a progress bar from this input size on


class _Skip(Exception):
    """A file that is skipped with a warning (exit status 2)."""


class _Fail(Exception):
    """A file that failed with an error (exit status 1)."""


def _size(text: str) -> int:
    units = {"": 1, "k": 1 << 10, "ki": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mi": 1 << 20,
             "mib": 1 << 20}
    t = text.strip().lower()
    num = t.rstrip("kmib")
    try:
        value = int(num) * units[t[len(num):]]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 65536, 64k, 1M)") from None
    if not 1 <= value <= MAX_BLOCK_SIZE:
        raise argparse.ArgumentTypeError(f"the block size must be 1 byte to 1 GiB, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with 1, as gzip's do (argparse's 2 would read as a warning here)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(ERROR, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ansedu", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compress and decompress files with an adaptive context model and ANS "
                    "(the full coder of the ansedu course).",
        epilog="Exit status: 0 success, 1 error, 2 warning (a file skipped). "
               "Run 'ansedu COMMAND --help' for a command's options.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def common(p, outputs=True):
        p.add_argument("files", nargs="*", metavar="FILE",
                       help="input files; none, or '-', reads standard input and writes standard output")
        if outputs:
            p.add_argument("-c", "--stdout", action="store_true",
                           help="write to standard output, keep the input files (as gzip -c)")
            p.add_argument("-o", "--output", metavar="OUTPUT",
                           help="write to OUTPUT instead of the default name (one input file only; "
                                "'-' is standard output)")
            p.add_argument("-f", "--force", action="store_true",
                           help="replace existing output files, and write compressed data to a terminal")
            p.add_argument("-k", "--keep", action="store_true",
                           help="keep the input files (always the case: ansedu never deletes its input; "
                                "accepted for gzip/xz habits)")
            p.add_argument("-v", "--verbose", action="store_true",
                           help="show a progress bar on large inputs and a summary line per file "
                                "(sizes, ratio, bits/byte, speed) on standard error")
            p.add_argument("-q", "--quiet", action="store_true", help="print no warnings")
            p.add_argument("--reference", action="store_true",
                           help="run the pure-Python reference coder (10 to 40 kB/s) instead of the "
                                "compiled one (numba); the output is the same byte for byte. "
                                "ANSEDU_REFERENCE=1 in the environment does the same")
        return p

    c = common(sub.add_parser("compress", help="compress files (FILE -> FILE.ans)",
                              description="Compress each FILE into FILE.ans."))
    c.add_argument("--order", type=int, default=DEFAULT_ORDER, metavar="K",
                   help=f"longest context of the model in bytes, 0..8 (default {DEFAULT_ORDER}): "
                        "higher predicts text better but learns more slowly and needs more memory")
    c.add_argument("--block-size", type=_size, default=DEFAULT_BLOCK_SIZE, metavar="SIZE",
                   help="bytes per independently coded block, e.g. 64k or 1M (default 1M): memory "
                        "stays bounded, but every block's model starts from nothing")
    c.add_argument("--table-bits", type=int, default=22, metavar="BITS",
                   help="each order's table has 2^BITS nodes, 16..30 (default 22: 8 MiB per order)")
    common(sub.add_parser("decompress", help="decompress .ans files (FILE.ans -> FILE)",
                          description="Decompress each FILE.ans into FILE, checking every checksum."))
    common(sub.add_parser("info", help="show the settings and sizes of .ans files",
                          description="Show the settings, sizes and compression ratio of .ans files "
                                      "(reads the headers only; checks nothing beyond them)."),
           outputs=False)
    return parser


def _summary(name: str, n_in: int, n_out: int, seconds: float, compressing: bool) -> str:
    raw, packed = (n_in, n_out) if compressing else (n_out, n_in)
    ratio = raw / packed if packed else float("inf")
    bpb = 8 * packed / raw if raw else 0.0
    speed = raw / seconds / 1e3 if seconds > 0 else float("inf")
    return (f"{name}: {n_in} -> {n_out} bytes, ratio {ratio:.3f}, {bpb:.3f} bits/byte, "
            f"{speed:.1f} kB/s")


class _Progress:
    """A tqdm bar (on standard error) when asked for and the input is large enough, else nothing."""

    def __init__(self, enabled: bool, total: int, name: str):
        self.bar = None
        if enabled and total >= _PROGRESS_MIN:
            from tqdm import tqdm  # imported only when a bar is shown
            self.bar = tqdm(total=total, desc=name, unit="B", unit_scale=True, leave=False,
                            file=sys.stderr)

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def set_total(self, total: int) -> None:
        """Count to ``total`` instead (decompressing: the original length, known from the header)."""
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _spool(stream):
    """Standard input copied to an anonymous temporary file (so its length is known; memory stays bounded)."""
    tmp = tempfile.TemporaryFile()
    shutil.copyfileobj(stream, tmp, 1 << 20)
    tmp.seek(0)
    return tmp


def _output_name(path: str, compressing: bool, args) -> str:
    if args.output is not None:
        return args.output
    if compressing:
        if path.endswith(SUFFIX):
            raise _Skip(f"{path} already has the {SUFFIX} suffix -- unchanged")
        return path + SUFFIX
    if not path.endswith(SUFFIX) or len(path) == len(SUFFIX) or path.endswith("/" + SUFFIX):
        raise _Skip(f"{path}: unknown suffix (not {SUFFIX}) -- ignored")
    return path[:-len(SUFFIX)]


def _write_atomically(target: str, force: bool, produce, mode: int | None) -> int:
    """Run ``produce(file)`` into a temporary file beside ``target``, then rename it into place.

    On any exception (including KeyboardInterrupt) the temporary file is removed and ``target``
    is untouched."""
    if os.path.lexists(target) and not force:
        raise _Fail(f"{target} already exists; not overwritten (use -f to replace it)")
    folder = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(target) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            n = produce(f)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, stat.S_IMODE(mode))
        if force:
            os.replace(tmp, target)
        else:
            try:  # link + unlink: fails instead of replacing a file that appeared meanwhile
                os.link(tmp, target)
            except FileExistsError:
                raise _Fail(f"{target} already exists; not overwritten (use -f to replace it)") from None
            except OSError:  # a file system without hard links
                if os.path.lexists(target):
                    raise _Fail(f"{target} already exists; not overwritten (use -f to replace it)") from None
                os.replace(tmp, target)
            else:
                os.unlink(tmp)
        return n
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _process(path: str, args, compressing: bool, settings: Header | None) -> None:
    use_stdin = path == "-"
    to_stdout = args.stdout or use_stdin and args.output is None or args.output == "-"
    name = "(stdin)" if use_stdin else path
    if not use_stdin:
        if not os.path.exists(path):
            raise _Fail(f"{path}: no such file")
        if os.path.isdir(path):
            raise _Skip(f"{path} is a directory -- ignored")
        target = None if to_stdout else _output_name(path, compressing, args)
        if target is not None and os.path.exists(target) and os.path.samefile(path, target):
            raise _Fail(f"{path}: the output would be the input itself")
    else:
        target = None if to_stdout else args.output
    if compressing and to_stdout and sys.stdout.isatty() and not args.force:
        raise _Fail("compressed data not written to a terminal (use -f to force, or -o / a pipe)")

    src = _spool(sys.stdin.buffer) if use_stdin else open(path, "rb")
    try:
        length = os.fstat(src.fileno()).st_size
        mode = None if use_stdin else os.fstat(src.fileno()).st_mode
        progress = _Progress(args.verbose, length, os.path.basename(name))
        start = time.perf_counter()

        compiled = False if args.reference else None  # None: compiled when numba is installed

        def produce(dst):
            if compressing:
                return compress_stream(src, dst, length, settings, progress, compiled=compiled)
            header = read_header(src)  # the bar counts decompressed bytes, up to the original length
            progress.set_total(header.length)
            return decompress_stream(src, dst, progress, header=header, compiled=compiled)

        try:
            if to_stdout:
                out = sys.stdout.buffer
                n_out = produce(out)
                out.flush()
            else:
                n_out = _write_atomically(target, args.force, produce, mode)
        finally:
            progress.close()
        seconds = time.perf_counter() - start
    finally:
        src.close()
    if args.verbose:
        print(_summary(name, length, n_out, seconds, compressing), file=sys.stderr)


def _info(path: str) -> str:
    src = _spool(sys.stdin.buffer) if path == "-" else open(path, "rb")
    with src:
        size = os.fstat(src.fileno()).st_size
        h = read_header(src)
    ratio = h.length / size if size else float("inf")
    bpb = 8 * size / h.length if h.length else 0.0
    return (f"{'(stdin)' if path == '-' else path}: format {h.version}, order {h.order}, precision "
            f"{h.precision}, table bits {h.table_bits}, block size {h.block_size}, {h.num_blocks} "
            f"block(s); {size} -> {h.length} bytes, ratio {ratio:.3f}, {bpb:.3f} bits/byte")


def main(argv=None) -> int:
    """The ``ansedu`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    status = OK
    files = args.files or ["-"]
    compressing = args.command == "compress"
    settings = None
    if compressing:
        try:
            settings = Header(order=args.order, table_bits=args.table_bits,
                              block_size=args.block_size).check()
        except AnseduError as e:
            print(f"ansedu: {e}", file=sys.stderr)
            return ERROR
    if args.command != "info" and args.output is not None and len(files) > 1:
        print("ansedu: -o OUTPUT takes one input file", file=sys.stderr)
        return ERROR
    if files.count("-") > 1:
        print("ansedu: standard input can be read only once", file=sys.stderr)
        return ERROR
    for path in files:
        try:
            if args.command == "info":
                print(_info(path))
            else:
                _process(path, args, compressing, settings)
        except _Skip as e:
            if not getattr(args, "quiet", False):
                print(f"ansedu: {e}", file=sys.stderr)
            status = max(status, WARNING) if status != ERROR else ERROR
        except BrokenPipeError:  # the reader of standard output went away (e.g. | head): stop
            # quietly, as gzip does; point stdout at /dev/null so that Python's final flush
            # does not report the same broken pipe again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return ERROR
        except (_Fail, AnseduError, OSError) as e:
            msg = e.strerror + f": {e.filename}" if isinstance(e, OSError) and e.strerror else str(e)
            print(f"ansedu: {path}: {msg}" if not str(msg).startswith(path) else f"ansedu: {msg}",
                  file=sys.stderr)
            status = ERROR
        except KeyboardInterrupt:
            print("ansedu: interrupted; no partial output was left", file=sys.stderr)
            return 128 + signal.SIGINT
    return status
