//! Syntax tree of one `.thrift` file, as written: spans and doc comments, no logic.
