"""A Python Thrift peer of the interop suite: server or client, with either
thriftpy2 or Apache Thrift's Python library.

    peer.py --lib thriftpy2|apache --idl-dir DIR [--gen-dir DIR] server [--unix-dir DIR] SPEC...
    peer.py --lib thriftpy2|apache --idl-dir DIR [--gen-dir DIR] client TARGET...
    peer.py ... load --threads N --calls M TARGET

SPEC is `PROTOCOL:TRANSPORT[:mux]` (binary|compact, buffered|framed; `mux`
serves `Interop` and `Counter` multiplexed). The server binds each SPEC to
its own free port on 127.0.0.1, prints `LISTENING SPEC PORT` per SPEC, then
`READY`, and serves until its standard input closes. With --unix-dir, each
SPEC is served on a Unix domain socket in that directory instead, and the
line is `LISTENING SPEC unix:PATH`.

TARGET is `SPEC@PORT`, or `SPEC@unix:PATH` for a Unix domain socket. The client runs the whole scenario (scenario.py)
against each target and prints `OK TARGET CHECKS` or the failed checks; the
exit status is 0 only when every check passed.

--idl-dir holds the peers' copy of the interop IDL (interop.thrift and
shared.thrift); --gen-dir holds the code Apache's compiler generated from it
(`thrift -r --gen py`), needed with `--lib apache`.
"""

import argparse
import logging
import os
import sys
import threading
import traceback
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario  # noqa: E402

HOST = "127.0.0.1"
TIMEOUT_MS = 20000


def parse_spec(spec):
    parts = spec.split(":")
    if len(parts) not in (2, 3) or parts[0] not in ("binary", "compact") \
            or parts[1] not in ("buffered", "framed") \
            or (len(parts) == 3 and parts[2] != "mux"):
        raise SystemExit("bad spec %r: want PROTOCOL:TRANSPORT[:mux]" % spec)
    return parts[0], parts[1], len(parts) == 3


def parse_target(target):
    """(spec, parsed spec, address): the address is a port number, or the
    path of a Unix socket (a string)."""
    spec, _, addr = target.partition("@")
    if addr.startswith("unix:") and len(addr) > 5:
        return spec, parse_spec(spec), addr[5:]
    if not addr.isdigit():
        raise SystemExit("bad target %r: want SPEC@PORT or SPEC@unix:PATH" % target)
    return spec, parse_spec(spec), int(addr)


def is_unix(addr):
    """A Unix socket's path (else a port number)."""
    return isinstance(addr, str)


class Thriftpy2:
    """Adapter over thriftpy2."""

    def __init__(self, idl_dir):
        import thriftpy2
        from thriftpy2.thrift import TApplicationException
        m = thriftpy2.load(os.path.join(idl_dir, "interop.thrift"),
                           module_name="interop_thrift")
        self.m = m
        self.t = types.SimpleNamespace(
            Primitives=m.Primitives, Containers=m.Containers, Choice=m.Choice,
            Record=m.Record, NotFound=m.NotFound, Invalid=m.Invalid,
            Color=m.Color, Level=m.shared.Level, Version=m.shared.Version,
            SharedError=m.shared.SharedError, AppError=TApplicationException)

    def factories(self, protocol, transport):
        from thriftpy2.protocol import (TBinaryProtocolFactory,
                                        TCompactProtocolFactory)
        from thriftpy2.transport import (TBufferedTransportFactory,
                                         TFramedTransportFactory)
        pf = TBinaryProtocolFactory() if protocol == "binary" else TCompactProtocolFactory()
        tf = TBufferedTransportFactory() if transport == "buffered" else TFramedTransportFactory()
        return pf, tf

    def client(self, spec, addr, service="Interop"):
        from thriftpy2.protocol import TMultiplexedProtocolFactory
        from thriftpy2.rpc import make_client
        protocol, transport, mux = parse_spec(spec)
        pf, tf = self.factories(protocol, transport)
        if mux:
            pf = TMultiplexedProtocolFactory(pf, service)
        if is_unix(addr):
            return make_client(getattr(self.m, service), unix_socket=addr,
                               proto_factory=pf, trans_factory=tf,
                               timeout=TIMEOUT_MS)
        return make_client(getattr(self.m, service), HOST, addr,
                           proto_factory=pf, trans_factory=tf,
                           timeout=TIMEOUT_MS)

    def server(self, spec, unix_path=None):
        """A bound, not yet serving server; returns (server, address): its
        port, or `unix:PATH` when bound to the Unix socket `unix_path`."""
        from thriftpy2.server import TThreadedServer
        from thriftpy2.thrift import TMultiplexedProcessor, TProcessor
        from thriftpy2.transport import TServerSocket
        protocol, transport, mux = parse_spec(spec)
        pf, tf = self.factories(protocol, transport)
        interop = TProcessor(self.m.Interop, scenario.Handler(self.t))
        if mux:
            processor = TMultiplexedProcessor()
            processor.register_processor("Interop", interop)
            processor.register_processor(
                "Counter", TProcessor(self.m.Counter, scenario.CounterHandler(self.t)))
        else:
            processor = interop

        class BoundSocket(TServerSocket):
            """Binds at construction (port 0: a free port), so that the
            port is known before serving; listen() is then a no-op."""

            def __init__(self):
                if unix_path:
                    super().__init__(unix_socket=unix_path,
                                     client_timeout=TIMEOUT_MS)
                    super().listen()
                    self.where = "unix:" + unix_path
                else:
                    super().__init__(host=HOST, port=0,
                                     client_timeout=TIMEOUT_MS)
                    super().listen()
                    self.where = str(self.sock.getsockname()[1])

            def listen(self):
                pass

        sock = BoundSocket()
        server = TThreadedServer(processor, sock, itrans_factory=tf,
                                 iprot_factory=pf, daemon=True)
        return server, sock.where


class Apache:
    """Adapter over Apache Thrift's Python library and the code its compiler
    generated into --gen-dir."""

    def __init__(self, gen_dir):
        if not gen_dir:
            raise SystemExit("--lib apache needs --gen-dir")
        sys.path.insert(0, gen_dir)
        from interop import ttypes as it
        from shared import ttypes as st
        from thrift.Thrift import TApplicationException
        self.t = types.SimpleNamespace(
            Primitives=it.Primitives, Containers=it.Containers,
            Choice=it.Choice, Record=it.Record, NotFound=it.NotFound,
            Invalid=it.Invalid, Color=it.Color, Level=st.Level,
            Version=st.Version, SharedError=st.SharedError,
            AppError=TApplicationException)

    @staticmethod
    def services():
        from interop import Counter, Interop
        return {"Interop": Interop, "Counter": Counter}

    @staticmethod
    def protocol_factory(protocol):
        from thrift.protocol import TBinaryProtocol, TCompactProtocol
        if protocol == "binary":
            return TBinaryProtocol.TBinaryProtocolAcceleratedFactory()
        return TCompactProtocol.TCompactProtocolAcceleratedFactory()

    @staticmethod
    def transport_factory(transport):
        from thrift.transport import TTransport
        if transport == "buffered":
            return TTransport.TBufferedTransportFactory()
        return TTransport.TFramedTransportFactory()

    def client(self, spec, addr, service="Interop"):
        from thrift.protocol import TMultiplexedProtocol
        from thrift.transport import TSocket
        protocol, transport, mux = parse_spec(spec)
        if is_unix(addr):
            sock = TSocket.TSocket(unix_socket=addr)
        else:
            sock = TSocket.TSocket(HOST, addr)
        sock.setTimeout(TIMEOUT_MS)
        trans = self.transport_factory(transport).getTransport(sock)
        proto = self.protocol_factory(protocol).getProtocol(trans)
        if mux:
            proto = TMultiplexedProtocol.TMultiplexedProtocol(proto, service)
        trans.open()
        return self.services()[service].Client(proto)

    def server(self, spec, unix_path=None):
        from thrift.server import TServer
        from thrift.TMultiplexedProcessor import TMultiplexedProcessor
        from thrift.transport import TSocket
        protocol, transport, mux = parse_spec(spec)
        svc = self.services()
        interop = svc["Interop"].Processor(scenario.Handler(self.t))
        if mux:
            processor = TMultiplexedProcessor()
            processor.registerProcessor("Interop", interop)
            processor.registerProcessor(
                "Counter", svc["Counter"].Processor(scenario.CounterHandler(self.t)))
        else:
            processor = interop

        class BoundSocket(TSocket.TServerSocket):
            """Binds at construction (port 0: a free port)."""

            def __init__(self):
                if unix_path:
                    super().__init__(unix_socket=unix_path)
                    super().listen()
                    self.where = "unix:" + unix_path
                else:
                    super().__init__(host=HOST, port=0)
                    super().listen()
                    self.where = str(self.handle.getsockname()[1])

            def listen(self):
                pass

        sock = BoundSocket()
        server = TServer.TThreadedServer(
            processor, sock, self.transport_factory(transport),
            self.protocol_factory(protocol), daemon=True)
        return server, sock.where


def load_lib(args):
    try:
        if args.lib == "thriftpy2":
            return Thriftpy2(args.idl_dir)
        return Apache(args.gen_dir)
    except ImportError as e:
        sys.stderr.write(
            "cannot import the %s peer (%s): run `cargo xtask test`, which sets "
            "up the Python peers, or point THRIFTC_PYTHON at a Python with "
            "thriftpy2==0.7.1 and thrift==0.25.0\n" % (args.lib, e))
        sys.exit(3)


class QuietExpected(logging.Filter):
    """Drops the traceback Apache's processor logs for an application error
    the handler raised on purpose (`fail`)."""

    def filter(self, record):
        return record.getMessage() != "TApplication exception in handler"


def serve(lib, specs, unix_dir=None):
    logging.getLogger().addFilter(QuietExpected())
    for n, spec in enumerate(specs):
        unix_path = os.path.join(unix_dir, "peer-%d.sock" % n) if unix_dir else None
        server, where = lib.server(spec, unix_path)
        threading.Thread(target=server.serve, daemon=True).start()
        print("LISTENING %s %s" % (spec, where), flush=True)
    print("READY", flush=True)
    # Serve until whoever started us closes our standard input (or dies).
    sys.stdin.read()


def run_client(lib, targets):
    ok = True
    for n, target in enumerate(targets):
        spec, (_, _, mux), addr = parse_target(target)
        c = scenario.Checker(target)
        try:
            client = lib.client(spec, addr)
            scenario.run_checks(client, lib.t, c, "%s-%d" % (os.getpid(), n))
            if mux:
                counter = lib.client(spec, addr, service="Counter")
                scenario.run_counter_checks(counter, lib.t, c)
        except Exception:  # noqa: BLE001
            c.fail("connection", traceback.format_exc())
        if c.failures:
            ok = False
            for f in c.failures:
                print("FAIL " + f, flush=True)
        else:
            print("OK %s %d" % (target, c.checks), flush=True)
    return ok


def run_load(lib, target, threads, calls):
    spec, _, addr = parse_target(target)
    checks, failures = scenario.run_load(
        lambda: lib.client(spec, addr), lib.t, threads, calls, target)
    for f in failures[:50]:
        print("FAIL " + f, flush=True)
    if failures:
        print("FAILED %d of %d checks" % (len(failures), checks), flush=True)
        return False
    print("OK %s %d" % (target, checks), flush=True)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", choices=["thriftpy2", "apache"], required=True)
    ap.add_argument("--idl-dir", required=True)
    ap.add_argument("--gen-dir")
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--unix-dir")
    s.add_argument("specs", nargs="+")
    c = sub.add_parser("client")
    c.add_argument("targets", nargs="+")
    ld = sub.add_parser("load")
    ld.add_argument("--threads", type=int, default=32)
    ld.add_argument("--calls", type=int, default=200)
    ld.add_argument("target")
    args = ap.parse_args()
    lib = load_lib(args)
    if args.mode == "server":
        serve(lib, args.specs, args.unix_dir)
        return 0
    if args.mode == "client":
        return 0 if run_client(lib, args.targets) else 1
    return 0 if run_load(lib, args.target, args.threads, args.calls) else 1


if __name__ == "__main__":
    sys.exit(main())
