//! Services between our own client and server.
#![deny(warnings)]

#[path = "../golden/services/services_edge/mod.rs"]
#[allow(dead_code)] // the generated API is broader than these tests
mod idl;

#[test]
fn compiles() {}
