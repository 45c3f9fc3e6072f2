//! Byte-exact tests against Apache Thrift: values encoded by our generated
//! code (`fixtures/codegen/apache.thrift`) equal the bytes Apache's Python
//! library writes for the same values (Python code from Debian's `thrift
//! --gen py`, runtime `thrift` from PyPI), in the binary and compact
//! protocols. Where the order of elements is not defined (sets and maps with
//! several elements) the bytes are compared by decoding them instead. Both
//! directions decode: Apache's bytes into our types, ours into Apache's.
//!
//! The peer is `tests/peers/apache_bytes.py`; it builds each named case
//! exactly as `cases()` below does. Python comes from `$THRIFTC_PYTHON`
//! (`cargo xtask test` sets it up), else `python3`.
#![deny(warnings)]

// The tests use only some generated items; in a user's crate they are
// public API, so unused ones are not dead code there.
#[allow(dead_code)]
#[rustfmt::skip] // generated (prettyplease), compared byte for byte
#[path = "../golden/rs/codegen_apache/mod.rs"]
mod generated;

use generated::apache::*;
use generated::common_types::{Level, Point};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use thriftc_runtime::{Decode, Encode, binary, compact};

const TEXT: &str = "h\u{e9}llo \u{2603} \u{1d11e}";

fn basics(i: i32) -> Basics {
    Basics {
        flag: i % 2 == 0,
        tiny: (-128 + i) as i8,
        small: (-32768 + i) as i16,
        medium: i32::MIN + i,
        big: i64::MIN + i as i64,
        real: -1.25e300 * f64::from(i + 1),
        text: format!("{TEXT}{i}"),
        raw: vec![0, 255, (i % 256) as u8],
    }
}

/// One value of each case, as the peer builds it.
enum Case {
    Basics(Basics),
    Defaults(WithDefaults),
    Nesting(Nesting),
    Holder(Holder),
    Oops(Oops),
    OldIds(OldIds),
}

/// `(name, value, element order defined)`.
fn cases() -> Vec<(&'static str, Case, bool)> {
    vec![
        ("basics", Case::Basics(basics(1)), true),
        (
            "basics_max",
            Case::Basics(Basics {
                flag: true,
                tiny: i8::MAX,
                small: i16::MAX,
                medium: i32::MAX,
                big: i64::MAX,
                real: f64::INFINITY,
                text: String::new(),
                raw: Vec::new(),
            }),
            true,
        ),
        (
            "defaults_minimal",
            Case::Defaults(WithDefaults {
                must: 5,
                ..Default::default()
            }),
            true,
        ),
        (
            "defaults_full",
            Case::Defaults(WithDefaults {
                must: -1,
                maybe: Some(7),
                plain: 0,
                note: Some("n".into()),
                text: "x".into(),
                nums: vec![],
                mood: Mood::from(99),
                level: Level::LOW,
                ratio: -0.0,
                on: false,
            }),
            true,
        ),
        (
            "nesting_ordered",
            Case::Nesting(Nesting {
                grid: vec![vec![1, 2], vec![], vec![3]],
                paths: HashMap::from([(
                    "p".to_owned(),
                    vec![Point { x: 1.0, y: 2.0 }, Point { x: -3.5, y: 0.0 }],
                )]),
                layers: vec![
                    HashMap::from([("a".to_owned(), HashSet::from([9]))]),
                    HashMap::new(),
                ],
                tags: HashSet::from(["only".to_owned()]),
                moods: HashMap::from([(3, Mood::HAPPY)]),
                items: vec![basics(2), basics(3)],
                spot: Some(Point { x: 0.5, y: 0.25 }),
            }),
            true,
        ),
        (
            "nesting_unordered",
            Case::Nesting(Nesting {
                grid: vec![],
                paths: HashMap::from([
                    ("a".to_owned(), vec![]),
                    ("b".to_owned(), vec![Point { x: 1.0, y: 1.0 }]),
                    ("c".to_owned(), vec![]),
                ]),
                layers: vec![HashMap::from([
                    ("k".to_owned(), HashSet::from([1, 2, 3])),
                    ("l".to_owned(), HashSet::new()),
                ])],
                tags: HashSet::from(["x", "y", "z"].map(String::from)),
                moods: HashMap::from([(1, Mood::SAD), (2, Mood::OK), (3, Mood::from(77))]),
                items: vec![],
                spot: None,
            }),
            false,
        ),
        (
            "pick_number",
            Case::Holder(Holder {
                pick: Pick::Number(-5),
                other: None,
                mood: Mood::OK,
            }),
            true,
        ),
        (
            "pick_word",
            Case::Holder(Holder {
                pick: Pick::Word(TEXT.into()),
                other: Some(Pick::Number(0)),
                mood: Mood::SAD,
            }),
            true,
        ),
        (
            "pick_nested",
            Case::Holder(Holder {
                pick: Pick::Many(vec![
                    Pick::Point(Point { x: 1.0, y: -1.0 }),
                    Pick::Many(vec![]),
                    Pick::Word("w".into()),
                ]),
                other: None,
                mood: Mood::HAPPY,
            }),
            true,
        ),
        (
            "oops",
            Case::Oops(Oops {
                message: "bad".into(),
                code: 500,
            }),
            true,
        ),
        (
            "old_ids",
            Case::OldIds(OldIds {
                zero: 1,
                negative: -2,
                none: 3,
                two: 4,
            }),
            true,
        ),
    ]
}

/// Encodes with our code; decodes `theirs` with our code and compares.
fn ours(case: &Case, proto: &str, theirs: Option<&[u8]>) -> Vec<u8> {
    fn go<T: Encode + Decode + PartialEq + std::fmt::Debug>(
        v: &T,
        proto: &str,
        theirs: Option<&[u8]>,
    ) -> Vec<u8> {
        let (bytes, back) = match proto {
            "binary" => (binary::encode(v), theirs.map(binary::decode::<T>)),
            _ => (compact::encode(v), theirs.map(compact::decode::<T>)),
        };
        if let Some(back) = back {
            let back =
                back.unwrap_or_else(|e| panic!("{proto}: Apache's bytes do not decode: {e}"));
            assert_eq!(&back, v, "{proto}: Apache's bytes decode to another value");
        }
        bytes.unwrap()
    }
    match case {
        Case::Basics(v) => go(v, proto, theirs),
        Case::Defaults(v) => go(v, proto, theirs),
        Case::Nesting(v) => go(v, proto, theirs),
        Case::Holder(v) => go(v, proto, theirs),
        Case::Oops(v) => go(v, proto, theirs),
        Case::OldIds(v) => go(v, proto, theirs),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex from the peer"))
        .collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Python code for the fixture, from Apache's compiler.
fn generate_python() -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("apache_bytes_py");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let status = Command::new("thrift")
        .args(["-r", "--gen", "py", "-out"])
        .arg(&out)
        .arg(root().join("fixtures/codegen/apache.thrift"))
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run Apache's `thrift` compiler ({e}): install it (Debian: \
                 `apt-get install thrift-compiler`) or run `cargo xtask test`"
            )
        });
    assert!(
        status.success(),
        "`thrift --gen py` failed on apache.thrift"
    );
    out
}

#[test]
fn bytes_equal_apache_python() {
    let gen_dir = generate_python();
    let python = std::env::var("THRIFTC_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let cases = cases();
    let mut input = String::new();
    for (name, case, _) in &cases {
        for proto in ["binary", "compact"] {
            input.push_str(&format!(
                "{name} {proto} {}\n",
                hex(&ours(case, proto, None))
            ));
        }
    }
    let mut child = Command::new(&python)
        .arg(root().join("tests/peers/apache_bytes.py"))
        .arg(&gen_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {python} ({e}): run `cargo xtask test`, which sets up the Python peers"
            )
        });
    // The peer answers line by line: feed it from another thread while this
    // one reads, or both block once the output fills the pipe.
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    let written = writer
        .join()
        .expect("the thread writing to the Python peer panicked");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && !stdout.starts_with("IMPORT-ERROR"),
        "the Python peer failed ({}): {stdout}\nrun `cargo xtask test`, which sets up the Python peers",
        output.status
    );
    written.unwrap_or_else(|e| panic!("cannot write the cases to the Python peer: {e}"));
    let mut checked = 0;
    for line in stdout.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        let [name, proto, theirs, verdict] = parts[..] else {
            panic!("unexpected peer output: {line}");
        };
        let (_, case, ordered) = cases.iter().find(|(n, ..)| *n == name).unwrap();
        let theirs = unhex(theirs);
        let mine = ours(case, proto, Some(&theirs));
        if *ordered {
            assert_eq!(
                hex(&mine),
                hex(&theirs),
                "{name} {proto}: bytes differ from Apache's"
            );
        }
        assert_eq!(
            verdict, "equal",
            "{name} {proto}: Apache decodes our bytes to another value"
        );
        checked += 1;
    }
    assert_eq!(checked, cases.len() * 2, "the peer answered every case");
}
