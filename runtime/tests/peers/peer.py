#!/usr/bin/env python3
"""Thrift peer for runtime/tests/wire_peers.rs.

Encodes and decodes the test values of the wire tests with a real Python
Thrift library, so the Rust protocols are checked against independent
implementations in both directions.

usage: peer.py LIB PROTO ACTION
  LIB     apache (Apache Thrift's `thrift` package) | thriftpy2
  PROTO   binary | binary-nonstrict (writes old headers; apache only) | compact
  ACTION  encode | encode-message | encode-exception
              print the value's bytes as hex on stdout
          decode | decode-message | decode-exception
              read hex on stdin, decode it, compare with the expected value;
              print "ok", or a reason on stderr and exit 1

The values here mirror `all_types()` and friends in wire_peers.rs.
"""

import math
import os
import sys
import tempfile
import uuid

INNER_IDL = """
struct Inner {
  1: optional i32 id,
  2: optional string name,
}
"""

ALL_TYPES_IDL = INNER_IDL + """
struct AllTypes {
  1: optional bool t,
  2: optional bool f,
  3: optional byte i8v,
  4: optional i16 i16v,
  5: optional i32 i32v,
  6: optional i64 i64v,
  7: optional double dbl,
  8: optional string str,
  9: optional binary bin,
  10: optional list<i32> ints,
  11: optional set<string> strs,
  12: optional map<string, i64> smap,
  13: optional Inner inner,
  14: optional list<bool> bools,
  15: optional list<Inner> inners,
  16: optional map<i32, list<string>> nested,
  17: optional list<i64> longs,
  18: optional string note,
  19: optional set<i16> shorts,
  20: optional list<double> dbls,
  21: optional map<byte, bool> flags,
  22: optional list<string> empty,
  23: optional map<string, string> emap,
  24: optional list<list<i32>> lol,
  25: optional set<double> dset,
  26: optional map<double, string> dmap,
  40: optional i32 far,
  300: optional i32 farther,
}
"""

UUID = uuid.UUID("12345678-9abc-def0-0123-456789abcdef")


def field_values(make_inner, with_uuid):
    """The AllTypes test value as a dict of field name -> value."""
    v = {
        "t": True,
        "f": False,
        "i8v": -7,
        "i16v": -12345,
        "i32v": -1234567,
        "i64v": -1234567890123,
        "dbl": 3.25,
        "str": "h\u00e9llo w\u00f6rld \u2713",
        "bin": b"\x00\xff\x80bin",
        "ints": [1, -1, 300, 2147483647, -2147483648],
        "strs": {"a", "bb", "ccc"},
        "smap": {"x": 1, "y": -2},
        "inner": make_inner(7, "inner"),
        "bools": [True, False, True],
        "inners": [make_inner(1, "one"), make_inner(2, "")],
        "nested": {1: ["a", "b"], 2: []},
        "longs": [i * i * 1000003 - 50 for i in range(20)],
        "note": None,
        "shorts": {-1, 0, 32767},
        "dbls": [0.5, -2.0, 1e100],
        "flags": {1: True, -1: False},
        "empty": [],
        "emap": {},
        "lol": [[1, 2], []],
        "dset": {1.5},
        "dmap": {2.5: "x"},
        "far": 40,
        "farther": -300,
    }
    if with_uuid:
        v["uid"] = UUID
    return v


def normalize(x):
    """A comparable form: structs as dicts, sets and maps sorted."""
    if isinstance(x, (set, frozenset)):
        return ("set", sorted(normalize(e) for e in x))
    if isinstance(x, dict):
        return ("map", sorted((normalize(k), normalize(v)) for k, v in x.items()))
    if isinstance(x, (list, tuple)):
        return [normalize(e) for e in x]
    if isinstance(x, float) and math.isnan(x):
        return ("nan",)
    if hasattr(x, "__dict__") and not isinstance(x, uuid.UUID):
        return ("struct", sorted((k, normalize(v)) for k, v in vars(x).items()
                                 if not k.startswith("_") and v is not None))
    return x


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)


def check_equal(what, got, want):
    if normalize(got) != normalize(want):
        fail("%s differs\n got: %r\nwant: %r" % (what, normalize(got), normalize(want)))


# --------------------------------------------------------------- Apache

def apache_lib(proto_name):
    from thrift.Thrift import TType, TApplicationException, TMessageType
    from thrift.protocol import TBinaryProtocol, TCompactProtocol
    from thrift.transport.TTransport import TMemoryBuffer

    class Struct(object):
        def __init__(self, **kw):
            for f in self.thrift_spec:
                if f is not None:
                    setattr(self, f[2], kw.get(f[2]))

        def read(self, iprot):
            iprot.readStruct(self, self.thrift_spec)

        def write(self, oprot):
            oprot.writeStruct(self, self.thrift_spec)

    def spec(fields):
        top = max(f[0] for f in fields)
        out = [None] * (top + 1)
        for f in fields:
            out[f[0]] = f
        return tuple(out)

    class Inner(Struct):
        thrift_spec = spec([
            (1, TType.I32, "id", None, None),
            (2, TType.STRING, "name", "UTF8", None),
        ])

    inner = [Inner, Inner.thrift_spec]
    strs = (TType.STRING, "UTF8", False)

    class AllTypes(Struct):
        thrift_spec = spec([
            (1, TType.BOOL, "t", None, None),
            (2, TType.BOOL, "f", None, None),
            (3, TType.BYTE, "i8v", None, None),
            (4, TType.I16, "i16v", None, None),
            (5, TType.I32, "i32v", None, None),
            (6, TType.I64, "i64v", None, None),
            (7, TType.DOUBLE, "dbl", None, None),
            (8, TType.STRING, "str", "UTF8", None),
            (9, TType.STRING, "bin", "BINARY", None),
            (10, TType.LIST, "ints", (TType.I32, None, False), None),
            (11, TType.SET, "strs", strs, None),
            (12, TType.MAP, "smap", (TType.STRING, "UTF8", TType.I64, None, False), None),
            (13, TType.STRUCT, "inner", inner, None),
            (14, TType.LIST, "bools", (TType.BOOL, None, False), None),
            (15, TType.LIST, "inners", (TType.STRUCT, inner, False), None),
            (16, TType.MAP, "nested", (TType.I32, None, TType.LIST, strs, False), None),
            (17, TType.LIST, "longs", (TType.I64, None, False), None),
            (18, TType.STRING, "note", "UTF8", None),
            (19, TType.SET, "shorts", (TType.I16, None, False), None),
            (20, TType.LIST, "dbls", (TType.DOUBLE, None, False), None),
            (21, TType.MAP, "flags", (TType.BYTE, None, TType.BOOL, None, False), None),
            (22, TType.LIST, "empty", strs, None),
            (23, TType.MAP, "emap", (TType.STRING, "UTF8", TType.STRING, "UTF8", False), None),
            (24, TType.LIST, "lol", (TType.LIST, (TType.I32, None, False), False), None),
            (25, TType.SET, "dset", (TType.DOUBLE, None, False), None),
            (26, TType.MAP, "dmap", (TType.DOUBLE, None, TType.STRING, "UTF8", False), None),
            (30, TType.UUID, "uid", None, None),
            (40, TType.I32, "far", None, None),
            (300, TType.I32, "farther", None, None),
        ])

    def make_proto(trans):
        if proto_name == "binary":
            return TBinaryProtocol.TBinaryProtocol(trans)
        if proto_name == "binary-nonstrict":
            return TBinaryProtocol.TBinaryProtocol(trans, strictRead=False, strictWrite=False)
        if proto_name == "compact":
            return TCompactProtocol.TCompactProtocol(trans)
        fail("unknown protocol " + proto_name)

    class Lib(object):
        CALL = TMessageType.CALL
        REPLY = TMessageType.REPLY

        @staticmethod
        def all_types():
            return AllTypes(**field_values(lambda i, n: Inner(id=i, name=n), True))

        @staticmethod
        def inner(i, n):
            return Inner(id=i, name=n)

        @staticmethod
        def app_error(kind, message):
            return TApplicationException(type=kind, message=message)

        @staticmethod
        def new(cls_name):
            return {"AllTypes": AllTypes, "Inner": Inner,
                    "TApplicationException": TApplicationException}[cls_name]()

        @staticmethod
        def encode(build):
            buf = TMemoryBuffer()
            build(make_proto(buf))
            return buf.getvalue()

        @staticmethod
        def decoder(data):
            return make_proto(TMemoryBuffer(data))

        @staticmethod
        def write_struct(proto, obj):
            obj.write(proto)

        @staticmethod
        def read_struct(proto, obj):
            obj.read(proto)
            return obj

        @staticmethod
        def write_message_begin(proto, name, kind, seqid):
            proto.writeMessageBegin(name, kind, seqid)

        @staticmethod
        def read_message_begin(proto):
            return proto.readMessageBegin()

    return Lib


# ------------------------------------------------------------- thriftpy2

def thriftpy2_lib(proto_name):
    import thriftpy2
    from thriftpy2.thrift import TApplicationException, TMessageType
    from thriftpy2.protocol.binary import TBinaryProtocol
    from thriftpy2.protocol.compact import TCompactProtocol
    from thriftpy2.transport import TMemoryBuffer

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "alltypes.thrift")
        with open(path, "w") as f:
            f.write(ALL_TYPES_IDL)
        mod = thriftpy2.load(path, module_name="alltypes_thrift")

    def make_proto(trans):
        if proto_name == "binary":
            return TBinaryProtocol(trans)
        if proto_name == "compact":
            return TCompactProtocol(trans)
        fail("unknown protocol for thriftpy2: " + proto_name)

    class Lib(object):
        CALL = TMessageType.CALL
        REPLY = TMessageType.REPLY

        @staticmethod
        def all_types():
            return mod.AllTypes(**field_values(lambda i, n: mod.Inner(id=i, name=n), False))

        @staticmethod
        def inner(i, n):
            return mod.Inner(id=i, name=n)

        @staticmethod
        def app_error(kind, message):
            return TApplicationException(type=kind, message=message)

        @staticmethod
        def new(cls_name):
            return {"AllTypes": mod.AllTypes, "Inner": mod.Inner,
                    "TApplicationException": TApplicationException}[cls_name]()

        @staticmethod
        def encode(build):
            buf = TMemoryBuffer()
            build(make_proto(buf))
            return buf.getvalue()

        @staticmethod
        def decoder(data):
            return make_proto(TMemoryBuffer(data))

        @staticmethod
        def write_struct(proto, obj):
            proto.write_struct(obj)

        @staticmethod
        def read_struct(proto, obj):
            proto.read_struct(obj)
            # thriftpy2 hands sets back as lists; compare them as sets.
            for name in ("strs", "shorts", "dset"):
                if isinstance(getattr(obj, name, None), list):
                    setattr(obj, name, set(getattr(obj, name)))
            return obj

        @staticmethod
        def write_message_begin(proto, name, kind, seqid):
            proto.write_message_begin(name, kind, seqid)

        @staticmethod
        def read_message_begin(proto):
            return proto.read_message_begin()

    return Lib


# ---------------------------------------------------------------- main

def main():
    if len(sys.argv) != 4:
        fail(__doc__)
    lib_name, proto_name, action = sys.argv[1:]
    if lib_name == "apache":
        lib = apache_lib(proto_name)
    elif lib_name == "thriftpy2":
        lib = thriftpy2_lib(proto_name)
    else:
        fail("unknown library " + lib_name)

    if action == "encode":
        out = lib.encode(lambda p: lib.write_struct(p, lib.all_types()))
    elif action == "encode-message":
        def build(p):
            lib.write_message_begin(p, "echo", lib.CALL, 12345)
            lib.write_struct(p, lib.inner(7, "inner"))
        out = lib.encode(build)
    elif action == "encode-exception":
        out = lib.encode(lambda p: lib.write_struct(
            p, lib.app_error(1, "no such method: frob")))
    elif action.startswith("decode"):
        data = bytes.fromhex(sys.stdin.read().strip())
        p = lib.decoder(data)
        if action == "decode":
            got = lib.read_struct(p, lib.new("AllTypes"))
            check_equal("AllTypes", got, lib.all_types())
        elif action == "decode-message":
            name, kind, seqid = lib.read_message_begin(p)
            if (name, kind, seqid) != ("pong", lib.REPLY, 2147483647):
                fail("message header %r" % ((name, kind, seqid),))
            got = lib.read_struct(p, lib.new("Inner"))
            check_equal("Inner", got, lib.inner(-3, "pong \u2713"))
        elif action == "decode-exception":
            got = lib.read_struct(p, lib.new("TApplicationException"))
            if (got.type, got.message) != (6, "boom \u2713"):
                fail("exception %r" % ((got.type, got.message),))
        else:
            fail("unknown action " + action)
        if p.trans.read(1):
            fail("trailing bytes after the value")
        print("ok")
        return
    else:
        fail("unknown action " + action)
    print(out.hex())


if __name__ == "__main__":
    main()
