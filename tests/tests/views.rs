//! Borrowed views (option `views`) against the owned types of the same IDL:
//! the bench IDL (golden `bench_bench_views`) and the codegen fixture with
//! unknown fields kept (golden `codegen_types_views_keep_unknown`), in both
//! protocols:
//!
//! - every `string` and `binary` of a decoded view is a slice of the input;
//! - on arbitrary input (valid encodings with bytes changed, cut or added)
//!   the view decoder and the owned decoder agree: both fail with the same
//!   error, or both succeed and the view converts to the owned value;
//! - nesting past the depth limit is an error, not a stack overflow.
//!
//! Random values of every type with a view round-trip in `roundtrip_all`.
//!
//! The view flavour of services (golden `views_services_views`): a view
//! handler served by its view processor answers every call, inherited ones
//! included, with the bytes an owned handler of the same behaviour gets
//! from the owned processor: replies borrowed from the arguments, owned
//! ones, declared exceptions, application and internal errors, oneway
//! calls and unknown methods; also methods inherited through a service
//! with no methods of its own.

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench_views/mod.rs"]
mod bench_views;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/codegen_types_views_keep_unknown/mod.rs"]
mod types_views;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/views_services_views/mod.rs"]
mod services_views;

#[macro_use]
mod view_requests;

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use thriftc_runtime::{
    BinaryProtocol, CompactProtocol, Encode, Error, FromView, Limits, ProtocolErrorKind,
};

use thriftc_tests::{PROTOS, Proto, Rng, decode, decode_view, encode, mutate};

fn payload() -> bench_views::bench::Payload {
    let inner = |i: i32| bench_views::bench::Inner {
        id: i,
        name: format!("child-{i}"),
        score: f64::from(i) / 2.0,
        tags: vec![i, i + 1],
    };
    bench_views::bench::Payload {
        count: 7,
        timestamp: -5,
        ratio: 0.25,
        active: true,
        title: "a title, ünïcode".to_owned(),
        raw: vec![0, 1, 2, 255],
        note: Some("a note".to_owned()),
        values: vec![1, -2, 3],
        attrs: HashMap::from([("k1".to_owned(), 1), ("k2".to_owned(), -2)]),
        labels: HashSet::from(["x".to_owned(), "yy".to_owned()]),
        inner: inner(100),
        children: (0..3).map(inner).collect(),
        kind: bench_views::bench::Kind::LARGE,
    }
}

fn group() -> types_views::types::Group {
    use types_views::types::{Group, Shape};
    Group {
        members: vec![
            Shape::Label("a label".to_owned()),
            Shape::Radius(2.5),
            Shape::Group(Box::new(Group {
                members: vec![Shape::Label("inner".to_owned())],
                main: None,
                unknown_fields: Vec::new(),
            })),
        ],
        main: Some(Box::new(Shape::Label("main".to_owned()))),
        unknown_fields: Vec::new(),
    }
}

/// Does `s` lie inside `input`?
fn inside(input: &[u8], s: &[u8]) -> bool {
    let r = input.as_ptr_range();
    s.is_empty() || (r.contains(&s.as_ptr()) && s.as_ptr() as usize + s.len() <= r.end as usize)
}

#[test]
fn every_string_and_binary_of_a_view_is_a_slice_of_the_input() {
    let v = payload();
    for proto in PROTOS {
        let bytes = encode(proto, &v);
        let view: bench_views::bench::PayloadRef<'_> = decode_view(proto, &bytes).unwrap();
        let mut slices: Vec<&[u8]> = vec![view.title.as_bytes(), view.raw];
        slices.extend(view.note.map(str::as_bytes));
        slices.extend(view.attrs.keys().map(|k| k.as_bytes()));
        slices.extend(view.labels.iter().map(|k| k.as_bytes()));
        slices.push(view.inner.name.as_bytes());
        slices.extend(view.children.iter().map(|c| c.name.as_bytes()));
        assert_eq!(slices.len(), 11);
        for s in slices {
            assert!(inside(&bytes, s), "{proto:?}: {s:?} is a copy");
        }
        assert_eq!(bench_views::bench::Payload::from(&view), v);

        let g = group();
        let bytes = encode(proto, &g);
        let view: types_views::types::GroupRef<'_> = decode_view(proto, &bytes).unwrap();
        let types_views::types::ShapeRef::Label(label) = view.members[0] else {
            panic!("{proto:?}: {view:?}");
        };
        assert!(inside(&bytes, label.as_bytes()));
        assert_eq!(types_views::types::Group::from(&view), g);
    }
}

/// Decodes `bytes` as the bench `Payload` both ways; they must agree (see
/// the module docs).
fn agree_payload(proto: Proto, bytes: &[u8]) -> Result<(), String> {
    let owned: Result<bench_views::bench::Payload, Error> = decode(proto, bytes);
    let view: Result<bench_views::bench::PayloadRef<'_>, Error> = decode_view(proto, bytes);
    compare(
        proto,
        bytes,
        owned,
        view.map(|v| bench_views::bench::Payload::from(&v)),
    )
}

/// [`agree_payload`] for the fixture's `Group` (unions, recursion, unknown
/// fields).
fn agree_group(proto: Proto, bytes: &[u8]) -> Result<(), String> {
    let owned: Result<types_views::types::Group, Error> = decode(proto, bytes);
    let view: Result<types_views::types::GroupRef<'_>, Error> = decode_view(proto, bytes);
    compare(
        proto,
        bytes,
        owned,
        view.map(|v| types_views::types::Group::from(&v)),
    )
}

fn compare<T: PartialEq + Debug>(
    proto: Proto,
    bytes: &[u8],
    owned: Result<T, Error>,
    view: Result<T, Error>,
) -> Result<(), String> {
    match (owned, view) {
        (Ok(o), Ok(v)) if o == v => Ok(()),
        (Err(a), Err(b)) if a.to_string() == b.to_string() => Ok(()),
        (o, v) => Err(format!(
            "{proto:?}: owned {o:?}\nview (converted) {v:?}\nbytes: {bytes:02x?}"
        )),
    }
}

#[test]
fn owned_and_view_decoders_agree_on_changed_input() {
    let mut outcomes = [0usize; 2];
    for case in 0..3000u64 {
        let mut rng = Rng(case.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let proto = PROTOS[rng.below(2)];
        let edits: Vec<(usize, u8)> = (0..rng.below(4))
            .map(|_| (rng.below(usize::MAX), rng.next() as u8))
            .collect();
        let extra: Vec<u8> = (0..rng.below(3)).map(|_| rng.next() as u8).collect();
        let cut = rng.below(400);
        let p = mutate(&encode(proto, &payload()), &edits, cut, &extra);
        if let Err(e) = agree_payload(proto, &p) {
            panic!("case {case}: {e}");
        }
        outcomes[usize::from(decode::<bench_views::bench::Payload>(proto, &p).is_ok())] += 1;
        let g = mutate(&encode(proto, &group()), &edits, cut / 4, &extra);
        if let Err(e) = agree_group(proto, &g) {
            panic!("case {case} (Group): {e}");
        }
    }
    // Both outcomes are exercised.
    assert!(outcomes[0] > 100 && outcomes[1] > 100, "{outcomes:?}");
}

#[test]
fn nesting_past_the_depth_limit_is_an_error() {
    use types_views::types::{Group, Shape};
    let mut g = group();
    for _ in 0..200 {
        g = Group {
            members: vec![Shape::Group(Box::new(g))],
            main: None,
            unknown_fields: Vec::new(),
        };
    }
    let deep = Limits::default().with_max_depth(1000);
    for proto in PROTOS {
        let mut bytes = Vec::new();
        match proto {
            Proto::Binary => g.encode(&mut BinaryProtocol::new(&mut bytes, deep)),
            Proto::Compact => g.encode(&mut CompactProtocol::new(&mut bytes, deep)),
        }
        .unwrap();
        let e = decode_view::<types_views::types::GroupRef<'_>>(proto, &bytes).unwrap_err();
        assert!(
            matches!(&e, Error::Protocol(p) if p.kind == ProtocolErrorKind::DepthLimit),
            "{proto:?}: {e}"
        );
        agree_group(proto, &bytes).unwrap();
    }
}

#[test]
fn converting_a_view_copies_what_it_borrows() {
    let v = payload();
    let bytes = encode(Proto::Binary, &v);
    let owned = {
        let view: bench_views::bench::PayloadRef<'_> = decode_view(Proto::Binary, &bytes).unwrap();
        <bench_views::bench::Payload as FromView<_>>::from_view(&view)
    };
    drop(bytes);
    assert_eq!(owned, v);
}

mod view_services {
    use super::services_views::view_services::*;
    use crate::view_requests::request;
    use std::collections::HashMap;
    use thriftc_runtime::protocol::{MessageType, ProtocolRead};
    use thriftc_runtime::transport::StreamReader;
    use thriftc_runtime::{
        ApplicationError, ApplicationErrorKind, BinaryProtocol, CompactProtocol, CowView, Error,
        Framing, Limits, Processor,
    };
    use thriftc_tests::{PROTOS, Proto};

    /// Both handlers: the owned one, and the view one answering the same
    /// with views of its arguments where it can.
    struct Owned;
    struct Views;

    impl BaseHandler for Owned {}
    impl BaseHandler for Views {}

    fn rejected(why: &str) -> Rejected {
        Rejected {
            why: why.to_owned(),
        }
    }

    fn nothing(n: i32) -> Result<(), TextNothingError> {
        match n {
            n if n < 0 => {
                Err(ApplicationError::new(ApplicationErrorKind::Unknown, "negative").into())
            }
            13 => Err(TextNothingError::Rpc(Error::from(ApplicationError::new(
                ApplicationErrorKind::Unknown,
                "unlucky",
            )))),
            _ => Ok(()),
        }
    }

    impl TextHandler for Owned {
        fn echo(&self, s: String) -> Result<String, TextEchoError> {
            Ok(s)
        }
        fn split(&self, s: String, sep: String) -> Result<Vec<String>, TextSplitError> {
            Ok(s.split(sep.as_str()).map(str::to_owned).collect())
        }
        fn bytes(&self, b: Vec<u8>) -> Result<Vec<u8>, TextBytesError> {
            match b.len() {
                0 => Err(rejected("empty").into()),
                9.. => Err(TooLong { limit: 8 }.into()),
                _ => Ok(b),
            }
        }
        fn tag(&self, mut n: Note, extra: String) -> Result<Note, TextTagError> {
            if !extra.is_empty() {
                n.tags.push(extra);
            }
            Ok(n)
        }
        fn count(&self, words: Vec<String>) -> Result<Count, TextCountError> {
            if words.iter().any(|w| w == "bad") {
                return Err(rejected("bad word").into());
            }
            Ok(Count {
                n: words.len() as i32,
            })
        }
        fn index(&self, notes: Vec<Note>) -> Result<HashMap<String, Note>, TextIndexError> {
            Ok(notes.into_iter().map(|n| (n.text.clone(), n)).collect())
        }
        fn fire(&self, _b: Vec<u8>) -> Result<(), TextFireError> {
            Ok(())
        }
        fn nothing(&self, n: i32) -> Result<(), TextNothingError> {
            nothing(n)
        }
    }

    impl MoreTextHandler for Owned {
        fn upper(&self, s: String) -> Result<String, MoreTextUpperError> {
            Ok(s.to_uppercase())
        }
    }

    impl TextViewHandler for Views {
        fn echo<'a>(&self, s: &'a str) -> Result<CowView<String, &'a str>, TextEchoError> {
            Ok(CowView::Borrowed(s))
        }
        fn split<'a>(
            &self,
            s: &'a str,
            sep: &'a str,
        ) -> Result<CowView<Vec<String>, Vec<&'a str>>, TextSplitError> {
            Ok(CowView::Borrowed(s.split(sep).collect()))
        }
        fn bytes<'a>(&self, b: &'a [u8]) -> Result<CowView<Vec<u8>, &'a [u8]>, TextBytesError> {
            match b.len() {
                0 => Err(rejected("empty").into()),
                9.. => Err(TooLong { limit: 8 }.into()),
                // An owned answer is as good as a borrowed one.
                1 => Ok(CowView::Owned(b.to_vec())),
                _ => Ok(CowView::Borrowed(b)),
            }
        }
        fn tag<'a>(
            &self,
            mut n: NoteRef<'a>,
            extra: &'a str,
        ) -> Result<CowView<Note, NoteRef<'a>>, TextTagError> {
            if !extra.is_empty() {
                n.tags.push(extra);
            }
            Ok(CowView::Borrowed(n))
        }
        fn count(&self, words: Vec<&str>) -> Result<Count, TextCountError> {
            if words.contains(&"bad") {
                return Err(rejected("bad word").into());
            }
            Ok(Count {
                n: words.len() as i32,
            })
        }
        fn index<'a>(
            &self,
            notes: Vec<NoteRef<'a>>,
        ) -> Result<CowView<HashMap<String, Note>, HashMap<&'a str, NoteRef<'a>>>, TextIndexError>
        {
            Ok(CowView::Borrowed(
                notes.into_iter().map(|n| (n.text, n)).collect(),
            ))
        }
        fn fire(&self, _b: &[u8]) -> Result<(), TextFireError> {
            Ok(())
        }
        fn nothing(&self, n: i32) -> Result<(), TextNothingError> {
            nothing(n)
        }
    }

    impl MoreTextViewHandler for Views {
        fn upper<'a>(&self, s: &'a str) -> Result<CowView<String, &'a str>, MoreTextUpperError> {
            if s.chars().any(char::is_lowercase) {
                Ok(CowView::Owned(s.to_uppercase()))
            } else {
                Ok(CowView::Borrowed(s))
            }
        }
    }

    /// What `processor` writes back for `request` (nothing for oneway).
    fn serve<P>(proto: Proto, processor: &P, request: &[u8]) -> Vec<u8>
    where
        P: for<'r> Processor<BinaryProtocol<StreamReader<&'r [u8]>>, BinaryProtocol<Vec<u8>>>
            + for<'r> Processor<CompactProtocol<StreamReader<&'r [u8]>>, CompactProtocol<Vec<u8>>>,
    {
        let reader = StreamReader::new(request, Framing::Buffered, Limits::default());
        match proto {
            Proto::Binary => {
                let mut input = BinaryProtocol::new(reader, Limits::default());
                let mut output = BinaryProtocol::new(Vec::new(), Limits::default());
                assert!(input.get_mut().begin_message().unwrap());
                let header = input.read_message_begin().unwrap();
                processor.process(&header, &mut input, &mut output).unwrap();
                output.get_ref().clone()
            }
            Proto::Compact => {
                let mut input = CompactProtocol::new(reader, Limits::default());
                let mut output = CompactProtocol::new(Vec::new(), Limits::default());
                assert!(input.get_mut().begin_message().unwrap());
                let header = input.read_message_begin().unwrap();
                processor.process(&header, &mut input, &mut output).unwrap();
                output.get_ref().clone()
            }
        }
    }

    fn note(text: &str, tags: &[&str]) -> Note {
        Note {
            text: text.to_owned(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn a_view_processor_answers_as_the_owned_one() {
        let owned = MoreTextProcessor::new(Owned);
        let views = MoreTextViewProcessor::new(Views);
        for proto in PROTOS {
            let mut requests = more_text_calls!(proto);
            // A oneway call: never answered.
            requests.push(request(
                proto,
                "fire",
                MessageType::Oneway,
                &TextFireArgs { b: vec![1] },
            ));
            for (i, r) in requests.iter().enumerate() {
                let want = serve(proto, &owned, r);
                let got = serve(proto, &views, r);
                // Every call but the oneway one (the last) is answered.
                assert_eq!(
                    want.is_empty(),
                    i == requests.len() - 1,
                    "{proto:?} request {i}"
                );
                assert_eq!(got, want, "{proto:?} request {i}");
            }
        }
    }

    // A chain whose middle service has no methods: `Views` implements the
    // view traits only, so `BottomViewProcessor` serves `Top`'s method
    // through `Middle`'s view flavour, with views.
    impl TopHandler for Owned {
        fn top(&self, s: String) -> Result<String, TopTopError> {
            Ok(s.to_uppercase())
        }
    }
    impl MiddleHandler for Owned {}
    impl BottomHandler for Owned {
        fn bottom(&self, s: String) -> Result<String, BottomBottomError> {
            Ok(s.to_lowercase())
        }
    }
    impl TopViewHandler for Views {
        fn top<'a>(&self, s: &'a str) -> Result<CowView<String, &'a str>, TopTopError> {
            if s.chars().any(char::is_lowercase) {
                Ok(CowView::Owned(s.to_uppercase()))
            } else {
                Ok(CowView::Borrowed(s))
            }
        }
    }
    impl MiddleViewHandler for Views {}
    impl BottomViewHandler for Views {
        fn bottom<'a>(&self, s: &'a str) -> Result<CowView<String, &'a str>, BottomBottomError> {
            if s.chars().any(char::is_uppercase) {
                Ok(CowView::Owned(s.to_lowercase()))
            } else {
                Ok(CowView::Borrowed(s))
            }
        }
    }

    #[test]
    fn methods_inherited_through_a_service_without_methods_are_served_with_views() {
        let call = MessageType::Call;
        for proto in PROTOS {
            let requests = [
                request(proto, "top", call, &TopTopArgs { s: "ab".into() }),
                request(proto, "top", call, &TopTopArgs { s: "AB".into() }),
                request(proto, "bottom", call, &BottomBottomArgs { s: "Ab".into() }),
                request(proto, "bottom", call, &BottomBottomArgs { s: "ab".into() }),
                request(proto, "missing", call, &TopTopArgs { s: "x".into() }),
            ];
            for (i, r) in requests.iter().enumerate() {
                let want = serve(proto, &BottomProcessor::new(Owned), r);
                assert!(!want.is_empty(), "{proto:?} request {i}");
                assert_eq!(
                    serve(proto, &BottomViewProcessor::new(Views), r),
                    want,
                    "{proto:?} request {i}"
                );
                // The middle service's processors answer its parent's
                // methods, and `bottom` as an unknown method.
                let middle = serve(proto, &MiddleProcessor::new(Owned), r);
                assert_eq!(serve(proto, &MiddleViewProcessor::new(Views), r), middle);
                if matches!(i, 2 | 3) {
                    assert_ne!(middle, want, "{proto:?} request {i}");
                    let kind = |p: &mut dyn ProtocolRead| p.read_message_begin().unwrap().kind;
                    let kind = match proto {
                        Proto::Binary => {
                            kind(&mut BinaryProtocol::new(&middle[..], Limits::default()))
                        }
                        Proto::Compact => {
                            kind(&mut CompactProtocol::new(&middle[..], Limits::default()))
                        }
                    };
                    assert_eq!(kind, MessageType::Exception, "{proto:?} request {i}");
                } else {
                    assert_eq!(middle, want, "{proto:?} request {i}");
                }
            }
        }
    }

    #[test]
    fn a_view_reply_with_several_map_entries_decodes_as_the_owned_one() {
        let views = MoreTextViewProcessor::new(Views);
        for proto in PROTOS {
            let notes = vec![note("a", &["1"]), note("b", &[]), note("c", &["2", "3"])];
            let r = request(
                proto,
                "index",
                MessageType::Call,
                &TextIndexArgs {
                    notes: notes.clone(),
                },
            );
            let reply = serve(proto, &views, &r);
            let read = |p: &mut dyn ProtocolRead| {
                let header = p.read_message_begin().unwrap();
                assert_eq!(header.kind, MessageType::Reply);
                let result: TextIndexResult = thriftc_runtime::Decode::decode(p).unwrap();
                p.read_message_end().unwrap();
                result
            };
            let result = match proto {
                Proto::Binary => read(&mut BinaryProtocol::new(&reply[..], Limits::default())),
                Proto::Compact => read(&mut CompactProtocol::new(&reply[..], Limits::default())),
            };
            let want: HashMap<String, Note> =
                notes.into_iter().map(|n| (n.text.clone(), n)).collect();
            assert_eq!(result.success, Some(want));
        }
    }
}
