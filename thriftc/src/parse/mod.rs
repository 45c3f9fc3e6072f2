//! The pest grammar and the lowering of its parse tree to the AST.
