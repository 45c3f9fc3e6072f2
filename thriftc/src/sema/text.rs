//! How the bytes of an IDL file become its text.
//!
//! UTF-8 is read as it is. Old IDL files often hold Latin-1 bytes in their
//! comments (a `©` or an `é` in a name); Apache Thrift's compiler reads
//! bytes and takes them. So does this: a byte that is not UTF-8 inside a
//! comment (`//`, `#` or `/* */`) is read as the Latin-1 character of that
//! value, which keeps every line and column where it was (one byte, one
//! character) and gives doc comments the text their author meant.
//! Anywhere else (a name, a string literal) it is refused, with its line
//! and column: those bytes would reach generated code.

/// The text of `bytes`, or why not: the message names the line and column
/// of the first byte that is not UTF-8 outside a comment.
pub(super) fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e.into_bytes(),
    };
    let in_comment = comments(&bytes);
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    let mut at = 0;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        at += chunk.valid().len();
        for &b in chunk.invalid() {
            if !in_comment[at] {
                return Err(not_utf8(&bytes, at));
            }
            text.push(char::from(b));
            at += 1;
        }
    }
    Ok(text)
}

/// Which bytes lie inside a comment, by a scan that knows comments and
/// string literals (a `//` in a string starts no comment) and nothing else.
/// Every delimiter is ASCII, so the scan reads UTF-8 and Latin-1 alike.
fn comments(bytes: &[u8]) -> Vec<bool> {
    let mut mask = vec![false; bytes.len()];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_comment(bytes, i, &mut mask),
            b'#' => i = line_comment(bytes, i, &mut mask),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = bytes[i + 2..]
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(bytes.len(), |p| i + 2 + p + 2);
                mask[i..end].fill(true);
                i = end;
            }
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    mask
}

/// Marks the comment that starts at `start` up to its line's end; returns
/// where the scan goes on.
fn line_comment(bytes: &[u8], start: usize, mask: &mut [bool]) -> usize {
    let end = bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| start + p);
    mask[start..end].fill(true);
    end
}

/// Why a file is refused as not UTF-8: where the byte at `at` is (line and
/// column, as diagnostics count them) and what it is.
fn not_utf8(bytes: &[u8], at: usize) -> String {
    let before = &bytes[..at];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    // A character per byte that is not UTF-8, as `decode` reads them.
    let column = before[line_start..]
        .utf8_chunks()
        .map(|c| c.valid().chars().count() + c.invalid().len())
        .sum::<usize>()
        + 1;
    format!(
        "file is not valid UTF-8: line {line}, column {column} holds the byte 0x{:02X}, \
         outside a comment (save the file as UTF-8)",
        bytes[at]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_read_as_it_is() {
        let text = "/* café */ struct A { 1: string s = \"naïve\" }\n";
        assert_eq!(decode(text.as_bytes().to_vec()).unwrap(), text);
    }

    #[test]
    fn latin1_in_comments_is_read_as_latin1() {
        let cases: [(&[u8], &str); 4] = [
            (b"// Copyright \xa9 2010\n", "// Copyright © 2010\n"),
            (b"# caf\xe9\nstruct A {}", "# café\nstruct A {}"),
            (
                b"/** M\xfcller's\n * \xe9t\xe9 */ struct A {}",
                "/** Müller's\n * été */ struct A {}",
            ),
            // UTF-8 and Latin-1 in one file: each byte as what it can be.
            (b"/* caf\xc3\xa9 */ //\xe9\n", "/* café */ //é\n"),
        ];
        for (bytes, want) in cases {
            assert_eq!(decode(bytes.to_vec()).unwrap(), want);
        }
    }

    #[test]
    fn elsewhere_it_is_refused_with_its_line_and_column() {
        let cases: [(&[u8], &str); 5] = [
            (
                b"struct A { 1: string s = \"\xe9\" }",
                "line 1, column 27 holds the byte 0xE9",
            ),
            // A comment marker inside a string starts no comment.
            (
                b"const string S = \"// \xe9\"\n",
                "line 1, column 22 holds the byte 0xE9",
            ),
            (
                b"// \xe9\nstruct \xc9 {}",
                "line 2, column 8 holds the byte 0xC9",
            ),
            // Columns count characters, a Latin-1 byte before as one.
            (b"/* \xe9 */ \xe9", "line 1, column 9 holds the byte 0xE9"),
            // An incomplete sequence at the very end.
            (b"struct A {}\n\xc3", "line 2, column 1 holds the byte 0xC3"),
        ];
        for (bytes, want) in cases {
            let err = decode(bytes.to_vec()).unwrap_err();
            assert!(err.contains(want), "{err}");
            assert!(err.starts_with("file is not valid UTF-8"), "{err}");
        }
    }

    #[test]
    fn an_unclosed_block_comment_runs_to_the_end() {
        assert_eq!(
            decode(b"struct A {}\n/* \xe9".to_vec()).unwrap(),
            "struct A {}\n/* é"
        );
    }
}
