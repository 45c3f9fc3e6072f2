//! Code generation: the IR to formatted Rust source files.
