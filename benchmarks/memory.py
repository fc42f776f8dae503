"""Peak memory of reading and fitting a large vector-pair parquet file, against the raw read.

Builds (in a temporary folder, or at --data) a parquet file of --rows pairs of --dim-d float32
vectors (`vector.a`, `vector.b`, `label`), then measures, each in a fresh subprocess, the peak
resident memory above what the process held right after its imports:

- raw read: `pyarrow.parquet.read_table` (the floor any reader starts from);
- read_preferences: causalpref's reader with layout="auto";
- fit: `causalpref fit --method bt --encoder precomputed` for one epoch (hold-out included).

Prints the data size (bytes of floats), each peak, its ratio to the data size, and the bound
the fit must meet (peak <= 2 x data size), PASS or FAIL; the exit code is 1 on FAIL.

    python benchmarks/memory.py [--rows 200000] [--dim 384] [--data PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BOUND = 2.0
CHUNK = 20_000

# Each child imports what its step needs, records its resident memory, runs the step, and
# prints {"base": bytes after imports, "peak": peak bytes} as its last line.
CHILD = r"""
import json, resource, sys
{imports}

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()

base = rss()
path, out = sys.argv[1], sys.argv[2]
{step}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"base": base, "peak": peak}}))
"""

STEPS = {
    "raw read (pyarrow.parquet.read_table)": (
        "import pyarrow.parquet as pq",
        "table = pq.read_table(path)",
    ),
    "read_preferences (layout=auto)": (
        "from causalpref.data import read_preferences",
        "data = read_preferences(path)",
    ),
    "fit --method bt --encoder precomputed": (
        "import torch\nfrom causalpref import cli\nimport causalpref.methods",
        "sys.argv = ['causalpref', 'fit', path, '--method', 'bt', '--encoder', 'precomputed',\n"
        "            '--epochs', '1', '--hidden-dim', '64', '--quiet', '--out', out]\n"
        "try:\n    cli.main()\nexcept SystemExit as e:\n"
        "    if e.code:\n        raise\n",
    ),
}


def build(path: Path, rows: int, dim: int, seed: int = 0) -> None:
    """Write `rows` random vector pairs whose labels follow a linear reward, in row groups."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(dim).astype(np.float32)
    schema = pa.schema(
        [
            ("vector.a", pa.list_(pa.float32(), dim)),
            ("vector.b", pa.list_(pa.float32(), dim)),
            ("label", pa.float64()),
        ]
    )
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            a = rng.standard_normal((n, dim), dtype=np.float32)
            b = rng.standard_normal((n, dim), dtype=np.float32)
            label = ((a - b) @ w > 0).astype(np.float64)
            columns = [_fixed(a), _fixed(b), pa.array(label)]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))


def _fixed(values: np.ndarray) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])


def measure(imports: str, step: str, path: Path, out: Path) -> int:
    """Peak resident bytes of `step` in a fresh interpreter, above its memory after imports."""
    code = CHILD.format(imports=imports, step=step)
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"step failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["peak"] - result["base"]


def data_bytes(path: Path) -> int:
    """Bytes of the vector floats: rows x 2 x dim x 4."""
    meta = pq.read_metadata(path)
    dim = pq.read_schema(path).field("vector.a").type.list_size
    return meta.num_rows * 2 * dim * 4


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--data", type=Path, help="parquet to use (built there if missing)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.data or Path(tmp) / "pairs.parquet"
        if not path.exists():
            build(path, args.rows, args.dim)
        size = data_bytes(path)
        print(f"{pq.read_metadata(path).num_rows} pairs, data size {size / 2**20:.0f} MiB")
        print(f"{'step':42s} {'peak MiB':>9s} {'x data':>7s}")
        peaks = {}
        for i, (name, (imports, step)) in enumerate(STEPS.items()):
            peaks[name] = measure(imports, step, path, Path(tmp) / f"model{i}")
            print(f"{name:42s} {peaks[name] / 2**20:9.0f} {peaks[name] / size:6.2f}x")
        fit = peaks["fit --method bt --encoder precomputed"]
        verdict = "PASS" if fit <= BOUND * size else "FAIL"
        print(
            f"\nbound: fit peak <= {BOUND:g} x data size "
            f"({BOUND * size / 2**20:.0f} MiB): {verdict}"
        )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
