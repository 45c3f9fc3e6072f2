//! The safety net: prettyplease formatting of written text.
//!
//! [`super::writer::Writer`] sends an item here when it cannot be sure its
//! own layout is prettyplease's (a line too wide for the width rules it
//! knows, or a construct it does not lay out exactly). The text is valid
//! Rust either way, so parsing it back and printing it gives prettyplease's
//! layout. The parity tests (`parity_tests.rs`) compare both paths.

use super::Error;

/// prettyplease's layout of `text`, one or more items.
pub fn format_items(text: &str) -> Result<String, Error> {
    let file = syn::parse_file(text).map_err(|e| {
        Error::Internal(format!(
            "generated code does not parse: {e}\n{}",
            excerpt(text)
        ))
    })?;
    Ok(prettyplease::unparse(&file))
}

/// The first lines of a text, for an error message.
fn excerpt(text: &str) -> String {
    text.lines().take(20).collect::<Vec<_>>().join("\n")
}
