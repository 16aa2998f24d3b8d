"""Fuzz `tpp check`: 1,200 mutated spec files through the real entry point. Whatever the file
holds, `tpp check` answers with exit code 0 (valid) or 2 (problems, each at file:line) and
never a traceback. Deterministic (fixed seed); in-process, since a subprocess per file is slow."""

from __future__ import annotations

import io
import random
import re
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from tpp import cli
from tpp.cli import root as app_module
from tpp.specs.spec import example_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CASES = 1_200
SEED = 20_270_101
ERROR_LINE = re.compile(r"\.toml:\d+ ")

WRONG_VALUES = [
    "0", "-1", "1.5", "true", "[]", "[1, 2]", "{}", '{ a = 1 }', "2027-01-01", "2027-01-01T00:00:00Z", "12:00:00",
    '""', '"x"', '"0x"', f'"{"9" * 90} ZK"', str(2**300), "nan", "inf", '"1e999 ZK"', '"-5 ZK"', '"100%"',
    '"90d"', '"10 ZK/s"', '"STOP"', '"staking"', '"stream"', '"0x0000000000000000000000000000000000000000"',
    '"0xabababababababababababababababababababab"', '"💥"', '"\\u0000"', "'''multi\nline'''", '"2027-02-30"',
]  # fmt: skip
UNICODE = ["é", "💥", "\u202e", "\u0000", "\ufeff", "ß", "中", "\t", "\r", "\\", '"', "'", "[", "]", "=", "#", "."]


def _key_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if re.match(r"\s*[A-Za-z0-9_\"'.-]+\s*=", line)]


def mutate(text: str, rng: random.Random) -> str | bytes:
    lines = text.splitlines()
    keyed = _key_lines(lines) or [0]
    choice = rng.randrange(11)
    if choice == 0 and lines:  # delete lines
        for _ in range(rng.randint(1, 3)):
            if lines:
                del lines[rng.randrange(len(lines))]
    elif choice == 1 and lines:  # duplicate a line (duplicate keys, tables)
        i = rng.randrange(len(lines))
        lines.insert(rng.randrange(len(lines) + 1), lines[i])
    elif choice == 2 and len(keyed) > 1:  # swap values between two keys
        a, b = rng.sample(keyed, 2)
        ka, _, va = lines[a].partition("=")
        kb, _, vb = lines[b].partition("=")
        lines[a], lines[b] = f"{ka}={vb}", f"{kb}={va}"
    elif choice == 3:  # a wrong type or odd value for a key
        i = rng.choice(keyed)
        key = lines[i].partition("=")[0]
        lines[i] = f"{key}= {rng.choice(WRONG_VALUES)}"
    elif choice == 4:  # random unicode somewhere
        out = text
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(out) + 1)
            out = out[:pos] + rng.choice(UNICODE) + out[pos:]
        return out
    elif choice == 5:  # truncation
        return text[: rng.randrange(len(text) + 1)]
    elif choice == 6:  # raw bytes, possibly not UTF-8
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 5)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    elif choice == 7:  # swap two lines (keys move between tables)
        if len(lines) > 1:
            a, b = rng.sample(range(len(lines)), 2)
            lines[a], lines[b] = lines[b], lines[a]
    elif choice == 8:  # tweak a number or unit inside a value
        i = rng.choice(keyed)
        lines[i] = re.sub(
            r"\d+", lambda m: str(int(m.group()) * rng.choice([0, 2, 10, 1000, 10**30]) + rng.randint(0, 9)), lines[i], count=1
        )
        lines[i] = lines[i].replace(rng.choice(["ZK", "d", "%", "0x", "-"]), rng.choice(["", "ETH", "mo", "bps", "0X", "/"]), 1)
    elif choice == 9:  # an unknown key or table
        lines.insert(
            rng.randrange(len(lines) + 1),
            rng.choice(
                [
                    "bogus = 1",
                    "[programme.x]",
                    "[[programme]]",
                    "[globals]",
                    "globals = 3",
                    "programme = 1",
                    "[programme.a.dials.speed]",
                ]
            ),
        )
    else:  # several mutations in a row
        out: str | bytes = text
        for _ in range(rng.randint(2, 4)):
            out = mutate(out if isinstance(out, str) else out.decode("utf-8", "replace"), rng)
        return out
    return "\n".join(lines) + ("\n" if rng.random() < 0.9 else "")


def run_check(path: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["tpp", "check", str(path)]
    app_module.state["debug"] = False
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    return code, out.getvalue() + err.getvalue()


def test_fuzz_check_never_crashes(tmp_path):
    rng = random.Random(SEED)
    sources = {name: (EXAMPLES / name).read_text() for name in ("liquidity.toml", "stream.toml", "portfolio.toml")}
    sources["init.toml"] = example_spec(now=1_790_000_000)
    globals_text = (EXAMPLES / "globals.toml").read_text()
    codes = {0: 0, 2: 0}
    for case in range(CASES):
        folder = tmp_path / f"case{case % 50}"
        folder.mkdir(exist_ok=True)
        # One case in five mutates the globals file the spec points to instead of the spec.
        globals_mutated = rng.random() < 0.2
        gtext = mutate(globals_text, rng) if globals_mutated else globals_text
        (folder / "globals.toml").write_bytes(gtext if isinstance(gtext, bytes) else gtext.encode("utf-8", "surrogatepass"))
        name = rng.choice(sorted(sources))
        text = sources[name] if globals_mutated else mutate(sources[name], rng)
        spec = folder / "spec.toml"
        spec.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        code, output = run_check(spec)
        assert code in (0, 2), f"case {case} ({name}): exit {code}\n{output}\n--- spec ---\n{text!r}"
        assert "Traceback" not in output, f"case {case}: {output}"
        if code == 2:
            assert ERROR_LINE.search(output), f"case {case}: no file:line in\n{output}"
        codes[code] += 1
    # The mutations reach both outcomes, so neither path goes untested.
    assert codes[0] > 20 and codes[2] > 500, codes
