//! Two `thriftc::Builder`s wrote into one output folder (`tests/build.rs`),
//! each from its own `types.thrift` with its own include file: each include
//! file brings in its own IDL's module, and both compile side by side.

use thriftc_runtime::{Decode, Encode, binary};

mod a {
    include!(concat!(env!("OUT_DIR"), "/shared_out/a_idl.rs"));
}

mod b {
    include!(concat!(env!("OUT_DIR"), "/shared_out/b_idl.rs"));
}

fn round_trip<T: Encode + Decode + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = binary::encode(value).expect("encode");
    let back: T = binary::decode(&bytes).expect("decode");
    assert_eq!(&back, value);
}

#[test]
fn each_include_file_brings_its_own_module() {
    let alpha = a::types::Alpha { x: 7 };
    let beta = b::types::Beta {
        y: "seven".to_owned(),
    };
    round_trip(&alpha);
    round_trip(&beta);
}
