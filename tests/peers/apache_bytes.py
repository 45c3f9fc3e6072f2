"""Byte-exact peer for tests/tests/apache_bytes.rs.

Usage: apache_bytes.py GEN_DIR < requests

GEN_DIR holds the code of `thrift -r --gen py fixtures/codegen/apache.thrift`.
Each request line is `CASE PROTO HEX`: the bytes our generated Rust code
wrote for the value CASE (built below exactly as the Rust test builds it)
in PROTO (`binary` or `compact`). For each line this prints
`CASE PROTO HEX DECODED` where HEX is what Apache's Python library writes
for the same value and DECODED is `equal` if our bytes decode to a value
equal to it (else the error or the decoded value).
"""

import sys

sys.path.insert(0, sys.argv[1])

try:
    from thrift.protocol import TBinaryProtocol, TCompactProtocol
    from thrift.transport import TTransport
    from thrift.TSerialization import serialize
except ImportError as e:  # pragma: no cover - reported by the Rust test
    print("IMPORT-ERROR thrift: %s" % e)
    sys.exit(3)

from cg_apache.ttypes import Basics, Holder, Mood, Nesting, OldIds, Oops, Pick, WithDefaults
from common.ttypes import Level, Point

TEXT = "h\u00e9llo \u2603 \U0001d11e"


def basics(i):
    return Basics(
        flag=i % 2 == 0,
        tiny=-128 + i,
        small=-32768 + i,
        medium=-(2**31) + i,
        big=-(2**63) + i,
        real=-1.25e300 * (i + 1),
        text=TEXT + str(i),
        raw=bytes([0, 255, i % 256]),
    )


CASES = {
    "basics": lambda: basics(1),
    "basics_max": lambda: Basics(
        flag=True,
        tiny=127,
        small=32767,
        medium=2**31 - 1,
        big=2**63 - 1,
        real=float("inf"),
        text="",
        raw=b"",
    ),
    "defaults_minimal": lambda: WithDefaults(must=5),
    "defaults_full": lambda: WithDefaults(
        must=-1,
        maybe=7,
        plain=0,
        note="n",
        text="x",
        nums=[],
        mood=99,
        level=Level.LOW,
        ratio=-0.0,
        on=False,
    ),
    "nesting_ordered": lambda: Nesting(
        grid=[[1, 2], [], [3]],
        paths={"p": [Point(x=1.0, y=2.0), Point(x=-3.5, y=0.0)]},
        layers=[{"a": {9}}, {}],
        tags={"only"},
        moods={3: Mood.HAPPY},
        items=[basics(2), basics(3)],
        spot=Point(x=0.5, y=0.25),
    ),
    "nesting_unordered": lambda: Nesting(
        grid=[],
        paths={"a": [], "b": [Point(x=1.0, y=1.0)], "c": []},
        layers=[{"k": {1, 2, 3}, "l": set()}],
        tags={"x", "y", "z"},
        moods={1: Mood.SAD, 2: Mood.OK, 3: 77},
        items=[],
        spot=None,
    ),
    "pick_number": lambda: Holder(pick=Pick(number=-5), other=None, mood=Mood.OK),
    "pick_word": lambda: Holder(pick=Pick(word=TEXT), other=Pick(number=0), mood=Mood.SAD),
    "pick_nested": lambda: Holder(
        pick=Pick(many=[Pick(point=Point(x=1.0, y=-1.0)), Pick(many=[]), Pick(word="w")]),
        other=None,
        mood=Mood.HAPPY,
    ),
    "oops": lambda: Oops(message="bad", code=500),
    "old_ids": lambda: OldIds(zero=1, negative=-2, none=3, two=4),
}

FACTORIES = {
    "binary": TBinaryProtocol.TBinaryProtocolFactory(),
    "compact": TCompactProtocol.TCompactProtocolFactory(),
}


def deserialize(cls, data, factory):
    """Like TSerialization.deserialize, also for exceptions, whose generated
    `read` may be a classmethod returning a new (immutable) instance."""
    protocol = factory.getProtocol(TTransport.TMemoryBuffer(data))
    obj = cls()
    result = obj.read(protocol)
    return obj if result is None else result


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case, proto, ours = line.split(" ")
        value = CASES[case]()
        factory = FACTORIES[proto]
        theirs = serialize(value, factory).hex()
        try:
            decoded = deserialize(type(value), bytes.fromhex(ours), factory)
            verdict = "equal" if decoded == value else "differs:" + repr(decoded).replace(" ", "")
        except Exception as e:  # noqa: BLE001 - reported to the Rust side
            verdict = "error:" + repr(e).replace(" ", "")
        print(case, proto, theirs, verdict, flush=True)


main()
