"""Calls the calculator server from Python, with thriftpy2 (which reads the
IDL at run time, so there is nothing to generate).

    python3 python/client.py [--port 9090]

Start the server first: `cargo run -p calculator -- serve`. Exits 0 when
every answer is the expected one.
"""

import argparse
import os
import sys

import thriftpy2
from thriftpy2.rpc import make_client

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=9090)
    args = ap.parse_args()

    calc = thriftpy2.load(os.path.join(HERE, "..", "idl", "calculator.thrift"),
                          module_name="calculator_thrift")
    client = make_client(calc.Calculator, "127.0.0.1", args.port, timeout=10000)

    client.ping()
    print("ping: ok")

    total = client.add(2, 40)
    print("2 + 40 =", total)
    assert total == 42, total

    work = calc.Work(left=15, right=4, op=calc.Op.SUBTRACT, comment="from python")
    diff = client.calculate(-1, work)
    print("15 - 4 =", diff)
    assert diff == 11, diff

    try:
        client.calculate(-2, calc.Work(left=1, right=0, op=calc.Op.DIVIDE))
        raise SystemExit("1 / 0 should have raised BadWork")
    except calc.BadWork as e:
        print("1 / 0: BadWork:", e.why)
        assert e.op == calc.Op.DIVIDE

    entry = client.getEntry(-1)
    print("log entry -1:", entry.value)
    assert entry.key == -1 and entry.value == "11", entry

    client.zip()
    zips = client.zips()
    print("zips so far:", zips)
    assert zips >= 1, zips
    print("all answers as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
