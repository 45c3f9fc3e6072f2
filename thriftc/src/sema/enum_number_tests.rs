//! Two names for one enum number: accepted, with a warning at the second
//! that says which name the generated enum gives the number.

use super::load_str;

#[test]
fn a_repeated_enum_number_is_warned_about_at_its_second_name() {
    let idl = "enum Color {\n  RED = 1,\n  GREEN = 1,\n  BLUE = 0,\n  CYAN,\n  RED = 2\n}\n";
    let failed = load_str("t.thrift", idl).expect_err("`RED` is defined twice");
    let warnings: Vec<_> = failed
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .collect();
    // `CYAN` follows 0 and is 1 too; the second `RED` is an error of its
    // own, not another warning.
    let messages: Vec<&str> = warnings.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`Color.GREEN` has the same number as `Color.RED` (1)",
            "`Color.CYAN` has the same number as `Color.RED` (1)",
        ]
    );
    let labelled: Vec<(&str, &str, bool)> = warnings[0]
        .labels
        .iter()
        .map(|l| {
            let text = &idl[l.span.start as usize..l.span.end as usize];
            (text, l.message.as_str(), l.primary)
        })
        .collect();
    assert_eq!(
        labelled,
        [
            ("GREEN", "1 again", true),
            ("RED", "first given 1 here", false)
        ]
    );
    let notes = warnings[0].notes.join("\n");
    assert!(
        notes.contains("a received 1 prints as `RED`")
            && notes.contains("`VALUES` lists it once")
            && notes.contains("give `GREEN` a number of its own"),
        "{notes}"
    );

    // Numbers of their own: no warning.
    let loaded = load_str("u.thrift", "enum E { A = 1, B, C = 3 }\n").expect("valid");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    // A valid file with an alias loads, with the one warning.
    let loaded = load_str("v.thrift", "enum E { A = 1, B = 1 }\n").expect("valid");
    assert_eq!(loaded.warnings.warning_count(), 1);
}
