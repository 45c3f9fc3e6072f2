//! Semantic analysis: includes, name resolution, constants, checks; builds the IR.
