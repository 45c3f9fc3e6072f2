//! Memory of serving a view handler's call whose arguments are not all in
//! the read buffer: a framed request is read whole into the buffer (about
//! its size), an unframed one is copied value by value into a buffer of its
//! own (about its size, twice at most while the copy grows). Measured with
//! a counting global allocator, so this test is a binary of its own.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use thriftc_runtime::error::{ApplicationError, Result};
use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::transport::StreamReader;
use thriftc_runtime::view_call::{ViewCall, serve_view_call};
use thriftc_runtime::{
    BinaryProtocol, CompactProtocol, DecodeView, Framing, Limits, ViewRead, ViewResult, WireType,
};

/// Counts the bytes allocated now and at the peak.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let n = NOW.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(n, Relaxed);
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(l) }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        NOW.fetch_sub(l.size(), Relaxed);
        // SAFETY: allocated above with this layout.
        unsafe { System.dealloc(p, l) }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // Counted as the new block and the old one both held.
        let n = NOW.fetch_add(new, Relaxed) + new;
        PEAK.fetch_max(n, Relaxed);
        // SAFETY: the caller's block and layout, passed on.
        let q = unsafe { System.realloc(p, l, new) };
        NOW.fetch_sub(l.size(), Relaxed);
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The arguments `{1: string text}`, as a view.
struct TextRef<'a>(&'a str);

impl WireType for TextRef<'_> {
    const TTYPE: TType = TType::Struct;
}

impl<'a> DecodeView<'a> for TextRef<'a> {
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let mut text = "";
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            match (f.id, f.ttype) {
                (1, TType::String) => text = p.read_str_view()?,
                (_, t) => p.skip(t)?,
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        Ok(TextRef(text))
    }
}

struct Handler;

impl<'x> ViewCall<Handler> for TextRef<'x> {
    type Args<'a> = TextRef<'a>;
    type Reply<'a> = ViewResult<&'a str, ApplicationError>;

    fn call<'a>(
        _: &Handler,
        args: Self::Args<'a>,
    ) -> std::result::Result<Self::Reply<'a>, ApplicationError> {
        Ok(ViewResult::Success(args.0))
    }
}

/// An `echo` call `{1: "hi", 99: list<i8> of n zeros}` (field 99 unknown to
/// the handler), framed or not.
fn request(compact: bool, framing: Framing, n: usize) -> Vec<u8> {
    let mut body = Vec::new();
    {
        let mut p: Box<dyn ProtocolWrite + '_> = if compact {
            Box::new(CompactProtocol::new(&mut body, Limits::default()))
        } else {
            Box::new(BinaryProtocol::new(&mut body, Limits::default()))
        };
        p.write_message_begin(&MessageHeader {
            name: "echo".into(),
            kind: MessageType::Call,
            seqid: 1,
        })
        .unwrap();
        p.write_struct_begin("args").unwrap();
        p.write_field_begin("text", TType::String, 1).unwrap();
        p.write_string("hi").unwrap();
        p.write_field_end().unwrap();
        p.write_field_begin("junk", TType::List, 99).unwrap();
        p.write_list_begin(TType::I8, n).unwrap();
        for _ in 0..n {
            p.write_i8(0).unwrap();
        }
        p.write_list_end().unwrap();
        p.write_field_end().unwrap();
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
        p.write_message_end().unwrap();
    }
    if framing == Framing::Buffered {
        return body;
    }
    let mut out = (body.len() as i32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// Serves `req` through a `StreamReader` over a slice; the peak of bytes
/// allocated meanwhile, and the reply.
fn peak_of_serving(compact: bool, framing: Framing, req: &[u8]) -> (usize, Vec<u8>) {
    let mut reply = Vec::with_capacity(64);
    let base = NOW.load(Relaxed);
    PEAK.store(base, Relaxed);
    let mut reader = StreamReader::new(req, framing, Limits::default());
    reader.begin_message().unwrap();
    macro_rules! serve {
        ($p:ident) => {{
            let mut input = $p::new(reader, Limits::default());
            let header = input.read_message_begin().unwrap();
            let mut output = $p::new(&mut reply, Limits::default());
            serve_view_call::<TextRef<'_>, _, _, _>(&Handler, &header, &mut input, &mut output)
                .unwrap();
        }};
    }
    if compact {
        serve!(CompactProtocol)
    } else {
        serve!(BinaryProtocol)
    }
    (PEAK.load(Relaxed) - base, reply)
}

#[test]
fn arguments_not_all_buffered_cost_about_their_size() {
    for compact in [false, true] {
        for framing in [Framing::Framed, Framing::Buffered] {
            let req = request(compact, framing, 4_000_000);
            let (peak, reply) = peak_of_serving(compact, framing, &req);
            // The reply holds the text the handler got.
            assert!(
                reply.windows(2).any(|w| w == b"hi"),
                "compact {compact} {framing:?}: no reply"
            );
            let bound = 2 * req.len() + 256 * 1024;
            assert!(
                peak <= bound,
                "compact {compact}, {framing:?}: {peak} bytes allocated for a {}-byte request",
                req.len()
            );
            eprintln!(
                "compact {compact}, {framing:?}: peak {peak} bytes for a {}-byte request",
                req.len()
            );
        }
    }
}
