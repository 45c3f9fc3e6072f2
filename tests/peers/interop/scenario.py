"""The interop scenario shared by every Python peer.

`Handler` and `CounterHandler` implement the contracts written in the doc
comments of fixtures/interop/{shared,interop}.thrift; `run_checks` calls every
method of a connected client and checks every reply; `run_load` hammers a
server from many threads with mixed calls, checking every reply.

Everything here works with both Python libraries: the library-specific
classes arrive through a `Types` namespace built by peer.py.
"""

import threading
import time
import traceback

# TApplicationException type codes (doc/specs/thrift-rpc.md).
INTERNAL_ERROR = 6

# The peers' IDL copy declares Color.VIOLET = 4; the Rust side does not.
VIOLET = 4


class Handler:
    """Server side of `Interop` (and, through it, `shared.Base`)."""

    def __init__(self, t):
        self.t = t
        self._lock = threading.Lock()
        self._kv = {"answer": "42"}
        self._log = []

    # shared.Base
    def getVersion(self):
        return self.t.Version(major=1, minor=2)

    def ping(self, msg):
        if msg == "":
            raise self.t.SharedError(code=400, reason="empty")
        return "pong: " + msg

    # Interop
    def echoPrimitives(self, value):
        return value

    def echoContainers(self, value):
        return value

    def echoRecord(self, value):
        return value

    def echoChoice(self, value):
        return value

    def echoColor(self, value):
        return value

    def echoBinary(self, value):
        return value

    def groupByColor(self, records):
        out = {}
        for r in records:
            out.setdefault(r.color, []).append(r)
        return out

    def add(self, a, b):
        return a + b

    def pack(self, flag, tiny, small, short_int, medium, big, real, text, raw):
        return self.t.Primitives(flag=flag, tiny=tiny, small=small,
                                 short_int=short_int, medium=medium, big=big,
                                 real=real, text=text, raw=raw)

    def makeRecord(self, id, name):
        return self.t.Record(id=id, name=name)

    def lookup(self, key):
        with self._lock:
            if key in self._kv:
                return self._kv[key]
        raise self.t.NotFound(key=key)

    def store(self, key, value):
        if key == "":
            raise self.t.Invalid(code=1, reason="empty key", fields=["key"])
        with self._lock:
            self._kv[key] = value

    def check(self, value):
        if value == 0:
            raise self.t.NotFound(key="zero")
        if value < 0:
            raise self.t.Invalid(code=value, reason="negative")
        if value > 1000:
            raise self.t.SharedError(code=value, reason="too big")
        return 2 * value

    def reset(self):
        with self._lock:
            self._log = []

    def notify(self, event):
        with self._lock:
            self._log.append(event)

    def events(self):
        with self._lock:
            return list(self._log)

    def fail(self, why):
        raise self.t.AppError(INTERNAL_ERROR, why)

    def work(self, micros):
        time.sleep(micros / 1e6)
        return micros


class CounterHandler:
    """Server side of `Counter` (multiplexed beside `Interop`)."""

    def __init__(self, t):
        self._base = Handler(t)
        self._lock = threading.Lock()
        self._total = 0

    def getVersion(self):
        return self._base.getVersion()

    def ping(self, msg):
        return self._base.ping(msg)

    def increment(self, by):
        with self._lock:
            self._total += by
            return self._total


def same(got, want):
    """Deep equality that accepts a list where a set is wanted (thriftpy2
    decodes sets as lists) and compares structs field by field."""
    if isinstance(want, (set, frozenset)):
        if not isinstance(got, (set, frozenset, list)) or len(got) != len(want):
            return False
        rest = list(got)
        for w in want:
            for i, g in enumerate(rest):
                if same(g, w):
                    del rest[i]
                    break
            else:
                return False
        return True
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(
            same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(
            same(got[k], want[k]) for k in want)
    if hasattr(want, "thrift_spec"):
        return type(got).__name__ == type(want).__name__ and same(
            dict(vars(got)), dict(vars(want)))
    return got == want


def short(v, limit=400):
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + "...(%d chars)" % len(r)


class Checker:
    """Collects failed checks instead of stopping at the first one."""

    def __init__(self, label):
        self.label = label
        self.checks = 0
        self.failures = []

    def fail(self, what, detail):
        self.failures.append("%s: %s: %s" % (self.label, what, detail))

    def eq(self, what, got, want):
        self.checks += 1
        if not same(got, want):
            self.fail(what, "got %s, want %s" % (short(got), short(want)))

    def true(self, what, cond, detail=""):
        self.checks += 1
        if not cond:
            self.fail(what, detail or "condition false")

    def call(self, what, fn, *args):
        """Calls fn; a raised error is recorded and returned as None."""
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001 (report whatever happened)
            self.checks += 1
            self.fail(what, "raised %s: %s" % (type(e).__name__, short(e)))
            return None

    def raises(self, what, exc_cls, fn, *args):
        """Calls fn, which must raise exc_cls; returns the exception."""
        self.checks += 1
        try:
            got = fn(*args)
        except exc_cls as e:
            return e
        except Exception as e:  # noqa: BLE001
            self.fail(what, "raised %s (%s), want %s"
                      % (type(e).__name__, short(e), exc_cls.__name__))
            return None
        self.fail(what, "returned %s, want %s raised" % (short(got), exc_cls.__name__))
        return None


I32_MIN, I32_MAX = -2 ** 31, 2 ** 31 - 1
I64_MIN, I64_MAX = -2 ** 63, 2 ** 63 - 1
TEXT = "h\u00e9llo w\u00f6rld \u2603 \U0001d11e"


def primitives(t):
    """Two Primitives values: extremes and ordinary values."""
    return [
        t.Primitives(flag=True, tiny=-128, small=127, short_int=-32768,
                     medium=I32_MAX, big=I64_MIN, real=float("inf"),
                     text=TEXT, raw=bytes(range(256))),
        t.Primitives(flag=False, tiny=0, small=-1, short_int=32767,
                     medium=I32_MIN, big=I64_MAX, real=-2.5e-300,
                     text="", raw=b""),
        t.Primitives(flag=True, tiny=1, small=2, short_int=3, medium=4,
                     big=5, real=3.141592653589793, text="plain",
                     raw=b"\x00\x01\x02"),
    ]


def containers(t):
    p = primitives(t)
    full = t.Containers(
        ints=[0, 1, -1, I32_MAX, I32_MIN],
        words={"a", "bb", "ccc", "", TEXT},
        counts={"x": 1, "y": I64_MIN, "z": I64_MAX},
        cube=[[[1, 2], [3]], [[]], [], [[-4, 5, 6]]],
        tree={"one": {1: ["a", "b"], -1: []}, "empty": {}},
        mixed=[{"p": {1, 2, 3}, "q": set()}, {}],
        index={"k": [{1, 2}, {3}, set()], "e": []},
        blobs=[b"", b"\x00\xff", bytes(range(256))],
        by_color={t.Color.RED: [1.5, -0.25], t.Color.BLUE: [],
                  VIOLET: [2.25]},
        prims=p,
        ids={1, -1, 2 ** 40},
        chunks={1: b"abc", -9: b"", 2 ** 40: bytes(1000)},
    )
    empty = t.Containers(ints=[], words=set(), counts={}, cube=[], tree={},
                         mixed=[], index={}, blobs=[], by_color={}, prims=[],
                         ids=set(), chunks={})
    return [full, empty]


def full_record(t, i, color):
    return t.Record(
        id=i, name="record %d" % i, note="a note", color=color, rank=-i,
        aliases=["r%d" % i, ""], created=1700000000000 + i,
        tags=["t1", TEXT], payload=bytes([i % 256]) * 3,
        choice=t.Choice(text="chosen"), level=t.Level.HIGH,
        version=t.Version(major=3, minor=4, tag="beta"), weight=-0.5,
        greeting="hi", favorite=VIOLET, pick=t.Choice(number=i))


def records(t):
    return [
        full_record(t, 1, t.Color.RED),
        full_record(t, 2, VIOLET),
        full_record(t, 3, t.Color.RED),
        # Only the required fields and the fields with defaults; the three
        # default-requiredness fields without a default are set explicitly so
        # that the echo compares equal whatever the peer writes for them.
        # `pick` (a union, no default) stays unset: it is not sent, and must
        # come back unset.
        t.Record(id=4, name="minimal", created=0, tags=[], payload=b""),
    ]


def choices(t):
    return [
        t.Choice(number=-7),
        t.Choice(text=""),
        t.Choice(prims=primitives(t)[0]),
        t.Choice(colors=[t.Color.GREEN, VIOLET, t.Color.RED]),
    ]


def check_minimal_record(c, what, r, t, i, name):
    """A record made from only id and name: optional fields unset, defaults
    in place. A peer may write default-requiredness fields that have no
    default with their zero value, or leave them out."""
    if r is None:
        c.fail(what, "no record")
        return
    c.eq(what + ".id", r.id, i)
    c.eq(what + ".name", r.name, name)
    c.eq(what + ".note", r.note, None)
    c.eq(what + ".color", r.color, t.Color.GREEN)
    c.eq(what + ".rank", r.rank, 7)
    c.eq(what + ".aliases", r.aliases, None)
    c.true(what + ".created", r.created in (None, 0), repr(r.created))
    c.true(what + ".tags", r.tags in (None, []), repr(r.tags))
    c.true(what + ".payload", r.payload in (None, b""), repr(r.payload))
    c.eq(what + ".choice", r.choice, None)
    c.eq(what + ".level", r.level, t.Level.MID)
    c.eq(what + ".version", r.version, None)
    c.eq(what + ".weight", r.weight, 1.5)
    c.eq(what + ".greeting", r.greeting, "hello")
    c.eq(what + ".favorite", r.favorite, None)


def run_checks(client, t, c, tag):
    """Calls every method of `Interop` through `client`; `tag` keeps the keys
    and events of concurrent runs apart."""
    # shared.Base, inherited.
    v = c.call("getVersion", client.getVersion)
    if v is not None:
        c.eq("getVersion.major", v.major, 1)
        c.eq("getVersion.minor", v.minor, 2)
        c.eq("getVersion.tag", v.tag, None)
    c.eq("ping", c.call("ping", client.ping, "hi " + TEXT), "pong: hi " + TEXT)
    e = c.raises("ping('')", t.SharedError, client.ping, "")
    if e is not None:
        c.eq("ping('').code", e.code, 400)
        c.eq("ping('').reason", e.reason, "empty")

    for i, p in enumerate(primitives(t)):
        c.eq("echoPrimitives[%d]" % i, c.call("echoPrimitives", client.echoPrimitives, p), p)
    for i, v in enumerate(containers(t)):
        c.eq("echoContainers[%d]" % i, c.call("echoContainers", client.echoContainers, v), v)
    for r in records(t):
        c.eq("echoRecord[%d]" % r.id, c.call("echoRecord", client.echoRecord, r), r)
    for i, ch in enumerate(choices(t)):
        c.eq("echoChoice[%d]" % i, c.call("echoChoice", client.echoChoice, ch), ch)
    for color in (t.Color.RED, t.Color.GREEN, t.Color.BLUE, VIOLET):
        c.eq("echoColor(%d)" % color, c.call("echoColor", client.echoColor, color), color)
    for b in (b"", bytes(range(256)) * 4, b"\x00" * 70000):
        c.eq("echoBinary(%d bytes)" % len(b), c.call("echoBinary", client.echoBinary, b), b)

    rs = records(t)
    want = {}
    for r in rs:
        want.setdefault(r.color, []).append(r)
    c.eq("groupByColor", c.call("groupByColor", client.groupByColor, rs), want)
    c.eq("groupByColor([])", c.call("groupByColor", client.groupByColor, []), {})

    c.eq("add", c.call("add", client.add, I32_MAX, I64_MAX - I32_MAX), I64_MAX)
    c.eq("add negative", c.call("add", client.add, -5, 3), -2)
    for i, p in enumerate(primitives(t)):
        got = c.call("pack", client.pack, p.flag, p.tiny, p.small, p.short_int,
                     p.medium, p.big, p.real, p.text, p.raw)
        c.eq("pack[%d]" % i, got, p)
    check_minimal_record(c, "makeRecord", c.call("makeRecord", client.makeRecord, 7, "seven"),
                         t, 7, "seven")

    c.eq("lookup(answer)", c.call("lookup", client.lookup, "answer"), "42")
    missing = "missing-" + tag
    e = c.raises("lookup(missing)", t.NotFound, client.lookup, missing)
    if e is not None:
        c.eq("lookup(missing).key", e.key, missing)
    key = "key-" + tag
    c.eq("store", c.call("store", client.store, key, TEXT), None)
    c.eq("lookup(stored)", c.call("lookup", client.lookup, key), TEXT)
    e = c.raises("store('')", t.Invalid, client.store, "", "x")
    if e is not None:
        c.eq("store('').code", e.code, 1)
        c.eq("store('').reason", e.reason, "empty key")
        c.eq("store('').fields", e.fields, ["key"])

    c.eq("check(21)", c.call("check", client.check, 21), 42)
    e = c.raises("check(0)", t.NotFound, client.check, 0)
    if e is not None:
        c.eq("check(0).key", e.key, "zero")
    e = c.raises("check(-3)", t.Invalid, client.check, -3)
    if e is not None:
        c.eq("check(-3).code", e.code, -3)
        c.eq("check(-3).reason", e.reason, "negative")
        c.eq("check(-3).fields", e.fields, None)
    e = c.raises("check(1001)", t.SharedError, client.check, 1001)
    if e is not None:
        c.eq("check(1001).code", e.code, 1001)
        c.eq("check(1001).reason", e.reason, "too big")

    c.eq("reset", c.call("reset", client.reset), None)
    c.eq("notify", c.call("notify", client.notify, "one-" + tag), None)
    c.eq("notify", c.call("notify", client.notify, "two-" + tag), None)
    c.eq("events", c.call("events", client.events), ["one-" + tag, "two-" + tag])

    e = c.raises("fail", t.AppError, client.fail, "boom " + tag)
    if e is not None:
        c.eq("fail.type", e.type, INTERNAL_ERROR)
        c.eq("fail.message", e.message, "boom " + tag)
    c.eq("work", c.call("work", client.work, 50), 50)
    # The connection still works after exceptions.
    c.eq("ping after errors", c.call("ping", client.ping, "again"), "pong: again")


def run_counter_checks(client, t, c):
    """Calls `Counter`."""
    start = c.call("increment", client.increment, 0)
    if start is not None:
        c.eq("Counter.increment(5)", c.call("increment", client.increment, 5), start + 5)
        c.eq("Counter.increment(-2)", c.call("increment", client.increment, -2), start + 3)
    c.eq("Counter.ping", c.call("ping", client.ping, "c"), "pong: c")
    v = c.call("Counter.getVersion", client.getVersion)
    if v is not None:
        c.eq("Counter.getVersion.major", v.major, 1)


def load_step(client, t, c, thread, i):
    """One call of the load mix, chosen by the call index; reply checked."""
    k = i % 8
    what = "load[%d/%d]" % (thread, i)
    if k == 0:
        c.eq(what + " add", client.add(thread, i), thread + i)
    elif k == 1:
        r = full_record(t, i, t.Color.BLUE)
        c.eq(what + " echoRecord", client.echoRecord(r), r)
    elif k == 2:
        c.eq(what + " check", client.check(i % 1000 + 1), 2 * (i % 1000 + 1))
    elif k == 3:
        e = c.raises(what + " check(-i)", t.Invalid, client.check, -i - 1)
        if e is not None:
            c.eq(what + " check(-i).code", e.code, -i - 1)
    elif k == 4:
        c.eq(what + " work", client.work(500), 500)
    elif k == 5:
        msg = "%d-%d" % (thread, i)
        c.eq(what + " ping", client.ping(msg), "pong: " + msg)
    elif k == 6:
        v = containers(t)[0]
        c.eq(what + " echoContainers", client.echoContainers(v), v)
    else:
        b = bytes([thread % 256, i % 256]) * 100
        c.eq(what + " echoBinary", client.echoBinary(b), b)


def run_load(make_client, t, threads, calls, label):
    """`threads` threads, each with its own connection, make `calls` calls.
    Returns (checks, failures)."""
    results = [None] * threads
    start = threading.Barrier(threads)

    def worker(n):
        c = Checker("%s thread %d" % (label, n))
        try:
            client = make_client()
            start.wait(timeout=30)
            for i in range(calls):
                load_step(client, t, c, n, i)
        except Exception:  # noqa: BLE001
            c.fail("load", traceback.format_exc())
        results[n] = c

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    checks = sum(r.checks for r in results)
    failures = [f for r in results for f in r.failures]
    return checks, failures
