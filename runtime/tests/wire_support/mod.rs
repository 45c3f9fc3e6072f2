//! Shared by the wire test binaries: a `thrift_struct!` macro that writes
//! the `Encode`/`Decode` impls the code generator will emit (fields in id
//! order, decode by `(id, wire type)`, unknown fields skipped), and the test
//! structs built with it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use thriftc_runtime::{Uuid, VecMap, VecSet};

/// Defines a struct whose fields are all `Option<T>` (absent = `None`) with
/// generated-code style `Encode` and `Decode` impls.
#[macro_export]
macro_rules! thrift_struct {
    ($name:ident { $($id:literal => $field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $(pub $field: Option<$ty>,)*
        }

        impl thriftc_runtime::WireType for $name {
            const TTYPE: thriftc_runtime::protocol::TType =
                thriftc_runtime::protocol::TType::Struct;
        }

        impl thriftc_runtime::Encode for $name {
            fn encode<P: thriftc_runtime::protocol::ProtocolWrite + ?Sized>(
                &self,
                p: &mut P,
            ) -> thriftc_runtime::Result<()> {
                p.write_struct_begin(stringify!($name))?;
                $(
                    if let Some(v) = &self.$field {
                        p.write_field_begin(
                            stringify!($field),
                            <$ty as thriftc_runtime::WireType>::TTYPE,
                            $id,
                        )?;
                        thriftc_runtime::Encode::encode(v, p)?;
                        p.write_field_end()?;
                    }
                )*
                p.write_field_stop()?;
                p.write_struct_end()
            }
        }

        impl thriftc_runtime::Decode for $name {
            fn decode<P: thriftc_runtime::protocol::ProtocolRead + ?Sized>(
                p: &mut P,
            ) -> thriftc_runtime::Result<Self> {
                let mut out = Self::default();
                p.read_struct_begin()?;
                while let Some(f) = p.read_field_begin()? {
                    match f.id {
                        $(
                            $id if f.ttype == <$ty as thriftc_runtime::WireType>::TTYPE => {
                                out.$field = Some(<$ty as thriftc_runtime::Decode>::decode(p)?);
                            }
                        )*
                        _ => p.skip(f.ttype)?,
                    }
                    p.read_field_end()?;
                }
                p.read_struct_end()?;
                Ok(out)
            }
        }
    };
}

thrift_struct!(Inner {
    1 => id: i32,
    2 => name: String,
});

thrift_struct!(AllTypes {
    1 => t: bool,
    2 => f: bool,
    3 => i8v: i8,
    4 => i16v: i16,
    5 => i32v: i32,
    6 => i64v: i64,
    7 => dbl: f64,
    8 => str: String,
    9 => bin: Vec<u8>,
    10 => ints: Vec<i32>,
    11 => strs: BTreeSet<String>,
    12 => smap: BTreeMap<String, i64>,
    13 => inner: Inner,
    14 => bools: Vec<bool>,
    15 => inners: Vec<Inner>,
    16 => nested: BTreeMap<i32, Vec<String>>,
    17 => longs: Vec<i64>,
    18 => note: String,
    19 => shorts: HashSet<i16>,
    20 => dbls: Vec<f64>,
    21 => flags: HashMap<i8, bool>,
    22 => empty: Vec<String>,
    23 => emap: HashMap<String, String>,
    24 => lol: Vec<Vec<i32>>,
    25 => dset: VecSet<f64>,
    26 => dmap: VecMap<f64, String>,
    30 => uid: Uuid,
    40 => far: i32,
    300 => farther: i32,
});

// A recursive struct (a `Box` field), for depth tests.
thrift_struct!(Node {
    1 => value: i32,
    2 => next: Box<Node>,
});

pub fn inner(id: i32, name: &str) -> Inner {
    Inner {
        id: Some(id),
        name: Some(name.to_string()),
    }
}

pub const UUID: Uuid = Uuid([
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
]);

/// The value `tests/peers/peer.py` encodes and expects (thriftpy2 has no
/// `uuid`, so it is left out for that peer).
pub fn all_types(with_uuid: bool) -> AllTypes {
    AllTypes {
        t: Some(true),
        f: Some(false),
        i8v: Some(-7),
        i16v: Some(-12345),
        i32v: Some(-1234567),
        i64v: Some(-1234567890123),
        dbl: Some(3.25),
        str: Some("h\u{e9}llo w\u{f6}rld \u{2713}".to_string()),
        bin: Some(b"\x00\xff\x80bin".to_vec()),
        ints: Some(vec![1, -1, 300, i32::MAX, i32::MIN]),
        strs: Some(["a", "bb", "ccc"].iter().map(|s| s.to_string()).collect()),
        smap: Some([("x".to_string(), 1), ("y".to_string(), -2)].into()),
        inner: Some(inner(7, "inner")),
        bools: Some(vec![true, false, true]),
        inners: Some(vec![inner(1, "one"), inner(2, "")]),
        nested: Some([(1, vec!["a".to_string(), "b".to_string()]), (2, Vec::new())].into()),
        longs: Some((0..20i64).map(|i| i * i * 1_000_003 - 50).collect()),
        note: None,
        shorts: Some([-1, 0, 32767].into()),
        dbls: Some(vec![0.5, -2.0, 1e100]),
        flags: Some([(1, true), (-1, false)].into()),
        empty: Some(Vec::new()),
        emap: Some(HashMap::new()),
        lol: Some(vec![vec![1, 2], vec![]]),
        dset: Some(VecSet(vec![1.5])),
        dmap: Some(VecMap(vec![(2.5, "x".to_string())])),
        uid: with_uuid.then_some(UUID),
        far: Some(40),
        farther: Some(-300),
    }
}

/// Hex without separators, as the peer script prints it.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(s: &str) -> Vec<u8> {
    let s = s.trim();
    assert!(s.len() % 2 == 0, "odd-length hex: {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Parses a byte listing like `"80 01 00 01 | 00 00"` (`|` and spaces are
/// ignored) for hand-written vectors.
pub fn bytes(s: &str) -> Vec<u8> {
    from_hex(&s.replace([' ', '|', '\n'], ""))
}

/// A list or set of each element type (fixed-size ones are skipped in one
/// step) is skipped to its end, no further; cut short, it fails. `writer`
/// and `finish` make the protocol's bytes; `skip` skips one value of a
/// type at the start of some bytes and says how many are left.
pub fn check_skips_of_lists_and_sets<W: thriftc_runtime::protocol::ProtocolWrite>(
    writer: impl Fn() -> W,
    finish: impl Fn(W) -> Vec<u8>,
    skip: impl Fn(&[u8], thriftc_runtime::protocol::TType) -> thriftc_runtime::Result<usize>,
) {
    use thriftc_runtime::Encode;
    use thriftc_runtime::protocol::TType;
    let write = |t: TType, elem: TType| {
        let mut p = writer();
        if t == TType::List {
            p.write_list_begin(elem, 3).unwrap();
        } else {
            p.write_set_begin(elem, 3).unwrap();
        }
        for i in 0..3i8 {
            match elem {
                TType::Bool => p.write_bool(i == 1),
                TType::I8 => p.write_i8(i),
                TType::I16 => p.write_i16(-300 * i16::from(i)),
                TType::I32 => p.write_i32(-70_000 * i32::from(i)),
                TType::I64 => p.write_i64(-(1 << 40) * i64::from(i)),
                TType::Double => p.write_double(f64::from(i) / 3.0),
                TType::Uuid => p.write_uuid(UUID.as_bytes()),
                TType::String => p.write_string(&"s".repeat(i as usize)),
                _ => inner(i32::from(i), "x").encode(&mut p),
            }
            .unwrap();
        }
        p.write_list_end().unwrap();
        finish(p)
    };
    let elems = [
        TType::Bool,
        TType::I8,
        TType::I16,
        TType::I32,
        TType::I64,
        TType::Double,
        TType::Uuid,
        TType::String,
        TType::Struct,
    ];
    for t in [TType::List, TType::Set] {
        for elem in elems {
            let mut b = write(t, elem);
            let len = b.len();
            b.push(0x7f);
            let left = skip(&b, t).unwrap_or_else(|e| panic!("skip {t:?} of {elem:?}: {e}"));
            assert_eq!(left, 1, "skip {t:?} of {elem:?}");
            assert!(
                skip(&b[..len - 1], t).is_err(),
                "{t:?} of {elem:?} cut short"
            );
        }
    }
}
