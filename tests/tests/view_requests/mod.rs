//! The requests both view suites send to a `MoreText` processor (the
//! fixture `fixtures/views/services.thrift`), blocking (`views.rs`) and
//! async (`async_views.rs`): every two-way method of `Text` and `MoreText`
//! with borrowed, owned and failing answers, an unknown method, and
//! arguments of the wrong type. Each suite mounts its own generated module,
//! so this is a macro, expanded where those types are in scope (the
//! argument structs, and `note` building a `Note`).

use thriftc_runtime::protocol::{MessageType, ProtocolWrite, TType};
use thriftc_runtime::{Encode, Framing, ProtocolKind};
use thriftc_tests::Proto;

/// An unframed `kind` request `name(args)` in `proto`, seqid 3.
pub fn request<A: Encode>(proto: Proto, name: &str, kind: MessageType, args: &A) -> Vec<u8> {
    let protocol = match proto {
        Proto::Binary => ProtocolKind::Binary,
        Proto::Compact => ProtocolKind::Compact,
    };
    thriftc_tests::message(protocol, Framing::Buffered, name, kind, 3, args)
}

/// Arguments of which only the first (id 1) is given.
pub struct FieldOne<T>(pub T);

impl<T: Encode> thriftc_runtime::WireType for FieldOne<T> {
    const TTYPE: TType = TType::Struct;
}

impl<T: Encode> Encode for FieldOne<T> {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> thriftc_runtime::Result<()> {
        p.write_struct_begin("args")?;
        p.write_field_begin("first", T::TTYPE, 1)?;
        self.0.encode(p)?;
        p.write_field_end()?;
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

/// `Vec<Vec<u8>>`: the CALL requests in `$proto`.
macro_rules! more_text_calls {
    ($proto:expr) => {{
        use $crate::view_requests::request;
        let proto = $proto;
        let call = thriftc_runtime::protocol::MessageType::Call;
        vec![
            request(proto, "echo", call, &TextEchoArgs { s: "héllo".into() }),
            request(proto, "echo", call, &TextEchoArgs { s: String::new() }),
            request(
                proto,
                "split",
                call,
                &TextSplitArgs {
                    s: "a,b,,c".into(),
                    sep: ",".into(),
                },
            ),
            request(proto, "bytes", call, &TextBytesArgs { b: vec![1, 2, 3] }),
            request(proto, "bytes", call, &TextBytesArgs { b: vec![7] }),
            request(proto, "bytes", call, &TextBytesArgs { b: vec![] }),
            request(proto, "bytes", call, &TextBytesArgs { b: vec![0; 9] }),
            request(
                proto,
                "tag",
                call,
                &TextTagArgs {
                    n: note("n", &["x", "y"]),
                    extra: "z".into(),
                },
            ),
            // `extra` left out (as a peer that does not know it sends
            // it): both read it as empty.
            request(
                proto,
                "tag",
                call,
                &$crate::view_requests::FieldOne(note("n", &[])),
            ),
            request(
                proto,
                "count",
                call,
                &TextCountArgs {
                    words: vec!["one".into(), "two".into()],
                },
            ),
            request(
                proto,
                "count",
                call,
                &TextCountArgs {
                    words: vec!["bad".into()],
                },
            ),
            // One note: a map of several would be written in hash order.
            request(
                proto,
                "index",
                call,
                &TextIndexArgs {
                    notes: vec![note("k", &["t"])],
                },
            ),
            request(proto, "nothing", call, &TextNothingArgs { n: 1 }),
            request(proto, "nothing", call, &TextNothingArgs { n: -1 }),
            request(proto, "nothing", call, &TextNothingArgs { n: 13 }),
            request(proto, "upper", call, &MoreTextUpperArgs { s: "abc".into() }),
            request(proto, "upper", call, &MoreTextUpperArgs { s: "ABC".into() }),
            request(proto, "missing", call, &MoreTextUpperArgs { s: "x".into() }),
            // Arguments of the wrong type: a protocol error, answered.
            request(proto, "echo", call, &TextNothingArgs { n: 1 }),
        ]
    }};
}
