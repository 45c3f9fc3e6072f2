//! Shared helpers for the integration tests of thriftc.
